//! The socket.io path's HTTP middleware that copies each request's head.

/// HTTP middleware on the socket.io path: gives the request a head of its
/// own before the socket.io layer sees it.
///
/// hyper parses a request head without copying: the URI and every header
/// value are slices of the connection's read buffer, a 16 KiB block, and
/// axum's `OriginalUri` extension is one more slice of it. The socket.io
/// layer keeps its handshake request's head for the session's whole life
/// (`Socket::req_parts`), and so kept that block, for as long as the
/// WebSocket lived. With a copy of the few hundred bytes that matter, hyper
/// frees the block when it hands the connection over.
pub async fn own_request_head(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if !req
        .uri()
        .path()
        .starts_with(crate::protocol::SOCKET_IO_PATH)
    {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    copy_head(&mut parts);
    next.run(axum::extract::Request::from_parts(parts, body))
        .await
}

/// Replaces the URI, the header values and axum's `OriginalUri` of `parts`
/// by copies that share no memory with the buffer they were parsed from.
fn copy_head(parts: &mut http::request::Parts) {
    let copy_uri =
        |uri: &http::Uri| http::Uri::try_from(uri.to_string()).unwrap_or_else(|_| uri.clone());
    parts.uri = copy_uri(&parts.uri);
    if let Some(axum::extract::OriginalUri(original)) =
        parts.extensions.get_mut::<axum::extract::OriginalUri>()
    {
        *original = copy_uri(original);
    }
    let headers = std::mem::take(&mut parts.headers);
    parts.headers.reserve(headers.len());
    let mut name = None;
    for (key, value) in headers {
        // `None` continues the previous header's name (a repeated header).
        if key.is_some() {
            name = key;
        }
        let Some(name) = &name else { continue };
        let owned = http::HeaderValue::from_bytes(value.as_bytes()).map(|mut v| {
            v.set_sensitive(value.is_sensitive());
            v
        });
        parts.headers.append(name.clone(), owned.unwrap_or(value));
    }
}

#[cfg(test)]
mod tests {
    use super::copy_head;

    /// Whether `part` lies inside `buffer`'s memory.
    fn within(buffer: &[u8], part: &[u8]) -> bool {
        buffer.as_ptr_range().contains(&part.as_ptr())
    }

    #[test]
    fn the_copied_head_holds_no_part_of_the_read_buffer() {
        // What hyper and axum do: the URI, the original URI and the header
        // values are slices of one buffer.
        let buffer = bytes::Bytes::from(
            b"/socket.io/?EIO=4&transport=websocket|websocket|10.0.0.1|10.0.0.2|Bearer x".to_vec(),
        );
        let slice = |part: &str| {
            let at = buffer
                .windows(part.len())
                .position(|w| w == part.as_bytes())
                .unwrap_or_default();
            buffer.slice(at..at + part.len())
        };
        let uri = || {
            http::Uri::from_maybe_shared(slice("/socket.io/?EIO=4&transport=websocket"))
                .expect("a valid URI")
        };
        let value =
            |s: &str| http::HeaderValue::from_maybe_shared(slice(s)).expect("a valid value");
        let mut secret = value("Bearer x");
        secret.set_sensitive(true);
        let (mut parts, ()) = http::Request::builder()
            .uri(uri())
            .header("upgrade", value("websocket"))
            .header("x-forwarded-for", value("10.0.0.1"))
            .header("x-forwarded-for", value("10.0.0.2"))
            .header("authorization", secret)
            .extension(axum::extract::OriginalUri(uri()))
            .body(())
            .expect("a valid request")
            .into_parts();
        let original = |p: &http::request::Parts| {
            p.extensions
                .get::<axum::extract::OriginalUri>()
                .map(|o| o.0.clone())
                .expect("the original URI")
        };
        let before: Vec<_> = parts
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        assert!(parts
            .headers
            .values()
            .all(|v| within(&buffer, v.as_bytes())));
        assert!(within(&buffer, parts.uri.path().as_bytes()));
        assert!(within(&buffer, original(&parts).path().as_bytes()));

        copy_head(&mut parts);

        assert!(parts
            .headers
            .values()
            .all(|v| !within(&buffer, v.as_bytes())));
        assert!(!within(&buffer, parts.uri.path().as_bytes()));
        assert!(!within(&buffer, original(&parts).path().as_bytes()));
        // The same head: names, values in order, repeated headers, secrets.
        let after: Vec<_> = parts
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        assert_eq!(before, after);
        assert_eq!(parts.uri, "/socket.io/?EIO=4&transport=websocket");
        assert_eq!(original(&parts), "/socket.io/?EIO=4&transport=websocket");
        assert!(parts.headers["authorization"].is_sensitive());
        assert_eq!(parts.headers.get_all("x-forwarded-for").iter().count(), 2);
    }
}
