//! One simulated client: Huddle's client core over a WebSocket
//! (tokio-tungstenite) that joins, sends on a fixed schedule and records
//! each delivery's latency; `launch` runs many of them on `--threads`
//! single-threaded runtimes, `wait_ready` waits until all have joined.

use crate::board::{BoardPlan, Stroke};
use crate::{CONNECTING, PHASE_LIMIT};
use futures_util::{SinkExt, StreamExt};
use huddle::client::core::{ClientCore, ConnectionState, CoreConfig, Output};
use huddle::protocol::board::{BoardDrawing, BoardJoin};
use huddle::protocol::chat::{ClientMessageId, Join, JoinRoom, NewMessage, SendMessage, NAMESPACE};
use huddle::protocol::message_changes::MessageChanged;
use huddle::protocol::reactions::{Emoji, React};
use huddle::protocol::typing::{Conversation, SomeoneTyping, Typing};
use huddle::protocol::{ClientEvent, MessageText, RoomName, ServerEvent, Username};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio_tungstenite::tungstenite::Message;

/// Wall-clock microseconds: a message carries its send time, and whoever
/// receives it subtracts that from its own clock (one machine, one clock).
pub fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

#[derive(Default)]
pub struct Tally {
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    pub received: AtomicU64,
    pub latencies_us: Mutex<Vec<u32>>,
    /// Board mode: when each batch (stroke id, first point) was sent.
    pub sent_at: Mutex<HashMap<(String, u64), u64>>,
    /// Typing mode: when each typist (by client index) sent each `typing`.
    pub typing_sent: Mutex<HashMap<u32, Vec<u64>>>,
    /// Typing mode: every `typing` received: (receiver, typist, when).
    pub typing_seen: Mutex<Vec<(u32, u32, u64)>>,
    /// React mode: each reaction the server applied, by the (message id,
    /// change number) its ack named: when it was sent, and its room's index.
    pub reactions: Mutex<HashMap<(i64, i64), (u64, u32)>>,
    /// React mode: every `message-changed` received: (receiver, message
    /// id, change number, when).
    pub changes_seen: Mutex<Vec<(u32, i64, i64, u64)>>,
    /// React mode: reactions acked `Nothing to change` (no broadcast).
    pub unchanged: AtomicU64,
    /// Events the server refused (typing, react), and the first refusal.
    pub refused: AtomicU64,
    pub first_refusal: Mutex<Option<String>>,
}

impl Tally {
    fn refusal(&self, ack: &AckResult) {
        self.refused.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut first) = self.first_refusal.lock() {
            if first.is_none() {
                *first = Some(match ack {
                    Ok(Ok(v)) => v
                        .get("message")
                        .and_then(|m| m.as_str())
                        .unwrap_or("(no message)")
                        .to_owned(),
                    Ok(Err(e)) => e.to_string(),
                    Err(_) => "the client stopped before the answer".to_owned(),
                });
            }
        }
    }
}

/// What a client with a rate sends (a board client draws instead).
#[derive(Clone, Debug)]
pub enum Sends {
    /// `send-message` carrying its send time (chat).
    Messages,
    /// `typing {room}` (typing mode).
    Typing,
    /// React mode: `react` to its room's messages, on and off in turn.
    /// `posts`: messages this client posts to its room on joining, for
    /// everyone there to react to; `room`: its room's index.
    Reactions { posts: usize, room: usize },
}

/// A logged-in client: its account's name and login token.
#[derive(Clone, Debug)]
pub struct Account {
    pub name: Username,
    pub token: String,
}

#[derive(Clone)]
pub struct Plan {
    pub index: usize,
    /// The loopback address to connect from (None: the OS picks).
    pub source: Option<std::net::IpAddr>,
    /// Take a name and a room (chat), or only connect the namespace (idle).
    pub join: bool,
    /// How many clients send (for spreading their schedules).
    pub senders: usize,
    pub room: RoomName,
    /// Messages per second, for senders (board: events per second).
    pub rate: Option<f64>,
    /// Board mode: open the room's board; senders draw.
    pub board: Option<BoardPlan>,
    /// What it sends at `rate`.
    pub sends: Sends,
    /// Log in with this account (None: a guest named `load-<index>`).
    pub account: Option<Account>,
    pub shared: Arc<Shared>,
}

