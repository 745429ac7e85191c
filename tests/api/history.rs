//! Stored history, idempotent sends and catching up after a disconnect,
//! also across a server restart.

use crate::helpers::{spawn_app, spawn_app_in};
use serde_json::{json, Value};

fn seqs(page: &Value) -> Vec<i64> {
    page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["seq"].as_i64().expect("seq"))
        .collect()
}

#[tokio::test]
async fn history_pages_newest_first_with_boundaries() {
    let app = spawn_app().await;
    let ann = app.joined("ann").await;
    for i in 1..=120 {
        let ack = ann
            .request(
                "send-message",
                json!({"message": format!("m{i}"), "room": "dev"}),
            )
            .await;
        assert_eq!(ack["seq"], i);
    }
    let last = ann.request("history", json!({"room": "dev"})).await;
    assert_eq!(seqs(&last), (71..=120).collect::<Vec<_>>());
    assert_eq!(last["hasMore"], true);
    assert_eq!(last["messages"][0]["message"], "m71");
    assert_eq!(last["messages"][0]["username"], "ann");

    let older = ann
        .request("history", json!({"room": "dev", "before": 71, "limit": 70}))
        .await;
    assert_eq!(seqs(&older), (1..=70).collect::<Vec<_>>());
    assert_eq!(older["hasMore"], false);

    let exact = ann
        .request("history", json!({"room": "dev", "before": 51, "limit": 50}))
        .await;
    assert_eq!(
        (seqs(&exact).len(), exact["hasMore"].as_bool()),
        (50, Some(false))
    );

    let after = ann
        .request("history", json!({"room": "dev", "after": 118}))
        .await;
    assert_eq!(
        (seqs(&after), after["hasMore"].as_bool()),
        (vec![119, 120], Some(false))
    );
    let none = ann
        .request("history", json!({"room": "dev", "after": 120}))
        .await;
    assert_eq!(
        (seqs(&none), none["hasMore"].as_bool()),
        (vec![], Some(false))
    );
    // A name no room has is no room (the same refusal as a private room's).
    let none = ann.request("history", json!({"room": "empty"})).await;
    assert_eq!(
        none,
        json!({"status": "error", "message": "There is no room named empty that you can open"})
    );
    // A room entered, with no message yet, has an empty history.
    let joined = ann.request("join-room", json!({"room": "empty"})).await;
    assert_eq!(joined["status"], "ok");
    let empty = ann.request("history", json!({"room": "empty"})).await;
    assert_eq!(seqs(&empty), Vec::<i64>::new());

    for (bad, message) in [
        (
            json!({"room": "dev", "before": 5, "after": 1}),
            "history: give before or after, not both",
        ),
        (
            json!({"room": "dev", "limit": 101}),
            "history: limit must be between 1 and 100",
        ),
        (
            json!({"room": "dev", "before": 0}),
            "history: before must be at least 1 and after at least 0",
        ),
    ] {
        assert_eq!(
            ann.request("history", bad).await,
            json!({"status": "error", "message": message})
        );
    }
    let stranger = app.chat().await;
    assert_eq!(
        stranger.request("history", json!({"room": "dev"})).await["message"],
        "You need to join first"
    );
}

#[tokio::test]
async fn a_retried_send_is_stored_and_delivered_once() {
    let app = spawn_app().await;
    let ann = app.joined("ann").await;
    let mut bob = app.joined("bob").await;
    let send = json!({"message": "only once", "clientId": "5b0c6a52-0000-4000-8000-000000000001"});
    let first = ann.request("send-message", send.clone()).await;
    let retry = ann.request("send-message", send).await;
    assert_eq!(first["status"], "ok");
    assert_eq!(
        (first["id"].clone(), first["seq"].clone()),
        (retry["id"].clone(), retry["seq"].clone())
    );
    let m = bob.next("new-message").await;
    assert_eq!(m["clientId"], "5b0c6a52-0000-4000-8000-000000000001");
    bob.assert_no("new-message").await;
    let page = ann.request("history", json!({"room": "general"})).await;
    assert_eq!(seqs(&page), [1]);
}

/// A client id is one send of one author in one conversation: the same id
/// sent to another room, or by another guest of the same name, is a
/// message of its own, stored and delivered, never acked with someone
/// else's message.
#[tokio::test]
async fn a_client_id_dedupes_per_author_and_conversation_only() {
    let app = spawn_app().await;
    let sam = app.joined("sam").await;
    let other_sam = app.joined("sam").await;
    let mut bob = app.joined("bob").await;
    for room in ["dev", "ops"] {
        assert_eq!(
            bob.request("join-room", json!({ "room": room })).await["status"],
            "ok"
        );
    }
    let send =
        |room: &str, text: &str| json!({"message": text, "room": room, "clientId": "same-id"});

    let first = sam.request("send-message", send("dev", "in dev")).await;
    let elsewhere = sam.request("send-message", send("ops", "in ops")).await;
    let namesake = other_sam
        .request("send-message", send("dev", "the other sam"))
        .await;
    for ack in [&first, &elsewhere, &namesake] {
        assert_eq!(ack["status"], "ok", "{ack}");
    }
    assert_ne!(first["id"], elsewhere["id"]);
    assert_ne!(first["id"], namesake["id"]);
    let mut delivered = Vec::new();
    for _ in 0..3 {
        let m = bob.next("new-message").await;
        delivered.push((m["room"].clone(), m["message"].clone()));
    }
    delivered.sort_by_key(|(r, m)| (r.to_string(), m.to_string()));
    assert_eq!(
        delivered,
        [
            (json!("dev"), json!("in dev")),
            (json!("dev"), json!("the other sam")),
            (json!("ops"), json!("in ops")),
        ]
    );
    let dev = sam.request("history", json!({"room": "dev"})).await;
    assert_eq!(seqs(&dev), [1, 2]);
    let ops = sam.request("history", json!({"room": "ops"})).await;
    assert_eq!(seqs(&ops), [1]);
    // A retry is still one message, for each of them.
    let retry = sam.request("send-message", send("dev", "in dev")).await;
    assert_eq!(
        (retry["id"].clone(), retry["seq"].clone()),
        (first["id"].clone(), first["seq"].clone())
    );
    let retry = other_sam
        .request("send-message", send("dev", "the other sam"))
        .await;
    assert_eq!(retry["id"], namesake["id"]);
    bob.assert_no("new-message").await;
    let dev = sam.request("history", json!({"room": "dev"})).await;
    assert_eq!(seqs(&dev), [1, 2]);
}

