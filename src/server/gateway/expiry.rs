//! When a logged-in socket's token expires, the socket is told and
//! disconnected: one timer per socket, which lives as long as the socket.

use crate::server::auth::identity::end_session;
use crate::server::auth::unix_now;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
use socketioxide::SocketIo;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The expiry timers of logged-in sockets, counted: one per socket, for as
/// long as it is connected.
#[derive(Debug, Default)]
pub struct SessionTimers(AtomicUsize);

impl SessionTimers {
    /// Timers running now.
    pub fn count(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// One running timer of [`SessionTimers`]; uncounted when dropped (the
/// timer's task ended, or was cancelled).
struct Running(Arc<SessionTimers>);

impl Running {
    fn start(timers: &Arc<SessionTimers>) -> Self {
        timers.0.fetch_add(1, Ordering::Relaxed);
        Self(timers.clone())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0 .0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Kept in a socket's extensions: when the socket is gone (and its
/// extensions with it), its expiry timer is cancelled.
#[derive(Clone)]
struct ExpiryTimer {
    _cancel: Arc<CancelOnDrop>,
}

struct CancelOnDrop(tokio::task::AbortHandle);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Tells the socket and disconnects it when its token expires; the timer
/// lives as long as the socket.
pub fn end_at_expiry<A: Adapter>(
    socket: &SocketRef<A>,
    io: SocketIo<A>,
    timers: &Arc<SessionTimers>,
    exp: u64,
) {
    let wait = Duration::from_secs(exp.saturating_sub(unix_now()));
    let running = Running::start(timers);
    let (ns, sid) = (socket.ns().to_owned(), socket.id);
    let task = tokio::spawn(async move {
        let _running = running;
        tokio::time::sleep(wait).await;
        // Looked up now: the task holds no socket, so a socket that left
        // long ago is not kept alive.
        if let Some(socket) = io.of(&ns).and_then(|ops| ops.get_socket(sid)) {
            end_session(&socket, "Your session has expired: log in again");
        }
    });
    socket.extensions.insert(ExpiryTimer {
        _cancel: Arc::new(CancelOnDrop(task.abort_handle())),
    });
}
