//! Room messages, the hot path: one writer task per store with group
//! commit. It takes every append waiting when it is free and stores them in
//! one transaction, in arrival order: on SQLite as few scripts as possible
//! (`sqlite`), on PostgreSQL a statement at a time, its rooms locked in
//! order and the batch tried again on a conflict with another node
//! (`postgres`).

mod postgres;
mod sqlite;
#[cfg(test)]
mod tests;

use super::backend::Backend;
use super::room_ids::RoomIds;
use super::{Appended, Author, StoreError};
use crate::protocol::chat::{ClientMessageId, NewMessage as StoredMessage, Timestamp};
use crate::protocol::{MessageText, RoomName, Username};
use postgres::store_batch;
use sqlite::{store_batch_sqlite, SqliteScripts};
use sqlx::AnyPool;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// One message waiting for the writer task (`id` and `seq` not yet set).
pub(super) struct AppendJob {
    pub(super) message: StoredMessage,
    pub(super) user_id: Option<i64>,
    /// The author's retry key ([`Author`]).
    pub(super) author_key: String,
    reply: oneshot::Sender<Result<Appended<StoredMessage>, StoreError>>,
}

pub(super) type AppendAnswer = oneshot::Receiver<Result<Appended<StoredMessage>, StoreError>>;

impl AppendJob {
    /// A job for `room`'s next message, and where its outcome arrives.
    pub(super) fn new(
        room: &RoomName,
        author: &Username,
        by: &Author,
        body: &MessageText,
        client_id: Option<&ClientMessageId>,
        timestamp: &Timestamp,
    ) -> (Self, AppendAnswer) {
        let (reply, answer) = oneshot::channel();
        let job = AppendJob {
            message: StoredMessage {
                id: 0,
                seq: 0,
                room: room.clone(),
                username: author.clone(),
                message: body.clone(),
                timestamp: timestamp.clone(),
                client_id: client_id.cloned(),
                deleted: false,
                edited: None,
                reactions: Vec::new(),
                change: 0,
                thread: None,
                in_room: false,
                replies: None,
            },
            user_id: by.account(),
            author_key: by.key(),
            reply,
        };
        (job, answer)
    }
}

/// Most appends stored in one transaction.
const MAX_BATCH: usize = 256;

/// Starts a store's writer task on `writer`: it stores the jobs sent to
/// the returned sender, and ends once every clone of it is dropped.
pub(super) fn start(
    backend: Backend,
    writer: AnyPool,
    changed_rooms: Arc<AtomicU64>,
) -> mpsc::Sender<AppendJob> {
    let (appends, jobs) = mpsc::channel(4 * MAX_BATCH);
    tokio::spawn(write_appends(backend, writer, jobs, changed_rooms));
    appends
}

/// The writer task: batches of appends, one transaction each.
/// `changed_rooms` counts the rooms changed or deleted (see
/// `Store::forget_change`): when it moved since the last batch, the room
/// ids this task cached are dropped, so that no message goes to the id of
/// a deleted room.
async fn write_appends(
    backend: Backend,
    writer: AnyPool,
    mut jobs: mpsc::Receiver<AppendJob>,
    changed_rooms: Arc<AtomicU64>,
) {
    let mut rooms = RoomIds::default();
    let mut scripts = SqliteScripts::default();
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut seen = changed_rooms.load(Ordering::Acquire);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let now = changed_rooms.load(Ordering::Acquire);
        if now != seen {
            rooms.clear();
            seen = now;
        }
        let started = std::time::Instant::now();
        let stored = match backend {
            Backend::Sqlite => store_batch_sqlite(&writer, &mut rooms, &mut scripts, &batch).await,
            Backend::Postgres => store_batch(&writer, &mut rooms, &batch).await,
        };
        metrics::histogram!("huddle_db_write_seconds").record(started.elapsed().as_secs_f64());
        metrics::histogram!("huddle_db_write_batch").record(batch.len() as f64);
        match stored {
            Ok(results) => {
                for (job, result) in batch.drain(..).zip(results) {
                    let _ = job.reply.send(Ok(result));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, messages = batch.len(), "storing messages failed");
                // A failed transaction may have created rooms that are gone.
                rooms.clear();
                let e = std::sync::Arc::new(e);
                for job in batch.drain(..) {
                    let _ = job.reply.send(Err(StoreError::Batch(e.clone())));
                }
            }
        }
    }
}
