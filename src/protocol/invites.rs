//! Invite links to rooms, on `/chat` (issue #14, item 3).
//!
//! Whoever may invite to a room by name may make a link to it instead: a
//! random code, shown once, that lets the accounts holding it in until it
//! expires, is used up or is revoked. The server keeps only the code's
//! hash: a link cannot be listed, recovered or read from the database,
//! only made again.
//!
//! Client → server: [`CreateInviteLink`], [`InviteLinks`],
//! [`RevokeInviteLink`], [`AcceptInvite`]. An accepted invitation sends
//! the account's sockets [`RoomAdded`](super::rooms::RoomAdded), as
//! `invite` does.

use super::chat::NAMESPACE;
use super::limits::{
    DEFAULT_INVITE_MINUTES, MAX_INVITE_CODE_CHARS, MAX_INVITE_MINUTES, MAX_INVITE_USES,
    MAX_LIVE_INVITE_LINKS, MIN_INVITE_MINUTES,
};
use super::names::{RoomName, Username};
use super::rooms::RoomInfo;
use super::{ClientEvent, OkMessage};
use serde::{Deserialize, Serialize};

/// `create-invite-link {room, expiresInMinutes?, maxUses?}`: a new link to
/// the room, alive for `expiresInMinutes` (1 to 30 days' worth; 7 days if
/// not given), letting in at most `maxUses` accounts (1 to 1000; none:
/// any number). Ack: [`InviteLinkMade`], the only time the code is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateInviteLink {
    pub room: RoomName,
    #[serde(
        rename = "expiresInMinutes",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_in_minutes: Option<u32>,
    #[serde(rename = "maxUses", default, skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<u32>,
}

impl CreateInviteLink {
    /// How long the link lives, in minutes.
    pub fn minutes(&self) -> u32 {
        self.expires_in_minutes.unwrap_or(DEFAULT_INVITE_MINUTES)
    }
}

impl ClientEvent for CreateInviteLink {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "create-invite-link";
    type Reply = InviteLinkMade;

    fn check(&self) -> Result<(), String> {
        if self.room.is_general() {
            return Err("every account is in general already: no invite link is needed".into());
        }
        if let Some(minutes) = self.expires_in_minutes {
            if !(MIN_INVITE_MINUTES..=MAX_INVITE_MINUTES).contains(&minutes) {
                return Err(format!(
                    "expiresInMinutes must be between {MIN_INVITE_MINUTES} and \
                     {MAX_INVITE_MINUTES} (30 days), got {minutes}"
                ));
            }
        }
        if let Some(uses) = self.max_uses {
            if !(1..=MAX_INVITE_USES).contains(&uses) {
                return Err(format!(
                    "maxUses must be between 1 and {MAX_INVITE_USES}, or left out for no limit, \
                     got {uses}"
                ));
            }
        }
        Ok(())
    }
}

/// The ack of [`CreateInviteLink`]: `{status:"ok", id, code, url,
/// expiresAt, maxUses, uses}`. `url` is `<public URL>/invite/<code>`;
/// `maxUses` is null for no limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteLinkMade {
    /// What `revoke-invite-link` names it by.
    pub id: i64,
    pub code: String,
    pub url: String,
    /// When it stops working (ISO 8601 UTC).
    #[serde(rename = "expiresAt")]
    pub expires_at: String,
    #[serde(rename = "maxUses")]
    pub max_uses: Option<u32>,
    pub uses: u32,
}

/// The path of an invite link on the server: `/invite/<code>`.
pub fn invite_path(code: &str) -> String {
    format!("/invite/{code}")
}

/// `invite-links {room}`: the room's live links (not expired, revoked or
/// used up), newest first, without their codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteLinks {
    pub room: RoomName,
}

impl ClientEvent for InviteLinks {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "invite-links";
    type Reply = InviteLinkList;
}

/// One live link, as [`InviteLinks`] lists it: never its code, only the
/// code's first characters (`prefix`), so that people can tell their
/// links apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteLinkInfo {
    pub id: i64,
    pub prefix: String,
    /// The account that made it (none once that account is deleted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<Username>,
    #[serde(rename = "createdAt")]
    pub created_at: String,
    /// Null: it does not expire (links made by `create-invite-link`
    /// always do).
    #[serde(rename = "expiresAt")]
    pub expires_at: Option<String>,
    #[serde(rename = "maxUses")]
    pub max_uses: Option<u32>,
    pub uses: u32,
}

/// The ack of [`InviteLinks`]: `{status:"ok", links:[...]}`, at most
/// [`MAX_LIVE_INVITE_LINKS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteLinkList {
    pub links: Vec<InviteLinkInfo>,
}

/// `revoke-invite-link {room, id}`: the link stops working at once.
/// Revoking a link that is revoked already changes nothing and is acked
/// the same (a retry is answered as the first try). Ack:
/// `Invite link <id> of <room> was revoked`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeInviteLink {
    pub room: RoomName,
    pub id: i64,
}

impl ClientEvent for RevokeInviteLink {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "revoke-invite-link";
    type Reply = OkMessage;

    fn check(&self) -> Result<(), String> {
        if self.id < 1 {
            return Err(format!("id must be 1 or more, got {}", self.id));
        }
        Ok(())
    }
}

/// The ack of a successful [`RevokeInviteLink`].
pub fn revoked(id: i64, room: &RoomName) -> String {
    format!("Invite link {id} of {room} was revoked")
}

/// A code `accept-invite` was given: any string of at most
/// [`MAX_INVITE_CODE_CHARS`] characters, trimmed. Whether it is a code
/// of a live link only the server can say, with one refusal for every
/// code that is not ([`INVALID_INVITE`]). Its `Debug` does not show it:
/// a code is a key to a room, and must not end up in a log.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InviteCode(String);

impl InviteCode {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        let len = trimmed.chars().count();
        if len > MAX_INVITE_CODE_CHARS {
            return Err(format!(
                "code must be at most {MAX_INVITE_CODE_CHARS} characters (got {len})"
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for InviteCode {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl From<InviteCode> for String {
    fn from(code: InviteCode) -> String {
        code.0
    }
}

impl std::fmt::Debug for InviteCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InviteCode(..)")
    }
}

/// `accept-invite {code}`: makes the account a member of the link's room;
/// its logged-in `/chat` sockets enter the room and get `room-added`, as
/// for `invite`. An account that is a member already is answered the
/// same, and its acceptance does not count as a use. Ack: the room's
/// [`RoomInfo`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptInvite {
    pub code: InviteCode,
}

impl ClientEvent for AcceptInvite {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "accept-invite";
    type Reply = RoomInfo;
}

/// The one refusal of `accept-invite` for every code that does not let
/// anyone in: unknown, expired, used up or revoked alike, so that codes
/// cannot be probed.
pub const INVALID_INVITE: &str =
    "This invite link is not valid: it may have expired or been revoked; ask for a new one";

/// `create-invite-link` in a room with [`MAX_LIVE_INVITE_LINKS`] live links.
pub fn too_many_links(room: &RoomName) -> String {
    format!(
        "{room} has {MAX_LIVE_INVITE_LINKS} live invite links, the most a room may: \
         revoke one first"
    )
}

/// `revoke-invite-link` of an id no link of the room has.
pub fn no_such_link(id: i64, room: &RoomName) -> String {
    format!("{room} has no invite link {id}")
}

/// `revoke-invite-link` of another's link by a member who is not a
/// moderator.
pub fn not_your_link(room: &RoomName) -> String {
    format!("Only the moderators of {room} and the link's creator may revoke it")
}

#[cfg(test)]
mod tests;
