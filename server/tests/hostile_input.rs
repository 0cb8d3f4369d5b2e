//! The XSS corpus (`tests/fixtures/xss/vectors.txt`) against everything a
//! newsroom or a reader can fill, at the server: the import and the comment
//! API refuse or neutralize each vector, so that nothing is stored that the
//! widget would need to trust, and "send to a friend" never lets one become
//! a mail header. (The browser side is `tests/e2e/xss.test.mjs`.)

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use common::{fixture_with, get_json, post_json, smtp_sink};
use khabar_server::comments::Moderation;
use khabar_server::import;
use khabar_server::mailer::Mailer;
use khabar_server::model::Article;
use khabar_server::ratelimit::RateLimit;
use serde_json::{json, Value};

/// The corpus, with its `\n`, `\t` and `\\` escapes decoded.
fn vectors() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/xss/vectors.txt"
    );
    let text = std::fs::read_to_string(path).expect("the XSS corpus");
    // Split on LF only: some vectors hold U+2028, which `lines()` keeps but
    // other splitters would not.
    text.split('\n')
        .filter(|l| !l.is_empty() && !l.starts_with("# "))
        .map(|l| {
            let mut out = String::new();
            let mut chars = l.chars();
            while let Some(c) = chars.next() {
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(other) => out.push(other),
                    None => out.push('\\'),
                }
            }
            out
        })
        .collect()
}

/// Whether `s` holds a character the server promises never to store in
/// text: controls (other than LF and tab) and bidi embeddings/overrides.
fn has_forbidden_chars(s: &str) -> bool {
    s.chars().any(|c| {
        (c.is_control() && c != '\n' && c != '\t') || khabar_server::comments::is_bidi_control(c)
    })
}

/// Checks HTML as the server's sanitizer serializes it: every tag is in the
/// widget's allowlist, attributes are only `href`/`src`/`alt`/`rel`, and
/// URLs are http(s), mailto or relative. A small tokenizer, precise for
/// html5ever's output (text escapes `<`, attribute values escape `"`).
fn inert_html_problem(html: &str) -> Option<String> {
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        if let Some(after) = rest.strip_prefix('/') {
            rest = after;
            continue;
        }
        if rest.starts_with("!--") {
            return Some("a comment survived".into());
        }
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        if !khabar_rules::ALLOWED_ELEMENTS.contains(&name.as_str()) {
            return Some(format!("element <{name}>"));
        }
        rest = &rest[name_end..];
        loop {
            rest = rest.trim_start();
            if let Some(after) = rest.strip_prefix('>') {
                rest = after;
                break;
            }
            if let Some(after) = rest.strip_prefix("/>") {
                rest = after;
                break;
            }
            let attr_end = rest.find(['=', '>', ' ']).unwrap_or(rest.len());
            let attr = rest[..attr_end].to_ascii_lowercase();
            rest = &rest[attr_end..];
            let value = match rest.strip_prefix("=\"") {
                Some(v) => {
                    let Some(end) = v.find('"') else {
                        return Some("an unterminated attribute".into());
                    };
                    rest = &v[end + 1..];
                    v[..end].to_owned()
                }
                None => String::new(),
            };
            match attr.as_str() {
                "alt" | "rel" => {}
                "href" | "src" => {
                    // The scheme a browser reads: character references
                    // decoded, then the WHATWG URL parser (the url crate),
                    // which drops leading controls and every tab and line
                    // break (`java\tscript:`, `&#1;javascript:`). A
                    // relative URL has none; `%6A…:` never makes one.
                    let url = decode_references(&value);
                    match url::Url::parse(&url) {
                        Ok(u) if !matches!(u.scheme(), "http" | "https" | "mailto") => {
                            return Some(format!("{attr}={value}"));
                        }
                        _ => {}
                    }
                }
                other => return Some(format!("attribute {other}")),
            }
        }
    }
    None
}

