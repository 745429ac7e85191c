//! The whiteboards: shapes per room, and every change numbered.
//!
//! A change runs in one transaction on the writer connection: it takes the
//! board's next `seq`, updates the shape rows and the board's byte counts,
//! and returns what it did, so the numbers stay gapless and every change
//! is stored before it is acked or sent to anyone. What the board's rules
//! allow is decided outside the store (`protocol::board::room_for`,
//! `BoardRefusal`), from what it reads, and by its byte budgets
//! ([`BoardLimits`]).
//!
//! - `shapes`: add, erase, restore; a few statements per change whatever
//!   its size.
//! - `storage`: what boards store, counted and bounded: bytes per board,
//!   erased shapes past the budget compacted, bytes per client per day.

mod shapes;
mod storage;

pub(super) use storage::{purge_writes, today};
pub use storage::{BoardClient, BoardLimits, BoardUsage};

use super::{Store, StoreError};
use crate::protocol::board::{BoardChange, BoardRefusal, BoardSnapshot, Op, PlacedShape, Shape};
use crate::protocol::{RoomName, Username};
use sqlx::Row;

/// What a board op did.
#[derive(Debug, Clone, PartialEq)]
pub enum BoardApplied {
    /// Stored as change `seq`: ack it and send it to the board.
    Changed(BoardChange),
    /// Nothing to change (a retry, or erasing what is erased): ack it with
    /// the board's current `seq`, send nothing.
    Unchanged(BoardChange),
    /// Against the board's rules; nothing changed.
    Refused(BoardRefusal),
}

/// The board a change is being made to: its `boards` row as the change
/// leaves it (written back once, at the end of the transaction), and the
/// change so far.
struct Board<'a> {
    room: &'a RoomName,
    limits: BoardLimits,
    /// The change's number.
    seq: i64,
    /// Bytes of all its shapes, shown and erased.
    bytes: i64,
    /// Bytes of its erased shapes.
    erased_bytes: i64,
    /// The newest change whose erased shapes were compacted away.
    compacted_seq: i64,
    change: BoardChange,
}

impl Board<'_> {
    fn shown_bytes(&self) -> i64 {
        self.bytes - self.erased_bytes
    }
}

/// Who makes a change: the author of what it adds, and whose daily budget
/// it draws from, on which day.
struct Writer<'a> {
    author: &'a Username,
    client: String,
    day: i64,
}

impl Store {
    /// The board of `room`: all of it, or with `since` what changed after
    /// that change. A `since` beyond the board's newest change (a client
    /// that saw another database), or before its newest compacted one (the
    /// erasures it would need are gone), gets all of it.
    pub async fn board_snapshot(
        &self,
        room: &RoomName,
        since: Option<u64>,
    ) -> Result<BoardSnapshot, StoreError> {
        let mut conn = self.reader.acquire().await?;
        let (seq, compacted) = head(&mut conn, room).await?;
        let (seq, compacted) = (seq as u64, compacted as u64);
        let mut since = since.filter(|s| (compacted..=seq).contains(s));
        let mut rows = shape_rows(&mut conn, room, since).await?;
        if let Some(after) = since {
            // Compacted meanwhile past what the client has: the rows that
            // would tell it what was erased may be gone; all of it, then.
            let (_, now_compacted) = head(&mut conn, room).await?;
            if now_compacted as u64 > after {
                since = None;
                rows = shape_rows(&mut conn, room, None).await?;
            }
        }
        let mut shapes = Vec::new();
        let mut removed = Vec::new();
        for row in &rows {
            let placed = placed_from_row(row)?;
            if row.try_get::<Option<i64>, _>("erased_seq")?.is_some() {
                removed.push(placed.shape.id);
            } else {
                shapes.push(placed);
            }
        }
        Ok(BoardSnapshot {
            room: room.clone(),
            seq,
            full: since.is_none(),
            shapes,
            removed,
        })
    }

