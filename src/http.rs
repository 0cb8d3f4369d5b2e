//! Fetching JSON: time limit, cancellation, and one request per URL at a
//! time however many widgets on the page ask for it.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, AbortSignal, RequestCredentials, RequestInit, RequestMode, Response,
};

use crate::error::WidgetError;

/// How long a request may take before the reader is told, in milliseconds.
pub const TIMEOUT_MS: u32 = 10_000;

/// Cancels requests: the one cancellation type of every request, GET or
/// POST. Cloning gives another handle to the same switch.
#[derive(Debug, Clone)]
pub struct Cancel(AbortController);

impl Cancel {
    /// A switch not yet pulled.
    pub fn new() -> Result<Cancel, WidgetError> {
        AbortController::new()
            .map(Cancel)
            .map_err(|_| WidgetError::Network)
    }

    /// Cancels every request given this switch; they end in
    /// [`WidgetError::Aborted`].
    pub fn cancel(&self) {
        self.0.abort();
    }

    fn signal(&self) -> AbortSignal {
        self.0.signal()
    }
}

/// A request in flight, shared by every widget waiting for the same URL.
struct Shared {
    promise: Promise,
    controller: AbortController,
    waiters: usize,
}

thread_local! {
    /// Responses the loader requested before the wasm was ready (see
    /// [`add_prefetched`]), each taken by the first GET of its URL.
    static PREFETCHED: RefCell<Vec<(String, Promise)>> = const { RefCell::new(Vec::new()) };
}

thread_local! {
    // A short list searched linearly: a page has a handful of requests in
    // flight, and a map would cost kilobytes of wasm.
    static IN_FLIGHT: RefCell<Vec<(String, Shared)>> = const { RefCell::new(Vec::new()) };
}

/// Keeps `response`, a `fetch()` of `url` the loader started while the wasm
/// was still downloading: the first GET of `url` uses it instead of
/// asking again.
pub fn add_prefetched(url: String, response: Promise) {
    PREFETCHED.with(|p| p.borrow_mut().push((url, response)));
}

/// The loader's response for `url`, taken once.
fn take_prefetched(url: &str) -> Option<Promise> {
    PREFETCHED.with(|p| {
        let mut p = p.borrow_mut();
        let i = p.iter().position(|(u, _)| u == url)?;
        Some(p.swap_remove(i).1)
    })
}

/// `promise`'s outcome, or a rejection as soon as `signal` aborts. The
/// abort listener is removed on return.
async fn or_abort(promise: &Promise, signal: &AbortSignal) -> Result<JsValue, JsValue> {
    let mut listener = None;
    let on_abort = Promise::new(&mut |_resolve, reject| {
        listener = Some(gloo_events::EventListener::once(
            signal,
            "abort",
            move |_| {
                let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("aborted"));
            },
        ));
    });
    let result = JsFuture::from(Promise::race(&Array::of2(promise, &on_abort))).await;
    drop(listener);
    result
}

/// Number of distinct requests in flight (for tests and benchmarks).
pub fn in_flight() -> usize {
    IN_FLIGHT.with(|m| m.borrow().len())
}

/// GETs `url` as JSON. Concurrent callers for the same URL share one
/// request; `cancel` ends this caller's wait, and the request itself once
/// nobody waits for it any more.
pub async fn get_json(url: &str, cancel: &Cancel) -> Result<JsValue, WidgetError> {
    let abort = &cancel.signal();
    if abort.aborted() {
        return Err(WidgetError::Aborted);
    }
    let promise = IN_FLIGHT.with(|m| {
        let mut map = m.borrow_mut();
        if let Some((_, shared)) = map.iter_mut().find(|(u, _)| u == url) {
            shared.waiters += 1;
            return Ok::<Promise, WidgetError>(shared.promise.clone());
        }
        let controller = AbortController::new().map_err(|_| WidgetError::Network)?;
        let promise = start(url.to_owned(), controller.clone());
        map.push((
            url.to_owned(),
            Shared {
                promise: promise.clone(),
                controller,
                waiters: 1,
            },
        ));
        Ok(promise)
    })?;

    // Wait for the shared request or for this caller's abort, whichever
    // comes first.
    let result = or_abort(&promise, abort).await;
    IN_FLIGHT.with(|m| {
        let mut map = m.borrow_mut();
        let ours = map.iter().position(|(u, shared)| {
            u == url && JsValue::from(&shared.promise) == JsValue::from(&promise)
        });
        if let Some(i) = ours {
            map[i].1.waiters -= 1;
            if map[i].1.waiters == 0 {
                // Harmless when the request already finished.
                map.swap_remove(i).1.controller.abort();
            }
        }
    });
    result.map_err(|e| {
        if abort.aborted() {
            WidgetError::Aborted
        } else {
            WidgetError::from_js(&e)
        }
    })
}

