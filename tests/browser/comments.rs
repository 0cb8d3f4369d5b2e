//! The comment section: rendering, checks, drafts, sending and retrying.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

use crate::support::*;

const NO_COMMENTS: &str = r#"{"items":[],"next":null,"total":0}"#;

const ONE_COMMENT: &str = r#"{"items":[{"id":1,"author":"\u202eسارة","body":"سطر \u202bأول\u202c\nسطر \u2067ثانٍ\u2069\u200f","created_at":"2017-01-01T07:31:08Z","parent_id":null,
  "replies":[{"id":2,"author":"Omar","body":"iPhone جديد","created_at":"2017-01-01T08:00:00Z","parent_id":1}]}],"next":null,"total":2}"#;

/// An article that took comments and takes no more.
const CLOSED_ARTICLE: &str = r#"{"id":"2017-01-01-test","url":"https://news.test/a","title":"T","published_at":"2017-01-01T07:31:08Z","body":[],"comments_open":false,"comment_count":2}"#;

fn comments_options(lang: &str, article: &str) -> JsValue {
    options_with(&[("kind", "comments"), ("lang", lang), ("articleId", article)])
}

#[wasm_bindgen_test]
async fn comments_render_nested_with_isolated_names_and_line_breaks() {
    clear_storage();
    let _fetch = FakeFetch::install(Answer::Routes(&[("GET", "/comments", 200, ONE_COMMENT)]));
    let el = host();
    let _handle = khabar::mount(el.clone(), comments_options("ar", "c-1")).expect("mount");
    let first = find(&el, "li.comment[data-id=\"1\"]").await;
    let author = first
        .query_selector(".comment-author")
        .expect("q")
        .expect("author");
    assert_eq!(author.local_name(), "bdi");
    assert_eq!(
        author.text_content().as_deref(),
        Some("سارة"),
        "bidi override stripped"
    );
    let body = first
        .query_selector(".comment-body")
        .expect("q")
        .expect("body");
    // In the direction of most of its words, not only the first letter's.
    assert_eq!(body.get_attribute("dir").as_deref(), Some("rtl"));
    assert_eq!(
        body.text_content().as_deref(),
        Some("سطر أولسطر ثانٍ\u{200f}"),
        "bidi controls stripped from the body, marks kept"
    );
    assert_eq!(body.query_selector_all("br").expect("q").length(), 1);
    let reply = first
        .query_selector("ol.replies > li.comment[data-id=\"2\"]")
        .expect("q");
    let reply = reply.expect("reply nested under its parent");
    // A tie: the first letter decides, as while it was typed.
    let reply_body = reply
        .query_selector(".comment-body")
        .expect("q")
        .expect("body");
    assert_eq!(reply_body.get_attribute("dir").as_deref(), Some("auto"));
    // "Reply" is told apart by the name of the comment it answers.
    let button = first
        .query_selector(":scope > article button.reply")
        .expect("q")
        .expect("reply button");
    assert_eq!(button.get_attribute("aria-describedby"), Some(author.id()));
    assert!(!author.id().is_empty());
    let time = first.query_selector("time").expect("q").expect("time");
    // 2017: years ago, in the reader's words and digits, from the catalog.
    let relative = time.text_content().unwrap_or_default();
    assert!(
        relative.starts_with("قبل ") && relative.contains(|c| ('٠'..='٩').contains(&c)),
        "relative time: {relative}"
    );
    assert_eq!(time.get_attribute("title"), None, "no dateline until asked");
    // The exact time is written when a reader points at the time (or
    // focuses it), through the bubbling event the browser fires.
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let over = web_sys::Event::new_with_event_init_dict("pointerover", &init).expect("event");
    time.dispatch_event(&over).expect("dispatch");
    for attribute in ["title", "data-exact"] {
        assert!(
            time.get_attribute(attribute)
                .unwrap_or_default()
                .contains("٢٠١٧"),
            "exact time in {attribute} on hover"
        );
    }
    let reply_time = first
        .query_selector("ol.replies time")
        .expect("q")
        .expect("reply's time");
    assert_eq!(
        reply_time.get_attribute("title"),
        None,
        "only the one pointed at"
    );
    let focus = web_sys::Event::new_with_event_init_dict("focusin", &init).expect("event");
    reply_time.dispatch_event(&focus).expect("dispatch");
    assert!(
        reply_time
            .get_attribute("data-exact")
            .unwrap_or_default()
            .contains("٢٠١٧"),
        "exact time on focus"
    );
    wait_for_text(&el, ".comments-total", "(٢)").await;
}

