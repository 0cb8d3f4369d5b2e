//! The API against a real temporary SQLite database, through the real router.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{fixture, fixture_with, get, get_json};
use http_body_util::BodyExt;
use khabar_server::import;
use serde_json::{json, Value};
use tower::ServiceExt;

#[tokio::test]
async fn seed_loads_original_demo_articles_in_both_languages() {
    let f = fixture(true);
    assert!(f.store.article_count().await.expect("count") >= 9);
    let (_, ar) = get_json(&f.router, "/api/v1/articles?lang=ar&limit=50").await;
    let (_, en) = get_json(&f.router, "/api/v1/articles?lang=en&limit=50").await;
    assert!(ar["items"].as_array().expect("items").len() >= 6);
    assert!(en["items"].as_array().expect("items").len() >= 3);
    // Seeding twice does nothing.
    assert_eq!(
        import::seed_if_empty(f.store.as_ref()).await.expect("seed"),
        0
    );
}

#[tokio::test]
async fn list_is_newest_first_and_cursor_paged_without_gaps_or_repeats() {
    let f = fixture(true);
    let (status, all) = get_json(&f.router, "/api/v1/articles?limit=50").await;
    assert_eq!(status, StatusCode::OK);
    let all: Vec<String> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["id"].as_str().expect("id").to_owned())
        .collect();
    let times: Vec<i64> = {
        let (_, page) = get_json(&f.router, "/api/v1/articles?limit=50").await;
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|a| {
                khabar_server::model::parse_time(a["published_at"].as_str().expect("t"))
                    .expect("rfc3339")
                    .unix_timestamp()
            })
            .collect()
    };
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");

    let mut paged = Vec::new();
    let mut uri = "/api/v1/articles?limit=3".to_owned();
    loop {
        let (status, page) = get_json(&f.router, &uri).await;
        assert_eq!(status, StatusCode::OK);
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 3);
        paged.extend(
            items
                .iter()
                .map(|a| a["id"].as_str().expect("id").to_owned()),
        );
        match page["next"].as_str() {
            Some(next) => uri = format!("/api/v1/articles?limit=3&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(paged, all);
}

#[tokio::test]
async fn list_filters_by_section_and_caps_the_limit() {
    let f = fixture(true);
    let (_, page) = get_json(&f.router, "/api/v1/articles?section=economy").await;
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|a| a["section"] == "economy"));
    let (status, page) = get_json(&f.router, "/api/v1/articles?limit=100000").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page["items"].as_array().expect("items").len() <= 50);
    let (status, body) = get_json(&f.router, "/api/v1/articles?cursor=%21%21").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "bad_request");
}

