//! Sending server events: to a selection of sockets, to a whole namespace,
//! with the failures a broadcast can meet logged and counted, not raised.

use crate::protocol::ServerEvent;
use socketioxide::adapter::Adapter;
use socketioxide::operators::BroadcastOperators;
use socketioxide::{BroadcastError, SocketError, SocketIo};

/// Emits a typed server event to the sockets `to` selects, logging (not
/// failing) when the adapter cannot deliver it.
pub async fn emit_to<A: Adapter, E: ServerEvent>(to: BroadcastOperators<A>, event: &E) {
    metrics::counter!("huddle_events_sent_total", "event" => E::NAME).increment(1);
    match to.emit(E::NAME, event).await {
        Ok(()) => {}
        // Sockets that closed meanwhile: expected, everyone else got it.
        Err(BroadcastError::Socket(errors))
            if errors.iter().all(|e| matches!(e, SocketError::Closed)) =>
        {
            tracing::debug!(
                event = E::NAME,
                closed = errors.len(),
                "skipped closed sockets"
            );
        }
        // Some sockets' queues were full: they miss this event (and are
        // disconnected at their next heartbeat). Said once in a while, not
        // once per event.
        Err(BroadcastError::Socket(errors)) => {
            let full = errors
                .iter()
                .filter(|e| matches!(e, SocketError::InternalChannelFull))
                .count();
            metrics::counter!("huddle_broadcast_dropped_total", "event" => E::NAME)
                .increment(full as u64);
            slow_consumers::dropped(E::NAME, full as u64);
        }
        Err(e) => {
            metrics::counter!("huddle_broadcast_errors_total", "event" => E::NAME).increment(1);
            tracing::warn!(event = E::NAME, error = %e, "broadcast failed");
        }
    }
}

/// A throttled account of events dropped for slow consumers.
mod slow_consumers {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};

    static DROPPED: AtomicU64 = AtomicU64::new(0);
    static LAST_REPORT: AtomicU64 = AtomicU64::new(0);
    const EVERY_SECS: u64 = 10;

    pub fn dropped(event: &str, count: u64) {
        DROPPED.fetch_add(count, Ordering::Relaxed);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let last = LAST_REPORT.load(Ordering::Relaxed);
        if now >= last + EVERY_SECS
            && LAST_REPORT
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let total = DROPPED.swap(0, Ordering::Relaxed);
            tracing::warn!(
                event,
                dropped = total,
                "sockets too slow to take their events missed {total} of them (over the last {EVERY_SECS} s at most); they are disconnected at their next heartbeat"
            );
        }
    }
}

/// All sockets of the namespace of event `E`.
pub fn everyone<A: Adapter, E: ServerEvent>(io: &SocketIo<A>) -> Option<BroadcastOperators<A>> {
    let ops = io.of(E::NAMESPACE);
    if ops.is_none() {
        tracing::error!(namespace = E::NAMESPACE, "namespace is not registered");
    }
    ops
}

/// The current time in the protocol's format: ISO 8601 UTC with
/// milliseconds, like `2026-11-25T19:08:57.123Z`.
pub fn now() -> crate::protocol::chat::Timestamp {
    crate::protocol::chat::Timestamp(
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )
}
