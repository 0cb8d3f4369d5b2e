//! `khabar-server comments import`: Disqus and WordPress exports (original
//! fixtures in tests/fixtures/comment_import/), a real Isso database
//! written by Isso itself (when `KHABAR_TEST_ISSO` names its executable),
//! and hostile files, on SQLite and (with `KHABAR_TEST_POSTGRES`) on
//! PostgreSQL.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{block_on, comment_total, fixture, Fixture};
use khabar_server::audit;
use khabar_server::comment_import::{self, Options, Summary, System};
use khabar_server::comments::{CleanComment, Moderation, StoredComment};
use khabar_server::import::import_json;
use khabar_server::store::{Act, CommentQuery, Imported, ImportedComment, Sort, Status};
use khabar_server::threads::{thread_id, Sites};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_khabar-server");

fn fixture_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/comment_import")
        .join(name)
}

/// A news site with three articles: one with an Arabic path, one closed
/// and hidden (its old comments are still history), one at a WordPress
/// plain permalink.
fn news_site(site: &str) -> Fixture {
    let f = fixture(false);
    let articles = json!([
        { "id": "souq", "url": format!("{site}/2026/11/السوق"), "title": "السوق",
          "published_at": "2026-11-01T08:00:00Z", "body": [] },
        { "id": "closed", "url": format!("{site}/2026/11/closed"), "title": "Archived",
          "published_at": "2019-01-01T08:00:00Z", "body": [] },
        { "id": "p42", "url": format!("{site}/?p=42"), "title": "Plain permalink",
          "published_at": "2019-05-01T08:00:00Z", "body": [] },
    ]);
    block_on(async {
        import_json(f.store.as_ref(), &articles.to_string())
            .await
            .expect("articles");
        assert!(f
            .store
            .set_comments_open("closed", false, None)
            .await
            .expect("close"));
        assert!(f
            .store
            .set_article_hidden("closed", true)
            .await
            .expect("hide"));
    });
    f
}

fn options(sites: &[&str]) -> Options {
    Options {
        sites: Sites::parse(sites).expect("sites"),
        lang: "ar".into(),
        dry_run: false,
    }
}

fn run_import(f: &Fixture, system: System, file: &Path, options: &Options) -> Summary {
    let threads = comment_import::read(system, file).expect("the file reads");
    block_on(comment_import::import(
        f.store.as_ref(),
        system,
        threads,
        options,
    ))
    .expect("import")
}

/// Imports `text`, an export of `system` written here, for the site
/// https://news.example.
fn import_text(f: &Fixture, system: System, text: &str) -> Summary {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("export");
    std::fs::write(&file, text).expect("write");
    run_import(f, system, &file, &options(&["https://news.example"]))
}

/// A Disqus export of thread 7 (the article `souq`) with `posts`.
fn disqus_thread(posts: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><disqus xmlns=\"http://disqus.com\" \
         xmlns:dsq=\"http://disqus.com/disqus-internals\">\
         <thread dsq:id=\"7\"><link>https://news.example/2026/11/souq</link>\
         <title>t</title></thread>{posts}</disqus>"
    )
}

fn by_key(f: &Fixture, key: &str) -> Option<StoredComment> {
    block_on(f.store.comment_by_key(key)).expect("lookup")
}

fn expect(f: &Fixture, key: &str) -> StoredComment {
    by_key(f, key).unwrap_or_else(|| panic!("{key} was imported"))
}

/// (article, status, author, email, created_at, parent id) of a comment.
fn shape(c: &StoredComment) -> (&str, &str, &str, Option<&str>, &str, Option<i64>) {
    (
        c.article_id.as_str(),
        c.status.as_str(),
        c.comment.author.as_str(),
        c.email.as_deref(),
        c.comment.created_at.as_str(),
        c.comment.parent_id,
    )
}

#[test]
fn a_disqus_export_is_imported_once_with_its_history() {
    let f = news_site("https://news.example");
    let file = fixture_file("disqus.xml");
    let opts = options(&["https://news.example"]);
    let first = run_import(&f, System::Disqus, &file, &opts);
    assert_eq!(
        first,
        Summary {
            dry_run: false,
            published: 4,
            pending: 1,
            already_there: 0,
            deleted_here: 0,
            taken_down: 0,
            deleted: 1,
            spam: 1,
            pingbacks: 0,
            other_kinds: 0,
            unknown: 1,
            unknown_pages: vec!["https://elsewhere.example/page".into()],
            new_threads: 1,
            not_public: 0,
            errors: vec!["disqus comment \"1009\": no text left after cleaning".into()],
        }
    );

    let top = expect(&f, "import:disqus:1001");
    assert_eq!(
        shape(&top),
        (
            "souq",
            "published",
            "ليلى",
            Some("layla@example.test"),
            "2020-03-01T10:00:00Z",
            None
        )
    );
    assert_eq!(top.comment.body, "مقال رائع عن السوق.\n\nشكراً للكاتب");
    let reply = expect(&f, "import:disqus:1002");
    assert_eq!(
        shape(&reply),
        (
            "souq",
            "published",
            "Omar",
            Some("omar@example.test"),
            "2020-03-01T11:00:00Z",
            Some(top.comment.id)
        )
    );
    // The script and its text are gone; the entity is text again.
    assert_eq!(reply.comment.body, "Agreed & thanks\n\nSecond line");
    // A reply to a reply answers the top-level comment.
    let deeper = expect(&f, "import:disqus:1003");
    assert_eq!(
        shape(&deeper),
        (
            "souq",
            "published",
            "Sara & co",
            None,
            "2020-03-01T12:00:00Z",
            Some(top.comment.id)
        )
    );
    // Closed and hidden: imported all the same, waiting as it was; the
    // address that is not one is dropped, the comment kept.
    let waiting = expect(&f, "import:disqus:1006");
    assert_eq!(
        shape(&waiting),
        (
            "closed",
            "pending",
            "Rami",
            None,
            "2019-01-02T08:00:00Z",
            None
        )
    );
    // A page under the site without an article gets its thread.
    let page = "https://news.example/2026/11/new-page";
    let fresh = expect(&f, "import:disqus:1007");
    assert_eq!(fresh.article_id, thread_id(page));
    assert_eq!(fresh.comment.body, "أول تعليق على صفحة جديدة");
    let thread = block_on(f.store.article(&thread_id(page)))
        .expect("read")
        .expect("the thread exists");
    assert_eq!(
        (thread.url.as_str(), thread.title.as_str()),
        (page, "صفحة جديدة")
    );
    for skipped in ["1004", "1005", "1008", "1009"] {
        assert!(
            by_key(&f, &format!("import:disqus:{skipped}")).is_none(),
            "{skipped}"
        );
    }
    // Readers see the conversation in its order, replies under their parent.
    let page = block_on(f.store.list_comments(CommentQuery {
        article_id: "souq".into(),
        sort: Sort::Oldest,
        limit: 20,
        after: None,
        replies: None,
    }))
    .expect("list")
    .expect("article");
    assert_eq!(page.total, 3);
    let replies: Vec<i64> = page.items[0]
        .replies
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(replies, [reply.comment.id, deeper.comment.id]);

    let total = block_on(comment_total(&f.store));
    assert_eq!(total, 5);
    let second = run_import(&f, System::Disqus, &file, &opts);
    assert_eq!(
        (
            second.published,
            second.pending,
            second.already_there,
            second.new_threads
        ),
        (0, 0, 5, 0)
    );
    assert_eq!(block_on(comment_total(&f.store)), total);
    // The reply still points at the comment of the first run.
    assert_eq!(
        expect(&f, "import:disqus:1003").comment.parent_id,
        Some(top.comment.id)
    );
}

#[test]
fn a_later_export_adds_only_what_is_new_and_finds_earlier_parents() {
    let f = news_site("https://news.example");
    let opts = options(&["https://news.example"]);
    run_import(&f, System::Disqus, &fixture_file("disqus.xml"), &opts);
    let top = expect(&f, "import:disqus:1001");
    // A newer export: one thread, an old comment (edited there since) and a
    // new answer to an old reply that this file does not have.
    let dir = tempfile::tempdir().expect("dir");
    let later = dir.path().join("later.xml");
    std::fs::write(
        &later,
        r#"<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns:dsq="http://disqus.com/disqus-internals">
  <thread dsq:id="100"><link>https://news.example/2026/11/السوق</link></thread>
  <post dsq:id="1001">
    <message><![CDATA[<p>Edited since the first export</p>]]></message>
    <createdAt>2020-03-01T10:00:00Z</createdAt>
    <author><name>ليلى</name></author>
    <thread dsq:id="100"/>
  </post>
  <post dsq:id="1010">
    <message><![CDATA[<p>ردّ جديد على ردّ عمر</p>]]></message>
    <createdAt>2021-01-01T09:00:00Z</createdAt>
    <author><name>Yasmin</name></author>
    <thread dsq:id="100"/><parent dsq:id="1002"/>
  </post>
</disqus>"#,
    )
    .expect("write");
    let summary = run_import(&f, System::Disqus, &later, &opts);
    assert_eq!(
        (
            summary.published,
            summary.already_there,
            summary.errors.len()
        ),
        (1, 1, 0)
    );
    let new = expect(&f, "import:disqus:1010");
    assert_eq!(
        shape(&new),
        (
            "souq",
            "published",
            "Yasmin",
            None,
            "2021-01-01T09:00:00Z",
            Some(top.comment.id)
        )
    );
    // What is stored is not rewritten.
    assert_eq!(
        expect(&f, "import:disqus:1001").comment.body,
        top.comment.body
    );
}

