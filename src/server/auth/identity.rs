//! Who is behind a socket, decided once, at the socket.io handshake.
//!
//! A client that logged in passes `auth: {token}`; the token must verify and
//! its session must still be open. Without a token the socket is a guest,
//! unless the server requires login. The identity is kept in the socket's
//! extensions; a logged-in socket also joins `session-<id>` (so logging out
//! reaches it) and is told and disconnected when its token expires.

use super::{unix_now, TokenError};
use crate::protocol::account::HandshakeAuth;
use crate::protocol::chat::SessionEnded;
use crate::protocol::{ServerEvent, Username};
use crate::server::gateway::{session_room, user_room, GatewayState};
use socketioxide::adapter::Adapter;
use socketioxide::extract::{SocketRef, State, TryData};
use socketioxide::socket::Sid;
use socketioxide::SocketIo;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Guest,
    User {
        id: i64,
        username: Username,
        session: String,
    },
}

impl Identity {
    pub fn user_id(&self) -> Option<i64> {
        match self {
            Identity::Guest => None,
            Identity::User { id, .. } => Some(*id),
        }
    }

    /// The identity of a socket (a guest when none was attached).
    pub fn of<A: Adapter>(socket: &SocketRef<A>) -> Identity {
        socket
            .extensions
            .get::<Identity>()
            .unwrap_or(Identity::Guest)
    }
}

/// Why a handshake was refused; the text reaches the client as the
/// `connect_error` message.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("Your session has expired: log in again")]
    Expired,
    #[error("Invalid token: log in again")]
    Invalid,
    #[error("This session has ended: log in again")]
    Ended,
    #[error("Login required: this server does not accept guests")]
    LoginRequired,
    #[error("The server could not check your login; try again shortly")]
    Unavailable,
}

/// Connect middleware for every namespace: attaches the [`Identity`].
pub async fn authenticate<A: Adapter>(
    socket: SocketRef<A>,
    io: SocketIo<A>,
    State(state): State<GatewayState>,
    TryData(auth): TryData<HandshakeAuth>,
) -> Result<(), Refusal> {
    let token = auth.ok().and_then(|a| a.token).filter(|t| !t.is_empty());
    let Some(token) = token else {
        if state.require_login {
            return Err(Refusal::LoginRequired);
        }
        socket.extensions.insert(Identity::Guest);
        return Ok(());
    };
    let claims = state.tokens.verify(&token).map_err(|e| match e {
        TokenError::Expired => Refusal::Expired,
        TokenError::Invalid(_) => Refusal::Invalid,
    })?;
    let (Some(session), Some(name), Ok(id)) = (claims.sid, claims.name, claims.sub.parse::<i64>())
    else {
        return Err(Refusal::Invalid);
    };
    let username = Username::parse(&name).map_err(|_| Refusal::Invalid)?;
    match state.store.session_active(&session).await {
        Ok(true) => {}
        Ok(false) => return Err(Refusal::Ended),
        Err(e) => {
            tracing::error!(error = %e, "cannot check a session");
            return Err(Refusal::Unavailable);
        }
    }
    socket.join(session_room(&session));
    socket.join(user_room(id));
    tracing::info!(sid = %socket.id, ns = socket.ns(), user = id, "authenticated");
    socket.extensions.insert(Identity::User {
        id,
        username,
        session,
    });
    end_at_expiry(io, socket.ns().to_owned(), socket.id, claims.exp);
    Ok(())
}

/// Tells the socket and disconnects it when its token expires.
fn end_at_expiry<A: Adapter>(io: SocketIo<A>, ns: String, sid: Sid, exp: u64) {
    let wait = Duration::from_secs(exp.saturating_sub(unix_now()));
    tokio::spawn(async move {
        tokio::time::sleep(wait).await;
        // Looked up now: the task holds no socket, so a socket that left
        // long ago is not kept alive.
        if let Some(socket) = io.of(&ns).and_then(|ops| ops.get_socket(sid)) {
            end_session(&socket, "Your session has expired: log in again");
        }
    });
}

/// Sends `session-ended` to `socket`, then disconnects it.
pub fn end_session<A: Adapter>(socket: &SocketRef<A>, message: &str) {
    let event = SessionEnded {
        message: message.to_owned(),
    };
    if let Err(e) = socket.emit(SessionEnded::NAME, &event) {
        tracing::debug!(sid = %socket.id, error = %e, "could not send session-ended");
    }
    if let Err(e) = socket.clone().disconnect() {
        tracing::debug!(sid = %socket.id, error = %e, "could not disconnect");
    }
}
