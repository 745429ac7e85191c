//! Slow consumers: clients that stop reading cost the server a bounded
//! amount of memory, delay no one, and are disconnected.
//!
//! The server runs as its own process (the `huddle` binary) so that its
//! memory can be read from /proc apart from the test's clients. The clients
//! speak raw Engine.IO over WebSocket, so a stalled one really stops
//! reading: its TCP window closes and the server's queue for it fills.
//!
//! `TEST_SERVER_LOG=<file>` (and `TEST_SERVER_LOG_LEVEL=<filter>`) keep the
//! server's log.

use crate::helpers::Process;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

type Ws = WebSocketStream<TcpStream>;

/// Reads text frames until one starts with `prefix`, answering pings.
async fn expect_frame(ws: &mut Ws, prefix: &str) -> String {
    let wait = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(msg)) = ws.next().await {
            if let Message::Text(text) = msg {
                if text.as_str() == "2" {
                    let _ = ws.send(Message::text("3")).await;
                } else if text.starts_with(prefix) {
                    return text.to_string();
                }
            }
        }
        panic!("connection closed while waiting for {prefix:?}");
    });
    wait.await
        .unwrap_or_else(|_| panic!("no frame starting with {prefix:?}"))
}

/// A raw `/chat` client that has joined as `name`. A `recv_buffer` makes
/// its kernel receive buffer small, so that it fills fast once the client
/// stops reading.
async fn raw_chat(addr: SocketAddr, name: &str, recv_buffer: Option<u32>) -> Ws {
    let socket = TcpSocket::new_v4().expect("socket");
    if let Some(size) = recv_buffer {
        socket.set_recv_buffer_size(size).expect("SO_RCVBUF");
    }
    let stream = socket.connect(addr).await.expect("connects");
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tokio_tungstenite::client_async(url, stream)
        .await
        .expect("WebSocket handshake");
    expect_frame(&mut ws, "0{").await;
    ws.send(Message::text("40/chat,")).await.expect("send");
    expect_frame(&mut ws, "40/chat,").await;
    let join = format!("42/chat,0{}", json!(["join", {"username": name}]));
    ws.send(Message::text(join)).await.expect("send");
    expect_frame(&mut ws, "43/chat,0").await;
    ws
}

/// Reads everything, answering pings; counts `new-message` events until
/// `want` arrived, and returns the count and the still-open connection.
async fn count_messages(mut ws: Ws, want: usize) -> (usize, Ws) {
    let mut got = 0;
    while got < want {
        let next = tokio::time::timeout(Duration::from_secs(30), ws.next()).await;
        let Ok(Some(Ok(msg))) = next else { break };
        if let Message::Text(text) = msg {
            if text.as_str() == "2" {
                let _ = ws.send(Message::text("3")).await;
            } else if text.starts_with("42/chat,[\"new-message\"") {
                got += 1;
            }
        }
    }
    (got, ws)
}

/// Keeps a connection healthy: reads everything and answers pings.
async fn keep_reading(mut ws: Ws) {
    while let Some(Ok(msg)) = ws.next().await {
        if matches!(&msg, Message::Text(t) if t.as_str() == "2") {
            let _ = ws.send(Message::text("3")).await;
        }
    }
}

const MESSAGES: usize = 3000;

/// What one run through `general` showed.
struct Run {
    /// Peak server RSS during the run minus RSS before it, in KiB.
    growth_kib: u64,
    /// `new-message` events a reading member received.
    received: usize,
    /// `get-users` afterwards.
    users: String,
}

/// Sends MESSAGES messages of 4 KB (12 MB) through `general`, where
/// `stalled` members stopped reading and one member reads everything.
async fn run(stalled: usize) -> Run {
    let server = Process::start(&[
        ("HUDDLE_HEARTBEAT_SECS", "2"),
        ("HUDDLE_SEND_LIMIT", "100000/s:100000"),
        ("HUDDLE_CLIENT_SEND_LIMIT", "100000/s:100000"),
    ])
    .await;
    let mut stalled_sockets = Vec::new();
    for i in 0..stalled {
        stalled_sockets.push(raw_chat(server.addr, &format!("stalled{i}"), Some(4096)).await);
    }
    let reader = raw_chat(server.addr, "reader", None).await;
    let sender = raw_chat(server.addr, "sender", None).await;
    let reading = tokio::spawn(count_messages(reader, MESSAGES));
    let (sink, mut stream) = sender.split();
    let sink = std::sync::Arc::new(tokio::sync::Mutex::new(sink));
    // The sender is in the room too: it reads everything and answers the
    // server's pings, like any healthy client.
    let sender_reads = tokio::spawn({
        let sink = sink.clone();
        async move {
            while let Some(Ok(msg)) = stream.next().await {
                if matches!(&msg, Message::Text(t) if t.as_str() == "2") {
                    let _ = sink.lock().await.send(Message::text("3")).await;
                }
            }
        }
    });
    let rss_before = server.rss_kib();
    let mut peak = rss_before;
    let body = "x".repeat(3990);
    for i in 0..MESSAGES {
        let frame = format!(
            "42/chat,{}",
            json!(["send-message", {"message": format!("{i:05} {body}"), "room": "general"}])
        );
        sink.lock()
            .await
            .send(Message::text(frame))
            .await
            .expect("the sender is not disconnected");
        if i % 20 == 0 {
            peak = peak.max(server.rss_kib());
            // A busy room's pace, not one socket's flood.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let (received, reader) = tokio::time::timeout(Duration::from_secs(60), reading)
        .await
        .expect("the reader finishes")
        .expect("the reader task");
    peak = peak.max(server.rss_kib());
    let reader = tokio::spawn(keep_reading(reader));
    // Stalled sockets are closed at a heartbeat (every 2 s here): their
    // queue is full, so the ping cannot be queued; unanswered pings close
    // them in any case. A reading client keeps its connection.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut observer = raw_chat(server.addr, "observer", None).await;
    let ask = format!("42/chat,1{}", json!(["get-users", {}]));
    observer.send(Message::text(ask)).await.expect("send");
    let users = expect_frame(&mut observer, "43/chat,1").await;
    sender_reads.abort();
    reader.abort();
    drop(stalled_sockets);
    eprintln!("{stalled} stalled: server RSS {rss_before} KiB before, {peak} KiB at peak");
    Run {
        growth_kib: peak.saturating_sub(rss_before),
        received,
        users,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_readers_cost_bounded_memory_and_delay_no_one() {
    let baseline = run(0).await;
    let stalled = run(4).await;
    for r in [&baseline, &stalled] {
        assert_eq!(
            r.received, MESSAGES,
            "a reading member must get every message"
        );
        assert!(r.users.contains("\"reader\""), "{}", r.users);
    }
    for i in 0..4 {
        assert!(
            !stalled.users.contains(&format!("stalled{i}")),
            "stalled{i} is still connected: {}",
            stalled.users
        );
    }
    // A broadcast frame is encoded once and shared by every queue it is in,
    // so unbounded queues would keep all 12 MB sent alive; the bound is the
    // last 256 frames (1 MB), plus allocator slack.
    let extra = stalled.growth_kib.saturating_sub(baseline.growth_kib);
    assert!(
        extra < 6 * 1024,
        "four stalled readers cost {extra} KiB more than none \
         ({} KiB against {} KiB)",
        stalled.growth_kib,
        baseline.growth_kib
    );
}