/// A comment deleted here after an import (by a moderator, or with its
/// author's address, as an erasure request asks) stays deleted when the
/// same export is imported again.
#[test]
fn an_import_run_again_does_not_bring_back_what_was_deleted_here() {
    let f = news_site("https://news.example");
    let file = fixture_file("disqus.xml");
    let opts = options(&["https://news.example"]);
    run_import(&f, System::Disqus, &file, &opts);
    // A reader asks for erasure of everything under her address: her
    // comment goes, and the two replies under it.
    assert_eq!(
        block_on(f.store.forget_email("layla@example.test", None)).expect("forget"),
        3
    );
    // A moderator deletes the comment that waited.
    let waiting = expect(&f, "import:disqus:1006");
    assert!(block_on(f.store.delete_comment(waiting.comment.id, None))
        .expect("delete")
        .is_some());
    let before = block_on(comment_total(&f.store));

    let dry = run_import(
        &f,
        System::Disqus,
        &file,
        &Options {
            dry_run: true,
            ..opts.clone()
        },
    );
    let again = run_import(&f, System::Disqus, &file, &opts);
    for summary in [&dry, &again] {
        assert_eq!(
            (summary.published + summary.pending, summary.deleted_here),
            (0, 4),
            "{summary}"
        );
        assert!(summary
            .to_string()
            .contains("not brought back: 4 deleted here since an earlier import"));
    }
    assert_eq!(block_on(comment_total(&f.store)), before);
    for key in ["1001", "1002", "1003", "1006"] {
        assert!(
            by_key(&f, &format!("import:disqus:{key}")).is_none(),
            "{key}"
        );
    } // A newer export with a new reply under the erased comment: it went
      // with the discussion, and does not come back as a top-level comment.
    let newer = std::fs::read_to_string(&file).expect("fixture").replace(
        "</disqus>",
        "<post dsq:id=\"1011\"><message>&lt;p&gt;رد جديد&lt;/p&gt;</message>\
         <createdAt>2021-02-01T09:00:00Z</createdAt><author><name>Yasmin</name></author>\
         <thread dsq:id=\"100\"/><parent dsq:id=\"1001\"/></post></disqus>",
    );
    let summary = import_text(&f, System::Disqus, &newer);
    assert_eq!(
        (summary.published, summary.deleted_here),
        (0, 5),
        "{summary}"
    );
    assert!(by_key(&f, "import:disqus:1011").is_none());
}

/// An editor's takedown in the old system between two imports (deleted,
/// marked as spam) carries over: the comment is rejected here, once, and
/// the dry run says so first and changes nothing.
#[test]
fn comments_taken_down_there_since_an_earlier_import_are_rejected_here() {
    let f = news_site("https://news.example");
    let post = |id: &str, flags: &str, day: &str| {
        format!(
            "<post dsq:id=\"{id}\"><message><![CDATA[<p>تعليق {id}</p>]]></message>{flags}\
             <createdAt>2021-02-{day}T09:00:00Z</createdAt><author><name>Sami</name></author>\
             <thread dsq:id=\"7\"/></post>"
        )
    };
    let first = disqus_thread(
        &[
            post("6001", "", "01"),
            post("6002", "", "01"),
            post("6003", "<isApproved>false</isApproved>", "01"),
            post("6004", "", "01"),
            post("6005", "", "01"),
        ]
        .concat(),
    );
    let summary = import_text(&f, System::Disqus, &first);
    assert_eq!((summary.published, summary.pending), (4, 1), "{summary}");
    let id = |key: &str| expect(&f, &format!("import:disqus:{key}")).comment.id;
    let status = |key: &str| expect(&f, &format!("import:disqus:{key}")).status;
    let decide = |key: &str, to: Status, from: Status| {
        let act = Act::Set {
            to,
            from: Some(from),
        };
        block_on(
            f.store
                .moderate(id(key), act, audit::line("omar", "approve")),
        )
        .expect("moderate")
        .expect("decided");
    };
    // A moderator here approves the waiting one.
    decide("6003", Status::Published, Status::Pending);

    let later = disqus_thread(
        &[
            post("6001", "<isDeleted>true</isDeleted>", "01"),
            post("6002", "<isSpam>true</isSpam>", "01"),
            // Decided here: the moderator's decision stands.
            post("6003", "<isDeleted>true</isDeleted>", "01"),
            // Another comment under the same id (written another day).
            post("6004", "<isDeleted>true</isDeleted>", "09"),
            post("6005", "", "01"),
        ]
        .concat(),
    );
    let mut dry = options(&["https://news.example"]);
    dry.dry_run = true;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("export");
    std::fs::write(&file, &later).expect("write");
    let summary = run_import(&f, System::Disqus, &file, &dry);
    assert_eq!(summary.taken_down, 2, "{summary}");
    assert!(
        summary
            .to_string()
            .contains("taken down there since an earlier import: 2 (would reject here;"),
        "{summary}"
    );
    assert_eq!(status("6001"), "published", "a dry run changes nothing");

    let summary = import_text(&f, System::Disqus, &later);
    assert_eq!(
        (
            summary.taken_down,
            summary.already_there,
            summary.deleted,
            summary.spam
        ),
        (2, 1, 3, 1),
        "{summary}"
    );
    assert_eq!(
        ["6001", "6002", "6003", "6004", "6005"].map(status),
        [
            "rejected",
            "rejected",
            "published",
            "published",
            "published"
        ]
    );
    let audit = block_on(f.store.audit_log(10)).expect("audit");
    assert_eq!(
        audit
            .iter()
            .filter(|l| l.moderator == "cli" && l.action == "reject")
            .count(),
        2
    );
    // Once: a moderator who publishes one again is not overruled by the
    // next run, nor is the other rejected twice.
    decide("6001", Status::Published, Status::Rejected);
    let summary = import_text(&f, System::Disqus, &later);
    assert_eq!(summary.taken_down, 0, "{summary}");
    assert_eq!(status("6001"), "published");
}

/// A Disqus name is plain text as typed (its XML decoded once), and the
/// links Disqus wrapped in its `disq.us` redirect are the pages they lead
/// to.
#[test]
fn disqus_names_are_text_and_its_redirects_are_unwrapped() {
    let f = news_site("https://news.example");
    let summary = import_text(
        &f,
        System::Disqus,
        &disqus_thread(
            "<post dsq:id=\"3001\"><message><![CDATA[<p>See <a href=\"https://disq.us/url?url=https%3A%2F%2Fdata.example%2Fport%3AZFl7x0Ilk7F8xS4TcbQ8Ck-3Q4s&amp;cuid=9\">the figures</a></p>]]></message>\
             <createdAt>2021-02-01T09:00:00Z</createdAt><author><name>Sam &lt;Editor&gt; AT&amp;amp;T</name></author>\
             <thread dsq:id=\"7\"/></post>",
        ),
    );
    assert_eq!(summary.published, 1, "{summary}");
    let c = expect(&f, "import:disqus:3001");
    assert_eq!(c.comment.author, "Sam <Editor> AT&amp;T");
    assert_eq!(
        c.comment.body,
        "See the figures (https://data.example/port)"
    );
}

/// A Disqus thread whose `<link>` is a slug edited since (Disqus keeps
/// the first) finds its article by the thread's identifier: an address in
/// it, a WordPress post id with its host, or an article id.
#[test]
fn a_disqus_thread_whose_link_moved_finds_its_article_by_its_identifier() {
    let f = news_site("https://news.example");
    let synced = json!([{ "id": "news.example-77", "url": "https://news.example/2026/11/new-slug",
        "title": "t", "published_at": "2026-11-02T08:00:00Z", "body": [] }]);
    block_on(import_json(f.store.as_ref(), &synced.to_string())).expect("article");
    let thread = |n: u32, id: &str| {
        format!(
            "<thread dsq:id=\"{n}\"><id>{id}</id><link>https://news.example/2026/11/old-slug-{n}</link></thread>\
             <post dsq:id=\"40{n}\"><message>&lt;p&gt;تعليق على الخبر {n}&lt;/p&gt;</message>\
             <createdAt>2021-02-01T09:00:00Z</createdAt><author><name>Sami</name></author>\
             <thread dsq:id=\"{n}\"/></post>"
        )
    };
    let export = format!(
        "<?xml version=\"1.0\"?><disqus xmlns:dsq=\"http://disqus.com/disqus-internals\">{}{}{}{}</disqus>",
        thread(1, "42 https://news.example/?p=42"),
        thread(2, "77 http://www.news.example/?p=77"),
        thread(3, "closed"),
        thread(4, "no-such-article"),
    );
    let summary = import_text(&f, System::Disqus, &export);
    assert_eq!(summary.published, 4, "{summary}");
    assert_eq!(expect(&f, "import:disqus:401").article_id, "p42");
    assert_eq!(
        expect(&f, "import:disqus:402").article_id,
        "news.example-77"
    );
    assert_eq!(expect(&f, "import:disqus:403").article_id, "closed");
    // Nothing names an article: the link's page gets a thread, as before.
    assert_ne!(expect(&f, "import:disqus:404").article_id, "closed");
    assert_eq!(summary.new_threads, 1, "{summary}");
}

/// A WordPress post whose slug was edited since the sync finds its
/// article by its post id and guid, as a Disqus thread does by its
/// identifier.
#[test]
fn a_wordpress_post_whose_link_moved_finds_its_article_by_its_id() {
    let f = news_site("https://news.example");
    let synced = json!([{ "id": "news.example-528", "url": "https://news.example/2026/11/old-slug",
        "title": "t", "published_at": "2026-11-02T08:00:00Z", "body": [] }]);
    block_on(import_json(f.store.as_ref(), &synced.to_string())).expect("article");
    let summary = import_text(
        &f,
        System::Wordpress,
        "<?xml version=\"1.0\"?><rss version=\"2.0\" \
         xmlns:wp=\"http://wordpress.org/export/1.2/\"><channel>\
         <link>https://news.example</link><item><title>t</title>\
         <link>https://news.example/2026/11/new-slug/</link>\
         <guid isPermaLink=\"false\">https://news.example/?p=528</guid>\
         <wp:post_id>528</wp:post_id><wp:status>publish</wp:status>\
         <wp:comment><wp:comment_id>9</wp:comment_id>\
         <wp:comment_author>Huda</wp:comment_author>\
         <wp:comment_date_gmt>2026-11-02 09:00:00</wp:comment_date_gmt>\
         <wp:comment_content><![CDATA[تعليق على الخبر]]></wp:comment_content>\
         <wp:comment_approved>1</wp:comment_approved>\
         <wp:comment_parent>0</wp:comment_parent></wp:comment>\
         </item></channel></rss>",
    );
    assert_eq!(
        (summary.published, summary.new_threads),
        (1, 0),
        "{summary}"
    );
    assert_eq!(
        expect(&f, "import:wordpress:news.example:9").article_id,
        "news.example-528"
    );

    // The site in /ar/ numbers its posts apart: its post 528 is its own
    // article, never the root site's.
    let synced = json!([{ "id": "news.example-ar-528", "url": "https://news.example/ar/old-slug",
        "title": "t", "published_at": "2026-11-02T08:00:00Z", "body": [] }]);
    block_on(import_json(f.store.as_ref(), &synced.to_string())).expect("article");
    let summary = import_text(
        &f,
        System::Wordpress,
        "<?xml version=\"1.0\"?><rss version=\"2.0\" \
         xmlns:wp=\"http://wordpress.org/export/1.2/\"><channel>\
         <link>https://news.example/ar</link><wp:base_blog_url>https://news.example/ar</wp:base_blog_url>\
         <item><title>t</title><link>https://news.example/ar/new-slug/</link>\
         <guid isPermaLink=\"false\">https://news.example/ar/?p=528</guid>\
         <wp:post_id>528</wp:post_id><wp:status>publish</wp:status>\
         <wp:comment><wp:comment_id>9</wp:comment_id>\
         <wp:comment_author>Sami</wp:comment_author>\
         <wp:comment_date_gmt>2026-11-02 10:00:00</wp:comment_date_gmt>\
         <wp:comment_content><![CDATA[تعليق على خبر الموقع العربي]]></wp:comment_content>\
         <wp:comment_approved>1</wp:comment_approved>\
         <wp:comment_parent>0</wp:comment_parent></wp:comment>\
         </item></channel></rss>",
    );
    assert_eq!(summary.published, 1, "{summary}");
    assert_eq!(
        expect(&f, "import:wordpress:news.example/ar:9").article_id,
        "news.example-ar-528"
    );
}

