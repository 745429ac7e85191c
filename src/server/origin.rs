//! The Origin allow-list, checked on every socket.io request (the
//! long-polling requests and the WebSocket handshake alike).
//!
//! A browser always sends `Origin` on a WebSocket handshake and on
//! cross-origin requests. Allowed: the server's public origin
//! (`HUDDLE_PUBLIC_URL`, by default the listen address), the listed origins
//! (`HUDDLE_ALLOWED_ORIGINS`), and, when the server listens on loopback or
//! on every address, its port on `localhost`, `127.0.0.1` and `[::1]` (the
//! names one opens a local server under). Never "whatever the `Host`
//! header says": a DNS-rebinding page (a name of the attacker's, made to
//! resolve to this server) sends its own name as both `Host` and `Origin`.
//!
//! Requests without `Origin` come from programs, not from another site's
//! page, and pass (CORS protects browsers, not servers).

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeSet;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

/// The origin users reach the server at, as a browser writes it:
/// `scheme://host[:port]`, lower case, without the scheme's default port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicOrigin(String);

impl PublicOrigin {
    /// The origin of a server listening on `addr`, reached at that address.
    fn of_listen_addr(addr: SocketAddr) -> Self {
        Self(origin("http", &host_of(addr.ip()), Some(addr.port())))
    }
}

impl FromStr for PublicOrigin {
    type Err = String;

    /// An `http` or `https` URL; its path, if any, is not part of the
    /// origin.
    fn from_str(s: &str) -> Result<Self, String> {
        let usage = || {
            format!("{s:?} is not a public URL: write scheme://host[:port], like https://chat.example.org")
        };
        let uri: Uri = s.trim().parse().map_err(|_| usage())?;
        let scheme = uri.scheme_str().map(str::to_ascii_lowercase);
        let (Some(scheme @ ("http" | "https")), Some(authority)) =
            (scheme.as_deref(), uri.authority())
        else {
            return Err(usage());
        };
        if authority.as_str().contains('@') || authority.host().is_empty() {
            return Err(usage());
        }
        Ok(Self(origin(scheme, authority.host(), authority.port_u16())))
    }
}

impl fmt::Display for PublicOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `scheme://host[:port]`, lower case, the scheme's default port left out
/// as browsers do.
fn origin(scheme: &str, host: &str, port: Option<u16>) -> String {
    let default = match scheme {
        "https" => 443,
        _ => 80,
    };
    let host = host.to_ascii_lowercase();
    match port {
        Some(p) if p != default => format!("{scheme}://{host}:{p}"),
        _ => format!("{scheme}://{host}"),
    }
}

/// An address as a URL writes it (IPv6 in brackets).
fn host_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

#[derive(Debug, Clone, Default)]
pub struct OriginPolicy {
    /// Every allowed origin, normalised.
    allowed: Arc<BTreeSet<String>>,
    /// The listed origins (`HUDDLE_ALLOWED_ORIGINS`), for CORS.
    listed: Arc<Vec<String>>,
}

impl OriginPolicy {
    /// The policy of a server listening on `listen`, reached at `public`
    /// (default: the listen address), allowing `listed` besides.
    pub fn new(public: Option<&PublicOrigin>, listen: SocketAddr, listed: &[String]) -> Self {
        let listed: Vec<String> = listed
            .iter()
            .map(|o| normalise(o))
            .filter(|o| !o.is_empty())
            .collect();
        let mut allowed: BTreeSet<String> = listed.iter().cloned().collect();
        let ip = listen.ip();
        match public {
            Some(public) => {
                allowed.insert(public.0.clone());
            }
            // "Every address" is no address a browser opens.
            None if ip.is_unspecified() => {}
            None => {
                allowed.insert(PublicOrigin::of_listen_addr(listen).0);
            }
        }
        if ip.is_loopback() || ip.is_unspecified() {
            for host in ["localhost", "127.0.0.1", "[::1]"] {
                allowed.insert(origin("http", host, Some(listen.port())));
            }
        }
        Self {
            allowed: Arc::new(allowed),
            listed: Arc::new(listed),
        }
    }

    /// The listed origins, as header values for the CORS layer (the
    /// server's own pages need none).
    pub fn header_values(&self) -> Vec<HeaderValue> {
        self.listed
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect()
    }

    /// Whether a page from `origin` may talk to this server.
    pub fn allows(&self, origin: &str) -> bool {
        self.allowed.contains(&normalise(origin))
    }

