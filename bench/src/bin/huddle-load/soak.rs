//! `soak` mode: `chat`'s steady load for a long time, the server's memory
//! sampled at a fixed interval, and a verdict on whether it grows.
//!
//! Every `--sample` seconds of the send window a thread reads each server
//! process's `VmRSS` and `RssAnon` from `/proc/<pid>/status`, with the
//! messages stored so far (acked) and the latency of that interval's
//! deliveries. After the warm-up (`--warmup` seconds), a least-squares line
//! through the summed anonymous memory gives the slope per hour and per
//! million stored messages; the verdict compares the latter with `--bound`
//! (MB per million messages). The run fails (exit status 1) when memory
//! grows faster than the bound or a delivery is lost.

use crate::chat::{expected_deliveries, run_rooms, ChatResult};
use crate::client::Tally;
use crate::proc_stat::status_kb;
use crate::{Args, ChatArgs};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug, Clone, Serialize)]
pub struct SoakArgs {
    /// The load; `--duration` is the whole soak, in seconds.
    #[command(flatten)]
    pub chat: ChatArgs,
    /// Seconds between two memory samples.
    #[arg(long, default_value_t = 60.0)]
    pub sample: f64,
    /// Seconds of warm-up left out of the slope.
    #[arg(long, default_value_t = 300.0)]
    pub warmup: f64,
    /// The most anonymous memory may grow, in MB per million stored
    /// messages, for the verdict to be "flat".
    #[arg(long, default_value_t = 1.0)]
    pub bound: f64,
}

/// One reading: the servers' memory (one entry per `--server-pid`, in kB)
/// and the load so far.
#[derive(Serialize, Debug, Clone)]
pub struct Sample {
    /// Seconds since the send window opened.
    pub t_s: f64,
    /// Messages stored (acked) since the window opened.
    pub acked: u64,
    /// Deliveries received in this interval, and expected for its sends.
    pub received: u64,
    pub expected: u64,
    /// This interval's delivery latency.
    pub p99_ms: f64,
    pub rss_kb: Vec<u64>,
    pub anon_kb: Vec<u64>,
}

impl Sample {
    fn anon(&self) -> u64 {
        self.anon_kb.iter().sum()
    }
    fn rss(&self) -> u64 {
        self.rss_kb.iter().sum()
    }
}

/// The memory log of a running window: a thread taking a `Sample` every
/// interval until stopped (and one more at the stop).
pub struct MemoryLog {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Vec<Sample>>,
}

/// What a sample needs to count deliveries: the tally, and the expected
/// deliveries per message (from the run's rooms).
pub struct Counting {
    pub tally: Arc<Tally>,
    pub chat: ChatArgs,
    pub room_sizes: Vec<u64>,
}

