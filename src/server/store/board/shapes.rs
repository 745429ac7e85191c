//! The three changes: add a shape, erase shapes, restore erased ones. An
//! erase or a restore of up to 500 ids takes a few statements whatever
//! its size (one look-up and one update per 500 ids), not one or two per
//! id: on SQLite every statement of it holds the single writer, and room
//! messages wait behind it.

use super::storage::{as_count, count_write};
use super::{Board, Writer};
use crate::protocol::board::{room_for, BoardRefusal, PlacedShape, Shape, ShapeId, MAX_OP_IDS};
use crate::protocol::RoomName;
use crate::server::store::{StoreError, Tx};
use sqlx::Row;
use std::collections::{HashMap, HashSet};

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

/// Why showing `more_shapes` holding `more_points` in `more_bytes` would
/// break the board's limits ([`room_for`], and its bytes), if it would.
async fn over_capacity(
    tx: &mut Tx<'_>,
    board: &Board<'_>,
    (more_shapes, more_points, more_bytes): (usize, usize, i64),
) -> Result<Option<BoardRefusal>, StoreError> {
    let shown = shown(tx, board.room).await?;
    if let Err(full) = room_for(shown, (more_shapes, more_points)) {
        return Ok(Some(full));
    }
    let max = board.limits.max_bytes;
    Ok((board.shown_bytes() + more_bytes > as_count(max))
        .then_some(BoardRefusal::TooManyBytes(max)))
}

pub(super) async fn add(
    tx: &mut Tx<'_>,
    board: &mut Board<'_>,
    writer: &Writer<'_>,
    shape: &Shape,
) -> Result<Option<BoardRefusal>, StoreError> {
    let data = serde_json::to_string(shape)?;
    let stored: Option<String> =
        sqlx::query_scalar("SELECT data FROM board_shapes WHERE room = $1 AND id = $2")
            .bind(board.room.as_str())
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
    let bytes = as_count(data.len() as u64);
    let more = (1, shape.points.len(), bytes);
    if let Some(full) = over_capacity(tx, board, more).await? {
        return Ok(Some(full));
    }
    let daily = board.limits.daily_bytes;
    if let Some(spent) = count_write(tx, &writer.client, writer.day, bytes, daily).await? {
        return Ok(Some(spent));
    }
    sqlx::query(
        "INSERT INTO board_shapes \
         (room, id, z, updated_seq, erased_seq, points, author, data, bytes) \
         VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, $8)",
    )
    .bind(board.room.as_str())
    .bind(shape.id.as_str())
    .bind(board.seq)
    .bind(board.seq)
    .bind(shape.points.len() as i64)
    .bind(writer.author.as_str())
    .bind(&data)
    .bind(bytes)
    .execute(&mut **tx)
    .await?;
    board.bytes += bytes;
    board.change.added.push(PlacedShape {
        z: board.seq as u64,
        shape: shape.clone(),
    });
    Ok(None)
}

pub(super) async fn erase(
    tx: &mut Tx<'_>,
    board: &mut Board<'_>,
    ids: &[ShapeId],
) -> Result<Option<BoardRefusal>, StoreError> {
    let ids = once_each(ids);
    let found = find(tx, board.room, &ids, false).await?;
    let mut erased = Vec::new();
    let mut bytes = 0;
    for id in ids {
        match found.get(id) {
            Some(shape) if !shape.erased => {
                erased.push(id.clone());
                bytes += shape.bytes;
            }
            Some(_) => {}
            // Erased long ago and compacted away (the board cannot tell
            // such a shape from one it never had): erased already.
            None if board.compacted_seq > 0 => {}
            None => return Ok(Some(BoardRefusal::NoShape(id.clone()))),
        }
    }
    set_erased(tx, board.room, &erased, Some(board.seq), board.seq).await?;
    board.erased_bytes += bytes;
    board.change.removed = erased;
    Ok(None)
}

