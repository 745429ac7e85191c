//! Abuse limits: what keeps one client from degrading everyone else.
//!
//! - [`budget`]: token-bucket rate limits (the `governor` crate) on every
//!   client event, per socket and per client (the account when logged in,
//!   the address for guests), with separate budgets for chat sends, room
//!   changes and everything else. A client that keeps hammering far past its
//!   limit is told (`kicked`) and disconnected.
//! - [`connections`]: how many sockets the server, and one address, may
//!   hold, and how fast one address may open Engine.IO connections.
//! - [`auth`]: how many accounts one address may create, how many logins it
//!   may try, and how many failed logins one account name may take.
//!
//! Slow consumers are bounded by the gateway's per-socket queue and
//! heartbeat (see `gateway::build`).

pub mod address;
pub mod auth;
pub mod budget;
mod config;
pub mod connections;

pub use address::AddressKey;
pub use budget::{Budget, Draws, Reads, Rooms, Sends};
pub use config::{LimitsConfig, Rate};
pub use connections::{handshake_guard, Connections};

use crate::protocol::ack::ErrorReply;
use axum::response::{IntoResponse, Response};
use axum::Json;
use governor::{DefaultKeyedRateLimiter, RateLimiter};
use http::StatusCode;
use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Who a per-client budget belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    Account(i64),
    Address(AddressKey),
}

type Keyed<K> = DefaultKeyedRateLimiter<K>;

/// The limits every socket shares: per-client buckets, connection counts.
pub struct Limits {
    pub config: LimitsConfig,
    client_sends: Keyed<ClientKey>,
    client_rooms: Keyed<ClientKey>,
    client_draws: Keyed<ClientKey>,
    client_reads: Keyed<ClientKey>,
    handshakes: Keyed<AddressKey>,
    auth: auth::AuthLimits,
    pub connections: Connections,
    /// Live Engine.IO sessions, in total and per address.
    pub sessions: Connections,
    /// Clients kicked for flooding, and until when they may not connect.
    penalties: Mutex<HashMap<ClientKey, Instant>>,
}

impl fmt::Debug for Limits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limits")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Limits {
    pub fn new(config: LimitsConfig) -> Arc<Self> {
        Arc::new(Self {
            client_sends: RateLimiter::keyed(config.client_send.quota()),
            client_rooms: RateLimiter::keyed(config.client_rooms.quota()),
            client_draws: RateLimiter::keyed(config.client_draws.quota()),
            client_reads: RateLimiter::keyed(config.client_reads.quota()),
            handshakes: RateLimiter::keyed(config.handshakes.quota()),
            auth: auth::AuthLimits::new(config.register, config.login, config.login_failures),
            connections: Connections::new(config.max_connections, config.max_connections_per_ip),
            sessions: Connections::new(
                max_sessions(config.max_connections),
                config.max_sessions_per_ip,
            ),
            penalties: Mutex::new(HashMap::new()),
            config,
        })
    }

    fn penalties(&self) -> MutexGuard<'_, HashMap<ClientKey, Instant>> {
        self.penalties
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Refuses new connections of `key` for `duration`.
    pub fn penalize(&self, key: ClientKey, duration: Duration) {
        self.penalties().insert(key, Instant::now() + duration);
    }

    /// How long `key` must still wait before connecting, if it was kicked.
    pub fn penalty(&self, key: &ClientKey) -> Option<Duration> {
        let until = *self.penalties().get(key)?;
        until.checked_duration_since(Instant::now())
    }

    /// Forgets the buckets of clients that have been quiet long enough to
    /// be full again, so the maps do not grow with every address ever seen.
    pub fn forget_idle(&self) {
        for keyed in [
            &self.client_sends,
            &self.client_rooms,
            &self.client_draws,
            &self.client_reads,
        ] {
            keyed.retain_recent();
            keyed.shrink_to_fit();
        }
        self.handshakes.retain_recent();
        self.handshakes.shrink_to_fit();
        self.auth.forget_idle();
        let now = Instant::now();
        self.penalties().retain(|_, until| *until > now);
    }

    /// Runs [`Self::forget_idle`] every minute while the server runs.
    pub fn spawn_housekeeping(self: &Arc<Self>) {
        let limits = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                match limits.upgrade() {
                    Some(limits) => limits.forget_idle(),
                    None => return,
                }
            }
        });
    }

    /// The client address of a request: the TCP peer's, or when the peer
    /// is a trusted proxy, what the configured header says (see
    /// [`address`]).
    pub fn client_ip(&self, parts: &http::request::Parts) -> IpAddr {
        self.client_ip_of(&parts.headers, &parts.extensions)
    }

    /// [`Self::client_ip`] of a request's headers and extensions.
    pub fn client_ip_of(&self, headers: &http::HeaderMap, extensions: &http::Extensions) -> IpAddr {
        let peer = extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        address::client_ip(
            self.config.client_ip_header.as_ref(),
            &self.config.trusted_proxies,
            headers,
            peer,
        )
    }

    /// The key every per-address limit counts a request under.
    pub fn client_key(&self, parts: &http::request::Parts) -> AddressKey {
        AddressKey::of(self.client_ip(parts))
    }
}

