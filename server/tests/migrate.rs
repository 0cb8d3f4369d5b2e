//! `khabar-server migrate`: everything moves to another engine and back,
//! ids, states, replies and idempotency keys included, proven by checksum.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use common::{admin, fixture_with, post_json};
use khabar_server::app::{app, Assets};
use khabar_server::comments::Moderation;
use khabar_server::ratelimit::RateLimit;
use khabar_server::state::AppState;
use khabar_server::store::migrate::{copy, MigrateError};
use khabar_server::store::{engine, SharedStore};
use serde_json::json;

const URI: &str = "/api/v1/articles/2026-11-28-transit-plan/comments";

fn comment(key: &str, body: &str) -> serde_json::Value {
    json!({ "author": "ليلى", "email": "laila@example.test", "body": body, "idempotency_key": key })
}

async fn sqlite_in(dir: &tempfile::TempDir, name: &str) -> SharedStore {
    engine::open(&dir.path().join(name).to_string_lossy())
        .await
        .expect("sqlite")
}

#[tokio::test]
async fn everything_moves_to_the_other_engine_and_back_unchanged() {
    // The source: the demo articles and comments in every state.
    let f = fixture_with(true, |mut s| {
        s.moderation = Moderation::Pre;
        s.admin_token = Some("t0ken-for-tests".into());
        s.comment_limit = Arc::new(RateLimit::new(0, Duration::from_secs(60)));
        s
    });
    // The site's webhook, from the start: every comment queues deliveries.
    f.store
        .renew_webhook_urls(
            vec!["https://hooks.example/khabar".into()],
            std::time::Duration::from_secs(300),
        )
        .await
        .expect("webhook");
    let (_, _, top) = post_json(&f.router, URI, &comment("key-migrate-01", "أول تعليق"), &[]).await;
    let top_id = top["comment"]["id"].as_i64().expect("id");
    admin(
        &f.router,
        "POST",
        &format!("/api/v1/admin/comments/{top_id}/approve"),
        Some("t0ken-for-tests"),
    )
    .await;
    let mut reply = comment("key-migrate-02", "ردّ على التعليق");
    reply["parent_id"] = json!(top_id);
    post_json(&f.router, URI, &reply, &[]).await;
    let (_, _, rejected) =
        post_json(&f.router, URI, &comment("key-migrate-03", "مرفوض"), &[]).await;
    let rejected_id = rejected["comment"]["id"].as_i64().expect("id");
    admin(
        &f.router,
        "POST",
        &format!("/api/v1/admin/comments/{rejected_id}/reject"),
        Some("t0ken-for-tests"),
    )
    .await;
    let mut spam = comment("key-migrate-04", "spam spam");
    spam["website"] = json!("http://spam.example");
    post_json(&f.router, URI, &spam, &[]).await;
    // What else the server keeps: a moderator account and a source's state.
    assert!(f
        .store
        .put_moderator(
            "mona",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"
        )
        .await
        .expect("moderator"));
    let state = khabar_server::store::SourceState {
        etag: Some("\"v1\"".into()),
        ..Default::default()
    };
    f.store
        .save_source_state("https://cms.example/feed.json", &state)
        .await
        .expect("source state");
    // A reader's reply subscription.
    f.store
        .add_reply_subscription(
            top_id,
            "laila@example.test",
            "ar",
            "https://news.example",
            std::time::Duration::from_secs(60),
        )
        .await
        .expect("subscription");
    // Two addresses whose first letters differ in case beyond A to Z: one
    // open subscription each on either engine, so the copy keeps both.
    for email in ["Élise@example.test", "élise@example.test"] {
        let id = f
            .store
            .add_reply_subscription(
                top_id,
                email,
                "fr",
                "https://news.example",
                std::time::Duration::from_secs(60),
            )
            .await
            .expect("subscription");
        assert!(id.is_some(), "{email} subscribed");
    }
    // How far moderator mail got, and a message the outbox kept.
    f.store
        .set_cursor("notify-moderators:desk@news.example", top_id)
        .await
        .expect("cursor");
    f.store
        .put_outbox_mail(
            khabar_server::store::OutboxMail {
                id: 0,
                at: "2026-12-07T08:00:00Z".into(),
                sender: "desk@news.example".into(),
                recipient: "mona@news.example".into(),
                subject: "تعليق ينتظر".into(),
                text: "نص".into(),
            },
            100,
        )
        .await
        .expect("outbox");
    let before = f.store.dump().await.expect("dump");
    assert_eq!(before.comments.len(), 4);
    assert!(
        before.comments.iter().all(|c| c.client_hmac.is_some()),
        "client hashes are part of the copy"
    );

    // Over to the other engine (PostgreSQL when the suite runs on it).
    let dir = tempfile::tempdir().expect("dir");
    let other: SharedStore = engine::open(&common::engine_url(&dir))
        .await
        .expect("target");
    let report = copy(&f.store, &other).await.expect("copy");
    assert!(report.verified(), "{report:?}");
    assert_eq!(report.comments, (4, 4));
    assert!(report.articles.0 >= 9);

    // Accounts, the install's secret and the sources' state moved too.
    assert!(other.moderator("mona").await.expect("get").is_some());
    assert_eq!(
        other
            .source_state("https://cms.example/feed.json")
            .await
            .expect("get")
            .and_then(|s| s.etag),
        Some("\"v1\"".to_owned())
    );
    assert_eq!(
        other
            .cursor("notify-moderators:desk@news.example")
            .await
            .expect("get"),
        Some(top_id)
    );
    let copied = other.dump().await.expect("dump");
    for table in [
        "moderators",
        "install_secrets",
        "sources",
        "reply_subscriptions",
        "webhook_urls",
        "webhook_deliveries",
        "mail_outbox",
    ] {
        let rows = copied
            .tables
            .iter()
            .find(|(t, _)| t == table)
            .map_or(0, |(_, r)| r.len());
        assert!(rows > 0, "{table} copied");
    }

    // A second copy into the same target is refused, not mixed in.
    assert!(matches!(
        copy(&f.store, &other).await,
        Err(MigrateError::TargetNotEmpty { .. })
    ));

    // And back into a new SQLite file: the same rows, the same checksum.
    let back = sqlite_in(&dir, "back.sqlite3").await;
    let report_back = copy(&other, &back).await.expect("copy back");
    assert!(report_back.verified(), "{report_back:?}");
    assert_eq!(report_back.checksums.1, before.checksum());
    // And from that SQLite file into the other engine again (the fixture
    // itself is on PostgreSQL when the suite runs on it).
    let dir_again = tempfile::tempdir().expect("dir");
    let again: SharedStore = engine::open(&common::engine_url(&dir_again))
        .await
        .expect("target");
    let report_again = copy(&back, &again).await.expect("copy again");
    assert!(report_again.verified(), "{report_again:?}");
    assert_eq!(report_again.checksums.1, before.checksum());

    // The moved site works: a retry with an old key gets the old comment,
    // and a new comment continues after the copied ids.
    let assets = Assets {
        www: None,
        widget: dir.path().join("widget"),
    };
    let mut state = AppState::new(other.clone());
    state.comment_limit = Arc::new(RateLimit::new(0, Duration::from_secs(60)));
    let moved = app(state, &assets);
    let (status, _, again) =
        post_json(&moved, URI, &comment("key-migrate-01", "أول تعليق"), &[]).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again["comment"]["id"], json!(top_id));
    let (status, _, new) =
        post_json(&moved, URI, &comment("key-migrate-05", "تعليق جديد"), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{new}");
    let max = before.comments.iter().map(|c| c.id).max().expect("ids");
    assert!(new["comment"]["id"].as_i64().expect("id") > max);
}

