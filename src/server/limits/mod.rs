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

pub mod auth;
pub mod budget;
pub mod connections;

pub use budget::{Budget, Draws, Reads, Rooms, Sends};
pub use connections::{handshake_guard, Connections};

use crate::protocol::ack::ErrorReply;
use axum::response::{IntoResponse, Response};
use axum::Json;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use http::{HeaderName, StatusCode};
use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::{NonZeroU32, NonZeroUsize};
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A token bucket: `count` events per `per`, in bursts of up to `burst`.
///
/// Written `COUNT/UNIT[:BURST]`, UNIT one of `s`, `m`, `h`: `10/s:20` is ten
/// a second with bursts of twenty; `30/m` is thirty a minute, bursts of 30.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: NonZeroU32,
    pub per: Duration,
    pub burst: NonZeroU32,
}

impl Rate {
    pub const fn new(count: u32, per_secs: u64, burst: u32) -> Self {
        Self {
            count: nonzero(count),
            per: Duration::from_secs(per_secs),
            burst: nonzero(burst),
        }
    }

    /// The governor quota: one token every `per / count`.
    pub fn quota(&self) -> Quota {
        let interval = self.per / self.count.get();
        Quota::with_period(interval.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(self.count))
            .allow_burst(self.burst)
    }
}

const fn nonzero(n: u32) -> NonZeroU32 {
    match NonZeroU32::new(n) {
        Some(n) => n,
        None => NonZeroU32::MIN,
    }
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let usage =
            || format!("{s:?} is not a rate: write COUNT/UNIT[:BURST], like 10/s:20 or 30/m");
        let (rate, burst) = match s.split_once(':') {
            Some((rate, burst)) => (rate, Some(burst)),
            None => (s, None),
        };
        let (count, unit) = rate.trim().split_once('/').ok_or_else(usage)?;
        let count: NonZeroU32 = count.trim().parse().map_err(|_| usage())?;
        let per = match unit.trim() {
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            _ => return Err(usage()),
        };
        let burst = match burst {
            Some(b) => b.trim().parse().map_err(|_| usage())?,
            None => count,
        };
        Ok(Self { count, per, burst })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.per.as_secs() {
            60 => "m",
            3600 => "h",
            _ => "s",
        };
        write!(f, "{}/{unit}:{}", self.count, self.burst)
    }
}

/// The limits' settings; part of [`crate::server::Config`].
#[derive(Debug, Clone, clap::Args)]
pub struct LimitsConfig {
    /// Chat sends (send-message, send-dm, protected-message) one socket may
    /// make, as COUNT/UNIT:BURST.
    #[arg(long, env = "HUDDLE_SEND_LIMIT", default_value_t = LimitsConfig::DEFAULT.send)]
    pub send: Rate,
    /// Chat sends one client may make over all its sockets (an account when
    /// logged in, an address for guests).
    #[arg(long, env = "HUDDLE_CLIENT_SEND_LIMIT", default_value_t = LimitsConfig::DEFAULT.client_send)]
    pub client_send: Rate,
    /// Room changes (join, join-room, leave-room) one socket may make.
    #[arg(long, env = "HUDDLE_ROOM_LIMIT", default_value_t = LimitsConfig::DEFAULT.rooms)]
    pub rooms: Rate,
    /// Room changes one client may make over all its sockets.
    #[arg(long, env = "HUDDLE_CLIENT_ROOM_LIMIT", default_value_t = LimitsConfig::DEFAULT.client_rooms)]
    pub client_rooms: Rate,
    /// Whiteboard events (board-op, board-draw, board-cursor) one socket
    /// may send.
    #[arg(long, env = "HUDDLE_DRAW_LIMIT", default_value_t = LimitsConfig::DEFAULT.draws)]
    pub draws: Rate,
    /// Whiteboard events one client may send over all its sockets.
    #[arg(long, env = "HUDDLE_CLIENT_DRAW_LIMIT", default_value_t = LimitsConfig::DEFAULT.client_draws)]
    pub client_draws: Rate,
    /// Every other event (history, get-users, dm-list, mark-read, focus,
    /// subscriptions, unknown events) one socket may send.
    #[arg(long, env = "HUDDLE_READ_LIMIT", default_value_t = LimitsConfig::DEFAULT.reads)]
    pub reads: Rate,
    /// Every other event one client may send over all its sockets.
    #[arg(long, env = "HUDDLE_CLIENT_READ_LIMIT", default_value_t = LimitsConfig::DEFAULT.client_reads)]
    pub client_reads: Rate,
    /// A socket refused this many times within 10 seconds is sent `kicked`
    /// and disconnected.
    #[arg(long, env = "HUDDLE_KICK_AFTER", default_value_t = LimitsConfig::DEFAULT.kick_after)]
    pub kick_after: u32,
    /// Most sockets the server holds in each namespace.
    #[arg(long, env = "HUDDLE_MAX_CONNECTIONS", default_value_t = LimitsConfig::DEFAULT.max_connections)]
    pub max_connections: usize,
    /// Most sockets one address holds in each namespace.
    #[arg(long, env = "HUDDLE_MAX_CONNECTIONS_PER_IP", default_value_t = LimitsConfig::DEFAULT.max_connections_per_ip)]
    pub max_connections_per_ip: usize,
    /// Engine.IO connections (handshakes) one address may open.
    #[arg(long, env = "HUDDLE_HANDSHAKE_LIMIT", default_value_t = LimitsConfig::DEFAULT.handshakes)]
    pub handshakes: Rate,
    /// Accounts one address may create (POST /api/register), as
    /// COUNT/UNIT:BURST.
    #[arg(long, env = "HUDDLE_REGISTER_LIMIT", default_value_t = LimitsConfig::DEFAULT.register)]
    pub register: Rate,
    /// Login attempts one address may make (POST /api/login), whatever
    /// their outcome.
    #[arg(long, env = "HUDDLE_LOGIN_LIMIT", default_value_t = LimitsConfig::DEFAULT.login)]
    pub login: Rate,
    /// Failed logins one account name may take, from any address (a login
    /// that succeeds does not count).
    #[arg(long, env = "HUDDLE_LOGIN_FAILURE_LIMIT", default_value_t = LimitsConfig::DEFAULT.login_failures)]
    pub login_failures: Rate,
    /// Password hashes (sign-ups and logins) computed at once. Default: the
    /// number of cores.
    #[arg(long, env = "HUDDLE_HASH_THREADS")]
    pub hash_threads: Option<NonZeroUsize>,
    /// Sign-ups and logins that may wait for a hashing thread; past them the
    /// server answers 503 (busy). Default: twice the hashing threads.
    #[arg(long, env = "HUDDLE_HASH_QUEUE")]
    pub hash_queue: Option<usize>,
    /// Behind a reverse proxy: the request header holding the client's
    /// address (e.g. X-Forwarded-For, whose last entry is used, or
    /// X-Real-IP). Unset: the TCP peer's address. Set it only when every
    /// request comes through a proxy that sets the header.
    #[arg(long, env = "HUDDLE_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<HeaderName>,
}

