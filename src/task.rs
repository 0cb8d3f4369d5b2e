//! Running the widget's work later: when a promise settles, in a microtask,
//! or in a later task. A leaf module, so that every layer may defer work
//! without importing another.
//!
//! Callbacks, not Rust futures: every `async` block was a state machine
//! compiled with its own drop glue, and `wasm-bindgen-futures` brought an
//! executor and a waker into each module, for work that is one wait on one
//! promise each time. Each helper here boxes its callback first, so that
//! its glue is compiled once, not once per caller.

use js_sys::Function;
use wasm_bindgen::prelude::*;

/// How a promise settled: its value, or the reason it was rejected.
pub type Settled = Result<JsValue, JsValue>;

type Then = Box<dyn FnOnce(Settled)>;
type Later = Box<dyn FnOnce()>;

/// Calls `then` with `promise`'s outcome once it settles (a value that is
/// not a promise counts as fulfilled), never before this call returns.
/// Without the loader's functions (`setHost`, which comes before any
/// widget runs) it is a rejection.
pub fn when(promise: &JsValue, then: impl FnOnce(Settled) + 'static) {
    settle(promise, Box::new(then));
}

fn settle(promise: &JsValue, then: Then) {
    let Some(host) = crate::host::get() else {
        let reason = JsValue::from_str("khabar: the loader's functions are missing");
        return soon(move || then(Err(reason)));
    };
    // One callback for both outcomes (the loader's `settle`), called
    // exactly once: of two `then` callbacks, the one never called would
    // stay alive for good.
    let callback = Closure::once_into_js(move |value: JsValue, fulfilled: bool| {
        then(if fulfilled { Ok(value) } else { Err(value) })
    });
    host.settle(promise, &callback);
}

/// Runs `f` in a microtask: after the current call returns (so that `f`
/// may drop what is calling it), before the browser renders.
pub fn soon(f: impl FnOnce() + 'static) {
    queue(Box::new(f), true);
}

/// Runs `f` in a later task (`setTimeout` 0): what separates a widget's
/// mount from its first render, and one render from the next, so that the
/// browser can paint and answer input between them instead of running one
/// long task.
pub fn next_task(f: impl FnOnce() + 'static) {
    queue(Box::new(f), false);
}

fn queue(f: Later, microtask: bool) {
    let Some(window) = web_sys::window() else {
        return; // no page, no widget to run it for
    };
    let callback = Closure::once_into_js(f);
    let callback: &Function = callback.unchecked_ref();
    if microtask {
        window.queue_microtask(callback);
    } else if window.set_timeout_with_callback(callback).is_err() {
        // Not queued: run it now, which also frees it.
        let _ = callback.call0(&JsValue::NULL);
    }
}
