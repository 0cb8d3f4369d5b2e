//! Faults: durable settings on every pooled connection, concurrent writers,
//! bodies that trickle in, and slow or malformed request heads on a real
//! socket (the end-to-end side is tests/e2e/server-faults.test.mjs).

mod common;

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode};
use common::{fixture_with, post_json};
use http_body::Frame;
use http_body_util::BodyExt;
use khabar_server::comments::Moderation;
use khabar_server::ratelimit::RateLimit;
use khabar_server::transport::{self, ConnLimits};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceExt;

const URI: &str = "/api/v1/articles/2026-11-28-transit-plan/comments";

fn unlimited(timeout: Duration) -> common::Fixture {
    fixture_with(true, move |mut s| {
        s.moderation = Moderation::Post;
        s.comment_limit = Arc::new(RateLimit::new(0, Duration::from_secs(60)));
        s.body_timeout = timeout;
        s
    })
}

#[test]
fn every_pooled_connection_is_durable_and_waits_for_the_write_lock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = khabar_server::store::sqlite::SqliteStore::open(&dir.path().join("k.sqlite3"))
        .expect("open");
    let pool = store.pool();
    // Hold all eight at once so that each is a distinct connection.
    let conns: Vec<_> = (0..8).map(|_| pool.get().expect("conn")).collect();
    for c in &conns {
        let pragma = |name: &str| -> String {
            c.query_row(&format!("PRAGMA {name}"), [], |r| {
                r.get::<_, rusqlite::types::Value>(0)
            })
            .map(|v| match v {
                rusqlite::types::Value::Integer(i) => i.to_string(),
                rusqlite::types::Value::Text(t) => t,
                other => format!("{other:?}"),
            })
            .expect(name)
        };
        assert_eq!(pragma("journal_mode"), "wal");
        assert_eq!(pragma("synchronous"), "2", "FULL");
        assert_eq!(pragma("busy_timeout"), "5000");
        assert_eq!(pragma("foreign_keys"), "1");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_wait_for_each_other_instead_of_failing() {
    let f = unlimited(Duration::from_secs(15));
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let router = f.router.clone();
            tokio::spawn(async move {
                let body = json!({ "author": "Ali", "body": format!("concurrent #{i}"),
                    "idempotency_key": format!("concurrent-{i:04}") });
                post_json(&router, URI, &body, &[]).await.0
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.expect("task"), StatusCode::CREATED);
    }
    assert_eq!(common::comment_total(&f.store).await, 64);
}

/// Sends `{"author":` and then nothing, like a client that stalled.
struct Stalled {
    sent: bool,
}

impl http_body::Body for Stalled {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.sent {
            return Poll::Pending;
        }
        self.sent = true;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"{\"author\":")))))
    }
}

#[tokio::test]
async fn a_body_that_stops_arriving_gets_408_at_the_deadline() {
    let f = unlimited(Duration::from_millis(300));
    let started = Instant::now();
    let req = Request::post(URI)
        .header("content-type", "application/json")
        .body(Body::new(Stalled { sent: false }))
        .expect("request");
    let res = tokio::time::timeout(Duration::from_secs(5), f.router.clone().oneshot(req))
        .await
        .expect("answered before the test's own timeout")
        .expect("response");
    assert_eq!(res.status(), StatusCode::REQUEST_TIMEOUT);
    let body: Value =
        serde_json::from_slice(&res.into_body().collect().await.expect("body").to_bytes())
            .expect("json");
    assert_eq!(body["error"]["code"], "timeout");
    assert!(started.elapsed() >= Duration::from_millis(300));
}

/// Writes `request` on a new connection and reads until the server closes
/// it. Fails the test when the server keeps the connection open for 5 s: a
/// server that hangs is a fault, not an answer.
async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    // The server may answer and close before reading everything we send.
    let _ = s.write_all(request).await;
    let mut out = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    assert!(
        closed.is_ok(),
        "the server neither answered nor closed within 5 s; got {text:?}"
    );
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_malformed_heads_are_cut_while_others_are_answered() {
    let f = unlimited(Duration::from_secs(15));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let limits = ConnLimits {
        header_timeout: Duration::from_millis(500),
    };
    let server = tokio::spawn(transport::serve(
        listener,
        f.router.clone(),
        limits,
        async move {
            let _ = stopped.await;
        },
    ));

    // Slow clients: half a request head, then silence.
    let mut slow = Vec::new();
    for _ in 0..10 {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(b"GET /api/v1/articles HTTP/1.1\r\nHost: x\r\nX-Slow: a")
            .await
            .expect("write");
        slow.push(s);
    }
    let started = Instant::now();
    let ok = exchange(
        addr,
        b"GET /api/v1/articles HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    for mut s in slow {
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(Duration::from_secs(3), s.read(&mut buf))
            .await
            .expect("closed by the server")
            .unwrap_or(0);
        assert_eq!(n, 0, "closed without an answer");
    }
    assert!(started.elapsed() < Duration::from_secs(3));

    let huge = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(100 * 1024)
    );
    assert!(exchange(addr, huge.as_bytes())
        .await
        .starts_with("HTTP/1.1 431"));
    // Refused after 64 KiB; the rest is discarded so the answer arrives.
    let big = format!(
        "POST {URI} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{}",
        10 << 20,
        "x".repeat(10 << 20)
    );
    let answer = exchange(addr, big.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    for bad in [
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n"[..],
        b"NOT A REQUEST LINE\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
        b"POST /api/v1/articles/x/comments HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    ] {
        let answer = exchange(addr, bad).await;
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
            "{answer}"
        );
    }
    let ok = exchange(
        addr,
        b"GET /api/v1/articles HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("graceful shutdown")
        .expect("server task");
}
