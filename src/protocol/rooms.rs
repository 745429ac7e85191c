//! Rooms of two kinds, memberships and roles, on `/chat` (issue #14).
//!
//! A room is [`RoomKind::Public`] (listed in the directory, readable by
//! anyone allowed on the server; `join-room` of a new name makes one, as in
//! the tutorial) or [`RoomKind::Private`] (invite only, invisible to
//! non-members). Accounts belong to rooms with a [`Role`]; guests never do.
//!
//! Client → server: [`CreateRoom`], [`RoomDirectory`], [`MyRooms`],
//! [`RoomInfoRequest`] (`room-info`), [`Invite`], [`SetRole`],
//! [`RoomSettings`]. Server → client: [`RoomAdded`].

use super::chat::NAMESPACE;
use super::limits::{MAX_DIRECTORY_QUERY_CHARS, MAX_SLOW_SECONDS, MAX_TOPIC_CHARS};
use super::names::{is_forbidden_in_name, validated_string, NameError, RoomName, Username};
use super::{ClientEvent, ServerEvent};
use serde::{Deserialize, Serialize};

/// Whether a room is listed and open to all, or invite only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", expecting = "public or private")]
pub enum RoomKind {
    Public,
    Private,
}

impl RoomKind {
    /// As stored and sent: `public`, `private`.
    pub fn as_str(self) -> &'static str {
        match self {
            RoomKind::Public => "public",
            RoomKind::Private => "private",
        }
    }

    /// From its stored name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "public" => Some(RoomKind::Public),
            "private" => Some(RoomKind::Private),
            _ => None,
        }
    }
}

/// An account's role in a room, the least first: a moderator may do all a
/// member may, an owner all a moderator may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", expecting = "member, moderator or owner")]
pub enum Role {
    Member,
    Moderator,
    Owner,
}

impl Role {
    /// As stored and sent: `owner`, `moderator`, `member`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Moderator => "moderator",
            Role::Owner => "owner",
        }
    }

    /// From its stored name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "member" => Some(Role::Member),
            "moderator" => Some(Role::Moderator),
            "owner" => Some(Role::Owner),
            _ => None,
        }
    }
}

/// Who may invite to a room: any member, or only its moderators (and its
/// owner).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", expecting = "members or moderators")]
pub enum InvitesBy {
    Members,
    Moderators,
}

impl InvitesBy {
    pub fn as_str(self) -> &'static str {
        match self {
            InvitesBy::Members => "members",
            InvitesBy::Moderators => "moderators",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "members" => Some(InvitesBy::Members),
            "moderators" => Some(InvitesBy::Moderators),
            _ => None,
        }
    }

    /// The least role that may invite.
    pub fn least(self) -> Role {
        match self {
            InvitesBy::Members => Role::Member,
            InvitesBy::Moderators => Role::Moderator,
        }
    }
}

validated_string!(
    /// A room's topic: at most 250 characters after trimming (empty clears
    /// it), one line: no control or invisible formatting characters.
    Topic
);

impl Topic {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let what = "topic";
        let trimmed = raw.trim();
        let len = trimmed.chars().count();
        if len > MAX_TOPIC_CHARS {
            return Err(NameError::TooLong {
                what,
                max: MAX_TOPIC_CHARS,
                len,
            });
        }
        if trimmed.chars().any(is_forbidden_in_name) {
            return Err(NameError::ForbiddenCharacter { what });
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// No topic.
    pub fn empty() -> Self {
        Self(String::new())
    }
}

impl Default for Topic {
    fn default() -> Self {
        Self::empty()
    }
}

validated_string!(
    /// What `room-directory` searches for in names and topics: at most 64
    /// characters after trimming, none of them control or invisible.
    DirectoryQuery
);

impl DirectoryQuery {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let what = "query";
        let trimmed = raw.trim();
        let len = trimmed.chars().count();
        if len > MAX_DIRECTORY_QUERY_CHARS {
            return Err(NameError::TooLong {
                what,
                max: MAX_DIRECTORY_QUERY_CHARS,
                len,
            });
        }
        if trimmed.chars().any(is_forbidden_in_name) {
            return Err(NameError::ForbiddenCharacter { what });
        }
        Ok(Self(trimmed.to_owned()))
    }
}

