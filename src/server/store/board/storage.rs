//! What boards store, counted and bounded: a board's bytes (its `boards`
//! row: `bytes`, `erased_bytes`, kept up to date by every change in its
//! transaction), the erased shapes it keeps for undo (past its budget
//! those erased longest ago are deleted: [`compact`]), and what each
//! client adds to boards per day (`board_writes`: [`count_write`]).
//!
//! Which erased shapes can an undo still reach? Undo lives in each page's
//! memory, so the server cannot know; what it can promise is a budget: a
//! board keeps its most recently erased shapes up to
//! [`BoardLimits::erased_bytes`] (by default as much as a board may show,
//! so that undoing the last clear always works). A restore of a shape no
//! longer kept is refused with [`BoardRefusal::NoLongerKept`], and the
//! page shows that under the board.

use super::Board;
use crate::protocol::board::BoardRefusal;
use crate::server::store::{Store, StoreError, Tx};
use sqlx::Row;
use std::net::IpAddr;

/// The byte budgets of boards; part of the server's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct BoardLimits {
    /// Most bytes of shapes one board shows (its shapes as stored, JSON);
    /// more is refused: "This board is full: erase or clear something
    /// first".
    #[arg(long = "board-max-bytes", env = "HUDDLE_BOARD_MAX_BYTES", default_value_t = BoardLimits::DEFAULT.max_bytes)]
    pub max_bytes: u64,
    /// Most bytes of erased shapes one board keeps so that undo can bring
    /// them back; past it, the shapes erased longest ago are deleted. At
    /// least HUDDLE_BOARD_MAX_BYTES keeps the last clear undoable.
    #[arg(long = "board-erased-bytes", env = "HUDDLE_BOARD_ERASED_BYTES", default_value_t = BoardLimits::DEFAULT.erased_bytes)]
    pub erased_bytes: u64,
    /// Most bytes of shapes one client (an account; for guests, an
    /// address) may add to boards in a day (UTC).
    #[arg(long = "board-daily-bytes", env = "HUDDLE_BOARD_DAILY_BYTES", default_value_t = BoardLimits::DEFAULT.daily_bytes)]
    pub daily_bytes: u64,
}

impl BoardLimits {
    /// 8 MiB shown holds any board within the shape and point limits
    /// (5,000 shapes, 200,000 points) as a browser draws them; as much
    /// again erased; 64 MiB a day is some thirty thousand strokes.
    pub const DEFAULT: BoardLimits = BoardLimits {
        max_bytes: 8 * 1024 * 1024,
        erased_bytes: 8 * 1024 * 1024,
        daily_bytes: 64 * 1024 * 1024,
    };
}

impl Default for BoardLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Whose daily budget a change draws from: an account, or for a guest the
/// address it came from (an IPv6 address by its /64, what one subscriber
/// is usually given, so that a guest cannot multiply it by changing
/// addresses within it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardClient {
    Account(i64),
    Address(IpAddr),
}

