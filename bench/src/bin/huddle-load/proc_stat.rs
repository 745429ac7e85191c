//! Measurements from /proc: a process's CPU time and resident memory, the
//! servers' summed, and a sampler of the peak.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// utime + stime of `pid` in clock ticks (100 per second on Linux).
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    stat_cpu_ticks(&format!("/proc/{pid}/stat"))
}

/// utime + stime from a `/proc/.../stat` file, in clock ticks.
pub fn stat_cpu_ticks(path: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(path).ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

pub fn rss_kb(pid: u32) -> Option<u64> {
    status_kb(pid, "VmRSS:")
}

/// One kB figure of `/proc/<pid>/status`, by its key (e.g. "RssAnon:").
pub fn status_kb(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

pub const TICKS_PER_SEC: f64 = 100.0;

/// Samples a process's RSS until stopped; reports the peak.
pub struct RssSampler {
    pub peak: Arc<AtomicU64>,
    pub stop: Arc<std::sync::atomic::AtomicBool>,
}

impl RssSampler {
    pub fn start(pids: Vec<u32>) -> Self {
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

    pub fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.peak.load(Ordering::Relaxed)
    }
}

/// The servers' CPU ticks, summed; `None` without pids or when one is gone.
pub fn servers_cpu(pids: &[u32]) -> Option<u64> {
    if pids.is_empty() {
        return None;
    }
    pids.iter().map(|p| cpu_ticks(*p)).sum()
}

/// The servers' resident memory in kB, summed.
pub fn servers_rss(pids: &[u32]) -> Option<u64> {
    if pids.is_empty() {
        return None;
    }
    pids.iter().map(|p| rss_kb(*p)).sum()
}
