//! Changing room messages after they are sent (issue #15): edits with their
//! earlier versions, and the change feed that brings every change (an
//! edit, a deletion, a reaction) to a client that was away, in order, with
//! no gap and nothing twice.
//!
//! Each room numbers its changes 1, 2, 3, … (`change`, apart from the
//! messages' `seq`). A change rewrites one message, and the message keeps
//! the number of its latest change. So the feed is the room's messages
//! whose `change` is above what a client has seen, each in its state now:
//! applying one twice, or an older state after a newer one, is avoided by
//! keeping the higher `change` per message. See README, "Edits, reactions
//! and the change feed".
//!
//! Client → server: [`EditMessage`], [`MessageVersions`], [`Changes`],
//! and `react` (in `reactions`).
//! Server → client: [`MessageChanged`].

use super::chat::{ClientMessageId, NewMessage, Timestamp, NAMESPACE};
use super::names::{MessageText, RoomName};
use super::{ClientEvent, ServerEvent};
use serde::{Deserialize, Serialize};

/// Most changed messages one `changes` page returns.
pub const MAX_CHANGES_PAGE: u32 = 100;

/// A message id the client names: positive.
pub(super) fn message_id(id: i64) -> Result<(), String> {
    match id > 0 {
        true => Ok(()),
        false => Err("id must be a message's id (a positive number)".into()),
    }
}

/// `edit-message {room, id, message, clientId?}`: the author replaces the
/// text of message `id` (its account's, not deleted). The text before is
/// kept as an earlier version; the message says when it was edited. An
/// edit to the same text changes nothing. Everyone in the room gets
/// [`MessageChanged`]. Ack: [`ChangeApplied`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditMessage {
    pub room: RoomName,
    pub id: i64,
    pub message: MessageText,
    #[serde(rename = "clientId", default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientMessageId>,
}

impl ClientEvent for EditMessage {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "edit-message";
    type Reply = ChangeApplied;

    fn check(&self) -> Result<(), String> {
        message_id(self.id)
    }
}

/// The ack of a change (`edit-message`, `react`): the message's state
/// after it, whose `change` is the room's change number that made it (or
/// an earlier one, when nothing changed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeApplied {
    pub message: String,
    pub state: NewMessage,
}

/// `message-versions {room, id}`: the earlier texts of an edited message,
/// oldest first, for its author and the room's moderators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageVersions {
    pub room: RoomName,
    pub id: i64,
}

impl ClientEvent for MessageVersions {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "message-versions";
    type Reply = Versions;

    fn check(&self) -> Result<(), String> {
        message_id(self.id)
    }
}

/// The ack of [`MessageVersions`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Versions {
    pub room: RoomName,
    pub id: i64,
    pub versions: Vec<Version>,
}

/// One earlier text of a message and when it was written (sent, or an
/// earlier edit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub message: MessageText,
    pub timestamp: Timestamp,
}

/// `changes {room, after, limit?}`: the messages of `room` changed after
/// change number `after`, in change order, each in its state now
/// (a deleted one as its tombstone); `last` is the room's latest change
/// number when read, and `hasMore` says to ask again after the last one
/// given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    pub room: RoomName,
    pub after: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl Changes {
    pub fn limit(&self) -> u32 {
        self.limit.unwrap_or(MAX_CHANGES_PAGE)
    }
}

impl ClientEvent for Changes {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "changes";
    type Reply = ChangePage;

    fn check(&self) -> Result<(), String> {
        check_cursor(self.after, self.limit())
    }
}

/// A change feed's cursor, of a room's (`changes`) or a conversation's
/// (`dm-changes`): `after` at least 0, `limit` from 1 to
/// [`MAX_CHANGES_PAGE`].
pub fn check_cursor(after: i64, limit: u32) -> Result<(), String> {
    if after < 0 {
        return Err("after must be at least 0".into());
    }
    match limit {
        1..=MAX_CHANGES_PAGE => Ok(()),
        _ => Err(format!("limit must be between 1 and {MAX_CHANGES_PAGE}")),
    }
}

/// The ack of [`Changes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePage {
    pub room: RoomName,
    pub messages: Vec<NewMessage>,
    pub last: i64,
    #[serde(rename = "hasMore")]
    pub has_more: bool,
}

/// `message-changed`: a message of the room in its state after a change
/// (its `change`): edited, deleted, or its reactions changed. The same
/// shape as `new-message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageChanged(pub NewMessage);

impl ServerEvent for MessageChanged {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "message-changed";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::parse_payload;
    use serde_json::json;

    #[test]
    fn edits_name_what_is_wrong() {
        let e = parse_payload::<EditMessage>(Some(json!({"room": "a", "id": 1, "message": " "})))
            .unwrap_err();
        assert_eq!(e.0, "edit-message: message must not be empty");
        let e =
            parse_payload::<EditMessage>(Some(json!({"room": "a", "message": "x"}))).unwrap_err();
        assert_eq!(e.0, "edit-message: missing field `id`");
        let ok = parse_payload::<EditMessage>(Some(json!({"room": "a", "id": -1, "message": "x"})))
            .unwrap();
        assert!(ok.check().is_err());
    }

    #[test]
    fn change_pages_are_bounded() {
        let c = |v| parse_payload::<Changes>(Some(v)).unwrap().check();
        assert_eq!(c(json!({"room": "a", "after": 0})), Ok(()));
        assert!(c(json!({"room": "a", "after": -1})).is_err());
        assert!(c(json!({"room": "a", "after": 3, "limit": 0})).is_err());
        assert!(c(json!({"room": "a", "after": 3, "limit": 101})).is_err());
    }
}
