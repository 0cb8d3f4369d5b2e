//! Installs what the project needs, skipping what is already there, and
//! says exactly what to install by hand where it cannot do it itself.

use std::path::Path;
use std::process::Command;

use crate::cmd::{self, cargo_install, output_of, root, which};

/// Must equal the `wasm-bindgen = "=…"` pin in the root Cargo.toml.
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// wasm-pack version installed by setup.
pub const WASM_PACK_VERSION: &str = "0.15.1";
/// geckodriver version installed by setup (Firefox browser tests).
pub const GECKODRIVER_VERSION: &str = "0.37.1";
/// Every Debian package the test suite needs, installed in one `apt-get`
/// call. Adding a package here is all it takes: the "already installed?"
/// check asks dpkg about each of them.
pub const APT_PACKAGES: &[&str] = &[
    "chromium",
    "chromium-driver",
    "firefox-esr",
    // Urdu and Persian letters beyond basic Arabic, for readable screenshots.
    "fonts-noto-ui-core",
    "poppler-utils",
    // The server suite's second engine, run as a private cluster, which
    // serves TLS with certificates openssl makes for the run.
    "postgresql",
    "openssl",
    // tests/e2e/instances.test.mjs: deploy/nginx.conf in front of two
    // instances (run as a child process, never as Debian's service).
    "nginx",
    // server/tests/packaging.rs: `systemd-analyze verify` of the unit in
    // deploy/, and deploy/compose.yaml parsed by Python's YAML module.
    "systemd",
    "python3-yaml",
    // tests/e2e/moderator-mail.test.mjs: a real SMTP server on loopback
    // (run with Debian's /usr/bin/python3, which has the package).
    "python3-aiosmtpd",
    // server/tests/comment_import.rs: Isso, installed from PyPI into a
    // virtualenv (xtask/src/isso.rs), writes the database the import reads.
    // Its misaka has no wheel on PyPI: pip compiles it, with Python's
    // headers and a C compiler.
    "python3-venv",
    "python3-dev",
    "gcc",
    // The fuzz targets' check: libfuzzer-sys compiles libFuzzer (C++).
    "g++",
    // tests/e2e/instances.test.mjs: one instance run with its clock an hour
    // ahead (LD_PRELOAD), to show that leases use the database's clock.
    "libfaketime",
    // tests/e2e/wordpress.test.mjs: a real WordPress site served by PHP's
    // built-in server on a private MariaDB. The package pulls in PHP and
    // Apache's binaries (not Apache's service) but, without recommends, no
    // theme: the plugin test renders posts with the default one. MariaDB's
    // server and client cores only: `mariadb-server` would also set up and
    // start Debian's own database service, which the tests never use.
    "wordpress",
    "wordpress-theme-twentytwentythree",
    // WordPress's own translations: the plugin test's site is in Arabic.
    "wordpress-l10n",
    "php-cli",
    "mariadb-server-core",
    "mariadb-client-core",
    // tests/e2e/engines.test.mjs: WebKit, Safari's engine, through its
    // WebDriver (MiniBrowser comes with WebKitGTK) on a virtual display.
    "webkit2gtk-driver",
    "xvfb",
];

/// What a command needs installed.
#[derive(Debug, Default, Clone, Copy)]
pub struct Needs {
    /// The test suite's system packages ([`APT_PACKAGES`]: browsers and
    /// WebDriver servers among them) and geckodriver.
    pub browsers: bool,
}

