//! Raw Engine.IO over WebSocket, for tests that need a client to do what
//! a socket.io library never does: stop reading, or leave a namespace while
//! keeping its Engine.IO session open.

use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

pub type Ws = WebSocketStream<TcpStream>;

/// Reads text frames until one starts with `prefix`, answering pings.
pub async fn expect_frame(ws: &mut Ws, prefix: &str) -> String {
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

/// An Engine.IO session over WebSocket with a `/chat` socket on it. A
/// `recv_buffer` makes its kernel receive buffer small, so that it fills
/// fast once the client stops reading.
pub async fn open_chat(addr: SocketAddr, recv_buffer: Option<u32>) -> Ws {
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
    ws
}

/// An Engine.IO session over WebSocket that entered `/chat` and left it
/// again (a socket.io `disconnect` of the namespace), keeping the session.
pub async fn session_that_left_chat(addr: SocketAddr) -> Ws {
    let mut ws = open_chat(addr, None).await;
    ws.send(Message::text("41/chat,")).await.expect("send");
    ws
}