#[wasm_bindgen_test]
async fn client_checks_speak_the_readers_language_and_tie_errors_to_fields() {
    for (lang, name_error, body_error) in [
        ("ar", "اكتب اسمك.", "التعليق قصير جداً."),
        ("en", "Please give your name.", "Your comment is too short."),
    ] {
        clear_storage();
        let _fetch = FakeFetch::install(Answer::Routes(&[("GET", "/comments", 200, NO_COMMENTS)]));
        let el = host();
        let handle = khabar::mount(el.clone(), comments_options(lang, "c-2")).expect("mount");
        find(&el, ".comments-empty").await;
        let root = el.shadow_root().expect("root");
        let body = root.query_selector("#kc-body").expect("q").expect("body");
        type_into(&body, "x");
        click(
            &root
                .query_selector("button.send")
                .expect("q")
                .expect("send"),
        );
        wait_for_text(&el, "#kc-author-error", name_error).await;
        wait_for_text(&el, "#kc-body-error", body_error).await;
        let author = root
            .query_selector("#kc-author")
            .expect("q")
            .expect("author");
        assert_eq!(
            author.get_attribute("aria-invalid").as_deref(),
            Some("true")
        );
        assert!(author
            .get_attribute("aria-describedby")
            .unwrap_or_default()
            .contains("kc-author-error"));
        let label = root.query_selector("label[for=kc-author]").expect("q");
        assert!(label.is_some(), "a real label");
        assert!(POSTED.with(|p| p.borrow().is_empty()), "nothing sent");
        handle.destroy();
    }
}

#[wasm_bindgen_test]
async fn drafts_survive_remounting_and_server_422s_land_on_fields() {
    clear_storage();
    let _fetch = FakeFetch::install(Answer::Routes(&[
        ("GET", "/comments", 200, NO_COMMENTS),
        (
            "POST",
            "/comments",
            422,
            r#"{"error":{"code":"invalid","fields":{"email":{"code":"invalid"},"body":{"code":"too_long"}}}}"#,
        ),
    ]));
    let el = host();
    let handle = khabar::mount(el.clone(), comments_options("en", "c-3")).expect("mount");
    find(&el, ".comments-empty").await;
    let root = el.shadow_root().expect("root");
    type_into(
        &root.query_selector("#kc-author").expect("q").expect("a"),
        "Layla",
    );
    type_into(
        &root.query_selector("#kc-body").expect("q").expect("b"),
        "A draft I must not lose",
    );
    handle.destroy();

    let handle = khabar::mount(el.clone(), comments_options("en", "c-3")).expect("remount");
    find(&el, ".comments-empty").await;
    let root = el.shadow_root().expect("root");
    let body: web_sys::HtmlTextAreaElement = root
        .query_selector("#kc-body")
        .expect("q")
        .expect("b")
        .dyn_into()
        .expect("textarea");
    assert_eq!(body.value(), "A draft I must not lose");
    wait_for_text(&el, ".form-status", "Your draft comment was restored.").await;

    click(
        &root
            .query_selector("button.send")
            .expect("q")
            .expect("send"),
    );
    wait_for_text(&el, "#kc-body-error", "longer than 5,000").await;
    wait_for_text(&el, "#kc-email-error", "not valid").await;
    assert_eq!(
        body.value(),
        "A draft I must not lose",
        "text kept after a refusal"
    );
    handle.destroy();
}

