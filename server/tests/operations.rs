//! What an operator relies on: the demo only on demand, `/healthz`,
//! `/metrics`, `khabar-server healthcheck` and `backup`.

mod common;

use axum::http::StatusCode;
use common::{fixture, fixture_with, get, post_json};
use serde_json::json;

#[tokio::test]
async fn without_demo_only_the_api_feeds_and_widget_files_are_served() {
    let f = fixture(false);
    let (status, _, _) = get(&f.router, "/").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no demo page without --demo");
    let (status, _, _) = get(&f.router, "/index.html").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = get(&f.router, "/khabar/khabar_core_bg.wasm").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = get(&f.router, "/api/v1/articles").await;
    assert_eq!(status, StatusCode::OK);
    let list: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(list["items"], json!([]), "no demo articles without --demo");

    let demo = fixture(true);
    let (status, _, _) = get(&demo.router, "/").await;
    assert_eq!(status, StatusCode::OK, "the demo serves its pages");
}

#[tokio::test]
async fn healthz_answers_while_the_database_does() {
    let f = fixture(false);
    let (status, _, body) = get(&f.router, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"ok\n");
}

#[tokio::test]
async fn metrics_need_their_token_and_count_requests_and_comments() {
    let f = fixture_with(true, |mut s| {
        s.metrics_token = Some("m3trics".into());
        s.moderation = khabar_server::comments::Moderation::Pre;
        s
    });
    let (status, _, _) = get(&f.router, "/metrics").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let comment =
        json!({ "author": "Ali", "body": "تعليق للعدّ", "idempotency_key": "key-metrics-01" });
    let (status, _, _) = post_json(
        &f.router,
        "/api/v1/articles/2026-11-28-transit-plan/comments",
        &comment,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    get(&f.router, "/api/v1/articles/2026-11-28-transit-plan").await;
    // The moderators' pages and the health check count too.
    let (status, _, _) = get(&f.router, "/admin/login").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = get(&f.router, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    let text = scrape(&f).await;
    assert!(
        text.contains(r#"khabar_http_requests_total{route="/api/v1/articles/{id}/comments",method="POST",status="201"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"khabar_http_request_duration_seconds_count{route="/api/v1/articles/{id}"} 1"#
        ),
        "{text}"
    );
    for route in ["/admin/login", "/healthz"] {
        let line =
            format!(r#"khabar_http_requests_total{{route="{route}",method="GET",status="200"}} 1"#);
        assert!(text.contains(&line), "{line}: {text}");
    }
    assert!(
        text.contains(r#"khabar_comments{state="pending"} 1"#),
        "{text}"
    );
    assert!(text.contains("khabar_mail_failures_total 0"), "{text}");
    assert!(text.contains("khabar_sync_failures_total 0"), "{text}");
}

/// `/metrics` as a scraper holding the token `m3trics` reads it.
async fn scrape(f: &common::Fixture) -> String {
    let res = tower::ServiceExt::oneshot(
        f.router.clone(),
        axum::http::Request::get("/metrics")
            .header("authorization", "Bearer m3trics")
            .body(axum::body::Body::empty())
            .expect("request"),
    )
    .await
    .expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = http_body_util::BodyExt::collect(res.into_body())
        .await
        .expect("body")
        .to_bytes();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[tokio::test]
async fn comment_counts_the_database_cannot_give_are_left_out_not_repeated() {
    let f = fixture_with(true, |mut s| {
        s.metrics_token = Some("m3trics".into());
        s
    });
    let counted = scrape(&f).await;
    assert!(counted.contains(r#"khabar_comments{state="#), "{counted}");
    common::by_hand(&f, "ALTER TABLE comments RENAME TO comments_away").await;
    let text = scrape(&f).await;
    assert!(!text.contains("khabar_comments{"), "{text}");
    assert!(
        text.contains("khabar_mail_failures_total 0"),
        "the rest is there: {text}"
    );
    common::by_hand(&f, "ALTER TABLE comments_away RENAME TO comments").await;
    let text = scrape(&f).await;
    assert!(
        text.contains(r#"khabar_comments{state="#),
        "counted again: {text}"
    );
}

/// `khabar-server serve` on `db` and `listen` (extra `args` after),
/// with `dir` as its site and widget folders: the process and the URL it
/// says it listens at, without its closing slash.
fn serve_at(
    db: &std::path::Path,
    dir: &std::path::Path,
    listen: &str,
    args: &[&str],
) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut server = Command::new(env!("CARGO_BIN_EXE_khabar-server"))
        .args(["--db", &db.to_string_lossy(), "serve", "--listen", listen])
        .args(args)
        .args(["--www", &dir.to_string_lossy()])
        .args(["--widget-dir", &dir.to_string_lossy()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start");
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    let url = line
        .trim()
        .rsplit(' ')
        .next()
        .expect("url")
        .trim_end_matches('/')
        .to_owned();
    (server, url)
}

#[test]
fn healthcheck_and_backup_commands_work_against_a_running_server() {
    use std::process::Command;
    let bin = env!("CARGO_BIN_EXE_khabar-server");
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("live.sqlite3");
    let (mut server, url) = serve_at(&db, dir.path(), "127.0.0.1:0", &["--demo"]);
    let health = Command::new(bin)
        .args(["healthcheck", "--url", &format!("{url}/healthz")])
        .output()
        .expect("run");
    assert!(health.status.success(), "{health:?}");

    let copy = dir.path().join("copy.sqlite3");
    let backup = Command::new(bin)
        .args(["--db", &db.to_string_lossy(), "backup"])
        .arg(&copy)
        .output()
        .expect("run");
    assert!(backup.status.success(), "{backup:?}");
    // The copy is a complete database: the demo articles are in it.
    let restored = common::block_on(khabar_server::store::engine::open(&copy.to_string_lossy()))
        .expect("open the copy");
    let n = common::block_on(restored.article_count()).expect("count");
    assert!(n >= 9, "{n} articles in the backup");
    // Backing up over an existing file is refused.
    let again = Command::new(bin)
        .args(["--db", &db.to_string_lossy(), "backup"])
        .arg(&copy)
        .output()
        .expect("run");
    assert!(!again.status.success());

    server.kill().expect("kill");
    let _ = server.wait();
    let down = Command::new(bin)
        .args(["healthcheck", "--url", &format!("{url}/healthz")])
        .output()
        .expect("run");
    assert!(!down.status.success(), "a stopped server is unhealthy");
}

/// A server on an IPv6 address: the health check's URL writes it in
/// brackets (`http://[::1]:8080/healthz`), which it connects without.
#[test]
fn the_health_check_reaches_a_server_on_an_ipv6_address() {
    use std::process::Command;
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        return; // a machine without IPv6 on its loopback
    }
    let bin = env!("CARGO_BIN_EXE_khabar-server");
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("live.sqlite3");
    let (mut server, url) = serve_at(&db, dir.path(), "[::1]:0", &[]);
    assert!(url.contains("[::1]"), "{url}");
    let health = Command::new(bin)
        .args(["healthcheck", "--url", &format!("{url}/healthz")])
        .output()
        .expect("run");
    server.kill().expect("kill");
    let _ = server.wait();
    assert!(health.status.success(), "{health:?}");
}

#[test]
fn tools_for_a_running_server_refuse_a_database_that_is_not_there() {
    // The server's KHABAR_DB is set in its service's environment, not the
    // operator's shell: the tools would otherwise act on a new, empty file.
    let bin = env!("CARGO_BIN_EXE_khabar-server");
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("data").join("khabar.sqlite3");
    for args in [
        vec!["admin", "list"],
        vec!["comments", "pending"],
        // Without --site an import only matches articles: none here.
        vec!["comments", "import", "--from", "disqus", "export.xml"],
        vec!["backup", "copy.sqlite3"],
    ] {
        let out = std::process::Command::new(bin)
            .current_dir(dir.path())
            .env_remove("KHABAR_DB")
            .arg("--db")
            .arg(&missing)
            .args(&args)
            .output()
            .expect("run");
        assert!(!out.status.success(), "{args:?}: {out:?}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("no database at"), "{args:?}: {said}");
        assert!(!missing.exists(), "{args:?} created {}", missing.display());
    }
    // With --site it may start a new site's database: it says which.
    std::fs::write(
        dir.path().join("export.xml"),
        "<?xml version=\"1.0\"?><disqus xmlns:dsq=\"http://disqus.com/disqus-internals\">\
         <thread dsq:id=\"1\"><link>https://news.example/a</link></thread></disqus>",
    )
    .expect("export");
    std::fs::create_dir_all(missing.parent().expect("dir")).expect("mkdir");
    let out = std::process::Command::new(bin)
        .current_dir(dir.path())
        .env_remove("KHABAR_DB")
        .arg("--db")
        .arg(&missing)
        .args(["comments", "import", "--from", "disqus", "export.xml"])
        .args(["--site", "https://news.example"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&format!("database: {} (a new file)", missing.display())),
        "{said}"
    );
    std::fs::remove_dir_all(missing.parent().expect("dir")).expect("remove");
    std::fs::remove_file(dir.path().join("export.xml")).expect("remove");
    // Nor does `migrate` copy a missing file, as a new, empty database.
    let out = std::process::Command::new(bin)
        .current_dir(dir.path())
        .args(["migrate", "--from"])
        .arg(&missing)
        .args(["--to", "copy.sqlite3"])
        .output()
        .expect("run");
    assert!(!out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("no database at"), "{said}");
    assert!(!missing.exists() && !dir.path().join("copy.sqlite3").exists());
    // A --db that means PostgreSQL but is no postgres:// URL is refused,
    // not made an SQLite file of that name.
    for spec in [
        "host=db.internal dbname=khabar user=khabar password=s3cret",
        "POSTGRES://khabar:s3cret@db/khabar",
        "postgres//khabar@db/khabar",
        "postgresql:khabar",
    ] {
        let out = std::process::Command::new(bin)
            .current_dir(dir.path())
            .args(["--db", spec, "import"])
            .arg(dir.path().join("none.json"))
            .output()
            .expect("run");
        assert!(!out.status.success(), "{spec}: {out:?}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("postgres://"), "{spec}: {said}");
        assert!(!said.contains("s3cret"), "{spec}: {said}");
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("dir").count(),
            0,
            "{spec}: a file was made"
        );
    }
    // Importing articles may start a new database.
    let articles = dir.path().join("articles.json");
    std::fs::write(&articles, "[]").expect("write");
    let out = std::process::Command::new(bin)
        .arg("--db")
        .arg(&missing)
        .arg("import")
        .arg(&articles)
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    assert!(missing.exists());
    // A file whose name starts as PostgreSQL's URLs do is a file.
    let named = dir.path().join("postgres-copy.sqlite3");
    let out = std::process::Command::new(bin)
        .current_dir(dir.path())
        .args(["--db", "postgres-copy.sqlite3", "import"])
        .arg(&articles)
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    assert!(named.exists());
}

/// A token that grants moderating or publishing everything must not be
/// guessable: a short one, or one with a comment after it, stops the start.
#[test]
fn a_weak_or_mangled_token_stops_the_start_and_says_why() {
    let bin = env!("CARGO_BIN_EXE_khabar-server");
    let dir = tempfile::tempdir().expect("dir");
    for (variable, flag, value, why) in [
        (
            "KHABAR_ADMIN_TOKEN",
            "--admin-token",
            "abc123",
            "shorter than 16",
        ),
        (
            "KHABAR_PUBLISH_TOKEN",
            "--publish-token",
            "0123456789abcdef0123 # the CMS's",
            "spaces",
        ),
    ] {
        let out = std::process::Command::new(bin)
            .current_dir(dir.path())
            .env(variable, value)
            .args(["--db", "new.sqlite3", "serve", "--listen", "127.0.0.1:0"])
            .output()
            .expect("run");
        assert!(!out.status.success(), "{value}: {out:?}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains(flag) && said.contains(why), "{value}: {said}");
        assert!(!said.contains(value), "the token is not shown: {said}");
    }
    // The metrics token too (a started server would fail the wait).
    let said = refused_start(&[("KHABAR_METRICS_TOKEN", "m3trics # scraper")]);
    assert!(
        said.contains("--metrics-token") && said.contains("spaces"),
        "{said}"
    );
}

/// What `serve` said on stderr when it stopped at once with these
/// settings (a server that took them would run: 20 s is a failure).
fn refused_start(env: &[(&str, &str)]) -> String {
    let bin = env!("CARGO_BIN_EXE_khabar-server");
    let dir = tempfile::tempdir().expect("dir");
    let mut child = std::process::Command::new(bin)
        .current_dir(dir.path())
        .envs(env.iter().copied())
        .args(["--db", "new.sqlite3", "serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run");
    let started = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > std::time::Duration::from_secs(20) {
            child.kill().expect("kill");
            panic!("{env:?}: the server started with it");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    assert!(!out.status.success(), "{env:?}: {out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_cdn_max_age_without_a_public_url_stops_the_start_and_says_why() {
    // A CDN's copy goes to every reader: its links must not come from the
    // one request that filled it.
    let said = refused_start(&[("KHABAR_CDN_MAX_AGE", "10")]);
    assert!(said.contains("--cdn-max-age needs --public-url"), "{said}");
}

#[test]
fn a_public_url_that_is_not_one_stops_the_start_and_says_why() {
    // A systemd EnvironmentFile keeps a "# comment" after a value as part
    // of it: every link the server built began with the comment.
    for (value, why) in [
        (
            "https://comments.news.example   # links in mail",
            "no spaces",
        ),
        ("comments.news.example", "not a URL"),
        ("ftp://comments.news.example", "http:// or https://"),
        ("https://comments.news.example/?x=1", "without ? or #"),
    ] {
        let said = refused_start(&[("KHABAR_PUBLIC_URL", value)]);
        assert!(
            said.contains("--public-url") && said.contains(why),
            "{value}: {said}"
        );
    }
}
