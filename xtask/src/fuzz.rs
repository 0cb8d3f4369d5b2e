//! `cargo xtask fuzz [--seconds N] [TARGET...]`: runs the cargo-fuzz targets
//! of `fuzz/` for a bounded time each, growing `fuzz/corpus/<target>/`, and
//! ends with a table of executions per target. cargo-fuzz needs nightly; the
//! rest of the project (and CI) builds on stable.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::cmd::{self, cargo_install, root};

/// cargo-fuzz version installed when missing.
pub const CARGO_FUZZ_VERSION: &str = "0.13.2";
/// The targets in `fuzz/fuzz_targets/`, run in this order by default.
pub const TARGETS: &[&str] = &["sanitizer", "options", "comment_rules"];
/// Seconds per target when `--seconds` is not given.
const DEFAULT_SECONDS: u64 = 60;

const NEEDS_NIGHTLY: &str = "fuzzing needs a nightly toolchain (cargo-fuzz uses \
    unstable compiler flags); install one with: rustup toolchain install nightly";

struct Run {
    target: String,
    executions: Option<u64>,
    seconds: f64,
    ok: bool,
}

/// `cargo xtask fuzz`.
pub fn run(args: &[String]) -> Result<(), String> {
    let (seconds, targets) = parse_args(args)?;
    cmd::prepend_tool_paths();
    if !nightly() {
        return Err(NEEDS_NIGHTLY.into());
    }
    cargo_install("cargo-fuzz", "cargo-fuzz", CARGO_FUZZ_VERSION)?;

    let root = root();
    println!("xtask fuzz: building the fuzz targets");
    build()?;

    let mut runs = Vec::new();
    for target in &targets {
        let corpus = format!("fuzz/corpus/{target}");
        std::fs::create_dir_all(root.join(&corpus))
            .map_err(|e| format!("creating {corpus}: {e}"))?;
        println!("\nxtask fuzz: {target} for {seconds} s");
        let started = Instant::now();
        let mut child = fuzz_cmd()
            .args(["run", target, &corpus, "--"])
            .arg(format!("-max_total_time={seconds}"))
            .arg("-print_final_stats=1")
            .current_dir(&root)
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("could not start cargo fuzz: {e}"))?;
        // libFuzzer reports on stderr: pass it through, keeping the counts.
        let mut executions = None;
        if let Some(stderr) = child.stderr.take() {
            let mut out = std::io::stderr();
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let _ = writeln!(out, "{line}");
                executions = executions_in(&line).or(executions);
            }
        }
        let status = child
            .wait()
            .map_err(|e| format!("waiting for cargo fuzz: {e}"))?;
        runs.push(Run {
            target: target.clone(),
            executions,
            seconds: started.elapsed().as_secs_f64(),
            ok: status.success(),
        });
    }

    println!("\n=== fuzzing, {seconds} s per target ===");
    println!(
        "  {:<14} {:>14} {:>8} {:>10}  result",
        "target", "executions", "seconds", "exec/s"
    );
    for r in &runs {
        let (execs, rate) = match r.executions {
            Some(n) => (n.to_string(), format!("{:.0}", n as f64 / r.seconds)),
            None => ("?".into(), "?".into()),
        };
        println!(
            "  {:<14} {:>14} {:>8.0} {:>10}  {}",
            r.target,
            execs,
            r.seconds,
            rate,
            if r.ok {
                "ok".to_owned()
            } else {
                format!("FAILED, input in fuzz/artifacts/{}/", r.target)
            }
        );
    }
    let failed: Vec<&str> = runs
        .iter()
        .filter(|r| !r.ok)
        .map(|r| r.target.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fuzzing found a failure in {}; reproduce with \
             `cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>`",
            failed.join(", ")
        ))
    }
}

/// Whether a nightly toolchain is installed (never installing one).
fn nightly() -> bool {
    cmd::succeeds(
        Command::new("cargo")
            .args(["+nightly", "--version"])
            .env_remove("RUSTUP_TOOLCHAIN")
            // A missing toolchain is reported, not downloaded behind one's back.
            .env("RUSTUP_AUTO_INSTALL", "0"),
    )
}

