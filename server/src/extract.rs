//! Typed request extractors shared by the handlers: a JSON body, a query
//! string and path parameters whose rejections are [`ApiError`]s, the client's address
//! for rate limits, and the origin links are made absolute against.

use std::net::SocketAddr;

use axum::extract::rejection::{BytesRejection, FailedToBufferBody, JsonRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::state::AppState;
use crate::transport::BodyTimeout;

/// A JSON request body: `413 too_large` past the route's body limit, `408
/// timeout` when it arrived too slowly (see [`crate::transport::body_deadline`]),
/// otherwise `400 bad_json` when it does not parse.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(e) => Err(rejected(&e)),
        }
    }
}

fn rejected(e: &JsonRejection) -> ApiError {
    if let JsonRejection::BytesRejection(BytesRejection::FailedToBufferBody(f)) = e {
        if matches!(f, FailedToBufferBody::LengthLimitError(_)) {
            return ApiError::TooLarge;
        }
        if BodyTimeout::caused(f) {
            return ApiError::Timeout;
        }
    }
    ApiError::BadJson(e.body_text())
}

/// A query string: one that does not parse is `400 bad_request` in the
/// API's JSON, like every other refusal (axum's own is plain text).
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        refuse_nul(parts.uri.query())?;
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}

/// A path's parameters: an id that is not a number is `400 bad_request`
/// in the API's JSON too.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        refuse_nul(Some(parts.uri.path()))?;
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}

/// Refuses a path or query that decodes to a NUL character (`%00`): no
/// id or parameter holds one, and PostgreSQL refuses it in text, which
/// would answer 500 where SQLite answers 404.
pub(crate) fn refuse_nul(raw: Option<&str>) -> Result<(), ApiError> {
    match raw {
        Some(raw) if has_nul(raw.as_bytes()) => Err(ApiError::BadRequest(
            "the address holds a NUL character (%00)".into(),
        )),
        _ => Ok(()),
    }
}

/// Whether percent-encoded `raw` (an address, a form) decodes to a NUL
/// character, or holds one as it is.
pub(crate) fn has_nul(raw: &[u8]) -> bool {
    raw.contains(&0) || raw.windows(3).any(|w| w.eq_ignore_ascii_case(b"%00"))
}

/// A page size (`limit=`) as the lists read it: any whole number, however
/// large, which the list then caps (a size past `u32` is not a refusal);
/// anything else is refused.
pub fn page_size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let Some(text) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(serde::de::Error::custom("limit is a whole number"));
    }
    Ok(Some(text.parse::<u32>().unwrap_or(u32::MAX)))
}

/// The client's address as rate limits see it: the socket peer, or behind
/// a trusted proxy the address the proxies vouch for (see [`crate::proxy`]).
pub struct ClientKey(pub String);

impl FromRequestParts<AppState> for ClientKey {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
        else {
            // In-process requests (tests) have no socket.
            return Ok(ClientKey("local".into()));
        };
        // Every line, in order: a proxy may add a line of its own rather
        // than append to the client's, and the walk from the right must
        // see its entry. Bytes that are not UTF-8 spoil one entry, not the
        // header (which a client would send to be counted as the proxy).
        let lines: Vec<String> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let forwarded = (!lines.is_empty()).then(|| lines.join(","));
        Ok(ClientKey(limit_key(
            state.trusted_proxies.client(peer, forwarded.as_deref()),
        )))
    }
}

/// What a client's limits are counted under: its IPv4 address, or the /64
/// of its IPv6 address, which one subscriber holds whole (a host there
/// can take a new address for every request).
pub fn limit_key(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// The origin image paths and links are resolved against: `--public-url`,
/// else the scheme and host the request came with (the scheme from
/// `X-Forwarded-Proto`, believed as [`crate::proxy::TrustedProxies::vouches_for`] says).
pub struct Origin(pub String);

impl FromRequestParts<AppState> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(url) = &state.public_url {
            return Ok(Origin(url.clone()));
        }
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
            })
            .unwrap_or("localhost");
        // With `--trust-proxy`, a peer not listed is a client: its header
        // says nothing about how the reader reached the site.
        let vouched = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .is_none_or(|c| state.trusted_proxies.vouches_for(c.0.ip()));
        let scheme = match parts
            .headers
            .get("x-forwarded-proto")
            .filter(|_| vouched)
            .and_then(|h| h.to_str().ok())
            // The first proxy's word (`https, http` through two), in any case.
            .and_then(|h| h.split(',').next())
            .map(str::trim)
        {
            Some(p) if p.eq_ignore_ascii_case("https") => "https",
            _ => "http",
        };
        Ok(Origin(format!("{scheme}://{host}")))
    }
}

/// Whether the secrets are equal, in time that does not depend on where
/// they differ (`subtle`), so timing does not leak a token.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// The token check of the token API `api` (`moderation`, `publishing`,
/// `metrics`): `429` (with `Retry-After`) for a client past
/// [`crate::ratelimit::TOKEN_FAILURES`] at that API, else `401` without `Authorization:
/// Bearer <expected>`, which counts as a failure. Each API counts apart,
/// so that a scraper with an old token does not stop a CMS on its host.
pub fn check_bearer(
    state: &AppState,
    api: &str,
    headers: &HeaderMap,
    client: &str,
    expected: &str,
) -> Result<(), ApiError> {
    let now = std::time::Instant::now();
    let client = &format!("{api} {client}");
    let limited = |wait| ApiError::RateLimited {
        wait,
        message: "Too many requests with a wrong token; try again later.",
    };
    if let Some(wait) = state.token_failures.waiting(client, now) {
        return Err(limited(wait));
    }
    if bearer_matches(headers, expected) {
        return Ok(());
    }
    state.token_failures.check(client, now).map_err(limited)?;
    Err(ApiError::Unauthorized)
}

/// Whether the request carries `Authorization: Bearer <expected>`: the one
/// comparison behind the moderation, publishing and metrics tokens.
pub fn bearer_matches(headers: &HeaderMap, expected: &str) -> bool {
    // The scheme's name is case-insensitive (RFC 9110), `bearer` too.
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map_or("", |(_, token)| token.trim_start());
    same_secret(given.as_bytes(), expected.as_bytes())
}

#[cfg(test)]
mod tests {
    use axum::http::{header, HeaderMap, HeaderValue};

    use super::{bearer_matches, same_secret};

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"abcd"));
        assert!(!same_secret(b"", b"a"));
    }

    #[test]
    fn bearer_needs_the_scheme_and_the_whole_token() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
            headers
        };
        assert!(bearer_matches(&with("Bearer s3cret"), "s3cret"));
        assert!(!bearer_matches(&with("Bearer s3cre"), "s3cret"));
        assert!(!bearer_matches(&with("s3cret"), "s3cret"));
        assert!(!bearer_matches(&with("Basic s3cret"), "s3cret"));
        assert!(!bearer_matches(&HeaderMap::new(), "s3cret"));
        // The scheme in any case, as RFC 9110 has it.
        assert!(bearer_matches(&with("bearer s3cret"), "s3cret"));
        assert!(bearer_matches(&with("BEARER  s3cret"), "s3cret"));
        assert!(!bearer_matches(&with("Bearers3cret"), "s3cret"));
    }
}
