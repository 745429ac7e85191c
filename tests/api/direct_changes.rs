//! Changes to direct messages (issue #15): the author edits or deletes its
//! own, either person reacts, every socket of both people is told, and a
//! client that was away catches up on every change once, after a
//! reconnect and after a restart. A third person reaches none of it.

use crate::helpers::{joined_with, ok, refused, spawn_app, spawn_app_in, Sock, TestApp};
use serde_json::{json, Value};
use sqlx::Connection;

/// ann (two sockets) and bob (one), logged in; ann's DMs to bob, by id.
struct Pair {
    ann: Sock,
    ann2: Sock,
    bob: Sock,
    bob_token: String,
    ids: Vec<i64>,
}

async fn conversation(app: &TestApp, texts: &[&str]) -> Pair {
    let (mut ann, ann_token) = app.account_with_token("ann").await;
    let mut ann2 = joined_with(&app.url(), "ann", Some(&ann_token)).await;
    let (mut bob, bob_token) = app.account_with_token("bob").await;
    let mut ids = Vec::new();
    for text in texts {
        let ack = ok(ann
            .request("send-dm", json!({"to": "bob", "message": text}))
            .await);
        ids.push(ack["id"].as_i64().expect("an id"));
        for sock in [&mut ann, &mut ann2, &mut bob] {
            sock.next("new-dm").await;
        }
    }
    Pair {
        ann,
        ann2,
        bob,
        bob_token,
        ids,
    }
}

/// The app's SQLite database, opened beside it.
async fn database(app: &TestApp) -> sqlx::SqliteConnection {
    let url = format!(
        "sqlite://{}",
        app.data_dir.path().join("huddle.db").display()
    );
    sqlx::SqliteConnection::connect(&url)
        .await
        .expect("the database opens")
}

