//! `protected-message` and its token guard.

use crate::helpers::{spawn_app, spawn_app_with};
use jsonwebtoken::{encode, EncodingKey, Header};
use secrecy::SecretString;
use serde_json::json;
use std::time::Duration;

const SECRET: &str = "integration-test-secret-of-32-bytes!!";

#[tokio::test]
async fn a_valid_token_broadcasts_to_every_chat_socket() {
    let app = spawn_app().await;
    let ann = app.joined("ann").await;
    let mut lurker = app.chat().await;
    let token = app.token(Duration::from_secs(60));
    let ack = ann
        .request(
            "protected-message",
            json!({"message": "secret plans", "token": token}),
        )
        .await;
    assert_eq!(
        ack,
        json!({"status": "ok", "message": "Protected message sent"})
    );
    let m = lurker.next("new-protected-message").await;
    assert_eq!(m["username"], "ann");
    assert_eq!(m["message"], "secret plans");
    assert_eq!(m["protected"], true);
    assert!(m["timestamp"].is_string());
    assert!(m.get("token").is_none(), "the token is never echoed");
}

#[tokio::test]
async fn no_token_is_unauthorized_by_exception_only() {
    let app = spawn_app().await;
    let mut ann = app.joined("ann").await;
    for payload in [
        json!({"message": "x"}),
        json!({"message": "x", "token": ""}),
        json!({"message": "x", "token": null}),
    ] {
        ann.request_expecting_no_ack("protected-message", payload)
            .await;
        assert_eq!(
            ann.next("exception").await,
            json!({"status": "error", "message": "Unauthorized"})
        );
    }
    ann.assert_no("new-protected-message").await;
}

#[tokio::test]
async fn bad_tokens_are_invalid() {
    let app = spawn_app_with(|c| c.jwt_secret = Some(SecretString::from(SECRET))).await;
    let mut ann = app.joined("ann").await;
    let now = jsonwebtoken::get_current_timestamp();
    let sign = |secret: &str, exp: u64| {
        encode(
            &Header::default(),
            &json!({"sub": "42", "iat": now, "exp": exp}),
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    let expired = sign(SECRET, now - 5);
    let forged = sign("some-other-secret-that-is-long-enough", now + 60);
    let good = sign(SECRET, now + 60);
    let tampered = format!("{}x", &good[..good.len() - 1]);
    for token in [
        json!("valid-token"),
        json!(expired),
        json!(forged),
        json!(tampered),
        json!(12),
        json!(["a"]),
    ] {
        ann.request_expecting_no_ack("protected-message", json!({"message": "x", "token": token}))
            .await;
        assert_eq!(
            ann.next("exception").await,
            json!({"status": "error", "message": "Invalid token"}),
            "{token}"
        );
    }
    ann.assert_no("new-protected-message").await;
    // The same secret's unexpired token works.
    let ack = ann
        .request("protected-message", json!({"message": "x", "token": good}))
        .await;
    assert_eq!(ack["status"], "ok");
}

#[tokio::test]
async fn the_guard_runs_before_the_join_check() {
    let app = spawn_app().await;
    let mut stranger = app.chat().await;
    stranger
        .request_expecting_no_ack("protected-message", json!({"message": "x"}))
        .await;
    assert_eq!(stranger.next("exception").await["message"], "Unauthorized");
    let token = app.token(Duration::from_secs(60));
    let ack = stranger
        .request("protected-message", json!({"message": "x", "token": token}))
        .await;
    assert_eq!(
        ack,
        json!({"status": "error", "message": "You need to join first"})
    );
}
