//! Where each account has read to in each room (issue #15): kept by the
//! server, so that unread counts and the "new messages" line are the same
//! after a reload and on another device. (Direct conversations keep
//! theirs through `mark-read` and `dm-list`, in `direct`.)
//!
//! Client → server: [`MarkRoomRead`], [`ReadState`].
//! Server → client: [`RoomRead`].

use super::ack::OkMessage;
use super::chat::NAMESPACE;
use super::names::RoomName;
use super::{ClientEvent, ServerEvent};
use serde::{Deserialize, Serialize};

/// `mark-room-read {room, seq}`: the logged-in account has read `room` up
/// to message `seq` (never moves backwards, never past the room's last
/// message). Every `/chat` socket of the account, on every node, gets
/// [`RoomRead`]. Ack: `Marked as read`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkRoomRead {
    pub room: RoomName,
    pub seq: i64,
}

impl ClientEvent for MarkRoomRead {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "mark-room-read";
    type Reply = OkMessage;

    fn check(&self) -> Result<(), String> {
        match self.seq >= 0 {
            true => Ok(()),
            false => Err("seq must be at least 0".into()),
        }
    }
}

/// The ack text of [`MarkRoomRead`].
pub const MARKED_AS_READ: &str = "Marked as read";

/// `room-read {room, seq}`: where the account has read `room` to now (one
/// of its sockets marked it), to each of its `/chat` sockets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomRead {
    pub room: RoomName,
    pub seq: i64,
}

impl ServerEvent for RoomRead {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "room-read";
}

/// `read-state`: the account's rooms (its memberships, and `general`) with
/// where it has read to and what it has not. The payload is optional and
/// ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadState {}

impl ClientEvent for ReadState {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "read-state";
    type Reply = RoomReadStates;

    fn from_payload(_: Option<serde_json::Value>) -> Result<Self, super::PayloadError> {
        Ok(Self {})
    }
}

/// The ack of [`ReadState`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomReadStates {
    pub rooms: Vec<RoomReadState>,
}

/// One room's read state for the asking account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomReadState {
    pub room: RoomName,
    /// The room's newest message.
    #[serde(rename = "lastSeq")]
    pub last_seq: i64,
    /// The newest message the account has read (0: none).
    #[serde(rename = "lastRead")]
    pub last_read: i64,
    /// Messages after `lastRead` from others, not deleted, not thread replies
    /// kept to their thread (`inRoom` ones count), counted up to
    /// [`MAX_UNREAD_COUNTED`](super::limits::MAX_UNREAD_COUNTED) (the page
    /// shows "999+").
    pub unread: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::parse_payload;
    use serde_json::json;

    #[test]
    fn marks_never_go_below_zero_and_read_state_takes_anything() {
        let m = parse_payload::<MarkRoomRead>(Some(json!({"room": "a", "seq": 4}))).unwrap();
        assert_eq!(m.check(), Ok(()));
        let bad = parse_payload::<MarkRoomRead>(Some(json!({"room": "a", "seq": -1}))).unwrap();
        assert_eq!(bad.check(), Err("seq must be at least 0".into()));
        assert!(ReadState::from_payload(Some(json!("whatever"))).is_ok());
        assert!(ReadState::from_payload(None).is_ok());
    }
}
