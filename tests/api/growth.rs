//! What grows with use stays bounded (issue #13, item 8): the rooms and
//! boards one socket holds, the subscriptions of a `/notifications` socket,
//! the rooms an account keeps, the `rooms` rows names leave behind, and the
//! sessions table.

use crate::helpers::{spawn_app, spawn_app_in, Sock, TransportType, WAIT};
use huddle::protocol::limits::{MAX_JOINED_ROOMS, MAX_OPEN_BOARDS, MAX_SUBSCRIPTIONS};
use serde_json::{json, Value};
use sqlx::Connection;
use std::path::Path;
use std::time::Duration;

fn refused(ack: &Value) -> &str {
    assert_eq!(ack["status"], "error", "{ack}");
    ack["message"].as_str().unwrap_or_default()
}

fn ok(ack: &Value) {
    assert_eq!(ack["status"], "ok", "{ack}");
}

/// The app's SQLite database, opened beside it.
async fn database(dir: &Path) -> sqlx::SqliteConnection {
    let url = format!("sqlite://{}", dir.join("huddle.db").display());
    sqlx::SqliteConnection::connect(&url)
        .await
        .expect("the database opens")
}

async fn count(db: &mut sqlx::SqliteConnection, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(db)
        .await
        .expect("a count")
}

#[tokio::test]
async fn one_socket_joins_a_bounded_number_of_rooms_and_boards() {
    let app = spawn_app().await;
    let s = app.joined("ann").await;
    for i in 0..MAX_JOINED_ROOMS {
        ok(&s
            .request("join-room", json!({ "room": format!("r{i}") }))
            .await);
    }
    let over = s.request("join-room", json!({"room": "one-more"})).await;
    assert_eq!(
        refused(&over),
        "You are in 100 rooms besides general, the most one connection may join: leave one first"
    );
    // A room it is in already, and general, still answer as before.
    ok(&s.request("join-room", json!({"room": "r0"})).await);
    ok(&s.request("join-room", json!({"room": "general"})).await);
    // Leaving one makes room for another.
    ok(&s.request("leave-room", json!({"room": "r0"})).await);
    ok(&s.request("join-room", json!({"room": "one-more"})).await);

    // Boards are rooms' (that someone entered): another socket makes them.
    let maker = app.joined("maker").await;
    for i in 0..MAX_OPEN_BOARDS {
        ok(&maker
            .request("join-room", json!({ "room": format!("b{i}") }))
            .await);
    }
    ok(&maker.request("join-room", json!({"room": "b-more"})).await);
    for i in 0..MAX_OPEN_BOARDS {
        ok(&s
            .request("board-join", json!({ "room": format!("b{i}") }))
            .await);
    }
    let over = s.request("board-join", json!({"room": "b-more"})).await;
    assert_eq!(
        refused(&over),
        "You have 20 boards open, the most one connection may: close one first (board-leave)"
    );
    ok(&s
        .request("board-join", json!({"room": "b0", "since": 0}))
        .await);
    ok(&s.request("board-leave", json!({"room": "b0"})).await);
    ok(&s.request("board-join", json!({"room": "b-more"})).await);
}

#[tokio::test]
async fn one_notifications_socket_holds_a_bounded_number_of_subscriptions() {
    let app = spawn_app().await;
    let s = Sock::connect(&app, "/notifications", TransportType::Websocket).await;
    for i in 0..MAX_SUBSCRIPTIONS {
        let ack = s
            .request(
                "subscribe-to-notifications",
                json!({ "userId": format!("g{i}") }),
            )
            .await;
        ok(&ack);
    }
    let over = s
        .request("subscribe-to-notifications", json!({"userId": "g-more"}))
        .await;
    assert_eq!(
        refused(&over),
        "This connection has 100 subscriptions, the most one may have: connect again to start afresh"
    );
    ok(&s
        .request("subscribe-to-notifications", json!({"userId": "g0"}))
        .await);
}

