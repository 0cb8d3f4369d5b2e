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

/// A minimal SMTP server on loopback: it answers each `RCPT TO` with the
/// code [`MailSink::codes`] gives its address (250 when absent) and keeps
/// every accepted message.
#[derive(Clone)]
#[allow(dead_code)] // each test file reads what it needs
pub struct MailSink {
    /// `smtp://127.0.0.1:PORT`.
    pub url: String,
    /// Each accepted message's DATA.
    pub inbox: Arc<Mutex<Vec<String>>>,
    /// Every address a `RCPT TO` named, in order, accepted or not.
    pub asked: Arc<Mutex<Vec<String>>>,
    /// The accepted recipients of each accepted message, in order.
    pub delivered: Arc<Mutex<Vec<String>>>,
    /// `RCPT TO` answers by address (lowercase): 550 for a mailbox that no
    /// longer exists, 452 for one full for now.
    pub codes: Arc<Mutex<std::collections::HashMap<String, u16>>>,
    /// How long each message takes to be accepted (a slow relay).
    pub delay: Arc<Mutex<std::time::Duration>>,
}

/// Starts a [`MailSink`].
pub async fn mail_sink() -> MailSink {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let sink = MailSink {
        url: format!("smtp://{addr}"),
        inbox: Arc::default(),
        asked: Arc::default(),
        delivered: Arc::default(),
        codes: Arc::default(),
        delay: Arc::default(),
    };
    let server = sink.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let sink = server.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                let mut data: Option<String> = None;
                let mut to = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            let delay = *sink.delay.lock().expect("delay");
                            tokio::time::sleep(delay).await;
                            sink.inbox.lock().expect("inbox").push(std::mem::take(body));
                            sink.delivered.lock().expect("delivered").append(&mut to);
                            data = None;
                            let _ = write.write_all(b"250 queued\r\n").await;
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        "250-sink\r\n250 8BITMIME".to_owned()
                    } else if upper.starts_with("DATA") {
                        data = Some(String::new());
                        "354 go on".to_owned()
                    } else if upper.starts_with("RCPT") {
                        let address = line
                            .split_once('<')
                            .and_then(|(_, rest)| rest.split_once('>'))
                            .map_or("", |(a, _)| a)
                            .to_lowercase();
                        sink.asked.lock().expect("asked").push(address.clone());
                        let code = sink.codes.lock().expect("codes").get(&address).copied();
                        match code {
                            Some(code) => format!("{code} not here, or not now"),
                            None => {
                                to.push(address);
                                "250 ok".to_owned()
                            }
                        }
                    } else if upper.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        if upper.starts_with("MAIL") || upper.starts_with("RSET") {
                            to.clear();
                        }
                        "250 ok".to_owned()
                    };
                    let _ = write.write_all(format!("{reply}\r\n").as_bytes()).await;
                }
            });
        }
    });
    sink
}

/// A [`MailSink`] that accepts every message: its URL and inbox.
pub async fn smtp_sink() -> (String, Arc<Mutex<Vec<String>>>) {
    let sink = mail_sink().await;
    (sink.url, sink.inbox)
}

/// [`smtp_sink`], refusing (550) the recipient `refused`, as a mail server
/// does for a mailbox that no longer exists.
pub async fn smtp_sink_refusing(refused: &str) -> (String, Arc<Mutex<Vec<String>>>) {
    let sink = mail_sink().await;
    sink.codes
        .lock()
        .expect("codes")
        .insert(refused.to_lowercase(), 550);
    (sink.url, sink.inbox)
}

/// The app served over TCP on loopback, so that the client address comes
/// from the connection (and `X-Forwarded-For` behind a trusted proxy).
pub struct TcpServer {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
}

impl TcpServer {
    /// Stops it and waits (up to 5 s) until it has.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), self.server).await;
    }
}

/// Serves `router` as `serve` does (the transport's limits included).
pub async fn serve_over_tcp(router: axum::Router) -> TcpServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(khabar_server::transport::serve(
        listener,
        router,
        khabar_server::transport::ConnLimits::default(),
        async move {
            let _ = stopped.await;
        },
    ));
    TcpServer { addr, stop, server }
}

/// POSTs the JSON `body` to `path` over TCP, with these raw header lines
/// (each ending in CRLF); the answer's status.
pub async fn post_raw(addr: std::net::SocketAddr, path: &str, lines: &[u8], body: &str) -> u16 {
    use tokio::io::AsyncReadExt;
    let mut request =
        format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
            .into_bytes();
    request.extend_from_slice(lines);
    request.extend_from_slice(
        format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(&request).await.expect("write");
    let mut out = String::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        s.read_to_string(&mut out),
    )
    .await
    .expect("answered")
    .expect("read");
    out.get(9..12)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {out:?}"))
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

/// A session of its own on the fixture's PostgreSQL database.
pub async fn session(f: &Fixture) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(&f.db_url(), tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    client
}

/// Makes the audit log refuse every line (a full disk, a lock timeout).
#[allow(dead_code)] // each test file uses what it needs
pub async fn refuse_audit(f: &Fixture) {
    let refuse = if on_postgres() {
        "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$; \
         CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log \
         FOR EACH ROW EXECUTE FUNCTION refuse_audit();"
    } else {
        "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log \
         BEGIN SELECT RAISE(ABORT, 'audit refused'); END;"
    };
    by_hand(f, refuse).await;
}

/// Lets the audit log take lines again (after [`refuse_audit`] or a
/// trigger of the same name).
#[allow(dead_code)]
pub async fn allow_audit(f: &Fixture) {
    let allow = if on_postgres() {
        "DROP TRIGGER refuse_audit ON audit_log"
    } else {
        "DROP TRIGGER refuse_audit"
    };
    by_hand(f, allow).await;
}

/// Runs `statement` on the fixture's database, as an operator's SQL would.
pub async fn by_hand(f: &Fixture, statement: &str) {
    if on_postgres() {
        session(f)
            .await
            .batch_execute(statement)
            .await
            .expect(statement);
    } else {
        let c = rusqlite::Connection::open(f.db_url()).expect("open");
        c.execute_batch(&format!(
            "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; {statement}"
        ))
        .expect(statement);
    }
}