/// What the coordinator tells every client once all have joined.
#[derive(Default)]
pub struct Shared {
    /// When sending starts and stops (the same for every client).
    pub window: Mutex<Option<(Instant, Instant)>>,
    /// Leave now.
    pub stop: std::sync::atomic::AtomicBool,
    /// React mode: the ids of the messages posted to each room (by index).
    pub room_messages: Mutex<HashMap<usize, Vec<i64>>>,
}

impl Shared {
    pub fn window(&self) -> Option<(Instant, Instant)> {
        self.window.lock().ok().and_then(|w| *w)
    }

    fn messages_of(&self, room: usize) -> Vec<i64> {
        self.room_messages
            .lock()
            .ok()
            .and_then(|m| m.get(&room).cloned())
            .unwrap_or_default()
    }
}

pub fn socket_url(base: &str) -> String {
    let base = base.trim_end_matches('/');
    let ws = base
        .replacen("https://", "wss://", 1)
        .replacen("http://", "ws://", 1);
    format!("{ws}/socket.io/?EIO=4&transport=websocket")
}

pub fn arg<E: ClientEvent>(e: &E) -> serde_json::Value {
    serde_json::to_value(e).unwrap_or_default()
}

#[derive(Debug, Clone, Copy)]
pub enum Ack {
    Join,
    Message,
    /// React mode: a message posted on joining, for others to react to.
    Post,
    Typing,
    /// A reaction, sent at this wall-clock time (µs).
    React {
        sent_us: u64,
    },
}

pub type AckReceiver =
    futures_channel::oneshot::Receiver<Result<serde_json::Value, huddle::client::core::AckError>>;

/// An ack future that says what it was for.
pub async fn tagged(
    kind: Ack,
    rx: AckReceiver,
) -> (
    Ack,
    Result<
        Result<serde_json::Value, huddle::client::core::AckError>,
        futures_channel::oneshot::Canceled,
    >,
) {
    (kind, rx.await)
}

/// Client `i`'s own loopback address: 127.1.x.y, y never 0 or 255.
pub fn source_address(one_address: bool, i: usize) -> Option<std::net::IpAddr> {
    if one_address {
        return None;
    }
    let (x, y) = ((i / 250) % 256, i % 250 + 1);
    Some(std::net::IpAddr::from([127, 1, x as u8, y as u8]))
}

pub type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// A WebSocket to `url` (ws://, loopback) from `source`, with TCP_NODELAY.
pub async fn connect(url: &str, source: Option<std::net::IpAddr>) -> Result<Ws, String> {
    let host_port = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .ok_or_else(|| format!("{url}: no host"))?;
    let host_port = host_port.replacen("localhost", "127.0.0.1", 1);
    let target = tokio::net::lookup_host(&host_port)
        .await
        .map_err(|e| format!("{host_port}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host_port}: no address"))?;
    let socket = if target.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
    .map_err(|e| format!("socket: {e}"))?;
    if let Some(source) = source.filter(|_| target.is_ipv4()) {
        socket
            .bind(std::net::SocketAddr::new(source, 0))
            .map_err(|e| format!("bind {source}: {e}"))?;
    }
    let stream = socket
        .connect(target)
        .await
        .map_err(|e| format!("connect {target}: {e}"))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("TCP_NODELAY: {e}"))?;
    let (ws, _) = tokio_tungstenite::client_async(url, stream)
        .await
        .map_err(|e| format!("WebSocket handshake: {e}"))?;
    Ok(ws)
}

/// Connects, joins, enters its room, signals `ready`, sends on schedule,
/// records deliveries, and leaves at `plan.until`.
pub async fn client(
    url: String,
    plan: Plan,
    tally: Arc<Tally>,
    ready: tokio::sync::mpsc::UnboundedSender<Result<(), String>>,
    connecting: Rc<tokio::sync::Semaphore>,
) {
    let result = client_inner(url, plan, tally, &ready, &connecting).await;
    if let Err(e) = result {
        let _ = ready.send(Err(e));
    }
}

