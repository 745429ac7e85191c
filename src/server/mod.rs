//! The server: configuration, the HTTP application, and the socket.io
//! gateway. Compiled only with the `ssr` feature.

pub mod admin;
pub mod allocator;
pub mod app;
pub mod auth;
pub mod cluster;
pub mod config;
pub mod emoji_list;
pub mod error;
pub mod gateway;
pub mod health;
pub mod io;
pub mod limits;
pub mod metrics;
pub mod names;
pub mod notifier;
pub mod origin;
pub mod presence;
pub mod site;
pub mod state;
pub mod store;
pub mod telemetry;

pub use app::Application;
pub use config::Config;
pub use state::AppState;
