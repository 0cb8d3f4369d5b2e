//! What `theme: auto` means: the look of the page the widget sits in, not
//! only the reader's system setting (a light page in a dark system is
//! still a light page). The loader reads the page (`js/page.js`: the
//! host's `color-scheme`, else the first opaque background behind the
//! widget, else light) and watches it, calling the module's `refreshThemes`
//! export (`widget::refresh_themes`) when the root's
//! or body's attributes change or the system's scheme does: all of it calls
//! into the browser, kept out of each wasm module.

use web_sys::Element;

use crate::config::Theme;

/// The scheme to paint `host` with: `"light"` or `"dark"`. Asking for
/// `auto` also has the loader watch the page from then on.
pub fn resolve(host: &Element, theme: Theme) -> &'static str {
    let dark = match theme {
        Theme::Light => false,
        Theme::Dark => true,
        // Without the loader (it hands its functions over before any
        // widget mounts), light: the default of an unreadable page.
        Theme::Auto => crate::host::get().is_some_and(|h| h.dark_page(host)),
    };
    if dark {
        "dark"
    } else {
        "light"
    }
}
