//! Source syncs against a local HTTP server that mimics WordPress's REST
//! API, a paged JSON Feed, RSS and Atom feeds with validators, and sources
//! that fail in every way: what ends up in the store (either engine, see
//! `common::engine_url`) and what the API then serves.

mod common;

/// Articles and comments as stored, without the sources' own sync state
/// (which a failed sync rightly updates).
async fn stored_content(
    store: &khabar_server::store::SharedStore,
) -> khabar_server::store::dump::Dump {
    let mut dump = store.dump().await.expect("dump");
    dump.tables.retain(|(table, _)| table != "sources");
    dump
}

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use khabar_server::metrics::Metrics;
use khabar_server::model::Article;
use khabar_server::state::AppState;
use khabar_server::store::{ListQuery, SharedStore};
use khabar_server::sync::{self, Limits, Report, Source, SourceKind, SyncClient, SyncError};
use reqwest::Url;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sync");

/// Most posts per page of the mock WordPress, whatever `per_page` asks
/// above it (as a site with a lower cap does): three pages of six posts.
const MOCK_PER_PAGE: usize = 2;

fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).expect("fixture")
}

/// The mock site's state, changed by the tests between syncs.
#[derive(Default)]
struct Mock {
    base: Mutex<String>,
    /// The posts the site publishes (a trashed post is simply not here).
    posts: Mutex<Vec<Value>>,
    /// When set, every WordPress request gets this status and body.
    wp_fail: Mutex<Option<(u16, &'static str)>>,
    /// How long every WordPress answer takes (a slow site).
    wp_delay: Mutex<Duration>,
    /// How much longer a page of whole posts (`_embed`) takes than a
    /// listing of ids, as on a real site.
    embed_delay: Mutex<Duration>,
    /// ETag of /rss.xml.
    rss_etag: Mutex<String>,
    /// When set, WordPress answers as if `include` were not there.
    ignore_include: Mutex<bool>,
    /// When set, every page asked for is the first (a cache in front of
    /// the site that ignores the query).
    ignore_page: Mutex<bool>,
    /// Posts per page when asked by id (as a site capping its pages does).
    include_cap: Mutex<Option<usize>>,
    /// When set, pages are as large as `per_page` asks, up to WordPress's
    /// 100, instead of [`MOCK_PER_PAGE`].
    uncapped: Mutex<bool>,
    /// The most posts a page the site takes (a plugin lowered WordPress's
    /// 100), and whether its refusal of more names that number.
    per_page_max: Mutex<Option<(usize, bool)>>,
    /// Posts whose rendering fails: an answer with any of them in full is
    /// WordPress's "critical error" page (HTTP 500).
    broken: Mutex<Vec<u64>>,
    /// When set, every request for whole posts (`_embed`) gets this
    /// status, and listings of ids pass: a site too busy for heavy pages.
    embed_fail: Mutex<Option<u16>>,
    /// A post edited (its `modified_gmt` now) once the page of changes of
    /// this number is answered, as an editor saving it while a sync reads.
    edit_after_page: Mutex<Option<(usize, u64)>>,
    /// A post edited (its `modified_gmt` now) just before a listing of ids
    /// by modification time in pages of this size answers, as an editor
    /// saving it between a failing page and the listing of its ids.
    edit_at_listing: Mutex<Option<(usize, u64)>>,
    /// Moved into `embed_fail` once a listing of published ids is
    /// answered: a site that falls over in the middle of a sync.
    embed_fail_after_listing: Mutex<Option<u16>>,
    /// When set, every request by id (`include=`) gets this status, as
    /// from a firewall that refuses the parameter.
    include_fail: Mutex<Option<u16>>,
    /// Posts that answers of whole posts leave out while their totals
    /// count them, as a plugin does that hides some posts from the API.
    dropped: Mutex<Vec<u64>>,
    /// Posts the pages of whole posts by modification time leave out, as
    /// pages do that shift under the sync while it reads them (edits
    /// moving posts on); listings of ids still hold them.
    walk_misses: Mutex<Vec<u64>>,
    /// Live posts an id listing leaves out, as one does when a post is
    /// trashed while it is paged (the pages after it shift by one).
    unlisted: Mutex<Vec<u64>>,
    /// The body of /plain.xml, an RSS feed the tests write.
    plain_rss: Mutex<String>,
    /// The body of /edited.atom, an Atom feed the tests write.
    atom: Mutex<String>,
    /// Every request: path and query, and its conditional headers.
    requests: Mutex<Vec<String>>,
    /// The `Content-Language` of WordPress's answers, when set.
    content_language: Mutex<Option<String>>,
    /// The Content-Type and bytes of /raw, a feed the tests write.
    raw: Mutex<(String, Vec<u8>)>,
    /// The posts of the sites in subdirectories (`/{path}/wp-json/…`), by
    /// path: a multisite network's other sites.
    subsites: Mutex<HashMap<String, Vec<Value>>>,
}

impl Mock {
    fn requests_to(&self, path: &str) -> Vec<String> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.starts_with(path))
            .cloned()
            .collect()
    }
}

