//! Moderator e-mail: one message per waiting comment or a digest, with
//! signed links that change nothing on GET, act once on POST, refuse
//! forgeries and expire; a failed send loses nothing.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{fixture_with, post_json, Fixture};
use http_body_util::BodyExt;
use khabar_server::admin::i18n::Lang;
use khabar_server::admin::links::{self, Link, LinkAction};
use khabar_server::mailer::Mailer;
use khabar_server::notify::{self, ModeratorMail};
use khabar_server::ratelimit::RateLimit;
use khabar_server::state::AppState;
use khabar_server::store::Status;
use serde_json::json;
use tower::ServiceExt;

const ARTICLE: &str = "2026-11-28-transit-plan";
const BASE: &str = "http://comments.news.test";

fn fixture() -> Fixture {
    fixture_with(true, |mut s| {
        s.comment_limit = Arc::new(RateLimit::new(0, Duration::from_secs(60)));
        s
    })
}

/// The state the job runs with: the outbox, and `settings`' recipients.
fn job_state(f: &Fixture, to: &[&str], digest_every: Option<Duration>) -> AppState {
    let mut state = AppState::new(f.store.clone());
    state.mailer = Some(Arc::new(
        Mailer::outbox(f.store.clone(), "Khabar <desk@news.test>").expect("outbox"),
    ));
    state.notify = Some(Arc::new(ModeratorMail {
        to: to.iter().map(|a| a.parse().expect("address")).collect(),
        digest_every,
        link_ttl: Duration::from_secs(3600),
        base_url: BASE.into(),
        lang: Lang::Ar,
        settle: Duration::ZERO,
    }));
    state
}

async fn comment(f: &Fixture, key: &str, body: &str) -> i64 {
    let (status, _, res) = post_json(
        &f.router,
        &format!("/api/v1/articles/{ARTICLE}/comments"),
        &json!({ "author": "هدى", "body": body, "idempotency_key": format!("notify-{key}") }),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{res}");
    assert_eq!(res["status"], "pending");
    res["comment"]["id"].as_i64().expect("id")
}

async fn status_of(f: &Fixture, id: i64) -> String {
    f.store
        .comment(id)
        .await
        .expect("comment")
        .expect("exists")
        .status
}

/// The path of every link after `label` in `text`.
fn links_after(text: &str, label: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix(label))
        .map(|l| {
            l.trim()
                .strip_prefix(BASE)
                .expect("an absolute link")
                .to_owned()
        })
        .collect()
}

