//! Everything Huddle keeps: accounts, login sessions, rooms, messages,
//! memberships, direct messages and whiteboards. One narrow interface
//! ([`Store`]) over sqlx; the embedded default is SQLite in a file (WAL
//! mode, a pool), created and migrated on first run with no manual step.
//!
//! One file per table family, its methods on [`Store`] and its row
//! mapping beside them: `accounts` (users), `sessions`, `rooms` (a room's
//! row as the message writer makes it), `membership` (rooms' kinds and
//! settings, memberships and roles, the directory, server admins),
//! `invites` (invite links to rooms), `messages` (room history), `direct` (direct messages), `board`
//! (whiteboards). Beneath them: `backend` (which
//! database, its pools, settings and migrations), `writer` (the
//! group-commit writer of room messages, and `room_ids`, its cache),
//! `page` (history paging) and `housekeeping` (deleting what nothing needs
//! any more).

use sqlx::AnyPool;
use std::time::Duration;
use tokio::sync::mpsc;

mod accounts;
mod audit;
mod backend;
mod board;
mod changes;
mod direct;
mod direct_changes;
mod housekeeping;
mod invites;
mod membership;
mod message_changes;
mod message_rows;
mod messages;
mod moderation;
mod page;
mod read_state;
mod room_ids;
mod room_settings;
mod rooms;
mod sessions;
mod standing;
#[cfg(test)]
pub(crate) mod test_db;
mod threads;
mod writer;

pub use accounts::{NameClash, User};
pub use audit::Audit;
pub use backend::{SqliteSynchronous, StoreOptions};
pub use board::{BoardApplied, BoardClient, BoardLimits, BoardUsage};
pub use changes::RoomChange;
pub use direct_changes::{DmAuthorship, DmChange};
pub use housekeeping::HOUSEKEEPING_EVERY;
pub use invites::{Accepted, LinkMade, MadeLink, NewInviteLink, Revoked};
pub use membership::{Added, Created, Entered, NewRoom, RoleSet};
pub use message_changes::Changed;
pub use moderation::{DeletedMessage, SanctionKind};
pub use room_ids::RoomMeta;
pub use standing::{now_ms, Standing, Until};
pub use threads::{NewReply, Replied, ThreadRead};

use backend::{checkpoints, Backend, Pools};
use writer::AppendJob;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} is already taken")]
    Conflict(String),
    /// A new account's name looks like an existing account's (the same
    /// UTS #39 skeleton): `existing`.
    #[error("{name} looks like the registered name {existing}")]
    LooksLike {
        name: crate::protocol::Username,
        existing: crate::protocol::Username,
    },
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

/// Who sent a room message, as its retry key knows them: an account, or a
/// guest. Never a display name: guests may share one, and a retry must
/// never be answered with someone else's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Author {
    Account(i64),
    /// A guest, by an opaque identity: see [`Author::connection`] and
    /// [`Author::keyed_guest`].
    Guest(String),
}

impl Author {
    /// A guest known by its connection only (its socket's id: random,
    /// unique to the connection).
    pub fn connection(socket_id: &str) -> Self {
        Author::Guest(format!("c:{socket_id}"))
    }

    /// A guest that presented its page's secret key at the handshake: the
    /// same guest on every reconnect. Stored as the key's SHA-256, never
    /// the key itself.
    pub fn keyed_guest(key: &crate::protocol::account::GuestKey) -> Self {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(key.as_str().as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        Author::Guest(format!("k:{hex}"))
    }

    /// The account, if the author has one.
    pub fn account(&self) -> Option<i64> {
        match self {
            Author::Account(id) => Some(*id),
            Author::Guest(_) => None,
        }
    }

    /// The stored key: `u:<account id>`, or the guest's identity.
    fn key(&self) -> String {
        match self {
            Author::Account(id) => format!("u:{id}"),
            Author::Guest(guest) => guest.clone(),
        }
    }
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
    /// The byte budgets of boards.
    board_limits: BoardLimits,
    /// What rooms are (kind, flags), for the guards: see `membership.rs`.
    metas: std::sync::Arc<room_ids::RoomMetas>,
    /// Accounts' standings in rooms, for the guards: see `standing.rs`.
    standings: std::sync::Arc<standing::Standings>,
    /// Whether accounts are server admins: see `standing.rs`.
    admins: std::sync::Arc<standing::Admins>,
    /// Counts the rooms changed or deleted, for the message writer's cache
    /// of room ids (see `writer::start`).
    changed_rooms: std::sync::Arc<std::sync::atomic::AtomicU64>,
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
        accounts::fill_name_keys(&writer).await?;
        let changed_rooms = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let appends = writer::start(backend, writer.clone(), changed_rooms.clone());
        if backend == Backend::Sqlite {
            tokio::spawn(checkpoints(reader.clone(), writer.clone()));
        }
        Ok(Self {
            reader,
            writer,
            appends,
            board_limits: BoardLimits::DEFAULT,
            metas: Default::default(),
            standings: Default::default(),
            admins: Default::default(),
            changed_rooms,
        })
    }

    /// This store with boards bounded by `limits` (the defaults:
    /// [`BoardLimits::DEFAULT`]).
    pub fn with_board_limits(mut self, limits: BoardLimits) -> Self {
        self.board_limits = limits;
        self
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
    time_text(chrono::Utc::now())
}

/// A time as the store writes it: RFC 3339, UTC, milliseconds, which sorts
/// as text.
pub fn time_text(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
