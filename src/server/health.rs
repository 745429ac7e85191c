//! `GET /healthz` (the process is alive) and `GET /readyz` (it can serve:
//! its database answers, and Redis when it is one node of several), for
//! load balancers and orchestrators.

use crate::server::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use std::time::Duration;

pub const HEALTH_PATH: &str = "/healthz";
pub const READY_PATH: &str = "/readyz";

/// How long the readiness check waits for the database.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Alive: answers as long as the server runs.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Whether `check` answered "ok" within 2 s; why not is logged, with
/// `component`, and never answered: a database or Redis error can name
/// hosts, users and files, and `/readyz` is open to anyone.
async fn check<E: std::fmt::Display>(
    component: &'static str,
    check: impl std::future::Future<Output = Result<(), E>>,
) -> bool {
    let reason = match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(Ok(())) => return true,
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("no answer within {} s", CHECK_TIMEOUT.as_secs()),
    };
    tracing::warn!(component, %reason, "not ready");
    false
}

/// Ready: the database answers within 2 s, and so does Redis when this is
/// one node of several. 503 otherwise, saying which is `unavailable`.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = check("database", state.store().ping()).await;
    let redis = match &state.redis {
        Some(link) => Some(check("redis", link.ping()).await),
        None => None,
    };
    let said = |ok: bool| if ok { "ok" } else { "unavailable" };
    let mut body = json!({"database": said(database)});
    if let Some(redis) = redis {
        body["redis"] = json!(said(redis));
    }
    if database && redis.unwrap_or(true) {
        body["status"] = json!("ready");
        (StatusCode::OK, Json(body))
    } else {
        body["status"] = json!("not ready");
        (StatusCode::SERVICE_UNAVAILABLE, Json(body))
    }
}