/// Starts the mock on 127.0.0.1:0; its base URL.
async fn start(mock: Arc<Mock>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    *mock.base.lock().unwrap() = base.clone();
    let router = axum::Router::new().fallback(handle).with_state(mock);
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

async fn handle(State(mock): State<Arc<Mock>>, req: Request) -> Response {
    let uri = req.uri().clone();
    let headers = req.headers().clone();
    let cond = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| format!(" {name}={v}"))
            .unwrap_or_default()
    };
    mock.requests.lock().unwrap().push(format!(
        "{}{}{}",
        uri,
        cond("if-none-match"),
        cond("if-modified-since")
    ));
    let query: HashMap<String, String> = Url::parse(&format!("http://x{uri}"))
        .expect("uri")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let base = mock.base.lock().unwrap().clone();
    // Plain permalinks: `/en/?rest_route=/wp/v2/posts`.
    let path = match query.get("rest_route") {
        Some(route) => format!("{}/wp-json{route}", uri.path().trim_end_matches('/')),
        None => uri.path().to_owned(),
    };
    if let Some(sub) = path
        .strip_suffix("/wp-json/wp/v2/posts")
        .and_then(|p| p.strip_prefix('/'))
        .filter(|p| !p.is_empty())
    {
        let posts = mock.subsites.lock().unwrap().get(sub).cloned();
        return match posts {
            Some(posts) => wordpress(&mock, posts, &query).await,
            None => StatusCode::NOT_FOUND.into_response(),
        };
    }
    match path.as_str() {
        "/wp-json/wp/v2/posts" => {
            let posts = mock.posts.lock().unwrap().clone();
            wordpress(&mock, posts, &query).await
        }
        "/feed-page1.json" | "/feed-page2.json" => (
            [(header::CONTENT_TYPE, "application/feed+json")],
            fixture_text(&uri.path()[1..]).replace("{base}", &base),
        )
            .into_response(),
        // A redirect to `?to=`, as a moved feed answers.
        "/moved" => match query.get("to") {
            Some(to) => (
                StatusCode::MOVED_PERMANENTLY,
                [(header::LOCATION, to.clone())],
            )
                .into_response(),
            None => StatusCode::BAD_REQUEST.into_response(),
        },
        "/rss.xml" => {
            let etag = mock.rss_etag.lock().unwrap().clone();
            if headers
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
                == Some(&etag)
            {
                return StatusCode::NOT_MODIFIED.into_response();
            }
            (
                [
                    (header::CONTENT_TYPE, "application/rss+xml".to_owned()),
                    (header::ETAG, etag),
                ],
                fixture_text("rss.xml"),
            )
                .into_response()
        }
        "/raw" => {
            let (content_type, body) = mock.raw.lock().unwrap().clone();
            ([(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        "/plain.xml" => (
            [(header::CONTENT_TYPE, "application/rss+xml")],
            mock.plain_rss.lock().unwrap().clone(),
        )
            .into_response(),
        "/edited.atom" => (
            [(header::CONTENT_TYPE, "application/atom+xml")],
            mock.atom.lock().unwrap().clone(),
        )
            .into_response(),
        "/atom.xml" => {
            const STAMP: &str = "Tue, 04 Jun 2024 18:30:02 GMT";
            if headers
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                == Some(STAMP)
            {
                return StatusCode::NOT_MODIFIED.into_response();
            }
            (
                [
                    (header::CONTENT_TYPE, "application/atom+xml"),
                    (header::LAST_MODIFIED, STAMP),
                ],
                fixture_text("atom.xml"),
            )
                .into_response()
        }
        // 21 MB, announced.
        "/huge" => {
            let mut body = b"[".to_vec();
            body.resize(21 * 1024 * 1024, b' ');
            body.push(b']');
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        // 21 MB, chunked: only counting while reading catches it.
        "/huge-chunked" => {
            let chunks = futures_util::stream::iter(
                (0..21 * 16).map(|_| Ok::<_, std::io::Error>(vec![b' '; 64 * 1024])),
            );
            (
                [(header::CONTENT_TYPE, "application/rss+xml")],
                Body::from_stream(chunks),
            )
                .into_response()
        }
        "/stall" => {
            tokio::time::sleep(Duration::from_secs(20)).await;
            "too late".into_response()
        }
        // Headers at once, then the body never ends.
        "/stall-body" => {
            let start = futures_util::stream::iter([Ok::<_, std::io::Error>(
                b"<rss version=\"2.0\"><channel>".to_vec(),
            )]);
            let stall = futures_util::stream::unfold((), |()| async {
                tokio::time::sleep(Duration::from_secs(20)).await;
                None::<(Result<Vec<u8>, std::io::Error>, ())>
            });
            let body = futures_util::StreamExt::chain(start, stall);
            Body::from_stream(body).into_response()
        }
        // More entries on one page than a sync takes in all.
        "/crowded.xml" => (
            [(header::CONTENT_TYPE, "application/rss+xml")],
            format!(
                "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>{}</channel></rss>",
                "<item/>".repeat(25_000)
            ),
        )
            .into_response(),
        "/garbage" => (
            [(header::CONTENT_TYPE, "application/rss+xml")],
            b"\x00\x9f\x92\x96 not a feed at all {".to_vec(),
        )
            .into_response(),
        "/broken.xml" => (
            [(header::CONTENT_TYPE, "application/rss+xml")],
            "<rss version=\"2.0\"><channel><title>cut",
        )
            .into_response(),
        "/page.html" => "<!doctype html><html><body>Hello</body></html>".into_response(),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
    }
}

/// What WordPress answers on /wp-json/wp/v2/posts: posts with `_embed`
/// filtered by `include` and `modified_after`, or `_fields=id` listings
/// filtered by `include` and `after`, paged with
/// `X-WP-Total` / `X-WP-TotalPages` (and 400 past the last page).
async fn wordpress(
    mock: &Mock,
    mut posts: Vec<Value>,
    query: &HashMap<String, String>,
) -> Response {
    // `_fields=id` (listings) or `_fields=id,modified_gmt`.
    let fields: Option<Vec<String>> = query
        .get("_fields")
        .map(|f| f.split(',').map(str::to_owned).collect());
    let ids_only = fields.is_some();
    let by_page_of = |n: usize| query.get("per_page").and_then(|p| p.parse().ok()) == Some(n);
    if ids_only && query.get("orderby").map(String::as_str) == Some("modified") {
        let mut edit = mock.edit_at_listing.lock().unwrap();
        if let Some((_, id)) = edit.filter(|(size, _)| by_page_of(*size)) {
            *edit = None;
            let now = json!(now_gmt());
            for list in [&mut posts, &mut *mock.posts.lock().unwrap()] {
                if let Some(p) = list.iter_mut().find(|p| p["id"] == id) {
                    p["modified_gmt"] = now.clone();
                }
            }
        }
    }
    if ids_only
        && !query.contains_key("include")
        && query.get("orderby").map(String::as_str) != Some("modified")
    {
        if let Some(status) = mock.embed_fail_after_listing.lock().unwrap().take() {
            *mock.embed_fail.lock().unwrap() = Some(status);
        }
    }
    let mut delay = *mock.wp_delay.lock().unwrap();
    if !ids_only {
        delay += *mock.embed_delay.lock().unwrap();
    }
    tokio::time::sleep(delay).await;
    if let Some((status, body)) = *mock.wp_fail.lock().unwrap() {
        return (StatusCode::from_u16(status).expect("status"), body).into_response();
    }
    if let Some(status) = mock.embed_fail.lock().unwrap().filter(|_| !ids_only) {
        return StatusCode::from_u16(status)
            .expect("status")
            .into_response();
    }
    if let Some(status) = mock
        .include_fail
        .lock()
        .unwrap()
        .filter(|_| query.contains_key("include"))
    {
        return StatusCode::from_u16(status)
            .expect("status")
            .into_response();
    }
    let include = query
        .get("include")
        .filter(|_| !*mock.ignore_include.lock().unwrap());
    if let Some(include) = include {
        let ids: Vec<u64> = include.split(',').filter_map(|i| i.parse().ok()).collect();
        posts.retain(|p| p["id"].as_u64().is_some_and(|id| ids.contains(&id)));
    }
    // Ids are listed by id unless asked by modification time (the ids of a
    // page of changes).
    let by_modified = !ids_only || query.get("orderby").map(String::as_str) == Some("modified");
    if !ids_only && include.is_none() && by_modified {
        let misses = mock.walk_misses.lock().unwrap().clone();
        posts.retain(|p| p["id"].as_u64().is_none_or(|id| !misses.contains(&id)));
    }
    if ids_only && include.is_none() && !by_modified {
        let unlisted = mock.unlisted.lock().unwrap().clone();
        posts.retain(|p| p["id"].as_u64().is_none_or(|id| !unlisted.contains(&id)));
    }
    if ids_only {
        // The ids of the posts changed in a window, listed by id.
        let gmt = |p: &Value| {
            let at = format!("{}Z", p["modified_gmt"].as_str().unwrap());
            OffsetDateTime::parse(&at, &Rfc3339).expect("fixture time")
        };
        if let Some(after) = query.get("modified_after") {
            let after = OffsetDateTime::parse(after, &Rfc3339).expect("modified_after is RFC 3339");
            posts.retain(|p| gmt(p) > after);
        }
        if let Some(before) = query.get("modified_before") {
            let before =
                OffsetDateTime::parse(before, &Rfc3339).expect("modified_before is RFC 3339");
            posts.retain(|p| gmt(p) < before);
        }
    }
    if !by_modified {
        // `after` compares the publication date (WordPress converts a
        // zoned time to the site's own, UTC here).
        if let Some(after) = query.get("after") {
            let after = OffsetDateTime::parse(after, &Rfc3339).expect("after is RFC 3339");
            posts.retain(|p| {
                p["date_gmt"]
                    .as_str()
                    .and_then(|d| OffsetDateTime::parse(&format!("{d}Z"), &Rfc3339).ok())
                    .is_some_and(|d| d > after)
            });
        }
        posts.sort_by_key(|p| p["id"].as_u64());
        if query.get("order").map(String::as_str) == Some("desc") {
            posts.reverse();
        }
    } else {
        assert!(
            ids_only || query.contains_key("_embed"),
            "posts are asked with _embed"
        );
        let gmt = |p: &Value| {
            OffsetDateTime::parse(
                &format!("{}Z", p["modified_gmt"].as_str().unwrap()),
                &Rfc3339,
            )
            .expect("fixture time")
        };
        if let Some(after) = query.get("modified_after") {
            let after = OffsetDateTime::parse(after, &Rfc3339).expect("modified_after is RFC 3339");
            posts.retain(|p| gmt(p) > after);
        }
        if let Some(before) = query.get("modified_before") {
            let before =
                OffsetDateTime::parse(before, &Rfc3339).expect("modified_before is RFC 3339");
            posts.retain(|p| gmt(p) < before);
        }
        posts.sort_by_key(|p| std::cmp::Reverse(gmt(p)));
        if query.get("order").map(String::as_str) == Some("asc") {
            posts.reverse();
        }
    }
    let total = posts.len();
    let asked: usize = query
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(10);
    let (most, names_it) = mock.per_page_max.lock().unwrap().unwrap_or((100, true));
    if !(1..=most).contains(&asked) {
        // WordPress's refusal, in its shape: the reason in the site's
        // language, under the parameter's name.
        let reason = if names_it {
            format!("per_page must be between 1 (inclusive) and {most} (inclusive)")
        } else {
            "per_page est hors des limites".to_owned()
        };
        let refusal = json!({
            "code": "rest_invalid_param",
            "message": "Invalid parameter(s): per_page",
            "data": {
                "status": 400,
                "params": { "per_page": reason },
                "details": { "per_page": { "code": "rest_out_of_bounds", "message": reason, "data": null } },
            },
        });
        return (StatusCode::BAD_REQUEST, axum::Json(refusal)).into_response();
    }
    // Asked by id, with as many per page (the sync asks 100 at most).
    let per_page = if include.is_some() {
        mock.include_cap.lock().unwrap().unwrap_or(total).max(1)
    } else if *mock.uncapped.lock().unwrap() {
        asked
    } else {
        asked.min(MOCK_PER_PAGE)
    };
    let pages = total.div_ceil(per_page).max(1);
    let page: usize = query
        .get("page")
        .and_then(|p| p.parse().ok())
        .filter(|_| !*mock.ignore_page.lock().unwrap())
        .unwrap_or(1);
    if page > pages {
        return (
            StatusCode::BAD_REQUEST,
            r#"{"code":"rest_post_invalid_page_number"}"#,
        )
            .into_response();
    }
    let items: Vec<Value> = posts
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    if !ids_only && query.get("orderby").map(String::as_str) == Some("modified") {
        let mut edit = mock.edit_after_page.lock().unwrap();
        if let Some((_, id)) = edit.filter(|(after, _)| *after == page) {
            *edit = None;
            let mut all = mock.posts.lock().unwrap();
            if let Some(p) = all.iter_mut().find(|p| p["id"] == id) {
                p["modified_gmt"] = json!(now_gmt());
            }
        }
    }
    let mut items = items;
    if !ids_only {
        let dropped = mock.dropped.lock().unwrap().clone();
        items.retain(|p| p["id"].as_u64().is_none_or(|id| !dropped.contains(&id)));
    }
    let broken = mock.broken.lock().unwrap().clone();
    if !ids_only
        && items
            .iter()
            .any(|p| p["id"].as_u64().is_some_and(|id| broken.contains(&id)))
    {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/html")],
            "<p>There has been a critical error on this website.</p>",
        )
            .into_response();
    }
    let items: Vec<Value> = match &fields {
        Some(fields) => items
            .into_iter()
            .map(|p| {
                fields
                    .iter()
                    .filter_map(|f| Some((f.clone(), p.get(f)?.clone())))
                    .collect::<serde_json::Map<_, _>>()
                    .into()
            })
            .collect(),
        None => items,
    };
    let mut headers = HeaderMap::new();
    headers.insert("x-wp-total", total.into());
    headers.insert("x-wp-totalpages", pages.into());
    if let Some(lang) = mock.content_language.lock().unwrap().as_deref() {
        headers.insert("content-language", lang.parse().expect("header"));
    }
    (headers, axum::Json(items)).into_response()
}

/// A client whose timeouts suit tests.
fn client() -> SyncClient {
    SyncClient::new(Limits {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_millis(700),
        ..Limits::default()
    })
    .expect("client")
}

fn source(url: &str) -> Source {
    Source::new(url)
}

async fn stored(store: &SharedStore, id: &str) -> Option<Article> {
    store.article(id).await.expect("article")
}

async fn wp_site() -> (Arc<Mock>, String, String) {
    let mock = Arc::new(Mock::default());
    let posts: Vec<Value> = serde_json::from_str(&fixture_text("wp-posts.json")).expect("posts");
    *mock.posts.lock().unwrap() = posts;
    let base = start(mock.clone()).await;
    let url = format!("{base}/wp-json/wp/v2/posts");
    let host = base.trim_start_matches("http://").replace(':', "-");
    (mock, url, host)
}

fn now_gmt() -> String {
    gmt_of(OffsetDateTime::now_utc())
}

/// `now` as WordPress's `modified_gmt` has it.
fn gmt_of(now: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wordpress_posts_are_mapped_paged_edited_and_hidden_when_gone() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    let src = source(&url);
    let client = client();

    // First sync: everything, page by page; invalid posts skipped.
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(
        report,
        Report {
            changed: 3,
            hidden: 0,
            skipped: 3,
            not_modified: false
        }
    );
    assert_eq!(report.to_string(), "3 new or updated, 0 hidden, 3 skipped");
    let first = mock.requests_to("/wp-json/wp/v2/posts");
    assert!(
        first.iter().all(|r| !r.contains("modified_after")),
        "{first:?}"
    );
    assert!(first.iter().any(|r| r.contains("_fields=id")));
    assert!(
        first.iter().any(|r| r.contains("page=3")),
        "pages followed: {first:?}"
    );

    let a = stored(&f.store, &format!("{host}-101"))
        .await
        .expect("101 stored");
    assert_eq!(a.title, "“الموازنة” الجديدة & الضرائب");
    assert_eq!(a.summary, "ملخص الخبر …");
    assert_eq!(a.url, "https://site.test/2024/05/01/budget/");
    assert_eq!(
        a.published_at, "2024-05-01T09:30:00Z",
        "date_gmt, not the local date"
    );
    assert_eq!(a.updated_at.as_deref(), Some("2024-05-01T10:00:00Z"));
    assert_eq!(a.author.as_deref(), Some("سارة أحمد"));
    assert_eq!(a.section.as_deref(), Some("اقتصاد"));
    assert_eq!(a.lang, "ar");
    assert!(a.comments_open);
    let image = a.image.expect("featured image");
    assert_eq!(
        image.url,
        "https://site.test/wp-content/uploads/2024/05/budget.jpg"
    );
    assert_eq!(image.alt, "مبنى البرلمان");
    assert_eq!(image.caption.as_deref(), Some("البرلمان صباح اليوم"));
    let html = a.body_html.expect("body_html");
    assert!(html.contains("نص الخبر."), "{html}");
    assert!(
        !html.contains("script") && !html.contains("onclick"),
        "{html}"
    );

    let b = stored(&f.store, &format!("{host}-102"))
        .await
        .expect("102 stored");
    assert_eq!(b.title, "Final score", "no markup, no script text");
    assert!(!b.comments_open, "comment_status closed");
    assert_eq!(b.author, None, "an error object is no author");
    assert_eq!(b.image, None, "a forbidden image is no image");
    let html = b.body_html.expect("body_html");
    assert!(
        !html.contains("javascript") && !html.contains("onerror"),
        "{html}"
    );
    for skipped in ["104", "105", "106"] {
        assert!(stored(&f.store, &format!("{host}-{skipped}"))
            .await
            .is_none());
    }

    // Through the API.
    let (status, body) = common::get_json(&f.router, &format!("/api/v1/articles/{host}-101")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["title"], "“الموازنة” الجديدة & الضرائب");

    // An unchanged site: nothing new, nothing written.
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "0 new or updated, 0 hidden, 0 skipped");

    // 102 is edited, 103 trashed (no longer listed).
    {
        let mut posts = mock.posts.lock().unwrap();
        let p = posts.iter_mut().find(|p| p["id"] == 102).unwrap();
        p["title"]["rendered"] = json!("Final score (updated)");
        p["modified_gmt"] = json!(now_gmt());
        posts.retain(|p| p["id"] != 103);
    }
    mock.requests.lock().unwrap().clear();
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "1 new or updated, 1 hidden, 0 skipped");
    let asked = mock.requests_to("/wp-json/wp/v2/posts");
    assert!(
        asked.iter().any(|r| r.contains("modified_after=")),
        "later syncs ask only for changes: {asked:?}"
    );
    let b = stored(&f.store, &format!("{host}-102")).await.expect("102");
    assert_eq!(b.title, "Final score (updated)");
    assert!(b.updated_at.is_some());
    assert!(
        stored(&f.store, &format!("{host}-103")).await.is_none(),
        "hidden"
    );
    let (status, _) = common::get_json(&f.router, &format!("/api/v1/articles/{host}-103")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = common::get_json(&f.router, "/api/v1/articles?limit=50").await;
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert_eq!(
        f.store.article_count().await.unwrap(),
        3,
        "hidden, never deleted"
    );

    // A post scheduled before the last sync goes live: WordPress changes
    // its status, not its `modified` time, so no `modified_after` lists it.
    {
        let mut posts = mock.posts.lock().unwrap();
        let mut scheduled = posts.iter().find(|p| p["id"] == 101).unwrap().clone();
        scheduled["id"] = json!(107);
        scheduled["title"]["rendered"] = json!("نشر في موعده");
        scheduled["modified_gmt"] = json!("2024-05-01T08:00:00");
        posts.push(scheduled);
    }
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "1 new or updated, 0 hidden, 0 skipped");
    let live = stored(&f.store, &format!("{host}-107"))
        .await
        .expect("107 stored");
    assert_eq!(live.title, "نشر في موعده");
    assert!(mock
        .requests_to("/wp-json/wp/v2/posts")
        .iter()
        .any(|r| r.contains("include=")));

    // 103 is restored (which modifies it): shown again.
    {
        let mut posts = mock.posts.lock().unwrap();
        let mut restored: Vec<Value> =
            serde_json::from_str(&fixture_text("wp-posts.json")).unwrap();
        restored.retain(|p| p["id"] == 103);
        restored[0]["modified_gmt"] = json!(now_gmt());
        posts.extend(restored);
    }
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "1 new or updated, 0 hidden, 0 skipped");
    assert!(stored(&f.store, &format!("{host}-103")).await.is_some());

    // 102 gets a password: WordPress still lists it, locked. Its article
    // goes, as the plugin's push hides it, and stays gone.
    let protect = |on: bool| {
        let mut posts = mock.posts.lock().unwrap();
        let p = posts.iter_mut().find(|p| p["id"] == 102).unwrap();
        p["content"]["protected"] = json!(on);
        p["modified_gmt"] = json!(now_gmt());
        // A change the article shows, whatever the clock's second.
        p["title"]["rendered"] = json!(if on {
            "Locked"
        } else {
            "Final score, open again"
        });
    };
    protect(true);
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "0 new or updated, 1 hidden, 1 skipped");
    let (status, _) = common::get_json(&f.router, &format!("/api/v1/articles/{host}-102")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "its open text is not served");
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "0 new or updated, 0 hidden, 1 skipped");
    // The password is removed: shown again.
    protect(false);
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "1 new or updated, 0 hidden, 0 skipped");
    assert!(stored(&f.store, &format!("{host}-102")).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archive_longer_than_the_id_listing_is_checked_by_the_posts_held() {
    // Three pages of ids at the mock's two a page; a limit of two pages.
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    let client = SyncClient::new(Limits {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_millis(700),
        max_pages: 2,
        ..Limits::default()
    })
    .expect("client");
    let src = source(&url);
    {
        // Four more posts, the last modified: the two pages a sync reads.
        let mut posts = mock.posts.lock().unwrap();
        let model = posts[0].clone();
        for id in 201..=204 {
            let mut post = model.clone();
            post["id"] = json!(id);
            post["modified_gmt"] = json!(format!("2024-06-0{}T08:00:00", id - 200));
            posts.push(post);
        }
    }
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    let held = f.store.visible_ids_from(&src.url).await.expect("ids");
    assert_eq!(held.len(), 4, "two pages of posts: {held:?}");
    // Two of them trashed in WordPress, and a post scheduled long ago goes
    // live: a new id, an old modification time.
    let trashed: Vec<String> = held.iter().take(2).cloned().collect();
    {
        let mut posts = mock.posts.lock().unwrap();
        posts.retain(|p| !trashed.contains(&format!("{host}-{}", p["id"])));
        let mut scheduled = posts[0].clone();
        scheduled["id"] = json!(900);
        scheduled["title"]["rendered"] = json!("نشر في موعده");
        scheduled["date_gmt"] = json!(now_gmt());
        scheduled["modified_gmt"] = json!("2024-04-01T08:00:00");
        posts.push(scheduled);
    }
    mock.requests.lock().unwrap().clear();
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.hidden, 2, "{report}");
    for id in &trashed {
        assert!(stored(&f.store, id).await.is_none(), "{id} hidden");
    }
    let live = stored(&f.store, &format!("{host}-900"))
        .await
        .expect("the scheduled post, listed by its date");
    assert_eq!(live.title, "نشر في موعده");
    let listings: Vec<String> = mock
        .requests_to("/wp-json/wp/v2/posts")
        .into_iter()
        .filter(|r| r.contains("_fields=id"))
        .collect();
    assert_eq!(
        listings.len(),
        3,
        "the full listing's first page (X-WP-TotalPages said it all), \
         the posts held by id, the ids published since (the older posts \
         wait: this sync's pages are spent): {listings:?}"
    );

    // A site that answers part of what it is asked by id (one post a
    // page, its total saying more) is asked for the rest, a post at a
    // time: the trashed post is found gone, and no live one is hidden.
    let held = f.store.visible_ids_from(&src.url).await.expect("ids");
    let trashed = held[0].clone();
    mock.posts
        .lock()
        .unwrap()
        .retain(|p| format!("{host}-{}", p["id"]) != trashed);
    *mock.include_cap.lock().unwrap() = Some(1);
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.hidden, 1, "{report}");
    assert!(stored(&f.store, &trashed).await.is_none());
    assert_eq!(
        f.store.visible_ids_from(&src.url).await.expect("ids").len(),
        held.len() - 1
    );
    *mock.include_cap.lock().unwrap() = None;

    // A site that ignores `include` (answering its newest posts) hides
    // nothing.
    let held = f.store.visible_ids_from(&src.url).await.expect("ids");
    mock.posts.lock().unwrap().retain(|p| p["id"] != json!(900));
    *mock.ignore_include.lock().unwrap() = true;
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.hidden, 0, "{report}");
    assert_eq!(f.store.visible_ids_from(&src.url).await.expect("ids"), held);
    let state = f.store.source_state(&url).await.unwrap().expect("state");
    assert!(!state.archive_read, "the older posts wait: {state:?}");

    // The first sync stopped at its two pages: with the site answering
    // `include` again, the next syncs read the older posts, a page or two
    // each, and end.
    *mock.ignore_include.lock().unwrap() = false;
    for _ in 0..3 {
        sync::sync(f.store.as_ref(), &client, &src)
            .await
            .expect("sync");
    }
    let state = f.store.source_state(&url).await.unwrap().expect("state");
    assert!(state.archive_read, "{state:?}");
    assert!(stored(&f.store, &format!("{host}-101")).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_post_the_listing_skips_is_asked_for_before_it_is_hidden() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    let src = source(&url);
    let client = client();
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    let held = f.store.visible_ids_from(&src.url).await.expect("ids");
    assert!(held.len() >= 3, "{held:?}");
    let post = |id: &str| -> u64 { id.rsplit('-').next().unwrap().parse().unwrap() };
    let (skipped, trashed) = (post(&held[0]), post(&held[1]));
    *mock.unlisted.lock().unwrap() = vec![skipped];
    mock.posts
        .lock()
        .unwrap()
        .retain(|p| p["id"] != json!(trashed));
    mock.requests.lock().unwrap().clear();
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.hidden, 1, "{report}");
    assert!(stored(&f.store, &format!("{host}-{trashed}"))
        .await
        .is_none());
    assert!(
        stored(&f.store, &format!("{host}-{skipped}"))
            .await
            .is_some(),
        "live, though the listing skipped it"
    );
    let asked: Vec<String> = mock
        .requests_to("/wp-json/wp/v2/posts")
        .into_iter()
        .filter(|r| r.contains("_fields=id") && r.contains("include="))
        .collect();
    assert_eq!(asked.len(), 1, "both asked for in one request: {asked:?}");

    // Two live posts the listing skips, on a site that answers one post a
    // request by id while its total says two: neither is hidden for the
    // one left out of the answer; it is asked for alone.
    let other = post(&held[2]);
    *mock.unlisted.lock().unwrap() = vec![skipped, other];
    *mock.include_cap.lock().unwrap() = Some(1);
    mock.requests.lock().unwrap().clear();
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.hidden, 0, "{report}");
    for live in [skipped, other] {
        assert!(stored(&f.store, &format!("{host}-{live}")).await.is_some());
    }
    let asked = mock
        .requests_to("/wp-json/wp/v2/posts")
        .into_iter()
        .filter(|r| r.contains("_fields=id") && r.contains("include="))
        .count();
    assert_eq!(asked, 2, "both, then the one left out");
    *mock.include_cap.lock().unwrap() = None;

    // A site that refuses requests by id (a firewall, maybe for a while):
    // nothing is known of the posts its listing skips, and none is hidden.
    *mock.include_fail.lock().unwrap() = Some(403);
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.hidden, 0, "{report}");
    for live in [skipped, other] {
        assert!(stored(&f.store, &format!("{host}-{live}")).await.is_some());
    }
    *mock.include_fail.lock().unwrap() = None;
    *mock.unlisted.lock().unwrap() = vec![skipped];

    // A site that ignores `include`: the listing's word stands.
    *mock.ignore_include.lock().unwrap() = true;
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.hidden, 1, "{report}");
    assert!(stored(&f.store, &format!("{host}-{skipped}"))
        .await
        .is_none());
}

/// A cache in front of the site that ignores the query answers the same
/// page of ids for every page (and the newest posts for `include`): a
/// listing that goes back is not the site's, and hides nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_listing_that_repeats_its_first_page_hides_nothing() {
    let f = common::fixture(false);
    let (mock, url, _host) = wp_site().await;
    let src = source(&url);
    let client = client();
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    let held = f.store.visible_ids_from(&src.url).await.expect("ids");
    assert!(held.len() > MOCK_PER_PAGE, "{held:?}");
    *mock.ignore_page.lock().unwrap() = true;
    *mock.ignore_include.lock().unwrap() = true;
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.hidden, 0, "{report}");
    assert_eq!(f.store.visible_ids_from(&src.url).await.expect("ids"), held);
}

