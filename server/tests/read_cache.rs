//! The read cache follows writes made by other processes: the CLI
//! approving a comment while the server runs (SQLite's data_version, or
//! PostgreSQL's NOTIFY when the suite runs on it).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ARTICLE: &str = "2026-11-28-transit-plan";

/// A request over a fresh connection; the status and the JSON body.
fn request(base: &str, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    let status = out.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let json = out
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

#[test]
fn approving_from_the_cli_reaches_a_running_server_with_its_cache() {
    let bin = env!("CARGO_BIN_EXE_khabar-server");
    let dir = tempfile::tempdir().expect("dir");
    let db = common::engine_url(&dir);
    let mut server = Command::new(bin)
        .args(["--db", &db, "serve", "--demo", "--read-cache", "on"])
        .args(["--listen", "127.0.0.1:0", "--moderation", "pre"])
        .args(["--www", &dir.path().to_string_lossy()])
        .args(["--widget-dir", &dir.path().to_string_lossy()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start");
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    let base = line
        .trim()
        .rsplit(' ')
        .next()
        .expect("url")
        .trim_end_matches('/')
        .to_owned();
    let comments = format!("/api/v1/articles/{ARTICLE}/comments");

    let (status, created) = request(
        &base,
        "POST",
        &comments,
        Some(
            &json!({ "author": "Ali", "body": "ينتظر الموافقة", "idempotency_key": "key-cache-0001" }),
        ),
    );
    assert_eq!(status, 201);
    let id = created["comment"]["id"].as_i64().expect("id");
    // Read twice: the second answer comes from the cache.
    for _ in 0..2 {
        let (_, page) = request(&base, "GET", &comments, None);
        assert_eq!(page["total"], 0, "pending comments are not shown");
    }
    let (_, article) = request(&base, "GET", &format!("/api/v1/articles/{ARTICLE}"), None);
    assert_eq!(article["comment_count"], 0);

    // Another process approves it, then deletes it: the running server's
    // cached answers follow each within moments.
    for (action, count) in [("approve", 1), ("delete", 0)] {
        let cli = Command::new(bin)
            .args(["--db", &db, "comments", action, &id.to_string()])
            .output()
            .expect("cli");
        assert!(cli.status.success(), "{cli:?}");
        let started = Instant::now();
        loop {
            let (_, page) = request(&base, "GET", &comments, None);
            let (_, article) = request(&base, "GET", &format!("/api/v1/articles/{ARTICLE}"), None);
            if page["total"] == count && article["comment_count"] == count {
                if count == 1 {
                    assert_eq!(page["items"][0]["id"], json!(id));
                }
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(3),
                "the cache still serves the old page 3 s after the CLI's {action}: {page}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let _ = server.kill();
    let _ = server.wait();
}
