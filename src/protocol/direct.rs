//! Direct messages: one-to-one conversations between registered users, on
//! `/chat`. Each conversation has its own gapless `seq`, its own history,
//! and per-reader unread counts.

use super::chat::{ClientMessageId, MessageSent, Timestamp, NAMESPACE};
use super::emoji::Reaction;
use super::history::Cursor;
use super::names::{MessageText, Username};
use super::{ClientEvent, ServerEvent};
use serde::{Deserialize, Serialize};

/// `send-dm {to, message, clientId?}`: to every socket of both users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendDm {
    pub to: Username,
    pub message: MessageText,
    #[serde(rename = "clientId", default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientMessageId>,
}

impl ClientEvent for SendDm {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "send-dm";
    type Reply = MessageSent;
}

/// `new-dm`: a direct message, to every socket of its sender and recipient;
/// also the items of a `dm-history` page and of the change feed, and the
/// state a `dm-changed` carries (see `direct_changes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDm {
    pub id: i64,
    /// Position in the conversation: 1, 2, 3, ... with no gaps.
    pub seq: i64,
    pub from: Username,
    pub to: Username,
    /// Empty for a deleted message's tombstone.
    #[serde(deserialize_with = "MessageText::stored")]
    pub message: MessageText,
    pub timestamp: Timestamp,
    #[serde(rename = "clientId", default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientMessageId>,
    /// When its author last edited it (`edit-dm`; absent when never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited: Option<Timestamp>,
    /// Deleted by its author (`delete-dm`): a tombstone, its `message`
    /// empty (absent when false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// Its reactions, by the time each emoji was first used (absent when
    /// none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// The conversation's change number of its latest change (edit,
    /// deletion, reaction); absent when it never changed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub change: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl NewDm {
    /// The other person of the conversation, seen by `me`.
    pub fn other(&self, me: &Username) -> &Username {
        if self.from.as_str().eq_ignore_ascii_case(me.as_str()) {
            &self.to
        } else {
            &self.from
        }
    }
}

impl ServerEvent for NewDm {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "new-dm";
}

/// `dm-history {with, before?, after?, limit?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmHistory {
    pub with: Username,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl DmHistory {
    pub fn cursor(&self) -> Result<(Cursor, u32), String> {
        super::history::cursor(self.before, self.after, self.limit)
            .map_err(|e| format!("dm-history: {e}"))
    }
}

impl ClientEvent for DmHistory {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "dm-history";
    type Reply = DmHistoryPage;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmHistoryPage {
    pub with: Username,
    pub messages: Vec<NewDm>,
    #[serde(rename = "hasMore")]
    pub has_more: bool,
    /// The conversation's latest change number, read before the page: ask
    /// `dm-changes {after: lastChange}` to catch up on what changes after
    /// it.
    #[serde(rename = "lastChange", default)]
    pub last_change: i64,
}

/// `dm-list`: the conversations of the logged-in user, most recent first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmList {}

impl ClientEvent for DmList {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "dm-list";
    type Reply = DmConversations;

    /// It takes no payload: whatever comes is ignored, as in the tutorial.
    fn from_payload(_: Option<serde_json::Value>) -> Result<Self, super::PayloadError> {
        Ok(Self {})
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmConversations {
    pub conversations: Vec<DmSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmSummary {
    pub with: Username,
    #[serde(rename = "lastSeq")]
    pub last_seq: i64,
    /// Messages from the other person after what this user has read.
    pub unread: i64,
}

/// `mark-read {with, seq}`: everything up to `seq` in the conversation with
/// `with` has been read (never moves backwards).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkRead {
    pub with: Username,
    pub seq: i64,
}

impl ClientEvent for MarkRead {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "mark-read";
    type Reply = super::ack::OkMessage;
}

/// `focus {room?, thread?, with?}`: which conversation this socket shows
/// (and which thread of the room is open beside it), so that Huddle does
/// not notify about what the person is already reading. Neither field:
/// nothing is shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Focus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<super::names::RoomName>,
    /// The thread open beside the room: its first message's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with: Option<Username>,
}

impl ClientEvent for Focus {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "focus";
    type Reply = super::ack::OkMessage;
}
