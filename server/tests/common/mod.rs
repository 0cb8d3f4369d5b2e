//! Shared fixtures of the server tests: a real temporary SQLite database
//! behind the real router.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use khabar_server::app::{app, Assets};
use khabar_server::import;
use khabar_server::state::AppState;
use khabar_server::store::{self, SharedStore};
use serde_json::Value;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tower::ServiceExt;

pub struct Fixture {
    pub dir: tempfile::TempDir,
    /// The store the router uses: SQLite, or PostgreSQL when
    /// `KHABAR_TEST_POSTGRES` names a server.
    pub store: SharedStore,
    pub router: axum::Router,
    /// What `--db` would be for this store (for the CLI).
    db: String,
}

impl Fixture {
    /// The `--db` value of this fixture's database.
    pub fn db_url(&self) -> String {
        self.db.clone()
    }
}

pub fn fixture(seed: bool) -> Fixture {
    fixture_with(seed, |s| s)
}

/// A fixture whose state `adjust` may change (moderation, limits, token).
pub fn fixture_with(seed: bool, adjust: impl FnOnce(AppState) -> AppState) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = engine_url(&dir);
    let store = block_on(store::engine::open(&db)).expect("open the store");
    if seed {
        block_on(import::seed_if_empty(store.as_ref())).expect("seed");
    }
    // A seeded fixture is a demo server: demo articles and demo pages.
    let www = dir.path().join("www");
    std::fs::create_dir_all(&www).expect("www");
    std::fs::write(www.join("index.html"), "<!doctype html><title>t</title>").expect("index");
    let assets = Assets {
        www: seed.then_some(www),
        widget: dir.path().join("widget"),
    };
    std::fs::create_dir_all(&assets.widget).expect("widget");
    std::fs::write(
        assets.widget.join("khabar_core_bg.wasm"),
        b"\0asm\x01\0\0\0",
    )
    .expect("wasm");
    // What `cargo xtask dist` puts in dist/cdn/: content-hashed names.
    std::fs::write(
        assets.widget.join("khabar_bg.0123abcdef.wasm"),
        b"\0asm\x01\0\0\0",
    )
    .expect("hashed wasm");
    std::fs::write(assets.widget.join("khabar.89abcdef01.js"), "export {};").expect("hashed js");
    let state = AppState::new(store.clone());
    let router = app(adjust(state), &assets);
    Fixture {
        dir,
        store,
        router,
        db,
    }
}

/// The engine the suite runs against: with `KHABAR_TEST_POSTGRES` set to
/// a server URL (`postgres://user@127.0.0.1:port/postgres`), a new empty
/// database on that server for each fixture; otherwise an SQLite file in
/// `dir` (in a directory that does not exist yet, which the store creates).
pub fn engine_url(dir: &tempfile::TempDir) -> String {
    match std::env::var("KHABAR_TEST_POSTGRES") {
        Ok(server) if !server.is_empty() => block_on(fresh_postgres_database(&server)),
        _ => dir
            .path()
            .join("nested/khabar.sqlite3")
            .to_string_lossy()
            .into_owned(),
    }
}

/// Creates a database with a unique name on `server`; its URL.
async fn fresh_postgres_database(server: &str) -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let name = format!(
        "khabar_test_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default()
    );
    let (client, conn) = tokio_postgres::connect(server, tokio_postgres::NoTls)
        .await
        .expect("connect to KHABAR_TEST_POSTGRES");
    tokio::spawn(conn);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create a test database");
    let base = server.rsplit_once('/').map_or(server, |(base, _)| base);
    format!("{base}/{name}")
}

/// Whether the suite runs against PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("KHABAR_TEST_POSTGRES").is_ok_and(|s| !s.is_empty())
}

/// All stored comments, whatever their status.
pub async fn comment_total(store: &SharedStore) -> i64 {
    store
        .comment_counts()
        .await
        .expect("counts")
        .iter()
        .map(|(_, n)| n)
        .sum()
}

/// Runs a future to completion from synchronous or async test code (on a
/// thread of its own, so that it works inside a Tokio runtime as well).
pub fn block_on<F: std::future::Future + Send>(f: F) -> F::Output
where
    F::Output: Send,
{
    std::thread::scope(|s| {
        s.spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(f)
        })
        .join()
        .expect("thread")
    })
}

pub async fn get(router: &axum::Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let res = router
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = res.status();
    let headers = res.headers().clone();
    let body = res
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

pub async fn get_json(router: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let (status, _, body) = get(router, uri).await;
    (status, serde_json::from_slice(&body).expect("json body"))
}

/// POSTs `body` as JSON; returns status, headers and parsed body.
pub async fn post_json(
    router: &axum::Router,
    uri: &str,
    body: &Value,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut req = Request::post(uri).header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = router
        .clone()
        .oneshot(req.body(Body::from(body.to_string())).expect("request"))
        .await
        .expect("response");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, json)
}

/// Sends a request with `method` and the admin bearer token `token`.
pub async fn admin(
    router: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let res = router
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = res.status();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// A minimal SMTP server that accepts every message and keeps its DATA.
pub async fn smtp_sink() -> (String, Arc<Mutex<Vec<String>>>) {
    smtp_sink_refusing("").await
}

/// [`smtp_sink`], refusing (550) every recipient whose `RCPT TO` line
/// holds `refused` (nobody when empty), as a mail server does for a
/// mailbox that no longer exists.
pub async fn smtp_sink_refusing(refused: &str) -> (String, Arc<Mutex<Vec<String>>>) {
    let refused = refused.to_ascii_uppercase();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let inbox = Arc::new(Mutex::new(Vec::new()));
    let store = inbox.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = store.clone();
            let refused = refused.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            store.lock().expect("inbox").push(std::mem::take(body));
                            data = None;
                            let _ = write.write_all(b"250 queued\r\n").await;
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250-sink\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("DATA") {
                        data = Some(String::new());
                        b"354 go on\r\n"
                    } else if upper.starts_with("RCPT")
                        && !refused.is_empty()
                        && upper.contains(&refused)
                    {
                        b"550 no such mailbox\r\n"
                    } else if upper.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    (format!("smtp://{addr}"), inbox)
}

/// Every decoded text part of a raw message, joined.
pub fn decoded_text(raw: &str) -> String {
    let parsed = mailparse::parse_mail(raw.as_bytes()).expect("MIME parses");
    let mut out = String::new();
    let mut stack = vec![parsed];
    while let Some(part) = stack.pop() {
        if part.subparts.is_empty() {
            out.push_str(&part.get_body().expect("body"));
            out.push('\n');
        } else {
            stack.extend(part.subparts);
        }
    }
    out
}
