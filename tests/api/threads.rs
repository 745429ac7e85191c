//! Replies and threads (issue #15): a thread between two people, its
//! counts on the root, its alerts and following, its pages, and the
//! catch-up of replies and counts made while a client was away.

use crate::helpers::{ok, refused, spawn_app};
use serde_json::{json, Value};

fn reply(thread: i64, text: &str) -> Value {
    json!({"room": "dev", "thread": thread, "message": text})
}

fn seqs(messages: &Value) -> Vec<i64> {
    messages
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["seq"].as_i64().expect("a seq"))
        .collect()
}

#[tokio::test]
async fn a_thread_between_two_people() {
    let app = spawn_app().await;
    let (mut ann, ann_token) = app.account_with_token("ann").await;
    let mut bob = app.account("bob").await;
    let mut ann_alerts = app.alerts_as(&ann_token).await;
    for sock in [&ann, &bob] {
        ok(sock.request("join-room", json!({"room": "dev"})).await);
    }
    let root = ok(ann
        .request("send-message", json!({"room": "dev", "message": "lunch?"}))
        .await)["id"]
        .as_i64()
        .expect("an id");
    bob.next("new-message").await;
    ann.next("new-message").await;

    let ack = ok(bob.request("send-reply", reply(root, "noodles")).await);
    assert_eq!(ack["message"], "Reply sent");
    assert_eq!(
        (&ack["reply"]["thread"], &ack["reply"]["seq"]),
        (&json!(root), &json!(2))
    );
    for sock in [&mut ann, &mut bob] {
        let r = sock.next("new-message").await;
        assert_eq!(
            (&r["thread"], &r["message"], &r["inRoom"]),
            (&json!(root), &json!("noodles"), &Value::Null)
        );
        let changed = sock.next("message-changed").await;
        assert_eq!(changed["id"], root);
        assert_eq!(changed["replies"]["count"], 1);
        assert_eq!(changed["replies"]["by"], json!(["bob"]));
        assert!(changed["replies"]["last"].as_str().is_some(), "{changed}");
    }
    // ann started the thread: she follows it and is alerted.
    assert_eq!(
        ann_alerts.next("notification").await,
        json!({"kind": "thread", "from": "bob", "room": "dev", "thread": root, "preview": "noodles"})
    );
    // Looking at the thread: no alert. Looking at the room only: alerted.
    ok(ann
        .request("focus", json!({"room": "dev", "thread": root}))
        .await);
    ok(bob.request("send-reply", reply(root, "at noon")).await);
    ok(ann.request("focus", json!({"room": "dev"})).await);
    let mut also = reply(root, "everyone welcome");
    also["alsoToRoom"] = json!(true);
    ok(bob.request("send-reply", also).await);
    assert_eq!(bob.next("new-message").await["message"], "at noon");
    let shown = bob.next("new-message").await;
    assert_eq!(
        (&shown["message"], &shown["inRoom"]),
        (&json!("everyone welcome"), &json!(true))
    );
    assert_eq!(
        ann_alerts.next("notification").await["preview"],
        "everyone welcome"
    );
    // Unfollowed: no alert (the next one ann gets is bob's DM).
    let off = ok(ann
        .request(
            "follow-thread",
            json!({"room": "dev", "id": root, "on": false}),
        )
        .await);
    assert_eq!(
        (&off["thread"], &off["following"]),
        (&json!(root), &json!(false))
    );
    ok(bob.request("send-reply", reply(root, "ann?")).await);
    ok(bob
        .request("send-dm", json!({"to": "ann", "message": "see the thread"}))
        .await);
    assert_eq!(ann_alerts.next("notification").await["kind"], "dm");

    // The thread, a page at a time, from any of its messages.
    let page = ok(bob
        .request(
            "thread-history",
            json!({"room": "dev", "id": root, "limit": 2}),
        )
        .await);
    assert_eq!(page["root"]["id"], root);
    assert_eq!(page["root"]["replies"]["count"], 4);
    assert_eq!(page["root"]["replies"]["by"], json!(["bob"]));
    assert_eq!(seqs(&page["replies"]), [4, 5]);
    assert_eq!(
        (&page["hasMore"], &page["following"]),
        (&json!(true), &json!(true))
    );
    let older = ok(ann
        .request(
            "thread-history",
            json!({"room": "dev", "id": root, "before": 4}),
        )
        .await);
    assert_eq!(seqs(&older["replies"]), [2, 3]);
    assert_eq!(
        (&older["hasMore"], &older["following"]),
        (&json!(false), &json!(false))
    );
    // Replies are room messages: history has them all, with their thread.
    let history = ok(ann.request("history", json!({"room": "dev"})).await);
    assert_eq!(seqs(&history["messages"]), [1, 2, 3, 4, 5]);
    assert_eq!(history["messages"][1]["thread"], root);

    // Refusals change nothing.
    let gone = root + 1000;
    for (payload, why) in [
        (
            reply(gone, "x"),
            format!("dev has no message {gone} to reply to"),
        ),
        (
            reply(0, "x"),
            "send-reply: thread must be a message's id (a positive number)".into(),
        ),
        (
            json!({"room": "dev", "thread": root}),
            "send-reply: missing field `message`".into(),
        ),
        (
            reply(root, " "),
            "send-reply: message must not be empty".into(),
        ),
    ] {
        assert_eq!(refused(&bob.request("send-reply", payload).await), why);
    }
    let missing = bob
        .request("thread-history", json!({"room": "dev", "id": gone}))
        .await;
    assert_eq!(refused(&missing), format!("dev has no message {gone}"));
    let guest = app.joined("gus").await;
    let follow = guest
        .request(
            "follow-thread",
            json!({"room": "dev", "id": root, "on": true}),
        )
        .await;
    assert_eq!(refused(&follow), "Log in to follow threads");
    // A guest replies where guests post; the count says so.
    ok(guest.request("join-room", json!({"room": "dev"})).await);
    ok(guest
        .request("send-reply", reply(root, "hi from a guest"))
        .await);
    let after = ok(bob
        .request("thread-history", json!({"room": "dev", "id": root}))
        .await);
    assert_eq!(after["root"]["replies"]["count"], 5);
    assert_eq!(after["root"]["replies"]["by"], json!(["gus", "bob"]));
}