    /// Applies `op` by `author` to the board of `room`; what it adds
    /// counts against `client`'s daily budget.
    pub async fn apply_board_op(
        &self,
        room: &RoomName,
        author: &Username,
        client: BoardClient,
        op: &Op,
    ) -> Result<BoardApplied, StoreError> {
        let writer = Writer {
            author,
            client: client.key(),
            day: today(),
        };
        self.apply(room, &writer, op).await
    }

    async fn apply(
        &self,
        room: &RoomName,
        writer: &Writer<'_>,
        op: &Op,
    ) -> Result<BoardApplied, StoreError> {
        let started = std::time::Instant::now();
        let mut tx = self.writer.begin().await?;
        sqlx::query("INSERT INTO boards (room) VALUES ($1) ON CONFLICT DO NOTHING")
            .bind(room.as_str())
            .execute(&mut *tx)
            .await?;
        // Taking the number first locks the board's row (PostgreSQL) until
        // the transaction ends: nodes changing one board at once queue
        // here. A change that changes nothing is rolled back, number and all.
        let row = sqlx::query(
            "UPDATE boards SET seq = seq + 1 WHERE room = $1 \
             RETURNING seq, bytes, erased_bytes, compacted_seq",
        )
        .bind(room.as_str())
        .fetch_one(&mut *tx)
        .await?;
        let seq: i64 = row.try_get("seq")?;
        let mut board = Board {
            room,
            limits: self.board_limits,
            seq,
            bytes: row.try_get("bytes")?,
            erased_bytes: row.try_get("erased_bytes")?,
            compacted_seq: row.try_get("compacted_seq")?,
            change: BoardChange {
                room: room.clone(),
                seq: seq as u64,
                added: Vec::new(),
                removed: Vec::new(),
            },
        };
        let refusal = match op {
            Op::Add { shape } => shapes::add(&mut tx, &mut board, writer, shape).await?,
            Op::Erase { ids } => shapes::erase(&mut tx, &mut board, ids).await?,
            Op::Restore { ids } => shapes::restore(&mut tx, &mut board, ids).await?,
        };
        if let Some(reason) = refusal {
            return Ok(BoardApplied::Refused(reason));
        }
        if board.change.is_empty() {
            board.change.seq = (seq - 1) as u64;
            // Nothing to keep: the transaction is rolled back on drop.
            return Ok(BoardApplied::Unchanged(board.change));
        }
        storage::compact(&mut tx, &mut board).await?;
        storage::save(&mut tx, &board).await?;
        tx.commit().await?;
        metrics::histogram!("huddle_db_write_seconds").record(started.elapsed().as_secs_f64());
        Ok(BoardApplied::Changed(board.change))
    }
}

/// The board's newest change and newest compacted one (0 and 0 for a
/// board never changed).
async fn head(conn: &mut sqlx::AnyConnection, room: &RoomName) -> Result<(i64, i64), StoreError> {
    let head = sqlx::query_as("SELECT seq, compacted_seq FROM boards WHERE room = $1")
        .bind(room.as_str())
        .fetch_optional(conn)
        .await?;
    Ok(head.unwrap_or_default())
}

/// The shapes of a snapshot: those shown, or all changed after `since`.
async fn shape_rows(
    conn: &mut sqlx::AnyConnection,
    room: &RoomName,
    since: Option<u64>,
) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
    let rows = match since {
        None => {
            sqlx::query(
                "SELECT z, erased_seq, data FROM board_shapes \
                 WHERE room = $1 AND erased_seq IS NULL ORDER BY z",
            )
            .bind(room.as_str())
            .fetch_all(conn)
            .await?
        }
        Some(since) => {
            sqlx::query(
                "SELECT z, erased_seq, data FROM board_shapes \
                 WHERE room = $1 AND updated_seq > $2 ORDER BY z",
            )
            .bind(room.as_str())
            .bind(since as i64)
            .fetch_all(conn)
            .await?
        }
    };
    Ok(rows)
}

fn placed_from_row(row: &sqlx::any::AnyRow) -> Result<PlacedShape, StoreError> {
    let data: String = row.try_get("data")?;
    let shape: Shape = serde_json::from_str(&data).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(PlacedShape {
        z: row.try_get::<i64, _>("z")? as u64,
        shape,
    })
}

#[cfg(test)]
mod tests;
