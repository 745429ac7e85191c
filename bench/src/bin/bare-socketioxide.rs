//! bare-socketioxide: the tutorial's chat gateway written as plainly as
//! socketioxide allows, to measure what the library alone costs.
//!
//! It is a yardstick for `huddle-load`, not a product: no accounts, no
//! validation beyond deserialising, no storage, no limits, every option at
//! socketioxide's default (the "naive use of its library" the load-benchmark
//! issue compares Huddle with). Running Huddle, this server and the NestJS
//! server under the same load separates the cost of the library (this
//! server) from the cost of what Huddle adds (Huddle minus this server).
//!
//! ```text
//! cargo build --release -p huddle-bench --bin bare-socketioxide
//! target/release/bare-socketioxide --addr 127.0.0.1:3200 [--nodelay]
//! ```

use clap::Parser;
use serde::Deserialize;
use serde_json::json;
use socketioxide::extract::{AckSender, Data, SocketRef, State};
use socketioxide::SocketIo;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Parser, Debug)]
#[command(
    name = "bare-socketioxide",
    about = "The tutorial's /chat gateway on socketioxide with default settings (a benchmark baseline)"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3200")]
    addr: std::net::SocketAddr,
    /// Set TCP_NODELAY on accepted connections (Huddle does; axum's
    /// default does not).
    #[arg(long)]
    nodelay: bool,
}

/// socket id -> username, as the tutorial's `users` map.
#[derive(Clone, Default)]
struct Users(Arc<Mutex<HashMap<socketioxide::socket::Sid, String>>>);

impl Users {
    fn name(&self, s: &SocketRef) -> Option<String> {
        self.0.lock().ok()?.get(&s.id).cloned()
    }
}

#[derive(Deserialize)]
struct JoinData {
    username: String,
}
#[derive(Deserialize)]
struct RoomData {
    room: String,
}
#[derive(Deserialize)]
struct SendData {
    message: String,
    room: Option<String>,
}

fn not_joined(ack: AckSender) {
    let _ = ack.send(&json!({"status": "error", "message": "You need to join first"}));
}

