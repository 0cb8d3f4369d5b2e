//! Comment rules, statuses and codes against a real temporary database.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use common::{admin, fixture, fixture_with, get_json, post_json};
use khabar_server::comments::Moderation;
use khabar_server::ratelimit::RateLimit;
use serde_json::{json, Value};

const ARTICLE: &str = "2026-11-28-transit-plan";
const URI: &str = "/api/v1/articles/2026-11-28-transit-plan/comments";

fn comment(key: &str, body: &str) -> Value {
    json!({ "author": "سارة", "body": body, "website": "", "idempotency_key": key })
}

fn open_fixture(moderation: Moderation) -> common::Fixture {
    fixture_with(true, move |mut s| {
        s.moderation = moderation;
        s.admin_token = Some("s3cret-token".into());
        s.comment_limit = Arc::new(RateLimit::new(0, Duration::from_secs(60)));
        s
    })
}

#[tokio::test]
async fn post_moderation_publishes_at_once_and_counts() {
    let f = open_fixture(Moderation::Post);
    let (status, _, body) = post_json(
        &f.router,
        URI,
        &comment("key-aaaaaaaa", "مقال مفيد\nشكراً"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["status"], "published");
    assert_eq!(body["comment"]["author"], "سارة");
    assert_eq!(body["comment"]["body"], "مقال مفيد\nشكراً");
    assert!(
        body["comment"].get("email").is_none(),
        "email is never published"
    );
    let (_, list) = get_json(&f.router, URI).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["body"], "مقال مفيد\nشكراً");
    let (_, article) = get_json(&f.router, &format!("/api/v1/articles/{ARTICLE}")).await;
    assert_eq!(article["comment_count"], 1);
}

