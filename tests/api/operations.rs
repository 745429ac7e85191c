//! Operations: health and readiness, graceful shutdown.

use crate::helpers::*;
use serde_json::{json, Value};

#[tokio::test]
async fn healthz_and_readyz_answer() {
    let app = spawn_app().await;
    let alive = reqwest::get(format!("{}/healthz", app.url()))
        .await
        .unwrap();
    assert_eq!(alive.status(), 200);
    assert_eq!(
        alive.json::<Value>().await.unwrap(),
        json!({"status": "ok"})
    );
    let ready = reqwest::get(format!("{}/readyz", app.url())).await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(
        ready.json::<Value>().await.unwrap(),
        json!({"status": "ready", "database": "ok"})
    );
}

#[tokio::test]
async fn readyz_says_not_ready_when_the_database_is_gone() {
    let app = spawn_app().await;
    let ann = app.joined("ann").await;
    app.state.gateway.store.close().await;
    let ready = reqwest::get(format!("{}/readyz", app.url())).await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "not ready");
    assert!(
        body["database"].as_str().is_some_and(|r| !r.is_empty()),
        "{body}"
    );
    // Alive all the same.
    let alive = reqwest::get(format!("{}/healthz", app.url()))
        .await
        .unwrap();
    assert_eq!(alive.status(), 200);
    // Sends are refused with a clear error, never acked unstored.
    let refused = ann
        .request("send-message", json!({"message": "lost?"}))
        .await;
    assert_eq!(refused["status"], "error", "{refused}");
    assert_eq!(
        refused["message"],
        "The message could not be stored, so it was not sent: try again"
    );
}

#[tokio::test]
async fn a_graceful_shutdown_tells_clients_and_keeps_every_acked_message() {
    let app = spawn_app().await;
    let mut ann = app.joined("ann").await;
    let mut acked = Vec::new();
    for i in 0..20 {
        let text = format!("m{i}");
        let ack = ann.request("send-message", json!({"message": text})).await;
        assert_eq!(ack["status"], "ok", "{ack}");
        acked.push(text);
    }
    let data = app.stop().await;
    let notice = ann.next("server-restarting").await;
    assert_eq!(notice["message"], "The server is restarting: reconnecting…");

    // Every acked message is there after the restart.
    let app = spawn_app_in(data, |_| {}).await;
    let bob = app.joined("bob").await;
    let page = bob
        .request("history", json!({"room": "general", "limit": 100}))
        .await;
    let stored: Vec<String> = page["messages"]
        .as_array()
        .expect("a page of messages")
        .iter()
        .filter_map(|m| m["message"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(stored, acked);
}

#[tokio::test]
async fn metrics_count_connections_events_refusals_and_latencies() {
    let app =
        spawn_app_with(|c| c.limits.send = huddle::server::limits::Rate::new(1, 3600, 1)).await;
    let ann = app.joined("ann").await;
    assert_eq!(
        ann.request("send-message", json!({"message": "one"})).await["status"],
        "ok"
    );
    let refused = ann.request("send-message", json!({"message": "two"})).await;
    assert!(refused["retryAfterMs"].is_u64(), "{refused}");

    let response = reqwest::get(format!("{}/metrics", app.url()))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let body = response.text().await.unwrap();
    // The recorder is the process's: other tests' servers count too, so
    // each series must be there and positive (the connection gauge is set
    // by whichever server changed last, so only its presence is checked).
    assert!(
        body.contains("huddle_connections{namespace=\"/chat\"}"),
        "{body}"
    );
    for series in [
        "huddle_events_received_total{budget=\"sends\",outcome=\"accepted\"}",
        "huddle_events_received_total{budget=\"sends\",outcome=\"rate_limited\"}",
        "huddle_events_sent_total{event=\"new-message\"}",
        "huddle_ack_seconds_count",
        "huddle_db_write_seconds_count",
        "huddle_db_write_batch_count",
    ] {
        let line = body
            .lines()
            .find(|l| l.starts_with(series))
            .unwrap_or_else(|| panic!("no {series} in\n{body}"));
        let value: f64 = line
            .rsplit(' ')
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no value in {line}"));
        assert!(value > 0.0, "{line}");
    }
    assert!(
        body.contains("huddle_ack_seconds_bucket{le=\"0.001\"}"),
        "{body}"
    );
}
