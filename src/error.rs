//! The widget's one error type: what went wrong, a code for the host page,
//! and a sentence for the reader in their language.

use crate::config::ConfigError;
use crate::i18n::{Catalog, Unavailable};

/// Why a widget could not show its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WidgetError {
    /// The embed code is wrong.
    Config(ConfigError),
    /// The backend answered 404.
    NotFound,
    /// The request never got an answer (offline, DNS, CORS, reset).
    Network,
    /// No answer within the time limit.
    Timeout,
    /// The backend answered with another non-success status.
    Server {
        /// The HTTP status.
        status: u16,
    },
    /// The answer was not the JSON the contract promises.
    BadResponse(String),
    /// A DOM call failed while rendering.
    Dom(String),
    /// The request was cancelled because the widget went away.
    Aborted,
    /// The server refused fields of a comment (422): `(field, code)` pairs.
    Invalid(Vec<(String, String)>),
    /// Too many requests (429); try again after this many seconds.
    RateLimited {
        /// Seconds from `Retry-After`.
        retry_after: u32,
    },
    /// The article takes no more comments (403).
    Closed,
    /// The backend refuses this embed (403 `origin_not_allowed` or
    /// `url_not_allowed`): the page or its URL is not the site's. Only the
    /// site owner can fix it, so nothing retries.
    NotAllowed(String),
    /// A part of the widget fetched apart (the comments module, the
    /// language catalog; named here) could not be fetched or started.
    Load(&'static str),
}

impl From<Unavailable> for WidgetError {
    fn from(_: Unavailable) -> Self {
        WidgetError::Load("the language catalog")
    }
}

impl WidgetError {
    /// A stable machine-readable code, sent in `khabar:error` events.
    pub fn code(&self) -> &'static str {
        match self {
            WidgetError::Config(_) => "config",
            WidgetError::NotFound => "not-found",
            WidgetError::Network => "network",
            WidgetError::Timeout => "timeout",
            WidgetError::Server { .. } => "server",
            WidgetError::BadResponse(_) => "bad-response",
            WidgetError::Dom(_) => "dom",
            WidgetError::Aborted => "aborted",
            WidgetError::Invalid(_) => "invalid",
            WidgetError::RateLimited { .. } => "rate-limited",
            WidgetError::Closed => "comments-closed",
            WidgetError::NotAllowed(_) => "not-allowed",
            WidgetError::Load(_) => "load",
        }
    }

    /// The sentence shown to the reader.
    pub fn message(&self, catalog: &'static Catalog) -> &'static str {
        match self {
            WidgetError::Config(_) | WidgetError::NotAllowed(_) => catalog.error_config(),
            WidgetError::NotFound => catalog.error_not_found(),
            WidgetError::Network | WidgetError::Aborted | WidgetError::Load(_) => {
                catalog.error_network()
            }
            WidgetError::Timeout => catalog.error_timeout(),
            WidgetError::Server { .. } => catalog.error_server(),
            WidgetError::BadResponse(_) => catalog.error_bad_response(),
            WidgetError::Dom(_) => catalog.error_crash(),
            WidgetError::Invalid(_) => catalog.fix_fields(),
            WidgetError::RateLimited { .. } => catalog.rate_limited(),
            WidgetError::Closed => catalog.comments_closed(),
        }
    }

    /// Whether trying the same request again can help.
    pub fn retryable(&self) -> bool {
        !matches!(
            self,
            WidgetError::Config(_)
                | WidgetError::Invalid(_)
                | WidgetError::Closed
                | WidgetError::NotAllowed(_)
        )
    }

    /// Whether sending the same comment again later can succeed without the
    /// reader changing anything (network, timeout, 408, 5xx, 429). Another
    /// 4xx (a 400, a 409, a 413) answers the same the next time.
    pub fn transient(&self) -> bool {
        match self {
            WidgetError::Network | WidgetError::Timeout | WidgetError::RateLimited { .. } => true,
            WidgetError::Server { status } => *status >= 500 || *status == 408,
            _ => false,
        }
    }

    /// Reads a failure as the loader's `request` (`js/request.js`) names
    /// it: a code, with a detail after `:` for some (a refusal's fields as
    /// `field=code` words); anything else is a network failure.
    pub fn from_code_string(s: &str) -> WidgetError {
        let (code, detail) = s.split_once(':').unwrap_or((s, ""));
        match code {
            "not-found" => WidgetError::NotFound,
            "timeout" => WidgetError::Timeout,
            "aborted" => WidgetError::Aborted,
            "server" => WidgetError::Server {
                status: detail.parse().unwrap_or(500),
            },
            "bad-response" => WidgetError::BadResponse(detail.to_owned()),
            "not-allowed" => WidgetError::NotAllowed(detail.to_owned()),
            "rate-limited" => WidgetError::RateLimited {
                retry_after: detail.parse().unwrap_or(30),
            },
            "comments-closed" => WidgetError::Closed,
            "refused" => WidgetError::Invalid(
                detail
                    .split(' ')
                    .filter_map(|pair| pair.split_once('='))
                    .map(|(field, code)| (field.to_owned(), code.to_owned()))
                    .collect(),
            ),
            _ => WidgetError::Network,
        }
    }
}

