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
//! - `soak`: `chat`'s steady load for a long DURATION, the servers' RSS
//!   and anonymous memory sampled every SAMPLE s; the slope after the
//!   warm-up per hour and per million messages, and a verdict against a
//!   bound (`soak.rs`).
//! - `floor`: no server; `chat`'s delivery pattern written by one plain
//!   thread straight into loopback sockets, to measure the CPU the kernel
//!   alone takes per delivery (`floor.rs`); with `--writer tokio-inline` or
//!   `tokio-tasks`, by a bare tokio server instead, to measure what the
//!   runtime adds.
//! - `typing`: CLIENTS in ROOMS as in `chat`; the first TYPISTS send
//!   `typing {room}` at RATE events/s each; the deliveries the server
//!   passes on (at most one per typist per 3 s), matched to their send
//!   time, and the server's CPU per delivery and per event sent
//!   (`typing.rs`).
//! - `react`: as `typing`, but the first REACTORS are accounts (signed up
//!   over HTTP first, `accounts.rs`) that add and take back reactions to
//!   their room's messages at RATE/s; every member's `message-changed`,
//!   matched to its reaction by the change number the ack named
//!   (`react.rs`).
//!
//! Where things are: this file holds the arguments and runs the mode;
//! `client.rs` one simulated client, and `launch`, which runs many on
//! `--threads` runtimes; `chat.rs` the `chat` and `sweep` modes and the
//! measured run that `flood.rs` and `board.rs` reuse; `idle.rs` and
//! `floor.rs` those modes; `soak.rs` the soak and its memory log;
//! `typing.rs`, `react.rs` and `accounts.rs` those modes, measured by
//! `measure.rs`; `stats.rs` percentiles and matching deliveries to sends;
//! `proc_stat.rs` CPU time and memory from /proc.
//!
//! With `--server-pid`, the server's CPU time and peak RSS during the send
//! window come from /proc. The tool reports its own CPU use too and warns
//! when it, not the server, may be the bottleneck.

mod accounts;
mod board;
mod chat;
mod client;
mod flood;
mod floor;
mod idle;
mod measure;
mod proc_stat;
mod react;
mod soak;
mod stats;
mod typing;

use board::board_run;
use chat::{chat_run, print_sweep};
use clap::{Parser, Subcommand};
use flood::print_flood;
use idle::idle_run;
use react::{react_run, ReactArgs};
use serde::Serialize;
use soak::{soak_run, SoakArgs};
use std::time::Duration;
use typing::{typing_run, TypingArgs};

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
    /// `chat` for a long time, the servers' memory sampled every minute;
    /// fails when it grows faster than the bound.
    Soak(SoakArgs),
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
        /// Who writes: one plain thread (the kernel's floor), or a tokio
        /// server woken per message, writing itself or through a writer
        /// task per member (what the runtime adds).
        #[arg(long, value_enum, default_value_t = floor::Writer::Thread)]
        writer: floor::Writer,
    },
    /// Rooms of clients, some typing: what the server passes on of their
    /// `typing` events, how fast, and at what cost.
    Typing(TypingArgs),
    /// Rooms of clients, some of them accounts adding and taking back
    /// reactions to the room's messages; `message-changed` to everyone.
    React(ReactArgs),
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
        Mode::Typing(typing) => vec![json(&typing_run(&args, &typing).await?)],
        Mode::React(react) => vec![json(&react_run(&args, &react).await?)],
        Mode::Soak(soak) => {
            let result = soak_run(&args, &soak).await?;
            write_json(&args, &[json(&result)])?;
            if !soak::passed(&result) {
                return Err(format!("soak: {}", result.verdict));
            }
            return Ok(());
        }
        Mode::Floor {
            chat,
            frame_bytes,
            writer,
        } => {
            let (label, threads) = (args.label.clone(), args.threads);
            let result = tokio::task::spawn_blocking(move || {
                floor::run(
                    &label,
                    &floor::FloorPlan {
                        clients: chat.clients,
                        rooms: chat.rooms,
                        messages_per_s: chat.senders as f64 * chat.rate,
                        duration: chat.duration,
                        frame_bytes,
                        threads,
                        writer,
                    },
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
    write_json(&args, &results)
}

fn write_json(args: &Args, results: &[serde_json::Value]) -> Result<(), String> {
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(results).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
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