/// A listing with no post at all (the category the source names deleted:
/// WordPress then lists nothing, by id too) hides nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_that_lists_no_post_at_all_hides_nothing() {
    let f = common::fixture(false);
    let (mock, url, _host) = wp_site().await;
    let src = source(&url);
    let client = client();
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    let held = f.store.visible_ids_from(&src.url).await.expect("ids");
    assert!(!held.is_empty());
    let posts = std::mem::take(&mut *mock.posts.lock().unwrap());
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.hidden, 0, "{report}");
    assert_eq!(f.store.visible_ids_from(&src.url).await.expect("ids"), held);
    // One post left listed: the others are gone indeed.
    let kept = posts
        .into_iter()
        .find(|p| p["status"] == "publish" && p["id"] == 101)
        .expect("post 101");
    *mock.posts.lock().unwrap() = vec![kept];
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.hidden, held.len() - 1, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_closed_here_stay_closed_until_wordpress_changes_its_word() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    let src = source(&url);
    let client = client();
    let id = format!("{host}-101");
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert!(stored(&f.store, &id).await.expect("101").comments_open);
    let edit = |status: &str, title: &str| {
        let mut posts = mock.posts.lock().unwrap();
        let p = posts.iter_mut().find(|p| p["id"] == 101).unwrap();
        p["comment_status"] = json!(status);
        p["title"]["rendered"] = json!(title);
        p["modified_gmt"] = json!(now_gmt());
    };

    // Closed in /admin; the post is edited with comments still open there.
    assert!(f
        .store
        .set_comments_open(&id, false, None)
        .await
        .expect("close"));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    edit("open", "edited once");
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "1 new or updated, 0 hidden, 0 skipped");
    let a = stored(&f.store, &id).await.expect("101");
    assert_eq!(a.title, "edited once");
    assert!(!a.comments_open, "the moderator's choice stands");

    // WordPress closes, then opens again: each is a new word, and wins.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    edit("closed", "edited twice");
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert!(!stored(&f.store, &id).await.expect("101").comments_open);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    edit("open", "edited three times");
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert!(stored(&f.store, &id).await.expect("101").comments_open);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_posts_own_language_wins_over_the_sites_and_source_lang_over_both() {
    // A bilingual site's Content-Language names one of its languages; a
    // post that Polylang marks French stays French.
    let (mock, url, host) = wp_site().await;
    mock.posts.lock().unwrap()[0]["lang"] = json!("fr");
    *mock.content_language.lock().unwrap() = Some("en".into());
    let f = common::fixture(false);
    sync::sync(f.store.as_ref(), &client(), &source(&url))
        .await
        .expect("sync");
    let lang = |f: &common::Fixture, post: u32| {
        let (store, id) = (f.store.clone(), format!("{host}-{post}"));
        async move { stored(&store, &id).await.expect("stored").lang }
    };
    assert_eq!(lang(&f, 101).await, "fr", "the post's own");
    assert_eq!(lang(&f, 103).await, "en", "the site's, for a post without");
    let forced = common::fixture(false);
    let src = Source {
        lang: Some("ur".into()),
        ..source(&url)
    };
    sync::sync(forced.store.as_ref(), &client(), &src)
        .await
        .expect("sync");
    assert_eq!(lang(&forced, 101).await, "ur");
    assert_eq!(lang(&forced, 103).await, "ur");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_wordpress_leaves_its_articles_and_counts_the_failure() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    let src = Source {
        lang: Some("en".into()),
        ..source(&url)
    };
    let client = client();
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    let before = stored_content(&f.store).await;
    assert_eq!(
        stored(&f.store, &format!("{host}-101")).await.unwrap().lang,
        "en"
    );

    let metrics = Metrics::default();
    for (status, body) in [
        (500, "boom"),
        (200, "<html>not json"),
        (200, r#"{"code":"x"}"#),
    ] {
        *mock.wp_fail.lock().unwrap() = Some((status, body));
        let err = sync::sync(f.store.as_ref(), &client, &src)
            .await
            .unwrap_err();
        match status {
            500 => assert!(
                matches!(err, SyncError::Status { status: 500, .. }),
                "{err}"
            ),
            _ => assert!(matches!(err, SyncError::Garbage { .. }), "{err}"),
        }
        assert!(err.to_string().contains(&url), "names the source: {err}");
        assert!(sync::run(f.store.as_ref(), &client, &src, &metrics)
            .await
            .is_none());
    }
    assert_eq!(metrics.sync_failures.get(), 3);
    assert!(metrics.render().contains("khabar_sync_failures_total 3"));
    let state = f.store.source_state(&url).await.unwrap().expect("state");
    assert_eq!(state.failures, 6);
    assert_eq!(stored_content(&f.store).await, before, "nothing changed");

    // Recovery resets the failures.
    *mock.wp_fail.lock().unwrap() = None;
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(
        f.store.source_state(&url).await.unwrap().unwrap().failures,
        0
    );
}

/// `n` valid posts, ids 1001 on, each modified a minute after the one
/// before.
fn many_posts(n: u64) -> Vec<Value> {
    posts_apart(n, time::Duration::minutes(1))
}

/// `n` valid posts, ids 1001 on, each modified `step` after the one before.
fn posts_apart(n: u64, step: time::Duration) -> Vec<Value> {
    let posts: Vec<Value> = serde_json::from_str(&fixture_text("wp-posts.json")).expect("posts");
    let start = OffsetDateTime::parse("2024-06-01T00:00:00Z", &Rfc3339).expect("time");
    (0..n)
        .map(|i| {
            let id = 1001 + i;
            let at = start + step * i32::try_from(i).expect("small");
            let gmt = at.format(&Rfc3339).expect("time").replace('Z', "");
            let mut post = posts[0].clone();
            post["id"] = json!(id);
            post["date_gmt"] = json!(gmt);
            post["modified_gmt"] = json!(gmt);
            post["link"] = json!(format!("https://site.test/2024/06/{id}/"));
            post["title"]["rendered"] = json!(format!("خبر رقم {id}"));
            post
        })
        .collect()
}

/// The `per_page:page` of each request for whole posts by modification
/// time, in order.
fn pages_asked(mock: &Mock) -> Vec<String> {
    mock.requests_to("/wp-json/wp/v2/posts?")
        .iter()
        .filter(|r| r.contains("_embed") && r.contains("orderby=modified"))
        .map(|r| {
            let u = Url::parse(&format!("http://x{r}")).expect("url");
            let q: HashMap<_, _> = u.query_pairs().into_owned().collect();
            format!("{}:{}", q["per_page"], q["page"])
        })
        .collect()
}

/// A post whose rendering makes WordPress fail (HTTP 500 for any page that
/// holds it in full) would fail every sync, and no newer post would come
/// in. Its page is read again in smaller pages that divide it, down to
/// that post alone, which is skipped; every other post comes in, later
/// syncs do not fail on it, and it comes in once it is mended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_that_breaks_its_page_is_skipped_and_the_rest_come_in() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    *mock.uncapped.lock().unwrap() = true;
    *mock.posts.lock().unwrap() = many_posts(130);
    // The 61st newest: in the first page of 100, of 50, of 25, of 5.
    let broken = 1001 + 130 - 61;
    *mock.broken.lock().unwrap() = vec![broken];
    let src = source(&url);
    let client = client();

    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("the sync goes past the broken post");
    assert_eq!((report.changed, report.skipped), (129, 1), "{report:?}");
    for id in 1001..=1130 {
        let held = stored(&f.store, &format!("{host}-{id}")).await.is_some();
        assert_eq!(held, id != broken, "post {id}");
    }
    assert_eq!(
        pages_asked(&mock),
        [
            "100:1", "50:1", "50:2", "25:3", "5:11", "5:12", "5:13", "1:61", "1:61", "1:62",
            "1:63", "1:64", "1:65", "5:14", "5:15", "25:4", "100:2"
        ],
        "smaller pages for the failing span only, the post alone twice, then whole pages again"
    );

    // The next sync does not ask for it again: it is remembered as
    // skipped, for a day.
    mock.requests.lock().unwrap().clear();
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("a later sync does not fail on it");
    assert_eq!(report.changed, 0, "{report:?}");
    let asked_for = |mock: &Mock, post: u64| {
        mock.requests_to("/wp-json/wp/v2/posts?")
            .iter()
            .filter(|r| {
                r.split(['?', '&']).any(|p| {
                    p.strip_prefix("include=")
                        .is_some_and(|ids| ids.split("%2C").any(|id| id == post.to_string()))
                })
            })
            .map(|r| {
                if r.contains("_fields=id") {
                    "ids"
                } else {
                    "posts"
                }
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(asked_for(&mock, broken), Vec::<&str>::new());

    // A day later it is asked for by id again, with a post published
    // without a change (a scheduled one): the request for both fails, each
    // is asked for alone, the published one comes in, and the sync goes
    // on without the broken one.
    let a_day_ago = |f: &common::Fixture| {
        let (store, url) = (f.store.clone(), url.clone());
        async move {
            let mut state = store.source_state(&url).await.unwrap().expect("state");
            assert_eq!(state.unstorable.keys().collect::<Vec<_>>(), [&broken]);
            for at in state.unstorable.values_mut() {
                *at -= 86_400_000;
            }
            store.save_source_state(&url, &state).await.unwrap();
        }
    };
    a_day_ago(&f).await;
    {
        let mut posts = mock.posts.lock().unwrap();
        let mut post = posts[0].clone();
        post["id"] = json!(3001);
        post["link"] = json!("https://site.test/2024/06/3001/");
        posts.push(post);
    }
    mock.requests.lock().unwrap().clear();
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("a later sync does not fail on it");
    assert_eq!(report.changed, 1, "{report:?}");
    assert!(stored(&f.store, &format!("{host}-3001")).await.is_some());
    assert!(stored(&f.store, &format!("{host}-{broken}"))
        .await
        .is_none());
    assert_eq!(
        asked_for(&mock, broken),
        ["posts", "ids", "posts", "posts", "ids"],
        "with the other, then alone, twice"
    );

    // Mended, with no edit (a plugin updated): a day later it comes in.
    mock.broken.lock().unwrap().clear();
    a_day_ago(&f).await;
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.changed, 1, "{report:?}");
    assert!(stored(&f.store, &format!("{host}-{broken}"))
        .await
        .is_some());
    let state = f.store.source_state(&url).await.unwrap().expect("state");
    assert!(state.unstorable.is_empty(), "{:?}", state.unstorable);
}

/// Posts that can never be stored as they are (no valid date, a script
/// link, no title) are not fetched again by id on every sync: an edit
/// brings one back through the changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_skipped_for_good_are_not_fetched_on_every_sync() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    let (src, client) = (source(&url), client());
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.skipped, 3, "{report:?}");
    mock.requests.lock().unwrap().clear();
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    let by_id: Vec<String> = mock
        .requests_to("/wp-json/wp/v2/posts?")
        .into_iter()
        .filter(|r| r.contains("include="))
        .collect();
    assert!(by_id.is_empty(), "{by_id:?}");

    // Given a title, the untitled one comes in with the next sync.
    {
        let mut posts = mock.posts.lock().unwrap();
        let post = posts.iter_mut().find(|p| p["id"] == 106).unwrap();
        post["title"]["rendered"] = json!("عنوان أخيرا");
        post["modified_gmt"] = json!(now_gmt());
    }
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert!(stored(&f.store, &format!("{host}-106")).await.is_some());
    let state = f.store.source_state(&url).await.unwrap().expect("state");
    assert_eq!(
        state.unstorable.keys().collect::<Vec<_>>(),
        [&104, &105],
        "kept for the day, the one stored gone"
    );
}

/// A stored post whose new version fails keeps its old one, and the edit
/// is not lost: a day later, mended without an edit, it is asked for by
/// id and the new version comes in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_post_whose_edit_fails_is_read_again_a_day_later() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    *mock.posts.lock().unwrap() = many_posts(4);
    let (src, client) = (source(&url), client());
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    {
        let mut posts = mock.posts.lock().unwrap();
        let post = posts.iter_mut().find(|p| p["id"] == 1002).unwrap();
        post["title"]["rendered"] = json!("العنوان الجديد");
        let edited = OffsetDateTime::now_utc() - time::Duration::minutes(90);
        post["modified_gmt"] = json!(gmt_of(edited));
    }
    // The last sync was two hours ago: its changes since include the edit.
    let mut state = f.store.source_state(&url).await.unwrap().expect("state");
    state.synced_from_ms = state.synced_from_ms.map(|ms| ms - 2 * 3_600_000);
    f.store.save_source_state(&url, &state).await.unwrap();
    *mock.broken.lock().unwrap() = vec![1002];
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.skipped, 1, "{report:?}");
    let title = |f: &common::Fixture| {
        let (store, id) = (f.store.clone(), format!("{host}-1002"));
        async move { stored(&store, &id).await.expect("held").title }
    };
    assert_eq!(title(&f).await, "خبر رقم 1002", "the old version stays");

    // Mended with no edit: the changes since this sync do not list it,
    // and it is not asked for by id the same day.
    mock.broken.lock().unwrap().clear();
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(
        title(&f).await,
        "خبر رقم 1002",
        "not asked again the same day"
    );

    let mut state = f.store.source_state(&url).await.unwrap().expect("state");
    for at in state.unstorable.values_mut() {
        *at -= 86_400_000;
    }
    f.store.save_source_state(&url, &state).await.unwrap();
    // A day later, a sync that cannot ask by id (the site ignores
    // `include` for a while) keeps it remembered for the next.
    *mock.ignore_include.lock().unwrap() = true;
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(title(&f).await, "خبر رقم 1002");
    let state = f.store.source_state(&url).await.unwrap().expect("state");
    assert_eq!(state.unstorable.keys().collect::<Vec<_>>(), [&1002]);
    *mock.ignore_include.lock().unwrap() = false;
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(title(&f).await, "العنوان الجديد", "a day later");
    let state = f.store.source_state(&url).await.unwrap().expect("state");
    assert!(state.unstorable.is_empty(), "{:?}", state.unstorable);
}

/// How many of `ids` the store holds as articles of the mock site.
async fn held_of(f: &common::Fixture, host: &str, ids: impl Iterator<Item = u64>) -> usize {
    let mut n = 0;
    for id in ids {
        n += usize::from(stored(&f.store, &format!("{host}-{id}")).await.is_some());
    }
    n
}

/// Requests for the listing of ids newest first (the older posts').
fn older_asked(mock: &Mock) -> usize {
    mock.requests_to("/wp-json/wp/v2/posts?")
        .iter()
        .filter(|r| r.contains("orderby=id&order=desc"))
        .count()
}

/// A client that reads at most `pages` pages a sync.
fn pages_client(pages: u32) -> SyncClient {
    SyncClient::new(Limits {
        max_pages: pages,
        ..client().limits().clone()
    })
    .expect("client")
}

/// A site with more posts than a first sync reads: the newest come in
/// first; the next syncs read their own changes (a new post), then the
/// listing of ids, newest first, fetching the posts not held, until every
/// post is in; after that no sync asks for older posts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archive_past_the_first_syncs_limits_comes_in_over_the_next_syncs() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    *mock.uncapped.lock().unwrap() = true;
    *mock.posts.lock().unwrap() = many_posts(500);
    let src = source(&url);
    // Four pages: fewer than the six of the id listing, which then cannot
    // bring the older posts in by itself.
    let four_pages = pages_client(4);
    sync::sync(f.store.as_ref(), &four_pages, &src)
        .await
        .expect("first sync");
    assert_eq!(held_of(&f, &host, 1101..=1500).await, 400, "the newest 400");
    assert_eq!(held_of(&f, &host, 1001..=1100).await, 0);

    {
        let mut posts = mock.posts.lock().unwrap();
        let mut post = posts[0].clone();
        post["id"] = json!(2001);
        post["modified_gmt"] = json!(now_gmt());
        post["date_gmt"] = json!(now_gmt());
        posts.push(post);
    }
    sync::sync(f.store.as_ref(), &four_pages, &src)
        .await
        .expect("second sync");
    assert_eq!(
        held_of(&f, &host, [2001].into_iter()).await,
        1,
        "the new post first"
    );
    let mut syncs = 2;
    while held_of(&f, &host, 1001..=1100).await < 100 && syncs < 8 {
        sync::sync(f.store.as_ref(), &four_pages, &src)
            .await
            .expect("sync");
        syncs += 1;
    }
    assert_eq!(
        held_of(&f, &host, 1001..=1100).await,
        100,
        "in {syncs} syncs"
    );
    let state = f.store.source_state(&url).await.unwrap().expect("state");
    assert!(
        state.archive_read && state.backfill_at.is_none(),
        "{state:?}"
    );

    mock.requests.lock().unwrap().clear();
    sync::sync(f.store.as_ref(), &four_pages, &src)
        .await
        .expect("sync");
    assert_eq!(older_asked(&mock), 0, "nothing older is left to ask for");
}

/// Reads an archive of 1,500 posts four pages a sync until the place of
/// its older posts is 700 posts in, trashes every post after `keep_to`,
/// and checks that the syncs after bring in every post left.
async fn trash_while_the_archive_is_read(keep_to: u64) {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    *mock.uncapped.lock().unwrap() = true;
    *mock.posts.lock().unwrap() = many_posts(1500);
    let src = source(&url);
    let four_pages = pages_client(4);
    for _ in 0..2 {
        sync::sync(f.store.as_ref(), &four_pages, &src)
            .await
            .expect("sync");
    }
    let state = f.store.source_state(&url).await.unwrap().expect("state");
    let place = state.backfill_at.expect("the archive is being read");
    assert_eq!((place.at, place.below), (700, Some(1801)), "{place:?}");
    mock.posts
        .lock()
        .unwrap()
        .retain(|p| p["id"].as_u64().is_some_and(|id| id <= keep_to));
    let left = usize::try_from(keep_to - 1000).expect("small");
    let mut syncs = 0;
    while held_of(&f, &host, 1001..=keep_to).await < left && syncs < 10 {
        sync::sync(f.store.as_ref(), &four_pages, &src)
            .await
            .expect("a place past the end fails no sync");
        syncs += 1;
    }
    assert_eq!(
        held_of(&f, &host, 1001..=keep_to).await,
        left,
        "in {syncs} syncs"
    );
}