/// A comment refused for what it is (a reply to a comment that is gone)
/// created nothing: it does not use up the reader's allowance.
#[tokio::test]
async fn a_refused_comment_leaves_the_readers_allowance_whole() {
    let f = fixture_with(true, |mut s| {
        s.comment_limit = Arc::new(RateLimit::new(2, Duration::from_secs(60)));
        s
    });
    let uri = format!("/api/v1/articles/{ARTICLE}/comments");
    for n in 0..3 {
        let body = json!({ "author": "Huda", "body": "Reply to nothing", "parent_id": 999_999,
                           "idempotency_key": format!("key-refused-{n:04}") });
        let (status, _, res) = post_json(&f.router, &uri, &body, &[]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    }
    for n in 0..2 {
        let body = json!({ "author": "Huda", "body": "A comment that counts",
                           "idempotency_key": format!("key-counted-{n:04}") });
        let (status, _, res) = post_json(&f.router, &uri, &body, &[]).await;
        assert_eq!(status, StatusCode::CREATED, "{res}");
    }
    let body = json!({ "author": "Huda", "body": "One too many",
                       "idempotency_key": "key-counted-9999" });
    let (status, _, _) = post_json(&f.router, &uri, &body, &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn pre_moderation_holds_comments_until_approved() {
    let f = open_fixture(Moderation::Pre);
    let mut c = comment("key-bbbbbbbb", "رأيي في الخطة");
    c["email"] = json!("sara@example.org");
    let (status, _, body) = post_json(&f.router, URI, &c, &[]).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["status"], "pending");
    let id = body["comment"]["id"].as_i64().expect("id");
    let (_, list) = get_json(&f.router, URI).await;
    assert_eq!(list["total"], 0, "pending comments are not listed");
    let (_, article) = get_json(&f.router, &format!("/api/v1/articles/{ARTICLE}")).await;
    assert_eq!(
        article["comment_count"], 0,
        "comment_count counts published only"
    );

    // The moderation API needs the token…
    let (status, _) = admin(&f.router, "GET", "/api/v1/admin/comments", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = admin(&f.router, "GET", "/api/v1/admin/comments", Some("wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // …and shows moderators the address.
    let (status, pending) = admin(
        &f.router,
        "GET",
        "/api/v1/admin/comments",
        Some("s3cret-token"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(pending["items"][0]["id"], id);
    assert_eq!(pending["items"][0]["email"], "sara@example.org");

    let (status, approved) = admin(
        &f.router,
        "POST",
        &format!("/api/v1/admin/comments/{id}/approve"),
        Some("s3cret-token"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(approved["status"], "published");
    let (_, list) = get_json(&f.router, URI).await;
    assert_eq!(list["total"], 1);
    assert!(list["items"][0].get("email").is_none());

    let (status, _) = admin(
        &f.router,
        "POST",
        &format!("/api/v1/admin/comments/{id}/reject"),
        Some("s3cret-token"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = get_json(&f.router, URI).await;
    assert_eq!(list["total"], 0);
    let (status, _) = admin(
        &f.router,
        "DELETE",
        &format!("/api/v1/admin/comments/{id}"),
        Some("s3cret-token"),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = admin(
        &f.router,
        "DELETE",
        &format!("/api/v1/admin/comments/{id}"),
        Some("s3cret-token"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn admin_api_is_off_without_a_token() {
    let f = fixture(true);
    let (status, body) = admin(&f.router, "GET", "/api/v1/admin/comments", Some("")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn every_failing_field_is_named_in_a_422() {
    let f = open_fixture(Moderation::Post);
    let bad =
        json!({ "author": " \u{202E} ", "body": "x", "email": "nope", "idempotency_key": "k" });
    let (status, _, body) = post_json(&f.router, URI, &bad, &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "invalid");
    let fields = &body["error"]["fields"];
    assert_eq!(fields["author"]["code"], "required");
    assert_eq!(fields["body"]["code"], "too_short");
    assert_eq!(fields["email"]["code"], "invalid");
    assert_eq!(fields["idempotency_key"]["code"], "invalid");

    let long = json!({ "author": "ن".repeat(81), "body": "ب".repeat(5001), "idempotency_key": "key-cccccccc" });
    let (status, _, body) = post_json(&f.router, URI, &long, &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"]["author"]["code"], "too_long");
    assert_eq!(body["error"]["fields"]["body"]["code"], "too_long");

    let edge = json!({ "author": "ن".repeat(80), "body": "ب".repeat(5000), "idempotency_key": "key-dddddddd" });
    let (status, _, _) = post_json(&f.router, URI, &edge, &[]).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn names_are_stored_without_bidi_or_control_characters() {
    let f = open_fixture(Moderation::Post);
    let c = json!({ "author": "\u{202E}evil\u{202C} name\u{0}", "body": "hi\u{2066} there", "idempotency_key": "key-eeeeeeee" });
    let (_, _, body) = post_json(&f.router, URI, &c, &[]).await;
    assert_eq!(body["comment"]["author"], "evil name");
    assert_eq!(body["comment"]["body"], "hi there");
}

#[tokio::test]
async fn piles_of_marks_are_stored_five_deep() {
    let f = open_fixture(Moderation::Post);
    let pile = "\u{0301}\u{0316}\u{0489}".repeat(30);
    let mut c = comment("key-zalgo001", &format!("ه{pile}لا شَدَّةٌ"));
    c["author"] = json!(format!("Z{pile}"));
    let (status, _, body) = post_json(&f.router, URI, &c, &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let five = "\u{0301}\u{0316}\u{0489}\u{0301}\u{0316}";
    assert_eq!(body["comment"]["body"], format!("ه{five}لا شَدَّةٌ"));
    assert_eq!(body["comment"]["author"], format!("Z{five}"));
}

#[tokio::test]
async fn replies_need_a_published_top_level_parent_of_the_same_article() {
    let f = open_fixture(Moderation::Post);
    let (_, _, top) = post_json(&f.router, URI, &comment("key-top00001", "أول تعليق"), &[]).await;
    let top_id = top["comment"]["id"].as_i64().expect("id");
    let mut reply = comment("key-reply001", "رد على التعليق");
    reply["parent_id"] = json!(top_id);
    let (status, _, r) = post_json(&f.router, URI, &reply, &[]).await;
    assert_eq!(status, StatusCode::CREATED);
    let reply_id = r["comment"]["id"].as_i64().expect("id");

    // Replies to replies, to unknown ids and across articles are refused.
    for (key, parent, uri) in [
        ("key-reply002", reply_id, URI.to_owned()),
        ("key-reply003", 999_999, URI.to_owned()),
        (
            "key-reply004",
            top_id,
            "/api/v1/articles/2026-11-27-farmers-market/comments".to_owned(),
        ),
    ] {
        let mut c = comment(key, "رد آخر");
        c["parent_id"] = json!(parent);
        let (status, _, body) = post_json(&f.router, &uri, &c, &[]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{key}");
        assert_eq!(body["error"]["fields"]["parent_id"]["code"], "invalid");
    }
    let (_, list) = get_json(&f.router, URI).await;
    assert_eq!(list["total"], 2);
    assert_eq!(
        list["items"].as_array().expect("items").len(),
        1,
        "replies are nested"
    );
    assert_eq!(list["items"][0]["replies"][0]["id"], reply_id);
    assert_eq!(list["items"][0]["replies"][0]["parent_id"], top_id);
}

/// The ids of the replies a comment of a page carries, in order.
/// The id of the last comment before a cursor (`{id}_{time}`), or -1.
fn cursor_id(cursor: &Value) -> i64 {
    cursor
        .as_str()
        .and_then(|c| c.split_once('_'))
        .and_then(|(id, _)| id.parse().ok())
        .unwrap_or(-1)
}

fn reply_ids(comment: &Value) -> Vec<i64> {
    comment["replies"]
        .as_array()
        .expect("replies")
        .iter()
        .filter_map(|r| r["id"].as_i64())
        .collect()
}

/// Posts a comment (a reply under `parent`) and gives its id.
async fn posted(f: &common::Fixture, key: String, body: String, parent: Option<i64>) -> i64 {
    let mut c = comment(&key, &body);
    c["parent_id"] = json!(parent);
    let (status, _, answer) = post_json(&f.router, URI, &c, &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer["comment"]["id"].as_i64().expect("id")
}

/// A page carries about a MiB of comments at most (the widget reads 4
/// MiB): comments of 5,000 emoji, 20 KB each, end a page early, and its
/// `next` and a comment's `replies_next` go on from the last one shown.
#[tokio::test]
async fn a_page_of_the_longest_comments_ends_within_a_mib_and_goes_on_by_cursor() {
    let f = open_fixture(Moderation::Post);
    let long = |i: usize| format!("{} {i}", "😀".repeat(4_990));
    let busy = posted(&f, "key-long-top".into(), long(0), None).await;
    let mut replies = Vec::new();
    for i in 0..60 {
        replies.push(posted(&f, format!("key-long-r{i:02}"), long(i), Some(busy)).await);
    }
    let mut tops = vec![busy];
    for i in 0..60 {
        tops.push(posted(&f, format!("key-long-t{i:02}"), long(i), None).await);
    }
    let read = |uri: String| {
        let router = f.router.clone();
        async move {
            let (status, _, body) = common::get(&router, &uri).await;
            assert_eq!(status, StatusCode::OK);
            assert!(body.len() <= 1_100_000, "{uri}: {} bytes", body.len());
            serde_json::from_slice::<Value>(&body).expect("json")
        }
    };

    // The first comment's replies alone fill the page: it ends with them.
    let page = read(format!("{URI}?limit=100&replies=100")).await;
    assert_eq!(
        page["items"].as_array().map(Vec::len),
        Some(1),
        "only the first"
    );
    let shown = reply_ids(&page["items"][0]);
    assert!((40..60).contains(&shown.len()), "{}", shown.len());
    assert_eq!(shown, replies[..shown.len()]);
    let after = page["items"][0]["replies_next"]
        .as_str()
        .expect("more replies");
    assert_eq!(cursor_id(&Value::from(after)), shown[shown.len() - 1]);
    assert_eq!(cursor_id(&page["next"]), busy);
    let rest = read(format!(
        "/api/v1/comments/{busy}/replies?limit=100&cursor={after}"
    ))
    .await;
    let rest: Vec<i64> = rest["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["id"].as_i64())
        .collect();
    assert_eq!(rest, replies[shown.len()..], "the rest of the replies");

    // The next comments: as many as fit, then the rest.
    let next = page["next"].as_str().expect("more comments");
    let page = read(format!("{URI}?limit=100&replies=100&cursor={next}")).await;
    let ids = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|c| c["id"].as_i64())
            .collect()
    };
    let first = ids(&page);
    assert!((40..60).contains(&first.len()), "{}", first.len());
    assert_eq!(first, tops[1..=first.len()]);
    let next = page["next"].as_str().expect("more comments");
    assert_eq!(cursor_id(&Value::from(next)), first[first.len() - 1]);
    let page = read(format!("{URI}?limit=100&replies=100&cursor={next}")).await;
    assert_eq!(ids(&page), tops[first.len() + 1..]);
    assert!(page["next"].is_null(), "{}", page["next"]);
}

/// A client of the first contract names no `replies`: it gets them all up
/// to a thousand a comment, and past that where the rest begin, so that
/// one request never reads a comment's replies without end.
#[tokio::test]
async fn a_client_naming_no_replies_gets_a_thousand_and_where_the_rest_begin() {
    let f = open_fixture(Moderation::Post);
    let post = |key: String, parent| posted(&f, key, "رد".into(), parent);
    let busy = post("key-busy0001".into(), None).await;
    let mut replies = Vec::new();
    for i in 0..1_001 {
        replies.push(post(format!("key-reply{i:04}"), Some(busy)).await);
    }
    let (_, page) = get_json(&f.router, URI).await;
    let shown = reply_ids(&page["items"][0]);
    assert_eq!(shown, replies[..1_000]);
    let next = &page["items"][0]["replies_next"];
    assert_eq!(cursor_id(next), replies[999]);
    let (_, rest) = get_json(
        &f.router,
        &format!(
            "/api/v1/comments/{busy}/replies?cursor={}",
            next.as_str().unwrap_or_default()
        ),
    )
    .await;
    assert_eq!(rest["items"][0]["id"], replies[1_000], "{rest}");
}

#[tokio::test]
async fn a_page_asked_for_twenty_replies_a_comment_carries_them_and_the_rest_come_by_cursor() {
    let f = open_fixture(Moderation::Post);
    let post = |key: String, parent| {
        let body = format!("نص {key}");
        posted(&f, key, body, parent)
    };
    let busy = post("key-busy0001".into(), None).await;
    let quiet = post("key-quiet001".into(), None).await;
    let mut replies = Vec::new();
    for i in 0..25 {
        replies.push(post(format!("key-reply{i:03}"), Some(busy)).await);
    }
    let few = post("key-fewrep01".into(), Some(quiet)).await;

    // A client of the first contract, which names no `replies`, gets all.
    let (_, all) = get_json(&f.router, URI).await;
    assert_eq!(
        all["items"][0]["replies"].as_array().map(Vec::len),
        Some(25)
    );
    assert!(all["items"][0].get("replies_next").is_none(), "{all}");
    let (_, page) = get_json(&f.router, &format!("{URI}?replies=20")).await;
    assert_eq!(page["total"], 28, "every reply counts, shown or not");
    let shown = reply_ids(&page["items"][0]);
    assert_eq!(shown, replies[..20], "the first twenty, oldest first");
    let next = page["items"][0]["replies_next"].as_str().expect("more");
    assert_eq!(cursor_id(&Value::from(next)), replies[19]);
    assert_eq!(page["items"][1]["replies"][0]["id"], few);
    assert!(page["items"][1].get("replies_next").is_none(), "{page}");

    let uri = |query: &str| format!("/api/v1/comments/{busy}/replies{query}");
    let (status, rest) = get_json(&f.router, &uri(&format!("?cursor={next}"))).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<i64> = rest["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["id"].as_i64())
        .collect();
    assert_eq!(ids, replies[20..]);
    assert_eq!(rest["items"][0]["parent_id"], busy);
    assert!(rest["next"].is_null(), "{rest}");
    let (_, two) = get_json(&f.router, &uri("?limit=2")).await;
    assert_eq!(two["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(cursor_id(&two["next"]), replies[1]);
    // Any count asked for: the cursor after the last shown.
    let (_, by_url) = get_json(&f.router, &format!("{URI}?replies=3&limit=1")).await;
    assert_eq!(cursor_id(&by_url["items"][0]["replies_next"]), replies[2]);

    // Not a published top-level comment, not a number, not a cursor.
    for (path, want) in [
        (format!("/api/v1/comments/{}/replies", replies[0]), 404),
        ("/api/v1/comments/999999/replies".to_owned(), 404),
        ("/api/v1/comments/abc/replies".to_owned(), 400),
        (uri("?cursor=abc"), 400),
        // A damaged cursor is refused, not read as the end of the list.
        (uri("?cursor=5_zzz"), 400),
        (uri("?cursor=5_"), 400),
        (format!("{URI}?cursor=5_2026-13-01T00:00:00Z"), 400),
        // The same instant spelled otherwise would compare as other text.
        (format!("{URI}?cursor=5_2026-11-28T15:00:00%2B03:00"), 400),
        (format!("{URI}?cursor=5_2026-11-28T12:00:00.5Z"), 400),
    ] {
        let (status, body) = get_json(&f.router, &path).await;
        assert_eq!(status.as_u16(), want, "{path}: {body}");
    }
    let (status, _) = admin(
        &f.router,
        "POST",
        &format!("/api/v1/admin/comments/{busy}/reject"),
        Some("s3cret-token"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get_json(&f.router, &uri("")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a rejected comment's replies"
    );
}

/// Every figure a reader sees for `ARTICLE`: the list's total and the
/// comments and replies it shows, the article's `comment_count`, `/counts`.
async fn shown_to_readers(f: &common::Fixture) -> (Value, usize, Value, Value) {
    let (_, list) = get_json(&f.router, URI).await;
    let items = list["items"].as_array().cloned().unwrap_or_default();
    let listed = items.len()
        + items
            .iter()
            .map(|c| c["replies"].as_array().map_or(0, Vec::len))
            .sum::<usize>();
    let (_, article) = get_json(&f.router, &format!("/api/v1/articles/{ARTICLE}")).await;
    let (_, counts) = get_json(&f.router, &format!("/api/v1/counts?ids={ARTICLE}")).await;
    (
        list["total"].clone(),
        listed,
        article["comment_count"].clone(),
        counts["counts"][ARTICLE].clone(),
    )
}

#[tokio::test]
async fn replies_under_a_rejected_comment_are_hidden_and_not_counted() {
    let f = open_fixture(Moderation::Pre);
    let moderate = |id: i64, action: &'static str| {
        let router = f.router.clone();
        async move {
            let uri = format!("/api/v1/admin/comments/{id}/{action}");
            let (status, _) = admin(&router, "POST", &uri, Some("s3cret-token")).await;
            assert_eq!(status, StatusCode::OK, "{action} {id}");
        }
    };
    let (_, _, top) = post_json(&f.router, URI, &comment("key-top00009", "تعليق أول"), &[]).await;
    let top_id = top["comment"]["id"].as_i64().expect("id");
    moderate(top_id, "approve").await;
    let mut reply = comment("key-reply009", "رد عليه");
    reply["parent_id"] = json!(top_id);
    let (_, _, r) = post_json(&f.router, URI, &reply, &[]).await;
    let reply_id = r["comment"]["id"].as_i64().expect("id");
    moderate(reply_id, "approve").await;
    assert_eq!(
        shown_to_readers(&f).await,
        (json!(2), 2, json!(2), json!(2))
    );

    // The comment is rejected: its reply goes with it, from every count.
    moderate(top_id, "reject").await;
    assert_eq!(
        shown_to_readers(&f).await,
        (json!(0), 0, json!(0), json!(0))
    );
    // Approved again: both are back.
    moderate(top_id, "approve").await;
    assert_eq!(
        shown_to_readers(&f).await,
        (json!(2), 2, json!(2), json!(2))
    );

    // A reply approved while its parent is rejected is not shown, not
    // counted, and nobody is told of it by mail.
    let mut late = comment("key-reply010", "رد متأخر");
    late["parent_id"] = json!(top_id);
    let (_, _, l) = post_json(&f.router, URI, &late, &[]).await;
    let late_id = l["comment"]["id"].as_i64().expect("id");
    let notices = || async {
        let dump = f.store.dump().await.expect("dump");
        dump.tables
            .iter()
            .find(|(t, _)| t == "reply_notices")
            .map_or(0, |(_, rows)| rows.len())
    };
    let before = notices().await;
    moderate(top_id, "reject").await;
    moderate(late_id, "approve").await;
    assert_eq!(
        shown_to_readers(&f).await,
        (json!(0), 0, json!(0), json!(0))
    );
    assert_eq!(notices().await, before, "no notice of a reply nobody sees");
}

#[tokio::test]
async fn list_pages_by_cursor_in_both_orders() {
    let f = open_fixture(Moderation::Post);
    for i in 0..5 {
        post_json(
            &f.router,
            URI,
            &comment(&format!("key-page000{i}"), &format!("تعليق {i}")),
            &[],
        )
        .await;
    }
    let (_, first) = get_json(&f.router, &format!("{URI}?limit=2")).await;
    assert_eq!(first["total"], 5);
    assert_eq!(first["items"][0]["body"], "تعليق 0");
    let next = first["next"].as_str().expect("next");
    let (_, second) = get_json(&f.router, &format!("{URI}?limit=2&cursor={next}")).await;
    assert_eq!(second["items"][0]["body"], "تعليق 2");
    let (_, newest) = get_json(&f.router, &format!("{URI}?limit=2&sort=newest")).await;
    assert_eq!(newest["items"][0]["body"], "تعليق 4");
    let (status, _) = get_json(&f.router, &format!("{URI}?sort=random")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = get_json(&f.router, "/api/v1/articles/nope/comments").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The answer to a post says the article's published comments with it:
/// sent again (its first answer lost), it is not counted twice.
#[tokio::test]
async fn a_post_says_the_articles_total_also_when_sent_again() {
    let f = open_fixture(Moderation::Post);
    let first = comment("key-total001", "الأول");
    let (_, _, body) = post_json(&f.router, URI, &first, &[]).await;
    assert_eq!(body["total"], 1);
    let (_, _, body) = post_json(&f.router, URI, &comment("key-total002", "الثاني"), &[]).await;
    assert_eq!(body["total"], 2);
    let (status, _, again) = post_json(&f.router, URI, &first, &[]).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        (again["comment"]["body"].as_str(), &again["total"]),
        (Some("الأول"), &json!(2))
    );
}

#[tokio::test]
async fn the_same_key_always_returns_the_first_result() {
    let f = open_fixture(Moderation::Pre);
    let c = comment("key-same0001", "مرة واحدة فقط");
    let (s1, _, first) = post_json(&f.router, URI, &c, &[]).await;
    let (s2, _, again) = post_json(&f.router, URI, &c, &[]).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(first, again);
    // Even with a different body, the key names the first comment.
    let (_, _, changed) = post_json(&f.router, URI, &comment("key-same0001", "نص آخر"), &[]).await;
    assert_eq!(changed["comment"]["id"], first["comment"]["id"]);
    // The same key on another article is a conflict, not a second comment.
    let (status, _, body) = post_json(
        &f.router,
        "/api/v1/articles/2026-11-27-farmers-market/comments",
        &c,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "idempotency_conflict");
    assert_eq!(common::comment_total(&f.store).await, 1);
    // Rejected meanwhile: a retry hears what the contract allows, pending.
    let id = first["comment"]["id"].as_i64().expect("id");
    admin(
        &f.router,
        "POST",
        &format!("/api/v1/admin/comments/{id}/reject"),
        Some("s3cret-token"),
    )
    .await;
    let (_, _, after) = post_json(&f.router, URI, &c, &[]).await;
    assert_eq!(after["status"], "pending", "{after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_identical_requests_create_one_comment() {
    let f = open_fixture(Moderation::Post);
    let c = comment("key-race0001", "سباق");
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let router = f.router.clone();
            let c = c.clone();
            tokio::spawn(async move { post_json(&router, URI, &c, &[]).await })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        let (status, _, body) = t.await.expect("task");
        assert_eq!(status, StatusCode::CREATED);
        ids.push(body["comment"]["id"].as_i64().expect("id"));
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every answer names the same comment");
    assert_eq!(common::comment_total(&f.store).await, 1);
}

/// Copies of one comment sent at once, each past the key's look-up
/// before the first is stored, create one comment and count once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn copies_sent_at_once_count_once_against_the_limit() {
    let f = fixture_with(true, |mut s| {
        s.moderation = Moderation::Post;
        s.comment_limit = Arc::new(RateLimit::new(40, Duration::from_secs(60)));
        s
    });
    let c = comment("key-copies01", "نسخ");
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let router = f.router.clone();
            let c = c.clone();
            tokio::spawn(async move { post_json(&router, URI, &c, &[]).await.0 })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.expect("task"), StatusCode::CREATED);
    }
    // One comment used one of the 40: 39 others still go.
    for i in 0..39 {
        let (status, _, body) = post_json(
            &f.router,
            URI,
            &comment(&format!("key-after{i:03}"), "بعد"),
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "comment {i}: {body}");
    }
    let (status, _, _) = post_json(&f.router, URI, &comment("key-after999", "بعد"), &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_honeypot_is_answered_like_success_and_never_shown() {
    let f = open_fixture(Moderation::Post);
    let mut c = comment("key-honey001", "Cheap watches");
    c["website"] = json!("http://spam.example");
    let (status, _, body) = post_json(&f.router, URI, &c, &[]).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["status"], "published");
    // Counted as the answer says, so that nothing tells the sender.
    assert_eq!(body["total"], 1);
    let (_, list) = get_json(&f.router, URI).await;
    assert_eq!(list["total"], 0);
    let counts = f.store.comment_counts().await.expect("counts");
    assert_eq!(counts, [("spam".to_owned(), 1)]);
}

#[tokio::test]
async fn clients_over_the_rate_limit_get_429_with_retry_after() {
    let f = fixture_with(true, |mut s| {
        s.moderation = Moderation::Post;
        s
    });
    for i in 0..5 {
        let (status, _, _) = post_json(
            &f.router,
            URI,
            &comment(&format!("key-rate000{i}"), "تعليق"),
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, headers, body) =
        post_json(&f.router, URI, &comment("key-rate0009", "تعليق"), &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"]["code"], "rate_limited");
    let wait: u64 = headers["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait));

    // Once the article closes, the reader past the limit hears that it is
    // closed: waiting would not help.
    assert!(f
        .store
        .set_comments_open(ARTICLE, false, None)
        .await
        .expect("close"));
    let (status, _, body) = post_json(&f.router, URI, &comment("key-rate0010", "تعليق"), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "comments_closed");
}

#[tokio::test]
async fn closed_missing_oversized_and_malformed_requests_are_refused() {
    let f = open_fixture(Moderation::Post);
    let (_, page) = get_json(&f.router, URI).await;
    assert_eq!(page["comments_open"], true);
    assert!(f
        .store
        .set_comments_open(ARTICLE, false, None)
        .await
        .expect("close"));
    let (status, _, body) = post_json(&f.router, URI, &comment("key-closed01", "مغلق"), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "comments_closed");
    // The page of comments says so (a `comments` widget reads no article),
    // past the read cache's first page.
    let (_, page) = get_json(&f.router, URI).await;
    assert_eq!(page["comments_open"], false);

    let (status, _, body) = post_json(
        &f.router,
        "/api/v1/articles/nope/comments",
        &comment("key-nope0001", "لا"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");

    let huge = comment("key-huge0001", &"x".repeat(70 * 1024));
    let (status, _, body) = post_json(
        &f.router,
        "/api/v1/articles/2026-11-27-farmers-market/comments",
        &huge,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"]["code"], "too_large");

    let (status, _, body) = post_json(
        &f.router,
        "/api/v1/articles/2026-11-27-farmers-market/comments",
        &json!("not an object"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "bad_json");
}

/// A comment of thousands of line breaks is stored with one empty line
/// between its words, and one of line breaks alone is too short.
#[tokio::test]
async fn a_flood_of_line_breaks_is_one_empty_line() {
    let f = fixture_with(true, |mut s| {
        s.moderation = Moderation::Post;
        s
    });
    let flood = format!("أولاً{}ثانياً", "\n".repeat(4990));
    let (status, _, res) = post_json(&f.router, URI, &comment("key-flood0001", &flood), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{res}");
    assert_eq!(res["comment"]["body"], "أولاً\n\nثانياً");
    let (status, _, res) = post_json(
        &f.router,
        URI,
        &comment("key-flood0002", &"\n \n".repeat(50)),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    assert_eq!(res["error"]["fields"]["body"]["code"], "too_short", "{res}");
}
