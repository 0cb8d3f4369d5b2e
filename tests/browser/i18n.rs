//! The loader's language rules against the browser's: the plural
//! categories that pick "دقيقتين" or "دقائق" for "5 minutes ago"
//! (`js/dates.js`) are CLDR's, as each browser's `Intl.PluralRules` has
//! them.

use js_sys::{Array, Intl, Object};
use khabar::i18n::Lang;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[wasm_bindgen(module = "/js/dates.js")]
extern "C" {
    fn plural(lang: &str, n: u32) -> String;
}

#[wasm_bindgen_test]
fn plural_categories_agree_with_the_browsers_intl() {
    for lang in Lang::ALL {
        let locales = Array::of1(&JsValue::from_str(lang.tag()));
        let rules = Intl::PluralRules::new(&locales, &Object::new());
        for n in (0..=1_200u32).chain([10_000, 100_000, 1_000_000, 2_000_000]) {
            let theirs = rules.select(f64::from(n)).as_string().unwrap_or_default();
            assert_eq!(plural(lang.tag(), n), theirs, "{lang:?} {n}");
        }
    }
}
