//! The client address behind trusted proxies, and retries before the rate
//! limit, through a real socket (the address comes from the connection).

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{fixture_with, post_json};
use khabar_server::comments::Moderation;
use khabar_server::ratelimit::RateLimit;
use serde_json::{json, Value};

const URI: &str = "/api/v1/articles/2026-11-27-farmers-market/comments";

fn comment(key: &str) -> Value {
    json!({ "author": "Ali", "body": "تعليق عن السوق", "idempotency_key": key })
}

/// POSTs a comment over TCP with an `X-Forwarded-For` header; the status.
async fn post_over_tcp(addr: std::net::SocketAddr, key: &str, forwarded: &str) -> u16 {
    let line = format!("X-Forwarded-For: {forwarded}\r\n");
    post_with_lines(addr, key, line.as_bytes()).await
}

/// POSTs a comment over TCP with these raw header lines; the status.
async fn post_with_lines(addr: std::net::SocketAddr, key: &str, lines: &[u8]) -> u16 {
    common::post_raw(addr, URI, lines, &comment(key).to_string()).await
}

/// A server on loopback that allows 2 comments a minute per client and
/// trusts 127.0.0.1, where the tests connect from, as its proxy.
async fn behind_a_proxy() -> (common::Fixture, common::TcpServer) {
    let f = fixture_with(true, |mut s| {
        s.moderation = Moderation::Post;
        s.comment_limit = std::sync::Arc::new(RateLimit::new(2, Duration::from_secs(60)));
        s.trusted_proxies = "127.0.0.1".parse().expect("list");
        s
    });
    let server = common::serve_over_tcp(f.router.clone()).await;
    (f, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_forging_x_forwarded_for_is_still_rate_limited() {
    let (_f, server) = behind_a_proxy().await;
    let addr = server.addr;
    // The proxy appends the real client (203.0.113.7) after whatever the
    // client sent; a new forged first entry every time changes nothing.
    let mut statuses = Vec::new();
    for i in 0..3 {
        let forged = format!("198.51.100.{i}, 203.0.113.7");
        statuses.push(post_over_tcp(addr, &format!("key-forged-{i:04}"), &forged).await);
    }
    assert_eq!(statuses, [201, 201, 429], "the third comment is limited");
    // Another real client behind the same proxy is not.
    assert_eq!(
        post_over_tcp(addr, "key-other-0001", "203.0.113.8").await,
        201
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ipv6_client_is_limited_by_its_64_whatever_address_it_takes() {
    let (_f, server) = behind_a_proxy().await;
    let addr = server.addr;
    // A new address of one /64 for every comment.
    let mut statuses = Vec::new();
    for i in 1..=3 {
        let ip = format!("2001:db8:7:1::{i:x}");
        statuses.push(post_over_tcp(addr, &format!("key-v6-{i:04}"), &ip).await);
    }
    assert_eq!(statuses, [201, 201, 429], "one network, one allowance");
    assert_eq!(
        post_over_tcp(addr, "key-v6-other", "2001:db8:7:2::1").await,
        201,
        "the next /64 is someone else"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_retry_with_a_known_key_gets_its_answer_before_the_rate_limit() {
    let f = fixture_with(true, |mut s| {
        s.moderation = Moderation::Post;
        s.comment_limit = std::sync::Arc::new(RateLimit::new(1, Duration::from_secs(60)));
        s
    });
    let (first, _, a) = post_json(&f.router, URI, &comment("key-retry-0001"), &[]).await;
    assert_eq!(first, StatusCode::CREATED);
    // The widget's automatic retry after a lost answer: same key.
    let (again, _, b) = post_json(&f.router, URI, &comment("key-retry-0001"), &[]).await;
    assert_eq!(again, StatusCode::CREATED, "{b}");
    assert_eq!(a["comment"]["id"], b["comment"]["id"]);
    // A new comment is still limited.
    let (new, _, _) = post_json(&f.router, URI, &comment("key-retry-0002"), &[]).await;
    assert_eq!(new, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_header_line_or_byte_does_not_escape_the_limit() {
    let (_f, server) = behind_a_proxy().await;
    let addr = server.addr;
    // A proxy that adds its own line (as HAProxy does) after the client's
    // forged one: the client is 203.0.113.9, whatever the first line says.
    let mut statuses = Vec::new();
    for i in 0..3 {
        let lines = format!("X-Forwarded-For: 198.51.100.{i}\r\nX-Forwarded-For: 203.0.113.9\r\n");
        statuses.push(post_with_lines(addr, &format!("key-lines-{i:04}"), lines.as_bytes()).await);
    }
    assert_eq!(statuses, [201, 201, 429], "the proxy's own line counts");
    // A byte that is not UTF-8 before the proxy's entry: still counted as
    // 203.0.113.10, not as the proxy.
    let mut statuses = Vec::new();
    for i in 0..2 {
        let lines = b"X-Forwarded-For: \xff, 203.0.113.10\r\n";
        statuses.push(post_with_lines(addr, &format!("key-bytes-{i:04}"), lines).await);
    }
    statuses.push(post_over_tcp(addr, "key-bytes-0002", "203.0.113.10").await);
    assert_eq!(statuses, [201, 201, 429], "the same client");
    server.stop().await;
}

/// The RSS link `/api/v1/config` gives over TCP to a request that says it
/// came over https, from a server that trusts `proxies` (none: `None`).
async fn feed_link_said_https(proxies: Option<&str>) -> String {
    feed_link_said(proxies, "https").await
}

/// [`feed_link_said_https`], with `proto` as the request's
/// X-Forwarded-Proto.
async fn feed_link_said(proxies: Option<&str>, proto: &str) -> String {
    let f = fixture_with(true, |mut s| {
        if let Some(list) = proxies {
            s.trusted_proxies = list.parse().expect("list");
        }
        s
    });
    let server = common::serve_over_tcp(f.router.clone()).await;
    let text = reqwest::Client::new()
        .get(format!("http://{}/api/v1/config", server.addr))
        .header("x-forwarded-proto", proto)
        .send()
        .await
        .expect("config")
        .text()
        .await
        .expect("text");
    let config: Value = serde_json::from_str(&text).expect("json");
    server.stop().await;
    config["feeds"]["rss"].as_str().expect("rss").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_forwarded_proto_is_believed_only_from_a_listed_proxy_once_proxies_are_listed() {
    // No list: a site behind a proxy it never named still gets https links.
    assert!(feed_link_said_https(None).await.starts_with("https://"));
    // In any case, and the first of two proxies' words.
    for proto in ["HTTPS", "https, http", " https"] {
        let link = feed_link_said(None, proto).await;
        assert!(link.starts_with("https://"), "{proto}: {link}");
    }
    assert!(feed_link_said(None, "http, https")
        .await
        .starts_with("http://"));
    // Loopback, where the test connects from, listed: believed.
    assert!(feed_link_said_https(Some("127.0.0.1"))
        .await
        .starts_with("https://"));
    // Listed proxies elsewhere: loopback is a client, whose word is not
    // how readers reach the site.
    let link = feed_link_said_https(Some("10.0.0.0/8")).await;
    assert!(link.starts_with("http://"), "{link}");
}
