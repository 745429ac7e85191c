//! Changing direct messages after they are sent (issue #15), as room
//! messages change (`message_changes`, `reactions`): the author edits or
//! deletes its own, either person of the conversation reacts, and a
//! client that was away reads the conversation's change feed.
//!
//! Each conversation numbers its changes 1, 2, 3, … (`change`, apart from
//! the messages' `seq`); a direct message keeps the number of its latest
//! change, so the feed after `n` is the conversation's messages whose
//! `change` is above `n`, each once in its state now. Every change reaches
//! every socket of both people as [`DmChanged`]. See README, "Edits,
//! reactions and the change feed".
//!
//! Client → server: [`EditDm`], [`DeleteDm`], [`ReactDm`], [`DmVersions`],
//! [`DmChanges`]. Server → client: [`DmChanged`].

use super::chat::{ClientMessageId, NAMESPACE};
use super::direct::NewDm;
use super::emoji::Emoji;
use super::message_changes::{check_cursor, message_id, Version, MAX_CHANGES_PAGE};
use super::names::{MessageText, Username};
use super::{ClientEvent, ServerEvent};
use serde::{Deserialize, Serialize};

/// `edit-dm {with, id, message, clientId?}`: the author replaces the text
/// of its direct message `id` of the conversation with `with` (not
/// deleted). The text before is kept as an earlier version; the same text
/// again changes nothing. Ack: [`DmChangeApplied`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditDm {
    pub with: Username,
    pub id: i64,
    pub message: MessageText,
    #[serde(rename = "clientId", default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientMessageId>,
}

impl ClientEvent for EditDm {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "edit-dm";
    type Reply = DmChangeApplied;

    fn check(&self) -> Result<(), String> {
        message_id(self.id)
    }
}

/// `delete-dm {with, id}`: the author deletes its direct message `id`: a
/// tombstone keeps its place, its text, earlier versions and reactions
/// are gone from the database. Deleting it again changes nothing. Ack:
/// [`DmChangeApplied`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteDm {
    pub with: Username,
    pub id: i64,
}

impl ClientEvent for DeleteDm {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "delete-dm";
    type Reply = DmChangeApplied;

    fn check(&self) -> Result<(), String> {
        message_id(self.id)
    }
}

/// `react-dm {with, id, emoji, on?, clientId?}`: either person of the
/// conversation adds (`on`, the default) or takes back (`on: false`) its
/// `emoji` reaction to message `id`, as `react` does in a room: setting
/// what is already so changes nothing, a retry with the same `clientId`
/// is applied once, and a message holds at most
/// [`MAX_REACTIONS_PER_MESSAGE`](super::limits::MAX_REACTIONS_PER_MESSAGE)
/// different emoji. Ack: [`DmChangeApplied`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactDm {
    pub with: Username,
    pub id: i64,
    pub emoji: Emoji,
    #[serde(default = "yes")]
    pub on: bool,
    #[serde(rename = "clientId", default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientMessageId>,
}

fn yes() -> bool {
    true
}

impl ClientEvent for ReactDm {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "react-dm";
    type Reply = DmChangeApplied;

    fn check(&self) -> Result<(), String> {
        message_id(self.id)
    }
}

/// The ack of a change of a direct message: the message's state after it,
/// whose `change` is the conversation's change number that made it (or an
/// earlier one, when nothing changed: `message` is then `Nothing to
/// change`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmChangeApplied {
    pub message: String,
    pub state: NewDm,
}

/// `dm-versions {with, id}`: the earlier texts of the author's own edited
/// direct message, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmVersions {
    pub with: Username,
    pub id: i64,
}

impl ClientEvent for DmVersions {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "dm-versions";
    type Reply = DmVersionList;

    fn check(&self) -> Result<(), String> {
        message_id(self.id)
    }
}

/// The ack of [`DmVersions`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmVersionList {
    pub with: Username,
    pub id: i64,
    pub versions: Vec<Version>,
}

