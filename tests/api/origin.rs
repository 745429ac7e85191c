//! The Origin allow-list and the payload limit of long-polling.

use crate::helpers::{spawn_app, spawn_app_with, Sock, TransportType};

fn handshake(app: &crate::helpers::TestApp) -> String {
    format!("{}/socket.io/?EIO=4&transport=polling", app.url())
}

#[tokio::test]
async fn foreign_origins_are_refused_on_polling() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let refused = http
        .get(handshake(&app))
        .header("Origin", "http://evil.test")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let body = refused.text().await.unwrap();
    assert!(body.contains("HUDDLE_ALLOWED_ORIGINS"), "{body}");

    let own = http
        .get(handshake(&app))
        .header("Origin", app.url())
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    let no_origin = http.get(handshake(&app)).send().await.unwrap();
    assert_eq!(no_origin.status(), 200);
}

#[tokio::test]
async fn foreign_origins_are_refused_on_websocket() {
    let app = spawn_app().await;
    let result = Sock::try_connect(
        &app,
        "/chat",
        TransportType::Websocket,
        Some("http://evil.test"),
    )
    .await;
    let refused = result.err().expect("a foreign origin must not connect");
    assert!(
        refused.starts_with("HTTP 403: ") && refused.contains("HUDDLE_ALLOWED_ORIGINS"),
        "{refused}"
    );
    let own = app.url();
    let ok = Sock::try_connect(&app, "/chat", TransportType::Websocket, Some(&own)).await;
    assert!(ok.is_ok());
}

#[tokio::test]
async fn configured_origins_are_allowed_with_cors() {
    let app =
        spawn_app_with(|c| c.allowed_origins = vec!["http://tutorial.test:8080".into()]).await;
    let response = reqwest::Client::new()
        .get(handshake(&app))
        .header("Origin", "http://tutorial.test:8080")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "http://tutorial.test:8080"
    );
    let ok = Sock::try_connect(
        &app,
        "/chat",
        TransportType::Polling,
        Some("http://tutorial.test:8080"),
    )
    .await;
    assert!(ok.is_ok());
}

#[tokio::test]
async fn oversized_polling_bodies_are_refused() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let open = http
        .get(handshake(&app))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let sid = open
        .split("\"sid\":\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("handshake has a sid")
        .to_owned();
    let url = format!("{}&sid={sid}", handshake(&app));
    let body = format!(
        "42/chat,[\"send-message\",{{\"message\":\"{}\"}}]",
        "x".repeat(100 * 1024)
    );
    let response = http.post(&url).body(body).send().await.unwrap();
    assert_eq!(
        response.status(),
        413,
        "a 100 KB body is refused as too large"
    );
}
