//! Moderation (issue #14, phase 2): removing members, bans and mutes in a
//! room (`room_sanctions`), deleting messages (a tombstone stays), deleting
//! rooms, server bans (`users.banned_at`). Each action is one transaction
//! that also writes its audit entry (`audit.rs`) and its room change
//! (`changes.rs`); the cached entries it changed are dropped after commit.

use super::audit::{self, Audit};
use super::changes;
use super::message_changes::{message_state, next_change};
use super::room_ids::RoomMeta;
use super::standing::{now_ms, Until};
use super::threads::reply_deleted;
use super::{now_text, Store, StoreError, Tx};
use crate::protocol::moderation::{AdminRoomEntry, BanEntry, MemberEntry, Reason};
use crate::protocol::rooms::{DirectoryQuery, Role, RoomKind};
use crate::protocol::{RoomName, Username};
use sqlx::Row;

/// A sanction that lasts: a ban or a mute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SanctionKind {
    Ban,
    Mute,
}

impl SanctionKind {
    fn as_str(self) -> &'static str {
        match self {
            SanctionKind::Ban => "ban",
            SanctionKind::Mute => "mute",
        }
    }
}

/// A deleted message: where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedMessage {
    pub id: i64,
    pub seq: i64,
    /// Its tombstone, with the change number of the deletion.
    pub state: crate::protocol::chat::NewMessage,
    /// A reply's thread root, counting one reply fewer, with the next
    /// change number.
    pub root: Option<crate::protocol::chat::NewMessage>,
}

/// Ends `account`'s membership of `room` unless it owns it; whether it was
/// a member.
async fn end_membership(tx: &mut Tx<'_>, room: i64, account: i64) -> Result<bool, StoreError> {
    let gone = sqlx::query(
        "DELETE FROM memberships WHERE room_id = $1 AND user_id = $2 AND role <> 'owner'",
    )
    .bind(room)
    .bind(account)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(gone > 0)
}

impl Store {
    /// Removes `account` from `room` (not its owner); whether it was a
    /// member. Audited.
    pub async fn remove_member(
        &self,
        room: &RoomMeta,
        account: i64,
        audit: Audit<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let was = end_membership(&mut tx, room.id, account).await?;
        if was {
            audit::record(&mut tx, audit).await?;
            changes::record(&mut tx, room.id, None, Some(account)).await?;
        }
        tx.commit().await?;
        self.forget_change(room.id, None, Some(account));
        Ok(was)
    }

    /// Bans or mutes `account` in `room` until `until` (replacing one in
    /// force); a ban also ends its membership (not an owner's). Audited.
    pub async fn sanction(
        &self,
        room: &RoomMeta,
        account: i64,
        kind: SanctionKind,
        until: Until,
        reason: Option<&Reason>,
        audit: Audit<'_>,
    ) -> Result<(), StoreError> {
        let until_ms = match until {
            Until::Forever => None,
            Until::At(ms) => Some(ms),
        };
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO room_sanctions (room_id, user_id, kind, until_ms, reason, by_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (room_id, user_id, kind) DO UPDATE \
             SET until_ms = excluded.until_ms, reason = excluded.reason, by_id = excluded.by_id, \
             created_at = excluded.created_at",
        )
        .bind(room.id)
        .bind(account)
        .bind(kind.as_str())
        .bind(until_ms)
        .bind(reason.map(|r| r.as_str().to_owned()))
        .bind(audit.actor)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        if kind == SanctionKind::Ban {
            end_membership(&mut tx, room.id, account).await?;
        }
        audit::record(&mut tx, audit).await?;
        changes::record(&mut tx, room.id, None, Some(account)).await?;
        tx.commit().await?;
        self.forget_change(room.id, None, Some(account));
        Ok(())
    }

    /// Lifts `account`'s ban or mute in `room`; whether one was in force.
    /// Audited when it was.
    pub async fn lift(
        &self,
        room: &RoomMeta,
        account: i64,
        kind: SanctionKind,
        audit: Audit<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let gone = sqlx::query(
            "DELETE FROM room_sanctions WHERE room_id = $1 AND user_id = $2 AND kind = $3 \
             AND (until_ms IS NULL OR until_ms > $4)",
        )
        .bind(room.id)
        .bind(account)
        .bind(kind.as_str())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if gone > 0 {
            audit::record(&mut tx, audit).await?;
            changes::record(&mut tx, room.id, None, Some(account)).await?;
        }
        tx.commit().await?;
        self.forget_change(room.id, None, Some(account));
        Ok(gone > 0)
    }