/// Posts trashed between two syncs move the listing of ids back: the
/// place the last sync reached now lies past posts not yet read. The next
/// sync steps back to the page that holds the lowest id it read, so none
/// is passed over. Here 250 of the newest: two and a half pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_trashed_while_the_archive_is_read_pass_no_post_over() {
    trash_while_the_archive_is_read(2250).await;
}

/// Posts trashed until the listing is shorter than the place reached (950
/// of the newest, 550 posts left): the page there is past the end (HTTP
/// 400), and the sync steps back until it finds where it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_shorter_than_the_place_reached_is_read_from_further_back() {
    trash_while_the_archive_is_read(1550).await;
}

/// A site that caps its pages when asked by id (ten a page) while its
/// `X-WP-Total` says more: the rest is asked for, and the older posts all
/// come in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn older_posts_come_in_from_a_site_that_caps_its_pages_by_id() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    *mock.uncapped.lock().unwrap() = true;
    *mock.posts.lock().unwrap() = many_posts(500);
    *mock.include_cap.lock().unwrap() = Some(10);
    let src = source(&url);
    let mut syncs = 0;
    while held_of(&f, &host, 1001..=1500).await < 500 && syncs < 8 {
        sync::sync(f.store.as_ref(), &pages_client(4), &src)
            .await
            .expect("sync");
        syncs += 1;
    }
    assert_eq!(
        held_of(&f, &host, 1001..=1500).await,
        500,
        "in {syncs} syncs"
    );
}

/// A site that ignores `include=` for a while (a cache in front of it)
/// answers its newest posts to every request by id: the older posts wait,
/// not counted as read, and come in once it answers by id again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn older_posts_wait_while_the_site_ignores_include() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    *mock.uncapped.lock().unwrap() = true;
    *mock.posts.lock().unwrap() = many_posts(250);
    let src = source(&url);
    // 200 posts a sync: the listing of 250 ids (three pages) is whole.
    let limited = SyncClient::new(Limits {
        max_pages: 3,
        max_items: 200,
        ..client().limits().clone()
    })
    .expect("client");
    sync::sync(f.store.as_ref(), &limited, &src)
        .await
        .expect("sync");
    assert_eq!(held_of(&f, &host, 1001..=1250).await, 200);
    *mock.ignore_include.lock().unwrap() = true;
    sync::sync(f.store.as_ref(), &limited, &src)
        .await
        .expect("sync");
    assert_eq!(held_of(&f, &host, 1001..=1250).await, 200);
    let state = f.store.source_state(&url).await.unwrap().expect("state");
    assert!(!state.archive_read, "the older posts wait: {state:?}");
    *mock.ignore_include.lock().unwrap() = false;
    for _ in 0..3 {
        sync::sync(f.store.as_ref(), &limited, &src)
            .await
            .expect("sync");
    }
    assert_eq!(held_of(&f, &host, 1001..=1250).await, 250);
    let state = f.store.source_state(&url).await.unwrap().expect("state");
    assert!(state.archive_read, "{state:?}");
}

/// A source whose state comes from a version before the archive was read
/// this way (its first sync may have stopped at its limits) has the
/// archive read once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_from_before_has_the_archive_read_once() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    *mock.posts.lock().unwrap() = many_posts(30);
    let src = source(&url);
    // Five pages: fewer than the id listing's fifteen (two ids a page), so
    // the listing cannot bring the missing posts in.
    let five_pages = pages_client(5);
    sync::sync(f.store.as_ref(), &five_pages, &src)
        .await
        .expect("sync");
    let mut state = f.store.source_state(&url).await.unwrap().expect("state");
    assert!(!state.archive_read && state.backfill_at.is_some());
    // What an earlier version left.
    state.backfill_at = None;
    f.store.save_source_state(&url, &state).await.unwrap();
    assert_eq!(held_of(&f, &host, 1001..=1030).await, 10);
    for _ in 0..8 {
        sync::sync(f.store.as_ref(), &five_pages, &src)
            .await
            .expect("sync");
    }
    assert_eq!(held_of(&f, &host, 1001..=1030).await, 30);
    let state = f.store.source_state(&url).await.unwrap().expect("state");
    assert!(state.archive_read);
}

/// A post edited while the changes are paged moves to the end of the
/// listing by modification time, and the pages after it shift by one: the
/// post that slid into the page already read would be missed, its edit
/// lost until it changed again. The ids changed since, listed by id,
/// bring it in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_the_pages_miss_while_posts_move_is_still_read() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    *mock.posts.lock().unwrap() = many_posts(6);
    let src = source(&url);
    let client = client();
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("first sync");
    // All six edited in the last minute, a second apart, 1001 first.
    let now = OffsetDateTime::now_utc();
    {
        let mut posts = mock.posts.lock().unwrap();
        for (i, post) in (0i64..).zip(posts.iter_mut()) {
            post["modified_gmt"] = json!(gmt_of(now - time::Duration::seconds(60 - i)));
            post["title"]["rendered"] = json!(format!("معدّل {}", post["id"]));
        }
    }
    // Once the first page (1001, 1002) is read, 1001 is saved again: the
    // second page is 1004 and 1005, and 1003 falls between the two.
    *mock.edit_after_page.lock().unwrap() = Some((1, 1001));
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert!(mock.edit_after_page.lock().unwrap().is_none(), "edited");
    for id in 1001..=1006 {
        let article = stored(&f.store, &format!("{host}-{id}"))
            .await
            .expect("held");
        assert_eq!(article.title, format!("معدّل {id}"), "post {id}");
    }
}

/// The same when the sync stops at its limits right after the shift: the
/// next one goes on after the newest change read, so the post passed over
/// is brought in by this one, from the ids changed up to that change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_the_pages_miss_is_read_also_when_the_sync_stops_at_its_limits() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    *mock.posts.lock().unwrap() = many_posts(6);
    let src = source(&url);
    sync::sync(f.store.as_ref(), &client(), &src)
        .await
        .expect("first sync");
    let now = OffsetDateTime::now_utc();
    {
        let mut posts = mock.posts.lock().unwrap();
        for (i, post) in (0i64..).zip(posts.iter_mut()) {
            post["modified_gmt"] = json!(gmt_of(now - time::Duration::seconds(60 - i)));
            post["title"]["rendered"] = json!(format!("معدّل {}", post["id"]));
        }
    }
    *mock.edit_after_page.lock().unwrap() = Some((1, 1001));
    // Two pages a sync: 1001 and 1002, then 1004 and 1005.
    sync::sync(f.store.as_ref(), &pages_client(2), &src)
        .await
        .expect("sync");
    let title = |id: u64| {
        let (store, id) = (f.store.clone(), format!("{host}-{id}"));
        async move { stored(&store, &id).await.expect("held").title }
    };
    assert_eq!(title(1003).await, "معدّل 1003", "the post passed over");
    sync::sync(f.store.as_ref(), &pages_client(2), &src)
        .await
        .expect("sync");
    for id in 1001..=1006 {
        assert_eq!(title(id).await, format!("معدّل {id}"), "post {id}");
    }
}

/// The same on a site that caps its pages below what is asked without
/// saying so (the mock's two a page), when the very first page fails: the
/// ids of that page tell the site's page size, and the pages after the
/// skipped post are the site's own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_first_page_on_a_site_with_smaller_pages_skips_one_post() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    // The newest post, first on the first page.
    *mock.broken.lock().unwrap() = vec![103];
    let report = sync::sync(f.store.as_ref(), &client(), &source(&url))
        .await
        .expect("sync");
    // 104–106 are invalid, as in the other tests.
    assert_eq!((report.changed, report.skipped), (2, 4), "{report:?}");
    assert!(stored(&f.store, &format!("{host}-103")).await.is_none());
    for id in [101, 102] {
        assert!(stored(&f.store, &format!("{host}-{id}")).await.is_some());
    }
    assert_eq!(
        pages_asked(&mock),
        ["100:1", "1:1", "1:1", "1:2", "2:2", "2:3"]
    );

    // A site that refuses requests by id (a firewall, HTTP 403): the post
    // that fails in its page is skipped as before, and the sync goes on.
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    *mock.broken.lock().unwrap() = vec![103];
    *mock.include_fail.lock().unwrap() = Some(403);
    let report = sync::sync(f.store.as_ref(), &client(), &source(&url))
        .await
        .expect("the sync goes on without asking by id");
    assert_eq!((report.changed, report.skipped), (2, 4), "{report:?}");
    let mut state = f.store.source_state(&url).await.unwrap().expect("state");
    assert!(
        state.unstorable.contains_key(&103),
        "{:?}",
        state.unstorable
    );
    assert!(stored(&f.store, &format!("{host}-102")).await.is_some());
    // A day later it is asked for by id again, refused again, and waits:
    // the sync does not fail on it, nor on any later day.
    for at in state.unstorable.values_mut() {
        *at -= 86_400_000;
    }
    f.store.save_source_state(&url, &state).await.unwrap();
    for _ in 0..2 {
        sync::sync(f.store.as_ref(), &client(), &source(&url))
            .await
            .expect("a refusal by id fails no sync");
    }
    let state = f.store.source_state(&url).await.unwrap().expect("state");
    assert!(
        state.unstorable.contains_key(&103),
        "{:?}",
        state.unstorable
    );
}

/// A first page short because a plugin hides posts from the API while
/// its totals still count them is no page cap: the rest is read in pages
/// of 100, not of what that page happened to hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_short_of_hidden_posts_is_no_page_size() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    *mock.uncapped.lock().unwrap() = true;
    *mock.posts.lock().unwrap() = many_posts(150);
    // 97 of the newest 100 hidden: the first page holds three.
    *mock.dropped.lock().unwrap() = (1054..=1150).collect();
    let report = sync::sync(f.store.as_ref(), &client(), &source(&url))
        .await
        .expect("sync");
    assert_eq!(report.changed, 53, "{report:?}");
    assert_eq!(held_of(&f, &host, 1001..=1053).await, 53);
    assert_eq!(pages_asked(&mock), ["100:1", "100:2"]);
}

/// The `per_page` of each request to the mock's posts, in order.
fn per_pages(mock: &Mock) -> Vec<usize> {
    mock.requests_to("/wp-json/wp/v2/posts?")
        .iter()
        .filter_map(|r| {
            let u = Url::parse(&format!("http://x{r}")).expect("url");
            let q: HashMap<_, _> = u.query_pairs().into_owned().collect();
            q.get("per_page")?.parse().ok()
        })
        .collect()
}

/// A site whose plugin lowered the REST API's most posts a page refuses
/// 100 (400 `rest_invalid_param`, naming `per_page`): every sync failed on
/// it. The sync now reads what the refusal says it takes, and asks for
/// that in all it does: the changes, the listings, the fetches by id and
/// the archive a first sync stopped before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_that_takes_fewer_posts_a_page_is_read_in_its_pages() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    *mock.uncapped.lock().unwrap() = true;
    *mock.per_page_max.lock().unwrap() = Some((30, true));
    *mock.posts.lock().unwrap() = many_posts(130);
    let src = source(&url);
    // The refusal counts as a page: three pages of 30 are read, and the
    // listing of ids (five pages) is longer than the limit.
    let four_pages = pages_client(4);
    let report = sync::sync(f.store.as_ref(), &four_pages, &src)
        .await
        .expect("the first sync reads pages of 30");
    assert_eq!(report.changed, 90, "{report:?}");
    assert_eq!(pages_asked(&mock), ["100:1", "30:1", "30:2", "30:3"]);

    let report = sync::sync(f.store.as_ref(), &four_pages, &src)
        .await
        .expect("the next sync brings the older posts in");
    assert_eq!(report.changed, 40, "{report:?}");
    assert_eq!(held_of(&f, &host, 1001..=1130).await, 130);
    let state = f.store.source_state(&url).await.unwrap().expect("state");
    assert_eq!((state.backfill_at, state.archive_read), (None, true));

    // An edit, and a trash found by asking for the posts held by id, 30
    // a request.
    {
        let mut posts = mock.posts.lock().unwrap();
        posts.retain(|p| p["id"] != 1100);
        let post = posts.iter_mut().find(|p| p["id"] == 1020).unwrap();
        post["title"]["rendered"] = json!("عنوان بعد التعديل");
        post["modified_gmt"] = json!(now_gmt());
    }
    let before = mock.requests.lock().unwrap().len();
    let report = sync::sync(f.store.as_ref(), &four_pages, &src)
        .await
        .expect("sync");
    assert_eq!((report.changed, report.hidden), (1, 1), "{report:?}");
    // One page of changes (the refused request is none): no listing of
    // the changes by id, which only a walk of two pages or more needs.
    let missed_listings = mock.requests.lock().unwrap()[before..]
        .iter()
        .filter(|r| r.contains("_fields=id&") && r.contains("modified_after"))
        .count();
    assert_eq!(missed_listings, 0);
    assert!(stored(&f.store, &format!("{host}-1100")).await.is_none());
    // One refused request a sync, its first; every other asks for 30.
    let asked = per_pages(&mock);
    assert_eq!(asked.iter().filter(|n| **n > 30).count(), 3, "{asked:?}");
    assert!(asked.iter().all(|n| *n == 100 || *n == 30), "{asked:?}");

    // A refusal that names no number in digits: the sizes step down
    // until one is taken.
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    *mock.uncapped.lock().unwrap() = true;
    *mock.per_page_max.lock().unwrap() = Some((40, false));
    *mock.posts.lock().unwrap() = many_posts(30);
    let report = sync::sync(f.store.as_ref(), &client(), &source(&url))
        .await
        .expect("sync");
    assert_eq!(report.changed, 30, "{report:?}");
    assert_eq!(pages_asked(&mock), ["100:1", "50:1", "25:1", "25:2"]);
    assert_eq!(held_of(&f, &host, 1001..=1030).await, 30);
}

/// A site whose posts were edited after its last sync, and a client that
/// reads few posts a sync.
struct Edited {
    f: common::Fixture,
    mock: Arc<Mock>,
    host: String,
    src: Source,
    few: SyncClient,
}

/// A site of `n` posts in pages of two (a plugin's cap), all held, whose
/// last sync was four hours ago; each post is then edited, three hours
/// ago plus what `after` says for it (by its place and its post), with
/// the title `تعديل {id}`. Syncs read at most `max_items` posts with
/// `few`.
async fn edited_in_pages_of_two(
    n: u64,
    max_items: usize,
    after: impl Fn(usize, &Value) -> time::Duration,
) -> Edited {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    *mock.uncapped.lock().unwrap() = true;
    *mock.per_page_max.lock().unwrap() = Some((2, true));
    *mock.posts.lock().unwrap() = many_posts(n);
    let src = source(&url);
    sync::sync(f.store.as_ref(), &client(), &src)
        .await
        .expect("sync");
    assert_eq!(
        held_of(&f, &host, 1001..=1000 + n).await,
        usize::try_from(n).unwrap()
    );
    let mut state = f.store.source_state(&url).await.unwrap().expect("state");
    state.synced_from_ms = state.synced_from_ms.map(|ms| ms - 4 * 3_600_000);
    f.store.save_source_state(&url, &state).await.unwrap();
    let edited_at = OffsetDateTime::now_utc() - time::Duration::hours(3);
    for (i, post) in mock.posts.lock().unwrap().iter_mut().enumerate() {
        post["title"]["rendered"] = json!(format!("تعديل {}", post["id"]));
        post["modified_gmt"] = json!(gmt_of(edited_at + after(i, post)));
    }
    let few = SyncClient::new(Limits {
        max_items,
        ..client().limits().clone()
    })
    .expect("client");
    Edited {
        f,
        mock,
        host,
        src,
        few,
    }
}

impl Edited {
    /// Runs `times` syncs with `few`.
    async fn syncs(&self, times: usize) {
        for _ in 0..times {
            sync::sync(self.f.store.as_ref(), &self.few, &self.src)
                .await
                .expect("sync");
        }
    }

    /// The changes missed and still waiting in the source's state.
    async fn missed(&self) -> std::collections::BTreeMap<u64, i64> {
        let state = self.f.store.source_state(&self.src.url).await.unwrap();
        state.expect("state").missed
    }

    /// How many of `ids` hold their edit.
    async fn edited_of(&self, ids: std::ops::RangeInclusive<u64>) -> usize {
        let mut n = 0;
        for id in ids {
            let article = stored(&self.f.store, &format!("{}-{id}", self.host))
                .await
                .expect("held");
            n += usize::from(article.title == format!("تعديل {id}"));
        }
        n
    }
}

/// More changes missed by the pages (shifting while read) than a sync
/// stopped at its limits has room for: those it cannot fetch are not
/// lost. The next syncs' changes begin before the oldest of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_changes_past_a_syncs_room_are_read_by_the_next() {
    // Edited a second apart, three hours ago: before the hour of margin
    // that later syncs read again.
    let seconds = |i: usize, _: &Value| time::Duration::seconds(i64::try_from(i).unwrap());
    let e = edited_in_pages_of_two(20, 6, seconds).await;
    // The pages miss the ten oldest edits, and the sync stops after six
    // posts: it has room for two more by id.
    *e.mock.walk_misses.lock().unwrap() = (1001..=1010).collect();
    e.syncs(1).await;
    *e.mock.walk_misses.lock().unwrap() = Vec::new();
    e.syncs(6).await;
    assert_eq!(e.edited_of(1001..=1020).await, 20);
}

