//! The read cache follows writes made by other processes: the CLI
//! approving a comment while the server runs (SQLite's data_version, or
//! PostgreSQL's NOTIFY when the suite runs on it).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ARTICLE: &str = "2026-11-28-transit-plan";

/// A request over a fresh connection; the status and the JSON body.
fn request(base: &str, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    let status = out.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let json = out
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

#[test]
fn approving_from_the_cli_reaches_a_running_server_with_its_cache() {
    let bin = env!("CARGO_BIN_EXE_khabar-server");
    let dir = tempfile::tempdir().expect("dir");
    let db = common::engine_url(&dir);
    let mut server = Command::new(bin)
        .args(["--db", &db, "serve", "--demo", "--read-cache", "on"])
        .args(["--listen", "127.0.0.1:0", "--moderation", "pre"])
        .args(["--www", &dir.path().to_string_lossy()])
        .args(["--widget-dir", &dir.path().to_string_lossy()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start");
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    let base = line
        .trim()
        .rsplit(' ')
        .next()
        .expect("url")
        .trim_end_matches('/')
        .to_owned();
    let comments = format!("/api/v1/articles/{ARTICLE}/comments");

    let (status, created) = request(
        &base,
        "POST",
        &comments,
        Some(
            &json!({ "author": "Ali", "body": "ينتظر الموافقة", "idempotency_key": "key-cache-0001" }),
        ),
    );
    assert_eq!(status, 201);
    let id = created["comment"]["id"].as_i64().expect("id");
    // Read twice: the second answer comes from the cache.
    for _ in 0..2 {
        let (_, page) = request(&base, "GET", &comments, None);
        assert_eq!(page["total"], 0, "pending comments are not shown");
    }
    let (_, article) = request(&base, "GET", &format!("/api/v1/articles/{ARTICLE}"), None);
    assert_eq!(article["comment_count"], 0);

    // Another process approves it, then deletes it: the running server's
    // cached answers follow each within moments.
    for (action, count) in [("approve", 1), ("delete", 0)] {
        let cli = Command::new(bin)
            .args(["--db", &db, "comments", action, &id.to_string()])
            .output()
            .expect("cli");
        assert!(cli.status.success(), "{cli:?}");
        let started = Instant::now();
        loop {
            let (_, page) = request(&base, "GET", &comments, None);
            let (_, article) = request(&base, "GET", &format!("/api/v1/articles/{ARTICLE}"), None);
            if page["total"] == count && article["comment_count"] == count {
                if count == 1 {
                    assert_eq!(page["items"][0]["id"], json!(id));
                }
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(3),
                "the cache still serves the old page 3 s after the CLI's {action}: {page}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let _ = server.kill();
    let _ = server.wait();
}

/// The store at `url`, with the demo articles.
async fn seeded(url: &str) -> khabar_server::store::SharedStore {
    let engine = khabar_server::store::engine::open(url).await.expect("open");
    khabar_server::import::seed_if_empty(engine.as_ref())
        .await
        .expect("seed");
    engine
}

/// The read cache over the store at `url`, with the demo articles.
async fn cached_over(url: &str) -> khabar_server::store::SharedStore {
    std::sync::Arc::new(
        khabar_server::store::cached::CachedStore::new(seeded(url).await)
            .await
            .expect("the cache"),
    )
}

/// The article's title as `store` reads it.
async fn title(store: &khabar_server::store::SharedStore) -> String {
    store
        .article(ARTICLE)
        .await
        .expect("read")
        .expect("the article")
        .title
}

/// The pids of the backends of database `db` that are `LISTEN`ing.
async fn listeners(admin: &tokio_postgres::Client, db: &str) -> Vec<i32> {
    admin
        .query(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'",
            &[&db],
        )
        .await
        .expect("pg_stat_activity")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// A cache whose `LISTEN` connection is lost cannot hear other instances'
/// writes: it keeps nothing until it listens again, rather than serving
/// what it read then for as long as the database stays out of reach.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cache_that_lost_its_listen_connection_keeps_nothing_until_it_listens_again() {
    if !common::on_postgres() {
        eprintln!("SQLite run: LISTEN is PostgreSQL's, tested in native-postgres");
        return;
    }
    let server = std::env::var("KHABAR_TEST_POSTGRES").expect("server");
    let (admin, conn) = tokio_postgres::connect(&server, tokio_postgres::NoTls)
        .await
        .expect("connect as the superuser");
    tokio::spawn(conn);
    let dir = tempfile::tempdir().expect("dir");
    let url = common::engine_url(&dir);
    let db = url.rsplit('/').next().expect("database").to_owned();
    let cached = cached_over(&url).await;
    // Another instance, which writes; both pools hold a connection now.
    let other = khabar_server::store::engine::open(&url)
        .await
        .expect("other");
    let original = title(&other).await;
    assert_eq!(title(&cached).await, original);

    // The database takes no new connection, and the cache's LISTEN one is
    // ended: it cannot listen again, while the pools' connections live.
    admin
        .batch_execute(&format!("ALTER DATABASE {db} ALLOW_CONNECTIONS false"))
        .await
        .expect("refuse new connections");
    let pids = listeners(&admin, &db).await;
    assert_eq!(pids.len(), 1, "the cache's LISTEN connection: {pids:?}");
    admin
        .execute("SELECT pg_terminate_backend($1)", &[&pids[0]])
        .await
        .expect("end the LISTEN connection");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !listeners(&admin, &db).await.is_empty() {
        assert!(Instant::now() < deadline, "the LISTEN backend lives on");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The watcher hears its connection end as soon as the backend does.
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Read through the cache, then changed by the other instance.
    assert_eq!(title(&cached).await, original);
    let mut article = other
        .article(ARTICLE)
        .await
        .expect("read")
        .expect("article");
    article.title = format!("{original} (updated)");
    other
        .upsert_articles(vec![article], None)
        .await
        .expect("update");
    assert_eq!(
        title(&cached).await,
        format!("{original} (updated)"),
        "a deaf cache served what it read before the change"
    );

    // Connections are taken again: the cache listens again, keeps what it
    // reads and forgets it when the other instance writes.
    admin
        .batch_execute(&format!("ALTER DATABASE {db} ALLOW_CONNECTIONS true"))
        .await
        .expect("take connections");
    let deadline = Instant::now() + Duration::from_secs(15);
    while listeners(&admin, &db).await.is_empty() {
        assert!(Instant::now() < deadline, "the cache never listened again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let updated = format!("{original} (updated)");
    assert_eq!(title(&cached).await, updated);
    // Kept once a probe came back on the new connection (a round trip):
    // a change written without telling (no NOTIFY) goes unseen…
    let (direct, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect to the database");
    tokio::spawn(conn);
    let quietly = |title: String| {
        let direct = &direct;
        async move {
            direct
                .execute(
                    "UPDATE articles SET title = $1 WHERE id = $2",
                    &[&title, &ARTICLE],
                )
                .await
                .expect("update quietly");
        }
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        quietly(updated.clone()).await;
        let seen = title(&cached).await;
        quietly(original.clone()).await;
        if title(&cached).await == seen {
            break;
        }
        assert!(Instant::now() < deadline, "the cache never kept again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(title(&cached).await, updated, "the cache keeps again");
    // …until a change is announced, which is heard again.
    direct
        .execute("SELECT pg_notify('khabar_changes', '')", &[])
        .await
        .expect("notify");
    let deadline = Instant::now() + Duration::from_secs(10);
    while title(&cached).await != original {
        assert!(Instant::now() < deadline, "the change was not heard");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What a reader's request may make the cache keep is bounded by the
/// articles that exist: lists of made-up ids and pages of every size keep
/// nothing more, and counts read partly from the cache come back right,
/// in the order asked.
#[tokio::test]
async fn requests_cannot_fill_the_cache() {
    let dir = tempfile::tempdir().expect("dir");
    let url = common::engine_url(&dir);
    let engine = seeded(&url).await;
    let cached = khabar_server::store::cached::CachedStore::new(engine.clone())
        .await
        .expect("the cache");
    use khabar_server::store::Store;
    let real = ["2026-11-28-transit-plan", "2026-11-27-farmers-market"];
    let truth = engine
        .published_counts(real.iter().map(|s| (*s).to_owned()).collect())
        .await
        .expect("counts");
    assert_eq!(truth.len(), 2);
    for i in 0..200 {
        let ids = vec![format!("made-up-{i}"), real[i % 2].to_owned()];
        let counts = cached.published_counts(ids).await.expect("counts");
        assert_eq!(counts, [truth[i % 2].clone()]);
    }
    assert_eq!(cached.entries(), 2, "one entry per real article");
    // The second id cached, the first not: both, in the order asked.
    let both = cached
        .published_counts(vec![real[1].to_owned(), real[0].to_owned()])
        .await
        .expect("counts");
    assert_eq!(both, [truth[1].clone(), truth[0].clone()]);
    for limit in 1..=60 {
        cached
            .list_comments(khabar_server::store::CommentQuery {
                article_id: real[0].to_owned(),
                sort: khabar_server::store::Sort::Oldest,
                limit,
                after: None,
                replies: None,
            })
            .await
            .expect("page");
    }
    assert_eq!(cached.entries(), 3, "the widget's page size alone");
}

/// The widget's first page (replies cut at 20) and an older
/// client's (every reply) are two entries: neither is served for the other.
#[tokio::test]
async fn first_pages_with_and_without_cut_replies_are_kept_apart() {
    use khabar_server::comments::{CleanComment, Moderation};
    use khabar_server::store::{CommentQuery, Sort, Store};
    let dir = tempfile::tempdir().expect("dir");
    let engine = seeded(&common::engine_url(&dir)).await;
    let cached = khabar_server::store::cached::CachedStore::new(engine.clone())
        .await
        .expect("the cache");
    let add = |key: &str, parent: Option<i64>| CleanComment {
        author: "Huda".into(),
        email: None,
        body: format!("نص {key}"),
        parent_id: parent,
        is_spam: false,
        key: key.into(),
    };
    let now = "2026-12-05T10:00:00Z".to_owned();
    let (top, _) = cached
        .create_comment(
            ARTICLE,
            add("cache-top-01", None),
            Moderation::Post,
            now.clone(),
            None,
        )
        .await
        .expect("top");
    for i in 0..22 {
        let key = format!("cache-reply-{i:02}");
        cached
            .create_comment(
                ARTICLE,
                add(&key, Some(top.comment.id)),
                Moderation::Post,
                now.clone(),
                None,
            )
            .await
            .expect("reply");
    }
    let page = |replies| CommentQuery {
        article_id: ARTICLE.into(),
        sort: Sort::Oldest,
        limit: khabar_rules::COMMENT_PAGE_DEFAULT,
        after: None,
        replies,
    };
    let top_id = top.comment.id;
    let shown = |p: Option<khabar_server::store::CommentPage>| {
        let p = p.expect("the article");
        let c = p
            .items
            .into_iter()
            .find(|c| c.id == top_id)
            .expect("the comment");
        (c.replies.map_or(0, |r| r.len()), c.replies_next.is_some())
    };
    // Until the cache keeps the cut page (its watcher has seen the writes
    // above), then both ways, twice: each from its own entry.
    let until = Instant::now() + Duration::from_secs(5);
    while cached.entries() == 0 {
        assert!(Instant::now() < until, "the cache never kept the page");
        let cut = cached
            .list_comments(page(Some(khabar_rules::REPLIES_ASKED)))
            .await
            .expect("cut");
        assert_eq!(shown(cut), (20, true));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for _ in 0..2 {
        let all = cached.list_comments(page(None)).await.expect("all");
        assert_eq!(shown(all), (22, false));
        let cut = cached
            .list_comments(page(Some(khabar_rules::REPLIES_ASKED)))
            .await
            .expect("cut");
        assert_eq!(shown(cut), (20, true));
    }
    assert_eq!(cached.entries(), 2, "one entry each");
}

/// Hiding an article, closing its comments and opening a thread by URL,
/// written by another instance, reach this one's cache (PostgreSQL's
/// NOTIFY, sent in the same statement as the write; SQLite's
/// data_version).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hiding_closing_and_new_threads_by_another_instance_reach_the_cache() {
    let dir = tempfile::tempdir().expect("dir");
    let url = common::engine_url(&dir);
    let cached = cached_over(&url).await;
    let other = khabar_server::store::engine::open(&url)
        .await
        .expect("other");
    let until = || Instant::now() + Duration::from_secs(5);
    // Read (and kept), then closed by the other instance.
    let open = cached
        .article(ARTICLE)
        .await
        .expect("read")
        .expect("article");
    assert!(open.comments_open);
    assert!(other
        .set_comments_open(ARTICLE, false, None)
        .await
        .expect("close"));
    let deadline = until();
    while cached
        .article(ARTICLE)
        .await
        .expect("read")
        .expect("article")
        .comments_open
    {
        assert!(Instant::now() < deadline, "the cache kept the article open");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Hidden by the other instance.
    assert!(other.set_article_hidden(ARTICLE, true).await.expect("hide"));
    let deadline = until();
    while cached.article(ARTICLE).await.expect("read").is_some() {
        assert!(
            Instant::now() < deadline,
            "the cache kept showing the hidden article"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A thread the other instance opened, asked for by its URL.
    let page = "https://news.example/2026/12/06/thread".to_owned();
    assert!(cached
        .ids_by_url(vec![page.clone()])
        .await
        .expect("none yet")
        .is_empty());
    other
        .ensure_thread("thread-from-other", &page, "A page", "ar")
        .await
        .expect("thread");
    let deadline = until();
    while cached
        .ids_by_url(vec![page.clone()])
        .await
        .expect("read")
        .is_empty()
    {
        assert!(
            Instant::now() < deadline,
            "the cache never saw the new thread"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
