//! Malformed input: a clear error, and nothing changes on the server.

use crate::helpers::{spawn_app, users};
use serde_json::{json, Value};

fn error(message: &str) -> Value {
    json!({"status": "error", "message": message})
}

#[tokio::test]
async fn bad_joins_are_refused_and_leave_no_user_behind() {
    let app = spawn_app().await;
    let mut s = app.chat().await;
    let mut watcher = app.chat().await;
    let long = "x".repeat(33);
    let cases: Vec<(Vec<Value>, &str)> = vec![
        (vec![], "join: missing payload, expected a JSON object"),
        (vec![json!({})], "join: missing field `username`"),
        (
            vec![json!(null)],
            "join: payload must be a JSON object, got null",
        ),
        (
            vec![json!("ann")],
            "join: payload must be a JSON object, got a string",
        ),
        (
            vec![json!([1])],
            "join: payload must be a JSON object, got an array",
        ),
        (
            vec![json!({"username": 5})],
            "join: username must be a string, got 5",
        ),
        (
            vec![json!({"username": null})],
            "join: username must be a string, got null",
        ),
        (
            vec![json!({"username": ""})],
            "join: username must not be empty",
        ),
        (
            vec![json!({"username": "   "})],
            "join: username must not be empty",
        ),
        (
            vec![json!({"username": long})],
            "join: username must be at most 32 characters (got 33)",
        ),
        (
            vec![json!({"username": "a\nb"})],
            "join: username must not contain control or invisible formatting characters",
        ),
        (
            vec![json!({"username": "ad\u{202E}min"})],
            "join: username must not contain control or invisible formatting characters",
        ),
    ];
    for (args, message) in cases {
        let ack = s.request_args("join", args.clone()).await;
        assert_eq!(ack, error(message), "{args:?}");
    }
    watcher.assert_no("user-joined").await;
    s.assert_no("user-joined").await;
    assert!(users(&s).await.is_empty(), "no user is left behind");
    // Still not joined: sending is refused.
    assert_eq!(
        s.request("send-message", json!({"message": "x"})).await,
        error("You need to join first")
    );
}

#[tokio::test]
async fn bad_messages_are_refused_and_not_delivered() {
    let app = spawn_app().await;
    let ann = app.joined("ann").await;
    let mut bob = app.joined("bob").await;
    let too_long = "m".repeat(4001);
    let long_room = "r".repeat(65);
    let cases: Vec<(Vec<Value>, &str)> = vec![
        (
            vec![],
            "send-message: missing payload, expected a JSON object",
        ),
        (
            vec![json!("hi")],
            "send-message: payload must be a JSON object, got a string",
        ),
        (vec![json!({})], "send-message: missing field `message`"),
        (
            vec![json!({"message": 5})],
            "send-message: message must be a string, got 5",
        ),
        (
            vec![json!({"message": ""})],
            "send-message: message must not be empty",
        ),
        (
            vec![json!({"message": " \n "})],
            "send-message: message must not be empty",
        ),
        (
            vec![json!({"message": too_long})],
            "send-message: message must be at most 4000 characters (got 4001)",
        ),
        (
            vec![json!({"message": "bell\u{7}"})],
            "send-message: message must not contain control or invisible formatting characters",
        ),
        (
            vec![json!({"message": "x", "room": 5})],
            "send-message: room must be a string, got 5",
        ),
        (
            vec![json!({"message": "x", "room": long_room})],
            "send-message: room must be at most 64 characters (got 65)",
        ),
        (
            vec![json!({"message": "x", "room": "a\tb"})],
            "send-message: room must not contain control or invisible formatting characters",
        ),
    ];
    for (args, message) in cases {
        let ack = ann.request_args("send-message", args.clone()).await;
        assert_eq!(ack, error(message), "{args:?}");
    }
    bob.assert_no("new-message").await;
    // The longest valid message goes through.
    let ok = ann
        .request("send-message", json!({"message": "m".repeat(4000)}))
        .await;
    assert_eq!(ok["status"], "ok");
    assert_eq!(
        bob.next("new-message").await["message"]
            .as_str()
            .map(str::len),
        Some(4000)
    );
}

#[tokio::test]
async fn bad_rooms_are_refused() {
    let app = spawn_app().await;
    let ann = app.joined("ann").await;
    for event in ["join-room", "leave-room"] {
        let cases: Vec<(Vec<Value>, String)> = vec![
            (
                vec![],
                format!("{event}: missing payload, expected a JSON object"),
            ),
            (vec![json!({})], format!("{event}: missing field `room`")),
            (
                vec![json!({"room": ""})],
                format!("{event}: room must not be empty"),
            ),
            (
                vec![json!({"room": 1})],
                format!("{event}: room must be a string, got 1"),
            ),
            (
                vec![json!({"room": "r".repeat(65)})],
                format!("{event}: room must be at most 64 characters (got 65)"),
            ),
        ];
        for (args, message) in cases {
            let ack = ann.request_args(event, args.clone()).await;
            assert_eq!(ack, error(&message), "{args:?}");
        }
    }
}

#[tokio::test]
async fn errors_without_an_ack_callback_come_as_exception() {
    let app = spawn_app().await;
    let mut ann = app.joined("ann").await;
    ann.emit("send-message", json!({"message": ""})).await;
    assert_eq!(
        ann.next("exception").await,
        error("send-message: message must not be empty")
    );
    ann.emit_bare("join").await;
    assert_eq!(
        ann.next("exception").await,
        error("join: missing payload, expected a JSON object")
    );
    // The socket still works and kept its name.
    assert_eq!(users(&ann).await, ["ann"]);
}

#[tokio::test]
async fn unknown_events_are_named_in_the_error() {
    let app = spawn_app().await;
    let ann = app.joined("ann").await;
    let ack = ann.request("sendMessage", json!({"message": "x"})).await;
    assert_eq!(ack, error("Unknown event \"sendMessage\" on /chat"));
}

#[tokio::test]
async fn an_oversized_frame_closes_only_that_connection() {
    let app = spawn_app().await;
    let flooder = app.joined("flooder").await;
    let mut bob = app.joined("bob").await;
    // 100 KB: above the 64 KiB WebSocket message limit.
    let huge = "x".repeat(100 * 1024);
    let _ = flooder
        .client
        .emit(
            "send-message",
            rust_socketio::Payload::Text(vec![json!({"message": huge})]),
        )
        .await;
    assert_eq!(bob.next("user-left").await["username"], "flooder");
    bob.assert_no("new-message").await;
    // Everyone else carries on.
    let carol = app.joined("carol").await;
    carol
        .request("send-message", json!({"message": "still here"}))
        .await;
    assert_eq!(bob.next("new-message").await["message"], "still here");
}