#[test]
fn the_command_prints_counts_and_a_verified_checksum() {
    let dir = tempfile::tempdir().expect("dir");
    let from = dir.path().join("from.sqlite3");
    let bin = env!("CARGO_BIN_EXE_khabar-server");
    let file = dir.path().join("one.json");
    std::fs::write(
        &file,
        json!({ "id": "moved-1", "url": "https://n.test/moved-1", "title": "خبر",
                "published_at": "2026-11-30T08:00:00Z", "body": [] })
        .to_string(),
    )
    .expect("write");
    let import = std::process::Command::new(bin)
        .args(["--db", &from.to_string_lossy(), "import"])
        .arg(&file)
        .output()
        .expect("run");
    assert!(import.status.success());
    let to = common::engine_url(&dir);
    let out = std::process::Command::new(bin)
        .args(["migrate", "--from", &from.to_string_lossy(), "--to", &to])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("articles: 1 in"), "{text}");
    assert!(text.contains("verified"), "{text}");
}

/// A router over `store` (post-moderation, the admin API on `TOKEN`).
fn router_over(store: &SharedStore, dir: &tempfile::TempDir) -> axum::Router {
    let mut state = AppState::new(store.clone());
    state.moderation = Moderation::Post;
    state.admin_token = Some(TOKEN.into());
    state.comment_limit = Arc::new(RateLimit::new(0, Duration::from_secs(60)));
    let assets = Assets {
        www: None,
        widget: dir.path().join("widget"),
    };
    app(state, &assets)
}

