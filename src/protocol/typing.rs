//! Typing indicators, on `/chat`: "Ann is typing…". Never stored: the
//! server passes each one on (at most one per [`TYPING_EVERY_MS`] per
//! socket and conversation) and forgets it.
//!
//! Client → server: [`Typing`]. Server → client: [`SomeoneTyping`].
//!
//! [`TYPING_EVERY_MS`]: super::limits::TYPING_EVERY_MS

use super::ack::OkMessage;
use super::chat::NAMESPACE;
use super::names::{RoomName, Username};
use super::{ClientEvent, ServerEvent};
use serde::{Deserialize, Serialize};

/// The conversation a typing event is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Conversation {
    Room(RoomName),
    /// The direct conversation with this person.
    Dm(Username),
}

/// `typing {room?, with?}`: this socket's person is typing in `room`, or
/// in the direct conversation with `with` (exactly one of the two). Ack
/// `Typing noted`; the others in the conversation get [`SomeoneTyping`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Typing {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with: Option<Username>,
}

/// Why a `typing` that names both a room and a person, or neither, is
/// refused (the server adds `typing: ` before it).
pub const ROOM_OR_WITH: &str = "name exactly one conversation: a room (room) or a person (with)";
/// The ack of an accepted `typing` (passed on or not).
pub const TYPING_NOTED: &str = "Typing noted";

impl Typing {
    pub fn new(conversation: Conversation) -> Self {
        match conversation {
            Conversation::Room(room) => Self {
                room: Some(room),
                with: None,
            },
            Conversation::Dm(with) => Self {
                room: None,
                with: Some(with),
            },
        }
    }

    /// The conversation it is about, when it names exactly one.
    pub fn conversation(&self) -> Result<Conversation, String> {
        match (&self.room, &self.with) {
            (Some(room), None) => Ok(Conversation::Room(room.clone())),
            (None, Some(with)) => Ok(Conversation::Dm(with.clone())),
            _ => Err(ROOM_OR_WITH.to_owned()),
        }
    }
}

impl ClientEvent for Typing {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "typing";
    type Reply = OkMessage;

    fn check(&self) -> Result<(), String> {
        self.conversation().map(|_| ())
    }
}

/// `typing {room?, with?, username}`: `username` is typing in `room`, or
/// in the direct conversation with the receiver (then `with` is
/// `username`, the conversation as the receiver names it). Sent to the
/// other sockets in the room, or to the other person's sockets; never to
/// the socket that typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SomeoneTyping {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with: Option<Username>,
    pub username: Username,
}

impl SomeoneTyping {
    /// The conversation, as the receiver names it; `None` for an event
    /// that names neither (or both), which a client ignores.
    pub fn conversation(&self) -> Option<Conversation> {
        match (&self.room, &self.with) {
            (Some(room), None) => Some(Conversation::Room(room.clone())),
            (None, Some(with)) => Some(Conversation::Dm(with.clone())),
            _ => None,
        }
    }
}

impl ServerEvent for SomeoneTyping {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "typing";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::parse_payload;
    use serde_json::json;

    fn parsed(v: serde_json::Value) -> Result<Typing, String> {
        let t = parse_payload::<Typing>(Some(v)).map_err(|e| e.0)?;
        t.check()?;
        Ok(t)
    }

    #[test]
    fn exactly_one_conversation() {
        let room = parsed(json!({"room": "dev"})).unwrap();
        assert_eq!(
            room.conversation(),
            Ok(Conversation::Room(RoomName::parse("dev").unwrap()))
        );
        let dm = parsed(json!({"with": "ann"})).unwrap();
        assert_eq!(
            dm.conversation(),
            Ok(Conversation::Dm(Username::parse("ann").unwrap()))
        );
        assert_eq!(parsed(json!({})), Err(ROOM_OR_WITH.to_owned()));
        assert_eq!(
            parsed(json!({"room": "dev", "with": "ann"})),
            Err(ROOM_OR_WITH.to_owned())
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let err = parsed(json!({"room": 5})).unwrap_err();
        assert!(err.contains("room"), "{err}");
        let err = parsed(json!({"with": ""})).unwrap_err();
        assert!(err.contains("with") || err.contains("username"), "{err}");
        assert!(parse_payload::<Typing>(None).is_err());
    }

    #[test]
    fn round_trips() {
        let t = Typing::new(Conversation::Dm(Username::parse("bob").unwrap()));
        assert_eq!(serde_json::to_value(&t).unwrap(), json!({"with": "bob"}));
        let s = SomeoneTyping {
            room: Some(RoomName::general()),
            with: None,
            username: Username::parse("ann").unwrap(),
        };
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            json!({"room": "general", "username": "ann"})
        );
        assert_eq!(
            s.conversation(),
            Some(Conversation::Room(RoomName::general()))
        );
    }
}
