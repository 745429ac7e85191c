//! Connection limits: how many sockets the server and one address hold, and
//! how fast one address may open Engine.IO connections.
//!
//! Two checkpoints:
//! - [`handshake_guard`], an HTTP middleware in front of socket.io, answers
//!   a new Engine.IO connection over its address's handshake rate with
//!   HTTP 429, `Retry-After` and a JSON body `{message, retryAfterMs}`,
//!   before any session exists.
//! - `gateway::connect::admit`, the first connect middleware of every namespace, counts the
//!   socket against the total and per-address limits, refusing it with a
//!   `connect_error` whose message says why (a browser shows that text; it
//!   never sees an HTTP status of a WebSocket upgrade), and keeps a
//!   [`Permit`] in its extensions that gives the place back when the socket
//!   goes. An Engine.IO connection that never connects a namespace is
//!   closed by the gateway's connect timeout, so the handshake rate bounds
//!   those.

use super::{millis_ceil, AddressKey, ClientKey, Limits};
use crate::protocol::SOCKET_IO_PATH;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Why a connection was refused; the text is the `connect_error` message
/// or the HTTP body's `message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionRefusal {
    #[error("The server is full ({0} connections): try again in a minute")]
    Full(usize),
    #[error("Too many connections from your address ({0}): close other tabs or devices, or try again later")]
    PerAddress(usize),
    #[error("Too many connection attempts from your address: retry in {0} ms")]
    TooFast(u64),
    #[error(
        "You were disconnected for sending far more than the rate limit allows: retry in {0} ms"
    )]
    Penalized(u64),
}

impl ConnectionRefusal {
    fn retry_after_ms(&self) -> u64 {
        match self {
            ConnectionRefusal::Full(_) | ConnectionRefusal::PerAddress(_) => 60_000,
            ConnectionRefusal::TooFast(ms) | ConnectionRefusal::Penalized(ms) => *ms,
        }
    }
}

impl IntoResponse for ConnectionRefusal {
    fn into_response(self) -> Response {
        let status = match self {
            ConnectionRefusal::Full(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::TOO_MANY_REQUESTS,
        };
        let retry_ms = self.retry_after_ms();
        super::refusal_response(status, self.to_string(), retry_ms)
    }
}

#[derive(Default)]
struct Count {
    total: usize,
    per_ip: HashMap<AddressKey, usize>,
}

/// Live sockets per namespace, in total and per address.
pub struct Connections {
    max_total: usize,
    max_per_ip: usize,
    namespaces: Mutex<HashMap<String, Count>>,
}

impl Connections {
    pub fn new(max_total: usize, max_per_ip: usize) -> Self {
        Self {
            max_total,
            max_per_ip,
            namespaces: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Count>> {
        self.namespaces
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn check(&self, count: Option<&Count>, ip: AddressKey) -> Result<(), ConnectionRefusal> {
        let Some(count) = count else { return Ok(()) };
        if count.total >= self.max_total {
            return Err(ConnectionRefusal::Full(self.max_total));
        }
        if count.per_ip.get(&ip).copied().unwrap_or(0) >= self.max_per_ip {
            return Err(ConnectionRefusal::PerAddress(self.max_per_ip));
        }
        Ok(())
    }

    /// Counts a socket of `ip` in `ns`, or refuses it.
    pub(crate) fn try_admit(&self, ns: &str, ip: AddressKey) -> Result<(), ConnectionRefusal> {
        let mut namespaces = self.lock();
        self.check(namespaces.get(ns), ip)?;
        let count = namespaces.entry(ns.to_owned()).or_default();
        count.total += 1;
        *count.per_ip.entry(ip).or_default() += 1;
        metrics::gauge!("huddle_connections", "namespace" => ns.to_owned()).set(count.total as f64);
        Ok(())
    }

    fn release(&self, ns: &str, ip: AddressKey) {
        let mut namespaces = self.lock();
        let Some(count) = namespaces.get_mut(ns) else {
            return;
        };
        count.total = count.total.saturating_sub(1);
        metrics::gauge!("huddle_connections", "namespace" => ns.to_owned()).set(count.total as f64);
        if let Some(n) = count.per_ip.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                count.per_ip.remove(&ip);
            }
        }
    }

    /// Live sockets in `ns`.
    pub fn count(&self, ns: &str) -> usize {
        self.lock().get(ns).map_or(0, |c| c.total)
    }
}

/// A socket's place in the counts, given back when the socket (and with it
/// its extensions) is dropped.
pub struct Permit {
    limits: Arc<Limits>,
    counted: Counted,
    ns: Box<str>,
    ip: AddressKey,
}

/// Which of [`Limits`]' counts a [`Permit`] holds a place in.
#[derive(Clone, Copy)]
enum Counted {
    /// [`Limits::connections`]: a namespace's sockets.
    Sockets,
    /// [`Limits::sessions`]: Engine.IO sessions.
    Sessions,
}

impl Permit {
    /// Counts a socket of `ns` from `ip` (already admitted) until dropped.
    pub fn new(limits: Arc<Limits>, ns: &str, ip: AddressKey) -> Self {
        Self {
            limits,
            counted: Counted::Sockets,
            ns: ns.into(),
            ip,
        }
    }

