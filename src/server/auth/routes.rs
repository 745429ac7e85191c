//! `POST /api/register`, `POST /api/login`, `POST /api/logout`.

use super::{password, random_hex, unix_now, Claims};
use crate::protocol::account::{AccountUser, Credentials, Session};
use crate::protocol::ack::ErrorReply;
use crate::protocol::chat::SessionEnded;
use crate::protocol::ServerEvent;
use crate::server::gateway::rooms::session_room;
use crate::server::state::AppState;
use crate::server::store::{StoreError, User};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An HTTP error: the status and a message that says what to do.
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorReply::new(self.1))).into_response()
    }
}

fn internal(what: &str, e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "{what}");
    ApiError(
        StatusCode::INTERNAL_SERVER_ERROR,
        "The server could not do that right now; try again shortly".into(),
    )
}

fn credentials(body: Result<Json<Credentials>, JsonRejection>) -> Result<Credentials, ApiError> {
    let Json(c) = body.map_err(|e| ApiError(StatusCode::BAD_REQUEST, e.body_text()))?;
    c.check_password()
        .map_err(|m| ApiError(StatusCode::BAD_REQUEST, m))?;
    Ok(c)
}

pub async fn register(
    State(state): State<AppState>,
    body: Result<Json<Credentials>, JsonRejection>,
) -> Result<(StatusCode, Json<Session>), ApiError> {
    let c = credentials(body)?;
    let hash = password::hash(c.password)
        .await
        .map_err(|e| internal("hashing a password failed", e))?;
    let user = match state.gateway.store.create_user(&c.username, &hash).await {
        Ok(user) => user,
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError(
                StatusCode::CONFLICT,
                format!(
                    "The username {} is taken: pick another, or log in",
                    c.username
                ),
            ))
        }
        Err(e) => return Err(internal("creating a user failed", e)),
    };
    tracing::info!(user = user.id, "registered");
    Ok((StatusCode::CREATED, Json(open_session(&state, user).await?)))
}

pub async fn login(
    State(state): State<AppState>,
    body: Result<Json<Credentials>, JsonRejection>,
) -> Result<Json<Session>, ApiError> {
    let Json(c) = body.map_err(|e| ApiError(StatusCode::BAD_REQUEST, e.body_text()))?;
    let wrong = || {
        ApiError(
            StatusCode::UNAUTHORIZED,
            "Wrong username or password".into(),
        )
    };
    let Some((user, hash)) = state
        .gateway
        .store
        .user_with_hash(&c.username)
        .await
        .map_err(|e| internal("looking up a user failed", e))?
    else {
        return Err(wrong());
    };
    let ok = password::verify(c.password, hash)
        .await
        .map_err(|e| internal("verifying a password failed", e))?;
    if !ok {
        return Err(wrong());
    }
    tracing::info!(user = user.id, "logged in");
    Ok(Json(open_session(&state, user).await?))
}

async fn open_session(state: &AppState, user: User) -> Result<Session, ApiError> {
    let session = random_hex::<16>();
    let now = unix_now();
    let exp = now + state.session_ttl.as_secs();
    state
        .gateway
        .store
        .create_session(&session, user.id, exp)
        .await
        .map_err(|e| internal("creating a session failed", e))?;
    let token = state
        .tokens
        .sign(&Claims {
            sub: user.id.to_string(),
            iat: now,
            exp,
            name: Some(user.username.as_str().to_owned()),
            sid: Some(session),
        })
        .map_err(|e| internal("signing a token failed", e))?;
    Ok(Session {
        token,
        user: AccountUser {
            id: user.id,
            username: user.username,
        },
        expires_at: exp,
    })
}

/// Ends the session of the bearer token and disconnects its sockets.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or_else(|| {
            ApiError(
                StatusCode::UNAUTHORIZED,
                "Send the token as Authorization: Bearer <token>".into(),
            )
        })?;
    let claims = state
        .tokens
        .verify(token)
        .map_err(|_| ApiError(StatusCode::UNAUTHORIZED, "Invalid or expired token".into()))?;
    let Some(session) = claims.sid else {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            "This token has no session".into(),
        ));
    };
    state
        .gateway
        .store
        .revoke_session(&session)
        .await
        .map_err(|e| internal("revoking a session failed", e))?;
    let ended = SessionEnded {
        message: "You logged out".into(),
    };
    crate::with_io!(&state.io, io => end_session(io, &session, &ended).await);
    tracing::info!(user = %claims.sub, "logged out");
    Ok(StatusCode::NO_CONTENT)
}

/// Tells every socket of login session `session`, on every node and in
/// every namespace, that it ended, and disconnects them.
async fn end_session<A: socketioxide::adapter::Adapter>(
    io: &socketioxide::SocketIo<A>,
    session: &str,
    ended: &SessionEnded,
) {
    for ns in io.nsps() {
        let room = session_room(session);
        if let Err(e) = ns
            .clone()
            .within(room.clone())
            .emit(SessionEnded::NAME, ended)
            .await
        {
            tracing::debug!(error = %e, "could not tell every socket of a session");
        }
        if let Err(e) = ns.within(room).disconnect().await {
            tracing::warn!(error = %e, "could not disconnect every socket of a session");
        }
    }
}
