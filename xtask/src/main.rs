//! `cargo xtask`: the project's own commands.
//!
//! - `setup`  install what building needs, skipping what is there
//! - `build`  build the widget (release) into `target/widget/`
//! - `demo`   set up, build, and run khabar-server with the demo pages
//! - `dist`   the npm package and the CDN bundle into `dist/`
//! - `size`   what a first visit downloads, and twiggy's largest items
//! - `test`   set up (browsers too), then every check and test suite
//! - `fuzz`   run the cargo-fuzz targets for a bounded time (nightly)
//! - `bench`  benchmarks: transfer, paint, comments at scale, CLS, memory, server

mod bench;
mod dist;
mod fuzz;
mod imports;
mod setup;
mod steps;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!(
        "usage: cargo xtask <command>

commands:
  setup [--browsers]            install the toolchain pieces that are missing
  build                         build the widget (release) into target/widget/
  demo [--listen ADDR] [--db F] build and run the demo on http://127.0.0.1:8080/
  dist                          npm package (dist/npm, dist/khabar-*.tgz) and CDN bundle (dist/cdn)
  size [--no-twiggy]            raw/gzip/brotli of every shipped file; fails above 100 KB gzip
  test                          run every check and test suite
  fuzz [--seconds N] [TARGET..] each fuzz target N s (default 60; needs nightly)
  bench [--runs N] [--seconds N] [--only browser|server]
                                benchmarks; prints a table, writes bench/results.json"
    );
    ExitCode::from(2)
}

/// The repository root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first() else {
        return usage();
    };
    let rest = &args[1..];
    let result = match command.as_str() {
        "setup" => setup::run(setup::Needs {
            browsers: rest.iter().any(|a| a == "--browsers"),
        }),
        "build" => setup::run(setup::Needs::default()).and_then(|()| steps::build_widget()),
        "demo" => steps::demo(rest),
        "dist" => setup::run(setup::Needs::default()).and_then(|()| dist::dist()),
        "size" => setup::run(setup::Needs::default()).and_then(|()| dist::size(rest)),
        "test" => return steps::test_all(),
        "fuzz" => fuzz::run(rest),
        "bench" => setup::run(setup::Needs { browsers: true }).and_then(|()| bench::run(rest)),
        "help" | "--help" | "-h" => {
            usage();
            return ExitCode::SUCCESS;
        }
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
