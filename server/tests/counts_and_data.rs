//! Comment counts for many articles at once, and a reader's data: export
//! and erasure by e-mail address.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use common::{admin, fixture_with, get_json, post_json};
use khabar_server::comments::Moderation;
use khabar_server::ratelimit::RateLimit;
use serde_json::json;

const A: &str = "2026-11-28-transit-plan";
const B: &str = "2026-11-27-farmers-market";

fn open() -> common::Fixture {
    fixture_with(true, |mut s| {
        s.moderation = Moderation::Pre;
        s.admin_token = Some("t0ken".into());
        s.comment_limit = Arc::new(RateLimit::new(0, Duration::from_secs(60)));
        s
    })
}

async fn comment(f: &common::Fixture, article: &str, key: &str, email: &str) -> i64 {
    let body =
        json!({ "author": "Rana", "email": email, "body": "تعليق للعدّ", "idempotency_key": key });
    let (status, _, c) = post_json(
        &f.router,
        &format!("/api/v1/articles/{article}/comments"),
        &body,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    c["comment"]["id"].as_i64().expect("id")
}

#[tokio::test]
async fn counts_of_many_articles_follow_moderation() {
    let f = open();
    let one = comment(&f, A, "key-count-0001", "rana@example.test").await;
    let two = comment(&f, A, "key-count-0002", "rana@example.test").await;
    comment(&f, B, "key-count-0003", "omar@example.test").await;

    let uri = format!("/api/v1/counts?ids={A},{B},no-such-article");
    let (status, body) = get_json(&f.router, &uri).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({ "counts": { A: 0, B: 0 } }),
        "pending comments do not count; unknown ids are left out"
    );

    admin(
        &f.router,
        "POST",
        &format!("/api/v1/admin/comments/{one}/approve"),
        Some("t0ken"),
    )
    .await;
    admin(
        &f.router,
        "POST",
        &format!("/api/v1/admin/comments/{two}/approve"),
        Some("t0ken"),
    )
    .await;
    let (_, body) = get_json(&f.router, &uri).await;
    assert_eq!(body["counts"][A], 2);

    // By canonical URL, as given (case of the host, query and fragment aside).
    let (_, article) = get_json(&f.router, &format!("/api/v1/articles/{A}")).await;
    let url = article["url"].as_str().expect("url").to_owned();
    let asked = format!(
        "{}&utm_source=x#comments",
        url.replacen("http://", "HTTP://", 1)
    );
    let encoded: String = form_urlencoded::byte_serialize(asked.as_bytes()).collect();
    let (_, body) = get_json(&f.router, &format!("/api/v1/counts?url={encoded}")).await;
    assert_eq!(body["counts"][asked.as_str()], 2, "{body}");

    let too_many: Vec<String> = (0..51).map(|i| format!("a{i}")).collect();
    let (status, _) = get_json(
        &f.router,
        &format!("/api/v1/counts?ids={}", too_many.join(",")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = get_json(&f.router, "/api/v1/counts").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[test]
fn a_reader_can_have_their_comments_exported_and_erased() {
    let f = open();
    common::block_on(async {
        comment(&f, A, "key-data-0001", "Rana@Example.test").await;
        comment(&f, B, "key-data-0002", "rana@example.test").await;
        comment(&f, B, "key-data-0003", "omar@example.test").await;
    });
    let bin = env!("CARGO_BIN_EXE_khabar-server");
    let db = f.db_url();
    let export = std::process::Command::new(bin)
        .args([
            "--db",
            &db,
            "comments",
            "export",
            "--email",
            "rana@example.test",
        ])
        .output()
        .expect("run");
    assert!(export.status.success(), "{export:?}");
    let json: serde_json::Value = serde_json::from_slice(&export.stdout).expect("json");
    assert_eq!(
        json["comments"].as_array().expect("list").len(),
        2,
        "{json}"
    );
    // One article's, the address as typed (case and spaces aside).
    let one = std::process::Command::new(bin)
        .args(["--db", &db, "comments", "export", "--article", B])
        .args(["--email", " RANA@example.TEST "])
        .output()
        .expect("run");
    let json: serde_json::Value = serde_json::from_slice(&one.stdout).expect("json");
    let keys: Vec<&str> = json["comments"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["idempotency_key"].as_str())
        .collect();
    assert_eq!(keys, ["key-data-0002"], "{json}");
    let forget = std::process::Command::new(bin)
        .args([
            "--db",
            &db,
            "comments",
            "forget",
            "--email",
            "RANA@example.test",
        ])
        .output()
        .expect("run");
    assert!(
        String::from_utf8_lossy(&forget.stdout).contains("deleted 2 comment(s)"),
        "{forget:?}"
    );
    assert_eq!(
        common::block_on(common::comment_total(&f.store)),
        1,
        "only Omar's comment is left"
    );
    // The erasure is in the audit log, without the address it erased.
    let audit = common::block_on(f.store.audit_log(5)).expect("audit");
    assert_eq!(
        (
            audit[0].action.as_str(),
            audit[0].moderator.as_str(),
            audit[0].detail.as_deref()
        ),
        ("forget", "cli", Some("2 comment(s)"))
    );
    assert!(!format!("{audit:?}").to_lowercase().contains("rana@"));
}