    /// The members of the room with id `room`, owner first, then
    /// moderators, then by name, with their mute in force; at most
    /// `limit`, and how many there are in all.
    pub async fn room_members(
        &self,
        room: i64,
        limit: usize,
    ) -> Result<(Vec<MemberEntry>, u64), StoreError> {
        let rows = sqlx::query(
            "SELECT u.username, m.role, s.until_ms, s.kind FROM memberships m \
             JOIN users u ON u.id = m.user_id \
             LEFT JOIN room_sanctions s ON s.room_id = m.room_id AND s.user_id = m.user_id \
             AND s.kind = 'mute' AND (s.until_ms IS NULL OR s.until_ms > $1) \
             WHERE m.room_id = $2 \
             ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'moderator' THEN 1 ELSE 2 END, \
             u.name_key LIMIT $3",
        )
        .bind(now_ms())
        .bind(room)
        .bind(limit as i64)
        .fetch_all(&self.reader)
        .await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE room_id = $1")
            .bind(room)
            .fetch_one(&self.reader)
            .await?;
        let mut members = Vec::with_capacity(rows.len());
        for row in &rows {
            let name: String = row.try_get("username")?;
            let role: String = row.try_get("role")?;
            let muted: Option<String> = row.try_get("kind")?;
            let until: Option<i64> = row.try_get("until_ms")?;
            let (Ok(username), Some(role)) = (Username::parse(&name), Role::from_name(&role))
            else {
                continue;
            };
            members.push(MemberEntry {
                username,
                role,
                muted_until: muted.map(|_| Until::from_ms(until).text()),
            });
        }
        Ok((members, u64::try_from(total).unwrap_or(0)))
    }

