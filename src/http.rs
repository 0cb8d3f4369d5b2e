//! Requests to the API, through the loader's `request` (`js/request.js`,
//! handed over with the rest of [`crate::host`]):
//! the time limit, cancellation, statuses and one request per URL at a
//! time however many widgets on the page ask for it all live there, once
//! for both wasm modules. This half hands a request over and names its
//! failure.

use wasm_bindgen::prelude::*;
use web_sys::AbortController;

use crate::error::WidgetError;
use crate::host;

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
}

/// What a request's callback is given: the answer's JSON, or why there is
/// none.
pub type Answer = Result<JsValue, WidgetError>;

/// GETs `url` as JSON and calls `then` with the answer. Concurrent callers
/// for the same URL share one request; `cancel` ends this caller's wait,
/// and the request itself once nobody waits for it any more.
pub fn get_json(url: &str, cancel: &Cancel, then: impl FnOnce(Answer) + 'static) {
    send(url, None, cancel, Box::new(then));
}

/// POSTs `body` (a JSON string) to `url` and calls `then` with the JSON
/// answer. A 422 becomes [`WidgetError::Invalid`] with the refused fields,
/// a 429 [`WidgetError::RateLimited`] with `Retry-After`, a 403
/// `comments_closed` [`WidgetError::Closed`] ([`WidgetError::NotAllowed`]
/// when the backend refuses the embed itself; another 403 is a server
/// error). Not shared: every POST is its own.
pub fn post_json(url: &str, body: &str, cancel: &Cancel, then: impl FnOnce(Answer) + 'static) {
    send(url, Some(body), cancel, Box::new(then));
}

/// Has the loader GET `url` before it is asked for, a [`get_json`] of it
/// then taking the answer (a failure is asked for anew); or, `fetch`
/// false, drops what it fetched, unless a GET took it.
#[cfg(feature = "comments")]
pub fn ahead(url: &str, fetch: bool) {
    match host::get() {
        Some(host) if fetch => host.fetch_ahead(url),
        Some(host) => host.forget_ahead(url),
        None => {}
    }
}

fn send(url: &str, body: Option<&str>, cancel: &Cancel, then: Box<dyn FnOnce(Answer)>) {
    let Some(host) = host::get() else {
        // Never at once: the caller may still hold what `then` needs.
        return crate::task::soon(move || then(Err(WidgetError::Load("the loader's request"))));
    };
    let answer = host.request(url, body, &cancel.0.signal());
    crate::task::when(&answer, move |settled| {
        then(settled.map_err(|e| {
            // `request` rejects with strings only; anything else is its own bug.
            e.as_string().map_or(WidgetError::Network, |code| {
                WidgetError::from_code_string(&code)
            })
        }))
    });
}
