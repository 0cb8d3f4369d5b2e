//! `cargo xtask bench`: builds what a visitor gets, then runs the browser
//! benchmarks (bench/browser.mjs: transfer, first paint, comments at scale
//! against the vanilla floor, layout shift, memory), Khabar's comments side
//! by side with Isso 0.14 (bench/isso.mjs), and the server benchmark
//! (bench/server.mjs, wrk), and writes `bench/results.json`.
//! On demand only: figures, never a pass/fail of CI.

use std::process::Command;

use crate::cmd::{self, cargo, output_of, root};
use crate::dist;

struct BenchArgs {
    runs: String,
    seconds: String,
    only: Option<String>,
}

fn parse(args: &[String]) -> Result<BenchArgs, String> {
    let mut out = BenchArgs {
        runs: "15".into(),
        seconds: "10".into(),
        only: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let value = it.next().ok_or_else(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--runs" => out.runs = value.clone(),
            "--seconds" => out.seconds = value.clone(),
            "--only" if ["browser", "isso", "server"].contains(&value.as_str()) => {
                out.only = Some(value.clone())
            }
            other => return Err(format!("unknown option {other} {value}")),
        }
    }
    Ok(out)
}

/// What machine the figures come from.
fn machine() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let chromium = output_of("/usr/bin/chromium", &["--version"]).unwrap_or_default();
    let date = output_of("date", &["-u", "+%Y-%m-%d"]).unwrap_or_default();
    serde_json::json!({
        "date": date.trim(),
        "cpu": cpu,
        "cores": cores,
        "os": output_of("uname", &["-sr"]).unwrap_or_default().trim(),
        "chromium": chromium.trim(),
        "node": output_of("node", &["--version"]).unwrap_or_default().trim(),
    })
}

/// `cargo xtask bench [--runs N] [--seconds N] [--only browser|isso|server]`.
pub fn run(args: &[String]) -> Result<(), String> {
    let args = parse(args)?;
    // The server benchmark reads the API only: with --only server, the
    // widget and the CDN bundle are not rebuilt.
    if args.only.as_deref() != Some("server") {
        dist::dist()?;
    }
    let root = root();
    cmd::run(cargo().args(["build", "--profile", "server", "-p", "khabar-server"]))?;
    let out = root.join("target/bench");
    std::fs::create_dir_all(&out).map_err(|e| format!("creating target/bench: {e}"))?;
    let server_bin = root.join("target/server/khabar-server");
    let common = |script: &str| {
        let mut c = Command::new("node");
        c.arg(script)
            .arg("--server-bin")
            .arg(&server_bin)
            .args(["--widget-dir", "target/widget"])
            .current_dir(&root);
        c
    };
    // With --only, the other half's figures from the last run are kept.
    let path = root.join("bench/results.json");
    let mut results = match std::fs::read_to_string(&path).map(|t| serde_json::from_str(&t)) {
        Ok(Ok(serde_json::Value::Object(map))) if args.only.is_some() => map,
        _ => serde_json::Map::new(),
    };
    results.insert("machine".into(), machine());
    if args.only.is_none() || args.only.as_deref() == Some("browser") {
        let file = out.join("browser.json");
        cmd::run(
            common("bench/browser.mjs")
                .args(["--dist", "dist", "--runs", &args.runs, "--out"])
                .arg(&file),
        )?;
        merge(&mut results, &file)?;
    }
    if args.only.is_none() || args.only.as_deref() == Some("isso") {
        // Isso from PyPI in a private virtualenv (target/isso-venv), once.
        let isso = crate::isso::ensure()?;
        let file = out.join("isso.json");
        cmd::run(
            common("bench/isso.mjs")
                .args(["--dist", "dist", "--runs", &args.runs, "--isso"])
                .arg(&isso)
                .arg("--out")
                .arg(&file),
        )?;
        merge(&mut results, &file)?;
    }
    if args.only.is_none() || args.only.as_deref() == Some("server") {
        let file = out.join("server.json");
        cmd::run(
            common("bench/server.mjs")
                .args(["--seconds", &args.seconds, "--out"])
                .arg(&file),
        )?;
        merge(&mut results, &file)?;
    }
    let text = serde_json::to_string_pretty(&serde_json::Value::Object(results))
        .map_err(|e| e.to_string())?;
    std::fs::write(&path, text + "\n").map_err(|e| format!("writing {}: {e}", path.display()))?;
    println!("\nwrote bench/results.json");
    Ok(())
}

fn merge(
    into: &mut serde_json::Map<String, serde_json::Value>,
    file: &std::path::Path,
) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    if let serde_json::Value::Object(map) = value {
        into.extend(map);
    }
    Ok(())
}
