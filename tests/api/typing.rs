//! `typing`: passed on to the others in a room or to the other person of
//! a direct conversation, never to the sender, never stored; at most one
//! per socket and conversation per `TYPING_EVERY_MS`; refused with a
//! reason to whoever may not read the conversation, and for bad payloads.
//! (The cluster case is in cluster/typing.rs.)

use crate::helpers::{spawn_app, whole_history, Sock, TestApp};
use huddle::protocol::limits::TYPING_EVERY_MS;
use huddle::protocol::typing::{ROOM_OR_WITH, TYPING_NOTED};
use serde_json::{json, Value};
use std::time::Duration;

fn ok(ack: &Value) {
    assert_eq!(ack["status"], "ok", "{ack}");
    assert_eq!(ack["message"], TYPING_NOTED, "{ack}");
}

fn refused(ack: &Value) -> String {
    assert_eq!(ack["status"], "error", "{ack}");
    ack["message"].as_str().unwrap_or_default().to_owned()
}

/// A guest `name` joined and in `room`.
async fn in_room(app: &TestApp, name: &str, room: &str) -> Sock {
    let s = app.joined(name).await;
    let ack = s.request("join-room", json!({ "room": room })).await;
    assert_eq!(ack["status"], "ok", "{ack}");
    s
}

