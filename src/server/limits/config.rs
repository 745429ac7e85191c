//! The limits' settings: [`Rate`] (a token bucket as written in a
//! setting) and [`LimitsConfig`] (every limit's flag, variable and
//! default).

use super::address::parse_proxy;
use governor::Quota;
use http::HeaderName;
use ipnet::IpNet;
use std::fmt;
use std::num::{NonZeroU32, NonZeroUsize};
use std::str::FromStr;
use std::time::Duration;

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
    /// Bytes already sent to a socket and still unread (queued for it,
    /// not yet taken by its connection) past which its large reads
    /// (history, dm-history, board-join, get-users) are refused.
    #[arg(long, env = "HUDDLE_MAX_UNREAD_BYTES", default_value_t = LimitsConfig::DEFAULT.max_unread_bytes)]
    pub max_unread_bytes: usize,
    /// Engine.IO sessions one address may hold at once, whether or not a
    /// namespace socket is on them (a page's one session carries its
    /// /chat and /notifications sockets). A little above the sockets per
    /// address, so that a page over that limit is told why by its
    /// namespace's refusal first.
    #[arg(long, env = "HUDDLE_MAX_SESSIONS_PER_IP", default_value_t = LimitsConfig::DEFAULT.max_sessions_per_ip)]
    pub max_sessions_per_ip: usize,
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
    /// address (e.g. X-Forwarded-For or X-Real-IP), read only on requests
    /// from HUDDLE_TRUSTED_PROXIES (required with it). The client is the
    /// header's rightmost address that is not a trusted proxy. Unset: the
    /// TCP peer's address.
    #[arg(long, env = "HUDDLE_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<HeaderName>,
    /// Comma-separated addresses or networks (10.0.0.5, 10.0.0.0/8,
    /// fd00::/8) of the reverse proxies whose HUDDLE_CLIENT_IP_HEADER is
    /// believed.
    #[arg(long, env = "HUDDLE_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_proxy)]
    pub trusted_proxies: Vec<IpNet>,
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
        max_unread_bytes: 1024 * 1024,
        max_sessions_per_ip: 60,
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
        trusted_proxies: Vec::new(),
    };

    /// Settings that make no sense together, said so at start-up.
    pub fn check(&self) -> Result<(), String> {
        if let (Some(header), true) = (&self.client_ip_header, self.trusted_proxies.is_empty()) {
            return Err(format!(
                "HUDDLE_CLIENT_IP_HEADER is {header} but HUDDLE_TRUSTED_PROXIES is empty: \
                 list the reverse proxies that set it (e.g. 127.0.0.1 or 10.0.0.0/8), \
                 or unset HUDDLE_CLIENT_IP_HEADER; anyone else could pick their own address"
            ));
        }
        Ok(())
    }

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
            max_unread_bytes: LimitsConfig::DEFAULT.max_unread_bytes,
            max_sessions_per_ip: 100_000,
            handshakes: high,
            register: high,
            login: high,
            login_failures: high,
            hash_threads: None,
            // Tests sign many people up at once.
            hash_queue: Some(10_000),
            client_ip_header: None,
            trusted_proxies: Vec::new(),
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
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
        assert_eq!(d.max_sessions_per_ip, 60);
        assert_eq!(d.max_unread_bytes, 1_048_576);
        assert_eq!(d.client_ip_header, None);
        assert!(d.trusted_proxies.is_empty());
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
    fn a_client_ip_header_needs_trusted_proxies() {
        let mut c = LimitsConfig::DEFAULT;
        assert_eq!(c.check(), Ok(()));
        c.client_ip_header = Some(HeaderName::from_static("x-forwarded-for"));
        let err = c.check().unwrap_err();
        assert!(err.contains("HUDDLE_TRUSTED_PROXIES"), "{err}");
        c.trusted_proxies = vec![parse_proxy("127.0.0.1").unwrap()];
        assert_eq!(c.check(), Ok(()));
    }
}
