//! Khabar: an embeddable, right-to-left-first news article widget.
//!
//! This file holds only the JavaScript-facing exports; the work happens in
//! the modules below (see `docs/architecture.md` in the repository for the
//! map: the layers, how data flows from options to the DOM, and where new
//! things go).
#![deny(clippy::unwrap_used)]

// What each module goes into (Cargo features; see docs/architecture.md):
// `core` is the first load, `comments` the comment section's own module.
// `comments-page` is the section with what mounts a widget (`widget`,
// `embed`, `style`, `theme`), for pages of comment sections alone.
#[cfg(feature = "core")]
pub mod actions;
pub mod api;
#[cfg(feature = "comments")]
pub mod comment_rules;
#[cfg(feature = "comments")]
pub mod comment_section;
pub mod comments_chunk;
// The comments module's exports (it alone: not with the core or as the
// comments page's module).
#[cfg(all(
    feature = "comments",
    not(feature = "core"),
    not(feature = "comments-page")
))]
pub mod comments_entry;
pub mod component;
pub mod config;
pub mod crash;
pub mod dom;
#[cfg(any(feature = "core", feature = "comments-page"))]
pub mod embed;
pub mod error;
pub mod host;
pub mod http;
pub mod i18n;
pub mod json;
pub mod model;
pub mod plain;
#[cfg(feature = "core")]
pub mod print;
pub mod sanitize;
#[cfg(feature = "comments")]
pub mod send_form;
#[cfg(feature = "core")]
pub mod share;
#[cfg(feature = "comments")]
pub mod storage;
#[cfg(any(feature = "core", feature = "comments-page"))]
pub mod style;
pub mod task;
#[cfg(any(feature = "core", feature = "comments-page"))]
pub mod theme;
pub mod views;
#[cfg(any(feature = "core", feature = "comments-page"))]
pub mod widget;

use wasm_bindgen::prelude::*;
#[cfg(any(feature = "core", feature = "comments-page"))]
use web_sys::Element;

#[cfg(any(feature = "core", feature = "comments-page"))]
use crate::widget::Widget;

/// Runs once when the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    crash::install();
    // The comments module renders nothing of its own in its start's task.
    #[cfg(any(feature = "core", feature = "comments-page"))]
    task::begin();
}

#[cfg(any(feature = "core", feature = "comments-page"))]
/// Mounts every `[data-khabar]` placeholder on the page that has no widget
/// yet, and destroys the widgets whose host left it. The loader calls it as
/// the module starts and whenever the page's tree changes, with the API
/// base from its script tag (`data-api`) or its own origin.
#[wasm_bindgen(js_name = autoMount)]
pub fn auto_mount(default_api: Option<String>) -> u32 {
    embed::auto_mount(default_api.as_deref())
}

#[cfg(any(feature = "core", feature = "comments-page"))]
/// Sets the API base used by `mount` when its options name none.
#[wasm_bindgen(js_name = setDefaultApi)]
pub fn set_default_api(api: Option<String>) {
    DEFAULT_API.with(|d| *d.borrow_mut() = api);
}

#[cfg(any(feature = "core", feature = "comments-page"))]
/// Widgets alive, however they were mounted: for leak checks and benchmarks
/// (the loader's `debugCounts` adds the requests in flight and each
/// module's memory, which it reads from the modules' exports).
#[wasm_bindgen(js_name = liveWidgets)]
pub fn live_widgets() -> u32 {
    widget::live_count() as u32
}

#[cfg(any(feature = "core", feature = "comments-page"))]
/// Paints every `theme: auto` widget in the page's scheme again: the
/// loader calls it when the page may have changed its look.
#[wasm_bindgen(js_name = refreshThemes)]
pub fn refresh_themes() {
    widget::refresh_themes();
}

#[cfg(any(feature = "core", feature = "comments-page"))]
/// Mounts a widget into `element` with an options object
/// (`{ kind, api, articleId, lang, digits, calendar, timeZone, theme }`).
/// Throws a `KhabarError` with a `code` when the options are unusable.
#[wasm_bindgen]
pub fn mount(element: Element, options: JsValue) -> Result<WidgetHandle, JsValue> {
    mount_object(element, options, true)
}

#[cfg(any(feature = "core", feature = "comments-page"))]
/// `mount` for a widget the page mounted before the module ran (the
/// loader kept its handle waiting): options it refuses are shown in the
/// widget, with `khabar:error`, as a placeholder's are, since nobody can
/// catch a throw any more; the handle's `update()` then mounts it anew.
#[wasm_bindgen(js_name = mountShowingRefusal)]
pub fn mount_showing_refusal(element: Element, options: JsValue) -> Result<WidgetHandle, JsValue> {
    mount_object(element, options, false)
}