    /// The bans in force in the room with id `room`, newest first.
    pub async fn room_bans(&self, room: i64) -> Result<Vec<BanEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.username, s.until_ms, s.reason, b.username AS by_name FROM room_sanctions s \
             JOIN users u ON u.id = s.user_id LEFT JOIN users b ON b.id = s.by_id \
             WHERE s.room_id = $1 AND s.kind = 'ban' AND (s.until_ms IS NULL OR s.until_ms > $2) \
             ORDER BY s.created_at DESC",
        )
        .bind(room)
        .bind(now_ms())
        .fetch_all(&self.reader)
        .await?;
        let mut bans = Vec::with_capacity(rows.len());
        for row in &rows {
            let name: String = row.try_get("username")?;
            let Ok(username) = Username::parse(&name) else {
                continue;
            };
            let until: Option<i64> = row.try_get("until_ms")?;
            let reason: Option<String> = row.try_get("reason")?;
            let by: Option<String> = row.try_get("by_name")?;
            bans.push(BanEntry {
                username,
                until: Until::from_ms(until).text(),
                reason: reason.and_then(|r| Reason::parse(&r).ok()),
                by: by.and_then(|b| Username::parse(&b).ok()),
            });
        }
        Ok(bans)
    }

    /// The author of message `id` of the room with id `room`: `Some(None)`
    /// for a guest's, `None` when the room has no such message (or it was
    /// deleted).
    pub async fn message_author(
        &self,
        room: i64,
        id: i64,
    ) -> Result<Option<Option<i64>>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id FROM messages WHERE id = $1 AND room_id = $2 AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(room)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| r.try_get::<Option<i64>, _>("user_id").map_err(Into::into))
            .transpose()
    }

    /// Deletes message `id` of `room`: its text is gone, a tombstone keeps
    /// its place. `None` when there is no such message left. `audit` (a
    /// moderator deleting someone else's message) is recorded with it.
    pub async fn delete_message(
        &self,
        room: &RoomMeta,
        id: i64,
        audit: Option<Audit<'_>>,
    ) -> Result<Option<DeletedMessage>, StoreError> {
        let mut tx = self.writer.begin().await?;
        // A deletion is a change of the message (`message_changes`).
        let change = next_change(&mut tx, room.id).await?;
        let row = sqlx::query(
            "UPDATE messages SET body = '', deleted_at = $1, change_seq = $2 \
             WHERE id = $3 AND room_id = $4 AND deleted_at IS NULL RETURNING seq, thread_id",
        )
        .bind(now_text())
        .bind(change)
        .bind(id)
        .bind(room.id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let seq: i64 = row.try_get("seq")?;
        // A reply's root counts one fewer: a change of the root too.
        let root = match row.try_get::<Option<i64>, _>("thread_id")? {
            Some(root) => {
                let change = next_change(&mut tx, room.id).await?;
                reply_deleted(&mut tx, room, root, change).await?
            }
            None => None,
        };
        // Its earlier texts and its reactions go with it.
        for statement in [
            "DELETE FROM message_versions WHERE message_id = $1",
            "DELETE FROM reactions WHERE message_id = $1",
        ] {
            sqlx::query(statement).bind(id).execute(&mut *tx).await?;
        }
        if let Some(audit) = audit {
            audit::record(&mut tx, audit).await?;
        }
        let state = message_state(&mut tx, room, id).await?;
        tx.commit().await?;
        Ok(state.map(|state| DeletedMessage {
            id,
            seq,
            state,
            root,
        }))
    }

    /// Deletes `room` with its history, board and memberships. Audited
    /// (the entry keeps the room's name).
    pub async fn delete_room(&self, room: &RoomMeta, audit: Audit<'_>) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        audit::record(&mut tx, audit).await?;
        sqlx::query("DELETE FROM messages WHERE room_id = $1")
            .bind(room.id)
            .execute(&mut *tx)
            .await?;
        for statement in [
            "DELETE FROM board_shapes WHERE room = $1",
            "DELETE FROM boards WHERE room = $1",
        ] {
            sqlx::query(statement)
                .bind(room.name.as_str())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM rooms WHERE id = $1")
            .bind(room.id)
            .execute(&mut *tx)
            .await?;
        changes::record(&mut tx, room.id, Some(&room.name), None).await?;
        tx.commit().await?;
        self.forget_change(room.id, Some(&room.name), None);
        self.standings.forget_room(room.id);
        Ok(())
    }

    /// Bans `account` from the server: it cannot log in, and every login
    /// session of it is revoked. The revoked sessions' ids, to end their
    /// sockets. Audited.
    pub async fn ban_account(
        &self,
        account: i64,
        reason: Option<&Reason>,
        audit: Audit<'_>,
    ) -> Result<Vec<String>, StoreError> {
        let now = now_text();
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE users SET banned_at = $1, ban_reason = $2 WHERE id = $3")
            .bind(&now)
            .bind(reason.map(|r| r.as_str().to_owned()))
            .bind(account)
            .execute(&mut *tx)
            .await?;
        let sessions: Vec<String> = sqlx::query_scalar(
            "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL \
             RETURNING id",
        )
        .bind(&now)
        .bind(account)
        .fetch_all(&mut *tx)
        .await?;
        audit::record(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(sessions)
    }

    /// Lifts a server ban; whether there was one. Audited when there was.
    pub async fn unban_account(&self, account: i64, audit: Audit<'_>) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let gone = sqlx::query(
            "UPDATE users SET banned_at = NULL, ban_reason = NULL \
             WHERE id = $1 AND banned_at IS NOT NULL",
        )
        .bind(account)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if gone > 0 {
            audit::record(&mut tx, audit).await?;
        }
        tx.commit().await?;
        Ok(gone > 0)
    }

    /// `Some(reason)` when `account` is banned from the server.
    pub async fn account_ban(&self, account: i64) -> Result<Option<Option<Reason>>, StoreError> {
        let row = sqlx::query("SELECT banned_at, ban_reason FROM users WHERE id = $1")
            .bind(account)
            .fetch_optional(&self.reader)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let banned: Option<String> = row.try_get("banned_at")?;
        let reason: Option<String> = row.try_get("ban_reason")?;
        Ok(banned.map(|_| reason.and_then(|r| Reason::parse(&r).ok())))
    }

    /// Every room, private and archived ones too, whose name holds `query`,
    /// most members first; at most `limit`.
    pub async fn all_rooms(
        &self,
        query: Option<&DirectoryQuery>,
        limit: usize,
    ) -> Result<Vec<AdminRoomEntry>, StoreError> {
        let pattern = super::room_settings::search_pattern(query);
        let rows = sqlx::query(
            "SELECT r.name, r.kind, r.archived, \
             (SELECT COUNT(*) FROM memberships m WHERE m.room_id = r.id) AS members \
             FROM rooms r WHERE LOWER(r.name) LIKE $1 ESCAPE '\\' \
             ORDER BY members DESC, r.name LIMIT $2",
        )
        .bind(&pattern)
        .bind(limit as i64)
        .fetch_all(&self.reader)
        .await?;
        let mut rooms = Vec::with_capacity(rows.len());
        for row in &rows {
            let name: String = row.try_get("name")?;
            let kind: String = row.try_get("kind")?;
            let (Ok(room), Some(kind)) = (RoomName::parse(&name), RoomKind::from_name(&kind))
            else {
                continue;
            };
            let members: i64 = row.try_get("members")?;
            let archived: i64 = row.try_get("archived")?;
            rooms.push(AdminRoomEntry {
                room,
                kind,
                members: u64::try_from(members).unwrap_or(0),
                archived: archived != 0,
            });
        }
        Ok(rooms)
    }
}

/// Deletes the bans and mutes that ended before now.
pub(super) async fn purge_ended_sanctions(writer: &sqlx::AnyPool) -> Result<u64, StoreError> {
    Ok(
        sqlx::query("DELETE FROM room_sanctions WHERE until_ms IS NOT NULL AND until_ms <= $1")
            .bind(now_ms())
            .execute(writer)
            .await?
            .rows_affected(),
    )
}

#[cfg(test)]
mod tests;
