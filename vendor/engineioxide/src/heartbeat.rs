//! The sessions' heartbeats, all driven by one task per engine (Huddle's
//! patch).
//!
//! engineioxide gave every session a task of its own for its heartbeat: a
//! task with an `Interval` (whose `Sleep` tokio boxes) and a `Timeout`,
//! about a kilobyte per session, idle or not, to do something every 25
//! seconds. Here each session is one entry in a [`DelayQueue`] (tokio-util's
//! timer wheel), which one task per engine polls: when an entry is due, the
//! task sends the session's ping (protocol v4) or checks that the client's
//! beat came in time, and puts the session back in the queue for its next
//! turn. The timing and the reasons to close are those of engineioxide's
//! task:
//! - v4: a ping when the session starts, then one every `interval`; if no
//!   pong (or ping) came `timeout` after a ping, the session is closed with
//!   [`DisconnectReason::HeartbeatTimeout`], as it is when the ping cannot
//!   be queued. No ping is sent while the session upgrades its transport.
//!   (One difference: with a `timeout` longer than the `interval`,
//!   engineioxide pinged again as soon as the pong came; here the next ping
//!   waits for that pong's deadline.)
//! - v3: the client pings; each ping is answered with a pong by the
//!   transport that reads it ([`Socket::heartbeat_received`]), and a
//!   session that sends none for `interval + timeout` is closed.
//!
//! The queue holds a [`Weak`] reference to each session: a closed session
//! leaves the queue at its next turn, keeping only its socket's allocation
//! until then.

use std::{
    future::poll_fn,
    sync::{Arc, Mutex, MutexGuard, OnceLock, Weak},
    time::Duration,
};

use engineioxide_core::{Packet, ProtocolVersion};
use smallvec::smallvec;
use tokio::{task::JoinHandle, time::Instant};
use tokio_util::time::DelayQueue;

use crate::socket::{DisconnectReason, Socket};

/// What is due for a session at its turn.
#[derive(Debug, Clone, Copy)]
enum Due {
    /// v4: its ping, at the tick `at` (ticks are `interval` apart).
    Ping { at: Instant },
    /// v4: the pong to the ping of the tick `at`.
    Pong { at: Instant },
    /// v3: the client's ping; the session is closed unless its last beat
    /// is less than `interval + timeout` old.
    #[cfg(feature = "v3")]
    ClientPing,
}

#[derive(Debug)]
struct Turn<D: Default + Send + Sync + 'static> {
    socket: Weak<Socket<D>>,
    due: Due,
}

/// The heartbeats of an engine's sessions.
#[derive(Debug)]
pub(crate) struct Heartbeats<D: Default + Send + Sync + 'static> {
    interval: Duration,
    timeout: Duration,
    queue: Arc<Mutex<DelayQueue<Turn<D>>>>,
    /// The task polling `queue`, spawned with the first session and
    /// aborted with the engine.
    task: OnceLock<JoinHandle<()>>,
}

impl<D: Default + Send + Sync + 'static> Heartbeats<D> {
    pub(crate) fn new(interval: Duration, timeout: Duration) -> Self {
        Self {
            interval,
            timeout,
            queue: Arc::new(Mutex::new(DelayQueue::new())),
            task: OnceLock::new(),
        }
    }

    /// Starts `socket`'s heartbeat. Must be called within a tokio runtime.
    pub(crate) fn start(&self, socket: &Arc<Socket<D>>) {
        let now = Instant::now();
        let (due, when) = match socket.protocol {
            ProtocolVersion::V4 => (Due::Ping { at: now }, now),
            #[cfg(feature = "v3")]
            ProtocolVersion::V3 => (Due::ClientPing, now + self.interval + self.timeout),
            #[cfg(not(feature = "v3"))]
            ProtocolVersion::V3 => (Due::Ping { at: now }, now),
        };
        socket.forget_beat();
        #[cfg(feature = "v3")]
        if socket.protocol == ProtocolVersion::V3 {
            socket.heard_beat();
        }
        let turn = Turn {
            socket: Arc::downgrade(socket),
            due,
        };
        lock(&self.queue).insert_at(turn, when);
        self.task
            .get_or_init(|| tokio::spawn(run(self.queue.clone(), self.interval, self.timeout)));
    }
}

