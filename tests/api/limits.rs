//! Abuse limits: every refusal and its message, per socket and per client.

use crate::helpers::*;
use huddle::server::limits::Rate;
use serde_json::{json, Value};
use std::time::Duration;

/// A bucket that refills so slowly that no test sees a refill.
fn only(n: u32) -> Rate {
    Rate::new(n, 3600, n)
}

fn assert_rate_limited(ack: &Value) {
    assert_eq!(ack["status"], "error", "{ack}");
    let wait = ack["retryAfterMs"]
        .as_u64()
        .expect("retryAfterMs is a number");
    assert!(wait > 0, "{ack}");
    assert_eq!(
        ack["message"],
        format!("Rate limit exceeded, retry in {wait} ms"),
        "{ack}"
    );
}

async fn send(sock: &Sock, text: &str) -> Value {
    sock.request("send-message", json!({"message": text, "room": "general"}))
        .await
}

#[tokio::test]
async fn sends_over_the_socket_budget_are_refused_and_not_delivered() {
    let app = spawn_app_with(|c| c.limits.send = only(3)).await;
    let mut listener = app.joined("lis").await;
    let ann = app.joined("ann").await;
    for i in 0..3 {
        assert_eq!(send(&ann, &format!("m{i}")).await["status"], "ok");
    }
    let refused = send(&ann, "one too many").await;
    assert_rate_limited(&refused);
    // The wait is about the time one token takes: an hour / 3.
    let wait = refused["retryAfterMs"].as_u64().unwrap();
    assert!(wait > 1_000_000 && wait <= 1_200_000, "{wait}");
    for i in 0..3 {
        assert_eq!(
            listener.next("new-message").await["message"],
            format!("m{i}")
        );
    }
    listener.assert_no("new-message").await;
    let page = ann.request("history", json!({"room": "general"})).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 3, "{page}");
    // Other budgets are untouched.
    assert_eq!(users(&ann).await.len(), 2);
}

#[tokio::test]
async fn a_client_budget_spans_its_sockets() {
    // Guests: the budget of their address. Three sockets, five sends.
    let app = spawn_app_with(|c| c.limits.client_send = only(5)).await;
    let a = app.joined("a").await;
    let b = app.joined("b").await;
    let c = app.joined("c").await;
    for sock in [&a, &b, &a, &c, &b] {
        assert_eq!(send(sock, "hi").await["status"], "ok");
    }
    for sock in [&a, &b, &c] {
        assert_rate_limited(&send(sock, "hi").await);
    }
}

#[tokio::test]
async fn an_account_budget_spans_its_sockets_and_not_others() {
    let app = spawn_app_with(|c| c.limits.client_send = only(2)).await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let ann_token = ann["token"].as_str().unwrap();
    let tab1 = app.chat_as(ann_token).await;
    let tab2 = app.chat_as(ann_token).await;
    let bob_sock = app.chat_as(bob["token"].as_str().unwrap()).await;
    for s in [&tab1, &tab2] {
        assert_eq!(
            s.request("join", json!({"username": "ann"})).await["status"],
            "ok"
        );
    }
    assert_eq!(
        bob_sock.request("join", json!({"username": "bob"})).await["status"],
        "ok"
    );
    assert_eq!(send(&tab1, "1").await["status"], "ok");
    assert_eq!(send(&tab2, "2").await["status"], "ok");
    assert_rate_limited(&send(&tab1, "3").await);
    assert_rate_limited(&send(&tab2, "3").await);
    // Bob is another account behind the same address: his own budget.
    assert_eq!(send(&bob_sock, "hello").await["status"], "ok");
    assert_eq!(send(&bob_sock, "hello").await["status"], "ok");
}

#[tokio::test]
async fn dms_and_protected_messages_draw_from_the_send_budget() {
    let app = spawn_app_with(|c| c.limits.send = only(1)).await;
    let ann = app.register("ann").await;
    app.register("bob").await;
    let sock = app.chat_as(ann["token"].as_str().unwrap()).await;
    assert_eq!(
        sock.request("join", json!({"username": "ann"})).await["status"],
        "ok"
    );
    let dm = sock
        .request("send-dm", json!({"to": "bob", "message": "hi"}))
        .await;
    assert_eq!(dm["status"], "ok", "{dm}");
    assert_rate_limited(
        &sock
            .request("send-dm", json!({"to": "bob", "message": "again"}))
            .await,
    );
    let token = app.token().await;
    assert_rate_limited(
        &sock
            .request("protected-message", json!({"message": "x", "token": token}))
            .await,
    );
}

