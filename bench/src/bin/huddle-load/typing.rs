//! `typing` mode: clients in rooms as in `chat`; the first TYPISTS send
//! `typing {room}` at RATE events/s each, and every other member records
//! the `typing` the server passes on.
//!
//! The server passes on at most one `typing` per socket and conversation
//! per `TYPING_EVERY_MS` (3 s) and drops the others after acking them, so
//! the tool predicts which of a typist's sends are passed on: on a fixed
//! schedule of one send every `1/RATE` s, the first, then every `every`-th
//! ([`passed_on_every`]). Rates whose sends fall too near the server's 3 s
//! mark to tell are refused. The `typing` event carries no send time, so
//! the tool keeps one: each typist logs when it sent each `typing`, and a
//! delivery is matched to its typist's latest send before it arrived
//! ([`match_typing`]).

use crate::client::{launch, source_address, wait_ready, Plan, Sends, Shared, Tally};
use crate::measure::{print_usage, window};
use crate::stats::{percentile_ms, Matched};
use crate::Args;
use huddle::model::typing::SEND_EVERY_MS;
use huddle::protocol::limits::TYPING_EVERY_MS;
use huddle::protocol::RoomName;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The page's own pace: one `typing` per conversation per
/// [`SEND_EVERY_MS`] while its person types.
pub const PAGE_RATE: f64 = 1000.0 / SEND_EVERY_MS as f64;

/// How far (ms) a send must fall from the server's 3 s mark for the tool
/// to say whether it is passed on: the spread of the delays between
/// sending and the server's handling, with room to spare.
pub const MARGIN_MS: f64 = 200.0;

#[derive(clap::Args, Debug, Clone, Serialize)]
pub struct TypingArgs {
    #[arg(long, default_value_t = 500)]
    pub clients: usize,
    #[arg(long, default_value_t = 10)]
    pub rooms: usize,
    /// How many of the clients type (the first T).
    #[arg(long, default_value_t = 500)]
    pub typists: usize,
    /// `typing` events per second per typist. Default: the page's pace
    /// (one per 3.25 s while its person types), all of which the server
    /// passes on; above 1/3 the server drops all but one per 3 s.
    #[arg(long, default_value_t = PAGE_RATE)]
    pub rate: f64,
    /// Seconds of typing.
    #[arg(long, default_value_t = 30.0)]
    pub duration: f64,
}

#[derive(Serialize, Debug)]
pub struct TypingResult {
    pub label: String,
    pub mode: &'static str,
    #[serde(flatten)]
    pub params: TypingArgs,
    /// `typing` events sent, acked `Typing noted`, refused.
    pub sent: u64,
    pub acked: u64,
    pub refused: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_refusal: Option<String>,
    /// The server passes on every `passed_on_every`-th send of a typist.
    pub passed_on_every: u64,
    /// Sends the server should pass on.
    pub passed_on: u64,
    /// Their deliveries: each to every other member of its room.
    pub expected: u64,
    pub received: u64,
    /// Deliveries of a send the tool expected dropped (or twice).
    pub extra: u64,
    /// Deliveries matched to no send.
    pub unmatched: u64,
    pub delivery_ratio: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub server_cpu_s: Option<f64>,
    pub server_peak_rss_kb: Option<u64>,
    pub server_cpu_us_per_delivery: Option<f64>,
    pub server_cpu_us_per_sent: Option<f64>,
    pub tool_cpu_s: Option<f64>,
}

/// Which of a typist's sends the server passes on, sending at `rate`
/// events/s: the first, then every `every`-th (the first send at least
/// `TYPING_EVERY_MS` after the last one passed on). An error when some send
/// falls within [`MARGIN_MS`] of that mark, where it is a coin toss.
pub fn passed_on_every(rate: f64) -> Result<u64, String> {
    if !(rate.is_finite() && rate > 0.0) {
        return Err(format!("--rate {rate}: must be a positive number"));
    }
    let interval = 1000.0 / rate;
    let pace = TYPING_EVERY_MS as f64;
    let every = (pace / interval).ceil().max(1.0);
    // The `every`-th send comes `after` ms past the mark, the one before
    // it `before` ms ahead of it.
    let after = every * interval - pace;
    let before = pace - (every - 1.0) * interval;
    let close = match (after < MARGIN_MS, before < MARGIN_MS) {
        (true, _) => Some((every, after, "after")),
        (_, true) => Some((every - 1.0, before, "before")),
        _ => None,
    };
    if let Some((number, gap, side)) = close {
        return Err(format!(
            "--rate {rate}: with a send every {interval:.0} ms, send number {number} after one the server passed on comes {gap:.0} ms {side} the server's {pace:.0} ms mark, too close to tell whether it is passed on; pick a rate whose sends stay {MARGIN_MS:.0} ms clear of it (e.g. the default {PAGE_RATE:.4}, 0.25, 1.2 or 2.5)"
        ));
    }
    Ok(every as u64)
}

