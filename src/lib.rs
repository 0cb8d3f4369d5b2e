//! Khabar: an embeddable, right-to-left-first news article widget.
//!
//! This file holds only the JavaScript-facing exports; the work happens in
//! the modules below (see `DESIGN.md` in the repository for the map).
#![deny(clippy::unwrap_used)]

pub mod api;
pub mod config;
pub mod crash;
pub mod dom;
pub mod embed;
pub mod error;
pub mod i18n;
pub mod json;
pub mod model;
pub mod sanitize;
pub mod style;
pub mod views;
pub mod widget;

use wasm_bindgen::prelude::*;
use web_sys::Element;

use crate::widget::Widget;

/// Runs once when the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    crash::install();
}

/// Mounts every `[data-khabar]` placeholder on the page. The loader calls it
/// with the API base from its script tag (`data-api`) or its own origin.
#[wasm_bindgen(js_name = autoMount)]
pub fn auto_mount(default_api: Option<String>) -> u32 {
    embed::auto_mount(default_api.as_deref())
}

/// Mounts a widget into `element` with an options object
/// (`{ kind, api, articleId, lang, digits, calendar, timeZone, theme }`).
/// Throws a `KhabarError` with a `code` when the options are unusable.
#[wasm_bindgen]
pub fn mount(element: Element, options: JsValue) -> Result<WidgetHandle, JsValue> {
    let default_api = default_api();
    let parsed = embed::options_from_object(&element, &options, default_api.as_deref())
        .map_err(error::WidgetError::Config)?;
    let widget = Widget::mount(element.clone(), Ok(parsed), embed::fallback_lang(&element))?;
    Ok(WidgetHandle { widget })
}

/// The version of the widget.
#[wasm_bindgen]
pub fn version() -> String {
    widget::VERSION.to_owned()
}

/// What `mount()` returns: change options or take the widget down.
#[wasm_bindgen]
pub struct WidgetHandle {
    widget: Widget,
}

#[wasm_bindgen]
impl WidgetHandle {
    /// Replaces the options (same shape as for `mount`) and reloads.
    pub fn update(&self, options: JsValue) -> Result<(), JsValue> {
        let host = self.widget.host();
        let parsed = embed::options_from_object(&host, &options, default_api().as_deref())
            .map_err(error::WidgetError::Config)?;
        self.widget.update(Ok(parsed))?;
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

/// `location.origin + "/api/v1"`: the default API when none is given.
fn default_api() -> Option<String> {
    let origin = web_sys::window()?.location().origin().ok()?;
    Some(format!("{origin}/api/v1"))
}