/// Installs what is missing; an error says what to do by hand.
pub fn run(needs: Needs) -> Result<(), String> {
    cmd::prepend_tool_paths();
    require(
        "cargo",
        "Rust via rustup: https://rustup.rs (then re-open the shell)",
    )?;
    require(
        "node",
        "Node.js with npm (Debian: apt-get install nodejs npm)",
    )?;
    require("npm", "npm (Debian: apt-get install npm)")?;
    node_new_enough()?;

    let targets = output_of("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !targets
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        step("adding the wasm32-unknown-unknown target");
        cmd::run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    cargo_install("wasm-bindgen", "wasm-bindgen-cli", WASM_BINDGEN_VERSION)?;
    cargo_install("wasm-pack", "wasm-pack", WASM_PACK_VERSION)?;
    npm_ci()?;
    if needs.browsers {
        apt_install()?;
        cargo_install("geckodriver", "geckodriver", GECKODRIVER_VERSION)?;
    }
    Ok(())
}

/// The oldest Node.js the suite runs on (vite, playwright-core and
/// `node --test --test-concurrency` need it).
const NODE_MIN: (u32, u32) = (20, 19);

/// `(major, minor)` of `node --version` (`v20.20.2`).
fn node_version() -> Option<(u32, u32)> {
    let v = output_of("node", &["--version"])?;
    let mut parts = v.trim().trim_start_matches('v').split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// An older Node.js (Debian 12's is 18) gets a newer one beside it from the
/// npm registry (the `node` package), in target/node, first on PATH
/// (`cmd::prepend_tool_paths`).
fn node_new_enough() -> Result<(), String> {
    if node_version().is_some_and(|v| v >= NODE_MIN) {
        return Ok(());
    }
    let (major, minor) = NODE_MIN;
    step(&format!(
        "Node.js here is older than {major}.{minor}: installing Node.js 22 from the npm registry into target/node"
    ));
    let prefix = root().join("target/node");
    cmd::run(
        Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--prefix",
            ])
            .arg(&prefix)
            .arg("node@22"),
    )?;
    match node_version() {
        Some(v) if v >= NODE_MIN => Ok(()),
        v => Err(format!(
            "Node.js {major}.{minor} or newer is needed; after installing node@22 into {} \
             `node --version` says {v:?}",
            prefix.display()
        )),
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
    cmd::run(
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

/// Whether dpkg reports `package` as installed (`install ok installed`).
fn dpkg_installed(package: &str) -> bool {
    output_of("dpkg-query", &["-W", "-f=${Status}", package])
        .is_some_and(|status| status.trim() == "install ok installed")
}

/// The packages of `packages` that `installed` says are missing, in order.
fn missing<'a>(packages: &[&'a str], installed: impl Fn(&str) -> bool) -> Vec<&'a str> {
    packages.iter().copied().filter(|p| !installed(p)).collect()
}

/// Installs whatever of [`APT_PACKAGES`] is missing, in one apt-get call.
fn apt_install() -> Result<(), String> {
    let debian = Path::new("/etc/debian_version").exists() && which("dpkg-query");
    if !debian {
        // No dpkg to ask: the programs themselves are the best check there is.
        let have_firefox = which("firefox") || which("firefox-esr");
        if which("chromium") && which("chromedriver") && have_firefox && which("pdftotext") {
            return Ok(());
        }
        return Err(format!(
            "the test suite needs Chromium, ChromeDriver, Firefox and poppler's pdftotext on PATH \
             (on Debian: apt-get install {}).\n\
             Install them with your package manager, e.g.\n\
               brew install --cask chromium firefox && brew install chromedriver poppler",
            APT_PACKAGES.join(" ")
        ));
    }
    let missing = missing(APT_PACKAGES, dpkg_installed);
    if missing.is_empty() {
        return Ok(());
    }
    if !(is_root() && which("apt-get")) {
        return Err(format!(
            "the test suite needs these Debian packages, missing here: {}.\n\
             As root this command installs them itself; otherwise run\n\
               sudo apt-get install {}",
            missing.join(", "),
            APT_PACKAGES.join(" ")
        ));
    }
    step(&format!("installing {} with apt-get", missing.join(", ")));
    cmd::run(Command::new("apt-get").arg("update"))?;
    // The whole list, in one call: already installed ones are no-ops.
    cmd::run(
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

    #[test]
    fn every_listed_package_is_checked() {
        let asked = std::cell::RefCell::new(Vec::new());
        let gone = missing(&["a", "b", "c"], |p| {
            asked.borrow_mut().push(p.to_owned());
            p == "b"
        });
        assert_eq!(gone, ["a", "c"]);
        assert_eq!(asked.into_inner(), ["a", "b", "c"]);
    }
}