/// The text box is laid out as the comment will be shown, by its words:
/// an Arabic comment opening with a brand name is typed right to left,
/// restored so, and a tie is left to the first letter.
#[wasm_bindgen_test]
async fn the_comment_box_takes_the_direction_of_most_of_its_words() {
    clear_storage();
    let _fetch = FakeFetch::install(Answer::Routes(&[("GET", "/comments", 200, NO_COMMENTS)]));
    let el = host();
    let handle = khabar::mount(el.clone(), comments_options("en", "c-dir")).expect("mount");
    find(&el, ".comments-empty").await;
    let root = el.shadow_root().expect("root");
    let body = root.query_selector("#kc-body").expect("q").expect("b");
    assert_eq!(body.get_attribute("dir").as_deref(), Some("auto"));
    type_into(&body, "iPhone 16 يصل إلى الأسواق العربية");
    assert_eq!(body.get_attribute("dir").as_deref(), Some("rtl"));
    type_into(&body, "Apple تكشف");
    assert_eq!(body.get_attribute("dir").as_deref(), Some("auto"), "a tie");
    type_into(&body, "محمد said the port reopens today");
    assert_eq!(body.get_attribute("dir").as_deref(), Some("ltr"));
    type_into(&body, "CNN: قال المتحدث إن الميناء يفتح غدا");
    handle.destroy();

    let handle = khabar::mount(el.clone(), comments_options("en", "c-dir")).expect("remount");
    find(&el, ".comments-empty").await;
    let root = el.shadow_root().expect("root");
    let body = root.query_selector("#kc-body").expect("q").expect("b");
    wait_for_text(&el, ".form-status", "Your draft comment was restored.").await;
    assert_eq!(
        body.get_attribute("dir").as_deref(),
        Some("rtl"),
        "restored"
    );
    handle.destroy();
}

/// A reply refused for its parent (rejected meanwhile): "cancel reply"
/// takes the refusal away, and the line asking to check the marked fields
/// with it, since none is marked any more.
#[wasm_bindgen_test]
async fn cancelling_a_refused_reply_clears_the_request_to_check_the_fields() {
    clear_storage();
    let _fetch = FakeFetch::install(Answer::Routes(&[
        ("GET", "/comments", 200, ONE_COMMENT),
        (
            "POST",
            "/comments",
            422,
            r#"{"error":{"code":"invalid","fields":{"parent_id":{"code":"not_found"}}}}"#,
        ),
    ]));
    let el = host();
    let handle = khabar::mount(el.clone(), comments_options("en", "c-9")).expect("mount");
    let first = find(&el, "li.comment[data-id=\"1\"]").await;
    click(
        &first
            .query_selector("button.reply")
            .expect("q")
            .expect("reply"),
    );
    let root = el.shadow_root().expect("root");
    type_into(
        &root.query_selector("#kc-author").expect("q").expect("a"),
        "Layla",
    );
    type_into(
        &root.query_selector("#kc-body").expect("q").expect("b"),
        "A reply to a comment since rejected",
    );
    click(
        &root
            .query_selector("button.send")
            .expect("q")
            .expect("send"),
    );
    wait_for_text(&el, ".form-status", "Please check the marked fields.").await;
    click(
        &root
            .query_selector("button.cancel-reply")
            .expect("q")
            .expect("cancel"),
    );
    let status = root
        .query_selector(".form-status")
        .expect("q")
        .expect("status");
    assert_eq!(status.text_content().as_deref(), Some(""));
    handle.destroy();
}

