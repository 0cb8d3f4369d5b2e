//! What the loader hands each wasm module as it starts (`setHost`): the
//! functions both modules need that are mostly calls into the browser,
//! written once in JavaScript instead of compiled into each module —
//! requests (`js/request.js`), waiting for a promise (`settle`, in the
//! same file), dates (`js/dates.js`), the page's scheme and what is near
//! the viewport (`js/page.js`).

use std::cell::RefCell;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use web_sys::{AbortSignal, Element};

#[wasm_bindgen]
extern "C" {
    /// `{ request, settle, fetchAhead, forgetAhead, dateline, relative, count, startCore, near,
    /// darkPage }` from the loader.
    #[derive(Clone)]
    pub type Host;

    // An async function never throws: its failures are rejections.
    #[wasm_bindgen(method)]
    pub(crate) fn request(
        this: &Host,
        url: &str,
        body: Option<&str>,
        signal: &AbortSignal,
    ) -> Promise;

    // Fetches `url` before a GET asks for it; the GET then takes the
    // answer (`fetchAhead`). Never throws.
    #[cfg(feature = "comments")]
    #[wasm_bindgen(method, js_name = fetchAhead)]
    pub(crate) fn fetch_ahead(this: &Host, url: &str);

    // Drops what `fetch_ahead` fetched for `url`, unless a GET took it.
    #[cfg(feature = "comments")]
    #[wasm_bindgen(method, js_name = forgetAhead)]
    pub(crate) fn forget_ahead(this: &Host, url: &str);

    // Calls `then(value, true)` or `then(reason, false)` once `promise`
    // (or a value, as fulfilled) settles; never throws.
    #[wasm_bindgen(method)]
    pub(crate) fn settle(this: &Host, promise: &JsValue, then: &JsValue);

    // Throws only when `Intl` cannot write the language at all.
    #[wasm_bindgen(method, catch)]
    pub(crate) fn dateline(
        this: &Host,
        lang: &str,
        digits: &str,
        calendar: &str,
        zone: Option<&str>,
    ) -> Result<TimeWriter, JsValue>;

    #[wasm_bindgen(method, catch)]
    pub(crate) fn relative(this: &Host, lang: &str, digits: &str) -> Result<TimeWriter, JsValue>;

    #[wasm_bindgen(method)]
    pub(crate) fn count(this: &Host, digits: &str, n: u32) -> String;

    // Starts the core module, unless it is on its way (for a placeholder
    // the comments page's module does not show); never throws.
    #[wasm_bindgen(method, js_name = startCore)]
    pub(crate) fn start_core(this: &Host);

    // Watches `el` come within `margin` of the viewport, calling `then`
    // each time; the function that stops it, or null without an
    // IntersectionObserver (`js/page.js`). Never throws.
    #[wasm_bindgen(method)]
    pub(crate) fn near(
        this: &Host,
        el: &Element,
        margin: &str,
        then: &js_sys::Function,
    ) -> Option<js_sys::Function>;

    // Whether the page around `el` is dark (`js/page.js`); from the first
    // call on, the loader calls each module's `refreshThemes` when the page
    // may have changed its look. Never throws.
    #[cfg(any(feature = "core", feature = "comments-page"))]
    #[wasm_bindgen(method, js_name = darkPage)]
    pub(crate) fn dark_page(this: &Host, el: &Element) -> bool;

    /// A function of an RFC 3339 time that returns its text, or
    /// `undefined` when it is not a time; it never throws (nor does
    /// `count`), so these two are bound without `catch`.
    pub type TimeWriter;

    #[wasm_bindgen(method, js_name = call)]
    fn write(this: &TimeWriter, this_arg: &JsValue, time: &str) -> Option<String>;

    // A relative time's writer, given the element too, writes into it.
    #[wasm_bindgen(method, js_name = call)]
    fn write_live(this: &TimeWriter, this_arg: &JsValue, time: &str, el: &Element);
}

impl TimeWriter {
    /// The text of an RFC 3339 time; `None` when it is not a valid time.
    pub fn format(&self, time: &str) -> Option<String> {
        self.write(&JsValue::NULL, time)
    }

    /// Writes a relative time ("5 minutes ago") into `el`, which the
    /// loader keeps current while it is in the document.
    pub fn write_into(&self, time: &str, el: &Element) {
        self.write_live(&JsValue::NULL, time, el);
    }
}

thread_local! {
    static HOST: RefCell<Option<Host>> = const { RefCell::new(None) };
}

/// Keeps the loader's functions for the module's life.
pub fn set(host: Host) {
    HOST.with(|h| *h.borrow_mut() = Some(host));
}

/// The loader's functions; `None` before the loader has handed them over.
pub fn get() -> Option<Host> {
    HOST.with(|h| h.borrow().clone())
}
