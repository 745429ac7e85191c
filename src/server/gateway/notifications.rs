//! Namespace `/notifications`: as in the tutorial, any socket may
//! subscribe to any `userId` (room `user-<id>`), and
//! `server::notifier::notify` pushes to that room. Huddle's own alerts
//! (DMs, mentions) never go there: they go to the account's logged-in
//! sockets only, through the internal room each joins at connect
//! (`gateway::direct`).

use super::guards::Anyone;
use super::pipeline::{on, Ctx};
use super::rooms::joined_rooms;
use super::state::GatewayState;
use super::turn::Sequencer;
use crate::protocol::ack::OkMessage;
use crate::protocol::limits::MAX_SUBSCRIPTIONS;
use crate::protocol::notifications::{self, SubscribeToNotifications};
use crate::server::error::Error;
use crate::server::limits::Reads;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{SocketRef, State};

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
    on(&socket, Reads, subscribe::<A>);
    socket.on_fallback(super::reply::unknown_event::<A>);
    Ok(())
}

async fn subscribe<A: Adapter>(
    cx: Ctx<A>,
    _: Anyone,
    SubscribeToNotifications { user_id }: SubscribeToNotifications,
) -> Result<OkMessage, Error> {
    let room = user_id.room();
    let (subscribed, already) = joined_rooms(&cx.socket, &room);
    if !already && subscribed >= MAX_SUBSCRIPTIONS {
        return Err(Error::refused(format!(
            "This connection has {MAX_SUBSCRIPTIONS} subscriptions, the most one may have: connect again to start afresh"
        )));
    }
    cx.socket.join(room);
    Ok(OkMessage::new(notifications::subscribed(&user_id)))
}
