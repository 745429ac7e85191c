//! The last-page history query in a room of 1,000,000 messages, on SQLite:
//! what every person entering a busy room waits for.
//!
//!     cargo bench -p huddle-bench --bench history
//!
//! Seeds a fresh database file (the store's own migrations, then one bulk
//! insert), then times `Store::history(room, Latest, 50)` and reports the
//! percentiles. Options: `--messages N` (default 1000000), `--queries N`
//! (default 5000).
//!
//! Run as a test (`cargo test -p huddle-bench --bench history`, or
//! `cargo bench -p huddle-bench -- --test`), as criterion's benches are, it
//! checks that it works on a small room: 1000 messages, 20 queries.

use huddle::protocol::history::Cursor;
use huddle::protocol::RoomName;
use huddle::server::store::Store;
use std::time::{Duration, Instant};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` passes `--bench`; `cargo test --bench history` does not.
    let args: Vec<String> = std::env::args().collect();
    let as_test = args.iter().any(|a| a == "--test") || !args.iter().any(|a| a == "--bench");
    let (messages, queries) = if as_test {
        (1_000, 20)
    } else {
        (1_000_000, 5_000)
    };
    let messages = arg("--messages", messages);
    let queries = arg("--queries", queries);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bench.db");
    let url = format!("sqlite://{}", path.display());
    let store = Store::connect(&url).await?;

    eprintln!("seeding {messages} messages in room `busy` (and 1000 in `quiet`)…");
    let started = Instant::now();
    let seed = sqlx::SqlitePool::connect(&url).await?;
    sqlx::query("INSERT INTO rooms (name, last_seq) VALUES ('busy', ?), ('quiet', 1000)")
        .bind(messages as i64)
        .execute(&seed)
        .await?;
    sqlx::query(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?) \
         INSERT INTO messages (room_id, seq, username, body, created_at) \
         SELECT (SELECT id FROM rooms WHERE name = 'busy'), x, 'user' || (x % 50), \
                'message number ' || x || ' with some ordinary chat text in it', \
                '2026-11-25T19:08:57.123Z' FROM n",
    )
    .bind(messages as i64)
    .execute(&seed)
    .await?;
    sqlx::query(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000) \
         INSERT INTO messages (room_id, seq, username, body, created_at) \
         SELECT (SELECT id FROM rooms WHERE name = 'quiet'), x, 'u', 'm', '2026-11-25T19:08:57.123Z' FROM n",
    )
    .execute(&seed)
    .await?;
    seed.close().await;
    eprintln!("seeded in {:.1} s", started.elapsed().as_secs_f64());

    let room = RoomName::parse("busy")?;
    // Warm up the cache, as a running server would be.
    for _ in 0..200 {
        store.history(&room, Cursor::Latest, 50).await?;
    }
    let mut times = Vec::with_capacity(queries as usize);
    for _ in 0..queries {
        let t = Instant::now();
        let (page, more) = store.history(&room, Cursor::Latest, 50).await?;
        times.push(t.elapsed());
        assert!(page.len() == 50 && more && page[49].seq == messages as i64);
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "last-page history query, room of {messages} messages, page of 50, {queries} queries:"
    );
    println!(
        "  p50 {:.3} ms   p90 {:.3} ms   p99 {:.3} ms   max {:.3} ms",
        ms(pct(0.50)),
        ms(pct(0.90)),
        ms(pct(0.99)),
        ms(*times.last().unwrap_or(&Duration::ZERO))
    );
    Ok(())
}
