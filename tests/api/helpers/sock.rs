//! `Sock`: a socket.io client on one namespace that records what it
//! receives, and the requests tests make through one.

use super::{TestApp, TransportType, QUIET, WAIT};
use futures_util::FutureExt;
use rust_socketio::asynchronous::{Client, ClientBuilder};
use rust_socketio::{Event, Payload};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// One socket.io client on one namespace.
pub struct Sock {
    pub client: Client,
    events: mpsc::UnboundedReceiver<(String, Value)>,
}

fn first_arg(payload: Payload) -> Value {
    match payload {
        Payload::Text(mut args) if !args.is_empty() => args.swap_remove(0),
        _ => Value::Null,
    }
}

/// rust_socketio hands an ack over as one value: the ack's argument array.
fn ack_arg(payload: Payload) -> Value {
    match first_arg(payload) {
        Value::Array(mut args) if !args.is_empty() => args.swap_remove(0),
        other => other,
    }
}

impl Sock {
    pub async fn connect(app: &TestApp, nsp: &str, transport: TransportType) -> Sock {
        Self::try_connect(app, nsp, transport, None)
            .await
            .expect("connects")
    }

    pub async fn try_connect(
        app: &TestApp,
        nsp: &str,
        transport: TransportType,
        origin: Option<&str>,
    ) -> Result<Sock, String> {
        Self::connect_with(app, nsp, transport, origin, None).await
    }

    pub async fn connect_with(
        app: &TestApp,
        nsp: &str,
        transport: TransportType,
        origin: Option<&str>,
        token: Option<&str>,
    ) -> Result<Sock, String> {
        Self::connect_url(&app.url(), nsp, transport, origin, token).await
    }

    /// A client of the server at `url` (e.g. a [`Process`]).
    pub async fn connect_url(
        url: &str,
        nsp: &str,
        transport: TransportType,
        origin: Option<&str>,
        token: Option<&str>,
    ) -> Result<Sock, String> {
        let headers: Vec<(&str, &str)> = origin.map(|o| ("Origin", o)).into_iter().collect();
        Self::connect_with_headers(url, nsp, transport, &headers, token).await
    }

    /// A client whose handshake requests carry `headers` (an `Origin`, a
    /// proxy's `X-Forwarded-For`).
    pub async fn connect_with_headers(
        url: &str,
        nsp: &str,
        transport: TransportType,
        headers: &[(&str, &str)],
        token: Option<&str>,
    ) -> Result<Sock, String> {
        let auth = token.map(|token| json!({ "token": token }));
        Self::connect_auth(url, nsp, transport, headers, auth).await
    }

    /// A client whose handshake carries `auth` as it is (a token, a
    /// guest key, or anything a client may send).
    pub async fn connect_auth(
        url: &str,
        nsp: &str,
        transport: TransportType,
        headers: &[(&str, &str)],
        auth: Option<Value>,
    ) -> Result<Sock, String> {
        let (tx, events) = mpsc::unbounded_channel();
        // Resolved by the namespace's connect, or by its connect_error.
        let (connected_tx, connected_rx) = oneshot::channel::<Result<(), String>>();
        let connected_tx = std::sync::Arc::new(std::sync::Mutex::new(Some(connected_tx)));
        let on_error = connected_tx.clone();
        let mut builder = ClientBuilder::new(url)
            .namespace(nsp)
            .transport_type(transport)
            .reconnect(false)
            .on(Event::Connect, move |_, _| {
                if let Some(tx) = connected_tx.lock().unwrap().take() {
                    let _ = tx.send(Ok(()));
                }
                async {}.boxed()
            })
            .on(Event::Error, move |payload, _| {
                if let Some(tx) = on_error.lock().unwrap().take() {
                    let _ = tx.send(Err(format!("{:?}", first_arg(payload))));
                }
                async {}.boxed()
            })
            .on_any(move |event, payload, _| {
                let _ = tx.send((event.to_string(), first_arg(payload)));
                async {}.boxed()
            });
        for (name, value) in headers {
            builder = builder.opening_header(*name, *value);
        }
        if let Some(auth) = auth {
            builder = builder.auth(auth);
        }
        let client = builder.connect().await.map_err(connect_error)?;
        match tokio::time::timeout(WAIT, connected_rx).await {
            Ok(Ok(Ok(()))) => Ok(Sock { client, events }),
            Ok(Ok(Err(e))) => Err(e),
            _ => Err("the namespace connection was not confirmed".into()),
        }
    }