#[wasm_bindgen_test]
async fn a_closed_article_lists_its_comments_without_a_reply_and_keeps_the_draft_in_view() {
    clear_storage();
    let _fetch = FakeFetch::install(Answer::Routes(&[
        ("GET", "/comments", 200, ONE_COMMENT),
        ("GET", "/articles/2017-01-01-test", 200, CLOSED_ARTICLE),
    ]));
    // A reply begun while the article took comments.
    let el = host();
    let open = comments_options("ar", "2017-01-01-test");
    let handle = khabar::mount(el.clone(), open.clone()).expect("mount");
    let first = find(&el, "li.comment[data-id=\"1\"]").await;
    click(
        &first
            .query_selector("button.reply")
            .expect("q")
            .expect("reply"),
    );
    let root = el.shadow_root().expect("root");
    type_into(
        &root.query_selector("#kc-body").expect("q").expect("b"),
        "ردّ لم يُرسل بعد",
    );
    handle.destroy();

    // Closed since: the comments show, with no way to answer them; the
    // unsent reply stays in view to copy, read-only, with no "send".
    let handle = khabar::mount(el.clone(), options_with(&[("lang", "ar")])).expect("article");
    find(&el, "li.comment[data-id=\"1\"]").await;
    find(&el, ".note.closed").await;
    let root = el.shadow_root().expect("root");
    assert!(root.query_selector("button.reply").expect("q").is_none());
    let kept: web_sys::HtmlTextAreaElement = find(&el, ".comments form #kc-body")
        .await
        .dyn_into()
        .expect("textarea");
    assert_eq!(kept.value(), "ردّ لم يُرسل بعد");
    assert!(kept.read_only());
    assert!(root
        .query_selector("form button.send[hidden]")
        .expect("q")
        .is_some());
    handle.destroy();

    // The draft was kept: open again, the reply is back under its comment.
    let _handle = khabar::mount(el.clone(), open).expect("reopened");
    let first = find(&el, "li.comment[data-id=\"1\"]").await;
    let body: web_sys::HtmlTextAreaElement =
        find(&el, "#kc-body").await.dyn_into().expect("textarea");
    wait_until("the reply form under its comment", || {
        first.query_selector("form").ok().flatten().is_some()
    })
    .await;
    assert_eq!(body.value(), "ردّ لم يُرسل بعد");
}

#[wasm_bindgen_test]
async fn a_failed_send_keeps_the_text_and_the_retry_reuses_the_key() {
    clear_storage();
    let fetch = FakeFetch::install(Answer::Routes(&[
        ("GET", "/comments", 200, NO_COMMENTS),
        ("POST", "/comments", 0, ""),
    ]));
    let el = host();
    let _handle = khabar::mount(el.clone(), comments_options("ar", "c-4")).expect("mount");
    find(&el, ".comments-empty").await;
    let root = el.shadow_root().expect("root");
    type_into(
        &root.query_selector("#kc-author").expect("q").expect("a"),
        "ليلى",
    );
    type_into(
        &root.query_selector("#kc-body").expect("q").expect("b"),
        "تعليق لا يضيع",
    );
    let send = root
        .query_selector("button.send")
        .expect("q")
        .expect("send");
    click(&send);
    wait_for_text(&el, ".form-status", "نصّك محفوظ").await;
    let body: web_sys::HtmlTextAreaElement = root
        .query_selector("#kc-body")
        .expect("q")
        .expect("b")
        .dyn_into()
        .expect("textarea");
    assert_eq!(body.value(), "تعليق لا يضيع");
    drop(fetch);

    let _fetch = FakeFetch::install(Answer::Routes(&[
        ("GET", "/comments", 200, NO_COMMENTS),
        (
            "POST",
            "/comments",
            201,
            r#"{"comment":{"id":9,"author":"ليلى","body":"تعليق لا يضيع","created_at":"2017-01-01T07:31:08Z","parent_id":null},"status":"pending"}"#,
        ),
    ]));
    let posted = std::rc::Rc::new(std::cell::RefCell::new(None::<String>));
    let seen = posted.clone();
    let listener = gloo_events::EventListener::new(&el, "khabar:comment-posted", move |e| {
        let detail = e
            .dyn_ref::<web_sys::CustomEvent>()
            .expect("custom")
            .detail();
        let status = Reflect::get(&detail, &"status".into()).expect("status");
        *seen.borrow_mut() = status.as_string();
    });
    click(&send);
    wait_for_text(&el, ".form-status", "بعد مراجعته").await;
    let mine = find(&el, "li.comment.pending[data-id=\"9\"]").await;
    assert!(mine
        .text_content()
        .unwrap_or_default()
        .contains("بانتظار المراجعة"));
    assert_eq!(body.value(), "", "the acknowledged text leaves the form");
    assert_eq!(posted.borrow().as_deref(), Some("pending"));
    drop(listener);

    let keys: Vec<String> = POSTED.with(|p| {
        p.borrow()
            .iter()
            .map(|b| {
                let v = js_sys::JSON::parse(b).expect("json");
                Reflect::get(&v, &"idempotency_key".into())
                    .expect("key")
                    .as_string()
                    .expect("string")
            })
            .collect()
    });
    assert!(keys.len() >= 2, "{keys:?}");
    assert!(
        keys.windows(2).all(|w| w[0] == w[1]),
        "every try uses one key: {keys:?}"
    );
    let storage = web_sys::window()
        .expect("w")
        .local_storage()
        .expect("ls")
        .expect("ls");
    assert!(storage
        .get_item("khabar:drafts:https://api.test/api/v1:c-4")
        .expect("get")
        .is_none());
    assert!(storage
        .get_item("khabar:pending:https://api.test/api/v1:c-4")
        .expect("get")
        .is_some_and(|v| v.contains("تعليق لا يضيع")));
}