impl LimitsConfig {
    /// Defaults that a person never hits: typing, switching rooms and
    /// scrolling history stay far below them; a script does not.
    pub const DEFAULT: LimitsConfig = LimitsConfig {
        send: Rate::new(10, 1, 5),
        client_send: Rate::new(20, 1, 10),
        rooms: Rate::new(5, 1, 20),
        client_rooms: Rate::new(10, 1, 40),
        // A pen sends about 20 batches a second, its cursor 20 more; a
        // clear or a reconnect after drawing offline sends a burst of ops.
        draws: Rate::new(60, 1, 120),
        client_draws: Rate::new(120, 1, 240),
        reads: Rate::new(20, 1, 60),
        client_reads: Rate::new(50, 1, 150),
        kick_after: 100,
        max_connections: 20_000,
        max_connections_per_ip: 50,
        handshakes: Rate::new(5, 1, 30),
        // A whole team behind one office address may sign up on its first
        // morning; a script gets 10 an hour after that.
        register: Rate::new(10, 3600, 30),
        login: Rate::new(20, 60, 60),
        // Ten wrong passwords in a row, then one every three minutes.
        login_failures: Rate::new(20, 3600, 10),
        hash_threads: None,
        hash_queue: None,
        client_ip_header: None,
    };

    /// Password hashes computed at once: the setting, else the cores.
    pub fn hash_threads(&self) -> usize {
        self.hash_threads
            .or_else(|| std::thread::available_parallelism().ok())
            .map_or(1, NonZeroUsize::get)
    }

    /// Requests that may wait for a hashing thread.
    pub fn hash_queue(&self) -> usize {
        self.hash_queue.unwrap_or(2 * self.hash_threads())
    }
}