/// What a room is, as `create-room`, `room-info`, `room-settings` and
/// `room-added` tell it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomInfo {
    pub room: RoomName,
    pub kind: RoomKind,
    pub topic: Topic,
    /// The account that created it: none for a room a guest made, or one
    /// made before rooms had creators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<Username>,
    /// When it was made (ISO 8601 UTC); empty for rooms made before rooms
    /// had creation times.
    #[serde(rename = "createdAt")]
    pub created_at: String,
    /// How many accounts belong to it (guests never do).
    pub members: u64,
    pub archived: bool,
    #[serde(rename = "accountsOnly")]
    pub accounts_only: bool,
    #[serde(rename = "invitesBy")]
    pub invites_by: InvitesBy,
    /// Slow mode: each member may post once per this many seconds (0: off;
    /// moderators are not slowed).
    #[serde(rename = "slowSeconds", default)]
    pub slow_seconds: u32,
    /// Locked: only its moderators may post (everyone may still read).
    #[serde(default)]
    pub locked: bool,
    /// The asking account's role in it, if it belongs to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

/// `create-room {room, private?, topic?, accountsOnly?}`: a new room, its
/// creator its owner. Refused when a room of that name exists, whatever
/// its kind. A private room is always for accounts only. Ack: [`RoomInfo`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRoom {
    pub room: RoomName,
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub topic: Topic,
    #[serde(rename = "accountsOnly", default)]
    pub accounts_only: bool,
}

impl CreateRoom {
    pub fn kind(&self) -> RoomKind {
        if self.private {
            RoomKind::Private
        } else {
            RoomKind::Public
        }
    }
}

impl ClientEvent for CreateRoom {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "create-room";
    type Reply = RoomInfo;

    fn check(&self) -> Result<(), String> {
        if self.room.is_general() {
            return Err("general exists on every server: pick another name".into());
        }
        Ok(())
    }
}

/// `room-directory {query?}`: the public rooms that are not archived, those
/// whose name or topic holds `query` (in any case), most members first, at
/// most [`MAX_DIRECTORY_ROOMS`](super::limits::MAX_DIRECTORY_ROOMS). The
/// payload may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomDirectory {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<DirectoryQuery>,
}

impl ClientEvent for RoomDirectory {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "room-directory";
    type Reply = Directory;

    /// No payload (or null) lists every public room.
    fn from_payload(payload: Option<serde_json::Value>) -> Result<Self, super::PayloadError> {
        match payload {
            None | Some(serde_json::Value::Null) => Ok(Self::default()),
            some => super::parse_payload::<Self>(some),
        }
    }
}

/// One room of the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryEntry {
    pub room: RoomName,
    pub topic: Topic,
    pub members: u64,
}

/// The ack of [`RoomDirectory`]: `{status:"ok", rooms:[{room, topic, members}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    pub rooms: Vec<DirectoryEntry>,
}

/// `my-rooms`: the rooms the account belongs to. The payload is optional
/// and ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyRooms {}

impl ClientEvent for MyRooms {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "my-rooms";
    type Reply = MyRoomList;

    fn from_payload(_: Option<serde_json::Value>) -> Result<Self, super::PayloadError> {
        Ok(Self {})
    }
}

/// One room an account belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyRoom {
    pub room: RoomName,
    pub kind: RoomKind,
    pub role: Role,
    pub archived: bool,
}

/// The ack of [`MyRooms`]: `{status:"ok", rooms:[{room, kind, role, archived}]}`, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyRoomList {
    pub rooms: Vec<MyRoom>,
}

/// `room-info {room}`: what the room is. Ack: [`RoomInfo`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomInfoRequest {
    pub room: RoomName,
}

impl ClientEvent for RoomInfoRequest {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "room-info";
    type Reply = RoomInfo;
}

/// `invite {room, username}`: makes an account a member of the room; its
/// logged-in `/chat` sockets get [`RoomAdded`] and are in the room at
/// once. Ack: `<username> was added to <room>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    pub room: RoomName,
    pub username: Username,
}

impl ClientEvent for Invite {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "invite";
    type Reply = super::OkMessage;
}

/// The ack of a successful [`Invite`].
pub fn invited(username: &Username, room: &RoomName) -> String {
    format!("{username} was added to {room}")
}

/// `set-role {room, username, role}`: names a moderator, makes one a
/// member again, or hands the room over (`owner`: the owner until now
/// becomes a moderator). Ack: `<username> is now <role> of <room>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetRole {
    pub room: RoomName,
    pub username: Username,
    pub role: Role,
}