#[tokio::test]
async fn the_author_edits_and_every_socket_of_both_people_is_told() {
    let app = spawn_app().await;
    let Pair {
        mut ann,
        mut ann2,
        mut bob,
        ids,
        ..
    } = conversation(&app, &["helo"]).await;
    let mut carol = app.account("carol").await;
    let edit = json!({"with": "bob", "id": ids[0], "message": "hello"});
    let ack = ok(ann.request("edit-dm", edit.clone()).await);
    assert_eq!(ack["message"], "Message edited");
    assert_eq!(
        (&ack["state"]["message"], &ack["state"]["change"]),
        (&json!("hello"), &json!(1))
    );
    assert!(ack["state"]["edited"].as_str().is_some(), "{ack}");
    for sock in [&mut ann, &mut ann2, &mut bob] {
        let changed = sock.next("dm-changed").await;
        assert_eq!(
            (
                &changed["id"],
                &changed["seq"],
                &changed["from"],
                &changed["to"],
                &changed["message"],
                &changed["change"]
            ),
            (
                &json!(ids[0]),
                &json!(1),
                &json!("ann"),
                &json!("bob"),
                &json!("hello"),
                &json!(1)
            )
        );
    }
    carol.assert_no("dm-changed").await;
    // The same text again: nothing changes, nobody is told.
    let again = ok(ann.request("edit-dm", edit).await);
    assert_eq!(again["message"], "Nothing to change");
    bob.assert_no("dm-changed").await;

    // Bob may not edit Ann's words, nor see what they were.
    let theirs = bob
        .request(
            "edit-dm",
            json!({"with": "ann", "id": ids[0], "message": "mine"}),
        )
        .await;
    assert_eq!(
        refused(&theirs),
        "Only its author may edit a direct message"
    );
    let versions = ok(ann
        .request("dm-versions", json!({"with": "bob", "id": ids[0]}))
        .await);
    assert_eq!(versions["versions"].as_array().map(Vec::len), Some(1));
    assert_eq!(versions["versions"][0]["message"], "helo");
    let not_bobs = bob
        .request("dm-versions", json!({"with": "ann", "id": ids[0]}))
        .await;
    assert_eq!(
        refused(&not_bobs),
        "Only its author may see a direct message's earlier versions"
    );
    let page = ok(bob.request("dm-history", json!({"with": "ann"})).await);
    assert_eq!(page["messages"][0]["message"], "hello");
    assert!(page["messages"][0]["edited"].as_str().is_some(), "{page}");
    assert_eq!(page["lastChange"], 1);

    // Bad input, each refused with what is wrong.
    let missing = ids[0] + 1000;
    for (payload, why) in [
        (
            json!({"with": "bob", "id": ids[0], "message": ""}),
            "edit-dm: message must not be empty".to_owned(),
        ),
        (
            json!({"with": "bob", "id": 0, "message": "x"}),
            "edit-dm: id must be a message's id (a positive number)".to_owned(),
        ),
        (
            json!({"with": "bob", "message": "x"}),
            "edit-dm: missing field `id`".to_owned(),
        ),
        (
            json!({"id": ids[0], "message": "x"}),
            "edit-dm: missing field `with`".to_owned(),
        ),
        (
            json!({"with": "zed", "id": ids[0], "message": "x"}),
            "edit-dm: no registered user is named zed".to_owned(),
        ),
        (
            json!({"with": "bob", "id": missing, "message": "x"}),
            format!("Your conversation with bob has no message {missing}"),
        ),
    ] {
        assert_eq!(refused(&ann.request("edit-dm", payload).await), why);
    }
    assert_eq!(
        refused(
            &ann.request("dm-changes", json!({"with": "bob", "after": -1}))
                .await
        ),
        "dm-changes: after must be at least 0"
    );
    assert_eq!(
        refused(
            &ann.request(
                "dm-changes",
                json!({"with": "bob", "after": 0, "limit": 101})
            )
            .await
        ),
        "dm-changes: limit must be between 1 and 100"
    );

    // A third person reaches nothing of theirs: not the message, not the
    // feed (hers with Ann holds nothing).
    let no_message = format!("Your conversation with ann has no message {}", ids[0]);
    for (event, payload) in [
        (
            "edit-dm",
            json!({"with": "ann", "id": ids[0], "message": "x"}),
        ),
        ("delete-dm", json!({"with": "ann", "id": ids[0]})),
        ("dm-versions", json!({"with": "ann", "id": ids[0]})),
        (
            "react-dm",
            json!({"with": "ann", "id": ids[0], "emoji": "👀"}),
        ),
    ] {
        let ack = carol.request(event, payload).await;
        assert_eq!(refused(&ack), no_message, "{event}");
    }
    let hers = ok(carol
        .request("dm-changes", json!({"with": "ann", "after": 0}))
        .await);
    assert_eq!(hers["messages"], json!([]));
    assert_eq!(hers["last"], 0);
    ann.assert_no("dm-changed").await;
    bob.assert_no("dm-changed").await;

    // Guests have no direct messages.
    let guest = app.joined("gus").await;
    for (event, payload) in [
        (
            "edit-dm",
            json!({"with": "ann", "id": ids[0], "message": "x"}),
        ),
        ("delete-dm", json!({"with": "ann", "id": ids[0]})),
        (
            "react-dm",
            json!({"with": "ann", "id": ids[0], "emoji": "👀"}),
        ),
        ("dm-versions", json!({"with": "ann", "id": ids[0]})),
        ("dm-changes", json!({"with": "ann", "after": 0})),
    ] {
        let ack = guest.request(event, payload).await;
        assert_eq!(refused(&ack), "Log in to use direct messages", "{event}");
    }
}

