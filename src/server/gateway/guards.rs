//! What an event needs before its handler may act on it.

use super::reply::Reply;
use super::state::GatewayState;
use crate::protocol::ack::texts;
use crate::protocol::ClientEvent;
use serde_json::Value;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{SocketRef, TryData};

/// The parsed payload of event `E` from a socket that has joined, with the
/// way to answer it; otherwise the event is refused and `None` returned.
pub fn joined_request<A: Adapter, E: ClientEvent>(
    state: &GatewayState,
    socket: &SocketRef<A>,
    data: TryData<Value>,
    reply: Reply<A>,
) -> Option<(E, Reply<A>)> {
    if state.presence.username(socket.id).is_none() {
        reply.refuse(E::NAME, texts::JOIN_FIRST);
        return None;
    }
    reply.parse::<E>(data)
}