impl<D: Default + Send + Sync + 'static> Drop for Heartbeats<D> {
    fn drop(&mut self) {
        if let Some(task) = self.task.get() {
            task.abort();
        }
    }
}

fn lock<T>(queue: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding the lock; recover all the same.
    queue.lock().unwrap_or_else(|p| p.into_inner())
}

/// The engine's heartbeat task: takes the turns that are due, and puts
/// back those of the sessions still open.
async fn run<D: Default + Send + Sync + 'static>(
    queue: Arc<Mutex<DelayQueue<Turn<D>>>>,
    interval: Duration,
    timeout: Duration,
) {
    let mut due = Vec::new();
    loop {
        // The turns due now, taken under the lock; the lock is not held
        // while they are served (a close calls into the engine).
        poll_fn(|cx| {
            let mut queue = lock(&queue);
            while let std::task::Poll::Ready(Some(expired)) = queue.poll_expired(cx) {
                due.push(expired.into_inner());
            }
            // Waiting, the waker stored by the queue: an earlier entry
            // inserted meanwhile wakes this task.
            if due.is_empty() {
                std::task::Poll::Pending
            } else {
                std::task::Poll::Ready(())
            }
        })
        .await;
        let now = Instant::now();
        let next: Vec<_> = due
            .drain(..)
            .filter_map(|turn| serve(turn, now, interval, timeout))
            .collect();
        let mut queue = lock(&queue);
        for (turn, when) in next {
            queue.insert_at(turn, when);
        }
    }
}

/// Serves one turn: its next turn, if the session stays open.
fn serve<D: Default + Send + Sync + 'static>(
    turn: Turn<D>,
    now: Instant,
    interval: Duration,
    timeout: Duration,
) -> Option<(Turn<D>, Instant)> {
    let socket = turn.socket.upgrade()?;
    if socket.cancellation_token.is_cancelled() {
        return None;
    }
    let (due, when) = match turn.due {
        Due::Ping { at } if socket.is_upgrading() => {
            let at = (at + interval).max(now);
            (Due::Ping { at }, at)
        }
        Due::Ping { at } => {
            #[cfg(feature = "tracing")]
            tracing::trace!(sid = ?socket.id, "emitting ping");
            // Forgotten before the ping is queued: a pong heard after this
            // is the answer.
            socket.forget_beat();
            if socket
                .internal_tx
                .try_send(smallvec![Packet::Ping])
                .is_err()
            {
                return close(&socket);
            }
            (Due::Pong { at }, now + timeout)
        }
        Due::Pong { at } => {
            if socket.last_beat().is_none() {
                return close(&socket);
            }
            #[cfg(feature = "tracing")]
            tracing::trace!(sid = ?socket.id, "pong received");
            // The next tick, or now if it is past (a timeout longer than
            // the interval).
            let at = (at + interval).max(now);
            (Due::Ping { at }, at)
        }
        #[cfg(feature = "v3")]
        Due::ClientPing => {
            let last = socket.last_beat().unwrap_or(0);
            let deadline = last.saturating_add(millis(interval + timeout));
            let clock = beat_clock();
            if clock >= deadline {
                return close(&socket);
            }
            (
                Due::ClientPing,
                now + Duration::from_millis(deadline - clock),
            )
        }
    };
    let turn = Turn {
        socket: turn.socket,
        due,
    };
    Some((turn, when))
}

/// Closes `socket` for its heartbeat: it has no next turn.
fn close<D: Default + Send + Sync + 'static>(socket: &Socket<D>) -> Option<(Turn<D>, Instant)> {
    #[cfg(feature = "tracing")]
    tracing::debug!(sid = ?socket.id, "heartbeat timeout");
    socket.close(DisconnectReason::HeartbeatTimeout);
    None
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The heartbeat clock: milliseconds on tokio's clock since the first
/// reading in this process (so that a session's last beat is one atomic
/// number).
pub(crate) fn beat_clock() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    millis(Instant::now().saturating_duration_since(epoch))
}

