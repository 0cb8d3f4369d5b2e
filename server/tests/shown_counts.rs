//! The number of comments readers are shown, kept per article by the
//! database (`shown_comments`), stays what counting the thread gives
//! through every kind of write: posting, moderation of a comment and of
//! the comment its replies answer, deletes, erasure, imports, threads
//! adopted by an article, a restore, and (on PostgreSQL) two writes at
//! once.

mod common;

use std::collections::HashMap;

use common::{by_hand, session};

use khabar_server::comments::{CleanComment, Moderation, StoredComment};
use khabar_server::model::Article;
use khabar_server::store::{CommentQuery, ImportedComment, SharedStore, Sort, Status};

const A: &str = "2026-11-28-transit-plan";
const B: &str = "2026-11-27-farmers-market";

/// Per article, what counting its comments gives: published, and either
/// top-level or under a published comment.
fn counted(store_dump: &khabar_server::store::dump::Dump) -> HashMap<String, i64> {
    let status: HashMap<i64, &str> = store_dump
        .comments
        .iter()
        .map(|c| (c.id, c.status.as_str()))
        .collect();
    let mut out: HashMap<String, i64> = store_dump
        .articles
        .iter()
        .map(|a| (a.id.clone(), 0))
        .collect();
    for c in &store_dump.comments {
        let parent_shown = c
            .parent_id
            .is_none_or(|p| status.get(&p) == Some(&"published"));
        if c.status == "published" && parent_shown {
            *out.entry(c.article_id.clone()).or_default() += 1;
        }
    }
    out
}

/// Every article's kept number against the count, as the article, its
/// comment page and the counts endpoint give it; `step` names the write.
async fn exact(store: &SharedStore, step: &str) -> HashMap<String, i64> {
    let dump = store.dump().await.expect("dump");
    let truth = counted(&dump);
    for a in &dump.articles {
        assert_eq!(
            i64::from(a.comment_count),
            truth[&a.id],
            "{step}: article {}",
            a.id
        );
    }
    let hidden: Vec<&str> = dump
        .article_state
        .iter()
        .filter(|s| s.hidden)
        .map(|s| s.id.as_str())
        .collect();
    let ids: Vec<String> = truth.keys().cloned().collect();
    let kept: HashMap<String, i64> = store
        .published_counts(ids)
        .await
        .expect("counts")
        .into_iter()
        .collect();
    for (id, n) in &truth {
        let expected = (!hidden.contains(&id.as_str())).then_some(*n);
        assert_eq!(kept.get(id).copied(), expected, "{step}: counts of {id}");
        if expected.is_some() {
            let page = store
                .list_comments(CommentQuery {
                    article_id: id.clone(),
                    sort: Sort::Oldest,
                    limit: 5,
                    after: None,
                    replies: Some(1),
                })
                .await
                .expect("page")
                .expect("an article");
            assert_eq!(page.total, *n, "{step}: page total of {id}");
        }
    }
    truth
}

fn comment(key: &str, email: &str, parent: Option<i64>) -> CleanComment {
    CleanComment {
        author: "Huda".into(),
        email: Some(email.into()),
        body: format!("تعليق {key}"),
        parent_id: parent,
        is_spam: false,
        key: key.into(),
    }
}

async fn post(
    store: &SharedStore,
    article: &str,
    key: &str,
    email: &str,
    parent: Option<i64>,
    moderation: Moderation,
) -> StoredComment {
    store
        .create_comment(
            article,
            comment(key, email, parent),
            moderation,
            "2026-12-06T09:00:00Z".into(),
            None,
        )
        .await
        .expect("stored")
        .0
}

async fn status(store: &SharedStore, id: i64, to: Status) {
    store
        .set_comment_status(id, to)
        .await
        .expect("set")
        .expect("a comment");
}

fn imported(key: &str, parent: Option<&str>, status: Status) -> ImportedComment {
    ImportedComment {
        key: format!("import:isso:news.test:{key}"),
        parent_key: parent.map(|p| format!("import:isso:news.test:{p}")),
        legacy_keys: Vec::new(),
        legacy_parent_keys: Vec::new(),
        via_keys: Vec::new(),
        author: "Omar".into(),
        email: None,
        body: format!("مستورد {key}"),
        status,
        created_at: "2026-11-01T08:00:00Z".into(),
    }
}