/// A reply deleted here takes a newer export's answers to it with it, as
/// a comment deleted here does, while an answer to its sibling that stays
/// is added: the nearest comment up the chain that is (or was) here
/// decides, not the top of the thread.
#[test]
fn a_new_answer_to_a_reply_deleted_here_stays_out() {
    let f = news_site("https://news.example");
    let file = fixture_file("disqus.xml");
    run_import(
        &f,
        System::Disqus,
        &file,
        &options(&["https://news.example"]),
    );
    let top = expect(&f, "import:disqus:1001");
    // Omar's reply (1002) goes; 1003, which answered it there, is stored
    // beside it under 1001 and stays.
    let omar = expect(&f, "import:disqus:1002");
    assert!(block_on(f.store.delete_comment(omar.comment.id, None))
        .expect("delete")
        .is_some());
    assert!(by_key(&f, "import:disqus:1003").is_some());
    let post = |id: &str, parent: &str| {
        format!(
            "<post dsq:id=\"{id}\"><message>&lt;p&gt;رد على الرد&lt;/p&gt;</message>\
             <createdAt>2021-02-01T09:00:00Z</createdAt><author><name>Yasmin</name></author>\
             <thread dsq:id=\"100\"/><parent dsq:id=\"{parent}\"/></post>"
        )
    };
    let newer = std::fs::read_to_string(&file).expect("fixture").replace(
        "</disqus>",
        &format!("{}{}</disqus>", post("1012", "1002"), post("1013", "1003")),
    );
    let summary = import_text(&f, System::Disqus, &newer);
    assert_eq!(
        (summary.published, summary.deleted_here),
        (1, 2),
        "{summary}"
    );
    assert!(by_key(&f, "import:disqus:1012").is_none());
    assert_eq!(
        expect(&f, "import:disqus:1013").comment.parent_id,
        Some(top.comment.id)
    );
}

/// A reply that came in as a top-level comment (what it answered was not
/// in that export) is what a newer export's answer to it hangs under,
/// also once the comment above it there came and was deleted here.
#[test]
fn an_answer_hangs_under_the_comment_it_answers_here() {
    let f = news_site("https://news.example");
    let post = |id: &str, parent: Option<&str>| {
        format!(
            "<post dsq:id=\"{id}\"><message>&lt;p&gt;تعليق {id}&lt;/p&gt;</message>\
             <createdAt>2021-02-0{}T09:00:00Z</createdAt><author><name>Sami</name></author>\
             <thread dsq:id=\"100\"/>{}</post>",
            &id[3..],
            parent
                .map(|p| format!("<parent dsq:id=\"{p}\"/>"))
                .unwrap_or_default()
        )
    };
    let export = |posts: &[String]| {
        std::fs::read_to_string(fixture_file("disqus.xml"))
            .expect("fixture")
            .replace("</disqus>", &format!("{}</disqus>", posts.concat()))
    };
    // B answers A, which that export lacks: B stands alone.
    import_text(&f, System::Disqus, &export(&[post("2002", Some("2001"))]));
    let b = expect(&f, "import:disqus:2002");
    assert_eq!(b.comment.parent_id, None);
    // A comes, and a moderator deletes it here (B is not its reply here).
    import_text(
        &f,
        System::Disqus,
        &export(&[post("2001", None), post("2002", Some("2001"))]),
    );
    let a = expect(&f, "import:disqus:2001");
    assert!(block_on(f.store.delete_comment(a.comment.id, None))
        .expect("delete")
        .is_some());
    // C answers B: under B.
    let summary = import_text(
        &f,
        System::Disqus,
        &export(&[
            post("2001", None),
            post("2002", Some("2001")),
            post("2003", Some("2002")),
        ]),
    );
    assert_eq!(summary.published, 1, "{summary}");
    assert_eq!(
        expect(&f, "import:disqus:2003").comment.parent_id,
        Some(b.comment.id)
    );
}

/// A comment of one character is kept out as a reader's would be, and
/// the summary says so rather than blaming the cleaning.
#[test]
fn a_one_character_comment_is_named_for_its_length() {
    let f = news_site("https://news.example");
    let text = std::fs::read_to_string(fixture_file("disqus.xml"))
        .expect("fixture")
        .replace(
            "</disqus>",
            "<post dsq:id=\"1015\"><message>&lt;p&gt;👍&lt;/p&gt;</message>\
             <createdAt>2021-02-01T09:00:00Z</createdAt><author><name>Sami</name></author>\
             <thread dsq:id=\"100\"/></post></disqus>",
        );
    let summary = import_text(&f, System::Disqus, &text);
    assert!(
        summary.errors.contains(
            &"disqus comment \"1015\": shorter than the 2 characters a comment must have"
                .to_owned()
        ),
        "{summary}"
    );
    assert!(by_key(&f, "import:disqus:1015").is_none());
}

#[test]
fn without_a_site_unknown_pages_are_skipped_and_listed() {
    let f = news_site("https://news.example");
    let summary = run_import(
        &f,
        System::Disqus,
        &fixture_file("disqus.xml"),
        &options(&[]),
    );
    assert_eq!(
        (summary.published, summary.pending, summary.unknown),
        (3, 1, 2)
    );
    assert_eq!(
        summary.unknown_pages,
        [
            "https://news.example/2026/11/new-page?utm_source=feed",
            "https://elsewhere.example/page"
        ]
    );
    assert_eq!(summary.new_threads, 0);
}

/// Two WordPress sites number their comments alike (each from 1): the
/// second site's export, on a server that has the first's, is imported
/// whole, and its comments keep their own threads.
#[test]
fn a_second_sites_export_with_the_same_comment_ids_is_imported_too() {
    let f = news_site("https://news.example");
    let second = json!([{ "id": "p42-second", "url": "https://second.example/?p=42",
        "title": "Another site's post", "published_at": "2019-05-01T08:00:00Z", "body": [] }]);
    block_on(import_json(f.store.as_ref(), &second.to_string())).expect("articles");
    let first = run_import(
        &f,
        System::Wordpress,
        &fixture_file("wordpress.xml"),
        &options(&["https://news.example"]),
    );
    assert_eq!((first.published, first.pending), (4, 1), "{first}");

    // The same export as another blog wrote it: the same ids, the same
    // pages under another address.
    let dir = tempfile::tempdir().expect("tempdir");
    let other = dir.path().join("second.xml");
    let text = std::fs::read_to_string(fixture_file("wordpress.xml")).expect("fixture");
    std::fs::write(&other, text.replace("news.example", "second.example")).expect("write");
    let summary = run_import(
        &f,
        System::Wordpress,
        &other,
        &options(&["https://second.example"]),
    );
    assert_eq!(
        (summary.published, summary.pending, summary.already_there),
        (4, 1, 0),
        "nothing of the second site is taken for the first's: {summary}"
    );
    let theirs = expect(&f, "import:wordpress:second.example:11");
    assert_eq!(theirs.article_id, "p42-second");
    let reply = expect(&f, "import:wordpress:second.example:12");
    assert_eq!(reply.comment.parent_id, Some(theirs.comment.id));
    assert_eq!(
        expect(&f, "import:wordpress:news.example:11").article_id,
        "p42"
    );
}

/// A server that imported an export before keys named the site (keys
/// `import:wordpress:<id>`) adds nothing when the same export is imported
/// again, and new replies find their parents under the old keys.
#[test]
fn an_import_from_before_site_keys_is_not_repeated() {
    let f = news_site("https://news.example");
    re_import_over(&f, "import:wordpress:11");
    // The same id on another article is another comment.
    let elsewhere = ImportedComment {
        key: "import:wordpress:news.example:99".into(),
        parent_key: None,
        legacy_keys: vec!["import:wordpress:11".into()],
        legacy_parent_keys: Vec::new(),
        via_keys: Vec::new(),
        author: "Adam".into(),
        email: None,
        body: "Elsewhere".into(),
        status: Status::Published,
        created_at: "2019-05-02T08:30:00Z".into(),
    };
    let stored = block_on(f.store.import_comments("souq", vec![elsewhere], false)).expect("store");
    assert_eq!(stored, [Imported::Added]);
}

/// A site that moved between `www.` and its bare host: its export, taken
/// before and after the move, brings each comment once, also over an
/// import made before keys left `www.` out.
#[test]
fn a_site_moved_between_www_and_its_bare_host_keeps_its_import_keys() {
    let f = news_site("https://news.example");
    // The export as the site wrote it under www., imported first.
    let dir = tempfile::tempdir().expect("tempdir");
    let www = dir.path().join("www.xml");
    let text = std::fs::read_to_string(fixture_file("wordpress.xml")).expect("fixture");
    std::fs::write(&www, text.replace("://news.example", "://www.news.example")).expect("write");
    let first = run_import(
        &f,
        System::Wordpress,
        &www,
        &options(&["https://www.news.example"]),
    );
    assert_eq!((first.published, first.pending), (4, 1), "{first}");
    assert_eq!(
        expect(&f, "import:wordpress:news.example:11").article_id,
        "p42"
    );
    // After the move: the same comments, under the bare host.
    let again = run_import(
        &f,
        System::Wordpress,
        &fixture_file("wordpress.xml"),
        &options(&["https://news.example"]),
    );
    assert_eq!(
        (again.published, again.pending, again.already_there),
        (0, 0, 5),
        "{again}"
    );

    // A server whose earlier import keyed a www. site's comments with
    // www. in them.
    re_import_over(
        &news_site("https://news.example"),
        "import:wordpress:www.news.example:11",
    );
}

