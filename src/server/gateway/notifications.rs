//! Namespace `/notifications`: a socket subscribes to a user's room;
//! `server::notifier::Notifier` pushes to it.

use super::reply::Reply;
use super::state::GatewayState;
use super::turn::{Sequencer, Turn};
use crate::protocol::ack::texts;
use crate::protocol::notifications::{self, SubscribeToNotifications};
use crate::protocol::ClientEvent;
use crate::server::auth::identity::Identity;
use crate::server::limits::{Budget, Reads};
use serde_json::Value;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{SocketRef, State, TryData};

/// Logs a new socket. Its handlers are already attached by [`attach`].
pub async fn on_connect<A: Adapter>(socket: SocketRef<A>) {
    tracing::info!(sid = %socket.id, ns = socket.ns(), transport = ?socket.transport_type(), "connected");
}

/// Connect middleware: attaches the event handlers before socketioxide
/// confirms the namespace connection to the client. (The connect handler
/// runs on a spawned task after the confirmation, so an event sent right
/// after connecting could otherwise arrive before its handler exists.)
pub async fn attach<A: Adapter>(
    socket: SocketRef<A>,
    State(state): State<GatewayState>,
) -> Result<(), std::convert::Infallible> {
    Sequencer::attach(&socket, &state.in_flight);
    socket.on(SubscribeToNotifications::NAME, on_subscribe::<A>);
    socket.on_fallback(super::reply::unknown_event::<A>);
    Ok(())
}

async fn on_subscribe<A: Adapter>(
    _budget: Budget<Reads>,
    socket: SocketRef<A>,
    State(state): State<GatewayState>,
    data: TryData<Value>,
    reply: Reply<A>,
    turn: Turn,
) {
    let _turn = turn.wait().await;
    let Some((SubscribeToNotifications { user_id }, reply)) = reply.parse(data) else {
        return;
    };
    // An account's notifications carry its direct messages: only that
    // account may subscribe to them. Other ids stay open, as in the
    // tutorial.
    if let Ok(account) = user_id.as_str().parse::<i64>() {
        if Identity::of(&socket).user_id() != Some(account) {
            match state.store.user_exists(account).await {
                Ok(false) => {}
                Ok(true) => {
                    return reply.refuse(
                        SubscribeToNotifications::NAME,
                        format!("Log in as user {user_id} to subscribe to their notifications"),
                    )
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot look up an account");
                    return reply.refuse(SubscribeToNotifications::NAME, texts::TRY_AGAIN);
                }
            }
        }
    }
    socket.join(user_id.room());
    reply.ok_message(notifications::subscribed(&user_id));
}
