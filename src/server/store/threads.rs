//! Replies and threads (issue #15; `protocol::threads`): a reply is a row
//! of `messages` with `thread_id`, numbered in its room like any message;
//! its root keeps the summary (`reply_count`, `last_reply_at`) and takes a
//! change number for each reply, so the change feed carries it; who
//! follows a thread is `thread_follows`.
//!
//! A reply is stored in one transaction of its own, not through the
//! message writer's batches: it changes two rows and the followers. It
//! starts by taking the room's next `seq` and change number in one
//! statement, which (as in the writer and in `message_changes`) holds the
//! room's row lock on PostgreSQL, and the write lock on SQLite, until it
//! ends.

use super::message_changes::message_state;
use super::message_rows::{
    attach_repliers, message_columns, message_from_row, select_by_client_id,
};
use super::page::fetch_page;
use super::{now_ms, Author, RoomMeta, Store, StoreError};
use crate::protocol::chat::{ClientMessageId, NewMessage as StoredMessage, Timestamp};
use crate::protocol::history::Cursor;
use crate::protocol::limits::MAX_THREAD_ALERTS;
use crate::protocol::rooms::RoomKind;
use crate::protocol::{MessageText, Username};
use sqlx::{AnyConnection, Row};

/// What storing a reply did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replied {
    /// Stored: tell the room of the reply and of its root's new state, and
    /// alert `followers` (accounts, never the replier; at most
    /// [`MAX_THREAD_ALERTS`]; in a private room its members only, and
    /// never one banned from the room).
    New {
        reply: StoredMessage,
        root: Box<StoredMessage>,
        followers: Vec<i64>,
    },
    /// A retry of a reply stored before (same author and client id): the
    /// stored reply.
    Duplicate(StoredMessage),
    /// No such message in the room, or its thread's first message is
    /// deleted or no longer kept.
    Gone,
}

/// A thread read by `thread-history`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRead {
    pub root: StoredMessage,
    pub replies: Vec<StoredMessage>,
    pub has_more: bool,
    pub following: bool,
    pub last_change: i64,
}

/// A reply to be stored.
pub struct NewReply<'a> {
    pub thread: i64,
    pub author: &'a Username,
    pub by: &'a Author,
    pub body: &'a MessageText,
    pub in_room: bool,
    pub client_id: Option<&'a ClientMessageId>,
    pub timestamp: &'a Timestamp,
}

/// The root of the thread message `id` of `room` is in (itself, or the
/// root a reply names), with whether it is deleted and its author's
/// account.
async fn thread_root(
    conn: &mut AnyConnection,
    room: i64,
    id: i64,
) -> Result<Option<(i64, bool, Option<i64>)>, StoreError> {
    let mut id = id;
    // A reply's root is never itself a reply: at most two looks.
    for _ in 0..2 {
        let row = sqlx::query(
            "SELECT thread_id, deleted_at, user_id FROM messages WHERE id = $1 AND room_id = $2",
        )
        .bind(id)
        .bind(room)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else { return Ok(None) };
        match row.try_get::<Option<i64>, _>("thread_id")? {
            Some(root) => id = root,
            None => {
                let deleted = row.try_get::<Option<String>, _>("deleted_at")?.is_some();
                return Ok(Some((id, deleted, row.try_get("user_id")?)));
            }
        }
    }
    Ok(None)
}