#[cfg(any(feature = "core", feature = "comments-page"))]
fn mount_object(
    element: Element,
    options: JsValue,
    throw_refusal: bool,
) -> Result<WidgetHandle, JsValue> {
    let default_api = DEFAULT_API.with(|d| d.borrow().clone()).or_else(page_api);
    let parsed = embed::options_from_object(&element, &options, default_api.as_deref());
    if throw_refusal {
        if let Err(e) = parsed {
            return Err(error::WidgetError::Config(e).into());
        }
    }
    let widget = Widget::mount(element.clone(), parsed, embed::fallback_lang(&element))?;
    Ok(WidgetHandle {
        widget,
        default_api,
    })
}

#[cfg(any(feature = "core", feature = "comments-page"))]
/// Mounts a widget configured by the element's own attributes
/// (`kind`, `article-id`, `api`, …): what `<khabar-widget>` uses.
#[wasm_bindgen(js_name = mountFromAttributes)]
pub fn mount_from_attributes(
    element: Element,
    default_api: Option<String>,
) -> Result<WidgetHandle, JsValue> {
    let options = embed::options_from_attributes(&element, default_api.as_deref());
    let widget = Widget::mount(element.clone(), options, embed::fallback_lang(&element))?;
    Ok(WidgetHandle {
        widget,
        default_api,
    })
}

/// Hands the module the loader's functions (`{ request, dateline,
/// relative, count }`): every request and every date of the widget go
/// through them.
#[wasm_bindgen(js_name = setHost)]
pub fn set_host(functions: host::Host) {
    host::set(functions);
}

/// Hands the module the loader's language catalogs: a function of a
/// language tag that returns its catalog object, or a promise of it.
#[cfg(not(feature = "catalogs"))]
#[wasm_bindgen(js_name = setCatalogs)]
pub fn set_catalogs(source: js_sys::Function) {
    i18n::provide(source);
}

/// Hands the core module the loader's function that starts the comments
/// module and resolves to its `mountSection` (given the URL of a section's
/// first page of comments, which it requests meanwhile).
#[cfg(not(feature = "comments"))]
#[wasm_bindgen(js_name = setCommentsLoader)]
pub fn set_comments_loader(loader: js_sys::Function) {
    comments_chunk::set_loader(loader);
}

#[cfg(any(feature = "core", feature = "comments-page"))]
/// The version of the widget.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

#[cfg(any(feature = "core", feature = "comments-page"))]
/// What `mount()` returns: change options or take the widget down.
#[wasm_bindgen]
pub struct WidgetHandle {
    widget: Widget,
    default_api: Option<String>,
}

#[cfg(any(feature = "core", feature = "comments-page"))]
#[wasm_bindgen]
impl WidgetHandle {
    /// Replaces the options (same shape as for `mount`) and reloads.
    pub fn update(&self, options: JsValue) -> Result<(), JsValue> {
        let host = self.widget.host();
        let parsed = embed::options_from_object(&host, &options, self.default_api.as_deref())
            .map_err(error::WidgetError::Config)?;
        self.widget.update(Ok(parsed))?;
        Ok(())
    }

    /// Re-reads the element's attributes (for `<khabar-widget>`) and reloads.
    #[wasm_bindgen(js_name = updateFromAttributes)]
    pub fn update_from_attributes(&self) -> Result<(), JsValue> {
        let host = self.widget.host();
        let options = embed::options_from_attributes(&host, self.default_api.as_deref());
        self.widget.update(options)?;
        Ok(())
    }

    /// Removes the widget, its listeners and any request in flight.
    pub fn destroy(&self) {
        self.widget.destroy();
    }

    /// Renders from article JSON the page already has, without fetching.
    #[wasm_bindgen(js_name = showJson)]
    pub fn show_json(&self, json: JsValue) {
        self.widget.show_json(json);
    }
}

#[cfg(any(feature = "core", feature = "comments-page"))]
thread_local! {
    /// The API base the loader found (its `data-api` or its own origin).
    static DEFAULT_API: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

#[cfg(any(feature = "core", feature = "comments-page"))]
/// `location.origin + "/api/v1"`: the default API when no loader set one.
fn page_api() -> Option<String> {
    let origin = web_sys::window()?.location().origin().ok()?;
    Some(format!("{origin}/api/v1"))
}

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
