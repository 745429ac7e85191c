//! Namespace `/chat`: the tutorial's chat, event by event.
//!
//! Client → server: [`Join`], [`SendMessage`], [`JoinRoom`], [`LeaveRoom`],
//! [`GetUsers`], [`ProtectedMessage`].
//! Server → client: [`UserJoined`], [`UserLeft`], [`NewMessage`],
//! [`NewProtectedMessage`], and [`Exception`](super::Exception).

use super::ack::{Exception, OkMessage};
use super::emoji::Reaction;
use super::limits::MAX_CLIENT_ID_BYTES;
use super::names::{parse_id, validated_string, MessageText, NameError, RoomName, Username};
use super::thread_summary::ThreadSummary;
/// Declared in `timestamp` (below `chat` and `thread_summary`); named here
/// too, where the tutorial's messages carry it.
pub use super::timestamp::Timestamp;
use super::{ClientEvent, ServerEvent};
use serde::{Deserialize, Deserializer, Serialize};

pub const NAMESPACE: &str = "/chat";

/// `join {username}`: take a name (again, to rename) and enter `general`.
/// Ack: `Welcome <username>!`; everyone in `/chat` gets [`UserJoined`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Join {
    pub username: Username,
}

impl ClientEvent for Join {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "join";
    type Reply = Welcome;
}

/// `send-message {message, room?, clientId?}`: post to a room (default
/// `general`). Stored, then everyone in the room gets [`NewMessage`]; ack:
/// `Message sent` with the stored `id` and `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendMessage {
    pub message: MessageText,
    /// A missing, null, empty or blank room means `general`.
    #[serde(default = "RoomName::general", deserialize_with = "room_or_general")]
    pub room: RoomName,
    /// Huddle's addition: the sender's id for this send. A send retried with
    /// the same id is stored and broadcast once.
    #[serde(rename = "clientId", default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientMessageId>,
}

impl ClientEvent for SendMessage {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "send-message";
    type Reply = MessageSent;
}

/// The ack of [`SendMessage`]: `{status:"ok", message:"Message sent", id, seq}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSent {
    pub message: String,
    pub id: i64,
    pub seq: i64,
}

validated_string!(
    /// A client's id for one send: 1 to 64 letters, digits, `-` or `_` (a
    /// UUID fits).
    ClientMessageId
);

impl ClientMessageId {
    pub fn parse(s: &str) -> Result<Self, NameError> {
        parse_id(s, "clientId", MAX_CLIENT_ID_BYTES).map(Self)
    }
}

fn room_or_general<'de, D: Deserializer<'de>>(d: D) -> Result<RoomName, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(RoomName::general()),
        Some(s) if s.trim().is_empty() => Ok(RoomName::general()),
        Some(s) => RoomName::parse(&s).map_err(serde::de::Error::custom),
    }
}

/// `join-room {room}`: receive the messages of another room as well.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRoom {
    pub room: RoomName,
}

impl ClientEvent for JoinRoom {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "join-room";
    type Reply = OkMessage;
}

/// `leave-room {room}`: stop receiving a room's messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaveRoom {
    pub room: RoomName,
}

impl ClientEvent for LeaveRoom {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "leave-room";
    type Reply = OkMessage;
}

/// `get-users`: the names of the joined sockets. The payload is optional
/// and ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetUsers {}

impl ClientEvent for GetUsers {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "get-users";
    type Reply = UserList;

    /// It takes no payload: whatever comes is ignored, as in the tutorial.
    fn from_payload(_: Option<serde_json::Value>) -> Result<Self, super::PayloadError> {
        Ok(Self {})
    }
}

/// The ack of [`GetUsers`]: `{status:"ok", users:[...]}`, in join order; two
/// sockets with the same name are both listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserList {
    pub users: Vec<String>,
}

/// `protected-message {message, token}`: a message to all of `/chat` that
/// needs a valid token (a signed, unexpired JWT issued by this server).
///
/// The token guard runs before the payload is parsed into this struct (see
/// [`TokenField`]), so that a missing or bad token answers with the
/// tutorial's `exception` events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtectedMessage {
    pub message: MessageText,
    pub token: String,
}

impl ClientEvent for ProtectedMessage {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "protected-message";
    type Reply = OkMessage;
}

/// What the guard of `protected-message` found in the `token` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenField<'a> {
    /// Missing, null, `false`, `0` or `""`: the tutorial answers `Unauthorized`.
    Absent,
    /// A value that cannot be a token (not a string, or too long): `Invalid token`.
    Malformed,
    /// A string to verify.
    Present(&'a str),
}

