//! Moderation (issue #14, phase 2), event by event: removal and bans take
//! effect on the sockets at once and say why; mutes, slow mode and the
//! lock refuse posts with their reasons; deleting leaves a tombstone for
//! everyone; a server ban ends every session and every log-in; deleting a
//! room empties it. (Who may send each is the matrix's, in rooms.rs.)

use crate::helpers::{ok, refused, spawn_app, Sock, TestApp, QUIET};
use serde_json::{json, Value};

/// root (the admin), ann (owner of `room`, of the `kind` given), bob (a
/// member); bob's socket has taken its `room-added`.
async fn room_with_bob(app: &TestApp, room: &str, private: bool) -> (Sock, Sock, Sock) {
    let root = app.account("root").await;
    let ann = app.account("ann").await;
    let mut bob = app.account("bob").await;
    ok(ann
        .request("create-room", json!({"room": room, "private": private}))
        .await);
    ok(ann
        .request("invite", json!({"room": room, "username": "bob"}))
        .await);
    bob.next("room-added").await;
    (root, ann, bob)
}

#[tokio::test]
async fn a_removed_member_is_told_and_receives_nothing_more() {
    let app = spawn_app().await;
    let (_root, ann, mut bob) = room_with_bob(&app, "plans", true).await;
    ok(ann
        .request(
            "send-message",
            json!({"room": "plans", "message": "before"}),
        )
        .await);
    assert_eq!(bob.next("new-message").await["message"], "before");
    let ack = ok(ann
        .request(
            "remove-member",
            json!({"room": "plans", "username": "bob", "reason": "wrong team"}),
        )
        .await);
    assert_eq!(ack["message"], "bob was removed from plans");
    let removed = bob.next("room-removed").await;
    assert_eq!(
        removed,
        json!({"room": "plans", "by": "ann", "reason": "wrong team", "banned": false})
    );
    ok(ann
        .request("send-message", json!({"room": "plans", "message": "after"}))
        .await);
    bob.assert_no("new-message").await;
    let history = bob.request("history", json!({"room": "plans"})).await;
    assert_eq!(
        refused(&history),
        "There is no room named plans that you can open"
    );
    let again = ann
        .request("remove-member", json!({"room": "plans", "username": "bob"}))
        .await;
    assert_eq!(refused(&again), "bob is not a member of plans");
}

#[tokio::test]
async fn a_banned_account_cannot_come_back_until_unbanned() {
    let app = spawn_app().await;
    let (_root, ann, mut bob) = room_with_bob(&app, "lobby", false).await;
    ok(bob.request("join-room", json!({"room": "lobby"})).await);
    let ack = ok(ann
        .request(
            "ban",
            json!({"room": "lobby", "username": "bob", "minutes": 30}),
        )
        .await);
    let text = ack["message"].as_str().unwrap();
    assert!(
        text.starts_with("bob is banned from lobby until 20"),
        "{text}"
    );
    let removed = bob.next("room-removed").await;
    assert_eq!(removed["banned"], true);
    assert!(removed["until"].as_str().is_some(), "{removed}");
    for event in ["join-room", "history"] {
        let ack = bob.request(event, json!({"room": "lobby"})).await;
        let text = refused(&ack);
        assert!(
            text.starts_with("You are banned from lobby until 20"),
            "{text}"
        );
    }
    let send = bob
        .request("send-message", json!({"room": "lobby", "message": "hi"}))
        .await;
    assert!(refused(&send).starts_with("You are banned from lobby"));
    let invite = ann
        .request("invite", json!({"room": "lobby", "username": "bob"}))
        .await;
    assert_eq!(
        refused(&invite),
        "bob is banned from lobby: lift the ban first (unban)"
    );
    let bans = ok(ann.request("room-bans", json!({"room": "lobby"})).await);
    assert_eq!(bans["bans"][0]["username"], "bob");
    assert_eq!(bans["bans"][0]["by"], "ann");
    let ack = ok(ann
        .request("unban", json!({"room": "lobby", "username": "bob"}))
        .await);
    assert_eq!(ack["message"], "bob may join lobby again");
    ok(bob.request("join-room", json!({"room": "lobby"})).await);
    // The whole story is in the audit log, newest first.
    let log = ok(ann.request("audit-log", json!({"room": "lobby"})).await);
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["unban", "ban"]);
    assert_eq!(log["entries"][1]["actor"], "ann");
    assert_eq!(log["entries"][1]["target"], "bob");
}

