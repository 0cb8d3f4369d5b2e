//! Blocking authors (by e-mail or client HMAC) from the moderation pages
//! and the CLI, what a blocked author's next comment becomes under pre- and
//! post-moderation, and keyset paging of the admin lists.

mod common;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use common::{engine_url, fixture_with, Fixture};
use http_body_util::BodyExt;
use khabar_server::admin::auth;
use khabar_server::blocks;
use khabar_server::comments::Moderation;
use khabar_server::ratelimit::RateLimit;
use khabar_server::store::{
    engine, AuditEntry, BlockKind, Imported, ImportedComment, Keyset, Status,
};
use serde_json::{json, Value};
use tower::ServiceExt;

const ARTICLE: &str = "2026-11-28-transit-plan";
const PASSWORD: &str = "correct horse battery";
const BIN: &str = env!("CARGO_BIN_EXE_khabar-server");

/// The bearer token of the moderation API.
const TOKEN: &str = "blocking-t0ken";

/// A seeded fixture under `moderation`, with the moderator `sara`.
async fn setup(moderation: Moderation) -> Fixture {
    let f = fixture_with(true, move |mut s| {
        s.comment_limit = Arc::new(RateLimit::new(0, Duration::from_secs(60)));
        s.admin.failure_delay = Duration::ZERO;
        s.admin_token = Some(TOKEN.into());
        s.moderation = moderation;
        s
    });
    assert!(auth::add_moderator(f.store.as_ref(), "sara", PASSWORD)
        .await
        .expect("add"));
    f
}

struct Answer {
    status: StatusCode,
    location: String,
    /// The session cookie the answer sets, `khabar_session=…`.
    session: Option<String>,
    body: String,
}

impl Answer {
    /// The value of the first hidden `csrf` field of the page.
    fn csrf(&self) -> String {
        let marker = r#"name="csrf" value=""#;
        let start = self.body.find(marker).expect("a csrf field") + marker.len();
        self.body[start..]
            .split('"')
            .next()
            .expect("value")
            .to_owned()
    }