impl<'a> TokenField<'a> {
    /// Reads the `token` field of a `protected-message` payload object, the
    /// way the tutorial's guard does (`if (!data.token)`).
    pub fn of(payload: &'a serde_json::Map<String, serde_json::Value>) -> Self {
        use serde_json::Value;
        match payload.get("token") {
            None | Some(Value::Null) | Some(Value::Bool(false)) => TokenField::Absent,
            Some(Value::String(s)) if s.is_empty() => TokenField::Absent,
            Some(Value::Number(n)) if n.as_f64() == Some(0.0) => TokenField::Absent,
            Some(Value::String(s)) if s.len() <= super::limits::MAX_TOKEN_BYTES => {
                TokenField::Present(s)
            }
            Some(_) => TokenField::Malformed,
        }
    }
}

/// `user-joined`, to every socket of `/chat` after a `join`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserJoined {
    pub username: Username,
    pub message: String,
}

impl UserJoined {
    pub fn new(username: Username) -> Self {
        let message = format!("{username} has joined the chat");
        Self { username, message }
    }
}

impl ServerEvent for UserJoined {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "user-joined";
}

/// `user-left`, to every other socket of `/chat` when a joined socket goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserLeft {
    pub username: Username,
    pub message: String,
}

impl UserLeft {
    pub fn new(username: Username) -> Self {
        let message = format!("{username} has left the chat");
        Self { username, message }
    }
}

impl ServerEvent for UserLeft {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "user-left";
}

/// `new-message`, to every socket in the message's room; also the items of
/// a `history` page. Stored before it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMessage {
    pub username: Username,
    /// Empty for a deleted message's tombstone.
    #[serde(deserialize_with = "MessageText::stored")]
    pub message: MessageText,
    pub timestamp: Timestamp,
    pub room: RoomName,
    /// Server-wide message id (Huddle's addition).
    pub id: i64,
    /// Position in its room: 1, 2, 3, ... with no gaps (Huddle's addition).
    pub seq: i64,
    /// The sender's id for this send, echoed so it can match its copy.
    #[serde(rename = "clientId", default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientMessageId>,
    /// Deleted (`delete-message`): a tombstone, its `message` empty
    /// (Huddle's addition, in `history` pages only; absent when false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// When its author last edited it (`edit-message`; Huddle's addition,
    /// absent when never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited: Option<Timestamp>,
    /// Its reactions, by the time each emoji was first used (Huddle's
    /// addition, absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// The room's change number of its latest change (edit, deletion,
    /// reaction; see `message_changes`); absent when it never changed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub change: i64,
    /// A reply (`send-reply`): the id of its thread's first message
    /// (Huddle's addition, absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<i64>,
    /// A reply sent to the room as well (`alsoToRoom`): shown in the
    /// room's timeline too (absent when false).
    #[serde(rename = "inRoom", default, skip_serializing_if = "std::ops::Not::not")]
    pub in_room: bool,
    /// A thread's first message: its replies (Huddle's addition, absent
    /// while it has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replies: Option<ThreadSummary>,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl ServerEvent for NewMessage {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "new-message";
}

/// `new-protected-message`, to every socket of `/chat`. The token is never
/// echoed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewProtectedMessage {
    /// The sender's joined name, as in the tutorial.
    pub username: Username,
    pub message: MessageText,
    pub timestamp: Timestamp,
    /// Always `true`.
    pub protected: bool,
    /// The account whose login token vouched for the message (Huddle's
    /// addition: a guest may present any account's token, so the joined
    /// name alone says nothing of who vouched).
    #[serde(rename = "vouchedBy", default, skip_serializing_if = "Option::is_none")]
    pub vouched_by: Option<Username>,
}

impl ServerEvent for NewProtectedMessage {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "new-protected-message";
}

impl ServerEvent for Exception {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "exception";
}

/// Ack texts that carry a name.
pub fn welcome(username: &Username) -> String {
    format!("Welcome {username}!")
}

pub fn joined_room(room: &RoomName) -> String {
    format!("Joined room {room}")
}

