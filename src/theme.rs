//! What `theme: auto` means: the look of the page the widget sits in, not
//! only the reader's system setting (a light page in a dark system is
//! still a light page). In order: the host's computed `color-scheme` when
//! it names one scheme (or both, then the system decides); the luminance of
//! the first opaque background behind the widget; light. The page may
//! switch at run time: [`watch`] re-resolves when the root's or body's
//! attributes change or the system's scheme does.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use web_sys::{Element, MutationObserver, MutationObserverInit};

use crate::config::Theme;

/// The scheme to paint `host` with: `"light"` or `"dark"`.
pub fn resolve(host: &Element, theme: Theme) -> &'static str {
    match theme {
        Theme::Light => "light",
        Theme::Dark => "dark",
        Theme::Auto => page_scheme(host).unwrap_or("light"),
    }
}

fn system_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

fn page_scheme(host: &Element) -> Option<&'static str> {
    let window = web_sys::window()?;
    let computed = |el: &Element, property: &str| {
        window
            .get_computed_style(el)
            .ok()
            .flatten()
            .and_then(|s| s.get_property_value(property).ok())
            .unwrap_or_default()
    };
    match scheme_of(&computed(host, "color-scheme")) {
        Declared::Light => return Some("light"),
        Declared::Dark => return Some("dark"),
        Declared::Both => return Some(if system_dark() { "dark" } else { "light" }),
        Declared::Nothing => {}
    }
    let mut el = Some(host.clone());
    while let Some(current) = el {
        let background = computed(&current, "background-color");
        if let Some(brightness) = opaque_brightness(&background, &numbers(&background)) {
            return Some(if brightness < 128.0 { "dark" } else { "light" });
        }
        el = current.parent_element();
    }
    None
}

/// What a computed `color-scheme` declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Declared {
    Light,
    Dark,
    Both,
    Nothing,
}

fn scheme_of(value: &str) -> Declared {
    // Whole words, compared as bytes: `str::contains` would pull the
    // substring searcher and its panics' formatting into the wasm (~6 KB).
    let has = |word: &str| value.split_ascii_whitespace().any(|w| w == word);
    match (has("light"), has("dark")) {
        (true, true) => Declared::Both,
        (true, false) => Declared::Light,
        (false, true) => Declared::Dark,
        (false, false) => Declared::Nothing,
    }
}

/// The numbers of a computed colour (`rgba(21, 23, 26, 0.9)` gives 21, 23,
/// 26, 0.9), read by the browser's own regular expressions and number
/// parsing: Rust's float parsing would add kilobytes to the wasm.
fn numbers(color: &str) -> Vec<f64> {
    let pattern = js_sys::RegExp::new(r"[0-9.]+", "g");
    js_sys::JsString::from(color)
        .match_(&pattern)
        .map(|found| {
            js_sys::Array::from(&found)
                .iter()
                .filter_map(|n| n.as_string())
                .map(|n| js_sys::Number::parse_float(&n))
                .collect()
        })
        .unwrap_or_default()
}

/// The brightness (0–255, weighted as the eye sees red, green and blue)
/// of an `rgb()`/`rgba()` colour's numbers when it is mostly opaque;
/// `None` for transparent or unreadable ones.
fn opaque_brightness(color: &str, numbers: &[f64]) -> Option<f64> {
    if !color.trim_start().starts_with("rgb") {
        return None;
    }
    match numbers {
        [r, g, b] => Some(0.299 * r + 0.587 * g + 0.114 * b),
        [r, g, b, alpha] if *alpha >= 0.5 => Some(0.299 * r + 0.587 * g + 0.114 * b),
        _ => None,
    }
}

type Watcher = (MutationObserver, Closure<dyn FnMut()>);

thread_local! {
    static WATCHER: RefCell<Option<Watcher>> = const { RefCell::new(None) };
}

/// Calls `on_change` whenever the page may have changed its look: the
/// root's or body's attributes (a `dark` class, a `style`, a
/// `data-theme`), or the system's scheme. Installed once per page.
pub fn watch(on_change: fn()) {
    if WATCHER.with(|w| w.borrow().is_some()) {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(doc) = window.document() else {
        return;
    };
    let callback = Closure::<dyn FnMut()>::new(on_change);
    let Ok(observer) = MutationObserver::new(callback.as_ref().unchecked_ref()) else {
        return;
    };
    let init = MutationObserverInit::new();
    init.set_attributes(true);
    for el in [doc.document_element(), doc.body().map(Element::from)]
        .into_iter()
        .flatten()
    {
        let _ = observer.observe_with_options(&el, &init);
    }
    if let Ok(Some(media)) = window.match_media("(prefers-color-scheme: dark)") {
        let _ = media.add_event_listener_with_callback("change", callback.as_ref().unchecked_ref());
    }
    WATCHER.with(|w| *w.borrow_mut() = Some((observer, callback)));
}

#[cfg(test)]
mod tests {
    use super::{opaque_brightness, scheme_of, Declared};

    #[test]
    fn declared_schemes() {
        assert_eq!(scheme_of("normal"), Declared::Nothing);
        assert_eq!(scheme_of(""), Declared::Nothing);
        assert_eq!(scheme_of("dark"), Declared::Dark);
        assert_eq!(scheme_of("only light"), Declared::Light);
        assert_eq!(scheme_of("light dark"), Declared::Both);
    }

    #[test]
    fn backgrounds_by_brightness_transparent_ones_skipped() {
        let b = opaque_brightness;
        assert_eq!(b("rgb(255, 255, 255)", &[255.0, 255.0, 255.0]), Some(255.0));
        assert!(b("rgb(13, 15, 18)", &[13.0, 15.0, 18.0]).is_some_and(|v| v < 20.0));
        assert!(b("rgba(21, 23, 26, 0.9)", &[21.0, 23.0, 26.0, 0.9]).is_some_and(|v| v < 128.0));
        assert_eq!(b("rgba(0, 0, 0, 0)", &[0.0, 0.0, 0.0, 0.0]), None);
        assert_eq!(
            b("rgba(255, 255, 255, 0.25)", &[255.0, 255.0, 255.0, 0.25]),
            None
        );
        assert_eq!(b("transparent", &[]), None);
        assert_eq!(b("color(srgb 1 1 1)", &[1.0, 1.0, 1.0]), None);
    }
}
