//! Writes into OUT_DIR what the widget compiles in from its data files:
//! the stylesheet, minified (every reader downloads it inside the wasm; the
//! comments page's module gets it without the core's own rules), and
//! the language catalogs as Rust statics (`src/i18n/<tag>.json`: all of each
//! for builds with the `catalogs` feature, and in every build the few
//! sentences an error needs before the reader's catalog has arrived).

use std::path::Path;

fn minify(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    // Drop comments.
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = match rest[start..].find("*/") {
            Some(end) => &rest[start + end + 2..],
            None => "",
        };
    }
    out.push_str(rest);
    // Fold whitespace, then remove it where CSS never needs it.
    let folded = out.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut min = folded;
    for (from, to) in [
        (" {", "{"),
        ("{ ", "{"),
        (" }", "}"),
        ("; ", ";"),
        (", ", ","),
        (";}", "}"),
    ] {
        min = min.replace(from, to);
    }
    min
}

/// The markers around the rules only the core module's views use.
const CORE_OPEN: &str = "/* core { */";
const CORE_CLOSE: &str = "/* } core */";

/// `css` without the core module's own rules, for the comments page's
/// module; `None` when a marker is left unpaired.
fn without_core(css: &str) -> Option<String> {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find(CORE_OPEN) {
        if rest[..start].contains(CORE_CLOSE) {
            return None;
        }
        out.push_str(&rest[..start]);
        let end = rest[start..].find(CORE_CLOSE)?;
        let block = &rest[start + CORE_OPEN.len()..start + end];
        if block.contains(CORE_OPEN) {
            return None;
        }
        rest = &rest[start + end + CORE_CLOSE.len()..];
    }
    (!rest.contains(CORE_CLOSE)).then(|| out + rest)
}

/// The languages, as `Lang::ALL` orders them.
const LANGS: [&str; 6] = ["ar", "fa", "ur", "he", "en", "fr"];

/// What a widget can say with no catalog: the load failed, or it crashed.
const FALLBACK_KEYS: [&str; 4] = ["retry", "reload", "error_network", "error_crash"];

/// Whether a catalog key is read by the loader rather than the wasm:
/// `ago_*` and `date_*`, the words of "5 minutes ago" and of datelines
/// that `js/dates.js` writes.
fn loaders(key: &str) -> bool {
    key.starts_with("ago_") || key.starts_with("date_")
}

/// Reads every catalog, checks they have the same keys with text in each,
/// and writes them as `Catalog` statics.
fn catalogs(out: &Path) {
    let mut code = String::new();
    let mut keys: Option<Vec<String>> = None;
    for lang in LANGS {
        let path = format!("src/i18n/{lang}.json");
        println!("cargo:rerun-if-changed={path}");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| fail(&format!("cannot read {path}: {e}")));
        let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text)
            .unwrap_or_else(|e| fail(&format!("{path} is not a JSON object: {e}")));
        let mut these: Vec<String> = map.keys().cloned().collect();
        these.sort();
        match &keys {
            None => keys = Some(these),
            Some(first) if *first != these => fail(&format!(
                "{path} does not have the keys of {}.json",
                LANGS[0]
            )),
            Some(_) => {}
        }
        let text_of = |key: &str| match map.get(key) {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => s.clone(),
            _ => fail(&format!("{path}: \"{key}\" must be a non-empty string")),
        };
        let upper = lang.to_uppercase();
        // Const blocks that fill a `Catalog`'s array by key, so that the
        // order of the keys is the macro's alone (src/i18n/catalog.rs).
        let fill = |keys: &mut dyn Iterator<Item = &str>| {
            let mut body = String::from("{\n    let mut s = [\"\"; Catalog::KEYS.len()];\n");
            for key in keys {
                body.push_str(&format!(
                    "    s[Key::{key} as usize] = {:?};\n",
                    text_of(key)
                ));
            }
            body + "    Catalog(s)\n}"
        };
        // The loader's keys are checked like the others, and left out.
        for key in map.keys().filter(|k| loaders(k)) {
            text_of(key);
        }
        code.push_str(&format!(
            "/// The `{lang}` catalog, compiled in.\n#[cfg(feature = \"catalogs\")]\npub static {upper}: Catalog = {};\n",
            fill(&mut map.keys().map(String::as_str).filter(|k| !loaders(k)))
        ));
        code.push_str(&format!(
            "/// What a `{lang}` widget says before its catalog is in.\npub static FALLBACK_{upper}: Catalog = {};\n",
            fill(&mut FALLBACK_KEYS.into_iter())
        ));
    }
    if let Err(e) = std::fs::write(out.join("catalogs.rs"), code) {
        fail(&format!("cannot write catalogs.rs: {e}"));
    }
}

fn main() {
    let src = Path::new("src/style.css");
    println!("cargo:rerun-if-changed={}", src.display());
    // A widget without its stylesheet still builds and looks broken on
    // every page: refuse to build instead.
    let css = match std::fs::read_to_string(src) {
        Ok(css) if !css.trim().is_empty() => css,
        Ok(_) => fail(&format!("{} is empty", src.display())),
        Err(e) => fail(&format!("cannot read {}: {e}", src.display())),
    };
    let out = std::env::var("OUT_DIR").unwrap_or_else(|_| fail("OUT_DIR is not set"));
    catalogs(Path::new(&out));
    let comments = without_core(&css).unwrap_or_else(|| {
        fail(&format!(
            "{}: a \"{CORE_OPEN}\" without its \"{CORE_CLOSE}\" (or the reverse)",
            src.display()
        ))
    });
    for (file, css) in [
        ("style.min.css", &css),
        ("style.comments.min.css", &comments),
    ] {
        let dest = Path::new(&out).join(file);
        if let Err(e) = std::fs::write(&dest, minify(css)) {
            fail(&format!("cannot write {}: {e}", dest.display()));
        }
    }
}

/// Stops the build with `message`.
fn fail(message: &str) -> ! {
    eprintln!("error: khabar build script: {message}");
    std::process::exit(1);
}
