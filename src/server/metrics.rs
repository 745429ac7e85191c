//! Prometheus metrics at `GET /metrics` (the `metrics` facade, rendered by
//! `metrics-exporter-prometheus`). Every label takes one of a few fixed
//! values: nothing a client sends becomes a label.
//!
//! | metric | type | labels |
//! | --- | --- | --- |
//! | `huddle_connections` | gauge | `namespace` |
//! | `huddle_events_received_total` | counter | `budget` (sends, room changes, requests), `outcome` (accepted, rate_limited) |
//! | `huddle_kicked_total` | counter | |
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
use axum::http::header;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

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
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::error!(error = %e, "cannot install the metrics recorder; /metrics stays empty");
                    None
                }
            }
        })
        .clone()
}

/// `GET /metrics`: the Prometheus text format.
pub async fn render(State(handle): State<Option<PrometheusHandle>>) -> impl IntoResponse {
    let body = handle.map(|h| h.render()).unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
}
