//! The built site (the WASM client, its JavaScript glue, the CSS): how pages
//! name its files and how long browsers may keep them.
//!
//! The release build (`cargo leptos build --release --precompress`, as
//! `scripts/run.sh` and `scripts/test.sh` run it) writes every file of the
//! site three times, as itself, `.br` and `.gz`, and puts a content hash in
//! the names of the client's files (`pkg/huddle.<hash>.wasm`), listed in the
//! site's `hash.txt`. Leptos's static handler (`ServeDir`) answers with the
//! `.br` or `.gz` copy the browser accepts; this module makes the pages name
//! the hashed files, says that answers vary with `Accept-Encoding`, and tells
//! browsers to keep hashed files for a year: a new build has new names, so
//! nothing stale is ever used. The rest of `/pkg/` is revalidated on each
//! use (`no-cache`, answered by `304 Not Modified` when unchanged).

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::header::{HeaderValue, CACHE_CONTROL, VARY};
use std::path::{Path, PathBuf};

/// The file, in the site's root, that lists the hashes cargo-leptos put in
/// the client's file names (`hash-file-name` in Cargo.toml points there).
pub const HASH_FILE: &str = "hash.txt";

/// Where the client's files are served from (`site-pkg-dir`).
pub const PKG_PATH: &str = "/pkg/";

/// A hashed file never changes: a year, the most HTTP caches keep anything.
const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
/// Anything else may be kept but is checked again before each use.
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

/// The hash file of the site at `site_root`, as an absolute path, when the
/// build wrote one. Leptos reads it on each page to name the files; it
/// resolves the path against the binary's directory, which an absolute path
/// overrides, so the site can live anywhere (`HUDDLE_SITE_ROOT`).
pub fn hash_file(site_root: &Path) -> Option<PathBuf> {
    let path = site_root.join(HASH_FILE);
    if !path.is_file() {
        return None;
    }
    std::path::absolute(&path).ok()
}

/// Sets `Cache-Control` on what the site's files answer: `immutable` for a
/// hashed file of the client, `no-cache` for the rest of `/pkg/`; and
/// `Vary: accept-encoding`, which `ServeDir` does not send although it picks
/// the `.br`, `.gz` or plain copy by that header (without it, a shared cache
/// could hand brotli to a browser that never offered it). Pages and API
/// answers are left as they are.
pub async fn cache_policy(request: Request, next: Next) -> Response {
    let policy = request.uri().path().strip_prefix(PKG_PATH).map(|name| {
        if is_hashed(name) {
            IMMUTABLE
        } else {
            REVALIDATE
        }
    });
    let mut response = next.run(request).await;
    if let Some(policy) = policy {
        let status = response.status();
        if status.is_success() || status == http::StatusCode::NOT_MODIFIED {
            let headers = response.headers_mut();
            headers.insert(CACHE_CONTROL, policy);
            headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
        }
    }
    response
}

/// Whether a file name under `/pkg/` carries cargo-leptos's content hash:
/// `stem.<hash>.ext`, the hash being an MD5 in unpadded base64url (22
/// characters).
fn is_hashed(name: &str) -> bool {
    let mut parts = name.rsplit('.');
    let (Some(_ext), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !stem.is_empty()
        && !name.contains('/')
        && hash.len() == 22
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_with_a_content_hash_are_immutable() {
        assert!(is_hashed("huddle.Xk3_aZ09-bcdefghijklmn.wasm"));
        assert!(is_hashed("huddle.Xk3_aZ09-bcdefghijklmn.js"));
        assert!(is_hashed("huddle.Xk3_aZ09-bcdefghijklmn.css"));
        assert!(!is_hashed("huddle.wasm"));
        assert!(!is_hashed("huddle_bg.wasm"));
        assert!(!is_hashed("huddle.css"));
        // 21 and 23 characters, a character base64url does not use.
        assert!(!is_hashed("huddle.Xk3_aZ09-bcdefghijklm.wasm"));
        assert!(!is_hashed("huddle.Xk3_aZ09-bcdefghijklmno.wasm"));
        assert!(!is_hashed("huddle.Xk3_aZ09+bcdefghijklmn.wasm"));
        assert!(!is_hashed(".Xk3_aZ09-bcdefghijklmn.wasm"));
        assert!(!is_hashed("snippets/x.Xk3_aZ09-bcdefghijklmn.js"));
    }

    #[test]
    fn a_site_without_a_hash_file_names_its_files_plainly() {
        let site = tempfile::tempdir().expect("temp dir");
        assert_eq!(hash_file(site.path()), None);
        std::fs::write(site.path().join(HASH_FILE), "js: a\n").expect("write");
        let found = hash_file(site.path()).expect("found");
        assert!(found.is_absolute(), "{found:?}");
        assert!(found.ends_with(HASH_FILE));
    }
}
