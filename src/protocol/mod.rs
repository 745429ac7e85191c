//! The wire protocol shared by the server and the browser client.
//!
//! Every namespace, event name, payload, ack and error that crosses the
//! socket.io connection is declared here exactly once, as a Rust type. The
//! server handlers (`server::gateway`) and the WASM client (`client`, `app`)
//! both use these types, so an event name or a payload shape is never written
//! twice. The JSON shapes are those of the NestJS tutorial
//! (`shared/spec/tutorial-protocol.md`); Huddle only adds fields and events.
//!
//! Nothing in this module may depend on the server or the browser.

pub mod account;
pub mod ack;
pub mod board;
pub mod chat;
pub mod direct;
pub mod direct_changes;
pub mod emoji;
pub mod history;
pub mod invites;
pub mod limits;
pub mod message_changes;
pub mod moderation;
pub mod names;
pub mod notifications;
mod payload;
pub mod reactions;
pub mod read_state;
pub mod rooms;
pub mod thread_summary;
pub mod threads;
pub mod timestamp;
pub mod typing;

use serde::{de::DeserializeOwned, Serialize};

pub use ack::{Ack, ErrorReply, Exception, OkMessage};
pub use names::{MessageText, NameError, RoomName, Username};

/// An event the client emits and the server handles.
pub trait ClientEvent: Serialize + DeserializeOwned {
    /// The namespace the event belongs to, such as `/chat`.
    const NAMESPACE: &'static str;
    /// The event name on the wire, such as `join`.
    const NAME: &'static str;
    /// What the server answers in the ack when the event succeeds.
    type Reply: Serialize + DeserializeOwned;

    /// The event's rules beyond what its types enforce (ranges, counts),
    /// checked by the server right after parsing; the error says which
    /// rule was broken. Most events have none.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }

    /// The event from its payload (the packet's first argument), or why it
    /// is not one: by default the payload must be a JSON object of the
    /// event's fields ([`parse_payload`]). An event that takes no payload
    /// overrides this to ignore whatever comes.
    fn from_payload(payload: Option<serde_json::Value>) -> Result<Self, PayloadError> {
        parse_payload::<Self>(payload)
    }
}

/// An event the server emits and the client listens to.
pub trait ServerEvent: Serialize + DeserializeOwned {
    /// The namespace the event belongs to.
    const NAMESPACE: &'static str;
    /// The event name on the wire.
    const NAME: &'static str;
}

/// The path the socket.io server listens on (socket.io's default).
pub const SOCKET_IO_PATH: &str = "/socket.io/";

/// Why a payload received from the network was refused. The text is sent to
/// the client as the `message` of an error ack, so it says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PayloadError(pub String);

/// Parses the payload of a client event into its typed struct.
///
/// `payload` is `None` when the client sent the event with no argument at
/// all. The error names the event and what was wrong, so that a client
/// author can fix the call from the message alone.
pub fn parse_payload<E: ClientEvent>(
    payload: Option<serde_json::Value>,
) -> Result<E, PayloadError> {
    payload_object::<E>(payload).and_then(parse_object::<E>)
}

/// The payload of event `E` as a JSON object, or why it is not one.
pub fn payload_object<E: ClientEvent>(
    payload: Option<serde_json::Value>,
) -> Result<serde_json::Map<String, serde_json::Value>, PayloadError> {
    match payload {
        None => Err(PayloadError(format!(
            "{}: missing payload, expected a JSON object",
            E::NAME
        ))),
        Some(serde_json::Value::Object(fields)) => Ok(fields),
        Some(other) => Err(PayloadError(format!(
            "{}: payload must be a JSON object, got {}",
            E::NAME,
            json_kind(&other)
        ))),
    }
}

/// Parses the fields of a payload object into event `E`; a refusal names
/// the field and what it must be, in the protocol's words (see
/// `payload.rs`).
pub fn parse_object<E: ClientEvent>(
    fields: serde_json::Map<String, serde_json::Value>,
) -> Result<E, PayloadError> {
    payload::read(E::NAME, serde_json::Value::Object(fields)).map_err(PayloadError)
}

/// A short name for the JSON type of `value`, for error messages.
pub fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::chat::Join;
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_payload_is_named() {
        let err = parse_payload::<Join>(None).unwrap_err();
        assert_eq!(err.0, "join: missing payload, expected a JSON object");
    }

    #[test]
    fn non_object_payload_is_named() {
        let err = parse_payload::<Join>(Some(json!("alice"))).unwrap_err();
        assert_eq!(err.0, "join: payload must be a JSON object, got a string");
        let err = parse_payload::<Join>(Some(json!(null))).unwrap_err();
        assert_eq!(err.0, "join: payload must be a JSON object, got null");
    }

    #[test]
    fn missing_and_mistyped_fields_are_named() {
        let err = parse_payload::<Join>(Some(json!({}))).unwrap_err();
        assert_eq!(err.0, "join: missing field `username`");
        let err = parse_payload::<Join>(Some(json!({"username": 5}))).unwrap_err();
        assert_eq!(err.0, "join: username must be a string, got 5");
    }

    #[test]
    fn extra_fields_are_ignored() {
        let join = parse_payload::<Join>(Some(json!({"username": "ann", "x": 1}))).unwrap();
        assert_eq!(join.username.as_str(), "ann");
    }
}
