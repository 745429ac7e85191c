//! Namespace `/notifications`: a socket subscribes to a user's room;
//! `server::notifier::Notifier` pushes to it.

use super::reply::Reply;
use super::turn::{Sequencer, Turn};
use crate::protocol::notifications::{self, SubscribeToNotifications};
use crate::protocol::{parse_payload, ClientEvent};
use serde_json::Value;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{SocketRef, TryData};

/// Logs a new socket. Its handlers are already attached by [`attach`].
pub async fn on_connect<A: Adapter>(socket: SocketRef<A>) {
    tracing::info!(sid = %socket.id, ns = socket.ns(), transport = ?socket.transport_type(), "connected");
}

/// Connect middleware: attaches the event handlers before socketioxide
/// confirms the namespace connection to the client. (The connect handler
/// runs on a spawned task after the confirmation, so an event sent right
/// after connecting could otherwise arrive before its handler exists.)
pub async fn attach<A: Adapter>(socket: SocketRef<A>) -> Result<(), std::convert::Infallible> {
    socket.extensions.insert(Sequencer::new());
    socket.on(SubscribeToNotifications::NAME, on_subscribe::<A>);
    socket.on_fallback(super::reply::unknown_event::<A>);
    Ok(())
}

async fn on_subscribe<A: Adapter>(
    socket: SocketRef<A>,
    data: TryData<Value>,
    reply: Reply<A>,
    turn: Turn,
) {
    let _turn = turn.wait().await;
    match parse_payload::<SubscribeToNotifications>(data.0.ok()) {
        Ok(SubscribeToNotifications { user_id }) => {
            socket.join(user_id.room());
            reply.ok_message(notifications::subscribed(&user_id));
        }
        Err(e) => reply.refuse(SubscribeToNotifications::NAME, e.0),
    }
}
