//! Everything Huddle keeps: accounts, login sessions, rooms, messages,
//! memberships, direct messages and whiteboards. One narrow interface
//! ([`Store`]) over sqlx; the embedded default is SQLite in a file (WAL
//! mode, a pool), created and migrated on first run with no manual step.
//!
//! One file per table family, its methods on [`Store`] and its row
//! mapping beside them: `accounts` (users), `sessions`, `rooms` (rooms and
//! remembered rooms), `messages` (room history), `direct` (direct
//! messages), `board` (whiteboards). Beneath them: `backend` (which
//! database, its pools, settings and migrations), `writer` (the
//! group-commit writer of room messages) and `page` (history paging).

use sqlx::AnyPool;
use std::time::Duration;
use tokio::sync::mpsc;

mod accounts;
mod backend;
mod board;
mod direct;
mod message_rows;
mod messages;
mod page;
mod rooms;
mod sessions;
#[cfg(test)]
pub(crate) mod test_db;
mod writer;

pub use accounts::User;
pub use backend::{SqliteSynchronous, StoreOptions};
pub use board::BoardApplied;

use backend::{checkpoints, Backend, Pools};
use writer::AppendJob;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} is already taken")]
    Conflict(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("storing failed: {0}")]
    Failed(String),
    /// The writer's batch this message was in failed: every message of it
    /// is answered with the batch's error.
    #[error("storing failed: {0}")]
    Batch(#[source] std::sync::Arc<StoreError>),
    #[error("storing failed: {0}")]
    Encoding(#[from] serde_json::Error),
}

/// What an append did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended<T> {
    /// Stored now: broadcast it.
    New(T),
    /// This sender already stored a message with this client id: the
    /// original, not to be broadcast again.
    Duplicate(T),
}

/// SQLite allows one writer at a time. Writes go through a pool of one
/// connection, so they queue in-process instead of colliding in SQLite and
/// sleeping in its busy handler (which added 50-100 ms to sends under
/// load); reads use their own pool and run beside the writer (WAL).
///
/// Room messages, the hot path, are stored by one writer task with group
/// commit: it takes every append waiting when it is free and stores them in
/// one transaction, in arrival order (so per-room sequence numbers stay
/// gapless and ordered), then answers each. One commit per batch instead of
/// one per message is what lets the single writer keep up under load.
#[derive(Clone)]
pub struct Store {
    reader: AnyPool,
    writer: AnyPool,
    appends: mpsc::Sender<AppendJob>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store(..)")
    }
}

impl Store {
    /// Opens the database at `url` and applies the migrations: SQLite
    /// (`sqlite://data/huddle.db`, the file created if needed) or
    /// PostgreSQL (`postgres://user@host/db`, the database must exist).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, StoreOptions::default()).await
    }

    /// [`Self::connect`] with `options` (SQLite's durability).
    pub async fn connect_with(url: &str, options: StoreOptions) -> Result<Self, StoreError> {
        let Pools {
            backend,
            reader,
            writer,
        } = backend::open(url, options).await?;
        let appends = writer::start(backend, writer.clone());
        if backend == Backend::Sqlite {
            tokio::spawn(checkpoints(reader.clone(), writer.clone()));
        }
        Ok(Self {
            reader,
            writer,
            appends,
        })
    }

    /// Waits until every queued message is stored, then closes the
    /// database (SQLite checkpoints its write-ahead log). For shutdown:
    /// afterwards every call fails.
    pub async fn close(&self) {
        while self.appends.capacity() < self.appends.max_capacity() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Waits for the writer's transaction in progress, if any.
        self.writer.close().await;
        self.reader.close().await;
    }

    /// Answers when the database does.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }
}

/// A transaction, on either backend.
type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

/// Now, as stored in `created_at` and `revoked_at` columns.
fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
