//! The socket.io gateway: one module per namespace.
//!
//! - `chat`: `/chat`, the tutorial's chat.
//! - `direct`: direct messages, on `/chat`.
//! - `board`: the rooms' whiteboards, on `/chat`.
//! - `notifications`: `/notifications`, per-user pushes.
//! - `reply`: how a handler answers (ack, error ack or `exception`).
//!
//! Handlers are generic over the socket.io adapter, so the same code runs on
//! the in-process adapter and on a shared one.

pub mod board;
pub mod chat;
pub mod direct;
pub mod notifications;
pub mod reply;
pub mod turn;

use crate::protocol::limits::MAX_PAYLOAD_BYTES;
use crate::protocol::ServerEvent;
use crate::server::auth::identity::authenticate;
use crate::server::auth::TokenKeys;
use crate::server::limits::{admit, meter, Limits};
use crate::server::presence::Presence;
use crate::server::store::Store;
use socketioxide::adapter::Adapter;
use socketioxide::handler::ConnectHandler;
use socketioxide::layer::SocketIoLayer;
use socketioxide::operators::BroadcastOperators;
use socketioxide::{BroadcastError, SocketError, SocketIo};
use std::sync::Arc;
use std::time::Duration;

/// What the handlers share, reached through socketioxide's `State`.
#[derive(Clone)]
pub struct GatewayState {
    pub presence: Arc<Presence>,
    pub tokens: Arc<TokenKeys>,
    pub store: Store,
    /// Refuse sockets without a valid login.
    pub require_login: bool,
    /// Rate and connection limits.
    pub limits: Arc<Limits>,
    /// Whiteboard pointers waiting to be sent.
    pub cursors: Arc<board::Cursors>,
    /// Who is in the chat on every node, when this is one node of several.
    pub roster: Option<Arc<crate::server::cluster::roster::Roster>>,
    /// Events read and not yet handled (a graceful shutdown waits for them).
    pub in_flight: Arc<turn::InFlight>,
}

impl GatewayState {
    /// The notifier of this socket.io server.
    pub fn notifier<A: Adapter>(&self, io: &SocketIo<A>) -> crate::server::notifier::Notifier<A> {
        crate::server::notifier::Notifier::new(io.clone())
    }
}

/// Rooms Huddle uses internally start with a control character, which no
/// room name a client sends may hold: `join-room` can never enter them.
const INTERNAL: char = '\u{1}';

/// Every `/chat` socket of one account.
pub fn user_room(user_id: i64) -> String {
    format!("{INTERNAL}user:{user_id}")
}

/// Every socket of one login session.
pub fn session_room(session: &str) -> String {
    format!("{INTERNAL}session:{session}")
}

/// Packets queued for one socket before emits to it fail: the bound on
/// what a slow consumer costs. A socket whose queue is full misses events
/// and is disconnected at its next heartbeat (the ping cannot be queued);
/// its client then recovers what it missed from the history.
pub const MAX_BUFFERED_PACKETS: usize = 256;

/// The WebSocket read buffer of each connection.
pub const WS_READ_BUFFER_BYTES: usize = 1024;

/// Builds the socket.io layer with Huddle's limits on adapter `A` (made
/// from `adapter`) and registers every namespace. `heartbeat` is the ping
/// interval and the ping timeout. Returns the namespaces' adapter
/// initialisations too: nothing for the in-process adapter, a connection
/// to Redis each for the cluster's, which the caller awaits.
///
/// Connect middlewares run last-added first: `admit` (connection limits),
/// `attach` (handlers), `authenticate` (identity), `meter` (rate-limit
/// budgets, which need the identity).
pub fn build<A: Adapter + socketioxide_core::adapter::DefinedAdapter>(
    state: GatewayState,
    heartbeat: Duration,
    adapter: A::State,
) -> (SocketIoLayer<A>, SocketIo<A>, Vec<A::InitRes>) {
    let max_payload = MAX_PAYLOAD_BYTES;
    let (layer, io) = SocketIo::builder()
        .with_adapter::<A>(adapter)
        .max_payload(max_payload as u64)
        .ws_max_message_size(max_payload)
        .ws_max_frame_size(max_payload)
        .max_buffer_size(MAX_BUFFERED_PACKETS)
        // Chat frames are small; a frame larger than the buffer is read in
        // several steps. engineioxide's default is 4 KiB per connection.
        .ws_read_buffer_size(WS_READ_BUFFER_BYTES)
        .ping_interval(heartbeat)
        .ping_timeout(heartbeat)
        .connect_timeout(Duration::from_secs(10))
        .with_state(state)
        .build_layer();
    let chat = io.ns(
        crate::protocol::chat::NAMESPACE,
        chat::on_connect
            .with(meter)
            .with(authenticate)
            .with(chat::attach)
            .with(admit),
    );
    let notifications = io.ns(
        crate::protocol::notifications::NAMESPACE,
        notifications::on_connect
            .with(meter)
            .with(authenticate)
            .with(notifications::attach)
            .with(admit),
    );
    (layer, io, vec![chat, notifications])
}

