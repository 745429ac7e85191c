//! `react` mode: clients in rooms as in `chat`; the first REACTORS (and
//! one client per room, who posts the messages) are accounts, signed up
//! over HTTP first (`accounts.rs`), since guests may not react. Client `r`
//! posts MESSAGES messages to room `r`; then each reactor reacts to its
//! room's messages at RATE reactions/s, adding an emoji and taking it back
//! in turn ([`reaction`]), and every member of the room (the reactor
//! too) records the `message-changed` each applied reaction brings.
//!
//! `message-changed` carries no send time, but the reaction's ack names
//! the message and the room's change number it made, and so does every
//! `message-changed` of it: a delivery is matched to its reaction by
//! (message id, change) ([`match_changes`]).

use crate::accounts::{run_tag, sign_up};
use crate::client::{launch, source_address, wait_ready, Plan, Sends, Shared, Tally};
use crate::measure::{print_usage, window};
use crate::stats::{percentile_ms, Matched};
use crate::Args;
use huddle::protocol::RoomName;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args, Debug, Clone, Serialize)]
pub struct ReactArgs {
    #[arg(long, default_value_t = 500)]
    pub clients: usize,
    #[arg(long, default_value_t = 10)]
    pub rooms: usize,
    /// How many of the clients react (the first R), each an account.
    #[arg(long, default_value_t = 50)]
    pub reactors: usize,
    /// Reactions per second per reactor.
    #[arg(long, default_value_t = 3.0)]
    pub rate: f64,
    /// Messages posted to each room (by its first client) to react to.
    #[arg(long, default_value_t = 5)]
    pub messages: usize,
    /// Seconds of reacting.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
}

/// The emoji reactors use: fewer than the 20 different ones a message
/// may hold, so that no reaction is refused for the cap.
pub const EMOJI: [&str; 8] = ["👍", "🎉", "😂", "😮", "🙏", "🔥", "👀", "🚀"];

/// One reaction of the schedule: `emoji` on message number `message` of
/// the room, made so (`on`) or taken back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub message: usize,
    pub emoji: &'static str,
    pub on: bool,
}

/// Reactor `reactor`'s reaction number `k` (from 0) to a room of
/// `messages` messages: even numbers add an emoji, odd ones take it back,
/// so each changes something and a reactor holds at most one reaction at
/// a time; each pair moves to the next emoji and the next message.
pub fn reaction(reactor: usize, k: u64, messages: usize) -> Step {
    let at = reactor as u64 + k / 2;
    Step {
        message: (at % messages.max(1) as u64) as usize,
        emoji: EMOJI[(at % EMOJI.len() as u64) as usize],
        on: k.is_multiple_of(2),
    }
}

/// Matches each `message-changed` received, (receiver, message id, change,
/// when), to the applied reaction whose ack named that message and change
/// (`applied`: when it was sent).
pub fn match_changes(
    applied: &HashMap<(i64, i64), (u64, u32)>,
    seen: &[(u32, i64, i64, u64)],
) -> Matched {
    let mut m = Matched::default();
    let mut got = HashSet::new();
    for &(receiver, id, change, at) in seen {
        match applied.get(&(id, change)) {
            Some(&(sent, _)) => m.count(&mut got, receiver, (id, change), sent, at),
            None => m.unmatched += 1,
        }
    }
    m
}

#[derive(Serialize, Debug)]
pub struct ReactResult {
    pub label: String,
    pub mode: &'static str,
    #[serde(flatten)]
    pub params: ReactArgs,
    /// Accounts signed up before the run, and how long that took.
    pub accounts: usize,
    pub sign_up_s: f64,
    /// Reactions sent; acked as applied (`Reaction added`/`removed`); acked
    /// `Nothing to change`; refused.
    pub sent: u64,
    pub acked: u64,
    pub unchanged: u64,
    pub refused: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_refusal: Option<String>,
    /// Deliveries of the applied reactions: each to every member of its room.
    pub expected: u64,
    pub received: u64,
    /// A change delivered twice to one client.
    pub extra: u64,
    /// Deliveries of a change no ack named (its ack came too late).
    pub unmatched: u64,
    pub delivery_ratio: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub server_cpu_s: Option<f64>,
    pub server_peak_rss_kb: Option<u64>,
    pub server_cpu_us_per_delivery: Option<f64>,
    pub server_cpu_us_per_reaction: Option<f64>,
    pub tool_cpu_s: Option<f64>,
}

