//! The whiteboards: shapes per room, and every change numbered.
//!
//! A change runs in one transaction on the writer connection: it takes the
//! board's next `seq`, updates the shape rows, and returns what it did, so
//! the numbers stay gapless and every change is stored before it is acked
//! or sent to anyone. What the board's rules allow is decided outside the
//! store (`protocol::board::room_for`, `BoardRefusal`), from what it reads.

use super::{Store, StoreError, Tx};
use crate::protocol::board::{
    room_for, BoardChange, BoardRefusal, BoardSnapshot, Op, PlacedShape, Shape, ShapeId,
};
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

impl Store {
    /// The board of `room`: all of it, or with `since` what changed after
    /// that change. A `since` beyond the board's newest change (a client
    /// that saw another database) gets all of it.
    pub async fn board_snapshot(
        &self,
        room: &RoomName,
        since: Option<u64>,
    ) -> Result<BoardSnapshot, StoreError> {
        let mut conn = self.reader.acquire().await?;
        let seq: i64 = sqlx::query_scalar("SELECT seq FROM boards WHERE room = $1")
            .bind(room.as_str())
            .fetch_optional(&mut *conn)
            .await?
            .unwrap_or(0);
        let seq = seq as u64;
        let since = since.filter(|s| *s <= seq);
        let rows = match since {
            None => {
                sqlx::query(
                    "SELECT z, erased_seq, data FROM board_shapes \
                     WHERE room = $1 AND erased_seq IS NULL ORDER BY z",
                )
                .bind(room.as_str())
                .fetch_all(&mut *conn)
                .await?
            }
            Some(since) => {
                sqlx::query(
                    "SELECT z, erased_seq, data FROM board_shapes \
                     WHERE room = $1 AND updated_seq > $2 ORDER BY z",
                )
                .bind(room.as_str())
                .bind(since as i64)
                .fetch_all(&mut *conn)
                .await?
            }
        };
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

    /// Applies `op` by `author` to the board of `room`.
    pub async fn apply_board_op(
        &self,
        room: &RoomName,
        author: &Username,
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
        let next: i64 =
            sqlx::query_scalar("UPDATE boards SET seq = seq + 1 WHERE room = $1 RETURNING seq")
                .bind(room.as_str())
                .fetch_one(&mut *tx)
                .await?;
        let head = next - 1;
        let mut change = BoardChange {
            room: room.clone(),
            seq: next as u64,
            added: Vec::new(),
            removed: Vec::new(),
        };
        let refusal = match op {
            Op::Add { shape } => add(&mut tx, room, author, shape, next, &mut change).await?,
            Op::Erase { ids } => erase(&mut tx, room, ids, next, &mut change).await?,
            Op::Restore { ids } => restore(&mut tx, room, ids, next, &mut change).await?,
        };
        if let Some(reason) = refusal {
            return Ok(BoardApplied::Refused(reason));
        }
        if change.is_empty() {
            change.seq = head as u64;
            // Nothing to keep: the transaction is rolled back on drop.
            return Ok(BoardApplied::Unchanged(change));
        }
        tx.commit().await?;
        metrics::histogram!("huddle_db_write_seconds").record(started.elapsed().as_secs_f64());
        Ok(BoardApplied::Changed(change))
    }
}

fn placed_from_row(row: &sqlx::any::AnyRow) -> Result<PlacedShape, StoreError> {
    let data: String = row.try_get("data")?;
    let shape: Shape = serde_json::from_str(&data).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(PlacedShape {
        z: row.try_get::<i64, _>("z")? as u64,
        shape,
    })
}

/// How many shapes, and points in them, the board shows now.
async fn shown(tx: &mut Tx<'_>, room: &RoomName) -> Result<(usize, usize), StoreError> {
    let (shapes, points): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(points), 0) AS BIGINT) FROM board_shapes \
         WHERE room = $1 AND erased_seq IS NULL",
    )
    .bind(room.as_str())
    .fetch_one(&mut **tx)
    .await?;
    Ok((shapes as usize, points as usize))
}

/// Why showing `more_shapes` holding `more_points` would break the
/// board's limits ([`room_for`]), if it would.
async fn over_capacity(
    tx: &mut Tx<'_>,
    room: &RoomName,
    more_shapes: usize,
    more_points: usize,
) -> Result<Option<BoardRefusal>, StoreError> {
    let shown = shown(tx, room).await?;
    Ok(room_for(shown, (more_shapes, more_points)).err())
}

