//! Changes to direct messages after they are sent (issue #15), as
//! `message_changes` makes them to room messages: edits with their earlier
//! versions (`dm_versions`), deletions (a tombstone: the body emptied, the
//! versions and reactions gone), reactions (`dm_reactions`), and the change
//! feed: each change takes the conversation's next change number
//! (`dm_pairs.last_change`) and the message keeps it
//! (`direct_messages.change_seq`), so the messages changed after a number
//! are the feed (`protocol::direct_changes`).
//!
//! Every change runs in one transaction that starts by taking the
//! conversation's next number: on PostgreSQL that `UPDATE … RETURNING`
//! holds the conversation's row lock until the commit, so its numbers
//! commit in order; on SQLite the write lock does. A change that turns out
//! to change nothing rolls back, so it takes no number. A retried change
//! (the same `clientId` of the same account) is applied once: its key goes
//! to `change_requests` in the same transaction, as a room change's does.

use super::direct::{attach_dm_reactions, dm_columns, dm_from_row, pair};
use super::message_changes::{first_request, Changed};
use super::{now_text, Store, StoreError, Tx, User};
use crate::protocol::chat::{ClientMessageId, Timestamp};
use crate::protocol::direct::NewDm;
use crate::protocol::emoji::Emoji;
use crate::protocol::limits::{MAX_MESSAGE_VERSIONS, MAX_REACTIONS_PER_MESSAGE};
use crate::protocol::message_changes::Version;
use crate::protocol::MessageText;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// What a change to a direct message did.
pub type DmChange = Changed<NewDm>;

/// Who sent a direct message, and whether it is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DmAuthorship {
    pub sender: i64,
    pub deleted: bool,
}

/// The conversation between `me` and `other`, as its rows name it.
#[derive(Clone, Copy)]
struct Pair<'a> {
    me: &'a User,
    other: &'a User,
    lo: i64,
    hi: i64,
}

impl<'a> Pair<'a> {
    fn of(me: &'a User, other: &'a User) -> Self {
        let (lo, hi) = pair(me.id, other.id);
        Pair { me, other, lo, hi }
    }

    /// A row of [`dm_columns`] of this conversation, as a message.
    fn message(&self, row: &AnyRow) -> Result<NewDm, StoreError> {
        let sender: i64 = row.try_get("sender_id")?;
        match sender == self.me.id {
            true => dm_from_row(row, self.me, self.other),
            false => dm_from_row(row, self.other, self.me),
        }
    }
}

/// Takes the conversation's next change number (in the transaction of
/// `conn`, which holds the conversation's row until it ends); `None` when
/// the two have no conversation.
async fn next_change(conn: &mut AnyConnection, p: Pair<'_>) -> Result<Option<i64>, StoreError> {
    let change: Option<i64> = sqlx::query_scalar(
        "UPDATE dm_pairs SET last_change = last_change + 1 \
         WHERE user_lo = $1 AND user_hi = $2 RETURNING last_change",
    )
    .bind(p.lo)
    .bind(p.hi)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(change)
}

/// Direct message `id` of the conversation as it is now, with its
/// reactions.
async fn state(
    conn: &mut AnyConnection,
    p: Pair<'_>,
    id: i64,
) -> Result<Option<NewDm>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        dm_columns!(),
        " FROM direct_messages WHERE id = $1 AND user_lo = $2 AND user_hi = $3"
    ))
    .bind(id)
    .bind(p.lo)
    .bind(p.hi)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut dm = [p.message(&row)?];
    attach_dm_reactions(conn, &mut dm).await?;
    let [dm] = dm;
    Ok(Some(dm))
}

/// The state of message `id` after a change that changed nothing; the
/// transaction of `tx` is rolled back (it took no number).
async fn unchanged(mut tx: Tx<'_>, p: Pair<'_>, id: i64) -> Result<DmChange, StoreError> {
    let now = state(&mut tx, p, id).await?;
    tx.rollback().await?;
    Ok(now.map_or(DmChange::Gone, DmChange::Unchanged))
}

/// Message `id` takes change number `change`; its state after, committed.
async fn applied(
    mut tx: Tx<'_>,
    p: Pair<'_>,
    id: i64,
    change: i64,
) -> Result<DmChange, StoreError> {
    sqlx::query("UPDATE direct_messages SET change_seq = $1 WHERE id = $2")
        .bind(change)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let now = state(&mut tx, p, id).await?;
    tx.commit().await?;
    Ok(now.map_or(DmChange::Gone, DmChange::Applied))
}