/// `dm-changes {with, after, limit?}`: the direct messages of the
/// conversation with `with` changed after change number `after`, in
/// change order, each once in its state now (a deleted one as its
/// tombstone); `last` is the conversation's latest change number when
/// read, and `hasMore` says to ask again after the last one given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmChanges {
    pub with: Username,
    pub after: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl DmChanges {
    pub fn limit(&self) -> u32 {
        self.limit.unwrap_or(MAX_CHANGES_PAGE)
    }
}

impl ClientEvent for DmChanges {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "dm-changes";
    type Reply = DmChangePage;

    fn check(&self) -> Result<(), String> {
        check_cursor(self.after, self.limit())
    }
}

/// The ack of [`DmChanges`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmChangePage {
    pub with: Username,
    pub messages: Vec<NewDm>,
    pub last: i64,
    #[serde(rename = "hasMore")]
    pub has_more: bool,
}

/// `dm-changed`: a direct message in its state after a change (its
/// `change`): edited, deleted, or its reactions changed; to every socket
/// of both people. The same shape as `new-dm`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DmChanged(pub NewDm);

impl ServerEvent for DmChanged {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "dm-changed";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::parse_payload;
    use serde_json::json;

    #[test]
    fn changes_name_what_is_wrong() {
        let e = parse_payload::<EditDm>(Some(json!({"with": "bob", "id": 1, "message": " "})))
            .unwrap_err();
        assert_eq!(e.0, "edit-dm: message must not be empty");
        let e = parse_payload::<EditDm>(Some(json!({"id": 1, "message": "x"}))).unwrap_err();
        assert_eq!(e.0, "edit-dm: missing field `with`");
        let zero = parse_payload::<DeleteDm>(Some(json!({"with": "bob", "id": 0}))).unwrap();
        assert_eq!(
            zero.check(),
            Err("id must be a message's id (a positive number)".into())
        );
        let e = parse_payload::<ReactDm>(Some(json!({"with": "bob", "id": 3, "emoji": "x"})))
            .unwrap_err();
        assert_eq!(e.0, "react-dm: emoji must be one emoji, such as 🎉");
        let r =
            parse_payload::<ReactDm>(Some(json!({"with": "bob", "id": 3, "emoji": "🎉"}))).unwrap();
        assert!(r.on && r.check().is_ok());
    }

    #[test]
    fn change_pages_are_bounded() {
        let c = |v| parse_payload::<DmChanges>(Some(v)).unwrap().check();
        assert_eq!(c(json!({"with": "bob", "after": 0})), Ok(()));
        assert!(c(json!({"with": "bob", "after": -1})).is_err());
        assert!(c(json!({"with": "bob", "after": 3, "limit": 0})).is_err());
        assert!(c(json!({"with": "bob", "after": 3, "limit": 101})).is_err());
        assert_eq!(c(json!({"with": "bob", "after": 3, "limit": 100})), Ok(()));
    }

    /// A DM keeps the shape of `new-dm`: what never happened is absent,
    /// and a tombstone (its text empty) reads back.
    #[test]
    fn a_changed_dm_has_the_shape_of_new_dm() {
        let plain = json!({"id": 9, "seq": 2, "from": "ann", "to": "bob", "message": "hi",
            "timestamp": "2026-11-25T19:08:57.123Z"});
        let m: NewDm = serde_json::from_value(plain.clone()).unwrap();
        assert_eq!(serde_json::to_value(DmChanged(m)).unwrap(), plain);
        let tombstone = json!({"id": 9, "seq": 2, "from": "ann", "to": "bob", "message": "",
            "timestamp": "2026-11-25T19:08:57.123Z", "deleted": true, "change": 3});
        let DmChanged(m) = serde_json::from_value(tombstone.clone()).unwrap();
        assert!(m.deleted && m.message.as_str().is_empty() && m.change == 3);
        assert_eq!(serde_json::to_value(&m).unwrap(), tombstone);
    }
}
