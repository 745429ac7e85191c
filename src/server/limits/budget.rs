//! Rate limits on client events.
//!
//! Each event is registered with the [`Category`] it draws on
//! (`routes.on(Sends, send_message)` in `gateway::pipeline::Routes`), and
//! the pipeline draws on its [`Budget`] first.
//!
//! The draw happens as the packet is read, before anything else and
//! before the handler's task is spawned. A refused event is answered by
//! the extractor itself (the ack `{status:"error", message:"Rate limit
//! exceeded, retry in N ms", retryAfterMs:N}`, or the `exception` event
//! when the client sent no ack callback), and then the extraction fails,
//! so that the payload is not parsed and no handler is spawned: a flood
//! costs the server as little as possible per event. (The budget logs
//! refusals itself, once per episode rather than per event.)
//!
//! A socket refused more than `kick_after` times within [`STRIKE_WINDOW`]
//! is sent `kicked` and disconnected, and its client (account, or address
//! for a guest) may not connect again for [`STRIKE_WINDOW`]: a persistent
//! flooder is then refused at the HTTP handshake, the cheapest place.

use super::{millis_ceil, ClientKey, Keyed, Limits};
use crate::protocol::ack::{Ack, ErrorReply, Exception, OkMessage};
use crate::protocol::chat::Kicked;
use crate::protocol::ServerEvent;
use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, RateLimiter};
use socketioxide::adapter::Adapter;
use socketioxide::extract::AckSender;
use socketioxide::handler::FromMessageParts;
use socketioxide::socket::Socket;
use socketioxide::SocketError;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Refusals are counted over this window for the kick decision, and a
/// kicked client is asked to stay away this long.
pub const STRIKE_WINDOW: Duration = Duration::from_secs(10);

/// A budget's category: which buckets an event draws from.
pub trait Category: Send + Sync + 'static {
    const NAME: &'static str;
    fn socket(budgets: &SocketBudgets) -> &DefaultDirectRateLimiter;
    fn client(limits: &Limits) -> &Keyed<ClientKey>;
}

/// Chat sends: `send-message`, `send-dm`, `protected-message`.
pub struct Sends;
/// Room changes: `join`, `join-room`, `leave-room`.
pub struct Rooms;
/// Whiteboard events: `board-op`, `board-draw`, `board-cursor`.
pub struct Draws;
/// Everything else.
pub struct Reads;

impl Category for Sends {
    const NAME: &'static str = "sends";
    fn socket(b: &SocketBudgets) -> &DefaultDirectRateLimiter {
        &b.sends
    }
    fn client(l: &Limits) -> &Keyed<ClientKey> {
        &l.client_sends
    }
}

impl Category for Rooms {
    const NAME: &'static str = "room changes";
    fn socket(b: &SocketBudgets) -> &DefaultDirectRateLimiter {
        &b.rooms
    }
    fn client(l: &Limits) -> &Keyed<ClientKey> {
        &l.client_rooms
    }
}

impl Category for Draws {
    const NAME: &'static str = "whiteboard events";
    fn socket(b: &SocketBudgets) -> &DefaultDirectRateLimiter {
        &b.draws
    }
    fn client(l: &Limits) -> &Keyed<ClientKey> {
        &l.client_draws
    }
}

impl Category for Reads {
    const NAME: &'static str = "requests";
    fn socket(b: &SocketBudgets) -> &DefaultDirectRateLimiter {
        &b.reads
    }
    fn client(l: &Limits) -> &Keyed<ClientKey> {
        &l.client_reads
    }
}

/// One socket's buckets, kept in its extensions.
pub struct SocketBudgets {
    limits: Arc<Limits>,
    key: ClientKey,
    sends: DefaultDirectRateLimiter,
    rooms: DefaultDirectRateLimiter,
    draws: DefaultDirectRateLimiter,
    reads: DefaultDirectRateLimiter,
    strikes: Mutex<Strikes>,
}

#[derive(Default)]
struct Strikes {
    window_start: Option<Instant>,
    count: u32,
    kicked: bool,
}

/// What to do with a refused event.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Answer it; `first` when it opens a new episode (log it).
    Refuse { first: bool },
    /// Answer nothing: tell the socket `kicked` and disconnect it.
    Kick,
    /// Already kicked: drop it silently.
    Drop,
}

