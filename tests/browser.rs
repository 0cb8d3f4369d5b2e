//! Browser tests of the widget (wasm-bindgen-test, headless Chrome and
//! Firefox): `cargo xtask test` runs them with `wasm-pack test`.
//!
//! The real `mount` → fetch → parse → render path runs; only `window.fetch`
//! is replaced, so that each test decides what the "backend" answers.
#![cfg(target_arch = "wasm32")]

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use web_sys::{Element, Response, ResponseInit};

wasm_bindgen_test_configure!(run_in_browser);

const ARTICLE: &str = r#"{
  "id": "2017-01-01-test",
  "url": "https://news.test/a",
  "title": "اختبار العنوان: Astana تستضيف المحادثات",
  "summary": "ملخص",
  "published_at": "2017-01-01T07:31:08Z",
  "source": "وكالة \u202eالاختبار",
  "author": "Jane Doe",
  "body": [{"type": "paragraph", "text": "<img src=x onerror=alert(1)> فقرة أولى"},
           {"type": "paragraph", "text": "فقرة ثانية"}]
}"#;

/// Replaces `window.fetch` until dropped.
struct FakeFetch {
    original: JsValue,
    _handler: Closure<dyn FnMut(JsValue, JsValue) -> Promise>,
}

enum Answer {
    Status(u16, &'static str),
    NetworkDown,
}

impl FakeFetch {
    fn install(answer: Answer) -> FakeFetch {
        let window = web_sys::window().expect("window");
        let original = Reflect::get(&window, &"fetch".into()).expect("fetch");
        let handler = Closure::wrap(
            Box::new(move |_input: JsValue, _init: JsValue| match answer {
                Answer::Status(status, body) => {
                    let init = ResponseInit::new();
                    init.set_status(status);
                    let response =
                        Response::new_with_opt_str_and_init(Some(body), &init).expect("response");
                    Promise::resolve(&JsValue::from(response))
                }
                Answer::NetworkDown => {
                    Promise::reject(&JsValue::from(js_sys::TypeError::new("Failed to fetch")))
                }
            }) as Box<dyn FnMut(JsValue, JsValue) -> Promise>,
        );
        Reflect::set(&window, &"fetch".into(), handler.as_ref()).expect("set fetch");
        FakeFetch {
            original,
            _handler: handler,
        }
    }
}

impl Drop for FakeFetch {
    fn drop(&mut self) {
        let window = web_sys::window().expect("window");
        let _ = Reflect::set(&window, &"fetch".into(), &self.original);
    }
}

fn host() -> Element {
    let doc = web_sys::window()
        .expect("window")
        .document()
        .expect("document");
    let el = doc.create_element("div").expect("div");
    doc.body().expect("body").append_child(&el).expect("append");
    el
}

fn options(lang: &str, digits: &str) -> JsValue {
    let o = Object::new();
    for (k, v) in [
        ("kind", "article"),
        ("articleId", "2017-01-01-test"),
        ("api", "https://api.test/api/v1"),
        ("lang", lang),
        ("digits", digits),
        ("timeZone", "Asia/Riyadh"),
    ] {
        Reflect::set(&o, &k.into(), &v.into()).expect("set");
    }
    o.into()
}

/// Waits up to three seconds for `selector` inside the widget's shadow root.
async fn find(host: &Element, selector: &str) -> Element {
    for _ in 0..150 {
        if let Some(found) = host
            .shadow_root()
            .and_then(|r| r.query_selector(selector).ok().flatten())
        {
            return found;
        }
        gloo_timers::future::TimeoutFuture::new(20).await;
    }
    panic!("{selector} did not appear in the widget");
}

#[wasm_bindgen_test]
async fn mounts_an_arabic_article_right_to_left_in_a_shadow_root() {
    let _fetch = FakeFetch::install(Answer::Status(200, ARTICLE));
    let el = host();
    let handle = khabar::mount(el.clone(), options("ar", "arab")).expect("mount");

    let headline = find(&el, "h1.headline").await;
    assert_eq!(
        headline.text_content().as_deref(),
        Some("اختبار العنوان: Astana تستضيف المحادثات")
    );
    let root = el.shadow_root().expect("open shadow root");
    let frame = root.first_element_child().expect("frame");
    assert_eq!(frame.get_attribute("dir").as_deref(), Some("rtl"));
    assert_eq!(frame.get_attribute("lang").as_deref(), Some("ar"));
    assert_eq!(
        root.adopted_style_sheets().length(),
        1,
        "stylesheet adopted"
    );

    // Markup inside backend text stays text.
    let body = root
        .query_selector(".article-body")
        .expect("q")
        .expect("body");
    assert_eq!(body.query_selector("img").expect("q"), None);
    assert!(body
        .text_content()
        .unwrap_or_default()
        .contains("<img src=x onerror=alert(1)>"));

    // The bidi override in the source is stripped and the name isolated.
    let source = root
        .query_selector(".source bdi")
        .expect("q")
        .expect("source");
    assert_eq!(source.text_content().as_deref(), Some("وكالة الاختبار"));

    // Dateline through Intl: Sunday 1 January 2017, 10:31 in Riyadh, Arabic digits.
    let time = root
        .query_selector(".published time")
        .expect("q")
        .expect("time");
    assert_eq!(
        time.get_attribute("datetime").as_deref(),
        Some("2017-01-01T07:31:08Z")
    );
    let shown = time.text_content().unwrap_or_default();
    assert!(shown.contains("الأحد"), "weekday in {shown}");
    assert!(shown.contains("يناير"), "month in {shown}");
    assert!(
        shown.contains("٢٠١٧") && shown.contains("١٠:٣١"),
        "digits in {shown}"
    );
    handle.destroy();
}

#[wasm_bindgen_test]
async fn latin_digits_and_english_read_left_to_right() {
    let _fetch = FakeFetch::install(Answer::Status(200, ARTICLE));
    let el = host();
    let _handle = khabar::mount(el.clone(), options("en", "latn")).expect("mount");
    let time = find(&el, ".published time").await;
    let shown = time.text_content().unwrap_or_default();
    assert!(
        shown.contains("Sunday") && shown.contains("January") && shown.contains("2017"),
        "{shown}"
    );
    assert!(shown.contains("10:31"), "{shown}");
    let frame = el
        .shadow_root()
        .expect("root")
        .first_element_child()
        .expect("frame");
    assert_eq!(frame.get_attribute("dir").as_deref(), Some("ltr"));
}

#[wasm_bindgen_test]
async fn malformed_json_shows_an_error_with_a_working_retry() {
    let el = host();
    let fetch = FakeFetch::install(Answer::Status(200, r#"{"id": "x", "title": tru"#));
    let _handle = khabar::mount(el.clone(), options("ar", "arab")).expect("mount");
    let error = find(&el, r#"[data-error-code="bad-response"]"#).await;
    assert_eq!(error.get_attribute("role").as_deref(), Some("alert"));
    assert!(error
        .text_content()
        .unwrap_or_default()
        .contains("وصلتنا من خادم الأخبار بيانات لا يمكن عرضها"));
    drop(fetch);

    let _fetch = FakeFetch::install(Answer::Status(200, ARTICLE));
    let retry: web_sys::HtmlElement = find(&el, "button.retry").await.dyn_into().expect("button");
    assert_eq!(retry.text_content().as_deref(), Some("أعد المحاولة"));
    retry.click();
    find(&el, "h1.headline").await;
}

#[wasm_bindgen_test]
async fn wrong_shape_missing_article_and_dead_network_each_have_their_state() {
    let cases = [
        (
            Answer::Status(200, r#"{"id": 5, "items": []}"#),
            "bad-response",
        ),
        (
            Answer::Status(200, "<html><body>Bad gateway</body></html>"),
            "bad-response",
        ),
        (
            Answer::Status(404, r#"{"error":{"code":"not_found"}}"#),
            "not-found",
        ),
        (Answer::Status(503, "busy"), "server"),
        (Answer::NetworkDown, "network"),
    ];
    for (answer, code) in cases {
        let _fetch = FakeFetch::install(answer);
        let el = host();
        let handle = khabar::mount(el.clone(), options("en", "latn")).expect("mount");
        let error = find(&el, &format!(r#"[data-error-code="{code}"]"#)).await;
        assert!(!error.text_content().unwrap_or_default().is_empty());
        find(&el, "button.retry").await;
        handle.destroy();
    }
}

#[wasm_bindgen_test]
fn unusable_options_are_refused_with_a_code() {
    let el = host();
    let o = Object::new();
    Reflect::set(&o, &"kind".into(), &"article".into()).expect("set");
    let err = khabar::mount(el, o.into()).err().expect("refused");
    let code = Reflect::get(&err, &"code".into()).expect("code");
    assert_eq!(code.as_string().as_deref(), Some("config"));
}

#[wasm_bindgen_test]
async fn destroy_empties_the_widget_and_unmarks_the_host() {
    let _fetch = FakeFetch::install(Answer::Status(200, ARTICLE));
    let el = host();
    let handle = khabar::mount(el.clone(), options("ar", "arab")).expect("mount");
    find(&el, "h1.headline").await;
    assert!(el.has_attribute("data-khabar-mounted"));
    handle.destroy();
    assert_eq!(el.shadow_root().expect("root").child_element_count(), 0);
    assert!(!el.has_attribute("data-khabar-mounted"));
}
