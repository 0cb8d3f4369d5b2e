//! `cargo xtask`: the project's own commands.
//!
//! - `setup`  install what building needs, skipping what is there
//! - `build`  build the widget (release) into `target/widget/`
//! - `demo`   set up, build, and run khabar-server with the demo pages
//! - `dist`   the npm package and the CDN bundle into `dist/`
//! - `size`   what a first visit downloads, and twiggy's largest items
//! - `test`   set up (browsers too), then every check and test suite
//! - `cycles` import cycles between the modules of each crate
//! - `fuzz`   run the cargo-fuzz targets for a bounded time (nightly)
//! - `bench`  benchmarks: transfer, paint, comments at scale, Isso side by side, CLS, memory, server
//!
//! Modules import "downwards" only (`cycles` checks it): `cmd` is the leaf,
//! `setup`, `build`, `dist`, `fuzz`, `demo`, `bench` and `test` build on it.

mod bench;
mod build;
mod cmd;
mod cycles;
mod demo;
mod dist;
mod fuzz;
mod imports;
mod isso;
mod postgres;
mod setup;
mod test;

use std::process::ExitCode;

fn usage() -> ExitCode {
    let stages: String = test::STAGES
        .iter()
        .map(|s| format!("\n    {:<16} {}", s.short, s.name))
        .collect();
    eprintln!(
        "usage: cargo xtask <command>

commands:
  setup [--browsers]            install the toolchain pieces that are missing
  build                         build the widget (release) into target/widget/
  demo [--listen ADDR] [--db F] build and run the demo on http://127.0.0.1:8080/
  dist                          npm package (dist/npm, dist/khabar-*.tgz) and CDN bundle (dist/cdn)
  size [--no-twiggy]            raw/gzip/brotli of every shipped file; fails above each file's gzip ceiling
  test [--only STAGE[,STAGE..]] run every check and test suite, or only the stages named
                                (size and e2e bring build along); stages:{stages}
  cycles [SRC_DIR..]            import cycles between modules (default: widget, rules,
                                server, xtask); fails if there is one
  fuzz [--seconds N] [TARGET..] each fuzz target N s (default 60; needs nightly)
  bench [--runs N] [--seconds N] [--only browser|isso|server]
                                benchmarks; prints a table, writes bench/results.json"
    );
    ExitCode::from(2)
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
        "build" => setup::run(setup::Needs::default()).and_then(|()| build::widget()),
        "demo" => demo::run(rest),
        "dist" => setup::run(setup::Needs::default()).and_then(|()| dist::dist()),
        "size" => setup::run(setup::Needs::default()).and_then(|()| dist::size(rest)),
        "test" => return test::run(rest),
        "cycles" => cycles::run(rest),
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
