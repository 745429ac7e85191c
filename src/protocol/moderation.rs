//! Moderation of rooms and of the server, on `/chat` (issue #14, phase 2).
//!
//! A room's moderators (and its owner, and server admins) remove members,
//! ban accounts from the room for a time or for good, mute them (they may
//! read, not write), delete anyone's message, and set slow mode and the
//! lock with `room-settings` (`slowSeconds`, `locked`). Server admins ban
//! accounts from the whole server, delete rooms and list every room.
//! Every action is written to an audit log that the room's moderators and
//! the admins read with `audit-log`.
//!
//! Client → server: [`RoomMembers`], [`RemoveMember`], [`Ban`], [`Unban`],
//! [`Mute`], [`Unmute`], [`RoomBans`], [`DeleteMessage`], [`AuditLog`],
//! [`BanAccount`], [`UnbanAccount`], [`DeleteRoom`], [`AllRooms`].
//! Server → client: [`RoomRemoved`], [`RoomMuted`], [`MessageDeleted`].

use super::chat::NAMESPACE;
use super::limits::{MAX_REASON_CHARS, MAX_SANCTION_MINUTES};
use super::names::{is_forbidden_in_name, validated_string, NameError, RoomName, Username};
use super::rooms::{DirectoryQuery, Role, RoomKind};
use super::{ClientEvent, OkMessage, ServerEvent};
use serde::{Deserialize, Serialize};

validated_string!(
    /// Why a moderator did something: at most 500 characters after
    /// trimming, one line (no control or invisible formatting characters).
    /// Shown to the one it was done to and kept in the audit log.
    Reason
);

impl Reason {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let what = "reason";
        let trimmed = raw.trim();
        let len = trimmed.chars().count();
        if len > MAX_REASON_CHARS {
            return Err(NameError::TooLong {
                what,
                max: MAX_REASON_CHARS,
                len,
            });
        }
        if trimmed.chars().any(is_forbidden_in_name) {
            return Err(NameError::ForbiddenCharacter { what });
        }
        Ok(Self(trimmed.to_owned()))
    }
}

/// `room-members {room}`: who belongs to a room the sender may read, by
/// role (owner first) then name; at most
/// [`MAX_MEMBERS_LISTED`](super::limits::MAX_MEMBERS_LISTED).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomMembers {
    pub room: RoomName,
}

impl ClientEvent for RoomMembers {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "room-members";
    type Reply = MemberList;
}

/// One member of a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberEntry {
    pub username: Username,
    pub role: Role,
    /// Muted in the room: until when (ISO 8601 UTC), or `"forever"`.
    #[serde(
        rename = "mutedUntil",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub muted_until: Option<String>,
}

/// The ack of [`RoomMembers`]: `{status:"ok", members:[…], total}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberList {
    pub members: Vec<MemberEntry>,
    /// How many members the room has (the list may stop before).
    pub total: u64,
}

/// What a sanction is for: `{room, username, reason?}`. A moderator acts
/// on members and on accounts with no role there; on a moderator only the
/// owner (or an admin) may; on the owner nobody.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoveMember {
    pub room: RoomName,
    pub username: Username,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
}

/// `remove-member {room, username, reason?}`: ends the account's
/// membership; its sockets leave the room at once, on every node, and get
/// [`RoomRemoved`]. It may join again a public room (use [`Ban`] to keep
/// it out). Ack: `<username> was removed from <room>`.
impl ClientEvent for RemoveMember {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "remove-member";
    type Reply = OkMessage;
}

/// A sanction that lasts: `minutes` (1 to a year), or for good when absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sanction {
    pub room: RoomName,
    pub username: Username,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
}

impl Sanction {
    fn check_minutes(&self) -> Result<(), String> {
        match self.minutes {
            Some(0) => Err("minutes must be at least 1 (leave it out for no end)".into()),
            Some(m) if m > MAX_SANCTION_MINUTES => Err(format!(
                "minutes must be at most {MAX_SANCTION_MINUTES} (a year; leave it out for no end)"
            )),
            _ => Ok(()),
        }
    }
}

/// `ban {room, username, minutes?, reason?}`: removes the account from the
/// room (as [`RemoveMember`]) and keeps it out: it cannot join, read a
/// public room, post or be invited until the ban ends or is lifted. Works
/// on an account that is not a member too. Ack: `<username> is banned
/// from <room>` (`… until <time>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Ban(pub Sanction);

impl ClientEvent for Ban {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "ban";
    type Reply = OkMessage;

    fn check(&self) -> Result<(), String> {
        self.0.check_minutes()
    }
}

