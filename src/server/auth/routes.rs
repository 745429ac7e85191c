//! `POST /api/register`, `POST /api/login`, `POST /api/logout`.
//!
//! Sign-up and login are throttled (`limits::auth`: per address, and per
//! account name for failed logins) and their password hashing is bounded
//! (`password::Hasher`); both refusals are answered with `Retry-After`.

use super::password::PasswordError;
use super::{random_hex, unix_now, Claims};
use crate::protocol::account::{AccountUser, Credentials, Session};
use crate::protocol::chat::SessionEnded;
use crate::server::error::{Error, Internal};
use crate::server::limits::{AddressKey, Throttled};
use crate::server::state::AppState;
use crate::server::store::{StoreError, User};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

fn credentials(body: Result<Json<Credentials>, JsonRejection>) -> Result<Credentials, Error> {
    let Json(c) = body.map_err(|e| Error::refused(e.body_text()))?;
    c.check_password().map_err(Error::refused)?;
    Ok(c)
}

/// Why an account route did not do what was asked: an [`Error`], or a
/// refusal for now ([`Throttled`]: over a budget, or the server busy).
#[derive(Debug)]
pub enum RouteError {
    Error(Error),
    Throttled(Throttled),
}

impl From<Error> for RouteError {
    fn from(e: Error) -> Self {
        Self::Error(e)
    }
}

impl From<Throttled> for RouteError {
    fn from(t: Throttled) -> Self {
        Self::Throttled(t)
    }
}

impl IntoResponse for RouteError {
    fn into_response(self) -> Response {
        match self {
            Self::Error(e) => e.into_response(),
            Self::Throttled(t) => t.into_response(),
        }
    }
}

/// A hashing failure: the server busy (503, come back shortly) or broken.
fn hashing_failed(e: PasswordError, context: &'static str) -> RouteError {
    match e {
        PasswordError::Busy { retry_after } => {
            tracing::info!("{context}: every hashing thread is busy; refused");
            Throttled::busy(retry_after).into()
        }
        e => Error::internal(context, e).into(),
    }
}

/// The client address of a request as the limits count it (see
/// [`crate::server::limits::Limits::client_key`]).
fn client_ip(state: &AppState, request: &Parts) -> AddressKey {
    state.gateway.limits.client_key(request)
}

pub async fn register(
    State(state): State<AppState>,
    request: Parts,
    body: Result<Json<Credentials>, JsonRejection>,
) -> Result<(StatusCode, Json<Session>), RouteError> {
    let c = credentials(body)?;
    let ip = client_ip(&state, &request);
    if let Err(refused) = state.gateway.limits.check_register(ip) {
        tracing::info!(%ip, "sign-up refused: over the address's budget");
        metrics::counter!("huddle_auth_throttled_total", "budget" => "register").increment(1);
        return Err(refused.into());
    }
    let hash = state
        .hasher
        .hash(c.password)
        .await
        .map_err(|e| hashing_failed(e, "hashing a password failed"))?;
    let user = match state.store().create_user(&c.username, &hash).await {
        Ok(user) => user,
        Err(StoreError::Conflict(_)) => {
            return Err(Error::with_status(
                StatusCode::CONFLICT,
                format!(
                    "The username {} is taken: pick another, or log in",
                    c.username
                ),
            )
            .into())
        }
        Err(StoreError::LooksLike { name, existing }) => {
            return Err(Error::with_status(
                StatusCode::CONFLICT,
                format!(
                    "The username {name} looks like the registered name {existing}: pick another"
                ),
            )
            .into())
        }
        Err(e) => return Err(Error::internal("creating a user failed", e).into()),
    };
    tracing::info!(user = user.id, "registered");
    Ok((StatusCode::CREATED, Json(open_session(&state, user).await?)))
}

pub async fn login(
    State(state): State<AppState>,
    request: Parts,
    body: Result<Json<Credentials>, JsonRejection>,
) -> Result<Json<Session>, RouteError> {
    let Json(c) = body.map_err(|e| Error::refused(e.body_text()))?;
    let ip = client_ip(&state, &request);
    let limits = &state.gateway.limits;
    let name = c.username.as_str();
    if let Err(refused) = limits.check_login(ip, name) {
        tracing::info!(%ip, "login refused: {}", refused.message);
        metrics::counter!("huddle_auth_throttled_total", "budget" => "login").increment(1);
        return Err(refused.into());
    }
    // From here on the attempt counts as a failure of the name unless the
    // password turns out right (or is never checked).
    let checked = check_password(&state, &c).await;
    if !matches!(checked, Ok(None)) {
        limits.login_succeeded(name);
    }
    let Some(user) = checked? else {
        return Err(
            Error::with_status(StatusCode::UNAUTHORIZED, "Wrong username or password").into(),
        );
    };
    let ban = state
        .store()
        .account_ban(user.id)
        .await
        .internal("looking up a server ban failed")?;
    if let Some(reason) = ban {
        // Only after the right password: a ban says nothing to a guesser.
        tracing::info!(user = user.id, "a banned account's log-in refused");
        let why = crate::protocol::moderation::account_banned(reason.as_ref());
        return Err(Error::with_status(StatusCode::FORBIDDEN, why).into());
    }
    tracing::info!(user = user.id, "logged in");
    Ok(Json(open_session(&state, user).await?))
}

/// The account of `c` when its password is right. A name without an
/// account is checked against the dummy hash, so both cost the same.
async fn check_password(state: &AppState, c: &Credentials) -> Result<Option<User>, RouteError> {
    let found = state
        .store()
        .user_with_hash(&c.username)
        .await
        .internal("looking up a user failed")?;
    let (user, stored) = found.unzip();
    let right = state
        .hasher
        .verify(c.password.clone(), stored)
        .await
        .map_err(|e| hashing_failed(e, "verifying a password failed"))?;
    Ok(user.filter(|_| right))
}

async fn open_session(state: &AppState, user: User) -> Result<Session, Error> {
    let session = random_hex::<16>();
    let now = unix_now();
    let exp = now + state.session_ttl.as_secs();
    state
        .store()
        .create_session(&session, user.id, exp)
        .await
        .internal("creating a session failed")?;
    let token = state
        .tokens()
        .sign(&Claims {
            sub: user.id.to_string(),
            iat: now,
            exp,
            name: Some(user.username.as_str().to_owned()),
            sid: Some(session),
        })
        .internal("signing a token failed")?;
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
) -> Result<StatusCode, Error> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or_else(|| {
            Error::with_status(
                StatusCode::UNAUTHORIZED,
                "Send the token as Authorization: Bearer <token>",
            )
        })?;
    let claims = state
        .tokens()
        .verify(token)
        .map_err(|_| Error::with_status(StatusCode::UNAUTHORIZED, "Invalid or expired token"))?;
    let Some(session) = claims.sid else {
        return Err(Error::with_status(
            StatusCode::BAD_REQUEST,
            "This token has no session",
        ));
    };
    state
        .store()
        .revoke_session(&session)
        .await
        .internal("revoking a session failed")?;
    let ended = SessionEnded {
        message: "You logged out".into(),
    };
    state.io.end_session(&session, &ended).await;
    tracing::info!(user = %claims.sub, "logged out");
    Ok(StatusCode::NO_CONTENT)
}