/// `text` with its character references decoded as an attribute value's
/// are (numeric ones, and the named ones a serializer or a vector uses).
fn decode_references(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find(';').filter(|&e| e <= 12);
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let number = match name.strip_prefix('#') {
                Some(n) => match n.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => n.parse().ok(),
                },
                None => None,
            };
            let c = match name {
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "Tab" => Some('\t'),
                "NewLine" => Some('\n'),
                "colon" => Some(':'),
                _ => number.map(|n| char::from_u32(n).unwrap_or('\u{fffd}')),
            }?;
            Some((c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The mail's HTML is ours with the reader's words escaped: no tag but the
/// template's, no event handler.
fn html_problem(html: &str) -> Option<String> {
    const TEMPLATE: &[&str] = &[
        "!doctype",
        "html",
        "body",
        "p",
        "bdi",
        "h1",
        "blockquote",
        "a",
        "br",
    ];
    let lower = html.to_ascii_lowercase();
    for piece in lower.split('<').skip(1) {
        let name: String = piece
            .trim_start_matches('/')
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
            .collect();
        if !TEMPLATE.contains(&name.as_str()) {
            return Some(format!("element <{name}>"));
        }
        let tag = piece.split('>').next().unwrap_or("");
        if tag.split_whitespace().any(|a| a.starts_with("on")) {
            return Some(format!("handler in <{tag}>"));
        }
    }
    None
}

fn article_with(id: &str, v: &str, html: bool) -> Value {
    let body = if html {
        json!({ "body_html": v })
    } else {
        json!({ "body": [
            { "type": "paragraph", "text": v },
            { "type": "heading", "text": v },
            { "type": "quote", "text": v, "cite": v },
            { "type": "list", "items": [v, "x"] },
            { "type": "image", "url": "https://example.com/i.jpg", "alt": v, "caption": v },
        ] })
    };
    let mut a = json!({
        "id": id, "url": format!("https://example.com/{id}"), "title": format!("t {v}"),
        "summary": v, "published_at": "2026-11-20T10:00:00Z", "source": v, "section": v,
        "author": v, "lang": "en",
        "image": { "url": "https://example.com/lead.jpg", "alt": v, "caption": v },
    });
    if let (Some(a), Some(b)) = (a.as_object_mut(), body.as_object()) {
        a.extend(b.clone());
    }
    a
}

/// Every string in `v`, recursively.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_import_stores_every_vector_neutralized_or_refuses_it() {
    let corpus = vectors();
    assert!(corpus.len() >= 300, "{} vectors", corpus.len());
    let f = fixture_with(false, |s| s);
    let store = f.store.as_ref();
    let (mut stored, mut refused, mut tried) = (0, 0, 0);
    for (i, v) in corpus.iter().enumerate() {
        for html in [false, true] {
            let id = format!("x{i}{}", if html { "h" } else { "b" });
            // title, summary, source, section, author, image alt + caption,
            // and the body: 5 blocks (7 fields) or body_html.
            tried += if html { 8 } else { 14 };
            match import::import_json(store, &article_with(&id, v, html).to_string()).await {
                Ok(_) => stored += 1,
                Err(_) => {
                    refused += 1;
                    continue;
                }
            }
            let a = store.article(&id).await.expect("get").expect("stored");
            let mut texts = Vec::new();
            let mut fields = serde_json::to_value(&a).expect("json");
            // body_html is markup, checked below as such (a decoded `&#13;`
            // is harmless text there).
            if let Some(o) = fields.as_object_mut() {
                o.remove("body_html");
            }
            strings(&fields, &mut texts);
            for t in &texts {
                assert!(!has_forbidden_chars(t), "vector {i}: stored {t:?}");
            }
            if let Some(body) = &a.body_html {
                if let Some(problem) = inert_html_problem(body) {
                    panic!("vector {i} {v:?}: body_html kept {problem}: {body}");
                }
            }
        }
        // The URL fields: refused unless they are web URLs or local paths.
        for field in ["url", "image"] {
            tried += 1;
            let mut a = article_with(&format!("u{i}"), "x", false);
            if field == "url" {
                a["url"] = json!(v);
            } else {
                a["image"]["url"] = json!(v);
            }
            if import::import_json(store, &a.to_string()).await.is_ok() {
                let stored: Article = store
                    .article(&format!("u{i}"))
                    .await
                    .expect("get")
                    .expect("stored");
                let url = if field == "url" {
                    stored.url
                } else {
                    stored.image.map(|i| i.url).unwrap_or_default()
                };
                assert!(
                    khabar_server::model::is_web_url(&url)
                        || khabar_server::model::is_root_relative(&url),
                    "vector {i}: {field} stored as {url:?}"
                );
            }
        }
    }
    println!(
        "import: {} vectors × fields = {tried} tried; {stored} articles stored neutralized, {refused} refused",
        corpus.len()
    );
}

#[tokio::test]
async fn comments_with_every_vector_are_stored_clean_or_refused() {
    let corpus = vectors();
    let f = fixture_with(true, |mut s| {
        s.moderation = Moderation::Post;
        s.comment_limit = Arc::new(RateLimit::new(100_000, Duration::from_secs(60)));
        s
    });
    let uri = "/api/v1/articles/2026-11-28-transit-plan/comments";
    let (mut created, mut refused) = (0, 0);
    for (i, v) in corpus.iter().enumerate() {
        for (author, email, body, website) in [
            (v.as_str(), v.as_str(), v.as_str(), ""),
            (v.as_str(), "", v.as_str(), ""),
            ("Reader", "", "a comment with a website", v.as_str()),
        ] {
            let request = json!({
                "author": author, "email": email, "body": body, "website": website,
                "idempotency_key": format!("00000000-0000-4000-8000-{:012}", created + refused),
            });
            let (status, _, answer) = post_json(&f.router, uri, &request, &[]).await;
            match status {
                StatusCode::CREATED | StatusCode::OK => created += 1,
                StatusCode::UNPROCESSABLE_ENTITY => {
                    refused += 1;
                    continue;
                }
                other => panic!("vector {i}: {other}: {answer}"),
            }
            let mut texts = Vec::new();
            strings(&answer, &mut texts);
            assert!(
                texts.iter().all(|t| !has_forbidden_chars(t)),
                "vector {i}: {answer}"
            );
        }
    }
    // What the public sees: no e-mail, no honeypot comment, clean text.
    let (_, list) = get_json(&f.router, &format!("{uri}?limit=50")).await;
    let total = list["total"].as_u64().unwrap_or(0);
    let mut seen = 0;
    let mut cursor: Option<String> = None;
    loop {
        let page_uri = match &cursor {
            Some(c) => format!("{uri}?limit=50&cursor={c}"),
            None => format!("{uri}?limit=50"),
        };
        let (status, page) = get_json(&f.router, &page_uri).await;
        assert_eq!(status, StatusCode::OK);
        let text = page.to_string();
        assert!(!text.contains("\"email\""), "e-mail published");
        assert!(
            !text.contains("a comment with a website"),
            "honeypot published"
        );
        let mut texts = Vec::new();
        strings(&page, &mut texts);
        assert!(texts.iter().all(|t| !has_forbidden_chars(t)));
        seen += page["items"].as_array().map_or(0, Vec::len);
        match page["next"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert!(seen as u64 <= total && total > 0);
    println!(
        "comments: {} vectors × 4 fields (author, email, body, website); {created} answered 2xx, {refused} refused with 422; {total} published",
        corpus.len()
    );
}

#[tokio::test]
async fn send_to_friend_never_turns_a_vector_into_a_header() {
    let corpus = vectors();
    let (url, inbox) = smtp_sink().await;
    let f = fixture_with(true, |mut s| {
        s.mailer = Some(Arc::new(
            Mailer::new(&url, "desk@news.test").expect("mailer"),
        ));
        s.send_limit = Arc::new(RateLimit::new(100_000, Duration::from_secs(60)));
        s
    });
    let uri = "/api/v1/articles/2026-11-28-transit-plan/send";
    let (mut accepted, mut refused) = (0, 0);
    for v in &corpus {
        for request in [
            json!({ "from_name": v, "from_email": "a@b.co", "to_email": "c@d.co", "message": v }),
            json!({ "from_name": "A", "from_email": v, "to_email": v, "message": "m" }),
        ] {
            let (status, _, body) = post_json(&f.router, uri, &request, &[]).await;
            match status {
                StatusCode::ACCEPTED => accepted += 1,
                StatusCode::UNPROCESSABLE_ENTITY => refused += 1,
                other => panic!("{other}: {body}"),
            }
        }
    }
    let mails = inbox.lock().expect("inbox").clone();
    assert_eq!(mails.len(), accepted);
    for mail in &mails {
        let parsed = mailparse::parse_mail(mail.as_bytes()).expect("MIME");
        let names: Vec<String> = parsed
            .headers
            .iter()
            .map(|h| h.get_key().to_ascii_lowercase())
            .collect();
        for bad in ["bcc", "cc", "content-security-policy", "x-xss"] {
            assert!(!names.contains(&bad.to_owned()), "header {bad} in {mail}");
        }
        // The HTML part escapes the reader's words (the plain-text part
        // carries them as they are, which is right for text).
        let html = parsed
            .subparts
            .iter()
            .find(|p| p.ctype.mimetype == "text/html")
            .and_then(|p| p.get_body().ok())
            .expect("an HTML part");
        if let Some(problem) = html_problem(&html) {
            panic!("{problem} in {html}");
        }
    }
    println!(
        "send to a friend: {} vectors × 4 fields (from_name, from_email, to_email, message); {accepted} mails sent clean, {refused} refused",
        corpus.len()
    );
}

/// The check above sees what a browser would run: links whose scheme only
/// a URL parser finds (a tab inside it, a control or reference before it).
/// A NUL character in an address (`%00`) is refused as a bad request on
/// both engines (PostgreSQL refuses it in text: it answered 500), and no
/// section is named with one.
#[tokio::test]
async fn a_nul_in_an_address_is_a_bad_request_not_a_server_error() {
    let f = fixture_with(true, |s| s);
    for uri in [
        "/api/v1/articles/%00",
        "/api/v1/articles/x%00y/comments",
        "/api/v1/counts?ids=%00",
        "/api/v1/articles?section=%00",
        "/api/v1/articles/x/comments?cursor=%00",
    ] {
        let (status, body) = get_json(&f.router, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert_eq!(body["error"]["code"], "bad_request", "{uri}");
    }
    let (status, _, body) = post_json(
        &f.router,
        "/api/v1/articles/x%00/comments",
        &json!({ "author": "سارة", "body": "تعليق", "idempotency_key": "nul-key-0001" }),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _, _) = common::get(&f.router, "/sections/%00/feed.xml").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Nor with bytes that are no text: the API's 404, not the router's 400.
    let (status, _) = get_json(&f.router, "/sections/%FF/feed.json").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A percent sign that only spells "%00" is text like any other.
    let (status, _) = get_json(&f.router, "/api/v1/articles/x%2500").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[test]
fn the_html_check_reads_schemes_as_browsers_do() {
    for href in [
        "javascript:alert(1)",
        "java\tscript:alert(1)",
        "\u{1}javascript:alert(1)",
        "&#1;javascript:alert(1)",
        "&#x6A;avascript:alert(1)",
        "jav&#x09;ascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,x",
    ] {
        let html = format!("<p><a href=\"{href}\">x</a></p>");
        assert!(inert_html_problem(&html).is_some(), "{href:?} passed");
    }
    for href in [
        "https://news.test/a",
        "mailto:desk@news.test",
        "/a:b",
        "%6Aavascript:x",
        "#top",
    ] {
        let html = format!("<p><a href=\"{href}\">x</a></p>");
        assert_eq!(inert_html_problem(&html), None, "{href:?}");
    }
}
