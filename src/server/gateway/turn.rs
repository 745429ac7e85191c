//! One socket's events are handled one at a time, in arrival order.
//!
//! socketioxide runs every event handler on its own task, so two events that
//! one client sends back to back (a `join` then a `send-message`, or two
//! messages) could otherwise be handled concurrently or out of order: the
//! message refused as "join first", two messages from one person delivered
//! swapped, or a `join` handled after its socket's disconnect, leaving a
//! ghost user.
//!
//! The fix: [`Turn`] (a socketioxide extractor) takes a ticket when the
//! packet is read (in arrival order, before the task is spawned), and the
//! handler waits for its ticket before doing anything. The event pipeline
//! (`pipeline::Dispatcher`) takes the `Turn` LAST, so that no step after it
//! can fail and leave its ticket unused (an unused ticket is skipped all
//! the same, see `Drop`).
//!
//! What waits is bounded: a socket may have at most `MAX_WAITING_EVENTS`
//! events read and not yet handled, holding at most `MAX_WAITING_BYTES` of
//! payload. Past either, `Turn` refuses the event as it is read (an error
//! ack or `exception`, "wait for their answers"), so a client that sends
//! faster than the server can handle (the database slow, the machine
//! busy) is told so instead of growing the server's memory without end.

use crate::protocol::ack::{texts, ErrorReply};
use crate::protocol::limits::{MAX_WAITING_BYTES, MAX_WAITING_EVENTS};
use crate::server::limits::budget::answer_refusal;
use socketioxide::adapter::Adapter;
use socketioxide::handler::{FromDisconnectParts, FromMessageParts};
use socketioxide::socket::{DisconnectReason, Socket};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{watch, Notify};

/// A socket's ticket machine; kept in the socket's extensions.
#[derive(Debug)]
pub struct Sequencer {
    next_ticket: AtomicU64,
    /// Whose turn it is. A mutex and a `Notify` rather than a `watch`
    /// channel: every socket has one, and a watch channel's shared state
    /// (its eight `Notify`s) is about 400 bytes of every connection.
    state: Mutex<Serving>,
    /// Wakes the waiting turns when one ends.
    turn_ended: Notify,
    in_flight: Arc<InFlight>,
    /// This socket's tickets not yet dropped, and their payloads' bytes.
    waiting: AtomicUsize,
    waiting_bytes: AtomicUsize,
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
            state: Mutex::new(Serving::default()),
            turn_ended: Notify::new(),
            in_flight,
            waiting: AtomicUsize::new(0),
            waiting_bytes: AtomicUsize::new(0),
        })
    }

    fn serving(&self) -> MutexGuard<'_, Serving> {
        // Nothing panics while holding it; recover all the same.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn ticket(self: &Arc<Self>) -> Turn {
        self.ticket_for(0)
    }

    fn ticket_for(self: &Arc<Self>, bytes: usize) -> Turn {
        self.in_flight.0.send_modify(|n| *n += 1);
        self.waiting.fetch_add(1, Ordering::SeqCst);
        self.waiting_bytes.fetch_add(bytes, Ordering::SeqCst);
        Turn {
            sequencer: Some(self.clone()),
            ticket: self.next_ticket.fetch_add(1, Ordering::SeqCst),
            bytes,
        }
    }

    /// A ticket for an event of `bytes` of payload, unless this socket
    /// already has as many events or bytes waiting as it may: then how
    /// many it has. (A socket's packets are read one at a time, so the
    /// check and the count cannot race with another of its reads.)
    fn admit(self: &Arc<Self>, bytes: usize) -> Result<Turn, (usize, usize)> {
        let events = self.waiting.load(Ordering::SeqCst);
        let held = self.waiting_bytes.load(Ordering::SeqCst);
        if events >= MAX_WAITING_EVENTS || held + bytes > MAX_WAITING_BYTES {
            return Err((events, held));
        }
        Ok(self.ticket_for(bytes))
    }
}

