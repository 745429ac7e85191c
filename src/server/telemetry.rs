//! Logging. Never logs a token or a message body.

use tracing_subscriber::{fmt, prelude::*, EnvFilter};

const DEFAULT_FILTER: &str = "huddle=info,tower_http=info,warn";

/// Installs the global subscriber: text or JSON lines on stderr, filtered by
/// `RUST_LOG`. Calling it again is harmless (tests call it once per binary).
pub fn init(format: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let registry = tracing_subscriber::registry().with(filter);
    let result = if format == "json" {
        registry
            .with(fmt::layer().json().with_writer(std::io::stderr))
            .try_init()
    } else {
        registry
            .with(fmt::layer().with_writer(std::io::stderr))
            .try_init()
    };
    // A second init (tests) keeps the first subscriber.
    drop(result);
}