/// Ten posts edited in one second, which the pages never bring, and ten
/// edited in the seconds after; syncs read six posts each.
async fn a_cluster_the_pages_miss() -> Edited {
    let cluster = |i: usize, _: &Value| {
        time::Duration::seconds(i64::try_from(i).unwrap().saturating_sub(9).max(0))
    };
    let e = edited_in_pages_of_two(20, 6, cluster).await;
    *e.mock.walk_misses.lock().unwrap() = (1001..=1010).collect();
    e
}

/// Missed changes that the pages never bring (a site whose listing by
/// modification time leaves them out, or a cluster of one second that it
/// pages differently each time) must not hold the window: once the next
/// sync began at the oldest of them and still could not fetch them all,
/// the one after goes on after the newest change read, and every later
/// change comes in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_changes_that_never_come_do_not_hold_the_window() {
    let e = a_cluster_the_pages_miss().await;
    e.syncs(5).await;
    assert_eq!(e.edited_of(1011..=1020).await, 10);
    // Nor are they lost: kept in the source's state, they are fetched by
    // id.
    assert_eq!(e.edited_of(1001..=1010).await, 10);
    let missed = e.missed().await;
    assert!(missed.is_empty(), "{missed:?}");
}

/// Missed changes a site will not give by id (a firewall that refuses
/// `include=`) wait in the source's state: they come in once it gives
/// them, and are given up on after a week of refusals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_changes_wait_for_a_site_that_refuses_them_by_id_for_a_week() {
    let e = a_cluster_the_pages_miss().await;
    *e.mock.include_fail.lock().unwrap() = Some(403);
    e.syncs(5).await;
    assert_eq!(e.edited_of(1011..=1020).await, 10);
    assert_eq!(e.edited_of(1001..=1010).await, 0);
    assert_eq!(
        e.missed().await.into_keys().collect::<Vec<_>>(),
        (1001..=1010).collect::<Vec<_>>()
    );
    // A site that fails those requests (a rate limiter's 503) has them
    // wait, and the sync goes on.
    *e.mock.include_fail.lock().unwrap() = Some(503);
    e.syncs(1).await;
    assert_eq!(e.missed().await.len(), 10);
    // Then fetched by id, as far as each sync has room (six posts).
    *e.mock.include_fail.lock().unwrap() = None;
    e.syncs(1).await;
    assert_eq!(e.edited_of(1001..=1010).await, 6);
    e.syncs(1).await;
    assert_eq!(e.edited_of(1001..=1010).await, 10);
    assert!(e.missed().await.is_empty());

    // Refused for a week: given up on.
    for post in e.mock.posts.lock().unwrap().iter_mut().take(10) {
        post["title"]["rendered"] = json!("تعديل ثان");
    }
    *e.mock.include_fail.lock().unwrap() = Some(403);
    let mut state =
        e.f.store
            .source_state(&e.src.url)
            .await
            .unwrap()
            .expect("state");
    state.synced_from_ms = state.synced_from_ms.map(|ms| ms - 4 * 3_600_000);
    e.f.store
        .save_source_state(&e.src.url, &state)
        .await
        .unwrap();
    e.syncs(1).await;
    assert_eq!(e.missed().await.len(), 10);
    let mut state =
        e.f.store
            .source_state(&e.src.url)
            .await
            .unwrap()
            .expect("state");
    for at in state.missed.values_mut() {
        *at -= 7 * 24 * 3_600_000;
    }
    e.f.store
        .save_source_state(&e.src.url, &state)
        .await
        .unwrap();
    e.syncs(1).await;
    assert!(e.missed().await.is_empty());
    assert_eq!(
        e.edited_of(1001..=1010).await,
        10,
        "the second edit never came"
    );
}

/// Twenty posts saved in one second, and one a minute later, then four
/// syncs that read at most `max_items` posts each.
async fn bulk_edit_in_one_second(max_items: usize) -> Edited {
    let later = |_: usize, post: &Value| time::Duration::minutes(i64::from(post["id"] == 1021));
    let e = edited_in_pages_of_two(21, max_items, later).await;
    e.syncs(4).await;
    e
}

/// A bulk edit of more posts in one second than a sync reads: a window
/// that began at that second again would read the same posts, sync after
/// sync, and stop at the same place. The sync after goes on past that
/// second, and a later edit comes in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_changes_in_one_second_than_a_sync_reads_do_not_hold_the_window() {
    let e = bulk_edit_in_one_second(6).await;
    assert_eq!(e.edited_of(1021..=1021).await, 1);

    // A sync that reads one page of it: the sync that finds it stalled
    // fetches a page's worth more of that second by id, though its own
    // pages could not have shifted.
    let e = bulk_edit_in_one_second(2).await;
    assert_eq!(e.edited_of(1021..=1021).await, 1);
    // The rest of that second is kept in the source's state and fetched
    // by id, a page's worth a sync: two its pages read, then two by id
    // in each sync.
    assert_eq!(e.edited_of(1001..=1020).await, 8);
    let missed = e.missed().await;
    assert_eq!(missed.len(), 12, "{missed:?}");
    e.syncs(6).await;
    assert_eq!(e.edited_of(1001..=1020).await, 20);
    let missed = e.missed().await;
    assert!(missed.is_empty(), "{missed:?}");
}

/// A post edited between a page that fails with one post on it and the
/// listing of that page's id (the oldest post, now the newest, moves every
/// post a place on) puts a sound post where the failing one was: it is
/// asked for by id and stored, not skipped, and the failing one is
/// skipped where the walk meets it next.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_that_moves_the_listing_under_a_failing_post_skips_only_that_post() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    *mock.uncapped.lock().unwrap() = true;
    *mock.posts.lock().unwrap() = many_posts(10);
    // The third newest fails; the oldest is edited once its page of one
    // post has failed, before its id is listed.
    *mock.broken.lock().unwrap() = vec![1008];
    *mock.edit_at_listing.lock().unwrap() = Some((1, 1001));
    let report = sync::sync(f.store.as_ref(), &client(), &source(&url))
        .await
        .expect("sync");
    assert_eq!(report.skipped, 1, "{report:?}");
    let state = f.store.source_state(&url).await.unwrap().expect("state");
    assert_eq!(state.unstorable.keys().collect::<Vec<_>>(), [&1008]);
    for id in (1001..=1010).filter(|id| *id != 1008) {
        assert!(
            stored(&f.store, &format!("{host}-{id}")).await.is_some(),
            "{id}"
        );
    }
}

/// A site that fails every request for whole posts by id (a plugin that
/// breaks `include` with `_embed`) while its listings pass: splitting the
/// requests to find the failing post would cost several requests a post.
/// They end at twice the sync's page limit, and the rest wait for the
/// next sync, which brings them in once the site is mended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetches_by_id_that_keep_failing_end_at_twice_the_page_limit() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    *mock.uncapped.lock().unwrap() = true;
    *mock.posts.lock().unwrap() = many_posts(3);
    let src = source(&url);
    let five_pages = pages_client(5);
    sync::sync(f.store.as_ref(), &five_pages, &src)
        .await
        .expect("sync");
    // Thirty posts gone live with old modification times (scheduled long
    // ago): only the listing of ids finds them, and each breaks its page.
    *mock.posts.lock().unwrap() = many_posts(33);
    *mock.broken.lock().unwrap() = (1004..=1033).collect();
    mock.requests.lock().unwrap().clear();
    sync::sync(f.store.as_ref(), &five_pages, &src)
        .await
        .expect("the sync ends well");
    let by_id = mock
        .requests_to("/wp-json/wp/v2/posts?")
        .iter()
        .filter(|r| r.contains("include="))
        .count();
    // Twice the five pages (the walk's one among them), and what the last
    // split began: a post's second try and its listing.
    assert!(by_id <= 2 * 5 + 2, "{by_id} requests by id");

    mock.broken.lock().unwrap().clear();
    sync::sync(f.store.as_ref(), &five_pages, &src)
        .await
        .expect("sync");
    let state = f.store.source_state(&url).await.unwrap().expect("state");
    // Those skipped alone are remembered for a day; every other one is in.
    assert_eq!(
        held_of(&f, &host, 1004..=1033).await + state.unstorable.len(),
        30,
        "{:?}",
        state.unstorable
    );
}

/// A site too busy for whole posts that still answers the light listings
/// of ids: overloaded (503), the sync fails at once; too slow (a proxy's
/// 504), it tries smaller pages, then fails. Either way no post is
/// skipped or remembered as skipped, and the next sync tries again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_site_that_fails_whole_posts_skips_none() {
    let f = common::fixture(false);
    let (mock, url, _) = wp_site().await;
    *mock.posts.lock().unwrap() = many_posts(6);
    let src = source(&url);
    for status in [503, 504] {
        mock.requests.lock().unwrap().clear();
        *mock.embed_fail.lock().unwrap() = Some(status);
        let err = sync::sync(f.store.as_ref(), &client(), &src)
            .await
            .unwrap_err();
        assert!(
            matches!(err, SyncError::Status { status: s, .. } if s == status),
            "{err}"
        );
        let pages = pages_asked(&mock);
        match status {
            503 => assert_eq!(pages, ["100:1"]),
            _ => assert_eq!(pages, ["100:1", "1:1"], "smaller, then given up"),
        }
        assert!(f.store.article_urls().await.expect("urls").is_empty());
        let state = f.store.source_state(&url).await.unwrap().expect("state");
        assert!(
            state.unstorable.is_empty(),
            "{status}: {:?}",
            state.unstorable
        );
    }
    *mock.embed_fail.lock().unwrap() = None;
    let report = sync::sync(f.store.as_ref(), &client(), &src)
        .await
        .expect("sync");
    assert_eq!((report.changed, report.skipped), (6, 0), "{report:?}");
}

/// A site that fails every request, the light ones too, is down: the sync
/// fails and skips nothing (the failure is retried, as any).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_that_fails_everything_skips_no_post() {
    let f = common::fixture(false);
    let (mock, url, _) = wp_site().await;
    *mock.uncapped.lock().unwrap() = true;
    *mock.posts.lock().unwrap() = many_posts(30);
    *mock.wp_fail.lock().unwrap() = Some((502, "bad gateway"));
    let err = sync::sync(f.store.as_ref(), &client(), &source(&url))
        .await
        .unwrap_err();
    assert!(
        matches!(err, SyncError::Status { status: 502, .. }),
        "{err}"
    );
    assert_eq!(
        mock.requests_to("/wp-json/wp/v2/posts?").len(),
        2,
        "the page, then its ids: no smaller pages"
    );
    assert!(f.store.article_urls().await.expect("urls").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_feed_is_followed_through_next_url() {
    let f = common::fixture(false);
    let mock = Arc::new(Mock::default());
    let base = start(mock.clone()).await;
    let url = format!("{base}/feed-page1.json");
    let report = sync::sync(f.store.as_ref(), &client(), &source(&url))
        .await
        .expect("sync");
    // Item 4 has no date: kept, dated when first seen.
    assert_eq!(report.to_string(), "4 new or updated, 0 hidden, 0 skipped");
    assert_eq!(
        mock.requests_to("/feed-page2.json").len(),
        1,
        "a loop is cut"
    );

    let u = Url::parse(&url).unwrap();
    let one = stored(
        &f.store,
        &sync::feed::article_id(&u, "https://wire.test/items/1"),
    )
    .await
    .expect("item 1");
    assert_eq!(one.title, "Markets rally & close higher");
    assert_eq!(one.published_at, "2024-06-01T08:00:00Z");
    assert_eq!(one.lang, "en", "the feed's language");
    assert_eq!(one.source.as_deref(), Some("Agency & Wire"));
    assert_eq!(one.author.as_deref(), Some("Wire Desk"));
    assert_eq!(one.section.as_deref(), Some("business"));
    assert_eq!(one.image.unwrap().url, "https://wire.test/img/1.jpg");
    assert!(!one.body_html.unwrap().contains("script"));
    let two = stored(
        &f.store,
        &sync::feed::article_id(&u, "https://wire.test/items/2"),
    )
    .await
    .expect("item 2");
    let html = two.body_html.unwrap();
    assert!(
        html.contains("First paragraph &lt;not a tag&gt;."),
        "{html}"
    );
    assert_eq!(two.updated_at.as_deref(), Some("2024-06-01T12:00:00Z"));
    let three = stored(
        &f.store,
        &sync::feed::article_id(&u, "https://wire.test/items/3"),
    )
    .await
    .expect("item 3, from page two");
    assert_eq!(
        three.url,
        format!("{base}/items/3"),
        "resolved against the page"
    );
}

/// A JSON Feed as some servers write it: a byte order mark first, and
/// item ids that are numbers (JSON Feed says a reader takes them as text).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_feed_with_a_bom_and_numeric_ids_is_read() {
    let f = common::fixture(false);
    let mock = Arc::new(Mock::default());
    let base = start(mock.clone()).await;
    let feed = json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Numbers",
        "items": [
            { "id": 101, "url": "https://wire.test/n/101", "title": "الأول",
              "content_text": "نص", "date_published": "2026-12-01T08:00:00Z" },
            { "id": 102, "url": "https://wire.test/n/102", "title": "الثاني",
              "content_text": "نص", "date_published": "2026-12-01T09:00:00Z" },
            // An item in another language than the feed's.
            { "id": 103, "url": "https://wire.test/n/103", "title": "The third",
              "content_text": "Text", "date_published": "2026-12-01T10:00:00Z",
              "language": "en" },
            // Two items that share an id: each keeps its own language.
            { "id": "same", "url": "https://wire.test/n/104", "title": "Fourth",
              "content_text": "Text", "date_published": "2026-12-01T11:00:00Z",
              "language": "en" },
            { "id": "same", "url": "https://wire.test/n/105", "title": "الخامس",
              "content_text": "نص", "date_published": "2026-12-01T12:00:00Z",
              "language": "ar" }
        ],
        "language": "ar"
    });
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend(feed.to_string().into_bytes());
    *mock.raw.lock().unwrap() = ("application/feed+json".into(), body);
    let url = format!("{base}/raw");
    let report = sync::sync(f.store.as_ref(), &client(), &source(&url))
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "5 new or updated, 0 hidden, 0 skipped");
    let u = Url::parse(&url).unwrap();
    for (link, lang) in [
        ("https://wire.test/n/104", "en"),
        ("https://wire.test/n/105", "ar"),
    ] {
        let ids = f.store.ids_by_url(vec![link.into()]).await.expect("ids");
        let a = stored(&f.store, &ids[0].id).await.expect("stored");
        assert_eq!(a.lang, lang, "{link}");
    }
    let first = stored(&f.store, &sync::feed::article_id(&u, "101"))
        .await
        .expect("item 101");
    assert_eq!(first.title, "الأول");
    assert_eq!(first.lang, "ar", "the feed's language");
    let third = stored(&f.store, &sync::feed::article_id(&u, "103"))
        .await
        .expect("item 103");
    assert_eq!(third.lang, "en", "the item's own");
}