impl Strikes {
    fn strike(&mut self, now: Instant, kick_after: u32) -> Verdict {
        if self.kicked {
            return Verdict::Drop;
        }
        let first = match self.window_start {
            Some(start) if now.duration_since(start) < STRIKE_WINDOW => false,
            _ => {
                self.window_start = Some(now);
                self.count = 0;
                true
            }
        };
        self.count += 1;
        if self.count > kick_after {
            self.kicked = true;
            return Verdict::Kick;
        }
        Verdict::Refuse { first }
    }
}

impl SocketBudgets {
    pub fn new(limits: Arc<Limits>, key: ClientKey) -> Arc<Self> {
        let c = &limits.config;
        Arc::new(Self {
            sends: RateLimiter::direct(c.send.quota()),
            rooms: RateLimiter::direct(c.rooms.quota()),
            draws: RateLimiter::direct(c.draws.quota()),
            reads: RateLimiter::direct(c.reads.quota()),
            strikes: Mutex::new(Strikes::default()),
            limits,
            key,
        })
    }

    /// Takes one token from the socket's bucket of `C`, then from its
    /// client's; on refusal, how long until a token is there.
    fn take<C: Category>(&self) -> Result<(), Duration> {
        let socket = C::socket(self);
        socket
            .check()
            .map_err(|n| n.wait_time_from(socket.clock().now()))?;
        let client = C::client(&self.limits);
        client
            .check_key(&self.key)
            .map_err(|n| n.wait_time_from(client.clock().now()))
    }

    fn strike(&self) -> Verdict {
        let kick_after = self.limits.config.kick_after;
        match self.strikes.lock() {
            Ok(mut s) => s.strike(Instant::now(), kick_after),
            Err(poisoned) => poisoned.into_inner().strike(Instant::now(), kick_after),
        }
    }
}

/// Extractor: this event is within its socket's and its client's budget
/// of category `C`. When it is not, the refusal is answered and the
/// extraction fails with [`OverBudget`]: the handler does not run.
pub struct Budget<C>(PhantomData<fn() -> C>);

/// The extraction error of a refused event (already answered).
#[derive(Debug, thiserror::Error)]
#[error("refused by a rate limit (answered to the client)")]
pub struct OverBudget;

impl<A: Adapter, C: Category> FromMessageParts<A> for Budget<C> {
    type Error = OverBudget;

    fn from_message_parts(
        s: &Arc<Socket<A>>,
        v: &mut socketioxide_core::Value,
        ack_id: &Option<i64>,
    ) -> Result<Self, OverBudget> {
        let Some(budgets) = s.extensions.get::<Arc<SocketBudgets>>() else {
            // Every namespace meters its sockets at connect; a socket
            // without budgets is a wiring bug, not the client's fault.
            tracing::error!(sid = %s.id, ns = s.ns(), "socket has no rate-limit budgets");
            return Ok(Self(PhantomData));
        };
        let wait = match budgets.take::<C>() {
            Ok(()) => {
                metrics::counter!("huddle_events_received_total", "budget" => C::NAME, "outcome" => "accepted").increment(1);
                return Ok(Self(PhantomData));
            }
            Err(wait) => millis_ceil(wait),
        };
        metrics::counter!("huddle_events_received_total", "budget" => C::NAME, "outcome" => "rate_limited").increment(1);
        match budgets.strike() {
            Verdict::Refuse { first } => {
                if first {
                    tracing::info!(sid = %s.id, ns = s.ns(), client = ?budgets.key, budget = C::NAME,
                        "rate limited (further refusals in the next 10 s are not logged)");
                }
                answer_refusal(s, v, ack_id, ErrorReply::rate_limited(wait));
            }
            Verdict::Kick => {
                tracing::warn!(sid = %s.id, ns = s.ns(), client = ?budgets.key, budget = C::NAME,
                    "kicked: kept sending far over its rate limit");
                // The client, and for an account also its address, so that
                // it cannot come straight back as a guest.
                metrics::counter!("huddle_kicked_total").increment(1);
                budgets.limits.penalize(budgets.key, STRIKE_WINDOW);
                let address = budgets.limits.client_key(s.req_parts());
                budgets
                    .limits
                    .penalize(ClientKey::Address(address), STRIKE_WINDOW);
                kick(s.clone());
            }
            Verdict::Drop => {}
        }
        Err(OverBudget)
    }
}

