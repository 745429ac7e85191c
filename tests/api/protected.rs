//! `protected-message` and its token guard.

use crate::helpers::{spawn_app, spawn_app_with, TestApp};
use jsonwebtoken::{encode, EncodingKey, Header};
use secrecy::SecretString;
use serde_json::json;

/// A login token of a new account `name`.
async fn login_token(app: &TestApp, name: &str) -> String {
    app.register(name).await["token"]
        .as_str()
        .expect("a token")
        .to_owned()
}

const SECRET: &str = "integration-test-secret-of-32-bytes!!";

#[tokio::test]
async fn a_valid_token_broadcasts_to_every_chat_socket() {
    let app = spawn_app().await;
    let ann = app.joined("ann").await;
    let mut lurker = app.chat().await;
    let token = login_token(&app, "vera").await;
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
    // The account whose token vouched for it, beside the joined name.
    assert_eq!(m["vouchedBy"], "vera");
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
    // Signed and unexpired, but no login session: not a login token.
    let sessionless = sign(SECRET, now + 60);
    let good = login_token(&app, "vera").await;
    let tampered = format!("{}x", &good[..good.len() - 1]);
    for token in [
        json!("valid-token"),
        json!(sessionless),
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
    // A login token of this server works.
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
    let token = login_token(&app, "vera").await;
    let ack = stranger
        .request("protected-message", json!({"message": "x", "token": token}))
        .await;
    assert_eq!(
        ack,
        json!({"status": "error", "message": "You need to join first"})
    );
}

/// A token whose login session ended (logout) opens nothing, whoever
/// presents it.
#[tokio::test]
async fn a_logged_out_token_is_invalid() {
    let app = spawn_app().await;
    let token = login_token(&app, "vera").await;
    let response = reqwest::Client::new()
        .post(format!("{}/api/logout", app.url()))
        .bearer_auth(&token)
        .send()
        .await
        .expect("logout");
    assert_eq!(response.status(), 204);
    let mut sam = app.joined("sam").await;
    sam.request_expecting_no_ack("protected-message", json!({"message": "x", "token": token}))
        .await;
    assert_eq!(
        sam.next("exception").await,
        json!({"status": "error", "message": "Invalid token"})
    );
    sam.assert_no("new-protected-message").await;
}

/// A logged-in socket vouches with its own account's token only; a guest
/// may present any account's, and the broadcast names that account.
#[tokio::test]
async fn a_logged_in_socket_presents_its_own_token_only() {
    let app = spawn_app().await;
    let vera = login_token(&app, "vera").await;
    let walt = login_token(&app, "walt").await;
    let mut vera1 = app.chat_as(&vera).await;
    assert_eq!(
        vera1.request("join", json!({"username": "vera"})).await["status"],
        "ok"
    );
    let mut lurker = app.chat().await;
    vera1
        .request_expecting_no_ack("protected-message", json!({"message": "x", "token": walt}))
        .await;
    assert_eq!(
        vera1.next("exception").await,
        json!({"status": "error", "message": "This token is another account's: send your own"})
    );
    let ack = vera1
        .request(
            "protected-message",
            json!({"message": "mine", "token": vera}),
        )
        .await;
    assert_eq!(ack["status"], "ok", "{ack}");
    let m = lurker.next("new-protected-message").await;
    assert_eq!(
        (
            m["username"].as_str(),
            m["vouchedBy"].as_str(),
            m["message"].as_str()
        ),
        (Some("vera"), Some("vera"), Some("mine"))
    );
    let sam = app.joined("sam").await;
    let ack = sam
        .request(
            "protected-message",
            json!({"message": "vouched", "token": walt}),
        )
        .await;
    assert_eq!(ack["status"], "ok", "{ack}");
    let m = lurker.next("new-protected-message").await;
    assert_eq!(
        (m["username"].as_str(), m["vouchedBy"].as_str()),
        (Some("sam"), Some("walt"))
    );
}