/// A guest whose page presents its guest key is the same author on every
/// connection: a send it retries after a reconnect is stored once. Another
/// guest of the same name, with its own key, is not that author. A key
/// that breaks the rules is refused at the handshake.
#[tokio::test]
async fn a_guest_key_makes_a_retry_after_a_reconnect_known() {
    use crate::helpers::{joined_as_guest, Sock, TransportType};
    let app = spawn_app().await;
    let url = app.url();
    let mut bob = app.joined("bob").await;
    let send = json!({"message": "once", "clientId": "retry-after-reconnect"});
    let first = joined_as_guest(&url, "sam", "page-key-of-the-first-sam-0001").await;
    let ack = first.request("send-message", send.clone()).await;
    assert_eq!(ack["status"], "ok", "{ack}");
    first.disconnect().await;
    let again = joined_as_guest(&url, "sam", "page-key-of-the-first-sam-0001").await;
    let retry = again.request("send-message", send.clone()).await;
    assert_eq!(
        (retry["id"].clone(), retry["seq"].clone()),
        (ack["id"].clone(), ack["seq"].clone())
    );
    let namesake = joined_as_guest(&url, "sam", "page-key-of-the-other-sam-0002").await;
    let other = namesake.request("send-message", send).await;
    assert_eq!(other["seq"], 2, "{other}");
    assert_eq!(bob.next("new-message").await["seq"], 1);
    assert_eq!(bob.next("new-message").await["seq"], 2);
    bob.assert_no("new-message").await;
    for bad in [
        json!("short"),
        json!("has spaces in it, which are not allowed"),
        json!("x".repeat(129)),
    ] {
        let refused = Sock::connect_auth(
            &url,
            "/chat",
            TransportType::Websocket,
            &[],
            Some(json!({ "guestKey": bad })),
        )
        .await
        .err()
        .expect("refused");
        assert!(
            refused.contains("auth.guestKey must be 22 to 128 letters, digits, - or _"),
            "{refused}"
        );
    }
}

/// Catches up with `history {after}` until no more: what a reconnecting
/// client does.
async fn catch_up(sock: &crate::helpers::Sock, room: &str, mut last_seq: i64) -> Vec<Value> {
    let mut missed = Vec::new();
    loop {
        let page = sock
            .request(
                "history",
                json!({"room": room, "after": last_seq, "limit": 7}),
            )
            .await;
        let messages = page["messages"].as_array().unwrap().clone();
        if let Some(m) = messages.last() {
            last_seq = m["seq"].as_i64().unwrap();
        }
        missed.extend(messages);
        if page["hasMore"] != true {
            return missed;
        }
    }
}

#[tokio::test]
async fn a_reconnecting_client_gets_exactly_what_it_missed() {
    let app = spawn_app().await;
    let ann = app.joined("ann").await;
    let mut bob = app.joined("bob").await;
    ann.request("send-message", json!({"message": "before"}))
        .await;
    let last_seen = bob.next("new-message").await["seq"].as_i64().unwrap();
    bob.disconnect().await;
    for i in 0..20 {
        ann.request(
            "send-message",
            json!({"message": format!("while away {i}")}),
        )
        .await;
    }
    let bob = app.joined("bob").await;
    let missed = catch_up(&bob, "general", last_seen).await;
    let texts: Vec<_> = missed
        .iter()
        .map(|m| m["message"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        texts,
        (0..20)
            .map(|i| format!("while away {i}"))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn history_survives_a_restart_on_the_same_database() {
    let app = spawn_app().await;
    let ann = app.joined("ann").await;
    for i in 1..=5 {
        ann.request("send-message", json!({"message": format!("m{i}")}))
            .await;
    }
    ann.disconnect().await;
    let dir = app.stop().await;

    let app = spawn_app_in(dir, |_| {}).await;
    let bob = app.joined("bob").await;
    let missed = catch_up(&bob, "general", 2).await;
    let seqs: Vec<_> = missed.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [3, 4, 5]);
    // New messages continue the sequence.
    let ack = bob.request("send-message", json!({"message": "m6"})).await;
    assert_eq!(ack["seq"], 6);
}
