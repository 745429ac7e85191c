//! The browser's socket.io client: small, typed, over the browser WebSocket.
//!
//! - `codec`: Engine.IO v4 / socket.io v5 text framing.
//! - `core`: the connection state machine (handshake, ping/pong, namespace
//!   connect, acks with timeouts, queued emits, reconnect with backoff and
//!   jitter), free of browser types and unit-tested natively.
//! - `browser` (feature `hydrate`): runs the core on a `web_sys::WebSocket`
//!   and a timer.
//!
//! [`Client`] is the typed face the components use: `emit` and `emit_with_ack`
//! take the `protocol` event structs, `on` subscribes to a server event and
//! hands over its typed payload, `state` is a signal for the banner.
//!
//! On the server (feature `ssr`) a `Client` holds only its state signal: the
//! server renders the page, it never opens the person's connection, and the
//! event handlers that call `emit`/`emit_with_ack` only run in the browser.

pub mod codec;
pub mod core;
pub mod http;

#[cfg(feature = "hydrate")]
mod browser;

pub use self::core::{AckError, ConnectionState};

use crate::protocol::{Ack, ClientEvent, ServerEvent};
use leptos::prelude::*;

/// How long `emit_with_ack` waits for the server's ack.
pub const ACK_TIMEOUT_MS: u64 = 10_000;

/// Why a request got no successful answer. The texts are shown to people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    /// The server answered `{status:"error", message}`.
    #[error("{0}")]
    Refused(String),
    /// The server refused it over a rate limit; it would accept it again
    /// after this many milliseconds.
    #[error("You are sending faster than this server allows: wait {} s, then try again.", .0.div_ceil(1000))]
    RateLimited(u64),
    #[error("The server did not answer in time. Check your connection and try again.")]
    Timeout,
    #[error("The connection dropped before the server answered. Try again once reconnected.")]
    Disconnected,
    #[error("Too many messages are waiting for the connection. Wait until it is back.")]
    QueueFull,
    #[error("The server sent an answer this page does not understand ({0}). Reload the page.")]
    BadReply(String),
    #[error("Not connected: this page has not started its connection yet.")]
    NotStarted,
}

impl From<AckError> for EmitError {
    fn from(e: AckError) -> Self {
        match e {
            AckError::Timeout => EmitError::Timeout,
            AckError::Disconnected => EmitError::Disconnected,
            AckError::QueueFull => EmitError::QueueFull,
        }
    }
}

/// The handshake `auth` payload: the login `token`, or as a guest this
/// page's guest key (made once per page, the same on every reconnect, so
/// the server knows a retried send as this guest's).
#[cfg(feature = "hydrate")]
fn handshake_auth(token: Option<String>) -> Option<serde_json::Value> {
    let auth = match token {
        Some(token) => crate::protocol::account::HandshakeAuth {
            token: Some(token),
            guest_key: None,
        },
        None => crate::protocol::account::HandshakeAuth {
            token: None,
            guest_key: Some(page_guest_key()?),
        },
    };
    serde_json::to_value(auth).ok()
}

/// This page's guest key: 128 random bits as hex, made on first use
/// (`getRandomValues`, which, unlike `randomUUID`, a page served over
/// plain HTTP on a LAN address has too).
#[cfg(feature = "hydrate")]
fn page_guest_key() -> Option<String> {
    thread_local! {
        static KEY: std::cell::OnceCell<Option<String>> = const { std::cell::OnceCell::new() };
    }
    KEY.with(|key| {
        key.get_or_init(|| {
            let mut bytes = [0u8; 16];
            web_sys::window()?
                .crypto()
                .ok()?
                .get_random_values_with_u8_array(&mut bytes)
                .ok()?;
            Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
        })
        .clone()
    })
}

