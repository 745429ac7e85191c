//! The socket.io client's state machine, free of browser types.
//!
//! The browser driver (`client::browser`) feeds it what happens (a frame
//! arrived, the WebSocket closed, time passed) and carries out the
//! [`Output`]s it returns (open a WebSocket, send a frame, close, deliver an
//! event, show a new connection state). Time is passed in as milliseconds,
//! so the whole machine, reconnects and ack timeouts included, is tested
//! natively with a fake clock.

use super::codec::{decode_engine, engine_message, EngineIn, Packet, ENGINE_PONG};
use futures_channel::oneshot;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};

/// What the person sees about the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConnectionState {
    /// The first connection is being made.
    #[default]
    Connecting,
    /// Every namespace is connected; emits go out at once.
    Connected,
    /// The connection was lost; the next attempt (number `attempt`) starts
    /// in `retry_in_ms`. Emits are queued meanwhile.
    Reconnecting { attempt: u32, retry_in_ms: u64 },
}

/// Why an ack did not arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    #[error("the server did not answer in time")]
    Timeout,
    #[error("the connection was lost before the server answered")]
    Disconnected,
    #[error("too many messages are waiting to be sent")]
    QueueFull,
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Open a new WebSocket to the server.
    Open,
    /// Send this text frame on the open WebSocket.
    Send(String),
    /// Close the WebSocket (a `closed` call follows from the driver).
    Close,
    /// The server emitted `name` with `arg` (the first argument, or null).
    Event {
        nsp: String,
        name: String,
        arg: Value,
    },
    /// The server refused to connect a namespace.
    ConnectError { nsp: String, message: String },
    /// The connection state changed.
    State(ConnectionState),
}

/// Reconnect delays: exponential from `base_ms` up to `max_ms`, with "equal
/// jitter" (half fixed, half random) so that clients dropped together do
/// not come back together.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base_ms: u64,
    pub max_ms: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base_ms: 500,
            max_ms: 15_000,
        }
    }
}

impl Backoff {
    /// The delay before attempt `attempt` (1 for the first retry); `random`
    /// is uniform in [0, 1).
    pub fn delay_ms(&self, attempt: u32, random: f64) -> u64 {
        let exp = attempt.saturating_sub(1).min(30);
        let ceiling = self.base_ms.saturating_mul(1u64 << exp).min(self.max_ms);
        let half = ceiling / 2;
        half + (random.clamp(0.0, 1.0) * half as f64) as u64
    }
}

/// Settings of a [`ClientCore`].
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// The namespaces to connect, e.g. `["/chat"]`.
    pub namespaces: Vec<String>,
    pub backoff: Backoff,
    /// How long to wait for the Engine.IO handshake after opening.
    pub open_timeout_ms: u64,
    /// Most emits kept while disconnected.
    pub max_queue: usize,
}

