//! The backend client: the endpoints of `docs/api.md`, fetched through
//! [`crate::http`] and decoded into model types.

use wasm_bindgen::JsValue;

use crate::error::WidgetError;
use crate::http::{self, Cancel};
use crate::json::{FromJson, ToJson};
use crate::model::{
    Article, ArticleSummary, CommentPage, NewComment, Page, Posted, SendToFriend, SiteConfig,
};

/// The API base, e.g. `https://news.example/api/v1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiClient {
    base: String,
}

/// Filters of the article list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Page size.
    pub limit: u32,
    /// Only this section.
    pub section: Option<String>,
    /// Only articles in this language.
    pub lang: Option<String>,
    /// Continue after this cursor.
    pub cursor: Option<String>,
}

/// Whose comments: an article's, by its id, or a page's, by its URL
/// (`/comments?url=`, where the first comment creates the thread).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Thread {
    /// `/articles/{id}/comments`.
    Id(String),
    /// `/comments?url=…`.
    Url(String),
}

impl Thread {
    /// The thread a comment section shows under `options`.
    pub fn of(options: &crate::config::Options) -> Thread {
        match &options.article_url {
            Some(url) => Thread::Url(url.clone()),
            None => Thread::Id(options.article_id.clone()),
        }
    }

    /// What drafts and pending comments are stored under.
    pub fn key(&self) -> &str {
        match self {
            Thread::Id(s) | Thread::Url(s) => s,
        }
    }
}

