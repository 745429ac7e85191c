//! Every row of the `/chat` table of shared/spec/tutorial-protocol.md.

use crate::helpers::{spawn_app, users, TransportType};
use serde_json::json;

#[tokio::test]
async fn join_acks_and_tells_every_chat_socket() {
    let app = spawn_app().await;
    let mut bob = app.joined("bob").await;
    let mut lurker = app.chat().await; // connected, never joined
    let mut ann = app.chat().await;

    let ack = ann.request("join", json!({"username": "ann"})).await;
    assert_eq!(ack, json!({"status": "ok", "message": "Welcome ann!"}));

    let expected = json!({"username": "ann", "message": "ann has joined the chat"});
    assert_eq!(ann.next("user-joined").await, expected);
    assert_eq!(bob.next("user-joined").await, expected);
    assert_eq!(lurker.next("user-joined").await, expected);
    assert_eq!(users(&ann).await, ["bob", "ann"]);
}

#[tokio::test]
async fn a_second_join_renames_the_socket() {
    let app = spawn_app().await;
    let mut ann = app.joined("ann").await;
    let mut bob = app.joined("bob").await;
    ann.next("user-joined").await; // bob's

    let ack = ann.request("join", json!({"username": "anna"})).await;
    assert_eq!(ack, json!({"status": "ok", "message": "Welcome anna!"}));
    assert_eq!(bob.next("user-joined").await["username"], "anna");
    assert_eq!(users(&bob).await, ["anna", "bob"]);
}

#[tokio::test]
async fn nothing_but_join_and_get_users_works_before_joining() {
    let app = spawn_app().await;
    let mut member = app.joined("member").await;
    let stranger = app.chat().await;
    let join_first = json!({"status": "error", "message": "You need to join first"});
    for (event, payload) in [
        ("send-message", json!({"message": "hi"})),
        ("join-room", json!({"room": "dev"})),
        ("leave-room", json!({"room": "dev"})),
    ] {
        assert_eq!(
            stranger.request(event, payload).await,
            join_first,
            "{event}"
        );
    }
    member.assert_no("new-message").await;
    assert_eq!(users(&stranger).await, ["member"]);
}

#[tokio::test]
async fn messages_reach_the_room_with_a_timestamp() {
    let app = spawn_app().await;
    let mut ann = app.joined("ann").await;
    let mut bob = app.joined("bob").await;

    let ack = ann
        .request("send-message", json!({"message": "hello"}))
        .await;
    assert_eq!(ack["status"], "ok");
    assert_eq!(ack["message"], "Message sent");
    assert!(ack["id"].is_i64() && ack["seq"].is_i64(), "{ack}");
    // The sender is in general: it got new-message before its ack.
    let before_ack: Vec<_> = ann
        .drain()
        .into_iter()
        .filter(|(n, _)| n == "new-message")
        .collect();
    assert_eq!(
        before_ack.len(),
        1,
        "the sender's copy arrives before the ack"
    );

    let m = bob.next("new-message").await;
    assert_eq!(m["username"], "ann");
    assert_eq!(m["message"], "hello");
    assert_eq!(m["room"], "general");
    let ts = m["timestamp"].as_str().expect("timestamp is a string");
    assert!(is_iso_millis_utc(ts), "{ts}");
}

fn is_iso_millis_utc(ts: &str) -> bool {
    // 2026-11-25T19:08:57.123Z
    let b = ts.as_bytes();
    ts.len() == 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z'
        && ts.chars().filter(char::is_ascii_digit).count() == 17
        && chrono::DateTime::parse_from_rfc3339(ts).is_ok()
}

#[tokio::test]
async fn a_missing_empty_or_null_room_means_general() {
    let app = spawn_app().await;
    let ann = app.joined("ann").await;
    let mut bob = app.joined("bob").await;
    for payload in [
        json!({"message": "a"}),
        json!({"message": "b", "room": ""}),
        json!({"message": "c", "room": null}),
    ] {
        assert_eq!(ann.request("send-message", payload).await["status"], "ok");
        assert_eq!(bob.next("new-message").await["room"], "general");
    }
}

#[tokio::test]
async fn rooms_scope_messages_and_sending_needs_no_membership() {
    let app = spawn_app().await;
    let mut ann = app.joined("ann").await;
    let mut bob = app.joined("bob").await;
    let ack = bob.request("join-room", json!({"room": "dev"})).await;
    assert_eq!(ack, json!({"status": "ok", "message": "Joined room dev"}));

    // ann is not in dev: she may send there, but does not get the copy.
    let ack = ann
        .request("send-message", json!({"message": "to dev", "room": "dev"}))
        .await;
    assert_eq!(ack["status"], "ok");
    let m = bob.next("new-message").await;
    assert_eq!(
        (m["room"].as_str(), m["message"].as_str()),
        (Some("dev"), Some("to dev"))
    );
    ann.assert_no("new-message").await;
}

#[tokio::test]
async fn joining_a_room_twice_delivers_once() {
    let app = spawn_app().await;
    let ann = app.joined("ann").await;
    let mut bob = app.joined("bob").await;
    for _ in 0..2 {
        assert_eq!(
            bob.request("join-room", json!({"room": "dev"})).await["status"],
            "ok"
        );
    }
    ann.request("send-message", json!({"message": "once", "room": "dev"}))
        .await;
    bob.next("new-message").await;
    bob.assert_no("new-message").await;
}

