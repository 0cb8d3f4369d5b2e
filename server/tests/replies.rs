//! Reply notifications: double opt-in through a mailed link, a notice only
//! for published replies (never to their own author), RFC 8058 one-click
//! unsubscribe, rate-limited confirmations, forged links refused.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{
    decoded_text, fixture_with, get_json, mail_sink, post_json, smtp_sink, smtp_sink_refusing,
    Fixture,
};
use http_body_util::BodyExt;
use khabar_server::mailer::Mailer;
use khabar_server::notify;
use khabar_server::ratelimit::RateLimit;
use khabar_server::replies;
use khabar_server::state::AppState;
use khabar_server::store::Status;
use mailparse::MailHeaderMap;
use serde_json::{json, Value};
use tower::ServiceExt;

const ARTICLE: &str = "2026-11-28-transit-plan";
type Inbox = Arc<Mutex<Vec<String>>>;

async fn setup(confirmations_per_hour: usize) -> (Fixture, Inbox, AppState) {
    setup_every(confirmations_per_hour, Duration::from_secs(3600)).await
}

/// [`setup`], with `confirmations` allowed per `window`.
async fn setup_every(confirmations: usize, window: Duration) -> (Fixture, Inbox, AppState) {
    let (url, inbox) = smtp_sink().await;
    let mailer = Arc::new(Mailer::new(&url, "Khabar <desk@news.test>").expect("mailer"));
    let job_mailer = mailer.clone();
    let f = fixture_with(true, move |mut s| {
        s.comment_limit = Arc::new(RateLimit::new(0, Duration::from_secs(60)));
        s.reply_confirm_limit = Arc::new(RateLimit::new(confirmations, window));
        s.mailer = Some(mailer);
        // What `serve` sets once bound, without --public-url.
        s.mail_url = Some("http://127.0.0.1:8099".into());
        s
    });
    let mut state = AppState::new(f.store.clone());
    state.mailer = Some(job_mailer);
    state.mail_url = Some("http://127.0.0.1:8099".into());
    (f, inbox, state)
}

