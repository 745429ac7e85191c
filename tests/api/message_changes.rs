//! Changes to room messages (issue #15): edits with their versions,
//! reactions, and the change feed that brings a client that was away every
//! change, in order, once, after a reconnect and after a restart.

use crate::helpers::{ok, refused, spawn_app, spawn_app_in, Sock, TestApp};
use serde_json::{json, Value};

/// ann and bob, both in public room `dev`; ann's messages' ids, in order.
async fn room_with(app: &TestApp, texts: &[&str]) -> (Sock, Sock, Vec<i64>) {
    let ann = app.account("ann").await;
    let mut bob = app.account("bob").await;
    ok(ann.request("join-room", json!({"room": "dev"})).await);
    ok(bob.request("join-room", json!({"room": "dev"})).await);
    let mut ids = Vec::new();
    for text in texts {
        let ack = ok(ann
            .request("send-message", json!({"room": "dev", "message": text}))
            .await);
        ids.push(ack["id"].as_i64().expect("an id"));
        bob.next("new-message").await;
    }
    (ann, bob, ids)
}

#[tokio::test]
async fn the_author_edits_everyone_sees_it_and_earlier_versions_are_kept() {
    let app = spawn_app().await;
    let (mut ann, mut bob, ids) = room_with(&app, &["helo"]).await;
    let edit = json!({"room": "dev", "id": ids[0], "message": "hello"});
    let ack = ok(ann.request("edit-message", edit.clone()).await);
    assert_eq!(ack["message"], "Message edited");
    assert_eq!(ack["state"]["message"], "hello");
    assert_eq!(ack["state"]["change"], 1);
    assert!(ack["state"]["edited"].as_str().is_some(), "{ack}");
    for sock in [&mut ann, &mut bob] {
        let changed = sock.next("message-changed").await;
        assert_eq!(
            (
                &changed["id"],
                &changed["seq"],
                &changed["message"],
                &changed["change"]
            ),
            (&json!(ids[0]), &json!(1), &json!("hello"), &json!(1))
        );
        assert_eq!(changed["username"], "ann");
    }
    // The same text again: nothing changes, nobody is told.
    let again = ok(ann.request("edit-message", edit).await);
    assert_eq!(again["message"], "Nothing to change");
    bob.assert_no("message-changed").await;

    let theirs = bob
        .request(
            "edit-message",
            json!({"room": "dev", "id": ids[0], "message": "mine"}),
        )
        .await;
    assert_eq!(refused(&theirs), "Only its author may edit a message");
    let guest = app.joined("gus").await;
    ok(guest.request("join-room", json!({"room": "dev"})).await);
    let by_guest = guest
        .request(
            "edit-message",
            json!({"room": "dev", "id": ids[0], "message": "x"}),
        )
        .await;
    assert_eq!(
        refused(&by_guest),
        "Log in to edit messages: a guest's messages cannot be told apart"
    );
    let versions = ok(ann
        .request("message-versions", json!({"room": "dev", "id": ids[0]}))
        .await);
    assert_eq!(versions["versions"].as_array().map(Vec::len), Some(1));
    assert_eq!(versions["versions"][0]["message"], "helo");
    let not_bobs = bob
        .request("message-versions", json!({"room": "dev", "id": ids[0]}))
        .await;
    assert_eq!(
        refused(&not_bobs),
        "Only its author or a moderator of dev may see a message's earlier versions"
    );
    let page = ok(bob.request("history", json!({"room": "dev"})).await);
    assert_eq!(page["messages"][0]["message"], "hello");
    assert_eq!(page["lastChange"], 1);
    // Edits of what is not there, or badly made, change nothing.
    let missing = ann
        .request(
            "edit-message",
            json!({"room": "dev", "id": ids[0] + 1000, "message": "x"}),
        )
        .await;
    assert_eq!(
        refused(&missing),
        format!("dev has no message {}", ids[0] + 1000)
    );
    for (payload, why) in [
        (
            json!({"room": "dev", "id": ids[0], "message": ""}),
            "edit-message: message must not be empty",
        ),
        (
            json!({"room": "dev", "id": 0, "message": "x"}),
            "edit-message: id must be a message's id (a positive number)",
        ),
        (
            json!({"room": "dev", "message": "x"}),
            "edit-message: missing field `id`",
        ),
    ] {
        assert_eq!(refused(&ann.request("edit-message", payload).await), why);
    }
    ok(ann
        .request("delete-message", json!({"room": "dev", "id": ids[0]}))
        .await);
    let deleted = bob.next("message-changed").await;
    assert_eq!(
        (&deleted["deleted"], &deleted["message"]),
        (&json!(true), &json!(""))
    );
    let after_delete = ann
        .request(
            "edit-message",
            json!({"room": "dev", "id": ids[0], "message": "back"}),
        )
        .await;
    assert_eq!(
        refused(&after_delete),
        format!("dev has no message {}", ids[0])
    );
    let versions = ann
        .request("message-versions", json!({"room": "dev", "id": ids[0]}))
        .await;
    assert_eq!(refused(&versions), format!("dev has no message {}", ids[0]));
}

