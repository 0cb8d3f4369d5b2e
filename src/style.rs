//! The widget's stylesheet, shared by every shadow root on the page.
//!
//! A constructed stylesheet in `adoptedStyleSheets` works under a strict
//! `style-src 'self'` CSP, where a `<style>` element would be blocked.

use std::cell::RefCell;

use web_sys::{CssStyleSheet, ShadowRoot};

use crate::dom::dom_error;
use crate::error::WidgetError;

/// The stylesheet (minified by `build.rs` from `src/style.css`), compiled into the wasm.
pub const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/style.min.css"));

thread_local! {
    static SHEET: RefCell<Option<CssStyleSheet>> = const { RefCell::new(None) };
}

/// Adopts the shared stylesheet into `root`, creating it on first use.
pub fn adopt(root: &ShadowRoot) -> Result<(), WidgetError> {
    let sheet = SHEET.with(|cell| -> Result<CssStyleSheet, WidgetError> {
        if let Some(sheet) = cell.borrow().as_ref() {
            return Ok(sheet.clone());
        }
        let sheet = CssStyleSheet::new().map_err(dom_error)?;
        sheet.replace_sync(CSS).map_err(dom_error)?;
        *cell.borrow_mut() = Some(sheet.clone());
        Ok(sheet)
    })?;
    root.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));
    Ok(())
}