    /// The `href` of the paging link with `rel`, HTML entities undone.
    fn link(&self, rel: &str) -> Option<String> {
        let marker = format!(r#"" rel="{rel}""#);
        let end = self.body.find(&marker)?;
        let start = self.body[..end].rfind("href=\"")? + "href=\"".len();
        Some(unescape(&self.body[start..end]))
    }

    /// The ids of the comments listed (their checkboxes).
    fn comment_ids(&self) -> Vec<i64> {
        self.body
            .split(r#"<input type="checkbox" name="id" value=""#)
            .skip(1)
            .map(|rest| {
                rest.split('"')
                    .next()
                    .and_then(|id| id.parse().ok())
                    .expect("an id")
            })
            .collect()
    }
}

/// Undoes the entities minijinja writes into attributes (`&amp;`, `&#x2f;`).
fn unescape(attr: &str) -> String {
    let mut out = String::new();
    let mut rest = attr;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let end = rest[at..].find(';').expect("an entity ends") + at;
        let entity = &rest[at + 1..end];
        let ch = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            hex => u32::from_str_radix(hex.trim_start_matches("#x"), 16)
                .ok()
                .and_then(char::from_u32)
                .expect("a known entity"),
        };
        out.push(ch);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Sends a request from client address `ip` with a cookie and a body.
async fn send(
    f: &Fixture,
    method: &str,
    uri: &str,
    ip: &str,
    cookie: &str,
    body: Option<(&str, String)>,
) -> Answer {
    let mut req = Request::builder().method(method).uri(uri);
    if !cookie.is_empty() {
        req = req.header(header::COOKIE, cookie);
    }
    if let Some((kind, _)) = &body {
        req = req.header(header::CONTENT_TYPE, *kind);
    }
    let mut req = req
        .body(Body::from(body.map(|(_, b)| b).unwrap_or_default()))
        .expect("request");
    let addr: SocketAddr = format!("{ip}:40000").parse().expect("address");
    req.extensions_mut().insert(ConnectInfo(addr));
    let res = f.router.clone().oneshot(req).await.expect("response");
    let status = res.status();
    let location = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let session = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("khabar_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned);
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    Answer {
        status,
        location,
        session,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// POSTs a form to `uri` as the signed-in moderator's browser (10.0.0.1).
async fn post_form(f: &Fixture, uri: &str, session: &str, form: String) -> Answer {
    send(f, "POST", uri, "10.0.0.1", session, Some((FORM, form))).await
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

const FORM: &str = "application/x-www-form-urlencoded";

/// Signs `sara` in; the session cookie.
async fn sign_in(f: &Fixture) -> String {
    let page = send(f, "GET", "/admin/login", "10.0.0.1", "", None).await;
    let token = page.csrf();
    let form = format!("csrf={}&name=sara&password={}", enc(&token), enc(PASSWORD));
    let res = send(
        f,
        "POST",
        "/admin/login",
        "10.0.0.1",
        &format!("khabar_login_csrf={token}"),
        Some((FORM, form)),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    res.session.expect("a session cookie")
}

/// A reader's comment through the real API from `ip`: (id, answered status).
async fn post_comment(f: &Fixture, ip: &str, email: Option<&str>, key: &str) -> (i64, String) {
    let body = json!({ "author": "قارئة", "email": email,
                       "body": "تعليق عن خطة النقل الجديدة", "idempotency_key": key });
    let res = send(
        f,
        "POST",
        &format!("/api/v1/articles/{ARTICLE}/comments"),
        ip,
        "",
        Some(("application/json", body.to_string())),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let v: Value = serde_json::from_str(&res.body).expect("json");
    (
        v["comment"]["id"].as_i64().expect("id"),
        v["status"].as_str().expect("status").to_owned(),
    )
}

async fn stored_status(f: &Fixture, id: i64) -> String {
    f.store
        .comment(id)
        .await
        .expect("read")
        .expect("stored")
        .status
}

async fn audit(f: &Fixture) -> Vec<AuditEntry> {
    f.store.audit_log(50).await.expect("audit")
}

#[tokio::test]
async fn an_address_blocked_from_a_comment_is_held_under_post_moderation_until_unblocked() {
    let f = setup(Moderation::Post).await;
    let (first, status) = post_comment(
        &f,
        "10.1.0.1",
        Some("Huda.Ali@Example.org"),
        "first-comment-1",
    )
    .await;
    assert_eq!(status, "published");
    let session = sign_in(&f).await;
    let page = send(
        &f,
        "GET",
        &format!("/admin/articles/{ARTICLE}"),
        "10.0.0.1",
        &session,
        None,
    )
    .await;
    let button = format!(r#"value="email:{first}:Huda.Ali@Example.org""#);
    assert!(page.body.contains(&button), "a block button: {}", page.body);

    // A forged form (no CSRF token) blocks nothing.
    let forged = post_form(
        &f,
        "/admin/blocks",
        &session,
        format!("block=email:{first}:Huda.Ali@Example.org"),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(f
        .store
        .blocks(10, Keyset::Newest)
        .await
        .expect("blocks")
        .is_empty());

    let back = format!("/admin/articles/{ARTICLE}");
    let form = format!(
        "csrf={}&back={}&block={}",
        enc(&page.csrf()),
        enc(&back),
        enc(&format!("email:{first}:Huda.Ali@Example.org"))
    );
    let res = post_form(&f, "/admin/blocks", &session, form).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location, format!("{back}?done=1"));
    assert_eq!(
        stored_status(&f, first).await,
        "published",
        "no retroactive change"
    );

    // The same address in other case, from another client: held.
    let (held, status) = post_comment(
        &f,
        "10.1.0.2",
        Some("HUDA.ALI@example.ORG"),
        "held-comment-1",
    )
    .await;
    assert_eq!(status, "pending");
    assert_eq!(stored_status(&f, held).await, "pending");
    // Someone else still goes straight through.
    let (other, status) = post_comment(
        &f,
        "10.1.0.2",
        Some("huda.ali@example.net"),
        "other-comment-1",
    )
    .await;
    assert_eq!(status, "published");
    assert_eq!(stored_status(&f, other).await, "published");

    let log = audit(&f).await;
    assert!(log.iter().any(|e| e.action == "block_email"
        && e.moderator == "sara"
        && e.comment_id == Some(first)
        && e.detail.as_deref() == Some("huda.ali@example.org")));

    // The blocks page lists it, and its button lifts it.
    let blocks = send(&f, "GET", "/admin/blocks", "10.0.0.1", &session, None).await;
    assert_eq!(blocks.status, StatusCode::OK);
    assert!(blocks.body.contains("huda.ali@example.org"));
    let form = format!(
        "csrf={}&kind=email&value={}",
        enc(&blocks.csrf()),
        enc("huda.ali@example.org")
    );
    let res = post_form(&f, "/admin/blocks/remove", &session, form).await;
    assert_eq!(res.location, "/admin/blocks?done=1");
    let (after, status) = post_comment(
        &f,
        "10.1.0.2",
        Some("huda.ali@example.org"),
        "after-comment-1",
    )
    .await;
    assert_eq!(status, "published");
    assert_eq!(stored_status(&f, after).await, "published");
    assert!(audit(&f)
        .await
        .iter()
        .any(|e| e.action == "unblock_email" && e.moderator == "sara"));
}

#[tokio::test]
async fn a_blocked_client_is_held_whatever_the_policy_and_bad_blocks_are_refused() {
    for moderation in [Moderation::Pre, Moderation::Post] {
        let f = setup(moderation).await;
        let (first, _) = post_comment(&f, "10.2.0.7", None, "client-first-1").await;
        let hmac = f
            .store
            .moderation_comments(khabar_server::store::ModQuery {
                status: if moderation == Moderation::Pre {
                    Status::Pending
                } else {
                    Status::Published
                },
                article_id: None,
                search: None,
                limit: 5,
                at: khabar_server::store::Keyset::Newest,
                readers_only: false,
            })
            .await
            .expect("list")
            .into_iter()
            .find(|c| c.stored.comment.id == first)
            .and_then(|c| c.client_hmac)
            .expect("an hmac");
        let session = sign_in(&f).await;
        let page = send(&f, "GET", "/admin/blocks", "10.0.0.1", &session, None).await;
        let csrf = page.csrf();

        // Not an HMAC, not an address, an unknown kind: 400, nothing stored.
        for bad in [
            "kind=client&value=abcdef012345".to_owned(),
            "kind=email&value=nobody".to_owned(),
            "kind=phone&value=12345".to_owned(),
            "block=client:x:y".to_owned(),
        ] {
            let form = format!("csrf={}&{bad}", enc(&csrf));
            let res = post_form(&f, "/admin/blocks", &session, form).await;
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{bad}");
        }
        assert!(f
            .store
            .blocks(10, Keyset::Newest)
            .await
            .expect("blocks")
            .is_empty());

        let form = format!(
            "csrf={}&kind=client&value={}",
            enc(&csrf),
            hmac.to_uppercase()
        );
        let res = post_form(&f, "/admin/blocks", &session, form).await;
        assert_eq!(res.location, "/admin/blocks?done=1");
        let (held, status) = post_comment(&f, "10.2.0.7", None, "client-held-1").await;
        assert_eq!(status, "pending");
        assert_eq!(stored_status(&f, held).await, "pending");
        let queue = send(&f, "GET", "/admin/queue", "10.0.0.1", &session, None).await;
        assert!(queue.comment_ids().contains(&held), "held in the queue");
        let (free, _) = post_comment(&f, "10.2.0.8", None, "client-free-1").await;
        let expected = if moderation == Moderation::Pre {
            "pending"
        } else {
            "published"
        };
        assert_eq!(stored_status(&f, free).await, expected);
    }
}

#[tokio::test]
async fn the_cli_blocks_lists_and_unblocks_and_migrate_keeps_blocks() {
    let f = setup(Moderation::Post).await;
    let db = f.db_url();
    let run = |args: &[&str]| {
        std::process::Command::new(BIN)
            .arg("--db")
            .arg(&db)
            .args(args)
            .env("RUST_BACKTRACE", "0")
            .output()
            .expect("run khabar-server")
    };
    let out = run(&[
        "comments",
        "block",
        "--email",
        " Noura@Example.COM ",
        "--by",
        "layla",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "blocked email noura@example.com"
    );
    let out = run(&["comments", "block", "--client", "not-an-hmac"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("64 hexadecimal digits"));
    let out = run(&["comments", "block"]);
    assert!(
        !out.status.success(),
        "one of --email or --client is required"
    );

    let (held, status) =
        post_comment(&f, "10.3.0.1", Some("noura@example.com"), "cli-held-01").await;
    assert_eq!(status, "pending");
    assert_eq!(stored_status(&f, held).await, "pending");
    let out = run(&["comments", "blocks"]);
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        listed.contains("email  noura@example.com  by layla"),
        "{listed}"
    );

    // `migrate` copies the blocks with everything else.
    let dump = f.store.dump().await.expect("dump");
    let rows = dump
        .tables
        .iter()
        .find(|(name, _)| name == "author_blocks")
        .map(|(_, rows)| rows.len());
    assert_eq!(rows, Some(1));
    let dir = tempfile::tempdir().expect("tempdir");
    let target = engine::open(&engine_url(&dir)).await.expect("target");
    let report = khabar_server::store::migrate::copy(&f.store, &target)
        .await
        .expect("copy");
    assert!(report.verified());
    assert!(target
        .is_blocked(Some("noura@example.com"), None)
        .await
        .expect("read"));
    assert_eq!(
        target.blocks(10, Keyset::Newest).await.expect("blocks")[0].kind,
        BlockKind::Email
    );

    let out = run(&["comments", "unblock", "--email", "NOURA@example.com"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["comments", "unblock", "--email", "noura@example.com"]);
    assert!(!out.status.success(), "not blocked any more");
    let (free, status) =
        post_comment(&f, "10.3.0.1", Some("noura@example.com"), "cli-free-01").await;
    assert_eq!(status, "published");
    assert_eq!(stored_status(&f, free).await, "published");
    let log = audit(&f).await;
    assert!(log
        .iter()
        .any(|e| e.action == "block_email" && e.moderator == "layla"));
    assert!(log.iter().any(|e| e.action == "unblock_email"
        && e.moderator == "cli"
        && e.detail.as_deref() == Some("noura@example.com")));
}

/// A block and its audit line are one: when the line cannot be written (a
/// full disk, a lock timeout), the block is not made, nor lifted, and the
/// moderator's next try finds it as it was.
#[tokio::test]
async fn a_block_whose_audit_line_fails_is_not_made() {
    let f = setup(Moderation::Post).await;
    assert!(blocks::block(
        f.store.as_ref(),
        BlockKind::Email,
        "lifted@example.com",
        "sara",
        None
    )
    .await
    .expect("block"));
    common::refuse_audit(&f).await;
    let s = f.store.as_ref();
    assert!(
        blocks::block(s, BlockKind::Email, "rami@example.com", "sara", None)
            .await
            .is_err()
    );
    assert!(
        blocks::unblock(s, BlockKind::Email, "lifted@example.com", "sara")
            .await
            .is_err()
    );
    common::allow_audit(&f).await;
    let blocked: Vec<String> = s
        .blocks(10, khabar_server::store::Keyset::Newest)
        .await
        .expect("blocks")
        .into_iter()
        .map(|b| b.value)
        .collect();
    assert_eq!(blocked, ["lifted@example.com"], "neither changed");
    assert!(
        blocks::block(s, BlockKind::Email, "rami@example.com", "sara", None)
            .await
            .expect("block"),
        "made on the next try, with its line"
    );
    assert!(audit(&f)
        .await
        .iter()
        .any(|e| e.action == "block_email" && e.detail.as_deref() == Some("rami@example.com")));
}

/// A block stored under an older, looser address rule (`john.@…`, which
/// the rule now refuses) can still be lifted.
#[tokio::test]
async fn a_block_made_under_an_older_address_rule_can_be_lifted() {
    let f = setup(Moderation::Post).await;
    let older = khabar_server::store::AuditEntry {
        id: 0,
        at: "2026-12-01T08:00:00Z".into(),
        moderator: "sara".into(),
        action: "block_email".into(),
        comment_id: None,
        article_id: None,
        detail: Some("john.@example.com".into()),
    };
    assert!(f
        .store
        .add_block(BlockKind::Email, "john.@example.com", older)
        .await
        .expect("block"));
    assert!(blocks::normalize(BlockKind::Email, "john.@example.com").is_err());
    assert!(blocks::unblock(
        f.store.as_ref(),
        BlockKind::Email,
        " John.@Example.com ",
        "sara"
    )
    .await
    .expect("unblock"));
    assert_eq!(f.store.block_count().await.expect("count"), 0);
    // An empty value is still refused.
    assert!(
        blocks::unblock(f.store.as_ref(), BlockKind::Email, "  ", "sara")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn the_moderation_api_blocks_and_unblocks_with_its_token() {
    let f = setup(Moderation::Post).await;
    let auth = format!("Bearer {TOKEN}");
    let headers = [("authorization", auth.as_str())];
    let uri = "/api/v1/admin/blocks";
    let (status, _, _) =
        common::post_json(&f.router, uri, &json!({"email": "x@example.com"}), &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for bad in [
        json!({}),
        json!({"email": "a@example.com", "client": "ab"}),
        json!({"email": "no address"}),
        json!({"client": "0123"}),
        json!({"phone": "12345"}),
    ] {
        let (status, _, _) = common::post_json(&f.router, uri, &bad, &headers).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let (status, _, body) = common::post_json(
        &f.router,
        uri,
        &json!({"email": "Rami@Example.com"}),
        &headers,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["value"], "rami@example.com");
    let (status, _, _) = common::post_json(
        &f.router,
        uri,
        &json!({"email": "rami@example.com"}),
        &headers,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "already blocked");
    let (status, list) = common::admin(&f.router, "GET", uri, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"][0]["kind"], "email");
    assert_eq!(list["items"][0]["moderator"], "api");
    let (_, status) = post_comment(&f, "10.4.0.1", Some("rami@example.com"), "api-held-01").await;
    assert_eq!(status, "pending");

    let one = format!("{uri}/email/RAMI%40example.com");
    let (status, _) = common::admin(&f.router, "DELETE", &one, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = common::admin(&f.router, "DELETE", &one, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) =
        common::admin(&f.router, "DELETE", &format!("{uri}/phone/1"), Some(TOKEN)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // No client HMAC, a NUL, no UTF-8: the API's own JSON error, as the docs say.
    for odd in [
        "client/xyz",
        "email/a%00b%40example.com",
        "email/%FF%40example.com",
    ] {
        let (status, body) =
            common::admin(&f.router, "DELETE", &format!("{uri}/{odd}"), Some(TOKEN)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{odd}");
        assert_eq!(body["error"]["code"], "bad_request", "{odd}: {body}");
    }
    let (_, status) = post_comment(&f, "10.4.0.1", Some("rami@example.com"), "api-free-01").await;
    assert_eq!(status, "published");
    assert!(audit(&f)
        .await
        .iter()
        .any(|e| e.action == "unblock_email" && e.moderator == "api"));
}

/// Stores `n` comments on the demo article in one go: every third one
/// mentions the train. Their ids, in order.
async fn many_comments(f: &Fixture, n: usize, status: Status) -> Vec<i64> {
    let comments = (0..n)
        .map(|i| ImportedComment {
            key: format!("import:test:{i}"),
            parent_key: None,
            legacy_keys: Vec::new(),
            legacy_parent_keys: Vec::new(),
            via_keys: Vec::new(),
            author: format!("قارئ {i}"),
            email: None,
            body: if i % 3 == 0 {
                format!("القطار السريع رقم {i}")
            } else {
                format!("رأي رقم {i} في الخطة")
            },
            status,
            created_at: "2026-11-29T10:00:00Z".into(),
        })
        .collect();
    assert!(f
        .store
        .import_comments(ARTICLE, comments, false)
        .await
        .expect("import")
        .iter()
        .all(|added| *added == Imported::Added));
    let mut ids: Vec<i64> = f
        .store
        .dump()
        .await
        .expect("dump")
        .comments
        .iter()
        .filter(|c| c.status == status.as_str())
        .map(|c| c.id)
        .collect();
    ids.sort_unstable();
    ids
}

/// Follows `rel` links from `start` to the end: the ids of each page.
async fn walk(f: &Fixture, session: &str, start: &str, rel: &str) -> (Vec<Vec<i64>>, String) {
    let mut pages = Vec::new();
    let mut next = Some(start.to_owned());
    let mut last = String::new();
    while let Some(uri) = next {
        let page = send(f, "GET", &uri, "10.0.0.1", session, None).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}");
        pages.push(page.comment_ids());
        next = page.link(rel);
        last = uri;
        assert!(pages.len() < 10, "the links end");
    }
    (pages, last)
}

#[tokio::test]
async fn the_queue_pages_450_comments_without_gap_or_duplicate_both_ways() {
    let f = setup(Moderation::Pre).await;
    let ids = many_comments(&f, 450, Status::Pending).await;
    let session = sign_in(&f).await;
    let (pages, last) = walk(&f, &session, "/admin/queue", "next").await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![200, 200, 50]);
    // The heading counts them all, not the page's.
    let first = send(&f, "GET", "/admin/queue", "10.0.0.1", &session, None).await;
    assert!(first.body.contains(r#"<span class="count">(450)</span>"#));
    let seen: Vec<i64> = pages.concat();
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first");
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ids, "every comment once");
    // Back up from the last page with the "newer" links.
    let (back, _) = walk(&f, &session, &last, "prev").await;
    let back_sizes: Vec<usize> = back.iter().map(Vec::len).collect();
    assert_eq!(back_sizes, vec![50, 200, 200]);
    assert_eq!(back[1], pages[1]);
    assert_eq!(back[2], pages[0]);

    // Forged cursors: a clear 400, not a server error.
    for forged in [
        "/admin/queue?before=abc",
        "/admin/queue?after=-5",
        "/admin/queue?before=1&after=2",
        "/admin/queue?before=99999999999999999999999",
        "/admin/audit?before=%27%3B--",
        &format!("/admin/articles/{ARTICLE}?q=x&after=1.5"),
    ] {
        let res = send(&f, "GET", forged, "10.0.0.1", &session, None).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{forged}");
    }
    // Rejected ones have their list, paged the same way.
    let form = format!(
        "csrf={}&action=reject{}",
        enc(&send(&f, "GET", "/admin/queue", "10.0.0.1", &session, None)
            .await
            .csrf()),
        ids[..3]
            .iter()
            .map(|id| format!("&id={id}"))
            .collect::<String>()
    );
    post_form(&f, "/admin/comments", &session, form).await;
    let rejected = send(&f, "GET", "/admin/rejected", "10.0.0.1", &session, None).await;
    assert_eq!(rejected.status, StatusCode::OK);
    let mut listed = rejected.comment_ids();
    listed.sort_unstable();
    assert_eq!(listed, ids[..3].to_vec());
}

#[tokio::test]
async fn an_articles_search_keeps_its_filter_across_pages() {
    let f = setup(Moderation::Post).await;
    let ids = many_comments(&f, 900, Status::Published).await;
    let session = sign_in(&f).await;
    let start = format!("/admin/articles/{ARTICLE}?q={}", enc("القطار"));
    let (pages, _) = walk(&f, &session, &start, "next").await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![200, 100], "300 of 900 mention the train");
    let seen: HashSet<i64> = pages.concat().into_iter().collect();
    let expected: HashSet<i64> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 == 0)
        .map(|(_, id)| *id)
        .collect();
    assert_eq!(seen, expected);
    let first = send(&f, "GET", &start, "10.0.0.1", &session, None).await;
    let older = first.link("next").expect("an older link");
    assert!(older.contains(&format!("q={}", enc("القطار"))), "{older}");
}

#[tokio::test]
async fn the_blocks_list_pages_on_its_page_in_the_api_and_in_the_cli() {
    let f = setup(Moderation::Post).await;
    for i in 0..230 {
        let address = format!("reader{i}@example.com");
        khabar_server::blocks::block(f.store.as_ref(), BlockKind::Email, &address, "sara", None)
            .await
            .expect("block");
    }
    let shown = |page: &Answer, i: usize| page.body.contains(&format!(">reader{i}@example.com<"));

    // The page: 200 newest, the count of all, an older page with the rest.
    let session = sign_in(&f).await;
    let first = send(&f, "GET", "/admin/blocks", "10.0.0.1", &session, None).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.body.contains("(230)"), "the count of every block");
    assert!(shown(&first, 229) && shown(&first, 30));
    assert!(!shown(&first, 29));
    let older = first.link("next").expect("an older page");
    let second = send(&f, "GET", &older, "10.0.0.1", &session, None).await;
    assert!(shown(&second, 29) && shown(&second, 0));
    assert!(!shown(&second, 30));
    assert!(second.link("next").is_none());
    // Unblocking there goes back there.
    let form = format!(
        "csrf={}&back={}&kind=email&value={}",
        enc(&second.csrf()),
        enc(&older),
        enc("reader0@example.com")
    );
    let done = post_form(&f, "/admin/blocks/remove", &session, form).await;
    assert_eq!(done.location, format!("{older}&done=1"));
    let forged = send(
        &f,
        "GET",
        "/admin/blocks?before=x",
        "10.0.0.1",
        &session,
        None,
    )
    .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);

    // The API: pages by cursor, each block once, newest first.
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut uri = "/api/v1/admin/blocks?limit=100".to_owned();
    loop {
        let (status, page) = common::admin(&f.router, "GET", &uri, Some(TOKEN)).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_eq!(page["total"], 229);
        let items = page["items"].as_array().expect("items");
        sizes.push(items.len());
        seen.extend(items.iter().map(|b| b["id"].as_i64().expect("id")));
        match page["next"].as_str() {
            Some(next) => uri = format!("/api/v1/admin/blocks?limit=100&cursor={next}"),
            None => break,
        }
        assert!(sizes.len() < 10, "the cursors end");
    }
    assert_eq!(sizes, vec![100, 100, 29]);
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first");
    let (status, _) = common::admin(
        &f.router,
        "GET",
        "/api/v1/admin/blocks?cursor=-3",
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The CLI lists them all.
    let out = std::process::Command::new(BIN)
        .arg("--db")
        .arg(f.db_url())
        .args(["comments", "blocks"])
        .output()
        .expect("run khabar-server");
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(listed.lines().count(), 229, "{listed}");
    assert!(listed.contains("email  reader1@example.com  by sara"));
}

#[tokio::test]
async fn the_audit_log_pages_too() {
    let f = setup(Moderation::Pre).await;
    for i in 0..230 {
        f.store
            .add_audit(AuditEntry {
                id: 0,
                at: "2026-11-29T10:00:00Z".into(),
                moderator: format!("mod{i}"),
                action: "approve".into(),
                comment_id: Some(i),
                article_id: None,
                detail: None,
            })
            .await
            .expect("audit");
    }
    let session = sign_in(&f).await;
    let first = send(&f, "GET", "/admin/audit", "10.0.0.1", &session, None).await;
    // The sign-in is the newest line; the oldest lines are on the next page.
    assert!(first.body.contains("mod229"));
    assert!(!first.body.contains(">mod0<"));
    let older = first.link("next").expect("older");
    let second = send(&f, "GET", &older, "10.0.0.1", &session, None).await;
    assert!(second.body.contains(">mod0<"));
    assert!(!second.body.contains("mod229"));
    assert!(second.link("next").is_none());
}

#[tokio::test]
async fn the_articles_list_pages_with_the_apis_cursor() {
    let f = setup(Moderation::Pre).await;
    let items: Vec<Value> = (0..150)
        .map(|i| {
            json!({
                "id": format!("paging-{i:03}"),
                "url": format!("https://news.example/paging/{i}"),
                "title": format!("خبر رقم {i}"),
                "summary": "ملخص",
                "published_at": format!("2026-10-{:02}T{:02}:00:00Z", 1 + i / 24, i % 24),
                "body_html": "<p>نص</p>",
                "section": "local",
                "lang": "ar"
            })
        })
        .collect();
    khabar_server::import::import_json(f.store.as_ref(), &json!({ "items": items }).to_string())
        .await
        .expect("import");
    let total = usize::try_from(f.store.article_count().await.expect("count")).expect("count");
    let session = sign_in(&f).await;
    let mut seen = Vec::new();
    let mut next = Some("/admin/articles".to_owned());
    while let Some(uri) = next {
        let page = send(&f, "GET", &uri, "10.0.0.1", &session, None).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}");
        let ids: Vec<String> = page
            .body
            .split(r#"<td><a href="/admin/articles/"#)
            .skip(1)
            .map(|rest| unescape(rest.split('"').next().expect("href")))
            .collect();
        assert!(ids.len() <= 100);
        seen.extend(ids);
        next = page.link("next");
        assert!(seen.len() <= total, "the links end");
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no duplicate");
    assert_eq!(seen.len(), total, "no gap");
    let res = send(
        &f,
        "GET",
        "/admin/articles?cursor=%21%21",
        "10.0.0.1",
        &session,
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
}
