//! huddle-load: a socket.io load generator for the tutorial's chat protocol.
//!
//! It speaks the protocol over WebSocket to any server at a loopback URL,
//! so the same run measures Huddle and the tutorial's NestJS server. Every
//! simulated client is Huddle's own client core (`huddle::client::core`)
//! over tokio-tungstenite, using the shared protocol types.
//!
//! Modes (`huddle-load <mode> --help`):
//! - `chat`: CLIENTS join, each enters room `i % ROOMS`; the first SENDERS
//!   send `send-message` at RATE msg/s each, on a fixed schedule, for
//!   DURATION s; every member records the delivery latency.
//! - `idle`: hold CLIENTS connections for HOLD s; the server's RSS before,
//!   during and after.
//! - `sweep`: `chat` at rising rates until the delivery ratio drops below
//!   0.999 or p99 exceeds 1 s.
//! - `board`: CLIENTS open one room's whiteboard; DRAWERS stream pen
//!   strokes (`board-draw`, BATCH points per event, RATE points/s each)
//!   and store each finished stroke (`board-op`); every other client
//!   records each point's latency.
//! - `flood`: `chat` quiet, then again while one extra client floods
//!   `general`; the measured clients' latency side by side, and what
//!   became of the flood (accepted, refused, kicked).
//! - `floor`: no server; `chat`'s delivery pattern written by one plain
//!   thread straight into loopback sockets, to measure the CPU the kernel
//!   alone takes per delivery (`floor.rs`).
//!
//! With `--server-pid`, the server's CPU time and peak RSS during the send
//! window come from /proc. The tool reports its own CPU use too and warns
//! when it, not the server, may be the bottleneck.

mod floor;

use clap::{Parser, Subcommand};
use futures_util::{SinkExt, StreamExt};
use huddle::client::core::{ClientCore, ConnectionState, CoreConfig, Output};
use huddle::protocol::board::{
    BoardDraw, BoardDrawing, BoardJoin, BoardOp, Color, Op, Shape, ShapeId, Tool,
};
use huddle::protocol::chat::{Join, JoinRoom, NewMessage, SendMessage, NAMESPACE};
use huddle::protocol::{ClientEvent, MessageText, RoomName, ServerEvent, Username};
use serde::Serialize;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio_tungstenite::tungstenite::Message;

#[derive(Parser, Debug)]
#[command(
    name = "huddle-load",
    about = "Load generator for the tutorial's socket.io chat protocol"
)]
struct Args {
    /// The server, e.g. http://127.0.0.1:3000 (loopback addresses only),
    /// or the nodes of one, comma-separated: client i connects to the
    /// (i mod n)-th.
    #[arg(long, default_value = "http://127.0.0.1:3000", global = true)]
    url: String,
    /// The server's process id (or its nodes', comma-separated), to read
    /// their CPU time and memory from /proc (summed).
    #[arg(long, global = true, value_delimiter = ',')]
    server_pid: Vec<u32>,
    /// OS threads running clients (each a single-threaded runtime).
    #[arg(long, default_value_t = 1, global = true)]
    threads: usize,
    /// Also write the results as JSON to this file.
    #[arg(long, global = true)]
    json: Option<std::path::PathBuf>,
    /// A label for this run in the output (e.g. "huddle", "nestjs").
    #[arg(long, default_value = "server", global = true)]
    label: String,
    /// Connect every client from 127.0.0.1. By default client i connects
    /// from its own loopback address (127.1.x.y), as distinct people do, so
    /// that per-address limits see one person per client.
    #[arg(long, global = true)]
    one_address: bool,
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand, Debug, Clone)]
enum Mode {
    /// Rooms of clients exchanging messages at a fixed rate.
    Chat(ChatArgs),
    /// Connections that only stay connected.
    Idle {
        #[arg(long, default_value_t = 1000)]
        clients: usize,
        /// Seconds to hold the connections.
        #[arg(long, default_value_t = 10.0)]
        hold: f64,
    },
    /// `chat` twice: quiet, then while one more client sends `send-message`
    /// to `general` as fast as its socket allows (reconnecting when
    /// disconnected); compares the measured clients' latency.
    Flood(ChatArgs),
    /// One room's whiteboard: drawers stream strokes to everyone else.
    Board(BoardArgs),
    /// No server: `chat`'s deliveries written by one plain thread into
    /// loopback sockets; the kernel's CPU per delivery (the floor).
    Floor {
        #[command(flatten)]
        chat: ChatArgs,
        /// Bytes of each WebSocket frame's payload (a Huddle `new-message`
        /// frame of the `chat` mode is about 190).
        #[arg(long, default_value_t = 190)]
        frame_bytes: usize,
    },
    /// `chat` at rising rates until it no longer keeps up.
    Sweep {
        #[command(flatten)]
        chat: ChatArgs,
        /// Rate increase per step, msg/s per sender.
        #[arg(long, default_value_t = 20.0)]
        step: f64,
        #[arg(long, default_value_t = 1000.0)]
        max_rate: f64,
    },
}

