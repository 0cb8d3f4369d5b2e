//! How host pages reach the widget: `data-khabar` placeholders found by the
//! script tag, and options objects passed to `mount()` from JavaScript.

use wasm_bindgen::prelude::*;
use web_sys::Element;

use crate::config::{ConfigError, Options};
use crate::i18n::Lang;
use crate::widget::{self, Widget};

/// The nearest `lang` attribute around `el`, as the page declares it.
pub fn page_lang(el: &Element) -> Option<String> {
    el.closest("[lang]")
        .ok()
        .flatten()
        .and_then(|e| e.get_attribute("lang"))
}

/// The language to report errors in before options are known.
pub fn fallback_lang(el: &Element) -> Lang {
    page_lang(el)
        .as_deref()
        .and_then(Lang::from_tag)
        .unwrap_or(Lang::Ar)
}

/// Options from a placeholder's `data-khabar-*` attributes; `data-khabar`
/// is the kind. The bare `data-*` names of 0.1 still work, with a warning:
/// the host page's CSS and scripts read them too (daisyUI styles any
/// `[data-theme]`).
pub fn options_from_element(
    el: &Element,
    default_api: Option<&str>,
) -> Result<Options, ConfigError> {
    let deprecated = std::cell::RefCell::new(Vec::<String>::new());
    let options = Options::parse(
        &|name| match name {
            "kind" => el.get_attribute("data-khabar"),
            _ => el
                .get_attribute(&format!("data-khabar-{name}"))
                .or_else(|| {
                    let old = el.get_attribute(&format!("data-{name}"))?;
                    let mut seen = deprecated.borrow_mut();
                    if !seen.iter().any(|n| n == name) {
                        seen.push(name.to_owned());
                    }
                    Some(old)
                }),
        },
        page_lang(el).as_deref(),
        default_api,
    );
    options.map(|mut o| {
        for name in deprecated.into_inner() {
            o.warnings.push(format!(
                "data-{name} is deprecated: write data-khabar-{name} (the page's own CSS and scripts read bare data-* names too)"
            ));
        }
        o
    })
}

/// Options from the plain attributes of `<khabar-widget kind="…" article-id="…">`.
pub fn options_from_attributes(
    el: &Element,
    default_api: Option<&str>,
) -> Result<Options, ConfigError> {
    Options::parse(
        &|name| el.get_attribute(name),
        page_lang(el).as_deref(),
        default_api,
    )
}

/// Options from a JS object such as `{ kind, api, articleId, lang }`.
pub fn options_from_object(
    el: &Element,
    obj: &JsValue,
    default_api: Option<&str>,
) -> Result<Options, ConfigError> {
    Options::from_object(obj, page_lang(el).as_deref(), default_api)
}

/// Destroys the widgets whose host left the page (placeholders or not),
/// then mounts the placeholders of this module's kinds that have none (the
/// comments page's module asks the loader for the core when a placeholder
/// needs it). The loader calls it as the module starts and after every
/// change to the page's tree (one observer for the page, in the loader,
/// rather than one in each module). Returns how many were mounted.
pub fn auto_mount(default_api: Option<&str>) -> u32 {
    widget::sweep_removed();
    mount_new(default_api)
}

/// Mounts every `[data-khabar]` placeholder that has no widget yet.
fn mount_new(default_api: Option<&str>) -> u32 {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return 0;
    };
    let Ok(found) = doc.query_selector_all("[data-khabar]") else {
        return 0;
    };
    let mut mounted = 0;
    for i in 0..found.length() {
        let Some(el) = found.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
            continue;
        };
        // Mounted here, or by the other module of the page (its mark and
        // the shadow root it filled: a page saved with the mark alone, as
        // a prerenderer writes it, is mounted again).
        let elsewhere =
            el.has_attribute(crate::crash::MOUNTED_ATTR) && crate::dom::root_of(&el).is_some();
        if widget::is_mounted_in(&el) || elsewhere {
            continue;
        }
        if !hosted_here(el.get_attribute("data-khabar").as_deref()) {
            // The core's: the loader starts it, and it mounts it.
            if let Some(host) = crate::host::get() {
                host.start_core();
            }
            continue;
        }
        let options = options_from_element(&el, default_api);
        match Widget::mount(el.clone(), options, fallback_lang(&el)) {
            Ok(_) => mounted += 1,
            Err(e) => web_sys::console::error_1(&JsValue::from_str(&format!("khabar: {e}"))),
        }
    }
    mounted
}

/// Whether this module mounts a placeholder whose `data-khabar` is `kind`:
/// the core every kind (an unknown one too, to show its error), the
/// comments page's module only `comments`.
fn hosted_here(kind: Option<&str>) -> bool {
    cfg!(feature = "core") || kind.map(str::trim) == Some("comments")
}