    /// Emits without an ack callback.
    pub async fn emit(&self, event: &str, payload: Value) {
        self.client
            .emit(event, Payload::Text(vec![payload]))
            .await
            .expect("emit");
    }

    /// Emits an event with no argument at all.
    pub async fn emit_bare(&self, event: &str) {
        self.client
            .emit(event, Payload::Text(vec![]))
            .await
            .expect("emit");
    }

    /// Emits with an ack callback and returns the ack's first argument.
    pub async fn request(&self, event: &str, payload: Value) -> Value {
        self.request_args(event, vec![payload]).await
    }

    pub async fn request_args(&self, event: &str, args: Vec<Value>) -> Value {
        let (tx, rx) = oneshot::channel();
        let tx = std::sync::Mutex::new(Some(tx));
        self.client
            .emit_with_ack(event, Payload::Text(args), WAIT, move |payload, _| {
                if let Some(tx) = tx.lock().unwrap().take() {
                    let _ = tx.send(ack_arg(payload));
                }
                async {}.boxed()
            })
            .await
            .expect("emit");
        tokio::time::timeout(WAIT, rx)
            .await
            .unwrap_or_else(|_| panic!("no ack for {event}"))
            .expect("ack")
    }

    /// Emits with an ack callback; `None` when no ack comes within `wait`
    /// (or the connection is gone).
    pub async fn try_request(&self, event: &str, payload: Value, wait: Duration) -> Option<Value> {
        let (tx, rx) = oneshot::channel();
        let tx = std::sync::Mutex::new(Some(tx));
        self.client
            .emit_with_ack(
                event,
                Payload::Text(vec![payload]),
                wait,
                move |payload, _| {
                    if let Some(tx) = tx.lock().unwrap().take() {
                        let _ = tx.send(ack_arg(payload));
                    }
                    async {}.boxed()
                },
            )
            .await
            .ok()?;
        tokio::time::timeout(wait, rx).await.ok()?.ok()
    }

    /// Emits with an ack callback without waiting for the ack: the ack's
    /// first argument arrives on the receiver, which errs at once if the
    /// emit failed and otherwise waits as long as no ack comes. Beware:
    /// rust_socketio draws ack ids from 0..999 and hands an ack to every
    /// callback waiting on that id, so with many requests outstanding on
    /// one socket a receiver may get another request's ack.
    pub async fn request_later(&self, event: &str, payload: Value) -> oneshot::Receiver<Value> {
        let (tx, rx) = oneshot::channel();
        let tx = std::sync::Mutex::new(Some(tx));
        let emitted = self
            .client
            .emit_with_ack(
                event,
                Payload::Text(vec![payload]),
                2 * WAIT,
                move |payload, _| {
                    if let Some(tx) = tx.lock().unwrap().take() {
                        let _ = tx.send(ack_arg(payload));
                    }
                    async {}.boxed()
                },
            )
            .await;
        match emitted {
            Ok(()) => rx,
            // rust_socketio keeps the callback of a failed emit: a receiver
            // whose sender is gone instead.
            Err(_) => oneshot::channel().1,
        }
    }

    /// Emits with an ack callback and checks that no ack comes.
    pub async fn request_expecting_no_ack(&self, event: &str, payload: Value) {
        let (tx, mut rx) = oneshot::channel::<()>();
        let tx = std::sync::Mutex::new(Some(tx));
        self.client
            .emit_with_ack(event, Payload::Text(vec![payload]), WAIT, move |_, _| {
                if let Some(tx) = tx.lock().unwrap().take() {
                    let _ = tx.send(());
                }
                async {}.boxed()
            })
            .await
            .expect("emit");
        tokio::time::sleep(QUIET).await;
        assert!(rx.try_recv().is_err(), "{event} was acked");
    }

    /// The next `event` received, skipping others.
    pub async fn next(&mut self, event: &str) -> Value {
        self.next_within(event, WAIT).await
    }

