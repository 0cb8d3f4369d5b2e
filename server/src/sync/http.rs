//! The HTTP side of syncs: one client with timeouts, a cap on every
//! answer's size, and conditional GETs.

use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{StatusCode, Url};

use crate::store::SourceState;
use crate::sync::source::SyncError;

/// What a sync is allowed to cost. The defaults suit production; tests
/// shrink the timeouts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Time to open a connection.
    pub connect_timeout: Duration,
    /// Time for a whole request, body included.
    pub timeout: Duration,
    /// Largest answer read, in bytes; a larger one fails the sync.
    pub max_body: usize,
    /// Most pages read per listing (WordPress pages, JSON Feed `next_url`).
    pub max_pages: u32,
    /// Most items taken from one sync.
    pub max_items: usize,
    /// Time for a whole sync, every request of it: past it the sync fails
    /// (what it stored stays), so that no sync of a source still runs
    /// when the next one may start (`crate::jobs::sync_if_due`).
    pub max_sync: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body: 20 * 1024 * 1024,
            max_pages: 100,
            max_items: 10_000,
            max_sync: Duration::from_secs(20 * 60),
        }
    }
}

/// The HTTP client of syncs. Cheap to clone (one connection pool).
#[derive(Debug, Clone)]
pub struct SyncClient {
    http: reqwest::Client,
    limits: Limits,
}

/// One answer, read whole (within [`Limits::max_body`]).
#[derive(Debug)]
pub(crate) struct Fetched {
    /// 304 to a conditional GET: `body` is empty.
    pub not_modified: bool,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Fetched {
    /// A header as text, if present and readable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl SyncClient {
    /// A client within `limits`.
    pub fn new(limits: Limits) -> Result<SyncClient, SyncError> {
        let http = reqwest::Client::builder()
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.timeout)
            .redirect(reqwest::redirect::Policy::custom(follow_redirect))
            .user_agent(concat!(
                "khabar-server/",
                env!("CARGO_PKG_VERSION"),
                " (article sync)"
            ))
            .build()
            .map_err(|e| SyncError::Client(e.to_string()))?;
        Ok(SyncClient { http, limits })
    }

    /// Its limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// GETs `url`, conditionally when `validators` holds an ETag or a
    /// Last-Modified; anything but 2xx (or that 304) is an error.
    pub(crate) async fn get(
        &self,
        url: &Url,
        validators: Option<&SourceState>,
    ) -> Result<Fetched, SyncError> {
        let shown = url.as_str().to_owned();
        let fetch_error = |e: reqwest::Error| SyncError::Fetch {
            url: shown.clone(),
            timed_out: e.is_timeout(),
            // The error names the URL already: once is enough.
            reason: describe(&e.without_url(), &self.limits),
        };
        let mut req = self.http.get(url.clone()).header(
            header::ACCEPT,
            "application/json, application/feed+json, application/rss+xml, \
             application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
        );
        if let Some(state) = validators {
            let value =
                |v: &Option<String>| v.as_deref().and_then(|v| HeaderValue::from_str(v).ok());
            if let Some(etag) = value(&state.etag) {
                req = req.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(date) = value(&state.last_modified) {
                req = req.header(header::IF_MODIFIED_SINCE, date);
            }
        }
        let mut res = req.send().await.map_err(fetch_error)?;
        let status = res.status();
        if status == StatusCode::NOT_MODIFIED && validators.is_some() {
            return Ok(Fetched {
                not_modified: true,
                headers: res.headers().clone(),
                body: Vec::new(),
            });
        }
        if !status.is_success() {
            // A refusal's start only: enough for a site's error code
            // (WordPress names the parameter it refused). A server's error
            // page is not waited for.
            let mut said = Vec::new();
            if status.is_client_error() {
                while let Ok(Some(chunk)) = res.chunk().await {
                    said.extend_from_slice(&chunk);
                    if said.len() >= REFUSAL_READ {
                        break;
                    }
                }
            }
            said.truncate(REFUSAL_READ);
            return Err(SyncError::Status {
                url: shown,
                status: status.as_u16(),
                said: String::from_utf8_lossy(&said).into_owned(),
            });
        }
        let limit = self.limits.max_body;
        let too_large = || SyncError::TooLarge {
            url: url.as_str().to_owned(),
            limit,
        };
        // Refused before reading when announced, counted while reading when
        // not (chunked or lying).
        if res
            .content_length()
            .is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX))
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(fetch_error)? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            not_modified: false,
            headers: res.headers().clone(),
            body,
        })
    }
}