impl ClientEvent for SetRole {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "set-role";
    type Reply = super::OkMessage;
}

/// The ack of a successful [`SetRole`].
pub fn role_set(username: &Username, role: Role, room: &RoomName) -> String {
    match role {
        Role::Owner => format!("{username} is now the owner of {room}"),
        Role::Moderator | Role::Member => {
            format!("{username} is now a {} of {room}", role.as_str())
        }
    }
}

/// `room-settings {room, topic?, accountsOnly?, invitesBy?, archived?,
/// slowSeconds?, locked?}`: changes what is given (at least one). The
/// topic, the flags and who may invite take a moderator; archiving, slow
/// mode and the lock too. Ack: the room's [`RoomInfo`] after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSettings {
    pub room: RoomName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<Topic>,
    #[serde(
        rename = "accountsOnly",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub accounts_only: Option<bool>,
    #[serde(rename = "invitesBy", default, skip_serializing_if = "Option::is_none")]
    pub invites_by: Option<InvitesBy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
    #[serde(
        rename = "slowSeconds",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub slow_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked: Option<bool>,
}

impl RoomSettings {
    /// Settings of `room` that change nothing (yet).
    pub fn of(room: RoomName) -> Self {
        Self {
            room,
            topic: None,
            accounts_only: None,
            invites_by: None,
            archived: None,
            slow_seconds: None,
            locked: None,
        }
    }
}

impl ClientEvent for RoomSettings {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "room-settings";
    type Reply = RoomInfo;

    fn check(&self) -> Result<(), String> {
        if self.topic.is_none()
            && self.accounts_only.is_none()
            && self.invites_by.is_none()
            && self.archived.is_none()
            && self.slow_seconds.is_none()
            && self.locked.is_none()
        {
            return Err(
                "give at least one of topic, accountsOnly, invitesBy, archived, slowSeconds, locked"
                    .into(),
            );
        }
        if self.slow_seconds.is_some_and(|s| s > MAX_SLOW_SECONDS) {
            return Err(format!(
                "slowSeconds must be at most {MAX_SLOW_SECONDS} (six hours; 0 turns slow mode off)"
            ));
        }
        if self.room.is_general() && self.archived == Some(true) {
            return Err("general cannot be archived".into());
        }
        Ok(())
    }
}

/// `room-added {...RoomInfo, by?}`: to every logged-in `/chat` socket of
/// an account added to a room (by `invite`); those sockets are in the room
/// already. `by` names the account that added it, so the page can say who
/// ("ann added you to #plans").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomAdded {
    #[serde(flatten)]
    pub info: RoomInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Username>,
}

impl ServerEvent for RoomAdded {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "room-added";
}

/// The one refusal of every event about a room the sender may not see: a
/// private room it does not belong to, or no room at all. The same text
/// either way, so that a private room's existence does not leak.
pub fn no_such_room(room: &RoomName) -> String {
    format!("There is no room named {room} that you can open")
}

/// `join-room` or `send-message` naming a private room the sender does not
/// belong to. (Here the name cannot be hidden: for a name no room has,
/// these events make a public room.)
pub fn private_room(room: &RoomName) -> String {
    format!("{room} is a private room: a member must invite you")
}

/// `create-room` of a name some room has, whatever its kind.
pub fn name_taken(room: &RoomName) -> String {
    format!("The name {room} is taken: pick another")
}

/// Writing (messages, the board) in an archived room.
pub fn archived(room: &RoomName) -> String {
    format!("{room} is archived: it can be read, not written")
}

/// A guest writing in a room for accounts only.
pub fn accounts_only(room: &RoomName) -> String {
    format!("Only logged-in accounts may write in {room}: log in first")
}

/// An event that needs at least `role` in `room` from one with less.
pub fn needs_role(room: &RoomName, role: Role) -> String {
    match role {
        Role::Member => format!("Only the members of {room} may do that"),
        Role::Moderator => format!("Only the moderators of {room} may do that"),
        Role::Owner => format!("Only the owner of {room} may do that"),
    }
}

/// A room event of a guest that needs an account.
pub const LOG_IN_FOR_ROOMS: &str = "Log in to do that: guests cannot create, own or manage rooms";

#[cfg(test)]
mod tests;
