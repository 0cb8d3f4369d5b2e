//! Connecting to PostgreSQL: TLS through `sslmode` and `sslrootcert` in
//! `--db`, and a password kept out of the URL (`KHABAR_DB_PASSWORD`),
//! against the private cluster of the `native-postgres` stage, which
//! serves TLS with a certificate for `localhost` from a CA made for the
//! run (`KHABAR_TEST_POSTGRES_CA`) and signs role `khabar_pw` in by
//! password. On SQLite there is nothing to test.

mod common;

use khabar_server::store::{engine, ChangeHook};

/// A plain connection as the cluster's superuser.
async fn superuser(server: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(server, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    client
}

/// The backends of database `db` other than the asking one, by whether
/// they are encrypted: (encrypted, plain).
async fn backends(server: &str, db: &str) -> (i64, i64) {
    let row = superuser(server)
        .await
        .query_one(
            "SELECT count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE NOT s.ssl)
             FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.datname = $1 AND a.pid <> pg_backend_pid()",
            &[&db],
        )
        .await
        .expect("pg_stat_ssl");
    (row.get(0), row.get(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslmode_encrypts_and_checks_the_servers_certificate() {
    if !common::on_postgres() {
        eprintln!("SQLite run: PostgreSQL's TLS is tested in native-postgres");
        return;
    }
    let ca = std::env::var("KHABAR_TEST_POSTGRES_CA").expect("the cluster's CA");
    let other = std::env::var("KHABAR_TEST_POSTGRES_OTHER_CA").expect("another CA");
    let server = std::env::var("KHABAR_TEST_POSTGRES").expect("server");
    let dir = tempfile::tempdir().expect("tempdir");
    let by_ip = common::engine_url(&dir);
    let db = by_ip.rsplit('/').next().expect("database").to_owned();
    let by_name = by_ip.replace("127.0.0.1", "localhost");

    // verify-full: the certificate names localhost and chains to the CA.
    let store = engine::open(&format!("{by_name}?sslmode=verify-full&sslrootcert={ca}"))
        .await
        .expect("verify-full by name");
    let hook: ChangeHook = std::sync::Arc::new(|_| {});
    store.watch_changes(hook).await.expect("LISTEN over TLS");
    assert_eq!(store.article_count().await.expect("a query"), 0);
    let (encrypted, plain) = backends(&server, &db).await;
    assert!(encrypted >= 2, "the pool's and LISTEN's: {encrypted}");
    assert_eq!(plain, 0);
    drop(store);

    let refused = |url: String| async move {
        match engine::open(&url).await {
            Ok(_) => panic!("{url} connected"),
            Err(e) => e.to_string(),
        }
    };
    // The certificate does not name 127.0.0.1.
    let err = refused(format!("{by_ip}?sslmode=verify-full&sslrootcert={ca}")).await;
    assert!(err.contains("certificate"), "{err}");
    // A CA that did not sign it; the public roots did not either.
    let err = refused(format!("{by_name}?sslmode=verify-full&sslrootcert={other}")).await;
    assert!(err.contains("certificate"), "{err}");
    let err = refused(format!("{by_name}?sslmode=verify-full")).await;
    assert!(err.contains("certificate"), "{err}");
    // The public CAs vouch for names only: not taken without one.
    let err = refused(format!("{by_name}?sslmode=verify-ca&sslrootcert=system")).await;
    assert!(err.contains("sslrootcert=FILE"), "{err}");
    let err = refused(format!("{by_ip}?sslmode=require&sslrootcert={other}")).await;
    assert!(
        err.contains("certificate"),
        "require checks a root given: {err}"
    );
    let err = refused(format!(
        "{by_ip}?sslmode=verify-ca&sslrootcert=/nowhere.pem"
    ))
    .await;
    assert!(err.contains("/nowhere.pem"), "{err}");

    // verify-ca: the chain without the name; require: encrypted only.
    for url in [
        format!("{by_ip}?sslmode=verify-ca&sslrootcert={ca}"),
        format!("{by_ip}?sslmode=require"),
    ] {
        let store = engine::open(&url).await.expect(&url);
        assert_eq!(store.article_count().await.expect("a query"), 0);
        let (encrypted, plain) = backends(&server, &db).await;
        assert!(encrypted >= 1 && plain == 0, "{url}: {encrypted} {plain}");
        drop(store);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }

    // Without sslmode (libpq's prefer), plain, as before TLS was known
    // (the first store's LISTEN connection, encrypted, lives on).
    let store = engine::open(&by_ip).await.expect("plain");
    assert_eq!(store.article_count().await.expect("a query"), 0);
    let (_, plain) = backends(&server, &db).await;
    assert_eq!(plain, 1);
    drop(store);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    // The Unix socket (in the cluster's folder, beside its CA) speaks no
    // TLS: sslmode is ignored there, as libpq ignores it.
    let folder = std::path::Path::new(&ca).parent().expect("folder");
    let port = by_ip
        .rsplit_once(':')
        .and_then(|(_, rest)| rest.split('/').next())
        .expect("port");
    let socket = format!(
        "postgres://khabar@{}:{port}/{db}?sslmode=verify-full&sslrootcert={ca}",
        folder.to_str().expect("path").replace('/', "%2F")
    );
    let store = engine::open(&socket).await.expect("over the socket");
    assert_eq!(store.article_count().await.expect("a query"), 0);
    let (_, plain) = backends(&server, &db).await;
    assert_eq!(plain, 1, "the socket's connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_outside_the_url_needs_no_escaping() {
    if !common::on_postgres() {
        eprintln!("SQLite run: PostgreSQL's sign-in is tested in native-postgres");
        return;
    }
    let server = std::env::var("KHABAR_TEST_POSTGRES").expect("server");
    let dir = tempfile::tempdir().expect("tempdir");
    let url = common::engine_url(&dir);
    let db = url.rsplit('/').next().expect("database").to_owned();
    // Characters a URL would have to escape.
    let password = "p@ss%w:rd/?#1";
    // The role the cluster's pg_hba.conf signs in by password; this test
    // alone uses it.
    superuser(&server)
        .await
        .batch_execute(&format!(
            "CREATE ROLE khabar_pw LOGIN PASSWORD '{password}'; \
             ALTER DATABASE {db} OWNER TO khabar_pw"
        ))
        .await
        .expect("a role with a password");
    let as_role = url.replace("://khabar@", "://khabar_pw@");

    let store = engine::open_with_password(&as_role, Some(password))
        .await
        .expect("signed in with the password given apart");
    assert_eq!(store.article_count().await.expect("migrated"), 0);
    let err = match engine::open_with_password(&as_role, Some("wrong")).await {
        Ok(_) => panic!("a wrong password signed in"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("password authentication failed"), "{err}");
    let err = match engine::open(&as_role).await {
        Ok(_) => panic!("no password signed in"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("password"), "{err}");
    // A password in the URL wins over the one given apart.
    let in_url = as_role.replace("khabar_pw@", "khabar_pw:p%40ss%25w%3Ard%2F%3F%231@");
    let store = engine::open_with_password(&in_url, Some("wrong"))
        .await
        .expect("the URL's password");
    assert_eq!(store.article_count().await.expect("a query"), 0);
}

/// A TCP relay to `upstream` that can be frozen: connections stay open and
/// nothing passes, as when a network path is lost without a reset (a
/// firewall's dropped state, a stuck proxy). Its address.
async fn freezable_relay(
    upstream: std::net::SocketAddr,
    frozen: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::net::SocketAddr {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                continue;
            };
            let (client_in, client_out) = client.into_split();
            let (server_in, server_out) = server.into_split();
            for (mut from, mut to) in [(client_in, server_out), (server_in, client_out)] {
                let frozen = frozen.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        let Ok(n) = from.read(&mut buf).await else {
                            return;
                        };
                        while frozen.load(Ordering::SeqCst) {
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        }
                        if n == 0 || to.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                });
            }
        }
    });
    addr
}

/// A database that stops answering without closing the connection fails
/// `/healthz` within seconds (it hung until the kernel gave up, about 15
/// minutes, and a load balancer kept sending readers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_fails_soon_when_the_database_hangs() {
    if !common::on_postgres() {
        eprintln!("SQLite run: a hanging network path is PostgreSQL's");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let url = common::engine_url(&dir);
    let parsed = url::Url::parse(&url).expect("URL");
    let upstream = format!(
        "{}:{}",
        parsed.host_str().expect("host"),
        parsed.port().unwrap_or(5432)
    )
    .parse()
    .expect("address");
    let frozen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let relay = freezable_relay(upstream, frozen.clone()).await;
    let mut through = parsed.clone();
    through.set_port(Some(relay.port())).expect("port");
    let store = engine::open(through.as_str())
        .await
        .expect("through the relay");
    let state = khabar_server::state::AppState::new(store);
    let router = khabar_server::routes::ops::router().with_state(state);
    let health = || async {
        let req = axum::http::Request::get("/healthz")
            .body(axum::body::Body::empty())
            .expect("request");
        tower::ServiceExt::oneshot(router.clone(), req)
            .await
            .expect("response")
            .status()
    };
    assert_eq!(health().await, axum::http::StatusCode::OK);
    frozen.store(true, std::sync::atomic::Ordering::SeqCst);
    let asked = std::time::Instant::now();
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), health())
        .await
        .expect("/healthz answered");
    assert_eq!(status, axum::http::StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        asked.elapsed() < std::time::Duration::from_secs(15),
        "{:?}",
        asked.elapsed()
    );
    frozen.store(false, std::sync::atomic::Ordering::SeqCst);
}