/// `mute {room, username, minutes?, reason?}`: the account may still read
/// the room, not post in it (messages, the board); its sockets get
/// [`RoomMuted`]. Ack: `<username> is muted in <room>` (`… until <time>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Mute(pub Sanction);

impl ClientEvent for Mute {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "mute";
    type Reply = OkMessage;

    fn check(&self) -> Result<(), String> {
        self.0.check_minutes()
    }
}

/// Whom a sanction is lifted from: `{room, username}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lift {
    pub room: RoomName,
    pub username: Username,
}

/// `unban {room, username}`: lifts a ban. Ack: `<username> may join <room> again`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Unban(pub Lift);

impl ClientEvent for Unban {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "unban";
    type Reply = OkMessage;
}

/// `unmute {room, username}`: lifts a mute; the account's sockets get
/// [`RoomMuted`] with `muted: false`. Ack: `<username> may post in <room> again`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Unmute(pub Lift);

impl ClientEvent for Unmute {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "unmute";
    type Reply = OkMessage;
}

/// `room-bans {room}`: the bans in force in a room (moderators).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomBans {
    pub room: RoomName,
}

impl ClientEvent for RoomBans {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "room-bans";
    type Reply = BanList;
}

/// One ban in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanEntry {
    pub username: Username,
    /// Until when (ISO 8601 UTC), or `"forever"`.
    pub until: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// The moderator who banned (none if that account is gone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Username>,
}

/// The ack of [`RoomBans`]: `{status:"ok", bans:[…]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanList {
    pub bans: Vec<BanEntry>,
}

/// `delete-message {room, id}`: deletes a message of the room (its author,
/// or a moderator for anyone's). Its text is gone from the database; a
/// tombstone keeps its place in the history (`deleted: true`, empty
/// `message`), and everyone in the room gets [`MessageDeleted`]. Ack:
/// `Message deleted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteMessage {
    pub room: RoomName,
    pub id: i64,
}

impl ClientEvent for DeleteMessage {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "delete-message";
    type Reply = OkMessage;

    fn check(&self) -> Result<(), String> {
        if self.id <= 0 {
            return Err("id must be a message's id (a positive number)".into());
        }
        Ok(())
    }
}

/// `audit-log {room?, before?}`: the moderation actions of a room (its
/// moderators), or of the whole server when `room` is absent (admins),
/// newest first, at most [`MAX_AUDIT_ENTRIES`](super::limits::MAX_AUDIT_ENTRIES);
/// `before` (an entry's id) pages back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLog {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
}

impl ClientEvent for AuditLog {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "audit-log";
    type Reply = AuditEntries;

    /// No payload (or null): the whole server's log.
    fn from_payload(payload: Option<serde_json::Value>) -> Result<Self, super::PayloadError> {
        match payload {
            None | Some(serde_json::Value::Null) => Ok(Self::default()),
            some => super::parse_payload::<Self>(some),
        }
    }
}

/// What an audit entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuditAction {
    Remove,
    Ban,
    Unban,
    Mute,
    Unmute,
    DeleteMessage,
    SetRole,
    Settings,
    BanAccount,
    UnbanAccount,
    DeleteRoom,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Remove => "remove",
            AuditAction::Ban => "ban",
            AuditAction::Unban => "unban",
            AuditAction::Mute => "mute",
            AuditAction::Unmute => "unmute",
            AuditAction::DeleteMessage => "delete-message",
            AuditAction::SetRole => "set-role",
            AuditAction::Settings => "settings",
            AuditAction::BanAccount => "ban-account",
            AuditAction::UnbanAccount => "unban-account",
            AuditAction::DeleteRoom => "delete-room",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [
            AuditAction::Remove,
            AuditAction::Ban,
            AuditAction::Unban,
            AuditAction::Mute,
            AuditAction::Unmute,
            AuditAction::DeleteMessage,
            AuditAction::SetRole,
            AuditAction::Settings,
            AuditAction::BanAccount,
            AuditAction::UnbanAccount,
            AuditAction::DeleteRoom,
        ]
        .into_iter()
        .find(|a| a.as_str() == name)
    }
}

/// One moderation action: who did what to whom, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// When (ISO 8601 UTC).
    pub at: String,
    /// Who did it (none if that account is gone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Username>,
    pub action: AuditAction,
    /// The room (none for a server-wide action).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomName>,
    /// The account it was done to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Username>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// What else there is to say: until when, the new role, the settings
    /// changed, the deleted message's id.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// The ack of [`AuditLog`]: `{status:"ok", entries:[…]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntries {
    pub entries: Vec<AuditEntry>,
}

/// `ban-account {username, reason?}` (server admins): the account can no
/// longer log in; every one of its login sessions ends and its sockets, on
/// every node, get `session-ended` and are disconnected. Ack: `<username>
/// is banned from this server`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanAccount {
    pub username: Username,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
}

