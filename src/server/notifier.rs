//! Server-side pushes to one user's `/notifications` subscribers.

use crate::protocol::notifications::{Notification, UserId, NAMESPACE};
use crate::protocol::ServerEvent;
use serde::Serialize;
use socketioxide::adapter::Adapter;
use socketioxide::{BroadcastError, SocketIo};

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("the {NAMESPACE} namespace is not registered")]
    NoNamespace,
    #[error("notification payload does not serialize: {0}")]
    Payload(#[from] serde_json::Error),
    #[error(transparent)]
    Broadcast(#[from] BroadcastError),
}

/// Sends `payload` to every socket subscribed to `user_id` (room
/// `user-<id>` of `/notifications`), on every node.
pub async fn notify<A: Adapter>(
    io: &SocketIo<A>,
    user_id: &UserId,
    payload: &impl Serialize,
) -> Result<(), NotifyError> {
    send(io, user_id, &Notification(serde_json::to_value(payload)?)).await
}

/// Sends `notification`, already made, as [`notify`] does.
pub async fn send<A: Adapter>(
    io: &SocketIo<A>,
    user_id: &UserId,
    notification: &Notification,
) -> Result<(), NotifyError> {
    let ns = io.of(NAMESPACE).ok_or(NotifyError::NoNamespace)?;
    ns.to(user_id.room())
        .emit(Notification::NAME, notification)
        .await?;
    Ok(())
}