/// An HTTP request refused for now: 429 (over a budget) or 503 (the server
/// is busy), with `Retry-After` and the body `{message, retryAfterMs}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttled {
    pub status: StatusCode,
    pub message: String,
    pub retry_after_ms: u64,
}

impl Throttled {
    /// 429: `what` (a sentence ending in "try again"), then "in N s".
    pub fn too_many(wait: Duration, what: &str) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, wait, what)
    }

    /// 503: the server has no room for the request now.
    pub fn busy(wait: Duration) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            wait,
            "The server is busy: try again",
        )
    }

    fn new(status: StatusCode, wait: Duration, what: &str) -> Self {
        let retry_after_ms = millis_ceil(wait);
        Self {
            status,
            message: format!("{what} in {} s", retry_after_ms.div_ceil(1000)),
            retry_after_ms,
        }
    }
}

impl IntoResponse for Throttled {
    fn into_response(self) -> Response {
        refusal_response(self.status, self.message, self.retry_after_ms)
    }
}

/// The answer of every HTTP refusal that a wait cures: `status`,
/// `Retry-After` (whole seconds, rounded up) and `{message, retryAfterMs}`.
pub(crate) fn refusal_response(status: StatusCode, message: String, retry_ms: u64) -> Response {
    let body = ErrorReply {
        message,
        retry_after_ms: Some(retry_ms),
    };
    let retry_secs = retry_ms.div_ceil(1000).to_string();
    (
        status,
        [(http::header::RETRY_AFTER, retry_secs)],
        Json(body),
    )
        .into_response()
}

/// Engine.IO sessions the server holds at most: a fifth above the sockets
/// of a namespace, so that a page over the namespace's limit is told why
/// by its refusal (a browser never sees the HTTP status of a refused
/// WebSocket handshake), while sessions with no socket on them stay
/// bounded.
fn max_sessions(max_connections: usize) -> usize {
    max_connections.saturating_add(max_connections.div_ceil(5))
}

/// Milliseconds to wait, rounded up so that "retry in N ms" is enough.
fn millis_ceil(d: Duration) -> u64 {
    let ms = d.as_micros().div_ceil(1000);
    u64::try_from(ms).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttled_answers_say_when_to_come_back() {
        let t = Throttled::too_many(Duration::from_millis(1500), "Too many: try again");
        assert_eq!(t.message, "Too many: try again in 2 s");
        assert_eq!(t.retry_after_ms, 1500);
        let r = t.into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[http::header::RETRY_AFTER], "2");
        let r = Throttled::busy(Duration::from_secs(1)).into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[http::header::RETRY_AFTER], "1");
    }

    #[test]
    fn a_quota_allows_its_burst_then_refuses() {
        let limiter = RateLimiter::direct(Rate::new(1, 60, 3).quota());
        for _ in 0..3 {
            assert!(limiter.check().is_ok());
        }
        assert!(limiter.check().is_err());
    }

    #[test]
    fn a_penalty_lasts_its_time() {
        let limits = Limits::new(LimitsConfig::DEFAULT);
        let key = ClientKey::Account(7);
        assert_eq!(limits.penalty(&key), None);
        limits.penalize(key, Duration::from_secs(10));
        let left = limits.penalty(&key).unwrap();
        assert!(left > Duration::from_secs(9), "{left:?}");
        assert_eq!(limits.penalty(&ClientKey::Account(8)), None);
        limits.penalize(key, Duration::ZERO);
        assert_eq!(limits.penalty(&key), None);
        limits.forget_idle();
        assert!(limits.penalties().is_empty());
    }

    #[test]
    fn sessions_are_bounded_a_fifth_above_the_sockets() {
        assert_eq!(max_sessions(20_000), 24_000);
        assert_eq!(max_sessions(1), 2);
        assert_eq!(max_sessions(usize::MAX), usize::MAX);
    }

    #[test]
    fn waits_round_up_to_whole_milliseconds() {
        assert_eq!(millis_ceil(Duration::from_micros(1)), 1);
        assert_eq!(millis_ceil(Duration::from_micros(1500)), 2);
        assert_eq!(millis_ceil(Duration::from_millis(250)), 250);
        assert_eq!(millis_ceil(Duration::ZERO), 1);
    }
}
