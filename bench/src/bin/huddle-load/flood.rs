//! `flood` mode: one more client sending `send-message` to `general` as
//! fast as its socket takes it, beside a measured `chat` run; what became
//! of its flood.

use crate::chat::ChatResult;
use crate::client::{connect, Ws};
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

pub fn print_flood(quiet: &ChatResult, flooded: &ChatResult) {
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
pub struct FloodTally {
    pub connections: u64,
    pub sent: u64,
    pub accepted: u64,
    pub rate_limited: u64,
    pub other_errors: u64,
    pub kicked: u64,
    /// Reconnections refused with HTTP 429.
    pub handshakes_refused: u64,
    pub first_refusal: Option<String>,
}

/// One client sending `send-message` to `general` as fast as its socket
/// takes it from `start` to `end`, reading (and answering pings) whenever
/// something came in; reconnects when the server lets go of it. Raw
/// Engine.IO frames: it must not be slowed by anything but the socket.
pub fn flooder(
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

pub async fn flood_once(
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