#[tokio::test]
async fn room_changes_have_their_own_budget() {
    let app = spawn_app_with(|c| c.limits.rooms = only(3)).await;
    let sock = app.joined("ann").await; // 1: join
    let ok = sock.request("join-room", json!({"room": "a"})).await;
    assert_eq!(ok["status"], "ok", "{ok}"); // 2
    let ok = sock.request("leave-room", json!({"room": "a"})).await;
    assert_eq!(ok["status"], "ok", "{ok}"); // 3
    assert_rate_limited(&sock.request("join-room", json!({"room": "b"})).await);
    assert_rate_limited(&sock.request("leave-room", json!({"room": "a"})).await);
    assert_rate_limited(&sock.request("join", json!({"username": "ann"})).await);
    // Still able to send, and in general only: of messages to b, a and
    // general, only general's arrives.
    assert_eq!(send(&sock, "fine").await["status"], "ok");
    let other = app.joined("bob").await;
    for room in ["b", "a", "general"] {
        let ack = other
            .request("send-message", json!({"message": room, "room": room}))
            .await;
        assert_eq!(ack["status"], "ok", "{ack}");
    }
    let mut sock = sock;
    let (message, before) = sock.until("new-message").await;
    assert_eq!(message["message"], "fine");
    let (message, before_general) = sock.until("new-message").await;
    assert_eq!(message["room"], "general");
    assert_eq!(message["message"], "general");
    for (event, payload) in before.iter().chain(&before_general) {
        assert_ne!(event, "new-message", "{payload}");
    }
}

#[tokio::test]
async fn every_other_event_draws_from_the_read_budget() {
    let app = spawn_app_with(|c| c.limits.reads = only(3)).await;
    let sock = app.joined("ann").await;
    assert_eq!(sock.request("get-users", json!({})).await["status"], "ok");
    assert_eq!(
        sock.request("history", json!({"room": "general"})).await["status"],
        "ok"
    );
    // Unknown events count too: otherwise they would be a free flood.
    let unknown = sock.request("no-such-event", json!({})).await;
    assert_eq!(unknown["status"], "error");
    assert!(unknown["message"]
        .as_str()
        .unwrap()
        .contains("Unknown event"));
    assert_rate_limited(&sock.request("get-users", json!({})).await);
    assert_rate_limited(&sock.request("no-such-event", json!({})).await);
    assert_rate_limited(&sock.request("focus", json!({"room": "general"})).await);
    assert_eq!(send(&sock, "sends are apart").await["status"], "ok");

    let notes = Sock::connect(&app, "/notifications", TransportType::Websocket).await;
    for _ in 0..3 {
        let ok = notes
            .request("subscribe-to-notifications", json!({"userId": "u1"}))
            .await;
        assert_eq!(ok["status"], "ok", "{ok}");
    }
    assert_rate_limited(
        &notes
            .request("subscribe-to-notifications", json!({"userId": "u1"}))
            .await,
    );
}

#[tokio::test]
async fn without_an_ack_callback_the_refusal_is_an_exception() {
    let app = spawn_app_with(|c| c.limits.send = only(1)).await;
    let mut sock = app.joined("ann").await;
    sock.emit("send-message", json!({"message": "1", "room": "general"}))
        .await;
    sock.next("new-message").await;
    sock.emit("send-message", json!({"message": "2", "room": "general"}))
        .await;
    let exception = sock.next("exception").await;
    assert_rate_limited(&exception);
    sock.assert_no("new-message").await;
}

#[tokio::test]
async fn a_client_that_keeps_hammering_is_kicked_with_a_reason() {
    let app = spawn_app_with(|c| {
        c.limits.send = only(1);
        c.limits.kick_after = 5;
    })
    .await;
    let mut other = app.joined("other").await;
    let mut spammer = app.joined("spammer").await;
    assert_eq!(app.state.gateway.limits.connections.count("/chat"), 2);
    assert_eq!(send(&spammer, "1").await["status"], "ok");
    for _ in 0..5 {
        assert_rate_limited(&send(&spammer, "x").await);
    }
    // The sixth refusal in the window: no answer, `kicked`, disconnected.
    spammer
        .request_expecting_no_ack("send-message", json!({"message": "x", "room": "general"}))
        .await;
    let kicked = spammer.next("kicked").await;
    assert!(
        kicked["message"].as_str().unwrap().contains("rate limit"),
        "{kicked}"
    );
    assert_eq!(kicked["retryAfterMs"], 10_000);
    let left = other.next("user-left").await;
    assert_eq!(left["username"], "spammer");
    wait_for(|| app.state.gateway.limits.connections.count("/chat") == 1).await;
    // Everyone else carries on.
    assert_eq!(send(&other, "still here").await["status"], "ok");
    // The kicked address may not come straight back: refused at the
    // handshake, with the reason.
    let again = reqwest::get(format!("{}/socket.io/?EIO=4&transport=polling", app.url()))
        .await
        .unwrap();
    assert_eq!(again.status(), 429);
    let body: Value = again.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().starts_with(
            "You were disconnected for sending far more than the rate limit allows: retry in"
        ),
        "{body}"
    );
    assert!(body["retryAfterMs"].as_u64().unwrap() <= 10_000);
}