impl ApiClient {
    /// A client for the API under `base` (no trailing slash).
    pub fn new(base: &str) -> ApiClient {
        ApiClient {
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// `GET {base}/articles/{id}`.
    pub fn article_url(&self, id: &str) -> String {
        format!("{}/articles/{}", self.base, encode(id))
    }

    /// `GET {base}/articles?limit=…&section=…&lang=…&cursor=…`.
    pub fn articles_url(&self, q: &ListQuery) -> String {
        let mut url = format!("{}/articles?limit={}", self.base, q.limit);
        for (key, value) in [
            ("section", &q.section),
            ("lang", &q.lang),
            ("cursor", &q.cursor),
        ] {
            if let Some(v) = value {
                url.push('&');
                url.push_str(key);
                url.push('=');
                url.push_str(&encode(v));
            }
        }
        url
    }

    /// Where a thread's comments are read and written, without the query's
    /// end: `{base}/articles/{id}/comments?` or `{base}/comments?url=…&`.
    fn thread_url(&self, thread: &Thread) -> String {
        match thread {
            Thread::Id(id) => format!("{}/articles/{}/comments?", self.base, encode(id)),
            Thread::Url(url) => format!("{}/comments?url={}&", self.base, encode(url)),
        }
    }

    /// `GET {base}/articles/{id}/comments?limit=…&replies=…&cursor=…` (or
    /// `{base}/comments?url=…&limit=…` for a page by URL), with the first
    /// [`khabar_rules::REPLIES_ASKED`] replies of each comment (the loader
    /// asks for the first page early by the same URL: `js/index.js`).
    pub fn comments_url(&self, thread: &Thread, limit: u32, cursor: Option<&str>) -> String {
        let mut url = format!(
            "{}limit={limit}&replies={}",
            self.thread_url(thread),
            khabar_rules::REPLIES_ASKED
        );
        if let Some(c) = cursor {
            url.push_str("&cursor=");
            url.push_str(&encode(c));
        }
        url
    }

    /// `GET {base}/comments/{parent}/replies?cursor=…`: the replies to
    /// comment `parent` after `cursor` (its `replies_next`, then the
    /// page's `next`).
    pub fn replies_url(&self, parent: &str, cursor: &str) -> String {
        format!(
            "{}/comments/{parent}/replies?cursor={}",
            self.base,
            encode(cursor)
        )
    }

    /// Fetches a page of comments (of a thread, or a comment's replies:
    /// the same `items` and `next`) and calls `then` with it.
    pub fn comments(
        &self,
        url: &str,
        cancel: &Cancel,
        then: impl FnOnce(Result<CommentPage, WidgetError>) + 'static,
    ) {
        get(url, cancel, then);
    }

    /// `POST` URL of a new comment; `lang` names a thread created by it.
    pub fn post_comment_url(&self, thread: &Thread, lang: &str) -> String {
        let url = self.thread_url(thread);
        match thread {
            Thread::Id(_) => url.trim_end_matches('?').to_owned(),
            Thread::Url(_) => format!("{url}lang={}", encode(lang)),
        }
    }

    /// Sends a new comment and calls `then` with the backend's answer.
    pub fn post_comment(
        &self,
        thread: &Thread,
        lang: &str,
        comment: &NewComment,
        cancel: &Cancel,
        then: impl FnOnce(Result<Posted, WidgetError>) + 'static,
    ) {
        let url = self.post_comment_url(thread, lang);
        http::post_json(&url, &comment.to_json(), cancel, move |answer| {
            then(answer.and_then(decode))
        });
    }

    /// Fetches the backend's capabilities (`GET {base}/config`) for `then`.
    pub fn config(
        &self,
        cancel: &Cancel,
        then: impl FnOnce(Result<SiteConfig, WidgetError>) + 'static,
    ) {
        get(&format!("{}/config", self.base), cancel, then);
    }

    /// Asks the backend to e-mail the article; `then` learns how it went.
    pub fn send_to_friend(
        &self,
        article_id: &str,
        request: &SendToFriend,
        cancel: &Cancel,
        then: impl FnOnce(Result<(), WidgetError>) + 'static,
    ) {
        let url = format!("{}/articles/{}/send", self.base, encode(article_id));
        http::post_json(&url, &request.to_json(), cancel, move |answer| {
            then(answer.map(|_| ()))
        });
    }

    /// The site's RSS feed when `/config` is not known yet: the API's
    /// origin + `/feed.xml`.
    pub fn default_feed(&self) -> String {
        // An API named by its path (`data-api="/api/v1"`) is on the page's
        // origin, and so is its feed.
        // (`starts_with`, not a substring search: that costs the wasm 5 KB.)
        if self.base.starts_with('/') && !self.base.starts_with("//") {
            return "/feed.xml".to_owned();
        }
        // The third '/' ("scheme://host/") ends the origin.
        let end = self
            .base
            .char_indices()
            .filter(|(_, c)| *c == '/')
            .nth(2)
            .map_or(self.base.len(), |(i, _)| i);
        let origin = self.base.get(..end).unwrap_or(&self.base);
        format!("{origin}/feed.xml")
    }

    /// Fetches one article and calls `then` with it.
    pub fn article(
        &self,
        id: &str,
        cancel: &Cancel,
        then: impl FnOnce(Result<Article, WidgetError>) + 'static,
    ) {
        get(&self.article_url(id), cancel, then);
    }

    /// Fetches one page of the article list and calls `then` with it.
    pub fn articles(
        &self,
        q: &ListQuery,
        cancel: &Cancel,
        then: impl FnOnce(Result<Page<ArticleSummary>, WidgetError>) + 'static,
    ) {
        get(&self.articles_url(q), cancel, then);
    }
}

/// Percent-encodes a path segment or query value (RFC 3986 unreserved
/// characters stay as they are).
pub fn encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
    out
}

/// GETs `url` and calls `then` with the answer read as a `T`.
fn get<T: FromJson>(
    url: &str,
    cancel: &Cancel,
    then: impl FnOnce(Result<T, WidgetError>) + 'static,
) {
    http::get_json(url, cancel, move |answer| then(answer.and_then(decode)));
}

/// Converts parsed JSON into a model type, naming what did not fit.
pub fn decode<T: FromJson>(value: JsValue) -> Result<T, WidgetError> {
    T::from_json(&value, "").map_err(|e| WidgetError::BadResponse(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_encoded_as_one_path_segment() {
        let api = ApiClient::new("https://n.test/api/v1/");
        assert_eq!(
            api.article_url("2017-01-01-astana"),
            "https://n.test/api/v1/articles/2017-01-01-astana"
        );
        assert_eq!(
            api.article_url("../admin?x=1"),
            "https://n.test/api/v1/articles/..%2Fadmin%3Fx%3D1"
        );
        assert_eq!(encode("خبر"), "%D8%AE%D8%A8%D8%B1");
    }

    #[test]
    fn threads_by_url_use_the_url_endpoints() {
        let api = ApiClient::new("https://n.test/api/v1");
        let by_id = Thread::Id("a 1".into());
        let by_url = Thread::Url("https://site.test/a?b=1".into());
        assert_eq!(
            api.comments_url(&by_id, 20, Some("5")),
            "https://n.test/api/v1/articles/a%201/comments?limit=20&replies=20&cursor=5"
        );
        assert_eq!(
            api.comments_url(&by_url, 20, None),
            "https://n.test/api/v1/comments?url=https%3A%2F%2Fsite.test%2Fa%3Fb%3D1&limit=20&replies=20"
        );
        assert_eq!(
            api.post_comment_url(&by_id, "ar"),
            "https://n.test/api/v1/articles/a%201/comments"
        );
        assert_eq!(
            api.post_comment_url(&by_url, "en"),
            "https://n.test/api/v1/comments?url=https%3A%2F%2Fsite.test%2Fa%3Fb%3D1&lang=en"
        );
        assert_eq!(by_url.key(), "https://site.test/a?b=1");
    }

    #[test]
    fn the_default_feed_lives_at_the_api_origin() {
        assert_eq!(
            ApiClient::new("https://n.test/api/v1").default_feed(),
            "https://n.test/feed.xml"
        );
        assert_eq!(
            ApiClient::new("http://127.0.0.1:9/x").default_feed(),
            "http://127.0.0.1:9/feed.xml"
        );
        // An API named by its path is on the page's origin.
        assert_eq!(ApiClient::new("/api/v1").default_feed(), "/feed.xml");
        assert_eq!(
            ApiClient::new("//api.example/v1").default_feed(),
            "//api.example/feed.xml"
        );
    }

    #[test]
    fn list_urls_carry_only_the_given_filters() {
        let api = ApiClient::new("https://n.test/api/v1");
        let mut q = ListQuery {
            limit: 5,
            ..ListQuery::default()
        };
        assert_eq!(
            api.articles_url(&q),
            "https://n.test/api/v1/articles?limit=5"
        );
        q.section = Some("sports & more".into());
        q.lang = Some("ar".into());
        q.cursor = Some("abc=".into());
        assert_eq!(
            api.articles_url(&q),
            "https://n.test/api/v1/articles?limit=5&section=sports%20%26%20more&lang=ar&cursor=abc%3D"
        );
    }
}
