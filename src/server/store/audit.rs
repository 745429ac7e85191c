//! The audit log (`audit_log`): every moderation action, who did it, to
//! whom, when and why, written in the same transaction as the action.
//! A room's moderators read its entries, the server admins all of them.

use super::{now_text, StoreError, Tx};
use crate::protocol::moderation::{AuditAction, AuditEntry, Reason};
use crate::protocol::{RoomName, Username};
use sqlx::Row;

/// One action to record.
#[derive(Debug, Clone)]
pub struct Audit<'a> {
    pub actor: i64,
    pub action: AuditAction,
    /// The room (id, name), if the action is about one.
    pub room: Option<(i64, &'a RoomName)>,
    pub target: Option<i64>,
    pub reason: Option<&'a Reason>,
    pub detail: String,
}

/// Writes `entry` in `tx`.
pub(super) async fn record(tx: &mut Tx<'_>, entry: Audit<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, action, room_id, room_name, target_id, reason, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(now_text())
    .bind(entry.actor)
    .bind(entry.action.as_str())
    .bind(entry.room.map(|(id, _)| id))
    .bind(entry.room.map(|(_, name)| name.as_str().to_owned()))
    .bind(entry.target)
    .bind(entry.reason.map(|r| r.as_str().to_owned()))
    .bind(entry.detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl super::Store {
    /// The newest entries (of the room with id `room`, or of the whole
    /// server), older than entry `before` if given; at most `limit`.
    pub async fn audit_log(
        &self,
        room: Option<i64>,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.at, a.action, a.room_name, a.reason, a.detail, \
             actor.username AS actor, target.username AS target FROM audit_log a \
             LEFT JOIN users actor ON actor.id = a.actor_id \
             LEFT JOIN users target ON target.id = a.target_id \
             WHERE ($1 IS NULL OR a.room_id = $2) AND a.id < $3 \
             ORDER BY a.id DESC LIMIT $4",
        )
        .bind(room)
        .bind(room)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit as i64)
        .fetch_all(&self.reader)
        .await?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            let action: String = row.try_get("action")?;
            let Some(action) = AuditAction::from_name(&action) else {
                continue;
            };
            let name = |column: &str| -> Result<Option<Username>, StoreError> {
                let name: Option<String> = row.try_get(column)?;
                Ok(name.and_then(|n| Username::parse(&n).ok()))
            };
            let room: Option<String> = row.try_get("room_name")?;
            let reason: Option<String> = row.try_get("reason")?;
            entries.push(AuditEntry {
                id: row.try_get("id")?,
                at: row.try_get("at")?,
                actor: name("actor")?,
                action,
                room: room.and_then(|r| RoomName::parse(&r).ok()),
                target: name("target")?,
                reason: reason.and_then(|r| Reason::parse(&r).ok()),
                detail: row.try_get("detail")?,
            });
        }
        Ok(entries)
    }
}
