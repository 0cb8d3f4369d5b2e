//! `cargo xtask build`: the widget in release into `target/widget/`.

use std::process::Command;

use crate::cmd::{self, root};
use crate::imports;

/// Builds the widget in release into `target/widget/` with the loader.
pub fn widget() -> Result<(), String> {
    let root = root();
    cmd::run(
        Command::new("wasm-pack")
            .args([
                "build",
                "--release",
                "--target",
                "web",
                "--no-pack",
                "--out-dir",
                "target/widget",
                "--out-name",
                "khabar_core",
            ])
            .current_dir(&root),
    )?;
    // Short import names in the wasm and its glue (see imports.rs).
    let wasm_path = root.join("target/widget/khabar_core_bg.wasm");
    let glue_path = root.join("target/widget/khabar_core.js");
    let wasm = std::fs::read(&wasm_path).map_err(|e| format!("reading the wasm: {e}"))?;
    let (wasm, renamed) = imports::minify(&wasm, "./khabar_core_bg.js")?;
    let glue = std::fs::read_to_string(&glue_path).map_err(|e| format!("reading the glue: {e}"))?;
    let glue = imports::rename_in_glue(&glue, &renamed)?;
    std::fs::write(&wasm_path, wasm).map_err(|e| format!("writing the wasm: {e}"))?;
    std::fs::write(&glue_path, glue).map_err(|e| format!("writing the glue: {e}"))?;
    std::fs::copy(
        root.join("js/khabar.js"),
        root.join("target/widget/khabar.js"),
    )
    .map_err(|e| format!("copying the loader: {e}"))?;
    // Every reader downloads the JS too: minify the glue and the loader.
    for file in ["target/widget/khabar_core.js", "target/widget/khabar.js"] {
        cmd::run(
            Command::new(root.join("node_modules/.bin/esbuild"))
                .args([file, "--minify", "--format=esm", "--target=es2022"])
                .args(["--log-level=warning", "--allow-overwrite"])
                .arg(format!("--outfile={file}"))
                .current_dir(&root),
        )?;
    }
    Ok(())
}