#[tokio::test]
async fn a_kicked_account_may_not_reconnect_for_a_while() {
    // Behind a proxy: each client's address is its X-Forwarded-For, so the
    // account can come back from an address that was not kicked.
    let app = spawn_app_with(|c| {
        c.limits.send = only(1);
        c.limits.kick_after = 2;
        c.limits.client_ip_header = Some(http::HeaderName::from_static("x-forwarded-for"));
        c.limits.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let session = app.register("ann").await;
    let token = session["token"].as_str().unwrap();
    let url = app.url();
    let from = |address: &'static str| {
        let url = url.clone();
        async move {
            Sock::connect_with_headers(
                &url,
                "/chat",
                TransportType::Websocket,
                &[("X-Forwarded-For", address)],
                Some(token),
            )
            .await
        }
    };
    let mut sock = from("203.0.113.1").await.expect("connects");
    assert_eq!(
        sock.request("join", json!({"username": "ann"})).await["status"],
        "ok"
    );
    assert_eq!(send(&sock, "1").await["status"], "ok");
    for _ in 0..2 {
        assert_rate_limited(&send(&sock, "x").await);
    }
    sock.emit("send-message", json!({"message": "x", "room": "general"}))
        .await;
    let kicked = sock.next("kicked").await;
    let retry_after = kicked["retryAfterMs"].as_u64().expect("retryAfterMs");
    wait_for(|| app.state.gateway.limits.connections.count("/chat") == 0).await;
    // The account is refused by name at connect, from another address.
    let refused = from("203.0.113.2")
        .await
        .err()
        .expect("the kicked account is refused");
    assert!(
        refused.contains(
            "You were disconnected for sending far more than the rate limit allows: retry in"
        ),
        "{refused}"
    );
    // So is a guest from the kicked address.
    let guest = Sock::connect_with_headers(
        &app.url(),
        "/chat",
        TransportType::Websocket,
        &[("X-Forwarded-For", "203.0.113.1")],
        None,
    )
    .await
    .err()
    .expect("the kicked address is refused");
    assert!(
        guest.starts_with("HTTP 429: ") && guest.contains("far more than the rate limit allows"),
        "{guest}"
    );
    // Once the penalty is over, the account connects again.
    tokio::time::sleep(Duration::from_millis(retry_after)).await;
    let back = from("203.0.113.2")
        .await
        .expect("connects after the penalty");
    assert_eq!(
        back.request("join", json!({"username": "ann"})).await["status"],
        "ok"
    );
}

#[tokio::test]
async fn sockets_per_address_are_limited_with_a_reason() {
    let app = spawn_app_with(|c| c.limits.max_connections_per_ip = 2).await;
    let first = app.chat().await;
    let _second = app.chat().await;
    let refused = Sock::try_connect(&app, "/chat", TransportType::Websocket, None)
        .await
        .err()
        .expect("the third socket is refused");
    assert!(
        refused.contains("Too many connections from your address (2)"),
        "{refused}"
    );
    // Namespaces count apart: this address may still subscribe.
    Sock::connect(&app, "/notifications", TransportType::Websocket).await;
    // A closed socket gives its place back.
    first.disconnect().await;
    wait_for(|| app.state.gateway.limits.connections.count("/chat") == 1).await;
    app.chat().await;
}

/// Engine.IO sessions count per address too, whether or not a namespace
/// socket is on them: a session whose `/chat` socket left (or never came)
/// holds its place until the session itself closes.
#[tokio::test]
async fn engine_io_sessions_per_address_are_limited() {
    use crate::helpers::raw::session_that_left_chat;
    let app = spawn_app_with(|c| c.limits.max_sessions_per_ip = 2).await;
    let first = session_that_left_chat(app.addr).await;
    let _second = session_that_left_chat(app.addr).await;
    wait_for(|| app.state.gateway.limits.connections.count("/chat") == 0).await;
    let http = reqwest::Client::new();
    let open = format!("{}/socket.io/?EIO=4&transport=polling", app.url());
    let refused = http.get(&open).send().await.unwrap();
    assert_eq!(refused.status(), 429);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(
        body["message"],
        "Too many connections from your address (2): close other tabs or devices, or try again later",
    );
    // A session that closes gives its place back.
    drop(first);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let status = http.get(&open).send().await.unwrap().status();
        if status == 200 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "still {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_total_is_limited_with_a_reason() {
    let app = spawn_app_with(|c| c.limits.max_connections = 1).await;
    let _first = app.chat().await;
    let refused = Sock::try_connect(&app, "/chat", TransportType::Polling, None)
        .await
        .err()
        .expect("the second socket is refused");
    assert!(
        refused.contains("The server is full (1 connections)"),
        "{refused}"
    );
}

#[tokio::test]
async fn handshakes_per_address_are_limited_with_http_429() {
    let app = spawn_app_with(|c| c.limits.handshakes = only(2)).await;
    let http = reqwest::Client::new();
    let open = format!("{}/socket.io/?EIO=4&transport=polling", app.url());
    let first = http.get(&open).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let body = first.text().await.unwrap();
    let sid = body
        .split("\"sid\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a handshake carries a sid")
        .to_owned();
    assert_eq!(http.get(&open).send().await.unwrap().status(), 200);
    let refused = http.get(&open).send().await.unwrap();
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0);
    let body: Value = refused.json().await.unwrap();
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("Too many connection attempts from your address: retry in"),
        "{body}"
    );
    assert!(body["retryAfterMs"].as_u64().unwrap() > 0);
    // Requests of an open session are not handshakes.
    let poll = http
        .post(format!("{open}&sid={sid}"))
        .body("40/chat,")
        .send()
        .await
        .unwrap();
    assert_eq!(poll.status(), 200);
    // A socket.io client sees the refusal as a failed connection.
    let refused = Sock::try_connect(&app, "/chat", TransportType::Websocket, None)
        .await
        .err()
        .expect("the handshake is refused");
    assert!(
        refused.starts_with(
            "HTTP 429: {\"message\":\"Too many connection attempts from your address: retry in"
        ),
        "{refused}"
    );
}

