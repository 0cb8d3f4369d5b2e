//! Running programs: the leaf every other module of xtask builds on. It
//! imports nothing from the crate, so nothing here can start an import cycle.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The repository root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Sets what the release builds of the wasm modules share: crates' sources
/// (in the panic locations the modules carry) are named `crates/<crate>/…`
/// instead of by their place under this machine's Cargo home and registry,
/// so that the same source builds the same files, and the same integrity
/// hashes, wherever Cargo keeps them. The flags go where Cargo reads them
/// for these builds, after any already there: `CARGO_ENCODED_RUSTFLAGS` or
/// `RUSTFLAGS` when set (with `--target`, neither reaches build scripts),
/// else the wasm32 target's own variable, so host builds keep their paths.
pub fn shipped_wasm(cmd: &mut Command) -> &mut Command {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .and_then(|h| std::path::absolute(h).ok());
    // Sorted: the flags are part of what Cargo compares before reusing a build.
    let mut registries: Vec<String> = home
        .and_then(|h| std::fs::read_dir(h.join("registry").join("src")).ok())
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.path().to_str().map(String::from))
        .collect();
    registries.sort();
    let flags = registries
        .iter()
        .map(|path| format!("--remap-path-prefix={path}=crates"));
    let encoded = std::env::var("CARGO_ENCODED_RUSTFLAGS").ok();
    let (name, separator, before) = match encoded {
        Some(before) => ("CARGO_ENCODED_RUSTFLAGS", "\x1f", before),
        None => match std::env::var("RUSTFLAGS") {
            Ok(before) => ("RUSTFLAGS", " ", before),
            Err(_) => (
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
                " ",
                std::env::var("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS").unwrap_or_default(),
            ),
        },
    };
    // Space-separated variables cannot hold a path with a space: left out.
    let flags: Vec<String> = flags
        .filter(|flag| separator != " " || !flag.contains(char::is_whitespace))
        .collect();
    if !flags.is_empty() {
        let all: Vec<&str> = std::iter::once(before.as_str())
            .filter(|b| !b.trim().is_empty())
            .chain(flags.iter().map(String::as_str))
            .collect();
        cmd.env(name, all.join(separator));
    }
    cmd
}

/// Runs a command with inherited output; an error names it and its status.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("could not start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

/// Captures a command's standard output; `None` if it cannot run or fails.
pub fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Bytes free for this user on the file system that holds `path`, from
/// GNU `df`; `None` when `df` cannot tell.
pub fn free_bytes(path: &std::path::Path) -> Option<u64> {
    let out = output_of("df", &["-k", "--output=avail", path.to_str()?])?;
    parse_df(&out)
}

/// `df --output=avail -k`'s one figure (KiB, under its heading), in bytes.
fn parse_df(out: &str) -> Option<u64> {
    let kib: u64 = out.lines().nth(1)?.trim().parse().ok()?;
    Some(kib * 1024)
}

/// Whether a command runs and exits 0, its output discarded.
pub fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The `cargo` that runs xtask (same toolchain), in the repository root.
pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Whether `program` is on PATH.
pub fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
}

/// Puts `~/.cargo/bin` and `node_modules/.bin` (the npm `binaryen` package's
/// current `wasm-opt`, which wasm-pack picks up) first on PATH.
pub fn prepend_tool_paths() {
    // target/node: a Node.js newer than the system's, when setup put one there.
    let mut paths = vec![
        root().join("target/node/node_modules/.bin"),
        root().join("node_modules/.bin"),
    ];
    if let Some(home) = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
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

/// `cargo install KRATE --version VERSION` unless `BINARY --version`
/// already reports that version.
pub fn cargo_install(binary: &str, krate: &str, version: &str) -> Result<(), String> {
    let have = output_of(binary, &["--version"]).unwrap_or_default();
    if have
        .split_whitespace()
        .any(|w| w.trim_start_matches('v') == version)
    {
        return Ok(());
    }
    println!("xtask setup: installing {krate} {version} (a few minutes, once)");
    // Not --locked: the lock file of some of these names a crate version the
    // registry no longer serves.
    run(Command::new("cargo").args(["install", krate, "--version", version, "--force"]))
}

/// The version of the widget crate: the one source of truth for npm and
/// the loader too.
pub fn version() -> Result<String, String> {
    let path = root().join("Cargo.toml");
    let manifest =
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    manifest
        .lines()
        .skip_while(|l| l.trim() != "[package]")
        .find_map(|l| {
            let v = l.trim().strip_prefix("version")?.trim().strip_prefix('=')?;
            Some(v.trim().trim_matches('"').to_owned())
        })
        .ok_or_else(|| "no version in Cargo.toml's [package]".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn df_available_column_is_read_in_bytes() {
        assert_eq!(parse_df("    Avail\n 81234567\n"), Some(81_234_567 * 1024));
        assert_eq!(parse_df("    Avail\n"), None);
        assert_eq!(parse_df(""), None);
    }

    #[test]
    fn the_checkout_has_a_free_figure() {
        assert!(free_bytes(&root()).is_some_and(|b| b > 0));
    }
}
