//! Rooms as things people belong to (issue #14): rooms made and entered,
//! who belongs to them with which role (`memberships`). What a room is
//! and its settings, `room-info` and the directory are in
//! `room_settings.rs`; server admins in `standing.rs`.
//!
//! Memberships are what accounts used to keep as "remembered rooms": the
//! rooms an account's sockets enter again on `join`, at most
//! [`MAX_JOINED_ROOMS`] per account. A public room's row is made when it
//! is first named (`join-room`, a message, `create-room`), so that
//! memberships, history and the board can refer to it; a public room that
//! holds nothing (no message, no member, no board, no topic) is deleted
//! again when it is left ([`Store::drop_if_empty`]) or by the housekeeping
//! a day after it was made.
//!
//! Every change of a room goes through the store and updates its cache of
//! what rooms are (`RoomMetas`), which the gateway's guards read.

use super::room_ids::RoomMeta;
use super::standing::now_ms;
use super::{now_text, Store, StoreError};
use crate::protocol::limits::MAX_JOINED_ROOMS;
use crate::protocol::rooms::{MyRoom, Role, RoomKind, Topic};
use crate::protocol::RoomName;
use sqlx::Row;

/// Deletes the public rooms that hold nothing: no message, no member, no
/// board, no topic; never `general`. (A macro, so that the statements
/// that add a condition to it are literals.)
macro_rules! delete_empty_public {
    () => {
        "DELETE FROM rooms WHERE kind = 'public' \
         AND name <> 'general' AND last_seq = 0 AND topic = '' \
         AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.room_id = rooms.id) \
         AND NOT EXISTS (SELECT 1 FROM boards b WHERE b.room = rooms.name)"
    };
}

/// A room to make (`create-room`).
#[derive(Debug, Clone)]
pub struct NewRoom<'a> {
    pub name: &'a RoomName,
    pub kind: RoomKind,
    pub topic: &'a Topic,
    pub accounts_only: bool,
    pub creator: i64,
}

/// What [`Store::create_room`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// Made, its creator its owner.
    Yes(RoomMeta),
    /// A room of that name exists, of whatever kind.
    Taken,
    /// The creator belongs to [`MAX_JOINED_ROOMS`] rooms already.
    Full,
}

/// What [`Store::enter_public`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entered {
    /// The public room (made now if there was none); the account, if one
    /// was given, belongs to it (as its owner when it made it).
    Public(RoomMeta),
    /// The name is a private room's: nothing was done.
    Private(RoomMeta),
    /// The account belongs to [`MAX_JOINED_ROOMS`] rooms already: nothing
    /// was done.
    Full,
}

/// What [`Store::add_member`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    Yes,
    /// A member already.
    Already,
    /// The account belongs to [`MAX_JOINED_ROOMS`] rooms already.
    Full,
    /// The account is banned from the room.
    Banned,
}

/// What [`Store::set_role`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleSet {
    /// Done (the owner until now, on a hand-over, is a moderator).
    Yes,
    /// The account does not belong to the room.
    NotMember,
    /// The account is the owner: a room keeps its owner until it is
    /// handed over to someone else.
    KeepsOwner,
}