#[tokio::test]
async fn a_muted_member_reads_but_cannot_post_until_unmuted() {
    let app = spawn_app().await;
    let (_root, ann, mut bob) = room_with_bob(&app, "plans", true).await;
    ok(ann
        .request(
            "mute",
            json!({"room": "plans", "username": "bob", "reason": "calm down"}),
        )
        .await);
    let muted = bob.next("room-muted").await;
    assert_eq!(
        muted,
        json!({"room": "plans", "muted": true, "by": "ann", "reason": "calm down"})
    );
    let send = bob
        .request("send-message", json!({"room": "plans", "message": "hey"}))
        .await;
    assert_eq!(
        refused(&send),
        "You are muted in plans: you can read, not post"
    );
    ok(ann
        .request(
            "send-message",
            json!({"room": "plans", "message": "still here"}),
        )
        .await);
    assert_eq!(bob.next("new-message").await["message"], "still here");
    let members = ok(ann.request("room-members", json!({"room": "plans"})).await);
    assert_eq!(members["total"], 2);
    assert_eq!(members["members"][1]["username"], "bob");
    assert_eq!(members["members"][1]["mutedUntil"], "forever");
    ok(ann
        .request("unmute", json!({"room": "plans", "username": "bob"}))
        .await);
    assert_eq!(bob.next("room-muted").await["muted"], false);
    ok(bob
        .request(
            "send-message",
            json!({"room": "plans", "message": "thanks"}),
        )
        .await);
}

/// `send-message {room: plans, message: text}`'s ack.
async fn send(sock: &Sock, text: &str) -> Value {
    sock.request("send-message", json!({"room": "plans", "message": text}))
        .await
}

#[tokio::test]
async fn slow_mode_and_the_lock_pace_members_not_moderators() {
    let app = spawn_app().await;
    let (_root, ann, bob) = room_with_bob(&app, "plans", true).await;
    let info = ok(ann
        .request("room-settings", json!({"room": "plans", "slowSeconds": 60}))
        .await);
    assert_eq!(info["slowSeconds"], 60);
    ok(send(&bob, "one").await);
    let second = send(&bob, "two").await;
    let text = refused(&second);
    assert!(
        text == "Slow mode is on in plans: you can send again in 60 s"
            || text == "Slow mode is on in plans: you can send again in 59 s",
        "{text}"
    );
    ok(send(&ann, "owner one").await);
    ok(send(&ann, "owner two").await);
    ok(ann
        .request(
            "room-settings",
            json!({"room": "plans", "slowSeconds": 0, "locked": true}),
        )
        .await);
    assert_eq!(
        refused(&send(&bob, "three").await),
        "plans is locked: only its moderators may post"
    );
    ok(send(&ann, "announcement").await);
    let history = ok(bob.request("history", json!({"room": "plans"})).await);
    let texts: Vec<&str> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["one", "owner one", "owner two", "announcement"]);
}

#[tokio::test]
async fn a_deleted_message_leaves_a_tombstone_for_everyone() {
    let app = spawn_app().await;
    let (_root, mut ann, mut bob) = room_with_bob(&app, "plans", true).await;
    let mine = ok(bob
        .request("send-message", json!({"room": "plans", "message": "oops"}))
        .await);
    let theirs = ok(ann
        .request(
            "send-message",
            json!({"room": "plans", "message": "the plan"}),
        )
        .await);
    ann.drain();
    bob.drain();
    let bobs_id = mine["id"].as_i64().unwrap();
    let anns_id = theirs["id"].as_i64().unwrap();
    let denied = bob
        .request("delete-message", json!({"room": "plans", "id": anns_id}))
        .await;
    assert_eq!(
        refused(&denied),
        "Only its author or a moderator of plans may delete this message"
    );
    let ack = ok(bob
        .request("delete-message", json!({"room": "plans", "id": bobs_id}))
        .await);
    assert_eq!(ack["message"], "Message deleted");
    for sock in [&mut ann, &mut bob] {
        let gone = sock.next("message-deleted").await;
        assert_eq!(
            gone,
            json!({"room": "plans", "id": bobs_id, "seq": 1, "by": "bob"})
        );
    }
    let again = bob
        .request("delete-message", json!({"room": "plans", "id": bobs_id}))
        .await;
    assert_eq!(
        refused(&again),
        format!("plans has no message {bobs_id} to delete")
    );
    let history = ok(ann.request("history", json!({"room": "plans"})).await);
    assert_eq!(history["messages"][0]["deleted"], true);
    assert_eq!(history["messages"][0]["message"], "");
    assert_eq!(history["messages"][0]["username"], "bob");
    assert!(history["messages"][1].get("deleted").is_none());
    // An author's own deletion is not moderation: the log stays empty.
    let log = ok(ann.request("audit-log", json!({"room": "plans"})).await);
    assert_eq!(log["entries"], json!([]));
}

