//! The loader's language rules against the browser's: the plural
//! categories that pick "دقيقتين" or "دقائق" for "5 minutes ago"
//! (`js/dates.js`) are CLDR's, as each browser's `Intl.PluralRules` has
//! them, and a dateline written from the catalog reads as the browser's
//! `Intl` writes it.

use js_sys::{Array, Intl, Object};
use khabar::i18n::Lang;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

use crate::support::catalog_file;

#[wasm_bindgen(module = "/js/dates.js")]
extern "C" {
    fn plural(lang: &str, n: u32) -> String;
    #[wasm_bindgen(js_name = dateline)]
    fn intl_dateline(lang: &str, digits: &str, calendar: &str) -> js_sys::Function;
    #[wasm_bindgen(js_name = localDateline)]
    fn catalog_dateline(catalog: &JsValue, digits: &str) -> js_sys::Function;
}

#[wasm_bindgen_test]
fn catalog_datelines_read_as_the_browsers_intl_writes_them() {
    for (lang, digits) in [
        ("ar", "arab"),
        ("ar", "latn"),
        ("fa", "arabext"),
        ("ur", "latn"),
        ("he", "latn"),
        ("en", "latn"),
        ("fr", "latn"),
    ] {
        let ours = catalog_dateline(&catalog_file(lang), digits);
        let intl = intl_dateline(lang, digits, "gregory");
        // Every month, weekday and hour, the minutes' leading zero, midnight
        // and noon: 2026 in steps of 7 h 13 min.
        let start = js_sys::Date::utc(2026.0, 0.0);
        for step in 0..1_300 {
            let at = js_sys::Date::new(&JsValue::from_f64(
                start + f64::from(step) * 433.0 * 60_000.0,
            ));
            let time = JsValue::from(at.to_iso_string());
            let ours = ours.call1(&JsValue::NULL, &time).expect("ours");
            let ours = ours.as_string().unwrap_or_default();
            let theirs = intl.call1(&JsValue::NULL, &time).expect("intl");
            let mut theirs = theirs.as_string().unwrap_or_default();
            // The one difference between the browsers: Firefox writes
            // French hours with two digits ("à 09:07"), Chromium (and
            // Node) with one, as the catalog does.
            if let Some(at) = theirs.find(" à 0").filter(|_| lang == "fr") {
                let hour = at + " à ".len();
                if theirs[hour..].chars().nth(2) == Some(':') {
                    theirs.remove(hour);
                }
            }
            assert_eq!(ours, theirs, "{lang} {digits} {:?}", time.as_string());
        }
    }
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