impl Store {
    /// Makes a room, `room.creator` its owner; refused when a room of that
    /// name exists, whatever its kind. One transaction.
    pub async fn create_room(&self, room: NewRoom<'_>) -> Result<Created, StoreError> {
        let now = now_text();
        let mut tx = self.writer.begin().await?;
        let made = sqlx::query(
            "INSERT INTO rooms (name, kind, topic, creator_id, created_at, accounts_only) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(room.name.as_str())
        .bind(room.kind.as_str())
        .bind(room.topic.as_str())
        .bind(room.creator)
        .bind(&now)
        .bind(i64::from(
            room.accounts_only || room.kind == RoomKind::Private,
        ))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if made == 0 {
            return Ok(Created::Taken);
        }
        if !insert_member(&mut tx, room.name, room.creator, Role::Owner, &now).await? {
            tx.rollback().await?;
            return Ok(Created::Full);
        }
        tx.commit().await?;
        let mut conn = self.writer.acquire().await?;
        match self.refresh(&mut conn, room.name).await? {
            Some(meta) => Ok(Created::Yes(meta)),
            None => Err(StoreError::Failed(format!("room {} vanished", room.name))),
        }
    }

    /// `join-room` (and a first message) of a room that is not private:
    /// makes the public room if no room has the name (`account` its owner,
    /// if given), and makes `account` a member of it. Nothing for a
    /// private room's name. One transaction.
    pub async fn enter_public(
        &self,
        room: &RoomName,
        account: Option<i64>,
    ) -> Result<Entered, StoreError> {
        let now = now_text();
        let mut tx = self.writer.begin().await?;
        let made = sqlx::query(
            "INSERT INTO rooms (name, kind, creator_id, created_at) \
             VALUES ($1, 'public', $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(room.as_str())
        .bind(account)
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let kind: String = sqlx::query_scalar("SELECT kind FROM rooms WHERE name = $1")
            .bind(room.as_str())
            .fetch_one(&mut *tx)
            .await?;
        let public = kind == RoomKind::Public.as_str();
        let mut joined = None;
        if let (true, Some(account)) = (public, account) {
            let role = if made > 0 { Role::Owner } else { Role::Member };
            if insert_member(&mut tx, room, account, role, &now).await? {
                joined = Some(account);
            } else if !is_member(&mut tx, room, account).await? {
                tx.rollback().await?;
                return Ok(Entered::Full);
            }
        }
        tx.commit().await?;
        let mut conn = self.writer.acquire().await?;
        let Some(meta) = self.refresh(&mut conn, room).await? else {
            return Err(StoreError::Failed(format!("room {room} vanished")));
        };
        drop(conn);
        if let Some(account) = joined {
            self.changed(meta.id, None, Some(account)).await?;
        }
        Ok(match meta.kind {
            RoomKind::Public => Entered::Public(meta),
            RoomKind::Private => Entered::Private(meta),
        })
    }

    /// Ends `account`'s membership of the public room `room` (`leave-room`).
    /// An owner stays while the room has other members (a room keeps its
    /// owner until it is handed over); the last member leaves, owner or not.
    pub async fn leave_public(&self, room: &RoomName, account: i64) -> Result<(), StoreError> {
        let left: Option<i64> = sqlx::query_scalar(
            "DELETE FROM memberships WHERE user_id = $1 AND room_id = \
             (SELECT id FROM rooms WHERE name = $2 AND kind = 'public') \
             AND (role <> 'owner' OR NOT EXISTS (SELECT 1 FROM memberships o \
             WHERE o.room_id = memberships.room_id AND o.user_id <> $3)) RETURNING room_id",
        )
        .bind(account)
        .bind(room.as_str())
        .bind(account)
        .fetch_optional(&self.writer)
        .await?;
        if let Some(room_id) = left {
            self.changed(room_id, None, Some(account)).await?;
        }
        Ok(())
    }

    /// Deletes the public room `room` if it holds nothing: no message, no
    /// member, no board, no topic (not `general`). Whether it did.
    pub async fn drop_if_empty(&self, room: &RoomName) -> Result<bool, StoreError> {
        let gone = sqlx::query(concat!(delete_empty_public!(), " AND name = $1"))
            .bind(room.as_str())
            .execute(&self.writer)
            .await?
            .rows_affected();
        if gone > 0 {
            self.metas.forget(room);
        }
        Ok(gone > 0)
    }

    /// `account`'s role in the room with id `room`, if it belongs to it.
    pub async fn role_of(&self, room: i64, account: i64) -> Result<Option<Role>, StoreError> {
        Ok(self.standing(room, account).await?.role)
    }

    /// Makes `account` a member of the room with id `room` (`invite`),
    /// unless it belongs to [`MAX_JOINED_ROOMS`] rooms already.
    pub async fn add_member(&self, room: i64, account: i64) -> Result<Added, StoreError> {
        let added = sqlx::query(INSERT_MEMBER_BY_ID)
            .bind(room)
            .bind(account)
            .bind(Role::Member.as_str())
            .bind(now_text())
            .bind(account)
            .bind(MAX_JOINED_ROOMS as i64)
            .bind(room)
            .bind(account)
            .bind(now_ms())
            .execute(&self.writer)
            .await?
            .rows_affected();
        if added > 0 {
            self.changed(room, None, Some(account)).await?;
            return Ok(Added::Yes);
        }
        let there: Option<String> =
            sqlx::query_scalar("SELECT role FROM memberships WHERE room_id = $1 AND user_id = $2")
                .bind(room)
                .bind(account)
                .fetch_optional(&self.writer)
                .await?;
        if there.is_some() {
            return Ok(Added::Already);
        }
        let banned = self.standing(room, account).await?.ban(now_ms()).is_some();
        Ok(if banned { Added::Banned } else { Added::Full })
    }

    /// Gives `account` the role `role` in the room with id `room`. Handing
    /// over (`Role::Owner`) makes the owner until now a moderator, in the
    /// same transaction: a room never has two owners, and one that had an
    /// owner never ends up without one.
    /// `audit`, if given, is recorded in the same transaction.
    pub async fn set_role(
        &self,
        room: i64,
        account: i64,
        role: Role,
        audit: Option<super::audit::Audit<'_>>,
    ) -> Result<RoleSet, StoreError> {
        let mut tx = self.writer.begin().await?;
        let now: Option<String> =
            sqlx::query_scalar("SELECT role FROM memberships WHERE room_id = $1 AND user_id = $2")
                .bind(room)
                .bind(account)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(now) = now.as_deref().and_then(Role::from_name) else {
            return Ok(RoleSet::NotMember);
        };
        if now == role {
            return Ok(RoleSet::Yes);
        }
        if now == Role::Owner {
            return Ok(RoleSet::KeepsOwner);
        }
        let mut changed = vec![account];
        if role == Role::Owner {
            let owners: Vec<i64> = sqlx::query_scalar(
                "UPDATE memberships SET role = $1 WHERE room_id = $2 AND role = $3 RETURNING user_id",
            )
            .bind(Role::Moderator.as_str())
            .bind(room)
            .bind(Role::Owner.as_str())
            .fetch_all(&mut *tx)
            .await?;
            changed.extend(owners);
        }
        sqlx::query("UPDATE memberships SET role = $1 WHERE room_id = $2 AND user_id = $3")
            .bind(role.as_str())
            .bind(room)
            .bind(account)
            .execute(&mut *tx)
            .await?;
        if let Some(audit) = audit {
            super::audit::record(&mut tx, audit).await?;
        }
        for &one in &changed {
            super::changes::record(&mut tx, room, None, Some(one)).await?;
        }
        tx.commit().await?;
        for one in changed {
            self.forget_change(room, None, Some(one));
        }
        Ok(RoleSet::Yes)
    }

    /// The rooms `account` belongs to, by name, with their kind and its role.
    pub async fn memberships_of(&self, account: i64) -> Result<Vec<MyRoom>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.name, r.kind, r.archived, m.role FROM memberships m \
             JOIN rooms r ON r.id = m.room_id WHERE m.user_id = $1 ORDER BY r.name",
        )
        .bind(account)
        .fetch_all(&self.reader)
        .await?;
        let mut rooms = Vec::with_capacity(rows.len());
        for row in &rows {
            let name: String = row.try_get("name")?;
            let kind: String = row.try_get("kind")?;
            let role: String = row.try_get("role")?;
            let archived: i64 = row.try_get("archived")?;
            let (Ok(room), Some(kind), Some(role)) = (
                RoomName::parse(&name),
                RoomKind::from_name(&kind),
                Role::from_name(&role),
            ) else {
                continue;
            };
            rooms.push(MyRoom {
                room,
                kind,
                role,
                archived: archived != 0,
            });
        }
        Ok(rooms)
    }

