//! What a room is (its kind, topic, creator and flags: columns of
//! `rooms`), as the guards read it (cached: [`Store::room_meta`]), as
//! `room-info` tells it, and as the public directory lists it; changing a
//! room's settings.

use super::room_ids::RoomMeta;
use super::{Store, StoreError};
use crate::protocol::rooms::{
    DirectoryEntry, DirectoryQuery, InvitesBy, RoomInfo, RoomKind, RoomSettings, Topic,
};
use crate::protocol::{RoomName, Username};
use sqlx::any::AnyRow;
use sqlx::Row;

const META: &str = "SELECT id, name, kind, archived, accounts_only, invites_by, slow_seconds, \
     locked FROM rooms WHERE name = $1";

impl Store {
    /// What `room` is, or `None` when no room has that name. From the
    /// cache when it is there (no query: the hot path), else from the
    /// database, then cached.
    pub async fn room_meta(&self, room: &RoomName) -> Result<Option<RoomMeta>, StoreError> {
        if let Some(meta) = self.metas.get(room) {
            return Ok(Some(meta));
        }
        let row = sqlx::query(META)
            .bind(room.as_str())
            .fetch_optional(&self.reader)
            .await?;
        let meta = row.map(|r| meta_of(&r)).transpose()?;
        if let Some(meta) = &meta {
            self.metas.put(meta.clone());
        }
        Ok(meta)
    }

    /// Reads `room` from the database (the writer's view: what was just
    /// written) into the cache.
    pub(super) async fn refresh(
        &self,
        conn: &mut sqlx::AnyConnection,
        room: &RoomName,
    ) -> Result<Option<RoomMeta>, StoreError> {
        let row = sqlx::query(META)
            .bind(room.as_str())
            .fetch_optional(&mut *conn)
            .await?;
        let meta = row.map(|r| meta_of(&r)).transpose()?;
        match &meta {
            Some(meta) => self.metas.put(meta.clone()),
            None => self.metas.forget(room),
        }
        Ok(meta)
    }

    /// The name of the room with id `room`, if it exists.
    pub async fn room_name(&self, room: i64) -> Result<Option<RoomName>, StoreError> {
        let name: Option<String> = sqlx::query_scalar("SELECT name FROM rooms WHERE id = $1")
            .bind(room)
            .fetch_optional(&self.reader)
            .await?;
        Ok(name.and_then(|n| RoomName::parse(&n).ok()))
    }

