//! The socket.io server as the rest of the server sees it, whatever its
//! adapter. Start-up picks the adapter once (`app::Application::build`)
//! and builds everything generic over it; what the HTTP routes, the
//! shutdown and the tests ask of the sockets goes through [`Io`], so no
//! adapter choice leaks out of start-up.

use crate::protocol::chat::SessionEnded;
use crate::protocol::notifications::{Notification, UserId};
use crate::server::gateway;
use crate::server::notifier::{self, NotifyError};
use serde::Serialize;
use socketioxide::adapter::Adapter;
use socketioxide::{SocketIo, TransportType};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The socket.io server, on whichever adapter this node runs. Cloning is
/// cheap.
#[derive(Clone)]
pub struct Io(Arc<dyn Sockets>);

impl std::fmt::Debug for Io {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Io")
    }
}

impl Io {
    pub fn new<A: Adapter>(io: SocketIo<A>) -> Self {
        Self(Arc::new(io))
    }

    /// Sends `payload` to every `/notifications` socket subscribed to
    /// `user_id`, on every node.
    pub async fn notify(
        &self,
        user_id: &UserId,
        payload: impl Serialize,
    ) -> Result<(), NotifyError> {
        let notification = Notification(serde_json::to_value(payload)?);
        self.0.notify(user_id, notification).await
    }

    /// Tells every socket of login session `session`, on every node and in
    /// every namespace, that it ended, and disconnects them.
    pub async fn end_session(&self, session: &str, ended: &SessionEnded) {
        self.0.end_session(session, ended).await
    }

    /// Tells every `/chat` socket `server-restarting`, then closes every
    /// socket of every namespace (a graceful shutdown's first step).
    pub async fn disconnect_everyone(&self) {
        self.0.disconnect_everyone().await
    }

    /// The transport of each socket of namespace `ns` on this node.
    pub fn transports(&self, ns: &str) -> Vec<TransportType> {
        self.0.transports(ns)
    }

    /// The socket.io rooms of namespace `ns` that hold a socket of this
    /// node (internal ones included).
    pub async fn rooms(&self, ns: &str) -> Vec<String> {
        self.0.rooms(ns).await
    }
}

/// [`Io`]'s operations, for a `SocketIo` on any adapter.
trait Sockets: Send + Sync + 'static {
    fn notify<'a>(
        &'a self,
        user_id: &'a UserId,
        notification: Notification,
    ) -> Boxed<'a, Result<(), NotifyError>>;
    fn end_session<'a>(&'a self, session: &'a str, ended: &'a SessionEnded) -> Boxed<'a, ()>;
    fn disconnect_everyone(&self) -> Boxed<'_, ()>;
    fn transports(&self, ns: &str) -> Vec<TransportType>;
    fn rooms<'a>(&'a self, ns: &'a str) -> Boxed<'a, Vec<String>>;
}

impl<A: Adapter> Sockets for SocketIo<A> {
    fn notify<'a>(
        &'a self,
        user_id: &'a UserId,
        notification: Notification,
    ) -> Boxed<'a, Result<(), NotifyError>> {
        Box::pin(async move { notifier::send(self, user_id, &notification).await })
    }

    fn end_session<'a>(&'a self, session: &'a str, ended: &'a SessionEnded) -> Boxed<'a, ()> {
        Box::pin(gateway::sessions::end_session(self, session, ended))
    }

    fn disconnect_everyone(&self) -> Boxed<'_, ()> {
        Box::pin(gateway::sessions::disconnect_everyone(self))
    }

    fn transports(&self, ns: &str) -> Vec<TransportType> {
        self.of(ns)
            .map(|ops| ops.sockets().iter().map(|s| s.transport_type()).collect())
            .unwrap_or_default()
    }

    fn rooms<'a>(&'a self, ns: &'a str) -> Boxed<'a, Vec<String>> {
        Box::pin(async move {
            let Some(ops) = self.of(ns) else {
                return Vec::new();
            };
            match ops.local().rooms().await {
                Ok(rooms) => rooms.into_iter().map(|r| r.into_owned()).collect(),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot list rooms");
                    Vec::new()
                }
            }
        })
    }
}
