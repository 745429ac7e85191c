//! The socket.io gateway: one module per namespace or area of events.
//!
//! - `chat`: `/chat`, the tutorial's chat.
//! - `direct`: direct messages, on `/chat`; `direct_changes`: their
//!   edits, deletions, reactions and change feed.
//! - `board`: the rooms' whiteboards, on `/chat`; `cursors`: their pointers.
//! - `membership`: rooms, memberships and roles, on `/chat`; `access`: who
//!   may do what in a room (what the room guards ask); `invites`: invite
//!   links to rooms; `moderation`:
//!   removing, banning, muting, deleting, the audit log; `slow`: slow
//!   mode's turns; `changes`: each node's reading of the room changes.
//! - `typing`: "Ann is typing…", passed on and never stored.
//! - `message_changes`: edits, reactions and the change feed; `threads`:
//!   replies, thread pages and following; `read_state`: read marks.
//! - `notifications`: `/notifications`, per-user pushes.
//! - `connect`: the connect steps every namespace takes (limits, identity,
//!   budgets); `expiry`: a logged-in socket's end when its token expires.
//! - `pipeline`: the steps every event takes (budget, turn, guard, parse,
//!   check, handler, reply); `guards`: what an event needs of its sender;
//!   `reply`: how it is answered (ack, error ack or `exception`); `turn`:
//!   one socket's events one at a time.
//! - `state`, `rooms`, `emit`: what handlers share, internal room names,
//!   sending events; `sessions`: ending sockets from outside an event
//!   (logout, shutdown). `request_head`: the socket.io path's HTTP middleware.
//!
//! Handlers are generic over the socket.io adapter, so the same code runs on
//! the in-process adapter and on a shared one.

pub mod access;
pub mod board;
pub mod changes;
pub mod chat;
pub mod connect;
pub mod cursors;
pub mod direct;
pub mod direct_changes;
pub mod emit;
pub mod expiry;
pub mod guards;
pub mod invites;
pub mod membership;
pub mod message_changes;
pub mod moderation;
pub mod notifications;
pub mod pipeline;
pub mod read_state;
pub mod reply;
pub mod request_head;
pub mod rooms;
pub mod sessions;
pub mod slow;
pub mod state;
pub mod threads;
pub mod turn;
pub mod typing;

pub use emit::{emit_to, everyone, now};
pub use request_head::own_request_head;
pub use rooms::{session_room, user_room};
pub use state::GatewayState;

use crate::protocol::limits::MAX_PAYLOAD_BYTES;
use connect::{admit, authenticate, meter};
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
use socketioxide::handler::ConnectHandler;
use socketioxide::layer::SocketIoLayer;
use socketioxide::SocketIo;
use std::sync::Arc;
use std::time::Duration;

/// Packets queued for one socket before emits to it fail: the bound on
/// what a slow consumer costs. A socket whose queue is full misses events
/// and is disconnected at its next heartbeat (the ping cannot be queued);
/// its client then recovers what it missed from the history.
pub const MAX_BUFFERED_PACKETS: usize = 256;

/// The WebSocket read buffer of each connection.
pub const WS_READ_BUFFER_BYTES: usize = 1024;

/// Builds the socket.io layer with Huddle's limits on adapter `A` (made
/// from `adapter`) and registers every namespace. `heartbeat` is the ping
/// interval and the ping timeout. Returns the namespaces' adapter
/// initialisations too: nothing for the in-process adapter, a connection
/// to Redis each for the cluster's, which the caller awaits.
///
/// Connect middlewares run last-added first: `admit` (connection limits),
/// `attach` (handlers), `authenticate` (identity), `meter` (rate-limit
/// budgets, which need the identity).
pub fn build<A: Adapter + socketioxide_core::adapter::DefinedAdapter>(
    state: GatewayState,
    heartbeat: Duration,
    adapter: A::State,
) -> (SocketIoLayer<A>, SocketIo<A>, Vec<A::InitRes>) {
    let max_payload = MAX_PAYLOAD_BYTES;
    let (layer, io) = SocketIo::builder()
        .with_adapter::<A>(adapter)
        .max_payload(max_payload as u64)
        .ws_max_message_size(max_payload)
        .ws_max_frame_size(max_payload)
        .max_buffer_size(MAX_BUFFERED_PACKETS)
        // Chat frames are small; a frame larger than the buffer is read in
        // several steps. engineioxide's default is 4 KiB per connection.
        .ws_read_buffer_size(WS_READ_BUFFER_BYTES)
        .ping_interval(heartbeat)
        .ping_timeout(heartbeat)
        .connect_timeout(Duration::from_secs(10))
        // The connect steps take the limits on their own: they need no more.
        .with_state(state.limits.clone())
        .with_state(state.clone())
        .build_layer();
    let chat_routes = Arc::new(chat::routes::<A>(state.clone()));
    let chat = io.ns(
        crate::protocol::chat::NAMESPACE,
        chat::on_connect
            .with(meter)
            .with(authenticate)
            .with(move |socket: SocketRef<A>| chat::attach(socket, chat_routes.clone()))
            .with(admit),
    );
    let notification_routes = Arc::new(notifications::routes::<A>(state.clone()));
    let notifications = io.ns(
        crate::protocol::notifications::NAMESPACE,
        notifications::on_connect
            .with(meter)
            .with(authenticate)
            .with(move |socket: SocketRef<A>| {
                notifications::attach(socket, notification_routes.clone())
            })
            .with(admit),
    );
    (layer, io, vec![chat, notifications])
}
