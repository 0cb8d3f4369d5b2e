//! The publishing API a CMS pushes to: upsert with the import's rules,
//! soft deletion that keeps comments, and a token that can do nothing else.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{admin, fixture_with, get, get_json, post_json};
use http_body_util::BodyExt;
use khabar_server::comments::Moderation;
use khabar_server::ratelimit::RateLimit;
use serde_json::{json, Value};
use tower::ServiceExt;

const TOKEN: &str = "publish-s3cret";
const ADMIN: &str = "moderate-s3cret";

/// A JSON request to `uri`, with `token` as its bearer token when given.
fn request(method: &str, uri: &str, token: Option<&str>, body: Option<&Value>) -> Request<Body> {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    req.body(body).expect("request")
}

async fn send(
    router: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let res = router
        .clone()
        .oneshot(request(method, uri, token, body))
        .await
        .expect("response");
    let status = res.status();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn article(title: &str) -> Value {
    json!({
        "url": "https://cms.example/2026/11/30/port",
        "title": title,
        "summary": "ملخص",
        "published_at": "2026-11-30T09:00:00+03:00",
        "body_html": "<p>نص الخبر</p><script>alert(1)</script><p onclick=\"x()\">فقرة</p>",
        "section": "economy",
        "lang": "ar"
    })
}

fn publishing() -> common::Fixture {
    fixture_with(true, |mut s| {
        s.publish_token = Some(TOKEN.into());
        s.admin_token = Some(ADMIN.into());
        s.moderation = Moderation::Post;
        s.comment_limit = Arc::new(RateLimit::new(0, Duration::from_secs(60)));
        s
    })
}

#[tokio::test]
async fn without_a_publish_token_the_api_is_off() {
    let f = fixture_with(true, |s| s);
    let (status, body) = send(
        &f.router,
        "PUT",
        "/api/v1/admin/articles/x1",
        Some("anything"),
        Some(&article("t")),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn the_publish_token_publishes_and_nothing_else() {
    let f = publishing();
    let uri = "/api/v1/admin/articles/cms-port-1";
    let (status, _) = send(&f.router, "PUT", uri, None, Some(&article("t"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(&f.router, "PUT", uri, Some(ADMIN), Some(&article("t"))).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the moderation token cannot publish"
    );
    let (status, _) = admin(&f.router, "GET", "/api/v1/admin/comments", Some(TOKEN)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the publish token cannot moderate"
    );
}

/// A request to `uri` with `token`, from `peer` when given (else in-process,
/// the client `local`): its status, `Retry-After` and error code.
async fn token_request(
    router: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    peer: Option<&str>,
) -> (StatusCode, Option<String>, Value) {
    let mut req = request(method, uri, token, None);
    if let Some(ip) = peer {
        let addr: std::net::SocketAddr = format!("{ip}:40000").parse().expect("address");
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
    }
    let res = router.clone().oneshot(req).await.expect("response");
    let status = res.status();
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, retry, body["error"]["code"].clone())
}

#[tokio::test]
async fn wrong_tokens_are_counted_per_client_and_api_and_past_twenty_even_a_right_one_waits() {
    let f = publishing();
    let moderate = "/api/v1/admin/comments";
    let hide = "/api/v1/admin/articles/none-such";
    // Right tokens are not counted, however many.
    for _ in 0..30 {
        let (status, _, _) = token_request(&f.router, "GET", moderate, Some(ADMIN), None).await;
        assert_eq!(status, StatusCode::OK);
    }
    // Twenty wrong or missing ones are each told 401.
    for i in 0..20 {
        let token = if i % 2 == 0 { Some("guess") } else { None };
        let (status, retry, code) = token_request(&f.router, "GET", moderate, token, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
        assert_eq!((retry, code), (None, json!("unauthorized")));
    }
    // Past them, the client waits, with a right token too: a guess that
    // happened to be right would not be told.
    for token in ["guess", ADMIN] {
        let (status, retry, code) =
            token_request(&f.router, "GET", moderate, Some(token), None).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{token}");
        assert_eq!(code, "rate_limited");
        let secs: u64 = retry.expect("Retry-After").parse().expect("seconds");
        assert!((1..=600).contains(&secs), "{secs}");
    }
    // The publishing API counts apart: the same client's CMS still pushes.
    let (status, _, code) = token_request(&f.router, "DELETE", hide, Some(TOKEN), None).await;
    assert_eq!((status, code), (StatusCode::NOT_FOUND, json!("not_found")));
    // Another client is not affected.
    let (status, _, _) =
        token_request(&f.router, "GET", moderate, Some(ADMIN), Some("203.0.113.9")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn push_upserts_hides_and_brings_back_with_comments() {
    let f = publishing();
    let uri = "/api/v1/admin/articles/cms-port-1";
    let (status, stored) = send(
        &f.router,
        "PUT",
        uri,
        Some(TOKEN),
        Some(&article("الميناء يفتح")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    assert_eq!(stored["id"], "cms-port-1");
    let html = stored["body_html"].as_str().expect("html");
    assert!(
        !html.contains("script") && !html.contains("onclick"),
        "cleaned like an import: {html}"
    );

    let (status, again) = send(
        &f.router,
        "PUT",
        uri,
        Some(TOKEN),
        Some(&article("الميناء يفتح غداً")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["title"], "الميناء يفتح غداً");

    // The import's rules, field by field.
    let mut bad = article("t");
    bad["url"] = json!("javascript:alert(1)");
    let (status, body) = send(&f.router, "PUT", uri, Some(TOKEN), Some(&bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"]["url"]["code"], "invalid");
    let mut other = article("t");
    other["id"] = json!("another-id");
    let (status, _) = send(&f.router, "PUT", uri, Some(TOKEN), Some(&other)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    other["id"] = json!(17);
    let (status, _) = send(&f.router, "PUT", uri, Some(TOKEN), Some(&other)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an id that is no string");
    // A list in the body stores nothing, under this URL or any other.
    let mut first = article("أ");
    first["id"] = json!("smuggled-1");
    let mut second = article("ب");
    second["id"] = json!("smuggled-2");
    let list = json!({ "items": [first, second] });
    let (status, body) = send(&f.router, "PUT", uri, Some(TOKEN), Some(&list)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    for id in ["smuggled-1", "smuggled-2"] {
        assert!(f.store.article(id).await.expect("read").is_none(), "{id}");
    }

    // Readers comment on it.
    let comments = "/api/v1/articles/cms-port-1/comments";
    let c = json!({ "author": "Ali", "body": "تعليق يبقى", "idempotency_key": "key-push-0001" });
    let (status, _, _) = post_json(&f.router, comments, &c, &[]).await;
    assert_eq!(status, StatusCode::CREATED);

    // Deleted in the CMS: hidden everywhere, comments kept.
    let (status, _) = send(&f.router, "DELETE", uri, Some(TOKEN), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = get_json(&f.router, "/api/v1/articles/cms-port-1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = get_json(&f.router, "/api/v1/articles?limit=50").await;
    assert!(!list["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|a| a["id"] == "cms-port-1"));
    let (_, _, feed) = get(&f.router, "/feed.json").await;
    assert!(!String::from_utf8_lossy(&feed).contains("cms-port-1"));
    let (status, _) = get_json(&f.router, comments).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let c2 =
        json!({ "author": "Ali", "body": "على خبر محذوف", "idempotency_key": "key-push-0002" });
    let (status, _, _) = post_json(&f.router, comments, &c2, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        common::comment_total(&f.store).await,
        1,
        "the comment is kept"
    );
    let (status, _) = send(
        &f.router,
        "DELETE",
        "/api/v1/admin/articles/no-such",
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Published again: back, with its comment, and replaced (it was never
    // gone from the store), not created.
    let (status, back) = send(
        &f.router,
        "PUT",
        uri,
        Some(TOKEN),
        Some(&article("عاد الخبر")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(back["comment_count"], 1);
    let (_, page) = get_json(&f.router, comments).await;
    assert_eq!(page["total"], 1);
}

#[tokio::test]
async fn comments_closed_here_stay_closed_until_the_cms_changes_its_word() {
    let f = publishing();
    let uri = "/api/v1/admin/articles/cms-port-2";
    let push = |open: bool, title: &str| {
        let mut a = article(title);
        a["comments_open"] = json!(open);
        a
    };
    let open_now = |f: &common::Fixture| {
        let store = f.store.clone();
        async move {
            store
                .article("cms-port-2")
                .await
                .expect("read")
                .expect("stored")
                .comments_open
        }
    };
    let (status, _) = send(&f.router, "PUT", uri, Some(TOKEN), Some(&push(true, "أ"))).await;
    assert_eq!(status, StatusCode::CREATED);

    // A moderator closes the comments; the CMS pushes an edit that still
    // says open, as it said before: the moderator's choice stands.
    assert!(f
        .store
        .set_comments_open("cms-port-2", false, None)
        .await
        .expect("close"));
    let (status, stored) = send(&f.router, "PUT", uri, Some(TOKEN), Some(&push(true, "ب"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stored["title"], "ب");
    assert_eq!(stored["comments_open"], false, "{stored}");
    assert!(!open_now(&f).await);

    // The CMS closes, then opens: a new word each time, and it wins.
    send(&f.router, "PUT", uri, Some(TOKEN), Some(&push(false, "ج"))).await;
    assert!(!open_now(&f).await);
    send(&f.router, "PUT", uri, Some(TOKEN), Some(&push(true, "د"))).await;
    assert!(open_now(&f).await, "opened at the source");

    // And the other way: opened here while the CMS says closed.
    send(&f.router, "PUT", uri, Some(TOKEN), Some(&push(false, "هـ"))).await;
    assert!(f
        .store
        .set_comments_open("cms-port-2", true, None)
        .await
        .expect("open"));
    send(&f.router, "PUT", uri, Some(TOKEN), Some(&push(false, "و"))).await;
    assert!(open_now(&f).await, "opened here, the CMS unchanged");

    // An import (the newsroom's own file) sets comments, and leaves the
    // CMS's last word as it was: the next push, still saying closed, does
    // not undo what the import set.
    let mut imported = push(true, "ز");
    imported["id"] = json!("cms-port-2");
    khabar_server::import::import_json(f.store.as_ref(), &json!([imported]).to_string())
        .await
        .expect("import");
    send(&f.router, "PUT", uri, Some(TOKEN), Some(&push(false, "ح"))).await;
    assert!(open_now(&f).await, "the import's word stands");
}

/// What a CMS sends that the API cannot take is answered in its JSON shape
/// and names the field; what it can take is stored as the API serves it.
#[tokio::test]
async fn pushed_articles_are_named_when_wrong_and_tidied_when_right() {
    let f = publishing();
    let r = &f.router;
    let uri = "/api/v1/admin/articles/cms-tidy-1";
    // A wrong type or a missing field names the field (a 422, not a 400).
    for (change, field) in [
        (json!({ "summary": null }), "summary"),
        (json!({ "comments_open": "true" }), "comments_open"),
        (
            json!({ "image": { "url": "https://cms.example/a.jpg", "alt": 3 } }),
            "image",
        ),
        (json!({ "published_at": 1764482400 }), "published_at"),
    ] {
        let mut body = article("خبر");
        body.as_object_mut()
            .expect("object")
            .extend(change.as_object().expect("object").clone());
        let (status, answer) = send(r, "PUT", uri, Some(TOKEN), Some(&body)).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{change}: {answer}"
        );
        assert_eq!(answer["error"]["code"], "invalid", "{answer}");
        assert!(
            answer["error"]["fields"][field].is_object()
                || answer["error"]["fields"][field].is_string(),
            "{field}: {answer}"
        );
    }
    let mut untitled = article("x");
    untitled.as_object_mut().expect("object").remove("title");
    let (status, answer) = send(r, "PUT", uri, Some(TOKEN), Some(&untitled)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(!answer["error"]["fields"]["title"].is_null(), "{answer}");
    // A path that is not UTF-8 is answered in the API's JSON.
    let (status, answer) = send(
        r,
        "PUT",
        "/api/v1/admin/articles/%FF",
        Some(TOKEN),
        Some(&article("x")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["code"], "bad_request", "{answer}");
    // The scheme's name in any case.
    let mut body = article("خبر مرتب");
    let fields = body.as_object_mut().expect("object");
    // A space for the T, and an update before the publication: the time as
    // the API writes it, and no update.
    fields.insert("published_at".into(), json!("2026-11-30 09:00:00+03:00"));
    fields.insert("updated_at".into(), json!("2026-11-30T05:00:00Z"));
    fields.insert(
        "body_html".into(),
        json!("<p>نص</p><img src=\"data:image/gif;base64,R0l\" data-src=\"https://cdn.test/p.jpg\"><noscript><img src=\"https://cdn.test/p.jpg\" alt=\"صورة\"></noscript><iframe src=\"https://video.test/e\">fallback <b>text</b></iframe>"),
    );
    let req = Request::builder()
        .method("PUT")
        .uri(uri)
        .header("content-type", "application/json")
        .header("authorization", format!("bearer {TOKEN}"))
        .body(Body::from(body.to_string()))
        .expect("request");
    let res = r.clone().oneshot(req).await.expect("response");
    assert_eq!(res.status(), StatusCode::CREATED);
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    let stored: Value = serde_json::from_slice(&bytes).expect("JSON");
    assert_eq!(stored["published_at"], "2026-11-30T09:00:00+03:00");
    assert!(stored["updated_at"].is_null(), "{stored}");
    let html = stored["body_html"].as_str().expect("html");
    assert!(
        !html.contains("&lt;") && !html.contains("fallback"),
        "{html}"
    );
    assert!(html.contains("https://cdn.test/p.jpg"), "{html}");
    // Ids a URL would read as a dot segment are refused.
    for id in ["%2E", "%2E%2E"] {
        let (status, answer) = send(
            r,
            "PUT",
            &format!("/api/v1/admin/articles/{id}"),
            Some(TOKEN),
            Some(&article("نقطة")),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{id}: {answer}");
        assert!(!answer["error"]["fields"]["id"].is_null(), "{answer}");
    }
    let dots = khabar_server::import::parse(
        &json!({ "id": "..", "url": "https://cms.example/d", "title": "t",
                 "published_at": "2026-11-30T09:00:00Z", "body": [] })
        .to_string(),
    );
    assert!(matches!(
        dots,
        Err(khabar_server::import::ImportError::Invalid { .. })
    ));
}
