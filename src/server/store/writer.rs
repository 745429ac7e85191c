//! Room messages, the hot path: one writer task per store with group
//! commit. It takes every append waiting when it is free and stores them in
//! one transaction, in arrival order: on SQLite as few scripts as possible
//! ([`sqlite_append_script`]), on PostgreSQL a statement at a time
//! ([`store_batch`]).

use super::backend::Backend;
use super::message_rows::select_by_client_id;
use super::room_ids::RoomIds;
use super::rooms::room_id;
use super::{Appended, Author, StoreError};
use crate::protocol::chat::{ClientMessageId, NewMessage as StoredMessage, Timestamp};
use crate::protocol::{MessageText, RoomName, Username};
use sqlx::{AnyPool, Row};
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

/// One message waiting for the writer task (`id` and `seq` not yet set).
pub(super) struct AppendJob {
    message: StoredMessage,
    user_id: Option<i64>,
    /// The author's retry key ([`Author`]).
    author_key: String,
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
pub(super) fn start(backend: Backend, writer: AnyPool) -> mpsc::Sender<AppendJob> {
    let (appends, jobs) = mpsc::channel(4 * MAX_BATCH);
    tokio::spawn(write_appends(backend, writer, jobs));
    appends
}

/// The writer task: batches of appends, one transaction each.
async fn write_appends(backend: Backend, writer: AnyPool, mut jobs: mpsc::Receiver<AppendJob>) {
    let mut rooms = RoomIds::default();
    let mut scripts = SqliteScripts::default();
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
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

/// Messages in one SQLite script (see [`store_batch_sqlite`]); a larger
/// batch takes several scripts, in one transaction. This also bounds the
/// prepared scripts sqlx caches on the writer's connection.
const SQLITE_SCRIPT_BATCH: usize = 16;

/// SQLite: the batch in one transaction of as few scripts as possible (one
/// up to [`SQLITE_SCRIPT_BATCH`] messages), and so one round trip to sqlx's
/// database thread instead of four or more per message (BEGIN, the
/// sequence bump, the insert, COMMIT, and a look-up per client id), each of
/// which cost two thread wake-ups. For every message a script bumps the
/// room's sequence and inserts the message under it, both skipped when
/// this author already stored the message's client id (a retried send);
/// the inserts return their ids and numbers. Same outcome as
/// [`store_batch`], which PostgreSQL uses: it takes no multi-statement
/// queries with parameters. All or nothing, as there: a failure rolls the
/// whole batch back.
async fn store_batch_sqlite(
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
struct SqliteScripts(HashMap<(usize, bool, bool), std::sync::Arc<str>>);

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

/// Times [`store_batch`] tries a batch that PostgreSQL refused for a
/// conflict with another node's transaction.
const POSTGRES_TRIES: usize = 3;

/// PostgreSQL: the batch in one transaction, a statement at a time; same
/// outcome as [`store_batch_sqlite`]. Several nodes write to one database:
/// the transaction first locks the batch's rooms in id order, so two
/// nodes' batches queue on their first shared room instead of
/// deadlocking, and a retried send reaching two nodes at once finds the
/// one the other stored (its room's lock is held until that commit). Should
/// PostgreSQL still refuse the batch for a conflict (a unique violation, a
/// deadlock, a serialization failure), the batch is tried again, and its
/// retried sends are then found stored: other people's messages in it are
/// not failed for them.
async fn store_batch(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::history::Cursor;
    use crate::server::store::test_db::{self, cid, name, room, text, ts, x};
    use crate::server::store::{Author, Store};

    async fn concurrent_appends_get_gapless_distinct_sequence_numbers(s: Store) {
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move {
                    let room = room(if i % 2 == 0 { "even" } else { "odd" });
                    match s
                        .append_message(&room, &name("x"), &x(), &text("m"), None, &ts())
                        .await
                    {
                        Ok(Appended::New(m)) => (m.room, m.seq),
                        other => panic!("{other:?}"),
                    }
                })
            })
            .collect();
        let mut seqs: HashMap<RoomName, Vec<i64>> = HashMap::new();
        for t in tasks {
            let (room, seq) = t.await.unwrap();
            seqs.entry(room).or_default().push(seq);
        }
        for (_, mut v) in seqs {
            v.sort();
            assert_eq!(v, (1..=100).collect::<Vec<_>>());
        }
    }

