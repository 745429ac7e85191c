//! Rows of the `messages` table as messages: read by the history and by
//! the writer (a retried send is answered with the stored message).

use super::StoreError;
use crate::protocol::chat::{ClientMessageId, NewMessage as StoredMessage, Timestamp};
use crate::protocol::{MessageText, RoomName, Username};
use sqlx::any::AnyRow;
use sqlx::Row;

/// The message `author_key` stored in room `room_id` with `client_id`,
/// if any.
pub(super) async fn select_by_client_id(
    conn: &mut sqlx::AnyConnection,
    room_id: i64,
    author_key: &str,
    client_id: &str,
) -> Result<Option<StoredMessage>, StoreError> {
    let row = sqlx::query(
        "SELECT m.id, m.seq, m.username, m.body, m.created_at, m.client_id, m.deleted_at, \
         m.edited_at, m.change_seq, r.name AS room \
         FROM messages m JOIN rooms r ON r.id = m.room_id \
         WHERE m.room_id = $1 AND m.author_key = $2 AND m.client_id = $3",
    )
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

/// A message from a row of its columns through `change_seq` (its
/// reactions are read apart: `message_changes::attach_reactions`).
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
    })
}
