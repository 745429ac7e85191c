//! What the gateway's handlers share: [`GatewayState`], reached through
//! socketioxide's `State`.

use super::cursors::Cursors;
use super::expiry::SessionTimers;
use super::slow::SlowMode;
use super::turn::InFlight;
use crate::server::auth::TokenKeys;
use crate::server::cluster::roster::Roster;
use crate::server::limits::Limits;
use crate::server::origin::PublicOrigin;
use crate::server::presence::Presence;
use crate::server::store::Store;
use std::sync::Arc;

/// What the handlers share, reached through socketioxide's `State`.
#[derive(Clone)]
pub struct GatewayState {
    pub presence: Arc<Presence>,
    pub tokens: Arc<TokenKeys>,
    pub store: Store,
    /// Refuse sockets without a valid login.
    pub require_login: bool,
    /// Rate and connection limits.
    pub limits: Arc<Limits>,
    /// Whiteboard pointers waiting to be sent.
    pub cursors: Arc<Cursors>,
    /// Who is in the chat on every node, when this is one node of several.
    pub roster: Option<Arc<Roster>>,
    /// Events read and not yet handled (a graceful shutdown waits for them).
    pub in_flight: Arc<InFlight>,
    /// The expiry timers of logged-in sockets.
    pub session_timers: Arc<SessionTimers>,
    /// When posters last posted in rooms in slow mode.
    pub slow_mode: Arc<SlowMode>,
    /// The address users open (`HUDDLE_PUBLIC_URL`), for the links the
    /// server hands out (invite links); when unset, the origin a socket
    /// came from.
    pub public_url: Option<PublicOrigin>,
}