/// A fresh id for one send, so that a retry is stored once.
pub fn new_client_message_id() -> Option<crate::protocol::chat::ClientMessageId> {
    #[cfg(feature = "hydrate")]
    {
        let uuid = web_sys::window()?.crypto().ok()?.random_uuid();
        crate::protocol::chat::ClientMessageId::parse(&uuid).ok()
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// Decodes an ack into the event's reply type.
pub fn decode_reply<E: ClientEvent>(value: serde_json::Value) -> Result<E::Reply, EmitError> {
    match serde_json::from_value::<Ack<E::Reply>>(value) {
        Ok(Ack::Ok(reply)) => Ok(reply),
        Ok(Ack::Error(e)) => Err(match e.retry_after_ms {
            Some(ms) => EmitError::RateLimited(ms),
            None => EmitError::Refused(e.message),
        }),
        Err(e) => Err(EmitError::BadReply(e.to_string())),
    }
}

/// One event to send, already encoded: see [`Client::on_connect_send`].
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub namespace: &'static str,
    pub name: &'static str,
    pub arg: serde_json::Value,
}

impl Outgoing {
    pub fn of<E: ClientEvent>(event: &E) -> Option<Self> {
        match serde_json::to_value(event) {
            Ok(arg) => Some(Self {
                namespace: E::NAMESPACE,
                name: E::NAME,
                arg,
            }),
            Err(e) => {
                leptos::logging::error!("cannot encode {}: {e}", E::NAME);
                None
            }
        }
    }
}

/// The page's connection to the server. `Copy`, so components capture it
/// freely; provided as context by the chat screen.
#[derive(Clone, Copy)]
pub struct Client {
    state: RwSignal<ConnectionState>,
    #[cfg(feature = "hydrate")]
    driver: StoredValue<std::rc::Rc<browser::Driver>, LocalStorage>,
}

impl Client {
    /// Connects to this page's server on `namespaces` (in the browser), as
    /// the holder of `token` or as a guest.
    pub fn connect(namespaces: &[&str], token: Option<String>) -> Self {
        let state = RwSignal::new(ConnectionState::Connecting);
        #[cfg(feature = "hydrate")]
        {
            let driver = browser::Driver::start(namespaces, handshake_auth(token), state);
            Self {
                state,
                driver: StoredValue::new_local(driver),
            }
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (namespaces, token);
            Self { state }
        }
    }

    /// The connection state, for the banner.
    pub fn state(&self) -> ReadSignal<ConnectionState> {
        self.state.read_only()
    }

    /// Emits `event` without waiting for an answer. While disconnected it is
    /// queued and sent on reconnect.
    pub fn emit<E: ClientEvent>(&self, event: &E) {
        #[cfg(feature = "hydrate")]
        match serde_json::to_value(event) {
            Ok(arg) => self
                .driver
                .with_value(|d| d.emit(E::NAMESPACE, E::NAME, arg)),
            Err(e) => leptos::logging::error!("cannot encode {}: {e}", E::NAME),
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = event;
    }

    /// Emits `event` with an ack callback and waits (at most
    /// [`ACK_TIMEOUT_MS`]) for the server's typed answer.
    pub async fn emit_with_ack<E: ClientEvent>(&self, event: &E) -> Result<E::Reply, EmitError> {
        #[cfg(feature = "hydrate")]
        {
            let arg =
                serde_json::to_value(event).map_err(|e| EmitError::BadReply(e.to_string()))?;
            let rx = self
                .driver
                .with_value(|d| d.emit_with_ack(E::NAMESPACE, E::NAME, arg, ACK_TIMEOUT_MS));
            let value = rx
                .await
                .map_err(|_| EmitError::Disconnected)?
                .map_err(EmitError::from)?;
            decode_reply::<E>(value)
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = event;
            Err(EmitError::NotStarted)
        }
    }

    /// Sets the login token sent in the handshake (`auth: {token}`) and
    /// reconnects, so the server sees who this is (`None`: a guest).
    pub fn log_in_as(&self, token: Option<String>) {
        #[cfg(feature = "hydrate")]
        self.driver.with_value(|d| {
            d.set_auth(handshake_auth(token));
            d.restart();
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = token;
    }

    /// Sets the events sent first on every (re)connection, before anything
    /// queued meanwhile: a reconnected socket is new to the server, so this
    /// is where the page takes its name and rooms again.
    pub fn on_connect_send(&self, events: impl Fn() -> Vec<Outgoing> + 'static) {
        #[cfg(feature = "hydrate")]
        self.driver.with_value(|d| {
            d.set_session_setup(Box::new(move |nsp: &str| {
                events()
                    .into_iter()
                    .filter(|e| e.namespace == nsp)
                    .map(|e| (e.name.to_owned(), e.arg))
                    .collect()
            }))
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = events;
    }

    /// Calls `handler` with the namespace and the server's reason whenever
    /// it refuses a namespace connection (e.g. an expired login).
    pub fn on_connect_error(&self, handler: impl Fn(String, String) + 'static) {
        #[cfg(feature = "hydrate")]
        self.driver
            .with_value(|d| d.on_connect_error(Box::new(handler)));
        #[cfg(not(feature = "hydrate"))]
        let _ = handler;
    }

    /// Calls `handler` with the typed payload of every `E` the server emits.
    pub fn on<E: ServerEvent + 'static>(&self, handler: impl Fn(E) + 'static) {
        #[cfg(feature = "hydrate")]
        self.driver.with_value(|d| {
            d.subscribe(
                E::NAMESPACE,
                E::NAME,
                Box::new(move |value| match serde_json::from_value::<E>(value) {
                    Ok(event) => handler(event),
                    Err(e) => leptos::logging::warn!("ignored a malformed {}: {e}", E::NAME),
                }),
            )
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = handler;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::chat::{GetUsers, Join};
    use serde_json::json;

    #[test]
    fn replies_decode_into_typed_results() {
        let ok = decode_reply::<Join>(json!({"status": "ok", "message": "Welcome ann!"})).unwrap();
        assert_eq!(ok.message, "Welcome ann!");
        let users = decode_reply::<GetUsers>(json!({"status": "ok", "users": ["a", "b"]})).unwrap();
        assert_eq!(users.users, ["a", "b"]);
        assert_eq!(
            decode_reply::<Join>(json!({"status": "error", "message": "You need to join first"})),
            Err(EmitError::Refused("You need to join first".into()))
        );
        let limited = decode_reply::<Join>(json!({"status": "error",
            "message": "Rate limit exceeded, retry in 1200 ms", "retryAfterMs": 1200}));
        assert_eq!(limited, Err(EmitError::RateLimited(1200)));
        assert_eq!(
            limited.unwrap_err().to_string(),
            "You are sending faster than this server allows: wait 2 s, then try again."
        );
        assert!(matches!(
            decode_reply::<Join>(json!(42)),
            Err(EmitError::BadReply(_))
        ));
    }
}