#[tokio::test]
async fn reactions_are_set_by_either_person_and_reach_both() {
    let app = spawn_app().await;
    let Pair {
        mut ann,
        mut ann2,
        mut bob,
        ids,
        ..
    } = conversation(&app, &["ship it?"]).await;
    let react = |on: bool| json!({"with": "ann", "id": ids[0], "emoji": "🎉", "on": on});
    let ack = ok(bob.request("react-dm", react(true)).await);
    assert_eq!(ack["message"], "Reaction added");
    assert_eq!(
        ack["state"]["reactions"],
        json!([{"emoji": "🎉", "count": 1, "users": ["bob"]}])
    );
    for sock in [&mut ann, &mut ann2, &mut bob] {
        let seen = sock.next("dm-changed").await;
        assert_eq!(seen["reactions"][0]["users"], json!(["bob"]));
    }
    // Adding again is idempotent: nothing is broadcast.
    assert_eq!(
        ok(bob.request("react-dm", react(true)).await)["message"],
        "Nothing to change"
    );
    ann.assert_no("dm-changed").await;
    // Ann reacts to her own message too.
    let both = ok(ann
        .request(
            "react-dm",
            json!({"with": "bob", "id": ids[0], "emoji": "🎉"}),
        )
        .await);
    assert_eq!(both["state"]["reactions"][0]["count"], 2);
    assert_eq!(bob.next("dm-changed").await["reactions"][0]["count"], 2);
    let off = ok(bob.request("react-dm", react(false)).await);
    assert_eq!(off["message"], "Reaction removed");
    assert_eq!(
        off["state"]["reactions"],
        json!([{"emoji": "🎉", "count": 1, "users": ["ann"]}])
    );
    // A retried reaction (same clientId) after a later change is not
    // applied again.
    let with_id = json!({"with": "ann", "id": ids[0], "emoji": "👍", "clientId": "r-1"});
    ok(bob.request("react-dm", with_id.clone()).await);
    ok(bob
        .request(
            "react-dm",
            json!({"with": "ann", "id": ids[0], "emoji": "👍", "on": false}),
        )
        .await);
    let retry = ok(bob.request("react-dm", with_id).await);
    assert_eq!(retry["message"], "Nothing to change");
    assert_eq!(
        retry["state"]["reactions"].as_array().map(Vec::len),
        Some(1)
    );
    let bad = bob
        .request(
            "react-dm",
            json!({"with": "ann", "id": ids[0], "emoji": ":tada:"}),
        )
        .await;
    assert_eq!(
        refused(&bad),
        "react-dm: emoji must be one emoji, such as 🎉"
    );
}

#[tokio::test]
async fn a_deleted_dm_is_a_tombstone_and_its_words_leave_the_database() {
    let app = spawn_app().await;
    let Pair {
        mut ann,
        mut ann2,
        mut bob,
        ids,
        ..
    } = conversation(&app, &["my secret", "and more"]).await;
    ok(ann
        .request(
            "edit-dm",
            json!({"with": "bob", "id": ids[0], "message": "my secret, edited"}),
        )
        .await);
    ok(bob
        .request(
            "react-dm",
            json!({"with": "ann", "id": ids[0], "emoji": "😮"}),
        )
        .await);
    for sock in [&mut ann, &mut ann2, &mut bob] {
        for change in [1, 2] {
            assert_eq!(sock.next("dm-changed").await["change"], change);
        }
    }
    let denied = bob
        .request("delete-dm", json!({"with": "ann", "id": ids[0]}))
        .await;
    assert_eq!(
        refused(&denied),
        "Only its author may delete a direct message"
    );
    let ack = ok(ann
        .request("delete-dm", json!({"with": "bob", "id": ids[0]}))
        .await);
    assert_eq!(ack["message"], "Message deleted");
    for sock in [&mut ann, &mut ann2, &mut bob] {
        let gone = sock.next("dm-changed").await;
        assert_eq!(
            (&gone["deleted"], &gone["message"], &gone["change"]),
            (&json!(true), &json!(""), &json!(3))
        );
        assert!(gone.get("reactions").is_none(), "{gone}");
    }
    // In the database: no trace of the words, their versions, reactions.
    let mut db = database(&app).await;
    let body: String = sqlx::query_scalar("SELECT body FROM direct_messages WHERE id = ?")
        .bind(ids[0])
        .fetch_one(&mut db)
        .await
        .expect("the row");
    assert_eq!(body, "");
    for table in ["dm_versions", "dm_reactions"] {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE dm_id = ?");
        let left: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(ids[0])
            .fetch_one(&mut db)
            .await
            .expect("a count");
        assert_eq!(left, 0, "{table}");
    }
    let secret: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM direct_messages WHERE body LIKE '%secret%'")
            .fetch_one(&mut db)
            .await
            .expect("a count");
    assert_eq!(secret, 0);
    // Deleting again is harmless; nothing else is done to a tombstone.
    let again = ok(ann
        .request("delete-dm", json!({"with": "bob", "id": ids[0]}))
        .await);
    assert_eq!(again["message"], "Nothing to change");
    bob.assert_no("dm-changed").await;
    let no_message = format!("Your conversation with bob has no message {}", ids[0]);
    let edit = ann
        .request(
            "edit-dm",
            json!({"with": "bob", "id": ids[0], "message": "back"}),
        )
        .await;
    assert_eq!(refused(&edit), no_message);
    let react = bob
        .request(
            "react-dm",
            json!({"with": "ann", "id": ids[0], "emoji": "😮"}),
        )
        .await;
    assert_eq!(
        refused(&react),
        format!("Your conversation with ann has no message {}", ids[0])
    );
    let page = ok(bob.request("dm-history", json!({"with": "ann"})).await);
    assert_eq!(
        (
            &page["messages"][0]["deleted"],
            &page["messages"][0]["message"]
        ),
        (&json!(true), &json!(""))
    );
    assert!(page["messages"][1].get("deleted").is_none());
    // The unread count leaves the tombstone out.
    let list = ok(bob.request("dm-list", json!({})).await);
    assert_eq!(list["conversations"][0]["unread"], 1);
}

