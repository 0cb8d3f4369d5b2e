//! The widget's stylesheet, shared by every shadow root on the page.
//!
//! A constructed stylesheet in `adoptedStyleSheets` works under a strict
//! `style-src 'self'` CSP, where a `<style>` element would be blocked.

use std::cell::RefCell;

use web_sys::{CssStyleSheet, ShadowRoot};

use crate::dom::dom_error;
use crate::error::WidgetError;

/// The stylesheet (minified by `build.rs` from `src/style.css`), compiled into the wasm.
#[cfg(feature = "core")]
pub const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/style.min.css"));

/// The stylesheet without the rules of the core's views: the comments
/// page's module shows comment sections alone.
#[cfg(not(feature = "core"))]
pub const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/style.comments.min.css"));

thread_local! {
    static SHEET: RefCell<Option<CssStyleSheet>> = const { RefCell::new(None) };
    /// The row counts that already have their rule (bit n: n rows).
    static ROWS: RefCell<u64> = const { RefCell::new(0) };
}

/// The shared stylesheet, created on first use.
fn sheet() -> Result<CssStyleSheet, WidgetError> {
    SHEET.with(|cell| -> Result<CssStyleSheet, WidgetError> {
        if let Some(sheet) = cell.borrow().as_ref() {
            return Ok(sheet.clone());
        }
        let sheet = CssStyleSheet::new().map_err(dom_error)?;
        sheet.replace_sync(CSS).map_err(dom_error)?;
        *cell.borrow_mut() = Some(sheet.clone());
        Ok(sheet)
    })
}

/// Adopts the shared stylesheet into `root`.
pub fn adopt(root: &ShadowRoot) -> Result<(), WidgetError> {
    let sheet = sheet()?;
    root.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));
    Ok(())
}

/// Makes `.khabar[data-rows="n"]` count `n` rows for a list's reserved
/// height (style.css). A rule in the shared sheet, not a `style`
/// attribute: the widget's DOM carries no inline style.
pub fn reserve_rows(n: u32) -> Result<(), WidgetError> {
    let bit = 1u64.checked_shl(n).unwrap_or(0);
    if bit == 0 || ROWS.with(|r| *r.borrow() & bit != 0) {
        return Ok(());
    }
    sheet()?
        .insert_rule(&format!(".khabar[data-rows=\"{n}\"]{{--_rows:{n}}}"))
        .map_err(dom_error)?;
    ROWS.with(|r| *r.borrow_mut() |= bit);
    Ok(())
}