/// Why the fuzz targets cannot be built here, if they cannot: `cargo xtask
/// test` skips its fuzz stage then, rather than installing a toolchain.
pub fn unavailable() -> Option<String> {
    if !nightly() {
        return Some("no nightly toolchain; rustup toolchain install nightly".into());
    }
    if !cmd::succeeds(fuzz_cmd().arg("--version").env("RUSTUP_AUTO_INSTALL", "0")) {
        return Some(format!(
            "cargo-fuzz is not installed; cargo install cargo-fuzz --version {CARGO_FUZZ_VERSION}"
        ));
    }
    None
}

/// `cargo +nightly fuzz build`: every target, with the sanitizer flags.
pub fn build() -> Result<(), String> {
    cmd::run(fuzz_cmd().arg("build").current_dir(root()))
}

/// `cargo check` of the fuzz targets on the current (stable) toolchain:
/// no fuzzing, but it catches the targets drifting from the crates' API.
pub fn check() -> Result<(), String> {
    cmd::run(cmd::cargo().args(["check", "--locked", "--manifest-path", "fuzz/Cargo.toml"]))
}

/// `cargo +nightly fuzz`, without the toolchain choice of the `cargo` that
/// runs xtask leaking into it.
fn fuzz_cmd() -> Command {
    let mut c = Command::new("cargo");
    c.args(["+nightly", "fuzz"]).env_remove("RUSTUP_TOOLCHAIN");
    c
}

/// `[--seconds N] [TARGET...]`.
fn parse_args(args: &[String]) -> Result<(u64, Vec<String>), String> {
    let mut seconds = DEFAULT_SECONDS;
    let mut targets = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--seconds" {
            seconds = it
                .next()
                .and_then(|n| n.parse().ok())
                .filter(|n| *n > 0)
                .ok_or("--seconds needs a whole number of seconds above 0")?;
        } else if TARGETS.contains(&arg.as_str()) {
            targets.push(arg.clone());
        } else {
            return Err(format!(
                "unknown fuzz target or option {arg:?}; targets: {}",
                TARGETS.join(", ")
            ));
        }
    }
    if targets.is_empty() {
        targets = TARGETS.iter().map(|t| (*t).to_owned()).collect();
    }
    Ok((seconds, targets))
}

/// The execution count in a libFuzzer line: `stat::number_of_executed_units: N`
/// (with `-print_final_stats=1`) or the `#N` of a status line (`#N DONE …`,
/// `#N NEW …`), the last of which is the count when a run stops early.
fn executions_in(line: &str) -> Option<u64> {
    if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
        return n.trim().parse().ok();
    }
    let rest = line.strip_prefix('#')?;
    let (n, what) = rest.split_once(char::is_whitespace)?;
    let what = what.trim_start();
    ["DONE", "NEW", "REDUCE", "pulse", "RELOAD"]
        .iter()
        .any(|w| what.starts_with(w))
        .then(|| n.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_read_from_libfuzzer_lines() {
        assert_eq!(
            executions_in("#1391273\tDONE   cov: 454 ft: 1209 corp: 391/28Kb exec/s: 66251"),
            Some(1_391_273)
        );
        assert_eq!(
            executions_in("stat::number_of_executed_units: 566808"),
            Some(566_808)
        );
        assert_eq!(
            executions_in("#4096\tpulse  cov: 12 ft: 13 corp: 2/3b"),
            Some(4096)
        );
        assert_eq!(executions_in("#2\tINITED cov: 3"), None);
        assert_eq!(executions_in("INFO: Seed: 1"), None);
        assert_eq!(executions_in("stat::peak_rss_mb: 529"), None);
    }

    #[test]
    fn arguments_name_seconds_and_targets() {
        let args = |s: &[&str]| s.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            parse_args(&[]),
            Ok((
                DEFAULT_SECONDS,
                TARGETS.iter().map(|t| (*t).to_owned()).collect()
            ))
        );
        assert_eq!(
            parse_args(&args(&["--seconds", "5", "options"])),
            Ok((5, vec!["options".to_owned()]))
        );
        assert!(parse_args(&args(&["--seconds", "0"])).is_err());
        assert!(parse_args(&args(&["--seconds"])).is_err());
        assert!(parse_args(&args(&["nope"])).is_err());
    }
}
