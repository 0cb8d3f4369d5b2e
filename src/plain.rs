//! Plain JavaScript objects the widget makes itself (event details,
//! request and formatter options): a leaf module, so that any layer may
//! use it without importing the DOM or error layers.

use js_sys::Object;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    // `Reflect.set` on a plain object the widget made cannot throw, so it
    // is bound without `catch`: no error path at each call.
    #[wasm_bindgen(js_namespace = Reflect, js_name = set)]
    fn reflect_set(target: &Object, key: &str, value: &JsValue) -> bool;
}

/// Sets `obj[key] = value` on a plain object the widget made.
pub fn set_field(obj: &Object, key: &str, value: &JsValue) {
    reflect_set(obj, key, value);
}
