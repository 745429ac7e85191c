//! Namespace `/notifications`: as in the tutorial, any socket may
//! subscribe to any `userId` (room `user-<id>`), and
//! `server::notifier::notify` pushes to that room. Huddle's own alerts
//! (DMs, mentions) never go there: they go to the account's logged-in
//! sockets only, through the internal room each joins at connect
//! (`gateway::direct`).

use super::guards::Anyone;
use super::pipeline::{Ctx, Dispatcher, Routes};
use super::rooms::joined_rooms;
use super::state::GatewayState;
use crate::protocol::ack::OkMessage;
use crate::protocol::limits::MAX_SUBSCRIPTIONS;
use crate::protocol::notifications::{self, SubscribeToNotifications};
use crate::server::error::Error;
use crate::server::limits::Reads;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
use std::sync::Arc;

/// Logs a new socket. Its handlers are already attached by [`attach`].
pub async fn on_connect<A: Adapter>(socket: SocketRef<A>) {
    tracing::info!(sid = %socket.id, ns = socket.ns(), transport = ?socket.transport_type(), "connected");
}

/// `/notifications`' events. Built once, when the server starts.
pub fn routes<A: Adapter>(state: GatewayState) -> Routes<A> {
    let mut r = Routes::new(state);
    r.on(Reads, subscribe::<A>);
    r
}

/// Connect middleware: gives the socket its turns and the namespace's
/// events before socketioxide confirms the namespace connection (see
/// `chat::attach`).
pub async fn attach<A: Adapter>(
    socket: SocketRef<A>,
    routes: Arc<Routes<A>>,
) -> Result<(), std::convert::Infallible> {
    Dispatcher::attach(&socket, routes);
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
