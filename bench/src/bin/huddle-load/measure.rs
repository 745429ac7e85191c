//! The measured send window of the `typing` and `react` modes: opened for
//! every client at once, the server's and the tool's CPU time read at its
//! edges, the server's peak RSS sampled through it and the drain after.

use crate::client::Shared;
use crate::proc_stat::{cpu_ticks, servers_cpu, RssSampler, TICKS_PER_SEC};
use crate::{Args, DRAIN};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// What the window cost.
pub struct Usage {
    /// The servers' CPU time in the window (with `--server-pid`).
    pub server_cpu_s: Option<f64>,
    pub server_peak_rss_kb: Option<u64>,
    /// The load tool's own CPU time in the window.
    pub tool_cpu_s: Option<f64>,
}

/// Opens the send window one second from now for `duration` s, measures
/// it, waits out the drain, then stops the clients and waits for them.
pub async fn window(
    args: &Args,
    shared: &Shared,
    duration: f64,
    handles: Vec<std::thread::JoinHandle<()>>,
) -> Usage {
    let start = Instant::now() + Duration::from_secs(1);
    let end = start + Duration::from_secs_f64(duration);
    if let Ok(mut w) = shared.window.lock() {
        *w = Some((start, end));
    }
    eprintln!("  all joined; sending for {duration} s…");
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
    let seconds = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / TICKS_PER_SEC),
        _ => None,
    };
    Usage {
        server_cpu_s: seconds(cpu0, cpu1),
        server_peak_rss_kb: (!args.server_pid.is_empty()).then_some(peak),
        tool_cpu_s: seconds(tool0, tool1),
    }
}

/// Prints the server's and the tool's share, as `chat` does.
pub fn print_usage(usage: &Usage, duration: f64, threads: usize, per: &[(&str, f64)]) {
    if let (Some(cpu), Some(rss)) = (usage.server_cpu_s, usage.server_peak_rss_kb) {
        let per: Vec<String> = per
            .iter()
            .map(|(what, count)| format!("{:.2} us per {what}", cpu * 1e6 / count.max(1.0)))
            .collect();
        println!(
            "         server CPU {cpu:.2} s in the window, {}, peak RSS {rss} kB",
            per.join(", ")
        );
    }
    if let Some(tool) = usage.tool_cpu_s {
        let busy = tool / duration / threads as f64;
        println!(
            "         load tool CPU {tool:.2} s ({:.0}% of its {threads} thread(s))",
            busy * 100.0
        );
        if busy > 0.85 {
            println!("         WARNING: the load tool is saturated; its latencies include its own queueing. Use --threads.");
        }
    }
}
