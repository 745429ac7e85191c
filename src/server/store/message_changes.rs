//! Changes to room messages after they are sent (issue #15): edits with
//! their earlier versions (`message_versions`), reactions (`reactions`),
//! and the change feed: each change takes the room's next change number
//! (`rooms.last_change`) and the message keeps it (`messages.change_seq`),
//! so the messages changed after a number are the feed
//! (`protocol::message_changes`). A deletion (`moderation.rs`) is a
//! change too ([`next_change`]).
//!
//! Every change runs in one transaction that starts by taking the room's
//! next number: on PostgreSQL that row lock orders a room's changes, so
//! numbers commit in order; on SQLite the write lock does. A change that
//! turns out to change nothing rolls back, so it takes no number.

use super::message_rows::{attach_repliers, message_columns, message_from_row};

use super::{now_text, RoomMeta, Store, StoreError};
use crate::protocol::chat::{ClientMessageId, NewMessage as StoredMessage, Timestamp};
use crate::protocol::emoji::{Emoji, Reaction};
use crate::protocol::limits::{
    MAX_MESSAGE_VERSIONS, MAX_REACTIONS_PER_MESSAGE, MAX_REACTORS_LISTED,
};
use crate::protocol::message_changes::Version;
use crate::protocol::{MessageText, RoomName, Username};
use sqlx::{AnyConnection, Row};

/// What a change did, to a room's message (`M`: its state as `new-message`
/// has it) or to a direct message (`DmChange`, `direct_changes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed<M = StoredMessage> {
    /// Done, under a new change number: tell the room (or both people).
    Applied(M),
    /// Nothing to do (the text was the same, the reaction already so, the
    /// message already deleted, or a retry of a change already applied):
    /// the message as it is.
    Unchanged(M),
    /// No such message in the room or conversation (or deleted; for an
    /// edit or a deletion of a direct message, not the account's).
    Gone,
    /// A new emoji past [`MAX_REACTIONS_PER_MESSAGE`].
    TooManyReactions,
}

/// What `message_from_row` reads, of one message.
const STATE_SQL: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM messages m WHERE m.id = $1 AND m.room_id = $2"
);

/// The change feed: what `message_from_row` reads, of a room's messages
/// changed after a number, in change order.
const FEED_SQL: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM messages m JOIN rooms r ON r.id = m.room_id \
     WHERE r.name = $1 AND m.change_seq > $2 ORDER BY m.change_seq LIMIT $3"
);

/// Takes `room`'s next change number (in `tx`, which holds it until it
/// ends).
pub(super) async fn next_change(conn: &mut AnyConnection, room: i64) -> Result<i64, StoreError> {
    let change: i64 = sqlx::query_scalar(
        "UPDATE rooms SET last_change = last_change + 1 WHERE id = $1 RETURNING last_change",
    )
    .bind(room)
    .fetch_one(&mut *conn)
    .await?;
    Ok(change)
}