/// Answers an event refused while its packet is read (by an extractor,
/// before any handler runs): an error ack when the client asked for one,
/// else the `exception` event.
pub fn answer_refusal<A: Adapter>(
    s: &Arc<Socket<A>>,
    v: &mut socketioxide_core::Value,
    ack_id: &Option<i64>,
    refusal: ErrorReply,
) {
    if ack_id.is_some() {
        let Ok(ack) = AckSender::from_message_parts(s, v, ack_id);
        if let Err(e) = ack.send(&Ack::<OkMessage>::Error(refusal)) {
            tracing::debug!(sid = %s.id, error = %e, "could not send ack");
        }
    } else if let Err(e) = s.emit(Exception::NAME, &Exception::from(refusal)) {
        tracing::debug!(sid = %s.id, error = %e, "could not send exception");
    }
}

/// Sends `kicked`, then disconnects the socket at once, while its packet
/// is being read: the flood's next packet then finds no socket and
/// socketioxide closes the connection, instead of reading on. A socket
/// whose outbound queue is full cannot take the disconnect packet yet: try
/// again for a while (its heartbeat closes it meanwhile if it never reads).
fn kick<A: Adapter>(socket: Arc<Socket<A>>) {
    let event = Kicked {
        message: format!(
            "Disconnected: you sent far more than the rate limit allows. Wait {} s before reconnecting.",
            STRIKE_WINDOW.as_secs()
        ),
        retry_after_ms: STRIKE_WINDOW.as_millis() as u64,
    };
    if let Err(e) = socket.emit(Kicked::NAME, &event) {
        tracing::debug!(sid = %socket.id, error = %e, "could not send kicked");
    }
    if let Err(SocketError::InternalChannelFull) = socket.clone().disconnect() {
        tokio::spawn(async move {
            for _ in 0..300 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if !matches!(
                    socket.clone().disconnect(),
                    Err(SocketError::InternalChannelFull)
                ) {
                    return;
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strikes_open_an_episode_then_kick_once() {
        let mut s = Strikes::default();
        let t0 = Instant::now();
        assert_eq!(s.strike(t0, 3), Verdict::Refuse { first: true });
        assert_eq!(s.strike(t0, 3), Verdict::Refuse { first: false });
        assert_eq!(s.strike(t0, 3), Verdict::Refuse { first: false });
        assert_eq!(s.strike(t0, 3), Verdict::Kick);
        assert_eq!(s.strike(t0, 3), Verdict::Drop);
    }

    #[test]
    fn a_new_window_starts_a_new_episode() {
        let mut s = Strikes::default();
        let t0 = Instant::now();
        for _ in 0..3 {
            s.strike(t0, 3);
        }
        let later = t0 + STRIKE_WINDOW;
        assert_eq!(s.strike(later, 3), Verdict::Refuse { first: true });
        assert_eq!(s.count, 1);
    }

    #[test]
    fn the_socket_bucket_and_the_client_bucket_both_count() {
        let mut config = super::super::LimitsConfig::DEFAULT;
        config.send = super::super::Rate::new(1, 60, 2);
        config.client_send = super::super::Rate::new(1, 60, 3);
        let limits = Limits::new(config);
        let key = ClientKey::Account(1);
        let a = SocketBudgets::new(limits.clone(), key);
        let b = SocketBudgets::new(limits.clone(), key);
        assert!(a.take::<Sends>().is_ok());
        assert!(a.take::<Sends>().is_ok());
        // The socket's own bucket is empty.
        let wait = a.take::<Sends>().unwrap_err();
        assert!(wait > Duration::from_secs(50), "{wait:?}");
        // Another socket of the same client has one left of the client's 3.
        assert!(b.take::<Sends>().is_ok());
        assert!(b.take::<Sends>().is_err());
        // Other categories and other clients are untouched.
        assert!(a.take::<Reads>().is_ok());
        let c = SocketBudgets::new(limits, ClientKey::Account(2));
        assert!(c.take::<Sends>().is_ok());
    }
}