pub(super) async fn restore(
    tx: &mut Tx<'_>,
    board: &mut Board<'_>,
    ids: &[ShapeId],
) -> Result<Option<BoardRefusal>, StoreError> {
    let ids = once_each(ids);
    let mut found = find(tx, board.room, &ids, true).await?;
    let mut shapes = Vec::new();
    let mut bytes = 0;
    for id in ids {
        match found.remove(id) {
            Some(Found {
                data: Some(data),
                z,
                bytes: size,
                ..
            }) => {
                let shape: Shape =
                    serde_json::from_str(&data).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
                shapes.push(PlacedShape { z: z as u64, shape });
                bytes += size;
            }
            // Shown already.
            Some(_) => {}
            None if board.compacted_seq > 0 => {
                return Ok(Some(BoardRefusal::NoLongerKept(id.clone())))
            }
            None => return Ok(Some(BoardRefusal::NoShape(id.clone()))),
        }
    }
    let points = shapes.iter().map(|s| s.shape.points.len()).sum();
    if let Some(full) = over_capacity(tx, board, (shapes.len(), points, bytes)).await? {
        return Ok(Some(full));
    }
    let restored: Vec<ShapeId> = shapes.iter().map(|s| s.shape.id.clone()).collect();
    set_erased(tx, board.room, &restored, None, board.seq).await?;
    board.erased_bytes -= bytes;
    shapes.sort_by_key(|s| s.z);
    board.change.added = shapes;
    Ok(None)
}

/// Each of `ids` once, in order.
fn once_each(ids: &[ShapeId]) -> Vec<&ShapeId> {
    let mut seen = HashSet::with_capacity(ids.len());
    ids.iter().filter(|id| seen.insert(*id)).collect()
}

/// One shape named by an erase or a restore.
struct Found {
    z: i64,
    erased: bool,
    bytes: i64,
    /// The shape as stored, when it is erased and was asked for.
    data: Option<String>,
}

/// How many ids one statement names: a list is padded (with its last id
/// again) to the next of these lengths, so that a few prepared statements
/// serve every length instead of one per length.
const LIST_LENGTHS: [usize; 4] = [1, 8, 64, MAX_OP_IDS];

/// `$first, $first+1, …` for a list of `len` ids, padded (see
/// [`LIST_LENGTHS`]); and how many parameters that is. Numbers only: no
/// input in the SQL.
fn id_list(first: usize, len: usize) -> (String, usize) {
    let padded = LIST_LENGTHS.into_iter().find(|l| *l >= len).unwrap_or(len);
    let list = (first..first + padded)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    (list, padded)
}

/// The shapes of `ids` the board has, by id, in one statement per 500
/// ids; with `erased_data` the stored shape of each erased one (what a
/// restore brings back).
async fn find(
    tx: &mut Tx<'_>,
    room: &RoomName,
    ids: &[&ShapeId],
    erased_data: bool,
) -> Result<HashMap<ShapeId, Found>, StoreError> {
    let data = if erased_data {
        "CASE WHEN erased_seq IS NOT NULL THEN data END"
    } else {
        "NULL"
    };
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_OP_IDS) {
        let (list, padded) = id_list(2, chunk.len());
        let sql = format!(
            "SELECT id, z, erased_seq, bytes, {data} AS data FROM board_shapes \
             WHERE room = $1 AND id IN ({list})"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(room.as_str());
        for i in 0..padded {
            query = query.bind(chunk[i.min(chunk.len() - 1)].as_str());
        }
        for row in query.fetch_all(&mut **tx).await? {
            let id: String = row.try_get("id")?;
            let Ok(id) = ShapeId::parse(&id) else {
                continue;
            };
            let shape = Found {
                z: row.try_get("z")?,
                erased: row.try_get::<Option<i64>, _>("erased_seq")?.is_some(),
                bytes: row.try_get("bytes")?,
                data: row.try_get("data")?,
            };
            found.insert(id, shape);
        }
    }
    Ok(found)
}

/// Marks the shapes of `ids` erased by change `erased` (or shown again,
/// for `None`), as change `seq`, in one statement per 500 ids.
async fn set_erased(
    tx: &mut Tx<'_>,
    room: &RoomName,
    ids: &[ShapeId],
    erased: Option<i64>,
    seq: i64,
) -> Result<(), StoreError> {
    for chunk in ids.chunks(MAX_OP_IDS) {
        let (list, padded) = id_list(4, chunk.len());
        let sql = format!(
            "UPDATE board_shapes SET erased_seq = $1, updated_seq = $2 \
             WHERE room = $3 AND id IN ({list})"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(erased)
            .bind(seq)
            .bind(room.as_str());
        for i in 0..padded {
            query = query.bind(chunk[i.min(chunk.len() - 1)].as_str());
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lists_are_padded_to_a_few_lengths() {
        assert_eq!(id_list(2, 1), ("$2".to_owned(), 1));
        assert_eq!(id_list(4, 3).1, 8);
        assert!(id_list(4, 3).0.ends_with("$11"));
        assert_eq!(id_list(2, 65).1, MAX_OP_IDS);
        assert_eq!(id_list(2, MAX_OP_IDS).1, MAX_OP_IDS);
    }
}
