//! The three client modes: long-polling only, WebSocket only, and polling
//! upgraded to WebSocket (socket.io-client's default).

use crate::helpers::{spawn_app, Sock, TestApp, TransportType, WAIT};
use serde_json::json;
use socketioxide::TransportType as ServerTransport;

/// The transport of every `/chat` socket, as the server sees it.
fn server_transports(app: &TestApp) -> Vec<ServerTransport> {
    app.state.io.transports("/chat")
}

/// Chats over `transport`; the server sees both sockets on `seen` (an
/// upgrade happens after the connect: waited for).
async fn chat_over(transport: TransportType, seen: ServerTransport) {
    let app = spawn_app().await;
    let mut ann = Sock::connect(&app, "/chat", transport.clone()).await;
    let bob = Sock::connect(&app, "/chat", transport).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while server_transports(&app) != [seen, seen] {
        assert!(
            tokio::time::Instant::now() < deadline,
            "sockets on {:?}, not {seen:?}",
            server_transports(&app)
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        ann.request("join", json!({"username": "ann"})).await["message"],
        "Welcome ann!"
    );
    bob.request("join", json!({"username": "bob"})).await;
    assert_eq!(ann.next("user-joined").await["username"], "ann");
    assert_eq!(ann.next("user-joined").await["username"], "bob");
    ann.request("join-room", json!({"room": "dev"})).await;
    bob.request("join-room", json!({"room": "dev"})).await;
    bob.request(
        "send-message",
        json!({"message": "over the wire", "room": "dev"}),
    )
    .await;
    let m = ann.next("new-message").await;
    assert_eq!(
        (m["username"].as_str(), m["room"].as_str()),
        (Some("bob"), Some("dev"))
    );
    bob.disconnect().await;
    assert_eq!(ann.next("user-left").await["username"], "bob");
}

#[tokio::test]
async fn long_polling_only() {
    chat_over(TransportType::Polling, ServerTransport::Polling).await;
}

#[tokio::test]
async fn websocket_only() {
    chat_over(TransportType::Websocket, ServerTransport::Websocket).await;
}

#[tokio::test]
async fn polling_then_upgrade() {
    chat_over(TransportType::WebsocketUpgrade, ServerTransport::Websocket).await;
}

#[tokio::test]
async fn clients_on_different_transports_talk() {
    let app = spawn_app().await;
    let mut polling = Sock::connect(&app, "/chat", TransportType::Polling).await;
    let ws = Sock::connect(&app, "/chat", TransportType::Websocket).await;
    polling.request("join", json!({"username": "poll"})).await;
    ws.request("join", json!({"username": "sock"})).await;
    ws.request("send-message", json!({"message": "hi poll"}))
        .await;
    assert_eq!(polling.next("new-message").await["message"], "hi poll");
}
