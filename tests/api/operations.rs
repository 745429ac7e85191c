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
    // Which part is down, and no more: the database's error (hosts,
    // users, files) is in the log only.
    let body: Value = ready.json().await.unwrap();
    assert_eq!(
        body,
        json!({"status": "not ready", "database": "unavailable"})
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

/// Sends waiting for the database when SIGTERM comes are stored before the
/// process exits; a client that got no ack retries with its `clientId` and
/// nothing is stored twice.
#[tokio::test]
async fn a_graceful_shutdown_stores_the_sends_in_flight_and_a_retry_stores_none_twice() {
    use sqlx::Connection;
    const SENDS: usize = 200;
    let mut server = Process::start(&[
        ("HUDDLE_SEND_LIMIT", "100000/s:100000"),
        ("HUDDLE_CLIENT_SEND_LIMIT", "100000/s:100000"),
    ])
    .await;
    // Ann's page presents its guest key on every connection, so its
    // retries after the restart are known as hers.
    const ANN: &str = "operations-test-guest-key-of-ann";
    let mut ann = joined_as_guest(&server.url(), "ann", ANN).await;
    // Another connection holds SQLite's write lock, so every send waits in
    // the server (in its handler and the writer's queue) when the stop comes.
    let database = format!("sqlite://{}", server.data_dir().join("huddle.db").display());
    let mut lock = sqlx::SqliteConnection::connect(&database)
        .await
        .expect("opens the server's database");
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut lock)
        .await
        .expect("takes the write lock");
    let text = |i: usize| format!("m{i:03}");
    let send = |i: usize| json!({"message": text(i), "clientId": format!("shutdown-{i}")});
    let mut acks = Vec::new();
    for i in 0..SENDS {
        acks.push(ann.request_later("send-message", send(i)).await);
    }
    let read = "huddle_events_received_total{budget=\"sends\",outcome=\"accepted\"}";
    let deadline = tokio::time::Instant::now() + WAIT;
    while server.metric(read).await < SENDS as f64 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the server read {} of {SENDS} sends",
            server.metric(read).await
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    server.sigterm();
    let notice = ann.next("server-restarting").await;
    assert_eq!(notice["message"], "The server is restarting: reconnecting…");
    sqlx::query("COMMIT")
        .execute(&mut lock)
        .await
        .expect("gives the lock back");
    drop(lock);
    server.wait_exit(std::time::Duration::from_secs(20)).await;
    // Acks that made it out before the sockets closed are all "ok" (the
    // client hands over what it received within QUIET; it never drops the
    // callbacks of a connection that is gone).
    let received = tokio::time::Instant::now() + QUIET;
    let mut unacked = Vec::new();
    for (i, ack) in acks.into_iter().enumerate() {
        match tokio::time::timeout_at(received, ack).await {
            Ok(Ok(ack)) => assert_eq!(ack["status"], "ok", "{ack}"),
            _ => unacked.push(i),
        }
    }
    eprintln!("{} of {SENDS} sends unacked at the stop", unacked.len());
    assert!(
        !unacked.is_empty(),
        "the stop came while sends were in flight"
    );

    server.restart().await;
    let ann = joined_as_guest(&server.url(), "ann", ANN).await;
    let stored = whole_history(&ann, "general").await;
    let texts: Vec<&str> = stored
        .iter()
        .filter_map(|m| m["message"].as_str())
        .collect();
    let all: Vec<String> = (0..SENDS).map(text).collect();
    assert_eq!(texts, all, "every send read before the stop is stored");
    // The client retries what got no ack: the server answers with the
    // stored message and stores nothing again.
    for i in unacked {
        let ack = ann.request("send-message", send(i)).await;
        assert_eq!(ack["status"], "ok", "{ack}");
        assert_eq!(ack["seq"], stored[i]["seq"], "{ack}");
    }
    let after = whole_history(&ann, "general").await;
    assert_eq!(after, stored);
    let seqs: Vec<i64> = after.iter().filter_map(|m| m["seq"].as_i64()).collect();
    assert_eq!(seqs, (1..=SENDS as i64).collect::<Vec<_>>());
}