impl BoardClient {
    /// Its key in `board_writes`.
    pub(super) fn key(&self) -> String {
        match *self {
            BoardClient::Account(id) => format!("account:{id}"),
            BoardClient::Address(IpAddr::V4(v4)) => format!("address:{v4}"),
            BoardClient::Address(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => format!("address:{v4}"),
                None => {
                    let s = v6.segments();
                    format!("address:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
        }
    }
}

/// What one board stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoardUsage {
    /// Bytes of all its shapes, shown and erased.
    pub stored_bytes: u64,
    /// The part of `stored_bytes` that is erased, kept for undo.
    pub erased_bytes: u64,
    /// Its shape rows, shown and erased.
    pub shapes: u64,
}

/// Today, as `board_writes` counts days: since 1970-01-01, UTC.
pub(crate) fn today() -> i64 {
    chrono::Utc::now().timestamp().div_euclid(86_400)
}

/// A byte budget as the database counts.
pub(super) fn as_count(bytes: u64) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

impl Store {
    /// What the board of `room` stores (all zero for a board never
    /// changed).
    pub async fn board_usage(
        &self,
        room: &crate::protocol::RoomName,
    ) -> Result<BoardUsage, StoreError> {
        let mut conn = self.reader.acquire().await?;
        let counts: Option<(i64, i64)> =
            sqlx::query_as("SELECT bytes, erased_bytes FROM boards WHERE room = $1")
                .bind(room.as_str())
                .fetch_optional(&mut *conn)
                .await?;
        let shapes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM board_shapes WHERE room = $1")
            .bind(room.as_str())
            .fetch_one(&mut *conn)
            .await?;
        let (stored, erased) = counts.unwrap_or_default();
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(BoardUsage {
            stored_bytes: count(stored),
            erased_bytes: count(erased),
            shapes: count(shapes),
        })
    }
}

/// Deletes the daily counts of the days before `day`; how many went.
pub(in crate::server::store) async fn purge_writes(
    writer: &sqlx::AnyPool,
    day: i64,
) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM board_writes WHERE day < $1")
        .bind(day)
        .execute(writer)
        .await?;
    Ok(done.rows_affected())
}

/// Counts `bytes` more added by `client` on `day`; refuses (the
/// transaction then rolls the count back) past `limit`.
pub(super) async fn count_write(
    tx: &mut Tx<'_>,
    client: &str,
    day: i64,
    bytes: i64,
    limit: u64,
) -> Result<Option<BoardRefusal>, StoreError> {
    let total: i64 = sqlx::query_scalar(
        "INSERT INTO board_writes (client, day, bytes) VALUES ($1, $2, $3) \
         ON CONFLICT (client, day) DO UPDATE SET bytes = board_writes.bytes + excluded.bytes \
         RETURNING bytes",
    )
    .bind(client)
    .bind(day)
    .bind(bytes)
    .fetch_one(&mut **tx)
    .await?;
    Ok((total > as_count(limit)).then_some(BoardRefusal::DailyLimit(limit)))
}

/// Erase changes read at a time while looking for where to compact.
const COMPACT_PAGE: i64 = 64;

/// Deletes the shapes erased longest ago, whole erase changes at a time
/// (all that one change erased, or none of it), until the board keeps at
/// most its budget of erased bytes; `compacted_seq` becomes the newest
/// change deleted.
pub(super) async fn compact(tx: &mut Tx<'_>, board: &mut Board<'_>) -> Result<(), StoreError> {
    let excess = board.erased_bytes - as_count(board.limits.erased_bytes);
    if excess <= 0 {
        return Ok(());
    }
    // The oldest erase changes, each with what it erased, until they hold
    // the excess.
    let (mut sum, mut upto) = (0_i64, 0_i64);
    'pages: loop {
        let rows = sqlx::query(
            "SELECT erased_seq, CAST(SUM(bytes) AS BIGINT) AS bytes FROM board_shapes \
             WHERE room = $1 AND erased_seq > $2 GROUP BY erased_seq ORDER BY erased_seq LIMIT $3",
        )
        .bind(board.room.as_str())
        .bind(upto)
        .bind(COMPACT_PAGE)
        .fetch_all(&mut **tx)
        .await?;
        let last_page = (rows.len() as i64) < COMPACT_PAGE;
        for row in rows {
            upto = row.try_get("erased_seq")?;
            sum += row.try_get::<i64, _>("bytes")?;
            if sum >= excess {
                break 'pages;
            }
        }
        if last_page {
            break;
        }
    }
    if upto == 0 {
        return Ok(());
    }
    let deleted: Vec<i64> = sqlx::query_scalar(
        "DELETE FROM board_shapes WHERE room = $1 AND erased_seq <= $2 RETURNING bytes",
    )
    .bind(board.room.as_str())
    .bind(upto)
    .fetch_all(&mut **tx)
    .await?;
    let freed: i64 = deleted.iter().sum();
    board.bytes -= freed;
    board.erased_bytes -= freed;
    board.compacted_seq = board.compacted_seq.max(upto);
    Ok(())
}

/// Writes the board's counts as the change leaves them.
pub(super) async fn save(tx: &mut Tx<'_>, board: &Board<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE boards SET bytes = $1, erased_bytes = $2, compacted_seq = $3 WHERE room = $4",
    )
    .bind(board.bytes.max(0))
    .bind(board.erased_bytes.max(0))
    .bind(board.compacted_seq)
    .bind(board.room.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guests_are_counted_by_address_and_ipv6_by_its_64() {
        let key = |ip: &str| BoardClient::Address(ip.parse().unwrap()).key();
        assert_eq!(BoardClient::Account(7).key(), "account:7");
        assert_eq!(key("203.0.113.9"), "address:203.0.113.9");
        assert_eq!(key("::ffff:203.0.113.9"), "address:203.0.113.9");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "address:2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), key("2001:db8:1:2:aaaa::1"));
    }

    #[test]
    fn the_defaults_are_the_documented_ones() {
        let d = BoardLimits::DEFAULT;
        assert_eq!(
            (d.max_bytes, d.erased_bytes, d.daily_bytes),
            (8_388_608, 8_388_608, 67_108_864)
        );
    }
}
