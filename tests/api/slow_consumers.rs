//! Slow consumers: clients that stop reading cost the server a bounded
//! amount of memory, delay no one, and are disconnected.
//!
//! Two servers run side by side, one with four stalled members in `general`
//! and one without (the baseline), so that both see the same load from the
//! rest of the machine: the stalled readers' cost is the difference.
//!
//! The server runs as its own process (the `huddle` binary) so that its
//! memory can be read from /proc apart from the test's clients. The clients
//! speak raw Engine.IO over WebSocket, so a stalled one really stops
//! reading: its TCP window closes and the server's queue for it fills.
//!
//! `TEST_SERVER_LOG=<file>` (and `TEST_SERVER_LOG_LEVEL=<filter>`) keep the
//! server's log.

use crate::helpers::raw::{expect_frame, open_chat, Ws};
use crate::helpers::Process;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// A raw `/chat` client that has joined as `name`. A `recv_buffer` makes
/// its kernel receive buffer small, so that it fills fast once the client
/// stops reading.
async fn raw_chat(addr: SocketAddr, name: &str, recv_buffer: Option<u32>) -> Ws {
    let mut ws = open_chat(addr, recv_buffer).await;
    let join = format!("42/chat,0{}", json!(["join", {"username": name}]));
    ws.send(Message::text(join)).await.expect("send");
    expect_frame(&mut ws, "43/chat,0").await;
    ws
}

/// When each message was sent, by its number.
type SentAt = std::sync::Arc<std::sync::Mutex<Vec<Option<Instant>>>>;

