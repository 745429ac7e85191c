//! What the HTTP routes share: [`AppState`], built once at start-up by
//! [`crate::server::app::Application::build`]. A module of its own so that
//! the routes (auth, health) and the start-up both depend on it, and not on
//! each other.

use super::auth::password::Hasher;
use super::auth::TokenKeys;
use super::cluster::link::RedisLink;
use super::gateway::GatewayState;
use super::io::Io;
use super::store::Store;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;

/// State shared by the HTTP routes (and reachable from tests).
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub gateway: GatewayState,
    /// The socket.io server (on the in-process or the Redis adapter).
    pub io: Io,
    /// The link to the other nodes, when there are any.
    pub redis: Option<RedisLink>,
    /// How long a login lasts.
    pub session_ttl: std::time::Duration,
    /// Hashes and checks passwords, a bounded number at once.
    pub hasher: std::sync::Arc<Hasher>,
    /// Renders `/metrics`.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
}

impl AppState {
    /// The database, shared with the gateway.
    pub fn store(&self) -> &Store {
        &self.gateway.store
    }

    /// The token keys (one copy, the gateway's: it verifies logins too).
    pub fn tokens(&self) -> &TokenKeys {
        &self.gateway.tokens
    }
}