/// `user` follows thread `root` (`following`); `only_new`: unless it
/// already said whether it does.
async fn set_following(
    conn: &mut AnyConnection,
    root: i64,
    user: i64,
    following: bool,
    only_new: bool,
) -> Result<(), StoreError> {
    let sql = match only_new {
        true => {
            "INSERT INTO thread_follows (message_id, user_id, following) VALUES ($1, $2, $3) \
             ON CONFLICT (message_id, user_id) DO NOTHING"
        }
        false => {
            "INSERT INTO thread_follows (message_id, user_id, following) VALUES ($1, $2, $3) \
             ON CONFLICT (message_id, user_id) DO UPDATE SET following = $3"
        }
    };
    sqlx::query(sql)
        .bind(root)
        .bind(user)
        .bind(i64::from(following))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The accounts following thread `root` of `room` to alert of a reply by
/// `replier` (see [`Replied::New`]).
async fn followers(
    conn: &mut AnyConnection,
    room: &RoomMeta,
    root: i64,
    replier: Option<i64>,
) -> Result<Vec<i64>, StoreError> {
    let members_only = match room.kind {
        RoomKind::Private => {
            "AND EXISTS (SELECT 1 FROM memberships m \
                              WHERE m.room_id = $2 AND m.user_id = f.user_id)"
        }
        RoomKind::Public => "",
    };
    let sql = format!(
        "SELECT f.user_id FROM thread_follows f WHERE f.message_id = $1 AND f.following <> 0 \
           AND f.user_id <> $3 {members_only} \
           AND NOT EXISTS (SELECT 1 FROM room_sanctions s WHERE s.room_id = $2 \
             AND s.user_id = f.user_id AND s.kind = 'ban' \
             AND (s.until_ms IS NULL OR s.until_ms > $4)) \
         ORDER BY f.user_id LIMIT $5"
    );
    // Built from two constant strings only.
    let followers = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(root)
        .bind(room.id)
        .bind(replier.unwrap_or(0))
        .bind(now_ms())
        .bind(MAX_THREAD_ALERTS as i64)
        .fetch_all(&mut *conn)
        .await?;
    Ok(followers)
}

/// The start of every thread page query; `concat!` keeps the SQL static.
macro_rules! thread_query {
    () => {
        concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages m WHERE m.thread_id = $1 AND m.room_id = $2"
        )
    };
}

