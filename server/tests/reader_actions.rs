//! Feeds and "send to a friend" against a real temporary database and a
//! real SMTP conversation with a sink started by the test.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::{decoded_text, fixture, fixture_with, get, get_json, post_json, smtp_sink};
use khabar_server::mailer::Mailer;
use serde_json::json;

const SEND: &str = "/api/v1/articles/2026-11-28-transit-plan/send";

#[tokio::test]
async fn the_email_reaches_the_smtp_server_with_the_expected_headers_and_body() {
    let (url, inbox) = smtp_sink().await;
    let f = fixture_with(true, |mut s| {
        s.mailer = Some(Arc::new(
            Mailer::new(&url, "Khabar Desk <desk@news.test>").expect("mailer"),
        ));
        s.site_name = "خبر اليوم".into();
        // What `serve` sets once bound, without --public-url.
        s.mail_url = Some("http://127.0.0.1:8099".into());
        s
    });
    let (_, config) = get_json(&f.router, "/api/v1/config").await;
    assert_eq!(config["capabilities"]["send_to_friend"], true);

    let request = json!({
        "from_name": "سارة",
        "from_email": "sara@example.org",
        "to_email": "friend@example.net",
        "message": "اقرأ هذا\nمهم"
    });
    // A Host of the sender's choosing changes nothing in the mail.
    let (status, _, body) = post_json(&f.router, SEND, &request, &[("host", "evil.example")]).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let mails = inbox.lock().expect("inbox").clone();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.contains("To: friend@example.net"), "{mail}");
    assert!(
        mail.contains("Reply-To: ") && mail.contains("sara@example.org"),
        "{mail}"
    );
    assert!(mail.contains("desk@news.test"));
    assert!(mail.contains("Subject: "));
    assert!(mail.contains("multipart/alternative"));
    assert!(mail.contains("text/plain") && mail.contains("text/html"));
    // The HTML part carries the direction; the link is absolute.
    let decoded = decoded_text(mail);
    let parsed = mailparse::parse_mail(mail.as_bytes()).expect("MIME");
    use mailparse::MailHeaderMap;
    let subject = parsed.headers.get_first_value("Subject").expect("subject");
    let from = parsed.headers.get_first_value("From").expect("from");
    assert!(from.contains("سارة عبر خبر اليوم"), "{from}");
    assert!(from.ends_with("<desk@news.test>"), "{from}");
    assert_eq!(
        subject,
        "مجلس البلدية يقرّ خطة لتوسيع شبكة الحافلات حتى الأحياء الشرقية"
    );
    assert!(decoded.contains("dir=\"rtl\""), "{decoded}");
    assert!(
        decoded.contains("http://127.0.0.1:8099/?article=2026-11-28-transit-plan"),
        "{decoded}"
    );
    assert!(!decoded.contains("evil.example"), "{decoded}");
    assert!(decoded.contains("اقرأ هذا"));
    // The sender's note is quoted in the plain part, line by line: it
    // cannot pass for the site's own lines.
    let quoted: Vec<&str> = decoded
        .lines()
        .map(str::trim_end)
        .filter(|l| l.starts_with("> "))
        .collect();
    assert_eq!(quoted, ["> اقرأ هذا", "> مهم"], "{decoded}");
}