    /// Changes what `settings` gives of the room with id `room`; its new
    /// [`RoomMeta`] is cached.
    pub async fn change_settings(
        &self,
        room: &RoomMeta,
        settings: &RoomSettings,
        audit: super::audit::Audit<'_>,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "UPDATE rooms SET topic = COALESCE($1, topic), \
             accounts_only = COALESCE($2, accounts_only), \
             invites_by = COALESCE($3, invites_by), archived = COALESCE($4, archived), \
             slow_seconds = COALESCE($5, slow_seconds), locked = COALESCE($6, locked) \
             WHERE id = $7",
        )
        .bind(settings.topic.as_ref().map(|t| t.as_str().to_owned()))
        .bind(settings.accounts_only.map(i64::from))
        .bind(settings.invites_by.map(|i| i.as_str().to_owned()))
        .bind(settings.archived.map(i64::from))
        .bind(settings.slow_seconds.map(i64::from))
        .bind(settings.locked.map(i64::from))
        .bind(room.id)
        .execute(&mut *tx)
        .await?;
        super::audit::record(&mut tx, audit).await?;
        super::changes::record(&mut tx, room.id, Some(&room.name), None).await?;
        tx.commit().await?;
        let mut conn = self.writer.acquire().await?;
        self.refresh(&mut conn, &room.name).await?;
        Ok(())
    }

    /// What the room with id `room` is, as `room-info` tells it (`role`
    /// left for the caller).
    pub async fn room_info(&self, room: i64) -> Result<Option<RoomInfo>, StoreError> {
        let row = sqlx::query(
            "SELECT r.id, r.name, r.kind, r.topic, u.username AS creator, r.created_at, r.archived, \
             r.accounts_only, r.invites_by, r.slow_seconds, r.locked, \
             (SELECT COUNT(*) FROM memberships m WHERE m.room_id = r.id) AS members \
             FROM rooms r LEFT JOIN users u ON u.id = r.creator_id WHERE r.id = $1",
        )
        .bind(room)
        .fetch_optional(&self.writer)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let meta = meta_of(&row)?;
        let creator: Option<String> = row.try_get("creator")?;
        let members: i64 = row.try_get("members")?;
        Ok(Some(RoomInfo {
            room: meta.name,
            kind: meta.kind,
            topic: topic_of(&row)?,
            creator: creator.and_then(|c| Username::parse(&c).ok()),
            created_at: row.try_get("created_at")?,
            members: u64::try_from(members).unwrap_or(0),
            archived: meta.archived,
            accounts_only: meta.accounts_only,
            invites_by: meta.invites_by,
            slow_seconds: meta.slow_seconds,
            locked: meta.locked,
            role: None,
        }))
    }

    /// The public rooms that are not archived, those whose name or topic
    /// holds `query` (ASCII letters in any case on SQLite, every letter on
    /// PostgreSQL), most members first, then by name; at most `limit`.
    pub async fn directory(
        &self,
        query: Option<&DirectoryQuery>,
        limit: usize,
    ) -> Result<Vec<DirectoryEntry>, StoreError> {
        let pattern = search_pattern(query);
        let rows = sqlx::query(
            "SELECT r.name, r.topic, \
             (SELECT COUNT(*) FROM memberships m WHERE m.room_id = r.id) AS members \
             FROM rooms r WHERE r.kind = 'public' AND r.archived = 0 \
             AND (LOWER(r.name) LIKE $1 ESCAPE '\\' OR LOWER(r.topic) LIKE $2 ESCAPE '\\') \
             ORDER BY members DESC, r.name LIMIT $3",
        )
        .bind(&pattern)
        .bind(&pattern)
        .bind(limit as i64)
        .fetch_all(&self.reader)
        .await?;
        let mut rooms = Vec::with_capacity(rows.len());
        for row in &rows {
            let name: String = row.try_get("name")?;
            let Ok(room) = RoomName::parse(&name) else {
                continue;
            };
            let members: i64 = row.try_get("members")?;
            rooms.push(DirectoryEntry {
                room,
                topic: topic_of(row)?,
                members: u64::try_from(members).unwrap_or(0),
            });
        }
        Ok(rooms)
    }
}

fn meta_of(row: &AnyRow) -> Result<RoomMeta, StoreError> {
    let name: String = row.try_get("name")?;
    let kind: String = row.try_get("kind")?;
    let invites_by: String = row.try_get("invites_by")?;
    let archived: i64 = row.try_get("archived")?;
    let accounts_only: i64 = row.try_get("accounts_only")?;
    let slow_seconds: i64 = row.try_get("slow_seconds")?;
    let locked: i64 = row.try_get("locked")?;
    let bad = |what: &str| StoreError::Failed(format!("room {name} has a bad {what}"));
    Ok(RoomMeta {
        id: row.try_get("id")?,
        name: RoomName::parse(&name).map_err(|_| bad("name"))?,
        kind: RoomKind::from_name(&kind).ok_or_else(|| bad("kind"))?,
        archived: archived != 0,
        accounts_only: accounts_only != 0,
        invites_by: InvitesBy::from_name(&invites_by).ok_or_else(|| bad("invites_by"))?,
        slow_seconds: u32::try_from(slow_seconds).map_err(|_| bad("slow_seconds"))?,
        locked: locked != 0,
    })
}

fn topic_of(row: &AnyRow) -> Result<Topic, StoreError> {
    let topic: String = row.try_get("topic")?;
    Ok(Topic::parse(&topic).unwrap_or_default())
}

/// The LIKE pattern of a directory search: what holds `query` (in any
/// case), or everything.
pub(super) fn search_pattern(query: Option<&DirectoryQuery>) -> String {
    format!(
        "%{}%",
        query
            .map(|q| like_escaped(&q.as_str().to_lowercase()))
            .unwrap_or_default()
    )
}

/// `text` with LIKE's wildcards (and the escape character) escaped by `\`.
fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
