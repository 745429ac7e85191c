//! One socket's events are handled one at a time, in arrival order.
//!
//! socketioxide runs every event handler on its own task, so two events that
//! one client sends back to back (a `join` then a `send-message`, or two
//! messages) could otherwise be handled concurrently or out of order: the
//! message refused as "join first", two messages from one person delivered
//! swapped, or a `join` handled after its socket's disconnect, leaving a
//! ghost user.
//!
//! The fix: an extractor, [`Turn`], takes a ticket when the packet is read
//! (extractors run in arrival order, before the task is spawned), and the
//! handler waits for its ticket before doing anything. The event pipeline
//! (`pipeline`) takes `Turn` as its LAST extractor, so that no extractor
//! after it can fail and leave its ticket unused (an unused ticket is
//! skipped all the same, see `Drop`).

use socketioxide::adapter::Adapter;
use socketioxide::handler::{FromDisconnectParts, FromMessageParts};
use socketioxide::socket::{DisconnectReason, Socket};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::watch;

/// A socket's ticket machine; kept in the socket's extensions.
#[derive(Debug)]
pub struct Sequencer {
    next_ticket: AtomicU64,
    state: watch::Sender<Serving>,
    in_flight: Arc<InFlight>,
}

/// Events read and not yet handled, over every socket of the server (a
/// ticket counts from the packet's read until its handler is done). A
/// graceful shutdown waits for none to be left before it closes the
/// database: the events a closed socket had sent are still handled, in
/// order, and what they store is stored.
#[derive(Debug)]
pub struct InFlight(watch::Sender<usize>);

impl Default for InFlight {
    fn default() -> Self {
        Self(watch::Sender::new(0))
    }
}

impl InFlight {
    /// Events being handled or waiting for their turn now.
    pub fn count(&self) -> usize {
        *self.0.borrow()
    }

    /// Returns once no event is in flight.
    pub async fn idle(&self) {
        let mut rx = self.0.subscribe();
        // The sender lives in `self`, so the channel cannot close here.
        let _ = rx.wait_for(|n| *n == 0).await;
    }
}

#[derive(Debug, Default)]
struct Serving {
    /// The ticket whose handler may run now.
    now: u64,
    /// Tickets dropped before their turn: skipped when reached.
    abandoned: BTreeSet<u64>,
}

impl Sequencer {
    /// Gives `socket` its ticket machine: call before its handlers are
    /// attached.
    pub fn attach<A: Adapter>(socket: &Socket<A>, in_flight: &Arc<InFlight>) {
        socket.extensions.insert(Self::new(in_flight.clone()));
    }

    pub fn new(in_flight: Arc<InFlight>) -> Arc<Self> {
        Arc::new(Self {
            next_ticket: AtomicU64::new(0),
            state: watch::Sender::new(Serving::default()),
            in_flight,
        })
    }

    fn ticket(self: &Arc<Self>) -> Turn {
        self.in_flight.0.send_modify(|n| *n += 1);
        Turn {
            sequencer: Some(self.clone()),
            ticket: self.next_ticket.fetch_add(1, Ordering::SeqCst),
        }
    }
}

/// Extractor: this event's place in its socket's queue.
#[derive(Debug)]
pub struct Turn {
    sequencer: Option<Arc<Sequencer>>,
    ticket: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("no sequencer attached to this socket")]
pub struct NoSequencer;

impl Turn {
    fn of<A: Adapter>(s: &Arc<Socket<A>>) -> Result<Self, NoSequencer> {
        s.extensions
            .get::<Arc<Sequencer>>()
            .map(|seq| seq.ticket())
            .ok_or(NoSequencer)
    }

    /// Waits until every earlier event of this socket has been handled. The
    /// turn ends when the returned value is dropped.
    pub async fn wait(self) -> Self {
        if let Some(seq) = &self.sequencer {
            let mut rx = seq.state.subscribe();
            // The sender lives in `seq`, which this turn keeps alive, so the
            // channel cannot close while waiting.
            let _ = rx.wait_for(|s| s.now == self.ticket).await;
        }
        self
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let Some(seq) = self.sequencer.take() else {
            return;
        };
        let ticket = self.ticket;
        seq.state.send_modify(|s| {
            if s.now == ticket {
                s.now += 1;
                while s.abandoned.remove(&s.now) {
                    s.now += 1;
                }
            } else {
                s.abandoned.insert(ticket);
            }
        });
        seq.in_flight.0.send_modify(|n| *n -= 1);
    }
}

impl<A: Adapter> FromMessageParts<A> for Turn {
    type Error = NoSequencer;

    fn from_message_parts(
        s: &Arc<Socket<A>>,
        _: &mut socketioxide_core::Value,
        _: &Option<i64>,
    ) -> Result<Self, NoSequencer> {
        Self::of(s)
    }
}

impl<A: Adapter> FromDisconnectParts<A> for Turn {
    type Error = NoSequencer;

    fn from_disconnect_parts(s: &Arc<Socket<A>>, _: DisconnectReason) -> Result<Self, NoSequencer> {
        Self::of(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn turns_run_in_ticket_order() {
        let seq = Sequencer::new(Arc::default());
        let log = Arc::new(Mutex::new(Vec::new()));
        let turns: Vec<Turn> = (0..20).map(|_| seq.ticket()).collect();
        let mut tasks = Vec::new();
        // Spawn in reverse, with later tickets sleeping less: without the
        // sequencer they would finish in reverse order.
        for (i, turn) in turns.into_iter().enumerate().rev() {
            let log = log.clone();
            tasks.push(tokio::spawn(async move {
                let _turn = turn.wait().await;
                tokio::time::sleep(Duration::from_millis((20 - i as u64) / 4)).await;
                log.lock().unwrap().push(i);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*log.lock().unwrap(), (0..20).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn an_abandoned_ticket_is_skipped() {
        let seq = Sequencer::new(Arc::default());
        let first = seq.ticket();
        let second = seq.ticket();
        let third = seq.ticket();
        drop(second); // dropped before its turn
        drop(first.wait().await);
        let third = tokio::time::timeout(Duration::from_secs(1), third.wait())
            .await
            .expect("the third turn comes");
        drop(third);
        assert_eq!(seq.state.borrow().now, 3);
    }

    #[tokio::test]
    async fn in_flight_counts_tickets_until_their_handlers_are_done() {
        let in_flight = Arc::new(InFlight::default());
        let a = Sequencer::new(in_flight.clone());
        let b = Sequencer::new(in_flight.clone());
        let (first, second, other) = (a.ticket(), a.ticket(), b.ticket());
        assert_eq!(in_flight.count(), 3);
        drop(other);
        let waiting = tokio::spawn(second.wait());
        drop(first.wait().await);
        assert_eq!(
            in_flight.count(),
            1,
            "the second ticket still waits or runs"
        );
        let idle = tokio::spawn({
            let in_flight = in_flight.clone();
            async move { in_flight.idle().await }
        });
        drop(waiting.await.unwrap());
        tokio::time::timeout(Duration::from_secs(1), idle)
            .await
            .expect("idle once every ticket is done")
            .unwrap();
        assert_eq!(in_flight.count(), 0);
    }
}