#[tokio::test]
async fn the_kept_number_follows_every_kind_of_write() {
    let f = common::fixture(true);
    let s = &f.store;
    let truth = exact(s, "seeded").await;
    let base = truth[A];

    // Posting, under either moderation, and replies.
    let top = post(s, A, "shown-0001", "huda@news.test", None, Moderation::Post).await;
    let other = post(s, A, "shown-0002", "rana@news.test", None, Moderation::Post).await;
    let held = post(s, A, "shown-0003", "omar@news.test", None, Moderation::Pre).await;
    let mut replies = Vec::new();
    for (i, email) in ["rana@news.test", "omar@news.test", "huda@news.test"]
        .iter()
        .enumerate()
    {
        let key = format!("shown-r{i:03}");
        replies.push(post(s, A, &key, email, Some(top.comment.id), Moderation::Post).await);
    }
    post(
        s,
        A,
        "shown-r100",
        "sara@news.test",
        Some(top.comment.id),
        Moderation::Pre,
    )
    .await;
    post(s, B, "shown-b001", "huda@news.test", None, Moderation::Post).await;
    assert_eq!(exact(s, "posted").await[A], base + 5);

    // A comment rejected takes its replies out of view; published again,
    // they come back; a reply's own moves count alone.
    status(s, top.comment.id, Status::Rejected).await;
    assert_eq!(exact(s, "parent rejected").await[A], base + 1);
    status(s, replies[0].comment.id, Status::Pending).await;
    exact(s, "reply held under a rejected parent").await;
    status(s, top.comment.id, Status::Published).await;
    assert_eq!(exact(s, "parent published again").await[A], base + 4);
    status(s, replies[0].comment.id, Status::Published).await;
    assert_eq!(
        s.decide(held.comment.id, Status::Pending, Status::Published)
            .await
            .expect("decided")
            .map(|c| c.status),
        Some("published".into())
    );
    assert_eq!(exact(s, "approved").await[A], base + 6);

    // Deletes: a reply alone, then a comment with its replies.
    s.delete_comment(replies[1].comment.id, None)
        .await
        .expect("deleted");
    exact(s, "reply deleted").await;
    s.delete_comment(other.comment.id, None)
        .await
        .expect("deleted");
    exact(s, "comment deleted").await;

    // An erasure: the address's comments, and the replies under them.
    let erased = s
        .forget_email("HUDA@news.test", None)
        .await
        .expect("forgot");
    assert!(erased >= 3, "{erased}");
    assert_eq!(exact(s, "erased").await[A], base + 1, "the approved one");

    // An import: parents and replies, published and held.
    s.import_comments(
        A,
        vec![
            imported("1", None, Status::Published),
            imported("2", Some("1"), Status::Published),
            imported("3", None, Status::Pending),
            imported("4", Some("3"), Status::Published),
        ],
        false,
    )
    .await
    .expect("imported");
    assert_eq!(exact(s, "imported").await[A], base + 3);

    // A thread opened by URL, then adopted by the article of its URL.
    let url = "https://news.test/2026/12/late-story";
    s.ensure_thread("thread-late", url, "Late", "ar")
        .await
        .expect("thread");
    let first = post(
        s,
        "thread-late",
        "shown-t001",
        "lina@news.test",
        None,
        Moderation::Post,
    )
    .await;
    post(
        s,
        "thread-late",
        "shown-t002",
        "sami@news.test",
        Some(first.comment.id),
        Moderation::Post,
    )
    .await;
    assert_eq!(exact(s, "thread").await["thread-late"], 2);
    s.upsert_articles(vec![story("late-story", url)], None)
        .await
        .expect("stored");
    let truth = exact(s, "adopted").await;
    assert_eq!(truth["late-story"], 2);
    assert!(!truth.contains_key("thread-late"), "the thread is gone");

    // Hidden: out of the counts, kept for when it is shown again.
    s.set_article_hidden("late-story", true)
        .await
        .expect("hidden");
    exact(s, "hidden").await;
    s.set_article_hidden("late-story", false)
        .await
        .expect("shown");
    exact(s, "shown again").await;

    // One statement that changes a comment and its reply together (no
    // write of the server does, a hand-written one may): whichever of
    // the two the engine counts first, it must see the other as it was.
    let parent = post(s, B, "shown-m001", "nour@news.test", None, Moderation::Post).await;
    let reply = post(
        s,
        B,
        "shown-m002",
        "nour@news.test",
        Some(parent.comment.id),
        Moderation::Post,
    )
    .await;
    let both = format!("({}, {})", parent.comment.id, reply.comment.id);
    let plain = exact(s, "a comment and its reply").await[B];
    for (statement, shown) in [
        (
            format!("UPDATE comments SET status = 'rejected' WHERE id IN {both}"),
            plain - 2,
        ),
        (
            format!("UPDATE comments SET status = 'published' WHERE id IN {both}"),
            plain,
        ),
        // The reply named but left as it was; then each its own way.
        (
            format!(
                "UPDATE comments SET status = CASE WHEN id = {} THEN 'rejected' ELSE status END
                 WHERE id IN {both}",
                parent.comment.id
            ),
            plain - 2,
        ),
        (
            format!(
                "UPDATE comments SET status = CASE WHEN id = {} THEN 'published' ELSE 'pending' END
                 WHERE id IN {both}",
                parent.comment.id
            ),
            plain - 1,
        ),
        (
            format!("UPDATE comments SET status = 'published' WHERE id IN {both}"),
            plain,
        ),
        (
            format!("UPDATE comments SET article_id = '{A}' WHERE id IN {both}"),
            plain - 2,
        ),
        (
            format!("UPDATE comments SET status = 'pending' WHERE id IN {both}"),
            plain - 2,
        ),
        (
            format!("UPDATE comments SET status = 'published' WHERE id IN {both}"),
            plain - 2,
        ),
        (
            format!("DELETE FROM comments WHERE id IN {both}"),
            plain - 2,
        ),
    ] {
        by_hand(&f, &statement).await;
        assert_eq!(exact(s, &statement).await[B], shown, "{statement}");
    }

    // An import larger than a restore's statements: a thousand and more,
    // replies among them.
    let many: Vec<ImportedComment> = (0..1100)
        .map(|i| {
            let parent = (i % 2 == 1).then(|| format!("m{}", i - 1));
            imported(&format!("m{i}"), parent.as_deref(), Status::Published)
        })
        .collect();
    s.import_comments(B, many, false).await.expect("imported");
    let before = exact(s, "a thousand imported").await;
    assert_eq!(before[B], plain - 2 + 1100);

    // A restore into a new store counts what it writes.
    let dir = tempfile::tempdir().expect("dir");
    let copy = khabar_server::store::engine::open(&common::engine_url(&dir))
        .await
        .expect("open");
    copy.restore(s.dump().await.expect("dump"))
        .await
        .expect("restored");
    assert_eq!(exact(&copy, "restored").await, before);
}

