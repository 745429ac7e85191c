//! The SQLite side of the writer: a batch in as few scripts as possible.

use super::AppendJob;
use crate::protocol::chat::{ClientMessageId, NewMessage as StoredMessage};
use crate::server::store::message_rows::select_by_client_id;
use crate::server::store::room_ids::RoomIds;
use crate::server::store::rooms::room_id;
use crate::server::store::{Appended, StoreError};
use sqlx::{AnyPool, Row};
use std::collections::HashMap;

/// Messages in one SQLite script (see [`store_batch_sqlite`]); a larger
/// batch takes several scripts, in one transaction. This also bounds the
/// prepared scripts sqlx caches on the writer's connection.
pub(super) const SQLITE_SCRIPT_BATCH: usize = 16;

/// SQLite: the batch in one transaction of as few scripts as possible (one
/// up to [`SQLITE_SCRIPT_BATCH`] messages), and so one round trip to sqlx's
/// database thread instead of four or more per message (BEGIN, the
/// sequence bump, the insert, COMMIT, and a look-up per client id), each of
/// which cost two thread wake-ups. For every message a script bumps the
/// room's sequence and inserts the message under it, both skipped when
/// this author already stored the message's client id (a retried send);
/// the inserts return their ids and numbers. Same outcome as
/// `postgres::store_batch`, which PostgreSQL uses: it takes no multi-statement
/// queries with parameters. All or nothing, as there: a failure rolls the
/// whole batch back.
pub(super) async fn store_batch_sqlite(
    writer: &AnyPool,
    rooms: &mut RoomIds,
    scripts: &mut SqliteScripts,
    batch: &[AppendJob],
) -> Result<Vec<Appended<StoredMessage>>, StoreError> {
    let mut conn = writer.acquire().await?;
    for job in batch {
        if !rooms.contains_key(&job.message.room) {
            let id = room_id(&mut conn, &job.message.room).await?;
            rooms.insert(job.message.room.clone(), id);
        }
    }
    let stored = sqlite_append_batch(&mut conn, rooms, scripts, batch).await;
    if stored.is_err() {
        // A script stopped part-way: end the transaction here, so the
        // connection goes back to the pool without one.
        if let Err(rollback) = sqlx::query("ROLLBACK").execute(&mut *conn).await {
            tracing::debug!(error = %rollback, "rollback after a failed append");
        }
    }
    stored
}

/// The scripts of [`store_batch_sqlite`], on its connection; leaves the
/// transaction open when it fails.
async fn sqlite_append_batch(
    conn: &mut sqlx::AnyConnection,
    rooms: &RoomIds,
    scripts: &mut SqliteScripts,
    batch: &[AppendJob],
) -> Result<Vec<Appended<StoredMessage>>, StoreError> {
    let chunks = batch.chunks(SQLITE_SCRIPT_BATCH).count();
    let mut results = Vec::with_capacity(batch.len());
    for (i, chunk) in batch.chunks(SQLITE_SCRIPT_BATCH).enumerate() {
        let script = scripts.get(chunk.len(), i == 0, i + 1 == chunks);
        // Built from numbers only (see sqlite_append_script): no input in the SQL.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(script));
        for job in chunk {
            let m = &job.message;
            let room = rooms
                .get(&m.room)
                .copied()
                .ok_or_else(|| StoreError::Failed(format!("room {} has no id", m.room.as_str())))?;
            query = query
                .bind(room)
                .bind(m.username.as_str())
                .bind(job.user_id)
                .bind(m.message.as_str())
                .bind(m.timestamp.0.as_str())
                .bind(m.client_id.as_ref().map(ClientMessageId::as_str))
                .bind(job.author_key.as_str());
        }
        let mut stored: Vec<Option<(i64, i64)>> = vec![None; chunk.len()];
        for row in query.fetch_all(&mut *conn).await? {
            let job: i64 = row.try_get("job")?;
            if let Some(slot) = usize::try_from(job).ok().and_then(|j| stored.get_mut(j)) {
                *slot = Some((row.try_get("id")?, row.try_get("seq")?));
            }
        }
        for (job, stored) in chunk.iter().zip(stored) {
            let m = &job.message;
            let appended = match (stored, m.client_id.as_ref()) {
                (Some((id, seq)), _) => Appended::New(StoredMessage {
                    id,
                    seq,
                    ..m.clone()
                }),
                (None, Some(client_id)) => {
                    let room = rooms.get(&m.room).copied().ok_or_else(|| {
                        StoreError::Failed(format!("room {} has no id", m.room.as_str()))
                    })?;
                    select_by_client_id(conn, room, &job.author_key, client_id.as_str())
                        .await?
                        .map(Appended::Duplicate)
                        .ok_or_else(|| {
                            StoreError::Failed("a message was neither stored nor found".into())
                        })?
                }
                (None, None) => {
                    return Err(StoreError::Failed(format!(
                        "room {} was not found",
                        m.room.as_str()
                    )))
                }
            };
            results.push(appended);
        }
    }
    Ok(results)
}

/// The scripts of [`sqlite_append_script`], each written once.
#[derive(Default)]
pub(super) struct SqliteScripts(HashMap<(usize, bool, bool), std::sync::Arc<str>>);

impl SqliteScripts {
    fn get(&mut self, n: usize, begin: bool, commit: bool) -> std::sync::Arc<str> {
        self.0
            .entry((n, begin, commit))
            .or_insert_with(|| sqlite_append_script(n, begin, commit).into())
            .clone()
    }
}

/// A SQLite script storing `n` messages, opening the transaction if
/// `begin`, committing it if `commit`. Message k's values are parameters
/// 7k+1 to 7k+7: room id, author, author's account, text, time, client id,
/// author's retry key. `job` in the returned rows is k (a number this
/// function writes, never input).
fn sqlite_append_script(n: usize, begin: bool, commit: bool) -> String {
    use std::fmt::Write;
    let mut sql = String::from(if begin { "BEGIN IMMEDIATE;" } else { "" });
    for k in 0..n {
        let p = |i: usize| 7 * k + i;
        let (room, author, account, body, time, client, key) =
            (p(1), p(2), p(3), p(4), p(5), p(6), p(7));
        let fresh = format!(
            "NOT EXISTS (SELECT 1 FROM messages WHERE room_id = ${room} \
             AND author_key = ${key} AND client_id = ${client})"
        );
        let _ = write!(
            sql,
            " UPDATE rooms SET last_seq = last_seq + 1 WHERE id = ${room} AND {fresh};\
             INSERT INTO messages \
             (room_id, seq, username, user_id, body, created_at, client_id, author_key) \
             SELECT id, last_seq, ${author}, ${account}, ${body}, ${time}, ${client}, ${key} \
             FROM rooms WHERE id = ${room} AND {fresh} RETURNING id, seq, {k} AS job;"
        );
    }
    if commit {
        sql.push_str(" COMMIT;");
    }
    sql
}