#[tokio::test]
async fn reactions_are_set_not_toggled_blindly_and_reach_the_room() {
    let app = spawn_app().await;
    let (mut ann, bob, ids) = room_with(&app, &["ship it?"]).await;
    let react = |on: bool| json!({"room": "dev", "id": ids[0], "emoji": "🎉", "on": on});
    let ack = ok(bob.request("react", react(true)).await);
    assert_eq!(ack["message"], "Reaction added");
    assert_eq!(
        ack["state"]["reactions"],
        json!([{"emoji": "🎉", "count": 1, "users": ["bob"]}])
    );
    let seen = ann.next("message-changed").await;
    assert_eq!(seen["reactions"][0]["users"], json!(["bob"]));
    // Adding again is idempotent: nothing is broadcast.
    assert_eq!(
        ok(bob.request("react", react(true)).await)["message"],
        "Nothing to change"
    );
    ann.assert_no("message-changed").await;
    let off = ok(bob.request("react", react(false)).await);
    assert_eq!(off["message"], "Reaction removed");
    assert!(off["state"].get("reactions").is_none(), "{off}");
    assert!(ann.next("message-changed").await.get("reactions").is_none());
    // A retried reaction (same clientId) after a later change is not
    // applied again.
    let with_id = json!({"room": "dev", "id": ids[0], "emoji": "👍", "clientId": "r-1"});
    ok(bob.request("react", with_id.clone()).await);
    ok(bob
        .request(
            "react",
            json!({"room": "dev", "id": ids[0], "emoji": "👍", "on": false}),
        )
        .await);
    let retry = ok(bob.request("react", with_id).await);
    assert_eq!(retry["message"], "Nothing to change");
    assert!(retry["state"].get("reactions").is_none(), "{retry}");

    let bad = bob
        .request(
            "react",
            json!({"room": "dev", "id": ids[0], "emoji": ":tada:"}),
        )
        .await;
    assert_eq!(refused(&bad), "react: emoji must be one emoji, such as 🎉");
    let guest = app.joined("gus").await;
    ok(guest.request("join-room", json!({"room": "dev"})).await);
    let by_guest = guest.request("react", react(true)).await;
    assert_eq!(refused(&by_guest), "Log in to react to messages");
    // A muted member reacts no more than it posts.
    ok(ann
        .request("mute", json!({"room": "dev", "username": "bob"}))
        .await);
    let muted = bob.request("react", react(true)).await;
    assert!(
        refused(&muted).starts_with("You are muted in dev"),
        "{muted}"
    );
}

/// The whole feed of `room` after `after`, page by page: the messages
/// and the last number.
async fn feed(sock: &Sock, room: &str, mut after: i64) -> (Vec<Value>, i64) {
    let mut all = Vec::new();
    loop {
        let page = ok(sock
            .request("changes", json!({"room": room, "after": after, "limit": 2}))
            .await);
        let messages = page["messages"].as_array().cloned().unwrap_or_default();
        if let Some(last) = messages.last() {
            after = last["change"].as_i64().unwrap_or(after);
        }
        all.extend(messages);
        if page["hasMore"] != true {
            let last = page["last"].as_i64().unwrap_or(0).max(after);
            return (all, last);
        }
    }
}

