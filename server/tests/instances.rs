//! Several instances on one database: what they must agree on lives in
//! the store. On PostgreSQL (KHABAR_TEST_POSTGRES) two stores opened on the
//! same database play two instances; SQLite is checked for the same
//! operations within its single process.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use common::post_json;
use khabar_server::app::{app, Assets};
use khabar_server::comments::Moderation;
use khabar_server::ratelimit::RateLimit;
use khabar_server::state::AppState;
use khabar_server::store::{engine, SharedStore};
use serde_json::json;

const URI: &str = "/api/v1/articles/2026-11-28-transit-plan/comments";

async fn two_instances(dir: &tempfile::TempDir) -> (SharedStore, SharedStore) {
    let url = common::engine_url(dir);
    let a = engine::open(&url).await.expect("first");
    khabar_server::import::seed_if_empty(a.as_ref())
        .await
        .expect("seed");
    let b = engine::open(&url).await.expect("second");
    (a, b)
}

fn router(store: SharedStore, dir: &tempfile::TempDir) -> axum::Router {
    let mut state = AppState::new(store);
    state.moderation = Moderation::Post;
    state.comment_limit = Arc::new(RateLimit::new(2, Duration::from_secs(60)));
    app(
        state,
        &Assets {
            www: None,
            widget: dir.path().to_path_buf(),
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_due_job_is_claimed_by_exactly_one_instance() {
    let dir = tempfile::tempdir().expect("dir");
    let (a, b) = two_instances(&dir).await;
    let every = Duration::from_millis(300);
    let mut claims = Vec::new();
    for round in 0..3 {
        let (x, y) = tokio::join!(
            a.claim_job("test-job", every, "a"),
            b.claim_job("test-job", every, "b")
        );
        let (x, y) = (x.expect("a"), y.expect("b"));
        assert!(
            x ^ y,
            "round {round}: exactly one instance claims ({x}, {y})"
        );
        // Not due again before its time.
        assert!(!a.claim_job("test-job", every, "a").await.expect("again"));
        claims.push(if x { "a" } else { "b" });
        tokio::time::sleep(every + Duration::from_millis(50)).await;
    }
    assert_eq!(claims.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_idempotency_hold_across_instances() {
    let dir = tempfile::tempdir().expect("dir");
    let (a, b) = two_instances(&dir).await;
    // The store's own window, whichever engine.
    for _ in 0..2 {
        assert_eq!(
            a.rate_hit("t", "203.0.113.9", 2, Duration::from_secs(60))
                .await
                .expect("hit"),
            None
        );
    }
    let wait = b
        .rate_hit("t", "203.0.113.9", 2, Duration::from_secs(60))
        .await
        .expect("hit")
        .expect("limited, seen from the other store");
    assert!(wait <= Duration::from_secs(60));

    let (first, second) = (router(a.clone(), &dir), router(b.clone(), &dir));
    // A retry landing on the other instance creates no duplicate.
    let c =
        json!({ "author": "Ali", "body": "مرة واحدة فقط", "idempotency_key": "key-two-inst-1" });
    let (s1, _, one) = post_json(&first, URI, &c, &[]).await;
    let (s2, _, two) = post_json(&second, URI, &c, &[]).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(one["comment"]["id"], two["comment"]["id"]);
    assert_eq!(common::comment_total(&a).await, 1);

    if a.shares_state() {
        // Two comments allowed per client: the third is refused whichever
        // instance it reaches.
        let d = json!({ "author": "Ali", "body": "ثانٍ", "idempotency_key": "key-two-inst-2" });
        let e = json!({ "author": "Ali", "body": "ثالث", "idempotency_key": "key-two-inst-3" });
        let (s, _, _) = post_json(&second, URI, &d, &[]).await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, _, _) = post_json(&first, URI, &e, &[]).await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruning_old_rate_limit_events_keeps_the_longest_window() {
    let dir = tempfile::tempdir().expect("dir");
    let store = engine::open(&common::engine_url(&dir))
        .await
        .expect("store");
    let mut state = AppState::new(store.clone());
    // Comments and sends count over a second; reply confirmations over an hour.
    state.comment_limit = Arc::new(RateLimit::new(5, Duration::from_secs(1)));
    state.send_limit = Arc::new(RateLimit::new(5, Duration::from_secs(1)));
    state.reply_confirm_limit = Arc::new(RateLimit::new(1, Duration::from_secs(3600)));
    let confirm = |state: &AppState| {
        let (limit, store) = (state.reply_confirm_limit.clone(), store.clone());
        async move {
            limit
                .check_in(store.as_ref(), "reply-confirm-address", "huda@example.org")
                .await
                .expect("store")
        }
    };
    assert!(confirm(&state).await.is_ok(), "the first confirmation");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    khabar_server::jobs::run_due(&state, "test").await;
    assert!(
        confirm(&state).await.is_err(),
        "the hour's one confirmation is still counted after the prune"
    );
    // The prune claims its job (a write) only where rate events are in
    // the database: SQLite keeps them in memory, and a claim there would
    // empty every instance's read cache each minute for nothing.
    let free = store
        .claim_job("prune-rate-hits", Duration::from_secs(300), "other")
        .await
        .expect("claim");
    assert_eq!(free, !store.shares_state());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claimed_run_holds_its_job_until_it_is_released() {
    let dir = tempfile::tempdir().expect("dir");
    let (a, b) = two_instances(&dir).await;
    let every = Duration::from_millis(200);
    let lease = Duration::from_secs(300);
    assert!(a.claim_job("slow-job", lease, "a").await.expect("a"));
    // The run takes longer than the job's period: nobody else starts it.
    tokio::time::sleep(every * 2).await;
    assert!(!b.claim_job("slow-job", lease, "b").await.expect("b"));
    // Another holder's release changes nothing; the holder's own frees it
    // for the next period.
    b.release_job("slow-job", every, "b")
        .await
        .expect("release");
    assert!(!b.claim_job("slow-job", lease, "b").await.expect("b"));
    a.release_job("slow-job", every, "a")
        .await
        .expect("release");
    assert!(
        !b.claim_job("slow-job", lease, "b").await.expect("b"),
        "not before its period"
    );
    tokio::time::sleep(every + Duration::from_millis(50)).await;
    assert!(b.claim_job("slow-job", lease, "b").await.expect("b"));
}