const TOKEN: &str = "t0ken-for-tests";

/// Posts a comment through `router`; its id.
async fn posted(router: &axum::Router, key: &str) -> i64 {
    let (status, _, res) = post_json(router, URI, &comment(key, "تعليق"), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{res}");
    res["comment"]["id"].as_i64().expect("id")
}

#[tokio::test]
async fn an_id_deleted_before_the_move_is_not_handed_out_again() {
    let f = fixture_with(true, |s| s);
    let dir = tempfile::tempdir().expect("dir");
    // SQLite, then the other engine (PostgreSQL when the suite runs on
    // it), then SQLite again: before each copy the source's newest comment
    // and subscription are deleted, and the target must not hand out
    // their ids again.
    let first = sqlite_in(&dir, "first.sqlite3").await;
    let report = copy(&f.store, &first).await.expect("seed copy");
    assert!(report.verified(), "{report:?}");
    let other: SharedStore = engine::open(&common::engine_url(&dir))
        .await
        .expect("target");
    let back = sqlite_in(&dir, "back.sqlite3").await;
    for (n, (from, to)) in [(&first, &other), (&other, &back)].into_iter().enumerate() {
        let source = router_over(from, &dir);
        posted(&source, &format!("key-kept-{n}")).await;
        let gone = posted(&source, &format!("key-gone-{n}")).await;
        let gone_sub = from
            .add_reply_subscription(
                gone,
                "laila@example.test",
                "ar",
                "https://news.example",
                std::time::Duration::ZERO,
            )
            .await
            .expect("subscription")
            .expect("a new one");
        let (status, _) = admin(
            &source,
            "DELETE",
            &format!("/api/v1/admin/comments/{gone}"),
            Some(TOKEN),
        )
        .await;
        assert!(status.is_success(), "{status}");
        assert!(from.comment(gone).await.expect("read").is_none());

        let report = copy(from, to).await.expect("copy");
        assert!(report.verified(), "{report:?}");
        assert_eq!(
            from.dump().await.expect("dump").id_counters,
            to.dump().await.expect("dump").id_counters,
            "copy {n}"
        );
        let target = router_over(to, &dir);
        let id = posted(&target, &format!("key-new-{n}")).await;
        assert!(
            id > gone,
            "copy {n}: comment id {id} given again (deleted {gone})"
        );
        let sub = to
            .add_reply_subscription(
                id,
                "laila@example.test",
                "ar",
                "https://news.example",
                std::time::Duration::ZERO,
            )
            .await
            .expect("subscription")
            .expect("a new one");
        assert!(
            sub > gone_sub,
            "copy {n}: subscription id {sub} given again"
        );
    }
}

#[tokio::test]
async fn a_target_that_handed_out_ids_before_is_refused() {
    let f = fixture_with(true, |s| s);
    let dir = tempfile::tempdir().expect("dir");
    let used = sqlite_in(&dir, "used.sqlite3").await;
    // As a database whose comments were all deleted would be.
    rusqlite::Connection::open(dir.path().join("used.sqlite3"))
        .expect("open")
        .execute(
            "UPDATE sqlite_sequence SET seq = 7 WHERE name = 'comments'",
            [],
        )
        .expect("update");
    match copy(&f.store, &used).await {
        Err(MigrateError::TargetUsed { table, counter }) => {
            assert_eq!((table.as_str(), counter), ("comments", 7));
        }
        other => panic!("copied into a used database: {other:?}"),
    }
}

/// A target where a moderator was added (or a server started, which keeps
/// its mail cursor and webhook URLs there) is refused before anything is
/// copied, not half-way on a duplicate key.
#[tokio::test]
async fn a_target_with_a_moderator_is_refused_before_the_copy() {
    let f = fixture_with(true, |s| s);
    assert!(khabar_server::admin::auth::add_moderator(
        f.store.as_ref(),
        "sara",
        "correct horse battery"
    )
    .await
    .expect("add"));
    let dir = tempfile::tempdir().expect("dir");
    let target = sqlite_in(&dir, "target.sqlite3").await;
    assert!(khabar_server::admin::auth::add_moderator(
        target.as_ref(),
        "omar",
        "correct horse battery"
    )
    .await
    .expect("add"));
    match copy(&f.store, &target).await {
        Err(MigrateError::TargetHolds { table, rows }) => {
            assert_eq!((table.as_str(), rows), ("moderators", 1));
        }
        other => panic!("copied into a database with a moderator: {other:?}"),
    }
    assert_eq!(
        target.article_count().await.expect("count"),
        0,
        "nothing copied"
    );
}