#[tokio::test]
async fn replies_and_counts_made_while_away_are_caught_up_once() {
    let app = spawn_app().await;
    let mut ann = app.account("ann").await;
    let (bob, bob_token) = app.account_with_token("bob").await;
    for sock in [&ann, &bob] {
        ok(sock.request("join-room", json!({"room": "dev"})).await);
    }
    let root = ok(ann
        .request("send-message", json!({"room": "dev", "message": "plan"}))
        .await)["id"]
        .as_i64()
        .expect("an id");
    let seen = ok(bob.request("history", json!({"room": "dev"})).await);
    let (last_seq, last_change) = (
        seqs(&seen["messages"])[0],
        seen["lastChange"].as_i64().unwrap(),
    );
    bob.disconnect().await;

    let first = ok(ann.request("send-reply", reply(root, "step 1")).await)["reply"]["id"].clone();
    ok(ann.request("send-reply", reply(root, "step 2")).await);
    ok(ann
        .request("delete-message", json!({"room": "dev", "id": first}))
        .await);
    ann.drain();

    let bob = app.chat_as(&bob_token).await;
    ok(bob.request("join", json!({"username": "bob"})).await);
    let missed = ok(bob
        .request("history", json!({"room": "dev", "after": last_seq}))
        .await);
    assert_eq!(seqs(&missed["messages"]), [2, 3]);
    assert_eq!(missed["messages"][0]["deleted"], true);
    assert_eq!(missed["messages"][1]["thread"], root);
    let changes = ok(bob
        .request("changes", json!({"room": "dev", "after": last_change}))
        .await);
    let changed: Vec<&Value> = changes["messages"].as_array().unwrap().iter().collect();
    // The root once, in its state now (one reply left), and the deletion.
    let roots: Vec<&&Value> = changed.iter().filter(|m| m["id"] == root).collect();
    assert_eq!(roots.len(), 1);
    assert_eq!(roots[0]["replies"]["count"], 1);
    assert!(changed
        .iter()
        .any(|m| m["id"] == first && m["deleted"] == true));
    assert_eq!(changes["last"], 4, "two replies, a deletion and its count");
}