#[derive(clap::Args, Debug, Clone, Serialize)]
struct ChatArgs {
    #[arg(long, default_value_t = 500)]
    clients: usize,
    #[arg(long, default_value_t = 10)]
    rooms: usize,
    #[arg(long, default_value_t = 50)]
    senders: usize,
    /// Messages per second per sender.
    #[arg(long, default_value_t = 10.0)]
    rate: f64,
    /// Seconds of sending.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
}

#[derive(clap::Args, Debug, Clone, Serialize)]
struct BoardArgs {
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// How many of the clients draw.
    #[arg(long, default_value_t = 10)]
    drawers: usize,
    /// Points per second per drawer.
    #[arg(long, default_value_t = 60.0)]
    rate: f64,
    /// Points per `board-draw` event.
    #[arg(long, default_value_t = 3)]
    batch: usize,
    /// Points per stroke; each finished stroke is stored with `board-op`.
    #[arg(long, default_value_t = 60)]
    stroke: usize,
    /// Seconds of drawing.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
}

/// Every phase ends by itself: connecting, joining, draining.
const PHASE_LIMIT: Duration = Duration::from_secs(60);
const DRAIN: Duration = Duration::from_secs(2);
/// WebSocket handshakes in flight at once, per thread.
const CONNECTING: usize = 64;

