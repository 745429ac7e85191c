//! Invite links (`invite_links`, issue #14 item 3): made, listed, revoked
//! and accepted.
//!
//! A link's code is made here, from the thread's CSPRNG (`rand`'s
//! `ThreadRng`: ChaCha12 seeded from the operating system), 192 bits,
//! base64url: it is handed to the caller once and never stored. The table
//! keeps its SHA-256 (hex) and its first [`PREFIX_CHARS`] characters, so
//! that a database reader holds no usable link (as for a password-reset
//! token: a code this long needs no slow hash, nobody can guess it).
//!
//! A link is *live* while it is not revoked, not expired and not used up;
//! only live links are listed, counted against
//! [`MAX_LIVE_INVITE_LINKS`], or let anyone in. Accepting one counts a use
//! in one `UPDATE … WHERE uses < max_uses` inside the transaction that
//! adds the membership, so that two acceptances at once can never let in
//! more accounts than `max_uses`: on PostgreSQL the second `UPDATE` waits
//! for the first's row lock and then sees its count; on SQLite the single
//! writing connection runs them one after the other.

use super::membership::INSERT_MEMBER_BY_ID;
use super::standing::{now_ms, Until};
use super::{now_text, time_text, Store, StoreError};
use crate::protocol::invites::{InviteCode, InviteLinkInfo};
use crate::protocol::limits::{MAX_JOINED_ROOMS, MAX_LIVE_INVITE_LINKS};
use crate::protocol::rooms::Role;
use crate::protocol::{RoomName, Username};
use base64::Engine;
use chrono::{DateTime, Utc};
use sqlx::Row;

/// Random bytes in a code: 192 bits, 32 characters of base64url.
const CODE_BYTES: usize = 24;
/// Characters of a code kept (and listed) to tell links apart: 24 of its
/// 192 bits.
pub const PREFIX_CHARS: usize = 4;

/// A link to make (`create-invite-link`).
#[derive(Debug, Clone, Copy)]
pub struct NewInviteLink {
    pub room: i64,
    pub creator: i64,
    /// When it stops working; `None`: never.
    pub expires_at: Option<DateTime<Utc>>,
    /// How many accounts it may let in; `None`: any number.
    pub max_uses: Option<u32>,
}

/// A link just made: the only time its code is known.
#[derive(Clone, PartialEq, Eq)]
pub struct MadeLink {
    pub id: i64,
    pub code: String,
    pub expires_at: Option<String>,
}

impl std::fmt::Debug for MadeLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MadeLink")
            .field("id", &self.id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What [`Store::create_invite_link`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkMade {
    Yes(MadeLink),
    /// The room has [`MAX_LIVE_INVITE_LINKS`] live links: nothing was made.
    TooMany,
}

/// What [`Store::accept_invite`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// The account is a member of the room now; one use was counted.
    Joined(RoomName),
    /// The account was a member already: no use was counted.
    Already(RoomName),
    /// No live link has this code (none ever had, or it expired, was used
    /// up or revoked): nothing was done.
    Invalid,
    /// The account belongs to [`MAX_JOINED_ROOMS`] rooms already: nothing
    /// was done, no use counted.
    Full,
    /// The account is banned from the room until then: nothing was done.
    Banned(RoomName, Until),
}

/// What [`Store::revoke_invite_link`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// Revoked now, or before.
    Yes,
    /// The room has no link of that id.
    NoSuchLink,
}