#[tokio::test]
async fn a_server_ban_ends_every_session_and_every_log_in() {
    let app = spawn_app().await;
    let root = app.account("root").await;
    let mut bob = app.account("bob").await;
    let cat = app.account("cat").await;
    let denied = cat.request("ban-account", json!({"username": "bob"})).await;
    assert_eq!(refused(&denied), "Only server admins may do that");
    ok(root
        .request("ban-account", json!({"username": "bob", "reason": "spam"}))
        .await);
    let ended = bob.next("session-ended").await;
    assert_eq!(
        ended["message"],
        "This account is banned from this server: spam"
    );
    let login = |password: &'static str| {
        reqwest::Client::new()
            .post(format!("{}/api/login", app.url()))
            .json(&json!({"username": "bob", "password": password}))
            .send()
    };
    let response = login("correct horse battery").await.unwrap();
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["message"],
        "This account is banned from this server: spam"
    );
    // A wrong password learns nothing of the ban.
    assert_eq!(login("wrong password!!").await.unwrap().status(), 401);
    ok(root
        .request("unban-account", json!({"username": "bob"}))
        .await);
    assert_eq!(login("correct horse battery").await.unwrap().status(), 200);
    let log = ok(root.request("audit-log", Value::Null).await);
    assert_eq!(log["entries"][0]["action"], "unban-account");
    assert_eq!(log["entries"][1]["action"], "ban-account");
    assert_eq!(log["entries"][1]["reason"], "spam");
}

#[tokio::test]
async fn a_deleted_room_empties_and_its_name_comes_free() {
    let app = spawn_app().await;
    let (root, ann, mut bob) = room_with_bob(&app, "plans", true).await;
    let all = ok(root.request("all-rooms", json!({})).await);
    assert!(all["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["room"] == "plans" && r["kind"] == "private"));
    let denied = bob.request("delete-room", json!({"room": "plans"})).await;
    assert_eq!(refused(&denied), "Only the owner of plans may do that");
    ok(ann
        .request("delete-room", json!({"room": "plans", "reason": "done"}))
        .await);
    let removed = bob.next("room-removed").await;
    assert_eq!(removed["deleted"], true);
    assert_eq!(removed["reason"], "done");
    let info = ann.request("room-info", json!({"room": "plans"})).await;
    assert_eq!(
        refused(&info),
        "There is no room named plans that you can open"
    );
    ok(bob.request("create-room", json!({"room": "plans"})).await);
    let history = ok(bob.request("history", json!({"room": "plans"})).await);
    assert_eq!(history["messages"], json!([]));
    bob.assert_no("new-message").await;
    let _ = QUIET;
}

#[tokio::test]
async fn nobody_acts_on_someone_at_or_above_them() {
    let app = spawn_app().await;
    let (_root, ann, bob) = room_with_bob(&app, "plans", true).await;
    let cat = app.account("cat").await;
    ok(ann
        .request("invite", json!({"room": "plans", "username": "cat"}))
        .await);
    for name in ["bob", "cat"] {
        ok(ann
            .request(
                "set-role",
                json!({"room": "plans", "username": name, "role": "moderator"}),
            )
            .await);
    }
    let on_peer = bob
        .request("mute", json!({"room": "plans", "username": "cat"}))
        .await;
    assert_eq!(
        refused(&on_peer),
        "cat is a moderator or the owner of plans: only someone above them may do that"
    );
    let on_owner = cat
        .request("ban", json!({"room": "plans", "username": "ann"}))
        .await;
    assert!(refused(&on_owner).starts_with("ann is a moderator or the owner"));
    let on_self = ann
        .request("remove-member", json!({"room": "plans", "username": "ann"}))
        .await;
    assert_eq!(refused(&on_self), "You cannot do that to yourself");
    ok(ann
        .request("mute", json!({"room": "plans", "username": "cat"}))
        .await);
}