    /// The names of the rooms `account` belongs to (what its sockets enter
    /// on `join`).
    pub async fn rooms_of(&self, account: i64) -> Result<Vec<RoomName>, StoreError> {
        Ok(self
            .memberships_of(account)
            .await?
            .into_iter()
            .map(|m| m.room)
            .collect())
    }
}

/// Deletes the empty public rooms (see `delete_empty_public`) made before
/// `before` (a stored time): the names guests joined and never left.
pub(super) async fn purge_empty_rooms(
    writer: &sqlx::AnyPool,
    before: &str,
) -> Result<u64, StoreError> {
    let gone = sqlx::query(concat!(delete_empty_public!(), " AND created_at < $1"))
        .bind(before)
        .execute(writer)
        .await?
        .rows_affected();
    Ok(gone)
}

/// Inserts a membership of the room named `room`, unless `account`
/// belongs to [`MAX_JOINED_ROOMS`] rooms already or to this one; whether
/// it did.
async fn insert_member(
    conn: &mut sqlx::AnyConnection,
    room: &RoomName,
    account: i64,
    role: Role,
    now: &str,
) -> Result<bool, StoreError> {
    let added = sqlx::query(
        "INSERT INTO memberships (room_id, user_id, role, joined_at) \
         SELECT id, $1, $2, $3 FROM rooms WHERE name = $4 \
         AND (SELECT COUNT(*) FROM memberships WHERE user_id = $5) < $6 \
         ON CONFLICT DO NOTHING",
    )
    .bind(account)
    .bind(role.as_str())
    .bind(now)
    .bind(room.as_str())
    .bind(account)
    .bind(MAX_JOINED_ROOMS as i64)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(added > 0)
}

async fn is_member(
    conn: &mut sqlx::AnyConnection,
    room: &RoomName,
    account: i64,
) -> Result<bool, StoreError> {
    let row = sqlx::query(
        "SELECT 1 FROM memberships m JOIN rooms r ON r.id = m.room_id \
         WHERE r.name = $1 AND m.user_id = $2",
    )
    .bind(room.as_str())
    .bind(account)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

/// A membership, unless the account belongs to too many rooms or is
/// banned from this one.
pub(super) const INSERT_MEMBER_BY_ID: &str =
    "INSERT INTO memberships (room_id, user_id, role, joined_at) \
     SELECT $1, $2, $3, $4 WHERE (SELECT COUNT(*) FROM memberships WHERE user_id = $5) < $6 \
     AND NOT EXISTS (SELECT 1 FROM room_sanctions WHERE room_id = $7 AND user_id = $8 \
     AND kind = 'ban' AND (until_ms IS NULL OR until_ms > $9)) \
     ON CONFLICT DO NOTHING";

#[cfg(test)]
mod tests;
