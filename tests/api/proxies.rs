//! Behind a reverse proxy: the client-address header is believed only from
//! the trusted proxies, and an IPv6 /64 counts as one address.

use crate::helpers::{spawn_app_with, TestApp};
use huddle::server::limits::address::parse_proxy;
use huddle::server::limits::Rate;
use huddle::server::{Application, Config};

const XFF: http::HeaderName = http::HeaderName::from_static("x-forwarded-for");

/// A server counting 2 handshakes per address, reading X-Forwarded-For
/// from `proxies`.
async fn behind(proxies: &[&str]) -> TestApp {
    let proxies: Vec<_> = proxies.iter().map(|p| parse_proxy(p).unwrap()).collect();
    spawn_app_with(move |c| {
        c.limits.handshakes = Rate::new(2, 3600, 2);
        c.limits.client_ip_header = Some(XFF);
        c.limits.trusted_proxies = proxies;
    })
    .await
}

/// The status of a new Engine.IO connection said to come from `from`.
async fn handshake_from(app: &TestApp, from: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/socket.io/?EIO=4&transport=polling", app.url()))
        .header("X-Forwarded-For", from)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_client_that_is_no_trusted_proxy_cannot_pick_its_address() {
    // The test client (127.0.0.1) is not the proxy: its header is ignored,
    // and each handshake counts against 127.0.0.1.
    let app = behind(&["10.0.0.0/8"]).await;
    assert_eq!(handshake_from(&app, "203.0.113.1").await, 200);
    assert_eq!(handshake_from(&app, "203.0.113.2").await, 200);
    assert_eq!(handshake_from(&app, "203.0.113.3").await, 429);
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client() {
    let app = behind(&["127.0.0.1"]).await;
    for _ in 0..2 {
        assert_eq!(handshake_from(&app, "203.0.113.1").await, 200);
    }
    assert_eq!(handshake_from(&app, "203.0.113.1").await, 429);
    // Another client behind the same proxy has its own budget...
    assert_eq!(handshake_from(&app, "203.0.113.2").await, 200);
    // ...but not by writing an address of its own to the left of the one
    // the proxy appended.
    assert_eq!(handshake_from(&app, "198.51.100.1, 203.0.113.1").await, 429);
}

#[tokio::test]
async fn an_ipv6_64_is_one_address() {
    let app = behind(&["127.0.0.1"]).await;
    assert_eq!(handshake_from(&app, "2001:db8:1:2::1").await, 200);
    assert_eq!(handshake_from(&app, "2001:db8:1:2::2").await, 200);
    assert_eq!(handshake_from(&app, "2001:db8:1:2:ffff::3").await, 429);
    assert_eq!(handshake_from(&app, "2001:db8:1:3::1").await, 200);
}

#[tokio::test]
async fn a_client_ip_header_without_trusted_proxies_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_tests(dir.path().to_path_buf());
    config.limits.client_ip_header = Some(XFF);
    let refused = Application::build(config)
        .await
        .err()
        .expect("the server refuses to start");
    let message = format!("{refused:#}");
    assert!(message.contains("HUDDLE_TRUSTED_PROXIES"), "{message}");
}
