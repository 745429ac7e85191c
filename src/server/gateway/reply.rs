//! How a handler answers the client: an ack when the client sent an ack
//! callback, else the `exception` event, as NestJS does for errors.

use crate::protocol::ack::{Ack, Exception, OkMessage};
use crate::protocol::ServerEvent;
use crate::server::error::Error;
use serde::Serialize;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef};
use socketioxide::handler::FromMessageParts;
use socketioxide::socket::Socket;
use std::convert::Infallible;
use std::sync::Arc;

/// Extractor: the way back to the client for the current event.
pub struct Reply<A: Adapter> {
    socket: SocketRef<A>,
    ack: AckSender<A>,
    wants_ack: bool,
    /// When the event was read: the ack latency is measured from here.
    read_at: std::time::Instant,
}

impl<A: Adapter> FromMessageParts<A> for Reply<A> {
    type Error = Infallible;

    fn from_message_parts(
        s: &Arc<Socket<A>>,
        v: &mut socketioxide_core::Value,
        ack_id: &Option<i64>,
    ) -> Result<Self, Infallible> {
        Ok(Self {
            socket: SocketRef::from_message_parts(s, v, ack_id)?,
            ack: AckSender::from_message_parts(s, v, ack_id)?,
            wants_ack: ack_id.is_some(),
            read_at: std::time::Instant::now(),
        })
    }
}

impl<A: Adapter> Reply<A> {
    /// Acks success with `body` (`{status:"ok", ...body}`). Without an ack
    /// callback there is nothing to send.
    pub fn ok<T: Serialize>(self, body: T) {
        self.record();
        if let Err(e) = self.ack.send(&Ack::Ok(body)) {
            tracing::debug!(sid = %self.socket.id, error = %e, "could not send ack");
        }
    }

    /// Answers a refusal the way its kind says: an [`Error::Exception`]
    /// with the `exception` event only, any other with the error ack (or
    /// `exception` without an ack callback); an internal failure's cause is
    /// logged, its answer sent.
    pub fn error(self, event: &str, error: &Error) {
        error.log();
        match error {
            Error::Exception(message) => self.exception(event, message.as_str()),
            _ => self.refuse(event, error.answer()),
        }
    }

    /// Refuses the event: `{status:"error", message}` in the ack, or an
    /// `exception` event when the client sent no ack callback.
    pub fn refuse(self, event: &str, message: impl Into<String>) {
        let message = message.into();
        self.record();
        tracing::info!(sid = %self.socket.id, ns = self.socket.ns(), event, reason = %message, "refused");
        if self.wants_ack {
            if let Err(e) = self.ack.send(&Ack::<OkMessage>::error(message)) {
                tracing::debug!(sid = %self.socket.id, error = %e, "could not send ack");
            }
        } else {
            self.exception_unlogged(message);
        }
    }

    /// Answers with the `exception` event only, never the ack: how the
    /// tutorial reports a failed guard.
    pub fn exception(self, event: &str, message: impl Into<String>) {
        let message = message.into();
        self.record();
        tracing::info!(sid = %self.socket.id, ns = self.socket.ns(), event, reason = %message, "guard refused");
        self.exception_unlogged(message);
    }

    fn record(&self) {
        metrics::histogram!("huddle_ack_seconds").record(self.read_at.elapsed().as_secs_f64());
    }

    fn exception_unlogged(self, message: String) {
        if let Err(e) = self.socket.emit(Exception::NAME, &Exception::new(message)) {
            tracing::debug!(sid = %self.socket.id, error = %e, "could not send exception");
        }
    }
}