fn main() -> Result<(), String> {
    let args = Args::parse();
    for url in args.url.split(',') {
        check_loopback(url)?;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(run(args))
}

fn check_loopback(url: &str) -> Result<(), String> {
    let host = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', ':']).next())
        .unwrap_or("");
    if matches!(host, "127.0.0.1" | "localhost" | "[")
        || host.starts_with("127.")
        || url.contains("://[::1]")
    {
        Ok(())
    } else {
        Err(format!(
            "{url}: huddle-load only targets loopback addresses (127.0.0.0/8, localhost, [::1])"
        ))
    }
}

async fn run(args: Args) -> Result<(), String> {
    let json = |v: &dyn erased::Ser| v.value();
    let results: Vec<serde_json::Value> = match args.mode.clone() {
        Mode::Chat(chat) => vec![json(&chat_run(&args, &chat, false).await?)],
        Mode::Flood(chat) => {
            let quiet = chat_run(&args, &chat, false).await?;
            tokio::time::sleep(Duration::from_secs(2)).await;
            let flooded = chat_run(&args, &chat, true).await?;
            print_flood(&quiet, &flooded);
            vec![json(&quiet), json(&flooded)]
        }
        Mode::Board(board) => vec![json(&board_run(&args, &board).await?)],
        Mode::Floor { chat, frame_bytes } => {
            let (label, threads) = (args.label.clone(), args.threads);
            let result = tokio::task::spawn_blocking(move || {
                floor::run(
                    &label,
                    chat.clients,
                    chat.rooms,
                    chat.senders as f64 * chat.rate,
                    chat.duration,
                    frame_bytes,
                    threads,
                )
            })
            .await
            .map_err(|e| e.to_string())??;
            vec![json(&result)]
        }
        Mode::Idle { clients, hold } => vec![json(&idle_run(&args, clients, hold).await?)],
        Mode::Sweep {
            chat,
            step,
            max_rate,
        } => {
            let mut out = Vec::new();
            let mut rate = chat.rate;
            while rate <= max_rate {
                let r = chat_run(
                    &args,
                    &ChatArgs {
                        rate,
                        ..chat.clone()
                    },
                    false,
                )
                .await?;
                let keeps_up = r.delivery_ratio >= 0.999 && r.p99_ms <= 1000.0;
                out.push(r);
                if !keeps_up {
                    break;
                }
                rate += step;
            }
            print_sweep(&out);
            out.iter().map(|r| json(r)).collect()
        }
    };
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

// ---- Measurements from /proc ----

/// utime + stime of `pid` in clock ticks (100 per second on Linux).
fn cpu_ticks(pid: u32) -> Option<u64> {
    stat_cpu_ticks(&format!("/proc/{pid}/stat"))
}

/// utime + stime from a `/proc/.../stat` file, in clock ticks.
fn stat_cpu_ticks(path: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(path).ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

const TICKS_PER_SEC: f64 = 100.0;

/// Samples a process's RSS until stopped; reports the peak.
struct RssSampler {
    peak: Arc<AtomicU64>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl RssSampler {
    fn start(pids: Vec<u32>) -> Self {
        let peak = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        if !pids.is_empty() {
            let (peak, stop) = (peak.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Some(kb) = servers_rss(&pids) {
                        peak.fetch_max(kb, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
        }
        Self { peak, stop }
    }

    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.peak.load(Ordering::Relaxed)
    }
}

/// The servers' CPU ticks, summed; `None` without pids or when one is gone.
fn servers_cpu(pids: &[u32]) -> Option<u64> {
    if pids.is_empty() {
        return None;
    }
    pids.iter().map(|p| cpu_ticks(*p)).sum()
}

/// The servers' resident memory in kB, summed.
fn servers_rss(pids: &[u32]) -> Option<u64> {
    if pids.is_empty() {
        return None;
    }
    pids.iter().map(|p| rss_kb(*p)).sum()
}

fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

// ---- One simulated client ----

#[derive(Default)]
struct Tally {
    sent: AtomicU64,
    acked: AtomicU64,
    received: AtomicU64,
    latencies_us: Mutex<Vec<u32>>,
    /// Board mode: when each batch (stroke id, first point) was sent.
    sent_at: Mutex<std::collections::HashMap<(String, u64), u64>>,
}

#[derive(Clone)]
struct Plan {
    index: usize,
    /// The loopback address to connect from (None: the OS picks).
    source: Option<std::net::IpAddr>,
    /// Take a name and a room (chat), or only connect the namespace (idle).
    join: bool,
    /// How many clients send (for spreading their schedules).
    senders: usize,
    room: RoomName,
    /// Messages per second, for senders (board: events per second).
    rate: Option<f64>,
    /// Board mode: open the room's board; senders draw.
    board: Option<BoardPlan>,
    shared: Arc<Shared>,
}

#[derive(Clone, Copy, Debug)]
struct BoardPlan {
    batch: usize,
    stroke: usize,
}

/// What the coordinator tells every client once all have joined.
#[derive(Default)]
struct Shared {
    /// When sending starts and stops (the same for every client).
    window: Mutex<Option<(Instant, Instant)>>,
    /// Leave now.
    stop: std::sync::atomic::AtomicBool,
}

impl Shared {
    fn window(&self) -> Option<(Instant, Instant)> {
        self.window.lock().ok().and_then(|w| *w)
    }
}

fn socket_url(base: &str) -> String {
    let base = base.trim_end_matches('/');
    let ws = base
        .replacen("https://", "wss://", 1)
        .replacen("http://", "ws://", 1);
    format!("{ws}/socket.io/?EIO=4&transport=websocket")
}

fn arg<E: ClientEvent>(e: &E) -> serde_json::Value {
    serde_json::to_value(e).unwrap_or_default()
}

#[derive(Debug, Clone, Copy)]
enum Ack {
    Join,
    Message,
}

type AckReceiver =
    futures_channel::oneshot::Receiver<Result<serde_json::Value, huddle::client::core::AckError>>;

/// An ack future that says what it was for.
async fn tagged(
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
fn source_address(one_address: bool, i: usize) -> Option<std::net::IpAddr> {
    if one_address {
        return None;
    }
    let (x, y) = ((i / 250) % 256, i % 250 + 1);
    Some(std::net::IpAddr::from([127, 1, x as u8, y as u8]))
}

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// A WebSocket to `url` (ws://, loopback) from `source`, with TCP_NODELAY.
async fn connect(url: &str, source: Option<std::net::IpAddr>) -> Result<Ws, String> {
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
async fn client(
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

async fn client_inner(
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
    core.start(now_ms());
    let mut joined = false;
    let mut join_sent = false;
    let mut joins_acked = 0;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut next_send: Option<Instant> = None;
    let mut window_end = Instant::now();
    let interval = plan.rate.map(|r| Duration::from_secs_f64(1.0 / r));
    let mut pending_acks: PendingAcks = futures_util::stream::FuturesUnordered::new();
    let mut stroke = Stroke::default();

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
            _ = tokio::time::sleep_until(due.into()), if send_due && plan.board.is_some() => {
                let out = stroke.next(&plan, &tally, &mut core, now_ms(), &mut pending_acks);
                next_send = Some(due + interval.unwrap_or_default());
                out
            }
            _ = tokio::time::sleep_until(due.into()), if send_due && plan.board.is_none() => {
                let send = SendMessage {
                    message: MessageText::parse(&unix_micros().to_string()).map_err(|e| e.to_string())?,
                    room: plan.room.clone(),
                    client_id: None,
                };
                let (rx, out) = core.emit_with_ack(now_ms(), NAMESPACE, SendMessage::NAME, arg(&send), 30_000);
                pending_acks.push(Box::pin(tagged(Ack::Message, rx)));
                tally.sent.fetch_add(1, Ordering::Relaxed);
                // A fixed schedule: the next send is due one interval after
                // this one was due, however late this one went out.
                next_send = Some(due + interval.unwrap_or_default());
                out
            }
            Some((kind, ack)) = pending_acks.next(), if !pending_acks.is_empty() => {
                let ok = matches!(&ack, Ok(Ok(v)) if v.get("status").and_then(|s| s.as_str()) == Some("ok"));
                match kind {
                    Ack::Message if ok => {
                        tally.acked.fetch_add(1, Ordering::Relaxed);
                    }
                    Ack::Join if ok => {
                        joins_acked += 1;
                        if joins_acked == if plan.board.is_some() { 3 } else { 2 } {
                            joined = true;
                            let _ = ready.send(Ok(()));
                        }
                    }
                    Ack::Join => return Err(format!("join refused: {ack:?}")),
                    Ack::Message => {}
                }
                Vec::new()
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
                    let name = Username::parse(&format!("load-{}", plan.index))
                        .map_err(|e| e.to_string())?;
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
                Output::Close => return Err("the server closed the connection".into()),
                _ => {}
            }
        }
    }
}

/// A drawer's stroke in progress.
#[derive(Default)]
struct Stroke {
    number: u64,
    points: Vec<[f32; 2]>,
}

type PendingAcks = futures_util::stream::FuturesUnordered<
    std::pin::Pin<Box<dyn std::future::Future<Output = (Ack, AckResult)>>>,
>;
type AckResult = Result<
    Result<serde_json::Value, huddle::client::core::AckError>,
    futures_channel::oneshot::Canceled,
>;

impl Stroke {
    /// The next batch of points as `board-draw`; at the stroke's end, the
    /// stroke stored with `board-op`.
    fn next(
        &mut self,
        plan: &Plan,
        tally: &Tally,
        core: &mut ClientCore,
        now_ms: f64,
        acks: &mut PendingAcks,
    ) -> Vec<Output> {
        let Some(board) = plan.board else {
            return Vec::new();
        };
        let id = ShapeId::numbered(&format!("load{}", plan.index), self.number);
        let start = self.points.len();
        let y = 20.0 + (plan.index % 40) as f32 * 24.0;
        let batch: Vec<[f32; 2]> = (start..start + board.batch)
            .map(|i| [10.0 + (i % 1500) as f32, y])
            .collect();
        self.points.extend(&batch);
        let draw = BoardDraw {
            room: plan.room.clone(),
            id: id.clone(),
            tool: Tool::Pen,
            color: Color::BLACK,
            width: 2.0,
            start: start as u32,
            points: batch,
        };
        if let Ok(mut sent_at) = tally.sent_at.lock() {
            sent_at.insert((id.as_str().to_owned(), start as u64), unix_micros());
        }
        tally.sent.fetch_add(board.batch as u64, Ordering::Relaxed);
        let mut out = core.emit(NAMESPACE, BoardDraw::NAME, arg(&draw));
        if self.points.len() >= board.stroke {
            let op = BoardOp {
                room: plan.room.clone(),
                op: Op::Add {
                    shape: Shape {
                        id,
                        tool: Tool::Pen,
                        color: Color::BLACK,
                        width: 2.0,
                        points: std::mem::take(&mut self.points),
                    },
                },
            };
            let (rx, more) = core.emit_with_ack(now_ms, NAMESPACE, BoardOp::NAME, arg(&op), 30_000);
            acks.push(Box::pin(tagged(Ack::Message, rx)));
            out.extend(more);
            self.number += 1;
        }
        out
    }
}

/// Starts `plans` on `threads` OS threads; returns when all are ready (or
/// an error), and a handle to wait for them to finish.
fn launch(
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

async fn wait_ready(
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

// ---- Modes ----

#[derive(Serialize, Debug)]
struct ChatResult {
    label: String,
    mode: &'static str,
    #[serde(flatten)]
    params: ChatArgs,
    sent: u64,
    acked: u64,
    expected: u64,
    received: u64,
    delivery_ratio: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    server_cpu_s: Option<f64>,
    server_peak_rss_kb: Option<u64>,
    server_cpu_us_per_delivery: Option<f64>,
    tool_cpu_s: Option<f64>,
    /// What the flooding client did, in a flooded run.
    #[serde(skip_serializing_if = "Option::is_none")]
    flood: Option<FloodTally>,
}

async fn chat_run(args: &Args, chat: &ChatArgs, flood: bool) -> Result<ChatResult, String> {
    run_rooms(args, chat, flood, None).await
}

/// `board` mode: `chat`'s machinery with one room whose board everyone
/// opens; counts are in points, not messages.
async fn board_run(args: &Args, board: &BoardArgs) -> Result<ChatResult, String> {
    eprintln!(
        "[{}] board: {} clients, {} drawers x {} points/s in batches of {}, strokes of {} points, for {} s",
        args.label, board.clients, board.drawers, board.rate, board.batch, board.stroke, board.duration
    );
    let chat = ChatArgs {
        clients: board.clients,
        rooms: 1,
        senders: board.drawers,
        rate: board.rate / board.batch.max(1) as f64,
        duration: board.duration,
    };
    // A fresh board per run, so that runs do not fill one up.
    let room =
        RoomName::parse(&format!("board-{}", unix_micros() / 1000)).map_err(|e| e.to_string())?;
    let plan = BoardPlan {
        batch: board.batch.max(1),
        stroke: board.stroke.max(1),
    };
    run_rooms(args, &chat, false, Some((plan, room))).await
}

async fn run_rooms(
    args: &Args,
    chat: &ChatArgs,
    flood: bool,
    board: Option<(BoardPlan, RoomName)>,
) -> Result<ChatResult, String> {
    if board.is_none() {
        eprintln!(
            "[{}] chat: {} clients, {} rooms, {} senders x {} msg/s for {} s{}",
            args.label,
            chat.clients,
            chat.rooms,
            chat.senders,
            chat.rate,
            chat.duration,
            if flood {
                ", one more client flooding general"
            } else {
                ""
            }
        );
    }
    let rooms = chat.rooms.max(1);
    let tally = Arc::new(Tally::default());
    let shared = Arc::new(Shared::default());
    let plans: Vec<Plan> = (0..chat.clients)
        .map(|i| Plan {
            index: i,
            source: source_address(args.one_address, i),
            join: true,
            senders: chat.senders,
            room: match &board {
                Some((_, room)) => room.clone(),
                None => RoomName::parse(&format!("room-{}", i % rooms))
                    .unwrap_or_else(|_| RoomName::general()),
            },
            rate: (i < chat.senders).then_some(chat.rate),
            board: board.as_ref().map(|(plan, _)| *plan),
            shared: shared.clone(),
        })
        .collect();
    // Expected deliveries per message: the members of its room.
    let mut room_sizes = vec![0u64; rooms];
    for i in 0..chat.clients {
        room_sizes[i % rooms] += 1;
    }
    let (mut rx, handles) = launch(&args.url, plans, args.threads, tally.clone());
    if let Err(e) = wait_ready(&mut rx, chat.clients).await {
        shared.stop.store(true, Ordering::Relaxed);
        return Err(e);
    }
    // Everyone has joined: sending starts in one second, for everyone.
    let start = Instant::now() + Duration::from_secs(1);
    let end = start + Duration::from_secs_f64(chat.duration);
    if let Ok(mut w) = shared.window.lock() {
        *w = Some((start, end));
    }
    eprintln!("  all joined; sending for {} s…", chat.duration);
    let flooder = flood.then(|| {
        let url = socket_url(args.url.split(',').next().unwrap_or_default());
        // Its own address, apart from every measured client's.
        let source = (!args.one_address).then(|| std::net::IpAddr::from([127, 2, 0, 1]));
        std::thread::spawn(move || flooder(url, source, start, end))
    });
    tokio::time::sleep_until(start.into()).await;

    let cpu0 = servers_cpu(&args.server_pid);
    let tool0 = cpu_ticks(std::process::id());
    let sampler = RssSampler::start(args.server_pid.clone());
    tokio::time::sleep_until(end.into()).await;
    let cpu1 = servers_cpu(&args.server_pid);
    let tool1 = cpu_ticks(std::process::id());
    tokio::time::sleep(DRAIN).await;
    let peak = sampler.stop();
    shared.stop.store(true, Ordering::Relaxed);
    for h in handles {
        let _ = h.join();
    }
    let flood = match flooder.map(|f| f.join()) {
        Some(Ok(tally)) => Some(tally),
        Some(Err(_)) => return Err("the flooding client panicked".into()),
        None => None,
    };

    let sent = tally.sent.load(Ordering::Relaxed);
    let expected = match board {
        // Every point to everyone but its drawer.
        Some(_) => sent * (chat.clients as u64).saturating_sub(1),
        None => expected_deliveries(sent, chat, &room_sizes),
    }
    .max(1);
    let received = tally.received.load(Ordering::Relaxed);
    let mut lat = tally
        .latencies_us
        .lock()
        .map(|l| l.clone())
        .unwrap_or_default();
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .map(|v| f64::from(*v) / 1000.0)
            .unwrap_or(0.0)
    };
    let server_cpu_s = match (cpu0, cpu1) {
        (Some(a), Some(b)) => Some((b - a) as f64 / TICKS_PER_SEC),
        _ => None,
    };
    let tool_cpu_s = match (tool0, tool1) {
        (Some(a), Some(b)) => Some((b - a) as f64 / TICKS_PER_SEC),
        _ => None,
    };
    let result = ChatResult {
        label: args.label.clone(),
        mode: if board.is_some() { "board" } else { "chat" },
        params: chat.clone(),
        sent,
        acked: tally.acked.load(Ordering::Relaxed),
        expected,
        received,
        delivery_ratio: received as f64 / expected as f64,
        p50_ms: pct(0.50),
        p90_ms: pct(0.90),
        p99_ms: pct(0.99),
        max_ms: lat.last().map(|v| f64::from(*v) / 1000.0).unwrap_or(0.0),
        server_cpu_s,
        server_peak_rss_kb: (!args.server_pid.is_empty()).then_some(peak),
        server_cpu_us_per_delivery: server_cpu_s.map(|s| s * 1e6 / received.max(1) as f64),
        tool_cpu_s,
        flood,
    };
    print_chat(&result, args.threads);
    Ok(result)
}

/// Deliveries expected: each message times the size of its sender's room.
/// The tally counts all senders together; the fixed schedule makes every
/// sender send the same number (to within one), so the average room size
/// of the senders is exact to within that.
fn expected_deliveries(sent: u64, chat: &ChatArgs, room_sizes: &[u64]) -> u64 {
    let senders = chat.senders.min(chat.clients);
    if senders == 0 || room_sizes.is_empty() {
        return 0;
    }
    let total_weight: u64 = (0..senders).map(|i| room_sizes[i % room_sizes.len()]).sum();
    (sent as f64 * total_weight as f64 / senders as f64).round() as u64
}

fn print_chat(r: &ChatResult, threads: usize) {
    println!(
        "{:<8} clients {:>5} rooms {:>3} senders {:>4} x {:>6.1}/s  sent {:>7} acked {:>7}  deliveries {:>9}/{:<9} ratio {:.4}  p50 {:>8.2} ms p90 {:>8.2} ms p99 {:>8.2} ms max {:>8.2} ms",
        r.label, r.params.clients, r.params.rooms, r.params.senders, r.params.rate, r.sent, r.acked, r.received, r.expected,
        r.delivery_ratio, r.p50_ms, r.p90_ms, r.p99_ms, r.max_ms
    );
    if let (Some(cpu), Some(us), Some(rss)) = (
        r.server_cpu_s,
        r.server_cpu_us_per_delivery,
        r.server_peak_rss_kb,
    ) {
        println!("         server CPU {cpu:.2} s in the window, {us:.2} us per delivery, peak RSS {rss} kB");
    }
    if let Some(tool) = r.tool_cpu_s {
        let busy = tool / r.params.duration / threads as f64;
        println!(
            "         load tool CPU {tool:.2} s ({:.0}% of its {threads} thread(s))",
            busy * 100.0
        );
        if busy > 0.85 {
            println!("         WARNING: the load tool is saturated; its latencies include its own queueing. Use --threads.");
        }
    }
}

fn print_flood(quiet: &ChatResult, flooded: &ChatResult) {
    println!("\nflood ({}):", quiet.label);
    println!(
        "{:>8} {:>10} {:>10} {:>10} {:>10}",
        "run", "ratio", "p50 ms", "p99 ms", "max ms"
    );
    for (name, r) in [("quiet", quiet), ("flooded", flooded)] {
        println!(
            "{name:>8} {:>10.4} {:>10.2} {:>10.2} {:>10.2}",
            r.delivery_ratio, r.p50_ms, r.p99_ms, r.max_ms
        );
    }
    println!(
        "p99 flooded / quiet: {:.2}",
        flooded.p99_ms / quiet.p99_ms.max(0.001)
    );
    if let Some(f) = &flooded.flood {
        println!(
            "flooder: {} connections ({} more refused with HTTP 429), {} sent, {} acked ok, {} refused by a rate limit, {} other errors, kicked {} times{}",
            f.connections,
            f.handshakes_refused,
            f.sent,
            f.accepted,
            f.rate_limited,
            f.other_errors,
            f.kicked,
            f.first_refusal
                .as_ref()
                .map(|m| format!("; first refusal: {m}"))
                .unwrap_or_default()
        );
    }
}

/// What the flooding client did.
#[derive(Serialize, Debug, Default)]
struct FloodTally {
    connections: u64,
    sent: u64,
    accepted: u64,
    rate_limited: u64,
    other_errors: u64,
    kicked: u64,
    /// Reconnections refused with HTTP 429.
    handshakes_refused: u64,
    first_refusal: Option<String>,
}

/// One client sending `send-message` to `general` as fast as its socket
/// takes it from `start` to `end`, reading (and answering pings) whenever
/// something came in; reconnects when the server lets go of it. Raw
/// Engine.IO frames: it must not be slowed by anything but the socket.
fn flooder(
    url: String,
    source: Option<std::net::IpAddr>,
    start: Instant,
    end: Instant,
) -> FloodTally {
    let mut tally = FloodTally::default();
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return tally;
    };
    rt.block_on(async {
        tokio::time::sleep_until(start.into()).await;
        while Instant::now() < end {
            if let Err(e) = flood_once(&url, source, end, &mut tally).await {
                if e.contains("429") {
                    tally.handshakes_refused += 1;
                } else {
                    eprintln!("  flooder: {e}");
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    });
    tally
}

async fn flood_once(
    url: &str,
    source: Option<std::net::IpAddr>,
    end: Instant,
    tally: &mut FloodTally,
) -> Result<(), String> {
    let mut ws = connect(url, source).await?;
    tally.connections += 1;
    let expect = async |ws: &mut Ws, prefix: &str| -> Result<(), String> {
        loop {
            match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
                Ok(Some(Ok(Message::Text(t)))) if t.starts_with(prefix) => return Ok(()),
                Ok(Some(Ok(Message::Text(t)))) if t.starts_with("44") => {
                    return Err(format!("refused: {t}"))
                }
                Ok(Some(Ok(_))) => {}
                _ => return Err(format!("no {prefix:?} from the server")),
            }
        }
    };
    expect(&mut ws, "0").await?;
    ws.send(Message::text("40/chat,"))
        .await
        .map_err(|e| e.to_string())?;
    expect(&mut ws, "40/chat,").await?;
    let join = serde_json::json!(["join", {"username": "flooder"}]);
    ws.send(Message::text(format!("42/chat,0{join}")))
        .await
        .map_err(|e| e.to_string())?;
    expect(&mut ws, "43/chat,0").await?;
    let (mut sink, mut stream) = ws.split();
    let mut id: u64 = 1;
    let deadline = tokio::time::sleep_until(end.into());
    tokio::pin!(deadline);
    loop {
        let frame = format!(
            "42/chat,{id}{}",
            serde_json::json!(["send-message", {"message": "flood", "room": "general"}])
        );
        tokio::select! {
            biased;
            _ = &mut deadline => return Ok(()),
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(t))) => {
                    if t.as_str() == "2" {
                        sink.send(Message::text("3")).await.map_err(|e| e.to_string())?;
                    } else if t.starts_with("43/chat,") {
                        if t.contains("\"status\":\"ok\"") {
                            tally.accepted += 1;
                        } else if t.contains("retryAfterMs") {
                            tally.rate_limited += 1;
                            if tally.first_refusal.is_none() {
                                tally.first_refusal = t
                                    .split_once('[')
                                    .map(|(_, rest)| rest.trim_end_matches(']').to_owned());
                            }
                        } else {
                            tally.other_errors += 1;
                        }
                    } else if t.starts_with("42/chat,[\"kicked\"") {
                        tally.kicked += 1;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return Ok(()),
                Some(Ok(_)) => {}
            },
            sent = sink.send(Message::text(frame)) => {
                if sent.is_err() {
                    return Ok(());
                }
                tally.sent += 1;
                id += 1;
            }
        }
    }
}

fn print_sweep(results: &[ChatResult]) {
    println!(
        "\nsweep ({}):",
        results.first().map(|r| r.label.as_str()).unwrap_or("")
    );
    println!(
        "{:>10} {:>12} {:>10} {:>10} {:>14}",
        "rate/s", "deliveries/s", "ratio", "p99 ms", "us/delivery"
    );
    for r in results {
        println!(
            "{:>10.1} {:>12.0} {:>10.4} {:>10.2} {:>14}",
            r.params.rate,
            r.received as f64 / r.params.duration,
            r.delivery_ratio,
            r.p99_ms,
            r.server_cpu_us_per_delivery
                .map(|v| format!("{v:.2}"))
                .unwrap_or_else(|| "-".into())
        );
    }
}

#[derive(Serialize, Debug)]
struct IdleResult {
    label: String,
    mode: &'static str,
    clients: usize,
    hold_s: f64,
    rss_before_kb: Option<u64>,
    rss_during_kb: Option<u64>,
    rss_after_kb: Option<u64>,
    bytes_per_connection: Option<f64>,
}

async fn idle_run(args: &Args, clients: usize, hold: f64) -> Result<IdleResult, String> {
    eprintln!(
        "[{}] idle: {clients} connections held for {hold} s",
        args.label
    );
    let rss = || servers_rss(&args.server_pid);
    let rss_before_kb = rss();
    let tally = Arc::new(Tally::default());
    let shared = Arc::new(Shared::default());
    let plans: Vec<Plan> = (0..clients)
        .map(|i| Plan {
            index: i,
            source: source_address(args.one_address, i),
            join: false,
            senders: 0,
            room: RoomName::general(),
            rate: None,
            board: None,
            shared: shared.clone(),
        })
        .collect();
    let (mut rx, handles) = launch(&args.url, plans, args.threads, tally);
    let joined = wait_ready(&mut rx, clients).await;
    let sampler = RssSampler::start(args.server_pid.clone());
    if joined.is_ok() {
        tokio::time::sleep(Duration::from_secs_f64(hold)).await;
    }
    let peak = sampler.stop();
    shared.stop.store(true, Ordering::Relaxed);
    for h in handles {
        let _ = h.join();
    }
    joined?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let result = IdleResult {
        label: args.label.clone(),
        mode: "idle",
        clients,
        hold_s: hold,
        rss_before_kb,
        rss_during_kb: (!args.server_pid.is_empty()).then_some(peak),
        rss_after_kb: rss(),
        bytes_per_connection: match (rss_before_kb, args.server_pid.is_empty()) {
            (Some(before), false) => {
                Some(peak.saturating_sub(before) as f64 * 1024.0 / clients.max(1) as f64)
            }
            _ => None,
        },
    };
    println!(
        "{:<8} idle {:>6} connections  RSS before {:?} kB, during {:?} kB, after {:?} kB  => {} bytes per connection",
        result.label,
        clients,
        result.rss_before_kb,
        result.rss_during_kb,
        result.rss_after_kb,
        result.bytes_per_connection.map(|b| format!("{b:.0}")).unwrap_or_else(|| "-".into())
    );
    Ok(result)
}

/// Results of different modes, written out as JSON alike.
mod erased {
    pub trait Ser {
        fn value(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn value(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or_default()
        }
    }
}