impl CoreConfig {
    pub fn new(namespaces: &[&str]) -> Self {
        Self {
            namespaces: namespaces.iter().map(|s| (*s).to_owned()).collect(),
            backoff: Backoff::default(),
            open_timeout_ms: 10_000,
            max_queue: 500,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// `start` not called yet.
    Idle,
    /// A WebSocket is being opened; the handshake is due by `deadline`.
    Opening { deadline: f64 },
    /// The Engine.IO session is open.
    Open,
    /// Waiting to reconnect at `at`.
    Waiting { at: f64 },
}

struct Queued {
    nsp: String,
    data: Value,
    ack_id: Option<u64>,
}

struct PendingAck {
    deadline: f64,
    sent: bool,
    reply: oneshot::Sender<Result<Value, AckError>>,
}

/// Events to send first whenever a namespace (re)connects, before anything
/// queued: what restores the server's view of this client (its name, its
/// rooms). Called with the namespace; returns `(event, argument)` pairs.
pub type SessionSetup = Box<dyn FnMut(&str) -> Vec<(String, Value)>>;

/// The client's whole protocol state: one Engine.IO session multiplexing
/// the configured namespaces.
pub struct ClientCore {
    config: CoreConfig,
    setup: Option<SessionSetup>,
    /// Sent with every namespace connect (socket.io's `auth`).
    auth: Option<Value>,
    random: Box<dyn FnMut() -> f64>,
    phase: Phase,
    state: ConnectionState,
    /// Consecutive failed attempts; 0 once connected.
    failures: u32,
    connected: HashMap<String, bool>,
    /// Engine.IO liveness: the server pings every `ping_interval`; silence
    /// for `ping_interval + ping_timeout` means the connection is dead.
    silence_limit_ms: f64,
    last_heard: f64,
    queue: VecDeque<Queued>,
    pending: HashMap<u64, PendingAck>,
    next_ack_id: u64,
}

impl ClientCore {
    /// `random` returns numbers uniform in [0, 1), for reconnect jitter.
    pub fn new(config: CoreConfig, random: Box<dyn FnMut() -> f64>) -> Self {
        let connected = config
            .namespaces
            .iter()
            .map(|n| (n.clone(), false))
            .collect();
        Self {
            config,
            setup: None,
            auth: None,
            random,
            phase: Phase::Idle,
            state: ConnectionState::Connecting,
            failures: 0,
            connected,
            silence_limit_ms: 45_000.0,
            last_heard: 0.0,
            queue: VecDeque::new(),
            pending: HashMap::new(),
            next_ack_id: 0,
        }
    }

    pub fn state(&self) -> ConnectionState {
        self.state
    }

    /// Sets the `auth` data of the next namespace connects (a login token).
    /// Takes effect on the next connection: see [`Self::restart`].
    pub fn set_auth(&mut self, auth: Option<Value>) {
        self.auth = auth;
    }

    /// The device lost its network: drop the connection now rather than
    /// waiting for the server's pings to stop.
    pub fn offline(&mut self, now: f64) -> Vec<Output> {
        if matches!(self.phase, Phase::Idle | Phase::Waiting { .. }) {
            return Vec::new();
        }
        let mut out = vec![Output::Close];
        out.extend(self.closed(now));
        out
    }

    /// The device has a network again: try at once.
    pub fn online(&mut self, now: f64) -> Vec<Output> {
        match self.phase {
            Phase::Waiting { .. } => self.open(now),
            _ => Vec::new(),
        }
    }

    /// Drops the connection and opens a new one now (after a login or a
    /// logout, so the server sees the new `auth`). Queued emits stay queued.
    pub fn restart(&mut self, now: f64) -> Vec<Output> {
        let mut out = Vec::new();
        if self.phase != Phase::Idle {
            out.push(Output::Close);
        }
        self.drop_connection();
        self.failures = 0;
        self.set_state(ConnectionState::Connecting, &mut out);
        out.extend(self.open(now));
        out
    }

    /// Forgets the namespaces' connections and fails the acks that were
    /// sent on them.
    fn drop_connection(&mut self) {
        for c in self.connected.values_mut() {
            *c = false;
        }
        // What was sent will never be acked on this connection.
        let lost: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| p.sent)
            .map(|(id, _)| *id)
            .collect();
        for id in lost {
            if let Some(p) = self.pending.remove(&id) {
                let _ = p.reply.send(Err(AckError::Disconnected));
            }
        }
    }

    /// Sets what to send first on every namespace connection.
    pub fn set_session_setup(&mut self, setup: SessionSetup) {
        self.setup = Some(setup);
    }

    fn is_connected(&self, nsp: &str) -> bool {
        self.phase == Phase::Open && self.connected.get(nsp).copied().unwrap_or(false)
    }

    /// Opens the first connection.
    pub fn start(&mut self, now: f64) -> Vec<Output> {
        if self.phase != Phase::Idle {
            return Vec::new();
        }
        self.open(now)
    }

    fn open(&mut self, now: f64) -> Vec<Output> {
        self.phase = Phase::Opening {
            deadline: now + self.config.open_timeout_ms as f64,
        };
        vec![Output::Open]
    }

    /// A text frame arrived on the WebSocket.
    pub fn received(&mut self, now: f64, frame: &str) -> Vec<Output> {
        self.last_heard = now;
        let mut out = Vec::new();
        match decode_engine(frame) {
            Ok(EngineIn::Open(info)) => {
                self.phase = Phase::Open;
                self.silence_limit_ms = (info.ping_interval + info.ping_timeout) as f64;
                for nsp in &self.config.namespaces {
                    out.push(Output::Send(engine_message(&Packet::Connect {
                        nsp: nsp.clone(),
                        data: self.auth.clone(),
                    })));
                }
            }
            Ok(EngineIn::Ping) => out.push(Output::Send(ENGINE_PONG.to_owned())),
            Ok(EngineIn::Close) => {
                out.push(Output::Close);
                out.extend(self.closed(now));
            }
            Ok(EngineIn::Message(text)) => {
                // A packet this client cannot read (e.g. binary) is skipped.
                if let Ok(packet) = Packet::decode(text) {
                    self.packet(now, packet, &mut out);
                }
            }
            Ok(EngineIn::Pong | EngineIn::Noop) | Err(_) => {}
        }
        out
    }

    fn packet(&mut self, now: f64, packet: Packet, out: &mut Vec<Output>) {
        match packet {
            Packet::Connect { nsp, .. } => {
                if let Some(c) = self.connected.get_mut(&nsp) {
                    *c = true;
                }
                if let Some(setup) = self.setup.as_mut() {
                    for (name, arg) in setup(&nsp) {
                        let data = Value::Array(vec![Value::String(name), arg]);
                        out.push(Output::Send(Self::event_frame(nsp.clone(), None, data)));
                    }
                }
                self.flush(&nsp, out);
                if self.connected.values().all(|c| *c) {
                    self.failures = 0;
                    self.set_state(ConnectionState::Connected, out);
                }
            }
            Packet::ConnectError { nsp, data } => {
                let message = data
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("connection refused")
                    .to_owned();
                out.push(Output::ConnectError { nsp, message });
                out.push(Output::Close);
                out.extend(self.closed(now));
            }
            Packet::Disconnect { .. } => {
                // The server let go of a namespace: start over.
                out.push(Output::Close);
                out.extend(self.closed(now));
            }
            Packet::Event { nsp, id, data } => {
                let mut args = match data {
                    Value::Array(args) => args.into_iter(),
                    _ => return,
                };
                let Some(Value::String(name)) = args.next() else {
                    return;
                };
                let arg = args.next().unwrap_or(Value::Null);
                if let Some(id) = id {
                    // Huddle's client has nothing to say back: an empty ack.
                    out.push(Output::Send(engine_message(&Packet::Ack {
                        nsp: nsp.clone(),
                        id,
                        data: Value::Array(Vec::new()),
                    })));
                }
                out.push(Output::Event { nsp, name, arg });
            }
            Packet::Ack { id, data, .. } => {
                if let Some(p) = self.pending.remove(&id) {
                    let arg = match data {
                        Value::Array(mut args) if !args.is_empty() => args.swap_remove(0),
                        _ => Value::Null,
                    };
                    let _ = p.reply.send(Ok(arg));
                }
            }
        }
    }

    /// Sends what was queued for `nsp`, oldest first.
    fn flush(&mut self, nsp: &str, out: &mut Vec<Output>) {
        let queued = std::mem::take(&mut self.queue);
        for q in queued {
            if q.nsp == nsp {
                if let Some(id) = q.ack_id {
                    if let Some(p) = self.pending.get_mut(&id) {
                        p.sent = true;
                    }
                }
                out.push(Output::Send(Self::event_frame(q.nsp, q.ack_id, q.data)));
            } else {
                self.queue.push_back(q);
            }
        }
    }

    fn event_frame(nsp: String, id: Option<u64>, data: Value) -> String {
        engine_message(&Packet::Event { nsp, id, data })
    }

    /// The WebSocket closed or failed: schedule the next attempt.
    pub fn closed(&mut self, now: f64) -> Vec<Output> {
        let mut out = Vec::new();
        if matches!(self.phase, Phase::Waiting { .. }) {
            return out;
        }
        self.drop_connection();
        self.failures += 1;
        let delay = self.config.backoff.delay_ms(self.failures, (self.random)());
        self.phase = Phase::Waiting {
            at: now + delay as f64,
        };
        self.set_state(
            ConnectionState::Reconnecting {
                attempt: self.failures,
                retry_in_ms: delay,
            },
            &mut out,
        );
        out
    }

    /// Emits `name` with `arg` on `nsp`, now or once connected.
    pub fn emit(&mut self, nsp: &str, name: &str, arg: Value) -> Vec<Output> {
        self.enqueue(nsp, name, arg, None)
    }

    /// Emits with an ack callback; the receiver gets the first ack argument,
    /// or an error after `timeout_ms` (counted from now, queued or not).
    pub fn emit_with_ack(
        &mut self,
        now: f64,
        nsp: &str,
        name: &str,
        arg: Value,
        timeout_ms: u64,
    ) -> (oneshot::Receiver<Result<Value, AckError>>, Vec<Output>) {
        let (tx, rx) = oneshot::channel();
        if !self.is_connected(nsp) && self.queue.len() >= self.config.max_queue {
            let _ = tx.send(Err(AckError::QueueFull));
            return (rx, Vec::new());
        }
        let id = self.next_ack_id;
        self.next_ack_id += 1;
        self.pending.insert(
            id,
            PendingAck {
                deadline: now + timeout_ms as f64,
                sent: self.is_connected(nsp),
                reply: tx,
            },
        );
        let out = self.enqueue(nsp, name, arg, Some(id));
        (rx, out)
    }

    fn enqueue(&mut self, nsp: &str, name: &str, arg: Value, ack_id: Option<u64>) -> Vec<Output> {
        let data = Value::Array(vec![Value::String(name.to_owned()), arg]);
        if self.is_connected(nsp) {
            return vec![Output::Send(Self::event_frame(
                nsp.to_owned(),
                ack_id,
                data,
            ))];
        }
        if self.queue.len() < self.config.max_queue {
            self.queue.push_back(Queued {
                nsp: nsp.to_owned(),
                data,
                ack_id,
            });
        }
        Vec::new()
    }

    /// Time passed: expire acks, notice a dead connection, reconnect when due.
    pub fn tick(&mut self, now: f64) -> Vec<Output> {
        let mut out = Vec::new();
        let expired: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            if let Some(p) = self.pending.remove(&id) {
                let _ = p.reply.send(Err(AckError::Timeout));
            }
            // A send that timed out while queued is not sent later: the
            // person was already told it failed.
            self.queue.retain(|q| q.ack_id != Some(id));
        }
        match self.phase {
            Phase::Waiting { at } if now >= at => out.extend(self.open(now)),
            Phase::Opening { deadline } if now >= deadline => {
                out.push(Output::Close);
                out.extend(self.closed(now));
            }
            Phase::Open if now - self.last_heard > self.silence_limit_ms => {
                out.push(Output::Close);
                out.extend(self.closed(now));
            }
            _ => {}
        }
        out
    }

    fn set_state(&mut self, state: ConnectionState, out: &mut Vec<Output>) {
        if self.state != state {
            self.state = state;
            out.push(Output::State(state));
        }
    }
}

#[cfg(test)]
mod tests;