pub async fn client_inner(
    url: String,
    plan: Plan,
    tally: Arc<Tally>,
    ready: &tokio::sync::mpsc::UnboundedSender<Result<(), String>>,
    connecting: &tokio::sync::Semaphore,
) -> Result<(), String> {
    // At most CONNECTING handshakes at once per thread: a burst of
    // thousands would overflow the server's accept backlog.
    let permit = connecting.acquire().await.map_err(|e| e.to_string())?;
    let ws = tokio::time::timeout(PHASE_LIMIT, connect(&url, plan.source))
        .await
        .map_err(|_| "connect timed out".to_owned())??;
    drop(permit);
    let (mut sink, mut stream) = ws.split();
    let epoch = Instant::now();
    let now_ms = move || epoch.elapsed().as_secs_f64() * 1000.0;
    let mut core = ClientCore::new(CoreConfig::new(&[NAMESPACE]), Box::new(|| 0.5));
    if let Some(account) = &plan.account {
        core.set_auth(Some(serde_json::json!({ "token": account.token })));
    }
    core.start(now_ms());
    let mut joined = false;
    let mut join_sent = false;
    let mut joins_acked = 0;
    let joins_needed = if plan.board.is_some() { 3 } else { 2 };
    let posts_needed = match plan.sends {
        Sends::Reactions { posts, .. } => posts,
        _ => 0,
    };
    let mut posts_acked = 0;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut next_send: Option<Instant> = None;
    let mut window_end = Instant::now();
    let interval = plan.rate.map(|r| Duration::from_secs_f64(1.0 / r));
    let mut pending_acks: PendingAcks = futures_util::stream::FuturesUnordered::new();
    let mut stroke = Stroke::default();
    // React mode: reactions sent so far (the schedule's position).
    let mut reactions_sent: u64 = 0;

    loop {
        if next_send.is_none() {
            if let (Some(every), Some((start, end))) = (interval, plan.shared.window()) {
                // Senders are spread evenly over one interval, so that they
                // do not all fire at the same instant.
                let phase = every.mul_f64(
                    (plan.index % plan.senders.max(1)) as f64 / plan.senders.max(1) as f64,
                );
                next_send = Some(start + phase);
                window_end = end;
            }
        }
        let due = next_send.unwrap_or_else(Instant::now);
        let send_due = interval.is_some() && joined && next_send.is_some() && due < window_end;
        let outputs = tokio::select! {
            frame = stream.next() => match frame {
                Some(Ok(Message::Text(text))) => core.received(now_ms(), text.as_str()),
                Some(Ok(Message::Close(_))) | None => return Ok(()),
                Some(Ok(_)) => Vec::new(),
                Some(Err(e)) => return Err(format!("websocket: {e}")),
            },
            _ = tick.tick() => {
                if plan.shared.stop.load(Ordering::Relaxed) {
                    let _ = sink.close().await;
                    return Ok(());
                }
                core.tick(now_ms())
            }
            _ = tokio::time::sleep_until(due.into()), if send_due => {
                let out = match (&plan.board, &plan.sends) {
                    (Some(_), _) => stroke.next(&plan, &tally, &mut core, now_ms(), &mut pending_acks),
                    (None, Sends::Messages) => {
                        let send = SendMessage {
                            message: MessageText::parse(&unix_micros().to_string()).map_err(|e| e.to_string())?,
                            room: plan.room.clone(),
                            client_id: None,
                        };
                        let (rx, out) = core.emit_with_ack(now_ms(), NAMESPACE, SendMessage::NAME, arg(&send), 30_000);
                        pending_acks.push(Box::pin(tagged(Ack::Message, rx)));
                        tally.sent.fetch_add(1, Ordering::Relaxed);
                        out
                    }
                    (None, Sends::Typing) => {
                        let typing = Typing::new(Conversation::Room(plan.room.clone()));
                        let sent = unix_micros();
                        let (rx, out) = core.emit_with_ack(now_ms(), NAMESPACE, Typing::NAME, arg(&typing), 30_000);
                        pending_acks.push(Box::pin(tagged(Ack::Typing, rx)));
                        if let Ok(mut log) = tally.typing_sent.lock() {
                            log.entry(plan.index as u32).or_default().push(sent);
                        }
                        tally.sent.fetch_add(1, Ordering::Relaxed);
                        out
                    }
                    (None, Sends::Reactions { room, .. }) => {
                        let messages = plan.shared.messages_of(*room);
                        let step = crate::react::reaction(plan.index, reactions_sent, messages.len());
                        reactions_sent += 1;
                        match (messages.get(step.message), Emoji::parse(step.emoji)) {
                            (Some(&id), Ok(emoji)) => {
                                let react = React {
                                    room: plan.room.clone(),
                                    id,
                                    emoji,
                                    on: step.on,
                                    // As the page does: a retry is applied once.
                                    client_id: ClientMessageId::parse(&format!("load-{}-{reactions_sent}", plan.index)).ok(),
                                };
                                let sent_us = unix_micros();
                                let (rx, out) = core.emit_with_ack(now_ms(), NAMESPACE, React::NAME, arg(&react), 30_000);
                                pending_acks.push(Box::pin(tagged(Ack::React { sent_us }, rx)));
                                tally.sent.fetch_add(1, Ordering::Relaxed);
                                out
                            }
                            (None, _) => return Err(format!("room {room} has no message to react to")),
                            (_, Err(e)) => return Err(format!("{}: {e}", step.emoji)),
                        }
                    }
                };
                // A fixed schedule: the next send is due one interval after
                // this one was due, however late this one went out.
                next_send = Some(due + interval.unwrap_or_default());
                out
            }
            Some((kind, ack)) = pending_acks.next(), if !pending_acks.is_empty() => {
                let ok = matches!(&ack, Ok(Ok(v)) if v.get("status").and_then(|s| s.as_str()) == Some("ok"));
                let mut out = Vec::new();
                match kind {
                    Ack::Message | Ack::Typing if ok => {
                        tally.acked.fetch_add(1, Ordering::Relaxed);
                    }
                    Ack::Join if ok => {
                        joins_acked += 1;
                        if joins_acked == joins_needed {
                            if posts_needed == 0 {
                                joined = true;
                                let _ = ready.send(Ok(()));
                            }
                            for n in 0..posts_needed {
                                let post = SendMessage {
                                    message: MessageText::parse(&format!("React to this, number {n}")).map_err(|e| e.to_string())?,
                                    room: plan.room.clone(),
                                    client_id: None,
                                };
                                let (rx, more) = core.emit_with_ack(now_ms(), NAMESPACE, SendMessage::NAME, arg(&post), 30_000);
                                pending_acks.push(Box::pin(tagged(Ack::Post, rx)));
                                out.extend(more);
                            }
                        }
                    }
                    Ack::Join => return Err(format!("join refused: {ack:?}")),
                    Ack::Post => {
                        let id = match &ack {
                            Ok(Ok(v)) if ok => v.get("id").and_then(|id| id.as_i64()),
                            _ => None,
                        };
                        let (Some(id), Sends::Reactions { room, .. }) = (id, &plan.sends) else {
                            return Err(format!("posting a message to react to failed: {ack:?}"));
                        };
                        if let Ok(mut m) = plan.shared.room_messages.lock() {
                            m.entry(*room).or_default().push(id);
                        }
                        posts_acked += 1;
                        if posts_acked == posts_needed {
                            joined = true;
                            let _ = ready.send(Ok(()));
                        }
                    }
                    Ack::React { sent_us } => {
                        let answer = match &ack {
                            Ok(Ok(v)) if ok => Some(v),
                            _ => None,
                        };
                        let message = answer.and_then(|v| v.get("message")).and_then(|m| m.as_str());
                        let state = answer.and_then(|v| v.get("state"));
                        let id = state.and_then(|s| s.get("id")).and_then(|v| v.as_i64());
                        let change = state.and_then(|s| s.get("change")).and_then(|v| v.as_i64());
                        match (message, id, change, &plan.sends) {
                            (Some("Reaction added" | "Reaction removed"), Some(id), Some(change), Sends::Reactions { room, .. }) => {
                                tally.acked.fetch_add(1, Ordering::Relaxed);
                                if let Ok(mut r) = tally.reactions.lock() {
                                    r.insert((id, change), (sent_us, *room as u32));
                                }
                            }
                            (Some(_), ..) => {
                                tally.unchanged.fetch_add(1, Ordering::Relaxed);
                            }
                            (None, ..) => tally.refusal(&ack),
                        }
                    }
                    Ack::Message => {}
                    Ack::Typing => tally.refusal(&ack),
                }
                out
            }
        };
        for output in outputs {
            match output {
                Output::Send(frame) => sink
                    .send(Message::text(frame))
                    .await
                    .map_err(|e| format!("send: {e}"))?,
                Output::Event { name, arg, .. } if name == NewMessage::NAME => {
                    if let Some(sent) = arg
                        .get("message")
                        .and_then(|m| m.as_str())
                        .and_then(|m| m.parse::<u64>().ok())
                    {
                        let latency = unix_micros().saturating_sub(sent);
                        tally.received.fetch_add(1, Ordering::Relaxed);
                        if let Ok(mut l) = tally.latencies_us.lock() {
                            l.push(latency.min(u64::from(u32::MAX)) as u32);
                        }
                    }
                }
                Output::Event { name, arg, .. } if name == SomeoneTyping::NAME => {
                    let at = unix_micros();
                    let typist = arg
                        .get("username")
                        .and_then(|u| u.as_str())
                        .and_then(|u| u.strip_prefix("load-"))
                        .and_then(|i| i.parse::<u32>().ok());
                    if let (Some(typist), Ok(mut seen)) = (typist, tally.typing_seen.lock()) {
                        seen.push((plan.index as u32, typist, at));
                    }
                }
                Output::Event { name, arg, .. } if name == MessageChanged::NAME => {
                    let at = unix_micros();
                    let id = arg.get("id").and_then(|v| v.as_i64());
                    let change = arg.get("change").and_then(|v| v.as_i64());
                    if let (Some(id), Some(change), Ok(mut seen)) =
                        (id, change, tally.changes_seen.lock())
                    {
                        seen.push((plan.index as u32, id, change, at));
                    }
                }
                Output::Event { name, arg, .. } if name == BoardDrawing::NAME => {
                    let id = arg.get("id").and_then(|v| v.as_str()).unwrap_or_default();
                    let start = arg
                        .get("start")
                        .and_then(|v| v.as_u64())
                        .unwrap_or_default();
                    let points = arg
                        .get("points")
                        .and_then(|v| v.as_array())
                        .map_or(0, Vec::len);
                    let sent = tally
                        .sent_at
                        .lock()
                        .ok()
                        .and_then(|m| m.get(&(id.to_owned(), start)).copied());
                    if let Some(sent) = sent {
                        let latency =
                            unix_micros().saturating_sub(sent).min(u64::from(u32::MAX)) as u32;
                        tally.received.fetch_add(points as u64, Ordering::Relaxed);
                        if let Ok(mut l) = tally.latencies_us.lock() {
                            l.extend(std::iter::repeat_n(latency, points));
                        }
                    }
                }
                Output::State(ConnectionState::Connected) if !join_sent && !plan.join => {
                    join_sent = true;
                    joined = true;
                    let _ = ready.send(Ok(()));
                }
                Output::State(ConnectionState::Connected) if !join_sent => {
                    join_sent = true;
                    let name = match &plan.account {
                        Some(account) => account.name.clone(),
                        None => Username::parse(&format!("load-{}", plan.index))
                            .map_err(|e| e.to_string())?,
                    };
                    let (a, out1) = core.emit_with_ack(
                        now_ms(),
                        NAMESPACE,
                        Join::NAME,
                        arg(&Join { username: name }),
                        30_000,
                    );
                    let (b, out2) = core.emit_with_ack(
                        now_ms(),
                        NAMESPACE,
                        JoinRoom::NAME,
                        arg(&JoinRoom {
                            room: plan.room.clone(),
                        }),
                        30_000,
                    );
                    pending_acks.push(Box::pin(tagged(Ack::Join, a)));
                    pending_acks.push(Box::pin(tagged(Ack::Join, b)));
                    let mut out3 = Vec::new();
                    if plan.board.is_some() {
                        let (c, out) = core.emit_with_ack(
                            now_ms(),
                            NAMESPACE,
                            BoardJoin::NAME,
                            arg(&BoardJoin {
                                room: plan.room.clone(),
                                since: None,
                            }),
                            30_000,
                        );
                        pending_acks.push(Box::pin(tagged(Ack::Join, c)));
                        out3 = out;
                    }
                    for o in out1.into_iter().chain(out2).chain(out3) {
                        if let Output::Send(frame) = o {
                            sink.send(Message::text(frame))
                                .await
                                .map_err(|e| format!("send: {e}"))?;
                        }
                    }
                }
                Output::ConnectError { message, .. } => {
                    return Err(format!("the server refused the connection: {message}"))
                }
                Output::Close => return Err("the server closed the connection".into()),
                _ => {}
            }
        }
    }
}