    /// Counts an Engine.IO session from `ip` (already admitted to
    /// [`Limits::sessions`]) until dropped.
    fn sessions(limits: Arc<Limits>, ip: AddressKey) -> Self {
        Self {
            limits,
            counted: Counted::Sessions,
            ns: ENGINE_SESSIONS.into(),
            ip,
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let counts = match self.counted {
            Counted::Sockets => &self.limits.connections,
            Counted::Sessions => &self.limits.sessions,
        };
        counts.release(&self.ns, self.ip);
    }
}

impl Limits {
    pub(crate) fn check_penalty(&self, key: &ClientKey) -> Result<(), ConnectionRefusal> {
        match self.penalty(key) {
            Some(left) => Err(ConnectionRefusal::Penalized(millis_ceil(left))),
            None => Ok(()),
        }
    }

    /// Refuses an address that was kicked for flooding, else takes one
    /// handshake from its bucket.
    pub fn check_handshake(&self, ip: AddressKey) -> Result<(), ConnectionRefusal> {
        self.check_penalty(&ClientKey::Address(ip))?;
        self.handshakes.check_key(&ip).map_err(|n| {
            ConnectionRefusal::TooFast(millis_ceil(
                n.wait_time_from(governor::clock::Clock::now(self.handshakes.clock())),
            ))
        })
    }
}

/// Whether a request opens a new Engine.IO connection (it has no `sid`).
fn opens_engine_session(req: &Request) -> bool {
    let path = req.uri().path();
    let is_socket_io =
        path.starts_with(SOCKET_IO_PATH) || path == SOCKET_IO_PATH.trim_end_matches('/');
    is_socket_io
        && !req
            .uri()
            .query()
            .is_some_and(|q| q.split('&').any(|p| p.starts_with("sid=")))
}

/// The key under which [`Connections`] counts Engine.IO sessions (not a
/// namespace: it starts with no `/`).
pub const ENGINE_SESSIONS: &str = "engine.io";

/// A live Engine.IO session's place in the per-address count, kept in its
/// handshake request's extensions: the socket.io layer keeps that request's
/// head for the session's whole life (`Socket::req_parts`, shared by the
/// session's namespace sockets), so the place is given back when the
/// session is gone, whether or not a namespace socket was ever on it.
#[derive(Clone)]
pub struct SessionPermit {
    _place: Arc<Permit>,
}

/// HTTP middleware: refuses a new Engine.IO connection over the handshake
/// rate or the session limits of its address, and counts the session it
/// opens for as long as it lives ([`SessionPermit`]).
pub async fn handshake_guard(
    State(limits): State<Arc<Limits>>,
    mut req: Request,
    next: Next,
) -> Response {
    if opens_engine_session(&req) {
        let ip = AddressKey::of(limits.client_ip_of(req.headers(), req.extensions()));
        let admitted = limits
            .check_handshake(ip)
            .and_then(|()| limits.sessions.try_admit(ENGINE_SESSIONS, ip));
        if let Err(refusal) = admitted {
            tracing::info!(%ip, reason = %refusal, "connection refused");
            return refusal.into_response();
        }
        let permit = Permit::sessions(limits.clone(), ip);
        req.extensions_mut().insert(SessionPermit {
            _place: Arc::new(permit),
        });
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> AddressKey {
        AddressKey::of(std::net::IpAddr::from([10, 0, 0, last]))
    }

    #[test]
    fn counts_per_namespace_and_address() {
        let c = Connections::new(3, 2);
        assert_eq!(c.try_admit("/chat", ip(1)), Ok(()));
        assert_eq!(c.try_admit("/chat", ip(1)), Ok(()));
        assert_eq!(
            c.try_admit("/chat", ip(1)),
            Err(ConnectionRefusal::PerAddress(2))
        );
        // Another namespace counts apart.
        assert_eq!(c.try_admit("/notifications", ip(1)), Ok(()));
        assert_eq!(c.try_admit("/chat", ip(2)), Ok(()));
        assert_eq!(c.try_admit("/chat", ip(3)), Err(ConnectionRefusal::Full(3)));
        c.release("/chat", ip(1));
        assert_eq!(c.count("/chat"), 2);
        assert_eq!(c.try_admit("/chat", ip(3)), Ok(()));
    }

    #[test]
    fn released_addresses_are_forgotten() {
        let c = Connections::new(10, 10);
        c.try_admit("/chat", ip(1)).unwrap();
        c.release("/chat", ip(1));
        assert!(c.lock()["/chat"].per_ip.is_empty());
        // Releasing what was never admitted changes nothing.
        c.release("/chat", ip(9));
        c.release("/nowhere", ip(9));
        assert_eq!(c.count("/chat"), 0);
    }

    #[test]
    fn only_requests_without_a_sid_open_a_session() {
        let req = |uri: &str| {
            Request::builder()
                .uri(uri)
                .body(axum::body::Body::empty())
                .unwrap()
        };
        assert!(opens_engine_session(&req(
            "/socket.io/?EIO=4&transport=polling"
        )));
        assert!(opens_engine_session(&req(
            "/socket.io/?EIO=4&transport=websocket"
        )));
        assert!(!opens_engine_session(&req(
            "/socket.io/?EIO=4&transport=polling&sid=abc"
        )));
        assert!(!opens_engine_session(&req("/socket.iox/?EIO=4")));
        assert!(!opens_engine_session(&req("/api/login")));
    }

    #[test]
    fn refusals_answer_429_or_503_with_retry_after() {
        let r = ConnectionRefusal::TooFast(1500).into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[http::header::RETRY_AFTER], "2");
        let r = ConnectionRefusal::Full(10).into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
