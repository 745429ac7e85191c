//! Register, log in, tokens at the handshake, guests and registered names,
//! token expiry while connected, logout.

use crate::helpers::{spawn_app, spawn_app_with, wait_for, Sock, TransportType, WAIT};
use huddle::server::auth::{unix_now, Claims};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

async fn post(app: &crate::helpers::TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", app.url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn register_and_log_in() {
    let app = spawn_app().await;
    let session = app.register("Ann").await;
    assert_eq!(session["user"]["username"], "Ann");
    assert!(session["token"].as_str().is_some_and(|t| t.len() > 20));
    assert!(session["expiresAt"].as_u64().unwrap() > unix_now());

    let (status, body) = post(
        &app,
        "/api/register",
        json!({"username": "ann", "password": "another password"}),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(
        body["message"],
        "The username ann is taken: pick another, or log in"
    );

    let (status, body) = post(
        &app,
        "/api/login",
        json!({"username": "ANN", "password": "correct horse battery"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["username"], "Ann");

    for bad in [
        json!({"username": "Ann", "password": "wrong password"}),
        json!({"username": "nobody", "password": "correct horse battery"}),
    ] {
        let (status, body) = post(&app, "/api/login", bad).await;
        assert_eq!(status, 401);
        assert_eq!(body["message"], "Wrong username or password");
    }
}

#[tokio::test]
async fn bad_registrations_say_why() {
    let app = spawn_app().await;
    let (status, body) = post(
        &app,
        "/api/register",
        json!({"username": "bo", "password": "short"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "The password must be at least 8 characters"
    );
    let (status, body) = post(
        &app,
        "/api/register",
        json!({"username": "bo", "password": "p".repeat(129)}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "The password must be at most 128 characters"
    );
    let (status, body) = post(
        &app,
        "/api/register",
        json!({"username": "", "password": "long enough"}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("username must not be empty"),
        "{body}"
    );
    let (status, _) = post(&app, "/api/register", json!({"password": "long enough"})).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_logged_in_socket_joins_with_its_own_name_only() {
    let app = spawn_app().await;
    let session = app.register("Ann").await;
    let token = session["token"].as_str().unwrap();
    let s = app.chat_as(token).await;
    let refused = s.request("join", json!({"username": "Bob"})).await;
    assert_eq!(
        refused["message"],
        "You are logged in as Ann: join with that name"
    );
    let ok = s.request("join", json!({"username": "ann"})).await;
    assert_eq!(ok["message"], "Welcome Ann!");
    assert_eq!(ok["rooms"], json!([]));
    // The login token passes the protected-message guard.
    let ack = s
        .request(
            "protected-message",
            json!({"message": "hi", "token": token}),
        )
        .await;
    assert_eq!(ack["status"], "ok");
}

#[tokio::test]
async fn guests_cannot_take_a_registered_name() {
    let app = spawn_app().await;
    app.register("Ann").await;
    let guest = app.chat().await;
    let ack = guest.request("join", json!({"username": "aNN"})).await;
    assert_eq!(
        ack,
        json!({"status": "error", "message": "aNN is a registered name: log in to use it, or pick another"})
    );
    assert_eq!(
        guest.request("join", json!({"username": "Annie"})).await["status"],
        "ok"
    );
}

#[tokio::test]
async fn bad_tokens_are_refused_at_the_handshake() {
    let app = spawn_app().await;
    let session = app.register("Ann").await;
    let claims: Claims = Claims {
        sub: session["user"]["id"].to_string(),
        iat: unix_now() - 100,
        exp: unix_now() - 10,
        name: Some("Ann".into()),
        sid: Some("whatever".into()),
    };
    let expired = app.state.tokens().sign(&claims).unwrap();
    for (token, reason) in [
        (expired.as_str(), "Your session has expired: log in again"),
        ("not-a-jwt", "Invalid token: log in again"),
        ("valid-token", "Invalid token: log in again"),
    ] {
        let refused =
            Sock::connect_with(&app, "/chat", TransportType::Websocket, None, Some(token))
                .await
                .err()
                .unwrap_or_else(|| panic!("{token} must be refused"));
        assert!(refused.contains(reason), "{token}: {refused}");
    }
}

#[tokio::test]
async fn login_can_be_required() {
    let app = spawn_app_with(|c| c.require_login = true).await;
    let refused = Sock::try_connect(&app, "/chat", TransportType::Websocket, None)
        .await
        .err()
        .expect("a guest is refused");
    assert!(
        refused.contains("Login required: this server does not accept guests"),
        "{refused}"
    );
    let session = app.register("Ann").await;
    app.chat_as(session["token"].as_str().unwrap()).await;
}

#[tokio::test]
async fn a_token_that_expires_while_connected_ends_the_socket() {
    let app = spawn_app().await;
    let session = app.register("Ann").await;
    let id = session["user"]["id"].as_i64().unwrap();
    let store = &app.state.gateway.store;
    // Valid for the next few seconds: long enough to connect and join.
    const LIFETIME: u64 = 3;
    let expires = unix_now() + LIFETIME;
    store.create_session("short", id, expires).await.unwrap();
    let token = app
        .state
        .tokens()
        .sign(&Claims {
            sub: id.to_string(),
            iat: unix_now(),
            exp: expires,
            name: Some("Ann".into()),
            sid: Some("short".into()),
        })
        .unwrap();
    let mut s = app.chat_as(&token).await;
    let ack = s.request("join", json!({"username": "Ann"})).await;
    assert_eq!(ack["status"], "ok", "{ack}");
    let mut bob = app.joined("bob").await;
    // Waits for the expiry itself, then as long as for anything else.
    let ended = s
        .next_within("session-ended", Duration::from_secs(LIFETIME) + WAIT)
        .await;
    assert_eq!(ended["message"], "Your session has expired: log in again");
    assert_eq!(bob.next("user-left").await["username"], "Ann");
}

#[tokio::test]
async fn logout_ends_every_socket_of_the_session() {
    let app = spawn_app().await;
    let session = app.register("Ann").await;
    let token = session["token"].as_str().unwrap();
    let mut tab1 = app.chat_as(token).await;
    let mut tab2 = app.chat_as(token).await;
    let response = reqwest::Client::new()
        .post(format!("{}/api/logout", app.url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        tab1.next("session-ended").await["message"],
        "You logged out"
    );
    assert_eq!(
        tab2.next("session-ended").await["message"],
        "You logged out"
    );
    // The token no longer opens a socket.
    let again = Sock::connect_with(&app, "/chat", TransportType::Websocket, None, Some(token))
        .await
        .err()
        .expect("the token is refused");
    assert!(
        again.contains("This session has ended: log in again"),
        "{again}"
    );
}

/// A logout that reaches none of the session's sockets (in a cluster
/// whose Redis is down, the other nodes never hear of it) still ends
/// them: every node checks its sockets' sessions in the database every
/// `HUDDLE_SESSION_RECHECK_SECS` (1 s in tests).
#[tokio::test]
async fn a_session_revoked_where_no_socket_heard_of_it_still_ends() {
    let app = spawn_app().await;
    let session = app.register("Ann").await;
    let token = session["token"].as_str().unwrap();
    let mut tab = app.chat_as(token).await;
    let ack = tab.request("join", json!({"username": "Ann"})).await;
    assert_eq!(ack["status"], "ok", "{ack}");
    let mut bob = app.joined("bob").await;
    let sid = app.state.tokens().verify(token).unwrap().sid.unwrap();
    // Revoked in the database only, as another node's logout does.
    app.state.store().revoke_session(&sid).await.unwrap();
    assert_eq!(
        tab.next("session-ended").await["message"],
        "This session has ended: log in again"
    );
    assert_eq!(bob.next("user-left").await["username"], "Ann");
}

/// A logged-in socket that a later connect step refuses (here the
/// flood penalty, decided after authentication) leaves nothing behind:
/// not the internal rooms authentication joined, not its expiry timer.
/// (socketioxide 0.18.9 removes a refused socket from every room it
/// joined in a connect middleware; this test holds Huddle to it.)
#[tokio::test]
async fn a_socket_refused_after_authentication_leaves_no_room_behind() {
    use huddle::server::limits::ClientKey;
    let app = spawn_app().await;
    let session = app.register("Ann").await;
    let token = session["token"].as_str().unwrap();
    let id = session["user"]["id"].as_i64().unwrap();
    let internal = |rooms: &[String]| rooms.iter().filter(|r| r.starts_with('\u{1}')).count();
    let tab = app.chat_as(token).await;
    assert_eq!(
        internal(&app.state.io.rooms("/chat").await),
        2,
        "session and account rooms"
    );
    tab.disconnect().await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while internal(&app.state.io.rooms("/chat").await) > 0 {
        assert!(tokio::time::Instant::now() < deadline, "rooms stayed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.state
        .gateway
        .limits
        .penalize(ClientKey::Account(id), Duration::from_secs(60));
    let refused = Sock::connect_with(&app, "/chat", TransportType::Websocket, None, Some(token))
        .await
        .err()
        .expect("refused");
    assert!(
        refused.contains("You were disconnected for sending far more"),
        "{refused}"
    );
    assert_eq!(app.state.io.rooms("/chat").await, Vec::<String>::new());
    wait_for(|| app.state.gateway.session_timers.count() == 0).await;
}

#[tokio::test]
async fn joined_rooms_are_remembered_across_sessions() {
    let app = spawn_app().await;
    let session = app.register("Ann").await;
    let token = session["token"].as_str().unwrap().to_owned();
    let first = app.chat_as(&token).await;
    first.request("join", json!({"username": "Ann"})).await;
    first.request("join-room", json!({"room": "dev"})).await;
    first.request("join-room", json!({"room": "ops"})).await;
    first.request("leave-room", json!({"room": "ops"})).await;
    first.disconnect().await;

    let mut second = app.chat_as(&token).await;
    let welcome = second.request("join", json!({"username": "Ann"})).await;
    assert_eq!(welcome["rooms"], json!(["dev"]));
    // Already in dev: its messages arrive.
    let bob = app.joined("bob").await;
    bob.request("send-message", json!({"message": "for dev", "room": "dev"}))
        .await;
    assert_eq!(second.next("new-message").await["room"], "dev");
}

/// A logged-in socket waits for its token's expiry on a timer; the timer
/// goes with the socket (it used to sleep until the expiry, days later,
/// for every connect: #13 item 2).
#[tokio::test]
async fn a_logged_in_socket_leaves_no_expiry_timer_behind() {
    let app = spawn_app().await;
    let session = app.register("Timo").await;
    let token = session["token"].as_str().unwrap().to_owned();
    let timers = || app.state.gateway.session_timers.count();
    let mut sockets = Vec::new();
    for _ in 0..10 {
        sockets.push(app.chat_as(&token).await);
    }
    let notifications = Sock::connect_with(
        &app,
        "/notifications",
        TransportType::Websocket,
        None,
        Some(&token),
    )
    .await
    .expect("connects");
    wait_for(|| timers() == 11).await;
    for s in sockets {
        s.disconnect().await;
    }
    notifications.disconnect().await;
    wait_for(|| timers() == 0).await;
    // A guest has none.
    let _guest = app.joined("guest").await;
    assert_eq!(timers(), 0);
}