/// Answers a v3 client's ping (the v4 client's pong needs no answer).
pub(crate) fn answer<D: Default + Send + Sync + 'static>(socket: &Socket<D>) {
    #[cfg(feature = "v3")]
    if socket.protocol == ProtocolVersion::V3 {
        #[cfg(feature = "tracing")]
        tracing::trace!(sid = ?socket.id, "ping received, sending pong");
        if socket
            .internal_tx
            .try_send(smallvec![Packet::Pong])
            .is_err()
        {
            let _ = close(socket);
        }
    }
    #[cfg(not(feature = "v3"))]
    let _ = socket;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{config::EngineIoConfig, engine::EngineIo, handler::EngineIoHandler};
    use bytes::Bytes;
    use engineioxide_core::{Str, TransportType};

    #[derive(Debug)]
    struct Handler;

    impl EngineIoHandler for Handler {
        type Data = ();
        fn on_connect(self: Arc<Self>, _: Arc<Socket<()>>) {}
        fn on_disconnect(&self, _: Arc<Socket<()>>, _: DisconnectReason) {}
        fn on_message(self: &Arc<Self>, _: Str, _: Arc<Socket<()>>) {}
        fn on_binary(self: &Arc<Self>, _: Bytes, _: Arc<Socket<()>>) {}
    }

    fn session(protocol: ProtocolVersion) -> (Arc<EngineIo<Handler>>, Arc<Socket<()>>) {
        let config = EngineIoConfig::builder()
            .ping_interval(Duration::from_millis(100))
            .ping_timeout(Duration::from_millis(100))
            .build();
        let engine = Arc::new(EngineIo::new(Arc::new(Handler), config));
        let parts = http::Request::<()>::default().into_parts().0;
        let socket = engine.create_session(protocol, TransportType::Polling, parts, false);
        engine.heartbeats.start(&socket);
        (engine, socket)
    }

    /// The packets queued for the client.
    async fn queued(socket: &Socket<()>) -> Vec<Packet> {
        let mut rx = socket.internal_rx.lock().await;
        let mut packets = Vec::new();
        while let Ok(batch) = rx.buffered_rx.try_recv() {
            packets.extend(batch);
        }
        packets
    }

    #[tokio::test]
    async fn a_v4_session_is_pinged_each_interval_while_it_answers() {
        let (_engine, socket) = session(ProtocolVersion::V4);
        let mut pings = 0;
        for _ in 0..30 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            let got = queued(&socket).await;
            if !got.is_empty() {
                assert!(got.iter().all(|p| matches!(p, Packet::Ping)), "{got:?}");
                pings += got.len();
                socket.heartbeat_received();
            }
        }
        // 300 ms of 100 ms ticks: the first at once, then two or three more.
        assert!((2..=5).contains(&pings), "{pings} pings");
        assert!(!socket.cancellation_token.is_cancelled());
        // Unanswered, the next ping closes it at its deadline.
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(socket.cancellation_token.is_cancelled());
    }

    #[cfg(feature = "v3")]
    #[tokio::test]
    async fn a_v3_ping_is_answered_and_a_silent_v3_client_is_closed() {
        let (_engine, socket) = session(ProtocolVersion::V3);
        // Pinging every 50 ms for 400 ms, twice the 200 ms allowed.
        for _ in 0..8 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            socket.heartbeat_received();
        }
        assert!(!socket.cancellation_token.is_cancelled());
        let got = queued(&socket).await;
        assert_eq!(got.len(), 8, "{got:?}");
        assert!(got.iter().all(|p| matches!(p, Packet::Pong)), "{got:?}");
        // Silent for more than `interval + timeout`: closed.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(socket.cancellation_token.is_cancelled());
    }
}