/// Stores comment 11 of the WordPress fixture on `p42` under `old_key`, as
/// an earlier import did, then imports the fixture: comment 11 is already
/// there, the others come, and its reply (12) answers the stored one.
fn re_import_over(f: &Fixture, old_key: &str) {
    let before = ImportedComment {
        key: old_key.into(),
        parent_key: None,
        legacy_keys: Vec::new(),
        legacy_parent_keys: Vec::new(),
        via_keys: Vec::new(),
        author: "هدى".into(),
        email: None,
        body: "أول تعليق".into(),
        status: Status::Published,
        created_at: "2019-05-02T08:30:00Z".into(),
    };
    let stored = block_on(f.store.import_comments("p42", vec![before], false)).expect("store");
    assert_eq!(stored, [Imported::Added]);
    let old = expect(f, old_key);
    let summary = run_import(
        f,
        System::Wordpress,
        &fixture_file("wordpress.xml"),
        &options(&["https://news.example"]),
    );
    assert_eq!(
        (summary.published, summary.pending, summary.already_there),
        (3, 1, 1),
        "{summary}"
    );
    assert!(by_key(f, "import:wordpress:news.example:11").is_none());
    assert_eq!(
        expect(f, "import:wordpress:news.example:12")
            .comment
            .parent_id,
        Some(old.comment.id)
    );
}

/// Runs `comments import` on the fixture's database: whether it ended
/// well, its summary (less the last line, which names the database, as it
/// must) and what it said on stderr.
fn cli(f: &Fixture, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(["--db", &f.db_url(), "comments", "import"])
        .args(args)
        .env_remove("KHABAR_SITES")
        .output()
        .expect("run khabar-server");
    let mut said = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        let last = said.trim_end().rfind('\n').map_or(0, |i| i + 1);
        assert!(said[last..].starts_with("database: "), "{said}");
        said.truncate(last);
    }
    (
        out.status.success(),
        said,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A dry run writes nothing: no new database for a mistyped `--db`, and
/// no migration of an older one (a newer binary tried before the server
/// is upgraded).
#[test]
fn a_dry_run_creates_no_database_and_migrates_none() {
    let dir = tempfile::tempdir().expect("dir");
    let export = fixture_file("wordpress.xml");
    let dry_run = |db: &std::path::Path| {
        let out = Command::new(BIN)
            .arg("--db")
            .arg(db)
            .args(["comments", "import", "--from", "wordpress"])
            .arg(&export)
            .args(["--site", "https://news.example", "--dry-run"])
            .env_remove("KHABAR_SITES")
            .output()
            .expect("run khabar-server");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let typo = dir.path().join("khabr.sqlite3");
    let (ok, err) = dry_run(&typo);
    assert!(!ok);
    assert!(err.contains("no database at"), "{err}");
    assert!(!typo.exists(), "no file made");

    let older = dir.path().join("older.sqlite3");
    rusqlite::Connection::open(&older)
        .expect("open")
        .execute_batch("CREATE TABLE kept (x); PRAGMA user_version = 3;")
        .expect("an older schema");
    let (ok, err) = dry_run(&older);
    assert!(!ok);
    assert!(err.contains("older than this binary's"), "{err}");
    let conn = rusqlite::Connection::open(&older).expect("open");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .expect("tables");
    assert_eq!((version, tables), (3, 1), "left as it was");
}

#[test]
fn the_command_imports_a_wordpress_export_and_says_what_it_did() {
    let f = news_site("https://news.example");
    let file = fixture_file("wordpress.xml");
    let file = file.to_string_lossy();
    let args = [
        "--from",
        "wordpress",
        &file,
        "--site",
        "https://news.example",
    ];

    let (ok, out, err) = cli(&f, &[&args[..], &["--dry-run"]].concat());
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "would import: 4 published, 1 pending\n\
         already there: 0\n\
         skipped: 1 deleted, 1 spam, 1 pingback/trackback, 1 on unknown pages\n\
         unknown pages (1):\n  https://old-blog.example/2018/hello\n\
         new threads: 1 would create\n\
         errors: 0\n"
    );
    assert_eq!(
        block_on(comment_total(&f.store)),
        0,
        "a dry run writes nothing"
    );
    assert!(block_on(
        f.store
            .article(&thread_id("https://news.example/2026/11/wp-only"))
    )
    .expect("read")
    .is_none());

    let (ok, out, err) = cli(&f, &args);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("imported: 4 published, 1 pending\nalready there: 0\n"),
        "{out}"
    );
    assert!(out.contains("new threads: 1 created\n"), "{out}");

    let first = expect(&f, "import:wordpress:news.example:11");
    assert_eq!(
        shape(&first),
        (
            "p42",
            "published",
            "هدى",
            Some("huda@example.test"),
            "2019-05-02T08:30:00Z",
            None
        )
    );
    assert_eq!(first.comment.body, "أول تعليق\nبسطرين");
    let reply = expect(&f, "import:wordpress:news.example:12");
    assert_eq!(
        shape(&reply),
        (
            "p42",
            "published",
            "Adam",
            None,
            "2019-05-02T09:00:00Z",
            Some(first.comment.id)
        )
    );
    assert_eq!(reply.comment.body, "See this reply");
    let deeper = expect(&f, "import:wordpress:news.example:13");
    assert_eq!(
        shape(&deeper),
        (
            "p42",
            "pending",
            "منى",
            Some("mona@example.test"),
            "2019-05-02T10:15:00Z",
            Some(first.comment.id)
        )
    );
    // No GMT time: the local one, less the blog's offset its other
    // comments show (three hours: 11:30 local is 08:30 GMT).
    assert_eq!(
        expect(&f, "import:wordpress:news.example:17")
            .comment
            .created_at,
        "2019-05-04T06:00:00Z"
    );
    assert_eq!(
        expect(&f, "import:wordpress:news.example:21").article_id,
        thread_id("https://news.example/2026/11/wp-only")
    );
    for skipped in ["14", "15", "16", "31"] {
        assert!(by_key(&f, &format!("import:wordpress:news.example:{skipped}")).is_none());
    }

    let (ok, out, err) = cli(&f, &args);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("imported: 0 published, 0 pending\nalready there: 5\n"),
        "{out}"
    );
    assert_eq!(block_on(comment_total(&f.store)), 5);
}

/// Comments an Isso database keeps for a thread deleted by hand (SQLite
/// checks no foreign key unless asked) are skipped and named, as an
/// unknown page's; the rest of the database comes in.
/// An Isso database made here, in Isso's tables, with `rows` inserted
/// (SQL), imported for https://news.example.
fn isso_import(f: &Fixture, rows: &str) -> Summary {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("comments.db");
    let conn = rusqlite::Connection::open(&db).expect("db");
    // Off, as in the sqlite3 shell a thread is deleted with.
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = OFF;
         CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
         CREATE TABLE comments (tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER,
             created FLOAT NOT NULL, modified FLOAT, mode INTEGER, remote_addr VARCHAR,
             text VARCHAR, author VARCHAR, email VARCHAR, website VARCHAR,
             likes INTEGER DEFAULT 0, dislikes INTEGER DEFAULT 0, voters BLOB, notification INTEGER);
         INSERT INTO threads VALUES (1, '/2026/11/السوق', 'السوق');
         {rows}"
    ))
    .expect("tables");
    drop(conn);
    run_import(f, System::Isso, &db, &options(&["https://news.example"]))
}

#[test]
fn an_isso_comment_of_a_thread_the_database_lacks_is_skipped_not_the_database() {
    let f = news_site("https://news.example");
    let summary = isso_import(
        &f,
        "INSERT INTO comments (tid, id, parent, created, mode, text, author)
             VALUES (1, 1, NULL, 1764000000.5, 1, 'تعليق باق', 'Huda &lt;Desk&gt; &amp;amp; co'),
                    (40, 2, NULL, 1764000100.0, 1, 'a thread deleted by hand', 'Omar');",
    );
    assert_eq!(summary.published, 1, "{summary}");
    assert_eq!(
        summary.unknown_pages,
        vec!["(Isso thread 40, not in the database)".to_owned()],
        "{summary}"
    );
    let kept = expect(&f, "import:isso:news.example:1");
    assert_eq!(kept.article_id, "souq");
    // Isso escapes a name once: decoded once, `<Desk>` is kept as a word.
    assert_eq!(kept.comment.author, "Huda <Desk> &amp; co");
}

/// An id an earlier import gave another comment (an Isso database made
/// anew counts from 1 again) is named among the errors, not counted as
/// already there: the comment would be lost without a word.
#[test]
fn an_id_the_other_system_gave_twice_is_named_not_taken_for_already_there() {
    let f = news_site("https://news.example");
    let summary = isso_import(
        &f,
        "INSERT INTO comments (tid, id, parent, created, mode, text, author)
             VALUES (1, 1, NULL, 1764000000, 1, 'الأول', 'Huda');",
    );
    assert_eq!(summary.published, 1, "{summary}");
    // The database made anew: its comment 1 is another reader's, on
    // another page, written later; its comment 2 is new.
    let summary = isso_import(
        &f,
        "INSERT INTO threads VALUES (2, '/?p=42', 'p');
         INSERT INTO comments (tid, id, parent, created, mode, text, author)
             VALUES (2, 1, NULL, 1765000000, 1, 'another comment 1', 'Omar'),
                    (2, 2, NULL, 1765000100, 1, 'a new one', 'Lina');",
    );
    assert_eq!(
        (
            summary.published,
            summary.already_there,
            summary.errors.len()
        ),
        (1, 0, 1),
        "{summary}"
    );
    assert!(
        summary.errors[0].starts_with("import:isso:news.example:1: an earlier import gave this id to another comment (on souq"),
        "{summary}"
    );
    assert_eq!(
        expect(&f, "import:isso:news.example:1").comment.body,
        "الأول"
    );
    assert_eq!(expect(&f, "import:isso:news.example:2").article_id, "p42");
    // The same database again: its comments are already there.
    let summary = isso_import(
        &f,
        "INSERT INTO comments (tid, id, parent, created, mode, text, author)
             VALUES (1, 1, NULL, 1764000000, 1, 'الأول', 'Huda');",
    );
    assert_eq!(
        (summary.already_there, summary.errors.len()),
        (1, 0),
        "{summary}"
    );
}

