//! `cargo xtask test`: every check and test suite as named stages, one
//! summary, a non-zero exit on failure. `--only` reruns chosen stages.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Instant;

use crate::cmd::{self, cargo, root};
use crate::setup::{self, Needs};
use crate::{build, cycles, dist, fuzz, isso, postgres};

/// What a stage needs installed before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Install {
    /// Only cargo (and rustup's components).
    Nothing,
    /// The wasm toolchain and the npm dev dependencies.
    Toolchain,
    /// That and the browsers and system packages of the suite.
    Browsers,
}

/// One stage of the pipeline.
pub struct Stage {
    /// The name for `--only`.
    pub short: &'static str,
    /// The name in the log and the summary.
    pub name: &'static str,
    install: Install,
    /// Whether it runs the server tests, which need Isso
    /// (`KHABAR_TEST_ISSO`, see `crate::isso`).
    isso: bool,
}

/// Every stage, in the order they run.
pub const STAGES: &[Stage] = &[
    Stage {
        short: "fmt",
        name: "format (cargo fmt --check)",
        install: Install::Nothing,
        isso: false,
    },
    Stage {
        short: "cycles",
        name: "no import cycles or forbidden imports (widget, rules, server, xtask)",
        install: Install::Nothing,
        isso: false,
    },
    Stage {
        short: "clippy",
        name: "clippy, native workspace",
        install: Install::Nothing,
        isso: false,
    },
    Stage {
        short: "clippy-wasm",
        name: "clippy, widget on wasm32 (together and each module)",
        install: Install::Toolchain,
        isso: false,
    },
    Stage {
        short: "native",
        name: "native tests (cargo test --workspace)",
        install: Install::Toolchain,
        isso: true,
    },
    Stage {
        short: "native-postgres",
        name: "server tests on PostgreSQL (private cluster)",
        install: Install::Browsers,
        isso: true,
    },
    Stage {
        short: "fuzz-check",
        name: "fuzz targets type-check (stable)",
        install: Install::Nothing,
        isso: false,
    },
    Stage {
        short: "fuzz",
        name: "fuzz targets build (nightly, cargo-fuzz)",
        install: Install::Nothing,
        isso: false,
    },
    Stage {
        short: "browser-chrome",
        name: "browser tests, headless Chrome",
        install: Install::Browsers,
        isso: false,
    },
    Stage {
        short: "browser-firefox",
        name: "browser tests, headless Firefox",
        install: Install::Browsers,
        isso: false,
    },
    Stage {
        short: "build",
        name: "build: widget, npm package, CDN bundle, server",
        install: Install::Toolchain,
        isso: false,
    },
    Stage {
        short: "size",
        name: "size: each shipped file under its gzip ceiling",
        install: Install::Toolchain,
        isso: false,
    },
    Stage {
        short: "e2e",
        name: "end-to-end tests, headless Chromium",
        install: Install::Browsers,
        isso: false,
    },
];

/// Stages that test what `build` made: choosing one runs `build` first.
const NEED_BUILD: &[&str] = &["size", "e2e"];

