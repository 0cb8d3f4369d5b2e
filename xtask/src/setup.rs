//! Installs what the project needs, skipping what is already there, and
//! says exactly what to install by hand where it cannot do it itself.

use std::path::Path;
use std::process::Command;

use crate::root;
use crate::steps::{output_of, run_cmd};

/// Must equal the `wasm-bindgen = "=…"` pin in the root Cargo.toml.
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// wasm-pack version installed by setup.
pub const WASM_PACK_VERSION: &str = "0.15.1";
/// geckodriver version installed by setup (Firefox browser tests).
pub const GECKODRIVER_VERSION: &str = "0.37.1";
/// Debian packages of the browser tests.
pub const APT_PACKAGES: &[&str] = &[
    "chromium",
    "chromium-driver",
    "firefox-esr",
    "fonts-noto-ui-core",
    "poppler-utils",
];

/// What a command needs installed.
#[derive(Debug, Default, Clone, Copy)]
pub struct Needs {
    /// Browsers and WebDriver servers, for the tests.
    pub browsers: bool,
}

/// Installs what is missing; an error says what to do by hand.
pub fn run(needs: Needs) -> Result<(), String> {
    prepend_tool_paths();
    require(
        "cargo",
        "Rust via rustup: https://rustup.rs (then re-open the shell)",
    )?;
    require(
        "node",
        "Node.js 20 or newer with npm (Debian: apt-get install nodejs npm)",
    )?;
    require("npm", "npm (Debian: apt-get install npm)")?;

    let targets = output_of("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !targets
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        step("adding the wasm32-unknown-unknown target");
        run_cmd(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    cargo_install("wasm-bindgen", "wasm-bindgen-cli", WASM_BINDGEN_VERSION)?;
    cargo_install("wasm-pack", "wasm-pack", WASM_PACK_VERSION)?;
    npm_ci()?;
    if needs.browsers {
        apt_install_browsers()?;
        cargo_install("geckodriver", "geckodriver", GECKODRIVER_VERSION)?;
    }
    Ok(())
}

/// Puts `~/.cargo/bin` and `node_modules/.bin` (the npm `binaryen` package's
/// current `wasm-opt`, which wasm-pack picks up) first on PATH.
pub fn prepend_tool_paths() {
    let mut paths = vec![root().join("node_modules/.bin")];
    if let Some(home) = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
    {
        paths.push(home.join("bin"));
    }
    let old = std::env::var_os("PATH").unwrap_or_default();
    paths.extend(std::env::split_paths(&old));
    if let Ok(joined) = std::env::join_paths(paths) {
        std::env::set_var("PATH", joined);
    }
}

fn step(what: &str) {
    println!("xtask setup: {what}");
}

fn require(program: &str, how: &str) -> Result<(), String> {
    if which(program) {
        Ok(())
    } else {
        Err(format!("`{program}` is missing. Install {how}."))
    }
}

/// Whether `program` is on PATH.
pub fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
}

pub fn cargo_install(binary: &str, krate: &str, version: &str) -> Result<(), String> {
    let have = output_of(binary, &["--version"]).unwrap_or_default();
    if have
        .split_whitespace()
        .any(|w| w.trim_start_matches('v') == version)
    {
        return Ok(());
    }
    step(&format!(
        "installing {krate} {version} (a few minutes, once)"
    ));
    // Not --locked: the lock file of some of these names a crate version the
    // registry no longer serves.
    run_cmd(Command::new("cargo").args(["install", krate, "--version", version, "--force"]))
}

fn npm_ci() -> Result<(), String> {
    let root = root();
    let stamp = root.join("node_modules/.package-lock.json");
    let lock = root.join("package-lock.json");
    let fresh = match (stamp.metadata(), lock.metadata()) {
        (Ok(s), Ok(l)) => match (s.modified(), l.modified()) {
            (Ok(s), Ok(l)) => s >= l,
            _ => false,
        },
        _ => false,
    };
    if fresh
        && ["wasm-opt", "esbuild", "vite", "tsc"]
            .iter()
            .all(|b| root.join("node_modules/.bin").join(b).exists())
    {
        return Ok(());
    }
    step("installing npm dev dependencies (npm ci)");
    run_cmd(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&root),
    )
}

fn is_root() -> bool {
    output_of("id", &["-u"])
        .map(|s| s.trim() == "0")
        .unwrap_or(false)
}

fn apt_install_browsers() -> Result<(), String> {
    let have_firefox = which("firefox") || which("firefox-esr");
    // Urdu and Persian letters beyond basic Arabic, for readable screenshots.
    let have_fonts = !Path::new("/etc/debian_version").exists()
        || Path::new("/usr/share/fonts/truetype/noto/NotoSansArabicUI-Regular.ttf").exists();
    if which("chromium")
        && which("chromedriver")
        && have_firefox
        && have_fonts
        && which("pdftotext")
    {
        return Ok(());
    }
    let debian = Path::new("/etc/debian_version").exists();
    if !(debian && is_root() && which("apt-get")) {
        return Err(format!(
            "the browser tests need Chromium, ChromeDriver, Firefox and poppler's pdftotext on PATH.\n\
             On Debian as root this command installs them itself (apt-get install {}).\n\
             Elsewhere install them with your package manager, e.g.\n\
               sudo apt-get install {}\n\
               brew install --cask chromium firefox && brew install chromedriver",
            APT_PACKAGES.join(" "),
            APT_PACKAGES.join(" ")
        ));
    }
    step(&format!(
        "installing {} with apt-get",
        APT_PACKAGES.join(", ")
    ));
    run_cmd(Command::new("apt-get").arg("update"))?;
    run_cmd(
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(APT_PACKAGES)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_version_matches_the_crate_pin() {
        let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
        let pin = format!("wasm-bindgen = \"={WASM_BINDGEN_VERSION}\"");
        assert!(manifest.contains(&pin), "root Cargo.toml must pin {pin}");
    }
}
