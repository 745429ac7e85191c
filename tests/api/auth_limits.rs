//! Sign-up and login are throttled: per address, per account name (failed
//! logins), and a bounded number of password hashes at once.

use crate::helpers::{spawn_app_with, TestApp};
use huddle::protocol::Username;
use huddle::server::limits::Rate;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::num::NonZeroUsize;

/// A bucket that refills so slowly that no test sees a refill.
fn only(n: u32) -> Rate {
    Rate::new(n, 3600, n)
}

const PASSWORD: &str = "correct horse battery";

async fn post(app: &TestApp, path: &str, name: &str, password: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", app.url()))
        .json(&json!({"username": name, "password": password}))
        .send()
        .await
        .expect("the request is answered")
}

async fn status(app: &TestApp, path: &str, name: &str, password: &str) -> StatusCode {
    post(app, path, name, password).await.status()
}

/// A 429 or 503 with `Retry-After` in whole seconds and `{message,
/// retryAfterMs}` whose message ends "try again in N s"; the message.
async fn assert_throttled(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status(), status);
    let retry_secs: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After is whole seconds");
    let body: Value = response.json().await.unwrap();
    let ms = body["retryAfterMs"].as_u64().expect("retryAfterMs");
    assert_eq!(retry_secs, ms.div_ceil(1000), "{body}");
    let message = body["message"].as_str().unwrap().to_owned();
    assert!(
        message.ends_with(&format!("try again in {retry_secs} s")),
        "{message}"
    );
    message
}

async fn has_account(app: &TestApp, name: &str) -> bool {
    let name = Username::parse(name).unwrap();
    app.state
        .store()
        .user_by_name(&name)
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn sign_ups_over_the_address_budget_are_refused_and_create_nothing() {
    let app = spawn_app_with(|c| c.limits.register = only(2)).await;
    for name in ["ann", "bob"] {
        assert_eq!(status(&app, "/api/register", name, PASSWORD).await, 201);
    }
    let refused = post(&app, "/api/register", "cy", PASSWORD).await;
    let message = assert_throttled(refused, 429).await;
    assert!(message.starts_with("Too many accounts were created from your address"));
    assert!(!has_account(&app, "cy").await);
    // Logins are another budget.
    assert_eq!(status(&app, "/api/login", "ann", PASSWORD).await, 200);
}

#[tokio::test]
async fn failed_logins_of_a_name_are_throttled_and_good_ones_never_count() {
    let app = spawn_app_with(|c| c.limits.login_failures = only(3)).await;
    app.register("Ann").await;
    app.register("Bob").await;
    // Logging in fine, again and again, is never refused.
    for _ in 0..6 {
        assert_eq!(status(&app, "/api/login", "ann", PASSWORD).await, 200);
    }
    for _ in 0..3 {
        let wrong = status(&app, "/api/login", "Ann", "wrong password").await;
        assert_eq!(wrong, 401);
    }
    // The name is out of failures, in any case, even with the password.
    let refused = post(&app, "/api/login", "ANN", PASSWORD).await;
    let message = assert_throttled(refused, 429).await;
    assert!(message.starts_with("Too many failed logins for this name"));
    // Others are not.
    assert_eq!(status(&app, "/api/login", "bob", PASSWORD).await, 200);
    // A name without an account is throttled the same: the answer does not
    // tell which names exist.
    for _ in 0..3 {
        assert_eq!(status(&app, "/api/login", "nobody", PASSWORD).await, 401);
    }
    assert_throttled(post(&app, "/api/login", "nobody", PASSWORD).await, 429).await;
}

#[tokio::test]
async fn logins_over_the_address_budget_are_refused() {
    let app = spawn_app_with(|c| c.limits.login = only(3)).await;
    app.register("ann").await;
    assert_eq!(status(&app, "/api/login", "ann", PASSWORD).await, 200);
    assert_eq!(
        status(&app, "/api/login", "ann", "wrong password").await,
        401
    );
    assert_eq!(status(&app, "/api/login", "someone", PASSWORD).await, 401);
    let refused = post(&app, "/api/login", "ann", PASSWORD).await;
    let message = assert_throttled(refused, 429).await;
    assert!(message.starts_with("Too many login attempts from your address"));
}

#[tokio::test]
async fn a_login_for_a_missing_name_still_checks_a_password() {
    let app = spawn_app_with(|_| {}).await;
    app.register("ann").await;
    let hasher = app.state.hasher.clone();
    let before = hasher.performed();
    assert_eq!(
        status(&app, "/api/login", "ann", "wrong password").await,
        401
    );
    assert_eq!(
        hasher.performed(),
        before + 1,
        "a wrong password is checked"
    );
    assert_eq!(status(&app, "/api/login", "nobody", PASSWORD).await, 401);
    assert_eq!(
        hasher.performed(),
        before + 2,
        "a missing account costs a check too"
    );
}

#[tokio::test]
async fn hashing_is_bounded_and_requests_past_the_queue_get_503() {
    const SIGN_UPS: usize = 40;
    let app = spawn_app_with(|c| {
        c.limits.hash_threads = NonZeroUsize::new(1);
        c.limits.hash_queue = Some(1);
    })
    .await;
    let http = reqwest::Client::new();
    let requests = (0..SIGN_UPS).map(|i| {
        let request = http
            .post(format!("{}/api/register", app.url()))
            .json(&json!({"username": format!("user{i}"), "password": PASSWORD}))
            .send();
        async move { (i, request.await.expect("answered")) }
    });
    // Every request is answered (none hangs in a queue).
    let answers = tokio::time::timeout(
        crate::helpers::WAIT * 6,
        futures_util::future::join_all(requests),
    )
    .await
    .expect("every sign-up is answered");
    let (mut created, mut busy) = (Vec::new(), 0);
    for (i, response) in answers {
        match response.status().as_u16() {
            201 => created.push(i),
            503 => {
                let message = assert_throttled(response, 503).await;
                assert_eq!(message, "The server is busy: try again in 1 s");
                busy += 1;
            }
            other => panic!("sign-up {i}: unexpected {other}"),
        }
    }
    eprintln!("{} created, {busy} refused as busy", created.len());
    assert_eq!(app.state.hasher.peak(), 1, "never two hashes at once");
    assert!(!created.is_empty(), "some sign-ups went through");
    assert!(
        busy > 0,
        "with 1 thread and 1 place in line, some of {SIGN_UPS} are refused"
    );
    assert_eq!(created.len() + busy, SIGN_UPS);
    // A refused sign-up created nothing; a created one can log in.
    for i in 0..SIGN_UPS {
        assert_eq!(
            has_account(&app, &format!("user{i}")).await,
            created.contains(&i),
            "user{i}"
        );
    }
}
