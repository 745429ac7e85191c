//! The feed of room changes (`room_changes`): one row per change of a
//! room's settings (no account) or of an account's standing in it
//! (membership, role, ban, mute), written in the change's transaction.
//!
//! The node that makes a change drops its own cached entries at once.
//! Every node (the gateway's `changes` task) reads the rows newer than the
//! last it read every [`POLL`](crate::server::gateway) period and drops
//! its cached entries for them too, so a change made on one node of a
//! cluster holds on every node within that period, whether or not Redis
//! is up. Rows older than an hour are deleted by the housekeeping.

use super::{now_text, Store, StoreError, Tx};
use crate::protocol::RoomName;
use sqlx::Row;

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomChange {
    pub id: i64,
    pub room_id: i64,
    /// The room whose settings changed (its flags, or it was deleted).
    pub room: Option<RoomName>,
    /// The account whose standing in it changed.
    pub account: Option<i64>,
}

/// Records a change in `tx`.
pub(super) async fn record(
    tx: &mut Tx<'_>,
    room_id: i64,
    room: Option<&RoomName>,
    account: Option<i64>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO room_changes (room_id, room_name, user_id, at) VALUES ($1, $2, $3, $4)",
    )
    .bind(room_id)
    .bind(room.map(|r| r.as_str().to_owned()))
    .bind(account)
    .bind(now_text())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Drops what this node cached about a change: the room's settings
    /// (if `room` is given) and the account's standing (if `account` is).
    pub fn forget_change(&self, room_id: i64, room: Option<&RoomName>, account: Option<i64>) {
        if let Some(room) = room {
            self.metas.forget(room);
            self.changed_rooms
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        }
        if let Some(account) = account {
            self.standings.forget(room_id, account);
            self.admins.forget(account);
        }
    }

    /// The changes with an id above `after`, oldest first, at most `limit`.
    pub async fn room_changes_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<RoomChange>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, room_id, room_name, user_id FROM room_changes WHERE id > $1 \
             ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit as i64)
        .fetch_all(&self.reader)
        .await?;
        let mut changes = Vec::with_capacity(rows.len());
        for row in &rows {
            let name: Option<String> = row.try_get("room_name")?;
            let room = name.and_then(|n| RoomName::parse(&n).ok());
            changes.push(RoomChange {
                id: row.try_get("id")?,
                room_id: row.try_get("room_id")?,
                room,
                account: row.try_get("user_id")?,
            });
        }
        Ok(changes)
    }

    /// The newest change's id (0 when there is none): where a node that
    /// starts begins reading.
    pub async fn last_room_change(&self) -> Result<i64, StoreError> {
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM room_changes")
            .fetch_one(&self.reader)
            .await?;
        Ok(last.unwrap_or(0))
    }
}

/// Deletes the changes recorded before `before` (a stored time).
pub(super) async fn purge_changes(writer: &sqlx::AnyPool, before: &str) -> Result<u64, StoreError> {
    Ok(sqlx::query("DELETE FROM room_changes WHERE at < $1")
        .bind(before)
        .execute(writer)
        .await?
        .rows_affected())
}

impl Store {
    /// Records a change made outside a transaction, and drops this node's
    /// cached entries for it.
    pub(super) async fn changed(
        &self,
        room_id: i64,
        room: Option<&RoomName>,
        account: Option<i64>,
    ) -> Result<(), StoreError> {
        self.forget_change(room_id, room, account);
        let mut tx = self.writer.begin().await?;
        record(&mut tx, room_id, room, account).await?;
        tx.commit().await?;
        Ok(())
    }
}
