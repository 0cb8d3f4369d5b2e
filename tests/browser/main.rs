//! Browser tests of the widget (wasm-bindgen-test, headless Chrome and
//! Firefox): `cargo xtask test` runs them with `wasm-pack test`.
//!
//! The real `mount` → fetch → parse → render path runs; only `window.fetch`
//! is replaced, so that each test decides what the "backend" answers.
//!
//! One test crate, one module per feature (as in `tests/e2e/`), so that
//! the browsers still load a single test binary.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test_configure;

wasm_bindgen_test_configure!(run_in_browser);

mod actions;
mod articles;
mod comments;
mod i18n;
mod lifecycle;
mod lists;
mod support;
