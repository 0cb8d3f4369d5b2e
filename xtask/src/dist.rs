//! `cargo xtask dist` (the npm package and the CDN bundle) and
//! `cargo xtask size` (what a first visit downloads).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use sha2::{Digest, Sha384};

use crate::build;
use crate::cmd::{self, cargo_install, root};

/// Above this many gzip bytes of first-load transfer, `size` fails: a guard
/// against accidents (a stray dependency), not the target (see bench/).
pub const GZIP_CEILING: usize = 100_000;

/// The version of the widget crate: the one source of truth for npm too.
pub fn version() -> Result<String, String> {
    let manifest = read_text(&root().join("Cargo.toml"))?;
    manifest
        .lines()
        .skip_while(|l| l.trim() != "[package]")
        .find_map(|l| {
            let v = l.trim().strip_prefix("version")?.trim().strip_prefix('=')?;
            Some(v.trim().trim_matches('"').to_owned())
        })
        .ok_or_else(|| "no version in Cargo.toml's [package]".to_owned())
}

fn read_text(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// `sha384-…`, the Subresource Integrity form.
pub fn sri(bytes: &[u8]) -> String {
    let digest = Sha384::digest(bytes);
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The first 10 hex digits of the SHA-384: the content hash in file names.
pub fn short_hash(bytes: &[u8]) -> String {
    Sha384::digest(bytes)
        .iter()
        .take(5)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `gzip -9` size in bytes: the reference figure (zlib's own compressor;
/// Rust ports pick other matches and come out a few hundred bytes apart).
/// An error, never 0, when gzip cannot run: a 0 would pass the ceiling.
pub fn gzip_len(bytes: &[u8]) -> Result<usize, String> {
    let mut child = Command::new("gzip")
        .args(["-9", "-c", "-n"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start gzip (needed for the size figures): {e}"))?;
    // Fed from another thread: gzip writes while it reads, and a full
    // stdout pipe would otherwise block both sides.
    let input = bytes.to_vec();
    let mut stdin = child.stdin.take().ok_or("gzip: no stdin pipe")?;
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let out = child
        .wait_with_output()
        .map_err(|e| format!("waiting for gzip: {e}"))?;
    let fed = feeder
        .join()
        .map_err(|_| "gzip: the thread feeding it panicked".to_owned())?;
    if !out.status.success() {
        return Err(format!(
            "gzip failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    // A short write means gzip compressed only part of the input.
    fed.map_err(|e| format!("feeding gzip: {e}"))?;
    if out.stdout.is_empty() {
        return Err("gzip wrote nothing".into());
    }
    Ok(out.stdout.len())
}

/// brotli -q 11 size in bytes; an error, never 0, when compression fails.
pub fn brotli_len(bytes: &[u8]) -> Result<usize, String> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)
        .map_err(|e| format!("brotli: {e}"))?;
    Ok(out.len())
}

/// Replaces `from` by `to` in `text`, failing when `from` is absent: a
/// silent no-op here would ship a loader pointing at a missing file.
fn replace_once(text: &str, from: &str, to: &str, what: &str) -> Result<String, String> {
    if !text.contains(from) {
        return Err(format!("{what}: `{from}` not found"));
    }
    Ok(text.replace(from, to))
}

/// Bundles the loader and the wasm-bindgen glue into one minified ES module
/// that loads `wasm_name` next to itself and checks it against `integrity`.
fn bundle(wasm_name: &str, integrity: &str, version: &str) -> Result<Vec<u8>, String> {
    let root = root();
    let work = root.join("target/dist-work");
    let _ = std::fs::remove_dir_all(&work);
    let loader = read_text(&root.join("js/khabar.js"))?;
    let loader = replace_once(
        &loader,
        "const WASM_INTEGRITY = '';",
        &format!("const WASM_INTEGRITY = '{integrity}';"),
        "js/khabar.js",
    )?;
    let loader = replace_once(
        &loader,
        "'./khabar_core_bg.wasm'",
        &format!("'./{wasm_name}'"),
        "js/khabar.js",
    )?;
    // The glue's own default path is never used (the loader passes one), but
    // bundlers see it: point it at the same, existing file.
    let glue = read_text(&root.join("target/widget/khabar_core.js"))?;
    let glue = replace_once(&glue, "khabar_core_bg.wasm", wasm_name, "the glue")?;
    write(&work.join("khabar.js"), loader.as_bytes())?;
    write(&work.join("khabar_core.js"), glue.as_bytes())?;
    let out = work.join("bundle.js");
    cmd::run(
        Command::new(root.join("node_modules/.bin/esbuild"))
            .arg(work.join("khabar.js"))
            .args([
                "--bundle",
                "--format=esm",
                "--minify",
                "--target=es2022",
                "--log-level=warning",
                &format!("--banner:js=/*! khabar {version} | MIT OR Apache-2.0 */"),
            ])
            .arg(format!("--outfile={}", out.display())),
    )?;
    std::fs::read(&out).map_err(|e| format!("reading {}: {e}", out.display()))
}

/// One shipped file and its figures, as `dist` wrote them in manifest.json.
pub struct Shipped {
    /// The name under which it is published.
    pub name: String,
    /// Raw bytes.
    pub raw: usize,
    /// gzip -9 bytes.
    pub gzip: usize,
    /// brotli -11 bytes.
    pub brotli: usize,
}

/// The manifest entry of a published file: computed once, here.
fn figures(name: &str, bytes: &[u8]) -> Result<serde_json::Value, String> {
    Ok(serde_json::json!({
        "file": name,
        "integrity": sri(bytes),
        "bytes": bytes.len(),
        "gzip": gzip_len(bytes)?,
        "brotli": brotli_len(bytes)?,
    }))
}

/// `cargo xtask dist`: builds, then writes `dist/npm/` (and the tarball from
/// `npm pack`) and `dist/cdn/` (hashed names + manifest.json).
pub fn dist() -> Result<(), String> {
    build::widget()?;
    let root = root();
    let version = version()?;
    let dist = root.join("dist");
    let _ = std::fs::remove_dir_all(&dist);
    let wasm = std::fs::read(root.join("target/widget/khabar_core_bg.wasm"))
        .map_err(|e| format!("reading the built wasm: {e}"))?;
    let integrity = sri(&wasm);

    // npm: stable names; bundlers add their own hashes.
    let npm = dist.join("npm");
    let npm_js = bundle("khabar_bg.wasm", &integrity, &version)?;
    write(&npm.join("khabar.js"), &npm_js)?;
    write(&npm.join("khabar_bg.wasm"), &wasm)?;
    for (from, to) in [
        ("js/khabar.d.ts", "khabar.d.ts"),
        ("js/README.npm.md", "README.md"),
        ("CHANGELOG.md", "CHANGELOG.md"),
        ("LICENSE-MIT", "LICENSE-MIT"),
        ("LICENSE-APACHE", "LICENSE-APACHE"),
    ] {
        std::fs::copy(root.join(from), npm.join(to)).map_err(|e| format!("copying {from}: {e}"))?;
    }
    let package = serde_json::json!({
        "name": "khabar",
        "version": version,
        "description": "Embeddable news-article widget (articles, latest news, comments, share/print/RSS), right-to-left first, in Rust and WebAssembly",
        "license": "MIT OR Apache-2.0",
        "repository": { "type": "git", "url": "https://example.invalid/khabar.git" },
        "keywords": ["news", "widget", "comments", "arabic", "rtl", "webassembly", "web-component"],
        "type": "module",
        "main": "./khabar.js",
        "module": "./khabar.js",
        "types": "./khabar.d.ts",
        "exports": {
            ".": { "types": "./khabar.d.ts", "default": "./khabar.js" },
            "./khabar_bg.wasm": "./khabar_bg.wasm",
            "./package.json": "./package.json"
        },
        // Importing mounts placeholders and defines <khabar-widget>.
        "sideEffects": ["./khabar.js"],
        "files": ["khabar.js", "khabar.d.ts", "khabar_bg.wasm", "README.md", "CHANGELOG.md", "LICENSE-MIT", "LICENSE-APACHE"]
    });
    let text = serde_json::to_string_pretty(&package).map_err(|e| e.to_string())? + "\n";
    write(&npm.join("package.json"), text.as_bytes())?;
    cmd::run(
        Command::new("npm")
            .args(["pack", "--silent", "--pack-destination", ".."])
            .current_dir(&npm),
    )?;

    // CDN: content-hashed names, immutable forever; the manifest has SRI.
    let cdn = dist.join("cdn");
    let wasm_name = format!("khabar_bg.{}.wasm", short_hash(&wasm));
    let cdn_js = bundle(&wasm_name, &integrity, &version)?;
    let js_name = format!("khabar.{}.js", short_hash(&cdn_js));
    write(&cdn.join(&wasm_name), &wasm)?;
    write(&cdn.join(&js_name), &cdn_js)?;
    let mut entries = serde_json::Map::new();
    entries.insert("khabar.js".into(), figures(&js_name, &cdn_js)?);
    entries.insert("khabar_bg.wasm".into(), figures(&wasm_name, &wasm)?);
    let snippet = format!(
        "<script type=\"module\" src=\"https://YOUR-CDN/{js_name}\" integrity=\"{}\" crossorigin=\"anonymous\" data-api=\"https://YOUR-SITE/api/v1\"></script>",
        sri(&cdn_js)
    );
    let manifest = serde_json::json!({
        "name": "khabar",
        "version": version,
        "files": entries,
        "snippet": snippet,
    });
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())? + "\n";
    write(&cdn.join("manifest.json"), text.as_bytes())?;

    println!("\ndist/npm/          npm package (khabar {version})");
    println!("dist/khabar-{version}.tgz  from npm pack");
    println!("dist/cdn/{js_name}");
    println!("dist/cdn/{wasm_name}");
    println!("dist/cdn/manifest.json  SRI hashes and the script tag:\n  {snippet}\n");
    Ok(())
}

/// The CDN files of the last `dist` with their figures, in load order.
pub fn cdn_files() -> Result<Vec<Shipped>, String> {
    let path = root().join("dist/cdn/manifest.json");
    let manifest: serde_json::Value = serde_json::from_str(&read_text(&path)?)
        .map_err(|e| format!("dist/cdn/manifest.json: {e}"))?;
    ["khabar.js", "khabar_bg.wasm"]
        .iter()
        .map(|logical| {
            let entry = &manifest["files"][logical];
            let number = |key: &str| {
                entry[key]
                    .as_u64()
                    .map(|n| n as usize)
                    .ok_or_else(|| format!("manifest.json: no {key} for {logical}"))
            };
            Ok(Shipped {
                name: entry["file"]
                    .as_str()
                    .ok_or_else(|| format!("manifest.json names no {logical}"))?
                    .to_owned(),
                raw: number("bytes")?,
                gzip: number("gzip")?,
                brotli: number("brotli")?,
            })
        })
        .collect()
}

/// Fails when the last `dist`'s first-load transfer is above the ceiling,
/// or when its figures cannot be right (a compressed size of 0 bytes, as an
/// older xtask wrote when gzip failed, would pass any ceiling).
pub fn check_ceiling() -> Result<(), String> {
    let files = cdn_files()?;
    if files.is_empty() {
        return Err("dist/cdn/manifest.json lists no files".into());
    }
    for f in &files {
        if f.raw > 0 && (f.gzip == 0 || f.brotli == 0) {
            return Err(format!(
                "dist/cdn/manifest.json: {} has {} bytes but {} gzip / {} brotli; \
                 rerun `cargo xtask dist`",
                f.name, f.raw, f.gzip, f.brotli
            ));
        }
    }
    let gz: usize = files.iter().map(|f| f.gzip).sum();
    println!(
        "first load: {gz} bytes gzip (ceiling {GZIP_CEILING}): {}",
        files
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(" + ")
    );
    if gz > GZIP_CEILING {
        return Err(format!(
            "first-load transfer is {gz} bytes gzip, above the {GZIP_CEILING}-byte ceiling"
        ));
    }
    Ok(())
}

/// `cargo xtask size [--no-twiggy]`: every shipped file raw / gzip / brotli,
/// the first-load total, twiggy's top 20; fails above [`GZIP_CEILING`].
pub fn size(args: &[String]) -> Result<(), String> {
    dist()?;
    let files = cdn_files()?;
    println!(
        "{:<34} {:>9} {:>9} {:>9}",
        "file (dist/cdn)", "raw", "gzip", "brotli"
    );
    let (mut raw, mut gz, mut br) = (0, 0, 0);
    for f in &files {
        println!("{:<34} {:>9} {:>9} {:>9}", f.name, f.raw, f.gzip, f.brotli);
        raw += f.raw;
        gz += f.gzip;
        br += f.brotli;
    }
    println!(
        "{:<34} {:>9} {:>9} {:>9}",
        "first load (bytes)", raw, gz, br
    );
    println!(
        "first load: {:.1} KB gzip, {:.1} KB brotli (ceiling {} KB gzip)",
        gz as f64 / 1000.0,
        br as f64 / 1000.0,
        GZIP_CEILING / 1000
    );
    if !args.iter().any(|a| a == "--no-twiggy") {
        twiggy_top()?;
    }
    check_ceiling()
}

/// twiggy's top 20 on a copy of the release wasm that keeps function names.
fn twiggy_top() -> Result<(), String> {
    cargo_install("twiggy", "twiggy", "0.8.0")?;
    let root = root();
    let raw = root.join("target/wasm32-unknown-unknown/release/khabar.wasm");
    let out: PathBuf = root.join("target/size");
    cmd::run(
        Command::new("wasm-bindgen")
            .arg(&raw)
            .args(["--target", "web", "--out-dir"])
            .arg(&out),
    )?;
    let named = out.join("khabar_named.wasm");
    cmd::run(
        Command::new(root.join("node_modules/.bin/wasm-opt"))
            .arg(out.join("khabar_bg.wasm"))
            .args([
                "-g",
                "-Oz",
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
            ])
            .args([
                "--enable-sign-ext",
                "--enable-mutable-globals",
                "--enable-reference-types",
            ])
            .arg("-o")
            .arg(&named),
    )?;
    println!("\ntwiggy top 20 (release build with names kept; raw bytes):");
    cmd::run(Command::new("twiggy").args(["top", "-n", "20"]).arg(&named))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sri_is_sha384_in_base64() {
        // `printf abc | openssl dgst -sha384 -binary | base64`
        assert_eq!(
            sri(b"abc"),
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
        assert_eq!(short_hash(b"abc").len(), 10);
    }

    #[test]
    fn compressed_sizes_are_real_figures() {
        let text = "خبر news ".repeat(2000);
        let gz = gzip_len(text.as_bytes()).expect("gzip runs");
        let br = brotli_len(text.as_bytes()).expect("brotli");
        assert!(gz > 0 && gz < text.len(), "{gz}");
        assert!(br > 0 && br < text.len(), "{br}");
    }

    #[test]
    fn the_version_comes_from_cargo_toml() {
        let v = version().expect("version");
        assert_eq!(v.split('.').count(), 3, "{v}");
    }
}
