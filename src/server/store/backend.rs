//! The two databases: which one a URL names, their pools and settings
//! (SQLite: WAL, pragmas, one writing connection), the migrations, and
//! SQLite's write-ahead log checkpoints beside the writer.

use super::StoreError;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};
use std::time::Duration;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn of(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Failed(format!(
                "unsupported database URL {:?}: use sqlite://<file> or postgres://<user>@<host>/<database>",
                url.split(['@', '?']).next().unwrap_or_default()
            )))
        }
    }
}

/// `url` asking SQLite to create the file if it is missing.
fn sqlite_url(url: &str) -> String {
    if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// A pool of SQLite connections with Huddle's settings: WAL, normal
/// synchronisation, foreign keys, a 5 s busy timeout, and no checkpoint
/// inside a commit (`checkpoints` does them beside the writer).
fn sqlite_pool(connections: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(connections)
        .after_connect(|conn, _| {
            Box::pin(async move {
                for pragma in [
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA synchronous = NORMAL",
                    "PRAGMA foreign_keys = ON",
                    "PRAGMA busy_timeout = 5000",
                    "PRAGMA wal_autocheckpoint = 0",
                ] {
                    conn.execute(pragma).await?;
                }
                Ok(())
            })
        })
}

/// A database's pools, its migrations applied.
pub(super) struct Pools {
    pub backend: Backend,
    pub reader: AnyPool,
    pub writer: AnyPool,
}

/// Opens the database at `url` and applies the migrations (see
/// [`Store::connect`](super::Store::connect)).
pub(super) async fn open(url: &str) -> Result<Pools, StoreError> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of(url)?;
    let (reader, writer) = match backend {
        Backend::Sqlite => {
            let url = sqlite_url(url);
            // One writing connection: SQLite has one writer at a time.
            let writer = sqlite_pool(1).connect(&url).await?;
            sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
            let reader = sqlite_pool(8).connect(&url).await?;
            (reader, writer)
        }
        Backend::Postgres => {
            let writer = AnyPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(5))
                .connect(url)
                .await?;
            sqlx::migrate!("./migrations/postgres").run(&writer).await?;
            let reader = AnyPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(5))
                .connect(url)
                .await?;
            (reader, writer)
        }
    };
    Ok(Pools {
        backend,
        reader,
        writer,
    })
}

/// How often the write-ahead log is copied back into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// Past this many frames (4 KiB pages) in the log, the writer restarts it.
const RESTART_LOG_FRAMES: i64 = 4096;

/// Keeps the write-ahead log short without making a commit pay for it.
///
/// SQLite's automatic checkpoint (off, see `sqlite_pool`) runs inside the
/// commit that crosses 1,000 pages, and that commit, with every message
/// waiting on it, pays for copying the log back: the slowest commits
/// measured (2.5 to 10 ms) were those. Here, once a second, a reading
/// connection copies the log back in PASSIVE mode, which neither waits for
/// nor blocks the writer. Under steady writes a passive checkpoint never
/// quite catches up, and only a complete one lets SQLite start the log
/// over; so when the log passes `RESTART_LOG_FRAMES` (16 MiB), the writer's
/// own connection checkpoints in RESTART mode between two batches, with
/// little left to copy. Ends when the pools are closed.
pub(super) async fn checkpoints(reader: AnyPool, writer: AnyPool) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if reader.is_closed() || writer.is_closed() {
            return;
        }
        let passive: Result<(i64, i64, i64), sqlx::Error> =
            sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&reader)
                .await;
        let log_frames = match passive {
            Ok((_, log, _)) => log,
            Err(e) => {
                if !reader.is_closed() {
                    tracing::warn!(error = %e, "WAL checkpoint failed; retrying in a second");
                }
                continue;
            }
        };
        if log_frames > RESTART_LOG_FRAMES {
            let restart: Result<(i64, i64, i64), sqlx::Error> =
                sqlx::query_as("PRAGMA wal_checkpoint(RESTART)")
                    .fetch_one(&writer)
                    .await;
            if let Err(e) = restart {
                if !writer.is_closed() {
                    tracing::warn!(error = %e, "WAL restart failed; retrying in a second");
                }
            }
        }
    }
}