/// The stages `args` selects (`--only a,b` or `--only a --only b`; all
/// without `--only`), in pipeline order, with `build` added where needed.
fn select(args: &[String]) -> Result<Vec<&'static Stage>, String> {
    let mut chosen: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let value = match arg.strip_prefix("--only=") {
            Some(v) => v,
            None if arg == "--only" => it.next().ok_or("--only needs a stage name")?,
            None => return Err(format!("unknown option {arg}; see `cargo xtask help`")),
        };
        for name in value.split(',').filter(|n| !n.is_empty()) {
            if !STAGES.iter().any(|s| s.short == name) {
                return Err(format!(
                    "no stage {name:?}; stages: {}",
                    STAGES
                        .iter()
                        .map(|s| s.short)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            chosen.push(name.to_owned());
        }
    }
    if chosen.is_empty() {
        return Ok(STAGES.iter().collect());
    }
    if chosen.iter().any(|c| NEED_BUILD.contains(&c.as_str())) {
        chosen.push("build".into());
    }
    Ok(STAGES
        .iter()
        .filter(|s| chosen.iter().any(|c| c == s.short))
        .collect())
}

/// How a stage ended.
enum Status {
    Ok,
    Failed,
    /// Not run, and why; neither passed nor failed.
    Skipped(String),
}

/// Not an error, not a pass: the stage could not run here.
struct Skip(String);

/// Runs the stage named `short`.
/// `isso`: the executable the server tests run (`KHABAR_TEST_ISSO`).
fn run_stage(short: &str, root: &Path, isso: Option<&Path>) -> Result<Result<(), String>, Skip> {
    let with_isso = |mut c: Command| {
        if let Some(isso) = isso {
            c.env("KHABAR_TEST_ISSO", isso);
        }
        c
    };
    let clippy = |extra: &[&str]| {
        cmd::run(
            cargo()
                .arg("clippy")
                .args(extra)
                .args(["--", "-D", "warnings"]),
        )
    };
    Ok(match short {
        "fmt" => cmd::run(cargo().args(["fmt", "--all", "--check"])),
        "cycles" => cycles::run(&[]),
        "clippy" => clippy(&["--workspace", "--all-targets"]),
        // The shipped modules build with one feature each (build.rs): each
        // build must be clean on its own, not only the two together.
        "clippy-wasm" => {
            let wasm = ["-p", "khabar", "--target", "wasm32-unknown-unknown"];
            // The tests need both modules' code: each module is its library alone.
            let alone = ["--lib", "--no-default-features", "--features"];
            let together = clippy(&[&wasm[..], &["--all-targets"]].concat());
            build::MODULES.iter().fold(together, |done, (_, feature)| {
                done.and_then(|()| clippy(&[&wasm[..], &alone, &[feature]].concat()))
            })
        }
        "native" => cmd::run(with_isso(cargo()).args(["test", "--workspace"])),
        "native-postgres" => postgres::Cluster::start().and_then(|cluster| {
            cmd::run(
                with_isso(cargo())
                    .args(["test", "-p", "khabar-server"])
                    .env("KHABAR_TEST_POSTGRES", &cluster.url)
                    .env("KHABAR_TEST_POSTGRES_CA", &cluster.ca)
                    .env("KHABAR_TEST_POSTGRES_OTHER_CA", &cluster.other_ca),
            )
        }),
        "fuzz-check" => fuzz::check(),
        "fuzz" => match fuzz::unavailable() {
            Some(why) => return Err(Skip(why)),
            None => fuzz::build(),
        },
        "browser-chrome" | "browser-firefox" => cmd::run(
            Command::new("wasm-pack")
                .args(["test", "--headless"])
                .arg(if short == "browser-chrome" {
                    "--chrome"
                } else {
                    "--firefox"
                })
                .current_dir(root),
        ),
        "build" => {
            dist::dist().and_then(|()| cmd::run(cargo().args(["build", "-p", "khabar-server"])))
        }
        "size" => dist::check_ceiling(),
        "e2e" => e2e_files(root).and_then(|files| {
            cmd::run(
                Command::new("node")
                    .args(["--test", "--test-concurrency=1"])
                    .args(files)
                    .env("KHABAR_SERVER_BIN", root.join("target/debug/khabar-server"))
                    .env("KHABAR_WWW", root.join("www"))
                    .env("KHABAR_WIDGET_DIR", root.join("target/widget"))
                    .env("KHABAR_DIST", root.join("dist"))
                    .current_dir(root),
            )
        }),
        other => Err(format!("no stage {other}")),
    })
}

/// `tests/e2e/*.test.mjs`, sorted, relative to the root: named one by one
/// because newer Node loads a directory argument as a module.
fn e2e_files(root: &Path) -> Result<Vec<String>, String> {
    let dir = root.join("tests/e2e");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("reading {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".test.mjs"))
        .map(|name| format!("tests/e2e/{name}"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err("no tests/e2e/*.test.mjs".into());
    }
    Ok(files)
}

/// `cargo xtask test [--only STAGE[,STAGE…]]`.
pub fn run(args: &[String]) -> ExitCode {
    let stages = match select(args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("xtask test: {e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let free_at_start = cmd::free_bytes(&root());
    warn_if_short_of_disk(free_at_start);
    let install = stages
        .iter()
        .map(|s| s.install)
        .max()
        .unwrap_or(Install::Nothing);
    let setup_result = match install {
        Install::Nothing => {
            cmd::prepend_tool_paths();
            Ok(())
        }
        Install::Toolchain => setup::run(Needs { browsers: false }),
        Install::Browsers => setup::run(Needs { browsers: true }),
    };
    // The server tests always run the Isso test here (CI included).
    let isso = match setup_result {
        Ok(()) if stages.iter().any(|s| s.isso) => isso::ensure().map(Some),
        Ok(()) => Ok(None),
        Err(e) => Err(e),
    };
    let isso = match isso {
        Ok(isso) => isso,
        Err(e) => {
            eprintln!("\nxtask test: setup failed, nothing was tested.\n{e}");
            return ExitCode::FAILURE;
        }
    };
    let setup_seconds = started.elapsed().as_secs_f64();
    let root = root();

    let mut outcomes: Vec<(&Stage, Status, f64)> = Vec::new();
    let mut built = true;
    for stage in stages {
        if !built && NEED_BUILD.contains(&stage.short) {
            outcomes.push((stage, Status::Skipped("the build failed".into()), 0.0));
            continue;
        }
        println!("\n=== {} ===", stage.name);
        let t = Instant::now();
        let status = match run_stage(stage.short, &root, isso.as_deref()) {
            Ok(Ok(())) => Status::Ok,
            Ok(Err(e)) => {
                eprintln!("--- {} failed: {e}", stage.name);
                Status::Failed
            }
            Err(Skip(why)) => {
                println!("--- {} skipped: {why}", stage.name);
                Status::Skipped(why)
            }
        };
        if stage.short == "build" {
            built = matches!(status, Status::Ok);
        }
        outcomes.push((stage, status, t.elapsed().as_secs_f64()));
    }

    let passed = outcomes
        .iter()
        .filter(|o| matches!(o.1, Status::Ok))
        .count();
    let failed = outcomes
        .iter()
        .filter(|o| matches!(o.1, Status::Failed))
        .count();
    println!("\n=== summary (setup {setup_seconds:.0} s) ===");
    for (stage, status, seconds) in &outcomes {
        match status {
            Status::Ok | Status::Failed => println!(
                "  {}  {:<48} {:>6.1} s",
                if matches!(status, Status::Ok) {
                    "ok  "
                } else {
                    "FAIL"
                },
                stage.name,
                seconds
            ),
            Status::Skipped(why) => println!("  skip  {} ({why})", stage.name),
        }
    }
    println!("  total {:.0} s", started.elapsed().as_secs_f64());
    let free_at_end = cmd::free_bytes(&root);
    if let (Some(start), Some(end)) = (free_at_start, free_at_end) {
        println!(
            "  disk: {} free at the start, {} at the end",
            gb(start),
            gb(end)
        );
    }
    if failed > 0 {
        warn_if_short_of_disk(free_at_end);
    }
    println!("checks: {passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// What a whole run writes on a fresh clone (build trees, node_modules;
/// the PostgreSQL cluster, under the temporary folder, is gone at the end),
/// with room to spare: a fresh clone was 6.3 GB
/// after a whole run on 2026-12-01.
const DISK_NEEDED: u64 = 10 * 1_000_000_000;

fn gb(bytes: u64) -> String {
    format!("{:.1} GB", bytes as f64 / 1e9)
}

/// Says so when the disk is short: a full disk fails every stage at once,
/// each with a compiler's or a database's own words for it.
fn warn_if_short_of_disk(free: Option<u64>) {
    if let Some(free) = free.filter(|&f| f < DISK_NEEDED) {
        eprintln!(
            "xtask test: only {} free on the disk of this checkout; a whole run writes about 6.5 GB \
             (target/, node_modules): stages may fail with \"No space left on device\"",
            gb(free)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shorts(args: &[&str]) -> Result<Vec<&'static str>, String> {
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        select(&args).map(|s| s.iter().map(|s| s.short).collect())
    }

    #[test]
    fn only_selects_stages_in_pipeline_order() {
        assert_eq!(shorts(&[]).expect("all").len(), STAGES.len());
        assert_eq!(
            shorts(&["--only", "cycles,fmt"]).expect("two"),
            ["fmt", "cycles"]
        );
        assert_eq!(
            shorts(&["--only", "native", "--only=clippy"]).expect("repeated"),
            ["clippy", "native"]
        );
        assert!(shorts(&["--only", "nope"]).is_err());
        assert!(shorts(&["--only"]).is_err());
        assert!(shorts(&["--fast"]).is_err());
    }

    #[test]
    fn what_tests_the_build_brings_the_build() {
        assert_eq!(shorts(&["--only", "e2e"]).expect("e2e"), ["build", "e2e"]);
        assert_eq!(
            shorts(&["--only", "size,build"]).expect("size"),
            ["build", "size"]
        );
    }

    #[test]
    fn stage_names_are_unique() {
        let mut names: Vec<&str> = STAGES.iter().map(|s| s.short).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), STAGES.len());
    }

    #[test]
    fn e2e_files_are_named_one_by_one_and_sorted() {
        let files = e2e_files(&root()).expect("tests/e2e");
        assert!(files.iter().all(|f| f.ends_with(".test.mjs")), "{files:?}");
        let mut sorted = files.clone();
        sorted.sort();
        assert_eq!(files, sorted);
    }
}
