//! Server-side pushes to one user's `/notifications` subscribers.

use crate::protocol::notifications::{Notification, UserId, NAMESPACE};
use crate::protocol::ServerEvent;
use serde::Serialize;
use socketioxide::adapter::Adapter;
use socketioxide::{BroadcastError, SocketIo};

/// Emits `notification` to room `user-<id>` of `/notifications`. Cloning is
/// cheap; it is part of the application state.
pub struct Notifier<A: Adapter = socketioxide::adapter::LocalAdapter> {
    io: SocketIo<A>,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("the {NAMESPACE} namespace is not registered")]
    NoNamespace,
    #[error("notification payload does not serialize: {0}")]
    Payload(#[from] serde_json::Error),
    #[error(transparent)]
    Broadcast(#[from] BroadcastError),
}

impl<A: Adapter> Clone for Notifier<A> {
    fn clone(&self) -> Self {
        Self {
            io: self.io.clone(),
        }
    }
}

impl<A: Adapter> Notifier<A> {
    pub fn new(io: SocketIo<A>) -> Self {
        Self { io }
    }

    /// Sends `payload` to every socket subscribed to `user_id`.
    pub async fn notify(
        &self,
        user_id: &UserId,
        payload: impl Serialize,
    ) -> Result<(), NotifyError> {
        let ns = self.io.of(NAMESPACE).ok_or(NotifyError::NoNamespace)?;
        let notification = Notification(serde_json::to_value(payload)?);
        ns.to(user_id.room())
            .emit(Notification::NAME, &notification)
            .await?;
        Ok(())
    }
}