impl Store {
    /// Makes a link to a room, unless the room has
    /// [`MAX_LIVE_INVITE_LINKS`] live ones; its code is in the answer and
    /// nowhere else.
    pub async fn create_invite_link(&self, link: NewInviteLink) -> Result<LinkMade, StoreError> {
        let code = new_code();
        let now = now_text();
        let expires_at = link.expires_at.map(time_text);
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO invite_links \
             (code_hash, code_prefix, room_id, creator_id, created_at, expires_at, max_uses) \
             SELECT $1, $2, $3, $4, $5, $6, $7 \
             WHERE (SELECT COUNT(*) FROM invite_links WHERE room_id = $8 \
             AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $9) \
             AND (max_uses IS NULL OR uses < max_uses)) < $10 \
             RETURNING id",
        )
        .bind(code_hash(&code))
        .bind(prefix_of(&code))
        .bind(link.room)
        .bind(link.creator)
        .bind(&now)
        .bind(expires_at.clone())
        .bind(link.max_uses.map(i64::from))
        .bind(link.room)
        .bind(&now)
        .bind(MAX_LIVE_INVITE_LINKS as i64)
        .fetch_optional(&self.writer)
        .await?;
        Ok(match id {
            Some(id) => LinkMade::Yes(MadeLink {
                id,
                code,
                expires_at,
            }),
            None => LinkMade::TooMany,
        })
    }

    /// The live links of the room with id `room`, newest first, without
    /// their codes.
    pub async fn live_invite_links(&self, room: i64) -> Result<Vec<InviteLinkInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.id, l.code_prefix, u.username AS creator, l.created_at, l.expires_at, \
             l.max_uses, l.uses FROM invite_links l LEFT JOIN users u ON u.id = l.creator_id \
             WHERE l.room_id = $1 AND l.revoked_at IS NULL \
             AND (l.expires_at IS NULL OR l.expires_at > $2) \
             AND (l.max_uses IS NULL OR l.uses < l.max_uses) \
             ORDER BY l.id DESC LIMIT $3",
        )
        .bind(room)
        .bind(now_text())
        .bind(MAX_LIVE_INVITE_LINKS as i64)
        .fetch_all(&self.writer)
        .await?;
        let mut links = Vec::with_capacity(rows.len());
        for row in &rows {
            let creator: Option<String> = row.try_get("creator")?;
            let max_uses: Option<i64> = row.try_get("max_uses")?;
            let uses: i64 = row.try_get("uses")?;
            links.push(InviteLinkInfo {
                id: row.try_get("id")?,
                prefix: row.try_get("code_prefix")?,
                creator: creator.and_then(|c| Username::parse(&c).ok()),
                created_at: row.try_get("created_at")?,
                expires_at: row.try_get("expires_at")?,
                max_uses: max_uses.and_then(|m| u32::try_from(m).ok()),
                uses: u32::try_from(uses).unwrap_or(u32::MAX),
            });
        }
        Ok(links)
    }

    /// Who made the link `link` of the room with id `room`: `None` when
    /// the room has no such link, `Some(None)` when its creator's account
    /// is gone.
    pub async fn invite_link_creator(
        &self,
        room: i64,
        link: i64,
    ) -> Result<Option<Option<i64>>, StoreError> {
        let row = sqlx::query("SELECT creator_id FROM invite_links WHERE room_id = $1 AND id = $2")
            .bind(room)
            .bind(link)
            .fetch_optional(&self.writer)
            .await?;
        row.map(|r| r.try_get::<Option<i64>, _>("creator_id"))
            .transpose()
            .map_err(StoreError::from)
    }

    /// Revokes the link `link` of the room with id `room`: it lets nobody
    /// in from now on. A link revoked already keeps its first revocation
    /// time.
    pub async fn revoke_invite_link(&self, room: i64, link: i64) -> Result<Revoked, StoreError> {
        let found = sqlx::query(
            "UPDATE invite_links SET revoked_at = COALESCE(revoked_at, $1) \
             WHERE room_id = $2 AND id = $3",
        )
        .bind(now_text())
        .bind(room)
        .bind(link)
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(if found > 0 {
            Revoked::Yes
        } else {
            Revoked::NoSuchLink
        })
    }

    /// Lets `account` into the room of the live link whose code is `code`,
    /// counting one use; see [`Accepted`]. One transaction: whatever it
    /// refuses, it changes nothing.
    pub async fn accept_invite(
        &self,
        code: &InviteCode,
        account: i64,
    ) -> Result<Accepted, StoreError> {
        let hash = code_hash(code.as_str());
        let now = now_text();
        let mut tx = self.writer.begin().await?;
        let link = sqlx::query(
            "SELECT l.id, l.room_id, r.name FROM invite_links l JOIN rooms r ON r.id = l.room_id \
             WHERE l.code_hash = $1 AND l.revoked_at IS NULL \
             AND (l.expires_at IS NULL OR l.expires_at > $2) \
             AND (l.max_uses IS NULL OR l.uses < l.max_uses)",
        )
        .bind(&hash)
        .bind(&now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(link) = link else {
            return Ok(Accepted::Invalid);
        };
        let (id, room_id): (i64, i64) = (link.try_get("id")?, link.try_get("room_id")?);
        let name: String = link.try_get("name")?;
        let room = RoomName::parse(&name)
            .map_err(|_| StoreError::Failed(format!("room {name} has a bad name")))?;
        // An account banned from the room is refused before anything is
        // counted or added.
        let ban: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT until_ms FROM room_sanctions WHERE room_id = $1 AND user_id = $2 \
             AND kind = 'ban' AND (until_ms IS NULL OR until_ms > $3)",
        )
        .bind(room_id)
        .bind(account)
        .bind(now_ms())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(until) = ban {
            return Ok(Accepted::Banned(room, Until::from_ms(until)));
        }
        if is_member(&mut tx, room_id, account).await? {
            return Ok(Accepted::Already(room));
        }
        let claimed = sqlx::query(
            "UPDATE invite_links SET uses = uses + 1 WHERE id = $1 AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > $2) \
             AND (max_uses IS NULL OR uses < max_uses)",
        )
        .bind(id)
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            // Its last use went to another account meanwhile.
            return Ok(Accepted::Invalid);
        }
        let added = sqlx::query(INSERT_MEMBER_BY_ID)
            .bind(room_id)
            .bind(account)
            .bind(Role::Member.as_str())
            .bind(&now)
            .bind(account)
            .bind(MAX_JOINED_ROOMS as i64)
            .bind(room_id)
            .bind(account)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if added == 0 {
            // The use claimed above goes back with the rollback.
            let member = is_member(&mut tx, room_id, account).await?;
            tx.rollback().await?;
            return Ok(match member {
                true => Accepted::Already(room),
                false => Accepted::Full,
            });
        }
        tx.commit().await?;
        self.changed(room_id, None, Some(account)).await?;
        Ok(Accepted::Joined(room))
    }
}

/// Deletes the links that stopped working (expired or revoked) before
/// `before` (a stored time), for the housekeeping. Used-up links go once
/// they expire.
pub(super) async fn purge_dead_links(
    writer: &sqlx::AnyPool,
    before: &str,
) -> Result<u64, StoreError> {
    let gone = sqlx::query("DELETE FROM invite_links WHERE expires_at < $1 OR revoked_at < $2")
        .bind(before)
        .bind(before)
        .execute(writer)
        .await?
        .rows_affected();
    Ok(gone)
}

async fn is_member(
    conn: &mut sqlx::AnyConnection,
    room: i64,
    account: i64,
) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT 1 FROM memberships WHERE room_id = $1 AND user_id = $2")
        .bind(room)
        .bind(account)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.is_some())
}

/// A new code: [`CODE_BYTES`] from the thread's CSPRNG, base64url without
/// padding.
fn new_code() -> String {
    use rand::Rng;
    let bytes: [u8; CODE_BYTES] = rand::rng().random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored of a code: its SHA-256, lower-case hex.
fn code_hash(code: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(code.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn prefix_of(code: &str) -> String {
    code.chars().take(PREFIX_CHARS).collect()
}

#[cfg(test)]
mod tests;
