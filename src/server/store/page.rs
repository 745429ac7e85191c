//! One page of a conversation's history, a room's or a DM pair's: the
//! paging both kinds share.

use super::StoreError;
use crate::protocol::history::Cursor;
use sqlx::any::AnyRow;
use sqlx::AnyPool;

pub(super) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// One page of a conversation (a room or a DM pair), shared by `history`
/// and `dm_history`. `sql` holds the latest / before / after queries, each
/// ending in `[AND seq <|> ?] ORDER BY seq ... LIMIT ?`; `key` binds the
/// conversation. Returns at most `limit` rows in ascending `seq` order, and
/// whether there are more in the cursor's direction.
pub(super) async fn fetch_page<'q>(
    pool: &AnyPool,
    [latest, before, after]: [&'static str; 3],
    key: impl FnOnce(AnyQuery<'q>) -> AnyQuery<'q>,
    cursor: Cursor,
    limit: u32,
) -> Result<(Vec<AnyRow>, bool), StoreError> {
    let limit = limit as usize;
    let query = match cursor {
        Cursor::Latest => key(sqlx::query(latest)),
        Cursor::Before(seq) => key(sqlx::query(before)).bind(seq),
        Cursor::After(seq) => key(sqlx::query(after)).bind(seq),
    };
    // One more than asked: its presence says whether there is more.
    let mut rows = query.bind(limit as i64 + 1).fetch_all(pool).await?;
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    if !matches!(cursor, Cursor::After(_)) {
        rows.reverse();
    }
    Ok((rows, has_more))
}
