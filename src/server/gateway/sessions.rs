//! How sockets are ended from outside an event: every socket of a login
//! session when it ends (logout), every socket when the server stops.

use super::emit::{emit_to, everyone};
use super::rooms::session_room;
use crate::protocol::chat::{ServerRestarting, SessionEnded};
use socketioxide::adapter::Adapter;
use socketioxide::SocketIo;
use std::time::Duration;

/// The most any step of a graceful shutdown may take.
pub const SHUTDOWN_STEP: Duration = Duration::from_secs(10);

/// Tells every socket of login session `session`, on every node and in
/// every namespace, that it ended, and disconnects them.
pub async fn end_session<A: Adapter>(io: &SocketIo<A>, session: &str, ended: &SessionEnded) {
    use crate::protocol::ServerEvent;
    for ns in io.nsps() {
        let room = session_room(session);
        if let Err(e) = ns
            .clone()
            .within(room.clone())
            .emit(SessionEnded::NAME, ended)
            .await
        {
            tracing::debug!(error = %e, "could not tell every socket of a session");
        }
        if let Err(e) = ns.within(room).disconnect().await {
            tracing::warn!(error = %e, "could not disconnect every socket of a session");
        }
    }
}

/// Tells every `/chat` socket `server-restarting`, then closes every
/// socket of every namespace.
pub async fn disconnect_everyone<A: Adapter>(io: &SocketIo<A>) {
    let notice = ServerRestarting {
        message: "The server is restarting: reconnecting…".into(),
    };
    if let Some(chat) = everyone::<_, ServerRestarting>(io) {
        emit_to(chat, &notice).await;
    }
    if tokio::time::timeout(SHUTDOWN_STEP, io.close())
        .await
        .is_err()
    {
        tracing::warn!(
            "some connections did not close within {} s",
            SHUTDOWN_STEP.as_secs()
        );
    }
}