/// The server process of a session.
async fn backend_pid(client: &tokio_postgres::Client) -> i32 {
    client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("pid")
        .get(0)
}

/// Until a session waits for a lock the session `holder` holds (in the
/// race, the article's, taken in the trigger: without that lock, both
/// writes would count from their own snapshots).
async fn waits_for_a_lock(watching: &tokio_postgres::Client, holder: i32) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let waiting: i64 = watching
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
                &[&holder],
            )
            .await
            .expect("activity")
            .get(0);
        if waiting > 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < until,
            "the second write never waited for a lock"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn story(id: &str, url: &str) -> Article {
    Article {
        id: id.into(),
        url: url.into(),
        title: "قصة متأخرة".into(),
        summary: String::new(),
        body: None,
        body_html: None,
        published_at: "2026-12-06T08:00:00Z".into(),
        updated_at: None,
        source: None,
        section: None,
        author: None,
        image: None,
        lang: "ar".into(),
        comments_open: true,
        comment_count: 0,
        source_comments_open: None,
    }
}

/// PostgreSQL runs writes side by side: a reply posted while its parent
/// is being rejected, in either order, is counted once, by whichever of
/// the two commits second.
#[tokio::test(flavor = "multi_thread")]
async fn a_reply_and_its_parent_rejected_at_once_are_counted_once() {
    if !common::on_postgres() {
        return;
    }
    let f = common::fixture(true);
    let s = &f.store;
    let base = exact(s, "seeded").await[A];
    let (rejecting, replying) = (session(&f).await, session(&f).await);
    let (rejecting_pid, replying_pid) =
        (backend_pid(&rejecting).await, backend_pid(&replying).await);
    let reply = |parent: i64| {
        format!(
            "INSERT INTO comments (article_id, parent_id, author, body, status, created_at)
             VALUES ('{A}', {parent}, 'Sami', 'رد', 'published', '2026-12-06T09:00:00Z')"
        )
    };
    let reject = |id: i64| format!("UPDATE comments SET status = 'rejected' WHERE id = {id}");
    let watching = session(&f).await;

    // The parent rejected first; the reply's write waits for it.
    let parent = post(s, A, "race-0001", "huda@news.test", None, Moderation::Post).await;
    let replying = at_once(
        &watching,
        (&rejecting, rejecting_pid, &reject(parent.comment.id)),
        (replying, &reply(parent.comment.id)),
    )
    .await;
    exact(s, "reply while its parent was rejected").await;

    // The reply first; the rejection waits for it.
    let parent = post(s, A, "race-0002", "huda@news.test", None, Moderation::Post).await;
    at_once(
        &watching,
        (&replying, replying_pid, &reply(parent.comment.id)),
        (rejecting, &reject(parent.comment.id)),
    )
    .await;
    let truth = exact(s, "parent rejected while a reply was posted").await;
    assert_eq!(truth[A], base, "neither parents nor replies shown");
}

