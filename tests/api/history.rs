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