async fn add(
    tx: &mut Tx<'_>,
    room: &RoomName,
    author: &Username,
    shape: &Shape,
    seq: i64,
    change: &mut BoardChange,
) -> Result<Option<BoardRefusal>, StoreError> {
    let data = serde_json::to_string(shape)?;
    let stored: Option<String> =
        sqlx::query_scalar("SELECT data FROM board_shapes WHERE room = $1 AND id = $2")
            .bind(room.as_str())
            .bind(shape.id.as_str())
            .fetch_optional(&mut **tx)
            .await?;
    if let Some(stored) = stored {
        return Ok(if stored == data {
            None
        } else {
            Some(BoardRefusal::IdTaken(shape.id.clone()))
        });
    }
    if let Some(full) = over_capacity(tx, room, 1, shape.points.len()).await? {
        return Ok(Some(full));
    }
    sqlx::query(
        "INSERT INTO board_shapes (room, id, z, updated_seq, erased_seq, points, author, data) \
         VALUES ($1, $2, $3, $4, NULL, $5, $6, $7)",
    )
    .bind(room.as_str())
    .bind(shape.id.as_str())
    .bind(seq)
    .bind(seq)
    .bind(shape.points.len() as i64)
    .bind(author.as_str())
    .bind(&data)
    .execute(&mut **tx)
    .await?;
    change.added.push(PlacedShape {
        z: seq as u64,
        shape: shape.clone(),
    });
    Ok(None)
}

/// One shape named by an erase or a restore.
struct Found {
    id: ShapeId,
    erased: bool,
    /// The shape, when it was asked for.
    placed: Option<PlacedShape>,
}

/// Each of `ids` once, in order, with whether it is erased now (and, with
/// `erased_data`, the stored shape of each erased one: what a restore
/// brings back); `Err` names the first id the board does not have.
async fn find(
    tx: &mut Tx<'_>,
    room: &RoomName,
    ids: &[ShapeId],
    erased_data: bool,
) -> Result<Result<Vec<Found>, BoardRefusal>, StoreError> {
    let mut seen = std::collections::HashSet::with_capacity(ids.len());
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        if !seen.insert(id) {
            continue;
        }
        let row = sqlx::query(
            "SELECT z, erased_seq, CASE WHEN $1 AND erased_seq IS NOT NULL THEN data END AS data \
             FROM board_shapes WHERE room = $2 AND id = $3",
        )
        .bind(erased_data)
        .bind(room.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut **tx)
        .await?;
        let Some(row) = row else {
            return Ok(Err(BoardRefusal::NoShape(id.clone())));
        };
        let erased = row.try_get::<Option<i64>, _>("erased_seq")?.is_some();
        let placed = match row.try_get::<Option<String>, _>("data")? {
            Some(_) => Some(placed_from_row(&row)?),
            None => None,
        };
        found.push(Found {
            id: id.clone(),
            erased,
            placed,
        });
    }
    Ok(Ok(found))
}

async fn erase(
    tx: &mut Tx<'_>,
    room: &RoomName,
    ids: &[ShapeId],
    seq: i64,
    change: &mut BoardChange,
) -> Result<Option<BoardRefusal>, StoreError> {
    let found = match find(tx, room, ids, false).await? {
        Ok(found) => found,
        Err(reason) => return Ok(Some(reason)),
    };
    for shape in found.into_iter().filter(|f| !f.erased) {
        sqlx::query(
            "UPDATE board_shapes SET erased_seq = $1, updated_seq = $2 WHERE room = $3 AND id = $4",
        )
        .bind(seq)
        .bind(seq)
        .bind(room.as_str())
        .bind(shape.id.as_str())
        .execute(&mut **tx)
        .await?;
        change.removed.push(shape.id);
    }
    Ok(None)
}

