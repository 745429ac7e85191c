//! `idle` mode: connections that only stay connected; the server's memory
//! before, during and after.

use crate::client::{launch, source_address, wait_ready, Plan, Sends, Shared, Tally};
use crate::proc_stat::{servers_rss, RssSampler};
use crate::Args;
use huddle::protocol::RoomName;
use serde::Serialize;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

#[derive(Serialize, Debug)]
pub struct IdleResult {
    pub label: String,
    pub mode: &'static str,
    pub clients: usize,
    pub hold_s: f64,
    pub rss_before_kb: Option<u64>,
    pub rss_during_kb: Option<u64>,
    pub rss_after_kb: Option<u64>,
    pub bytes_per_connection: Option<f64>,
}

pub async fn idle_run(args: &Args, clients: usize, hold: f64) -> Result<IdleResult, String> {
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
            sends: Sends::Messages,
            account: None,
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
