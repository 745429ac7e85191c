//! Reactions to room messages (issue #15): `react` and what a message
//! carries of its reactions.
//!
//! Client → server: [`React`]. A reaction's change reaches everyone in the
//! room as a `message-changed` (see `message_changes`).

use super::chat::{ClientMessageId, NAMESPACE};
pub use super::emoji::{Emoji, Reaction};
use super::names::RoomName;
use super::ClientEvent;
use serde::{Deserialize, Serialize};

/// `react {room, id, emoji, on?, clientId?}`: the logged-in account adds
/// (`on`, the default) or takes back (`on: false`) its `emoji` reaction to
/// message `id`. Setting what is already so changes nothing, so a retry is
/// harmless; a retry with the same `clientId` is applied once even after
/// a later change. A message holds at most
/// [`MAX_REACTIONS_PER_MESSAGE`](super::limits::MAX_REACTIONS_PER_MESSAGE)
/// different emoji. Ack: [`ChangeApplied`](super::message_changes::ChangeApplied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct React {
    pub room: RoomName,
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

impl ClientEvent for React {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "react";
    type Reply = super::message_changes::ChangeApplied;

    fn check(&self) -> Result<(), String> {
        super::message_changes::message_id(self.id)
    }
}

/// The refusal of a reaction past the cap.
pub fn too_many_reactions(max: usize) -> String {
    format!("A message holds at most {max} different reactions: react with one already there")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::parse_payload;
    use serde_json::json;

    #[test]
    fn react_defaults_to_on_and_names_what_is_wrong() {
        let r = parse_payload::<React>(Some(json!({"room": "a", "id": 3, "emoji": "🎉"}))).unwrap();
        assert!(r.on);
        assert_eq!(r.check(), Ok(()));
        let off = parse_payload::<React>(Some(
            json!({"room": "a", "id": 3, "emoji": "🎉", "on": false}),
        ))
        .unwrap();
        assert!(!off.on);
        let e =
            parse_payload::<React>(Some(json!({"room": "a", "id": 3, "emoji": "x"}))).unwrap_err();
        assert_eq!(e.0, "react: emoji must be one emoji, such as 🎉");
        let zero =
            parse_payload::<React>(Some(json!({"room": "a", "id": 0, "emoji": "🎉"}))).unwrap();
        assert!(zero.check().is_err());
    }
}