async fn restore(
    tx: &mut Tx<'_>,
    room: &RoomName,
    ids: &[ShapeId],
    seq: i64,
    change: &mut BoardChange,
) -> Result<Option<BoardRefusal>, StoreError> {
    let found = match find(tx, room, ids, true).await? {
        Ok(found) => found,
        Err(reason) => return Ok(Some(reason)),
    };
    let mut shapes: Vec<PlacedShape> = found.into_iter().filter_map(|f| f.placed).collect();
    let points = shapes.iter().map(|s| s.shape.points.len()).sum();
    if let Some(full) = over_capacity(tx, room, shapes.len(), points).await? {
        return Ok(Some(full));
    }
    for placed in &shapes {
        sqlx::query(
            "UPDATE board_shapes SET erased_seq = NULL, updated_seq = $1 WHERE room = $2 AND id = $3",
        )
        .bind(seq)
        .bind(room.as_str())
        .bind(placed.shape.id.as_str())
        .execute(&mut **tx)
        .await?;
    }
    shapes.sort_by_key(|s| s.z);
    change.added = shapes;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::board::{Color, Tool};
    use crate::protocol::board::{MAX_BOARD_POINTS, MAX_BOARD_SHAPES};

    fn pen(id: &str, n: usize) -> Shape {
        Shape {
            id: ShapeId::parse(id).unwrap(),
            tool: Tool::Pen,
            color: Color::BLACK,
            width: 3.0,
            points: vec![[10.0, 20.0]; n],
        }
    }

    fn ids(names: &[&str]) -> Vec<ShapeId> {
        names.iter().map(|n| ShapeId::parse(n).unwrap()).collect()
    }

    async fn changes_are_numbered_and_caught_up(store: Store) {
        let room = RoomName::general();
        let ann = Username::parse("ann").unwrap();
        let add = |id: &str| Op::Add { shape: pen(id, 3) };
        for (i, id) in ["a", "b", "c"].into_iter().enumerate() {
            let BoardApplied::Changed(c) =
                store.apply_board_op(&room, &ann, &add(id)).await.unwrap()
            else {
                panic!()
            };
            assert_eq!(c.seq, i as u64 + 1);
        }
        // A retry of the same add changes nothing.
        let again = store.apply_board_op(&room, &ann, &add("b")).await.unwrap();
        assert!(matches!(again, BoardApplied::Unchanged(ref c) if c.seq == 3 && c.is_empty()));
        // The same id for another shape is refused.
        let other = Op::Add { shape: pen("b", 4) };
        assert!(matches!(
            store.apply_board_op(&room, &ann, &other).await.unwrap(),
            BoardApplied::Refused(r) if r.to_string().contains("already a different shape b")
        ));
        let erase = Op::Erase {
            ids: ids(&["a", "c"]),
        };
        let BoardApplied::Changed(c) = store.apply_board_op(&room, &ann, &erase).await.unwrap()
        else {
            panic!()
        };
        assert_eq!((c.seq, c.removed.len()), (4, 2));
        // Unknown ids are refused, and nothing of the op happens.
        let bad = Op::Erase {
            ids: ids(&["b", "zz"]),
        };
        assert!(matches!(
            store.apply_board_op(&room, &ann, &bad).await.unwrap(),
            BoardApplied::Refused(r) if r.to_string().contains("no shape zz")
        ));
        let restore = Op::Restore { ids: ids(&["c"]) };
        let BoardApplied::Changed(c) = store.apply_board_op(&room, &ann, &restore).await.unwrap()
        else {
            panic!()
        };
        assert_eq!((c.seq, c.added[0].z), (5, 3));

        let full = store.board_snapshot(&room, None).await.unwrap();
        assert!(full.full);
        assert_eq!(full.seq, 5);
        let shown: Vec<_> = full.shapes.iter().map(|s| s.shape.id.as_str()).collect();
        assert_eq!(shown, ["b", "c"]);
        let delta = store.board_snapshot(&room, Some(3)).await.unwrap();
        assert!(!delta.full);
        assert_eq!(delta.removed, ids(&["a"]));
        assert_eq!(delta.shapes.len(), 1);
        assert_eq!(delta.shapes[0].shape.id.as_str(), "c");
        // A `since` from the future gets everything.
        assert!(store.board_snapshot(&room, Some(99)).await.unwrap().full);
        // Boards are per room.
        let other = RoomName::parse("other").unwrap();
        assert_eq!(store.board_snapshot(&other, None).await.unwrap().seq, 0);
    }

    async fn a_full_board_refuses_more(store: Store) {
        let room = RoomName::general();
        let ann = Username::parse("ann").unwrap();
        // 100 strokes of 2,000 points: the board's point budget.
        for i in 0..MAX_BOARD_POINTS / 2000 {
            let op = Op::Add {
                shape: pen(&format!("s{i}"), 2000),
            };
            assert!(matches!(
                store.apply_board_op(&room, &ann, &op).await.unwrap(),
                BoardApplied::Changed(_)
            ));
        }
        let op = Op::Add {
            shape: pen("one-more", 1),
        };
        assert!(matches!(
            store.apply_board_op(&room, &ann, &op).await.unwrap(),
            BoardApplied::Refused(r) if r.to_string().contains("board is full")
        ));
        // Erasing makes room; restoring past the limit is refused.
        let erase = Op::Erase { ids: ids(&["s0"]) };
        store.apply_board_op(&room, &ann, &erase).await.unwrap();
        assert!(matches!(
            store.apply_board_op(&room, &ann, &op).await.unwrap(),
            BoardApplied::Changed(_)
        ));
        let restore = Op::Restore { ids: ids(&["s0"]) };
        assert!(matches!(
            store.apply_board_op(&room, &ann, &restore).await.unwrap(),
            BoardApplied::Refused(_)
        ));
        assert_eq!(
            store
                .board_snapshot(&room, None)
                .await
                .unwrap()
                .shapes
                .len(),
            100
        );
    }

    async fn a_board_of_too_many_shapes_refuses_more(store: Store) {
        let room = RoomName::general();
        let ann = Username::parse("ann").unwrap();
        let first = Op::Add {
            shape: pen("first", 1),
        };
        store.apply_board_op(&room, &ann, &first).await.unwrap();
        // The rest of the board's 5,000 shapes, written directly.
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
             INSERT INTO board_shapes (room, id, z, updated_seq, erased_seq, points, author, data) \
             SELECT $2, 'bulk-' || i, i, i, NULL, 1, 'ann', '{}' FROM n",
        )
        .bind(MAX_BOARD_SHAPES as i64)
        .bind(room.as_str())
        .execute(&store.writer)
        .await
        .unwrap();
        let one_more = Op::Add {
            shape: pen("one-more", 1),
        };
        assert!(matches!(
            store.apply_board_op(&room, &ann, &one_more).await.unwrap(),
            BoardApplied::Refused(r) if r.to_string().contains("This board is full (5000 shapes)")
        ));
    }

    crate::server::store::test_db::on_both_backends!(
        changes_are_numbered_and_caught_up,
        a_full_board_refuses_more,
        a_board_of_too_many_shapes_refuses_more
    );
}
