//! Prometheus metrics at `GET /metrics` (the `metrics` facade, rendered by
//! `metrics-exporter-prometheus`). Every label takes one of a few fixed
//! values: nothing a client sends becomes a label.
//!
//! Metrics say how busy the server is and who is connected how often: they
//! are for the operator's monitoring, not for anyone who can reach the
//! chat. So they are served on a listener of their own
//! (`HUDDLE_METRICS_ADDR`, loopback by default, see [`MetricsAddr`]), and
//! on the main listener only behind a bearer token (`HUDDLE_METRICS_TOKEN`,
//! [`behind_token`]); without the token the main listener has no
//! `/metrics` (404).
//!
//! | metric | type | labels |
//! | --- | --- | --- |
//! | `huddle_connections` | gauge | `namespace` (`engine.io`: Engine.IO sessions) |
//! | `huddle_events_received_total` | counter | `budget` (sends, room changes, requests), `outcome` (accepted, rate_limited) |
//! | `huddle_kicked_total` | counter | |
//! | `huddle_unread_refusals_total` | counter | large reads refused while too much sent was unread |
//! | `huddle_events_sent_total` | counter | `event` (the server event's name) |
//! | `huddle_broadcast_dropped_total` | counter | `event`: deliveries lost to full queues of slow consumers |
//! | `huddle_broadcast_errors_total` | counter | `event`: broadcasts the adapter failed |
//! | `huddle_ack_seconds` | histogram | from reading an event to answering it |
//! | `huddle_db_write_seconds` | histogram | one group-commit transaction |
//! | `huddle_db_write_batch` | histogram | messages in that transaction |
//! | `huddle_password_hashes_total` | counter | password hashes and checks performed |
//! | `huddle_password_busy_total` | counter | sign-ups and logins refused: hashing busy |
//! | `huddle_auth_throttled_total` | counter | `budget` (register, login) |

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;
use subtle::ConstantTimeEq;

pub const METRICS_PATH: &str = "/metrics";

/// Seconds: 100 µs to 10 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// The process's recorder, installed on first use (one per process: tests
/// start several servers in one).
pub fn handle() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("huddle_db_write_batch".into()),
                        BATCH_BUCKETS,
                    )
                });
            match builder.and_then(PrometheusBuilder::install_recorder) {
                Ok(handle) => {
                    spawn_upkeep(handle.clone());
                    Some(handle)
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot install the metrics recorder; /metrics stays empty");
                    None
                }
            }
        })
        .clone()
}

/// How often the recorder folds histogram samples into their buckets.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Folds the histograms' samples into their buckets every
/// [`UPKEEP_EVERY`], on a thread of its own for the process's life (one
/// recorder per process). The recorder keeps each sample until then, and
/// installed without its HTTP exporter nothing else does it but a scrape:
/// every acked event (`huddle_ack_seconds`) and every write batch kept its
/// samples until the next `GET /metrics`, about 48 bytes per message
/// under chat load (heaptrack: `AtomicBucket::push`, the largest memory
/// still held after 30,000 messages; issue #19).
fn spawn_upkeep(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || loop {
            std::thread::sleep(UPKEEP_EVERY);
            handle.run_upkeep();
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the metrics upkeep; histogram samples wait for scrapes");
    }
}

/// `GET /metrics`: the Prometheus text format.
pub async fn render(State(handle): State<Option<PrometheusHandle>>) -> Response {
    let body = handle.map(|h| h.render()).unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// `GET /metrics` on the main listener: [`render`] for a request with
/// `Authorization: Bearer <token>`, else 401. The token is compared in
/// constant time and never logged.
pub async fn behind_token(
    token: &SecretString,
    handle: Option<PrometheusHandle>,
    headers: &HeaderMap,
) -> Response {
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or_default();
    let expected = token.expose_secret().as_bytes();
    if bool::from(sent.as_bytes().ct_eq(expected)) {
        return render(State(handle)).await;
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        "Send the metrics token (HUDDLE_METRICS_TOKEN) as Authorization: Bearer <token>",
    )
        .into_response()
}

/// Where the metrics listener listens: an address, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsAddr {
    Off,
    At(SocketAddr),
}

impl MetricsAddr {
    /// Loopback, the port of OpenTelemetry's Prometheus exporter: this
    /// machine's Prometheus (or an agent) scrapes it, nobody else can.
    pub const DEFAULT: MetricsAddr = MetricsAddr::At(SocketAddr::new(
        std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        9464,
    ));
}

impl FromStr for MetricsAddr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("off") {
            return Ok(Self::Off);
        }
        s.parse().map(Self::At).map_err(|_| {
            format!("{s:?} is neither an address to listen on (127.0.0.1:9464, [::1]:9464) nor off")
        })
    }
}

impl fmt::Display for MetricsAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Off => f.write_str("off"),
            Self::At(addr) => write!(f, "{addr}"),
        }
    }
}

/// A metrics token, at least 16 bytes: a short one is guessed.
pub fn parse_token(s: &str) -> Result<SecretString, String> {
    if s.len() < 16 {
        return Err("the metrics token must be at least 16 bytes long".into());
    }
    Ok(SecretString::from(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metrics_address_is_an_address_or_off() {
        assert_eq!("off".parse::<MetricsAddr>(), Ok(MetricsAddr::Off));
        assert_eq!(" OFF ".parse::<MetricsAddr>(), Ok(MetricsAddr::Off));
        assert_eq!(
            "0.0.0.0:9100".parse::<MetricsAddr>(),
            Ok(MetricsAddr::At("0.0.0.0:9100".parse().unwrap()))
        );
        assert_eq!(MetricsAddr::DEFAULT.to_string(), "127.0.0.1:9464");
        assert!("9464"
            .parse::<MetricsAddr>()
            .unwrap_err()
            .contains("nor off"));
    }

    #[tokio::test]
    async fn the_token_opens_metrics_and_nothing_else_does() {
        let token = parse_token("a-token-long-enough").unwrap();
        let with = |value: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, value.parse().unwrap());
            h
        };
        let ok = behind_token(&token, None, &with("Bearer a-token-long-enough")).await;
        assert_eq!(ok.status(), StatusCode::OK);
        for wrong in [
            "Bearer a-token-long-enoug",
            "Bearer a-token-long-enough!",
            "a-token-long-enough",
            "Basic a-token-long-enough",
            "Bearer ",
        ] {
            let r = behind_token(&token, None, &with(wrong)).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{wrong}");
        }
        let none = behind_token(&token, None, &HeaderMap::new()).await;
        assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
        assert!(parse_token("short").is_err());
    }
}