/// Records `client_id` as applied for `user`; false when it already was
/// (a retry). Room and direct-message changes share these keys.
pub(super) async fn first_request(
    conn: &mut AnyConnection,
    user: i64,
    client_id: Option<&ClientMessageId>,
) -> Result<bool, StoreError> {
    let Some(client_id) = client_id else {
        return Ok(true);
    };
    let done = sqlx::query(
        "INSERT INTO change_requests (user_id, client_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(user)
    .bind(client_id.as_str())
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Message `id` of `room` as it is now, with its reactions.
pub(super) async fn message_state(
    conn: &mut AnyConnection,
    room: &RoomMeta,
    id: i64,
) -> Result<Option<StoredMessage>, StoreError> {
    let row = sqlx::query(STATE_SQL)
        .bind(id)
        .bind(room.id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let mut messages = vec![message_from_row(&row, &room.name)?];
    attach_reactions(&mut *conn, &mut messages).await?;
    attach_repliers(&mut *conn, &mut messages).await?;
    Ok(messages.pop())
}

/// Fills in the reactions of `messages` ([`reactions_of`]).
pub(super) async fn attach_reactions(
    conn: &mut AnyConnection,
    messages: &mut [StoredMessage],
) -> Result<(), StoreError> {
    let ids: Vec<i64> = messages
        .iter()
        .filter(|m| !m.deleted)
        .map(|m| m.id)
        .collect();
    for (id, reactions) in reactions_of(conn, ReactionTable::Rooms, &ids).await? {
        if let Some(message) = messages.iter_mut().find(|m| m.id == id) {
            message.reactions = reactions;
        }
    }
    Ok(())
}

/// Where reactions are kept: to room messages (`reactions`), or to
/// direct messages (`dm_reactions`, `direct_changes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ReactionTable {
    Rooms,
    Direct,
}

impl ReactionTable {
    /// The table and its message id column.
    fn names(self) -> (&'static str, &'static str) {
        match self {
            ReactionTable::Rooms => ("reactions", "message_id"),
            ReactionTable::Direct => ("dm_reactions", "dm_id"),
        }
    }
}

/// The reactions of the messages `ids`, read in one query: per message,
/// per emoji (in the order each was first used) the count and the first
/// [`MAX_REACTORS_LISTED`] accounts. Messages with none are left out.
pub(super) async fn reactions_of(
    conn: &mut AnyConnection,
    table: ReactionTable,
    ids: &[i64],
) -> Result<Vec<(i64, Vec<Reaction>)>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = (1..=ids.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let listed = MAX_REACTORS_LISTED;
    let (reactions, id_column) = table.names();
    let sql = format!(
        "SELECT message_id, emoji, username, n, total FROM ( \
           SELECT r.{id_column} AS message_id, r.emoji, u.username, r.created_at, \
             ROW_NUMBER() OVER (PARTITION BY r.{id_column}, r.emoji ORDER BY r.created_at, r.user_id) AS n, \
             COUNT(*) OVER (PARTITION BY r.{id_column}, r.emoji) AS total, \
             MIN(r.created_at) OVER (PARTITION BY r.{id_column}, r.emoji) AS first_at \
           FROM {reactions} r JOIN users u ON u.id = r.user_id \
           WHERE r.{id_column} IN ({placeholders})) t \
         WHERE n <= {listed} ORDER BY message_id, first_at, emoji, n"
    );
    // Built from numbered placeholders and constants only.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    let decode = |e: crate::protocol::NameError| sqlx::Error::Decode(e.into());
    let mut out: Vec<(i64, Vec<Reaction>)> = Vec::new();
    for row in rows {
        let id: i64 = row.try_get("message_id")?;
        let emoji = Emoji::parse(&row.try_get::<String, _>("emoji")?).map_err(decode)?;
        let user = Username::parse(&row.try_get::<String, _>("username")?).map_err(decode)?;
        let total: i64 = row.try_get("total")?;
        if out.last().is_none_or(|(last, _)| *last != id) {
            out.push((id, Vec::new()));
        }
        let Some((_, reactions)) = out.last_mut() else {
            continue;
        };
        match reactions.last_mut() {
            Some(last) if last.emoji == emoji => last.users.push(user),
            _ => reactions.push(Reaction {
                emoji,
                count: u32::try_from(total).unwrap_or(u32::MAX),
                users: vec![user],
            }),
        }
    }
    Ok(out)
}

/// Forgets the client ids of changes applied before `before` (a day ago:
/// retries come within seconds).
pub(super) async fn purge_requests(
    writer: &sqlx::AnyPool,
    before: &str,
) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM change_requests WHERE created_at < $1")
        .bind(before)
        .execute(writer)
        .await?;
    Ok(done.rows_affected())
}

impl Store {
    /// `user` replaces the text of its message `id` in `room` with `text`.
    /// The text before is kept as an earlier version (at most
    /// [`MAX_MESSAGE_VERSIONS`]).
    pub async fn edit_message(
        &self,
        room: &RoomMeta,
        id: i64,
        user: i64,
        text: &MessageText,
        client_id: Option<&ClientMessageId>,
    ) -> Result<Changed, StoreError> {
        let mut tx = self.writer.begin().await?;
        let change = next_change(&mut tx, room.id).await?;
        let row = sqlx::query(
            "SELECT body, created_at, edited_at FROM messages \
             WHERE id = $1 AND room_id = $2 AND user_id = $3 AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(room.id)
        .bind(user)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(Changed::Gone);
        };
        let body: String = row.try_get("body")?;
        let fresh = first_request(&mut tx, user, client_id).await?;
        if !fresh || body == text.as_str() {
            let state = message_state(&mut tx, room, id).await?;
            tx.rollback().await?;
            return Ok(state.map_or(Changed::Gone, Changed::Unchanged));
        }
        let written_at: String = match row.try_get::<Option<String>, _>("edited_at")? {
            Some(edited) => edited,
            None => row.try_get("created_at")?,
        };
        let version: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM message_versions WHERE message_id = $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO message_versions (message_id, version, body, written_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(version)
        .bind(&body)
        .bind(&written_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM message_versions WHERE message_id = $1 AND version <= $2")
            .bind(id)
            .bind(version - MAX_MESSAGE_VERSIONS as i64)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE messages SET body = $1, edited_at = $2, change_seq = $3 WHERE id = $4")
            .bind(text.as_str())
            .bind(now_text())
            .bind(change)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let state = message_state(&mut tx, room, id).await?;
        tx.commit().await?;
        Ok(state.map_or(Changed::Gone, Changed::Applied))
    }

    /// `user` adds (`on`) or takes back its `emoji` reaction to message
    /// `id` of `room`.
    pub async fn react(
        &self,
        room: &RoomMeta,
        id: i64,
        user: i64,
        emoji: &Emoji,
        on: bool,
        client_id: Option<&ClientMessageId>,
    ) -> Result<Changed, StoreError> {
        let mut tx = self.writer.begin().await?;
        let change = next_change(&mut tx, room.id).await?;
        let live: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM messages WHERE id = $1 AND room_id = $2 AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(room.id)
        .fetch_optional(&mut *tx)
        .await?;
        if live.is_none() {
            return Ok(Changed::Gone);
        }
        let mut changed = first_request(&mut tx, user, client_id).await?;
        if changed && on {
            let emoji_used: Vec<String> =
                sqlx::query_scalar("SELECT DISTINCT emoji FROM reactions WHERE message_id = $1")
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
            if !emoji_used.iter().any(|e| e == emoji.as_str())
                && emoji_used.len() >= MAX_REACTIONS_PER_MESSAGE
            {
                return Ok(Changed::TooManyReactions);
            }
            let added = sqlx::query(
                "INSERT INTO reactions (message_id, emoji, user_id, created_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(emoji.as_str())
            .bind(user)
            .bind(now_text())
            .execute(&mut *tx)
            .await?;
            changed = added.rows_affected() == 1;
        } else if changed {
            let taken = sqlx::query(
                "DELETE FROM reactions WHERE message_id = $1 AND emoji = $2 AND user_id = $3",
            )
            .bind(id)
            .bind(emoji.as_str())
            .bind(user)
            .execute(&mut *tx)
            .await?;
            changed = taken.rows_affected() == 1;
        }
        if !changed {
            let state = message_state(&mut tx, room, id).await?;
            tx.rollback().await?;
            return Ok(state.map_or(Changed::Gone, Changed::Unchanged));
        }
        sqlx::query("UPDATE messages SET change_seq = $1 WHERE id = $2")
            .bind(change)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let state = message_state(&mut tx, room, id).await?;
        tx.commit().await?;
        Ok(state.map_or(Changed::Gone, Changed::Applied))
    }

    /// The earlier texts of message `id` of room `room`, oldest first.
    pub async fn message_versions(&self, room: i64, id: i64) -> Result<Vec<Version>, StoreError> {
        let rows = sqlx::query(
            "SELECT v.body, v.written_at FROM message_versions v \
             JOIN messages m ON m.id = v.message_id \
             WHERE v.message_id = $1 AND m.room_id = $2 ORDER BY v.version",
        )
        .bind(id)
        .bind(room)
        .fetch_all(&self.reader)
        .await?;
        let decode = |e: crate::protocol::NameError| sqlx::Error::Decode(e.into());
        rows.iter()
            .map(|r| {
                Ok(Version {
                    message: MessageText::parse(&r.try_get::<String, _>("body")?)
                        .map_err(decode)?,
                    timestamp: Timestamp(r.try_get("written_at")?),
                })
            })
            .collect()
    }

    /// The room's latest change number (0 for a room with none, or none).
    pub async fn last_change(&self, room: &RoomName) -> Result<i64, StoreError> {
        let last: Option<i64> = sqlx::query_scalar("SELECT last_change FROM rooms WHERE name = $1")
            .bind(room.as_str())
            .fetch_optional(&self.reader)
            .await?;
        Ok(last.unwrap_or(0))
    }

    /// The messages of `room` changed after change number `after`, in
    /// change order, at most `limit`; the room's latest change number
    /// (read first); and whether more changed messages follow.
    pub async fn changes_after(
        &self,
        room: &RoomName,
        after: i64,
        limit: u32,
    ) -> Result<(Vec<StoredMessage>, i64, bool), StoreError> {
        let last = self.last_change(room).await?;
        let mut conn = self.reader.acquire().await?;
        let mut rows = sqlx::query(FEED_SQL)
            .bind(room.as_str())
            .bind(after)
            .bind(i64::from(limit) + 1)
            .fetch_all(&mut *conn)
            .await?;
        let has_more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let mut messages = rows
            .iter()
            .map(|r| message_from_row(r, room))
            .collect::<Result<Vec<_>, _>>()?;
        attach_reactions(&mut conn, &mut messages).await?;
        attach_repliers(&mut conn, &mut messages).await?;
        Ok((messages, last, has_more))
    }
}

#[cfg(test)]
mod tests;