#[tokio::test]
async fn header_injection_is_refused_and_fields_are_named() {
    let (url, inbox) = smtp_sink().await;
    let f = fixture_with(true, |mut s| {
        s.mailer = Some(Arc::new(
            Mailer::new(&url, "desk@news.test").expect("mailer"),
        ));
        s
    });
    for bad in [
        json!({ "from_name": "A", "from_email": "a@b.co\r\nBcc: victim@evil.test", "to_email": "c@d.co" }),
        json!({ "from_name": "A", "from_email": "a@b.co", "to_email": "c@d.co\nBcc: victim@evil.test" }),
        json!({ "from_name": "A", "from_email": "a@b.co", "to_email": "c@d.co, victim@evil.test" }),
    ] {
        let (status, _, body) = post_json(&f.router, SEND, &bad, &[]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(body["error"]["code"], "invalid");
    }
    // A name with CR/LF is cleaned: it never becomes a header of its own.
    let sneaky = json!({ "from_name": "Ali\r\nBcc: victim@evil.test", "from_email": "a@b.co", "to_email": "c@d.co" });
    let (status, _, _) = post_json(&f.router, SEND, &sneaky, &[]).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let mails = inbox.lock().expect("inbox").clone();
    assert_eq!(mails.len(), 1);
    assert!(
        !mails[0]
            .lines()
            .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
        "{}",
        mails[0]
    );
    // A name dressed as another's address does not pass for one.
    let dressed = json!({ "from_name": "PayPal Security ＜service＠paypal.com＞ <x@y.z>", "from_email": "a@b.co", "to_email": "e@f.co" });
    let (status, _, _) = post_json(&f.router, SEND, &dressed, &[]).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let mail = inbox
        .lock()
        .expect("inbox")
        .last()
        .cloned()
        .unwrap_or_default();
    let parsed = mailparse::parse_mail(mail.as_bytes()).expect("MIME");
    use mailparse::MailHeaderMap;
    let from = parsed.headers.get_first_value("From").expect("from");
    assert!(!from.contains("service@paypal.com"), "{from}");
    assert!(!from.contains('＠') && !from.contains("x@y.z"), "{from}");
    assert!(
        from.contains("PayPal Security servicepaypal.com xy.z "),
        "{from}"
    );
    // Nor in Reply-To, which the friend's reply shows.
    let reply_to = parsed
        .headers
        .get_first_value("Reply-To")
        .expect("reply-to");
    assert!(!reply_to.contains("service@paypal.com"), "{reply_to}");
    assert!(
        !reply_to.contains('＠') && !reply_to.contains("x@y.z"),
        "{reply_to}"
    );
    assert!(reply_to.contains("a@b.co"), "{reply_to}");

    let (status, _, body) = post_json(
        &f.router,
        SEND,
        &json!({ "from_name": "", "from_email": "x", "to_email": "", "message": "m".repeat(1001) }),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["from_name", "from_email", "to_email", "message"] {
        assert!(body["error"]["fields"].get(field).is_some(), "{field}");
    }
    let (status, _, _) = post_json(
        &f.router,
        "/api/v1/articles/nope/send",
        &json!({ "from_name": "A", "from_email": "a@b.co", "to_email": "c@d.co" }),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn without_smtp_the_capability_is_off_and_sends_get_503() {
    let f = fixture(true);
    let (_, config) = get_json(&f.router, "/api/v1/config").await;
    assert_eq!(config["capabilities"]["send_to_friend"], false);
    let (status, _, body) = post_json(
        &f.router,
        SEND,
        &json!({ "from_name": "A", "from_email": "a@b.co", "to_email": "c@d.co" }),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "send_disabled");
}

#[tokio::test]
async fn sends_are_rate_limited_per_client() {
    let (url, _inbox) = smtp_sink().await;
    let f = fixture_with(true, |mut s| {
        s.mailer = Some(Arc::new(
            Mailer::new(&url, "desk@news.test").expect("mailer"),
        ));
        s
    });
    let ok = json!({ "from_name": "A", "from_email": "a@b.co", "to_email": "c@d.co" });
    for _ in 0..5 {
        let (status, _, _) = post_json(&f.router, SEND, &ok, &[]).await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let (status, headers, _) = post_json(&f.router, SEND, &ok, &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(headers.contains_key("retry-after"));
}

/// A request sent again with its idempotency key (the widget's, after a
/// network error that may have come once the mail left) sends no second
/// mail and spends no allowance; the same key asking for another friend
/// sends that mail, and a mail that did not leave may be sent again.
#[tokio::test]
async fn a_send_repeated_with_its_key_sends_one_mail() {
    let sink = common::mail_sink().await;
    sink.codes
        .lock()
        .expect("codes")
        .insert("gone@d.co".into(), 550);
    let f = fixture_with(true, |mut s| {
        s.mailer = Some(Arc::new(
            Mailer::new(&sink.url, "desk@news.test").expect("mailer"),
        ));
        s
    });
    let mails = || sink.inbox.lock().expect("inbox").len();
    let send = |to: &str, key: &str| json!({ "from_name": "A", "from_email": "a@b.co", "to_email": to, "message": "x", "idempotency_key": key });
    let first = send("c@d.co", "key-00000001");
    for _ in 0..3 {
        let (status, _, body) = post_json(&f.router, SEND, &first, &[]).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body["status"], "sent");
    }
    assert_eq!(mails(), 1, "one mail for one request sent three times");
    // The same key for another friend, or another note, is another mail;
    // so is an address the reader corrected to another of the same inbox.
    for to in ["e@d.co", "c+work@d.co"] {
        let (status, _, _) = post_json(&f.router, SEND, &send(to, "key-00000001"), &[]).await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    assert_eq!(mails(), 3);
    // Refused by the mail server: nothing left, so the repeat sends.
    let gone = send("gone@d.co", "key-00000002");
    let (status, _, _) = post_json(&f.router, SEND, &gone, &[]).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    sink.codes.lock().expect("codes").clear();
    let (status, _, _) = post_json(&f.router, SEND, &gone, &[]).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(mails(), 4);
    // Five counted (the refused one too); repeats count nothing.
    for _ in 0..4 {
        let (status, _, _) = post_json(&f.router, SEND, &first, &[]).await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    assert_eq!(mails(), 4);
    let (status, _, _) = post_json(&f.router, SEND, &send("h@d.co", "key-00000004"), &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // A key of the wrong shape is named, as a field.
    let (status, _, body) = post_json(&f.router, SEND, &send("i@d.co", "bad key"), &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["fields"]["idempotency_key"].is_object(),
        "{body}"
    );
}

/// The RSS feed of a server holding `articles`: as sent, and as read.
async fn rss_of(articles: &serde_json::Value) -> (Vec<u8>, rss::Channel) {
    let f = fixture(false);
    khabar_server::import::import_json(f.store.as_ref(), &articles.to_string())
        .await
        .expect("articles");
    let (status, _, body) = get(&f.router, "/feed.xml").await;
    assert_eq!(status, StatusCode::OK);
    let channel = rss::Channel::read_from(&body[..]).expect("RSS reads");
    (body, channel)
}

/// The item of `channel` titled `title`.
fn item<'a>(channel: &'a rss::Channel, title: &str) -> &'a rss::Item {
    channel
        .items()
        .iter()
        .find(|i| i.title() == Some(title))
        .unwrap_or_else(|| panic!("{title} in the feed"))
}

#[tokio::test]
async fn an_rss_item_names_its_language_and_its_summary_is_text() {
    let articles = json!([
        { "id": "ar-1", "url": "https://news.example/ar-1", "title": "خبر",
          "summary": "ملخص", "lang": "ar",
          "published_at": "2026-11-01T08:00:00Z", "body_html": "<p>نص</p>" },
        { "id": "en-1", "url": "https://news.example/en-1", "title": "Story",
          "summary": "a <b>c</b> & x<y", "lang": "en",
          "published_at": "2026-11-02T08:00:00Z", "body_html": "<p>Text</p>" },
    ]);
    let (_, channel) = rss_of(&articles).await;
    // Two languages: the channel names none, each item its own.
    assert_eq!(channel.language(), None);
    let lang = |title: &str| {
        item(&channel, title)
            .dublin_core_ext()
            .map(|dc| dc.languages().to_vec())
            .unwrap_or_default()
    };
    assert_eq!(lang("خبر"), ["ar"]);
    assert_eq!(lang("Story"), ["en"]);
    // A reader takes the description as HTML: the summary's text, escaped.
    assert_eq!(
        item(&channel, "Story").description(),
        Some("a &lt;b&gt;c&lt;/b&gt; &amp; x&lt;y")
    );
    // One language: the channel names it.
    let (_, channel) = rss_of(&json!([articles[0]])).await;
    assert_eq!(channel.language(), Some("ar"));
}

#[tokio::test]
async fn an_rss_item_carries_its_image_as_media_rss() {
    let alt = "ميناء \"الشرق\" & <ليلاً>";
    let articles = json!([
        { "id": "img-1", "url": "https://news.example/img-1", "title": "بصورة",
          "published_at": "2026-11-01T08:00:00Z", "body_html": "<p>نص</p>",
          "image": { "url": "https://news.example/img/port.JPG?w=800&h=450", "alt": alt } },
        { "id": "img-2", "url": "https://news.example/img-2", "title": "بصورة من شبكة التوزيع",
          "published_at": "2026-11-02T08:00:00Z", "body_html": "<p>نص</p>",
          "image": { "url": "https://cdn.news.example/i/9f2c41" } },
        { "id": "img-3", "url": "https://news.example/img-3", "title": "بلا صورة",
          "published_at": "2026-11-03T08:00:00Z", "body_html": "<p>نص</p>" },
    ]);
    let (body, channel) = rss_of(&articles).await;
    assert_eq!(
        channel.namespaces().get("media").map(String::as_str),
        Some("http://search.yahoo.com/mrss/")
    );
    let media = |title: &str| {
        item(&channel, title)
            .extensions()
            .get("media")
            .and_then(|m| m.get("content"))
            .cloned()
            .unwrap_or_default()
    };
    let first = media("بصورة");
    assert_eq!(first.len(), 1);
    let attrs = first[0].attrs();
    assert_eq!(
        attrs["url"],
        "https://news.example/img/port.JPG?w=800&h=450"
    );
    assert_eq!(attrs["medium"], "image");
    assert_eq!(attrs["type"], "image/jpeg");
    let description = &first[0].children()["description"][0];
    assert_eq!(description.value(), Some(alt));
    // An address that names no type: the medium says it is an image.
    let second = media("بصورة من شبكة التوزيع");
    assert_eq!(
        second[0].attrs()["url"],
        "https://cdn.news.example/i/9f2c41"
    );
    assert_eq!(second[0].attrs()["medium"], "image");
    assert!(!second[0].attrs().contains_key("type"));
    assert!(
        second[0].children().is_empty(),
        "no alt text, no description"
    );
    assert!(media("بلا صورة").is_empty());

    // A feed reader's parser finds the image and its alt text.
    let parsed = feed_rs::parser::parse(&body[..]).expect("RSS parses");
    let entry = parsed
        .entries
        .iter()
        .find(|e| e.title.as_ref().is_some_and(|t| t.content == "بصورة"))
        .expect("entry");
    let object = entry.media.first().expect("media");
    let content = object.content.first().expect("content");
    assert_eq!(
        content.url.as_ref().map(|u| u.as_str()),
        Some("https://news.example/img/port.JPG?w=800&h=450")
    );
    assert_eq!(
        content.content_type.as_ref().map(|t| t.to_string()),
        Some("image/jpeg".to_owned())
    );
    assert_eq!(
        object.description.as_ref().map(|d| d.content.as_str()),
        Some(alt)
    );
}

#[tokio::test]
async fn feeds_parse_with_a_real_parser_and_carry_every_article() {
    let f = fixture(true);
    let (_, list) = get_json(&f.router, "/api/v1/articles?limit=50").await;
    let ids: Vec<String> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["title"].as_str().expect("t").to_owned())
        .collect();

    let (status, headers, body) = get(&f.router, "/feed.xml").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-type"],
        "application/rss+xml; charset=utf-8"
    );
    let xml = String::from_utf8(body.clone()).expect("utf8");
    assert!(xml.contains("rel=\"self\""), "atom:link self");
    assert!(xml.contains("<dc:creator>"), "dc:creator");
    assert!(xml.contains("<content:encoded>"), "content:encoded");
    let rss = feed_rs::parser::parse(&body[..]).expect("RSS parses");
    let titles: Vec<String> = rss
        .entries
        .iter()
        .filter_map(|e| e.title.as_ref().map(|t| t.content.clone()))
        .collect();
    for t in &ids {
        assert!(titles.contains(t), "{t} missing from RSS");
    }
    assert!(rss.entries.iter().all(|e| e.published.is_some()));
    // The site's own feed is described by its name, once.
    let channel = rss::Channel::read_from(&body[..]).expect("RSS reads");
    assert_eq!(channel.description(), channel.title());

    let (status, headers, body) = get(&f.router, "/feed.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-type"],
        "application/feed+json; charset=utf-8"
    );
    let json_feed = feed_rs::parser::parse(&body[..]).expect("JSON Feed parses");
    assert_eq!(json_feed.entries.len(), ids.len());
    let etag = headers["etag"].to_str().expect("etag").to_owned();
    let res = tower::ServiceExt::oneshot(
        f.router.clone(),
        axum::http::Request::get("/feed.json")
            .header("if-none-match", &etag)
            .body(axum::body::Body::empty())
            .expect("request"),
    )
    .await
    .expect("response");
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);

    let (status, _, body) = get(&f.router, "/sections/economy/feed.xml").await;
    assert_eq!(status, StatusCode::OK);
    let section = feed_rs::parser::parse(&body[..]).expect("section feed parses");
    assert_eq!(section.entries.len(), 2);
    let channel = rss::Channel::read_from(&body[..]).expect("RSS reads");
    assert_eq!(channel.description(), "Khabar — economy");
    let (status, _, _) = get(&f.router, "/sections/nope/feed.xml").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The HTML body of the book-fair article arrives sanitized.
    assert!(!xml.contains("<script"));
    let _ = &f.dir;

    // The feeds' home page is the site readers read the articles on (the
    // first --site), not this server's own address.
    let sited = fixture_with(true, |mut s| {
        s.sites = khabar_server::threads::Sites::parse(&["https://news.example"]).expect("sites");
        s
    });
    let (_, _, body) = get(&sited.router, "/feed.json").await;
    let json: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(json["home_page_url"], "https://news.example/");
    let (_, _, body) = get(&sited.router, "/feed.xml").await;
    let channel = rss::Channel::read_from(&body[..]).expect("RSS reads");
    assert_eq!(channel.link(), "https://news.example/");
}

/// A control character in a body (a vertical tab pasted from a word
/// processor) does not make the RSS feed invalid XML.
#[tokio::test]
async fn the_rss_feed_stays_valid_xml_whatever_a_body_holds() {
    let f = fixture(true);
    let articles = json!([
        { "id": "tab-1", "url": "https://n.test/tab", "title": "عاجل",
          "published_at": "2026-12-04T10:00:00Z", "section": "live",
          "body_html": "<p>سطر\u{b}ثانٍ\u{1}</p>" },
    ]);
    khabar_server::import::import_json(f.store.as_ref(), &articles.to_string())
        .await
        .expect("imported");
    let (status, _, body) = get(&f.router, "/sections/live/feed.xml").await;
    assert_eq!(status, StatusCode::OK);
    let bad: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| *b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
        .collect();
    assert_eq!(bad, Vec::<u8>::new(), "characters XML 1.0 forbids");
    feed_rs::parser::parse(&body[..]).expect("RSS parses");
    let xml = String::from_utf8(body).expect("utf8");
    assert!(xml.contains("سطرثانٍ"), "{xml}");
    let _ = &f.dir;
}

/// Headlines that share a page (a ticker) are distinct items in the
/// published feeds, and no item's id ever changes: the story published
/// first under the URL keeps it as its `guid`, the others add `#` and their
/// id. A later headline with a smaller id does not take the URL, nor does
/// hiding the first story hand it on.
#[tokio::test]
async fn stories_sharing_a_page_have_their_own_lasting_feed_ids() {
    let f = fixture(false);
    let story = |id: &str, url: &str, hour: u32| {
        json!({ "id": id, "url": url, "title": format!("خبر {id}"),
                "published_at": format!("2026-12-04T{hour:02}:00:00Z"),
                "section": "live", "body": [] })
    };
    let import = |articles: serde_json::Value| {
        let store = f.store.clone();
        async move {
            khabar_server::import::import_json(store.as_ref(), &articles.to_string())
                .await
                .expect("imported");
        }
    };
    // Item ids of the section's RSS and JSON feeds (the same in both),
    // sorted.
    let ids = || async {
        let mut all = Vec::new();
        for path in ["/sections/live/feed.xml", "/sections/live/feed.json"] {
            let (status, _, body) = get(&f.router, path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            let feed = feed_rs::parser::parse(&body[..]).expect("feed parses");
            let mut ids: Vec<String> = feed.entries.iter().map(|e| e.id.clone()).collect();
            ids.sort_unstable();
            all.push(ids);
        }
        assert_eq!(all[0], all[1], "RSS and JSON Feed agree");
        all.swap_remove(0)
    };
    import(json!([
        story("ticker-b", "https://n.test/live", 10),
        story("ticker-c", "https://n.test/live", 11),
        story("alone", "https://n.test/alone", 9),
    ]))
    .await;
    assert_eq!(
        ids().await,
        [
            "https://n.test/alone",
            "https://n.test/live",
            "https://n.test/live#ticker-c"
        ]
    );
    let (_, _, xml) = get(&f.router, "/sections/live/feed.xml").await;
    let xml = String::from_utf8(xml).expect("utf8");
    assert!(
        xml.contains(r#"<guid isPermaLink="false">https://n.test/live#ticker-c</guid>"#),
        "{xml}"
    );
    assert!(xml.contains("<guid>https://n.test/live</guid>"), "{xml}");

    // A new headline whose id sorts first, then the first story hidden.
    import(json!([story("ticker-a", "https://n.test/live", 12)])).await;
    assert!(f
        .store
        .set_article_hidden("ticker-b", true)
        .await
        .expect("hidden"));
    assert_eq!(
        ids().await,
        [
            "https://n.test/alone",
            "https://n.test/live#ticker-a",
            "https://n.test/live#ticker-c"
        ]
    );
    let _ = &f.dir;
}

/// POSTs a send over TCP as the client `forwarded` behind the trusted
/// proxy (this test); the status.
async fn send_as(addr: std::net::SocketAddr, path: &str, forwarded: &str, to: &str) -> u16 {
    let body = json!({ "from_name": "A", "from_email": "a@b.co", "to_email": to }).to_string();
    let line = format!("X-Forwarded-For: {forwarded}\r\n");
    common::post_raw(addr, path, line.as_bytes(), &body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_are_limited_per_recipient_and_never_about_a_readers_page() {
    let (url, inbox) = smtp_sink().await;
    let f = fixture_with(true, |mut s| {
        s.mailer = Some(Arc::new(
            Mailer::new(&url, "desk@news.test").expect("mailer"),
        ));
        s.trusted_proxies = "127.0.0.1".parse().expect("list");
        s
    });
    let server = common::serve_over_tcp(f.router.clone()).await;
    let addr = server.addr;
    // Six clients, one recipient's inbox, however they spell it: the
    // sixth is refused, whoever sends it.
    let mut statuses = Vec::new();
    let spellings = [
        "Victim@d.co",
        "victim+1@d.co",
        "victim+news@D.co",
        "victim@d.co",
        "victim+2@d.co",
        "victim+x@d.co",
    ];
    for (i, to) in spellings.iter().enumerate() {
        statuses.push(send_as(addr, SEND, &format!("203.0.113.{i}"), to).await);
    }
    assert_eq!(statuses, [202, 202, 202, 202, 202, 429]);
    assert_eq!(
        send_as(addr, SEND, "203.0.113.50", "someone.else@d.co").await,
        202,
        "another recipient"
    );
    // Refused for the recipient's sake, a client has sent nothing: its
    // own allowance (5) is whole for another friend.
    for _ in 0..5 {
        assert_eq!(
            send_as(addr, SEND, "203.0.113.70", "victim@d.co").await,
            429
        );
    }
    assert_eq!(
        send_as(addr, SEND, "203.0.113.70", "friend@d.co").await,
        202,
        "the refusals were given back"
    );
    // Where rate events are kept (PostgreSQL), the friend's address is not
    // there as a plain hash anyone could find by hashing addresses.
    if common::on_postgres() {
        use sha2::Digest;
        let plain: String = sha2::Sha256::digest(b"friend@d.co")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let kept: Vec<String> = common::session(&f)
            .await
            .query("SELECT client FROM rate_hits WHERE bucket = 'send-to'", &[])
            .await
            .expect("rate events")
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert!(!kept.is_empty());
        assert!(kept.iter().all(|k| !k.contains(&plain)), "{kept:?}");
    }
    // A page known only by its URL, titled by its first commenter: no mail.
    let page = "https://news.example/2026/12/03/opinion";
    let thread = khabar_server::model::Article {
        id: khabar_server::threads::thread_id(page),
        url: page.into(),
        title: "Your account is locked: call us".into(),
        summary: String::new(),
        body: None,
        body_html: None,
        published_at: "2026-12-03T08:00:00Z".into(),
        updated_at: None,
        source: None,
        section: None,
        author: None,
        image: None,
        lang: "en".into(),
        comments_open: true,
        comment_count: 0,
        source_comments_open: None,
    };
    let path = format!("/api/v1/articles/{}/send", thread.id);
    f.store
        .upsert_articles(vec![thread], Some(khabar_server::threads::THREAD_ORIGIN))
        .await
        .expect("thread");
    assert_eq!(send_as(addr, &path, "203.0.113.60", "c@d.co").await, 404);
    let sent = inbox.lock().expect("inbox").join("\n");
    assert!(!sent.contains("account is locked"), "{sent}");
    server.stop().await;
}

/// A section feed's own URL (`atom:link rel="self"`, JSON Feed's
/// `feed_url`) is the address it was asked at, escaped: an Arabic section
/// name, a space or a slash in it stays one path segment.
#[tokio::test]
async fn a_section_feed_names_its_own_url_escaped() {
    let f = fixture(false);
    let articles = json!([
        { "id": "s-1", "url": "https://n.test/s-1", "title": "هدف",
          "published_at": "2026-12-04T10:00:00Z", "section": "الرياضة/محلي ١",
          "body": [] },
    ]);
    khabar_server::import::import_json(f.store.as_ref(), &articles.to_string())
        .await
        .expect("imported");
    let path = "/sections/%D8%A7%D9%84%D8%B1%D9%8A%D8%A7%D8%B6%D8%A9%2F%D9%85%D8%AD%D9%84%D9%8A%20%D9%A1/feed";
    let (status, _, xml) = get(&f.router, &format!("{path}.xml")).await;
    assert_eq!(status, StatusCode::OK);
    let xml = String::from_utf8(xml).expect("utf8");
    let self_link = format!(r#"href="http://localhost{path}.xml""#);
    assert!(xml.contains(&self_link), "{self_link} in {xml}");
    let (status, _, body) = get(&f.router, &format!("{path}.json")).await;
    assert_eq!(status, StatusCode::OK);
    let feed: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(feed["feed_url"], format!("http://localhost{path}.json"));
    let _ = &f.dir;
}

/// A send on its way when the instance shuts down is background work that
/// the shutdown waits for: cut off, its key would answer "sent" to the
/// reader's retry on another instance for a mail that never left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_on_its_way_at_shutdown_leaves_before_the_instance_ends() {
    let sink = common::mail_sink().await;
    *sink.delay.lock().expect("delay") = std::time::Duration::from_millis(500);
    let background = Arc::new(std::sync::Mutex::new(None));
    let (keep, url) = (background.clone(), sink.url.clone());
    let f = fixture_with(true, move |mut s| {
        s.mailer = Some(Arc::new(
            Mailer::new(&url, "Khabar Desk <desk@news.test>").expect("mailer"),
        ));
        s.mail_url = Some("http://127.0.0.1:8099".into());
        *keep.lock().expect("state") = Some(s.background.clone());
        s
    });
    let router = f.router.clone();
    let request = json!({ "from_name": "سارة", "from_email": "sara@example.org",
                          "to_email": "friend@example.net", "idempotency_key": "shutdown-1" });
    let post = tokio::spawn(async move { post_json(&router, SEND, &request, &[]).await });
    for _ in 0..400 {
        if !sink.asked.lock().expect("asked").is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(
        !sink.asked.lock().expect("asked").is_empty(),
        "with the mail server"
    );
    // The reader's connection breaks, and the instance is told to stop.
    post.abort();
    let background = background.lock().expect("state").clone().expect("set");
    assert_eq!(
        background.drain(std::time::Duration::from_secs(10)).await,
        0
    );
    assert_eq!(sink.inbox.lock().expect("inbox").len(), 1, "it left first");
}