#[tokio::test]
async fn leaving_a_room_stops_its_messages_and_always_acks() {
    let app = spawn_app().await;
    let ann = app.joined("ann").await;
    let mut bob = app.joined("bob").await;
    bob.request("join-room", json!({"room": "dev"})).await;
    let ack = bob.request("leave-room", json!({"room": "dev"})).await;
    assert_eq!(ack, json!({"status": "ok", "message": "Left room dev"}));
    let ack = bob
        .request("leave-room", json!({"room": "never-joined"}))
        .await;
    assert_eq!(
        ack,
        json!({"status": "ok", "message": "Left room never-joined"})
    );

    let ack = ann
        .request("send-message", json!({"message": "gone", "room": "dev"}))
        .await;
    assert_eq!(ack["status"], "ok", "{ack}");
    // A message to general after it reaches Bob first.
    let ack = ann
        .request("send-message", json!({"message": "still here"}))
        .await;
    assert_eq!(ack["status"], "ok", "{ack}");
    assert_eq!(bob.next("new-message").await["message"], "still here");
}

#[tokio::test]
async fn a_send_without_ack_callback_is_delivered() {
    let app = spawn_app().await;
    let ann = app.joined("ann").await;
    let mut bob = app.joined("bob").await;
    ann.emit("send-message", json!({"message": "no ack wanted"}))
        .await;
    assert_eq!(bob.next("new-message").await["message"], "no ack wanted");
}

#[tokio::test]
async fn get_users_takes_an_optional_payload_and_lists_duplicates() {
    let app = spawn_app().await;
    let s1 = app.joined("sam").await;
    let _s2 = app.joined("sam").await;
    let bare = s1.request_args("get-users", vec![]).await;
    assert_eq!(bare, json!({"status": "ok", "users": ["sam", "sam"]}));
    let odd = s1.request("get-users", json!("whatever")).await;
    assert_eq!(odd, json!({"status": "ok", "users": ["sam", "sam"]}));
}

#[tokio::test]
async fn a_joined_socket_that_leaves_is_announced_and_unlisted() {
    let app = spawn_app().await;
    let ann = app.joined("ann").await;
    let mut bob = app.joined("bob").await;
    ann.disconnect().await;
    assert_eq!(
        bob.next("user-left").await,
        json!({"username": "ann", "message": "ann has left the chat"})
    );
    assert_eq!(users(&bob).await, ["bob"]);
}

#[tokio::test]
async fn a_socket_that_never_joined_leaves_silently() {
    let app = spawn_app().await;
    let mut bob = app.joined("bob").await;
    let stranger = app.chat().await;
    stranger.disconnect().await;
    // Someone who joined leaves after the stranger: Bob's first user-left.
    let ann = app.joined("ann").await;
    ann.disconnect().await;
    let (left, before) = bob.until("user-left").await;
    assert_eq!(left["username"], "ann");
    assert!(before.iter().all(|(e, _)| e != "user-left"), "{before:?}");
    assert_eq!(users(&bob).await, ["bob"]);
}

#[tokio::test]
async fn chat_traffic_does_not_reach_notifications_sockets() {
    let app = spawn_app().await;
    let mut notif =
        crate::helpers::Sock::connect(&app, "/notifications", TransportType::Websocket).await;
    let ack = notif
        .request("subscribe-to-notifications", json!({"userId": "u-9"}))
        .await;
    assert_eq!(ack["status"], "ok", "{ack}");
    let ann = app.joined("ann").await;
    let ack = ann.request("send-message", json!({"message": "hi"})).await;
    assert_eq!(ack["status"], "ok", "{ack}");
    let ack = ann
        .request(
            "protected-message",
            json!({"message": "p", "token": app.token().await}),
        )
        .await;
    assert_eq!(ack["status"], "ok", "{ack}");
    // A notification sent after the chat traffic is the first thing the
    // /notifications socket receives.
    app.state
        .io
        .notify(
            &huddle::protocol::notifications::UserId::parse("u-9").unwrap(),
            "after",
        )
        .await
        .expect("notify");
    let (note, before) = notif.until("notification").await;
    assert_eq!(note, json!("after"));
    assert!(before.is_empty(), "{before:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_events_are_handled_in_order() {
    let app = spawn_app().await;
    let mut bob = app.joined("bob").await;
    let ann = app.chat().await;
    // join and 50 messages sent back to back, no waiting for acks.
    ann.emit("join", json!({"username": "ann"})).await;
    for i in 0..50 {
        ann.emit("send-message", json!({"message": format!("m{i}")}))
            .await;
    }
    for i in 0..50 {
        let m = bob.next("new-message").await;
        assert_eq!(m["message"], format!("m{i}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_right_before_disconnecting_leaves_no_ghost() {
    let app = spawn_app().await;
    let bob = app.joined("bob").await;
    for i in 0..10 {
        let s = app.chat().await;
        s.emit("join", json!({"username": format!("ghost{i}")}))
            .await;
        s.disconnect().await;
    }
    // Give the server a moment to handle the disconnects.
    let deadline = tokio::time::Instant::now() + crate::helpers::WAIT;
    loop {
        let now = users(&bob).await;
        if now == ["bob"] {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "ghost users remain: {now:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
