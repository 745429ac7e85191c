//! How sockets are ended from outside an event: every socket of a login
//! session when it ends (logout), and again from the database should the
//! logout's broadcast not reach this node ([`watch_revocations`]); every
//! socket when the server stops.

use super::emit::{emit_to, everyone};
use super::rooms::session_room;
use crate::protocol::chat::{ServerRestarting, SessionEnded};
use crate::server::auth::identity::{self, Refusal};
use crate::server::store::{time_text, Store};
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

/// How far back each look for revoked sessions reaches beyond the last
/// one that succeeded: room for clocks that differ between nodes.
const CLOCK_MARGIN: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// Every `every`, ends this node's sockets whose login session was
/// revoked in the database since the last look. A logout tells every node
/// through the adapter at once ([`end_session`]); when that broadcast
/// cannot reach a node (in a cluster whose Redis is down), this still ends
/// the session's sockets there within `every`. One indexed query per node
/// per period, whatever the number of sockets. Returns the task, to stop
/// it with the server.
pub fn watch_revocations<A: Adapter>(
    io: SocketIo<A>,
    store: Store,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut since = chrono::Utc::now() - CLOCK_MARGIN;
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let looked = chrono::Utc::now();
            match store.sessions_revoked_since(&time_text(since)).await {
                Ok(revoked) => {
                    for session in revoked {
                        end_here(&io, &session);
                    }
                    since = looked - CLOCK_MARGIN;
                }
                Err(e) => tracing::warn!(error = %e, "cannot look for revoked sessions"),
            }
        }
    })
}

/// Ends the sockets of `session` on this node only (no adapter round trip:
/// the adapter may be what failed).
fn end_here<A: Adapter>(io: &SocketIo<A>, session: &str) {
    for ns in io.nsps() {
        for socket in ns.local().within(session_room(session)).sockets() {
            tracing::info!(sid = %socket.id, "its session was revoked: ending it");
            identity::end_session(&socket, &Refusal::Ended.to_string());
        }
    }
}