impl std::fmt::Display for WidgetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WidgetError::Config(e) => write!(f, "embed code: {e}"),
            WidgetError::NotFound => write!(f, "not found (404)"),
            WidgetError::Network => write!(f, "network error"),
            WidgetError::Timeout => write!(f, "request timed out"),
            WidgetError::Server { status } => write!(f, "server error (HTTP {status})"),
            WidgetError::BadResponse(why) => write!(f, "unexpected response: {why}"),
            WidgetError::Dom(why) => write!(f, "rendering failed: {why}"),
            WidgetError::Aborted => write!(f, "request cancelled"),
            WidgetError::Invalid(fields) => {
                write!(f, "refused fields:")?;
                for (field, code) in fields {
                    write!(f, " {field}={code}")?;
                }
                Ok(())
            }
            WidgetError::RateLimited { retry_after } => {
                write!(f, "rate limited, retry after {retry_after} s")
            }
            WidgetError::Closed => write!(f, "comments are closed"),
            WidgetError::NotAllowed(code) => write!(
                f,
                "embed refused ({code}): the page's origin or URL is not the backend's --site"
            ),
            WidgetError::Load(what) => write!(f, "{what} could not load"),
        }
    }
}

impl std::error::Error for WidgetError {}

impl From<ConfigError> for WidgetError {
    fn from(e: ConfigError) -> Self {
        WidgetError::Config(e)
    }
}

impl From<WidgetError> for wasm_bindgen::JsValue {
    fn from(e: WidgetError) -> Self {
        let err = js_sys::Error::new(&e.to_string());
        err.set_name("KhabarError");
        // A plain property keeps the code readable from JS without parsing.
        crate::plain::set_field(&err, "code", &e.code().into());
        err.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn every_error_has_a_code_and_a_sentence_in_every_language() {
        let all = [
            WidgetError::Config(ConfigError::MissingKind),
            WidgetError::NotFound,
            WidgetError::Network,
            WidgetError::Timeout,
            WidgetError::Server { status: 500 },
            WidgetError::BadResponse("x".into()),
            WidgetError::Dom("x".into()),
        ];
        for lang in Lang::ALL {
            for e in &all {
                assert!(!e.code().is_empty());
                assert!(!e.message(lang.catalog()).is_empty());
            }
        }
        assert_eq!(
            WidgetError::NotFound.message(Lang::Ar.catalog()),
            Lang::Ar.catalog().error_not_found()
        );
    }

    #[test]
    fn the_loaders_failure_codes_read_as_errors() {
        for (code, e) in [
            ("not-found", WidgetError::NotFound),
            ("network", WidgetError::Network),
            ("timeout", WidgetError::Timeout),
            ("aborted", WidgetError::Aborted),
            ("server:503", WidgetError::Server { status: 503 }),
            (
                "bad-response:not JSON: Unexpected token",
                WidgetError::BadResponse("not JSON: Unexpected token".into()),
            ),
            (
                "not-allowed:origin_not_allowed",
                WidgetError::NotAllowed("origin_not_allowed".into()),
            ),
            (
                "rate-limited:60",
                WidgetError::RateLimited { retry_after: 60 },
            ),
            ("comments-closed", WidgetError::Closed),
            (
                "refused:author=required body=too_short",
                WidgetError::Invalid(vec![
                    ("author".into(), "required".into()),
                    ("body".into(), "too_short".into()),
                ]),
            ),
            ("refused:", WidgetError::Invalid(Vec::new())),
            ("TypeError", WidgetError::Network),
        ] {
            assert_eq!(WidgetError::from_code_string(code), e, "{code}");
        }
    }

    #[test]
    fn only_config_errors_are_final() {
        assert!(!WidgetError::Config(ConfigError::MissingArticleId).retryable());
        assert!(WidgetError::Timeout.retryable());
        assert!(WidgetError::NotFound.retryable());
        let refused = WidgetError::NotAllowed("url_not_allowed".into());
        assert!(!refused.retryable() && !refused.transient());
        // A comment is sent again by itself only where waiting can help.
        for (status, again) in [
            (500, true),
            (503, true),
            (408, true),
            (400, false),
            (409, false),
            (413, false),
        ] {
            assert_eq!(
                WidgetError::Server { status }.transient(),
                again,
                "{status}"
            );
        }
        assert_eq!(
            refused.message(Lang::En.catalog()),
            Lang::En.catalog().error_config()
        );
    }
}