/// HTTP middleware on the socket.io path: gives the request a head of its
/// own before the socket.io layer sees it.
///
/// hyper parses a request head without copying: the URI and every header
/// value are slices of the connection's read buffer, a 16 KiB block, and
/// axum's `OriginalUri` extension is one more slice of it. The socket.io
/// layer keeps its handshake request's head for the session's whole life
/// (`Socket::req_parts`), and so kept that block, for as long as the
/// WebSocket lived. With a copy of the few hundred bytes that matter, hyper
/// frees the block when it hands the connection over.
pub async fn own_request_head(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if !req
        .uri()
        .path()
        .starts_with(crate::protocol::SOCKET_IO_PATH)
    {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    copy_head(&mut parts);
    next.run(axum::extract::Request::from_parts(parts, body))
        .await
}

/// Replaces the URI, the header values and axum's `OriginalUri` of `parts`
/// by copies that share no memory with the buffer they were parsed from.
fn copy_head(parts: &mut http::request::Parts) {
    let copy_uri =
        |uri: &http::Uri| http::Uri::try_from(uri.to_string()).unwrap_or_else(|_| uri.clone());
    parts.uri = copy_uri(&parts.uri);
    if let Some(axum::extract::OriginalUri(original)) =
        parts.extensions.get_mut::<axum::extract::OriginalUri>()
    {
        *original = copy_uri(original);
    }
    let headers = std::mem::take(&mut parts.headers);
    parts.headers.reserve(headers.len());
    let mut name = None;
    for (key, value) in headers {
        // `None` continues the previous header's name (a repeated header).
        if key.is_some() {
            name = key;
        }
        let Some(name) = &name else { continue };
        let owned = http::HeaderValue::from_bytes(value.as_bytes()).map(|mut v| {
            v.set_sensitive(value.is_sensitive());
            v
        });
        parts.headers.append(name.clone(), owned.unwrap_or(value));
    }
}

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

#[cfg(test)]
mod tests {
    use super::copy_head;

    /// Whether `part` lies inside `buffer`'s memory.
    fn within(buffer: &[u8], part: &[u8]) -> bool {
        buffer.as_ptr_range().contains(&part.as_ptr())
    }

    #[test]
    fn the_copied_head_holds_no_part_of_the_read_buffer() {
        // What hyper and axum do: the URI, the original URI and the header
        // values are slices of one buffer.
        let buffer = bytes::Bytes::from(
            b"/socket.io/?EIO=4&transport=websocket|websocket|10.0.0.1|10.0.0.2|Bearer x".to_vec(),
        );
        let slice = |part: &str| {
            let at = buffer
                .windows(part.len())
                .position(|w| w == part.as_bytes())
                .unwrap_or_default();
            buffer.slice(at..at + part.len())
        };
        let uri = || {
            http::Uri::from_maybe_shared(slice("/socket.io/?EIO=4&transport=websocket"))
                .expect("a valid URI")
        };
        let value =
            |s: &str| http::HeaderValue::from_maybe_shared(slice(s)).expect("a valid value");
        let mut secret = value("Bearer x");
        secret.set_sensitive(true);
        let (mut parts, ()) = http::Request::builder()
            .uri(uri())
            .header("upgrade", value("websocket"))
            .header("x-forwarded-for", value("10.0.0.1"))
            .header("x-forwarded-for", value("10.0.0.2"))
            .header("authorization", secret)
            .extension(axum::extract::OriginalUri(uri()))
            .body(())
            .expect("a valid request")
            .into_parts();
        let original = |p: &http::request::Parts| {
            p.extensions
                .get::<axum::extract::OriginalUri>()
                .map(|o| o.0.clone())
                .expect("the original URI")
        };
        let before: Vec<_> = parts
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        assert!(parts
            .headers
            .values()
            .all(|v| within(&buffer, v.as_bytes())));
        assert!(within(&buffer, parts.uri.path().as_bytes()));
        assert!(within(&buffer, original(&parts).path().as_bytes()));

        copy_head(&mut parts);

        assert!(parts
            .headers
            .values()
            .all(|v| !within(&buffer, v.as_bytes())));
        assert!(!within(&buffer, parts.uri.path().as_bytes()));
        assert!(!within(&buffer, original(&parts).path().as_bytes()));
        // The same head: names, values in order, repeated headers, secrets.
        let after: Vec<_> = parts
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        assert_eq!(before, after);
        assert_eq!(parts.uri, "/socket.io/?EIO=4&transport=websocket");
        assert_eq!(original(&parts), "/socket.io/?EIO=4&transport=websocket");
        assert!(parts.headers["authorization"].is_sensitive());
        assert_eq!(parts.headers.get_all("x-forwarded-for").iter().count(), 2);
    }
}
