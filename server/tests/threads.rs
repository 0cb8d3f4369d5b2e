//! Comments for any page of the site, by its URL: the first comment
//! creates the thread; URLs and browsers outside `--site` are refused.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{fixture_with, get, get_json, post_json};
use http_body_util::BodyExt;
use khabar_server::comments::Moderation;
use khabar_server::model::Article;
use khabar_server::ratelimit::RateLimit;
use khabar_server::threads::Sites;
use serde_json::{json, Value};
use tower::ServiceExt;

const PAGE: &str = "https://news.example/2026/11/30/السوق";

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn site_fixture() -> common::Fixture {
    fixture_with(true, |mut s| {
        s.moderation = Moderation::Post;
        s.sites = Sites::parse(&["https://news.example"]).expect("sites");
        s.comment_limit = Arc::new(RateLimit::new(0, Duration::from_secs(60)));
        s
    })
}

fn comment(key: &str) -> Value {
    json!({ "author": "Huda", "body": "تعليق على صفحة الموقع", "idempotency_key": key,
            "title": "<b>السوق</b> الشتوي يعود" })
}

async fn post_with_origin(
    router: &axum::Router,
    uri: &str,
    body: &Value,
    origin: &str,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let res = router
        .clone()
        .oneshot(
            Request::post(uri)
                .header("content-type", "application/json")
                .header("origin", origin)
                .body(Body::from(body.to_string()))
                .expect("request"),
        )
        .await
        .expect("response");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn without_sites_comments_by_url_are_off() {
    let f = fixture_with(true, |s| s);
    let (status, body) = get_json(&f.router, &format!("/api/v1/comments?url={}", enc(PAGE))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"]
        .as_str()
        .expect("message")
        .contains("--site"));
}

#[tokio::test]
async fn the_first_comment_creates_the_thread_of_any_page_of_the_site() {
    let f = site_fixture();
    let list = format!("/api/v1/comments?url={}", enc(PAGE));
    let (status, empty) = get_json(&f.router, &list).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        empty,
        json!({ "items": [], "next": null, "total": 0, "article_id": null,
                "reply_notifications": false, "comments_open": true })
    );

    let (status, _, created) = post_json(&f.router, &list, &comment("key-thread-001"), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["article_id"]
        .as_str()
        .expect("thread id")
        .to_owned();
    assert!(id.starts_with("t-"));

    // The same page however the link was written.
    for variant in [
        "http://NEWS.example/2026/11/30/%d8%a7%d9%84%d8%b3%d9%88%d9%82/",
        "https://news.example/2026/11/30/السوق?utm_source=share#comments",
    ] {
        let (_, page) =
            get_json(&f.router, &format!("/api/v1/comments?url={}", enc(variant))).await;
        assert_eq!(page["total"], 1, "{variant}: {page}");
        assert_eq!(page["article_id"], json!(id));
    }
    // Its title is text the server holds, never markup.
    let stored: Article = f.store.article(&id).await.expect("get").expect("thread");
    assert_eq!(stored.title, "السوق الشتوي يعود");
    // Threads are never listed.
    let (_, articles) = get_json(&f.router, "/api/v1/articles?limit=50").await;
    assert!(!articles.to_string().contains(&id));
    let (_, _, feed) = get(&f.router, "/feed.json").await;
    assert!(!String::from_utf8_lossy(&feed).contains(&id));
    // Nor answered as an article: its title is a reader's, maybe one no
    // moderator has seen yet.
    let (status, _) = get_json(&f.router, &format!("/api/v1/articles/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// A thread's first comment does not name its page for good: the
/// honeypot's catch gives it no title, and a later comment's title is
/// taken while none is published; once one is, the title stays.
#[tokio::test]
async fn a_threads_title_is_a_readers_until_a_comment_is_published() {
    let f = fixture_with(true, |mut s| {
        s.moderation = Moderation::Pre;
        s.sites = Sites::parse(&["https://news.example"]).expect("sites");
        s.comment_limit = Arc::new(RateLimit::new(0, Duration::from_secs(60)));
        s
    });
    let list = format!("/api/v1/comments?url={}", enc(PAGE));
    let titled = |key: &str, title: &str, website: Option<&str>| {
        json!({ "author": "Huda", "body": "تعليق على صفحة الموقع", "idempotency_key": key,
                "title": title, "website": website })
    };
    let title_now = |id: String| {
        let store = f.store.clone();
        async move {
            store
                .article(&id)
                .await
                .expect("get")
                .expect("thread")
                .title
        }
    };
    let (status, _, spam) = post_json(
        &f.router,
        &list,
        &titled(
            "key-title-spam",
            "Buy cheap watches",
            Some("http://spam.example"),
        ),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{spam}");
    let id = spam["article_id"].as_str().expect("thread id").to_owned();
    assert!(!title_now(id.clone()).await.contains("watches"));
    post_json(
        &f.router,
        &list,
        &titled("key-title-1", "Cheap flights", None),
        &[],
    )
    .await;
    assert_eq!(title_now(id.clone()).await, "Cheap flights");
    // While none is published (that one waits, and may be rejected), the
    // next reader's title names the page.
    let (_, _, second) = post_json(
        &f.router,
        &list,
        &titled("key-title-2", "السوق الشتوي", None),
        &[],
    )
    .await;
    assert_eq!(title_now(id.clone()).await, "السوق الشتوي");
    // A comment refused (a reply to no comment) names nothing.
    let mut refused = titled("key-title-refused", "Refused title", None);
    refused["parent_id"] = json!(999_999);
    let (status, _, _) = post_json(&f.router, &list, &refused, &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(title_now(id.clone()).await, "السوق الشتوي");
    f.store
        .set_comment_status(
            second["comment"]["id"].as_i64().expect("id"),
            khabar_server::store::Status::Published,
        )
        .await
        .expect("approve")
        .expect("exists");
    post_json(
        &f.router,
        &list,
        &titled("key-title-3", "Another title", None),
        &[],
    )
    .await;
    assert_eq!(
        title_now(id).await,
        "السوق الشتوي",
        "a published comment's page keeps it"
    );

    // Under post-moderation, the first reader's comment after the
    // honeypot's catch, published at once, names the page.
    let f = site_fixture();
    let (_, _, spam) = post_json(
        &f.router,
        &list,
        &titled(
            "key-post-spam",
            "Buy cheap watches",
            Some("http://spam.example"),
        ),
        &[],
    )
    .await;
    let id = spam["article_id"].as_str().expect("thread id").to_owned();
    post_json(
        &f.router,
        &list,
        &titled("key-post-1", "السوق الشتوي", None),
        &[],
    )
    .await;
    post_json(
        &f.router,
        &list,
        &titled("key-post-2", "Later title", None),
        &[],
    )
    .await;
    let stored = f.store.article(&id).await.expect("get").expect("thread");
    assert_eq!(stored.title, "السوق الشتوي");
}

#[tokio::test]
async fn a_client_past_its_limit_creates_no_thread() {
    let f = fixture_with(true, |mut s| {
        s.moderation = Moderation::Post;
        s.sites = Sites::parse(&["https://news.example"]).expect("sites");
        s.comment_limit = Arc::new(RateLimit::new(1, Duration::from_secs(600)));
        s
    });
    let first = format!("/api/v1/comments?url={}", enc(PAGE));
    let (status, _, created) = post_json(&f.router, &first, &comment("key-limit-001"), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    // The second page's first comment is over the limit: refused, and the
    // page gets no thread (no article row, nothing for an import to find).
    let second_page = "https://news.example/2026/12/01/other";
    let second = format!("/api/v1/comments?url={}", enc(second_page));
    let (status, _, refused) = post_json(&f.router, &second, &comment("key-limit-002"), &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{refused}");
    let (_, page) = get_json(&f.router, &second).await;
    assert_eq!(page["article_id"], json!(null), "{page}");
    let urls = f.store.article_urls().await.expect("urls");
    assert!(
        !urls.iter().any(|(_, url, _)| url.contains("/2026/12/01/")),
        "{urls:?}"
    );
}

#[tokio::test]
async fn an_article_the_server_holds_is_the_thread_of_its_url() {
    let f = site_fixture();
    let article: Article = serde_json::from_value(json!({
        "id": "pushed-1", "url": "https://news.example/2026/11/30/port", "title": "الميناء",
        "published_at": "2026-11-30T08:00:00Z", "body": []
    }))
    .expect("article");
    f.store
        .upsert_articles(vec![article], Some("push"))
        .await
        .expect("store");
    let uri = format!(
        "/api/v1/comments?url={}",
        enc("https://news.example/2026/11/30/port/")
    );
    let (status, _, created) = post_json(&f.router, &uri, &comment("key-thread-002"), &[]).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["article_id"], "pushed-1");
    let (_, page) = get_json(&f.router, "/api/v1/articles/pushed-1/comments").await;
    assert_eq!(page["total"], 1);
}

#[tokio::test]
async fn a_wordpress_permalink_is_the_thread_of_its_page() {
    // As WordPress writes links: lower-case percent-encoding and a trailing
    // slash; the page's canonical URL has neither.
    let f = site_fixture();
    let link = "https://news.example/2026/11/30/%d8%a7%d9%84%d8%b3%d9%88%d9%82/";
    let article: Article = serde_json::from_value(json!({
        "id": "news.example-17", "url": link, "title": "السوق",
        "published_at": "2026-11-30T08:00:00Z", "body": []
    }))
    .expect("article");
    f.store
        .upsert_articles(vec![article], Some("push"))
        .await
        .expect("store");
    for (n, page) in [
        PAGE,
        link,
        "https://News.example/2026/11/30/%D8%A7%D9%84%D8%B3%D9%88%D9%82?utm_source=x",
    ]
    .into_iter()
    .enumerate()
    {
        let uri = format!("/api/v1/comments?url={}", enc(page));
        let (_, listed) = get_json(&f.router, &uri).await;
        assert_eq!(listed["article_id"], "news.example-17", "{page}");
        let key = format!("key-thread-wp-{n}");
        let (status, _, created) = post_json(&f.router, &uri, &comment(&key), &[]).await;
        assert_eq!(status, StatusCode::CREATED, "{page}");
        assert_eq!(created["article_id"], "news.example-17", "{page}");
    }
    let (_, page) = get_json(&f.router, "/api/v1/articles/news.example-17/comments").await;
    assert_eq!(page["total"], 3);
}

#[tokio::test]
async fn an_article_stored_after_readers_commented_on_its_page_takes_their_comments() {
    // The site embedded comments by URL first; its CMS's articles came
    // later (a sync, the publishing API), with the link as the CMS writes it.
    let f = site_fixture();
    let uri = format!("/api/v1/comments?url={}", enc(PAGE));
    let (status, _, created) = post_json(&f.router, &uri, &comment("key-adopt-001"), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let thread = created["article_id"].as_str().expect("thread").to_owned();
    let comment_id = created["comment"]["id"].clone();

    let link = "https://news.example/2026/11/30/%d8%a7%d9%84%d8%b3%d9%88%d9%82/";
    let article: Article = serde_json::from_value(json!({
        "id": "news.example-18", "url": link, "title": "السوق",
        "published_at": "2026-11-30T08:00:00Z", "body": []
    }))
    .expect("article");
    for _ in 0..2 {
        // Stored twice, as every sync stores it again: nothing moves twice.
        f.store
            .upsert_articles(vec![article.clone()], Some("https://news.example/feed"))
            .await
            .expect("store");
    }
    // One conversation, the article's, whichever way the page is asked for.
    let (_, by_url) = get_json(&f.router, &uri).await;
    assert_eq!(by_url["article_id"], "news.example-18", "{by_url}");
    assert_eq!(by_url["total"], 1);
    assert_eq!(by_url["items"][0]["id"], comment_id);
    let (_, by_id) = get_json(&f.router, "/api/v1/articles/news.example-18/comments").await;
    assert_eq!(by_id["items"][0]["id"], comment_id);
    let (_, counts) = get_json(&f.router, &format!("/api/v1/counts?url={}", enc(link))).await;
    assert_eq!(counts["counts"][link], 1, "{counts}");
    assert!(f.store.article(&thread).await.expect("get").is_none());
    // And the next comment on the page goes to the article too.
    let (_, _, next) = post_json(&f.router, &uri, &comment("key-adopt-002"), &[]).await;
    assert_eq!(next["article_id"], "news.example-18");
}

/// Stores an article of `url` for the tests below, as a push would.
async fn store_article(f: &common::Fixture, id: &str, url: &str) {
    let article: Article = serde_json::from_value(json!({
        "id": id, "url": url, "title": "خبر", "published_at": "2026-11-30T08:00:00Z", "body": []
    }))
    .expect("article");
    f.store
        .upsert_articles(vec![article], Some("push"))
        .await
        .expect("store");
}

#[tokio::test]
async fn a_page_meets_its_article_whether_its_url_spells_letters_or_escapes() {
    // A push or an import may store the letters themselves; browsers send
    // them escaped, and a host page's own list may give them as written.
    let f = site_fixture();
    let letters = "https://news.example/2026/11/29/المرفأ";
    let escaped = "https://news.example/2026/11/29/%D8%A7%D9%84%D9%85%D8%B1%D9%81%D8%A3";
    store_article(&f, "as-letters", letters).await;
    let wordpress = "https://news.example/2026/11/30/%d8%a7%d9%84%d8%b3%d9%88%d9%82/";
    store_article(&f, "as-escapes", wordpress).await;
    for (n, (page, id)) in [
        (escaped, "as-letters"),
        (letters, "as-letters"),
        (PAGE, "as-escapes"),
    ]
    .into_iter()
    .enumerate()
    {
        let uri = format!("/api/v1/comments?url={}", enc(page));
        let key = format!("key-letters-{n}");
        let (status, _, created) = post_json(&f.router, &uri, &comment(&key), &[]).await;
        assert_eq!(status, StatusCode::CREATED, "{page}: {created}");
        assert_eq!(created["article_id"], id, "{page}");
    }
    // `enc` escapes the query: the server reads the letters themselves.
    let uri = format!(
        "/api/v1/counts?url={}&url={}&url={}",
        enc(letters),
        enc(escaped),
        enc(PAGE)
    );
    let (status, counts) = get_json(&f.router, &uri).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(counts["counts"][letters], 2, "{counts}");
    assert_eq!(counts["counts"][escaped], 2, "{counts}");
    assert_eq!(counts["counts"][PAGE], 1, "{counts}");

    // A thread opened by URL before its article came with the letters.
    let bridge = "https://news.example/2026/11/28/الجسر";
    let uri = format!("/api/v1/comments?url={}", enc(bridge));
    let (_, _, created) = post_json(&f.router, &uri, &comment("key-letters-9"), &[]).await;
    assert!(created["article_id"]
        .as_str()
        .expect("thread")
        .starts_with("t-"));
    store_article(&f, "bridge", bridge).await;
    let (_, by_url) = get_json(&f.router, &uri).await;
    assert_eq!(by_url["article_id"], "bridge", "{by_url}");
    assert_eq!(by_url["total"], 1);
}

#[tokio::test]
async fn a_hidden_articles_page_is_gone_and_opens_no_second_thread() {
    let f = site_fixture();
    let url = "https://news.example/2026/11/27/withdrawn";
    store_article(&f, "withdrawn", url).await;
    let uri = format!("/api/v1/comments?url={}", enc(url));
    let (status, _, _) = post_json(&f.router, &uri, &comment("key-hidden-01"), &[]).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(f
        .store
        .set_article_hidden("withdrawn", true)
        .await
        .expect("hide"));
    // As its comments by id: 404, and nothing is stored beside it.
    let (status, listed) = get_json(&f.router, &uri).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{listed}");
    let (status, _, refused) = post_json(&f.router, &uri, &comment("key-hidden-02"), &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{refused}");
    // The retry of the comment stored before gets its stored answer, as
    // by id; a comment that cannot be taken is told so first.
    let (status, _, again) = post_json(&f.router, &uri, &comment("key-hidden-01"), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["article_id"], "withdrawn");
    // Not the key of another page's comment: a conflict, as by id.
    let other = "https://news.example/2026/11/27/other";
    store_article(&f, "other", other).await;
    let (status, _, _) = post_json(
        &f.router,
        &format!("/api/v1/comments?url={}", enc(other)),
        &comment("key-other-01"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, taken) = post_json(&f.router, &uri, &comment("key-other-01"), &[]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{taken}");
    // The address is checked before the comment: another site's is
    // refused as such, not as an empty comment.
    let mut empty = comment("key-hidden-05");
    empty["body"] = json!("");
    let elsewhere = format!(
        "/api/v1/comments?url={}",
        enc("https://elsewhere.example/a")
    );
    let (status, _, _) = post_json(&f.router, &elsewhere, &empty, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut empty = comment("key-hidden-04");
    empty["body"] = json!("");
    let (status, _, invalid) = post_json(&f.router, &uri, &empty, &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{invalid}");
    assert_eq!(common::comment_total(&f.store).await, 2);
    let (_, counts) = get_json(&f.router, &format!("/api/v1/counts?url={}", enc(url))).await;
    assert_eq!(counts["counts"], json!({}));

    // Shown again, it has its one comment, and takes the next.
    assert!(f
        .store
        .set_article_hidden("withdrawn", false)
        .await
        .expect("show"));
    let (_, _, created) = post_json(&f.router, &uri, &comment("key-hidden-03"), &[]).await;
    assert_eq!(created["article_id"], "withdrawn");
    let (_, listed) = get_json(&f.router, &uri).await;
    assert_eq!(listed["total"], 2);
}

#[tokio::test]
async fn an_article_stored_with_a_path_is_the_thread_of_that_path_on_the_site() {
    // Imports that give paths, and the demo, store `/…`: the page of that
    // path is the article's, as `/counts` has it, and opens no second thread.
    let f = site_fixture();
    store_article(&f, "by-path", "/2026/11/26/harbour/").await;
    store_article(&f, "by-query", "/?article=a1").await;
    for (n, (page, id)) in [
        ("https://news.example/2026/11/26/harbour", "by-path"),
        (
            "http://News.example/2026/11/26/harbour/?utm_source=x",
            "by-path",
        ),
        ("https://news.example/?article=a1&fbclid=y", "by-query"),
    ]
    .into_iter()
    .enumerate()
    {
        let uri = format!("/api/v1/comments?url={}", enc(page));
        let (_, listed) = get_json(&f.router, &uri).await;
        assert_eq!(listed["article_id"], id, "{page}: {listed}");
        let (status, _, created) =
            post_json(&f.router, &uri, &comment(&format!("key-path-{n}")), &[]).await;
        assert_eq!(status, StatusCode::CREATED, "{page}: {created}");
        assert_eq!(created["article_id"], id, "{page}");
    }
    let page = "https://news.example/2026/11/26/harbour";
    let (_, counts) = get_json(&f.router, &format!("/api/v1/counts?url={}", enc(page))).await;
    assert_eq!(counts["counts"][page], 2, "{counts}");
    let urls = f.store.article_urls().await.expect("urls");
    assert!(
        !urls.iter().any(|(id, _, _)| id.starts_with("t-")),
        "{urls:?}"
    );

    // An article with the page's whole URL is closer than one with its path.
    store_article(&f, "by-url", "https://news.example/2026/11/26/harbour").await;
    let uri = format!("/api/v1/comments?url={}", enc(page));
    let (_, listed) = get_json(&f.router, &uri).await;
    assert_eq!(listed["article_id"], "by-url");

    // A thread opened before its article came with a path goes to it.
    let late = "https://news.example/?article=late";
    let uri = format!("/api/v1/comments?url={}", enc(late));
    let (_, _, created) = post_json(&f.router, &uri, &comment("key-path-late"), &[]).await;
    let thread = created["article_id"].as_str().expect("thread").to_owned();
    assert!(thread.starts_with("t-"), "{created}");
    store_article(&f, "late", "/?article=late").await;
    let (_, listed) = get_json(&f.router, &uri).await;
    assert_eq!(listed["article_id"], "late", "{listed}");
    assert_eq!(listed["total"], 1);
    assert!(f.store.article(&thread).await.expect("get").is_none());
    // Another page's thread stays its own.
    let other = "https://news.example/?article=later";
    let uri = format!("/api/v1/comments?url={}", enc(other));
    let (_, _, created) = post_json(&f.router, &uri, &comment("key-path-other"), &[]).await;
    store_article(&f, "late", "/?article=late").await;
    let (_, listed) = get_json(&f.router, &uri).await;
    assert_eq!(listed["article_id"], created["article_id"], "{listed}");
    assert_eq!(listed["total"], 1);

    // A script's page stored with a path and its query: comments by URL
    // and counts find it with the parameters in any order.
    store_article(&f, "script", "/news.php?cat=2&id=5").await;
    let page = "https://news.example/news.php?id=5&cat=2";
    let uri = format!("/api/v1/comments?url={}", enc(page));
    let (_, _, created) = post_json(&f.router, &uri, &comment("key-path-script"), &[]).await;
    assert_eq!(created["article_id"], "script", "{created}");
    let (_, counts) = get_json(&f.router, &format!("/api/v1/counts?url={}", enc(page))).await;
    assert_eq!(counts["counts"][page], 1, "{counts}");
}

#[tokio::test]
async fn other_sites_and_other_origins_are_refused() {
    let f = site_fixture();
    let outside = format!(
        "/api/v1/comments?url={}",
        enc("https://elsewhere.example/x")
    );
    let (status, _, body) = post_json(&f.router, &outside, &comment("key-thread-003"), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "url_not_allowed");

    let uri = format!("/api/v1/comments?url={}", enc(PAGE));
    let by_id = "/api/v1/articles/2026-11-28-transit-plan/comments";
    for target in [uri.as_str(), by_id] {
        let (status, headers, body) = post_with_origin(
            &f.router,
            target,
            &comment("key-thread-004"),
            "https://evil.example",
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{target}");
        assert_eq!(body["error"]["code"], "origin_not_allowed");
        assert_eq!(
            headers["access-control-allow-origin"], "*",
            "readable by the widget"
        );
    }
    let (status, _, _) = post_with_origin(
        &f.router,
        by_id,
        &comment("key-thread-005"),
        "https://news.example",
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the site's own pages may write"
    );
    let (status, _, _) = post_json(&f.router, by_id, &comment("key-thread-006"), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "no Origin: server to server");
    // Reads stay open to every origin.
    let (status, _) = get_json(&f.router, by_id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(common::comment_total(&f.store).await, 2);
}

#[tokio::test]
async fn pages_their_query_names_have_a_thread_each() {
    // Plain WordPress links and an older CMS's script: the query is the page.
    let f = site_fixture();
    let mut threads = Vec::new();
    for (n, page) in [
        "https://news.example/?p=12",
        "https://news.example/?p=13",
        "https://news.example/news.php?id=5&cat=2",
    ]
    .into_iter()
    .enumerate()
    {
        let uri = format!("/api/v1/comments?url={}", enc(page));
        let key = format!("key-query-{n:03}");
        let (status, _, created) = post_json(&f.router, &uri, &comment(&key), &[]).await;
        assert_eq!(status, StatusCode::CREATED, "{page}: {created}");
        threads.push(created["article_id"].as_str().expect("thread").to_owned());
    }
    threads.dedup();
    assert_eq!(threads.len(), 3, "{threads:?}");
    // Each page lists its own comment, however its query is written.
    for (page, thread) in [
        ("https://news.example/?utm_source=x&p=12", &threads[0]),
        ("http://news.example/?p=13#comments", &threads[1]),
        (
            "https://news.example/news.php?cat=2&fbclid=z&id=5",
            &threads[2],
        ),
    ] {
        let (_, listed) = get_json(&f.router, &format!("/api/v1/comments?url={}", enc(page))).await;
        assert_eq!(listed["article_id"], json!(thread), "{page}");
        assert_eq!(listed["total"], 1, "{page}");
    }
    // The bare root is another page, with no comments.
    let (_, root) = get_json(
        &f.router,
        &format!("/api/v1/comments?url={}", enc("https://news.example/")),
    )
    .await;
    assert_eq!(root["total"], 0, "{root}");
    // A view of an article (its second page) is still the article.
    let (_, _, a) = post_json(
        &f.router,
        &format!("/api/v1/comments?url={}", enc(PAGE)),
        &comment("key-query-view"),
        &[],
    )
    .await;
    let (_, view) = get_json(
        &f.router,
        &format!("/api/v1/comments?url={}", enc(&format!("{PAGE}?page=2"))),
    )
    .await;
    assert_eq!(view["article_id"], a["article_id"]);
    // A pushed article with a plain permalink takes its page's thread.
    store_article(&f, "wp-12", "https://news.example/?p=12").await;
    let (_, listed) = get_json(
        &f.router,
        &format!("/api/v1/comments?url={}", enc("https://news.example/?p=12")),
    )
    .await;
    assert_eq!(listed["article_id"], "wp-12", "{listed}");
    assert_eq!(listed["total"], 1);
    let (_, counts) = get_json(
        &f.router,
        &format!(
            "/api/v1/counts?url={}",
            enc("https://news.example/news.php?id=5&utm_source=q&cat=2")
        ),
    )
    .await;
    assert_eq!(
        counts["counts"]["https://news.example/news.php?id=5&utm_source=q&cat=2"], 1,
        "{counts}"
    );
    // Counts of a page its query names are its own, not the root's, over
    // either scheme.
    let root = format!("/api/v1/comments?url={}", enc("https://news.example/"));
    for n in 0..2 {
        let key = format!("key-query-root-{n}");
        post_json(&f.router, &root, &comment(&key), &[]).await;
    }
    let asked = "http://news.example/?p=13";
    let (_, counts) = get_json(&f.router, &format!("/api/v1/counts?url={}", enc(asked))).await;
    assert_eq!(counts["counts"][asked], 1, "{counts}");
}

#[tokio::test]
async fn an_article_stored_under_a_tracking_query_leaves_its_pages_thread_in_view() {
    // A feed's link with a campaign tag: the page does not find the article
    // under it, so the page's thread must stay where the page finds it.
    let f = site_fixture();
    let uri = format!(
        "/api/v1/comments?url={}",
        enc("https://news.example/2026/bridge")
    );
    let (_, _, first) = post_json(&f.router, &uri, &comment("key-rss-001"), &[]).await;
    store_article(
        &f,
        "rss-1",
        "https://news.example/2026/bridge/?utm_source=rss",
    )
    .await;
    let (_, listed) = get_json(&f.router, &uri).await;
    assert_eq!(listed["article_id"], first["article_id"], "{listed}");
    assert_eq!(listed["total"], 1, "{listed}");
}

#[tokio::test]
async fn an_http_link_in_the_cms_is_the_page_of_the_https_site() {
    // A site that moved to https keeps its older articles' http:// links.
    let f = site_fixture();
    store_article(&f, "old-1", "http://news.example/2019/05/harbour/").await;
    let uri = format!(
        "/api/v1/comments?url={}",
        enc("https://news.example/2019/05/harbour")
    );
    let (status, _, created) = post_json(&f.router, &uri, &comment("key-scheme-001"), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["article_id"], "old-1");

    // And the other way: the thread came first, the http article later.
    let page = "https://news.example/2019/06/bridge";
    let uri = format!("/api/v1/comments?url={}", enc(page));
    let (_, _, first) = post_json(&f.router, &uri, &comment("key-scheme-002"), &[]).await;
    let thread = first["article_id"].as_str().expect("thread").to_owned();
    assert!(thread.starts_with("t-"), "{first}");
    store_article(&f, "old-2", "http://news.example/2019/06/bridge/").await;
    let (_, listed) = get_json(&f.router, &uri).await;
    assert_eq!(listed["article_id"], "old-2", "{listed}");
    assert_eq!(listed["total"], 1);
    assert!(f.store.article(&thread).await.expect("get").is_none());
}

#[tokio::test]
async fn a_reply_on_a_page_without_comments_opens_no_thread() {
    // Nothing to reply to yet: refused as any bad parent, and no thread
    // titled by its sender is left behind.
    let f = site_fixture();
    let page = "https://news.example/2026/12/01/rain";
    let uri = format!("/api/v1/comments?url={}", enc(page));
    let mut reply = comment("key-orphan-001");
    reply["parent_id"] = json!(1);
    reply["title"] = json!("Buy cheap watches");
    let (status, _, body) = post_json(&f.router, &uri, &reply, &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["error"]["fields"]["parent_id"]["code"], "invalid",
        "{body}"
    );
    let (_, listed) = get_json(&f.router, &uri).await;
    assert_eq!(listed["article_id"], Value::Null, "{listed}");
    let sites = Sites::parse(&["https://news.example"]).expect("sites");
    let canonical = sites.canonical(page).expect("canonical");
    let thread = khabar_server::threads::thread_id(&canonical);
    assert!(f.store.article(&thread).await.expect("get").is_none());
}

#[tokio::test]
async fn an_article_stored_with_lower_case_escapes_in_its_query_takes_its_pages_thread() {
    // The page finds the article under either case of hex digits, so the
    // thread opened before it must come along.
    let f = site_fixture();
    let uri = format!(
        "/api/v1/comments?url={}",
        enc("https://news.example/news.php?q=سوق")
    );
    post_json(&f.router, &uri, &comment("key-hex-001"), &[]).await;
    store_article(
        &f,
        "hex-1",
        "https://news.example/news.php?q=%d8%b3%d9%88%d9%82",
    )
    .await;
    let (_, listed) = get_json(&f.router, &uri).await;
    assert_eq!(listed["article_id"], "hex-1", "{listed}");
    assert_eq!(listed["total"], 1, "{listed}");
}

/// A bad `sort` or `cursor` is refused (`400`) on a page nobody commented
/// on yet as on one with comments: a widget's typo shows at once, not
/// once the page's first comment comes.
#[tokio::test]
async fn a_bad_sort_or_cursor_is_refused_before_the_first_comment() {
    let f = site_fixture();
    for query in ["sort=bogus", "cursor=x"] {
        let (status, body) = get_json(
            &f.router,
            &format!("/api/v1/comments?url={}&{query}", enc(PAGE)),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"]["code"], "bad_request", "{body}");
    }
    let _ = &f.dir;
}

#[tokio::test]
async fn a_page_by_url_cuts_replies_as_asked_and_its_comment_gives_the_rest() {
    let f = site_fixture();
    let list = format!("/api/v1/comments?url={}", enc(PAGE));
    let (status, _, created) = post_json(&f.router, &list, &comment("key-thread-rep"), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let top = created["comment"]["id"].as_i64().expect("id");
    let mut ids = Vec::new();
    for i in 0..3 {
        let mut reply = comment(&format!("key-thread-rep{i}"));
        reply["parent_id"] = json!(top);
        let (status, _, r) = post_json(&f.router, &list, &reply, &[]).await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
        ids.push(r["comment"]["id"].as_i64().expect("id"));
    }
    let (_, all) = get_json(&f.router, &list).await;
    assert_eq!(all["items"][0]["replies"].as_array().map(Vec::len), Some(3));
    let (_, cut) = get_json(&f.router, &format!("{list}&replies=2")).await;
    assert_eq!(cut["items"][0]["replies"].as_array().map(Vec::len), Some(2));
    let next = cut["items"][0]["replies_next"].as_str().expect("more");
    let (_, rest) = get_json(
        &f.router,
        &format!("/api/v1/comments/{top}/replies?cursor={next}"),
    )
    .await;
    assert_eq!(rest["items"][0]["id"], ids[2]);
    assert!(rest["next"].is_null(), "{rest}");
}

/// A page by URL ends within about a MiB as a page by article id does
/// (`docs/api.md`): 60 comments of 5,000 emoji come in two pages.
#[tokio::test]
async fn a_page_by_url_of_the_longest_comments_ends_within_a_mib() {
    let f = site_fixture();
    let uri = format!("/api/v1/comments?url={}", enc(PAGE));
    for i in 0..60 {
        let mut c = comment(&format!("key-long-url-{i:02}"));
        c["body"] = json!(format!("{} {i}", "😀".repeat(4_990)));
        let (status, _, body) = post_json(&f.router, &uri, &c, &[]).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, _, bytes) = get(&f.router, &format!("{uri}&limit=100")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes.len() <= 1_100_000, "{} bytes", bytes.len());
    let page: Value = serde_json::from_slice(&bytes).expect("json");
    let shown = page["items"].as_array().map_or(0, Vec::len);
    assert!((40..60).contains(&shown), "{shown}");
    let next = page["next"].as_str().expect("more");
    let (_, rest) = get_json(&f.router, &format!("{uri}&limit=100&cursor={next}")).await;
    assert_eq!(rest["items"].as_array().map_or(0, Vec::len), 60 - shown);
}
