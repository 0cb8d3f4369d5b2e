//! ETag / If-None-Match for API reads: a reader's browser revalidates
//! instead of downloading an unchanged article again.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Largest response body the middleware hashes; larger ones pass untagged.
const MAX_TAGGED: usize = 8 * 1024 * 1024;

/// 64-bit FNV-1a: fast and stable across builds, which is all a validator needs.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Whether an `If-None-Match` value names `etag` (weak comparison).
pub fn matches(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    if_none_match.trim() == "*" || if_none_match.split(',').any(|t| bare(t) == bare(etag))
}

/// The `Cache-Control` of API reads. With `cdn_seconds` 0 (the default):
/// `no-cache` — browsers keep a copy but ask every time (news changes).
/// Otherwise a shared cache (a CDN in front of the server) may answer for
/// `cdn_seconds` and serve the old copy while it revalidates for five times
/// as long, while browsers still ask every time.
pub fn cache_control(cdn_seconds: u32) -> HeaderValue {
    if cdn_seconds == 0 {
        return HeaderValue::from_static("no-cache");
    }
    let value = format!(
        "public, max-age=0, s-maxage={cdn_seconds}, stale-while-revalidate={}",
        u64::from(cdn_seconds) * 5
    );
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("no-cache"))
}

/// What an answer to a request with credentials (the moderation and
/// publishing APIs' bearer token) may be kept as: nowhere. Such answers
/// hold what readers must not see (pending comments, their e-mail
/// addresses), and a CDN that caches `/api/*` must never store one and
/// hand it to the next anonymous request, whatever `--cdn-max-age` says.
const PRIVATE: HeaderValue = HeaderValue::from_static("private, no-store");

/// Adds a weak ETag and `policy` as `Cache-Control` to successful GET
/// (and HEAD) responses, and answers 304 when the client already has that
/// version. A 404 or 410 gets `policy` too: a shared cache keeps a page
/// that is not there yet no longer than one that is (its own default may
/// be an hour). Any other error is `no-store`. An answer to a request
/// that carries `Authorization` is `private, no-store` instead. A body
/// over [`MAX_TAGGED`] (or of unknown length) passes untagged, with the
/// same `Cache-Control`.
pub async fn etag(State(policy): State<HeaderValue>, req: Request, next: Next) -> Response {
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let policy = if req.headers().contains_key(header::AUTHORIZATION) {
        PRIVATE
    } else {
        policy
    };
    let is_read = matches!(*req.method(), Method::GET | Method::HEAD);
    let mut res = next.run(req).await;
    if !is_read {
        return res;
    }
    if res.status() != StatusCode::OK {
        let kept = match res.status() {
            StatusCode::NOT_FOUND | StatusCode::GONE => policy,
            _ if policy == PRIVATE => PRIVATE,
            _ => HeaderValue::from_static("no-store"),
        };
        res.headers_mut()
            .entry(header::CACHE_CONTROL)
            .or_insert(kept);
        return res;
    }
    let (mut parts, body) = res.into_parts();
    parts.headers.insert(header::CACHE_CONTROL, policy);
    // Reading a larger body whole would fail half-way, with its first part
    // already taken: it goes out as it is, without a validator.
    let size = axum::body::HttpBody::size_hint(&body).upper();
    if size.is_none_or(|n| n > MAX_TAGGED as u64) {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = to_bytes(body, MAX_TAGGED).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let tag = format!("W/\"{:016x}\"", fnv1a(&bytes));
    if let Ok(value) = HeaderValue::from_str(&tag) {
        parts.headers.insert(header::ETAG, value);
    }
    if if_none_match.is_some_and(|inm| matches(&inm, &tag)) {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.remove(header::CONTENT_TYPE);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators_compare_weakly_and_in_lists() {
        assert!(matches("W/\"abc\"", "W/\"abc\""));
        assert!(matches("\"abc\"", "W/\"abc\""));
        assert!(matches("\"x\", W/\"abc\"", "W/\"abc\""));
        assert!(matches("*", "W/\"abc\""));
        assert!(!matches("\"abd\"", "W/\"abc\""));
        assert_ne!(fnv1a(b"a"), fnv1a(b"b"));
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(cache_control(0), "no-cache");
        assert_eq!(
            cache_control(10),
            "public, max-age=0, s-maxage=10, stale-while-revalidate=50"
        );
    }
}
