//! The server's one error type: what a request or an event could not do,
//! and what its sender is told. A handler returns `Result<_, Error>`; the
//! HTTP routes turn it into a response ([`IntoResponse`]), the gateway into
//! an error ack or an `exception` event (`gateway::reply`).
//!
//! An [`Error::Internal`] keeps its cause, which is logged where the error
//! is answered ([`Error::log`]; never sent: the client is told what to do
//! next instead).

use crate::protocol::ack::{texts, ErrorReply};
use crate::server::store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// The cause of an internal failure.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is refused: `message` says why and what to change. Over
    /// HTTP it is answered with `status`; on socket.io, with the error ack
    /// (or `exception` when the event had no ack callback).
    #[error("{message}")]
    Refused { status: StatusCode, message: String },
    /// A guard of the tutorial's kind refused the event: answered with the
    /// `exception` event only, never the ack (NestJS's `WsException`).
    #[error("{0}")]
    Exception(String),
    /// The server could not do it. `context` and `cause` are logged; the
    /// client is told `answer`.
    #[error("{context}: {cause}")]
    Internal {
        context: &'static str,
        answer: &'static str,
        #[source]
        cause: Cause,
    },
}

impl Error {
    /// A refusal whose reason is `message` (HTTP 400 Bad Request).
    pub fn refused(message: impl Into<String>) -> Self {
        Self::with_status(StatusCode::BAD_REQUEST, message)
    }

    /// A refusal answered over HTTP with `status`.
    pub fn with_status(status: StatusCode, message: impl Into<String>) -> Self {
        Self::Refused {
            status,
            message: message.into(),
        }
    }

    /// An internal failure the client is told to retry.
    pub fn internal(context: &'static str, cause: impl Into<Cause>) -> Self {
        Self::Internal {
            context,
            answer: texts::TRY_AGAIN,
            cause: cause.into(),
        }
    }

    /// What the client is told: the refusal's reason, or for an internal
    /// failure its answer.
    pub fn answer(&self) -> &str {
        match self {
            Self::Refused { message, .. } | Self::Exception(message) => message,
            Self::Internal { answer, .. } => answer,
        }
    }

    /// Logs an internal failure with its cause, where it is answered (a
    /// refusal is the client's doing: the gateway logs it at info level).
    pub fn log(&self) {
        if let Self::Internal { context, cause, .. } = self {
            tracing::error!(error = %cause, "{context}");
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::Refused { status, .. } => *status,
            Self::Exception(_) => StatusCode::UNAUTHORIZED,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A store failure nobody expects: the client is told to retry.
impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Self::internal("the database failed", e)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.log();
        (self.status(), Json(ErrorReply::new(self.answer()))).into_response()
    }
}

/// Internal failures with what was being done: `result.internal("cannot
/// read history")?`.
pub trait Internal<T> {
    /// The failure as [`Error::Internal`]: logged with `context`, the client
    /// told to try again.
    fn internal(self, context: &'static str) -> Result<T, Error>;
    /// The same, the client told `answer`.
    fn internal_answer(self, context: &'static str, answer: &'static str) -> Result<T, Error>;
}

impl<T, E: Into<Cause>> Internal<T> for Result<T, E> {
    fn internal(self, context: &'static str) -> Result<T, Error> {
        self.map_err(|e| Error::internal(context, e))
    }

    fn internal_answer(self, context: &'static str, answer: &'static str) -> Result<T, Error> {
        self.map_err(|e| Error::Internal {
            context,
            answer,
            cause: e.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_failure_keeps_its_cause_and_answers_its_text() {
        let failed: Result<(), StoreError> = Err(StoreError::Failed("disk full".into()));
        let e = failed
            .internal_answer("cannot store a message", texts::NOT_STORED)
            .unwrap_err();
        assert_eq!(e.answer(), texts::NOT_STORED);
        assert_eq!(
            std::error::Error::source(&e).map(|s| s.to_string()),
            Some("storing failed: disk full".to_owned())
        );
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn a_store_error_becomes_a_retry() {
        let e = Error::from(StoreError::Failed("gone".into()));
        assert_eq!(e.answer(), texts::TRY_AGAIN);
    }

    #[tokio::test]
    async fn a_refusal_is_answered_over_http_with_its_status_and_reason() {
        let response = Error::with_status(StatusCode::CONFLICT, "taken").into_response();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
            serde_json::json!({"message": "taken"})
        );
    }
}
