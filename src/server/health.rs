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

/// "ok", or why `check` failed or did not answer within 2 s.
async fn check<E: std::fmt::Display>(
    check: impl std::future::Future<Output = Result<(), E>>,
) -> Result<(), String> {
    match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} s", CHECK_TIMEOUT.as_secs())),
    }
}

/// Ready: the database answers within 2 s, and so does Redis when this is
/// one node of several. 503 with the reasons otherwise.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = check(state.store().ping()).await;
    let redis = match &state.redis {
        Some(link) => Some(check(link.ping()).await),
        None => None,
    };
    let said = |r: &Result<(), String>| match r {
        Ok(()) => "ok".to_owned(),
        Err(reason) => reason.clone(),
    };
    let mut body = json!({"database": said(&database)});
    if let Some(redis) = &redis {
        body["redis"] = json!(said(redis));
    }
    let ready = database.is_ok() && redis.as_ref().is_none_or(Result::is_ok);
    if ready {
        body["status"] = json!("ready");
        (StatusCode::OK, Json(body))
    } else {
        body["status"] = json!("not ready");
        tracing::warn!(%body, "not ready");
        (StatusCode::SERVICE_UNAVAILABLE, Json(body))
    }
}