/// Extractor: this event's place in its socket's queue.
#[derive(Debug)]
pub struct Turn {
    sequencer: Option<Arc<Sequencer>>,
    ticket: u64,
    /// The payload bytes this event holds while it waits.
    bytes: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum NoTurn {
    #[error("no sequencer attached to this socket")]
    NoSequencer,
    #[error("too many events waiting")]
    TooMany,
}

impl Turn {
    fn of<A: Adapter>(s: &Arc<Socket<A>>) -> Result<Self, NoTurn> {
        s.extensions
            .get::<Arc<Sequencer>>()
            .map(|seq| seq.ticket())
            .ok_or(NoTurn::NoSequencer)
    }

    /// Waits until every earlier event of this socket has been handled. The
    /// turn ends when the returned value is dropped.
    pub async fn wait(self) -> Self {
        if let Some(seq) = &self.sequencer {
            loop {
                let ended = seq.turn_ended.notified();
                tokio::pin!(ended);
                // Registered before the check: a turn that ends after it
                // wakes this one.
                ended.as_mut().enable();
                if seq.serving().now == self.ticket {
                    break;
                }
                ended.await;
            }
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
        let advanced = {
            let mut guard = seq.serving();
            let s = &mut *guard;
            if s.now == ticket {
                s.now += 1;
                while s.abandoned.remove(&s.now) {
                    s.now += 1;
                }
                true
            } else {
                s.abandoned.insert(ticket);
                false
            }
        };
        if advanced {
            seq.turn_ended.notify_waiters();
        }
        seq.in_flight.0.send_modify(|n| *n -= 1);
        seq.waiting.fetch_sub(1, Ordering::SeqCst);
        seq.waiting_bytes.fetch_sub(self.bytes, Ordering::SeqCst);
    }
}

/// The bytes of an event's payload as read (its text and binary parts).
fn payload_bytes(v: &socketioxide_core::Value) -> usize {
    let attachments = match v {
        socketioxide_core::Value::Str(_, Some(binary)) => binary.iter().map(|b| b.len()).sum(),
        _ => 0,
    };
    v.len() + attachments
}

impl<A: Adapter> FromMessageParts<A> for Turn {
    type Error = NoTurn;

    fn from_message_parts(
        s: &Arc<Socket<A>>,
        v: &mut socketioxide_core::Value,
        ack_id: &Option<i64>,
    ) -> Result<Self, NoTurn> {
        let Some(seq) = s.extensions.get::<Arc<Sequencer>>() else {
            return Err(NoTurn::NoSequencer);
        };
        seq.admit(payload_bytes(v)).map_err(|(events, bytes)| {
            metrics::counter!("huddle_events_refused_waiting_total").increment(1);
            tracing::debug!(sid = %s.id, events, bytes, "refused: too many events waiting");
            answer_refusal(
                s,
                v,
                ack_id,
                ErrorReply::new(texts::too_many_waiting(events, bytes)),
            );
            NoTurn::TooMany
        })
    }
}

impl<A: Adapter> FromDisconnectParts<A> for Turn {
    type Error = NoTurn;

    fn from_disconnect_parts(s: &Arc<Socket<A>>, _: DisconnectReason) -> Result<Self, NoTurn> {
        Self::of(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_eq!(seq.serving().now, 3);
    }

    #[test]
    fn a_socket_may_have_so_many_events_and_bytes_waiting() {
        let seq = Sequencer::new(Arc::default());
        let mut waiting: Vec<Turn> = (0..MAX_WAITING_EVENTS)
            .map(|_| seq.admit(10).expect("under the bound"))
            .collect();
        assert_eq!(
            seq.admit(10).err(),
            Some((MAX_WAITING_EVENTS, MAX_WAITING_EVENTS * 10))
        );
        // One handled: one more may wait.
        drop(waiting.remove(0));
        let again = seq.admit(10).expect("room for one");
        drop((waiting, again));
        // Bytes: a payload that would take the total past the bound.
        let big = seq.admit(MAX_WAITING_BYTES - 5).expect("fits alone");
        assert_eq!(seq.admit(6).err(), Some((1, MAX_WAITING_BYTES - 5)));
        let small = seq.admit(5).expect("fits exactly");
        drop((big, small));
        assert_eq!(seq.waiting.load(Ordering::SeqCst), 0);
        assert_eq!(seq.waiting_bytes.load(Ordering::SeqCst), 0);
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