/// An RSS feed of an older Arabic site: its encoding named only in the
/// HTTP header (windows-1256), an item whose only address is its `<guid>`,
/// an image that Media RSS gives without a type, and an item without a
/// title.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rss_feed_in_its_headers_charset_with_guid_links_untyped_images_and_untitled_items_is_read(
) {
    let f = common::fixture(false);
    let mock = Arc::new(Mock::default());
    let base = start(mock.clone()).await;
    let rss = r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>
<title>جريدة</title><link>https://old.test/</link>
<item><title>خبر بصورة</title><link>https://old.test/a</link><guid>https://old.test/a</guid>
<pubDate>Tue, 01 Dec 2026 08:00:00 GMT</pubDate><description>نص الخبر</description>
<media:content url="https://old.test/img/a.jpg" medium="image"/></item>
<item><title>خبر بلا رابط</title><guid>https://old.test/g</guid>
<pubDate>Tue, 01 Dec 2026 09:00:00 GMT</pubDate><description>نص آخر</description></item>
<item><link>https://old.test/t</link><pubDate>Tue, 01 Dec 2026 10:00:00 GMT</pubDate>
<description>&lt;p&gt;واحد اثنان ثلاثة أربعة خمسة ستة سبعة ثمانية تسعة عشرة أحد عشر اثنا عشر ثلاثة عشر&lt;/p&gt;</description></item>
</channel></rss>"#;
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1256.encode(rss);
    assert!(!unmappable);
    *mock.raw.lock().unwrap() = (
        "application/rss+xml; charset=windows-1256".into(),
        bytes.into_owned(),
    );
    let url = format!("{base}/raw");
    let report = sync::sync(f.store.as_ref(), &client(), &source(&url))
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "3 new or updated, 0 hidden, 0 skipped");
    let u = Url::parse(&url).unwrap();
    // An item without a title (RSS allows it) takes its first words.
    let untitled = stored(&f.store, &sync::feed::article_id(&u, "https://old.test/t"))
        .await
        .expect("the item without a title");
    assert_eq!(
        untitled.title,
        "واحد اثنان ثلاثة أربعة خمسة ستة سبعة ثمانية تسعة عشرة أحد عشر…"
    );
    let pictured = stored(&f.store, &sync::feed::article_id(&u, "https://old.test/a"))
        .await
        .expect("the item with a picture");
    assert_eq!(pictured.title, "خبر بصورة");
    assert_eq!(
        pictured.image.expect("image").url,
        "https://old.test/img/a.jpg"
    );
    let linked = stored(&f.store, &sync::feed::article_id(&u, "https://old.test/g"))
        .await
        .expect("the item with only a guid");
    assert_eq!(linked.url, "https://old.test/g"); // A server that names ISO-8859-1 in the header of every XML file, for a
                                                  // feed that is UTF-8: read as UTF-8, not as Latin letters.
    let utf8 = rss.replace("<title>خبر بصورة</title>", "<title>خبر بصورة، معدّل</title>");
    *mock.raw.lock().unwrap() = ("text/xml; charset=ISO-8859-1".into(), utf8.into_bytes());
    sync::sync(f.store.as_ref(), &client(), &source(&url))
        .await
        .expect("sync");
    let edited = stored(&f.store, &sync::feed::article_id(&u, "https://old.test/a"))
        .await
        .expect("the item with a picture");
    assert_eq!(edited.title, "خبر بصورة، معدّل");
    // The same, with one stray Windows byte pasted into a description:
    // still UTF-8, the byte replaced, not every letter read as Latin.
    let mut stray = rss
        .replace(
            "<title>خبر بصورة</title>",
            "<title>خبر بصورة، مرة أخرى</title>",
        )
        .into_bytes();
    let at = stray
        .windows(b"</description>".len())
        .position(|w| w == b"</description>")
        .expect("a description");
    stray.insert(at, 0x92);
    assert!(std::str::from_utf8(&stray).is_err());
    *mock.raw.lock().unwrap() = ("text/xml; charset=ISO-8859-1".into(), stray);
    sync::sync(f.store.as_ref(), &client(), &source(&url))
        .await
        .expect("sync");
    let again = stored(&f.store, &sync::feed::article_id(&u, "https://old.test/a"))
        .await
        .expect("the item with a picture");
    assert_eq!(again.title, "خبر بصورة، مرة أخرى");
    assert_eq!(again.summary, "نص الخبر\u{fffd}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feeds_next_url_to_another_server_is_not_followed() {
    let f = common::fixture(false);
    let mock = Arc::new(Mock::default());
    let base = start(mock.clone()).await;
    // The same mock under another name: page one's next_url names
    // 127.0.0.1, another origin than localhost, as a feed pointing the sync
    // at some other machine would.
    let url = format!("{}/feed-page1.json", base.replace("127.0.0.1", "localhost"));
    let report = sync::sync(f.store.as_ref(), &client(), &source(&url))
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "2 new or updated, 0 hidden, 0 skipped");
    assert!(mock.requests_to("/feed-page2.json").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_followed_on_the_sources_site_only() {
    let f = common::fixture(false);
    let mock = Arc::new(Mock::default());
    *mock.rss_etag.lock().unwrap() = "\"v1\"".into();
    let base = start(mock.clone()).await;
    let moved = source(&format!("{base}/moved?to=/rss.xml"));
    let report = sync::sync(f.store.as_ref(), &client(), &moved)
        .await
        .expect("a redirect on the same server");
    assert_eq!(report.to_string(), "3 new or updated, 0 hidden, 1 skipped");
    assert_eq!(mock.requests_to("/rss.xml").len(), 1);

    // The same mock under another name is another server, as a machine
    // on the server's own network would be: not asked, and the error says
    // where the source pointed.
    let elsewhere = format!("{base}/rss.xml");
    let outside = source(&format!(
        "{}/moved?to={}",
        base.replace("127.0.0.1", "localhost"),
        elsewhere
    ));
    let err = sync::sync(f.store.as_ref(), &client(), &outside)
        .await
        .expect_err("refused");
    let text = err.to_string();
    assert!(text.contains("redirected to another server"), "{text}");
    assert!(text.contains(&elsewhere), "{text}");
    assert_eq!(
        mock.requests_to("/rss.xml").len(),
        1,
        "the other server was asked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rss_and_atom_use_conditional_gets_and_never_hide() {
    let f = common::fixture(false);
    let mock = Arc::new(Mock::default());
    *mock.rss_etag.lock().unwrap() = "\"v1\"".into();
    let base = start(mock.clone()).await;
    let client = client();

    let rss = source(&format!("{base}/rss.xml"));
    let report = sync::sync(f.store.as_ref(), &client, &rss)
        .await
        .expect("rss");
    // The item with an unreadable date is kept, dated when first seen;
    // the `javascript:` link is refused.
    assert_eq!(report.to_string(), "3 new or updated, 0 hidden, 1 skipped");
    let u = Url::parse(&rss.url).unwrap();
    let bridge = stored(&f.store, &sync::feed::article_id(&u, "paper-1001"))
        .await
        .expect("bridge");
    assert_eq!(
        bridge.title, "عاجل: افتتاح الجسر",
        "escaped markup is no markup"
    );
    assert_eq!(bridge.published_at, "2024-06-03T05:00:00Z");
    assert_eq!(bridge.section.as_deref(), Some("محليات"));
    assert_eq!(bridge.lang, "ar");
    let image = bridge.image.expect("media:content");
    assert_eq!(image.url, "https://paper.test/img/bridge.jpg");
    assert_eq!(image.alt, "الجسر الجديد");
    assert!(!bridge.body_html.unwrap().contains("script"));

    // Unchanged: 304, nothing done.
    let report = sync::sync(f.store.as_ref(), &client, &rss)
        .await
        .expect("rss");
    assert!(report.not_modified);
    assert_eq!(report.to_string(), "not modified since the last sync");
    let asked = mock.requests_to("/rss.xml");
    assert!(asked[1].contains("if-none-match=\"v1\""), "{asked:?}");

    // The moderators close the bridge's comments and hide the other story.
    let bridge_id = sync::feed::article_id(&u, "paper-1001");
    assert!(f
        .store
        .set_comments_open(&bridge_id, false, None)
        .await
        .unwrap());
    let other = f
        .store
        .visible_ids_from(&rss.url)
        .await
        .unwrap()
        .into_iter()
        .find(|id| *id != bridge_id)
        .expect("the other story");
    assert!(f.store.set_article_hidden(&other, true).await.unwrap());

    // A new version without the old items hides nothing, and undoes
    // neither: a feed says nothing of either.
    *mock.rss_etag.lock().unwrap() = "\"v2\"".into();
    let report = sync::sync(f.store.as_ref(), &client, &rss)
        .await
        .expect("rss");
    assert_eq!(report.hidden, 0);
    assert_eq!(report.changed, 0, "same items, nothing rewritten");
    let bridge = stored(&f.store, &bridge_id).await.expect("bridge");
    assert!(!bridge.comments_open, "still closed");
    assert!(stored(&f.store, &other).await.is_none(), "still hidden");

    let atom = source(&format!("{base}/atom.xml"));
    let report = sync::sync(f.store.as_ref(), &client, &atom)
        .await
        .expect("atom");
    assert_eq!(report.to_string(), "2 new or updated, 0 hidden, 0 skipped");
    let u = Url::parse(&atom.url).unwrap();
    let une = stored(
        &f.store,
        &sync::feed::article_id(&u, "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"),
    )
    .await
    .expect("une");
    assert_eq!(une.title, "La une du jour");
    assert_eq!(une.lang, "fr");
    assert_eq!(une.author.as_deref(), Some("Claire"));
    assert_eq!(une.published_at, "2024-06-04T06:00:00Z");
    assert!(!une.body_html.unwrap().contains("iframe"));
    let second = stored(&f.store, &sync::feed::article_id(&u, "urn:uuid:2"))
        .await
        .expect("second");
    assert_eq!(
        second.published_at, "2024-06-03T10:00:00Z",
        "updated stands in"
    );
    let report = sync::sync(f.store.as_ref(), &client, &atom)
        .await
        .expect("atom");
    assert!(report.not_modified);
    assert!(mock.requests_to("/atom.xml")[1]
        .contains("if-modified-since=Tue, 04 Jun 2024 18:30:02 GMT"));
    assert_eq!(f.store.article_count().await.unwrap(), 5);
}

/// An Atom entry dated only by its last update (Atom requires `updated`,
/// not `published`) keeps the date it was first stored with when edited:
/// the edit is its `updated_at`, not a new story at the top of the lists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_atom_entry_edited_later_keeps_its_first_date() {
    let f = common::fixture(false);
    let mock = Arc::new(Mock::default());
    let base = start(mock.clone()).await;
    let atom = |updated: &str, text: &str| {
        format!(
            "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"ar\">\
             <title>الجريدة</title><id>urn:j</id><updated>{updated}</updated>\
             <entry><title>خبر</title><link href=\"https://journal.test/a\"/><id>urn:a</id>\
             <updated>{updated}</updated><content type=\"text\">{text}</content></entry></feed>"
        )
    };
    *mock.atom.lock().unwrap() = atom("2024-06-03T10:00:00Z", "نص");
    let src = source(&format!("{base}/edited.atom"));
    let client = client();
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    let id = sync::feed::article_id(&Url::parse(&src.url).unwrap(), "urn:a");
    let first = stored(&f.store, &id).await.expect("stored");
    assert_eq!(first.published_at, "2024-06-03T10:00:00Z");
    assert_eq!(first.updated_at, None);

    *mock.atom.lock().unwrap() = atom("2024-06-05T08:00:00Z", "نص مصحح");
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "1 new or updated, 0 hidden, 0 skipped");
    let edited = stored(&f.store, &id).await.expect("stored");
    assert_eq!(
        edited.published_at, "2024-06-03T10:00:00Z",
        "its first date"
    );
    assert_eq!(edited.updated_at.as_deref(), Some("2024-06-05T08:00:00Z"));
    assert!(edited.body_html.unwrap_or_default().contains("نص مصحح"));
}

/// Atom says whether a title is text or markup: a `type="text"` title (the
/// default) about a tag keeps its words, as its text summary standing in
/// for the body does; an HTML one is still read as HTML.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_atom_text_title_about_a_tag_keeps_its_words() {
    let f = common::fixture(false);
    let mock = Arc::new(Mock::default());
    let base = start(mock.clone()).await;
    *mock.atom.lock().unwrap() = "<?xml version=\"1.0\"?>\
        <feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Web &amp;lt;dev&amp;gt;</title>\
        <id>urn:w</id><updated>2024-06-03T10:00:00Z</updated>\
        <entry><title>Why &lt;video&gt;   fails on old phones</title>\
        <link href=\"https://web.test/video\"/><id>urn:v</id><updated>2024-06-03T10:00:00Z</updated>\
        <summary type=\"text\">Use &lt;source&gt; twice.</summary></entry>\
        <entry><title type=\"html\">An &lt;em&gt;HTML&lt;/em&gt; title</title>\
        <link href=\"https://web.test/html\"/><id>urn:h</id><updated>2024-06-03T10:00:00Z</updated>\
        <summary type=\"html\">&lt;p&gt;Marked up.&lt;/p&gt;</summary></entry>\
        <entry><title>It&amp;#8217;s here</title>\
        <link href=\"https://web.test/untyped\"/><id>urn:u</id><updated>2024-06-03T10:00:00Z</updated>\
        <summary><![CDATA[<p>Teaser <a href=\"https://web.test/more\">more</a></p>]]></summary></entry>\
        <entry><title type=\"text\">Why &lt;br&gt; breaks layouts</title>\
        <link href=\"https://web.test/br\"/><id>urn:b</id><updated>2024-06-03T10:00:00Z</updated>\
        <summary>See ?page=2&amp;region=gulf</summary></entry>\
        <entry><title></title>\
        <link href=\"https://web.test/untitled\"/><id>urn:t</id><updated>2024-06-03T10:00:00Z</updated>\
        <summary/><content type=\"text\">Why &lt;audio&gt; waits</content></entry></feed>"
        .into();
    let src = source(&format!("{base}/edited.atom"));
    sync::sync(f.store.as_ref(), &client(), &src)
        .await
        .expect("sync");
    let u = Url::parse(&src.url).unwrap();
    let story = |guid: &'static str| {
        let (store, id) = (f.store.clone(), sync::feed::article_id(&u, guid));
        async move { stored(&store, &id).await.expect(guid) }
    };
    let text = story("urn:v").await;
    assert_eq!(text.title, "Why <video> fails on old phones");
    assert_eq!(text.summary, "Use <source> twice.");
    assert_eq!(
        text.body_html.as_deref(),
        Some("<p>Use &lt;source&gt; twice.</p>")
    );
    // Escaped once too often, decoded once.
    assert_eq!(text.source.as_deref(), Some("Web <dev>"));
    let html = story("urn:h").await;
    assert_eq!(html.title, "An HTML title");
    assert_eq!(html.summary, "Marked up.");
    // HTML without its type (a closing tag says what it is) is read as
    // HTML; a reference escaped twice is a character.
    let untyped = story("urn:u").await;
    assert_eq!(untyped.title, "It\u{2019}s here");
    assert_eq!(untyped.summary, "Teaser more");
    assert!(
        untyped
            .body_html
            .as_deref()
            .unwrap_or_default()
            .contains("<a "),
        "{:?}",
        untyped.body_html
    );
    // A title about a tag keeps it; an address's `&region` is no `&reg`.
    let br = story("urn:b").await;
    assert_eq!(br.title, "Why <br> breaks layouts");
    assert_eq!(br.summary, "See ?page=2&region=gulf");
    // Untitled: the title is its text's first words, as written.
    let untitled = story("urn:t").await;
    assert_eq!(untitled.title, "Why <audio> waits");
    assert_eq!(
        untitled.body_html.as_deref(),
        Some("<p>Why &lt;audio&gt; waits</p>")
    );
}

/// Each of the ticker's `headlines` is its own story, with its title, and
/// the feed's seven items are seven stories.
async fn ticker_kept(store: &SharedStore, u: &Url, headlines: &[feed_rs::model::Entry]) {
    for entry in headlines {
        let story = stored(store, &sync::feed::article_id(u, &entry.id))
            .await
            .expect("a headline of the ticker");
        assert_eq!(
            Some(story.title.as_str()),
            entry.title.as_ref().map(|t| t.content.as_str())
        );
    }
    assert_eq!(store.article_count().await.unwrap(), 7);
}

