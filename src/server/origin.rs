//! The Origin allow-list, checked on every socket.io request (the
//! long-polling requests and the WebSocket handshake alike).
//!
//! A browser always sends `Origin` on a WebSocket handshake and on
//! cross-origin requests; a page served by Huddle itself is always allowed.
//! Requests without `Origin` come from programs, not from another site's
//! page, and pass (CORS protects browsers, not servers).

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct OriginPolicy {
    /// Normalised `scheme://host[:port]`, lower case.
    allowed: Arc<Vec<String>>,
}

impl OriginPolicy {
    pub fn new(allowed: &[String]) -> Self {
        let allowed = allowed
            .iter()
            .map(|o| normalise(o))
            .filter(|o| !o.is_empty())
            .collect();
        Self {
            allowed: Arc::new(allowed),
        }
    }

    /// The configured origins, as header values for the CORS layer.
    pub fn header_values(&self) -> Vec<HeaderValue> {
        self.allowed
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect()
    }

    /// Whether a page from `origin` may talk to this server, reached as `host`.
    pub fn allows(&self, origin: &str, host: Option<&str>) -> bool {
        let origin = normalise(origin);
        if let (Some(host), Some((_, authority))) = (host, origin.split_once("://")) {
            if authority.eq_ignore_ascii_case(host) {
                return true;
            }
        }
        self.allowed.contains(&origin)
    }
}

fn normalise(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// Axum middleware: refuses socket.io requests from origins not allowed.
pub async fn guard(State(policy): State<OriginPolicy>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/socket.io") {
        if let Some(origin) = request.headers().get(header::ORIGIN) {
            let host = request
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok());
            let allowed = origin
                .to_str()
                .map(|o| policy.allows(o, host))
                .unwrap_or(false);
            if !allowed {
                let origin = String::from_utf8_lossy(origin.as_bytes()).into_owned();
                tracing::warn!(%origin, "refused a socket.io request from a foreign origin");
                return (
                    StatusCode::FORBIDDEN,
                    format!(
                        "Origin {origin} is not allowed to connect. \
                         Add it to HUDDLE_ALLOWED_ORIGINS to allow it."
                    ),
                )
                    .into_response();
            }
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_origin_is_always_allowed() {
        let p = OriginPolicy::new(&[]);
        assert!(p.allows("http://127.0.0.1:3000", Some("127.0.0.1:3000")));
        assert!(p.allows("HTTP://Chat.Example:3000/", Some("chat.example:3000")));
        assert!(!p.allows("http://evil.test", Some("127.0.0.1:3000")));
        assert!(!p.allows("null", Some("127.0.0.1:3000")));
        assert!(!p.allows("http://127.0.0.1:3000", None));
    }

    #[test]
    fn listed_origins_are_allowed() {
        let p = OriginPolicy::new(&["https://a.test/".into(), " http://b.test:8080".into()]);
        assert!(p.allows("https://a.test", Some("huddle.local")));
        assert!(p.allows("http://b.test:8080", Some("huddle.local")));
        assert!(!p.allows("http://b.test", Some("huddle.local")));
        assert_eq!(p.header_values().len(), 2);
    }
}
