//! `POST /api/register`, `POST /api/login`, `POST /api/logout`.

use super::{password, random_hex, unix_now, Claims};
use crate::protocol::account::{AccountUser, Credentials, Session};
use crate::protocol::chat::SessionEnded;
use crate::server::error::{Error, Internal};
use crate::server::state::AppState;
use crate::server::store::{StoreError, User};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;

fn credentials(body: Result<Json<Credentials>, JsonRejection>) -> Result<Credentials, Error> {
    let Json(c) = body.map_err(|e| Error::refused(e.body_text()))?;
    c.check_password().map_err(Error::refused)?;
    Ok(c)
}

pub async fn register(
    State(state): State<AppState>,
    body: Result<Json<Credentials>, JsonRejection>,
) -> Result<(StatusCode, Json<Session>), Error> {
    let c = credentials(body)?;
    let hash = password::hash(c.password)
        .await
        .internal("hashing a password failed")?;
    let user = match state.store().create_user(&c.username, &hash).await {
        Ok(user) => user,
        Err(StoreError::Conflict(_)) => {
            return Err(Error::with_status(
                StatusCode::CONFLICT,
                format!(
                    "The username {} is taken: pick another, or log in",
                    c.username
                ),
            ))
        }
        Err(StoreError::LooksLike { name, existing }) => {
            return Err(Error::with_status(
                StatusCode::CONFLICT,
                format!(
                    "The username {name} looks like the registered name {existing}: pick another"
                ),
            ))
        }
        Err(e) => return Err(Error::internal("creating a user failed", e)),
    };
    tracing::info!(user = user.id, "registered");
    Ok((StatusCode::CREATED, Json(open_session(&state, user).await?)))
}

pub async fn login(
    State(state): State<AppState>,
    body: Result<Json<Credentials>, JsonRejection>,
) -> Result<Json<Session>, Error> {
    let Json(c) = body.map_err(|e| Error::refused(e.body_text()))?;
    let wrong = || Error::with_status(StatusCode::UNAUTHORIZED, "Wrong username or password");
    let Some((user, hash)) = state
        .store()
        .user_with_hash(&c.username)
        .await
        .internal("looking up a user failed")?
    else {
        return Err(wrong());
    };
    let ok = password::verify(c.password, hash)
        .await
        .internal("verifying a password failed")?;
    if !ok {
        return Err(wrong());
    }
    tracing::info!(user = user.id, "logged in");
    Ok(Json(open_session(&state, user).await?))
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