#[tokio::test]
async fn article_has_every_field_and_404_is_json() {
    let f = fixture(true);
    let (status, a) = get_json(&f.router, "/api/v1/articles/2026-11-28-transit-plan").await;
    assert_eq!(status, StatusCode::OK);
    for field in [
        "id",
        "url",
        "title",
        "summary",
        "body",
        "published_at",
        "updated_at",
        "source",
        "section",
        "author",
        "lang",
        "comments_open",
        "comment_count",
    ] {
        assert!(a.get(field).is_some(), "missing {field}");
    }
    assert_eq!(a["lang"], "ar");
    assert_eq!(a["comment_count"], 0);
    assert_eq!(a["body"][0]["type"], "paragraph");

    let (status, body) = get_json(&f.router, "/api/v1/articles/no-such-article").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn import_upserts_and_refuses_bad_files_whole() {
    let f = fixture(false);
    let store = f.store.as_ref();
    let article = json!({
        "id": "imported-1",
        "url": "https://n.test/imported-1",
        "title": "خبر مستورد",
        "published_at": "2026-01-02T03:04:05+03:00",
        "body_html": "<p>نص</p>"
    });
    assert_eq!(
        import::import_json(store, &article.to_string())
            .await
            .expect("one"),
        1
    );
    let mut changed = article.clone();
    changed["title"] = json!("عنوان جديد");
    let list = json!({ "items": [changed, { "id": "imported-2", "url": "https://n.test/2", "title": "t", "published_at": "2026-01-03T00:00:00Z", "body": [] }] });
    assert_eq!(
        import::import_json(store, &list.to_string())
            .await
            .expect("list"),
        2
    );
    assert_eq!(store.article_count().await.expect("count"), 2);
    let stored = store
        .article("imported-1")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(stored.title, "عنوان جديد");
    assert_eq!(stored.body_html.as_deref(), Some("<p>نص</p>"));

    // One bad article refuses the whole file and names it.
    let bad = json!([
        { "id": "fine", "url": "https://n.test/f", "title": "t", "published_at": "2026-01-03T00:00:00Z", "body": [] },
        { "id": "bad", "url": "javascript:alert(1)", "title": "t", "published_at": "2026-01-03T00:00:00Z", "body": [] }
    ]);
    let err = import::import_json(store, &bad.to_string())
        .await
        .expect_err("refused");
    assert!(
        err.to_string().contains("#2") && err.to_string().contains("url"),
        "{err}"
    );
    assert!(store.article("fine").await.expect("get").is_none());
    assert!(import::import_json(store, "{not json").await.is_err());
}

#[tokio::test]
async fn static_files_have_the_right_types_cache_and_cors() {
    let f = fixture(true);
    let (status, headers, _) = get(&f.router, "/khabar/khabar_core_bg.wasm").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/wasm");
    assert_eq!(headers["cache-control"], "no-cache");
    assert_eq!(headers["access-control-allow-origin"], "*");
    // As a CDN origin for dist/cdn/: hashed names are cached forever and
    // may be used by pages of any origin (module scripts need CORS).
    for (path, ty) in [
        ("/khabar/khabar_bg.0123abcdef.wasm", "application/wasm"),
        ("/khabar/khabar.89abcdef01.js", "text/javascript"),
    ] {
        let (status, headers, _) = get(&f.router, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            headers["content-type"]
                .to_str()
                .expect("ct")
                .starts_with(ty),
            "{path}: {:?}",
            headers["content-type"]
        );
        assert_eq!(
            headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(headers["access-control-allow-origin"], "*");
        assert_eq!(headers["cross-origin-resource-policy"], "cross-origin");
    }
    let (status, headers, body) = get(&f.router, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-type"]
        .to_str()
        .expect("ct")
        .starts_with("text/html"));
    assert!(String::from_utf8_lossy(&body).contains("<title>t</title>"));
}

#[tokio::test]
async fn api_answers_cors_preflight_and_compresses() {
    let f = fixture(true);
    let res = f
        .router
        .clone()
        .oneshot(
            Request::builder()
                .method("OPTIONS")
                .uri("/api/v1/articles")
                .header("origin", "https://other.test")
                .header("access-control-request-method", "GET")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert!(res.status().is_success());
    assert_eq!(res.headers()["access-control-allow-origin"], "*");

    let res = f
        .router
        .clone()
        .oneshot(
            Request::get("/api/v1/articles?limit=50")
                .header("accept-encoding", "gzip")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(res.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn article_and_list_answer_304_to_a_matching_etag() {
    let f = fixture(true);
    for uri in [
        "/api/v1/articles/2026-11-28-transit-plan",
        "/api/v1/articles?limit=5",
    ] {
        let (status, headers, body) = get(&f.router, uri).await;
        assert_eq!(status, StatusCode::OK);
        let etag = headers["etag"].to_str().expect("etag").to_owned();
        assert!(etag.starts_with("W/\""), "{etag}");
        assert!(!body.is_empty());
        let res = f
            .router
            .clone()
            .oneshot(
                Request::get(uri)
                    .header("if-none-match", &etag)
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(res.headers()["etag"], etag.as_str());
        let body = res.into_body().collect().await.expect("body").to_bytes();
        assert!(body.is_empty());
        let res = f
            .router
            .clone()
            .oneshot(
                Request::get(uri)
                    .header("if-none-match", "W/\"0000000000000000\"")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
        assert_eq!(res.status(), StatusCode::OK);
    }
}

/// Sends a GET of `uri`, with the bearer `token` when there is one.
async fn get_as(router: &axum::Router, uri: &str, token: Option<&str>) -> axum::response::Response {
    let mut req = Request::get(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    router
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("response")
}

#[tokio::test]
async fn a_cdn_may_keep_reads_but_never_an_answer_to_a_token() {
    let f = fixture_with(true, |mut s| {
        s.cdn_max_age = 10;
        s.admin_token = Some("s3cret-token".into());
        s
    });
    let public = get_as(&f.router, "/api/v1/articles/2026-11-28-transit-plan", None).await;
    assert_eq!(public.status(), StatusCode::OK);
    assert_eq!(
        public.headers()["cache-control"],
        "public, max-age=0, s-maxage=10, stale-while-revalidate=50"
    );
    // The moderation API's list holds readers' addresses: a shared cache
    // that stored it would give it to anyone who asks for the same URL.
    for uri in ["/api/v1/admin/comments", "/api/v1/admin/blocks"] {
        let res = get_as(&f.router, uri, Some("s3cret-token")).await;
        assert_eq!(res.status(), StatusCode::OK, "{uri}");
        assert_eq!(res.headers()["cache-control"], "private, no-store", "{uri}");
    }
    // Any read sent with credentials, a public one too.
    let res = get_as(&f.router, "/api/v1/articles?limit=2", Some("s3cret-token")).await;
    assert_eq!(res.headers()["cache-control"], "private, no-store");
}

/// A CDN keeps a 404 (a story read before its push landed) no longer than
/// an article, and no other error at all; HEAD reads are told the same as
/// GETs; a path under /api/v1 that names nothing answers as the API does.
#[tokio::test]
async fn a_cdn_keeps_a_missing_page_briefly_and_no_error_at_all() {
    let f = fixture_with(true, |mut s| {
        s.cdn_max_age = 10;
        s
    });
    let policy = "public, max-age=0, s-maxage=10, stale-while-revalidate=50";
    let missing = get_as(&f.router, "/api/v1/articles/not-yet-pushed", None).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.headers()["cache-control"], policy);
    let refused = get_as(&f.router, "/api/v1/articles?sort=sideways&cursor=x", None).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(refused.headers()["cache-control"], "no-store");
    let head = f
        .router
        .clone()
        .oneshot(
            Request::head("/api/v1/articles/2026-11-28-transit-plan")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["cache-control"], policy);
    assert!(head.headers().contains_key("etag"));

    let res = f
        .router
        .clone()
        .oneshot(
            Request::get("/api/v1/comments/5/nothing-here")
                .header("origin", "https://news.example")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    let body = res.into_body().collect().await.expect("body").to_bytes();
    let error: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(error["error"]["code"], "not_found", "{error}");

    // A known address asked with a method it does not take: 405, in the
    // same JSON, and the methods it takes.
    let res = f
        .router
        .clone()
        .oneshot(
            Request::put("/api/v1/articles")
                .header("origin", "https://news.example")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    let allow = res
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap_or("").to_owned());
    assert!(
        allow.as_deref().is_some_and(|a| a.contains("GET")),
        "{allow:?}"
    );
    let body = res.into_body().collect().await.expect("body").to_bytes();
    let error: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(error["error"]["code"], "method_not_allowed", "{error}");
}

#[tokio::test]
async fn a_read_larger_than_the_validator_limit_is_served_untagged() {
    let f = fixture(false);
    // 9 MB of body: over the 8 MiB the ETag middleware reads to hash.
    let paragraph = "كلمة ".repeat(1000);
    let body: Vec<Value> = (0..1000)
        .map(|_| json!({ "type": "paragraph", "text": paragraph }))
        .collect();
    let article = json!({
        "id": "long-read",
        "url": "https://n.test/long-read",
        "title": "ملف طويل",
        "published_at": "2026-01-02T03:04:05+03:00",
        "body": body
    });
    import::import_json(f.store.as_ref(), &article.to_string())
        .await
        .expect("imported");
    let res = get_as(&f.router, "/api/v1/articles/long-read", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!res.headers().contains_key("etag"));
    assert_eq!(res.headers()["cache-control"], "no-cache");
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    assert!(bytes.len() > 8 * 1024 * 1024, "{}", bytes.len());
    let read: Value = serde_json::from_slice(&bytes).expect("JSON");
    assert_eq!(read["body"].as_array().map(Vec::len), Some(1000));
}

#[tokio::test]
async fn a_page_size_past_any_limit_is_capped_and_malformed_input_is_refused_in_json() {
    let f = fixture_with(true, |mut s| {
        s.admin_token = Some("s3cret-token".into());
        s
    });
    // "Larger values are capped, not refused", however large.
    for huge in ["99999999999", "184467440737095516150"] {
        let (status, list) = get_json(&f.router, &format!("/api/v1/articles?limit={huge}")).await;
        assert_eq!(status, StatusCode::OK, "{huge}: {list}");
        assert!(!list["items"].as_array().expect("items").is_empty());
        let uri = format!("/api/v1/articles/2026-11-28-transit-plan/comments?limit={huge}");
        assert_eq!(get_json(&f.router, &uri).await.0, StatusCode::OK, "{huge}");
    }
    // What is not a number gets the API's JSON refusal, not a line of text.
    for uri in [
        "/api/v1/articles?limit=-1",
        "/api/v1/articles?limit=ten",
        "/api/v1/articles/2026-11-28-transit-plan/comments?limit=1.5",
        "/api/v1/comments?url=https://news.example/a&limit=x",
    ] {
        let (status, headers, body) = get(&f.router, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(headers["content-type"], "application/json", "{uri}");
        let body: Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(body["error"]["code"], "bad_request", "{uri}: {body}");
    }
    let res = get_as(
        &f.router,
        "/api/v1/admin/blocks?limit=many",
        Some("s3cret-token"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = f
        .router
        .clone()
        .oneshot(
            Request::post("/api/v1/admin/comments/first/approve")
                .header("authorization", "Bearer s3cret-token")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body = res.into_body().collect().await.expect("body").to_bytes();
    let body: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(body["error"]["code"], "bad_request", "{body}");
}

#[tokio::test]
async fn image_paths_become_absolute_urls_of_the_requested_host() {
    let f = fixture(true);
    let res = f
        .router
        .clone()
        .oneshot(
            Request::get("/api/v1/articles/2026-11-28-transit-plan")
                .header("host", "news.test:8080")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    let body = res.into_body().collect().await.expect("body").to_bytes();
    let a: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(a["image"]["url"], "http://news.test:8080/images/bus.svg");
    let (_, a) = get_json(&f.router, "/api/v1/articles/2025-none").await;
    assert_eq!(a["error"]["code"], "not_found");
}

#[tokio::test]
async fn html_bodies_and_every_language_of_the_demo_are_served() {
    let f = fixture(true);
    let (_, a) = get_json(&f.router, "/api/v1/articles/2026-11-25-book-fair").await;
    assert!(a["body_html"]
        .as_str()
        .expect("html")
        .contains("<blockquote>"));
    assert!(a.get("body").is_none());
    for lang in ["ar", "fa", "ur", "he", "en", "fr"] {
        let (_, page) = get_json(&f.router, &format!("/api/v1/articles?lang={lang}")).await;
        assert!(
            !page["items"].as_array().expect("items").is_empty(),
            "no demo article in {lang}"
        );
    }
}

/// The language filter takes a language tag in any case and only one: `%`
/// or `_` are no wildcards, but a `400`.
#[tokio::test]
async fn the_language_filter_is_a_tag_in_any_case_never_a_pattern() {
    let f = fixture(false);
    let articles = json!([
        { "id": "l-1", "url": "https://n.test/l-1", "title": "أ", "lang": "ar",
          "published_at": "2026-12-04T10:00:00Z", "body": [] },
        { "id": "l-2", "url": "https://n.test/l-2", "title": "ب", "lang": "ar-EG",
          "published_at": "2026-12-04T11:00:00Z", "body": [] },
        { "id": "l-3", "url": "https://n.test/l-3", "title": "c", "lang": "fr",
          "published_at": "2026-12-04T12:00:00Z", "body": [] },
    ]);
    import::import_json(f.store.as_ref(), &articles.to_string())
        .await
        .expect("imported");
    let ids = |page: &Value| -> Vec<String> {
        let mut ids: Vec<String> = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|a| a["id"].as_str().expect("id").to_owned())
            .collect();
        ids.sort();
        ids
    };
    for lang in ["ar", "AR", "Ar"] {
        let (status, page) = get_json(&f.router, &format!("/api/v1/articles?lang={lang}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ids(&page), ["l-1", "l-2"], "{lang}");
    }
    let (_, page) = get_json(&f.router, "/api/v1/articles?lang=ar-eg").await;
    assert_eq!(ids(&page), ["l-2"]);
    for lang in ["%25", "_r", "a%25"] {
        let (status, body) = get_json(&f.router, &format!("/api/v1/articles?lang={lang}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{lang}: {body}");
    }
}

/// An id that is not UTF-8 is refused in the API's JSON on every public
/// route, as other bad requests are, not in axum's plain text.
#[tokio::test]
async fn an_id_that_is_not_utf8_is_a_json_bad_request() {
    let f = fixture(true);
    for (method, uri) in [
        ("GET", "/api/v1/articles/%FF"),
        ("GET", "/api/v1/articles/%FF/comments"),
        ("POST", "/api/v1/articles/%FF/comments"),
        ("POST", "/api/v1/articles/%FF/send"),
    ] {
        let res = f
            .router
            .clone()
            .oneshot(
                Request::builder()
                    .method(method)
                    .uri(uri)
                    .header("content-type", "application/json")
                    .body(Body::from("{}"))
                    .expect("request"),
            )
            .await
            .expect("response");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{method} {uri}");
        let body = res.into_body().collect().await.expect("body").to_bytes();
        let body: Value = serde_json::from_slice(&body)
            .unwrap_or_else(|_| panic!("{method} {uri}: {}", String::from_utf8_lossy(&body)));
        assert_eq!(body["error"]["code"], "bad_request", "{method} {uri}");
    }
}
