//! The connect steps every namespace takes, in this order (socketioxide
//! runs connect middlewares last-added first, see [`super::build`]):
//! [`admit`] (connection limits), the namespace's `attach` (its handlers),
//! [`authenticate`] (who the socket is), [`meter`] (its rate-limit budgets,
//! which depend on who it is). A step that fails refuses the socket with a
//! `connect_error` that says why.

use super::expiry::end_at_expiry;
use super::rooms::{session_room, user_room};
use super::state::GatewayState;
use crate::protocol::account::{GuestKey, HandshakeAuth};
use crate::protocol::Username;
use crate::server::auth::identity::{Identity, Refusal};
use crate::server::auth::TokenError;
use crate::server::limits::budget::SocketBudgets;
use crate::server::limits::connections::{ConnectionRefusal, Permit};
use crate::server::limits::{ClientKey, Limits};
use crate::server::store::Author;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{SocketRef, State, TryData};
use socketioxide::SocketIo;
use std::sync::Arc;

/// Connect middleware, the first of every namespace: counts the socket
/// against the connection limits.
pub async fn admit<A: Adapter>(
    socket: SocketRef<A>,
    State(limits): State<Arc<Limits>>,
) -> Result<(), ConnectionRefusal> {
    let ip = limits.client_key(socket.req_parts());
    if let Err(refusal) = limits.connections.try_admit(socket.ns(), ip) {
        tracing::info!(sid = %socket.id, ns = socket.ns(), %ip, reason = %refusal, "socket refused");
        return Err(refusal);
    }
    socket
        .extensions
        .insert(Arc::new(Permit::new(limits.clone(), socket.ns(), ip)));
    Ok(())
}

/// Connect middleware, the last of every namespace (after authentication,
/// which decides whose budget it is): refuses a client kicked for flooding
/// a moment ago, and gives the socket its rate-limit budgets.
pub async fn meter<A: Adapter>(
    socket: SocketRef<A>,
    State(limits): State<Arc<Limits>>,
) -> Result<(), ConnectionRefusal> {
    let key = match Identity::of(&socket).user_id() {
        Some(id) => ClientKey::Account(id),
        None => ClientKey::Address(limits.client_key(socket.req_parts())),
    };
    limits.check_penalty(&key)?;
    socket
        .extensions
        .insert(SocketBudgets::new(limits.clone(), key));
    Ok(())
}

/// Connect middleware for every namespace: attaches the [`Identity`].
pub async fn authenticate<A: Adapter>(
    socket: SocketRef<A>,
    io: SocketIo<A>,
    State(state): State<GatewayState>,
    TryData(auth): TryData<HandshakeAuth>,
) -> Result<(), Refusal> {
    let auth = auth.unwrap_or_default();
    let token = auth.token.filter(|t| !t.is_empty());
    let Some(token) = token else {
        if state.require_login {
            return Err(Refusal::LoginRequired);
        }
        // A guest that presents its page's key is the same author on every
        // reconnect (its retried sends are known); else its connection is.
        let author = match auth.guest_key.as_deref() {
            Some(key) => Author::keyed_guest(&GuestKey::parse(key).map_err(Refusal::BadGuestKey)?),
            None => Author::connection(&socket.id.to_string()),
        };
        socket.extensions.insert(author);
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
    end_at_expiry(&socket, io, &state.session_timers, claims.exp);
    Ok(())
}
