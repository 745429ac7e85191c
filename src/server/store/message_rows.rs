//! Rows of the `messages` table as messages: read by the history and by
//! the writer (a retried send is answered with the stored message).

use super::StoreError;
use crate::protocol::chat::{ClientMessageId, NewMessage as StoredMessage, Timestamp};
use crate::protocol::limits::MAX_REPLIERS_LISTED;
use crate::protocol::thread_summary::ThreadSummary;
use crate::protocol::{MessageText, RoomName, Username};
use sqlx::any::AnyRow;
use sqlx::Row;

/// The columns [`message_from_row`] reads, of `messages m` (for `concat!`).
macro_rules! message_columns {
    () => {
        "m.id, m.seq, m.username, m.body, m.created_at, m.client_id, m.deleted_at, \
         m.edited_at, m.change_seq, m.thread_id, m.in_room, m.reply_count, m.last_reply_at"
    };
}
pub(super) use message_columns;

/// The message `author_key` stored in room `room_id` with `client_id`,
/// if any.
pub(super) async fn select_by_client_id(
    conn: &mut sqlx::AnyConnection,
    room_id: i64,
    author_key: &str,
    client_id: &str,
) -> Result<Option<StoredMessage>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        message_columns!(),
        ", r.name AS room FROM messages m \
             JOIN rooms r ON r.id = m.room_id \
             WHERE m.room_id = $1 AND m.author_key = $2 AND m.client_id = $3"
    ))
    .bind(room_id)
    .bind(author_key)
    .bind(client_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        let room: String = r.try_get("room")?;
        let room = RoomName::parse(&room).map_err(|e| sqlx::Error::Decode(e.into()))?;
        message_from_row(&r, &room)
    })
    .transpose()
}

/// A message from a row of its [`message_columns`] (its reactions and
/// who replied to it are read apart: `message_changes::attach_reactions`,
/// [`attach_repliers`]).
pub(super) fn message_from_row(r: &AnyRow, room: &RoomName) -> Result<StoredMessage, StoreError> {
    let decode = |e: crate::protocol::NameError| sqlx::Error::Decode(e.into());
    let username: String = r.try_get("username")?;
    let body: String = r.try_get("body")?;
    let deleted = r.try_get::<Option<String>, _>("deleted_at")?.is_some();
    let message = match deleted {
        true => MessageText::tombstone(),
        false => MessageText::parse(&body).map_err(decode)?,
    };
    Ok(StoredMessage {
        id: r.try_get("id")?,
        seq: r.try_get("seq")?,
        room: room.clone(),
        username: Username::parse(&username).map_err(decode)?,
        message,
        timestamp: Timestamp(r.try_get("created_at")?),
        client_id: r
            .try_get::<Option<String>, _>("client_id")?
            .and_then(|c| ClientMessageId::parse(&c).ok()),
        deleted,
        edited: r.try_get::<Option<String>, _>("edited_at")?.map(Timestamp),
        reactions: Vec::new(),
        change: r.try_get("change_seq")?,
        thread: r.try_get("thread_id")?,
        in_room: r.try_get::<i64, _>("in_room")? != 0,
        replies: match r.try_get::<i64, _>("reply_count")? {
            0 => None,
            count => Some(ThreadSummary {
                count: u32::try_from(count).unwrap_or(u32::MAX),
                last: Timestamp(
                    r.try_get::<Option<String>, _>("last_reply_at")?
                        .unwrap_or_default(),
                ),
                by: Vec::new(),
            }),
        },
    })
}

/// Fills in who replied to the thread roots among `messages` (those with
/// `replies`): the latest [`MAX_REPLIERS_LISTED`] distinct authors of
/// replies not deleted, the latest first, read in one query.
pub(super) async fn attach_repliers(
    conn: &mut sqlx::AnyConnection,
    messages: &mut [StoredMessage],
) -> Result<(), StoreError> {
    let ids: Vec<i64> = messages
        .iter()
        .filter(|m| m.replies.is_some())
        .map(|m| m.id)
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let placeholders = (1..=ids.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let listed = MAX_REPLIERS_LISTED;
    let sql = format!(
        "SELECT thread_id, username FROM ( \
           SELECT thread_id, username, \
             ROW_NUMBER() OVER (PARTITION BY thread_id ORDER BY MAX(seq) DESC) AS n \
           FROM messages WHERE thread_id IN ({placeholders}) AND deleted_at IS NULL \
           GROUP BY thread_id, username) t \
         WHERE n <= {listed} ORDER BY thread_id, n"
    );
    // Built from numbered placeholders and a constant only.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in &ids {
        query = query.bind(*id);
    }
    let decode = |e: crate::protocol::NameError| sqlx::Error::Decode(e.into());
    for row in query.fetch_all(&mut *conn).await? {
        let thread: i64 = row.try_get("thread_id")?;
        let user = Username::parse(&row.try_get::<String, _>("username")?).map_err(decode)?;
        let summary = messages
            .iter_mut()
            .find(|m| m.id == thread)
            .and_then(|m| m.replies.as_mut());
        if let Some(summary) = summary {
            summary.by.push(user);
        }
    }
    Ok(())
}