/// A client that sends faster than the server can handle (here the
/// database is locked, so its first message cannot be stored) gets at most
/// `MAX_WAITING_EVENTS` events waiting in the server; each one past that
/// is refused as it is read, with its own ack, instead of piling up in
/// memory. Once the database is free the waiting ones are handled, in
/// order, and the socket may send again. (Before the bound, all 300 waited.)
#[tokio::test]
async fn events_past_the_waiting_bound_are_refused_as_they_are_read() {
    use futures_util::SinkExt;
    use huddle::protocol::limits::MAX_WAITING_EVENTS;
    use sqlx::Connection;
    use tokio_tungstenite::tungstenite::Message;

    let plenty = Rate::new(10_000, 1, 10_000);
    let app = spawn_app_with(|c| {
        c.limits.send = plenty;
        c.limits.client_send = plenty;
    })
    .await;
    let mut ws = raw::open_chat(app.addr, None).await;
    ws.send(Message::text(r#"42/chat,0["join",{"username":"ann"}]"#))
        .await
        .unwrap();
    raw::expect_frame(&mut ws, "43/chat,0[").await;

    // Another connection holds the database's write lock.
    let db = app.data_dir.path().join("huddle.db");
    let mut lock = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut lock)
        .await
        .unwrap();

    let sent = MAX_WAITING_EVENTS + 44;
    for i in 1..=sent {
        let frame = format!(r#"42/chat,{i}["send-message",{{"message":"m{i}","room":"general"}}]"#);
        ws.send(Message::text(frame)).await.unwrap();
    }
    // Ack ids past the bound are refused at once; the first waits for the
    // lock, the others for it.
    let first_refused = MAX_WAITING_EVENTS + 1;
    for i in first_refused..=sent {
        let ack = raw::expect_frame(&mut ws, &format!("43/chat,{i}[")).await;
        let body: Value = serde_json::from_str(ack.trim_start_matches(&format!("43/chat,{i}")))
            .expect("an ack array");
        assert_eq!(body[0]["status"], "error", "{ack}");
        let message = body[0]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with(&format!(
                "The server is still handling {MAX_WAITING_EVENTS} of your events"
            )) && message.ends_with("wait for their answers, then send again"),
            "{message}"
        );
    }

    sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();
    drop(lock);
    // The waiting events are handled in order; the last of them is acked.
    let last = raw::expect_frame(&mut ws, &format!("43/chat,{MAX_WAITING_EVENTS}[")).await;
    assert!(last.contains(r#""status":"ok""#), "{last}");
    // Nothing past the bound was stored; the socket may send again.
    let page = app.joined("bob").await;
    let history = page.request("history", json!({"room": "general"})).await;
    let newest = history["messages"]
        .as_array()
        .and_then(|m| m.last())
        .map(|m| m["message"].clone());
    assert_eq!(
        newest,
        Some(json!(format!("m{MAX_WAITING_EVENTS}"))),
        "{history}"
    );
    ws.send(Message::text(
        r#"42/chat,9999["send-message",{"message":"again","room":"general"}]"#,
    ))
    .await
    .unwrap();
    let again = raw::expect_frame(&mut ws, "43/chat,9999[").await;
    assert!(again.contains(r#""status":"ok""#), "{again}");
}