const PAGE: &str = "https://site.test/news/story?x=1";
/// `PAGE` as the widget encodes it in the query.
const PAGE_QUERY: &str = "/api/v1/comments?url=https%3A%2F%2Fsite.test%2Fnews%2Fstory%3Fx%3D1";

fn url_options(lang: &str, title: Option<&str>) -> JsValue {
    let mut pairs = vec![("kind", "comments"), ("lang", lang), ("articleUrl", PAGE)];
    if let Some(t) = title {
        pairs.push(("articleTitle", t));
    }
    let o = options_with(&pairs);
    // By URL alone: no id at all.
    Reflect::delete_property(o.unchecked_ref::<js_sys::Object>(), &"articleId".into())
        .expect("delete");
    o
}

fn requested() -> Vec<String> {
    REQUESTED.with(|r| r.borrow().clone())
}

#[wasm_bindgen_test]
async fn a_page_by_url_lists_and_posts_through_the_url_endpoints() {
    clear_storage();
    let _fetch = FakeFetch::install(Answer::Routes(&[
        (
            "GET",
            PAGE_QUERY,
            200,
            r#"{"items":[],"next":null,"total":0,"article_id":null}"#,
        ),
        (
            "POST",
            PAGE_QUERY,
            201,
            r#"{"comment":{"id":3,"author":"Layla","body":"First!","created_at":"2017-01-01T07:31:08Z","parent_id":null},"status":"pending","article_id":"t-1"}"#,
        ),
    ]));
    let el = host();
    let handle = khabar::mount(el.clone(), url_options("en", Some("The story"))).expect("mount");
    find(&el, ".comments-empty").await;
    assert_eq!(
        requested(),
        vec![format!(
            "GET https://api.test{PAGE_QUERY}&limit=20&replies=20"
        )]
    );
    let root = el.shadow_root().expect("root");
    type_into(
        &root.query_selector("#kc-author").expect("q").expect("a"),
        "Layla",
    );
    type_into(
        &root.query_selector("#kc-body").expect("q").expect("b"),
        "First!",
    );
    // The draft is kept under the page's URL.
    let storage = web_sys::window()
        .expect("w")
        .local_storage()
        .expect("ls")
        .expect("ls");
    let key = format!("khabar:drafts:https://api.test/api/v1:{PAGE}");
    assert!(
        storage.get_item(&key).expect("get").is_some(),
        "draft by URL"
    );
    click(
        &root
            .query_selector("button.send")
            .expect("q")
            .expect("send"),
    );
    find(&el, "li.comment.pending").await;
    let last = requested().pop().expect("a request");
    assert_eq!(last, format!("POST https://api.test{PAGE_QUERY}&lang=en"));
    let body = POSTED.with(|p| p.borrow().last().cloned()).expect("posted");
    assert!(body.contains(r#""title":"The story""#), "{body}");
    let pending = format!("khabar:pending:https://api.test/api/v1:{PAGE}");
    assert!(storage.get_item(&pending).expect("get").is_some());
    handle.destroy();

    // Without a title option the host page's title goes with the comment.
    clear_storage();
    let doc = web_sys::window().expect("w").document().expect("d");
    let old_title = doc.title();
    doc.set_title("Host page title");
    let handle = khabar::mount(el.clone(), url_options("en", None)).expect("mount");
    find(&el, ".comments-empty").await;
    let root = el.shadow_root().expect("root");
    type_into(
        &root.query_selector("#kc-author").expect("q").expect("a"),
        "Layla",
    );
    type_into(
        &root.query_selector("#kc-body").expect("q").expect("b"),
        "First!",
    );
    click(
        &root
            .query_selector("button.send")
            .expect("q")
            .expect("send"),
    );
    find(&el, "li.comment.pending").await;
    let body = POSTED.with(|p| p.borrow().last().cloned()).expect("posted");
    assert!(body.contains(r#""title":"Host page title""#), "{body}");
    doc.set_title(&old_title);
    handle.destroy();
}

#[wasm_bindgen_test]
async fn a_refused_embed_shows_the_settings_error_once_and_keeps_the_draft() {
    clear_storage();
    let _fetch = FakeFetch::install(Answer::Routes(&[
        ("GET", PAGE_QUERY, 200, NO_COMMENTS),
        (
            "POST",
            PAGE_QUERY,
            403,
            r#"{"error":{"code":"origin_not_allowed","message":"no"}}"#,
        ),
    ]));
    let el = host();
    let handle = khabar::mount(el.clone(), url_options("fr", None)).expect("mount");
    find(&el, ".comments-empty").await;
    let root = el.shadow_root().expect("root");
    type_into(
        &root.query_selector("#kc-author").expect("q").expect("a"),
        "Layla",
    );
    type_into(
        &root.query_selector("#kc-body").expect("q").expect("b"),
        "Mon texte",
    );
    let send = root
        .query_selector("button.send")
        .expect("q")
        .expect("send");
    click(&send);
    find(&el, r#".error[data-error-code="not-allowed"]"#).await;
    wait_for_text(&el, ".error-message", "réglages d’intégration").await;
    assert!(
        root.query_selector(".retry").expect("q").is_none(),
        "no retry"
    );
    // Pressing "send" again sends nothing.
    click(&send);
    gloo_timers::future::TimeoutFuture::new(100).await;
    assert_eq!(POSTED.with(|p| p.borrow().len()), 1);
    assert_eq!(
        root.query_selector_all(".error").expect("q").length(),
        1,
        "one error box"
    );
    let body: web_sys::HtmlTextAreaElement = root
        .query_selector("#kc-body")
        .expect("q")
        .expect("b")
        .dyn_into()
        .expect("textarea");
    assert_eq!(body.value(), "Mon texte");
    handle.destroy();

    // A URL outside the site is refused when the list loads.
    clear_storage();
    let _fetch = FakeFetch::install(Answer::Routes(&[(
        "GET",
        PAGE_QUERY,
        403,
        r#"{"error":{"code":"url_not_allowed","message":"no"}}"#,
    )]));
    let handle = khabar::mount(el.clone(), url_options("en", None)).expect("mount");
    find(&el, r#".error[data-error-code="not-allowed"]"#).await;
    wait_for_text(&el, ".error-message", "embed settings").await;
    handle.destroy();
}
