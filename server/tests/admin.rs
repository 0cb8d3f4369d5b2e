//! The moderation web UI at /admin against a real database: sign-in,
//! lockouts, CSRF, sessions across routers, moderation and the audit log.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Request, StatusCode};
use common::{fixture_with, post_json, Fixture};
use http_body_util::BodyExt;
use khabar_server::admin::{auth, CSP};
use khabar_server::app::{app, Assets};
use khabar_server::mailer::{Mailer, OUTBOX_KEEP};
use khabar_server::ratelimit::RateLimit;
use khabar_server::state::AppState;
use khabar_server::store::{OutboxMail, Status};
use serde_json::json;
use tower::ServiceExt;

const ARTICLE: &str = "2026-11-28-transit-plan";
const PASSWORD: &str = "correct horse battery";

fn adjust(mut s: AppState) -> AppState {
    s.comment_limit = Arc::new(RateLimit::new(0, Duration::from_secs(60)));
    s.admin.failure_delay = Duration::ZERO;
    s
}

/// A seeded fixture with the moderators `sara` and `omar`.
async fn setup() -> Fixture {
    let f = fixture_with(true, adjust);
    for name in ["sara", "omar"] {
        assert!(auth::add_moderator(f.store.as_ref(), name, PASSWORD)
            .await
            .expect("add"));
    }
    f
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The value the answer sets cookie `name` to, with its attributes.
    fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }

    /// The value of the first hidden `csrf` field of the page.
    fn csrf(&self) -> String {
        let start = self
            .body
            .find(r#"name="csrf" value=""#)
            .expect("a csrf field")
            + r#"name="csrf" value=""#.len();
        self.body[start..]
            .split('"')
            .next()
            .expect("value")
            .to_owned()
    }
}

/// Sends a request from client address `ip` with `cookies` and a form body.
async fn send(
    router: &axum::Router,
    method: &str,
    uri: &str,
    ip: &str,
    cookies: &str,
    form: Option<&str>,
    extra: &[(&str, &str)],
) -> Answer {
    let mut req = Request::builder().method(method).uri(uri);
    if !cookies.is_empty() {
        req = req.header(header::COOKIE, cookies);
    }
    if form.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let mut req = req
        .body(Body::from(form.unwrap_or("").to_owned()))
        .expect("request");
    let addr: SocketAddr = format!("{ip}:40000").parse().expect("address");
    req.extensions_mut().insert(ConnectInfo(addr));
    let res = router.clone().oneshot(req).await.expect("response");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Opens the sign-in page and posts `name`/`password` from `ip`.
async fn try_sign_in(router: &axum::Router, ip: &str, name: &str, password: &str) -> Answer {
    let page = send(router, "GET", "/admin/login", ip, "", None, &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    let token = page.csrf();
    let form = format!(
        "csrf={}&name={}&password={}",
        enc(&token),
        enc(name),
        enc(password)
    );
    let cookie = format!("khabar_login_csrf={token}");
    send(
        router,
        "POST",
        "/admin/login",
        ip,
        &cookie,
        Some(&form),
        &[],
    )
    .await
}

/// Signs in; the session cookie (`khabar_session=…`).
async fn sign_in(router: &axum::Router, ip: &str, name: &str) -> String {
    let res = try_sign_in(router, ip, name, PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location(), "/admin/queue");
    let cookie = res.set_cookie("khabar_session").expect("session cookie");
    cookie.split(';').next().expect("pair").to_owned()
}

/// Posts a comment to the demo article; its id.
async fn comment(f: &Fixture, key: &str, body: &str, parent: Option<i64>) -> i64 {
    let (status, _, res) = post_json(
        &f.router,
        &format!("/api/v1/articles/{ARTICLE}/comments"),
        &json!({ "author": "Reader", "email": "reader@example.com", "body": body,
                 "idempotency_key": key, "parent_id": parent }),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{res}");
    res["comment"]["id"].as_i64().expect("id")
}

async fn status_of(f: &Fixture, id: i64) -> Option<String> {
    f.store
        .comment(id)
        .await
        .expect("comment")
        .map(|c| c.status)
}

/// On PostgreSQL, a decision on a comment takes its article first, as a
/// deletion does: a moderator's "approve" and another's "delete" of the
/// same comment at the same moment end one after the other, not in a
/// deadlock that fails one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_and_a_deletion_at_once_do_not_deadlock() {
    if !common::on_postgres() {
        return; // SQLite writes one at a time.
    }
    let f = setup().await;
    let id = comment(&f, "key-deadlock-0001", "Waiting", None).await;
    // A deletion that has taken the article, as its first step does.
    let deletion = common::session(&f).await;
    let deleting: i32 = deletion
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("pid")
        .get(0);
    deletion
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM articles WHERE id = '{ARTICLE}' FOR NO KEY UPDATE"
        ))
        .await
        .expect("article");
    let store = f.store.clone();
    let decision =
        tokio::spawn(async move { store.decide(id, Status::Pending, Status::Published).await });
    let watch = common::session(&f).await;
    // Until the decision waits for the deletion (not for another test's).
    for _ in 0..250 {
        let waiting: i64 = watch
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
                &[&deleting],
            )
            .await
            .expect("activity")
            .get(0);
        if waiting > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The deletion goes on to the comment.
    deletion
        .batch_execute(&format!(
            "SELECT 1 FROM comments WHERE id = {id} FOR UPDATE; \
             DELETE FROM comments WHERE id = {id}; COMMIT"
        ))
        .await
        .expect("the deletion ends");
    let decided = decision.await.expect("task").expect("the decision ends");
    assert!(decided.is_none(), "deleted first: nothing left to decide");
}

