//! Namespace `/notifications`: per-user push channels.
//!
//! A socket subscribes to room `user-<userId>`; the server's notifier emits
//! [`Notification`] to that room.

use super::ack::OkMessage;
use super::limits::MAX_USER_ID_CHARS;
use super::names::{validated_string, NameError};
use super::{ClientEvent, ServerEvent};
use serde::{Deserialize, Serialize};

pub const NAMESPACE: &str = "/notifications";

validated_string!(
    /// A user id as the tutorial accepts it: a string or an integer.
    UserId,
    try_from = "serde_json::Value"
);

impl TryFrom<serde_json::Value> for UserId {
    type Error = NameError;
    fn try_from(raw: serde_json::Value) -> Result<Self, NameError> {
        use serde_json::Value;
        match raw {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(UserId(n.to_string())),
            Value::String(s) => UserId::parse(&s),
            other => Err(NameError::NotStringOrInteger {
                what: "userId",
                got: super::json_kind(&other),
            }),
        }
    }
}

impl UserId {
    pub fn parse(s: &str) -> Result<Self, NameError> {
        let what = "userId";
        if s.is_empty() {
            return Err(NameError::Empty { what });
        }
        if s.chars().count() > MAX_USER_ID_CHARS {
            return Err(NameError::AtMost {
                what,
                max: MAX_USER_ID_CHARS,
            });
        }
        if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(NameError::Whitespace { what });
        }
        Ok(UserId(s.to_owned()))
    }

    /// The room that carries this user's notifications: `user-<id>`.
    pub fn room(&self) -> String {
        format!("user-{}", self.0)
    }
}

/// `subscribe-to-notifications {userId}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribeToNotifications {
    #[serde(rename = "userId")]
    pub user_id: UserId,
}

impl ClientEvent for SubscribeToNotifications {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "subscribe-to-notifications";
    type Reply = OkMessage;
}

pub fn subscribed(user_id: &UserId) -> String {
    format!("Subscribed to notifications for user {user_id}")
}

/// `notification <any>`: whatever the server pushes to a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Notification(pub serde_json::Value);

impl ServerEvent for Notification {
    const NAMESPACE: &'static str = NAMESPACE;
    const NAME: &'static str = "notification";
}

/// What Huddle itself pushes as a [`Notification`]: a direct message, an
/// `@name` mention, or a reply in a thread one follows, that reached
/// someone who was not looking at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub kind: AlertKind,
    pub from: super::names::Username,
    /// The room of a mention or a reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<super::names::RoomName>,
    /// A reply's thread: the id of its first message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<i64>,
    /// The start of the message (at most [`ALERT_PREVIEW_CHARS`]).
    pub preview: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertKind {
    Dm,
    Mention,
    /// A reply in a thread the account follows (`follow-thread`).
    Thread,
}

pub const ALERT_PREVIEW_CHARS: usize = 140;

impl Alert {
    pub fn preview_of(text: &str) -> String {
        let mut preview: String = text.chars().take(ALERT_PREVIEW_CHARS).collect();
        if text.chars().count() > ALERT_PREVIEW_CHARS {
            preview.push('…');
        }
        preview
    }
}

/// The names a message mentions: each `@name`, up to whitespace or
/// punctuation, in order, repeats included (the server counts names once
/// by their folded key, and at most
/// [`MAX_MENTIONS_NOTIFIED`](super::limits::MAX_MENTIONS_NOTIFIED) of
/// them: it stops reading there).
pub fn mentions(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace().filter_map(|word| {
        let rest = word.strip_prefix('@')?;
        let end = rest
            .find([',', '.', ':', ';', '!', '?', ')', '(', '"', '\''])
            .unwrap_or(rest.len());
        Some(&rest[..end]).filter(|name| !name.is_empty())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn mentions_are_found_in_order() {
        let found: Vec<&str> =
            super::mentions("hi @ann, and @Bob! @ann again @ @(x) @zoë.").collect();
        assert_eq!(found, ["ann", "Bob", "ann", "zoë"]);
        assert_eq!(super::mentions("mail me at a@b.c").count(), 0);
    }

    use super::*;
    use crate::protocol::parse_payload;
    use serde_json::json;

    #[test]
    fn user_id_is_a_string_or_a_number() {
        let s = parse_payload::<SubscribeToNotifications>(Some(json!({"userId": 42}))).unwrap();
        assert_eq!(s.user_id.room(), "user-42");
        let s = parse_payload::<SubscribeToNotifications>(Some(json!({"userId": "abc"}))).unwrap();
        assert_eq!(
            subscribed(&s.user_id),
            "Subscribed to notifications for user abc"
        );
        assert!(parse_payload::<SubscribeToNotifications>(Some(json!({"userId": ""}))).is_err());
        assert!(parse_payload::<SubscribeToNotifications>(Some(json!({"userId": true}))).is_err());
        assert!(parse_payload::<SubscribeToNotifications>(Some(json!({"userId": "a b"}))).is_err());
        assert!(parse_payload::<SubscribeToNotifications>(Some(json!({}))).is_err());
    }
}
