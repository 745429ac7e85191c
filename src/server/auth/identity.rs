//! Who is behind a socket, decided once, at the socket.io handshake.
//!
//! A client that logged in passes `auth: {token}`; the token must verify and
//! its session must still be open. Without a token the socket is a guest,
//! unless the server requires login. The identity is kept in the socket's
//! extensions; a logged-in socket also joins `session-<id>` (so logging out
//! reaches it) and is told and disconnected when its token expires. The
//! check itself is a connect step: `gateway::connect::authenticate`.

use crate::protocol::chat::SessionEnded;
use crate::protocol::{ServerEvent, Username};
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;

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
    /// A guest key that breaks [`crate::protocol::account::GuestKey`]'s
    /// rules; the text says them.
    #[error("{0}")]
    BadGuestKey(String),
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
