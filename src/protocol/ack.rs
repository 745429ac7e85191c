//! Acks and errors: `{status:"ok", ...}` and `{status:"error", message}`.

use serde::{Deserialize, Serialize};

/// The answer to an event sent with an ack callback.
///
/// On the wire it is a JSON object tagged by `status`: `{"status":"ok", ...T}`
/// or `{"status":"error","message":"..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Ack<T> {
    Ok(T),
    Error(ErrorReply),
}

impl<T> Ack<T> {
    /// The error ack with this message.
    pub fn error(message: impl Into<String>) -> Self {
        Ack::Error(ErrorReply::new(message))
    }

    /// The ack as a `Result`.
    pub fn into_result(self) -> Result<T, ErrorReply> {
        match self {
            Ack::Ok(t) => Ok(t),
            Ack::Error(e) => Err(e),
        }
    }
}

/// The body of most successful acks: `{"status":"ok","message":"..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OkMessage {
    pub message: String,
}

impl OkMessage {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// The body of an error ack: what went wrong, phrased so that the person or
/// program that sent the event knows what to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ErrorReply {
    pub message: String,
    /// Set when the event was refused by a rate limit: how long to wait, in
    /// milliseconds, before the same event would be accepted.
    #[serde(
        rename = "retryAfterMs",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub retry_after_ms: Option<u64>,
}

impl ErrorReply {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retry_after_ms: None,
        }
    }

    /// The refusal of an event over a rate limit:
    /// `Rate limit exceeded, retry in N ms`, with `retryAfterMs: N`.
    pub fn rate_limited(retry_after_ms: u64) -> Self {
        Self {
            message: texts::rate_limited(retry_after_ms),
            retry_after_ms: Some(retry_after_ms),
        }
    }
}

/// The `exception` event: how an error reaches a client that sent no ack
/// callback, and how `protected-message` guard failures are reported (as in
/// NestJS, where a `WsException` becomes this event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exception {
    pub status: ErrorStatus,
    pub message: String,
    /// As in [`ErrorReply`]: set for a rate-limit refusal.
    #[serde(
        rename = "retryAfterMs",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub retry_after_ms: Option<u64>,
}

impl Exception {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            status: ErrorStatus::Error,
            message: message.into(),
            retry_after_ms: None,
        }
    }
}

impl From<ErrorReply> for Exception {
    fn from(e: ErrorReply) -> Self {
        Self {
            status: ErrorStatus::Error,
            message: e.message,
            retry_after_ms: e.retry_after_ms,
        }
    }
}

/// The constant `"error"` in an [`Exception`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorStatus {
    Error,
}

/// Texts the tutorial defines; clients match on them, so they are constants.
pub mod texts {
    pub const JOIN_FIRST: &str = "You need to join first";
    pub const MESSAGE_SENT: &str = "Message sent";
    pub const PROTECTED_MESSAGE_SENT: &str = "Protected message sent";
    pub const UNAUTHORIZED: &str = "Unauthorized";
    pub const INVALID_TOKEN: &str = "Invalid token";
    pub const NOT_STORED: &str = "The message could not be stored, so it was not sent: try again";
    pub const TRY_AGAIN: &str = "The server could not do that right now: try again shortly";

    /// The message of a rate-limit refusal.
    pub fn rate_limited(retry_after_ms: u64) -> String {
        format!("Rate limit exceeded, retry in {retry_after_ms} ms")
    }

    /// An event refused because too many of the socket's events are still
    /// waiting to be handled.
    pub fn too_many_waiting(events: usize, bytes: usize) -> String {
        format!(
            "The server is still handling {events} of your events ({} KiB): wait for their answers, then send again",
            bytes.div_ceil(1024)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ok_and_error_acks_have_the_tutorial_shape() {
        let ok: Ack<OkMessage> = Ack::Ok(OkMessage::new("Message sent"));
        assert_eq!(
            serde_json::to_value(&ok).unwrap(),
            json!({"status": "ok", "message": "Message sent"})
        );
        let err: Ack<OkMessage> = Ack::error("You need to join first");
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            json!({"status": "error", "message": "You need to join first"})
        );
        let back: Ack<OkMessage> =
            serde_json::from_value(json!({"status": "error", "message": "x"})).unwrap();
        assert_eq!(back, Ack::error("x"));
    }

    #[test]
    fn a_rate_limit_refusal_says_when_to_retry() {
        let err: Ack<OkMessage> = Ack::Error(ErrorReply::rate_limited(250));
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            json!({"status": "error", "message": "Rate limit exceeded, retry in 250 ms", "retryAfterMs": 250})
        );
        assert_eq!(
            serde_json::to_value(Exception::from(ErrorReply::rate_limited(7))).unwrap(),
            json!({"status": "error", "message": "Rate limit exceeded, retry in 7 ms", "retryAfterMs": 7})
        );
    }

    #[test]
    fn exception_has_status_error() {
        assert_eq!(
            serde_json::to_value(Exception::new("Unauthorized")).unwrap(),
            json!({"status": "error", "message": "Unauthorized"})
        );
    }
}
