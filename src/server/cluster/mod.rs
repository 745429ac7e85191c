//! Several Huddle processes as one server.
//!
//! With `HUDDLE_REDIS_URL` set, socket.io rooms, namespaces and broadcasts
//! span every node through socketioxide's Redis adapter
//! (`socketioxide-redis`, over [`link::RedisLink`]); without it the
//! in-process adapter serves one node, as before. [`Io`] is the socket.io
//! server on either adapter, for the code outside the handlers (which are
//! generic over the adapter).

pub mod link;
pub mod roster;

use crate::protocol::notifications::UserId;
use crate::server::notifier::{Notifier, NotifyError};
use serde::Serialize;
use socketioxide::adapter::{Emitter, LocalAdapter};
use socketioxide::SocketIo;

/// socketioxide-redis's adapter over Huddle's Redis link.
pub type ClusterAdapter = socketioxide_redis::CustomRedisAdapter<Emitter, link::RedisLink>;

/// The socket.io server, on whichever adapter this node runs.
#[derive(Clone, Debug)]
pub enum Io {
    /// One node: the in-process adapter (the embedded default).
    Local(SocketIo<LocalAdapter>),
    /// One node of several, joined through Redis.
    Cluster(SocketIo<ClusterAdapter>),
}

/// Runs `$body` with `$io` bound to the `SocketIo` of either adapter.
#[macro_export]
macro_rules! with_io {
    ($value:expr, $io:ident => $body:expr) => {
        match $value {
            $crate::server::cluster::Io::Local($io) => $body,
            $crate::server::cluster::Io::Cluster($io) => $body,
        }
    };
}

impl Io {
    /// Sends `payload` to every `/notifications` socket subscribed to
    /// `user_id`, on every node.
    pub async fn notify(
        &self,
        user_id: &UserId,
        payload: impl Serialize,
    ) -> Result<(), NotifyError> {
        with_io!(self, io => Notifier::new(io.clone()).notify(user_id, payload).await)
    }
}