/// The whole feed of the conversation with `with` after `after`, page by
/// page: the messages and the last number.
async fn feed(sock: &Sock, with: &str, mut after: i64) -> (Vec<Value>, i64) {
    let mut all = Vec::new();
    loop {
        let page = ok(sock
            .request(
                "dm-changes",
                json!({"with": with, "after": after, "limit": 2}),
            )
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

/// (seq, text, deleted, reactions), in change order.
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
                "edit-dm",
                json!({"with": "bob", "id": ids[0], "message": text}),
            )
            .await);
    }
    ok(ann
        .request(
            "react-dm",
            json!({"with": "bob", "id": ids[1], "emoji": "👀"}),
        )
        .await);
    ok(ann
        .request("delete-dm", json!({"with": "bob", "id": ids[2]}))
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
    let Pair {
        ann,
        bob,
        bob_token,
        ids,
        ..
    } = conversation(&app, &["one", "two", "three"]).await;
    let page = ok(bob.request("dm-history", json!({"with": "ann"})).await);
    let seen = page["lastChange"].as_i64().expect("lastChange");
    assert_eq!(seen, 0);
    bob.disconnect().await;
    change_everything(&ann, &ids).await;

    // Back, on a new connection.
    let bob = joined_with(&app.url(), "bob", Some(&bob_token)).await;
    let (changed, last) = feed(&bob, "ann", seen).await;
    assert_eq!(summary(&changed), expected());
    assert_eq!(last, 4, "two edits, a reaction, a deletion");
    let numbers: Vec<i64> = changed
        .iter()
        .map(|m| m["change"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(numbers, [2, 3, 4], "in change order, each message once");
    let (nothing, last) = feed(&bob, "ann", last).await;
    assert!(nothing.is_empty());
    assert_eq!(last, 4);
    // Ann reads the same feed from her side.
    let (hers, _) = feed(&ann, "bob", 0).await;
    assert_eq!(summary(&hers), expected());
}

#[tokio::test]
async fn changes_made_before_a_restart_are_caught_up_after_it() {
    let app = spawn_app().await;
    let Pair { ann, bob, ids, .. } = conversation(&app, &["one", "two", "three"]).await;
    bob.disconnect().await;
    change_everything(&ann, &ids).await;
    drop(ann);
    let dir = app.stop().await;
    let app = spawn_app_in(dir, |_| {}).await;
    let login = reqwest::Client::new()
        .post(format!("{}/api/login", app.url()))
        .json(&json!({"username": "bob", "password": "correct horse battery"}))
        .send()
        .await
        .expect("log in");
    assert_eq!(login.status(), 200);
    let session: Value = login.json().await.expect("a session");
    let token = session["token"].as_str().expect("a token");
    let bob = joined_with(&app.url(), "bob", Some(token)).await;
    let (changed, last) = feed(&bob, "ann", 0).await;
    assert_eq!(summary(&changed), expected());
    assert_eq!(last, 4);
    let page = ok(bob.request("dm-history", json!({"with": "ann"})).await);
    assert_eq!(page["lastChange"], 4);
    assert_eq!(page["messages"][0]["message"], "one, fixed twice");
    assert_eq!(page["messages"][1]["reactions"][0]["emoji"], "👀");
    assert_eq!(page["messages"][2]["deleted"], true);
}
