//! Running the widget's work later: when a promise settles, in a microtask,
//! or in a later task. A leaf module, so that every layer may defer work
//! without importing another.
//!
//! Callbacks, not Rust futures: every `async` block was a state machine
//! compiled with its own drop glue, and `wasm-bindgen-futures` brought an
//! executor and a waker into each module, for work that is one wait on one
//! promise each time. Each helper here boxes its callback first, so that
//! its glue is compiled once, not once per caller.

use std::cell::Cell;

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

/// Runs `f` in a later task (`setTimeout` 0): what separates one render
/// from the next, and a widget's mount from its first render when the
/// mount took its time ([`soon_if_time`]), so that the browser can paint
/// and answer input between them instead of running one long task.
pub fn next_task(f: impl FnOnce() + 'static) {
    queue(Box::new(f), false);
}

/// How long one run of the widget's work may have taken for a render to
/// follow it in the same task: half of what makes a long task (50 ms),
/// which leaves the other half to the render (a story or a page of
/// comments: about 10 ms on the bench's machine).
const SLICE_MS: f64 = 25.0;

thread_local! {
    /// When the current run of work began (`Date.now()`): the module's
    /// start, or a widget's mount.
    static BEGAN: Cell<f64> = const { Cell::new(f64::NEG_INFINITY) };
    /// Whether a run began in the current task (until a later one).
    static OPEN: Cell<bool> = const { Cell::new(false) };
}

/// Whether the run of work marked by [`begin`] began less than a slice
/// ago (a clock set back meanwhile counts as not).
fn within_slice() -> bool {
    (0.0..SLICE_MS).contains(&(js_sys::Date::now() - BEGAN.with(Cell::get)))
}

/// Marks the start of work the page asked for: the module's start, a
/// widget's mount. A task has one run, from its first mark: the loader
/// starts a module and mounts its widgets in one task, and their renders
/// come after all of it.
pub fn begin() {
    if !OPEN.with(Cell::get) {
        OPEN.with(|open| open.set(true));
        BEGAN.with(|began| began.set(js_sys::Date::now()));
        // Closed by a later task, not a microtask: the renders are
        // microtasks of this one.
        next_task(|| OPEN.with(|open| open.set(false)));
    }
}

/// Runs `f` in a microtask when the run of work it follows has taken less
/// than a slice so far, else in a later task. A widget whose content was
/// in when it mounted (the loader asked for it while the wasm loaded) then
/// shows it in the browser's next frame rather than after a frame of
/// skeleton (the first article paint about 8 ms sooner, `bench/README.md`).
/// After a slow start, or once earlier widgets' renders have used the
/// slice, the rest wait for a later task, so that the page paints and
/// answers input in between.
pub fn soon_if_time(f: impl FnOnce() + 'static) {
    soon(move || {
        if within_slice() {
            f();
        } else {
            next_task(f);
        }
    });
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
