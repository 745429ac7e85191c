//! The two databases: which one a URL names, their pools and settings
//! (SQLite: WAL, pragmas, one writing connection), the migrations, and
//! SQLite's write-ahead log checkpoints beside the writer.
//!
//! SQLite syncs every commit by default (`synchronous = FULL`): in WAL mode
//! `NORMAL` syncs only at checkpoints, so a power cut can take back
//! commits whose messages were already acked and delivered.
//! `HUDDLE_SQLITE_SYNCHRONOUS=normal` chooses speed over that, knowingly.

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

/// How SQLite makes a commit durable (`PRAGMA synchronous`), in WAL mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SqliteSynchronous {
    /// Every commit is synced to the disk before it returns: an acked
    /// message survives a power cut. The default.
    #[default]
    Full,
    /// The log is synced at checkpoints only: faster, and the last commits
    /// before a power cut (or an OS crash) may be lost, though never
    /// corrupted. A process crash loses nothing either way.
    Normal,
}

impl SqliteSynchronous {
    fn pragma(self) -> &'static str {
        match self {
            Self::Full => "PRAGMA synchronous = FULL",
            Self::Normal => "PRAGMA synchronous = NORMAL",
        }
    }
}

/// How the store opens its database, beyond the URL.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreOptions {
    /// SQLite only; PostgreSQL keeps its own settings.
    pub sqlite_synchronous: SqliteSynchronous,
}

/// A pool of SQLite connections with Huddle's settings: WAL, `synchronous`
/// as configured, foreign keys, a 5 s busy timeout, and no checkpoint
/// inside a commit (`checkpoints` does them beside the writer).
///
/// No ping when a connection is taken from the pool: an SQLite connection
/// is a file in this process, with no peer to hang up, and sqlx's ping is a
/// round trip to the connection's thread (two thread wake-ups) before every
/// use: before each batch of the message writer, the hot path (at 25,000
/// deliveries/s, 1.4 fewer context switches per message on sqlx's thread;
/// the CPU saved is within the spread between runs; docs/performance.md,
/// "What Huddle adds above the library"). A broken connection still fails
/// its query, and sqlx still pings a connection when it goes back.
fn sqlite_pool(connections: u32, synchronous: SqliteSynchronous) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(connections)
        .test_before_acquire(false)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                for pragma in [
                    "PRAGMA journal_mode = WAL",
                    synchronous.pragma(),
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
pub(super) async fn open(url: &str, options: StoreOptions) -> Result<Pools, StoreError> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of(url)?;
    let (reader, writer) = match backend {
        Backend::Sqlite => {
            let url = sqlite_url(url);
            // One writing connection: SQLite has one writer at a time.
            let synchronous = options.sqlite_synchronous;
            let writer = sqlite_pool(1, synchronous).connect(&url).await?;
            sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
            let reader = sqlite_pool(8, synchronous).connect(&url).await?;
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

#[cfg(test)]
mod tests {
    use super::super::test_db;

    /// `PRAGMA synchronous` of the writing connection: 2 is FULL, 1 NORMAL.
    async fn synchronous(store: &super::super::Store) -> i64 {
        sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&store.writer)
            .await
            .expect("SQLite answers")
    }

    #[tokio::test]
    async fn sqlite_connections_are_not_pinged_when_taken() {
        let (store, _dir) = test_db::sqlite().await;
        assert!(!store.writer.options().get_test_before_acquire());
        assert!(!store.reader.options().get_test_before_acquire());
    }

    #[tokio::test]
    async fn sqlite_commits_are_durable_by_default() {
        let (store, _dir) = test_db::sqlite().await;
        assert_eq!(synchronous(&store).await, 2, "FULL");
    }

    #[tokio::test]
    async fn sqlite_may_be_told_to_sync_at_checkpoints_only() {
        use super::{SqliteSynchronous, StoreOptions};
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let options = StoreOptions {
            sqlite_synchronous: SqliteSynchronous::Normal,
        };
        let store = super::super::Store::connect_with(&url, options)
            .await
            .unwrap();
        assert_eq!(synchronous(&store).await, 1, "NORMAL");
        // Reopened with the default, the same file is FULL again: the
        // setting belongs to the connection, not to the file.
        store.close().await;
        let store = super::super::Store::connect(&url).await.unwrap();
        assert_eq!(synchronous(&store).await, 2, "FULL");
    }
}
