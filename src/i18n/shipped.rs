//! Catalogs handed over by the loader, in a build that compiles none in
//! (the shipped modules): each language by its slot (`Lang as usize`) and
//! tag, read once and kept for the page.

use std::cell::RefCell;

use js_sys::{Function, Promise};
use wasm_bindgen::{JsCast, JsValue};

use super::catalog::{Catalog, Unavailable};
use crate::json::FromJson;

thread_local! {
    /// Each language's catalog once read, by slot (six languages).
    static READ: RefCell<[Option<&'static Catalog>; 6]> = const { RefCell::new([None; 6]) };
    /// The loader's `(tag) => catalog object | Promise of it`.
    static SOURCE: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Takes the loader's catalog source.
pub fn provide(source: Function) {
    SOURCE.with(|s| *s.borrow_mut() = Some(source));
}

/// What the loader answers for `tag`: its catalog object when it has it
/// already, else (unless `peek`, which starts no fetch) a promise of it.
fn ask(tag: &str, peek: bool) -> Option<JsValue> {
    SOURCE.with(|s| {
        let source = s.borrow();
        source
            .as_ref()?
            .call2(
                &JsValue::NULL,
                &JsValue::from_str(tag),
                &JsValue::from_bool(peek),
            )
            .ok()
    })
}

/// Reads a catalog object and keeps it; `None` when it is not one.
fn keep(slot: usize, tag: &str, value: &JsValue) -> Option<&'static Catalog> {
    match Catalog::from_json(value, tag) {
        Ok(catalog) => {
            let catalog: &'static Catalog = Box::leak(Box::new(catalog));
            READ.with(|r| {
                if let Some(place) = r.borrow_mut().get_mut(slot) {
                    *place = Some(catalog);
                }
            });
            Some(catalog)
        }
        Err(e) => {
            web_sys::console::error_1(&JsValue::from_str(&format!("khabar: catalog {e}")));
            None
        }
    }
}

/// The catalog if read, or if the loader holds it already (how the comments
/// module gets the one the core module waited for). A lookup, never a
/// request: the widget renders its skeleton and errors through it.
pub fn loaded(slot: usize, tag: &str) -> Option<&'static Catalog> {
    if let Some(c) = READ.with(|r| r.borrow().get(slot).copied().flatten()) {
        return Some(c);
    }
    let value = ask(tag, true)?;
    if !value.is_object() || value.is_instance_of::<Promise>() {
        return None;
    }
    keep(slot, tag, &value)
}

/// Waits for the loader's fetch of the catalog, then calls `then`.
pub fn fetch(slot: usize, tag: &'static str, then: Box<dyn FnOnce(Result<(), Unavailable>)>) {
    let Some(value) = ask(tag, false) else {
        return crate::task::soon(move || then(Err(Unavailable)));
    };
    crate::task::when(&value, move |settled| {
        then(
            settled
                .ok()
                .and_then(|v| keep(slot, tag, &v))
                .map(|_| ())
                .ok_or(Unavailable),
        )
    });
}
