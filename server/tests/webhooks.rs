//! Webhooks against a real database and real receivers on loopback: the
//! signature, the body, one delivery per event and URL, retries after a
//! failure, a receiver that hangs or refuses, events from every moderation
//! path (token API, CLI, admin UI), the admin page, and two instances on
//! one database sending each delivery once.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use common::post_json;
use khabar_server::app::{app, Assets};
use khabar_server::comments::Moderation;
use khabar_server::ratelimit::RateLimit;
use khabar_server::state::AppState;
use khabar_server::store::{engine, Keyset, SharedStore, WebhookDelivery};
use khabar_server::webhooks::settings::Settings;
use khabar_server::webhooks::{signature, worker};
use serde_json::{json, Value};
use tokio::io::AsyncReadExt;

const ARTICLE: &str = "2026-11-28-transit-plan";
const SECRET: &[u8] = b"a-webhook-secret-for-tests-only";
const TOKEN: &str = "moderation-token-for-tests";

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Received {
    signature: String,
    event: String,
    delivery: String,
    content_type: String,
    body: String,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("the body is JSON")
    }
}

/// How a receiver answers.
#[derive(Clone, Copy)]
enum Mode {
    /// 204 to everything.
    Ok,
    /// 500 to the first `n` requests, then 204.
    FailFirst(usize),
    /// 204 after this many milliseconds.
    Slow(u64),
}

/// A webhook receiver on loopback that records every request.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    /// The most requests it was answering at once.
    most_at_once: Arc<AtomicUsize>,
}

