//! Building, running the demo, and the test pipeline with its summary.

use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use crate::root;
use crate::setup::{self, Needs};

/// Runs a command with inherited output; an error names it and its status.
pub fn run_cmd(cmd: &mut Command) -> Result<(), String> {
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

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Builds the widget in release into `target/widget/` with the loader.
pub fn build_widget() -> Result<(), String> {
    let root = root();
    run_cmd(
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
    let (wasm, renamed) = crate::imports::minify(&wasm, "./khabar_core_bg.js")?;
    let glue = std::fs::read_to_string(&glue_path).map_err(|e| format!("reading the glue: {e}"))?;
    let glue = crate::imports::rename_in_glue(&glue, &renamed)?;
    std::fs::write(&wasm_path, wasm).map_err(|e| format!("writing the wasm: {e}"))?;
    std::fs::write(&glue_path, glue).map_err(|e| format!("writing the glue: {e}"))?;
    std::fs::copy(
        root.join("js/khabar.js"),
        root.join("target/widget/khabar.js"),
    )
    .map_err(|e| format!("copying the loader: {e}"))?;
    // Every reader downloads the JS too: minify the glue and the loader.
    for file in ["target/widget/khabar_core.js", "target/widget/khabar.js"] {
        run_cmd(
            Command::new(root.join("node_modules/.bin/esbuild"))
                .args([file, "--minify", "--format=esm", "--target=es2022"])
                .args(["--log-level=warning", "--allow-overwrite"])
                .arg(format!("--outfile={file}"))
                .current_dir(&root),
        )?;
    }
    Ok(())
}

/// `cargo xtask demo [--listen ADDR] [--db FILE]`.
pub fn demo(args: &[String]) -> Result<(), String> {
    let mut listen = "127.0.0.1:8080".to_owned();
    let mut db = "data/khabar.sqlite3".to_owned();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let value = it.next().ok_or_else(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--listen" => listen = value.clone(),
            "--db" => db = value.clone(),
            other => return Err(format!("unknown option {other}")),
        }
    }
    setup::run(Needs::default())?;
    build_widget()?;
    run_cmd(cargo().args(["build", "--profile", "server", "-p", "khabar-server"]))?;
    println!("\nKhabar demo: Arabic page at http://{listen}/ , English at http://{listen}/en/ (Ctrl-C stops)\n");
    run_cmd(
        Command::new(root().join("target/server/khabar-server"))
            .args(["--db", &db, "serve", "--listen", &listen])
            .args(["--www", "www", "--widget-dir", "target/widget"])
            .current_dir(root()),
    )
}

struct Outcome {
    name: &'static str,
    ok: bool,
    seconds: f64,
}

/// `cargo xtask test`: every check, one summary, non-zero exit on failure.
pub fn test_all() -> ExitCode {
    let started = Instant::now();
    if let Err(e) = setup::run(Needs { browsers: true }) {
        eprintln!("\nxtask test: setup failed, nothing was tested.\n{e}");
        return ExitCode::FAILURE;
    }
    let setup_seconds = started.elapsed().as_secs_f64();
    let root = root();
    let mut outcomes = Vec::new();
    let mut check = |name: &'static str, f: &mut dyn FnMut() -> Result<(), String>| {
        println!("\n=== {name} ===");
        let t = Instant::now();
        let result = f();
        if let Err(e) = &result {
            eprintln!("--- {name} failed: {e}");
        }
        let ok = result.is_ok();
        outcomes.push(Outcome {
            name,
            ok,
            seconds: t.elapsed().as_secs_f64(),
        });
        ok
    };

    check("format (cargo fmt --check)", &mut || {
        run_cmd(cargo().args(["fmt", "--all", "--check"]))
    });
    check("clippy, native workspace", &mut || {
        run_cmd(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    });
    check("clippy, widget on wasm32", &mut || {
        run_cmd(cargo().args([
            "clippy",
            "-p",
            "khabar",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    });
    check("native tests (cargo test --workspace)", &mut || {
        run_cmd(cargo().args(["test", "--workspace"]))
    });
    for (name, browser) in [
        ("browser tests, headless Chrome", "--chrome"),
        ("browser tests, headless Firefox", "--firefox"),
    ] {
        check(name, &mut || {
            run_cmd(
                Command::new("wasm-pack")
                    .args(["test", "--headless", browser])
                    .current_dir(&root),
            )
        });
    }
    let built = check(
        "build: widget, npm package, CDN bundle, server",
        &mut || {
            crate::dist::dist()?;
            run_cmd(cargo().args(["build", "-p", "khabar-server"]))
        },
    );
    if built {
        check(
            "size: first load under the 100 KB gzip ceiling",
            &mut || crate::dist::check_ceiling(),
        );
    }
    if built {
        check("end-to-end tests, headless Chromium", &mut || {
            run_cmd(
                Command::new("node")
                    .args(["--test", "--test-concurrency=1", "tests/e2e/"])
                    .env("KHABAR_SERVER_BIN", root.join("target/debug/khabar-server"))
                    .env("KHABAR_WWW", root.join("www"))
                    .env("KHABAR_WIDGET_DIR", root.join("target/widget"))
                    .env("KHABAR_DIST", root.join("dist"))
                    .current_dir(&root),
            )
        });
    }

    let passed = outcomes.iter().filter(|o| o.ok).count();
    let failed = outcomes.len() - passed;
    println!("\n=== summary (setup {setup_seconds:.0} s) ===");
    for o in &outcomes {
        println!(
            "  {}  {:<42} {:>6.1} s",
            if o.ok { "ok  " } else { "FAIL" },
            o.name,
            o.seconds
        );
    }
    if !built {
        println!("  skip  end-to-end tests (the build failed)");
    }
    println!("  total {:.0} s", started.elapsed().as_secs_f64());
    println!("checks: {passed} passed, {failed} failed");
    if failed == 0 && built {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
