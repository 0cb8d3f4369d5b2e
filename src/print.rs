//! "Print the article": prints the widget's article (or, under the
//! `actions` kind, the host page's own article element) alone, on a clean
//! page, even from a busy host page — without breaking the host's own print.
//!
//! While printing, the path from `<body>` down to the widget is marked and a
//! document stylesheet (adopted, so it works under a strict CSP) hides
//! everything else *in print only*. Without our button, the page prints as
//! its authors intended.

use std::cell::RefCell;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CssStyleSheet, Document, Element};

use crate::dom::Attrs;

const PRINTING: &str = "data-khabar-printing";
const PATH: &str = "data-khabar-print-path";
// Not `data-khabar-print-target`: that is a placeholder's own option
// (`actions`), which the marks' removal would wipe.
const TARGET: &str = "data-khabar-print-root";

const PAGE_CSS: &str = "@media print {
html[data-khabar-printing] body *:not([data-khabar-print-path]):not([data-khabar-print-root]):not([data-khabar-print-root] *) { display: none !important; }
html[data-khabar-printing] [data-khabar-print-path], html[data-khabar-printing] [data-khabar-print-root] {
 display: block !important; position: static !important; float: none !important; margin: 0 !important;
 padding: 0 !important; border: 0 !important; box-shadow: none !important; background: none !important;
 inline-size: auto !important; max-inline-size: none !important; min-block-size: 0 !important; }
html[data-khabar-printing], html[data-khabar-printing] body { margin: 0 !important; padding: 0 !important; background: #fff !important; }
html[data-khabar-printing] [data-khabar-print-root] :is([data-khabar=comments], khabar-widget[kind=comments]) { display: none !important; }
}";

thread_local! {
    static SHEET: RefCell<Option<CssStyleSheet>> = const { RefCell::new(None) };
}

fn adopt_page_sheet(doc: &Document) {
    let exists = SHEET.with(|s| s.borrow().is_some());
    if exists {
        return;
    }
    let Ok(sheet) = CssStyleSheet::new() else {
        return;
    };
    if sheet.replace_sync(PAGE_CSS).is_err() {
        return;
    }
    // Added to the host's own sheets, never replacing them.
    let sheets = doc.adopted_style_sheets();
    sheets.push(&sheet);
    doc.set_adopted_style_sheets(&sheets);
    SHEET.with(|s| *s.borrow_mut() = Some(sheet));
}

/// Marks the page so that printing shows only `host` (a widget's host or a
/// host page's article), with everything in it.
pub fn begin(host: &Element, frame: &Element) {
    let Some(doc) = host.owner_document() else {
        return;
    };
    adopt_page_sheet(&doc);
    host.set_attr(TARGET, "");
    let mut node = parent(host);
    while let Some(el) = node {
        if el.local_name() == "html" {
            break;
        }
        // The page's sheet reaches the document's own elements only; one
        // inside a host's component (its shadow root) is shown with it.
        if el.get_root_node().is_instance_of::<Document>() {
            el.set_attr(PATH, "");
        }
        node = parent(&el);
    }
    if let Some(root) = doc.document_element() {
        root.set_attr(PRINTING, "");
    }
    frame.set_attr("data-printing", "");
}

/// The element `el` is in: across a shadow root, its host (a placeholder
/// inside the host page's own web component).
fn parent(el: &Element) -> Option<Element> {
    el.parent_element().or_else(|| {
        el.get_root_node()
            .dyn_into::<web_sys::ShadowRoot>()
            .ok()
            .map(|root| root.host())
    })
}

/// Removes every mark (after printing, or when the widget goes away).
pub fn end(host: &Element, frame: &Element) {
    let Some(doc) = host.owner_document() else {
        return;
    };
    if let Some(root) = doc.document_element() {
        root.remove_attr(PRINTING);
    }
    // Inside a shadow root the document's query below does not find it.
    host.remove_attr(TARGET);
    if let Ok(marked) = doc.query_selector_all(&format!("[{PATH}], [{TARGET}]")) {
        for i in 0..marked.length() {
            if let Some(el) = marked.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                el.remove_attr(PATH);
                el.remove_attr(TARGET);
            }
        }
    }
    frame.remove_attr("data-printing");
}

/// Opens the browser's print dialog.
pub fn print_dialog() {
    if let Some(window) = web_sys::window() {
        if let Err(e) = window.print() {
            web_sys::console::warn_2(&JsValue::from_str("khabar: print failed"), &e);
        }
    }
}