/// Disqus gives an id once across all of Disqus: its comment found under
/// another article, its time read otherwise (an offset read since), is
/// the same comment, already there.
#[test]
fn a_disqus_comment_is_never_taken_for_an_id_given_twice() {
    let f = news_site("https://news.example");
    let export = |link: &str, at: &str| {
        format!(
            "<?xml version=\"1.0\"?><disqus xmlns=\"http://disqus.com\" \
             xmlns:dsq=\"http://disqus.com/disqus-internals\">\
             <thread dsq:id=\"7\"><link>{link}</link><title>t</title></thread>\
             <post dsq:id=\"7001\"><message><![CDATA[<p>كلمة</p>]]></message>\
             <createdAt>{at}</createdAt><author><name>Sami</name></author>\
             <thread dsq:id=\"7\"/></post></disqus>"
        )
    };
    let first = import_text(
        &f,
        System::Disqus,
        &export("https://news.example/2026/11/souq", "2021-02-01T09:00:00Z"),
    );
    assert_eq!(first.published, 1, "{first}");
    let again = import_text(
        &f,
        System::Disqus,
        &export("https://news.example/?p=42", "2021-02-01T12:00:00+02:00"),
    );
    assert_eq!(
        (again.published, again.already_there, again.errors.len()),
        (0, 1, 0),
        "{again}"
    );
}

/// Isso's own `isso import` keeps a Disqus message's HTML as its text
/// (Isso shows it as HTML): such a body is read as HTML, one a reader typed
/// in Markdown as typed.
#[test]
fn an_isso_body_isso_imported_as_html_is_read_as_html() {
    let f = news_site("https://news.example");
    let summary = isso_import(
        &f,
        "INSERT INTO comments (tid, id, parent, created, mode, text, author)
             VALUES (1, 1, NULL, 1764000000, 1,
                     '<p>مرحبا<br>بكم</p><p>ثانية &amp; <a href=\"https://news.example/a\">أخيرة</a></p>', 'Huda'),
                    (1, 2, NULL, 1764000100, 1, 'See <https://news.example/b> and <b>this</b> &amp; that', 'Omar');",
    );
    assert_eq!(summary.published, 2, "{summary}");
    assert_eq!(
        expect(&f, "import:isso:news.example:1").comment.body,
        "مرحبا\nبكم\n\nثانية & أخيرة (https://news.example/a)"
    );
    assert_eq!(
        expect(&f, "import:isso:news.example:2").comment.body,
        "See <https://news.example/b> and <b>this</b> &amp; that"
    );
}

#[test]
fn hostile_and_broken_files_are_refused_whole_and_write_nothing() {
    let f = news_site("https://news.example");
    let dir = tempfile::tempdir().expect("dir");
    let disqus = std::fs::read_to_string(fixture_file("disqus.xml")).expect("fixture");
    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        (
            "xxe.xml",
            "disqus",
            b"<?xml version=\"1.0\"?>\n<!DOCTYPE disqus [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<disqus><post dsq:id=\"1\"><message>&xxe;</message></post></disqus>".to_vec(),
            ":2:1: a document type declaration",
        ),
        (
            "laughs.xml",
            "wordpress",
            format!(
                "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">{}]>\n<rss><channel>&lol9;</channel></rss>",
                (1..10)
                    .map(|i| format!("<!ENTITY lol{i} \"{}\">", format!("&lol{};", i - 1).repeat(10)))
                    .collect::<String>()
            )
            .into_bytes(),
            ":2:1: a document type declaration",
        ),
        (
            "undeclared.xml",
            "disqus",
            b"<disqus>\n  <thread dsq:id=\"1\"><title>&lol9;</title></thread>\n</disqus>".to_vec(),
            ":2:29: unknown entity &lol9;",
        ),
        (
            "malformed.xml",
            "disqus",
            b"<disqus>\n<thread dsq:id=\"1\"><link>x</thread>\n</disqus>".to_vec(),
            ":2:27: not well-formed XML: ill-formed document: expected `</link>`",
        ),
        (
            "truncated.xml",
            "disqus",
            disqus.as_bytes()[..disqus.find("  <post dsq:id=\"1002\">").expect("post")].to_vec(),
            "the file ends inside <disqus> (truncated?)",
        ),
        (
            "cut-in-a-tag.xml",
            "disqus",
            disqus.as_bytes()[..disqus.find("dsq:id=\"1002\"").expect("post")].to_vec(),
            "tag not closed",
        ),
        (
            "deep.xml",
            "disqus",
            format!("<disqus>{}{}</disqus>", "<a>".repeat(5000), "</a>".repeat(5000)).into_bytes(),
            "nested deeper than",
        ),
        (
            "not-xml.json",
            "wordpress",
            br#"{"comments": [{"text": "hello"}]}"#.to_vec(),
            ":1:1: text outside the root element",
        ),
        (
            "latin1.xml",
            "disqus",
            b"<disqus><thread>caf\xe9</thread></disqus>".to_vec(),
            ":1:20: not UTF-8 text",
        ),
        (
            "wrong-kind.xml",
            "disqus",
            std::fs::read(fixture_file("wordpress.xml")).expect("fixture"),
            "not a Disqus export",
        ),
        (
            "not-a-database.db",
            "isso",
            b"SQLite format 3? no, just text".to_vec(),
            "not a readable Isso database",
        ),
    ];
    for (name, from, bytes, expected) in &cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let shown = path.to_string_lossy();
        let (ok, out, err) = cli(
            &f,
            &["--from", from, &shown, "--site", "https://news.example"],
        );
        assert!(!ok, "{name} was accepted: {out}");
        assert!(
            err.contains(&*shown) && err.contains(expected),
            "{name}: {err}"
        );
    }
    // Isso's database names no site: its keys need one.
    let (ok, _, err) = cli(&f, &["--from", "isso", "/no/such/comments.db"]);
    assert!(!ok && err.contains("give the site Isso served"), "{err}");
    let (ok, _, err) = cli(&f, &["--from", "disqus", "/no/such/export.xml"]);
    assert!(
        !ok && err.contains("/no/such/export.xml: cannot read it"),
        "{err}"
    );

    assert_eq!(block_on(comment_total(&f.store)), 0);
    assert_eq!(block_on(f.store.article_count()).expect("count"), 3);
}

/// A thread deleted in Disqus (a takedown) takes its comments with it,
/// whatever each post says; spam stays spam.
#[test]
fn the_comments_of_a_thread_deleted_in_disqus_are_skipped() {
    let f = news_site("https://news.example");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("takedown.xml");
    let post = |id: u32, spam: bool| {
        format!(
            "<post dsq:id=\"{id}\"><thread dsq:id=\"7\"/><message>&lt;p&gt;تعليق {id}&lt;/p&gt;</message>\
             <createdAt>2020-03-01T10:00:00Z</createdAt><isDeleted>false</isDeleted>\
             <isSpam>{spam}</isSpam><author><name>قارئ</name></author></post>"
        )
    };
    std::fs::write(
        &file,
        format!(
            "<?xml version=\"1.0\"?><disqus xmlns=\"http://disqus.com\" \
             xmlns:dsq=\"http://disqus.com/disqus-internals\">\
             <thread dsq:id=\"7\"><link>https://news.example/2026/11/souq</link>\
             <title>t</title><isDeleted>true</isDeleted></thread>{}{}</disqus>",
            post(71, false),
            post(72, true)
        ),
    )
    .expect("write");
    let summary = run_import(
        &f,
        System::Disqus,
        &file,
        &options(&["https://news.example"]),
    );
    assert_eq!(
        (summary.published, summary.deleted, summary.spam),
        (0, 1, 1),
        "{summary}"
    );
    assert!(by_key(&f, "import:disqus:71").is_none());
}

/// A discussion under a comment deleted there, or under one the export
/// leaves out, keeps its threads: a reply to a reply answers the nearest
/// comment imported above it.
#[test]
fn a_discussion_under_a_deleted_comment_keeps_its_threads() {
    let f = news_site("https://news.example");
    let post = |id: u32, parent: Option<u32>, deleted: bool| {
        let parent = parent
            .map(|p| format!("<parent dsq:id=\"{p}\"/>"))
            .unwrap_or_default();
        format!(
            "<post dsq:id=\"{id}\"><thread dsq:id=\"7\"/>{parent}\
             <message>&lt;p&gt;تعليق {id}&lt;/p&gt;</message>\
             <createdAt>2020-03-01T10:00:{id:02}Z</createdAt><isDeleted>{deleted}</isDeleted>\
             <isSpam>false</isSpam><author><name>قارئ</name></author></post>"
        )
    };
    let posts = [
        post(1, None, true),
        post(2, Some(1), false),
        post(3, Some(2), false),
        // 4 is not in the file.
        post(5, Some(4), false),
        post(6, Some(5), false),
    ];
    let summary = import_text(&f, System::Disqus, &disqus_thread(&posts.concat()));
    assert_eq!((summary.published, summary.deleted), (4, 1), "{summary}");
    let parent = |id: u32| expect(&f, &format!("import:disqus:{id}")).comment.parent_id;
    let id = |n: u32| expect(&f, &format!("import:disqus:{n}")).comment.id;
    assert_eq!(
        [parent(2), parent(3), parent(5), parent(6)],
        [None, Some(id(2)), None, Some(id(5))]
    );
}

/// A post whose thread the export does not have (a file cut short, a
/// forum's leftovers) is skipped and named, and the rest is imported: it
/// refused the whole file, a large export over one stray post.
#[test]
fn a_post_of_a_thread_the_file_lacks_is_skipped_not_the_file() {
    let f = news_site("https://news.example");
    let stray = "<post dsq:id=\"5\"><thread dsq:id=\"77\"/><message>&lt;p&gt;ضائع&lt;/p&gt;</message>\
                 <createdAt>2020-03-01T10:00:00Z</createdAt><author><name>قارئ</name></author></post>";
    let kept = "<post dsq:id=\"6\"><thread dsq:id=\"7\"/><message>&lt;p&gt;باقٍ&lt;/p&gt;</message>\
                <createdAt>2020-03-01T10:00:00Z</createdAt><author><name>قارئ</name></author></post>";
    let summary = import_text(
        &f,
        System::Disqus,
        &disqus_thread(&format!("{stray}{kept}")),
    );
    assert_eq!((summary.published, summary.unknown), (1, 1), "{summary}");
    assert_eq!(
        summary.unknown_pages,
        ["(Disqus thread 77, not in the file)"]
    );
    assert!(by_key(&f, "import:disqus:6").is_some());
    assert!(by_key(&f, "import:disqus:5").is_none());
}