/// An RSS channel of `items`, each `(title, link, pubDate)`, without
/// `<guid>` (which RSS leaves optional); no `pubDate` when it is `None`.
fn plain_rss(items: &[(&str, &str, Option<&str>)]) -> String {
    let items: String = items
        .iter()
        .map(|(title, link, date)| {
            let date = date.map(|d| format!("<pubDate>{d}</pubDate>")).unwrap_or_default();
            format!("<item><title>{title}</title><link>{link}</link>{date}<description>نص</description></item>")
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>بلا معرّفات</title>\
         <link>https://plain.test/</link><description>d</description>{items}</channel></rss>"
    )
}

/// An RSS feed of `(title, link, guid)` items, each dated `day` June 2024.
fn guid_rss(items: &[(&str, &str, &str)], day: u8) -> String {
    let items: String = items
        .iter()
        .map(|(title, link, guid)| {
            format!(
                "<item><title>{title}</title><link>{link}</link>\
                 <guid isPermaLink=\"false\">{guid}</guid>\
                 <pubDate>{day:02} Jun 2024 12:00:00 GMT</pubDate><description>نص {title}</description></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>غلط</title>\
         <link>https://plain.test/</link><description>d</description>{items}</channel></rss>"
    )
}

/// The URLs of the articles readers' lists show, sorted.
async fn listed_urls(store: &SharedStore) -> Vec<String> {
    let (listed, _) = store
        .list_articles(ListQuery {
            limit: 50,
            ..ListQuery::default()
        })
        .await
        .expect("list");
    let mut urls: Vec<String> = listed.into_iter().map(|a| a.url).collect();
    urls.sort();
    urls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_headline_alone_at_its_link_stays_its_story_once_another_shares_the_link() {
    let f = common::fixture(false);
    let mock = Arc::new(Mock::default());
    let base = start(mock.clone()).await;
    let client = client();
    let feed = source(&format!("{base}/plain.xml"));
    let u = Url::parse(&feed.url).unwrap();
    let live = "https://plain.test/live";
    // Its title wrapped in bidi controls, as Arabic CMSs write them (the
    // stored title is cleaned of them).
    let first = (
        "\u{202b}عاجل: الأول\u{202c}",
        live,
        Some("Wed, 05 Jun 2024 12:00:00 GMT"),
    );
    *mock.plain_rss.lock().unwrap() = plain_rss(&[first]);
    sync::sync(f.store.as_ref(), &client, &feed)
        .await
        .expect("sync");
    let alone = sync::feed::article_id(&u, live);
    assert_eq!(
        stored(&f.store, &alone).await.expect("stored").title,
        "عاجل: الأول"
    );
    let count = || async { listed_urls(&f.store).await.len() };
    assert_eq!(count().await, 1);
    // A second headline at the same link: one story more, and the first
    // keeps its article (its comments with it).
    let second = ("عاجل: الثاني", live, Some("Wed, 05 Jun 2024 12:05:00 GMT"));
    *mock.plain_rss.lock().unwrap() = plain_rss(&[second, first]);
    sync::sync(f.store.as_ref(), &client, &feed)
        .await
        .expect("sync");
    assert_eq!(count().await, 2);
    assert_eq!(
        stored(&f.store, &alone).await.expect("stored").title,
        "عاجل: الأول"
    );
    // Synced again, nothing moves.
    sync::sync(f.store.as_ref(), &client, &feed)
        .await
        .expect("sync");
    assert_eq!(count().await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_that_share_a_guid_are_each_their_own_story() {
    let f = common::fixture(false);
    let mock = Arc::new(Mock::default());
    let base = start(mock.clone()).await;
    let client = client();
    let feed = source(&format!("{base}/plain.xml"));
    // Every item's guid the same: "0", or the site's own address.
    let rss = |items: &[(&str, &str, &str)]| guid_rss(items, 5);
    *mock.plain_rss.lock().unwrap() = rss(&[
        ("الأولى", "https://plain.test/news/1", "0"),
        ("الثانية", "https://plain.test/news/2", "0"),
        (
            "الثالثة",
            "https://plain.test/news/3",
            "https://plain.test/",
        ),
    ]);
    let report = sync::sync(f.store.as_ref(), &client, &feed)
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "3 new or updated, 0 hidden, 0 skipped");
    let first_id = {
        let ids = f
            .store
            .ids_by_url(vec!["https://plain.test/news/1".into()])
            .await
            .expect("ids");
        assert_eq!(ids.len(), 1);
        ids[0].id.clone()
    };
    // A new story on top, with the same guid: the first keeps its own text.
    *mock.plain_rss.lock().unwrap() = rss(&[
        ("الرابعة", "https://plain.test/news/4", "0"),
        ("الأولى", "https://plain.test/news/1", "0"),
        ("الثانية", "https://plain.test/news/2", "0"),
    ]);
    sync::sync(f.store.as_ref(), &client, &feed)
        .await
        .expect("sync");
    let first = stored(&f.store, &first_id).await.expect("first");
    assert_eq!(
        (first.title.as_str(), first.url.as_str()),
        ("الأولى", "https://plain.test/news/1")
    );
    assert_eq!(
        listed_urls(&f.store).await,
        (1..=4)
            .map(|n| format!("https://plain.test/news/{n}"))
            .collect::<Vec<_>>()
    );

    // A page of one item, its guid "0" (or "null") as ever: each new
    // story is its own, not the last one's text under a new title.
    for (guid, n) in [("0", 6), ("0", 7), ("null", 8), ("null", 9)] {
        *mock.plain_rss.lock().unwrap() =
            rss(&[("وحيدة", &format!("https://plain.test/news/{n}"), guid)]);
        sync::sync(f.store.as_ref(), &client, &feed)
            .await
            .expect("sync");
    }
    let urls = listed_urls(&f.store).await;
    assert!(
        (6..=9).all(|n| urls.contains(&format!("https://plain.test/news/{n}"))),
        "{urls:?}"
    );

    // The same item listed twice, guid, link and title alike, is one
    // story, kept under its guid as ever.
    let twice = common::fixture(false);
    let guid = "https://plain.test/news/5";
    let item = ("الخامسة", guid, guid);
    *mock.plain_rss.lock().unwrap() = rss(&[item, item]);
    let report = sync::sync(twice.store.as_ref(), &client, &feed)
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "1 new or updated, 0 hidden, 0 skipped");
    let u = Url::parse(&feed.url).unwrap();
    assert_eq!(
        stored(&twice.store, &sync::feed::article_id(&u, guid))
            .await
            .expect("under its guid")
            .title,
        "الخامسة"
    );
}

/// A feed that changes how it writes its guids (a new CMS) keeps its
/// stories: an item under a new guid, at a stored story's link with its
/// title, is that story. A new headline at the link is a story of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_that_changes_its_guids_keeps_its_stories() {
    let f = common::fixture(false);
    let mock = Arc::new(Mock::default());
    let base = start(mock.clone()).await;
    let client = client();
    let feed = source(&format!("{base}/plain.xml"));
    let rss = |items: &[(&str, &str, &str)]| guid_rss(items, 5);
    *mock.plain_rss.lock().unwrap() = rss(&[
        ("الأولى", "https://plain.test/news/1", "post-1"),
        ("الثانية", "https://plain.test/news/2", "post-2"),
    ]);
    sync::sync(f.store.as_ref(), &client, &feed)
        .await
        .expect("sync");
    let u = Url::parse(&feed.url).unwrap();
    let first = sync::feed::article_id(&u, "post-1");
    assert!(stored(&f.store, &first).await.is_some());
    *mock.plain_rss.lock().unwrap() = rss(&[
        ("عاجل", "https://plain.test/news/1", "urn:new:3"),
        ("الأولى", "https://plain.test/news/1", "urn:new:1"),
        ("الثانية", "https://plain.test/news/2", "urn:new:2"),
    ]);
    sync::sync(f.store.as_ref(), &client, &feed)
        .await
        .expect("sync");
    assert_eq!(f.store.article_count().await.unwrap(), 3, "one new story");
    assert!(stored(&f.store, &sync::feed::article_id(&u, "urn:new:1"))
        .await
        .is_none());
    assert_eq!(stored(&f.store, &first).await.expect("kept").title, "الأولى");
    assert_eq!(
        stored(&f.store, &sync::feed::article_id(&u, "urn:new:3"))
            .await
            .expect("a headline of its own")
            .title,
        "عاجل"
    );
    // Synced again, nothing moves.
    let report = sync::sync(f.store.as_ref(), &client, &feed)
        .await
        .expect("sync");
    assert_eq!(report.changed, 0, "{report}");
    assert_eq!(f.store.article_count().await.unwrap(), 3);

    // The same headline at the same link on another day (a daily
    // briefing) is another story; a hidden story stays hidden, and the
    // item under a new guid is a story of its own.
    *mock.plain_rss.lock().unwrap() =
        guid_rss(&[("الأولى", "https://plain.test/news/1", "urn:new:4")], 6);
    sync::sync(f.store.as_ref(), &client, &feed)
        .await
        .expect("sync");
    assert_eq!(f.store.article_count().await.unwrap(), 4, "a day later");
    let second = sync::feed::article_id(&u, "post-2");
    assert!(f.store.set_article_hidden(&second, true).await.unwrap());
    *mock.plain_rss.lock().unwrap() = rss(&[("الثانية", "https://plain.test/news/2", "urn:new:5")]);
    sync::sync(f.store.as_ref(), &client, &feed)
        .await
        .expect("sync");
    assert!(stored(&f.store, &second).await.is_none(), "still hidden");
    assert!(stored(&f.store, &sync::feed::article_id(&u, "urn:new:5"))
        .await
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_without_ids_or_readable_dates_are_kept_and_stay_one_story() {
    let f = common::fixture(false);
    let mock = Arc::new(Mock::default());
    let base = start(mock.clone()).await;
    let client = client();
    let feed = source(&format!("{base}/plain.xml"));
    let u = Url::parse(&feed.url).unwrap();
    let id = |link: &str| sync::feed::article_id(&u, link);

    // A story stored by an earlier version, under feed-rs's own id for an
    // item without one (a hash of its link and title).
    let old_link = "https://plain.test/news/old";
    let before = plain_rss(&[("قصة قديمة", old_link, None)]);
    let legacy = feed_rs::parser::parse(before.as_bytes()).expect("feed");
    let legacy_id = sync::feed::article_id(&u, &legacy.entries[0].id);
    let stored_before = Article {
        id: legacy_id.clone(),
        url: old_link.into(),
        title: "قصة قديمة".into(),
        summary: "نص".into(),
        body: None,
        body_html: Some("نص".into()),
        published_at: "2024-06-01T08:00:00Z".into(),
        updated_at: None,
        source: Some("بلا معرّفات".into()),
        section: None,
        author: None,
        image: None,
        lang: "ar".into(),
        comments_open: true,
        comment_count: 0,
        source_comments_open: None,
    };
    f.store
        .upsert_articles(vec![stored_before], Some(feed.url.as_str()))
        .await
        .expect("store");

    let items = |first: &str, old: &str| {
        plain_rss(&[
            (
                first,
                "https://plain.test/news/a",
                Some("2024-06-05 10:30:00"),
            ),
            ("بلا تاريخ", "https://plain.test/news/b", None),
            (
                "تاريخ بلا منطقة",
                "https://plain.test/news/c",
                Some("Wed, 05 Jun 2024 11:00"),
            ),
            ("تاريخ لا يُقرأ", "https://plain.test/news/d", Some("قريبًا")),
            (old, old_link, Some("Sat, 01 Jun 2024 08:00:00 GMT")),
            // A ticker: headlines that all link to one page.
            (
                "عاجل: الأول",
                "https://plain.test/live",
                Some("Wed, 05 Jun 2024 12:00:00 GMT"),
            ),
            (
                "عاجل: الثاني",
                "https://plain.test/live",
                Some("Wed, 05 Jun 2024 12:05:00 GMT"),
            ),
        ])
    };
    *mock.plain_rss.lock().unwrap() = items("العنوان الأول", "قصة قديمة مصححة");
    let started = OffsetDateTime::now_utc();
    let report = sync::sync(f.store.as_ref(), &client, &feed)
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "7 new or updated, 0 hidden, 0 skipped");

    let a = stored(&f.store, &id("https://plain.test/news/a"))
        .await
        .expect("a");
    assert_eq!(a.published_at, "2024-06-05T10:30:00Z", "no zone: UTC");
    let c = stored(&f.store, &id("https://plain.test/news/c"))
        .await
        .expect("c");
    assert_eq!(c.published_at, "2024-06-05T11:00:00Z");
    // Undated: when first seen, in the feed's order.
    let b = stored(&f.store, &id("https://plain.test/news/b"))
        .await
        .expect("b");
    let d = stored(&f.store, &id("https://plain.test/news/d"))
        .await
        .expect("d");
    let seen = |t: &str| OffsetDateTime::parse(t, &Rfc3339).expect("rfc3339");
    assert!(seen(&b.published_at) > seen(&d.published_at), "{b:?} {d:?}");
    assert!(
        (seen(&d.published_at) - started).whole_seconds().abs() < 60,
        "{}",
        d.published_at
    );
    // The story stored before keeps its id and takes the corrected title.
    let old = stored(&f.store, &legacy_id).await.expect("old story");
    assert_eq!(old.title, "قصة قديمة مصححة");
    assert!(stored(&f.store, &id(old_link)).await.is_none(), "no twin");
    // The ticker's headlines stay two stories, keyed with their titles as
    // before (feed-rs's own ids).
    let body = mock.plain_rss.lock().unwrap().clone();
    let before = feed_rs::parser::Builder::new()
        .base_uri(Some(feed.url.as_str()))
        .build()
        .parse(body.as_bytes())
        .expect("feed");
    ticker_kept(&f.store, &u, &before.entries[5..]).await;

    // Titles corrected: the same stories, retitled; the undated keep
    // their first date; nothing else is rewritten.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    *mock.plain_rss.lock().unwrap() = items("العنوان المصحح", "قصة قديمة مصححة مرتين");
    let report = sync::sync(f.store.as_ref(), &client, &feed)
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "2 new or updated, 0 hidden, 0 skipped");
    let a = stored(&f.store, &id("https://plain.test/news/a"))
        .await
        .expect("a");
    assert_eq!(a.title, "العنوان المصحح");
    let old = stored(&f.store, &legacy_id).await.expect("old story");
    assert_eq!(old.title, "قصة قديمة مصححة مرتين");
    let b2 = stored(&f.store, &id("https://plain.test/news/b"))
        .await
        .expect("b");
    assert_eq!(b2.published_at, b.published_at);
    assert_eq!(f.store.article_count().await.unwrap(), 7);

    // The ticker keeps one headline, whose link now stands alone: it is
    // still its own story, and the other headline keeps its text.
    // Either one (the store lists a link's stories in the order of their
    // ids, and the lone headline must not take the other's).
    for (title, at) in [
        ("عاجل: الأول", "Wed, 05 Jun 2024 12:00:00 GMT"),
        ("عاجل: الثاني", "Wed, 05 Jun 2024 12:05:00 GMT"),
    ] {
        *mock.plain_rss.lock().unwrap() =
            plain_rss(&[(title, "https://plain.test/live", Some(at))]);
        let report = sync::sync(f.store.as_ref(), &client, &feed)
            .await
            .expect("sync");
        assert_eq!(
            report.to_string(),
            "0 new or updated, 0 hidden, 0 skipped",
            "{title}"
        );
        ticker_kept(&f.store, &u, &before.entries[5..]).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_sources_fail_cleanly_and_change_nothing() {
    let f = common::fixture(true);
    let before = stored_content(&f.store).await;
    let mock = Arc::new(Mock::default());
    let base = start(mock.clone()).await;
    let client = client();
    let roomy = SyncClient::new(Limits {
        timeout: Duration::from_secs(20),
        ..Limits::default()
    })
    .unwrap();
    // A port nobody listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let cases: Vec<(String, &SyncClient, &str)> = vec![
        (format!("{base}/huge"), &roomy, "larger than 20971520 bytes"),
        (
            format!("{base}/huge-chunked"),
            &roomy,
            "larger than 20971520 bytes",
        ),
        (format!("{base}/stall"), &client, "timed out"),
        (format!("{base}/stall-body"), &client, "timed out"),
        (format!("http://{closed}/feed"), &client, "error"),
        (
            format!("{base}/garbage"),
            &client,
            "not a WordPress posts API",
        ),
        (
            format!("{base}/page.html"),
            &client,
            "not a WordPress posts API",
        ),
        (format!("{base}/broken.xml"), &client, "unreadable answer"),
        (
            format!("{base}/crowded.xml"),
            &client,
            "more than 10000 entries on one page",
        ),
        (format!("{base}/error"), &client, "answered HTTP 500"),
        (
            "ftp://example.test/feed".to_owned(),
            &client,
            "not an http(s) URL",
        ),
    ];
    for (url, client, expected) in cases {
        let started = std::time::Instant::now();
        let err = sync::sync(f.store.as_ref(), client, &source(&url))
            .await
            .unwrap_err();
        assert!(err.to_string().contains(expected), "{url}: {err}");
        assert!(
            err.to_string().contains(url.as_str()),
            "names the source: {err}"
        );
        assert!(started.elapsed() < Duration::from_secs(10), "{url}");
    }
    // A forced kind that does not match is garbage too.
    let wrong = Source {
        kind: Some(SourceKind::JsonFeed),
        ..source(&format!("{base}/rss.xml"))
    };
    *mock.rss_etag.lock().unwrap() = "\"x\"".into();
    let err = sync::sync(f.store.as_ref(), &client, &wrong)
        .await
        .unwrap_err();
    assert!(matches!(err, SyncError::Garbage { .. }), "{err}");
    assert_eq!(stored_content(&f.store).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_instance_syncs_each_source_and_backs_off_after_failures() {
    let f = common::fixture(false);
    let (mock, url, _host) = wp_site().await;
    let src = source(&url);
    let client = client();
    let one = AppState::new(f.store.clone());
    let two = AppState::new(f.store.clone());
    let every = Duration::from_secs(1);

    let ran_one = khabar_server::jobs::sync_if_due(&one, &client, &src, every, "one").await;
    let ran_two = khabar_server::jobs::sync_if_due(&two, &client, &src, every, "two").await;
    assert!(ran_one && !ran_two, "exactly one instance syncs a period");
    assert_eq!(f.store.visible_ids_from(&url).await.unwrap().len(), 3);

    // A failure: the next period is skipped (2x), the one after runs.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    *mock.wp_fail.lock().unwrap() = Some((503, "busy"));
    assert!(khabar_server::jobs::sync_if_due(&one, &client, &src, every, "one").await);
    assert_eq!(one.metrics.sync_failures.get(), 1);
    *mock.wp_fail.lock().unwrap() = None;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(
        !khabar_server::jobs::sync_if_due(&two, &client, &src, every, "two").await,
        "backing off"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(khabar_server::jobs::sync_if_due(&two, &client, &src, every, "two").await);
    let state = f.store.source_state(&url).await.unwrap().unwrap();
    assert_eq!(state.failures, 0);
}

/// A version pushed after a sync read the post (the plugin's `PUT` of an
/// edit) is newer than what that sync stores: it stands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_pushed_version_is_not_overwritten_by_an_older_read() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    let (src, client) = (source(&url), client());
    {
        let mut posts = mock.posts.lock().unwrap();
        let p = posts.iter_mut().find(|p| p["id"] == 102).unwrap();
        p["modified_gmt"] = json!(now_gmt());
    }
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    let id = format!("{host}-102");
    let mut pushed = stored(&f.store, &id).await.expect("stored");
    pushed.title = "Pushed after the edit".into();
    pushed.updated_at = Some("2099-01-01T00:00:00Z".into());
    f.store
        .upsert_articles(vec![pushed], Some("push"))
        .await
        .expect("push");
    // The next sync reads the post as it was (still in its window).
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "0 new or updated, 0 hidden, 0 skipped");
    assert_eq!(
        stored(&f.store, &id).await.expect("stored").title,
        "Pushed after the edit"
    );
}

/// The fixture's posts as the site at `{base}{path}` publishes them: links
/// under its address, titles marked with its path.
fn posts_of_site(base: &str, path: &str) -> Vec<Value> {
    let mut posts: Vec<Value> =
        serde_json::from_str(&fixture_text("wp-posts.json")).expect("posts");
    for p in &mut posts {
        if let Some(link) = p["link"].as_str() {
            p["link"] = json!(link.replace("https://site.test", &format!("{base}{path}")));
        }
        if let Some(title) = p["title"]["rendered"].as_str() {
            p["title"]["rendered"] = json!(format!("{path}: {title}"));
        }
    }
    posts
}

/// The sites of one host — one at its root, two in subdirectories, as in a
/// multisite network — number their posts alike: each keeps its own
/// articles (`{host}-{post}`, `{host}-ar-{post}`, `{host}-en-{post}`),
/// and a post gone from one hides its article only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sites_of_one_host_keep_their_own_articles() {
    let f = common::fixture(false);
    let (mock, root, host) = wp_site().await;
    let base = mock.base.lock().unwrap().clone();
    *mock.posts.lock().unwrap() = posts_of_site(&base, "");
    for path in ["ar", "en"] {
        let posts = posts_of_site(&base, &format!("/{path}"));
        mock.subsites.lock().unwrap().insert(path.into(), posts);
    }
    let client = client();
    // The root site first: its articles, with their URLs at the host's
    // root, are not the subdirectories' own from before.
    for url in [
        &root,
        &format!("{base}/ar/wp-json/wp/v2/posts"),
        &format!("{base}/en/?rest_route=/wp/v2/posts"),
    ] {
        let report = sync::sync(f.store.as_ref(), &client, &source(url))
            .await
            .expect("sync");
        assert_eq!(report.changed, 4, "{url}: {report}");
    }
    for (id, title) in [
        (format!("{host}-102"), ": Final score"),
        (format!("{host}-ar-102"), "/ar: Final score"),
        (format!("{host}-en-102"), "/en: Final score"),
    ] {
        let article = stored(&f.store, &id).await.expect(&id);
        assert!(article.title.starts_with(title), "{id}: {}", article.title);
    }
    let state = f
        .store
        .source_state(&format!("{base}/ar/wp-json/wp/v2/posts"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.article_prefix, Some(format!("{host}-ar")));

    mock.subsites
        .lock()
        .unwrap()
        .get_mut("en")
        .unwrap()
        .retain(|p| p["id"] != 102);
    let en = source(&format!("{base}/en/?rest_route=/wp/v2/posts"));
    let report = sync::sync(f.store.as_ref(), &client, &en)
        .await
        .expect("sync");
    assert_eq!(report.hidden, 1, "{report}");
    assert!(stored(&f.store, &format!("{host}-en-102")).await.is_none());
    assert!(stored(&f.store, &format!("{host}-ar-102")).await.is_some());
    assert!(stored(&f.store, &format!("{host}-102")).await.is_some());
}

/// A site in a subdirectory whose articles Khabar already has under
/// `{host}-{post}` keeps those ids, and their comments: one synced by an
/// earlier version (its state has no prefix), and one whose posts an
/// earlier plugin pushed (the articles' URLs are under its address); and
/// one whose own ids were chosen keeps those.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_in_a_subdirectory_keeps_the_ids_it_had() {
    let (mock, _root, host) = wp_site().await;
    let base = mock.base.lock().unwrap().clone();
    let posts = posts_of_site(&base, "/ar");
    mock.subsites
        .lock()
        .unwrap()
        .insert("ar".into(), posts.clone());
    let url = format!("{base}/ar/wp-json/wp/v2/posts");
    let client = client();

    let synced = common::fixture(false);
    let before = khabar_server::store::SourceState {
        synced_from_ms: Some(1),
        ..Default::default()
    };
    synced.store.save_source_state(&url, &before).await.unwrap();
    sync::sync(synced.store.as_ref(), &client, &source(&url))
        .await
        .expect("sync");

    let pushed = common::fixture(false);
    let mut article = stored(&synced.store, &format!("{host}-101"))
        .await
        .expect("synced");
    article.title = "Pushed".into();
    pushed
        .store
        .upsert_articles(vec![article], Some("push"))
        .await
        .expect("push");
    sync::sync(pushed.store.as_ref(), &client, &source(&url))
        .await
        .expect("sync");

    // A site whose own ids were chosen keeps them when its state is lost,
    // or rewritten without the choice (an earlier version's instance
    // syncing it during an upgrade).
    let own = common::fixture(false);
    sync::sync(own.store.as_ref(), &client, &source(&url))
        .await
        .expect("sync");
    own.store.save_source_state(&url, &before).await.unwrap();
    sync::sync(own.store.as_ref(), &client, &source(&url))
        .await
        .expect("sync");
    let state = own.store.source_state(&url).await.unwrap().unwrap();
    assert_eq!(state.article_prefix, Some(format!("{host}-ar")));
    assert!(stored(&own.store, &format!("{host}-102")).await.is_none());

    for f in [&synced, &pushed] {
        let article = stored(&f.store, &format!("{host}-102"))
            .await
            .expect("kept id");
        assert!(article.title.starts_with("/ar: "), "{}", article.title);
        assert!(stored(&f.store, &format!("{host}-ar-102")).await.is_none());
        let state = f.store.source_state(&url).await.unwrap().unwrap();
        assert_eq!(state.article_prefix.as_deref(), Some(host.as_str()));
    }
}

/// A bulk edit longer than one sync's limits (a search-and-replace over
/// the archive) reaches every post: later syncs read the changes oldest
/// first, and the next goes on where the limits stopped the last.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_past_one_syncs_limits_are_read_by_the_next() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    let src = source(&url);
    // One page of two posts a listing (the mock's page size).
    let client = SyncClient::new(Limits {
        max_pages: 1,
        ..client().limits().clone()
    })
    .expect("client");
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    // Three posts edited, a second apart (after this sync started).
    let edited = [101, 102, 103];
    {
        let mut posts = mock.posts.lock().unwrap();
        for (n, id) in edited.iter().enumerate() {
            let p = posts.iter_mut().find(|p| p["id"] == *id).unwrap();
            p["title"]["rendered"] = json!(format!("بعد الاستبدال {id}"));
            p["modified_gmt"] = json!(format!("2099-01-01T00:00:0{n}"));
        }
    }
    let mut titles = Vec::new();
    for _ in 0..2 {
        sync::sync(f.store.as_ref(), &client, &src)
            .await
            .expect("sync");
    }
    for id in edited {
        let a = stored(&f.store, &format!("{host}-{id}"))
            .await
            .expect("stored");
        titles.push(a.title);
    }
    assert_eq!(
        titles,
        edited.map(|id| format!("بعد الاستبدال {id}")),
        "every edited post, in two syncs"
    );
}

/// An article hidden here (the plugin's `DELETE`, a moderator) stays hidden
/// while later syncs read its post again unchanged, and shows again once
/// the post changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hidden_article_stays_hidden_until_its_post_changes() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    let (src, client) = (source(&url), client());
    let edit = |title: &str| {
        let mut posts = mock.posts.lock().unwrap();
        let p = posts.iter_mut().find(|p| p["id"] == 102).unwrap();
        p["title"]["rendered"] = json!(title);
        p["modified_gmt"] = json!(now_gmt());
    };
    // Edited just now: every sync within the next hour reads it again.
    edit("Final score, edited");
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    let id = format!("{host}-102");
    assert!(f.store.set_article_hidden(&id, true).await.unwrap());
    for _ in 0..2 {
        let report = sync::sync(f.store.as_ref(), &client, &src)
            .await
            .expect("sync");
        assert_eq!(report.to_string(), "0 new or updated, 0 hidden, 0 skipped");
        assert!(stored(&f.store, &id).await.is_none(), "still hidden");
    }
    edit("Final score, edited again");
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "1 new or updated, 0 hidden, 0 skipped");
    let shown = stored(&f.store, &id).await.expect("shown again");
    assert_eq!(shown.title, "Final score, edited again");
}

/// A post the site stopped listing (unpublished, or scheduled again) is
/// hidden; listed again with no edit (WP-Cron publishes a scheduled post
/// by its status alone), its article is shown again. One a moderator hid
/// stays hidden (above).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_listed_again_without_an_edit_is_shown_again() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    let (src, client) = (source(&url), client());
    sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    let id = format!("{host}-103");
    let title = stored(&f.store, &id).await.expect("stored").title;
    let post = {
        let mut posts = mock.posts.lock().unwrap();
        let at = posts.iter().position(|p| p["id"] == 103).unwrap();
        posts.remove(at)
    };
    // The sync that hides it fails after (the site falls over while it
    // fetches a post gone live): what it hid is remembered all the same.
    {
        let mut posts = mock.posts.lock().unwrap();
        let mut live = posts.iter().find(|p| p["id"] == 101).unwrap().clone();
        live["id"] = json!(108);
        posts.push(live);
    }
    *mock.embed_fail_after_listing.lock().unwrap() = Some(503);
    assert!(sync::sync(f.store.as_ref(), &client, &src).await.is_err());
    assert!(stored(&f.store, &id).await.is_none());
    *mock.embed_fail.lock().unwrap() = None;
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "1 new or updated, 0 hidden, 0 skipped");
    assert!(stored(&f.store, &id).await.is_none());

    // Published again, as it was: the same `modified_gmt`.
    mock.posts.lock().unwrap().push(post);
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "1 new or updated, 0 hidden, 0 skipped");
    assert_eq!(stored(&f.store, &id).await.expect("shown").title, title);
    let state = f
        .store
        .source_state(&src.url)
        .await
        .expect("state")
        .expect("saved");
    assert!(state.unlisted.is_empty(), "{:?}", state.unlisted);
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "0 new or updated, 0 hidden, 0 skipped");
}

