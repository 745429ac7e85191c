//! Read state (issue #15): where an account has read each room to is kept
//! by the server, the same on every socket and after a reload.

use crate::helpers::{joined_with, ok, refused, spawn_app, Sock};
use serde_json::{json, Value};

fn dev(state: &Value) -> Value {
    state["rooms"]
        .as_array()
        .and_then(|rooms| rooms.iter().find(|r| r["room"] == "dev").cloned())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_mark_reaches_every_socket_of_the_account_and_outlives_them() {
    let app = spawn_app().await;
    let session = app.register("ann").await;
    let token = session["token"].as_str().expect("a token").to_owned();
    let phone: Sock = joined_with(&app.url(), "ann", Some(&token)).await;
    let mut laptop = joined_with(&app.url(), "ann", Some(&token)).await;
    let bob_session = app.register("bob").await;
    let bob = joined_with(&app.url(), "bob", bob_session["token"].as_str()).await;
    for sock in [&phone, &laptop, &bob] {
        ok(sock.request("join-room", json!({"room": "dev"})).await);
    }
    for text in ["one", "two", "three"] {
        ok(bob
            .request("send-message", json!({"room": "dev", "message": text}))
            .await);
    }
    ok(phone
        .request("send-message", json!({"room": "dev", "message": "mine"}))
        .await);
    let state = ok(phone.request("read-state", json!({})).await);
    assert_eq!(
        dev(&state),
        json!({"room": "dev", "lastSeq": 4, "lastRead": 0, "unread": 3}),
        "ann's own message is not unread"
    );
    let ack = ok(phone
        .request("mark-room-read", json!({"room": "dev", "seq": 2}))
        .await);
    assert_eq!(ack["message"], "Marked as read");
    assert_eq!(
        laptop.next("room-read").await,
        json!({"room": "dev", "seq": 2})
    );
    let state = ok(laptop.request("read-state", Value::Null).await);
    assert_eq!(dev(&state)["unread"], 1);
    assert_eq!(dev(&state)["lastRead"], 2);
    // Backwards changes nothing; the event says where it stands.
    ok(laptop
        .request("mark-room-read", json!({"room": "dev", "seq": 1}))
        .await);
    assert_eq!(laptop.next("room-read").await["seq"], 2);
    // After every socket is gone, a new one finds the same.
    phone.disconnect().await;
    laptop.disconnect().await;
    let again = joined_with(&app.url(), "ann", Some(&token)).await;
    let state = ok(again.request("read-state", json!({})).await);
    assert_eq!(dev(&state)["lastRead"], 2);
    // bob's read state is his own.
    let state = ok(bob.request("read-state", json!({})).await);
    assert_eq!(dev(&state)["lastRead"], 0);
    assert_eq!(
        dev(&state)["unread"],
        1,
        "ann's one message; his own never count"
    );
}

#[tokio::test]
async fn marks_are_refused_to_guests_outsiders_and_bad_numbers() {
    let app = spawn_app().await;
    let session = app.register("ann").await;
    let ann = joined_with(&app.url(), "ann", session["token"].as_str()).await;
    let cat_session = app.register("cat").await;
    let cat = joined_with(&app.url(), "cat", cat_session["token"].as_str()).await;
    ok(ann
        .request("create-room", json!({"room": "secret", "private": true}))
        .await);
    let hidden = cat
        .request("mark-room-read", json!({"room": "secret", "seq": 1}))
        .await;
    assert_eq!(
        refused(&hidden),
        "There is no room named secret that you can open"
    );
    let guest = app.joined("gus").await;
    for (event, payload) in [
        ("mark-room-read", json!({"room": "general", "seq": 1})),
        ("read-state", json!({})),
    ] {
        let why = refused(&guest.request(event, payload).await).to_owned();
        assert!(why.starts_with("Log in to do that"), "{event}: {why}");
    }
    let negative = ann
        .request("mark-room-read", json!({"room": "secret", "seq": -1}))
        .await;
    assert_eq!(refused(&negative), "mark-room-read: seq must be at least 0");
    let missing = ann
        .request("mark-room-read", json!({"room": "secret"}))
        .await;
    assert_eq!(refused(&missing), "mark-room-read: missing field `seq`");
}