/// Starts the real request; the promise rejects with an error code string.
fn start(url: String, controller: AbortController) -> Promise {
    wasm_bindgen_futures::future_to_promise(async move {
        fetch_json(&url, &controller)
            .await
            .map_err(|e| JsValue::from_str(&e.to_code_string()))
    })
}

async fn fetch_json(url: &str, controller: &AbortController) -> Result<JsValue, WidgetError> {
    fetch(url, None, controller).await
}

/// Fetches `url` (GET, or POST of the JSON `body`) and reads the answer
/// (a POST's refusals by their status, see [`post_json`]), all within
/// [`TIMEOUT_MS`].
async fn fetch(
    url: &str,
    body: Option<&str>,
    controller: &AbortController,
) -> Result<JsValue, WidgetError> {
    let deadline = Deadline::start(controller);
    let outcome = match request(url, body, controller).await {
        Ok(response) if body.is_some() => read_posted(&response).await,
        Ok(response) => read_json(&response).await,
        Err(e) => Err(e),
    };
    deadline.settle(outcome)
}

/// The time limit of one request, reading its answer included: aborts the
/// request after [`TIMEOUT_MS`], then tells a timeout from other failures.
/// GETs and POSTs share it (a generic `fetch` taking the reading step as
/// a closure was compiled once per caller).
struct Deadline {
    controller: AbortController,
    timed_out: Rc<std::cell::Cell<bool>>,
    _timer: gloo_timers::callback::Timeout,
}

impl Deadline {
    fn start(controller: &AbortController) -> Deadline {
        let timed_out = Rc::new(std::cell::Cell::new(false));
        let timer = {
            let controller = controller.clone();
            let timed_out = timed_out.clone();
            gloo_timers::callback::Timeout::new(TIMEOUT_MS, move || {
                timed_out.set(true);
                controller.abort();
            })
        };
        Deadline {
            controller: controller.clone(),
            timed_out,
            _timer: timer,
        }
    }

    /// `outcome`, with the failures the time limit or a cancellation
    /// caused named as such; the timer goes with `self`.
    fn settle(self, outcome: Result<JsValue, WidgetError>) -> Result<JsValue, WidgetError> {
        let timed_out = self.timed_out.get();
        match outcome {
            Err(WidgetError::Network | WidgetError::BadResponse(_)) if timed_out => {
                Err(WidgetError::Timeout)
            }
            Err(_) if self.controller.signal().aborted() && !timed_out => Err(WidgetError::Aborted),
            other => other,
        }
    }
}

/// Sends `url` (GET, or POST of the JSON `body`) and waits for the
/// response's head; the loader's own request for `url` when it made one.
async fn request(
    url: &str,
    body: Option<&str>,
    controller: &AbortController,
) -> Result<Response, WidgetError> {
    let window = web_sys::window().ok_or(WidgetError::Network)?;
    let init = RequestInit::new();
    init.set_mode(RequestMode::Cors);
    init.set_credentials(RequestCredentials::Omit);
    init.set_signal(Some(&controller.signal()));
    match body {
        Some(body) => {
            init.set_method("POST");
            init.set_body(&JsValue::from_str(body));
            let headers = web_sys::Headers::new().map_err(|_| WidgetError::Network)?;
            headers
                .set("content-type", "application/json")
                .map_err(|_| WidgetError::Network)?;
            init.set_headers(&headers);
        }
        None => init.set_method("GET"),
    }
    let prefetched = body.is_none().then(|| take_prefetched(url)).flatten();
    let request = prefetched.unwrap_or_else(|| window.fetch_with_str_and_init(url, &init));
    let response = or_abort(&request, &controller.signal())
        .await
        .map_err(|_| WidgetError::Network)?;
    response
        .dyn_into()
        .map_err(|_| WidgetError::BadResponse("fetch did not return a Response".into()))
}