/// A sync that takes longer than the interval keeps its source to itself
/// until it ends, and one longer than `Limits::max_sync` is stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_sync_holds_its_source_until_it_ends_and_stops_at_its_limit() {
    let f = common::fixture(false);
    let (mock, url, _host) = wp_site().await;
    *mock.wp_delay.lock().unwrap() = Duration::from_millis(250);
    let (src, client) = (source(&url), client());
    let one = AppState::new(f.store.clone());
    let two = AppState::new(f.store.clone());
    let every = Duration::from_millis(200);
    let first = tokio::spawn({
        let (one, client, src) = (one.clone(), client.clone(), src.clone());
        async move { khabar_server::jobs::sync_if_due(&one, &client, &src, every, "one").await }
    });
    // Past the interval, the first still running (five answers or more).
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(!first.is_finished(), "the sync is still running");
    assert!(
        !khabar_server::jobs::sync_if_due(&two, &client, &src, every, "two").await,
        "no second sync of the source while the first runs"
    );
    assert!(first.await.expect("first sync"));
    assert_eq!(f.store.visible_ids_from(&url).await.unwrap().len(), 3);
    // Released when it ended: the next is due an interval later.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(khabar_server::jobs::sync_if_due(&two, &client, &src, every, "two").await);

    // Past its time limit a sync fails, and counts as failed.
    let hurried = SyncClient::new(Limits {
        max_sync: Duration::from_millis(400),
        ..client.limits().clone()
    })
    .expect("client");
    let err = sync::sync(f.store.as_ref(), &hurried, &src)
        .await
        .expect_err("too slow");
    assert!(err.to_string().contains("took longer than 400ms"), "{err}");
    let state = f.store.source_state(&url).await.unwrap().unwrap();
    assert_eq!(state.failures, 1);
    assert_eq!(f.store.visible_ids_from(&url).await.unwrap().len(), 3);
}

/// A bulk edit on a slow site: a sync that would read the changes past its
/// time limit stops at half of it with what it read, and the next goes on
/// from there, where each would otherwise fail whole at the limit, again
/// and again, and never reach the newest posts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_bulk_edit_is_read_over_several_syncs() {
    let f = common::fixture(false);
    let (mock, url, host) = wp_site().await;
    let src = source(&url);
    sync::sync(f.store.as_ref(), &client(), &src)
        .await
        .expect("first sync");
    {
        // 36 posts edited at once: 18 pages of the mock's two, 5.4 s to
        // read at 300 ms a page, past the limit of 3 s.
        let mut posts = mock.posts.lock().unwrap();
        let model = posts[0].clone();
        for id in 301..=336 {
            let mut post = model.clone();
            post["id"] = json!(id);
            post["title"]["rendered"] = json!(format!("Edited {id}"));
            post["modified_gmt"] = json!(format!("2099-01-01T08:{:02}:00", id - 300));
            posts.push(post);
        }
    }
    *mock.embed_delay.lock().unwrap() = Duration::from_millis(300);
    let slow = SyncClient::new(Limits {
        max_sync: Duration::from_secs(3),
        ..client().limits().clone()
    })
    .expect("client");
    let read = |f: &common::Fixture| {
        let (store, host) = (f.store.clone(), host.clone());
        async move {
            let mut n = 0;
            for id in 301..=336 {
                n += usize::from(stored(&store, &format!("{host}-{id}")).await.is_some());
            }
            n
        }
    };
    sync::sync(f.store.as_ref(), &slow, &src)
        .await
        .expect("stopped at half its time, not failed");
    let first = read(&f).await;
    assert!((1..36).contains(&first), "{first} of 36 read");
    for _ in 0..6 {
        if read(&f).await == 36 {
            break;
        }
        sync::sync(f.store.as_ref(), &slow, &src)
            .await
            .expect("goes on");
    }
    assert_eq!(read(&f).await, 36, "every edited post, over a few syncs");
}

/// An instance shutting down (SIGTERM) lets the sync it is in end, which
/// hands the source back to the other instances at once, and starts none:
/// cut off, its claim would hold the source until its lease ran out
/// (`Limits::max_sync` and a minute).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_running_at_shutdown_ends_and_hands_its_source_back() {
    let f = common::fixture(false);
    let (mock, url, _host) = wp_site().await;
    *mock.wp_delay.lock().unwrap() = Duration::from_millis(250);
    let (src, client) = (source(&url), client());
    let one = AppState::new(f.store.clone());
    let two = AppState::new(f.store.clone());
    let every = Duration::from_millis(200);
    khabar_server::jobs::spawn_syncs(one.clone(), client.clone(), vec![src.clone()], every);
    // The loop asks at once: a sync of five answers or more is under way.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        !khabar_server::jobs::sync_if_due(&two, &client, &src, every, "two").await,
        "the first instance's sync runs"
    );
    assert_eq!(one.background.drain(Duration::from_secs(20)).await, 0);
    assert_eq!(
        f.store.visible_ids_from(&url).await.unwrap().len(),
        3,
        "the sync ran to its end"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        khabar_server::jobs::sync_if_due(&two, &client, &src, every, "two").await,
        "released as it ended: the next sync is the other instance's"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !khabar_server::jobs::sync_if_due(&one, &client, &src, every, "one").await,
        "an instance that is stopping starts nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_command_prints_what_it_did() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::engine_url(&dir);
    let (mock, url, host) = wp_site().await;
    let bin = env!("CARGO_BIN_EXE_khabar-server");
    let run = |args: Vec<String>| {
        let db = db.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(bin)
                .arg("--db")
                .arg(db)
                .args(args)
                .env("RUST_LOG", "off")
                .output()
                .expect("run khabar-server")
        })
    };
    let out = run(vec![
        "sync".into(),
        url.clone(),
        "--source-lang".into(),
        "ar".into(),
    ])
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("synced {url}: 3 new or updated, 0 hidden, 3 skipped")
    );
    let store = khabar_server::store::engine::open(&db).await.unwrap();
    let a = store
        .article(&format!("{host}-101"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.lang, "ar");
    // An instance holds the source (it syncs it now): the command leaves
    // it alone, and says so.
    let job = format!("sync:{url}");
    assert!(store
        .claim_job(&job, Duration::from_secs(600), "an instance")
        .await
        .unwrap());
    drop(store);
    mock.requests.lock().unwrap().clear();
    let out = run(vec!["sync".into(), url.clone()]).await.unwrap();
    assert_eq!(out.status.code(), Some(75), "try again later");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("nothing done"), "{said}");
    assert!(mock.requests.lock().unwrap().is_empty(), "no request");

    // A language that names no source: refused before any request.
    let out = run(vec![
        "sync".into(),
        url.clone(),
        "--source-lang".into(),
        "https://elsewhere.example/feed=en".into(),
    ])
    .await
    .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("URL=LANG"), "{err}");

    // A failing source: non-zero exit, the reason on stderr.
    let dead = "http://127.0.0.1:9/feed.xml".to_owned();
    let out = run(vec![
        "sync".into(),
        dead.clone(),
        "--source-kind".into(),
        "rss".into(),
    ])
    .await
    .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&dead), "{err}");
}

/// A site that moves from the plugin to the sync: the articles the plugin
/// pushed, which the sync's first read finds as they are, become the
/// sync's, and a post trashed later is hidden like any other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn articles_the_plugin_pushed_are_hidden_by_the_sync_that_takes_over() {
    let (mock, url, host) = wp_site().await;
    let (src, client) = (source(&url), client());
    // What the plugin pushed: the same articles, as the sync makes them.
    let pushed = common::fixture(false);
    sync::sync(pushed.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    let mut articles = Vec::new();
    for id in pushed.store.visible_ids_from(&url).await.expect("ids") {
        articles.push(stored(&pushed.store, &id).await.expect("stored"));
    }
    assert_eq!(articles.len(), 3);
    let f = common::fixture(false);
    f.store
        .upsert_articles(articles, Some("push"))
        .await
        .expect("push");

    // The plugin is switched off and --source added.
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "0 new or updated, 0 hidden, 3 skipped");
    assert_eq!(f.store.visible_ids_from(&url).await.expect("ids").len(), 3);
    // A month later, a legal takedown.
    mock.posts.lock().unwrap().retain(|p| p["id"] != 103);
    let report = sync::sync(f.store.as_ref(), &client, &src)
        .await
        .expect("sync");
    assert_eq!(report.to_string(), "0 new or updated, 1 hidden, 0 skipped");
    assert!(stored(&f.store, &format!("{host}-103")).await.is_none());
}