impl MemoryLog {
    pub fn start(pids: Vec<u32>, every: Duration, counting: Counting) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let start = Instant::now();
            let mut samples = Vec::new();
            let mut seen = Reading::default();
            let mut next = start;
            loop {
                let last = flag.load(Ordering::Relaxed);
                if last || Instant::now() >= next {
                    let s = take(&pids, start, &counting, &mut seen);
                    eprintln!(
                        "  {:>6.1} min: {} messages stored, RSS {:.1} MB, anonymous {:.1} MB",
                        s.t_s / 60.0,
                        s.acked,
                        s.rss() as f64 / 1000.0,
                        s.anon() as f64 / 1000.0
                    );
                    samples.push(s);
                    next += every;
                }
                if last {
                    return samples;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Self { stop, thread }
    }

    pub fn stop(self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// The counters at the previous sample, and how many latencies were read.
#[derive(Default)]
struct Reading {
    sent: u64,
    received: u64,
    latencies: usize,
}

fn take(pids: &[u32], start: Instant, c: &Counting, seen: &mut Reading) -> Sample {
    let sent = c.tally.sent.load(Ordering::Relaxed);
    let received = c.tally.received.load(Ordering::Relaxed);
    // This interval's latencies: copied under the lock, sorted outside it.
    let mut lat: Vec<u32> = c
        .tally
        .latencies_us
        .lock()
        .map(|l| l.get(seen.latencies..).unwrap_or_default().to_vec())
        .unwrap_or_default();
    seen.latencies += lat.len();
    lat.sort_unstable();
    let p99_ms = lat
        .get((lat.len() as f64 * 0.99) as usize)
        .or(lat.last())
        .map_or(0.0, |v| f64::from(*v) / 1000.0);
    let sample = Sample {
        t_s: start.elapsed().as_secs_f64(),
        acked: c.tally.acked.load(Ordering::Relaxed),
        received: received - seen.received,
        expected: expected_deliveries(sent - seen.sent, &c.chat, &c.room_sizes),
        p99_ms,
        rss_kb: pids
            .iter()
            .map(|p| status_kb(*p, "VmRSS:").unwrap_or(0))
            .collect(),
        anon_kb: pids
            .iter()
            .map(|p| status_kb(*p, "RssAnon:").unwrap_or(0))
            .collect(),
    };
    seen.sent = sent;
    seen.received = received;
    sample
}

/// A least-squares line y = a + b x.
pub fn slope(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

#[derive(Serialize, Debug)]
pub struct SoakResult {
    #[serde(flatten)]
    pub chat: ChatResult,
    pub warmup_s: f64,
    pub bound_mb_per_million: f64,
    pub samples: Vec<Sample>,
    /// Slopes of the summed anonymous memory and RSS after the warm-up.
    pub anon_mb_per_hour: Option<f64>,
    pub anon_mb_per_million: Option<f64>,
    pub rss_mb_per_hour: Option<f64>,
    pub rss_mb_per_million: Option<f64>,
    pub verdict: String,
}

pub async fn soak_run(args: &Args, soak: &SoakArgs) -> Result<SoakResult, String> {
    if args.server_pid.is_empty() {
        return Err("soak needs --server-pid: it samples the servers' memory".into());
    }
    if soak.sample <= 0.0 || soak.warmup >= soak.chat.duration {
        return Err("soak needs --sample > 0 and --warmup shorter than --duration".into());
    }
    let every = Duration::from_secs_f64(soak.sample);
    let (chat, samples) = run_rooms(args, &soak.chat, false, None, Some(every)).await?;
    let after: Vec<&Sample> = samples.iter().filter(|s| s.t_s >= soak.warmup).collect();
    let mb = |kb: u64| kb as f64 / 1000.0;
    let fit = |x: &dyn Fn(&Sample) -> f64, y: &dyn Fn(&Sample) -> u64| {
        slope(&after.iter().map(|s| (x(s), mb(y(s)))).collect::<Vec<_>>())
    };
    let hours = |s: &Sample| s.t_s / 3600.0;
    let millions = |s: &Sample| s.acked as f64 / 1e6;
    let anon_mb_per_million = fit(&millions, &Sample::anon);
    let lost = chat.delivery_ratio < 0.999;
    let stored_after_warmup = match (after.first(), after.last()) {
        (Some(a), Some(b)) => b.acked.saturating_sub(a.acked),
        _ => 0,
    };
    let verdict = match anon_mb_per_million {
        None if after.len() >= 2 && stored_after_warmup == 0 => {
            "FAILED: no message was acked after the warm-up (acks later than 30 s are not counted)"
                .to_owned()
        }
        None => "no verdict: too few samples after the warm-up".to_owned(),
        Some(_) if lost => format!(
            "FAILED: deliveries were lost (ratio {:.4})",
            chat.delivery_ratio
        ),
        Some(s) if s < soak.bound => format!(
            "flat: {s:.3} MB per million messages, under the bound of {}",
            soak.bound
        ),
        Some(s) => format!(
            "GROWS: {s:.3} MB per million messages, over the bound of {}",
            soak.bound
        ),
    };
    let result = SoakResult {
        warmup_s: soak.warmup,
        bound_mb_per_million: soak.bound,
        anon_mb_per_hour: fit(&hours, &Sample::anon),
        anon_mb_per_million,
        rss_mb_per_hour: fit(&hours, &Sample::rss),
        rss_mb_per_million: fit(&millions, &Sample::rss),
        verdict,
        samples,
        chat,
    };
    print_soak(&result);
    Ok(result)
}

pub fn print_soak(r: &SoakResult) {
    println!(
        "\n{:>7} {:>10} {:>12} {:>9} {:>10} {:>10}",
        "minute", "acked", "ratio", "p99 ms", "RSS MB", "anon MB"
    );
    for s in &r.samples {
        println!(
            "{:>7.1} {:>10} {:>12.4} {:>9.2} {:>10.1} {:>10.1}",
            s.t_s / 60.0,
            s.acked,
            s.received as f64 / s.expected.max(1) as f64,
            s.p99_ms,
            s.rss() as f64 / 1000.0,
            s.anon() as f64 / 1000.0,
        );
    }
    let show = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:+.3}"));
    println!(
        "after {:.0} s of warm-up: anonymous memory {} MB/h, {} MB per million messages; RSS {} MB/h, {} MB per million",
        r.warmup_s,
        show(r.anon_mb_per_hour),
        show(r.anon_mb_per_million),
        show(r.rss_mb_per_hour),
        show(r.rss_mb_per_million),
    );
    println!("verdict: {}", r.verdict);
}

pub fn passed(r: &SoakResult) -> bool {
    r.verdict.starts_with("flat")
}

#[cfg(test)]
mod tests {
    use super::slope;

    #[test]
    fn slope_of_a_line_and_of_a_flat_series() {
        let line: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 3.0 + 2.0 * i as f64)).collect();
        assert!((slope(&line).unwrap_or(0.0) - 2.0).abs() < 1e-9);
        let flat: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 5.0)).collect();
        assert_eq!(slope(&flat), Some(0.0));
        assert_eq!(slope(&[(1.0, 1.0)]), None);
        assert_eq!(slope(&[(1.0, 1.0), (1.0, 2.0)]), None);
    }
}
