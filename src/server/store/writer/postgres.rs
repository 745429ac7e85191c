//! The PostgreSQL side of the writer: a batch a statement at a time, its
//! rooms locked in id order, tried again on a conflict with another node.

use super::AppendJob;
use crate::protocol::chat::{ClientMessageId, NewMessage as StoredMessage};
use crate::server::store::message_rows::select_by_client_id;
use crate::server::store::room_ids::RoomIds;
use crate::server::store::rooms::room_id;
use crate::server::store::{Appended, StoreError};
use sqlx::AnyPool;

/// Times [`store_batch`] tries a batch that PostgreSQL refused for a
/// conflict with another node's transaction.
const POSTGRES_TRIES: usize = 3;

/// PostgreSQL: the batch in one transaction, a statement at a time; same
/// outcome as `sqlite::store_batch_sqlite`. Several nodes write to one database:
/// the transaction first locks the batch's rooms in id order, so two
/// nodes' batches queue on their first shared room instead of
/// deadlocking, and a retried send reaching two nodes at once finds the
/// one the other stored (its room's lock is held until that commit). Should
/// PostgreSQL still refuse the batch for a conflict (a unique violation, a
/// deadlock, a serialization failure), the batch is tried again, and its
/// retried sends are then found stored: other people's messages in it are
/// not failed for them.
pub(super) async fn store_batch(
    writer: &AnyPool,
    rooms: &mut RoomIds,
    batch: &[AppendJob],
) -> Result<Vec<Appended<StoredMessage>>, StoreError> {
    let mut tries = 0;
    loop {
        tries += 1;
        match store_batch_once(writer, rooms, batch).await {
            Err(StoreError::Database(e)) if tries < POSTGRES_TRIES && is_conflict(&e) => {
                tracing::debug!(error = %e, tries, "a batch met another node's; trying again");
                // Rooms the rolled-back transaction created are gone.
                rooms.clear();
            }
            other => return other,
        }
    }
}

/// Whether PostgreSQL refused a transaction for a conflict with another:
/// unique violation, deadlock, serialization failure.
fn is_conflict(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| matches!(code.as_ref(), "23505" | "40P01" | "40001"))
}

async fn store_batch_once(
    writer: &AnyPool,
    rooms: &mut RoomIds,
    batch: &[AppendJob],
) -> Result<Vec<Appended<StoredMessage>>, StoreError> {
    let mut tx = writer.begin().await?;
    let mut ids = Vec::new();
    for job in batch {
        // `contains_key` marks the room recently used.
        let cached = if rooms.contains_key(&job.message.room) {
            rooms.get(&job.message.room).copied()
        } else {
            None
        };
        let id = match cached {
            Some(id) => id,
            None => {
                let id = room_id(&mut tx, &job.message.room).await?;
                rooms.insert(job.message.room.clone(), id);
                id
            }
        };
        ids.push(id);
    }
    let mut locks = ids.clone();
    locks.sort_unstable();
    locks.dedup();
    for room in locks {
        sqlx::query("SELECT id FROM rooms WHERE id = $1 FOR UPDATE")
            .bind(room)
            .fetch_optional(&mut *tx)
            .await?;
    }
    let mut results = Vec::with_capacity(batch.len());
    for (job, room_id) in batch.iter().zip(ids) {
        let m = &job.message;
        let client_id = m.client_id.as_ref().map(ClientMessageId::as_str);
        if let Some(client_id) = client_id {
            if let Some(existing) =
                select_by_client_id(&mut tx, room_id, &job.author_key, client_id).await?
            {
                results.push(Appended::Duplicate(existing));
                continue;
            }
        }
        let seq: i64 = sqlx::query_scalar(
            "UPDATE rooms SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq",
        )
        .bind(room_id)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO messages \
             (room_id, seq, username, user_id, body, created_at, client_id, author_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(room_id)
        .bind(seq)
        .bind(m.username.as_str())
        .bind(job.user_id)
        .bind(m.message.as_str())
        .bind(m.timestamp.0.as_str())
        .bind(client_id)
        .bind(job.author_key.as_str())
        .fetch_one(&mut *tx)
        .await?;
        results.push(Appended::New(StoredMessage {
            id,
            seq,
            ..m.clone()
        }));
    }
    tx.commit().await?;
    Ok(results)
}
