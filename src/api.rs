//! The backend client: builds URLs, fetches JSON with a time limit and turns
//! every failure into a [`WidgetError`].

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, RequestCredentials, RequestInit, RequestMode, Response};

use crate::error::WidgetError;
use crate::json::FromJson;
use crate::model::Article;

/// How long a request may take before the reader is told, in milliseconds.
pub const TIMEOUT_MS: u32 = 10_000;

/// The API base, e.g. `https://news.example/api/v1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiClient {
    base: String,
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
        format!("{}/articles/{}", self.base, encode_segment(id))
    }

    /// Fetches one article.
    pub async fn article(&self, id: &str, abort: &AbortController) -> Result<Article, WidgetError> {
        decode(get_json(&self.article_url(id), abort).await?)
    }
}

/// Percent-encodes one path segment (RFC 3986 unreserved characters stay).
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Fetches `url` and parses its JSON body, aborting after [`TIMEOUT_MS`]
/// or when `abort` fires (the widget was destroyed).
pub async fn get_json(url: &str, abort: &AbortController) -> Result<JsValue, WidgetError> {
    let window = web_sys::window().ok_or(WidgetError::Network)?;
    let init = RequestInit::new();
    init.set_method("GET");
    init.set_mode(RequestMode::Cors);
    init.set_credentials(RequestCredentials::Omit);
    init.set_signal(Some(&abort.signal()));

    let timed_out = std::rc::Rc::new(std::cell::Cell::new(false));
    let timer = {
        let abort = abort.clone();
        let timed_out = timed_out.clone();
        gloo_timers::callback::Timeout::new(TIMEOUT_MS, move || {
            timed_out.set(true);
            abort.abort();
        })
    };
    let outcome = async {
        let response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
            .await
            .map_err(|_| WidgetError::Network)?;
        let response: Response = response
            .dyn_into()
            .map_err(|_| WidgetError::BadResponse("fetch did not return a Response".into()))?;
        read_json(&response).await
    }
    .await;
    drop(timer);
    match outcome {
        Err(_) if timed_out.get() => Err(WidgetError::Timeout),
        Err(_) if abort.signal().aborted() => Err(WidgetError::Aborted),
        other => other,
    }
}

/// Checks the status of `response` and parses its body as JSON.
pub async fn read_json(response: &Response) -> Result<JsValue, WidgetError> {
    if let Some(err) = WidgetError::from_status(response.status()) {
        return Err(err);
    }
    let promise = response
        .json()
        .map_err(|_| WidgetError::BadResponse("body already read".into()))?;
    JsFuture::from(promise).await.map_err(|e| {
        let why = js_sys::Error::from(e).message();
        WidgetError::BadResponse(format!("not JSON: {}", String::from(why)))
    })
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
        assert_eq!(encode_segment("خبر"), "%D8%AE%D8%A8%D8%B1");
    }
}