#[tokio::test]
async fn sign_in_shows_the_queue_under_a_strict_policy_and_sign_out_ends_it() {
    let f = setup().await;
    let r = &f.router;
    // Without a session: the sign-in page.
    let res = send(r, "GET", "/admin/queue", "10.0.0.1", "", None, &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/admin/login");

    let login = send(r, "GET", "/admin/login", "10.0.0.1", "", None, &[]).await;
    assert_eq!(login.headers[header::CONTENT_SECURITY_POLICY], CSP);
    assert!(login.body.contains(r#"<html lang="ar" dir="rtl">"#));
    assert!(!login.body.contains("<script"));
    assert!(!login.body.contains("style="));

    let res = try_sign_in(r, "10.0.0.1", "sara", "wrong password!").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(res.body.contains("الاسم أو كلمة المرور غير صحيحة"));
    assert!(res.set_cookie("khabar_session").is_none());
    let res = try_sign_in(r, "10.0.0.1", "nobody", PASSWORD).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);

    let ok = try_sign_in(r, "10.0.0.1", "sara", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let set = ok.set_cookie("khabar_session").expect("cookie");
    // Lax: the queue's link in a webmail opens the queue, not the sign-in.
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"));
    assert!(!set.contains("Secure"), "plain http: {set}");
    let session = set.split(';').next().expect("pair").to_owned();

    let page = send(
        r,
        "GET",
        "/admin/queue",
        "10.0.0.1",
        &session,
        None,
        &[("accept-language", "en-US,en;q=0.9")],
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers[header::CONTENT_SECURITY_POLICY], CSP);
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
    assert!(page.body.contains(r#"<html lang="en" dir="ltr">"#));
    assert!(page.body.contains("sara"));
    let css = send(
        r,
        "GET",
        "/admin/static/admin.css",
        "10.0.0.1",
        "",
        None,
        &[],
    )
    .await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.headers[header::CONTENT_TYPE]
        .to_str()
        .expect("type")
        .starts_with("text/css"));

    // The language link's cookie wins over Accept-Language.
    let switch = send(
        r,
        "GET",
        "/admin/lang?to=ar&back=%2Fadmin%2Faudit",
        "10.0.0.1",
        &session,
        None,
        &[],
    )
    .await;
    assert_eq!(switch.location(), "/admin/audit");
    let lang = switch.set_cookie("khabar_admin_lang").expect("lang cookie");
    // Sent to the demo's outbox too, which links to the same switch.
    assert!(lang.contains("; Path=/;"), "{lang}");
    // And the one an earlier version set for /admin alone goes.
    let cleared: Vec<_> = switch
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|v| v.starts_with("khabar_admin_lang=;") && v.contains("Path=/admin;"))
        .collect();
    assert_eq!(cleared.len(), 1, "{cleared:?}");
    assert!(cleared[0].contains("Max-Age=0"), "{cleared:?}");
    let both = format!("{session}; {}", lang.split(';').next().expect("pair"));
    let page = send(
        r,
        "GET",
        "/admin/audit",
        "10.0.0.1",
        &both,
        None,
        &[("accept-language", "en")],
    )
    .await;
    assert!(page.body.contains(r#"<html lang="ar" dir="rtl">"#));
    assert!(page.body.contains("سجل الدخول"), "the sign-in is audited");
    let offsite = send(
        r,
        "GET",
        "/admin/lang?to=en&back=https%3A%2F%2Fevil.example",
        "10.0.0.1",
        "",
        None,
        &[],
    )
    .await;
    assert_eq!(offsite.location(), "/admin/queue");
    // A control character, which Location cannot hold: the queue, not a 500.
    for back in ["%2Fadmin%2F%01", "%2Fadmin%2Fqueue%7F"] {
        let odd = send(
            r,
            "GET",
            &format!("/admin/lang?to=en&back={back}"),
            "10.0.0.1",
            "",
            None,
            &[],
        )
        .await;
        assert_eq!(odd.status, StatusCode::SEE_OTHER, "{back}");
        assert_eq!(odd.location(), "/admin/queue", "{back}");
    }
    // Pages holding the CSRF token are sent uncompressed (BREACH); the API
    // is compressed as before.
    let gzip = [("accept-encoding", "gzip, br")];
    let held = send(r, "GET", "/admin/audit", "10.0.0.1", &both, None, &gzip).await;
    assert_eq!(held.status, StatusCode::OK);
    assert!(held.body.contains("name=\"csrf\""), "{}", held.body);
    assert!(
        held.headers.get(header::CONTENT_ENCODING).is_none(),
        "{:?}",
        held.headers
    );
    let api = send(r, "GET", "/api/v1/articles", "10.0.0.1", "", None, &gzip).await;
    assert!(
        api.headers.get(header::CONTENT_ENCODING).is_some(),
        "{:?}",
        api.headers
    );

    let form = format!("csrf={}", enc(&page.csrf()));
    let sign_out = || {
        send(
            r,
            "POST",
            "/admin/logout",
            "10.0.0.1",
            &session,
            Some(&form),
            &[],
        )
    };
    let out = sign_out().await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), "/admin/login");
    let after = send(r, "GET", "/admin/queue", "10.0.0.1", &session, None, &[]).await;
    assert_eq!(after.location(), "/admin/login", "the session ended");
    // "Sign out" again from a page left open, its session ended: the
    // sign-in page, not an error.
    let again = sign_out().await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(again.location(), "/admin/login");
}

#[tokio::test]
async fn cookies_are_secure_behind_https() {
    let f = setup().await;
    let page = send(
        &f.router,
        "GET",
        "/admin/login",
        "10.0.0.1",
        "",
        None,
        &[("x-forwarded-proto", "https")],
    )
    .await;
    let token = page.csrf();
    let form = format!("csrf={}&name=sara&password={}", enc(&token), enc(PASSWORD));
    let res = send(
        &f.router,
        "POST",
        "/admin/login",
        "10.0.0.1",
        &format!("khabar_login_csrf={token}"),
        Some(&form),
        &[("x-forwarded-proto", "https")],
    )
    .await;
    let set = res.set_cookie("khabar_session").expect("cookie");
    assert!(set.contains("; Secure"), "{set}");
}

#[tokio::test]
async fn five_failures_lock_an_account_from_every_address_until_unlocked() {
    let f = setup().await;
    let r = &f.router;
    for i in 1..=4 {
        let res = try_sign_in(r, &format!("10.0.1.{i}"), "sara", "guess guess").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    let res = try_sign_in(r, "10.0.1.5", "sara", "guess guess").await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    // Locked: even the right password from a new address is refused.
    let res = try_sign_in(r, "10.0.1.6", "sara", PASSWORD).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(res.body.contains("15"));
    assert!(res.set_cookie("khabar_session").is_none());
    // Other accounts, and those addresses, are not locked.
    sign_in(r, "10.0.1.1", "omar").await;
    // `khabar-server admin unlock sara`.
    assert_eq!(
        auth::unlock(f.store.as_ref(), "sara")
            .await
            .expect("unlock"),
        5
    );
    sign_in(r, "10.0.1.6", "sara").await;
}

/// A moderator who mistypes five times from the newsroom's one address
/// locks that address too; unlocking the account lifts both, and a
/// colleague behind the same address signs in.
#[tokio::test]
async fn unlocking_an_account_lifts_its_failures_from_the_address_it_shares() {
    let f = setup().await;
    let r = &f.router;
    for _ in 1..=4 {
        let res = try_sign_in(r, "10.0.3.1", "sara", "guess guess").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    let res = try_sign_in(r, "10.0.3.1", "sara", "guess guess").await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    let res = try_sign_in(r, "10.0.3.1", "omar", PASSWORD).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "the address too");
    auth::unlock(f.store.as_ref(), "sara")
        .await
        .expect("unlock");
    sign_in(r, "10.0.3.1", "omar").await;
    sign_in(r, "10.0.3.1", "sara").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guesses_sent_in_parallel_are_checked_no_more_than_the_lock_allows() {
    let f = setup().await;
    let mut guesses = tokio::task::JoinSet::new();
    for i in 1..=12 {
        let r = f.router.clone();
        guesses.spawn(async move {
            try_sign_in(&r, &format!("10.0.5.{i}"), "sara", "guess guess")
                .await
                .status
        });
    }
    let mut wrong = 0;
    while let Some(status) = guesses.join_next().await {
        match status.expect("task") {
            StatusCode::UNAUTHORIZED => wrong += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}"),
        }
    }
    // At most four told "wrong", the fifth locked with them, the rest never
    // checked. Each attempt counts those recorded before its own count, and
    // parallel ones may count each other: fewer may be checked, never more.
    assert!(wrong <= 4, "{wrong} guesses checked and refused");
    let res = try_sign_in(&f.router, "10.0.5.20", "sara", PASSWORD).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn five_failures_lock_a_client_but_not_the_accounts_it_tried() {
    let f = setup().await;
    let r = &f.router;
    // One address guesses at many accounts, one failure each.
    for name in ["sara", "omar", "ali", "huda"] {
        let res = try_sign_in(r, "10.0.2.1", name, "guess guess").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    let res = try_sign_in(r, "10.0.2.1", "zaid", "guess guess").await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    // That address is locked out, whatever it tries ...
    let res = try_sign_in(r, "10.0.2.1", "sara", PASSWORD).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    // ... but the moderators it tried still sign in from elsewhere.
    sign_in(r, "10.0.2.2", "sara").await;
    sign_in(r, "10.0.2.3", "omar").await;
}

/// One address that signs in as its own moderator between its guesses
/// at another account still locks that one account only, and itself.
#[tokio::test]
async fn an_address_signing_in_between_guesses_still_locks_one_account_at_most() {
    let f = setup().await;
    let r = &f.router;
    for _ in 0..4 {
        let res = try_sign_in(r, "10.0.6.1", "sara", "guess guess").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    // Its own account: signed in, which forgets its failures there only.
    sign_in(r, "10.0.6.1", "omar").await;
    let res = try_sign_in(r, "10.0.6.1", "sara", "guess guess").await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    // The address has five failures: it can lock no other account now.
    let res = try_sign_in(r, "10.0.6.1", "omar", PASSWORD).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    sign_in(r, "10.0.6.2", "omar").await;
}

/// A lock lasts its time from the failure that made it, not until the
/// first of the five failures is that old.
#[tokio::test]
async fn a_lock_lasts_its_time_from_the_fifth_failure() {
    let lock = Duration::from_secs(10);
    let f = fixture_with(true, |s| {
        let mut s = adjust(s);
        s.admin.lock_for = lock;
        s
    });
    auth::add_moderator(f.store.as_ref(), "sara", PASSWORD)
        .await
        .expect("add");
    let r = &f.router;
    for i in 1..=4 {
        let res = try_sign_in(r, &format!("10.0.8.{i}"), "sara", "guess guess").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    // The four are at least 5 s older than the fifth (and, on a slow
    // machine, at most the lock's 10 s, or the fifth would lock nothing).
    tokio::time::sleep(Duration::from_secs(5)).await;
    let fifth = tokio::time::Instant::now(); // its failure is recorded after this
    let res = try_sign_in(r, "10.0.8.5", "sara", "guess guess").await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    // The first four are over 10 s old, the fifth at most 7.5 s: still
    // locked (by the four alone, as before, it would be open).
    tokio::time::sleep_until(fifth + Duration::from_millis(7500)).await;
    let res = try_sign_in(r, "10.0.8.6", "sara", PASSWORD).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    // Well past 10 s after the fifth: open again, and that refused try
    // made no lock of its own.
    tokio::time::sleep_until(fifth + lock + Duration::from_secs(2)).await;
    sign_in(r, "10.0.8.6", "sara").await;
}

#[tokio::test]
async fn failures_answer_later_and_later() {
    let f = fixture_with(true, |mut s| {
        s.admin.failure_delay = Duration::from_millis(60);
        s
    });
    auth::add_moderator(f.store.as_ref(), "sara", PASSWORD)
        .await
        .expect("add");
    let mut took = Vec::new();
    for _ in 0..3 {
        let start = std::time::Instant::now();
        let res = try_sign_in(&f.router, "10.0.3.1", "sara", "guess guess").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        took.push(start.elapsed());
    }
    assert!(took[0] >= Duration::from_millis(60), "{took:?}");
    assert!(took[1] >= Duration::from_millis(120), "{took:?}");
    assert!(took[2] >= Duration::from_millis(240), "{took:?}");
}

#[tokio::test]
async fn forged_posts_are_refused_and_change_nothing() {
    let f = setup().await;
    let r = &f.router;
    let id = comment(&f, "key-forged-1", "Please approve me.", None).await;
    let session = sign_in(r, "10.0.4.1", "sara").await;
    let queue = send(r, "GET", "/admin/queue", "10.0.4.1", &session, None, &[]).await;
    let csrf = queue.csrf();
    let forged = [
        (session.as_str(), format!("action=approve&id={id}")),
        (
            session.as_str(),
            format!("csrf=wrong&action=approve&id={id}"),
        ),
        (
            session.as_str(),
            format!("csrf={}x&action=approve&id={id}", enc(&csrf)),
        ),
        // The right token without the session (another site's form).
        ("", format!("csrf={}&action=approve&id={id}", enc(&csrf))),
    ];
    for (cookie, form) in &forged {
        let res = send(
            r,
            "POST",
            "/admin/comments",
            "10.0.4.1",
            cookie,
            Some(form),
            &[],
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{form}");
        assert_eq!(res.headers[header::CONTENT_SECURITY_POLICY], CSP);
    }
    let res = send(
        r,
        "POST",
        &format!("/admin/articles/{ARTICLE}/open"),
        "10.0.4.1",
        &session,
        Some("open=0"),
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = send(
        r,
        "POST",
        "/admin/logout",
        "10.0.4.1",
        &session,
        Some("csrf=nope"),
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // The sign-in form too: no token, or a token that is not the cookie's.
    let res = send(
        r,
        "POST",
        "/admin/login",
        "10.0.4.1",
        "",
        Some(&format!("name=sara&password={}", enc(PASSWORD))),
        &[("accept-language", "en")],
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Without its cookie (an hour gone, or a forged post): the form again,
    // with a new token, signing nobody in.
    assert!(res.body.contains("open for over an hour"), "{}", res.body);
    assert!(res.body.contains(r#"name="csrf""#));
    assert!(res.headers.get_all(header::SET_COOKIE).iter().any(|c| c
        .to_str()
        .is_ok_and(|c| c.starts_with("khabar_login_csrf=") && !c.contains("Max-Age=0"))));
    assert!(!res
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|c| c.to_str().is_ok_and(|c| c.starts_with("khabar_session="))));
    let res = send(
        r,
        "POST",
        "/admin/login",
        "10.0.4.1",
        "khabar_login_csrf=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        Some(&format!(
            "csrf=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb&name=sara&password={}",
            enc(PASSWORD)
        )),
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    assert_eq!(status_of(&f, id).await.as_deref(), Some("pending"));
    let article = f
        .store
        .article(ARTICLE)
        .await
        .expect("read")
        .expect("article");
    assert!(article.comments_open);
    let log = f.store.audit_log(50).await.expect("audit");
    assert_eq!(
        log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["sign_in"],
        "nothing but the sign-in was done"
    );
    // The session still works, and the real token does what was asked.
    let form = format!("csrf={}&action=approve&id={id}", enc(&csrf));
    let res = send(
        r,
        "POST",
        "/admin/comments",
        "10.0.4.1",
        &session,
        Some(&form),
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(status_of(&f, id).await.as_deref(), Some("published"));
}

#[tokio::test]
async fn a_session_survives_a_new_router_on_the_same_database() {
    let f = setup().await;
    let session = sign_in(&f.router, "10.0.5.1", "sara").await;
    // Another instance (or the same after a restart): a new router, new
    // state, the same database.
    let assets = Assets {
        www: None,
        widget: f.dir.path().join("widget"),
    };
    let other = app(adjust(AppState::new(f.store.clone())), &assets);
    let page = send(
        &other,
        "GET",
        "/admin/queue",
        "10.0.5.1",
        &session,
        None,
        &[],
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("sara"));
    // The CSRF token is the session's, so the other instance accepts it.
    let id = comment(&f, "key-survive-1", "From the first instance.", None).await;
    let form = format!("csrf={}&one=reject%3A{id}", enc(&page.csrf()));
    let res = send(
        &other,
        "POST",
        "/admin/comments",
        "10.0.5.1",
        &session,
        Some(&form),
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(status_of(&f, id).await.as_deref(), Some("rejected"));
}

#[tokio::test]
async fn moderators_approve_reject_and_delete_many_and_every_act_is_audited() {
    let f = setup().await;
    let r = &f.router;
    // A published comment to reply to.
    let parent = comment(&f, "key-parent-01", "The first word.", None).await;
    f.store
        .set_comment_status(parent, Status::Published)
        .await
        .expect("publish");
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            comment(
                &f,
                &format!("key-many-{i:04}"),
                &format!("Comment {i}"),
                Some(parent),
            )
            .await,
        );
    }
    let session = sign_in(r, "10.0.6.1", "sara").await;
    let queue = send(r, "GET", "/admin/queue", "10.0.6.1", &session, None, &[]).await;
    assert_eq!(queue.status, StatusCode::OK);
    // Newest first, with the article, the reply's parent, the e-mail and
    // the client's hash (never its address).
    let pos: Vec<usize> = ids
        .iter()
        .map(|id| queue.body.find(&format!(r#"id="c{id}""#)).expect("listed"))
        .collect();
    assert!(pos.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert!(queue.body.contains("reader@example.com"));
    assert!(queue.body.contains("The first word."));
    let stored = f
        .store
        .moderation_comments(khabar_server::store::ModQuery {
            status: Status::Pending,
            article_id: None,
            search: None,
            limit: 10,
            at: khabar_server::store::Keyset::Newest,
            readers_only: false,
        })
        .await
        .expect("queue");
    let hmac = stored[0].client_hmac.clone().expect("client hash stored");
    assert_eq!(hmac.len(), 64);
    assert!(queue.body.contains(&hmac[..12]));
    assert!(!queue.body.contains("local"), "no client address shown");
    let title = f
        .store
        .article(ARTICLE)
        .await
        .expect("read")
        .expect("article")
        .title;
    assert!(queue.body.contains(&title));

    let csrf = queue.csrf();
    let post = |form: String| {
        let session = session.clone();
        async move {
            send(
                r,
                "POST",
                "/admin/comments",
                "10.0.6.1",
                &session,
                Some(&form),
                &[],
            )
            .await
        }
    };
    let res = post(format!(
        "csrf={}&back=%2Fadmin%2Fqueue&action=approve&id={}&id={}",
        enc(&csrf),
        ids[0],
        ids[1]
    ))
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/admin/queue?done=2");
    let res = post(format!(
        "csrf={}&action=reject&id={}&id={}",
        enc(&csrf),
        ids[2],
        ids[3]
    ))
    .await;
    assert_eq!(res.location(), "/admin/queue?done=2");
    // One button of a row acts on that row only, whatever is checked.
    let res = post(format!(
        "csrf={}&one=delete%3A{}&id={}",
        enc(&csrf),
        ids[4],
        ids[0]
    ))
    .await;
    assert_eq!(res.location(), "/admin/queue?done=1");

    assert_eq!(status_of(&f, ids[0]).await.as_deref(), Some("published"));
    assert_eq!(status_of(&f, ids[1]).await.as_deref(), Some("published"));
    assert_eq!(status_of(&f, ids[2]).await.as_deref(), Some("rejected"));
    assert_eq!(status_of(&f, ids[3]).await.as_deref(), Some("rejected"));
    assert_eq!(status_of(&f, ids[4]).await, None);
    let queue = send(
        r,
        "GET",
        "/admin/queue?done=1",
        "10.0.6.1",
        &session,
        None,
        &[],
    )
    .await;
    assert!(
        !queue.body.contains(r#"class="comment""#),
        "the queue is empty"
    );

    let log = f.store.audit_log(50).await.expect("audit");
    let acts: Vec<(&str, Option<i64>)> = log
        .iter()
        .map(|e| (e.action.as_str(), e.comment_id))
        .collect();
    assert_eq!(
        acts,
        [
            ("delete", Some(ids[4])),
            ("reject", Some(ids[3])),
            ("reject", Some(ids[2])),
            ("approve", Some(ids[1])),
            ("approve", Some(ids[0])),
            ("sign_in", None),
        ]
    );
    assert!(log.iter().all(|e| e.moderator == "sara"));
    assert!(log[..5]
        .iter()
        .all(|e| e.article_id.as_deref() == Some(ARTICLE)));
    let page = send(r, "GET", "/admin/audit", "10.0.6.1", &session, None, &[]).await;
    assert!(page.body.contains(&format!("#{}", ids[4])));
}

/// A NUL character (`%00`) in an address or a form is a `400` on both
/// engines (PostgreSQL refuses it in text: it was a `500` there).
#[tokio::test]
async fn a_nul_in_an_address_or_a_form_is_refused() {
    let f = setup().await;
    let r = &f.router;
    let session = sign_in(r, "10.0.7.9", "omar").await;
    for uri in [
        "/admin/articles/%00".to_owned(),
        format!("/admin/articles/{ARTICLE}?q=a%00b"),
        "/admin/queue?cursor=%00".to_owned(),
    ] {
        let page = send(r, "GET", &uri, "10.0.7.9", &session, None, &[]).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{uri}: {}", page.body);
    }
    let blocks = send(r, "GET", "/admin/blocks", "10.0.7.9", &session, None, &[]).await;
    let form = format!("csrf={}&kind=email&value=a%00b", enc(&blocks.csrf()));
    let res = send(
        r,
        "POST",
        "/admin/blocks/remove",
        "10.0.7.9",
        &session,
        Some(&form),
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    // The pages themselves still answer.
    let page = send(
        r,
        "GET",
        &format!("/admin/articles/{ARTICLE}?q=x"),
        "10.0.7.9",
        &session,
        None,
        &[],
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    // A list cursor that decodes to one is no cursor.
    let cursor = "MToA"; // `1:` and a NUL
    let (status, _) = common::get_json(r, &format!("/api/v1/articles?cursor={cursor}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// A published reply under a comment rejected since is not shown to
/// readers: the article's page says so beside it.
#[tokio::test]
async fn a_reply_under_a_rejected_comment_is_marked_not_shown() {
    let f = setup().await;
    let r = &f.router;
    let parent = comment(&f, "key-hidden-parent", "The first word", None).await;
    f.store
        .set_comment_status(parent, Status::Published)
        .await
        .expect("publish");
    let reply = comment(&f, "key-hidden-reply", "An answer", Some(parent)).await;
    let other = comment(&f, "key-hidden-other", "Another answer", Some(parent)).await;
    for id in [reply, other] {
        f.store
            .set_comment_status(id, Status::Published)
            .await
            .expect("publish");
    }
    let session = sign_in(r, "10.0.7.8", "omar").await;
    let en = [("accept-language", "en")];
    let note = "Not shown to readers, even published: the comment it replies to is not published.";
    let page = |r, session| async move {
        send(
            r,
            "GET",
            &format!("/admin/articles/{ARTICLE}"),
            "10.0.7.8",
            session,
            None,
            &en,
        )
        .await
    };
    let before = page(r, &session).await;
    assert!(!before.body.contains(note), "{}", before.body);
    assert!(before.body.contains("(3)</span>"), "{}", before.body);
    f.store
        .set_comment_status(parent, Status::Rejected)
        .await
        .expect("reject");
    let after = page(r, &session).await;
    assert_eq!(after.body.matches(note).count(), 2, "{}", after.body);
    // The heading: the two replies listed, none of them shown to readers.
    assert!(
        after.body.contains("(2; shown to readers: 0)</span>"),
        "{}",
        after.body
    );
}

/// An article's heading counts all its comments (the search's matches),
/// not those of the page shown; an older page the moderator emptied says
/// so, not that there is nothing at all.
#[tokio::test]
async fn lists_count_every_row_and_an_emptied_older_page_says_where_the_rest_are() {
    let f = setup().await;
    let r = &f.router;
    let mut ids = Vec::new();
    for (i, body) in ["Trains first", "Trains again", "Buses"].iter().enumerate() {
        let id = comment(&f, &format!("key-count-{i:02}"), body, None).await;
        f.store
            .set_comment_status(id, Status::Published)
            .await
            .expect("publish");
        ids.push(id);
    }
    let waiting = comment(&f, "key-count-waits", "Still waiting", None).await;
    let session = sign_in(r, "10.0.7.9", "omar").await;
    let en = [("accept-language", "en")];
    let older = send(
        r,
        "GET",
        &format!("/admin/articles/{ARTICLE}?before={}", ids[1]),
        "10.0.7.9",
        &session,
        None,
        &en,
    )
    .await;
    assert_eq!(older.status, StatusCode::OK);
    assert!(older.body.contains(&format!(r#"id="c{}""#, ids[0])));
    assert!(
        older.body.contains(r#"<span class="count">(3)</span>"#),
        "{}",
        older.body
    );
    let search = send(
        r,
        "GET",
        &format!("/admin/articles/{ARTICLE}?q=trains&before={}", ids[1]),
        "10.0.7.9",
        &session,
        None,
        &en,
    )
    .await;
    assert!(
        search.body.contains(r#"<span class="count">(2)</span>"#),
        "{}",
        search.body
    );

    let emptied = send(
        r,
        "GET",
        &format!("/admin/queue?before={waiting}"),
        "10.0.7.9",
        &session,
        None,
        &en,
    )
    .await;
    assert!(
        emptied.body.contains("Nothing is left on this page"),
        "{}",
        emptied.body
    );
    assert!(!emptied.body.contains("No comment is waiting"));
    let newest = send(r, "GET", "/admin/queue", "10.0.7.9", &session, None, &en).await;
    assert!(newest.body.contains(&format!(r#"id="c{waiting}""#)));
    assert!(!newest.body.contains("Nothing is left on this page"));
}

#[tokio::test]
async fn an_article_page_searches_comments_and_closes_and_reopens_them() {
    let f = setup().await;
    let r = &f.router;
    let a = comment(&f, "key-search-01", "Trains every 5 minutes (100%)", None).await;
    let b = comment(&f, "key-search-02", "Buses are late", None).await;
    for id in [a, b] {
        f.store
            .set_comment_status(id, Status::Published)
            .await
            .expect("publish");
    }
    let session = sign_in(r, "10.0.7.1", "omar").await;
    let list = send(r, "GET", "/admin/articles", "10.0.7.1", &session, None, &[]).await;
    assert!(list.body.contains(&format!("/admin/articles/{ARTICLE}")));
    let uri = format!("/admin/articles/{ARTICLE}?q=trains");
    let page = send(r, "GET", &uri, "10.0.7.1", &session, None, &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!(r#"id="c{a}""#)));
    assert!(!page.body.contains(&format!(r#"id="c{b}""#)));
    // LIKE wildcards in the search are plain characters.
    let page100 = send(
        r,
        "GET",
        &format!("/admin/articles/{ARTICLE}?q=%25"),
        "10.0.7.1",
        &session,
        None,
        &[],
    )
    .await;
    assert!(page100.body.contains(&format!(r#"id="c{a}""#)));
    assert!(!page100.body.contains(&format!(r#"id="c{b}""#)));
    let by_author = send(
        r,
        "GET",
        &format!("/admin/articles/{ARTICLE}?q=reader"),
        "10.0.7.1",
        &session,
        None,
        &[],
    )
    .await;
    assert!(by_author.body.contains(&format!(r#"id="c{b}""#)));

    let csrf = page.csrf();
    // Two moderators close it from the same page: one act in the log.
    for _ in 0..2 {
        let close = send(
            r,
            "POST",
            &format!("/admin/articles/{ARTICLE}/open"),
            "10.0.7.1",
            &session,
            Some(&format!("csrf={}&open=0", enc(&csrf))),
            &[],
        )
        .await;
        assert_eq!(close.status, StatusCode::SEE_OTHER);
    }
    let article = f
        .store
        .article(ARTICLE)
        .await
        .expect("read")
        .expect("article");
    assert!(!article.comments_open);
    let (status, _, _) = post_json(
        r,
        &format!("/api/v1/articles/{ARTICLE}/comments"),
        &json!({ "author": "Late", "body": "Too late?", "idempotency_key": "key-closed-1" }),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "comments are closed");
    send(
        r,
        "POST",
        &format!("/admin/articles/{ARTICLE}/open"),
        "10.0.7.1",
        &session,
        Some(&format!("csrf={}&open=1", enc(&csrf))),
        &[],
    )
    .await;
    let article = f
        .store
        .article(ARTICLE)
        .await
        .expect("read")
        .expect("article");
    assert!(article.comments_open);
    // Reject one published comment from the article's page.
    let res = send(
        r,
        "POST",
        "/admin/comments",
        "10.0.7.1",
        &session,
        Some(&format!(
            "csrf={}&back={}&action=reject&id={b}",
            enc(&csrf),
            enc(&uri)
        )),
        &[],
    )
    .await;
    assert_eq!(res.location(), format!("{uri}&done=1"));
    assert_eq!(status_of(&f, b).await.as_deref(), Some("rejected"));
    let log = f.store.audit_log(10).await.expect("audit");
    let acts: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(acts, ["reject", "open", "close", "sign_in"]);
}

#[tokio::test]
async fn the_articles_list_holds_hidden_articles_and_threads_of_pages_by_url() {
    let f = fixture_with(true, |s| {
        let mut s = adjust(s);
        s.sites = khabar_server::threads::Sites::parse(&["https://news.example"]).expect("sites");
        s
    });
    assert!(auth::add_moderator(f.store.as_ref(), "sara", PASSWORD)
        .await
        .expect("add"));
    let r = &f.router;
    // A comment on a page the site never pushed: its thread, by URL.
    let page = "https://news.example/2026/12/01/ساحة";
    let (status, _, created) = post_json(
        r,
        &format!("/api/v1/comments?url={}", enc(page)),
        &json!({ "author": "Reader", "email": "", "body": "On the square, at last",
                 "idempotency_key": "key-by-url-0001", "title": "The square" }),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let thread = created["article_id"].as_str().expect("thread").to_owned();
    let on_thread = created["comment"]["id"].as_i64().expect("id");
    f.store
        .set_comment_status(on_thread, Status::Published)
        .await
        .expect("publish");
    // An article its CMS deleted, with a comment waiting.
    let waiting = comment(&f, "key-hidden-0001", "Still here?", None).await;
    assert!(f
        .store
        .set_article_hidden(ARTICLE, true)
        .await
        .expect("hide"));

    let session = sign_in(r, "10.0.8.1", "sara").await;
    let list = send(r, "GET", "/admin/articles", "10.0.8.1", &session, None, &[]).await;
    assert_eq!(list.status, StatusCode::OK);
    let row = |id: &str| {
        let at = list
            .body
            .find(&format!(r#"href="/admin/articles/{id}""#))
            .unwrap_or_else(|| panic!("{id} listed: {}", list.body));
        let end = list.body[at..].find("</tr>").expect("row end") + at;
        list.body[at..end].to_owned()
    };
    let thread_row = row(&thread);
    assert!(thread_row.contains("The square"), "{thread_row}");
    assert!(thread_row.contains("صفحة بعنوانها"), "{thread_row}");
    assert!(
        thread_row.contains(r#"dir="ltr">https:&#x2f;&#x2f;news.example&#x2f;2026"#),
        "{thread_row}"
    );
    let hidden_row = row(ARTICLE);
    assert!(hidden_row.contains("مخفية عن القرّاء"), "{hidden_row}");
    assert!(!thread_row.contains("مخفية"), "{thread_row}");

    // Both pages open: the thread's comments, and the hidden article's,
    // which the queue links to.
    let queue = send(r, "GET", "/admin/queue", "10.0.8.1", &session, None, &[]).await;
    assert!(
        queue.body.contains(&format!("/admin/articles/{ARTICLE}")),
        "{}",
        queue.body
    );
    let hidden = send(
        r,
        "GET",
        &format!("/admin/articles/{ARTICLE}"),
        "10.0.8.1",
        &session,
        None,
        &[],
    )
    .await;
    assert_eq!(hidden.status, StatusCode::OK, "{}", hidden.body);
    assert!(
        hidden.body.contains("لا يرى القرّاء هذا المقال"),
        "{}",
        hidden.body
    );
    let open = send(
        r,
        "GET",
        &format!("/admin/articles/{thread}"),
        "10.0.8.1",
        &session,
        None,
        &[],
    )
    .await;
    assert_eq!(open.status, StatusCode::OK);
    assert!(
        open.body.contains("On the square, at last"),
        "{}",
        open.body
    );
    assert!(!open.body.contains("لا يرى القرّاء"), "{}", open.body);
    // Closing the hidden article's comments lands on its page, not a 404.
    let form = format!("csrf={}&open=0", enc(&hidden.csrf()));
    let closed = send(
        r,
        "POST",
        &format!("/admin/articles/{ARTICLE}/open"),
        "10.0.8.1",
        &session,
        Some(&form),
        &[],
    )
    .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    let after = send(r, "GET", closed.location(), "10.0.8.1", &session, None, &[]).await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(status_of(&f, waiting).await.as_deref(), Some("pending"));
}

#[tokio::test]
async fn an_act_whose_audit_line_cannot_be_written_is_not_taken() {
    let f = fixture_with(true, |s| {
        let mut s = adjust(s);
        s.admin_token = Some("s3cret-token".into());
        s
    });
    assert!(auth::add_moderator(f.store.as_ref(), "sara", PASSWORD)
        .await
        .expect("add"));
    let r = &f.router;
    let waiting = comment(&f, "key-atomic-0001", "Waiting for a moderator", None).await;
    let doomed = comment(&f, "key-atomic-0002", "To be deleted", None).await;
    let session = sign_in(r, "10.0.9.1", "sara").await;
    let queue = send(r, "GET", "/admin/queue", "10.0.9.1", &session, None, &[]).await;
    let csrf = queue.csrf();
    // The audit log refuses every line (a full disk, a lock timeout).
    common::refuse_audit(&f).await;
    let lines = f.store.audit_log(50).await.expect("audit").len();
    for (id, action) in [(waiting, "approve"), (doomed, "delete")] {
        let form = format!("csrf={}&listed=pending&one={action}:{id}", enc(&csrf));
        let res = send(
            r,
            "POST",
            "/admin/comments",
            "10.0.9.1",
            &session,
            Some(&form),
            &[],
        )
        .await;
        // Back to the queue, which says it was not done.
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert!(
            res.location().ends_with("done=0&failed=1"),
            "{}",
            res.location()
        );
    }
    let token = Some("s3cret-token");
    let (status, _) = common::admin(
        r,
        "POST",
        &format!("/api/v1/admin/comments/{waiting}/approve"),
        token,
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let (status, _) = common::admin(
        r,
        "DELETE",
        &format!("/api/v1/admin/comments/{doomed}"),
        token,
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    // Closing an article's comments, and an erasure (`comments forget`).
    let form = format!("csrf={}&open=0", enc(&csrf));
    let res = send(
        r,
        "POST",
        &format!("/admin/articles/{ARTICLE}/open"),
        "10.0.9.1",
        &session,
        Some(&form),
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::INTERNAL_SERVER_ERROR);
    let line = khabar_server::audit::line("sara", "forget");
    assert!(f
        .store
        .forget_email("reader@example.com", Some(line))
        .await
        .is_err());
    // Nothing was done that the log does not say.
    assert_eq!(status_of(&f, waiting).await.as_deref(), Some("pending"));
    assert_eq!(status_of(&f, doomed).await.as_deref(), Some("pending"));
    assert_eq!(f.store.audit_log(50).await.expect("audit").len(), lines);
    let article = f
        .store
        .article(ARTICLE)
        .await
        .expect("read")
        .expect("article");
    assert!(article.comments_open, "still open");

    // The log takes lines again: the same acts go through, each recorded.
    common::allow_audit(&f).await;
    let form = format!("csrf={}&listed=pending&one=approve:{waiting}", enc(&csrf));
    let res = send(
        r,
        "POST",
        "/admin/comments",
        "10.0.9.1",
        &session,
        Some(&form),
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let (status, _) = common::admin(
        r,
        "DELETE",
        &format!("/api/v1/admin/comments/{doomed}"),
        token,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(status_of(&f, waiting).await.as_deref(), Some("published"));
    assert_eq!(status_of(&f, doomed).await, None);
    let log = f.store.audit_log(50).await.expect("audit");
    let acts: Vec<_> = log
        .iter()
        .take(2)
        .map(|e| (e.moderator.as_str(), e.action.as_str(), e.comment_id))
        .collect();
    assert_eq!(
        acts,
        [
            ("api", "delete", Some(doomed)),
            ("sara", "approve", Some(waiting))
        ]
    );
}

#[tokio::test]
async fn a_bulk_act_that_fails_part_way_says_how_many_it_did_and_did_not() {
    let f = fixture_with(true, adjust);
    assert!(auth::add_moderator(f.store.as_ref(), "sara", PASSWORD)
        .await
        .expect("add"));
    let r = &f.router;
    let mut ids = Vec::new();
    for n in 1..=3 {
        ids.push(
            comment(
                &f,
                &format!("key-partly-000{n}"),
                &format!("Waiting {n}"),
                None,
            )
            .await,
        );
    }
    let session = sign_in(r, "10.0.9.2", "sara").await;
    let csrf = send(r, "GET", "/admin/queue", "10.0.9.2", &session, None, &[])
        .await
        .csrf();
    // The log refuses the second comment's line (a lock timeout, say).
    let second = ids[1];
    let refuse = if common::on_postgres() {
        format!(
            "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN IF NEW.comment_id = {second} THEN RAISE EXCEPTION 'audit refused'; \
             END IF; RETURN NEW; END $$; \
             CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION refuse_audit();"
        )
    } else {
        format!(
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log \
             WHEN NEW.comment_id = {second} \
             BEGIN SELECT RAISE(ABORT, 'audit refused'); END;"
        )
    };
    common::by_hand(&f, &refuse).await;
    let picked: String = ids.iter().map(|id| format!("&id={id}")).collect();
    let form = format!(
        "csrf={}&listed=pending&action=approve&back=%2Fadmin%2Fqueue{picked}",
        enc(&csrf)
    );
    let res = send(
        r,
        "POST",
        "/admin/comments",
        "10.0.9.2",
        &session,
        Some(&form),
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location(), "/admin/queue?done=1&failed=2");
    // The first is published; the one refused and the one after it wait.
    assert_eq!(status_of(&f, ids[0]).await.as_deref(), Some("published"));
    assert_eq!(status_of(&f, ids[1]).await.as_deref(), Some("pending"));
    assert_eq!(status_of(&f, ids[2]).await.as_deref(), Some("pending"));
    let page = send(r, "GET", res.location(), "10.0.9.2", &session, None, &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    // (in the pages' default language, Arabic)
    assert!(
        page.body.contains(r#"role="status">تم: 1<"#),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(r#"role="alert">لم يُنفَّذ: تعذّر على الخادم حفظه، أعد المحاولة: 2<"#),
        "{}",
        page.body
    );
    let log = f.store.audit_log(50).await.expect("audit");
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "approve")
            .map(|e| e.comment_id)
            .collect::<Vec<_>>(),
        [Some(ids[0])]
    );
}

#[tokio::test]
async fn weak_names_and_passwords_are_refused() {
    let f = fixture_with(false, adjust);
    assert!(auth::add_moderator(f.store.as_ref(), "bad name", PASSWORD)
        .await
        .is_err());
    // The audit log's names for the token API and the command line.
    for reserved in ["api", "CLI"] {
        let refused = auth::add_moderator(f.store.as_ref(), reserved, PASSWORD).await;
        assert!(
            refused.is_err_and(|e| e.to_string().contains("audit log")),
            "{reserved}"
        );
    }
    assert!(auth::add_moderator(f.store.as_ref(), "sara", "short")
        .await
        .is_err());
    // Adding again sets a new password.
    assert!(auth::add_moderator(f.store.as_ref(), "sara", PASSWORD)
        .await
        .expect("add"));
    assert!(
        !auth::add_moderator(f.store.as_ref(), "sara", "another long one")
            .await
            .expect("reset")
    );
    let m = f
        .store
        .moderator("sara")
        .await
        .expect("read")
        .expect("sara");
    assert!(auth::verify_password("another long one", &m.password_hash));
}

#[tokio::test]
async fn the_mail_outbox_keeps_sent_mail_for_moderators_and_the_demo() {
    let f = fixture_with(true, |s| {
        let mut s = adjust(s);
        s.mailer = Some(Arc::new(
            Mailer::outbox(s.store.clone(), "Khabar Desk <desk@news.test>").expect("outbox"),
        ));
        s.notify = Some(Arc::new(khabar_server::notify::ModeratorMail {
            to: vec!["Night Desk <Night@News.test>".parse().expect("address")],
            digest_every: None,
            link_ttl: Duration::from_secs(3600),
            base_url: "http://comments.news.test".into(),
            lang: khabar_server::admin::i18n::Lang::En,
            settle: Duration::ZERO,
        }));
        s
    });
    assert!(auth::add_moderator(f.store.as_ref(), "sara", PASSWORD)
        .await
        .expect("add"));
    let r = &f.router;
    // With the outbox, "send to a friend" is on and answers like SMTP would.
    let (_, config) = common::get_json(r, "/api/v1/config").await;
    assert_eq!(config["capabilities"]["send_to_friend"], true);
    let request = json!({
        "from_name": "سارة",
        "from_email": "sara@example.org",
        "to_email": "friend@example.net",
        "message": "اقرأ هذا <script>alert(1)</script>"
    });
    let (status, _, body) = post_json(
        r,
        &format!("/api/v1/articles/{ARTICLE}/send"),
        &request,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let kept = f.store.outbox_mail(10).await.expect("outbox");
    assert_eq!(kept.len(), 1);
    let mail = &kept[0];
    assert_eq!(mail.recipient, "friend@example.net");
    assert!(mail.sender.contains("desk@news.test"), "{}", mail.sender);
    assert_eq!(
        mail.subject,
        "مجلس البلدية يقرّ خطة لتوسيع شبكة الحافلات حتى الأحياء الشرقية"
    );
    assert!(mail.text.contains("سارة"), "{}", mail.text);
    assert!(
        mail.text.contains(&format!("?article={ARTICLE}")),
        "{}",
        mail.text
    );

    // Moderators only: without a session, the sign-in page, which leads
    // back to the page asked for.
    let res = send(r, "GET", "/admin/outbox", "10.0.0.1", "", None, &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/admin/login?next=%2Fadmin%2Foutbox");
    let login = send(r, "GET", res.location(), "10.0.0.1", "", None, &[]).await;
    assert!(
        login
            .body
            .contains(r#"<input type="hidden" name="next" value="&#x2f;admin&#x2f;outbox">"#),
        "{}",
        login.body
    );
    let token = login.csrf();
    for (next, to) in [
        ("/admin/outbox", "/admin/outbox"),
        ("https://evil.example/", "/admin/queue"),
    ] {
        let form = format!(
            "csrf={}&name=sara&password={}&next={}",
            enc(&token),
            enc(PASSWORD),
            enc(next)
        );
        let res = send(
            r,
            "POST",
            "/admin/login",
            "10.0.0.1",
            &format!("khabar_login_csrf={token}"),
            Some(&form),
            &[],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert_eq!(res.location(), to, "only a page of /admin");
    }
    let cookie = sign_in(r, "10.0.0.1", "sara").await;
    let queue = send(r, "GET", "/admin/queue", "10.0.0.1", &cookie, None, &[]).await;
    assert!(
        queue.body.contains(r#"href="/admin/outbox""#),
        "{}",
        queue.body
    );
    let page = send(r, "GET", "/admin/outbox", "10.0.0.1", &cookie, None, &[]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.headers[header::CONTENT_SECURITY_POLICY], CSP);
    assert!(page.body.contains(&mail.subject));
    assert!(page.body.contains("friend@example.net"));
    // The reader's note is text, never markup.
    assert!(
        page.body.contains("&lt;script&gt;alert(1)"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<script>"));

    // The demo's visitors have no account: /demo/outbox shows the same
    // list, with no moderator menu or form.
    let demo = send(r, "GET", "/demo/outbox", "10.0.0.2", "", None, &[]).await;
    assert_eq!(demo.status, StatusCode::OK, "{}", demo.body);
    assert!(demo.body.contains(&mail.subject));
    assert!(!demo.body.contains(r#"name="csrf""#));
    assert!(!demo.body.contains(r#"href="/admin/queue""#));
    // Mail to moderators carries working approve links: moderators see it,
    // the demo's visitors do not.
    let to_moderator = OutboxMail {
        id: 0,
        at: "2026-11-30T05:00:00Z".into(),
        sender: "desk@news.test".into(),
        recipient: "Night Desk <night@news.test>".into(),
        subject: "A comment waits: approve".into(),
        text: "http://comments.news.test/admin/link/approve".into(),
    };
    f.store
        .put_outbox_mail(to_moderator, OUTBOX_KEEP)
        .await
        .expect("keep");
    let page = send(r, "GET", "/admin/outbox", "10.0.0.1", &cookie, None, &[]).await;
    assert!(page.body.contains("A comment waits"), "{}", page.body);
    let demo = send(r, "GET", "/demo/outbox", "10.0.0.2", "", None, &[]).await;
    assert!(!demo.body.contains("A comment waits"), "{}", demo.body);
    assert!(demo.body.contains(&mail.subject));

    // Only the newest messages are kept.
    for i in 0..OUTBOX_KEEP + 5 {
        let extra = OutboxMail {
            id: 0,
            at: "2026-11-30T05:00:00Z".into(),
            sender: "desk@news.test".into(),
            recipient: format!("reader{i}@example.net"),
            subject: format!("message {i}"),
            text: String::new(),
        };
        f.store
            .put_outbox_mail(extra, OUTBOX_KEEP)
            .await
            .expect("keep");
    }
    let kept = f.store.outbox_mail(1000).await.expect("outbox");
    assert_eq!(kept.len(), OUTBOX_KEEP as usize);
    assert_eq!(kept[0].subject, format!("message {}", OUTBOX_KEEP + 4));
    assert!(kept.windows(2).all(|w| w[0].id > w[1].id));
}

#[tokio::test]
async fn without_the_outbox_its_pages_do_not_exist() {
    let f = setup().await;
    let r = &f.router;
    let cookie = sign_in(r, "10.0.0.1", "sara").await;
    let queue = send(r, "GET", "/admin/queue", "10.0.0.1", &cookie, None, &[]).await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(!queue.body.contains("/admin/outbox"));
    let page = send(r, "GET", "/admin/outbox", "10.0.0.1", &cookie, None, &[]).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let demo = send(r, "GET", "/demo/outbox", "10.0.0.2", "", None, &[]).await;
    assert_eq!(demo.status, StatusCode::NOT_FOUND);
}

/// The status of the queue page for the session `cookie`.
async fn queue_status(router: &axum::Router, ip: &str, cookie: String) -> StatusCode {
    send(router, "GET", "/admin/queue", ip, &cookie, None, &[])
        .await
        .status
}

#[tokio::test]
async fn a_new_password_ends_the_accounts_sessions() {
    let f = setup().await;
    let session = sign_in(&f.router, "10.0.6.1", "sara").await;
    let other = sign_in(&f.router, "10.0.6.2", "omar").await;
    let queue = |cookie: String| queue_status(&f.router, "10.0.6.1", cookie);
    assert_eq!(queue(session.clone()).await, StatusCode::OK);
    // `admin add sara` again, as after a stolen password.
    assert!(
        !auth::add_moderator(f.store.as_ref(), "sara", "a-new-long-passphrase")
            .await
            .expect("new password")
    );
    assert_ne!(queue(session).await, StatusCode::OK, "signed out");
    assert_eq!(
        queue(other).await,
        StatusCode::OK,
        "other accounts keep theirs"
    );
}

#[tokio::test]
async fn a_name_no_account_can_have_is_never_stored() {
    let f = setup().await;
    let long = "x".repeat(100_000);
    let res = try_sign_in(&f.router, "10.0.7.1", &long, "whatever").await;
    assert_ne!(res.status, StatusCode::SEE_OTHER);
    let (count, _) = f
        .store
        .login_failures(&auth::account_key(&long), Duration::MAX)
        .await
        .expect("failures");
    assert_eq!(count, 0, "the name was stored");
    // The attempt still counts against the client.
    let (count, _) = f
        .store
        .login_failures(&auth::account_key(""), Duration::MAX)
        .await
        .expect("failures");
    assert_eq!(count, 1);
}

#[tokio::test]
async fn a_removed_moderator_is_signed_out_and_cannot_sign_in() {
    let f = setup().await;
    let session = sign_in(&f.router, "10.0.8.1", "sara").await;
    let other = sign_in(&f.router, "10.0.8.2", "omar").await;
    let queue = |cookie: String| queue_status(&f.router, "10.0.8.3", cookie);
    assert_eq!(queue(session.clone()).await, StatusCode::OK);
    let names = f.store.moderator_names().await.expect("names");
    assert!(names.contains(&"sara".to_owned()), "{names:?}");

    assert!(auth::remove_moderator(f.store.as_ref(), "sara")
        .await
        .expect("remove"));
    assert_ne!(queue(session).await, StatusCode::OK, "signed out");
    assert_eq!(queue(other).await, StatusCode::OK, "omar keeps his session");
    let names = f.store.moderator_names().await.expect("names");
    assert!(!names.contains(&"sara".to_owned()), "{names:?}");
    assert!(names.contains(&"omar".to_owned()), "{names:?}");
    let res = try_sign_in(&f.router, "10.0.8.4", "sara", PASSWORD).await;
    assert_ne!(res.status, StatusCode::SEE_OTHER, "signed in after removal");

    // Twice, or a name nobody has: told, nothing else changes.
    assert!(!auth::remove_moderator(f.store.as_ref(), "sara")
        .await
        .expect("remove again"));
    assert!(auth::remove_moderator(f.store.as_ref(), "no such name!")
        .await
        .is_err());
}

#[tokio::test]
async fn the_commands_list_and_remove_moderators() {
    let f = setup().await;
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_khabar-server"))
            .args(["--db", &f.db_url(), "admin"])
            .args(args)
            .output()
            .expect("run khabar-server");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, _) = run(&["list"]);
    assert!(ok);
    assert_eq!(out, "omar\nsara\n");
    let (ok, out, _) = run(&["remove", "sara"]);
    assert!(ok);
    assert_eq!(out, "removed moderator sara\n");
    assert_eq!(run(&["list"]).1, "omar\n");
    let (ok, _, err) = run(&["remove", "sara"]);
    assert!(!ok, "a second removal should fail");
    assert!(err.contains("no moderator is called sara"), "{err}");
}

#[tokio::test]
async fn a_sign_in_checked_against_an_account_that_changed_meanwhile_gets_no_session() {
    let f = setup().await;
    // What a sign-in read before its password check.
    let read = f
        .store
        .moderator("sara")
        .await
        .expect("read")
        .expect("sara");
    // Meanwhile: removed, and a new account made under the same name.
    assert!(auth::remove_moderator(f.store.as_ref(), "sara")
        .await
        .expect("remove"));
    assert!(
        auth::add_moderator(f.store.as_ref(), "sara", "another-long-passphrase")
            .await
            .expect("add")
    );
    assert!(!f
        .store
        .create_session("hash-of-a-cookie", &read, "csrf", Duration::MAX)
        .await
        .expect("create"));
    assert!(f
        .store
        .session("hash-of-a-cookie")
        .await
        .expect("session")
        .is_none());
    // The account as it is now gets one.
    let now = f
        .store
        .moderator("sara")
        .await
        .expect("read")
        .expect("sara");
    assert!(f
        .store
        .create_session("hash-of-a-cookie", &now, "csrf", Duration::MAX)
        .await
        .expect("create"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_queue_page_never_reverses_a_decision_taken_meanwhile() {
    let f = setup().await;
    let r = &f.router;
    let id = comment(&f, "key-stale-01", "Decided twice?", None).await;
    let session = sign_in(r, "10.0.7.1", "sara").await;
    // Two tabs (or two moderators) show the queue with the comment waiting.
    let queue = send(r, "GET", "/admin/queue", "10.0.7.1", &session, None, &[]).await;
    assert!(
        queue.body.contains(r#"name="listed" value="pending""#),
        "the form says what it listed"
    );
    let csrf = queue.csrf();
    let post = |action: &str| {
        let form = format!(
            "csrf={}&back=%2Fadmin%2Fqueue&listed=pending&action={action}&id={id}",
            enc(&csrf)
        );
        let session = session.clone();
        async move {
            send(
                r,
                "POST",
                "/admin/comments",
                "10.0.7.1",
                &session,
                Some(&form),
                &[],
            )
            .await
        }
    };
    let res = post("approve").await;
    assert_eq!(res.location(), "/admin/queue?done=1");
    assert_eq!(status_of(&f, id).await.as_deref(), Some("published"));
    // The other tab, still listing it as waiting, rejects and then deletes
    // it: neither acts on a comment no longer waiting.
    let res = post("reject").await;
    assert_eq!(res.location(), "/admin/queue?done=0");
    let res = post("delete").await;
    assert_eq!(res.location(), "/admin/queue?done=0");
    assert_eq!(status_of(&f, id).await.as_deref(), Some("published"));
}

/// The store checks a comment's status and changes it in one step: a
/// delete or a decision for a status the comment no longer has (a page
/// that still lists it as waiting, after an e-mailed link approved it)
/// does nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_for_a_status_the_comment_no_longer_has_does_nothing() {
    let f = setup().await;
    let id = comment(&f, "key-cond-01", "Waiting for a decision", None).await;
    let approved = f
        .store
        .decide(id, Status::Pending, Status::Published)
        .await
        .expect("decide");
    assert!(approved.is_some());
    assert!(f
        .store
        .delete_comment(id, Some(Status::Pending))
        .await
        .expect("delete")
        .is_none());
    assert!(f
        .store
        .decide(id, Status::Pending, Status::Rejected)
        .await
        .expect("decide")
        .is_none());
    assert_eq!(status_of(&f, id).await.as_deref(), Some("published"));
    // A move to the status it has is no change (no event, no audit line).
    assert!(f
        .store
        .decide(id, Status::Published, Status::Published)
        .await
        .expect("decide")
        .is_none());
    // Asked as what it is, it goes (with no reply under it).
    assert_eq!(
        f.store
            .delete_comment(id, Some(Status::Published))
            .await
            .expect("delete"),
        Some(0)
    );
    assert_eq!(status_of(&f, id).await, None);
}

/// A deleted comment takes its replies with it: the audit line says how
/// many went, not only which comment a moderator chose.
#[tokio::test]
async fn a_deletion_audits_the_replies_it_took_with_it() {
    let f = fixture_with(true, |mut s| {
        s.admin_token = Some("s3cret-token".into());
        adjust(s)
    });
    let parent = comment(&f, "key-del-parent", "A thread to delete", None).await;
    f.store
        .set_comment_status(parent, Status::Published)
        .await
        .expect("approve");
    let mut replies = Vec::new();
    for n in 0..2 {
        replies.push(comment(&f, &format!("key-del-reply-{n}"), "A reply", Some(parent)).await);
    }
    let alone = comment(&f, "key-del-alone", "No replies here", None).await;
    for id in [parent, alone] {
        let req = Request::delete(format!("/api/v1/admin/comments/{id}"))
            .header("authorization", "Bearer s3cret-token")
            .body(Body::empty())
            .expect("request");
        let res = f.router.clone().oneshot(req).await.expect("response");
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }
    for id in replies {
        assert_eq!(status_of(&f, id).await, None, "the reply went too");
    }
    let log = f.store.audit_log(10).await.expect("audit");
    let deletions: Vec<(Option<i64>, Option<&str>)> = log
        .iter()
        .filter(|e| e.action == "delete")
        .map(|e| (e.comment_id, e.detail.as_deref()))
        .collect();
    assert_eq!(
        deletions,
        [
            (Some(alone), None),
            (Some(parent), Some("and its 2 replies"))
        ]
    );
    // The page says it in its language; the log keeps one text.
    assert!(auth::add_moderator(f.store.as_ref(), "sara", PASSWORD)
        .await
        .expect("add"));
    let session = sign_in(&f.router, "10.0.8.1", "sara").await;
    let page = |lang: &'static str| {
        let cookies = format!("{session}; khabar_admin_lang={lang}");
        let router = f.router.clone();
        async move {
            send(
                &router,
                "GET",
                "/admin/audit",
                "10.0.8.1",
                &cookies,
                None,
                &[],
            )
            .await
            .body
        }
    };
    let (ar, en) = (page("ar").await, page("en").await);
    assert!(ar.contains("<td>ومعه ردّان</td>"), "{ar}");
    assert!(!ar.contains("and its"), "{ar}");
    assert!(en.contains("<td>and its 2 replies</td>"), "{en}");
}

/// An approval through the moderation API that changes nothing (the
/// comment was already published) is not recorded as a moderator's act.
#[tokio::test]
async fn approving_twice_through_the_api_is_audited_once() {
    let f = fixture_with(true, |mut s| {
        s.admin_token = Some("s3cret-token".into());
        adjust(s)
    });
    let id = comment(&f, "key-api-twice", "Approved twice?", None).await;
    for _ in 0..2 {
        let req = Request::post(format!("/api/v1/admin/comments/{id}/approve"))
            .header("authorization", "Bearer s3cret-token")
            .body(Body::empty())
            .expect("request");
        let res = f.router.clone().oneshot(req).await.expect("response");
        assert_eq!(res.status(), StatusCode::OK);
    }
    let approvals = f
        .store
        .audit_log(10)
        .await
        .expect("audit")
        .iter()
        .filter(|e| e.action == "approve" && e.comment_id == Some(id))
        .count();
    assert_eq!(approvals, 1);
}

/// A script's decision `?from=` the status it saw is refused (`409`) once
/// a moderator decided otherwise meanwhile, rather than reversing it;
/// without `from`, it decides from whatever status, as before.
#[tokio::test]
async fn a_scripts_decision_from_a_status_does_not_reverse_a_moderators() {
    let f = fixture_with(true, |mut s| {
        s.admin_token = Some("s3cret-token".into());
        adjust(s)
    });
    let id = comment(&f, "key-api-from-1", "Seen as pending", None).await;
    let post = |act: &str| {
        let (router, path) = (
            f.router.clone(),
            format!("/api/v1/admin/comments/{id}/{act}"),
        );
        async move { common::admin(&router, "POST", &path, Some("s3cret-token")).await }
    };
    // A moderator rejects it after the script listed it.
    assert_eq!(post("reject").await.0, StatusCode::OK);
    let (status, body) = post("approve?from=pending").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "status_changed", "{body}");
    assert_eq!(status_of(&f, id).await.as_deref(), Some("rejected"));
    // Already what it asks: done, as a second approval is.
    assert_eq!(post("reject?from=pending").await.0, StatusCode::OK);
    assert_eq!(
        post("approve?from=nonsense").await.0,
        StatusCode::BAD_REQUEST
    );
    let (status, body) = post("approve?from=rejected").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "published");
}