    /// Many sends at once (stored in batches larger than one SQLite
    /// script), every client id twice and across rooms: each stored once,
    /// the retry answered with the original, the numbers gapless.
    async fn a_batch_with_retries_inside_it_stores_each_message_once(s: Store) {
        let tasks: Vec<_> = (0..80)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move {
                    let n = i % 40;
                    let room = room(&format!("r{}", n % 3));
                    let body = text(&format!("m{n}"));
                    let client = cid(&format!("c-{n}"));
                    let got = s
                        .append_message(&room, &name("x"), &x(), &body, Some(&client), &ts())
                        .await;
                    (n, got)
                })
            })
            .collect();
        let mut new: HashMap<usize, StoredMessage> = HashMap::new();
        let mut duplicates = Vec::new();
        for t in tasks {
            match t.await.unwrap() {
                (n, Ok(Appended::New(m))) => assert!(new.insert(n, m).is_none(), "{n} twice"),
                (n, Ok(Appended::Duplicate(m))) => duplicates.push((n, m)),
                (n, Err(e)) => panic!("{n}: {e}"),
            }
        }
        assert_eq!((new.len(), duplicates.len()), (40, 40));
        for (n, m) in duplicates {
            assert_eq!(new[&n], m);
        }
        for r in 0..3 {
            let (page, _) = s
                .history(&room(&format!("r{r}")), Cursor::Latest, 100)
                .await
                .unwrap();
            let seqs: Vec<i64> = page.iter().map(|m| m.seq).collect();
            assert_eq!(seqs, (1..=page.len() as i64).collect::<Vec<_>>());
            assert!(page.iter().all(|m| new.values().any(|n| n == m)));
        }
    }

    /// A SQLite store that refuses to store a message reading "boom".
    async fn sqlite_refusing_boom() -> (Store, tempfile::TempDir) {
        let (s, dir) = test_db::sqlite().await;
        sqlx::query(
            "CREATE TRIGGER refuse_boom BEFORE INSERT ON messages WHEN NEW.body = 'boom' \
             BEGIN SELECT RAISE(ABORT, 'refused'); END",
        )
        .execute(&s.writer)
        .await
        .unwrap();
        (s, dir)
    }

    /// A failed SQLite script is rolled back whole: its sequence number is
    /// not used up and the next message is stored normally.
    #[tokio::test]
    async fn a_failed_append_leaves_no_gap_and_no_open_transaction() {
        let (s, _dir) = sqlite_refusing_boom().await;
        let append = |body: &str| {
            let (s, body) = (s.clone(), text(body));
            async move {
                s.append_message(&room("a"), &name("x"), &x(), &body, None, &ts())
                    .await
            }
        };
        assert!(matches!(append("first").await, Ok(Appended::New(m)) if m.seq == 1));
        assert!(append("boom").await.is_err());
        assert!(matches!(append("second").await, Ok(Appended::New(m)) if m.seq == 2));
        let (page, _) = s.history(&room("a"), Cursor::Latest, 10).await.unwrap();
        let bodies: Vec<_> = page.iter().map(|m| m.message.as_str()).collect();
        assert_eq!(bodies, ["first", "second"]);
    }

    /// A batch of several scripts is one transaction: a failure in its
    /// last script leaves none of it stored, and numbering goes on gapless.
    #[tokio::test]
    async fn a_batch_of_several_scripts_is_stored_whole_or_not_at_all() {
        let (s, _dir) = sqlite_refusing_boom().await;
        let job =
            |body: &str| AppendJob::new(&room("a"), &name("x"), &x(), &text(body), None, &ts()).0;
        let size = SQLITE_SCRIPT_BATCH + 3;
        let mut batch: Vec<_> = (0..size - 1).map(|i| job(&format!("m{i}"))).collect();
        batch.push(job("boom"));
        let (mut rooms, mut scripts) = (RoomIds::default(), SqliteScripts::default());
        assert!(
            store_batch_sqlite(&s.writer, &mut rooms, &mut scripts, &batch)
                .await
                .is_err()
        );
        let (page, _) = s.history(&room("a"), Cursor::Latest, 100).await.unwrap();
        assert!(page.is_empty(), "{} stored", page.len());
        batch.pop();
        let stored = store_batch_sqlite(&s.writer, &mut rooms, &mut scripts, &batch)
            .await
            .unwrap();
        let seqs: Vec<i64> = stored
            .iter()
            .map(|a| match a {
                Appended::New(m) => m.seq,
                Appended::Duplicate(m) => panic!("duplicate {m:?}"),
            })
            .collect();
        assert_eq!(seqs, (1..size as i64).collect::<Vec<_>>());
    }

    /// The writer's cache of room ids is bounded: messages to ever more
    /// room names do not grow it without end (rooms past it are looked up
    /// again).
    #[tokio::test]
    async fn the_writers_room_ids_stay_bounded() {
        let (s, _dir) = test_db::sqlite().await;
        let (mut rooms, mut scripts) = (Default::default(), SqliteScripts::default());
        for chunk in 0..20 {
            let batch: Vec<_> = (0..MAX_BATCH)
                .map(|i| {
                    let room = room(&format!("r{chunk}-{i}"));
                    AppendJob::new(&room, &name("x"), &x(), &text("m"), None, &ts()).0
                })
                .collect();
            let stored = store_batch_sqlite(&s.writer, &mut rooms, &mut scripts, &batch)
                .await
                .unwrap();
            assert!(stored
                .iter()
                .all(|a| matches!(a, Appended::New(m) if m.seq == 1)));
        }
        assert!(
            rooms.len() <= super::super::room_ids::CACHED_ROOMS,
            "{} room ids kept",
            rooms.len()
        );
    }

    /// Two nodes on one PostgreSQL database, appending to the same room at
    /// once: the numbers stay gapless and distinct.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nodes_sharing_a_database_share_gapless_numbers() {
        let (first, db) = test_db::postgres().await;
        let second = Store::connect(&db.url())
            .await
            .expect("a second node connects");
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let s = if i % 2 == 0 {
                    first.clone()
                } else {
                    second.clone()
                };
                tokio::spawn(async move {
                    match s
                        .append_message(&room("busy"), &name("x"), &x(), &text("m"), None, &ts())
                        .await
                    {
                        Ok(Appended::New(m)) => m.seq,
                        other => panic!("{other:?}"),
                    }
                })
            })
            .collect();
        let mut seqs = Vec::new();
        for t in tasks {
            seqs.push(t.await.expect("an append"));
        }
        seqs.sort();
        assert_eq!(seqs, (1..=200).collect::<Vec<_>>());
        second.close().await;
        first.close().await;
    }

    /// A retried send that reaches two nodes at once (its first try on
    /// one, the retry on the other) is stored once, and fails none of the
    /// other people's messages committed in the same batches.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_retry_reaching_two_nodes_at_once_fails_no_one_elses_message() {
        let (first, db) = test_db::postgres().await;
        let second = Store::connect(&db.url())
            .await
            .expect("a second node connects");
        for round in 0..20 {
            let tasks: Vec<_> = (0..24)
                .map(|i| {
                    let s = if i % 2 == 0 {
                        first.clone()
                    } else {
                        second.clone()
                    };
                    tokio::spawn(async move {
                        // Four sends of one retried message, the rest
                        // other people's, in two rooms.
                        let (author, client) = if i < 4 {
                            ("x".to_owned(), format!("retry-{round}"))
                        } else {
                            (format!("p{i}"), format!("own-{round}-{i}"))
                        };
                        let room = room(if i < 4 || i % 3 == 0 { "a" } else { "b" });
                        s.append_message(
                            &room,
                            &name(&author),
                            &Author::connection(&author),
                            &text("m"),
                            Some(&cid(&client)),
                            &ts(),
                        )
                        .await
                    })
                })
                .collect();
            let mut new = 0;
            for t in tasks {
                match t.await.expect("a task") {
                    Ok(Appended::New(_)) => new += 1,
                    Ok(Appended::Duplicate(m)) => {
                        assert_eq!(m.client_id.unwrap().as_str(), format!("retry-{round}"))
                    }
                    Err(e) => panic!("round {round}: {e}"),
                }
            }
            assert_eq!(new, 21, "round {round}");
        }
        second.close().await;
        first.close().await;
    }

    crate::server::store::test_db::on_both_backends!(
        concurrent_appends_get_gapless_distinct_sequence_numbers,
        a_batch_with_retries_inside_it_stores_each_message_once
    );
}