    /// The next `event` received within `wait`, skipping others.
    pub async fn next_within(&mut self, event: &str, wait: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some((name, payload))) if name == event => return payload,
                Ok(Some(_)) => continue,
                Ok(None) => panic!("connection closed while waiting for {event}"),
                Err(_) => panic!("no {event} within {wait:?}"),
            }
        }
    }

    /// The next `event` received, with every other event that came
    /// before it: for checks that something did not arrive before a
    /// positive control.
    pub async fn until(&mut self, event: &str) -> (Value, Vec<(String, Value)>) {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut before = Vec::new();
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some((name, payload))) if name == event => return (payload, before),
                Ok(Some(other)) => before.push(other),
                Ok(None) => panic!("connection closed while waiting for {event}"),
                Err(_) => panic!("no {event} within {WAIT:?}"),
            }
        }
    }

    /// The next `event` received before `deadline`, skipping others;
    /// `None` if none has come by then.
    pub async fn next_before(
        &mut self,
        event: &str,
        deadline: tokio::time::Instant,
    ) -> Option<Value> {
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some((name, payload))) if name == event => return Some(payload),
                Ok(Some(_)) => continue,
                Ok(None) | Err(_) => return None,
            }
        }
    }

    /// Checks that no `event` arrives for a while.
    pub async fn assert_no(&mut self, event: &str) {
        let deadline = tokio::time::Instant::now() + QUIET;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some((name, payload))) if name == event => {
                    panic!("unexpected {event}: {payload}")
                }
                Ok(Some(_)) => continue,
                Ok(None) | Err(_) => return,
            }
        }
    }

    /// The next `event` received within `wait`, skipping others; `None`
    /// when none comes.
    pub async fn try_next(&mut self, event: &str, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some((name, payload))) if name == event => return Some(payload),
                Ok(Some(_)) => continue,
                Ok(None) | Err(_) => return None,
            }
        }
    }

    /// Every event received so far, by name.
    pub fn drain(&mut self) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        while let Ok(e) = self.events.try_recv() {
            out.push(e);
        }
        out
    }

    pub async fn disconnect(self) {
        let _ = self.client.disconnect().await;
    }
}

/// What a refused connection says: for a refused HTTP request (a
/// handshake or WebSocket upgrade), `HTTP <status>: <body>`. rust_socketio
/// displays every such error as "EngineIO Error" and keeps the response
/// only in its Debug form, with the body as a list of bytes.
fn connect_error(e: rust_socketio::Error) -> String {
    let debug = format!("{e:?}");
    let status = debug
        .split("status: ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next());
    let body = debug
        .split("body: Some([")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .map(|bytes| {
            let bytes: Vec<u8> = bytes
                .split(", ")
                .filter_map(|b| b.trim().parse().ok())
                .collect();
            String::from_utf8_lossy(&bytes).into_owned()
        });
    match (status, body) {
        (Some(status), body) => format!("HTTP {status}: {}", body.unwrap_or_default()),
        _ => debug,
    }
}

/// `get-users` as seen by `sock`.
pub async fn users(sock: &Sock) -> Vec<String> {
    let ack = sock.request("get-users", json!({})).await;
    assert_eq!(ack["status"], "ok", "{ack}");
    serde_json::from_value(ack["users"].clone()).expect("users is a list of names")
}

/// Every message of `room`, oldest first, read page by page with
/// `history {after}` as a reconnecting client does.
pub async fn whole_history(sock: &Sock, room: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let page = sock
            .request(
                "history",
                json!({"room": room, "after": after, "limit": 100}),
            )
            .await;
        let messages = page["messages"].as_array().cloned().unwrap_or_default();
        if let Some(last) = messages.last() {
            after = last["seq"].as_i64().expect("a seq");
        }
        all.extend(messages);
        if page["hasMore"] != true {
            return all;
        }
    }
}

/// A `/chat` socket on the server at `url` that has joined as `name`.
pub async fn joined_at(url: &str, name: &str) -> Sock {
    joined_with(url, name, None).await
}

/// A guest's `/chat` socket on the server at `url` that presented
/// `guest_key` (as Huddle's page does, the same on every reconnect) and
/// has joined as `name`.
pub async fn joined_as_guest(url: &str, name: &str, guest_key: &str) -> Sock {
    let auth = json!({ "guestKey": guest_key });
    let sock = Sock::connect_auth(url, "/chat", TransportType::Websocket, &[], Some(auth))
        .await
        .expect("connects");
    let ack = sock.request("join", json!({ "username": name })).await;
    assert_eq!(ack["status"], "ok", "{ack}");
    sock
}

/// A `/chat` socket, logged in with `token` if given, that has joined.
pub async fn joined_with(url: &str, name: &str, token: Option<&str>) -> Sock {
    let sock = Sock::connect_url(url, "/chat", TransportType::Websocket, None, token)
        .await
        .expect("connects");
    let ack = sock.request("join", json!({ "username": name })).await;
    assert_eq!(ack["status"], "ok", "{ack}");
    sock
}