/// The server runs as a process of its own: in-process servers share the
/// test process's recorder, where other tests' traffic counts too. Each
/// count is compared before and after this test's own traffic.
#[tokio::test]
async fn metrics_count_connections_events_refusals_and_latencies() {
    let server = Process::start(&[("HUDDLE_SEND_LIMIT", "1/h:1")]).await;
    let scrape = || async {
        let response = reqwest::get(server.metrics_url()).await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
        response.text().await.unwrap()
    };
    let count = |body: &str, series: &str| metric_value(body, series).unwrap_or(0.0);
    let connections = "huddle_connections{namespace=\"/chat\"}";
    let accepted = "huddle_events_received_total{budget=\"sends\",outcome=\"accepted\"}";
    let limited = "huddle_events_received_total{budget=\"sends\",outcome=\"rate_limited\"}";
    let joins = "huddle_events_received_total{budget=\"room changes\",outcome=\"accepted\"}";
    let sent = "huddle_events_sent_total{event=\"new-message\"}";
    let acks = "huddle_ack_seconds_count";
    let commits = "huddle_db_write_batch_count";
    let stored = "huddle_db_write_batch_sum";

    let before = scrape().await;
    let ann = joined_at(&server.url(), "ann").await;
    assert_eq!(
        ann.request("send-message", json!({"message": "one"})).await["status"],
        "ok"
    );
    let refused = ann.request("send-message", json!({"message": "two"})).await;
    assert!(refused["retryAfterMs"].is_u64(), "{refused}");
    let after = scrape().await;

    let delta = |series: &str| count(&after, series) - count(&before, series);
    assert_eq!(count(&after, connections), 1.0, "{after}");
    assert_eq!(delta(joins), 1.0, "the join");
    assert_eq!(delta(accepted), 1.0, "one send accepted");
    assert_eq!(delta(limited), 1.0, "one send refused");
    assert_eq!(delta(sent), 1.0, "one new-message broadcast");
    // The join and the stored send were answered; the refusal is answered
    // as its packet is read, before the pipeline that times answers.
    assert_eq!(delta(acks), 2.0, "answers timed");
    assert_eq!(delta(stored), 1.0, "one message stored");
    assert!(delta(commits) >= 1.0, "its commit is timed");
    assert!(
        after.contains("huddle_ack_seconds_bucket{le=\"0.001\"}"),
        "{after}"
    );
    ann.disconnect().await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while count(&scrape().await, connections) != 0.0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the gauge stays at 1"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Metrics are for the operator: on their own listener, and on the main
/// one only with the token.
#[tokio::test]
async fn metrics_are_not_served_to_anyone_on_the_main_listener() {
    let app = spawn_app().await;
    let main = reqwest::get(format!("{}/metrics", app.url()))
        .await
        .unwrap();
    assert_eq!(main.status(), 404);
    let own = app.metrics_addr.expect("a metrics listener");
    assert!(own.ip().is_loopback());
    assert_ne!(own.port(), app.addr.port());
    let scraped = reqwest::get(format!("http://{own}/metrics")).await.unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(scraped.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    // The metrics listener serves nothing else.
    let other = reqwest::get(format!("http://{own}/readyz")).await.unwrap();
    assert_eq!(other.status(), 404);
}

#[tokio::test]
async fn the_metrics_token_opens_metrics_on_the_main_listener() {
    use huddle::server::metrics::{parse_token, MetricsAddr};
    let app = spawn_app_with(|c| {
        c.metrics_addr = MetricsAddr::Off;
        c.metrics_token = Some(parse_token("a-scraper's-long-token").unwrap());
    })
    .await;
    assert_eq!(app.metrics_addr, None);
    let http = reqwest::Client::new();
    let url = format!("{}/metrics", app.url());
    let without = http.get(&url).send().await.unwrap();
    assert_eq!(without.status(), 401);
    assert_eq!(without.headers()["www-authenticate"], "Bearer");
    let wrong = http.get(&url).bearer_auth("a-guess").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let right = http
        .get(&url)
        .bearer_auth("a-scraper's-long-token")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
}

#[tokio::test]
async fn a_metrics_address_in_use_stops_the_start_with_the_setting_named() {
    use huddle::server::metrics::MetricsAddr;
    use huddle::server::{Application, Config};
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_tests(dir.path().to_path_buf());
    config.metrics_addr = MetricsAddr::At(taken.local_addr().unwrap());
    let refused = Application::build(config)
        .await
        .err()
        .expect("the server does not start");
    let message = format!("{refused:#}");
    assert!(message.contains("HUDDLE_METRICS_ADDR"), "{message}");
}