pub fn left_room(room: &RoomName) -> String {
    format!("Left room {room}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::parse_payload;
    use serde_json::json;

    #[test]
    fn send_message_room_defaults_to_general() {
        for payload in [
            json!({"message": "hi"}),
            json!({"message": "hi", "room": null}),
            json!({"message": "hi", "room": ""}),
            json!({"message": "hi", "room": "  "}),
        ] {
            let m = parse_payload::<SendMessage>(Some(payload)).unwrap();
            assert!(m.room.is_general());
        }
        let m =
            parse_payload::<SendMessage>(Some(json!({"message": "hi", "room": "dev"}))).unwrap();
        assert_eq!(m.room.as_str(), "dev");
    }

    #[test]
    fn send_message_errors_say_what_is_wrong() {
        let e = parse_payload::<SendMessage>(Some(json!({"room": "dev"}))).unwrap_err();
        assert_eq!(e.0, "send-message: missing field `message`");
        let e = parse_payload::<SendMessage>(Some(json!({"message": ""}))).unwrap_err();
        assert_eq!(e.0, "send-message: message must not be empty");
        let e = parse_payload::<SendMessage>(Some(json!({"message": "x", "room": 3}))).unwrap_err();
        assert_eq!(e.0, "send-message: room must be a string, got 3");
    }

    #[test]
    fn client_ids_are_short_and_plain() {
        let ok =
            parse_payload::<SendMessage>(Some(json!({"message": "x", "clientId": "0b1e-4a_Z"})));
        assert_eq!(ok.unwrap().client_id.unwrap().as_str(), "0b1e-4a_Z");
        for bad in [json!(""), json!("a b"), json!("x".repeat(65)), json!(5)] {
            assert!(
                parse_payload::<SendMessage>(Some(json!({"message": "x", "clientId": bad})))
                    .is_err()
            );
        }
    }

    #[test]
    fn token_field_follows_the_tutorial_guard() {
        let read = |v: serde_json::Value| match v {
            serde_json::Value::Object(m) => format!("{:?}", TokenField::of(&m)),
            _ => unreachable!(),
        };
        assert_eq!(read(json!({})), "Absent");
        assert_eq!(read(json!({"token": null})), "Absent");
        assert_eq!(read(json!({"token": ""})), "Absent");
        assert_eq!(read(json!({"token": 0})), "Absent");
        assert_eq!(read(json!({"token": false})), "Absent");
        assert_eq!(read(json!({"token": 7})), "Malformed");
        assert_eq!(read(json!({"token": ["a"]})), "Malformed");
        assert_eq!(read(json!({"token": "x".repeat(5000)})), "Malformed");
        assert_eq!(read(json!({"token": "abc"})), "Present(\"abc\")");
    }

    #[test]
    fn server_events_have_the_tutorial_shape() {
        let u = Username::parse("ann").unwrap();
        assert_eq!(
            serde_json::to_value(UserJoined::new(u.clone())).unwrap(),
            json!({"username": "ann", "message": "ann has joined the chat"})
        );
        assert_eq!(
            serde_json::to_value(UserLeft::new(u.clone())).unwrap(),
            json!({"username": "ann", "message": "ann has left the chat"})
        );
        let m = NewMessage {
            username: u,
            message: MessageText::parse("hi").unwrap(),
            timestamp: Timestamp("2026-11-25T19:08:57.123Z".into()),
            room: RoomName::general(),
            id: 7,
            seq: 3,
            client_id: None,
            deleted: false,
            edited: None,
            reactions: Vec::new(),
            change: 0,
            thread: None,
            in_room: false,
            replies: None,
        };
        assert_eq!(
            serde_json::to_value(m).unwrap(),
            json!({"username": "ann", "message": "hi",
                   "timestamp": "2026-11-25T19:08:57.123Z", "room": "general",
                   "id": 7, "seq": 3})
        );
    }

    /// A deleted message's tombstone (its text empty) reads back, in a
    /// `message-changed` and in a history page alike; a blank text that
    /// is not empty is still no message.
    #[test]
    fn a_tombstone_reads_back() {
        let tombstone = json!({"username": "ann", "message": "",
            "timestamp": "2026-11-25T19:08:57.123Z", "room": "general",
            "id": 7, "seq": 3, "deleted": true, "change": 4});
        let m: NewMessage = serde_json::from_value(tombstone.clone()).unwrap();
        assert!(m.deleted && m.message.as_str().is_empty());
        assert_eq!(serde_json::to_value(&m).unwrap(), tombstone);
        let mut blank = tombstone;
        blank["message"] = json!("  ");
        assert!(serde_json::from_value::<NewMessage>(blank).is_err());
    }
}

/// `session-ended {message}`: the server is about to disconnect this socket
/// because its login expired or was logged out; log in again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEnded {
    pub message: String,
}

impl ServerEvent for SessionEnded {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "session-ended";
}

/// The ack of [`Join`]: `Welcome <name>!`, and for a logged-in user the
/// rooms remembered from earlier sessions (the socket is already in them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rooms: Option<Vec<RoomName>>,
}

/// `kicked {message, retryAfterMs}`: the server is about to disconnect this
/// socket because it kept sending far over a rate limit. A client may
/// connect again after `retryAfterMs`; what it missed is in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kicked {
    pub message: String,
    #[serde(rename = "retryAfterMs")]
    pub retry_after_ms: u64,
}

impl ServerEvent for Kicked {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "kicked";
}

/// `server-restarting {message}`: this server is shutting down (a restart or
/// a deployment) and is about to disconnect the socket. Connect again (to
/// another node, or to this one once it is back); what was missed is in
/// the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerRestarting {
    pub message: String,
}

impl ServerEvent for ServerRestarting {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "server-restarting";
}
