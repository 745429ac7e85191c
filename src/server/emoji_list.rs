//! `GET /api/emoji`: the emoji list ([`EmojiList`]) the page's picker and
//! `:` completion load when first needed, instead of carrying it in the
//! WASM. Open to anyone (the page may ask before logging in, and the list
//! is Unicode's).
//!
//! The answer is made once per process, at start ([`prepare`]): the JSON
//! (134 KB) and its brotli (quality 11) and gzip (level 9) copies, so
//! that a request costs a copy of bytes, never a compression (brotli on
//! the fly, as tower-http's `CompressionLayer` does it, cost 3.6 ms of CPU
//! per request, more than rendering a page). A weak `ETag` (the same list
//! in any encoding) lets a browser revalidate with `304 Not Modified`, and
//! it may keep its copy for a day.

use crate::protocol::emoji::EmojiList;
use axum::body::Bytes;
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::sync::LazyLock;

/// How long a browser may use its copy without asking again.
const CACHE: &str = "public, max-age=86400";

/// The list in each encoding, and its entity tag.
struct Answer {
    json: Bytes,
    br: Option<Bytes>,
    gzip: Option<Bytes>,
    etag: HeaderValue,
}

static ANSWER: LazyLock<Answer> = LazyLock::new(|| {
    // A list of strings always serialises.
    let json = serde_json::to_vec(&EmojiList::unicode()).unwrap_or_default();
    let tag: String = Sha256::digest(&json)[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let etag = HeaderValue::from_str(&format!("W/\"{tag}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("W/\"emoji\""));
    Answer {
        br: brotli(&json).map(Bytes::from),
        gzip: gzip(&json).map(Bytes::from),
        json: json.into(),
        etag,
    }
});

/// brotli's window, as a power of two: the smallest that holds `len` bytes
/// (within brotli's 10 to 24). A larger one compresses this list no
/// better, and its match finder's tables grow with it: the default (22)
/// took about 50 MB while the server started.
fn window_bits(len: usize) -> i32 {
    let bits = usize::BITS - len.max(1).saturating_sub(1).leading_zeros();
    bits.clamp(10, 24) as i32
}

fn brotli(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: window_bits(data.len()),
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).ok()?;
    Some(out)
}

fn gzip(data: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).ok()?;
    encoder.finish().ok()
}

/// Makes the answer now, on a blocking thread, so that no request waits
/// for it (about a quarter of a second, mostly brotli's).
pub fn prepare() {
    tokio::task::spawn_blocking(|| LazyLock::force(&ANSWER));
}

/// Which of brotli and gzip `accept` (an `Accept-Encoding` value)
/// accepts: a coding named, or matched by `*`, with a `q` above 0.
fn accepted(accept: &str) -> (bool, bool) {
    let mut star = false;
    let (mut br, mut gzip) = (None, None);
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("q")
                    .then(|| v.trim().parse::<f32>().ok())?
            })
            .next()
            .unwrap_or(1.0);
        let yes = q > 0.0;
        match coding.as_str() {
            "br" => br = Some(yes),
            "gzip" | "x-gzip" => gzip = Some(yes),
            "*" => star = yes,
            _ => {}
        }
    }
    (br.unwrap_or(star), gzip.unwrap_or(star))
}

/// The list, or `304 Not Modified` when the browser's copy is current.
pub async fn emoji_list(headers: HeaderMap) -> Response {
    let answer = &*ANSWER;
    let common = [
        (ETAG, answer.etag.clone()),
        (CACHE_CONTROL, HeaderValue::from_static(CACHE)),
        (VARY, HeaderValue::from_static("accept-encoding")),
    ];
    let ours = answer
        .etag
        .as_bytes()
        .strip_prefix(b"W/")
        .unwrap_or_default();
    let current = headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/").as_bytes() == ours
        });
    if current {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    let accept = headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    let (br, gzip) = accepted(&accept);
    let (body, encoding) = match (&answer.br, &answer.gzip) {
        (Some(packed), _) if br => (packed.clone(), Some("br")),
        (_, Some(packed)) if gzip => (packed.clone(), Some("gzip")),
        _ => (answer.json.clone(), None),
    };
    let mut response = (
        common,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response();
    if let Some(encoding) = encoding {
        response
            .headers_mut()
            .insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::{accepted, brotli, window_bits, EmojiList};

    #[test]
    fn the_brotli_window_just_holds_the_list() {
        assert_eq!(window_bits(0), 10);
        assert_eq!(window_bits(1024), 10);
        assert_eq!(window_bits(131_072), 17);
        assert_eq!(window_bits(131_073), 18);
        assert_eq!(window_bits(usize::MAX), 24);
        // No worse than brotli's default window on the list itself.
        let json = serde_json::to_vec(&EmojiList::unicode()).expect("the list");
        let small = brotli(&json).expect("compressed");
        let mut default = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut &json[..], &mut default, &params).expect("compressed");
        assert!(
            small.len() <= default.len(),
            "{} > {}",
            small.len(),
            default.len()
        );
    }

    #[test]
    fn brotli_and_gzip_are_accepted_as_the_header_says() {
        for (header, want) in [
            ("", (false, false)),
            ("identity", (false, false)),
            ("gzip, deflate, br, zstd", (true, true)),
            ("gzip", (false, true)),
            ("BR;q=0.5", (true, false)),
            ("br;q=0, gzip", (false, true)),
            ("br; q=0.0 ,gzip;q=0", (false, false)),
            ("*", (true, true)),
            ("*;q=0.1, br;q=0", (false, true)),
            ("x-gzip", (false, true)),
            ("br;q=junk", (true, false)),
        ] {
            assert_eq!(accepted(header), want, "{header:?}");
        }
    }

    #[test]
    fn the_copies_decode_to_the_json() {
        let answer = &*super::ANSWER;
        let mut unbrotlied = Vec::new();
        let br = answer.br.as_ref().expect("a brotli copy");
        brotli::BrotliDecompress(&mut br.as_ref(), &mut unbrotlied).expect("valid brotli");
        assert_eq!(unbrotlied, answer.json.as_ref());
        let mut ungzipped = Vec::new();
        let gz = answer.gzip.as_ref().expect("a gzip copy");
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(gz.as_ref()),
            &mut ungzipped,
        )
        .expect("valid gzip");
        assert_eq!(ungzipped, answer.json.as_ref());
        assert!(br.len() < gz.len() && gz.len() * 4 < answer.json.len());
    }
}