/// A WordPress export carries every kind of comment but spam: editorial
/// notes and plugins' kinds are not readers' and are not imported.
#[test]
fn a_wordpress_exports_editorial_notes_are_not_imported() {
    let f = news_site("https://news.example");
    let comment = |id: u32, kind: &str, text: &str| {
        format!(
            "<wp:comment><wp:comment_id>{id}</wp:comment_id>\
             <wp:comment_author>Editor</wp:comment_author>\
             <wp:comment_date_gmt>2019-05-02 08:30:00</wp:comment_date_gmt>\
             <wp:comment_content><![CDATA[{text}]]></wp:comment_content>\
             <wp:comment_approved>1</wp:comment_approved>\
             <wp:comment_type>{kind}</wp:comment_type>\
             <wp:comment_parent>0</wp:comment_parent></wp:comment>"
        )
    };
    let summary = import_text(
        &f,
        System::Wordpress,
        &format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\" \
             xmlns:wp=\"http://wordpress.org/export/1.2/\"><channel>\
             <link>https://news.example</link><item><title>p</title>\
             <link>https://news.example/?p=42</link><wp:status>publish</wp:status>\
             {}{}{}{}</item></channel></rss>",
            comment(21, "note", "Check the second source before this goes out"),
            comment(22, "order_note", "Paid"),
            comment(23, "comment", "تعليق قارئ"),
            comment(24, "", "Another reader"),
        ),
    );
    assert_eq!(
        (summary.published, summary.other_kinds),
        (2, 2),
        "{summary}"
    );
    assert!(summary
        .to_string()
        .contains("skipped: 2 not readers' comments"));
    for id in [21, 22] {
        assert!(by_key(&f, &format!("import:wordpress:news.example:{id}")).is_none());
    }
}

/// A WordPress export of the `souq` article whose comment 57 Disqus's
/// plugin synced from Disqus post 1001 and whose comment 58, a reply to
/// it, was written in WordPress.
fn wordpress_with_synced_comment() -> String {
    let comment = |id: u32, parent: u32, meta: &str, text: &str| {
        format!(
            "<wp:comment><wp:comment_id>{id}</wp:comment_id>\
             <wp:comment_author>ليلى</wp:comment_author>\
             <wp:comment_date_gmt>2020-03-01 10:00:00</wp:comment_date_gmt>\
             <wp:comment_content><![CDATA[{text}]]></wp:comment_content>\
             <wp:comment_approved>1</wp:comment_approved>\
             <wp:comment_type>comment</wp:comment_type>\
             <wp:comment_parent>{parent}</wp:comment_parent>{meta}</wp:comment>"
        )
    };
    let synced = "<wp:commentmeta><wp:meta_key>dsq_parent_post_id</wp:meta_key>\
                  <wp:meta_value></wp:meta_value></wp:commentmeta>\
                  <wp:commentmeta><wp:meta_key>dsq_post_id</wp:meta_key>\
                  <wp:meta_value>1001</wp:meta_value></wp:commentmeta>";
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" \
         xmlns:wp=\"http://wordpress.org/export/1.2/\"><channel>\
         <link>https://news.example</link><item><title>السوق</title>\
         <link>https://news.example/2026/11/السوق/</link><wp:status>publish</wp:status>\
         <wp:postmeta><wp:meta_key>_edit_last</wp:meta_key><wp:meta_value>1</wp:meta_value></wp:postmeta>\
         {}{}</item></channel></rss>",
        comment(57, 0, synced, "<p>مقال رائع عن السوق.</p><p>شكراً للكاتب</p>"),
        comment(58, 57, "", "رد كتب في ووردبريس"),
    )
}

/// Two WordPress comments that Disqus's plugin synced from one Disqus post
/// come in once, and a dry run counts them as the import does.
#[test]
fn a_dry_run_counts_one_synced_post_twice_in_an_export_as_the_import_does() {
    let export = wordpress_with_synced_comment();
    let start = export.find("<wp:comment>").expect("a comment");
    let end = export.find("</wp:comment>").expect("its end") + "</wp:comment>".len();
    let again = export[start..end].replace(
        "<wp:comment_id>57</wp:comment_id>",
        "<wp:comment_id>59</wp:comment_id>",
    );
    let twice = export.replacen("</item>", &format!("{again}</item>"), 1);
    let f = news_site("https://news.example");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("export");
    std::fs::write(&file, &twice).expect("write");
    let mut dry = options(&["https://news.example"]);
    dry.dry_run = true;
    let counts = |s: &Summary| (s.published, s.already_there);
    let would = run_import(&f, System::Wordpress, &file, &dry);
    let did = run_import(
        &f,
        System::Wordpress,
        &file,
        &options(&["https://news.example"]),
    );
    assert_eq!(counts(&did), (2, 1), "{did}");
    assert_eq!(counts(&would), counts(&did), "{would}");
}

#[test]
fn a_comment_disqus_synced_into_wordpress_comes_in_once_from_both_exports() {
    let disqus = fixture_file("disqus.xml");
    let disqus_post = "import:disqus:1001";
    // Disqus's export first, then WordPress's: the synced one is there.
    let f = news_site("https://news.example");
    run_import(
        &f,
        System::Disqus,
        &disqus,
        &options(&["https://news.example"]),
    );
    let before = expect(&f, disqus_post);
    let summary = import_text(&f, System::Wordpress, &wordpress_with_synced_comment());
    assert_eq!(
        (summary.already_there, summary.published),
        (1, 1),
        "{summary}"
    );
    assert!(by_key(&f, "import:wordpress:news.example:57").is_none());
    let reply = expect(&f, "import:wordpress:news.example:58");
    assert_eq!(reply.comment.parent_id, Some(before.comment.id));
    // WordPress's first, then Disqus's: the same.
    let f = news_site("https://news.example");
    let summary = import_text(&f, System::Wordpress, &wordpress_with_synced_comment());
    assert_eq!(summary.published, 2, "{summary}");
    let synced = expect(&f, disqus_post);
    assert_eq!(synced.article_id, "souq");
    assert_eq!(
        expect(&f, "import:wordpress:news.example:58")
            .comment
            .parent_id,
        Some(synced.comment.id)
    );
    let summary = run_import(
        &f,
        System::Disqus,
        &disqus,
        &options(&["https://news.example"]),
    );
    assert!(summary.already_there >= 1, "{summary}");
    assert_eq!(expect(&f, disqus_post).comment.id, synced.comment.id);
    // And the WordPress export again adds nothing.
    let again = import_text(&f, System::Wordpress, &wordpress_with_synced_comment());
    assert_eq!((again.already_there, again.published), (2, 0), "{again}");
}

/// A Disqus time without an offset, as the format's documentation shows
/// it, is UTC; it was refused as unreadable.
#[test]
fn a_disqus_time_without_an_offset_is_utc() {
    let f = news_site("https://news.example");
    let summary = import_text(
        &f,
        System::Disqus,
        &disqus_thread(
            "<post dsq:id=\"81\"><thread dsq:id=\"7\"/><message>&lt;p&gt;قديم&lt;/p&gt;</message>\
             <createdAt>2012-12-12T12:12:12</createdAt><author><name>قارئ</name></author></post>",
        ),
    );
    assert_eq!(
        (summary.published, summary.errors.len()),
        (1, 0),
        "{summary}"
    );
    assert_eq!(
        expect(&f, "import:disqus:81").comment.created_at,
        "2012-12-12T12:12:12Z"
    );
}

#[test]
fn a_disqus_post_waiting_there_waits_here_however_its_file_says_so() {
    let f = news_site("https://news.example");
    let post = |id: u32, approved: &str| {
        format!(
            "<post dsq:id=\"{id}\"><thread dsq:id=\"7\"/><message>&lt;p&gt;تعليق {id}&lt;/p&gt;</message>\
             <createdAt>2026-11-12T12:12:12Z</createdAt><author><name>قارئ</name></author>\
             {approved}</post>"
        )
    };
    let posts = [
        post(91, "<isApproved>false</isApproved>"),
        post(92, "<isApproved>0</isApproved>"),
        post(93, "<isApproved>true</isApproved>"),
        post(94, "<isApproved>1</isApproved>"),
        post(95, ""),
    ];
    let summary = import_text(&f, System::Disqus, &disqus_thread(&posts.concat()));
    assert_eq!(summary.errors.len(), 0, "{summary}");
    let status = |id: u32| expect(&f, &format!("import:disqus:{id}")).status;
    assert_eq!(
        [91, 92, 93, 94, 95].map(status),
        ["pending", "pending", "published", "published", "published"]
    );
}

/// Isso, run by the test: the executable `KHABAR_TEST_ISSO` names.
mod isso {
    use super::*;
    use std::process::{Child, Stdio};

    /// A running Isso on a free loopback port over `db`.
    pub struct Isso {
        child: Child,
        pub base: String,
    }