impl Store {
    /// Who sent direct message `id` of the conversation between `me` and
    /// `other`, and whether it is deleted; `None` when the conversation
    /// has no such message.
    pub async fn dm_author(
        &self,
        me: &User,
        other: &User,
        id: i64,
    ) -> Result<Option<DmAuthorship>, StoreError> {
        let p = Pair::of(me, other);
        let row = sqlx::query(
            "SELECT sender_id, deleted_at FROM direct_messages \
             WHERE id = $1 AND user_lo = $2 AND user_hi = $3",
        )
        .bind(id)
        .bind(p.lo)
        .bind(p.hi)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| {
            Ok(DmAuthorship {
                sender: r.try_get("sender_id")?,
                deleted: r.try_get::<Option<String>, _>("deleted_at")?.is_some(),
            })
        })
        .transpose()
    }

    /// `me` replaces the text of its direct message `id` to `other` with
    /// `text`. The text before is kept as an earlier version (at most
    /// [`MAX_MESSAGE_VERSIONS`]).
    pub async fn edit_dm(
        &self,
        me: &User,
        other: &User,
        id: i64,
        text: &MessageText,
        client_id: Option<&ClientMessageId>,
    ) -> Result<DmChange, StoreError> {
        let p = Pair::of(me, other);
        let mut tx = self.writer.begin().await?;
        let Some(change) = next_change(&mut tx, p).await? else {
            return Ok(DmChange::Gone);
        };
        let row = sqlx::query(
            "SELECT body, created_at, edited_at FROM direct_messages \
             WHERE id = $1 AND user_lo = $2 AND user_hi = $3 AND sender_id = $4 \
             AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(p.lo)
        .bind(p.hi)
        .bind(me.id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(DmChange::Gone);
        };
        let body: String = row.try_get("body")?;
        let fresh = first_request(&mut tx, me.id, client_id).await?;
        if !fresh || body == text.as_str() {
            return unchanged(tx, p, id).await;
        }
        let written_at: String = match row.try_get::<Option<String>, _>("edited_at")? {
            Some(edited) => edited,
            None => row.try_get("created_at")?,
        };
        let version: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM dm_versions WHERE dm_id = $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO dm_versions (dm_id, version, body, written_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(version)
        .bind(&body)
        .bind(&written_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM dm_versions WHERE dm_id = $1 AND version <= $2")
            .bind(id)
            .bind(version - MAX_MESSAGE_VERSIONS as i64)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE direct_messages SET body = $1, edited_at = $2 WHERE id = $3")
            .bind(text.as_str())
            .bind(now_text())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        applied(tx, p, id, change).await
    }

    /// `me` deletes its direct message `id` to `other`: the body is
    /// emptied and its earlier versions and reactions go, a tombstone
    /// keeps its place. Deleting it again changes nothing.
    pub async fn delete_dm(
        &self,
        me: &User,
        other: &User,
        id: i64,
    ) -> Result<DmChange, StoreError> {
        let p = Pair::of(me, other);
        let mut tx = self.writer.begin().await?;
        let Some(change) = next_change(&mut tx, p).await? else {
            return Ok(DmChange::Gone);
        };
        let deleted: Option<Option<String>> = sqlx::query_scalar(
            "SELECT deleted_at FROM direct_messages \
             WHERE id = $1 AND user_lo = $2 AND user_hi = $3 AND sender_id = $4",
        )
        .bind(id)
        .bind(p.lo)
        .bind(p.hi)
        .bind(me.id)
        .fetch_optional(&mut *tx)
        .await?;
        match deleted {
            None => return Ok(DmChange::Gone),
            Some(Some(_)) => return unchanged(tx, p, id).await,
            Some(None) => {}
        }
        sqlx::query("UPDATE direct_messages SET body = '', deleted_at = $1 WHERE id = $2")
            .bind(now_text())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for statement in [
            "DELETE FROM dm_versions WHERE dm_id = $1",
            "DELETE FROM dm_reactions WHERE dm_id = $1",
        ] {
            sqlx::query(statement).bind(id).execute(&mut *tx).await?;
        }
        applied(tx, p, id, change).await
    }

    /// `me` adds (`on`) or takes back its `emoji` reaction to direct
    /// message `id` of its conversation with `other`.
    pub async fn react_dm(
        &self,
        me: &User,
        other: &User,
        id: i64,
        emoji: &Emoji,
        on: bool,
        client_id: Option<&ClientMessageId>,
    ) -> Result<DmChange, StoreError> {
        let p = Pair::of(me, other);
        let mut tx = self.writer.begin().await?;
        let Some(change) = next_change(&mut tx, p).await? else {
            return Ok(DmChange::Gone);
        };
        let live: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM direct_messages \
             WHERE id = $1 AND user_lo = $2 AND user_hi = $3 AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(p.lo)
        .bind(p.hi)
        .fetch_optional(&mut *tx)
        .await?;
        if live.is_none() {
            return Ok(DmChange::Gone);
        }
        let mut changed = first_request(&mut tx, me.id, client_id).await?;
        if changed && on {
            let emoji_used: Vec<String> =
                sqlx::query_scalar("SELECT DISTINCT emoji FROM dm_reactions WHERE dm_id = $1")
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
            if !emoji_used.iter().any(|e| e == emoji.as_str())
                && emoji_used.len() >= MAX_REACTIONS_PER_MESSAGE
            {
                return Ok(DmChange::TooManyReactions);
            }
            let added = sqlx::query(
                "INSERT INTO dm_reactions (dm_id, emoji, user_id, created_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(emoji.as_str())
            .bind(me.id)
            .bind(now_text())
            .execute(&mut *tx)
            .await?;
            changed = added.rows_affected() == 1;
        } else if changed {
            let taken = sqlx::query(
                "DELETE FROM dm_reactions WHERE dm_id = $1 AND emoji = $2 AND user_id = $3",
            )
            .bind(id)
            .bind(emoji.as_str())
            .bind(me.id)
            .execute(&mut *tx)
            .await?;
            changed = taken.rows_affected() == 1;
        }
        match changed {
            true => applied(tx, p, id, change).await,
            false => unchanged(tx, p, id).await,
        }
    }

    /// The earlier texts of direct message `id` of the conversation
    /// between `me` and `other`, oldest first.
    pub async fn dm_versions(
        &self,
        me: &User,
        other: &User,
        id: i64,
    ) -> Result<Vec<Version>, StoreError> {
        let p = Pair::of(me, other);
        let rows = sqlx::query(
            "SELECT v.body, v.written_at FROM dm_versions v \
             JOIN direct_messages m ON m.id = v.dm_id \
             WHERE v.dm_id = $1 AND m.user_lo = $2 AND m.user_hi = $3 ORDER BY v.version",
        )
        .bind(id)
        .bind(p.lo)
        .bind(p.hi)
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

    /// The latest change number of the conversation between `me` and
    /// `other` (0 when it has none, or there is no conversation).
    pub async fn dm_last_change(&self, me: &User, other: &User) -> Result<i64, StoreError> {
        let p = Pair::of(me, other);
        let last: Option<i64> = sqlx::query_scalar(
            "SELECT last_change FROM dm_pairs WHERE user_lo = $1 AND user_hi = $2",
        )
        .bind(p.lo)
        .bind(p.hi)
        .fetch_optional(&self.reader)
        .await?;
        Ok(last.unwrap_or(0))
    }

    /// The direct messages between `me` and `other` changed after change
    /// number `after`, in change order, at most `limit`; the
    /// conversation's latest change number (read first); and whether more
    /// changed messages follow.
    pub async fn dm_changes_after(
        &self,
        me: &User,
        other: &User,
        after: i64,
        limit: u32,
    ) -> Result<(Vec<NewDm>, i64, bool), StoreError> {
        let p = Pair::of(me, other);
        let last = self.dm_last_change(me, other).await?;
        let mut conn = self.reader.acquire().await?;
        let mut rows = sqlx::query(concat!(
            "SELECT ",
            dm_columns!(),
            " FROM direct_messages WHERE user_lo = $1 AND user_hi = $2 AND change_seq > $3 \
             ORDER BY change_seq LIMIT $4"
        ))
        .bind(p.lo)
        .bind(p.hi)
        .bind(after)
        .bind(i64::from(limit) + 1)
        .fetch_all(&mut *conn)
        .await?;
        let has_more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let mut messages = rows
            .iter()
            .map(|r| p.message(r))
            .collect::<Result<Vec<_>, _>>()?;
        attach_dm_reactions(&mut conn, &mut messages).await?;
        Ok((messages, last, has_more))
    }
}

#[cfg(test)]
mod tests;
