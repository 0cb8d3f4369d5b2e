//! A panic becomes a visible error state in every widget on the page
//! instead of a silently dead box.

use wasm_bindgen::JsValue;

use crate::dom::{clear, Children};
use crate::i18n::Lang;
use crate::views::status;

/// The attribute that marks a host element with a live widget.
pub const MOUNTED_ATTR: &str = "data-khabar-mounted";

/// Installs the panic hook (once, at start).
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&JsValue::from_str(&format!("khabar crashed: {info}")));
        show_everywhere();
    }));
}

/// Replaces the content of every mounted widget with the crash state. It
/// reads only the DOM, never the widget's own state, which may be mid-update.
pub fn show_everywhere() -> Option<()> {
    let window = web_sys::window()?;
    let doc = window.document()?;
    let page = window.location().href().ok()?;
    let hosts = doc.query_selector_all(&format!("[{MOUNTED_ATTR}]")).ok()?;
    for i in 0..hosts.length() {
        let Some(host) = hosts
            .item(i)
            .and_then(|n| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(n).ok())
        else {
            continue;
        };
        let Some(root) = crate::dom::root_of(&host) else {
            continue;
        };
        let Some(frame) = root.first_element_child() else {
            continue;
        };
        let lang = frame
            .get_attribute("lang")
            .and_then(|l| Lang::from_tag(&l))
            .unwrap_or(Lang::Ar);
        let el = status::crashed(&doc, lang.catalog(), &page);
        clear(&frame);
        frame.add_child(&el.build());
    }
    Some(())
}