impl Store {
    /// Stores `reply` in the thread of its message, in `room`: the room's
    /// next `seq` for the reply, the next change number for its root (its
    /// summary changed); the replier (an account) follows the thread, and
    /// so does the root's author unless it said otherwise.
    pub async fn append_reply(
        &self,
        room: &RoomMeta,
        reply: NewReply<'_>,
    ) -> Result<Replied, StoreError> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(
            "UPDATE rooms SET last_seq = last_seq + 1, last_change = last_change + 1 \
             WHERE id = $1 RETURNING last_seq, last_change",
        )
        .bind(room.id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(Replied::Gone);
        };
        let (seq, change): (i64, i64) = (row.try_get("last_seq")?, row.try_get("last_change")?);
        let author_key = reply.by.key();
        if let Some(client_id) = reply.client_id {
            let stored =
                select_by_client_id(&mut tx, room.id, &author_key, client_id.as_str()).await?;
            if let Some(stored) = stored {
                tx.rollback().await?;
                return Ok(Replied::Duplicate(stored));
            }
        }
        let Some((root, false, root_author)) = thread_root(&mut tx, room.id, reply.thread).await?
        else {
            tx.rollback().await?;
            return Ok(Replied::Gone);
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO messages (room_id, seq, username, user_id, body, created_at, client_id, \
             author_key, thread_id, in_room) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(room.id)
        .bind(seq)
        .bind(reply.author.as_str())
        .bind(reply.by.account())
        .bind(reply.body.as_str())
        .bind(reply.timestamp.0.as_str())
        .bind(reply.client_id.map(ClientMessageId::as_str))
        .bind(author_key.as_str())
        .bind(root)
        .bind(i64::from(reply.in_room))
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE messages SET reply_count = reply_count + 1, last_reply_at = $1, \
             change_seq = $2 WHERE id = $3",
        )
        .bind(reply.timestamp.0.as_str())
        .bind(change)
        .bind(root)
        .execute(&mut *tx)
        .await?;
        let replier = reply.by.account();
        if let Some(author) = root_author {
            set_following(&mut tx, root, author, true, true).await?;
        }
        if let Some(replier) = replier {
            set_following(&mut tx, root, replier, true, false).await?;
        }
        let followers = followers(&mut tx, room, root, replier).await?;
        let Some(root_state) = message_state(&mut tx, room, root).await? else {
            tx.rollback().await?;
            return Ok(Replied::Gone);
        };
        tx.commit().await?;
        let reply = StoredMessage {
            id,
            seq,
            room: room.name.clone(),
            username: reply.author.clone(),
            message: reply.body.clone(),
            timestamp: reply.timestamp.clone(),
            client_id: reply.client_id.cloned(),
            deleted: false,
            edited: None,
            reactions: Vec::new(),
            change: 0,
            thread: Some(root),
            in_room: reply.in_room,
            replies: None,
        };
        Ok(Replied::New {
            reply,
            root: Box::new(root_state),
            followers,
        })
    }

    /// The thread of message `id` of `room` (its own, or the one it
    /// replies in): its root as it is now and a page of its replies in
    /// `seq` order; `None` when there is no such message, or its thread's
    /// first message is no longer kept.
    pub async fn thread_page(
        &self,
        room: &RoomMeta,
        id: i64,
        cursor: Cursor,
        limit: u32,
        user: Option<i64>,
    ) -> Result<Option<ThreadRead>, StoreError> {
        let last_change = self.last_change(&room.name).await?;
        let mut conn = self.reader.acquire().await?;
        let Some((root, _, _)) = thread_root(&mut conn, room.id, id).await? else {
            return Ok(None);
        };
        let Some(root_state) = message_state(&mut conn, room, root).await? else {
            return Ok(None);
        };
        let following = match user {
            Some(user) => sqlx::query_scalar::<_, i64>(
                "SELECT following FROM thread_follows WHERE message_id = $1 AND user_id = $2",
            )
            .bind(root)
            .bind(user)
            .fetch_optional(&mut *conn)
            .await?
            .is_some_and(|f| f != 0),
            None => false,
        };
        drop(conn);
        let (rows, has_more) = fetch_page(
            &self.reader,
            [
                concat!(thread_query!(), " ORDER BY m.seq DESC LIMIT $3"),
                concat!(
                    thread_query!(),
                    " AND m.seq < $3 ORDER BY m.seq DESC LIMIT $4"
                ),
                concat!(
                    thread_query!(),
                    " AND m.seq > $3 ORDER BY m.seq ASC LIMIT $4"
                ),
            ],
            |q| q.bind(root).bind(room.id),
            cursor,
            limit,
        )
        .await?;
        let mut replies = rows
            .iter()
            .map(|r| message_from_row(r, &room.name))
            .collect::<Result<Vec<_>, _>>()?;
        let mut conn = self.reader.acquire().await?;
        super::message_changes::attach_reactions(&mut conn, &mut replies).await?;
        attach_repliers(&mut conn, &mut replies).await?;
        Ok(Some(ThreadRead {
            root: root_state,
            replies,
            has_more,
            following,
            last_change,
        }))
    }

    /// `user` follows the thread of message `id` of `room` (`on`) or stops;
    /// the thread's root id, or `None` when there is no such message.
    pub async fn follow_thread(
        &self,
        room: i64,
        id: i64,
        user: i64,
        on: bool,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let Some((root, _, _)) = thread_root(&mut tx, room, id).await? else {
            return Ok(None);
        };
        set_following(&mut tx, root, user, on, false).await?;
        tx.commit().await?;
        Ok(Some(root))
    }
}

/// When a reply is deleted (in `tx`, with change number `change`): its
/// root counts one reply fewer and takes `change`, its last reply time
/// that of its latest reply left. The root's state, to tell the room.
pub(super) async fn reply_deleted(
    conn: &mut AnyConnection,
    room: &RoomMeta,
    root: i64,
    change: i64,
) -> Result<Option<StoredMessage>, StoreError> {
    sqlx::query(
        "UPDATE messages SET reply_count = (SELECT COUNT(*) FROM messages r \
           WHERE r.thread_id = $1 AND r.deleted_at IS NULL), \
         last_reply_at = (SELECT MAX(r.created_at) FROM messages r \
           WHERE r.thread_id = $1 AND r.deleted_at IS NULL), \
         change_seq = $2 WHERE id = $1 AND room_id = $3",
    )
    .bind(root)
    .bind(change)
    .bind(room.id)
    .execute(&mut *conn)
    .await?;
    message_state(conn, room, root).await
}

#[cfg(test)]
mod tests;