async fn on_connect(s: SocketRef) {
    s.on(
        "join",
        async |s: SocketRef, Data(d): Data<JoinData>, ack: AckSender, State(users): State<Users>| {
            if let Ok(mut map) = users.0.lock() {
                map.insert(s.id, d.username.clone());
            }
            s.join("general");
            let _ = s
                .broadcast()
                .emit(
                    "user-joined",
                    &json!({"username": d.username, "message": format!("{} has joined the chat", d.username)}),
                )
                .await;
            let _ = ack.send(&json!({"status": "ok", "message": format!("Welcome {}!", d.username)}));
        },
    );
    s.on(
        "send-message",
        async |s: SocketRef, Data(d): Data<SendData>, ack: AckSender, State(users): State<Users>| {
            let Some(username) = users.name(&s) else {
                return not_joined(ack);
            };
            let room = d.room.filter(|r| !r.is_empty()).unwrap_or_else(|| "general".into());
            let timestamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            let _ = s
                .within(room.clone())
                .emit(
                    "new-message",
                    &json!({"username": username, "message": d.message, "timestamp": timestamp, "room": room}),
                )
                .await;
            let _ = ack.send(&json!({"status": "ok", "message": "Message sent"}));
        },
    );
    s.on(
        "join-room",
        // The one departure from the tutorial: no "join first" check here.
        // socketioxide runs every event in its own task, so a `join-room`
        // sent right behind `join` (as huddle-load does) may run first.
        async |s: SocketRef, Data(d): Data<RoomData>, ack: AckSender| {
            s.join(d.room.clone());
            let _ =
                ack.send(&json!({"status": "ok", "message": format!("Joined room {}", d.room)}));
        },
    );
    s.on(
        "leave-room",
        async |s: SocketRef,
               Data(d): Data<RoomData>,
               ack: AckSender,
               State(users): State<Users>| {
            if users.name(&s).is_none() {
                return not_joined(ack);
            }
            s.leave(d.room.clone());
            let _ = ack.send(&json!({"status": "ok", "message": format!("Left room {}", d.room)}));
        },
    );
    s.on(
        "get-users",
        async |ack: AckSender, State(users): State<Users>| {
            let list: Vec<String> = users
                .0
                .lock()
                .map(|m| m.values().cloned().collect())
                .unwrap_or_default();
            let _ = ack.send(&json!({"status": "ok", "users": list}));
        },
    );
    s.on_disconnect(async |s: SocketRef, State(users): State<Users>| {
        let name = users.0.lock().ok().and_then(|mut m| m.remove(&s.id));
        if let Some(username) = name {
            let _ = s
                .broadcast()
                .emit(
                    "user-left",
                    &json!({"username": username, "message": format!("{username} has left the chat")}),
                )
                .await;
        }
    });
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    println!("bare-socketioxide listening on {}", args.addr);
    // Ctrl-C (or SIGINT) ends it cleanly, so profilers get to write out.
    serve(listener, args.nodelay, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

async fn serve(
    listener: tokio::net::TcpListener,
    nodelay: bool,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (layer, io) = SocketIo::builder()
        .with_state(Users::default())
        .build_layer();
    io.ns("/chat", on_connect);
    let app = axum::Router::new().layer(layer);
    if nodelay {
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
    } else {
        axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
    }
}

use axum::serve::ListenerExt;

#[cfg(test)]
mod tests {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

    /// The next text frame that is not a ping.
    async fn next_text(ws: &mut Ws) -> String {
        loop {
            let frame = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next())
                .await
                .expect("a frame within 5 s")
                .expect("an open socket")
                .expect("a valid frame");
            if let Message::Text(t) = frame {
                if t.as_str() != "2" {
                    return t.as_str().to_owned();
                }
            }
        }
    }

    /// Sends one text frame, returns the next one that comes back.
    async fn request(ws: &mut Ws, frame: &str) -> String {
        ws.send(Message::text(frame)).await.expect("send");
        next_text(ws).await
    }

    #[tokio::test]
    async fn it_speaks_the_tutorial_chat() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("an address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(super::serve(listener, true, async {
            let _ = stopped.await;
        }));
        let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
        let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (mut ws, _) = tokio_tungstenite::client_async(url, tcp)
            .await
            .expect("handshake");
        assert!(
            next_text(&mut ws).await.starts_with('0'),
            "the Engine.IO open packet"
        );
        assert!(request(&mut ws, "40/chat,").await.starts_with("40/chat,"));
        assert!(
            request(&mut ws, r#"42/chat,1["send-message",{"message":"early"}]"#)
                .await
                .contains("You need to join first")
        );
        assert!(request(&mut ws, r#"42/chat,2["join",{"username":"ann"}]"#)
            .await
            .starts_with("43/chat,2[{"));
        assert!(
            request(&mut ws, r#"42/chat,3["join-room",{"room":"blue"}]"#)
                .await
                .contains("Joined room blue")
        );
        ws.send(Message::text(
            r#"42/chat,4["send-message",{"message":"hello","room":"blue"}]"#,
        ))
        .await
        .expect("send");
        let (a, b) = (next_text(&mut ws).await, next_text(&mut ws).await);
        let message = [&a, &b]
            .into_iter()
            .find(|f| f.starts_with("42/chat,[\"new-message\""))
            .expect("the room's new-message");
        let payload: serde_json::Value =
            serde_json::from_str(&message["42/chat,".len()..]).expect("JSON");
        assert_eq!(payload[1]["username"], "ann");
        assert_eq!(payload[1]["message"], "hello");
        assert_eq!(payload[1]["room"], "blue");
        assert!([&a, &b].into_iter().any(|f| f.contains("Message sent")));

        let _ = stop.send(());
        drop(ws);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), server).await;
    }
}