impl Receiver {
    async fn start(mode: Mode) -> Receiver {
        let got = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::new(AtomicUsize::new(0));
        let (now, most_at_once) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let record = got.clone();
        let (now_h, most_h) = (now.clone(), most_at_once.clone());
        let handler = move |headers: HeaderMap, body: String| {
            let (record, seen) = (record.clone(), seen.clone());
            let (now, most) = (now_h.clone(), most_h.clone());
            async move {
                let at_once = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(at_once, Ordering::SeqCst);
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned()
                };
                record.lock().expect("record").push(Received {
                    signature: header("khabar-signature"),
                    event: header("khabar-event"),
                    delivery: header("khabar-delivery"),
                    content_type: header("content-type"),
                    body,
                });
                let n = seen.fetch_add(1, Ordering::SeqCst);
                if let Mode::Slow(ms) = mode {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
                now.fetch_sub(1, Ordering::SeqCst);
                match mode {
                    Mode::FailFirst(k) if n < k => StatusCode::INTERNAL_SERVER_ERROR,
                    _ => StatusCode::NO_CONTENT,
                }
            }
        };
        let router = axum::Router::new().route("/hook", axum::routing::post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Receiver {
            url,
            got,
            most_at_once,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().expect("record").clone()
    }
}

/// A receiver that accepts connections, reads what comes and never
/// answers; `open` counts the connections its client still holds.
struct Hanging {
    url: String,
    accepted: Arc<AtomicUsize>,
    open: Arc<AtomicUsize>,
}

impl Hanging {
    async fn start() -> Hanging {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let accepted = Arc::new(AtomicUsize::new(0));
        let open = Arc::new(AtomicUsize::new(0));
        let (a, o) = (accepted.clone(), open.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                a.fetch_add(1, Ordering::SeqCst);
                o.fetch_add(1, Ordering::SeqCst);
                let o = o.clone();
                tokio::spawn(async move {
                    let mut buf = [0_u8; 4096];
                    while let Ok(n) = socket.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                    }
                    o.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Hanging {
            url,
            accepted,
            open,
        }
    }
}

/// A URL on loopback where nothing listens.
async fn refused_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}/hook")
}

/// Webhook settings for tests: quick polls and retries.
fn settings(urls: Vec<String>) -> Settings {
    let mut s = Settings::new(urls, SECRET.to_vec());
    s.retry_base = Duration::from_secs(1);
    s.timeout = Duration::from_secs(2);
    s.poll = Duration::from_millis(100);
    s
}

/// One server instance: its store, state and router.
struct Instance {
    store: SharedStore,
    state: AppState,
    router: axum::Router,
}

fn instance(store: SharedStore, moderation: Moderation, dir: &tempfile::TempDir) -> Instance {
    let mut state = AppState::new(store.clone());
    state.moderation = moderation;
    state.admin_token = Some(TOKEN.into());
    state.comment_limit = Arc::new(RateLimit::new(0, Duration::from_secs(60)));
    state.admin.failure_delay = Duration::ZERO;
    let router = app(
        state.clone(),
        &Assets {
            www: None,
            widget: dir.path().to_path_buf(),
        },
    );
    Instance {
        store,
        state,
        router,
    }
}

/// A seeded database (SQLite, or PostgreSQL with KHABAR_TEST_POSTGRES)
/// and its `--db` value.
async fn database(dir: &tempfile::TempDir) -> (SharedStore, String) {
    let url = common::engine_url(dir);
    let store = engine::open(&url).await.expect("open");
    khabar_server::import::seed_if_empty(store.as_ref())
        .await
        .expect("seed");
    (store, url)
}

/// Records `urls` as the whole list, as if no other instance had any.
async fn only_urls(store: &SharedStore, urls: Vec<String>) {
    store
        .renew_webhook_urls(urls, Duration::ZERO)
        .await
        .expect("webhook URLs");
}

/// Two instances (post-moderated, no worker yet) on one fresh database.
async fn two_instances(dir: &tempfile::TempDir) -> (Instance, Instance) {
    let (store_a, db) = database(dir).await;
    let store_b = engine::open(&db).await.expect("second instance");
    (
        instance(store_a, Moderation::Post, dir),
        instance(store_b, Moderation::Post, dir),
    )
}

/// An instance on a fresh database whose worker delivers to `urls`.
async fn started(
    dir: &tempfile::TempDir,
    moderation: Moderation,
    s: Settings,
) -> (Instance, String) {
    let (store, db) = database(dir).await;
    let i = instance(store, moderation, dir);
    worker::start(&i.state, s).await.expect("start webhooks");
    (i, db)
}

/// The article the tests comment on, as stored.
async fn the_article(store: &SharedStore) -> khabar_server::model::Article {
    store
        .article(ARTICLE)
        .await
        .expect("read")
        .expect("article")
}

/// Posts a comment; its id.
async fn comment(router: &axum::Router, key: &str, body: &str) -> i64 {
    let (status, _, res) = post_json(
        router,
        &format!("/api/v1/articles/{ARTICLE}/comments"),
        &json!({ "author": "ليلى", "email": "layla@example.org", "body": body,
                 "idempotency_key": key }),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{res}");
    res["comment"]["id"].as_i64().expect("id")
}

async fn deliveries(store: &SharedStore) -> Vec<WebhookDelivery> {
    store
        .webhook_deliveries(500, Keyset::Newest)
        .await
        .expect("deliveries")
}

/// Waits (up to a minute; a failing test stops there) until `done` holds
/// for the stored deliveries; them.
async fn wait_until(
    store: &SharedStore,
    what: &str,
    done: impl Fn(&[WebhookDelivery]) -> bool,
) -> Vec<WebhookDelivery> {
    for _ in 0..600 {
        let all = deliveries(store).await;
        if done(&all) {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never: {what}; deliveries: {:#?}", deliveries(store).await);
}

fn all_delivered(n: usize) -> impl Fn(&[WebhookDelivery]) -> bool {
    move |all| all.len() == n && all.iter().all(|d| d.delivered_ms.is_some())
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn metric(state: &AppState, name: &str) -> String {
    state
        .metrics
        .render()
        .lines()
        .find(|l| l.starts_with(&format!("khabar_{name}_total ")))
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_reaches_every_url_once_signed_with_the_secret() {
    let dir = tempfile::tempdir().expect("dir");
    let (a, b) = (
        Receiver::start(Mode::Ok).await,
        Receiver::start(Mode::Ok).await,
    );
    let (i, _) = started(
        &dir,
        Moderation::Post,
        settings(vec![a.url.clone(), b.url.clone()]),
    )
    .await;
    let id = comment(&i.router, "hook-key-0001", "خطة النقل الجديدة تستحق النقاش").await;
    // The widget's retry of the same comment creates nothing new.
    assert_eq!(
        comment(&i.router, "hook-key-0001", "خطة النقل الجديدة تستحق النقاش").await,
        id
    );
    wait_until(&i.store, "four deliveries delivered", all_delivered(4)).await;

    let article = the_article(&i.store).await;
    for r in [&a, &b] {
        let got = r.received();
        let events: Vec<_> = got.iter().map(|g| g.event.as_str()).collect();
        assert_eq!(events, ["comment.created", "comment.published"], "{got:#?}");
        for g in &got {
            signature::verify(SECRET, &g.signature, g.body.as_bytes(), now_secs(), 300)
                .expect("the signature verifies with the secret");
            assert_eq!(
                signature::verify(
                    b"some-other-secret-entirely",
                    &g.signature,
                    g.body.as_bytes(),
                    now_secs(),
                    300
                ),
                Err(signature::SignatureError::Mismatch)
            );
            assert_eq!(g.content_type, "application/json");
            let body = g.json();
            assert_eq!(body["id"], g.delivery.as_str());
            assert_eq!(body["event"], g.event.as_str());
            assert!(body["created_at"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z')));
            let c = &body["comment"];
            assert_eq!(c["id"], id);
            assert_eq!(c["article_id"], ARTICLE);
            assert_eq!(c["article_url"], article.url.as_str());
            assert_eq!(c["article_title"], article.title.as_str());
            assert_eq!(c["author"], "ليلى");
            assert_eq!(c["body"], "خطة النقل الجديدة تستحق النقاش");
            assert_eq!(c["status"], "published");
            assert_eq!(c["parent_id"], Value::Null);
            assert!(c["created_at"].is_string());
            // Personal data stays home.
            assert!(c.get("email").is_none() && c.get("client_hmac").is_none());
            assert!(!g.body.contains("layla@example.org"));
        }
    }
    // Four distinct deliveries, each sent once.
    let ids: BTreeSet<_> = a
        .received()
        .into_iter()
        .chain(b.received())
        .map(|g| g.delivery)
        .collect();
    assert_eq!(ids.len(), 4);
    assert_eq!(
        metric(&i.state, "webhooks_delivered"),
        "khabar_webhooks_delivered_total 4"
    );
    assert_eq!(
        metric(&i.state, "webhooks_failed"),
        "khabar_webhooks_failed_total 0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_article_stored_with_a_path_reaches_the_receiver_at_the_public_url_signed_as_sent() {
    let dir = tempfile::tempdir().expect("dir");
    let r = Receiver::start(Mode::Ok).await;
    let (store, _) = database(&dir).await;
    let mut i = instance(store, Moderation::Post, &dir);
    i.state.public_url = Some("https://news.example".into());
    worker::start(&i.state, settings(vec![r.url.clone()]))
        .await
        .expect("start webhooks");
    let article = the_article(&i.store).await;
    // The demo's articles are stored with paths, as an import may store them.
    assert!(article.url.starts_with("/?article="), "{}", article.url);
    comment(&i.router, "hook-key-path1", "رابط المقال كامل في الإشعار").await;
    let stored = wait_until(&i.store, "two deliveries delivered", all_delivered(2)).await;
    let got = r.received();
    assert_eq!(got.len(), 2, "{got:#?}");
    for g in &got {
        assert_eq!(
            g.json()["comment"]["article_url"],
            format!("https://news.example{}", article.url)
        );
        // The signature covers the body as sent.
        signature::verify(SECRET, &g.signature, g.body.as_bytes(), now_secs(), 300)
            .expect("the signature verifies");
    }
    // The store keeps what the transaction wrote.
    assert!(stored.iter().all(|d| d
        .body
        .contains(&format!("\"article_url\":\"{}\"", article.url))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_answering_500_gets_it_on_the_second_attempt() {
    let dir = tempfile::tempdir().expect("dir");
    let r = Receiver::start(Mode::FailFirst(1)).await;
    let (i, _) = started(&dir, Moderation::Pre, settings(vec![r.url.clone()])).await;
    let id = comment(&i.router, "hook-key-0002", "تعليق ينتظر المراجعة").await;
    let all = wait_until(&i.store, "delivered", all_delivered(1)).await;
    let d = &all[0];
    assert_eq!(d.attempts, 2);
    assert_eq!(d.last_status, Some(204));
    assert_eq!(
        d.last_error.as_deref(),
        Some("answered 500 Internal Server Error"),
        "the failure stays on record"
    );
    assert_eq!(d.event, "comment.created");
    assert_eq!(d.comment_id, id);
    let got = r.received();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].delivery, got[1].delivery,
        "the same delivery, retried"
    );
    assert_eq!(got[0].body, got[1].body);
    assert_eq!(got[1].json()["comment"]["status"], "pending");
    assert_eq!(
        metric(&i.state, "webhook_attempt_failures"),
        "khabar_webhook_attempt_failures_total 1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_receiver_never_holds_up_the_reader_and_times_out() {
    let dir = tempfile::tempdir().expect("dir");
    let hang = Hanging::start().await;
    let mut s = settings(vec![hang.url.clone()]);
    s.timeout = Duration::from_secs(3);
    let (i, _) = started(&dir, Moderation::Pre, s).await;
    comment(&i.router, "hook-key-0003", "التعليق الأول").await;
    // Wait for the worker to be stuck on the receiver …
    for _ in 0..600 {
        if hang.open.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(hang.accepted.load(Ordering::SeqCst), 1);
    // … and post again: the reader's answer comes while that attempt is
    // still waiting (the worker is not in the request path).
    let second = comment(&i.router, "hook-key-0004", "التعليق الثاني").await;
    assert_eq!(
        hang.open.load(Ordering::SeqCst),
        1,
        "the first attempt was still in flight when the reader got 201"
    );
    assert!(i.store.comment(second).await.expect("read").is_some());
    let all = wait_until(&i.store, "both attempted", |all| {
        all.len() == 2 && all.iter().all(|d| d.attempts >= 1)
    })
    .await;
    for d in &all {
        assert_eq!(d.last_status, None);
        assert_eq!(
            d.last_error.as_deref(),
            Some("timed out: no answer within 3 s")
        );
        assert!(d.delivered_ms.is_none() && d.failed_ms.is_none());
        assert!(d.next_attempt_ms > d.created_ms, "scheduled again");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_retried_then_failed_and_counted() {
    let dir = tempfile::tempdir().expect("dir");
    let mut s = settings(vec![refused_url().await]);
    s.max_attempts = 2;
    let (i, _) = started(&dir, Moderation::Pre, s).await;
    comment(&i.router, "hook-key-0005", "لن يصل هذا الإشعار").await;
    let all = wait_until(&i.store, "failed", |all| {
        all.len() == 1 && all[0].failed_ms.is_some()
    })
    .await;
    let d = &all[0];
    assert_eq!(d.attempts, 2);
    assert!(d.delivered_ms.is_none());
    let error = d.last_error.as_deref().unwrap_or_default();
    assert!(error.starts_with("could not connect: "), "{error}");
    assert!(error.to_lowercase().contains("refused"), "{error}");
    assert_eq!(
        metric(&i.state, "webhooks_failed"),
        "khabar_webhooks_failed_total 1"
    );
    assert_eq!(
        metric(&i.state, "webhook_attempt_failures"),
        "khabar_webhook_attempt_failures_total 2"
    );
    // Back in the queue with a fresh count; it fails again.
    let retried = i
        .store
        .retry_webhook_delivery(d.id, None)
        .await
        .expect("retry");
    assert_eq!(
        retried.map(|r| (r.comment_id, r.event, r.url)),
        Some((d.comment_id, d.event.clone(), d.url.clone()))
    );
    assert!(
        i.store
            .retry_webhook_delivery(d.id, None)
            .await
            .expect("retry")
            .is_none(),
        "only failed ones"
    );
    wait_until(&i.store, "failed again", |all| {
        all[0].failed_ms.is_some() && all[0].attempts == 2
    })
    .await;
    assert_eq!(
        metric(&i.state, "webhooks_failed"),
        "khabar_webhooks_failed_total 2"
    );
}

/// Runs `khabar-server --db DB comments ACTION ID`.
fn cli(db: &str, action: &str, id: i64) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_khabar-server"))
        .args(["--db", db, "comments", action, &id.to_string()])
        .output()
        .expect("run the CLI");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approving_and_rejecting_by_api_and_cli_send_published_and_rejected() {
    let dir = tempfile::tempdir().expect("dir");
    let r = Receiver::start(Mode::Ok).await;
    let (i, db) = started(&dir, Moderation::Pre, settings(vec![r.url.clone()])).await;
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(comment(&i.router, &format!("hook-mod-{n:04}"), "تعليق للمراجعة").await);
    }
    let api = |action: &'static str, id: i64| {
        let router = i.router.clone();
        async move {
            let (status, body) = common::admin(
                &router,
                "POST",
                &format!("/api/v1/admin/comments/{id}/{action}"),
                Some(TOKEN),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    };
    api("approve", ids[0]).await;
    api("approve", ids[0]).await; // no change: no second event
    api("reject", ids[1]).await;
    let db2 = db.clone();
    let (c, d) = (ids[2], ids[3]);
    tokio::task::spawn_blocking(move || {
        cli(&db2, "approve", c);
        cli(&db2, "reject", d);
    })
    .await
    .expect("cli");
    wait_until(&i.store, "eight delivered", all_delivered(8)).await;
    let mut got: BTreeMap<(String, i64), usize> = BTreeMap::new();
    for g in r.received() {
        let body = g.json();
        let id = body["comment"]["id"].as_i64().expect("id");
        signature::verify(SECRET, &g.signature, g.body.as_bytes(), now_secs(), 300)
            .expect("signed");
        if g.event != "comment.created" {
            let status = if g.event == "comment.published" {
                "published"
            } else {
                "rejected"
            };
            assert_eq!(body["comment"]["status"], status);
        }
        *got.entry((g.event, id)).or_default() += 1;
    }
    let want: BTreeMap<(String, i64), usize> = ids
        .iter()
        .map(|&id| (("comment.created".to_owned(), id), 1))
        .chain([
            (("comment.published".to_owned(), ids[0]), 1),
            (("comment.rejected".to_owned(), ids[1]), 1),
            (("comment.published".to_owned(), ids[2]), 1),
            (("comment.rejected".to_owned(), ids[3]), 1),
        ])
        .collect();
    assert_eq!(got, want);
    // Every decision is in the audit log, with who took it.
    let log: Vec<(String, String, Option<i64>)> = i
        .store
        .audit_log(20)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| (e.moderator, e.action, e.comment_id))
        .collect();
    for (who, what, id) in [
        ("api", "approve", ids[0]),
        ("api", "reject", ids[1]),
        ("cli", "approve", ids[2]),
        ("cli", "reject", ids[3]),
    ] {
        assert!(
            log.contains(&(who.to_owned(), what.to_owned(), Some(id))),
            "{who} {what} #{id}: {log:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_database_send_each_delivery_once() {
    let dir = tempfile::tempdir().expect("dir");
    let r = Receiver::start(Mode::Ok).await;
    let (a, b) = two_instances(&dir).await;
    worker::start(&a.state, settings(vec![r.url.clone()]))
        .await
        .expect("a");
    worker::start(&b.state, settings(vec![r.url.clone()]))
        .await
        .expect("b");
    for n in 0..6 {
        let router = if n % 2 == 0 { &a.router } else { &b.router };
        comment(router, &format!("hook-two-{n:04}"), "تعليق من نسختين").await;
    }
    wait_until(&a.store, "twelve delivered", all_delivered(12)).await;
    let got = r.received();
    let ids: BTreeSet<_> = got.iter().map(|g| g.delivery.clone()).collect();
    assert_eq!(got.len(), 12, "each delivery arrives once");
    assert_eq!(ids.len(), 12);
    let sent = |s: &AppState| {
        metric(s, "webhooks_delivered")
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0)
    };
    assert_eq!(sent(&a.state) + sent(&b.state), 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_with_an_older_list_leaves_the_newer_urls_deliveries_alone() {
    // A rolling restart that adds a URL: instance B has it, A (not yet
    // restarted) does not; the list in the database has both instances'.
    let dir = tempfile::tempdir().expect("dir");
    let (first, second) = (
        Receiver::start(Mode::Ok).await,
        Receiver::start(Mode::Ok).await,
    );
    let (a, b) = two_instances(&dir).await;
    worker::start(&a.state, settings(vec![first.url.clone()]))
        .await
        .expect("a");
    worker::start(
        &b.state,
        settings(vec![first.url.clone(), second.url.clone()]),
    )
    .await
    .expect("b");
    for n in 0..4 {
        let router = if n % 2 == 0 { &a.router } else { &b.router };
        comment(router, &format!("hook-roll-{n:04}"), "تعليق أثناء التحديث").await;
    }
    // Two events a comment (created, published), to each URL.
    let all = wait_until(&a.store, "sixteen delivered", all_delivered(16)).await;
    assert!(all.iter().all(|d| d.failed_ms.is_none()), "{all:#?}");
    assert_eq!(first.received().len(), 8);
    assert_eq!(
        second.received().len(),
        8,
        "each of B's URL's deliveries, by B"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_without_webhooks_leaves_the_urls_of_those_that_send() {
    // Instance B runs without --webhook (a canary, one kept for the admin
    // pages): A's URL stays in the list, so B's comments reach it too.
    let dir = tempfile::tempdir().expect("dir");
    let r = Receiver::start(Mode::Ok).await;
    let (a, b) = two_instances(&dir).await;
    worker::start(&a.state, settings(vec![r.url.clone()]))
        .await
        .expect("a");
    // What every instance's jobs do at its start and each minute: B has
    // no URL of its own to renew.
    assert_eq!(worker::renew(&b.state).await.expect("b"), 0);
    comment(&b.router, "hook-none-0001", "تعليق على نسخة بلا خطافات").await;
    wait_until(&a.store, "two delivered", all_delivered(2)).await;
    assert_eq!(r.received().len(), 2, "created and published, sent by A");

    // A URL that no running instance has renewed for its lifetime (every
    // instance that had it stopped, or was restarted without it) is
    // forgotten, and what still waited for it is given up; one as old
    // that its instance renews now (its database was out of reach for
    // minutes, say) stays, and so does what waits for it. The lifetime
    // is half a second here (URL_LIFETIME is five minutes): the store
    // times it on its own clock, so a test cannot record a URL in the past.
    let (gone, kept) = ("http://gone.test/hook", "http://kept.test/hook");
    b.store
        .renew_webhook_urls(vec![gone.into(), kept.into()], worker::URL_LIFETIME)
        .await
        .expect("old URLs");
    comment(&b.router, "hook-none-0002", "تعليق قبل نسيان العنوان").await;
    let waiting = |all: &[WebhookDelivery], url: &str| {
        all.iter()
            .filter(|d| d.url == url)
            .map(|d| (d.failed_ms.is_some(), d.last_error.clone()))
            .collect::<Vec<_>>()
    };
    let all = deliveries(&b.store).await;
    assert_eq!(waiting(&all, gone), [(false, None), (false, None)]);
    assert_eq!(waiting(&all, kept), [(false, None), (false, None)]);
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    // A's renewal of the minute (this A's URLs are its worker's settings).
    let a_renews = a
        .store
        .renew_webhook_urls(vec![r.url.clone()], worker::URL_LIFETIME);
    assert_eq!(a_renews.await.expect("a"), 0);
    let lifetime = Duration::from_millis(500);
    let forgotten = b.store.renew_webhook_urls(vec![kept.into()], lifetime);
    assert_eq!(forgotten.await.expect("c"), 1, "gone.test only");
    let given_up = Some("the URL is no longer a --webhook".to_owned());
    let all = deliveries(&b.store).await;
    assert_eq!(
        waiting(&all, gone),
        [(true, given_up.clone()), (true, given_up)]
    );
    assert_eq!(waiting(&all, kept), [(false, None), (false, None)]);
    // Nothing to retry: no instance sends to that URL any more.
    let given_up_id = all.iter().find(|d| d.url == gone).expect("given up").id;
    let retried = b.store.retry_webhook_delivery(given_up_id, None).await;
    assert_eq!(retried.expect("retry"), None);
    let all = deliveries(&b.store).await;
    assert_eq!(
        waiting(&all, gone)
            .iter()
            .filter(|(failed, _)| *failed)
            .count(),
        2
    );
    assert_eq!(worker::renew(&b.state).await.expect("b"), 0);
    // A's URL, renewed at its start, stays and gets the new comment.
    comment(&b.router, "hook-none-0003", "تعليق بعد نسيان العنوان").await;
    wait_until(&a.store, "four more delivered", |all| {
        all.iter()
            .filter(|d| d.url == r.url && d.delivered_ms.is_some())
            .count()
            == 6
    })
    .await;
    let all = deliveries(&b.store).await;
    assert_eq!(waiting(&all, gone).len(), 2, "no new one");
    assert_eq!(waiting(&all, kept).len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_receiver_gets_its_deliveries_one_after_the_other_in_order() {
    let dir = tempfile::tempdir().expect("dir");
    // Slower than the worker's poll (100 ms here).
    let r = Receiver::start(Mode::Slow(500)).await;
    let (i, _) = started(&dir, Moderation::Post, settings(vec![r.url.clone()])).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(comment(&i.router, &format!("hook-slow-{n:04}"), "تعليق").await);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    wait_until(&i.store, "six delivered", all_delivered(6)).await;
    assert_eq!(
        r.most_at_once.load(Ordering::SeqCst),
        1,
        "never two at once"
    );
    let order: Vec<(i64, String)> = r
        .received()
        .iter()
        .map(|g| {
            (
                g.json()["comment"]["id"].as_i64().expect("id"),
                g.event.clone(),
            )
        })
        .collect();
    let want: Vec<(i64, String)> = ids
        .iter()
        .flat_map(|&id| {
            [
                (id, "comment.created".to_owned()),
                (id, "comment.published".to_owned()),
            ]
        })
        .collect();
    assert_eq!(order, want, "in the order of the events");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasing_a_readers_comments_erases_their_deliveries_sent_or_waiting() {
    let dir = tempfile::tempdir().expect("dir");
    let r = Receiver::start(Mode::Ok).await;
    let down = refused_url().await;
    let (i, _) = started(&dir, Moderation::Post, settings(vec![r.url.clone(), down])).await;
    let id = comment(&i.router, "hook-erase-0001", "نص يُمحى").await;
    wait_until(&i.store, "sent to the receiver", |all| {
        all.iter().filter(|d| d.delivered_ms.is_some()).count() == 2
    })
    .await;
    assert!(deliveries(&i.store)
        .await
        .iter()
        .any(|d| d.delivered_ms.is_none()));
    // A data request: the reader's comments go, and every delivery that
    // carries them, the one still waiting for the URL that is down too;
    // each receiver is told to forget them.
    let n = i
        .store
        .forget_email("LAYLA@example.org", None)
        .await
        .expect("forget");
    assert_eq!(n, 1);
    assert!(i.store.comment(id).await.expect("read").is_none());
    // What is left: one comment.deleted per URL, without name or words.
    let left = deliveries(&i.store).await;
    assert_eq!(left.len(), 2, "{left:#?}");
    for d in &left {
        assert_eq!((d.event.as_str(), d.comment_id), ("comment.deleted", id));
        assert!(!d.body.contains("ليلى") && !d.body.contains("نص يُمحى"));
    }
}

/// The ids of a deleted comment's deliveries, the newest, are not given to
/// the `comment.deleted` ones queued with the deletion: a moderator's
/// "Retry now" on a page opened before names no other delivery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_comments_delivery_ids_are_never_given_again() {
    let dir = tempfile::tempdir().expect("dir");
    let down = refused_url().await;
    let (i, _) = started(&dir, Moderation::Post, settings(vec![down])).await;
    comment(&i.router, "hook-ids-0001", "تعليق يبقى").await;
    let gone = comment(&i.router, "hook-ids-0002", "تعليق يُحذف").await;
    let before = wait_until(&i.store, "queued", |all| all.len() == 4).await;
    let newest = before.iter().map(|d| d.id).max().expect("ids");
    let (status, body) = common::admin(
        &i.router,
        "DELETE",
        &format!("/api/v1/admin/comments/{gone}"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let deleted: Vec<i64> = deliveries(&i.store)
        .await
        .iter()
        .filter(|d| d.event == "comment.deleted")
        .map(|d| d.id)
        .collect();
    assert_eq!(deleted.len(), 1);
    assert!(
        deleted.iter().all(|id| *id > newest),
        "{deleted:?} after {newest}"
    );
}

/// A moderator deletes a comment (say, a libel) while its receiver is
/// down: its deliveries and its replies' go with it, waiting or sent, and
/// another comment's stay; a `comment.deleted` without author or text
/// tells the receiver of each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_comment_takes_its_deliveries_and_its_replies_with_it() {
    let dir = tempfile::tempdir().expect("dir");
    let down = refused_url().await;
    let (i, _) = started(&dir, Moderation::Post, settings(vec![down])).await;
    let libel = comment(&i.router, "hook-delete-0001", "نص يُحذف").await;
    let (status, _, res) = post_json(
        &i.router,
        &format!("/api/v1/articles/{ARTICLE}/comments"),
        &json!({ "author": "سامي", "body": "رد عليه", "parent_id": libel,
                 "idempotency_key": "hook-delete-0002" }),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{res}");
    let reply = res["comment"]["id"].as_i64().expect("id");
    let other = comment(&i.router, "hook-delete-0003", "تعليق يبقى").await;
    // created and published for each of the three, none delivered
    let before = wait_until(&i.store, "tried once each", |all| {
        all.len() == 6 && all.iter().all(|d| d.attempts >= 1)
    })
    .await;
    assert!(before.iter().all(|d| d.delivered_ms.is_none()));

    let (status, body) = common::admin(
        &i.router,
        "DELETE",
        &format!("/api/v1/admin/comments/{libel}"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let left = deliveries(&i.store).await;
    let about = |event: &str| -> BTreeSet<i64> {
        left.iter()
            .filter(|d| d.event == event)
            .map(|d| d.comment_id)
            .collect()
    };
    assert_eq!(about("comment.created"), BTreeSet::from([other]));
    assert_eq!(about("comment.published"), BTreeSet::from([other]));
    // What receivers get instead: the two are gone, without their words.
    assert_eq!(about("comment.deleted"), BTreeSet::from([libel, reply]));
    for d in left.iter().filter(|d| d.event == "comment.deleted") {
        let body: Value = serde_json::from_str(&d.body).expect("JSON");
        let c = &body["comment"];
        assert_eq!(
            (
                c["status"].as_str(),
                c["author"].as_str(),
                c["body"].as_str()
            ),
            (Some("deleted"), Some(""), Some("")),
            "{body}"
        );
        assert_eq!(c["article_id"], ARTICLE);
        assert!(d.delivered_ms.is_none(), "{d:?}");
    }
    assert_eq!(left.len(), 4, "{left:#?}");
}

#[test]
fn serve_refuses_webhooks_without_a_secret_or_with_a_bad_url() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("k.sqlite3");
    let run = |args: &[&str], secret: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_khabar-server"));
        cmd.args([
            "--db",
            &db.to_string_lossy(),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(args)
        .env_remove("KHABAR_WEBHOOK_SECRET")
        .env_remove("KHABAR_WEBHOOK_SECRET_FILE")
        .env_remove("KHABAR_WEBHOOKS");
        if let Some(s) = secret {
            cmd.env("KHABAR_WEBHOOK_SECRET", s);
        }
        let out = cmd.output().expect("run");
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = run(&["--webhook", "https://hooks.example/k"], None);
    assert!(err.contains("--webhook needs a signing secret"), "{err}");
    let err = run(
        &["--webhook", "ftp://hooks.example/k"],
        Some("0123456789abcdef-long"),
    );
    assert!(err.contains("only http:// and https://"), "{err}");
    let err = run(&["--webhook", "https://hooks.example/k"], Some("short"));
    assert!(err.contains("at least 16"), "{err}");
    let missing = dir.path().join("no-such-secret");
    let err = run(
        &[
            "--webhook",
            "https://hooks.example/k",
            "--webhook-secret-file",
            &missing.to_string_lossy(),
        ],
        None,
    );
    assert!(err.contains("--webhook-secret-file"), "{err}");
}

/// A form-or-GET request to the admin UI from 10.0.0.9; (status,
/// headers, body).
async fn admin_request(
    router: &axum::Router,
    method: &str,
    uri: &str,
    cookies: &str,
    form: Option<String>,
) -> (StatusCode, HeaderMap, String) {
    use axum::http::{header, Request};
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("accept-language", "en");
    if !cookies.is_empty() {
        req = req.header(header::COOKIE, cookies);
    }
    if form.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let mut req = req
        .body(axum::body::Body::from(form.unwrap_or_default()))
        .expect("request");
    let addr: std::net::SocketAddr = "10.0.0.9:40000".parse().expect("addr");
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(addr));
    let res = router.clone().oneshot(req).await.expect("response");
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// The value of the first hidden `csrf` field of `page`.
fn csrf_of(page: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = page.find(marker).expect("a csrf field") + marker.len();
    page[start..].split('"').next().expect("value").to_owned()
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Signs `name` in; the session cookie pair.
async fn sign_in(router: &axum::Router, name: &str, password: &str) -> String {
    let (_, _, page) = admin_request(router, "GET", "/admin/login", "", None).await;
    let token = csrf_of(&page);
    let form = format!(
        "csrf={}&name={}&password={}",
        enc(&token),
        enc(name),
        enc(password)
    );
    let (status, headers, body) = admin_request(
        router,
        "POST",
        "/admin/login",
        &format!("khabar_login_csrf={token}"),
        Some(form),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    headers
        .get_all(axum::http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("khabar_session="))
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_page_shows_a_failed_delivery_and_retries_it() {
    let dir = tempfile::tempdir().expect("dir");
    let dead = refused_url().await;
    let ok = Receiver::start(Mode::Ok).await;
    let mut s = settings(vec![dead.clone(), ok.url.clone()]);
    s.max_attempts = 1;
    let (i, _) = started(&dir, Moderation::Pre, s).await;
    let password = "a long enough password";
    khabar_server::admin::auth::add_moderator(i.store.as_ref(), "huda", password)
        .await
        .expect("moderator");
    let id = comment(&i.router, "hook-adm-0001", "تعليق على صفحة الإشراف").await;
    wait_until(&i.store, "one failed, one delivered", |all| {
        all.len() == 2
            && all.iter().any(|d| d.failed_ms.is_some())
            && all.iter().any(|d| d.delivered_ms.is_some())
    })
    .await;

    let (status, headers, _) = admin_request(&i.router, "GET", "/admin/webhooks", "", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed-in moderators only");
    assert_eq!(headers["location"], "/admin/login?next=%2Fadmin%2Fwebhooks");

    let session = sign_in(&i.router, "huda", password).await;
    let (status, _, page) =
        admin_request(&i.router, "GET", "/admin/webhooks", &session, None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains(r#"<a href="/admin/webhooks" aria-current="page">Webhooks</a>"#));
    // minijinja escapes `/` in HTML.
    let shown = |u: &str| u.replace('/', "&#x2f;");
    assert!(
        page.contains(&shown(&dead)) && page.contains(&shown(&ok.url)),
        "{page}"
    );
    assert!(page.contains(&format!("#{id}")));
    assert!(page.contains(r#"class="hook-failed">failed"#), "{page}");
    assert!(
        page.contains(r#"class="hook-delivered">delivered"#),
        "{page}"
    );
    assert!(page.contains("could not connect: "), "{page}");
    assert!(page.contains("(<span dir=\"ltr\">HTTP 204</span>)"));
    assert_eq!(page.matches("Retry now").count(), 1, "only the failed one");
    let failed = deliveries(&i.store)
        .await
        .into_iter()
        .find(|d| d.failed_ms.is_some())
        .expect("failed");
    let action = format!("/admin/webhooks/{}/retry", failed.id);
    assert!(page.contains(&format!(r#"action="{action}""#)));

    // Without the session's CSRF token: refused, nothing changes.
    let (status, _, _) = admin_request(
        &i.router,
        "POST",
        &action,
        &session,
        Some("csrf=forged".into()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(deliveries(&i.store)
        .await
        .iter()
        .any(|d| d.failed_ms.is_some()));

    let (status, headers, _) = admin_request(
        &i.router,
        "POST",
        &action,
        &session,
        Some(format!("csrf={}", enc(&csrf_of(&page)))),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/admin/webhooks?done=1");
    // Tried again (and, the URL still refusing, failed again after one
    // attempt); the audit log says who retried.
    wait_until(&i.store, "failed again", |all| {
        all.iter()
            .any(|d| d.id == failed.id && d.failed_ms.is_some() && d.attempts == 1)
    })
    .await;
    assert_eq!(
        metric(&i.state, "webhooks_failed"),
        "khabar_webhooks_failed_total 2"
    );
    let audit = i.store.audit_log(10).await.expect("audit");
    let retry = audit
        .iter()
        .find(|e| e.action == "retry_webhook")
        .expect("the retry is in the audit log");
    assert_eq!(retry.moderator, "huda");
    assert_eq!(retry.comment_id, Some(failed.comment_id));
    assert_eq!(
        retry.detail.as_deref(),
        Some(format!("delivery {}: {} to {}", failed.id, failed.event, failed.url).as_str())
    );

    // Arabic by default.
    let (_, _, page) = admin_request(
        &i.router,
        "GET",
        "/admin/webhooks",
        &format!("{session}; khabar_admin_lang=ar"),
        None,
    )
    .await;
    assert!(page.contains("أعد المحاولة الآن") && page.contains(r#"dir="rtl""#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_page_lists_deliveries_a_page_at_a_time() {
    let dir = tempfile::tempdir().expect("dir");
    let (store, _) = database(&dir).await;
    let i = instance(store.clone(), Moderation::Pre, &dir);
    // No worker: 50 addresses and 5 comments make 250 deliveries waiting.
    let urls: Vec<String> = (0..50)
        .map(|n| format!("http://hook{n}.test/khabar"))
        .collect();
    only_urls(&store, urls).await;
    for n in 0..5 {
        comment(
            &i.router,
            &format!("hook-page-{n:04}"),
            "تعليق لصفحات التسليم",
        )
        .await;
    }
    assert_eq!(deliveries(&store).await.len(), 250);
    let password = "a long enough password";
    khabar_server::admin::auth::add_moderator(i.store.as_ref(), "huda", password)
        .await
        .expect("moderator");
    let session = sign_in(&i.router, "huda", password).await;
    let rows = |page: &str| page.matches(r#"class="hook-"#).count();
    let (status, _, first) =
        admin_request(&i.router, "GET", "/admin/webhooks", &session, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows(&first), 200);
    assert!(
        first.contains(r#"<span class="count">(250)</span>"#),
        "the heading counts every delivery"
    );
    let marker = r#"" rel="next""#;
    let end = first.find(marker).expect("a link to older deliveries");
    let start = first[..end].rfind("href=\"").expect("href") + "href=\"".len();
    // minijinja escapes `/` and `&` in HTML.
    let older = first[start..end]
        .replace("&#x2f;", "/")
        .replace("&amp;", "&");
    assert!(older.starts_with("/admin/webhooks?before="), "{older}");
    let (status, _, second) = admin_request(&i.router, "GET", &older, &session, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows(&second), 50);
    assert!(!second.contains(marker), "the last page");
    let (status, _, _) =
        admin_request(&i.router, "GET", "/admin/webhooks?after=x", &session, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_deliveries_are_pruned_and_those_of_a_removed_url_given_up() {
    let dir = tempfile::tempdir().expect("dir");
    let (store, _) = database(&dir).await;
    let i = instance(store.clone(), Moderation::Pre, &dir);
    // No worker: the rows stay as the store writes them.
    let urls = [
        "http://a.test/hook",
        "http://b.test/hook",
        "http://c.test/hook",
    ];
    only_urls(&store, urls.iter().map(|u| (*u).to_owned()).collect()).await;
    comment(&i.router, "hook-prune-01", "تعليق للتنظيف").await;
    let all = deliveries(&store).await;
    assert_eq!(all.len(), 3);
    let by_url = |u: &str| all.iter().find(|d| d.url == u).expect("row").id;
    use khabar_server::store::Attempt;
    store
        .record_webhook_attempt(by_url(urls[0]), Attempt::Delivered(200))
        .await
        .expect("delivered");
    store
        .record_webhook_attempt(
            by_url(urls[1]),
            Attempt::Failed {
                status: Some(410),
                error: "answered 410 Gone".into(),
            },
        )
        .await
        .expect("failed");
    let now = khabar_server::store::now_ms();
    // Thresholds before the event: nothing is old enough.
    assert_eq!(
        store
            .prune_webhook_deliveries(now - 60_000, now - 60_000)
            .await
            .expect("prune"),
        0
    );
    // Only delivered ones old enough: the failed and the waiting stay.
    assert_eq!(
        store
            .prune_webhook_deliveries(now + 60_000, now - 60_000)
            .await
            .expect("prune"),
        1
    );
    assert_eq!(
        store
            .prune_webhook_deliveries(now + 60_000, now + 60_000)
            .await
            .expect("prune"),
        1
    );
    let left = deliveries(&store).await;
    assert_eq!(left.len(), 1, "the waiting one is never pruned");
    assert_eq!(left[0].url, urls[2]);
    assert!(left[0].failed_ms.is_none());

    // The URL leaves the configuration: its waiting delivery is given up,
    // and new events go to the remaining URLs only.
    only_urls(&store, vec![urls[0].to_owned()]).await;
    let left = deliveries(&store).await;
    assert!(left[0].failed_ms.is_some());
    assert_eq!(
        left[0].last_error.as_deref(),
        Some("the URL is no longer a --webhook")
    );
    comment(&i.router, "hook-prune-02", "تعليق بعد تغيير العناوين").await;
    let newest = &deliveries(&store).await[0];
    assert_eq!(newest.url, urls[0]);
    assert_eq!(deliveries(&store).await.len(), 2);
    // Without any URL nothing is queued at all.
    only_urls(&store, Vec::new()).await;
    comment(&i.router, "hook-prune-03", "تعليق بلا خطافات").await;
    assert_eq!(deliveries(&store).await.len(), 2);
}