    impl Drop for Isso {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    impl Isso {
        /// Starts Isso with moderation on or off and waits until it answers.
        pub fn start(exe: &str, dir: &Path, db: &Path, moderated: bool) -> Isso {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("free port")
                .port();
            let conf = dir.join(format!("isso-{moderated}.cfg"));
            std::fs::write(
                &conf,
                format!(
                    "[general]\ndbpath = {}\nhost = https://blog.example/\n\n\
                     [server]\nlisten = http://127.0.0.1:{port}/\n\n\
                     [moderation]\nenabled = {moderated}\n\n\
                     [guard]\nenabled = false\n",
                    db.display()
                ),
            )
            .expect("config");
            let log =
                std::fs::File::create(dir.join(format!("isso-{moderated}.log"))).expect("log");
            let child = Command::new(exe)
                .arg("-c")
                .arg(&conf)
                .arg("run")
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start isso");
            let isso = Isso {
                child,
                base: format!("http://127.0.0.1:{port}"),
            };
            let url = format!("{}/?uri=/nothing-yet", isso.base);
            let up = block_on(async {
                for _ in 0..300 {
                    if reqwest::get(&url).await.is_ok() {
                        return true;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                false
            });
            let log = std::fs::read_to_string(dir.join(format!("isso-{moderated}.log")))
                .unwrap_or_default();
            assert!(up, "isso did not answer on {}:\n{log}", isso.base);
            isso
        }

        /// Posts a comment through Isso's API; its id and the cookie that
        /// lets its author delete it.
        pub fn post(
            &self,
            path: &str,
            author: &str,
            text: &str,
            parent: Option<i64>,
        ) -> (i64, String) {
            let url = format!(
                "{}/new?uri={}",
                self.base,
                form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>()
            );
            block_on(async {
                let res = reqwest::Client::new()
                    .post(&url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(
                        json!({
                            "text": text,
                            "author": author,
                            "email": format!("{}@example.test", author.len()),
                            "parent": parent,
                            "title": "عنوان الصفحة",
                        })
                        .to_string(),
                    )
                    .send()
                    .await
                    .expect("post to isso");
                let status = res.status();
                let cookie = res
                    .headers()
                    .get_all(reqwest::header::SET_COOKIE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .find(|v| v.starts_with(|c: char| c.is_ascii_digit()))
                    .and_then(|v| v.split(';').next())
                    .unwrap_or_default()
                    .to_owned();
                let text = res.text().await.expect("isso answers");
                let body: serde_json::Value =
                    serde_json::from_str(&text).unwrap_or_else(|_| json!({ "raw": text }));
                assert!(status.is_success(), "{status} {body}");
                (body["id"].as_i64().expect("an id"), cookie)
            })
        }

        /// Deletes a comment as its author, with its cookie.
        pub fn delete(&self, id: i64, cookie: &str) {
            block_on(async {
                let res = reqwest::Client::new()
                    .delete(format!("{}/id/{id}", self.base))
                    .header(reqwest::header::COOKIE, cookie)
                    .send()
                    .await
                    .expect("delete in isso");
                assert!(res.status().is_success(), "{}", res.status());
            });
        }
    }
}

#[test]
fn a_database_written_by_isso_itself_is_imported() {
    let Some(exe) = std::env::var("KHABAR_TEST_ISSO")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        eprintln!(
            "skipped: KHABAR_TEST_ISSO is unset (cargo xtask test sets it to an Isso 0.14 it installs)"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("comments.db");
    let souq = "/2026/11/السوق/";
    let (c1, c2, c3, c5, c6, c8);
    {
        let isso = isso::Isso::start(&exe, dir.path(), &db, false);
        c1 = isso
            .post(
                souq,
                "فاطمة",
                "تعليق **أول** على السوق <https://news.example/a> إذا x<y و y>z",
                None,
            )
            .0;
        c2 = isso
            .post(
                souq,
                "Yusuf & Sons",
                "A reply <script>alert(1)</script>with *markdown*",
                Some(c1),
            )
            .0;
        c3 = isso
            .post(souq, "Hana <Desk>", "A reply to the reply", Some(c2))
            .0;
        // Deleted without replies: Isso removes the row.
        let (c4, cookie4) = isso.post(souq, "Gone", "Soon deleted", None);
        isso.delete(c4, &cookie4);
        // Deleted with a reply: Isso keeps it as mode 4 for the reply.
        let (id5, cookie5) = isso.post(souq, "Regret", "I will delete this", None);
        c5 = id5;
        c6 = isso
            .post(souq, "Zaid", "Answering what is deleted", Some(c5))
            .0;
        isso.delete(c5, &cookie5);
        c8 = isso
            .post("/only-site/page/", "Laila", "صفحة لا يعرفها الخادم", None)
            .0;
    }
    let c7 = {
        let isso = isso::Isso::start(&exe, dir.path(), &db, true);
        isso.post(souq, "Waiting", "Held for moderation", None).0
    };

    let f = news_site("https://blog.example");
    let opts = options(&["https://blog.example"]);
    let summary = run_import(&f, System::Isso, &db, &opts);
    assert_eq!(
        (
            summary.published,
            summary.pending,
            summary.deleted,
            summary.new_threads,
            summary.unknown,
            summary.errors.len()
        ),
        (5, 1, 1, 1, 0, 0),
        "{summary}"
    );
    // Isso does not name its site: the keys carry the first --site.
    let key = |id: i64| format!("import:isso:blog.example:{id}");
    let first = expect(&f, &key(c1));
    assert_eq!(
        (
            first.article_id.as_str(),
            first.status.as_str(),
            first.comment.author.as_str()
        ),
        ("souq", "published", "فاطمة")
    );
    assert_eq!(first.email.as_deref(), Some("10@example.test"));
    // As typed: Isso keeps the Markdown source, autolinks and `<` included.
    assert_eq!(
        first.comment.body,
        "تعليق **أول** على السوق <https://news.example/a> إذا x<y و y>z"
    );
    let reply = expect(&f, &key(c2));
    // Isso stored the name escaped; Khabar keeps the name.
    assert_eq!(reply.comment.author, "Yusuf & Sons");
    // HTML typed into it is text too (Isso escaped what it did not allow).
    assert_eq!(
        reply.comment.body,
        "A reply <script>alert(1)</script>with *markdown*"
    );
    assert_eq!(reply.comment.parent_id, Some(first.comment.id));
    // Decoded once: the name's own `<…>` is a word, not a tag.
    assert_eq!(expect(&f, &key(c3)).comment.author, "Hana <Desk>");
    assert_eq!(
        expect(&f, &key(c3)).comment.parent_id,
        Some(first.comment.id)
    );
    assert!(by_key(&f, &key(c5)).is_none());
    // Its parent was deleted: the answer stands on its own.
    assert_eq!(expect(&f, &key(c6)).comment.parent_id, None);
    assert_eq!(expect(&f, &key(c7)).status, "pending");
    assert_eq!(
        expect(&f, &key(c8)).article_id,
        thread_id("https://blog.example/only-site/page")
    );
    // Times are Isso's, to the second.
    let created: f64 = rusqlite::Connection::open(&db)
        .and_then(|c| {
            c.query_row("SELECT created FROM comments WHERE id = ?1", [c1], |r| {
                r.get(0)
            })
        })
        .expect("isso's time");
    let isso_time = time::OffsetDateTime::from_unix_timestamp(created.floor() as i64)
        .expect("time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    assert_eq!(first.comment.created_at, isso_time);

    let again = run_import(&f, System::Isso, &db, &opts);
    assert_eq!(
        (again.published, again.pending, again.already_there),
        (0, 0, 6)
    );
}

/// A private, draft or password-protected post's comments get no public
/// thread; a published post's do, and an article here takes a private
/// post's comments as its own (it decides who reads them).
#[test]
fn comments_of_posts_nobody_could_read_get_no_public_thread() {
    let f = news_site("https://news.example");
    let item = |title: &str, link: &str, status: &str, password: &str, id: u32| {
        format!(
            "<item><title>{title}</title><link>{link}</link>
             <wp:status><![CDATA[{status}]]></wp:status>
             <wp:post_password><![CDATA[{password}]]></wp:post_password>
             <wp:comment><wp:comment_id>{id}</wp:comment_id>
               <wp:comment_author>Salma</wp:comment_author>
               <wp:comment_date_gmt>2026-11-01 10:00:00</wp:comment_date_gmt>
               <wp:comment_content>comment {id}</wp:comment_content>
               <wp:comment_approved>1</wp:comment_approved>
               <wp:comment_parent>0</wp:comment_parent></wp:comment></item>"
        )
    };
    let export = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel>
<link>https://news.example</link>
{}{}{}{}{}</channel></rss>"#,
        item(
            "Private",
            "https://news.example/2026/11/private/",
            "private",
            "",
            501
        ),
        item(
            "Draft",
            "https://news.example/2026/11/draft/",
            "draft",
            "",
            502
        ),
        item(
            "Locked",
            "https://news.example/2026/11/locked/",
            "publish",
            "s3cret",
            503
        ),
        item(
            "Open",
            "https://news.example/2026/11/open/",
            "publish",
            "",
            504
        ),
        item(
            "Held here",
            "https://news.example/2026/11/السوق",
            "private",
            "",
            505
        ),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("private.xml");
    std::fs::write(&file, export).expect("write");
    let summary = run_import(
        &f,
        System::Wordpress,
        &file,
        &options(&["https://news.example"]),
    );
    assert_eq!(
        (summary.published, summary.not_public, summary.new_threads),
        (2, 3, 1),
        "{summary}"
    );
    assert!(summary
        .to_string()
        .contains("skipped: 3 on private, draft or password-protected posts"));
    for id in [501, 502, 503] {
        assert!(by_key(&f, &format!("import:wordpress:news.example:{id}")).is_none());
    }
    assert!(expect(&f, "import:wordpress:news.example:504")
        .article_id
        .starts_with("t-"));
    assert_eq!(
        expect(&f, "import:wordpress:news.example:505").article_id,
        "souq"
    );
    let urls = block_on(f.store.article_urls()).expect("urls");
    assert!(
        !urls
            .iter()
            .any(|(_, u, _)| u.contains("private") || u.contains("draft") || u.contains("locked")),
        "{urls:?}"
    );
}

/// A comment without a GMT time (WordPress before 2.x) on a post whose
/// other comments all lack one too: the post's own publication times give
/// the blog's offset from UTC, and a post that shows neither takes the one
/// the post before it showed (its local time was read as UTC).
#[test]
fn comments_without_gmt_take_the_offset_their_post_shows() {
    let f = news_site("https://news.example");
    let item = |link: &str, dates: &str, id: u32, local: &str| {
        format!(
            "<item><title>t</title><link>{link}</link>{dates}
             <wp:comment><wp:comment_id>{id}</wp:comment_id>
               <wp:comment_author>Salma</wp:comment_author>
               <wp:comment_date>{local}</wp:comment_date>
               <wp:comment_content>comment {id}</wp:comment_content>
               <wp:comment_approved>1</wp:comment_approved>
               <wp:comment_parent>0</wp:comment_parent></wp:comment></item>"
        )
    };
    // Riyadh, three hours ahead of UTC; then a post without dates.
    let export = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel>
<link>https://news.example</link>
{}{}</channel></rss>"#,
        item(
            "https://news.example/2026/11/first/",
            "<wp:post_date>2005-03-01 12:00:00</wp:post_date>
             <wp:post_date_gmt>2005-03-01 09:00:00</wp:post_date_gmt>",
            601,
            "2005-03-01 13:30:00"
        ),
        item(
            "https://news.example/2026/11/second/",
            "",
            602,
            "2005-03-02 15:00:00"
        ),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("old.xml");
    std::fs::write(&file, export).expect("write");
    let summary = run_import(
        &f,
        System::Wordpress,
        &file,
        &options(&["https://news.example"]),
    );
    assert_eq!(summary.published, 2, "{summary}");
    for (id, utc) in [(601, "2005-03-01T10:30:00Z"), (602, "2005-03-02T12:00:00Z")] {
        assert_eq!(
            expect(&f, &format!("import:wordpress:news.example:{id}"))
                .comment
                .created_at,
            utc
        );
    }
}

/// Disqus keeps one page under two identifiers now and then: two threads
/// with the same link. Their comments are stored together, oldest first,
/// not one thread after the other.
#[test]
fn two_disqus_threads_of_one_page_are_stored_in_time_order() {
    let f = news_site("https://news.example");
    let thread = |id: u32| {
        format!(
            r#"<thread dsq:id="{id}"><link>https://news.example/2026/11/%d8%a7%d9%84%d8%b3%d9%88%d9%82</link>
               <title>السوق</title></thread>"#
        )
    };
    let post = |id: u32, thread: u32, at: &str| {
        format!(
            r#"<post dsq:id="{id}"><message><![CDATA[<p>comment {id}</p>]]></message>
               <createdAt>{at}</createdAt><isDeleted>false</isDeleted><isSpam>false</isSpam>
               <author><name>Reader {id}</name></author><thread dsq:id="{thread}"/></post>"#
        )
    };
    let export = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
{}{}{}{}{}{}</disqus>"#,
        thread(1),
        thread(2),
        post(11, 1, "2026-11-01T10:00:00Z"),
        post(13, 1, "2026-11-01T12:00:00Z"),
        post(21, 2, "2026-11-01T11:00:00Z"),
        post(22, 2, "2026-11-01T13:00:00Z"),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("twice.xml");
    std::fs::write(&file, export).expect("write");
    let summary = run_import(
        &f,
        System::Disqus,
        &file,
        &options(&["https://news.example"]),
    );
    assert_eq!(summary.published, 4, "{summary}");
    let ids: Vec<i64> = [11, 21, 13, 22]
        .iter()
        .map(|id| expect(&f, &format!("import:disqus:{id}")).comment.id)
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "stored in the order they were written");
    assert!(ids.iter().all(|&id| block_on(f.store.comment(id))
        .expect("read")
        .is_some_and(|c| c.article_id == "souq")));
}

/// A story unpublished and published again under a new id keeps its
/// address: an import of that address's comments goes to the article the
/// page shows, as the live site resolves it, not the hidden one.
#[test]
fn comments_of_a_page_go_to_the_article_it_shows_not_a_hidden_one() {
    let f = news_site("https://news.example");
    let articles = json!([
        { "id": "a-withdrawn", "url": "https://news.example/2026/11/reissued",
          "title": "Withdrawn", "published_at": "2026-11-02T08:00:00Z", "body": [] },
        { "id": "b-reissued", "url": "https://news.example/2026/11/reissued",
          "title": "Reissued", "published_at": "2026-11-03T08:00:00Z", "body": [] },
    ]);
    block_on(async {
        import_json(f.store.as_ref(), &articles.to_string())
            .await
            .expect("articles");
        assert!(f
            .store
            .set_article_hidden("a-withdrawn", true)
            .await
            .expect("hide"));
    });
    let export = "<?xml version=\"1.0\"?><disqus xmlns=\"http://disqus.com\" \
         xmlns:dsq=\"http://disqus.com/disqus-internals\">\
         <thread dsq:id=\"9\"><link>https://news.example/2026/11/reissued</link>\
         <title>t</title></thread>\
         <post dsq:id=\"91\"><thread dsq:id=\"9\"/><message>&lt;p&gt;عاد الخبر&lt;/p&gt;</message>\
         <createdAt>2026-11-03T09:00:00Z</createdAt><author><name>قارئ</name></author></post>\
         </disqus>";
    let summary = import_text(&f, System::Disqus, export);
    assert_eq!(summary.published, 1, "{summary}");
    assert_eq!(expect(&f, "import:disqus:91").article_id, "b-reissued");
}

/// Times no stored date can say (a year past 9999 once in UTC, one before
/// year 0, a WordPress offset of ten thousand years) are named among the
/// errors; the file's other comments come in, and nothing panics.
#[test]
fn times_beyond_what_a_date_can_say_are_named_not_a_crash() {
    let f = news_site("https://news.example");
    let summary = import_text(
        &f,
        System::Disqus,
        &disqus_thread(
            "<post dsq:id=\"82\"><thread dsq:id=\"7\"/><message>late</message>\
             <createdAt>9999-12-31T23:30:00-05:00</createdAt><author><name>a</name></author></post>\
             <post dsq:id=\"83\"><thread dsq:id=\"7\"/><message>early</message>\
             <createdAt>0000-01-01T00:00:00+01:00</createdAt><author><name>b</name></author></post>\
             <post dsq:id=\"84\"><thread dsq:id=\"7\"/><message>fine</message>\
             <createdAt>2026-11-03T09:00:00Z</createdAt><author><name>c</name></author></post>",
        ),
    );
    assert_eq!(summary.published, 1, "{summary}");
    assert_eq!(summary.errors.len(), 2, "{summary}");
    assert!(
        summary.errors.iter().all(|e| e.contains("0000 to 9999")),
        "{summary}"
    );
    assert!(by_key(&f, "import:disqus:82").is_none());
    expect(&f, "import:disqus:84");

    let comment = |id: u32, dates: &str| {
        format!(
            "<wp:comment><wp:comment_id>{id}</wp:comment_id>
               <wp:comment_author>Salma</wp:comment_author>{dates}
               <wp:comment_content>comment {id}</wp:comment_content>
               <wp:comment_approved>1</wp:comment_approved>
               <wp:comment_parent>0</wp:comment_parent></wp:comment>"
        )
    };
    let export = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel>
<link>https://news.example</link>
<item><title>t</title><link>https://news.example/2026/11/closed/</link>{}{}</item></channel></rss>"#,
        comment(
            701,
            "<wp:comment_date>0000-01-01 00:00:00</wp:comment_date>
             <wp:comment_date_gmt>9999-12-31 23:59:59</wp:comment_date_gmt>"
        ),
        comment(
            702,
            "<wp:comment_date>2005-03-02 15:00:00</wp:comment_date>"
        ),
    );
    let summary = import_text(&f, System::Wordpress, &export);
    // The first keeps its own UTC time; the second, without one, is not
    // moved by ten thousand years.
    assert_eq!(
        (summary.published, summary.errors.len()),
        (2, 0),
        "{summary}"
    );
    assert_eq!(
        expect(&f, "import:wordpress:news.example:702")
            .comment
            .created_at,
        "2005-03-02T15:00:00Z"
    );
}

/// A site already taking comments imports its Disqus history: readers see
/// every comment in the order it was written, paging by cursor either way,
/// though the imported ones were stored (and numbered) after. A reply
/// Disqus had before a reader's reply here comes before it too.
#[test]
fn imported_history_reads_before_the_comments_written_here() {
    let f = news_site("https://news.example");
    let disqus = |posts: &[(u32, &str, Option<u32>)]| {
        let posts: String = posts
            .iter()
            .map(|(id, at, parent)| {
                let parent = parent.map_or(String::new(), |p| format!(r#"<parent dsq:id="{p}"/>"#));
                format!(
                    r#"<post dsq:id="{id}"><message><![CDATA[<p>old {id}</p>]]></message>
                       <createdAt>{at}</createdAt><isDeleted>false</isDeleted><isSpam>false</isSpam>
                       <author><name>Reader {id}</name></author><thread dsq:id="7"/>{parent}</post>"#
                )
            })
            .collect();
        import_text(&f, System::Disqus, &disqus_thread(&posts));
    };
    disqus(&[(1, "2026-11-02T08:00:00Z", None)]);
    let first = expect(&f, "import:disqus:1");
    let (article, first) = (first.article_id, first.comment.id);
    let here = |key: &str, at: &str, parent: Option<i64>| {
        let c = CleanComment {
            author: format!("Reader {key}"),
            email: None,
            body: format!("comment {key}"),
            parent_id: parent,
            is_spam: false,
            key: key.into(),
        };
        block_on(
            f.store
                .create_comment(&article, c, Moderation::Post, at.into(), None),
        )
        .expect("stored")
        .0
        .comment
        .id
    };
    let new_a = here("key-here-a", "2026-12-01T09:00:00Z", None);
    let new_b = here("key-here-b", "2026-12-01T10:00:00Z", None);
    let reply_here = here("key-here-r", "2026-12-01T11:00:00Z", Some(first));
    // The whole history, a later export: older comments and an older reply.
    disqus(&[
        (1, "2026-11-02T08:00:00Z", None),
        (2, "2026-11-03T08:00:00Z", None),
        (3, "2026-11-04T08:00:00Z", None),
        (4, "2026-11-05T08:00:00Z", Some(1)),
    ]);
    let [old2, old3, old_reply] =
        [2, 3, 4].map(|id| expect(&f, &format!("import:disqus:{id}")).comment.id);
    assert!(
        old2 > reply_here,
        "imported after the comments written here"
    );

    let read = |query: &str| -> Value {
        let (status, _, body) = block_on(common::get(
            &f.router,
            &format!("/api/v1/articles/{article}/comments?{query}"),
        ));
        assert_eq!(status, 200, "{query}");
        serde_json::from_slice(&body).expect("json")
    };
    let ids = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|c| c["id"].as_i64())
            .collect()
    };
    let walk = |sort: &str| -> Vec<i64> {
        let mut seen = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = read(&format!("limit=2&sort={sort}&cursor={cursor}"));
            seen.extend(ids(&page));
            match page["next"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => return seen,
            }
        }
    };
    let written = vec![first, old2, old3, new_a, new_b];
    assert_eq!(walk("oldest"), written, "in the order they were written");
    let mut newest = written.clone();
    newest.reverse();
    assert_eq!(walk("newest"), newest);

    let page = read("limit=5&replies=1");
    let replies: Vec<i64> = page["items"][0]["replies"]
        .as_array()
        .expect("replies")
        .iter()
        .filter_map(|r| r["id"].as_i64())
        .collect();
    assert_eq!(replies, [old_reply], "Disqus's reply came first");
    let next = page["items"][0]["replies_next"].as_str().expect("one more");
    let (_, _, body) = block_on(common::get(
        &f.router,
        &format!("/api/v1/comments/{first}/replies?cursor={next}"),
    ));
    let rest: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(rest["items"][0]["id"], reply_here, "{rest}");

    // The widget asks for the replies after its reader's own by that id
    // less one (an id of no reply here): it is among them.
    let (_, _, body) = block_on(common::get(
        &f.router,
        &format!("/api/v1/comments/{first}/replies?cursor={}", reply_here - 1),
    ));
    let after: Value = serde_json::from_slice(&body).expect("json");
    assert!(
        after["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|r| r["id"] == reply_here)),
        "{after}"
    );

    // A cursor given before cursors carried the time (a plain id) goes on
    // from that comment's place; once it was deleted, from the first.
    assert_eq!(ids(&read(&format!("limit=2&cursor={old2}"))), [old3, new_a]);
    assert!(block_on(f.store.delete_comment(old3, None))
        .expect("delete")
        .is_some());
    assert_eq!(ids(&read(&format!("limit=2&cursor={old3}"))), [first, old2]);
}