pub async fn react_run(args: &Args, r: &ReactArgs) -> Result<ReactResult, String> {
    let rooms = r.rooms.max(1);
    let reactors = r.reactors.min(r.clients);
    // Reactors, and the first client of each room, who posts its messages.
    let account_count = reactors.max(rooms).min(r.clients);
    eprintln!(
        "[{}] react: {} clients, {} rooms ({} messages each), {reactors} reactors x {} reactions/s for {} s; signing up {account_count} accounts…",
        args.label, r.clients, r.rooms, r.messages, r.rate, r.duration
    );
    let signing = Instant::now();
    let indexes: Vec<usize> = (0..account_count).collect();
    let mut accounts = sign_up(args, &indexes, run_tag()).await?.into_iter();
    let sign_up_s = signing.elapsed().as_secs_f64();
    eprintln!("  signed up in {sign_up_s:.1} s");

    let tally = Arc::new(Tally::default());
    let shared = Arc::new(Shared::default());
    let plans: Vec<Plan> = (0..r.clients)
        .map(|i| Plan {
            index: i,
            source: source_address(args.one_address, i),
            join: true,
            senders: reactors,
            room: RoomName::parse(&format!("room-{}", i % rooms))
                .unwrap_or_else(|_| RoomName::general()),
            rate: (i < reactors).then_some(r.rate),
            board: None,
            sends: Sends::Reactions {
                posts: if i < rooms { r.messages.max(1) } else { 0 },
                room: i % rooms,
            },
            account: accounts.next(),
            shared: shared.clone(),
        })
        .collect();
    let mut room_sizes = vec![0u64; rooms];
    for i in 0..r.clients {
        room_sizes[i % rooms] += 1;
    }
    let (mut rx, handles) = launch(&args.url, plans, args.threads, tally.clone());
    if let Err(e) = wait_ready(&mut rx, r.clients).await {
        shared.stop.store(true, Ordering::Relaxed);
        return Err(e);
    }
    let usage = window(args, &shared, r.duration, handles).await;

    let applied = tally
        .reactions
        .lock()
        .map(|a| a.clone())
        .unwrap_or_default();
    let seen = tally
        .changes_seen
        .lock()
        .map(|s| s.clone())
        .unwrap_or_default();
    // Each applied reaction goes to every member of its room.
    let expected: u64 = applied
        .values()
        .map(|(_, room)| room_sizes[*room as usize % rooms])
        .sum();
    let mut m = match_changes(&applied, &seen);
    m.latencies_us.sort_unstable();
    let lat = &m.latencies_us;
    let sent = tally.sent.load(Ordering::Relaxed);
    let result = ReactResult {
        label: args.label.clone(),
        mode: "react",
        params: r.clone(),
        accounts: account_count,
        sign_up_s,
        sent,
        acked: tally.acked.load(Ordering::Relaxed),
        unchanged: tally.unchanged.load(Ordering::Relaxed),
        refused: tally.refused.load(Ordering::Relaxed),
        first_refusal: tally.first_refusal.lock().ok().and_then(|f| f.clone()),
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
        server_cpu_us_per_reaction: usage.server_cpu_s.map(|s| s * 1e6 / sent.max(1) as f64),
        tool_cpu_s: usage.tool_cpu_s,
    };
    println!(
        "{:<8} clients {:>5} rooms {:>3} reactors {:>4} x {:>6.1}/s  sent {:>7} applied {:>7} unchanged {} refused {}  deliveries {:>9}/{:<9} ratio {:.4}  p50 {:>8.2} ms p90 {:>8.2} ms p99 {:>8.2} ms max {:>8.2} ms",
        result.label, r.clients, r.rooms, reactors, r.rate, result.sent, result.acked, result.unchanged,
        result.refused, result.received, result.expected, result.delivery_ratio,
        result.p50_ms, result.p90_ms, result.p99_ms, result.max_ms
    );
    if result.extra + result.unmatched > 0 {
        println!(
            "         {} changes delivered twice, {} deliveries of changes no ack named",
            result.extra, result.unmatched
        );
    }
    if let Some(first) = &result.first_refusal {
        println!("         first refusal: {first}");
    }
    print_usage(
        &usage,
        r.duration,
        args.threads,
        &[
            ("delivery", result.received as f64),
            ("reaction", result.sent as f64),
        ],
    );
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use huddle::protocol::reactions::Emoji;

    #[test]
    fn every_emoji_is_one_the_server_takes() {
        for e in EMOJI {
            assert!(Emoji::parse(e).is_ok(), "{e}");
        }
        assert!(EMOJI.len() < huddle::protocol::limits::MAX_REACTIONS_PER_MESSAGE);
    }

    #[test]
    fn reactions_go_on_and_off_in_turn_moving_on_each_pair() {
        for reactor in [0, 3, 49] {
            for k in (0..40).step_by(2) {
                let on = reaction(reactor, k, 5);
                let off = reaction(reactor, k + 1, 5);
                assert!(on.on && !off.on);
                // The one taken back is the one just added.
                assert_eq!((on.message, on.emoji), (off.message, off.emoji));
                // The next pair: another emoji, another message.
                let next = reaction(reactor, k + 2, 5);
                assert_ne!(next.emoji, on.emoji);
                assert_ne!(next.message, on.message);
                assert!(on.message < 5);
            }
        }
        // Reactors start at different places.
        assert_ne!(reaction(0, 0, 5), reaction(1, 0, 5));
        // One message: always that one.
        assert_eq!(reaction(7, 9, 1).message, 0);
    }

    #[test]
    fn deliveries_match_the_change_their_reaction_made() {
        let applied = HashMap::from([((10, 1), (1_000, 0)), ((10, 2), (2_000, 0))]);
        let seen = [
            (0, 10, 1, 1_300),
            (1, 10, 1, 1_500),
            (0, 10, 2, 2_100),
            (0, 10, 2, 2_200), // twice to client 0
            (1, 11, 1, 1_400), // a change no ack named
        ];
        let m = match_changes(&applied, &seen);
        assert_eq!(m.received, 3);
        assert_eq!(m.latencies_us, vec![300, 500, 100]);
        assert_eq!(m.extra, 1);
        assert_eq!(m.unmatched, 1);
    }
}