/// A logged-in user who joins and leaves room after room leaves no row
/// behind for them; an account keeps at most 100 rooms over all its
/// sockets.
#[tokio::test]
async fn names_joined_and_left_leave_no_rows_and_an_account_keeps_a_bounded_number() {
    let app = spawn_app().await;
    let session = app.register("Ann").await;
    let token = session["token"].as_str().unwrap();
    let mut tab = app.chat_as(token).await;
    ok(&tab.request("join", json!({"username": "Ann"})).await);
    tab.next("user-joined").await;
    for i in 0..30 {
        let room = json!({ "room": format!("passing-{i}") });
        ok(&tab.request("join-room", room.clone()).await);
        ok(&tab.request("leave-room", room).await);
    }
    ok(&tab
        .request("send-message", json!({"message": "hi", "room": "kept"}))
        .await);
    let mut db = database(app.data_dir.path()).await;
    assert_eq!(
        count(
            &mut db,
            "SELECT COUNT(*) FROM rooms WHERE name LIKE 'passing-%'"
        )
        .await,
        0,
        "rooms joined and left left rows behind"
    );
    assert_eq!(
        count(&mut db, "SELECT COUNT(*) FROM rooms WHERE name = 'kept'").await,
        1
    );

    // Two tabs of one account share what it keeps.
    let mut other = app.chat_as(token).await;
    ok(&other.request("join", json!({"username": "Ann"})).await);
    other.next("user-joined").await;
    for i in 0..60 {
        ok(&tab
            .request("join-room", json!({ "room": format!("a{i}") }))
            .await);
    }
    for i in 0..MAX_JOINED_ROOMS - 60 {
        ok(&other
            .request("join-room", json!({ "room": format!("b{i}") }))
            .await);
    }
    let over = other.request("join-room", json!({"room": "b-more"})).await;
    assert_eq!(
        refused(&over),
        "Your account keeps 100 rooms besides general, the most it may: leave one first"
    );
    ok(&tab.request("leave-room", json!({"room": "a0"})).await);
    ok(&other.request("join-room", json!({"room": "b-more"})).await);
}

/// Sessions past their expiry are deleted; a logged-out session stays (its
/// token must go on being refused) until it expires too.
#[tokio::test]
async fn expired_sessions_are_purged_and_logged_out_ones_kept_until_they_expire() {
    let app = spawn_app().await;
    let live = app.register("Ann").await;
    let ended = app.register("Bob").await;
    let ended_token = ended["token"].as_str().unwrap().to_owned();
    let response = reqwest::Client::new()
        .post(format!("{}/api/logout", app.url()))
        .bearer_auth(&ended_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let user = live["user"]["id"].as_i64().unwrap();
    let dir = app.stop().await;
    {
        let mut db = database(dir.path()).await;
        let past = unix_now() - 60;
        for (id, revoked) in [
            ("old", None),
            ("old-revoked", Some("2026-01-01T00:00:00.000Z")),
        ] {
            sqlx::query(
                "INSERT INTO sessions (id, user_id, created_at, expires_at, revoked_at) \
                 VALUES ($1, $2, '2026-01-01T00:00:00.000Z', $3, $4)",
            )
            .bind(id)
            .bind(user)
            .bind(past)
            .bind(revoked)
            .execute(&mut db)
            .await
            .unwrap();
        }
        assert_eq!(count(&mut db, "SELECT COUNT(*) FROM sessions").await, 4);
    }
    // The store's housekeeping runs as the server starts, then regularly.
    let app = spawn_app_in(dir, |_| {}).await;
    let mut db = database(app.data_dir.path()).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while count(
        &mut db,
        "SELECT COUNT(*) FROM sessions WHERE id LIKE 'old%'",
    )
    .await
        > 0
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "expired sessions were not purged"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(count(&mut db, "SELECT COUNT(*) FROM sessions").await, 2);
    // The live login still opens a socket, the logged-out one still not.
    app.chat_as(live["token"].as_str().unwrap()).await;
    let again = Sock::connect_with(
        &app,
        "/chat",
        TransportType::Websocket,
        None,
        Some(&ended_token),
    )
    .await
    .err()
    .expect("the logged-out token is refused");
    assert!(again.contains("This session has ended"), "{again}");
}

/// Seconds since 1970, as sessions store expiry.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}