/// An account `name` with a joined socket.
async fn account(app: &TestApp, name: &str) -> (Sock, String) {
    let token = app.register(name).await["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let s = signed_in(app, &token, name).await;
    (s, token)
}

async fn signed_in(app: &TestApp, token: &str, name: &str) -> Sock {
    let s = app.chat_as(token).await;
    let ack = s.request("join", json!({ "username": name })).await;
    assert_eq!(ack["status"], "ok", "{ack}");
    s
}

#[tokio::test]
async fn typing_in_a_room_reaches_the_others_in_it_only() {
    let app = spawn_app().await;
    let mut ann = in_room(&app, "ann", "dev").await;
    let mut bob = in_room(&app, "bob", "dev").await;
    let mut cy = app.joined("cy").await;

    ok(&ann.request("typing", json!({"room": "dev"})).await);
    let typing = bob.next("typing").await;
    assert_eq!(typing, json!({"room": "dev", "username": "ann"}));
    ann.assert_no("typing").await;
    cy.assert_no("typing").await;
    // Never stored.
    assert!(whole_history(&bob, "dev").await.is_empty());

    // general: everyone joined is in it.
    ok(&bob.request("typing", json!({"room": "general"})).await);
    assert_eq!(
        cy.next("typing").await,
        json!({"room": "general", "username": "bob"})
    );
    assert_eq!(ann.next("typing").await["username"], "bob");
    bob.assert_no("typing").await;
}

#[tokio::test]
async fn a_second_typing_within_the_interval_is_acked_but_not_passed_on() {
    let app = spawn_app().await;
    let ann = in_room(&app, "ann", "dev").await;
    let mut bob = in_room(&app, "bob", "dev").await;

    ok(&ann.request("typing", json!({"room": "dev"})).await);
    ok(&ann.request("typing", json!({"room": "dev"})).await);
    ok(&ann.request("typing", json!({"room": "dev"})).await);
    bob.next("typing").await;
    bob.assert_no("typing").await;
    // Another conversation has its own interval.
    ok(&ann.request("typing", json!({"room": "general"})).await);
    assert_eq!(bob.next("typing").await["room"], "general");
    // Once the interval is over, it is passed on again.
    tokio::time::sleep(Duration::from_millis(TYPING_EVERY_MS + 100)).await;
    ok(&ann.request("typing", json!({"room": "dev"})).await);
    assert_eq!(bob.next("typing").await["room"], "dev");
}

#[tokio::test]
async fn who_may_not_read_a_room_is_refused_and_no_one_is_told() {
    let app = spawn_app().await;
    let (own, _) = account(&app, "own").await;
    let ack = own
        .request("create-room", json!({"room": "priv", "private": true}))
        .await;
    assert_eq!(ack["status"], "ok", "{ack}");
    let ack = own.request("join-room", json!({"room": "priv"})).await;
    assert_eq!(ack["status"], "ok", "{ack}");
    let mut own = own;
    let (eve, _) = account(&app, "eve").await;
    let guest = app.joined("guest").await;

    // Not a member (the same words whether the room exists or not).
    let priv_refusal = refused(&eve.request("typing", json!({"room": "priv"})).await);
    let none_refusal = refused(&eve.request("typing", json!({"room": "nowhere"})).await);
    assert_eq!(
        priv_refusal,
        "typing: you are not in priv: join it first (join-room)"
    );
    assert_eq!(
        none_refusal,
        "typing: you are not in nowhere: join it first (join-room)"
    );
    refused(&guest.request("typing", json!({"room": "priv"})).await);
    // A room it may read but is not in.
    refused(&eve.request("typing", json!({"room": "dev"})).await);
    own.assert_no("typing").await;

    // Not joined yet.
    let fresh = app.chat().await;
    assert_eq!(
        refused(&fresh.request("typing", json!({"room": "general"})).await),
        "You need to join first"
    );
}

#[tokio::test]
async fn typing_to_a_person_reaches_their_sockets_only() {
    let app = spawn_app().await;
    let (ann1, ann_token) = account(&app, "ann").await;
    let mut ann2 = signed_in(&app, &ann_token, "ann").await;
    let (mut bob1, bob_token) = account(&app, "bob").await;
    let mut bob2 = signed_in(&app, &bob_token, "bob").await;
    let (mut cy, _) = account(&app, "cy").await;
    let mut ann1 = ann1;

    ok(&ann1.request("typing", json!({"with": "BOB"})).await);
    for bob in [&mut bob1, &mut bob2] {
        assert_eq!(
            bob.next("typing").await,
            json!({"with": "ann", "username": "ann"})
        );
    }
    ann1.assert_no("typing").await;
    ann2.assert_no("typing").await;
    cy.assert_no("typing").await;
    // Never stored.
    let page = bob1.request("dm-history", json!({"with": "ann"})).await;
    assert_eq!(page["messages"], json!([]), "{page}");

    // Guests have no direct messages; a name no account has is refused.
    let guest = app.joined("guest").await;
    assert_eq!(
        refused(&guest.request("typing", json!({"with": "bob"})).await),
        "Log in to use direct messages"
    );
    assert_eq!(
        refused(&ann1.request("typing", json!({"with": "nobody"})).await),
        "typing: no registered user is named nobody"
    );
    // Typing to oneself tells no one.
    ok(&ann1.request("typing", json!({"with": "ann"})).await);
    ann2.assert_no("typing").await;
    bob1.assert_no("typing").await;
}

#[tokio::test]
async fn bad_payloads_are_refused_with_a_reason() {
    let app = spawn_app().await;
    let mut ann = in_room(&app, "ann", "dev").await;
    let mut bob = in_room(&app, "bob", "dev").await;
    for (payload, reason) in [
        (json!({}), format!("typing: {ROOM_OR_WITH}")),
        (
            json!({"room": "dev", "with": "bob"}),
            format!("typing: {ROOM_OR_WITH}"),
        ),
        (
            json!("dev"),
            "typing: payload must be a JSON object, got a string".to_owned(),
        ),
        (
            json!({"room": 5}),
            "typing: room must be a string, got 5".to_owned(),
        ),
        (
            json!({"room": ""}),
            "typing: room must not be empty".to_owned(),
        ),
    ] {
        let ack = ann.request("typing", payload.clone()).await;
        assert_eq!(refused(&ack), reason, "{payload}");
    }
    let ack = ann.request_args("typing", vec![]).await;
    refused(&ack);
    bob.assert_no("typing").await;
    // Still usable afterwards.
    ok(&ann.request("typing", json!({"room": "dev"})).await);
    bob.next("typing").await;
    ann.assert_no("typing").await;
}