/// Most redirects followed for one request.
const MAX_REDIRECTS: usize = 5;

/// How much of an error answer's body is read and kept.
const REFUSAL_READ: usize = 4096;

/// Follows a redirect only within the source's own site: the same host
/// (give or take one `www.`), the same scheme or `http` moved to `https`,
/// and the same explicit port or none on either side. A source that sends the
/// sync to another machine (one on the server's own network, say) is
/// refused, with the address, so the operator can name it if it is right.
fn follow_redirect(attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
    let previous = attempt.previous();
    if previous.len() > MAX_REDIRECTS {
        return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
    }
    match previous.last() {
        Some(from) if same_site(from, attempt.url()) => attempt.follow(),
        Some(_) => {
            let to = attempt.url().as_str().to_owned();
            attempt.error(format!(
                "redirected to another server ({to}); if that is the source's new address, \
                 sync from it instead"
            ))
        }
        // Not known where it came from: not followed.
        None => attempt.error("a redirect from an unknown address"),
    }
}

/// Whether a redirect from `from` to `to` stays on the same site (also
/// what a feed's `next_url` may point at).
pub(crate) fn same_site(from: &Url, to: &Url) -> bool {
    // `Url` has lowercased the host and turned IDNA into ASCII already.
    fn bare(u: &Url) -> Option<&str> {
        u.host_str().map(|h| h.strip_prefix("www.").unwrap_or(h))
    }
    let scheme_ok =
        from.scheme() == to.scheme() || (from.scheme() == "http" && to.scheme() == "https");
    // An explicit port must stay; the usual one may change with the scheme.
    let port_ok = from.port() == to.port();
    scheme_ok && port_ok && bare(from).is_some_and(|h| bare(to) == Some(h))
}

/// A reqwest error in an operator's words.
fn describe(e: &reqwest::Error, limits: &Limits) -> String {
    if e.is_timeout() {
        format!(
            "timed out (connect {} s, whole request {} s)",
            limits.connect_timeout.as_secs_f32(),
            limits.timeout.as_secs_f32()
        )
    } else {
        // reqwest's own message is often just "error sending request": the
        // causes say what happened.
        let mut text = e.to_string();
        let mut cause = std::error::Error::source(e);
        while let Some(c) = cause {
            text.push_str(": ");
            text.push_str(&c.to_string());
            cause = c.source();
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn redirects_stay_on_the_sources_site() {
        let from = url("http://news.example/wp-json/wp/v2/posts");
        for ok in [
            "http://news.example/index.php?rest_route=/wp/v2/posts",
            "https://news.example/wp-json/wp/v2/posts",
            "https://www.news.example/wp-json/wp/v2/posts",
            "http://user@news.example/feed",
        ] {
            assert!(same_site(&from, &url(ok)), "{ok}");
        }
        for refused in [
            "http://127.0.0.1/admin",
            "http://news.example:8080/feed",
            "http://internal.news.example/feed",
            "http://news.example.evil.test/feed",
            "ftp://news.example/feed",
            "http://www.www.news.example/feed",
            "http://[::1]/feed",
        ] {
            assert!(!same_site(&from, &url(refused)), "{refused}");
        }
        // Never back from https to http.
        assert!(!same_site(
            &url("https://news.example/feed"),
            &url("http://news.example/feed")
        ));
        assert!(same_site(
            &url("http://[::1]:8080/feed"),
            &url("http://[::1]:8080/rss")
        ));
        // A source on an explicit port keeps it.
        assert!(same_site(
            &url("http://127.0.0.1:8081/feed"),
            &url("http://127.0.0.1:8081/rss")
        ));
    }
}