async fn comment(
    f: &Fixture,
    author: &str,
    email: &str,
    body: &str,
    parent: Option<i64>,
    notify: bool,
) -> Value {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    (author, email, body, parent).hash(&mut h);
    let key = format!("replies-{:016x}", h.finish());
    let (status, _, res) = post_json(
        &f.router,
        &format!("/api/v1/articles/{ARTICLE}/comments"),
        &json!({ "author": author, "email": email, "body": body, "parent_id": parent,
                 "idempotency_key": key, "notify_replies": notify, "lang": "fr" }),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{res}");
    res
}

async fn approve(f: &Fixture, id: i64) {
    f.store
        .set_comment_status(id, Status::Published)
        .await
        .expect("approve")
        .expect("exists");
}

/// A fixture with no limit on comments, the mail job's state (sending
/// through the SMTP server at `smtp`, if any, with links at
/// comments.news.test) and Nour's question, approved: a conversation to
/// subscribe to, by its id.
async fn conversation(smtp: Option<&str>) -> (Fixture, AppState, i64) {
    let f = fixture_with(true, |mut s| {
        s.comment_limit = Arc::new(RateLimit::new(0, Duration::from_secs(60)));
        s
    });
    let mut state = AppState::new(f.store.clone());
    if let Some(url) = smtp {
        let mailer = Mailer::new(url, "Khabar <desk@news.test>").expect("mailer");
        state.mailer = Some(Arc::new(mailer));
        state.mail_url = Some("http://comments.news.test".into());
    }
    let top = comment(
        &f,
        "Nour",
        "nour@example.test",
        "Une question.",
        None,
        false,
    )
    .await;
    let top_id = top["comment"]["id"].as_i64().expect("id");
    approve(&f, top_id).await;
    (f, state, top_id)
}

/// Subscribes `email` to the conversation `top_id`, confirmed.
async fn confirmed(f: &Fixture, top_id: i64, email: &str, base_url: &str) {
    let id = f
        .store
        .add_reply_subscription(top_id, email, "fr", base_url, Duration::ZERO)
        .await
        .expect("subscribe")
        .expect("a new one");
    assert!(f
        .store
        .confirm_reply_subscription(id)
        .await
        .expect("confirm"));
}

/// Waits for the inbox to hold `n` messages (the confirmation leaves in
/// the background).
async fn wait_for(inbox: &Inbox, n: usize) -> Vec<String> {
    for _ in 0..200 {
        let mails = inbox.lock().expect("inbox").clone();
        if mails.len() >= n {
            return mails;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "expected {n} message(s), got {}",
        inbox.lock().expect("inbox").len()
    );
}

/// The path and query of the first link to `path` in `text`.
fn link_to(text: &str, path: &str) -> String {
    let at = text
        .find(path)
        .unwrap_or_else(|| panic!("no {path} in {text}"));
    text[at..]
        .split(|c: char| c.is_whitespace() || c == '>')
        .next()
        .expect("link")
        .to_owned()
}

async fn request(f: &Fixture, method: &str, uri: &str, form: Option<&str>) -> (StatusCode, String) {
    let mut req = Request::builder().method(method).uri(uri);
    if form.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let req = req
        .body(Body::from(form.unwrap_or("").to_owned()))
        .expect("request");
    let res = f.router.clone().oneshot(req).await.expect("response");
    let status = res.status();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn token_of(link: &str) -> &str {
    link.split_once("?t=").expect("a token").1
}

#[tokio::test]
async fn a_confirmed_reader_hears_of_published_replies_until_one_click_stops_it() {
    let (f, inbox, state) = setup(10).await;
    let (_, config) = get_json(&f.router, "/api/v1/config").await;
    assert_eq!(config["capabilities"]["reply_notifications"], true);

    let asked = comment(&f, "Sara", "Sara@Example.org", "Et les vélos ?", None, true).await;
    assert_eq!(asked["reply_notifications"], "confirmation_sent");
    let parent = asked["comment"]["id"].as_i64().expect("id");
    approve(&f, parent).await;
    let mails = wait_for(&inbox, 1).await;
    let parsed = mailparse::parse_mail(mails[0].as_bytes()).expect("MIME");
    assert_eq!(
        parsed.headers.get_first_value("Subject").as_deref(),
        Some("Confirmation : m’avertir des réponses par e-mail")
    );
    assert!(mails[0].contains("To: Sara@Example.org"), "{}", mails[0]);
    let text = decoded_text(&mails[0]);
    let confirm = link_to(&text, "/replies/confirm");

    // Not confirmed yet: a published reply tells nobody.
    let early = comment(
        &f,
        "Omar",
        "omar@example.net",
        "Une première réponse.",
        Some(parent),
        false,
    )
    .await;
    approve(&f, early["comment"]["id"].as_i64().expect("id")).await;
    assert_eq!(replies::run_once(&state).await.expect("run"), 0);

    // Opening the link changes nothing; its button confirms.
    let (code, page) = request(&f, "GET", &confirm, None).await;
    assert_eq!(code, StatusCode::OK);
    assert!(page.contains(r#"<html lang="fr" dir="ltr">"#), "{page}");
    assert!(
        page.contains(r#"<form method="post" action="/replies/confirm">"#),
        "{page}"
    );
    assert_eq!(replies::run_once(&state).await.expect("run"), 0);
    let form = format!("t={}", token_of(&confirm));
    let (code, page) = request(&f, "POST", "/replies/confirm", Some(&form)).await;
    assert_eq!(code, StatusCode::OK, "{page}");

    // A pending reply tells nobody; once approved, it does.
    let reply = comment(
        &f,
        "Omar",
        "omar@example.net",
        "Oui, une piste cyclable est prévue.",
        Some(parent),
        false,
    )
    .await;
    let reply_id = reply["comment"]["id"].as_i64().expect("id");
    assert_eq!(replies::run_once(&state).await.expect("run"), 0);
    approve(&f, reply_id).await;
    assert_eq!(replies::run_once(&state).await.expect("run"), 1);
    let mails = wait_for(&inbox, 2).await;
    let notice = &mails[1];
    let parsed = mailparse::parse_mail(notice.as_bytes()).expect("MIME");
    let unsubscribe = parsed
        .headers
        .get_first_value("List-Unsubscribe")
        .expect("List-Unsubscribe");
    assert!(unsubscribe.starts_with('<') && unsubscribe.contains("/replies/unsubscribe?t="));
    // One click is offered over HTTPS only (this server's address is not).
    assert_eq!(
        parsed
            .headers
            .get_first_value("List-Unsubscribe-Post")
            .as_deref(),
        None
    );
    let text = decoded_text(notice);
    // Quoted, so that no line of a reply passes for the mail's own.
    assert!(
        text.lines()
            .any(|l| l.trim_end() == "> Oui, une piste cyclable est prévue."),
        "{text}"
    );
    assert!(
        text.contains("Omar a répondu à votre commentaire"),
        "{text}"
    );

    // Her own reply in the conversation does not mail her.
    let own = comment(
        &f,
        "Sara",
        "sara@example.org",
        "Merci pour la réponse.",
        Some(parent),
        false,
    )
    .await;
    approve(&f, own["comment"]["id"].as_i64().expect("id")).await;
    assert_eq!(replies::run_once(&state).await.expect("run"), 0);

    // RFC 8058: one POST to the header's URL, with the one-click body.
    let url = unsubscribe.trim_matches(['<', '>']);
    let path = &url[url.find("/replies/unsubscribe").expect("path")..];
    let (code, page) = request(&f, "GET", path, None).await;
    assert_eq!(code, StatusCode::OK);
    assert!(page.contains(r#"action="/replies/unsubscribe""#), "{page}");
    let (code, _) = request(&f, "POST", path, Some("List-Unsubscribe=One-Click")).await;
    assert_eq!(code, StatusCode::OK);
    let later = comment(
        &f,
        "Lina",
        "lina@example.com",
        "Encore une réponse.",
        Some(parent),
        false,
    )
    .await;
    approve(&f, later["comment"]["id"].as_i64().expect("id")).await;
    assert_eq!(replies::run_once(&state).await.expect("run"), 0);
    assert_eq!(inbox.lock().expect("inbox").len(), 2);

    // Confirming after unsubscribing does not restart it.
    let (code, _) = request(&f, "POST", "/replies/confirm", Some(&form)).await;
    assert_eq!(code, StatusCode::CONFLICT);
}

/// A reader who ticks the box each time she comments in one conversation
/// has one subscription: the confirmation again while it is unconfirmed,
/// nothing once it is, one notice per reply, and one "stop" ends it — also
/// for a duplicate an older version recorded.
#[tokio::test]
async fn a_reader_asking_twice_in_one_conversation_is_subscribed_once() {
    let (f, inbox, state) = setup(10).await;
    let first = comment(&f, "Sara", "sara@example.org", "Et les bus ?", None, true).await;
    assert_eq!(first["reply_notifications"], "confirmation_sent");
    let parent = first["comment"]["id"].as_i64().expect("id");
    approve(&f, parent).await;
    let again = comment(
        &f,
        "Sara",
        "SARA@example.org",
        "Et les horaires du soir ?",
        Some(parent),
        true,
    )
    .await;
    assert_eq!(again["reply_notifications"], "confirmation_sent");
    let mails = wait_for(&inbox, 2).await;
    let links: Vec<String> = mails
        .iter()
        .map(|m| link_to(&decoded_text(m), "/replies/confirm"))
        .collect();
    assert_eq!(links[0], links[1], "the same subscription, confirmed once");
    let form = format!("t={}", token_of(&links[0]));
    let (code, _) = request(&f, "POST", "/replies/confirm", Some(&form)).await;
    assert_eq!(code, StatusCode::OK);
    let third = comment(
        &f,
        "Sara",
        "sara@example.org",
        "Merci d’avance.",
        Some(parent),
        true,
    )
    .await;
    // Confirmed: the same answer as for an address that is not, and no
    // mail (anyone may name the address).
    assert_eq!(third["reply_notifications"], "confirmation_sent");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        inbox.lock().expect("inbox").len(),
        2,
        "no third confirmation"
    );

    // The store itself refuses a second open subscription of the address
    // (two copies of one comment sent at once both get past the read).
    let second = f
        .store
        .add_reply_subscription(
            parent,
            "Sara@Example.org",
            "fr",
            "http://127.0.0.1:8099",
            Duration::ZERO,
        )
        .await
        .expect("subscribe");
    assert_eq!(second, None, "one open subscription per address");

    let reply = |n: u32| {
        let f = &f;
        async move {
            let r = comment(
                f,
                "Omar",
                "omar@example.net",
                &format!("Réponse {n} : le soir aussi."),
                Some(parent),
                false,
            )
            .await;
            approve(f, r["comment"]["id"].as_i64().expect("id")).await;
        }
    };
    reply(1).await;
    assert_eq!(replies::run_once(&state).await.expect("run"), 1, "once");
    let mails = wait_for(&inbox, 3).await;
    let parsed = mailparse::parse_mail(mails[2].as_bytes()).expect("MIME");
    let unsubscribe = parsed
        .headers
        .get_first_value("List-Unsubscribe")
        .expect("List-Unsubscribe");
    let url = unsubscribe.trim_matches(['<', '>']);
    let path = &url[url.find("/replies/unsubscribe").expect("path")..];
    let (code, _) = request(&f, "POST", path, Some("List-Unsubscribe=One-Click")).await;
    assert_eq!(code, StatusCode::OK);
    reply(2).await;
    assert_eq!(replies::run_once(&state).await.expect("run"), 0, "stopped");
    assert_eq!(inbox.lock().expect("inbox").len(), 3);
}

/// A comment sent again with its key (the widget's retry after a lost
/// answer) hears what its first try did, and is not mailed again; a first
/// try that made no subscription gets it on the retry.
#[tokio::test]
async fn a_retried_comment_hears_what_its_first_try_did() {
    let (f, inbox, _state) = setup(10).await;
    let say = |first: &Value| first["reply_notifications"].as_str().map(str::to_owned);
    let first = comment(&f, "Lina", "lina@example.org", "Et le tram ?", None, true).await;
    assert_eq!(say(&first).as_deref(), Some("confirmation_sent"));
    let mails = wait_for(&inbox, 1).await;
    let again = comment(&f, "Lina", "lina@example.org", "Et le tram ?", None, true).await;
    assert_eq!(
        again["comment"]["id"], first["comment"]["id"],
        "the same comment"
    );
    assert_eq!(say(&again).as_deref(), Some("confirmation_sent"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        inbox.lock().expect("inbox").len(),
        1,
        "no second confirmation"
    );

    let link = link_to(&decoded_text(&mails[0]), "/replies/confirm");
    let form = format!("t={}", token_of(&link));
    let (code, _) = request(&f, "POST", "/replies/confirm", Some(&form)).await;
    assert_eq!(code, StatusCode::OK);
    let confirmed = comment(&f, "Lina", "lina@example.org", "Et le tram ?", None, true).await;
    assert_eq!(say(&confirmed).as_deref(), Some("confirmation_sent"));

    // Stored, but no subscription made (here: asked without the box).
    let plain = comment(
        &f,
        "Omar",
        "omar@example.net",
        "Et les vélos ?",
        None,
        false,
    )
    .await;
    assert_eq!(say(&plain), None);
    let retried = comment(&f, "Omar", "omar@example.net", "Et les vélos ?", None, true).await;
    assert_eq!(retried["comment"]["id"], plain["comment"]["id"]);
    assert_eq!(say(&retried).as_deref(), Some("confirmation_sent"));
    let mails = wait_for(&inbox, 2).await;
    assert!(decoded_text(&mails[1]).contains("/replies/confirm"));
}

/// A run stops once its time is up (after one notice at least) and the
/// next goes on: another instance never sends the same notices meanwhile.
#[tokio::test]
async fn a_run_past_its_time_leaves_the_rest_to_the_next_run() {
    let (f, inbox, mut state) = setup(10).await;
    state.mail_run_budget = Duration::ZERO;
    let mut conversations = Vec::new();
    for (name, email) in [("Sara", "sara@example.org"), ("Huda", "huda@example.org")] {
        let asked = comment(&f, name, email, &format!("Question de {name}"), None, true).await;
        let id = asked["comment"]["id"].as_i64().expect("id");
        approve(&f, id).await;
        conversations.push(id);
    }
    for mail in wait_for(&inbox, 2).await {
        let confirm = link_to(&decoded_text(&mail), "/replies/confirm");
        let form = format!("t={}", token_of(&confirm));
        let (code, _) = request(&f, "POST", "/replies/confirm", Some(&form)).await;
        assert_eq!(code, StatusCode::OK);
    }
    for parent in conversations {
        let r = comment(
            &f,
            "Omar",
            "omar@example.net",
            &format!("Réponse à {parent}."),
            Some(parent),
            false,
        )
        .await;
        approve(&f, r["comment"]["id"].as_i64().expect("id")).await;
    }
    for expected in [1, 1, 0] {
        assert_eq!(replies::run_once(&state).await.expect("run"), expected);
    }
    assert_eq!(wait_for(&inbox, 4).await.len(), 4, "each notice once");
}

#[tokio::test]
async fn confirmations_are_limited_per_address_and_per_client() {
    let (f, inbox, _) = setup(2).await;
    for (i, expected) in [
        (0, "confirmation_sent"),
        (1, "confirmation_sent"),
        (2, "limited"),
    ] {
        let res = comment(
            &f,
            "Huda",
            "huda@example.org",
            &format!("Commentaire {i} sur le plan."),
            None,
            true,
        )
        .await;
        assert_eq!(res["reply_notifications"], expected, "{i}: {res}");
    }
    // Another address from the same client: the client's allowance is spent.
    let res = comment(
        &f,
        "Someone",
        "stranger@example.org",
        "Encore un autre commentaire.",
        None,
        true,
    )
    .await;
    assert_eq!(res["reply_notifications"], "limited");
    let res = comment(
        &f,
        "Someone",
        "stranger@example.org",
        "Et encore un.",
        None,
        true,
    )
    .await;
    assert_eq!(res["reply_notifications"], "limited");
    wait_for(&inbox, 2).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        inbox.lock().expect("inbox").len(),
        2,
        "no mail past the limit"
    );
    // Those refusals spent nothing of the stranger's own allowance: from
    // their own connection, their confirmation goes.
    let body = comment_from(&f, "198.51.100.7:40000", "stranger@example.org", "own").await;
    assert_eq!(body["reply_notifications"], "confirmation_sent", "{body}");
    assert_eq!(wait_for(&inbox, 3).await.len(), 3);
    // A client refused for a full address has sent nothing either: its
    // own two still go, to others.
    let mut sent = 3;
    for (i, (email, expected)) in [
        ("huda@example.org", "limited"),
        ("huda@example.org", "limited"),
        ("other@example.org", "confirmation_sent"),
        ("third@example.org", "confirmation_sent"),
    ]
    .into_iter()
    .enumerate()
    {
        let key = format!("other-client-{i}");
        let body = comment_from(&f, "198.51.100.9:40000", email, &key).await;
        assert_eq!(body["reply_notifications"], expected, "{email}: {body}");
        if expected == "confirmation_sent" {
            sent += 1;
            assert_eq!(wait_for(&inbox, sent).await.len(), sent);
        }
    }
}

/// Nour's question, approved, whose replies `suivie@example.org` follows:
/// its id.
async fn followed(f: &Fixture) -> i64 {
    let top = comment(f, "Nour", "nour@example.org", "Une question.", None, false).await;
    let top_id = top["comment"]["id"].as_i64().expect("id");
    approve(f, top_id).await;
    confirmed(f, top_id, "suivie@example.org", "").await;
    top_id
}

/// An address whose allowance is spent is answered `limited`, whether or
/// not it confirmed for the conversation: the answer tells nobody which.
#[tokio::test]
async fn a_confirmed_address_past_its_allowance_is_answered_as_any_other() {
    let (f, _inbox, _) = setup(2).await;
    let top_id = followed(&f).await;
    for (i, email) in ["suivie@example.org", "inconnue@example.org"]
        .into_iter()
        .enumerate()
    {
        for n in 0..2 {
            let addr = format!("198.51.100.{}:40000", 20 + i * 2 + n);
            let body = comment_from(&f, &addr, email, &format!("spend-{i}-{n}")).await;
            assert_eq!(body["reply_notifications"], "confirmation_sent", "{body}");
        }
        let reply = comment(
            &f,
            "Lecteur",
            email,
            &format!("Réponse {i}."),
            Some(top_id),
            true,
        )
        .await;
        assert_eq!(reply["reply_notifications"], "limited", "{email}: {reply}");
    }
}

/// A comment sent again is answered as any request is: a client past its
/// allowance cannot tell by the answer whether someone's address follows a
/// conversation, by resending a reply that names it.
#[tokio::test]
async fn a_resent_reply_does_not_tell_whether_an_address_follows_the_conversation() {
    let (f, _inbox, _) = setup(2).await;
    let top_id = followed(&f).await;
    // The client spends its allowance on addresses of its own.
    for i in 0..2 {
        let own = format!("moi{i}@example.org");
        let res = comment(&f, "Moi", &own, &format!("À moi {i}."), None, true).await;
        assert_eq!(res["reply_notifications"], "confirmation_sent", "{res}");
    }
    for email in ["suivie@example.org", "inconnue@example.org"] {
        let first = comment(&f, "Sonde", email, "Une sonde.", Some(top_id), true).await;
        assert_eq!(first["reply_notifications"], "limited", "{email}: {first}");
        let again = comment(&f, "Sonde", email, "Une sonde.", Some(top_id), true).await;
        assert_eq!(again["comment"]["id"], first["comment"]["id"]);
        assert_eq!(again["reply_notifications"], "limited", "{email}: {again}");
    }
}

/// Nor by what a resend leaves of the client's allowance: it spends it as
/// any request does, whether or not the address it names follows.
#[tokio::test]
async fn a_resent_reply_spends_the_allowance_whoever_follows() {
    let mut left = Vec::new();
    for email in ["suivie@example.org", "inconnue@example.org"] {
        let window = Duration::from_millis(1500);
        let (f, _inbox, _) = setup_every(2, window).await;
        let top_id = followed(&f).await;
        for i in 0..2 {
            let own = format!("moi{i}@example.org");
            comment(&f, "Moi", &own, &format!("À moi {i}."), None, true).await;
        }
        let first = comment(&f, "Sonde", email, "Une sonde.", Some(top_id), true).await;
        assert_eq!(first["reply_notifications"], "limited", "{email}: {first}");
        // The window passes; the client spends one of its two again.
        tokio::time::sleep(window + Duration::from_millis(100)).await;
        comment(&f, "Moi", "moi2@example.org", "À moi, encore.", None, true).await;
        let again = comment(&f, "Sonde", email, "Une sonde.", Some(top_id), true).await;
        assert_eq!(
            again["reply_notifications"], "confirmation_sent",
            "{email}: {again}"
        );
        let after = comment(&f, "Moi", "moi3@example.org", "À moi, enfin.", None, true).await;
        left.push(after["reply_notifications"].clone());
    }
    assert_eq!(left, ["limited", "limited"]);
}

/// A comment asking for mail about replies, sent from `addr`'s own
/// connection; the answer.
async fn comment_from(f: &Fixture, addr: &str, email: &str, key: &str) -> Value {
    let mut req = Request::post(format!("/api/v1/articles/{ARTICLE}/comments"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({ "author": "Stranger", "email": email,
                    "body": format!("Mon commentaire {key}."), "idempotency_key": format!("replies-{key}"),
                    "notify_replies": true, "lang": "fr" })
            .to_string(),
        ))
        .expect("request");
    let addr: std::net::SocketAddr = addr.parse().expect("address");
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(addr));
    let res = f.router.clone().oneshot(req).await.expect("response");
    assert_eq!(res.status(), StatusCode::CREATED);
    serde_json::from_slice(&res.into_body().collect().await.expect("body").to_bytes())
        .expect("json")
}

#[tokio::test]
async fn forged_links_are_refused_and_mail_less_servers_say_so() {
    let (f, _, _) = setup(10).await;
    for uri in [
        "/replies/confirm?t=confirm.1.00",
        "/replies/unsubscribe?t=stop.1",
        "/replies/confirm?t=",
    ] {
        let (code, _) = request(&f, "GET", uri, None).await;
        assert_eq!(code, StatusCode::FORBIDDEN, "{uri}");
    }
    let (code, _) = request(&f, "POST", "/replies/confirm", Some("t=confirm.1.00")).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    // In the language the reader's browser prefers among the six.
    for (accept, lang) in [
        ("fr-CA,fr;q=0.9,en;q=0.5", "fr"),
        ("de, ar;q=0.8", "ar"),
        ("de", "en"),
    ] {
        let req = axum::http::Request::get("/replies/unsubscribe?t=stop.1")
            .header("accept-language", accept)
            .body(axum::body::Body::empty())
            .expect("request");
        let res = f.router.clone().oneshot(req).await.expect("response");
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        let page = String::from_utf8_lossy(&bytes);
        assert!(
            page.contains(&format!("lang=\"{lang}\"")),
            "{accept}: {page}"
        );
    }

    let quiet = fixture_with(true, |s| s);
    let (_, config) = get_json(&quiet.router, "/api/v1/config").await;
    assert_eq!(config["capabilities"]["reply_notifications"], false);
    let res = comment(
        &quiet,
        "Sara",
        "sara@example.org",
        "Sans serveur de courrier.",
        None,
        true,
    )
    .await;
    assert_eq!(res["reply_notifications"], "unavailable");
}

#[tokio::test]
async fn a_mailbox_that_refuses_holds_nobody_back_and_nobody_hears_twice() {
    let (url, inbox) = smtp_sink_refusing("gone@example.test").await;
    let (f, state, top_id) = conversation(Some(&url)).await;
    // Three confirmed subscribers; the second's mailbox is gone. Their
    // stored address is a request's Host, as an older version kept it.
    for email in ["a@example.test", "gone@example.test", "c@example.test"] {
        confirmed(&f, top_id, email, "http://evil.example").await;
    }
    let reply = comment(&f, "Rim", "", "Une réponse.", Some(top_id), false).await;
    approve(&f, reply["comment"]["id"].as_i64().expect("id")).await;

    assert_eq!(replies::run_once(&state).await.expect("run"), 2);
    let to = |mails: &[String]| {
        let mut to: Vec<String> = mails
            .iter()
            .filter_map(|m| m.lines().find(|l| l.starts_with("To:")).map(str::to_owned))
            .collect();
        to.sort();
        to
    };
    assert_eq!(
        to(&inbox.lock().expect("inbox")),
        ["To: a@example.test", "To: c@example.test"]
    );
    // The notice waits before it tries the refused one again, then tries
    // that one alone.
    assert_eq!(replies::run_once(&state).await.expect("run"), 0);
    assert!(!replies::has_work(&state).await.expect("work"));
    let waiting = f.store.dump().await.expect("dump");
    let notices = waiting
        .tables
        .iter()
        .find(|(t, _)| t == "reply_notices")
        .map(|(_, rows)| rows.len());
    assert_eq!(notices, Some(1), "kept for the one not told");
    assert_eq!(inbox.lock().expect("inbox").len(), 2, "nobody hears twice");
    // Links at this server's address as it is now.
    for mail in inbox.lock().expect("inbox").iter() {
        assert!(!mail.contains("evil.example"), "{mail}");
        assert!(
            mail.contains("<http://comments.news.test/replies/unsubscribe?t="),
            "{mail}"
        );
    }
}

/// Whom a run told is saved as each message leaves: a run whose last
/// write fails (the database at the end of a long run) leaves the next
/// run nobody to mail again.
#[tokio::test]
async fn a_run_cut_short_after_its_messages_mails_nobody_twice() {
    let (url, inbox) = smtp_sink().await;
    let (f, state, top_id) = conversation(Some(&url)).await;
    for email in ["a@example.test", "b@example.test"] {
        confirmed(&f, top_id, email, "http://comments.news.test").await;
    }
    let reply = comment(&f, "Rim", "", "Une réponse.", Some(top_id), false).await;
    approve(&f, reply["comment"]["id"].as_i64().expect("id")).await;
    // The notice cannot be marked done: the run's last write fails.
    common::by_hand(
        &f,
        if common::on_postgres() {
            "CREATE FUNCTION refuse_done() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'refused'; END $$; \
             CREATE TRIGGER refuse_done BEFORE UPDATE ON reply_notices \
             FOR EACH ROW WHEN (NEW.done = 1) EXECUTE FUNCTION refuse_done();"
        } else {
            "CREATE TRIGGER refuse_done BEFORE UPDATE OF done ON reply_notices \
             WHEN NEW.done = 1 BEGIN SELECT RAISE(ABORT, 'refused'); END;"
        },
    )
    .await;
    assert!(replies::run_once(&state).await.is_err());
    assert_eq!(inbox.lock().expect("inbox").len(), 2);
    common::by_hand(
        &f,
        if common::on_postgres() {
            "DROP TRIGGER refuse_done ON reply_notices;"
        } else {
            "DROP TRIGGER refuse_done;"
        },
    )
    .await;
    // The next run finds both told.
    assert_eq!(replies::run_once(&state).await.expect("run"), 0);
    assert!(!replies::has_work(&state).await.expect("work"));
    assert_eq!(inbox.lock().expect("inbox").len(), 2, "nobody hears twice");
}

/// The confirmation's link points at the server's own address, whatever
/// `Host` the request that asked for it carried: a comment with someone
/// else's address must not mail them a link to a site of the sender's
/// choosing.
#[tokio::test]
async fn mailed_links_never_follow_the_requests_host() {
    let (url, inbox) = smtp_sink().await;
    let mailer = Arc::new(Mailer::new(&url, "Khabar <desk@news.test>").expect("mailer"));
    let f = fixture_with(true, move |mut s| {
        s.comment_limit = Arc::new(RateLimit::new(0, Duration::from_secs(60)));
        s.mailer = Some(mailer);
        // What `serve` sets once bound, without --public-url.
        s.mail_url = Some("http://127.0.0.1:8099".into());
        s
    });
    let (status, _, res) = post_json(
        &f.router,
        &format!("/api/v1/articles/{ARTICLE}/comments"),
        &json!({ "author": "Mallory", "email": "victim@example.org", "body": "Tell them",
                 "idempotency_key": "replies-host-0001", "notify_replies": true }),
        &[("host", "evil.example")],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{res}");
    assert_eq!(res["reply_notifications"], "confirmation_sent");
    let mails = wait_for(&inbox, 1).await;
    let text = decoded_text(&mails[0]);
    assert!(!text.contains("evil.example"), "{text}");
    assert!(
        text.contains("http://127.0.0.1:8099/replies/confirm?t="),
        "{text}"
    );
}

/// Without --public-url, `serve` links mail to the address it listens on;
/// listening on every interface gives no address a reader could open, so
/// readers are not offered reply notifications at all.
#[tokio::test]
async fn no_public_address_no_reply_notifications() {
    let (url, _inbox) = smtp_sink().await;
    let f = fixture_with(true, |s| s);
    let mut state = AppState::new(f.store.clone());
    state.mailer = Some(Arc::new(
        Mailer::new(&url, "Khabar <desk@news.test>").expect("mailer"),
    ));
    let any = notify::with_listen_address(state.clone(), "0.0.0.0:8080".parse().expect("addr"));
    assert!(!any.reply_notifications());
    assert_eq!(any.mail_base(), None);
    let loopback =
        notify::with_listen_address(state.clone(), "127.0.0.1:8080".parse().expect("addr"));
    assert!(loopback.reply_notifications());
    assert_eq!(loopback.mail_base(), Some("http://127.0.0.1:8080"));
    state.public_url = Some("https://comments.news.example".into());
    let public = notify::with_listen_address(state, "0.0.0.0:8080".parse().expect("addr"));
    assert_eq!(public.mail_base(), Some("https://comments.news.example"));
}

/// A page known only by its URL got its title from its first comment's
/// author: mail from the site names it by its URL, never by that title
/// (send-to-a-friend refuses such a page for the same reason).
#[tokio::test]
async fn mail_names_a_page_known_only_by_its_url_by_that_url() {
    let (url, inbox) = smtp_sink().await;
    let mailer = Arc::new(Mailer::new(&url, "Khabar <desk@news.test>").expect("mailer"));
    let job_mailer = mailer.clone();
    let f = fixture_with(true, move |mut s| {
        s.comment_limit = Arc::new(RateLimit::new(0, Duration::from_secs(60)));
        s.mailer = Some(mailer);
        s.mail_url = Some("http://127.0.0.1:8099".into());
        s.sites = khabar_server::threads::Sites::parse(&["https://news.example"]).expect("sites");
        s.moderation = khabar_server::comments::Moderation::Post;
        s
    });
    let mut state = AppState::new(f.store.clone());
    state.mailer = Some(job_mailer);
    state.mail_url = Some("http://127.0.0.1:8099".into());
    let lure = "Your account is locked: call +1 555 0100 at once";
    let page = "https://news.example/2026/12/01/%D8%B3%D9%88%D9%82";
    let post = |author: &str, email: &str, body: &str, parent: Option<i64>, notify: bool| {
        let body = json!({ "author": author, "email": email, "body": body, "title": lure,
                           "parent_id": parent, "notify_replies": notify, "lang": "en",
                           "idempotency_key": format!("replies-thread-{author}") });
        let router = f.router.clone();
        async move {
            let (status, _, res) = post_json(
                &router,
                &format!(
                    "/api/v1/comments?url={}",
                    percent_encoding::utf8_percent_encode(page, percent_encoding::NON_ALPHANUMERIC)
                ),
                &body,
                &[],
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{res}");
            res
        }
    };
    // The first comment opens the page's thread and asks for replies.
    let asked = post("Mallory", "reader@example.org", "First!", None, true).await;
    assert_eq!(asked["reply_notifications"], "confirmation_sent");
    let parent = asked["comment"]["id"].as_i64().expect("id");
    let mails = wait_for(&inbox, 1).await;
    let text = decoded_text(&mails[0]);
    assert!(!text.contains("locked"), "{text}");
    assert!(
        text.contains("«https://news.example/2026/12/01/سوق»"),
        "{text}"
    );
    let confirm = link_to(&text, "/replies/confirm");
    let form = format!("t={}", token_of(&confirm));
    let (code, body) = request(&f, "POST", "/replies/confirm", Some(&form)).await;
    assert_eq!(code, StatusCode::OK, "{body}");

    // A reply: its notice names the page by its URL too, subject included.
    post("Omar", "omar@example.net", "A reply.", Some(parent), false).await;
    assert_eq!(replies::run_once(&state).await.expect("run"), 1);
    let mails = wait_for(&inbox, 2).await;
    let parsed = mailparse::parse_mail(mails[1].as_bytes()).expect("MIME");
    let subject = parsed.headers.get_first_value("Subject").expect("Subject");
    assert!(
        subject.ends_with("«https://news.example/2026/12/01/سوق»"),
        "{subject}"
    );
    let text = decoded_text(&mails[1]);
    assert!(!text.contains("locked"), "{text}");
}

/// A reader who subscribed from a reply hears of replies in a conversation
/// they joined; the conversation's author, of replies to their comment.
#[tokio::test]
async fn a_reader_who_replied_hears_of_the_conversation_not_of_their_comment() {
    let (url, inbox) = smtp_sink().await;
    let (f, state, top) = conversation(Some(&url)).await;
    let base = "http://comments.news.test";
    confirmed(&f, top, "Nour@example.test", base).await;
    // Omar asked from his reply (his box ticked, confirmed).
    confirmed(&f, top, "omar@example.net", base).await;
    let omar = comment(
        &f,
        "Omar",
        "omar@example.net",
        "Moi aussi.",
        Some(top),
        false,
    )
    .await;
    approve(&f, omar["comment"]["id"].as_i64().expect("id")).await;
    assert_eq!(replies::run_once(&state).await.expect("run"), 1, "Nour");
    let lina = comment(
        &f,
        "Lina",
        "lina@example.com",
        "Voici la réponse.",
        Some(top),
        false,
    )
    .await;
    approve(&f, lina["comment"]["id"].as_i64().expect("id")).await;
    assert_eq!(replies::run_once(&state).await.expect("run"), 2);
    let mails = wait_for(&inbox, 3).await;
    let to = |who: &str| {
        let mail = mails
            .iter()
            .rev()
            .find(|m| m.contains(&format!("To: {who}")))
            .unwrap_or_else(|| panic!("a mail to {who}"));
        let subject = mailparse::parse_mail(mail.as_bytes())
            .expect("MIME")
            .headers
            .get_first_value("Subject")
            .unwrap_or_default();
        (subject, decoded_text(mail))
    };
    let (subject, text) = to("Nour@example.test");
    assert!(
        subject.starts_with("Nouvelle réponse à votre commentaire"),
        "{subject}"
    );
    assert!(
        text.contains("Lina a répondu à votre commentaire"),
        "{text}"
    );
    let (subject, text) = to("omar@example.net");
    assert!(
        subject.starts_with("Nouvelle réponse dans une conversation"),
        "{subject}"
    );
    assert!(
        text.contains("Lina a répondu dans une conversation"),
        "{text}"
    );
}

/// A reader who ticks the box on a reply is asked to confirm replies in a
/// conversation they joined: the conversation is not their comment. Its
/// author, replying in it, is asked about replies to their comment.
#[tokio::test]
async fn a_reader_asking_from_a_reply_confirms_the_conversation_not_their_comment() {
    let (f, inbox, _) = setup(10).await;
    let top = comment(&f, "Sara", "sara@example.org", "Et le tram ?", None, false).await;
    let top = top["comment"]["id"].as_i64().expect("id");
    approve(&f, top).await;
    let own = comment(
        &f,
        "Sara",
        "Sara@Example.org",
        "Et le bus ?",
        Some(top),
        true,
    )
    .await;
    assert_eq!(own["reply_notifications"], "confirmation_sent");
    let mails = wait_for(&inbox, 1).await;
    let text = decoded_text(&mails[0]);
    assert!(text.contains("répond à votre commentaire"), "{text}");
    let reply = comment(
        &f,
        "Omar",
        "omar@example.net",
        "Bonne question.",
        Some(top),
        true,
    )
    .await;
    assert_eq!(reply["reply_notifications"], "confirmation_sent");
    let mails = wait_for(&inbox, 2).await;
    let text = decoded_text(&mails[1]);
    assert!(
        text.contains(
            "des nouvelles réponses dans une conversation à laquelle vous avez pris part"
        ),
        "{text}"
    );
    assert!(!text.contains("votre commentaire"), "{text}");
    let confirm = link_to(&text, "/replies/confirm");
    let form = format!("t={}", token_of(&confirm));
    let (code, page) = request(&f, "POST", "/replies/confirm", Some(&form)).await;
    assert_eq!(code, StatusCode::OK, "{page}");
    assert!(page.contains("publiée dans cette conversation"), "{page}");
    assert!(!page.contains("votre commentaire"), "{page}");
}

/// A run's time is checked before every message, not only between notices:
/// a conversation with many subscribers is told over several runs, each
/// within its claim, and nobody twice.
#[tokio::test]
async fn a_conversation_with_many_subscribers_is_told_a_message_a_run_when_time_is_short() {
    let (f, inbox, mut state) = setup(10).await;
    let asked = comment(&f, "Sara", "sara@example.org", "Question ?", None, true).await;
    let parent = asked["comment"]["id"].as_i64().expect("id");
    approve(&f, parent).await;
    for (name, email) in [("Huda", "huda@example.org"), ("Laila", "laila@example.org")] {
        let r = comment(
            &f,
            name,
            email,
            &format!("Moi aussi, {name}."),
            Some(parent),
            true,
        )
        .await;
        approve(&f, r["comment"]["id"].as_i64().expect("id")).await;
    }
    // Three confirmations; the notices of Huda's and Laila's own replies
    // are sent before the budget is cut.
    for mail in wait_for(&inbox, 3).await {
        let confirm = link_to(&decoded_text(&mail), "/replies/confirm");
        let form = format!("t={}", token_of(&confirm));
        let (code, _) = request(&f, "POST", "/replies/confirm", Some(&form)).await;
        assert_eq!(code, StatusCode::OK);
    }
    while replies::run_once(&state).await.expect("run") > 0 {}
    let before = inbox.lock().expect("inbox").len();

    state.mail_run_budget = Duration::ZERO;
    let r = comment(
        &f,
        "Omar",
        "omar@example.net",
        "Réponse.",
        Some(parent),
        false,
    )
    .await;
    approve(&f, r["comment"]["id"].as_i64().expect("id")).await;
    for expected in [1, 1, 1, 0] {
        assert_eq!(replies::run_once(&state).await.expect("run"), expected);
    }
    let mails = wait_for(&inbox, before + 3).await;
    let mut to: Vec<String> = mails[before..]
        .iter()
        .filter_map(|m| {
            mailparse::parse_mail(m.as_bytes())
                .ok()?
                .headers
                .get_first_value("To")
        })
        .collect();
    to.sort();
    assert_eq!(
        to,
        ["huda@example.org", "laila@example.org", "sara@example.org"],
        "each subscriber once"
    );

    // An instance shutting down sends no more of a run: the notice is
    // left whole to the next run, on another instance.
    let r = comment(
        &f,
        "Omar",
        "omar@example.net",
        "Encore.",
        Some(parent),
        false,
    )
    .await;
    approve(&f, r["comment"]["id"].as_i64().expect("id")).await;
    state.mail_run_budget = Duration::from_secs(60);
    state.background.stop();
    assert_eq!(replies::run_once(&state).await.expect("run"), 0);
    let other = AppState {
        background: khabar_server::background::Background::default(),
        ..state.clone()
    };
    assert_eq!(replies::run_once(&other).await.expect("run"), 3);
    assert_eq!(wait_for(&inbox, before + 6).await.len(), before + 6);
}

/// A mailbox that fails while the run's time runs out does not cost the
/// subscribers not tried yet their notice: the next run goes on with them
/// at once, rather than after the failing one's wait (and the notice is
/// not given up on before they were all tried).
#[tokio::test]
async fn a_failing_mailbox_in_a_run_cut_short_does_not_hold_back_the_untried() {
    let sink = mail_sink().await;
    sink.codes
        .lock()
        .expect("codes")
        .insert("gone@example.test".into(), 452);
    // One second a message, a run of one and a half: a run sends two.
    *sink.delay.lock().expect("delay") = Duration::from_secs(1);
    let (f, mut state, top_id) = conversation(Some(&sink.url)).await;
    state.mail_run_budget = Duration::from_millis(1500);
    for email in [
        "a@example.test",
        "gone@example.test",
        "c@example.test",
        "d@example.test",
    ] {
        confirmed(&f, top_id, email, "").await;
    }
    let reply = comment(&f, "Rim", "", "Une réponse.", Some(top_id), false).await;
    approve(&f, reply["comment"]["id"].as_i64().expect("id")).await;

    // a, then gone (full for now), then c; time is up before d.
    assert_eq!(replies::run_once(&state).await.expect("run"), 2);
    // The next run tells d at once.
    assert_eq!(replies::run_once(&state).await.expect("run"), 1);
    let mut told = sink.delivered.lock().expect("delivered").clone();
    told.sort();
    assert_eq!(told, ["a@example.test", "c@example.test", "d@example.test"]);
    // The full mailbox alone waits for its retry.
    assert!(!replies::has_work(&state).await.expect("work"));
    let asked = sink.asked.lock().expect("asked").clone();
    assert_eq!(
        asked.iter().filter(|a| *a == "gone@example.test").count(),
        2,
        "{asked:?}"
    );
}

/// A reply rejected, then approved again (a moderator's second thought),
/// is not mailed twice to those its notice reached; a reader who
/// subscribed in between hears of it. Nor is it queued twice while its
/// first notice waits.
#[tokio::test]
async fn a_reply_published_again_is_not_mailed_twice() {
    let (url, inbox) = smtp_sink().await;
    let (f, state, top_id) = conversation(Some(&url)).await;
    confirmed(&f, top_id, "a@example.test", "").await;
    let reply = comment(&f, "Rim", "", "Une réponse.", Some(top_id), false).await;
    let reply_id = reply["comment"]["id"].as_i64().expect("id");
    // Published, rejected and published again before any run: one notice.
    approve(&f, reply_id).await;
    let reject = |id: i64| {
        let store = f.store.clone();
        async move {
            store
                .set_comment_status(id, Status::Rejected)
                .await
                .expect("reject")
                .expect("exists");
        }
    };
    reject(reply_id).await;
    approve(&f, reply_id).await;
    assert_eq!(replies::run_once(&state).await.expect("run"), 1);
    assert_eq!(replies::run_once(&state).await.expect("run"), 0);

    // Rejected, a new reader subscribes, approved again: the new reader
    // alone is told.
    reject(reply_id).await;
    confirmed(&f, top_id, "b@example.test", "").await;
    approve(&f, reply_id).await;
    assert_eq!(replies::run_once(&state).await.expect("run"), 1);
    let mails = wait_for(&inbox, 2).await;
    let to: Vec<String> = mails
        .iter()
        .filter_map(|m| {
            mailparse::parse_mail(m.as_bytes())
                .ok()?
                .headers
                .get_first_value("To")
        })
        .collect();
    assert_eq!(to, ["a@example.test", "b@example.test"]);
    assert!(!replies::has_work(&state).await.expect("work"));
}

/// An instance that cannot mail readers (no mail server, or no address for
/// its links) leaves a notice due for one that can: it does not take it
/// as told.
#[tokio::test]
async fn a_notice_waits_for_an_instance_that_can_mail_it() {
    let (url, inbox) = smtp_sink().await;
    let (f, state, top_id) = conversation(Some(&url)).await;
    confirmed(&f, top_id, "a@example.test", "").await;
    let reply = comment(&f, "Rim", "", "Une réponse.", Some(top_id), false).await;
    approve(&f, reply["comment"]["id"].as_i64().expect("id")).await;
    let mut no_address = state.clone();
    no_address.mail_url = None;
    for cannot in [AppState::new(f.store.clone()), no_address] {
        assert!(!replies::has_work(&cannot).await.expect("work"));
        assert_eq!(replies::run_once(&cannot).await.expect("run"), 0);
    }
    assert!(replies::has_work(&state).await.expect("work"));
    assert_eq!(replies::run_once(&state).await.expect("run"), 1);
    assert_eq!(wait_for(&inbox, 1).await.len(), 1);

    // A notice older than the limit when mail comes back is dropped
    // unsent: a reply days old is no news.
    let late = comment(&f, "Rim", "", "Une autre réponse.", Some(top_id), false).await;
    approve(&f, late["comment"]["id"].as_i64().expect("id")).await;
    let mut stale = state.clone();
    stale.reply_notice_max_age = Duration::from_millis(50);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(replies::has_work(&stale).await.expect("work"));
    assert_eq!(replies::run_once(&stale).await.expect("run"), 0);
    assert!(!replies::has_work(&state).await.expect("work"), "dropped");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(inbox.lock().expect("inbox").len(), 1, "nothing more mailed");
}

/// A reply whose comment was rejected before its notice went out is out
/// of readers' sight: nobody is mailed its text.
#[tokio::test]
async fn a_reply_under_a_comment_rejected_meanwhile_is_not_mailed() {
    let (url, inbox) = smtp_sink().await;
    let (f, state, top_id) = conversation(Some(&url)).await;
    confirmed(&f, top_id, "a@example.test", "").await;
    let reply = comment(&f, "Rim", "", "Une réponse.", Some(top_id), false).await;
    approve(&f, reply["comment"]["id"].as_i64().expect("id")).await;
    f.store
        .set_comment_status(top_id, Status::Rejected)
        .await
        .expect("reject")
        .expect("exists");
    assert_eq!(replies::run_once(&state).await.expect("run"), 0);
    assert!(!replies::has_work(&state).await.expect("work"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(inbox.lock().expect("inbox").is_empty());
}

/// A reply published again while its notice is being sent: the run's end
/// records whom it told, and leaves the notice due for the others (it does
/// not mark it done over the new publication).
#[tokio::test]
async fn a_reply_published_again_while_its_notice_is_sent_stays_due() {
    let (f, _, top_id) = conversation(None).await;
    let reply = comment(&f, "Rim", "", "Une réponse.", Some(top_id), false).await;
    let reply_id = reply["comment"]["id"].as_i64().expect("id");
    approve(&f, reply_id).await;
    let notices = f.store.due_reply_notices(10).await.expect("due");
    assert_eq!(notices.len(), 1);
    // Meanwhile a moderator rejects the reply and approves it again.
    f.store
        .set_comment_status(reply_id, Status::Rejected)
        .await
        .expect("reject")
        .expect("exists");
    approve(&f, reply_id).await;
    // The run that read the notice before ends, having told subscription 7.
    f.store
        .finish_reply_notice(
            &notices[0],
            khabar_server::store::NoticeOutcome::Done { sent_to: vec![7] },
        )
        .await
        .expect("finish");
    let again = f.store.due_reply_notices(10).await.expect("due");
    assert_eq!(again.len(), 1, "still due");
    assert_eq!(again[0].sent_to, [7], "and 7 is not told twice");
}

/// Duplicate notices of one reply, as earlier versions could queue them,
/// become one when the database is migrated, told whom any of them told.
#[tokio::test]
async fn duplicate_notices_merge_when_migrated() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.sqlite3");
    let path = path.to_str().expect("path").to_owned();
    drop(
        khabar_server::store::engine::open(&path)
            .await
            .expect("open"),
    );
    {
        // Back to the schema before the migration that merges them (and
        // the four after it: each article's count, one open subscription
        // per address, webhook ids never reused and comments in the order
        // they were written, which run again as they are).
        let conn = rusqlite::Connection::open(&path).expect("sqlite");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        conn.execute_batch(&format!(
            "DROP TRIGGER comments_shown_inserted;
             DROP TRIGGER comments_shown_deleted;
             DROP TRIGGER comments_shown_changed;
             ALTER TABLE articles DROP COLUMN shown_comments;
             DROP INDEX reply_subscriptions_open;
             DROP INDEX reply_confirmations_due;
             ALTER TABLE reply_subscriptions DROP COLUMN confirm_due_ms;
             ALTER TABLE reply_subscriptions DROP COLUMN confirm_tries;
             DROP INDEX reply_notices_by_reply;
             DROP INDEX reply_notices_due;
             ALTER TABLE reply_notices DROP COLUMN done;
             ALTER TABLE reply_notices DROP COLUMN queued;
             INSERT INTO reply_notices (reply_id, created_ms, sent_to) VALUES
                 (5, 1, '1,2'), (5, 2, '3'), (5, 3, ''), (6, 4, '4');
             PRAGMA user_version = {};",
            version - 5
        ))
        .expect("older schema");
    }
    let store = khabar_server::store::engine::open(&path)
        .await
        .expect("migrated");
    let dump = store.dump().await.expect("dump");
    let rows = dump
        .tables
        .iter()
        .find(|(t, _)| t == "reply_notices")
        .map(|(_, rows)| rows.len());
    assert_eq!(rows, Some(2), "one notice per reply");
    // Mark them due (created before the migration, due at once).
    let mut due = store.due_reply_notices(10).await.expect("due");
    due.sort_by_key(|n| n.reply_id);
    let mut told = due[0].sent_to.clone();
    told.sort_unstable();
    assert_eq!((due[0].reply_id, told), (5, vec![1, 2, 3]));
    assert_eq!((due[1].reply_id, due[1].sent_to.clone()), (6, vec![4]));
}

/// A fixture and the job's state sending through `sink`, a confirmation
/// that may not have left being due again at once.
async fn owed_setup(sink: &common::MailSink) -> (Fixture, AppState) {
    let mailer = Arc::new(Mailer::new(&sink.url, "Khabar <desk@news.test>").expect("mailer"));
    let job_mailer = mailer.clone();
    let f = fixture_with(true, move |mut s| {
        s.comment_limit = Arc::new(RateLimit::new(0, Duration::from_secs(60)));
        s.mailer = Some(mailer);
        s.mail_url = Some("http://127.0.0.1:8099".into());
        s.reply_confirm_retry = Duration::ZERO;
        s
    });
    let mut state = AppState::new(f.store.clone());
    state.mailer = Some(job_mailer);
    state.mail_url = Some("http://127.0.0.1:8099".into());
    state.reply_confirm_retry = Duration::ZERO;
    (f, state)
}

/// Waits until the sink was asked `n` times for `address`.
async fn asked_for(sink: &common::MailSink, address: &str, n: usize) {
    for _ in 0..200 {
        let times = {
            let asked = sink.asked.lock().expect("asked");
            asked.iter().filter(|a| *a == address).count()
        };
        if times >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{address} not asked for {n} time(s)");
}

/// A fixture whose mail server answers `code` to `email`, and a comment
/// of that address with the box ticked, whose first try has been made.
async fn first_try_answered(
    code: u16,
    author: &str,
    email: &str,
    body: &str,
) -> (common::MailSink, Fixture, AppState, Value) {
    let sink = mail_sink().await;
    sink.codes.lock().expect("codes").insert(email.into(), code);
    let (f, state) = owed_setup(&sink).await;
    let first = comment(&f, author, email, body, None, true).await;
    assert_eq!(first["reply_notifications"], "confirmation_sent");
    asked_for(&sink, email, 1).await;
    (sink, f, state, first)
}

/// A confirmation the mail server refused for now is owed, not lost: the
/// job sends it once the server takes it, and its link confirms.
#[tokio::test]
async fn a_confirmation_that_could_not_leave_is_sent_by_the_job() {
    let lina = "lina@example.org";
    let (sink, f, state, first) = first_try_answered(451, "Lina", lina, "Et le tram ?").await;
    assert!(sink.inbox.lock().expect("inbox").is_empty());
    assert!(replies::has_work(&state).await.expect("work"), "owed");
    // An instance that cannot mail leaves it to one that can, without
    // claiming the job for it at every poll.
    let mailless = AppState::new(f.store.clone());
    assert!(!replies::has_work(&mailless).await.expect("work"));

    sink.codes.lock().expect("codes").clear();
    assert_eq!(replies::run_once(&state).await.expect("run"), 1);
    let mails = wait_for(&sink.inbox, 1).await;
    let link = link_to(&decoded_text(&mails[0]), "/replies/confirm");
    let form = format!("t={}", token_of(&link));
    let (code, _) = request(&f, "POST", "/replies/confirm", Some(&form)).await;
    assert_eq!(code, StatusCode::OK);
    let top = first["comment"]["id"].as_i64().expect("id");
    approve(&f, top).await;
    let again = comment(&f, "Lina", lina, "Et le bus ?", Some(top), true).await;
    assert_eq!(again["reply_notifications"], "confirmation_sent");

    assert!(!replies::has_work(&state).await.expect("work"), "settled");
    assert_eq!(replies::run_once(&state).await.expect("run"), 0);
    assert_eq!(sink.inbox.lock().expect("inbox").len(), 1, "sent once");
}

/// A confirmation that never gets through is tried five times in all,
/// then given up (the reader may tick the box again).
#[tokio::test]
async fn a_confirmation_is_given_up_after_five_tries() {
    let omar = "omar@example.net";
    let (sink, f, state, _) = first_try_answered(451, "Omar", omar, "Et les vélos ?").await;
    for n in 2..=5 {
        assert_eq!(replies::run_once(&state).await.expect("run"), 0);
        asked_for(&sink, omar, n).await;
    }
    assert!(
        replies::has_work(&state).await.expect("work"),
        "one more due"
    );
    assert_eq!(replies::run_once(&state).await.expect("run"), 0);
    assert!(!replies::has_work(&state).await.expect("work"), "given up");
    let asked = sink.asked.lock().expect("asked").len();
    assert_eq!(asked, 5, "five tries");

    // Ticking the box again owes it anew.
    sink.codes.lock().expect("codes").clear();
    let again = comment(&f, "Omar", omar, "Et les trottinettes ?", None, true).await;
    assert_eq!(again["reply_notifications"], "confirmation_sent");
    wait_for(&sink.inbox, 1).await;
}

/// A mailbox the mail server says does not exist is not tried again.
#[tokio::test]
async fn a_confirmation_refused_for_good_is_not_tried_again() {
    let gone = "gone@example.net";
    let (sink, _f, state, _) = first_try_answered(550, "Hadi", gone, "Et le métro ?").await;
    for _ in 0..50 {
        if !replies::has_work(&state).await.expect("work") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!replies::has_work(&state).await.expect("work"), "settled");
    assert_eq!(replies::run_once(&state).await.expect("run"), 0);
    assert_eq!(sink.asked.lock().expect("asked").len(), 1, "asked once");
}

/// A try that ends after the confirmation was owed again (its reader
/// ticked the box again meanwhile) does not settle the new one.
#[tokio::test]
async fn a_late_try_does_not_settle_a_confirmation_owed_again() {
    let sink = mail_sink().await;
    let (f, _state) = owed_setup(&sink).await;
    let top = comment(
        &f,
        "Nour",
        "nour@example.test",
        "Une question.",
        None,
        false,
    )
    .await;
    let top = top["comment"]["id"].as_i64().expect("id");
    let s = &f.store;
    let id = s
        .add_reply_subscription(top, "sara@news.test", "fr", "b", Duration::ZERO)
        .await
        .expect("add")
        .expect("new");
    let due = |list: Vec<khabar_server::store::ReplySubscription>| -> Vec<(i64, i64)> {
        list.iter().map(|s| (s.id, s.confirm_tries)).collect()
    };
    // The job's try 2, then 3; the reader asks again (try 1 of the new
    // one) before try 3 ends, and try 3's end leaves it owed.
    assert!(s
        .claim_reply_confirmation(id, 1, Duration::ZERO)
        .await
        .expect("claim"));
    assert!(s
        .claim_reply_confirmation(id, 2, Duration::ZERO)
        .await
        .expect("claim"));
    assert!(
        !s.claim_reply_confirmation(id, 2, Duration::ZERO)
            .await
            .expect("claim"),
        "taken"
    );
    assert!(s
        .resend_reply_confirmation(id, Duration::ZERO)
        .await
        .expect("resend"));
    s.settle_reply_confirmation(id, 3).await.expect("settle");
    assert_eq!(
        due(s.due_reply_confirmations(10).await.expect("due")),
        [(id, 1)]
    );
    s.settle_reply_confirmation(id, 1).await.expect("settle");
    assert!(s.due_reply_confirmations(10).await.expect("due").is_empty());
}

/// An address the mailer cannot write to (here a domain mangled by a
/// wrong encoding, which the shared address rule lets through) is not
/// recorded for a confirmation that would never leave.
#[tokio::test]
async fn an_address_the_mailer_cannot_spell_is_not_subscribed() {
    let sink = mail_sink().await;
    let (f, state) = owed_setup(&sink).await;
    let odd = comment(&f, "Rim", "rim@news.\u{fffd}", "Et le train ?", None, true).await;
    assert_eq!(odd["reply_notifications"], "unavailable");
    assert!(!replies::has_work(&state).await.expect("work"));
}

/// Open subscriptions of one address to one conversation, as two copies
/// of a comment sent at once could record them, become one when the
/// database is migrated: the confirmed one, else the oldest. A "stop" link
/// of one that ended still stops the one that stays. Both engines.
#[tokio::test]
async fn duplicate_subscriptions_become_one_when_migrated() {
    let (f, _state, top) = conversation(None).await;
    let other = comment(&f, "Omar", "omar@example.net", "Et le soir ?", None, false).await;
    let other = other["comment"]["id"].as_i64().expect("id");
    // Back to the schema before one open subscription per address.
    let columns = "DROP INDEX reply_subscriptions_open;
                   DROP INDEX reply_confirmations_due;
                   ALTER TABLE reply_subscriptions DROP COLUMN confirm_due_ms;
                   ALTER TABLE reply_subscriptions DROP COLUMN confirm_tries;";
    // (The comments' order by time after it runs again as is.)
    let version = if common::on_postgres() {
        "DELETE FROM khabar_schema WHERE version >= (SELECT MAX(version) - 1 FROM khabar_schema);"
            .to_owned()
    } else {
        let conn = rusqlite::Connection::open(f.db_url()).expect("sqlite");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        // The webhook table's rebuild and the comments' order by time
        // after it run again as they are.
        format!("PRAGMA user_version = {};", version - 3)
    };
    common::by_hand(
        &f,
        &format!(
            "{columns}
             INSERT INTO reply_subscriptions
                 (id, comment_id, email, lang, base_url, created_ms, confirmed_ms) VALUES
                 (101, {top}, 'Sara@news.test', 'fr', 'b', 1, NULL),
                 (102, {top}, 'sara@news.test', 'fr', 'b', 2, 3),
                 (103, {top}, 'SARA@news.test', 'fr', 'b', 4, 5),
                 (104, {other}, 'sara@news.test', 'fr', 'b', 6, NULL);
             {version}"
        ),
    )
    .await;
    let store = khabar_server::store::engine::open(&f.db_url())
        .await
        .expect("migrated");
    let kept = store
        .reply_subscription_of(top, "sara@news.test")
        .await
        .expect("read")
        .expect("one stays");
    assert_eq!((kept.id, kept.confirmed), (102, true), "the confirmed one");
    for (id, ended) in [(101, true), (102, false), (103, true), (104, false)] {
        let s = store.reply_subscription(id).await.expect("read");
        assert_eq!(s.map(|s| s.ended), Some(ended), "subscription {id}");
    }
    assert_eq!(
        store
            .add_reply_subscription(top, "sara@NEWS.test", "fr", "b", Duration::ZERO)
            .await
            .expect("add"),
        None,
        "still one"
    );
    assert!(store.end_reply_subscription(103).await.expect("stop"));
    assert!(store
        .reply_subscription_of(top, "sara@news.test")
        .await
        .expect("read")
        .is_none());
    assert!(
        !store
            .reply_subscription(104)
            .await
            .expect("read")
            .expect("104")
            .ended
    );
}