/// Larger answers are refused unread: no page of the API comes near it,
/// and a broken backend must not make the reader download megabytes.
pub const MAX_RESPONSE_BYTES: u64 = 4 * 1024 * 1024;

/// Checks the status and size of `response` and parses its body as JSON.
pub async fn read_json(response: &Response) -> Result<JsValue, WidgetError> {
    if let Some(err) = WidgetError::from_status(response.status()) {
        return Err(err);
    }
    let length = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    if length.is_some_and(|n| n > MAX_RESPONSE_BYTES) {
        return Err(WidgetError::BadResponse("response too large".into()));
    }
    let promise = response
        .json()
        .map_err(|_| WidgetError::BadResponse("body already read".into()))?;
    JsFuture::from(promise).await.map_err(|e| {
        let why = js_sys::Error::from(e).message();
        WidgetError::BadResponse(format!("not JSON: {}", String::from(why)))
    })
}

/// POSTs `body` (a JSON string) to `url` and reads the JSON answer. A 422
/// becomes [`WidgetError::Invalid`] with the refused fields, a 429
/// [`WidgetError::RateLimited`] with `Retry-After`, a 403
/// [`WidgetError::Closed`] (or [`WidgetError::NotAllowed`] when the backend
/// refuses the embed itself). Not shared: every POST is its own.
pub async fn post_json(url: &str, body: &str, cancel: &Cancel) -> Result<JsValue, WidgetError> {
    fetch(url, Some(body), &cancel.0).await
}

/// The answer to a POST: refusals by their status, else the JSON.
async fn read_posted(response: &Response) -> Result<JsValue, WidgetError> {
    match response.status() {
        422 => {
            let json = body_json(response).await.unwrap_or(JsValue::NULL);
            Err(WidgetError::Invalid(refused_fields(&json)))
        }
        429 => {
            let retry_after = response
                .headers()
                .get("retry-after")
                .ok()
                .flatten()
                .and_then(|v| v.trim().parse::<u32>().ok())
                .unwrap_or(30)
                .clamp(1, 3600);
            Err(WidgetError::RateLimited { retry_after })
        }
        403 => {
            use crate::json::Json;
            let code = body_json(response)
                .await
                .and_then(|j| j.field("error")?.field("code")?.string());
            // The embed itself refused (another origin, a page outside
            // the site), or only this article's comments.
            Err(match code.as_deref() {
                Some(c @ ("origin_not_allowed" | "url_not_allowed")) => {
                    WidgetError::NotAllowed(c.to_owned())
                }
                _ => WidgetError::Closed,
            })
        }
        _ => read_json(response).await,
    }
}

async fn body_json(response: &Response) -> Option<JsValue> {
    JsFuture::from(response.json().ok()?).await.ok()
}

/// `(field, code)` pairs of `{"error": {"fields": {"body": {"code": …}}}}`.
fn refused_fields(json: &JsValue) -> Vec<(String, String)> {
    use crate::json::Json;
    let Some(fields) = json.field("error").and_then(|e| e.field("fields")) else {
        return Vec::new();
    };
    js_sys::Object::keys(fields.unchecked_ref::<js_sys::Object>())
        .iter()
        .filter_map(|k| {
            let name = k.as_string()?;
            let code = fields
                .field(&name)
                .and_then(|f| f.field("code"))
                .and_then(|c| c.string())
                .unwrap_or_else(|| "invalid".into());
            Some((name, code))
        })
        .collect()
}
