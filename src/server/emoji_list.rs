//! `GET /api/emoji`: the emoji list ([`EmojiList`]) the page's picker and
//! `:` completion load when first needed, instead of carrying it in the
//! WASM. Open to anyone (the page asks before or without logging in, and
//! the list is Unicode's). Its JSON is made once per process; the answer
//! has a strong `ETag` (a hash of it) and may be cached for a day, and
//! is compressed for browsers that ask (the route's `CompressionLayer`):
//! about 150 KB of JSON travels as about 30 KB of brotli.

use crate::protocol::emoji::EmojiList;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// How long a browser may use its copy without asking again.
const CACHE: &str = "public, max-age=86400";

/// The list's JSON and its entity tag.
struct Body {
    json: axum::body::Bytes,
    etag: HeaderValue,
}

static BODY: LazyLock<Body> = LazyLock::new(|| {
    // A list of strings always serialises.
    let json = serde_json::to_vec(&EmojiList::unicode()).unwrap_or_default();
    let hash = Sha256::digest(&json);
    let tag: String = hash[..12].iter().map(|b| format!("{b:02x}")).collect();
    let etag = HeaderValue::from_str(&format!("\"{tag}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"emoji\""));
    Body {
        json: json.into(),
        etag,
    }
});

/// The list, or `304 Not Modified` when the browser's copy is current.
pub async fn emoji_list(headers: HeaderMap) -> Response {
    let body = &*BODY;
    let cache = [
        (ETAG, body.etag.clone()),
        (CACHE_CONTROL, HeaderValue::from_static(CACHE)),
    ];
    let current = headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/").as_bytes() == body.etag.as_bytes()
        });
    if current {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    (
        cache,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body.json.clone(),
    )
        .into_response()
}