/// Two writes at once: the first's statement runs in a transaction left
/// open, the second's (in a transaction of its own) must then wait for
/// it, and goes on once the first commits. The second's session, back.
async fn at_once(
    watching: &tokio_postgres::Client,
    (first, first_pid, first_sql): (&tokio_postgres::Client, i32, &str),
    (second, second_sql): (tokio_postgres::Client, &str),
) -> tokio_postgres::Client {
    first
        .batch_execute(&format!("BEGIN; {first_sql}"))
        .await
        .expect("the first write");
    let second_sql = format!("BEGIN; {second_sql}; COMMIT");
    let waiting = tokio::spawn(async move {
        second
            .batch_execute(&second_sql)
            .await
            .expect("the second write");
        second
    });
    waits_for_a_lock(watching, first_pid).await;
    assert!(!waiting.is_finished(), "the second write did not wait");
    first.batch_execute("COMMIT").await.expect("committed");
    waiting.await.expect("the second write")
}

/// A post into a thread that its article adopts meanwhile (its comments
/// moved, the thread deleted) waits for the adoption, then is told the
/// article is not there, as a post into any missing article is: not a
/// server error.
#[tokio::test(flavor = "multi_thread")]
async fn a_post_into_a_thread_adopted_meanwhile_finds_no_article() {
    if !common::on_postgres() {
        return;
    }
    let f = common::fixture(true);
    let s = f.store.clone();
    s.ensure_thread("thread-gone", "https://news.test/gone", "Gone", "ar")
        .await
        .expect("thread");
    let adopting = session(&f).await;
    // What an adoption does to the thread, held open.
    adopting
        .batch_execute(
            "BEGIN;
             SELECT 1 FROM articles WHERE id = 'thread-gone' FOR UPDATE;
             DELETE FROM articles WHERE id = 'thread-gone';",
        )
        .await
        .expect("adopting");
    let posting = tokio::spawn(async move {
        s.create_comment(
            "thread-gone",
            comment("gone-0001", "lina@news.test", None),
            Moderation::Post,
            "2026-12-06T09:00:00Z".into(),
            None,
        )
        .await
    });
    let watching = session(&f).await;
    waits_for_a_lock(&watching, backend_pid(&adopting).await).await;
    adopting.batch_execute("COMMIT").await.expect("adopted");
    let posted = posting.await.expect("the post");
    assert!(
        matches!(posted, Err(khabar_server::store::CreateError::NoArticle)),
        "{posted:?}"
    );
}

