//! `chat` mode: rooms of clients exchanging messages at a fixed rate; the
//! delivery ratio, the latency percentiles and the server's CPU and memory
//! in the send window. `run_rooms` is the measured run that `flood`,
//! `sweep`, `board` and `soak` reuse.

use crate::board::BoardPlan;
use crate::client::{launch, socket_url, source_address, wait_ready, Plan, Sends, Shared, Tally};
use crate::flood::{flooder, FloodTally};
use crate::proc_stat::{cpu_ticks, servers_cpu, RssSampler, TICKS_PER_SEC};
use crate::soak::{Counting, MemoryLog, Sample};
use crate::stats::percentile_ms;
use crate::{Args, ChatArgs, DRAIN};
use huddle::protocol::RoomName;
use serde::Serialize;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Serialize, Debug)]
pub struct ChatResult {
    pub label: String,
    pub mode: &'static str,
    #[serde(flatten)]
    pub params: ChatArgs,
    pub sent: u64,
    pub acked: u64,
    pub expected: u64,
    pub received: u64,
    pub delivery_ratio: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub server_cpu_s: Option<f64>,
    pub server_peak_rss_kb: Option<u64>,
    pub server_cpu_us_per_delivery: Option<f64>,
    pub tool_cpu_s: Option<f64>,
    /// What the flooding client did, in a flooded run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flood: Option<FloodTally>,
}

pub async fn chat_run(args: &Args, chat: &ChatArgs, flood: bool) -> Result<ChatResult, String> {
    Ok(run_rooms(args, chat, flood, None, None).await?.0)
}

pub async fn run_rooms(
    args: &Args,
    chat: &ChatArgs,
    flood: bool,
    board: Option<(BoardPlan, RoomName)>,
    sample_every: Option<Duration>,
) -> Result<(ChatResult, Vec<Sample>), String> {
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
            sends: Sends::Messages,
            account: None,
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
    let memory = sample_every.map(|every| {
        let counting = Counting {
            tally: tally.clone(),
            chat: chat.clone(),
            room_sizes: room_sizes.clone(),
        };
        MemoryLog::start(args.server_pid.clone(), every, counting)
    });
    tokio::time::sleep_until(end.into()).await;
    let samples = memory.map(MemoryLog::stop).unwrap_or_default();
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
    let pct = |p: f64| percentile_ms(&lat, p);
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
        max_ms: percentile_ms(&lat, 1.0),
        server_cpu_s,
        server_peak_rss_kb: (!args.server_pid.is_empty()).then_some(peak),
        server_cpu_us_per_delivery: server_cpu_s.map(|s| s * 1e6 / received.max(1) as f64),
        tool_cpu_s,
        flood,
    };
    print_chat(&result, args.threads);
    Ok((result, samples))
}

/// Deliveries expected: each message times the size of its sender's room.
/// The tally counts all senders together; the fixed schedule makes every
/// sender send the same number (to within one), so the average room size
/// of the senders is exact to within that.
pub fn expected_deliveries(sent: u64, chat: &ChatArgs, room_sizes: &[u64]) -> u64 {
    let senders = chat.senders.min(chat.clients);
    if senders == 0 || room_sizes.is_empty() {
        return 0;
    }
    let total_weight: u64 = (0..senders).map(|i| room_sizes[i % room_sizes.len()]).sum();
    (sent as f64 * total_weight as f64 / senders as f64).round() as u64
}

pub fn print_chat(r: &ChatResult, threads: usize) {
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

pub fn print_sweep(results: &[ChatResult]) {
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