impl ClientEvent for BanAccount {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "ban-account";
    type Reply = OkMessage;
}

/// `unban-account {username}` (server admins). Ack: `<username> may log in again`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnbanAccount {
    pub username: Username,
}

impl ClientEvent for UnbanAccount {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "unban-account";
    type Reply = OkMessage;
}

/// `delete-room {room, reason?}` (server admins, and the room's owner):
/// the room, its history, board and memberships are deleted; every socket
/// in it gets [`RoomRemoved`]. Not `general`. Ack: `<room> was deleted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteRoom {
    pub room: RoomName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
}

impl ClientEvent for DeleteRoom {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "delete-room";
    type Reply = OkMessage;

    fn check(&self) -> Result<(), String> {
        if self.room.is_general() {
            return Err("general cannot be deleted".into());
        }
        Ok(())
    }
}

/// `all-rooms {query?}` (server admins): every room, private and archived
/// ones too, most members first; at most
/// [`MAX_DIRECTORY_ROOMS`](super::limits::MAX_DIRECTORY_ROOMS).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllRooms {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<DirectoryQuery>,
}

impl ClientEvent for AllRooms {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "all-rooms";
    type Reply = AllRoomList;

    fn from_payload(payload: Option<serde_json::Value>) -> Result<Self, super::PayloadError> {
        match payload {
            None | Some(serde_json::Value::Null) => Ok(Self::default()),
            some => super::parse_payload::<Self>(some),
        }
    }
}

/// One room of [`AllRooms`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminRoomEntry {
    pub room: RoomName,
    pub kind: RoomKind,
    pub members: u64,
    pub archived: bool,
}

/// The ack of [`AllRooms`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllRoomList {
    pub rooms: Vec<AdminRoomEntry>,
}

/// `room-removed {room, by?, reason?, banned, until?}`: to every socket of
/// an account removed or banned from a room (or of everyone in a deleted
/// room), on every node; they have left it already. What they received
/// stays theirs; nothing more of the room arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomRemoved {
    pub room: RoomName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Username>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// Banned (kept out), not only removed.
    pub banned: bool,
    /// The ban's end (ISO 8601 UTC), absent for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// The room itself was deleted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

impl ServerEvent for RoomRemoved {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "room-removed";
}

/// `room-muted {room, muted, by?, reason?, until?}`: to every socket of an
/// account muted (or unmuted) in a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomMuted {
    pub room: RoomName,
    pub muted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Username>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

impl ServerEvent for RoomMuted {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "room-muted";
}

/// `message-deleted {room, id, seq, by?}`: to everyone in the room when a
/// message of it was deleted; show a tombstone in its place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageDeleted {
    pub room: RoomName,
    pub id: i64,
    pub seq: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Username>,
}

impl ServerEvent for MessageDeleted {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "message-deleted";
}

/// `"forever"`: a sanction's end when it has none.
pub const FOREVER: &str = "forever";

/// The refusal of a banned account's event in a room.
pub fn banned(room: &RoomName, until: Option<&str>) -> String {
    match until {
        Some(until) => format!("You are banned from {room} until {until}"),
        None => format!("You are banned from {room}"),
    }
}

/// The refusal of a muted account's post.
pub fn muted(room: &RoomName, until: Option<&str>) -> String {
    match until {
        Some(until) => format!("You are muted in {room} until {until}: you can read, not post"),
        None => format!("You are muted in {room}: you can read, not post"),
    }
}

/// The refusal of a post too soon in slow mode.
pub fn slowed(room: &RoomName, wait_secs: u64) -> String {
    format!("Slow mode is on in {room}: you can send again in {wait_secs} s")
}

/// The refusal of a member's post in a locked room.
pub fn locked(room: &RoomName) -> String {
    format!("{room} is locked: only its moderators may post")
}

/// The refusal of a sanction on one whose role is not below the sender's.
pub fn outranks(username: &Username, room: &RoomName) -> String {
    format!("{username} is a moderator or the owner of {room}: only someone above them may do that")
}

/// The refusal of a sanction on oneself.
pub const NOT_YOURSELF: &str = "You cannot do that to yourself";

/// The refusal of a log-in (and of a token) of an account banned from the server.
pub fn account_banned(reason: Option<&Reason>) -> String {
    match reason {
        Some(reason) => format!("This account is banned from this server: {reason}"),
        None => "This account is banned from this server".to_owned(),
    }
}

/// The refusal of an admin event from one who is not.
pub const ADMINS_ONLY: &str = "Only server admins may do that";

#[cfg(test)]
mod tests;