/// Reads everything, answering pings; counts `new-message` events until
/// `want` arrived, and returns the count, each one's delay from its send
/// (by the number its text starts with), and the still-open connection.
async fn count_messages(mut ws: Ws, want: usize, sent_at: SentAt) -> (usize, Vec<Duration>, Ws) {
    let mut got = 0;
    let mut delays = Vec::with_capacity(want);
    while got < want {
        let next = tokio::time::timeout(Duration::from_secs(30), ws.next()).await;
        let Ok(Some(Ok(msg))) = next else { break };
        if let Message::Text(text) = msg {
            if text.as_str() == "2" {
                let _ = ws.send(Message::text("3")).await;
            } else if let Some(event) = text.strip_prefix("42/chat,") {
                let received = Instant::now();
                let event: serde_json::Value = serde_json::from_str(event).expect("an event");
                if event[0] != "new-message" {
                    continue;
                }
                got += 1;
                let n: usize = event[1]["message"]
                    .as_str()
                    .and_then(|m| m.get(..5)?.parse().ok())
                    .expect("a numbered message");
                let sent = sent_at.lock().unwrap()[n].expect("sent before it arrived");
                delays.push(received - sent);
            }
        }
    }
    (got, delays, ws)
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
/// Long enough that stalled members, once their queues are full, stay
/// connected (and full) for a good part of the run, short enough that they
/// are gone soon after it.
const HEARTBEAT_SECS: u64 = 6;

/// What one run through `general` showed.
struct Run {
    /// Peak server RSS during the run minus RSS before it, in KiB.
    growth_kib: u64,
    /// `new-message` events a reading member received.
    received: usize,
    /// The 99th percentile of their delays from send to receipt.
    p99: Duration,
    /// The 99th percentile of the sender's waits for its acks.
    ack_p99: Duration,
    /// `get-users` afterwards.
    users: String,
}

/// Sends MESSAGES messages of 4 KB (12 MB) through `general`, where
/// `stalled` members stopped reading and one member reads everything.
async fn run(stalled: usize) -> Run {
    let server = Process::start(&[
        ("HUDDLE_HEARTBEAT_SECS", &HEARTBEAT_SECS.to_string()),
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
    let sent_at: SentAt = std::sync::Arc::new(std::sync::Mutex::new(vec![None; MESSAGES]));
    let reading = tokio::spawn(count_messages(reader, MESSAGES, sent_at.clone()));
    let (sink, mut stream) = sender.split();
    let sink = std::sync::Arc::new(tokio::sync::Mutex::new(sink));
    // The sender is in the room too: it reads everything and answers the
    // server's pings, like any healthy client, and hands over its acks.
    let (acked, mut acks) = tokio::sync::mpsc::unbounded_channel::<String>();
    let sender_reads = tokio::spawn({
        let sink = sink.clone();
        async move {
            while let Some(Ok(Message::Text(text))) = stream.next().await {
                if text.as_str() == "2" {
                    let _ = sink.lock().await.send(Message::text("3")).await;
                } else if text.starts_with("43/chat,") {
                    let _ = acked.send(text.to_string());
                }
            }
        }
    });
    let rss_before = server.rss_kib();
    let mut peak = rss_before;
    let body = "x".repeat(3990);
    let mut ack_waits = Vec::with_capacity(MESSAGES);
    // Each message is sent once the one before is acked (stored and
    // broadcast): no backlog builds up, so a delay is the server's time
    // for that message alone.
    for i in 0..MESSAGES {
        let frame = format!(
            "42/chat,{i}{}",
            json!(["send-message", {"message": format!("{i:05} {body}"), "room": "general"}])
        );
        sent_at.lock().unwrap()[i] = Some(Instant::now());
        sink.lock()
            .await
            .send(Message::text(frame))
            .await
            .expect("the sender is not disconnected");
        let ack = tokio::time::timeout(Duration::from_secs(30), acks.recv())
            .await
            .expect("each send is acked")
            .expect("the sender is connected");
        ack_waits.push(
            sent_at.lock().unwrap()[i]
                .map(|t| t.elapsed())
                .unwrap_or_default(),
        );
        assert!(
            ack.starts_with(&format!("43/chat,{i}[{{\"status\":\"ok\"")),
            "{ack}"
        );
        if i % 20 == 0 {
            peak = peak.max(server.rss_kib());
        }
    }
    let (received, mut delays, reader) = tokio::time::timeout(Duration::from_secs(60), reading)
        .await
        .expect("the reader finishes")
        .expect("the reader task");
    peak = peak.max(server.rss_kib());
    let reader = tokio::spawn(keep_reading(reader));
    // Stalled sockets are closed at a heartbeat: their queue is full, so
    // the ping cannot be queued; unanswered pings close them in any case.
    // A reading client keeps its connection. Waits up to three heartbeats.
    let mut observer = raw_chat(server.addr, "observer", None).await;
    let deadline = Instant::now() + Duration::from_secs(3 * HEARTBEAT_SECS);
    let users = loop {
        let ask = format!("42/chat,1{}", json!(["get-users", {}]));
        observer.send(Message::text(ask)).await.expect("send");
        let users = expect_frame(&mut observer, "43/chat,1").await;
        if !users.contains("stalled") || Instant::now() > deadline {
            break users;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    sender_reads.abort();
    reader.abort();
    drop(stalled_sockets);
    let p99 = percentile_99(&mut delays);
    let ack_p99 = percentile_99(&mut ack_waits);
    eprintln!(
        "{stalled} stalled: server RSS {rss_before} KiB before, {peak} KiB at peak; \
         delivery p99 {p99:?}, ack p99 {ack_p99:?}"
    );
    Run {
        growth_kib: peak.saturating_sub(rss_before),
        received,
        p99,
        ack_p99,
        users,
    }
}

fn percentile_99(durations: &mut [Duration]) -> Duration {
    durations.sort();
    durations
        .get(durations.len() * 99 / 100)
        .copied()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_readers_cost_bounded_memory_and_delay_no_one() {
    let (baseline, stalled) = tokio::join!(run(0), run(4));
    for r in [&baseline, &stalled] {
        assert_eq!(
            r.received, MESSAGES,
            "a reading member must get every message"
        );
        assert!(r.users.contains("\"reader\""), "{}", r.users);
    }
    // Disconnected (at a heartbeat: their queue is full, or their pings go
    // unanswered; which of the two is not told apart here).
    for i in 0..4 {
        assert!(
            !stalled.users.contains(&format!("stalled{i}")),
            "stalled{i} is still connected: {}",
            stalled.users
        );
    }
    // Delay no one: the reading member's delays, and the sender's waits
    // for its acks, are those of the run without stalled members, give or
    // take the noise of two runs on a shared machine (twice as long, plus
    // 50 ms). The stalled queues are full for most of the run, so a send
    // that waited for them would show in far more than 1% of the messages.
    for (what, with, without) in [
        ("reader's delay", stalled.p99, baseline.p99),
        (
            "sender's wait for its ack",
            stalled.ack_p99,
            baseline.ack_p99,
        ),
    ] {
        assert!(
            with <= without * 2 + Duration::from_millis(50),
            "with four stalled readers the {what} is {with:?} (p99), without {without:?}"
        );
    }
    // Bounded memory: a broadcast frame is encoded once and shared by every
    // queue it is in, so unbounded queues would keep all 12 MB sent alive;
    // the bound is the last 256 frames (1 MB), plus allocator slack. The
    // bound tested: at most 6 MiB above the baseline's growth.
    let extra = stalled.growth_kib.saturating_sub(baseline.growth_kib);
    assert!(
        extra < 6 * 1024,
        "four stalled readers cost {extra} KiB more than none \
         ({} KiB against {} KiB)",
        stalled.growth_kib,
        baseline.growth_kib
    );
}

/// Room `big` at `addr` with 100 messages of 4,000 characters (a page of
/// its history is 400 KB); returns the socket that wrote them, joined.
async fn big_room(addr: SocketAddr) -> Ws {
    let mut writer = raw_chat(addr, "writer", None).await;
    let body = "x".repeat(3990);
    for i in 0..100 {
        let send = json!(["send-message", {"message": format!("{i:05} {body}"), "room": "big"}]);
        writer
            .send(Message::text(format!("42/chat,{i}{send}")))
            .await
            .expect("send");
        expect_frame(&mut writer, &format!("43/chat,{i}")).await;
    }
    writer
}

/// Sockets that stop reading while asking for big pages: each page of
/// `room` is 100 messages of 4,000 characters (400 KB). Without a bound in
/// bytes, every page asked for waits in the socket's queue (up to 256 of
/// them) until the heartbeat drops it: here 20 x 60 pages, about 480 MB.
const STALLED_READERS: usize = 20;
const PAGES_ASKED: usize = 60;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_that_stop_reading_pin_bounded_memory_in_bytes() {
    const HIGH: &str = "100000/s:100000";
    let server = Process::start(&[
        ("HUDDLE_HEARTBEAT_SECS", "30"),
        ("HUDDLE_SEND_LIMIT", HIGH),
        ("HUDDLE_CLIENT_SEND_LIMIT", HIGH),
        ("HUDDLE_READ_LIMIT", HIGH),
        ("HUDDLE_CLIENT_READ_LIMIT", HIGH),
    ])
    .await;
    let mut writer = big_room(server.addr).await;
    let mut observer = raw_chat(server.addr, "observer", None).await;
    let rss_before = server.rss_kib();
    let mut stalled = Vec::new();
    for i in 0..STALLED_READERS {
        let mut ws = raw_chat(server.addr, &format!("stalled{i}"), Some(4096)).await;
        for k in 0..PAGES_ASKED {
            let ask = json!(["history", {"room": "big", "limit": 100}]);
            ws.send(Message::text(format!("42/chat,{}{ask}", 100 + k)))
                .await
                .expect("the server reads what it is sent");
        }
        stalled.push(ws);
    }
    // What the server queued for them is at its height once it has
    // answered every request: sampled for a few seconds.
    let mut peak = rss_before;
    let until = Instant::now() + Duration::from_secs(6);
    while Instant::now() < until {
        peak = peak.max(server.rss_kib());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Everyone else's deliveries go on.
    let send = json!(["send-message", {"message": "still here", "room": "general"}]);
    writer
        .send(Message::text(format!("42/chat,500{send}")))
        .await
        .expect("send");
    let delivered = expect_frame(&mut observer, "42/chat,[\"new-message\"").await;
    assert!(delivered.contains("still here"), "{delivered}");
    let growth = peak.saturating_sub(rss_before);
    eprintln!(
        "{STALLED_READERS} readers that stopped reading, {PAGES_ASKED} pages of 400 KB asked each: \
         server RSS {rss_before} KiB before, {peak} KiB at peak (+{growth} KiB)"
    );
    // The bound: what each may have queued (HUDDLE_MAX_UNREAD_BYTES, 1 MiB
    // by default) and the one reply in its writer's hands, for each of the
    // 20, plus allocator slack.
    assert!(
        growth < 64 * 1024,
        "{STALLED_READERS} stalled readers grew the server by {growth} KiB"
    );
    drop(stalled);
}

/// A socket that asks for pages without reading them is refused, with a
/// reason, once what waits for it passes the bound; its later reads cost
/// the server nothing. Read afterwards, its acks are pages and refusals.
#[tokio::test]
async fn a_socket_that_asks_without_reading_is_told_to_read_first() {
    let app = crate::helpers::spawn_app().await;
    let _writer = big_room(app.addr).await;
    let mut ws = raw_chat(app.addr, "asker", Some(4096)).await;
    const ASKED: usize = 40;
    for k in 0..ASKED {
        let ask = json!(["history", {"room": "big", "limit": 100}]);
        ws.send(Message::text(format!("42/chat,{}{ask}", 1000 + k)))
            .await
            .expect("send");
    }
    // Only now does it read: every ask was answered before it did.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (mut pages, mut refused) = (0, 0);
    for k in 0..ASKED {
        let ack = expect_frame(&mut ws, &format!("43/chat,{}", 1000 + k)).await;
        if ack.contains("\"messages\"") {
            pages += 1;
        } else {
            assert!(
                ack.contains("KiB sent to you is still unread: read it, then ask again"),
                "{ack}"
            );
            refused += 1;
        }
    }
    eprintln!("{pages} pages, then {refused} refusals");
    assert!(refused > 0 && pages > 0, "{pages} pages, {refused} refused");
    // Read up, it is served again.
    let ask = json!(["history", {"room": "big", "limit": 100}]);
    ws.send(Message::text(format!("42/chat,2000{ask}")))
        .await
        .expect("send");
    assert!(expect_frame(&mut ws, "43/chat,2000")
        .await
        .contains("\"messages\""));
}