/// Of `sends` sends, how many the server passes on: numbers 0, every,
/// 2 × every, …
pub fn passed_on(sends: u64, every: u64) -> u64 {
    sends.div_ceil(every.max(1))
}

/// Matches each `typing` received, (receiver, typist, when), to the
/// typist's latest send at or before it (`sent`: each typist's send times,
/// by index). A delivery of a send numbered other than a multiple of
/// `every`, or of one the receiver already had, is an extra: the server
/// passed on one the tool expected dropped (or a delivery took longer than
/// the interval between two sends, which this cannot tell apart).
pub fn match_typing(
    sent: &HashMap<u32, Vec<u64>>,
    every: u64,
    seen: &[(u32, u32, u64)],
) -> Matched {
    let mut m = Matched::default();
    let mut got = HashSet::new();
    for &(receiver, typist, at) in seen {
        let times = sent.get(&typist).map_or(&[][..], Vec::as_slice);
        let Some(number) = times.partition_point(|t| *t <= at).checked_sub(1) else {
            m.unmatched += 1;
            continue;
        };
        if !(number as u64).is_multiple_of(every.max(1)) {
            m.extra += 1;
            continue;
        }
        m.count(&mut got, receiver, (typist, number), times[number], at);
    }
    m
}

pub async fn typing_run(args: &Args, t: &TypingArgs) -> Result<TypingResult, String> {
    let every = passed_on_every(t.rate)?;
    let typists = t.typists.min(t.clients);
    eprintln!(
        "[{}] typing: {} clients, {} rooms, {typists} typists x {:.4} typing/s for {} s (the server passes on {} of each typist's)",
        args.label,
        t.clients,
        t.rooms,
        t.rate,
        t.duration,
        if every == 1 { "every one".to_owned() } else { format!("one in {every}") },
    );
    let rooms = t.rooms.max(1);
    let tally = Arc::new(Tally::default());
    let shared = Arc::new(Shared::default());
    let plans: Vec<Plan> = (0..t.clients)
        .map(|i| Plan {
            index: i,
            source: source_address(args.one_address, i),
            join: true,
            senders: typists,
            room: RoomName::parse(&format!("room-{}", i % rooms))
                .unwrap_or_else(|_| RoomName::general()),
            rate: (i < typists).then_some(t.rate),
            board: None,
            sends: Sends::Typing,
            account: None,
            shared: shared.clone(),
        })
        .collect();
    let mut room_sizes = vec![0u64; rooms];
    for i in 0..t.clients {
        room_sizes[i % rooms] += 1;
    }
    let (mut rx, handles) = launch(&args.url, plans, args.threads, tally.clone());
    if let Err(e) = wait_ready(&mut rx, t.clients).await {
        shared.stop.store(true, Ordering::Relaxed);
        return Err(e);
    }
    let usage = window(args, &shared, t.duration, handles).await;

    let mut sent_log = tally
        .typing_sent
        .lock()
        .map(|l| l.clone())
        .unwrap_or_default();
    let seen = tally
        .typing_seen
        .lock()
        .map(|s| s.clone())
        .unwrap_or_default();
    for times in sent_log.values_mut() {
        times.sort_unstable();
    }
    let (mut passed, mut expected) = (0u64, 0u64);
    for (typist, times) in &sent_log {
        let n = passed_on(times.len() as u64, every);
        passed += n;
        // To every other member of its room.
        expected += n * room_sizes[*typist as usize % rooms].saturating_sub(1);
    }
    let mut m = match_typing(&sent_log, every, &seen);
    m.latencies_us.sort_unstable();
    let lat = &m.latencies_us;
    let sent = tally.sent.load(Ordering::Relaxed);
    let result = TypingResult {
        label: args.label.clone(),
        mode: "typing",
        params: t.clone(),
        sent,
        acked: tally.acked.load(Ordering::Relaxed),
        refused: tally.refused.load(Ordering::Relaxed),
        first_refusal: tally.first_refusal.lock().ok().and_then(|f| f.clone()),
        passed_on_every: every,
        passed_on: passed,
        expected,
        received: m.received,
        extra: m.extra,
        unmatched: m.unmatched,
        delivery_ratio: m.received as f64 / expected.max(1) as f64,
        p50_ms: percentile_ms(lat, 0.50),
        p90_ms: percentile_ms(lat, 0.90),
        p99_ms: percentile_ms(lat, 0.99),
        max_ms: percentile_ms(lat, 1.0),
        server_cpu_s: usage.server_cpu_s,
        server_peak_rss_kb: usage.server_peak_rss_kb,
        server_cpu_us_per_delivery: usage
            .server_cpu_s
            .map(|s| s * 1e6 / m.received.max(1) as f64),
        server_cpu_us_per_sent: usage.server_cpu_s.map(|s| s * 1e6 / sent.max(1) as f64),
        tool_cpu_s: usage.tool_cpu_s,
    };
    println!(
        "{:<8} clients {:>5} rooms {:>3} typists {:>4} x {:>6.3}/s  sent {:>7} acked {:>7} refused {}  passed on {:>7} (every {})  deliveries {:>9}/{:<9} ratio {:.4}  p50 {:>8.2} ms p90 {:>8.2} ms p99 {:>8.2} ms max {:>8.2} ms",
        result.label, t.clients, t.rooms, typists, t.rate, result.sent, result.acked, result.refused,
        result.passed_on, every, result.received, result.expected, result.delivery_ratio,
        result.p50_ms, result.p90_ms, result.p99_ms, result.max_ms
    );
    if result.extra + result.unmatched > 0 {
        println!(
            "         {} deliveries of sends expected dropped (or twice), {} matched to no send",
            result.extra, result.unmatched
        );
    }
    if let Some(first) = &result.first_refusal {
        println!("         first refusal: {first}");
    }
    print_usage(
        &usage,
        t.duration,
        args.threads,
        &[
            ("delivery", result.received as f64),
            ("typing sent", result.sent as f64),
        ],
    );
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_sends_the_server_passes_on() {
        // The page's pace and slower: every one.
        assert_eq!(passed_on_every(PAGE_RATE), Ok(1));
        assert_eq!(passed_on_every(0.25), Ok(1));
        // 2.5/s: a send every 400 ms; the 8th comes 3,200 ms after the
        // last one passed on, the 7th at 2,800 ms.
        assert_eq!(passed_on_every(2.5), Ok(8));
        assert_eq!(passed_on_every(1.2), Ok(4));
        assert_eq!(passed_on(17, 8), 3);
        assert_eq!(passed_on(16, 8), 2);
        assert_eq!(passed_on(0, 8), 0);
        assert_eq!(passed_on(5, 1), 5);
    }

    #[test]
    fn a_rate_whose_sends_fall_on_the_three_second_mark_is_refused() {
        // Every third send exactly at 3 s: the server's own timing decides.
        let e = passed_on_every(1.0).unwrap_err();
        assert!(e.contains("send number 3"), "{e}");
        // 1/3: every send at the mark.
        assert!(passed_on_every(1.0 / 3.0).is_err());
        // 0.95/s: the 3rd send 158 ms past the mark.
        assert!(passed_on_every(0.95).is_err());
        // 1.05/s: the 3rd send 143 ms ahead of it.
        assert!(passed_on_every(1.05).is_err());
        assert!(passed_on_every(0.0).is_err());
        assert!(passed_on_every(f64::NAN).is_err());
    }

    #[test]
    fn deliveries_match_the_latest_send_before_them() {
        // Typist 7 sends at 0, 400, 800, … (2.5/s): numbers 0 and 8 are
        // passed on.
        let times: Vec<u64> = (0..10).map(|n| 1_000_000 + n * 400_000).collect();
        let sent = HashMap::from([(7u32, times)]);
        let seen = [
            (1, 7, 1_000_900), // number 0, 0.9 ms
            (2, 7, 1_002_000), // number 0, 2 ms
            (1, 7, 4_200_500), // number 8 (sent at 4,200,000), 0.5 ms
            (1, 7, 1_000_950), // number 0 again for receiver 1: extra
            (2, 7, 1_400_100), // number 1: the server should have dropped it
            (3, 9, 1_500_000), // a typist that sent nothing
            (3, 7, 999_999),   // before typist 7's first send
        ];
        let m = match_typing(&sent, 8, &seen);
        assert_eq!(m.received, 3);
        assert_eq!(m.latencies_us, vec![900, 2_000, 500]);
        assert_eq!(m.extra, 2);
        assert_eq!(m.unmatched, 2);
    }
}