async fn request(
    f: &Fixture,
    method: &str,
    uri: &str,
    form: Option<String>,
) -> (StatusCode, String) {
    let mut req = Request::builder().method(method).uri(uri);
    if form.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let req = req
        .body(Body::from(form.unwrap_or_default()))
        .expect("request");
    let res = f.router.clone().oneshot(req).await.expect("response");
    let status = res.status();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// POSTs the token of link path `path` as the page's button does.
async fn press(f: &Fixture, path: &str) -> (StatusCode, String) {
    let token = path.strip_prefix("/admin/link?t=").expect("a link path");
    request(f, "POST", "/admin/link", Some(format!("t={token}"))).await
}

#[test]
fn one_message_per_comment_with_links_that_act_once() {
    common::block_on(async {
        let f = fixture();
        let state = job_state(&f, &["moderator@news.test"], None);
        // What waited before notifications were on is not mailed.
        let before = comment(&f, "n-0", "تعليق قديم").await;
        assert_eq!(notify::run_once(&state).await.expect("run"), 0);
        let first = comment(&f, "n-1", "الخطة ممتازة لكن ماذا عن الدراجات؟").await;
        let second = comment(&f, "n-2", "Spam? <b>buy now</b>").await;
        assert_eq!(notify::run_once(&state).await.expect("run"), 2);
        assert_eq!(notify::run_once(&state).await.expect("run"), 0, "told once");

        let mut mails = f.store.outbox_mail(10).await.expect("outbox");
        mails.reverse();
        assert_eq!(mails.len(), 2);
        assert!(mails.iter().all(|m| m.recipient == "moderator@news.test"));
        assert!(
            mails[0].subject.contains("مجلس البلدية"),
            "{}",
            mails[0].subject
        );
        assert!(mails[0].text.contains("الخطة ممتازة"), "{}", mails[0].text);
        assert!(!mails.iter().any(|m| m.text.contains("تعليق قديم")));
        // Times as people read them (the comment's, the links' end), not
        // RFC 3339 in the middle of Arabic text.
        let text = &mails[0].text;
        assert_eq!(text.matches(" UTC").count(), 2, "{text}");
        let rfc3339 = |l: &str| {
            l.as_bytes().windows(6).any(|w| {
                w[0].is_ascii_digit() && w[1] == b'T' && w[2].is_ascii_digit() && w[5] == b':'
            })
        };
        assert!(!text.lines().any(rfc3339), "{text}");
        let approve = links_after(&mails[0].text, "نشر:");
        let reject = links_after(&mails[0].text, "رفض:");
        assert_eq!((approve.len(), reject.len()), (1, 1), "{}", mails[0].text);

        // Opening the link (a mail scanner does) changes nothing.
        let (code, page) = request(&f, "GET", &approve[0], None).await;
        assert_eq!(code, StatusCode::OK, "{page}");
        assert!(page.contains(r#"<form method="post" action="/admin/link">"#));
        assert!(page.contains("الخطة ممتازة"));
        assert_eq!(status_of(&f, first).await, "pending");

        // The button approves, once.
        let (code, page) = press(&f, &approve[0]).await;
        assert_eq!(code, StatusCode::OK, "{page}");
        assert_eq!(status_of(&f, first).await, "published");
        // Its language link goes back to the link's page (the POST's
        // address has no token: it said the link was not valid).
        let token = approve[0].strip_prefix("/admin/link?t=").expect("token");
        let back = format!("back=%2Fadmin%2Flink%3Ft%3D{token}\"");
        assert!(page.contains(&back), "{page}");
        let audit = f.store.audit_log(5).await.expect("audit");
        // Whose mail the link came in.
        assert_eq!(audit[0].moderator, "e-mail link (moderator@news.test)");
        assert_eq!(audit[0].action, "approve_link");
        assert_eq!(audit[0].comment_id, Some(first));
        let (code, _) = press(&f, &approve[0]).await;
        assert_eq!(code, StatusCode::CONFLICT);
        let (code, page) = request(&f, "GET", &approve[0], None).await;
        assert_eq!(code, StatusCode::OK);
        assert!(!page.contains("<form method=\"post\" action=\"/admin/link\""));
        // The other link of the same comment does nothing after a decision.
        let (code, _) = press(&f, &reject[0]).await;
        assert_eq!(code, StatusCode::CONFLICT);
        assert_eq!(status_of(&f, first).await, "published");

        // The second message's reject link rejects.
        let reject_second = links_after(&mails[1].text, "رفض:");
        let (code, _) = press(&f, &reject_second[0]).await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(status_of(&f, second).await, "rejected");
        assert_eq!(status_of(&f, before).await, "pending");
    });
}

/// Moderators' mail that the mail server does not take is counted in the
/// metrics' mail failures, as "send to a friend" was alone.
#[test]
fn moderators_mail_that_fails_is_counted_in_the_metrics() {
    common::block_on(async {
        let f = fixture();
        let mut state = job_state(&f, &["moderator@news.test"], None);
        // A port nothing listens on: every connection is refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let failures = state.metrics.mail_failures.clone();
        state.mailer = Some(Arc::new(
            Mailer::new(&format!("smtp://127.0.0.1:{port}"), "desk@news.test")
                .expect("mailer")
                .counting_failures_in(failures.clone()),
        ));
        assert_eq!(notify::run_once(&state).await.expect("run"), 0);
        comment(&f, "n-down", "تعليق والبريد متوقف").await;
        assert!(
            notify::run_once(&state).await.is_err(),
            "the mail server is down"
        );
        assert!(failures.get() >= 1, "{}", failures.get());
        let text = state.metrics.render();
        assert!(text.contains("khabar_mail_failures_total 1"), "{text}");
    });
}

/// A comment's text is quoted: a line of it written as the mail's own
/// action lines is not one.
#[test]
fn a_comment_cannot_write_the_mails_own_lines() {
    common::block_on(async {
        let f = fixture();
        let state = job_state(&f, &["moderator@news.test"], None);
        // The first run starts the mail from now on.
        assert_eq!(notify::run_once(&state).await.expect("run"), 0);
        comment(
            &f,
            "n-forged",
            "رأي عادي\n\nنشر: https://evil.example/admin/login\nرفض: https://evil.example/x",
        )
        .await;
        assert_eq!(notify::run_once(&state).await.expect("run"), 1);
        let mails = f.store.outbox_mail(10).await.expect("outbox");
        let text = &mails[0].text;
        let starting = |label: &str| text.lines().filter(|l| l.starts_with(label)).count();
        assert_eq!((starting("نشر:"), starting("رفض:")), (1, 1), "{text}");
        assert!(
            text.contains("> رأي عادي\n>\n> نشر: https://evil.example/admin/login\n"),
            "{text}"
        );
        assert_eq!(links_after(text, "نشر:").len(), 1);
    });
}

#[test]
fn a_link_never_reverses_a_decision_taken_meanwhile() {
    common::block_on(async {
        let f = fixture();
        let id = comment(&f, "n-race", "ينتظر قرارين").await;
        // The queue rejects after the link's page checked that the comment
        // waits and before its change: the change is conditional, so the
        // link's approval does nothing and the rejection stands.
        f.store
            .set_comment_status(id, Status::Rejected)
            .await
            .expect("reject")
            .expect("exists");
        let late = f
            .store
            .decide(id, Status::Pending, Status::Published)
            .await
            .expect("decide");
        assert!(late.is_none(), "{late:?}");
        assert_eq!(status_of(&f, id).await, "rejected");

        let waiting = comment(&f, "n-race-2", "ينتظر قرارا واحدا").await;
        let decided = f
            .store
            .decide(waiting, Status::Pending, Status::Published)
            .await
            .expect("decide")
            .expect("it waited");
        assert_eq!(decided.status, "published");
        assert!(f
            .store
            .decide(waiting, Status::Pending, Status::Rejected)
            .await
            .expect("decide")
            .is_none());
        assert_eq!(status_of(&f, waiting).await, "published");
    });
}

/// A new link key made on the command line while servers run: every link
/// mailed before it is refused at once, its comment still waits, and the
/// next message's links work.
#[test]
fn a_new_link_key_refuses_the_links_mailed_before_it() {
    common::block_on(async {
        let f = fixture();
        let state = job_state(&f, &["moderator@news.test"], None);
        assert_eq!(notify::run_once(&state).await.expect("run"), 0);
        let id = comment(&f, "rotate-1", "رابط قديم").await;
        assert_eq!(notify::run_once(&state).await.expect("run"), 1);
        let mails = f.store.outbox_mail(1).await.expect("outbox");
        let old = links_after(&mails[0].text, "نشر:");
        // The server has read the key that link was signed with.
        let (code, page) = request(&f, "GET", &old[0], None).await;
        assert_eq!(code, StatusCode::OK, "{page}");

        let out = std::process::Command::new(env!("CARGO_BIN_EXE_khabar-server"))
            .args(["--db", &f.db_url(), "admin", "rotate-link-key"])
            .args(["--by", "desk"])
            .output()
            .expect("run the CLI");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );

        let (code, _) = request(&f, "GET", &old[0], None).await;
        assert_eq!(code, StatusCode::FORBIDDEN);
        let (code, _) = press(&f, &old[0]).await;
        assert_eq!(code, StatusCode::FORBIDDEN);
        assert_eq!(status_of(&f, id).await, "pending");
        let audit = f.store.audit_log(1).await.expect("audit");
        assert_eq!(
            (audit[0].moderator.as_str(), audit[0].action.as_str()),
            ("desk", "rotate_link_key")
        );

        let next = comment(&f, "rotate-2", "رابط جديد").await;
        assert_eq!(notify::run_once(&state).await.expect("run"), 1);
        let mails = f.store.outbox_mail(1).await.expect("outbox");
        let new = links_after(&mails[0].text, "نشر:");
        let (code, page) = press(&f, &new[0]).await;
        assert_eq!(code, StatusCode::OK, "{page}");
        assert_eq!(status_of(&f, next).await, "published");
        assert_eq!(status_of(&f, id).await, "pending");
    });
}

#[test]
fn forged_and_expired_links_are_refused_and_change_nothing() {
    common::block_on(async {
        let f = fixture();
        let state = job_state(&f, &["moderator@news.test"], None);
        let id = comment(&f, "n-3", "ينتظر").await;
        let key = links::key(&state).await.expect("key");
        let approve = Link {
            action: LinkAction::Approve,
            comment_id: id,
            to: None,
        };
        let now = khabar_server::store::now_ms() / 1000;
        let good = links::sign(&key, &approve, now + 600);
        let forged = [
            good.replacen("approve", "reject", 1),
            good.replacen(&format!(".{id}."), &format!(".{}.", id + 1), 1),
            links::sign(b"someone else's key", &approve, now + 600),
            "approve.1.99999999999.00".into(),
            String::new(),
        ];
        for token in &forged {
            let (code, _) = request(&f, "GET", &format!("/admin/link?t={token}"), None).await;
            assert_eq!(code, StatusCode::FORBIDDEN, "{token}");
            let (code, _) = request(&f, "POST", "/admin/link", Some(format!("t={token}"))).await;
            assert_eq!(code, StatusCode::FORBIDDEN, "{token}");
        }
        let expired = links::sign(&key, &approve, now - 1);
        let (code, page) = request(&f, "GET", &format!("/admin/link?t={expired}"), None).await;
        assert_eq!(code, StatusCode::GONE);
        assert!(page.contains("انتهت صلاحية"), "{page}");
        let (code, _) = request(&f, "POST", "/admin/link", Some(format!("t={expired}"))).await;
        assert_eq!(code, StatusCode::GONE);
        assert_eq!(status_of(&f, id).await, "pending");
        // The good one still works.
        let (code, _) = request(&f, "POST", "/admin/link", Some(format!("t={good}"))).await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(status_of(&f, id).await, "published");
    });
}

#[test]
fn a_digest_lists_every_new_comment_for_each_moderator() {
    common::block_on(async {
        let f = fixture();
        let state = job_state(
            &f,
            &["sara@news.test", "omar@news.test"],
            Some(Duration::from_secs(600)),
        );
        assert_eq!(notify::run_once(&state).await.expect("run"), 0);
        for i in 0..3 {
            comment(&f, &format!("d-{i}"), &format!("تعليق رقم {i}")).await;
        }
        assert_eq!(notify::run_once(&state).await.expect("run"), 2);
        let mails = f.store.outbox_mail(10).await.expect("outbox");
        assert_eq!(mails.len(), 2);
        let mut to: Vec<_> = mails.iter().map(|m| m.recipient.clone()).collect();
        to.sort();
        assert_eq!(to, ["omar@news.test", "sara@news.test"]);
        for m in &mails {
            assert!(m.subject.ends_with(" 3"), "{}", m.subject);
            assert_eq!(links_after(&m.text, "نشر:").len(), 3);
            assert_eq!(links_after(&m.text, "رفض:").len(), 3);
            assert!(m.text.contains(&format!("{BASE}/admin/queue")));
        }
    });
}

#[test]
fn more_comments_than_a_batch_are_all_mailed_oldest_first() {
    common::block_on(async {
        let f = fixture();
        let state = job_state(&f, &["sara@news.test"], Some(Duration::from_secs(600)));
        assert_eq!(notify::run_once(&state).await.expect("run"), 0);
        // More than one batch (200) waits: a long period, or a mail server down.
        let mut ids = Vec::new();
        for i in 0..205 {
            ids.push(comment(&f, &format!("many-{i}"), &format!("تعليق رقم {i}")).await);
        }
        assert_eq!(notify::run_once(&state).await.expect("run"), 2);
        let mails = f.store.outbox_mail(10).await.expect("outbox");
        let mut listed: Vec<usize> = mails
            .iter()
            .map(|m| links_after(&m.text, "نشر:").len())
            .collect();
        listed.sort_unstable();
        assert_eq!(listed, [5, 200], "every waiting comment, once");
        // Nothing is left for the next run.
        assert_eq!(notify::run_once(&state).await.expect("run"), 0);
        assert_eq!(
            f.store.cursor(notify::CURSOR).await.expect("cursor"),
            ids.last().copied()
        );
    });
}

/// An import's pending comments (an old system's queue, by the thousand)
/// wait in `/admin/queue` and are not mailed; a reader's comment written
/// before and after them is, each once.
#[test]
fn an_imported_backlog_is_not_mailed_but_readers_comments_around_it_are() {
    common::block_on(async {
        let f = fixture();
        let state = job_state(&f, &["sara@news.test"], None);
        assert_eq!(notify::run_once(&state).await.expect("run"), 0);
        let before = comment(&f, "around-1", "قبل الاستيراد").await;
        let backlog = (0..30)
            .map(|i| khabar_server::store::ImportedComment {
                key: format!("import:disqus:{i}"),
                parent_key: None,
                legacy_keys: Vec::new(),
                legacy_parent_keys: Vec::new(),
                via_keys: Vec::new(),
                author: format!("قارئ قديم {i}"),
                email: None,
                body: format!("تعليق قديم رقم {i}"),
                status: Status::Pending,
                created_at: "2019-03-01T10:00:00Z".into(),
            })
            .collect();
        f.store
            .import_comments(ARTICLE, backlog, false)
            .await
            .expect("import");
        let after = comment(&f, "around-2", "بعد الاستيراد").await;
        assert_eq!(notify::run_once(&state).await.expect("run"), 2);
        let mails = f.store.outbox_mail(50).await.expect("outbox");
        assert_eq!(mails.len(), 2);
        let text: String = mails.iter().map(|m| m.text.as_str()).collect();
        assert!(text.contains("قبل الاستيراد") && text.contains("بعد الاستيراد"));
        assert!(!text.contains("تعليق قديم"), "{text}");
        assert_eq!(notify::run_once(&state).await.expect("run"), 0);
        // The moderators' queue still shows all 32.
        let queue = f
            .store
            .moderation_comments(khabar_server::store::ModQuery {
                status: Status::Pending,
                article_id: None,
                search: None,
                limit: 100,
                at: khabar_server::store::Keyset::Newest,
                readers_only: false,
            })
            .await
            .expect("queue");
        assert_eq!(queue.len(), 32);
        assert_eq!(
            (queue[0].stored.comment.id, queue[31].stored.comment.id),
            (after, before)
        );
    });
}

/// A run stops sending once its time is up (at least one message a run),
/// well before its job's claim lapses and another instance would send the
/// same messages; the next run goes on where it stopped.
#[test]
fn a_run_past_its_time_leaves_the_rest_to_the_next_run() {
    common::block_on(async {
        let f = fixture();
        let mut state = job_state(&f, &["sara@news.test"], None);
        state.mail_run_budget = Duration::ZERO;
        assert_eq!(notify::run_once(&state).await.expect("run"), 0);
        for i in 0..3 {
            comment(&f, &format!("budget-{i}"), &format!("تعليق رقم {i}")).await;
        }
        for expected in [1, 1, 1, 0] {
            assert_eq!(notify::run_once(&state).await.expect("run"), expected);
        }
        let mails = f.store.outbox_mail(10).await.expect("outbox");
        assert_eq!(mails.len(), 3, "each once");
    });
}

#[test]
fn a_failed_send_keeps_the_comment_for_the_next_run() {
    common::block_on(async {
        let f = fixture();
        let working = job_state(&f, &["moderator@news.test"], None);
        assert_eq!(notify::run_once(&working).await.expect("run"), 0);
        let id = comment(&f, "f-1", "لا يضيع").await;
        let cursor = f.store.cursor(notify::CURSOR).await.expect("cursor");
        assert!(cursor.is_some_and(|c| c < id));
        // A mail server that refuses connections.
        let mut broken = working.clone();
        broken.mailer = Some(Arc::new(
            Mailer::new("smtp://127.0.0.1:9", "desk@news.test").expect("mailer"),
        ));
        assert!(notify::run_once(&broken).await.is_err());
        assert_eq!(
            f.store.cursor(notify::CURSOR).await.expect("cursor"),
            cursor
        );
        assert!(f.store.outbox_mail(10).await.expect("outbox").is_empty());
        assert_eq!(notify::run_once(&working).await.expect("run"), 1);
        let mails = f.store.outbox_mail(10).await.expect("outbox");
        assert!(mails[0].text.contains("لا يضيع"));
    });
}

#[test]
fn serve_refuses_moderator_mail_without_a_way_to_send_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_khabar-server"))
        .arg("--db")
        .arg(dir.path().join("k.sqlite3"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(["--notify-moderators", "moderator@news.test"])
        .env("RUST_LOG", "off")
        .output()
        .expect("run khabar-server");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--smtp-url or --mail-outbox"), "{err}");
}

/// `PRAGMA data_version` of the fixture's SQLite file as one outside
/// connection sees it: it moves whenever another connection commits.
fn data_version(conn: &rusqlite::Connection) -> i64 {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
        .expect("data_version")
}

#[test]
fn idle_mail_jobs_write_nothing_so_the_read_cache_stays_warm() {
    if common::on_postgres() {
        // The read cache follows SQLite commits through data_version;
        // PostgreSQL's follows NOTIFY, which claims do not send.
        return;
    }
    common::block_on(async {
        let f = fixture();
        let state = job_state(&f, &["moderator@news.test"], None);
        let watcher = rusqlite::Connection::open(f.db_url()).expect("open");
        // The first run claims the periodic prunes and starts the cursor.
        khabar_server::jobs::run_due(&state, "test").await;
        let before = data_version(&watcher);
        // Past the mail jobs' 1 s period: were they to claim, they could.
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        khabar_server::jobs::run_due(&state, "test").await;
        assert_eq!(data_version(&watcher), before, "nothing to mail: no write");

        // Work to do: the moderator job claims and mails.
        comment(&f, "idle-1", "تعليق جديد ينتظر").await;
        khabar_server::jobs::run_due(&state, "test").await;
        assert_ne!(data_version(&watcher), before);
        assert_eq!(f.store.outbox_mail(10).await.expect("outbox").len(), 1);
    });
}

#[test]
fn an_article_stored_with_a_path_is_linked_at_the_servers_address() {
    common::block_on(async {
        let f = fixture();
        let state = job_state(&f, &["moderator@news.test"], None);
        assert_eq!(notify::run_once(&state).await.expect("run"), 0);
        let article: khabar_server::model::Article = serde_json::from_value(json!({
            "id": "by-path", "url": "/news/2026/12/02/port", "title": "الميناء",
            "published_at": "2026-12-02T08:00:00Z", "body": []
        }))
        .expect("article");
        f.store
            .upsert_articles(vec![article], None)
            .await
            .expect("store");
        let (status, _, res) = post_json(
            &f.router,
            "/api/v1/articles/by-path/comments",
            &json!({ "author": "هدى", "body": "متى يفتح؟", "idempotency_key": "notify-path-1" }),
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{res}");
        assert_eq!(notify::run_once(&state).await.expect("run"), 1);
        let mails = f.store.outbox_mail(1).await.expect("outbox");
        let url = format!("{BASE}/news/2026/12/02/port");
        assert!(mails[0].text.lines().any(|l| l == url), "{}", mails[0].text);
    });
}

#[test]
fn a_refused_moderator_neither_holds_back_nor_repeats_the_others_mail() {
    common::block_on(async {
        let f = fixture();
        let server = common::mail_sink().await;
        let url = server.url.clone();
        let mut state = job_state(
            &f,
            &["desk@news.test", "gone@news.test", "busy@news.test"],
            None,
        );
        state.mailer = Some(Arc::new(
            Mailer::new(&url, "desk@news.test").expect("mailer"),
        ));
        assert_eq!(notify::run_once(&state).await.expect("start"), 0);
        // The mailbox of one moderator is gone for good; another's is
        // full for now.
        server.codes.lock().unwrap().extend([
            ("gone@news.test".to_owned(), 550),
            ("busy@news.test".to_owned(), 452),
        ]);
        comment(&f, "r-1", "الأول").await;
        comment(&f, "r-2", "الثاني").await;
        let err = notify::run_once(&state).await.expect_err("busy@ waits");
        assert!(err.to_string().contains("452"), "{err}");
        let count = |who: &str, list: &std::sync::Mutex<Vec<String>>| {
            list.lock().unwrap().iter().filter(|a| *a == who).count()
        };
        assert_eq!(count("desk@news.test", &server.delivered), 2);
        assert_eq!(count("gone@news.test", &server.asked), 2, "once a comment");
        assert_eq!(
            count("busy@news.test", &server.asked),
            1,
            "stops at the first"
        );
        assert!(notify::has_news(&state).await.expect("news"), "busy@ waits");

        // The next runs: the busy mailbox takes mail again and is told of
        // both comments; nobody else is told anything twice.
        server.codes.lock().unwrap().remove("busy@news.test");
        assert_eq!(notify::run_once(&state).await.expect("run"), 2);
        assert_eq!(notify::run_once(&state).await.expect("run"), 0);
        assert!(!notify::has_news(&state).await.expect("news"));
        assert_eq!(count("desk@news.test", &server.delivered), 2);
        assert_eq!(count("busy@news.test", &server.delivered), 2);
        assert_eq!(count("gone@news.test", &server.asked), 2);
        assert_eq!(count("gone@news.test", &server.delivered), 0);
    });
}

/// The shared cursor (where a moderator added later starts) only moves
/// on: a recipient listed after one that got further, and told less far,
/// does not pull it back.
#[test]
fn the_shared_cursor_never_moves_back() {
    common::block_on(async {
        let f = fixture();
        let server = common::mail_sink().await;
        let mut state = job_state(&f, &["desk@news.test", "late@news.test"], None);
        state.mailer = Some(Arc::new(
            Mailer::new(&server.url, "desk@news.test").expect("mailer"),
        ));
        assert_eq!(notify::run_once(&state).await.expect("start"), 0);
        let first = comment(&f, "back-1", "الأول").await;
        let second = comment(&f, "back-2", "الثاني").await;
        // late@ was told of the first before; its mailbox is full now.
        f.store
            .set_cursor(&format!("{}:late@news.test", notify::CURSOR), first)
            .await
            .expect("cursor");
        server
            .codes
            .lock()
            .unwrap()
            .insert("late@news.test".to_owned(), 452);
        notify::run_once(&state).await.expect_err("late@ waits");
        assert_eq!(
            f.store.cursor(notify::CURSOR).await.expect("cursor"),
            Some(second)
        );
    });
}

/// A cursor only moves on: a run that outlasted its claim and ends after
/// the run that took the job over cannot pull it back.
#[test]
fn a_cursor_never_moves_back() {
    common::block_on(async {
        let f = fixture();
        let name = format!("{}:late@news.test", notify::CURSOR);
        f.store.set_cursor(&name, 12).await.expect("cursor");
        f.store.set_cursor(&name, 7).await.expect("cursor");
        assert_eq!(f.store.cursor(&name).await.expect("cursor"), Some(12));
        f.store.set_cursor(&name, 15).await.expect("cursor");
        assert_eq!(f.store.cursor(&name).await.expect("cursor"), Some(15));
    });
}

/// One moderator whose comments rest 2 s before they are mailed; the
/// cursor started.
async fn resting_state(f: &Fixture) -> AppState {
    let mut state = job_state(f, &["moderator@news.test"], None);
    let mut settings = (**state.notify.as_ref().expect("settings")).clone();
    settings.settle = Duration::from_secs(2);
    state.notify = Some(Arc::new(settings));
    assert_eq!(notify::run_once(&state).await.expect("start"), 0);
    state
}

#[test]
fn a_comment_rests_before_it_is_mailed_so_that_no_lower_id_is_passed() {
    common::block_on(async {
        let f = fixture();
        let state = resting_state(&f).await;
        let id = comment(&f, "settle-1", "ينتظر قليلًا").await;
        assert_eq!(notify::run_once(&state).await.expect("run"), 0, "too young");
        assert!(notify::has_news(&state).await.expect("news"));
        assert!(f
            .store
            .cursor(notify::CURSOR)
            .await
            .expect("cursor")
            .is_some_and(|c| c < id));
        tokio::time::sleep(Duration::from_millis(3100)).await;
        assert_eq!(notify::run_once(&state).await.expect("run"), 1);
        assert_eq!(f.store.outbox_mail(10).await.expect("outbox").len(), 1);
    });
}

/// Comments that came together rest together: once rested, a run mails
/// them all, not one a run.
#[test]
fn a_burst_of_comments_is_mailed_in_the_run_after_its_rest() {
    common::block_on(async {
        let f = fixture();
        let state = resting_state(&f).await;
        for n in 0..3 {
            comment(&f, &format!("burst-{n}"), "وصلت معًا").await;
        }
        assert_eq!(notify::run_once(&state).await.expect("run"), 0, "too young");
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(notify::run_once(&state).await.expect("run"), 3);
    });
}

/// A digest's comments rest while they wait for it: every poll notes
/// them, so the digest's run mails them all at once.
#[test]
fn a_digest_lists_the_comments_that_rested_while_it_waited() {
    common::block_on(async {
        let f = fixture();
        let mut state = job_state(
            &f,
            &["moderator@news.test"],
            Some(Duration::from_secs(1800)),
        );
        let mut settings = (**state.notify.as_ref().expect("settings")).clone();
        settings.settle = Duration::from_secs(2);
        state.notify = Some(Arc::new(settings));
        assert_eq!(notify::run_once(&state).await.expect("start"), 0);
        for n in 0..3 {
            comment(&f, &format!("digest-rest-{n}"), &format!("تعليق رقم {n}")).await;
        }
        // The job loop's poll, every few seconds, before the period is up.
        assert!(notify::has_news(&state).await.expect("news"));
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(notify::run_once(&state).await.expect("run"), 1);
        let mails = f.store.outbox_mail(10).await.expect("outbox");
        assert_eq!(mails.len(), 1);
        for n in 0..3 {
            assert!(
                mails[0].text.contains(&format!("تعليق رقم {n}")),
                "{}",
                mails[0].text
            );
        }
    });
}

/// On PostgreSQL, a comment waiting for its article (a sync holding it
/// for its whole transaction) takes its id once it has the article: one
/// posted meanwhile on another article, mailed and passed by the cursor,
/// leaves no lower id behind it.
#[test]
fn a_comment_that_waited_for_its_article_is_still_mailed() {
    if !common::on_postgres() {
        return; // SQLite writes one at a time: no id waits.
    }
    common::block_on(async {
        let f = fixture();
        let state = resting_state(&f).await;
        let other: khabar_server::model::Article = serde_json::from_value(json!({
            "id": "notify-other", "url": "https://news.example/2026/12/07/other",
            "title": "خبر آخر", "published_at": "2026-12-07T08:00:00Z", "body": []
        }))
        .expect("article");
        f.store
            .upsert_articles(vec![other], Some("push"))
            .await
            .expect("store");
        // A sync's transaction holds the article.
        let sync = common::session(&f).await;
        sync.batch_execute(&format!(
            "BEGIN; SELECT 1 FROM articles WHERE id = '{ARTICLE}' FOR UPDATE"
        ))
        .await
        .expect("lock");
        let router = f.router.clone();
        let waiting = tokio::spawn(async move {
            post_json(
                &router,
                &format!("/api/v1/articles/{ARTICLE}/comments"),
                &json!({ "author": "هدى", "body": "ينتظر مقاله", "idempotency_key": "notify-waits-1" }),
                &[],
            )
            .await
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (status, _, res) = post_json(
            &f.router,
            "/api/v1/articles/notify-other/comments",
            &json!({ "author": "هدى", "body": "على خبر آخر", "idempotency_key": "notify-waits-2" }),
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{res}");
        assert!(notify::has_news(&state).await.expect("news"));
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(notify::run_once(&state).await.expect("run"), 1);
        sync.batch_execute("COMMIT").await.expect("commit");
        let (status, _, res) = waiting.await.expect("posted");
        assert_eq!(status, StatusCode::CREATED, "{res}");
        assert!(notify::has_news(&state).await.expect("news"), "{res}");
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(notify::run_once(&state).await.expect("run"), 1);
        let mails = f.store.outbox_mail(10).await.expect("outbox");
        assert!(mails[0].text.contains("ينتظر مقاله"), "{}", mails[0].text);
    });
}

/// A comment stamped by an instance whose clock is behind looks old at
/// once; it still rests, from when the mail job first saw it.
#[test]
fn a_comment_stamped_by_a_clock_behind_still_rests() {
    common::block_on(async {
        let f = fixture();
        let state = resting_state(&f).await;
        let (stored, _) = f
            .store
            .create_comment(
                ARTICLE,
                khabar_server::comments::CleanComment {
                    author: "هدى".into(),
                    email: None,
                    body: "ساعة الخادم متأخرة".into(),
                    parent_id: None,
                    is_spam: false,
                    key: "notify-skewed-1".into(),
                },
                khabar_server::comments::Moderation::Pre,
                "2026-01-01T00:00:00Z".into(),
                None,
            )
            .await
            .expect("stored");
        assert_eq!(stored.status, "pending");
        assert_eq!(notify::run_once(&state).await.expect("run"), 0, "just seen");
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(notify::run_once(&state).await.expect("run"), 1);
    });
}

/// The run's time is asked before every message, to any moderator: past
/// it, the next moderator gets nothing more in this run; an instance
/// shutting down sends nothing.
#[test]
fn a_run_past_its_time_sends_no_moderator_one_more() {
    common::block_on(async {
        let f = fixture();
        let mut state = job_state(
            &f,
            &["sara@news.test", "huda@news.test", "omar@news.test"],
            None,
        );
        state.mail_run_budget = Duration::ZERO;
        assert_eq!(notify::run_once(&state).await.expect("run"), 0);
        comment(&f, "each-moderator", "تعليق ينتظر").await;
        for expected in [1, 1, 1, 0] {
            assert_eq!(notify::run_once(&state).await.expect("run"), expected);
        }
        comment(&f, "stopping", "تعليق آخر").await;
        state.mail_run_budget = Duration::from_secs(60);
        state.background.stop();
        assert_eq!(notify::run_once(&state).await.expect("run"), 0);
        let mails = f.store.outbox_mail(10).await.expect("outbox");
        assert_eq!(mails.len(), 3, "each moderator once");
    });
}

/// A digest run cut short (its time spent after one moderator's mail)
/// is due again at once: the moderators it had not reached get theirs at
/// the next poll, not a digest period later.
#[test]
fn a_digest_run_cut_short_goes_on_at_the_next_poll() {
    common::block_on(async {
        let f = fixture();
        let mut state = job_state(
            &f,
            &["sara@news.test", "huda@news.test"],
            Some(Duration::from_secs(1800)),
        );
        let mut settings = (**state.notify.as_ref().expect("settings")).clone();
        settings.settle = Duration::ZERO;
        state.notify = Some(Arc::new(settings));
        state.mail_run_budget = Duration::ZERO;
        notify::start_cursor(&state).await.expect("start");
        comment(&f, "digest-cut-short", "تعليق ينتظر الملخص").await;
        khabar_server::jobs::run_due(&state, "test").await;
        assert_eq!(f.store.outbox_mail(10).await.expect("outbox").len(), 1);
        khabar_server::jobs::run_due(&state, "test").await;
        let mails = f.store.outbox_mail(10).await.expect("outbox");
        assert_eq!(mails.len(), 2, "the other moderator's digest");
        assert_ne!(mails[0].recipient, mails[1].recipient);
        // That run reached everyone, past its time as it was: the digest
        // waits its period again.
        state.mail_run_budget = Duration::from_secs(60);
        comment(&f, "digest-later", "تعليق ينتظر نصف ساعة").await;
        khabar_server::jobs::run_due(&state, "test").await;
        assert_eq!(f.store.outbox_mail(10).await.expect("outbox").len(), 2);
    });
}

/// A digest run cut short after a failed send (a relay slow to refuse one
/// mailbox spent the run's time) goes on at the next poll all the same:
/// the failure is the mailbox's, not the others'.
#[test]
fn a_digest_run_cut_short_by_a_failed_send_goes_on_at_the_next_poll() {
    common::block_on(async {
        let f = fixture();
        let server = common::mail_sink().await;
        let mut state = job_state(
            &f,
            &["sara@news.test", "huda@news.test"],
            Some(Duration::from_secs(1800)),
        );
        let mut settings = (**state.notify.as_ref().expect("settings")).clone();
        settings.settle = Duration::ZERO;
        state.notify = Some(Arc::new(settings));
        state.mailer = Some(Arc::new(
            Mailer::new(&server.url, "desk@news.test").expect("mailer"),
        ));
        state.mail_run_budget = Duration::ZERO;
        notify::start_cursor(&state).await.expect("start");
        server
            .codes
            .lock()
            .unwrap()
            .insert("sara@news.test".to_owned(), 452);
        comment(&f, "digest-failed", "تعليق ينتظر").await;
        let told = |who: &str| {
            server
                .delivered
                .lock()
                .unwrap()
                .iter()
                .filter(|a| *a == who)
                .count()
        };
        khabar_server::jobs::run_due(&state, "test").await;
        assert_eq!(told("huda@news.test") + told("sara@news.test"), 0);
        khabar_server::jobs::run_due(&state, "test").await;
        assert_eq!(told("huda@news.test"), 1, "not half an hour later");
    });
}

/// A moderator taken off the list and put back later hears of comments
/// from then on, not of every comment that waited meanwhile.
#[test]
fn a_moderator_put_back_on_the_list_is_not_mailed_the_backlog() {
    common::block_on(async {
        let f = fixture();
        let both = job_state(&f, &["sara@news.test", "huda@news.test"], None);
        assert_eq!(notify::run_once(&both).await.expect("start"), 0);
        comment(&f, "leave-1", "قبل الإجازة").await;
        assert_eq!(notify::run_once(&both).await.expect("run"), 2);
        // Huda is on leave: off the list while two comments come.
        let alone = job_state(&f, &["sara@news.test"], None);
        comment(&f, "leave-2", "أثناء الإجازة").await;
        comment(&f, "leave-3", "أثناء الإجازة أيضاً").await;
        assert_eq!(notify::run_once(&alone).await.expect("run"), 2);
        // Back: nothing for her yet; the next comment reaches both.
        assert_eq!(notify::run_once(&both).await.expect("run"), 0);
        comment(&f, "leave-4", "بعد العودة").await;
        assert_eq!(notify::run_once(&both).await.expect("run"), 2);
        let to_huda = f
            .store
            .outbox_mail(20)
            .await
            .expect("outbox")
            .iter()
            .filter(|m| m.recipient.contains("huda@"))
            .count();
        assert_eq!(to_huda, 2);
    });
}

/// When a run's time is short, the moderators take turns: the first on
/// the list, with comments to catch up on, does not get every message
/// while the others wait for it to be done.
#[test]
fn moderators_take_turns_when_time_is_short() {
    common::block_on(async {
        let f = fixture();
        let mut state = job_state(&f, &["sara@news.test", "huda@news.test"], None);
        state.mail_run_budget = Duration::ZERO;
        assert_eq!(notify::run_once(&state).await.expect("run"), 0);
        comment(&f, "turns-1", "الأول").await;
        comment(&f, "turns-2", "الثاني").await;
        for _ in 0..2 {
            assert_eq!(notify::run_once(&state).await.expect("run"), 1);
        }
        let mut to: Vec<String> = f
            .store
            .outbox_mail(10)
            .await
            .expect("outbox")
            .into_iter()
            .map(|m| m.recipient)
            .collect();
        to.sort();
        assert_eq!(to.len(), 2);
        assert_ne!(to[0], to[1], "one each: {to:?}");
    });
}
