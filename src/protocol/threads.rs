//! Replies and threads (issue #15, item 3).
//!
//! A reply is a message of its room like any other: it takes the room's
//! next `seq`, reaches everyone in the room as `new-message` (so the
//! tutorial's clients see it, and a client catching up gets it from
//! `history` with no gap), and carries `thread`, the id of the message it
//! answers (the thread's root). Huddle's page shows it in the thread, and
//! in the room too when it was sent with `alsoToRoom` (`inRoom`).
//!
//! Each reply changes its root: the root's summary (`replies`: how many,
//! the last one's time, who replied latest) is part of the root's state, so
//! the root takes the room's next change number and everyone gets it as
//! `message-changed`; a client that was away catches up on it from
//! `changes`, as on edits and reactions.
//!
//! Accounts follow the threads they started or replied in, and are alerted
//! (`/notifications`, kind `thread`) of new replies unless they are looking
//! at the thread; `follow-thread` turns that off or on.
//!
//! Client → server: [`SendReply`], [`ThreadHistory`], [`FollowThread`].
//! Server → client: `new-message` and `message-changed` only.

use super::chat::{ClientMessageId, NewMessage, NAMESPACE};
use super::history::{cursor, Cursor};
use super::message_changes::message_id;
use super::names::{MessageText, RoomName};
use super::ClientEvent;
use serde::{Deserialize, Serialize};

pub use super::thread_summary::ThreadSummary;

/// `send-reply {room, thread, message, alsoToRoom?, clientId?}`: answer
/// message `thread` of `room` in its thread (a reply to a reply joins the
/// same thread). Posting rules as `send-message` (slow mode included).
/// Everyone in the room gets the reply as `new-message` and the root's new
/// summary as `message-changed`. Ack: [`ReplySent`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendReply {
    pub room: RoomName,
    pub thread: i64,
    pub message: MessageText,
    /// Also show the reply in the room's timeline.
    #[serde(rename = "alsoToRoom", default)]
    pub also_to_room: bool,
    #[serde(rename = "clientId", default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientMessageId>,
}

impl ClientEvent for SendReply {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "send-reply";
    type Reply = ReplySent;

    fn check(&self) -> Result<(), String> {
        message_id(self.thread)
            .map_err(|_| "thread must be a message's id (a positive number)".into())
    }
}

/// The ack of [`SendReply`]: `Reply sent`, the stored reply (its `id`,
/// `seq` and `thread`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplySent {
    pub message: String,
    pub reply: NewMessage,
}

/// `thread-history {room, id, before?, after?, limit?}`: the thread of
/// message `id` (a reply's id gives its thread): its root and a page of
/// its replies in `seq` order, paged like `history` by reply `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadHistory {
    pub room: RoomName,
    pub id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl ThreadHistory {
    /// The cursor and page size asked for, or why they are wrong.
    pub fn cursor(&self) -> Result<(Cursor, u32), String> {
        cursor(self.before, self.after, self.limit)
    }
}

impl ClientEvent for ThreadHistory {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "thread-history";
    type Reply = ThreadPage;

    fn check(&self) -> Result<(), String> {
        message_id(self.id)?;
        self.cursor().map(|_| ())
    }
}

/// The ack of [`ThreadHistory`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadPage {
    pub room: RoomName,
    /// The thread's first message, as it is now.
    pub root: NewMessage,
    /// Replies, ascending `seq`.
    pub replies: Vec<NewMessage>,
    #[serde(rename = "hasMore")]
    pub has_more: bool,
    /// Whether the asking account follows the thread (false for guests).
    pub following: bool,
    /// The room's latest change number, read before the page (as in
    /// `history`).
    #[serde(rename = "lastChange", default)]
    pub last_change: i64,
}

/// `follow-thread {room, id, on}`: an account follows (`on: true`) or
/// stops following the thread of message `id`: whether new replies alert
/// it. Replying follows again. Ack: [`Following`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowThread {
    pub room: RoomName,
    pub id: i64,
    pub on: bool,
}

impl ClientEvent for FollowThread {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "follow-thread";
    type Reply = Following;

    fn check(&self) -> Result<(), String> {
        message_id(self.id)
    }
}

/// The ack of [`FollowThread`]: the thread's root id and whether the
/// account now follows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Following {
    pub message: String,
    pub thread: i64,
    pub following: bool,
}

pub const REPLY_SENT: &str = "Reply sent";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::parse_payload;
    use serde_json::json;

    #[test]
    fn replies_name_what_is_wrong() {
        let r =
            parse_payload::<SendReply>(Some(json!({"room": "a", "thread": 3, "message": "hi"})))
                .unwrap();
        assert!(!r.also_to_room && r.check().is_ok());
        let e =
            parse_payload::<SendReply>(Some(json!({"room": "a", "message": "hi"}))).unwrap_err();
        assert_eq!(e.0, "send-reply: missing field `thread`");
        let r = parse_payload::<SendReply>(Some(json!({"room": "a", "thread": 0, "message": "x"})))
            .unwrap();
        assert_eq!(
            r.check(),
            Err("thread must be a message's id (a positive number)".into())
        );
        let e = parse_payload::<SendReply>(Some(
            json!({"room": "a", "thread": 1, "message": "x", "alsoToRoom": "yes"}),
        ))
        .unwrap_err();
        assert!(e.0.starts_with("send-reply: alsoToRoom"), "{}", e.0);
    }

    #[test]
    fn thread_pages_are_bounded_like_history() {
        let c = |v| parse_payload::<ThreadHistory>(Some(v)).unwrap().check();
        assert_eq!(c(json!({"room": "a", "id": 4})), Ok(()));
        assert!(c(json!({"room": "a", "id": 4, "limit": 101})).is_err());
        assert!(c(json!({"room": "a", "id": 4, "before": 2, "after": 1})).is_err());
        assert!(c(json!({"room": "a", "id": -4})).is_err());
        assert!(parse_payload::<FollowThread>(Some(json!({"room": "a", "id": 4}))).is_err());
    }
}