pub type PendingAcks = futures_util::stream::FuturesUnordered<
    std::pin::Pin<Box<dyn std::future::Future<Output = (Ack, AckResult)>>>,
>;
pub type AckResult = Result<
    Result<serde_json::Value, huddle::client::core::AckError>,
    futures_channel::oneshot::Canceled,
>;

/// Starts `plans` on `threads` OS threads; returns when all are ready (or
/// an error), and a handle to wait for them to finish.
pub fn launch(
    url: &str,
    plans: Vec<Plan>,
    threads: usize,
    tally: Arc<Tally>,
) -> (
    tokio::sync::mpsc::UnboundedReceiver<Result<(), String>>,
    Vec<std::thread::JoinHandle<()>>,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let threads = threads.max(1);
    let mut buckets: Vec<Vec<Plan>> = vec![Vec::new(); threads];
    for (i, p) in plans.into_iter().enumerate() {
        buckets[i % threads].push(p);
    }
    let handles = buckets
        .into_iter()
        .map(|bucket| {
            let urls: Vec<String> = url.split(',').map(socket_url).collect();
            let (tally, tx) = (tally.clone(), tx.clone());
            std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                let local = tokio::task::LocalSet::new();
                local.block_on(&rt, async move {
                    let connecting = Rc::new(tokio::sync::Semaphore::new(CONNECTING));
                    let tasks: Vec<_> = bucket
                        .into_iter()
                        .map(|plan| {
                            let url = urls[plan.index % urls.len()].clone();
                            tokio::task::spawn_local(client(
                                url,
                                plan,
                                tally.clone(),
                                tx.clone(),
                                connecting.clone(),
                            ))
                        })
                        .collect();
                    for t in tasks {
                        let _ = t.await;
                    }
                });
            })
        })
        .collect();
    (rx, handles)
}

pub async fn wait_ready(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Result<(), String>>,
    clients: usize,
) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + PHASE_LIMIT;
    let mut ready = 0;
    let mut last_report = Instant::now();
    while ready < clients {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(Ok(()))) => ready += 1,
            Ok(Some(Err(e))) => return Err(format!("a client failed while joining: {e}")),
            Ok(None) => return Err("clients stopped".into()),
            Err(_) => {
                return Err(format!(
                    "only {ready} of {clients} clients joined within {PHASE_LIMIT:?}"
                ))
            }
        }
        if last_report.elapsed() > Duration::from_secs(2) {
            eprintln!("  {ready}/{clients} clients joined…");
            last_report = Instant::now();
        }
    }
    Ok(())
}