/// An upgrade while an instance of the version before writes: the
/// migration that adds the count can meet that instance's post in a
/// deadlock (the post reads `articles`, then writes `comments`; the
/// migration locks `comments`, then alters `articles`). PostgreSQL ends
/// one of the two; the migration tries again, the store opens, and the
/// count includes the post if it went in.
#[tokio::test(flavor = "multi_thread")]
async fn the_migration_survives_a_deadlock_with_an_older_instances_post() {
    if !common::on_postgres() {
        return;
    }
    let f = common::fixture(true);
    let s = &f.store;
    let parent = post(s, A, "old-0001", "huda@news.test", None, Moderation::Post).await;
    post(
        s,
        A,
        "old-0002",
        "omar@news.test",
        Some(parent.comment.id),
        Moderation::Post,
    )
    .await;
    status(s, parent.comment.id, Status::Rejected).await;
    // Back to the schema before the count (and before the migrations after
    // it: one open reply subscription per address; comments in the order
    // they were written, which runs again as it is).
    session(&f)
        .await
        .batch_execute(
            "DROP INDEX reply_subscriptions_open;
             DROP INDEX reply_confirmations_due;
             ALTER TABLE reply_subscriptions DROP COLUMN confirm_due_ms,
                 DROP COLUMN confirm_tries;
             DROP TRIGGER comments_shown_inserted ON comments;
             DROP TRIGGER comments_shown_changed ON comments;
             DROP TRIGGER comments_shown_deleted ON comments;
             DROP FUNCTION khabar_shown_inserted(), khabar_shown_changed(),
                 khabar_shown_deleted(), khabar_count_shown(khabar_placed[], khabar_placed[]);
             DROP TYPE khabar_placed;
             ALTER TABLE articles DROP COLUMN shown_comments;
             DELETE FROM khabar_schema
                 WHERE version >= (SELECT MAX(version) - 2 FROM khabar_schema);",
        )
        .await
        .expect("older schema");
    // The older instance's post, half-way: it has read the article.
    let older = session(&f).await;
    older
        .batch_execute(&format!(
            "BEGIN; SELECT comments_open FROM articles WHERE id = '{A}'"
        ))
        .await
        .expect("read");
    let db = f.db_url();
    let upgrading =
        tokio::spawn(async move { khabar_server::store::engine::open(&db).await.map(|_| ()) });
    let watching = session(&f).await;
    waits_for_a_lock(&watching, backend_pid(&older).await).await;
    let posted = older
        .batch_execute(&format!(
            "INSERT INTO comments (article_id, author, body, status, created_at)
             VALUES ('{A}', 'Sami', 'قبل الترقية', 'published', '2026-12-06T09:00:00Z')"
        ))
        .await;
    // Whichever PostgreSQL ended, the other goes on.
    older
        .batch_execute(if posted.is_ok() { "COMMIT" } else { "ROLLBACK" })
        .await
        .expect("ended");
    upgrading
        .await
        .expect("the upgrade")
        .expect("the store opens, migrated");
    // Counted from the comments there, the post among them if it went in.
    exact(s, "migrated under a deadlock").await;
}

/// A sync that stores an article adopting a comment thread locks both
/// rows at once, in the order of their ids, as an erasure does: one
/// holding the thread and then taking the article is not deadlocked
/// against it.
#[tokio::test(flavor = "multi_thread")]
async fn a_sync_adopting_a_thread_takes_its_locks_in_order() {
    if !common::on_postgres() {
        return;
    }
    let f = common::fixture(true);
    let url = "https://news.test/2026/12/ordered";
    f.store
        .ensure_thread("thread-ordered", url, "Ordered", "ar")
        .await
        .expect("thread");
    f.store
        .upsert_articles(vec![story("zz-ordered", "https://news.test/other")], None)
        .await
        .expect("stored");
    // Another write that locks the thread first, as ids sort.
    let other = session(&f).await;
    other
        .batch_execute(
            "BEGIN; SELECT 1 FROM articles WHERE id = 'thread-ordered' FOR NO KEY UPDATE",
        )
        .await
        .expect("thread locked");
    let store = f.store.clone();
    let syncing = tokio::spawn(async move {
        store
            .upsert_articles(vec![story("zz-ordered", url)], None)
            .await
    });
    let watching = session(&f).await;
    waits_for_a_lock(&watching, backend_pid(&other).await).await;
    // The sync waits for the thread, holding nothing this needs.
    other
        .batch_execute("SELECT 1 FROM articles WHERE id = 'zz-ordered' FOR NO KEY UPDATE; COMMIT")
        .await
        .expect("the article taken too, without a deadlock");
    syncing
        .await
        .expect("the sync")
        .expect("stored, the thread adopted");
    let truth = exact(&f.store, "adopted by a sync").await;
    assert!(!truth.contains_key("thread-ordered"), "the thread is gone");
}
