//! `cargo xtask build`: the widget in release into `target/widget/`.

use std::process::Command;

use crate::cmd::{self, root};
use crate::imports;

/// The widget's wasm modules, each built from the one crate with its Cargo
/// feature: `(out name, feature)`. The first is what every page loads; the
/// loader starts the others when a page needs them.
pub const MODULES: [(&str, &str); 3] = [
    ("khabar_core", "core"),
    ("khabar_comments", "comments"),
    ("khabar_comments_page", "comments-page"),
];

/// The loader's JavaScript besides the API entry (`index.js`): `khabar.js`
/// and what both modules call back into — requests, dates, the page's
/// scheme (src/host.rs).
pub const LOADER_FILES: [&str; 4] = ["khabar.js", "request.js", "dates.js", "page.js"];

/// Builds the widget's modules in release into `target/widget/` with the loader
/// (`khabar.js`) and the API entry (`index.js`) it imports, with the
/// files both modules call back into ([`LOADER_FILES`]).
pub fn widget() -> Result<(), String> {
    let root = root();
    for (name, feature) in MODULES {
        cmd::run(
            cmd::shipped_wasm(&mut Command::new("wasm-pack"))
                .args(["build", "--release", "--target", "web", "--no-pack"])
                .args(["--out-dir", "target/widget", "--out-name", name])
                .args(["--", "--no-default-features", "--features", feature])
                .current_dir(&root),
        )?;
        // Short import names in the wasm and its glue (see imports.rs).
        let wasm_path = root.join(format!("target/widget/{name}_bg.wasm"));
        let glue_path = root.join(format!("target/widget/{name}.js"));
        let wasm = std::fs::read(&wasm_path).map_err(|e| format!("reading the wasm: {e}"))?;
        let (wasm, renamed) = imports::minify(&wasm, &format!("./{name}_bg.js"))?;
        let glue =
            std::fs::read_to_string(&glue_path).map_err(|e| format!("reading the glue: {e}"))?;
        let glue = imports::rename_in_glue(&glue, &renamed)?;
        std::fs::write(&wasm_path, wasm).map_err(|e| format!("writing the wasm: {e}"))?;
        std::fs::write(&glue_path, glue).map_err(|e| format!("writing the glue: {e}"))?;
    }
    for (tag, catalog) in catalogs()? {
        let path = root.join(format!("target/widget/{}", catalog_file(&tag)));
        std::fs::write(&path, catalog).map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    for file in LOADER_FILES {
        std::fs::copy(
            root.join("js").join(file),
            root.join("target/widget").join(file),
        )
        .map_err(|e| format!("copying js/{file}: {e}"))?;
    }
    // `version()` answers before the module runs from this constant.
    let api = std::fs::read_to_string(root.join("js/index.js"))
        .map_err(|e| format!("reading js/index.js: {e}"))?
        .replacen(
            "const VERSION = '';",
            &format!("const VERSION = '{}';", cmd::version()?),
            1,
        );
    std::fs::write(root.join("target/widget/index.js"), api)
        .map_err(|e| format!("writing target/widget/index.js: {e}"))?;
    // Every reader downloads the JS too: minify the glue and the loader.
    let files = MODULES
        .iter()
        .map(|(name, _)| format!("target/widget/{name}.js"))
        .chain(
            LOADER_FILES
                .iter()
                .chain(&["index.js"])
                .map(|f| format!("target/widget/{f}")),
        );
    for file in files {
        cmd::run(
            Command::new(root.join("node_modules/.bin/esbuild"))
                .args([&file, "--minify", "--format=esm", "--target=es2022"])
                .args(["--log-level=warning", "--allow-overwrite"])
                .arg(format!("--outfile={file}"))
                .current_dir(&root),
        )?;
    }
    Ok(())
}

/// The file name of a language catalog as shipped, next to the wasm.
pub fn catalog_file(tag: &str) -> String {
    format!("khabar-{tag}.json")
}

/// Every language catalog (`src/i18n/<tag>.json`), minified: `(tag, JSON)`,
/// in the order of their tags.
pub fn catalogs() -> Result<Vec<(String, String)>, String> {
    let dir = root().join("src/i18n");
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    let mut out = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let (Some(tag), Some("json")) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        out.push((tag.to_owned(), value.to_string()));
    }
    out.sort();
    Ok(out)
}