impl LimitsConfig {
    /// For tests that are not about limits: tests open many sockets and
    /// send in bursts from one address, so every limit is far away.
    pub fn for_tests() -> Self {
        let high = Rate::new(100_000, 1, 100_000);
        Self {
            send: high,
            client_send: high,
            rooms: high,
            client_rooms: high,
            draws: high,
            client_draws: high,
            reads: high,
            client_reads: high,
            kick_after: u32::MAX,
            max_connections: 100_000,
            max_connections_per_ip: 100_000,
            handshakes: high,
            register: high,
            login: high,
            login_failures: high,
            hash_threads: None,
            // Tests sign many people up at once.
            hash_queue: Some(10_000),
            client_ip_header: None,
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Who a per-client budget belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    Account(i64),
    Address(IpAddr),
}

type Keyed<K> = DefaultKeyedRateLimiter<K>;

/// The limits every socket shares: per-client buckets, connection counts.
pub struct Limits {
    pub config: LimitsConfig,
    client_sends: Keyed<ClientKey>,
    client_rooms: Keyed<ClientKey>,
    client_draws: Keyed<ClientKey>,
    client_reads: Keyed<ClientKey>,
    handshakes: Keyed<IpAddr>,
    auth: auth::AuthLimits,
    pub connections: Connections,
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

    /// The client address of a request: the configured proxy header when
    /// set (a missing or malformed one falls back to the peer), else the
    /// TCP peer.
    pub fn client_ip(&self, parts: &http::request::Parts) -> IpAddr {
        client_ip(
            self.config.client_ip_header.as_ref(),
            &parts.headers,
            &parts.extensions,
        )
    }
}

fn client_ip(
    header: Option<&HeaderName>,
    headers: &http::HeaderMap,
    extensions: &http::Extensions,
) -> IpAddr {
    let from_header = header
        .and_then(|h| headers.get(h))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse::<IpAddr>().ok());
    from_header
        .or_else(|| {
            extensions
                .get::<axum::extract::ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
        })
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
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

/// Milliseconds to wait, rounded up so that "retry in N ms" is enough.
fn millis_ceil(d: Duration) -> u64 {
    let ms = d.as_micros().div_ceil(1000);
    u64::try_from(ms).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_print() {
        let r: Rate = "10/s:20".parse().unwrap();
        assert_eq!(r, Rate::new(10, 1, 20));
        assert_eq!(r.to_string(), "10/s:20");
        assert_eq!("30/m".parse::<Rate>().unwrap(), Rate::new(30, 60, 30));
        assert_eq!(" 2 / h : 5".parse::<Rate>().unwrap(), Rate::new(2, 3600, 5));
        for bad in ["", "10", "0/s", "10/d", "10/s:0", "10/s:x", "-1/s"] {
            let err = bad.parse::<Rate>().unwrap_err();
            assert!(err.contains("COUNT/UNIT"), "{bad}: {err}");
        }
    }

    /// The defaults README documents, as written there.
    #[test]
    fn defaults_are_the_documented_ones() {
        let d = LimitsConfig::DEFAULT;
        let rates = [
            (d.send, "10/s:5"),
            (d.client_send, "20/s:10"),
            (d.rooms, "5/s:20"),
            (d.client_rooms, "10/s:40"),
            (d.draws, "60/s:120"),
            (d.client_draws, "120/s:240"),
            (d.reads, "20/s:60"),
            (d.client_reads, "50/s:150"),
            (d.handshakes, "5/s:30"),
            (d.register, "10/h:30"),
            (d.login, "20/m:60"),
            (d.login_failures, "20/h:10"),
        ];
        for (rate, documented) in rates {
            assert_eq!(rate.to_string(), documented);
            assert_eq!(documented.parse::<Rate>(), Ok(rate));
        }
        assert_eq!(d.kick_after, 100);
        assert_eq!(d.max_connections, 20_000);
        assert_eq!(d.max_connections_per_ip, 50);
        assert_eq!(d.client_ip_header, None);
        assert_eq!(d.hash_threads, None);
        assert_eq!(d.hash_queue, None);
    }

    #[test]
    fn hashing_defaults_follow_the_cores() {
        let mut c = LimitsConfig::DEFAULT;
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        assert_eq!(c.hash_threads(), cores);
        assert_eq!(c.hash_queue(), 2 * cores);
        c.hash_threads = NonZeroUsize::new(3);
        assert_eq!(c.hash_queue(), 6);
        c.hash_queue = Some(0);
        assert_eq!(c.hash_queue(), 0);
    }

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
    fn the_client_address_comes_from_the_proxy_header_only_when_configured() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        let mut extensions = http::Extensions::new();
        extensions.insert(axum::extract::ConnectInfo(SocketAddr::from((
            [127, 0, 0, 1],
            4000,
        ))));
        let xff = HeaderName::from_static("x-forwarded-for");
        assert_eq!(
            client_ip(Some(&xff), &headers, &extensions),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_ip(None, &headers, &extensions),
            "127.0.0.1".parse::<IpAddr>().unwrap()
        );
        headers.insert("x-forwarded-for", "garbage".parse().unwrap());
        assert_eq!(
            client_ip(Some(&xff), &headers, &extensions),
            "127.0.0.1".parse::<IpAddr>().unwrap()
        );
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
    fn waits_round_up_to_whole_milliseconds() {
        assert_eq!(millis_ceil(Duration::from_micros(1)), 1);
        assert_eq!(millis_ceil(Duration::from_micros(1500)), 2);
        assert_eq!(millis_ceil(Duration::from_millis(250)), 250);
        assert_eq!(millis_ceil(Duration::ZERO), 1);
    }
}