    /// Every allowed origin, for the log at start-up.
    pub fn allowed(&self) -> impl Iterator<Item = &str> {
        self.allowed.iter().map(String::as_str)
    }
}

/// An origin as compared: a listed or sent one in the form of
/// [`PublicOrigin`] when it parses as one, else trimmed and lower case
/// (`null`, say, which nothing lists).
fn normalise(origin: &str) -> String {
    match origin.parse::<PublicOrigin>() {
        Ok(o) => o.0,
        Err(_) => origin.trim().trim_end_matches('/').to_ascii_lowercase(),
    }
}

/// Axum middleware: refuses socket.io requests from origins not allowed.
pub async fn guard(State(policy): State<OriginPolicy>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/socket.io") {
        if let Some(origin) = request.headers().get(header::ORIGIN) {
            let allowed = origin.to_str().map(|o| policy.allows(o)).unwrap_or(false);
            if !allowed {
                let origin = String::from_utf8_lossy(origin.as_bytes()).into_owned();
                tracing::warn!(%origin, "refused a socket.io request from a foreign origin");
                return (
                    StatusCode::FORBIDDEN,
                    format!(
                        "Origin {origin} is not allowed to connect. If it is the address \
                         users open, set HUDDLE_PUBLIC_URL to it; to allow another site's \
                         pages, add it to HUDDLE_ALLOWED_ORIGINS."
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

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn public(s: &str) -> PublicOrigin {
        s.parse().unwrap()
    }

    #[test]
    fn public_urls_become_origins() {
        assert_eq!(
            public("https://Chat.Example.org/").to_string(),
            "https://chat.example.org"
        );
        assert_eq!(
            public("https://chat.example.org:443/huddle").to_string(),
            "https://chat.example.org"
        );
        assert_eq!(
            public("http://chat.example.org:8080").to_string(),
            "http://chat.example.org:8080"
        );
        assert_eq!(public("http://[::1]:3000").to_string(), "http://[::1]:3000");
        for bad in [
            "chat.example.org",
            "ftp://chat.example.org",
            "https://",
            "https://user@chat.example.org",
            "/relative",
        ] {
            let err = bad.parse::<PublicOrigin>().unwrap_err();
            assert!(err.contains("scheme://host[:port]"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_listen_address_is_the_default_origin() {
        let p = OriginPolicy::new(None, addr("192.0.2.10:3000"), &[]);
        assert!(p.allows("http://192.0.2.10:3000"));
        assert!(p.allows("HTTP://192.0.2.10:3000/"));
        assert!(!p.allows("http://localhost:3000"));
        assert!(!p.allows("http://evil.test:3000"));
        assert!(!p.allows("null"));
        // Port 80 is written without it.
        let p = OriginPolicy::new(None, addr("192.0.2.10:80"), &[]);
        assert!(p.allows("http://192.0.2.10"));
    }

    #[test]
    fn loopback_is_allowed_under_its_names() {
        for listen in ["127.0.0.1:3000", "[::1]:3000", "0.0.0.0:3000"] {
            let p = OriginPolicy::new(None, addr(listen), &[]);
            for own in [
                "http://localhost:3000",
                "http://127.0.0.1:3000",
                "http://[::1]:3000",
            ] {
                assert!(p.allows(own), "{listen}: {own}");
            }
            assert!(!p.allows("http://localhost:3001"), "{listen}");
            assert!(!p.allows("https://localhost:3000"), "{listen}");
        }
        // Listening everywhere is no origin of its own.
        let p = OriginPolicy::new(None, addr("0.0.0.0:3000"), &[]);
        assert!(!p.allows("http://0.0.0.0:3000"));
    }

    #[test]
    fn the_public_url_replaces_the_listen_address() {
        let p = OriginPolicy::new(
            Some(&public("https://chat.example.org")),
            addr("10.0.0.11:3000"),
            &[],
        );
        assert!(p.allows("https://chat.example.org"));
        assert!(!p.allows("http://10.0.0.11:3000"));
        assert!(!p.allows("http://chat.example.org"));
        assert!(p.header_values().is_empty());
    }

    #[test]
    fn listed_origins_are_allowed() {
        let p = OriginPolicy::new(
            None,
            addr("127.0.0.1:3000"),
            &["https://a.test/".into(), " http://b.test:8080".into()],
        );
        assert!(p.allows("https://a.test"));
        assert!(p.allows("https://a.test:443"));
        assert!(p.allows("http://b.test:8080"));
        assert!(!p.allows("http://b.test"));
        assert_eq!(p.header_values().len(), 2);
    }
}
