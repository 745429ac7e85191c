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

/// DNS rebinding: a page of evil.test whose name is made to resolve to the
/// server sends `Host: evil.test:<port>` and `Origin: http://evil.test:<port>`.
/// An origin equal to the Host is not the server's own.
#[tokio::test]
async fn an_origin_that_matches_only_the_host_header_is_refused() {
    let app = spawn_app().await;
    let port = app.addr.port();
    let http = reqwest::Client::new();
    let rebound = http
        .get(handshake(&app))
        .header("Host", format!("evil.test:{port}"))
        .header("Origin", format!("http://evil.test:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 403);
    let body = rebound.text().await.unwrap();
    assert!(body.contains("HUDDLE_PUBLIC_URL"), "{body}");
    // The listen address (loopback here) passes under each of its names.
    for own in [
        app.url(),
        format!("http://localhost:{port}"),
        format!("http://[::1]:{port}"),
    ] {
        let response = http
            .get(handshake(&app))
            .header("Origin", &own)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{own}");
    }
    // Another port of the same host is another origin.
    let other_port = http
        .get(handshake(&app))
        .header(
            "Origin",
            format!("http://127.0.0.1:{}", port.wrapping_add(1)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(other_port.status(), 403);
}

#[tokio::test]
async fn the_public_url_is_allowed() {
    let app =
        spawn_app_with(|c| c.public_url = Some("https://Chat.Example.org:443/".parse().unwrap()))
            .await;
    let http = reqwest::Client::new();
    let status = |origin: &'static str| {
        let request = http.get(handshake(&app)).header("Origin", origin);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status("https://chat.example.org").await, 200);
    assert_eq!(status("http://chat.example.org").await, 403);
    assert_eq!(status("https://chat.example.org:8443").await, 403);
    // Behind the proxy the Host is the public one, and changes nothing.
    let response = http
        .get(handshake(&app))
        .header("Host", "chat.example.org")
        .header("Origin", "https://evil.test")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
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