/// What a client away since `last_change` must apply: (seq, text,
/// deleted, reactions), in change order.
fn summary(changed: &[Value]) -> Vec<(i64, String, bool, usize)> {
    changed
        .iter()
        .map(|m| {
            (
                m["seq"].as_i64().unwrap_or(0),
                m["message"].as_str().unwrap_or("").to_owned(),
                m["deleted"] == true,
                m["reactions"].as_array().map_or(0, Vec::len),
            )
        })
        .collect()
}

/// ann edits m1 twice, reacts to m2, deletes m3 while bob is away.
async fn change_everything(ann: &Sock, ids: &[i64]) {
    for text in ["one, fixed", "one, fixed twice"] {
        ok(ann
            .request(
                "edit-message",
                json!({"room": "dev", "id": ids[0], "message": text}),
            )
            .await);
    }
    ok(ann
        .request("react", json!({"room": "dev", "id": ids[1], "emoji": "👀"}))
        .await);
    ok(ann
        .request("delete-message", json!({"room": "dev", "id": ids[2]}))
        .await);
}

fn expected() -> Vec<(i64, String, bool, usize)> {
    vec![
        (1, "one, fixed twice".into(), false, 0),
        (2, "two".into(), false, 1),
        (3, String::new(), true, 0),
    ]
}

#[tokio::test]
async fn a_client_that_was_away_catches_up_on_every_kind_of_change_once() {
    let app = spawn_app().await;
    let (ann, bob, ids) = room_with(&app, &["one", "two", "three"]).await;
    let page = ok(bob.request("history", json!({"room": "dev"})).await);
    let seen = page["lastChange"].as_i64().expect("lastChange");
    assert_eq!(seen, 0);
    bob.disconnect().await;
    change_everything(&ann, &ids).await;

    // Back, on a new connection (as a guest: dev is public).
    let bob = app.joined("bobby").await;
    let (changed, last) = feed(&bob, "dev", seen).await;
    assert_eq!(summary(&changed), expected());
    assert_eq!(last, 4, "two edits, a reaction, a deletion");
    let numbers: Vec<i64> = changed
        .iter()
        .map(|m| m["change"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(numbers, [2, 3, 4], "in change order, each message once");
    let (nothing, last) = feed(&bob, "dev", last).await;
    assert!(nothing.is_empty());
    assert_eq!(last, 4);
    for bad in [
        json!({"room": "dev", "after": -1}),
        json!({"room": "dev", "after": 0, "limit": 0}),
    ] {
        let why = refused(&bob.request("changes", bad).await).to_owned();
        assert!(why.starts_with("changes: "), "{why}");
    }
    ok(ann
        .request("create-room", json!({"room": "secret", "private": true}))
        .await);
    let hidden = bob
        .request("changes", json!({"room": "secret", "after": 0}))
        .await;
    assert_eq!(
        refused(&hidden),
        "There is no room named secret that you can open"
    );
}

#[tokio::test]
async fn changes_made_before_a_restart_are_caught_up_after_it() {
    let app = spawn_app().await;
    let (ann, bob, ids) = room_with(&app, &["one", "two", "three"]).await;
    bob.disconnect().await;
    change_everything(&ann, &ids).await;
    drop(ann);
    let dir = app.stop().await;
    let app = spawn_app_in(dir, |_| {}).await;
    let bob = app.joined("bobby").await;
    let (changed, last) = feed(&bob, "dev", 0).await;
    assert_eq!(summary(&changed), expected());
    assert_eq!(last, 4);
    let page = ok(bob.request("history", json!({"room": "dev"})).await);
    assert_eq!(page["lastChange"], 4);
    assert_eq!(page["messages"][0]["message"], "one, fixed twice");
    assert_eq!(page["messages"][1]["reactions"][0]["emoji"], "👀");
}
