//! `/notifications` and the server-side notifier.

use crate::helpers::{spawn_app, Sock, TransportType};
use huddle::protocol::notifications::UserId;
use serde_json::json;

#[tokio::test]
async fn the_notifier_reaches_exactly_the_subscribed_user() {
    let app = spawn_app().await;
    let mut u42 = Sock::connect(&app, "/notifications", TransportType::Websocket).await;
    let mut u7 = Sock::connect(&app, "/notifications", TransportType::Websocket).await;
    let mut chat = app.joined("ann").await;

    let ack = u42
        .request("subscribe-to-notifications", json!({"userId": 42}))
        .await;
    assert_eq!(
        ack,
        json!({"status": "ok", "message": "Subscribed to notifications for user 42"})
    );
    let ack = u7
        .request("subscribe-to-notifications", json!({"userId": "7"}))
        .await;
    assert_eq!(
        ack,
        json!({"status": "ok", "message": "Subscribed to notifications for user 7"})
    );

    let payload = json!({"kind": "dm", "from": "ann", "text": "ping"});
    app.state
        .io
        .notify(&UserId::parse("42").unwrap(), &payload)
        .await
        .expect("notify");
    assert_eq!(u42.next("notification").await, payload);
    // Then one for user 7: the first notification on u7's socket is that
    // one, so the one for 42 did not reach it.
    let for_7 = json!({"kind": "dm", "from": "ann", "text": "for 7"});
    app.state
        .io
        .notify(&UserId::parse("7").unwrap(), &for_7)
        .await
        .expect("notify");
    assert_eq!(u7.next("notification").await, for_7);
    // The chat socket gets a room message sent after both, and no
    // notification before it.
    let ack = chat
        .request("send-message", json!({"message": "after"}))
        .await;
    assert_eq!(ack["status"], "ok", "{ack}");
    let (message, before) = chat.until("new-message").await;
    assert_eq!(message["message"], "after");
    assert!(
        before.iter().all(|(e, _)| e != "notification"),
        "{before:?}"
    );
}

#[tokio::test]
async fn every_socket_of_a_user_is_notified() {
    let app = spawn_app().await;
    let mut tab1 = Sock::connect(&app, "/notifications", TransportType::Websocket).await;
    let mut tab2 = Sock::connect(&app, "/notifications", TransportType::Polling).await;
    for tab in [&tab1, &tab2] {
        tab.request("subscribe-to-notifications", json!({"userId": "u-1"}))
            .await;
    }
    app.state
        .io
        .notify(&UserId::parse("u-1").unwrap(), "hello")
        .await
        .expect("notify");
    assert_eq!(tab1.next("notification").await, json!("hello"));
    assert_eq!(tab2.next("notification").await, json!("hello"));
}

#[tokio::test]
async fn bad_subscriptions_are_refused() {
    let app = spawn_app().await;
    let s = Sock::connect(&app, "/notifications", TransportType::Websocket).await;
    for (payload, message) in [
        (
            None,
            "subscribe-to-notifications: missing payload, expected a JSON object",
        ),
        (
            Some(json!({})),
            "subscribe-to-notifications: missing field `userId`",
        ),
        (
            Some(json!({"userId": ""})),
            "subscribe-to-notifications: userId must not be empty",
        ),
        (
            Some(json!({"userId": true})),
            "subscribe-to-notifications: userId must be a string or an integer, got a boolean",
        ),
        (
            Some(json!({"userId": 1.5})),
            "subscribe-to-notifications: userId must be a string or an integer, got a number",
        ),
        (
            Some(json!({"userId": "a b"})),
            "subscribe-to-notifications: userId must not contain whitespace or control characters",
        ),
        (
            Some(json!({"userId": "u".repeat(65)})),
            "subscribe-to-notifications: userId must be at most 64 characters",
        ),
    ] {
        let ack = s
            .request_args("subscribe-to-notifications", payload.into_iter().collect())
            .await;
        assert_eq!(ack, json!({"status": "error", "message": message}));
    }
}
