//! The built site as a browser gets it: pages name the client's files by
//! their content hash, the files come precompressed (brotli, gzip) when the
//! browser accepts it, and hashed files may be kept for a year.

use crate::helpers::{spawn_app_with, TestApp};
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, VARY};
use std::path::Path;

/// cargo-leptos's hash: an MD5 in unpadded base64url, 22 characters.
const HASH: &str = "q1w2E3r4T5y6U7i8O9p0_-";

/// A site as `cargo leptos build --release --precompress` lays it out, each
/// copy with contents of its own so a test can tell which one came.
fn write_site(root: &Path, hashed: bool) {
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).expect("pkg dir");
    let suffix = if hashed {
        format!(".{HASH}")
    } else {
        String::new()
    };
    for ext in ["js", "wasm", "css"] {
        let name = format!("huddle{suffix}.{ext}");
        std::fs::write(pkg.join(&name), format!("plain {ext}")).expect("write");
        std::fs::write(pkg.join(format!("{name}.br")), format!("brotli {ext}")).expect("write");
        std::fs::write(pkg.join(format!("{name}.gz")), format!("gzip {ext}")).expect("write");
    }
    std::fs::write(pkg.join("notes.txt"), "not hashed").expect("write");
    if hashed {
        std::fs::write(
            root.join("hash.txt"),
            format!("js: {HASH}\nwasm: {HASH}\ncss: {HASH}\n"),
        )
        .expect("write hash.txt");
    }
}

async fn app_on_site(hashed: bool) -> (TestApp, tempfile::TempDir) {
    let site = tempfile::tempdir().expect("temp dir");
    write_site(site.path(), hashed);
    let root = site.path().to_path_buf();
    let app = spawn_app_with(move |config| config.site_root = Some(root)).await;
    (app, site)
}

async fn get(app: &TestApp, path: &str, accept: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(format!("{}{path}", app.url()));
    if let Some(accept) = accept {
        request = request.header(ACCEPT_ENCODING, accept);
    }
    request.send().await.expect("request")
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("ascii header").to_owned())
}

#[tokio::test]
async fn pages_name_the_hashed_files_of_the_build() {
    let (app, _site) = app_on_site(true).await;
    let page = get(&app, "/", None).await.text().await.expect("page");
    assert!(page.contains(&format!("/pkg/huddle.{HASH}.js")), "{page}");
    assert!(page.contains(&format!("/pkg/huddle.{HASH}.wasm")), "{page}");
    assert!(
        page.contains(&format!("href=\"/pkg/huddle.{HASH}.css\"")),
        "{page}"
    );
    assert!(!page.contains("/pkg/huddle.css"), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn a_site_built_without_hashes_is_named_plainly_and_revalidated() {
    let (app, _site) = app_on_site(false).await;
    let page = get(&app, "/", None).await.text().await.expect("page");
    assert!(page.contains("href=\"/pkg/huddle.css\""), "{page}");
    assert!(page.contains("/pkg/huddle.js"), "{page}");

    let css = get(&app, "/pkg/huddle.css", Some("gzip")).await;
    assert_eq!(css.status(), 200);
    assert_eq!(header(&css, CACHE_CONTROL).as_deref(), Some("no-cache"));
    assert_eq!(css.text().await.expect("body"), "gzip css");
    app.stop().await;
}

#[tokio::test]
async fn hashed_files_come_compressed_as_accepted_and_are_kept_for_a_year() {
    let (app, _site) = app_on_site(true).await;
    let wasm = format!("/pkg/huddle.{HASH}.wasm");
    let year = "public, max-age=31536000, immutable";

    let br = get(&app, &wasm, Some("gzip, deflate, br, zstd")).await;
    assert_eq!(br.status(), 200);
    assert_eq!(header(&br, CONTENT_ENCODING).as_deref(), Some("br"));
    assert_eq!(header(&br, CACHE_CONTROL).as_deref(), Some(year));
    assert_eq!(header(&br, VARY).as_deref(), Some("accept-encoding"));
    assert_eq!(
        header(&br, reqwest::header::CONTENT_TYPE).as_deref(),
        Some("application/wasm")
    );
    assert_eq!(br.text().await.expect("body"), "brotli wasm");

    let gz = get(&app, &wasm, Some("gzip")).await;
    assert_eq!(header(&gz, CONTENT_ENCODING).as_deref(), Some("gzip"));
    assert_eq!(header(&gz, CACHE_CONTROL).as_deref(), Some(year));
    assert_eq!(gz.text().await.expect("body"), "gzip wasm");

    let plain = get(&app, &wasm, None).await;
    assert_eq!(header(&plain, CONTENT_ENCODING), None);
    assert_eq!(header(&plain, CACHE_CONTROL).as_deref(), Some(year));
    assert_eq!(plain.text().await.expect("body"), "plain wasm");

    // Unhashed files under /pkg/ are checked again before each use.
    let notes = get(&app, "/pkg/notes.txt", None).await;
    assert_eq!(notes.status(), 200);
    assert_eq!(header(&notes, CACHE_CONTROL).as_deref(), Some("no-cache"));

    // A hashed name that does not exist is not cached for a year.
    let missing = get(&app, "/pkg/other.q1w2E3r4T5y6U7i8O9p0_-.js", None).await;
    assert_eq!(missing.status(), 404);
    assert_ne!(header(&missing, CACHE_CONTROL).as_deref(), Some(year));
    app.stop().await;
}
