//! `GET /api/emoji`: the emoji list the page loads when its picker or `:`
//! completion is first used (the WASM does not carry it).

use crate::helpers::spawn_app;
use huddle::protocol::emoji::{Emoji, EmojiList, EMOJI_LIST_PATH};
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
};
use reqwest::StatusCode;

async fn get(url: &str, headers: &[(reqwest::header::HeaderName, &str)]) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(format!("{url}{EMOJI_LIST_PATH}"));
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    request.send().await.expect("request")
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    response
        .headers()
        .get(&name)
        .map(|v| v.to_str().expect("ascii header").to_owned())
        .unwrap_or_else(|| panic!("no {name} header"))
}

/// Anyone gets the list, without logging in; every emoji in it is one the
/// server accepts in a reaction, and the names and shortcodes the picker
/// searches are there.
#[tokio::test]
async fn anyone_gets_the_list_of_what_reactions_accept() {
    let app = spawn_app().await;
    let response = get(&app.url(), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, CONTENT_TYPE), "application/json");
    assert_eq!(header(&response, CACHE_CONTROL), "public, max-age=86400");
    assert!(response.headers().get(CONTENT_ENCODING).is_none());
    let list: EmojiList = response.json().await.expect("an emoji list");
    assert!(list.emoji.len() > 1500, "{} emoji", list.emoji.len());
    for e in &list.emoji {
        assert!(Emoji::parse(&e.emoji).is_ok(), "{} is refused", e.emoji);
        assert!(!e.name.is_empty());
    }
    let tada = list
        .emoji
        .iter()
        .find(|e| e.emoji == "🎉")
        .expect("🎉 listed");
    assert_eq!(tada.name, "party popper");
    assert!(tada.shortcodes.iter().any(|c| c == "tada"));
}

/// A browser that has the current list is told so (304, no body); one
/// with another version gets the list.
#[tokio::test]
async fn a_current_copy_is_not_sent_again() {
    let app = spawn_app().await;
    let first = get(&app.url(), &[]).await;
    let etag = header(&first, ETAG);
    // Weak: the same list in whichever encoding the request takes.
    assert!(
        etag.starts_with("W/\"") && etag.ends_with('"') && etag.len() > 12,
        "{etag}"
    );

    let again = get(&app.url(), &[(IF_NONE_MATCH, etag.as_str())]).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&again, ETAG), etag);
    assert!(again.bytes().await.expect("body").is_empty());

    let strong = etag.trim_start_matches("W/");
    let listed = format!("\"old\", {strong}");
    let among = get(&app.url(), &[(IF_NONE_MATCH, listed.as_str())]).await;
    assert_eq!(among.status(), StatusCode::NOT_MODIFIED);

    let other = get(&app.url(), &[(IF_NONE_MATCH, "\"old\"")]).await;
    assert_eq!(other.status(), StatusCode::OK);
    assert_eq!(header(&other, ETAG), etag);
}

/// The list comes compressed to browsers that accept it (brotli when
/// offered, else gzip; each under a fifth of the JSON), the same list once
/// decoded, and says that the answer depends on what was accepted.
#[tokio::test]
async fn the_list_comes_compressed_when_the_browser_accepts_it() {
    let app = spawn_app().await;
    let plain = get(&app.url(), &[]).await.bytes().await.expect("body");

    let br = get(&app.url(), &[(ACCEPT_ENCODING, "gzip, deflate, br")]).await;
    assert_eq!(br.status(), StatusCode::OK);
    assert_eq!(header(&br, CONTENT_ENCODING), "br");
    assert_eq!(header(&br, reqwest::header::VARY), "accept-encoding");
    let packed = br.bytes().await.expect("body");
    assert!(
        packed.len() * 5 < plain.len(),
        "{} bytes of brotli for {} of JSON",
        packed.len(),
        plain.len()
    );
    let mut unpacked = Vec::new();
    brotli::BrotliDecompress(&mut packed.as_ref(), &mut unpacked).expect("valid brotli");
    assert_eq!(unpacked, plain.as_ref());

    let gz = get(&app.url(), &[(ACCEPT_ENCODING, "gzip")]).await;
    assert_eq!(header(&gz, CONTENT_ENCODING), "gzip");
    assert!(gz.bytes().await.expect("body").len() * 5 < plain.len());

    let refused = get(&app.url(), &[(ACCEPT_ENCODING, "br;q=0, gzip;q=0")]).await;
    assert!(refused.headers().get(CONTENT_ENCODING).is_none());
    assert_eq!(refused.bytes().await.expect("body"), plain);
}
