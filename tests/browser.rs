//! Browser tests of the widget (wasm-bindgen-test, headless Chrome and
//! Firefox): `cargo xtask test` runs them with `wasm-pack test`.
//!
//! The real `mount` → fetch → parse → render path runs; only `window.fetch`
//! is replaced, so that each test decides what the "backend" answers.
#![cfg(target_arch = "wasm32")]

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
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
    /// The first route whose method and URL fragment match answers.
    Routes(&'static [Route]),
}

/// (method, URL fragment, status, body); status 0 means "network down".
type Route = (&'static str, &'static str, u16, &'static str);

thread_local! {
    /// Bodies of the POST requests the fake fetch received.
    static POSTED: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn respond(status: u16, body: &str) -> Promise {
    if status == 0 {
        return Promise::reject(&JsValue::from(js_sys::TypeError::new("Failed to fetch")));
    }
    let init = ResponseInit::new();
    init.set_status(status);
    if status == 429 {
        let headers = web_sys::Headers::new().expect("headers");
        headers.set("retry-after", "60").expect("set");
        init.set_headers(&headers);
    }
    let response = Response::new_with_opt_str_and_init(Some(body), &init).expect("response");
    Promise::resolve(&JsValue::from(response))
}

impl FakeFetch {
    fn install(answer: Answer) -> FakeFetch {
        let window = web_sys::window().expect("window");
        let original = Reflect::get(&window, &"fetch".into()).expect("fetch");
        let handler = Closure::wrap(Box::new(move |input: JsValue, init: JsValue| match answer {
            Answer::Status(status, body) => respond(status, body),
            Answer::NetworkDown => respond(0, ""),
            Answer::Routes(routes) => {
                let url = input.as_string().unwrap_or_default();
                let method = Reflect::get(&init, &"method".into())
                    .ok()
                    .and_then(|m| m.as_string())
                    .unwrap_or_else(|| "GET".into());
                if method == "POST" {
                    let body = Reflect::get(&init, &"body".into())
                        .ok()
                        .and_then(|b| b.as_string())
                        .unwrap_or_default();
                    POSTED.with(|p| p.borrow_mut().push(body));
                }
                let route = routes
                    .iter()
                    .find(|(m, fragment, _, _)| *m == method && url.contains(fragment));
                match route {
                    Some((_, _, status, body)) => respond(*status, body),
                    None => respond(404, "{}"),
                }
            }
        }) as Box<dyn FnMut(JsValue, JsValue) -> Promise>);
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
    options_with(&[("lang", lang), ("digits", digits)])
}

/// Article options with `extra` on top (camelCase keys, as JS passes them).
fn options_with(extra: &[(&str, &str)]) -> JsValue {
    let o = Object::new();
    for (k, v) in [
        ("kind", "article"),
        ("articleId", "2017-01-01-test"),
        ("api", "https://api.test/api/v1"),
        ("timeZone", "Asia/Riyadh"),
    ]
    .iter()
    .chain(extra)
    {
        Reflect::set(&o, &(*k).into(), &(*v).into()).expect("set");
    }
    o.into()
}

/// Text with the no-break spaces some ICU versions put before AM/PM made
/// plain, so the same pinned string holds in Chrome and Firefox.
fn plain(s: &str) -> String {
    s.replace(['\u{202f}', '\u{a0}'], " ")
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

/// An article JSON with the given body fields.
fn article_json(body: &str) -> String {
    format!(
        r#"{{"id":"a","url":"https://news.test/section/a","title":"T","published_at":"2017-01-01T07:31:08Z",{body}}}"#
    )
}

#[wasm_bindgen_test]
async fn datelines_are_pinned_for_digits_calendars_and_languages() {
    let cases: [(&[(&str, &str)], &str); 7] = [
        (
            &[("lang", "ar"), ("digits", "arab")],
            "الأحد، ١ يناير ٢٠١٧ في ١٠:٣١ ص",
        ),
        (
            &[("lang", "ar"), ("digits", "latn")],
            "الأحد، 1 يناير 2017 في 10:31 ص",
        ),
        (
            &[
                ("lang", "ar"),
                ("digits", "arab"),
                ("calendar", "islamic-umalqura"),
            ],
            "الأحد، ٣ ربيع الآخر ١٤٣٨ هـ في ١٠:٣١ ص",
        ),
        (&[("lang", "en")], "Sunday, January 1, 2017 at 10:31 AM"),
        (&[("lang", "fa")], "یکشنبه ۱ ژانویهٔ ۲۰۱۷ ساعت ۱۰:۳۱"),
        (&[("lang", "he")], "יום ראשון, 1 בינואר 2017 בשעה 10:31"),
        (&[("lang", "fr")], "dimanche 1 janvier 2017 à 10:31"),
    ];
    for (extra, expected) in cases {
        let _fetch = FakeFetch::install(Answer::Status(200, ARTICLE));
        let el = host();
        let handle = khabar::mount(el.clone(), options_with(extra)).expect("mount");
        let time = find(&el, ".published time").await;
        assert_eq!(
            plain(&time.text_content().unwrap_or_default()),
            expected,
            "{extra:?}"
        );
        handle.destroy();
    }
}

#[wasm_bindgen_test]
async fn every_language_sets_its_direction_and_strings() {
    for (lang, dir, retry) in [
        ("ar", "rtl", "أعد المحاولة"),
        ("fa", "rtl", "تلاش دوباره"),
        ("ur", "rtl", "دوبارہ کوشش کریں"),
        ("he", "rtl", "לנסות שוב"),
        ("en", "ltr", "Try again"),
        ("fr", "ltr", "Réessayer"),
    ] {
        let _fetch = FakeFetch::install(Answer::Status(404, "{}"));
        let el = host();
        let handle = khabar::mount(el.clone(), options_with(&[("lang", lang)])).expect("mount");
        let button = find(&el, "button.retry").await;
        assert_eq!(button.text_content().as_deref(), Some(retry));
        let frame = el
            .shadow_root()
            .expect("root")
            .first_element_child()
            .expect("frame");
        assert_eq!(frame.get_attribute("dir").as_deref(), Some(dir), "{lang}");
        assert_eq!(frame.get_attribute("lang").as_deref(), Some(lang));
        handle.destroy();
    }
}

const PAGE: &str = r#"{"items":[
  {"id":"a","url":"https://news.test/a","title":"الخبر الأول","summary":"ملخص","published_at":"2017-01-01T07:31:08Z",
   "image":{"url":"https://news.test/a.jpg","alt":"صورة"}},
  {"id":"b","url":"javascript:alert(1)","title":"الخبر الثاني","published_at":"2017-01-01T06:00:00Z"}
], "next":"CURSOR"}"#;

#[wasm_bindgen_test]
async fn latest_lists_cards_that_link_to_the_articles() {
    // Only a request for two items is answered: the number option counts.
    let _fetch = FakeFetch::install(Answer::Routes(&[("GET", "limit=2", 200, PAGE)]));
    let el = host();
    // Numbers and booleans as a JS caller (TypeScript) passes them.
    let options = options_with(&[("kind", "latest"), ("lang", "ar")]);
    Reflect::set(&options, &"limit".into(), &JsValue::from(2)).expect("set");
    Reflect::set(&options, &"lazy".into(), &JsValue::FALSE).expect("set");
    let handle = khabar::mount(el.clone(), options).expect("mount");
    let list = find(&el, "ul.items").await;
    let cards = list.query_selector_all("li").expect("q");
    assert_eq!(cards.length(), 2);
    let first = list.query_selector("a.card").expect("q").expect("link");
    assert_eq!(
        first.get_attribute("href").as_deref(),
        Some("https://news.test/a")
    );
    assert_eq!(
        first.get_attribute("target"),
        None,
        "never takes over navigation"
    );
    // A card whose URL is not http(s) is shown without a link.
    assert_eq!(list.query_selector_all("a").expect("q").length(), 1);
    let time = list.query_selector("time").expect("q").expect("time");
    assert!(
        time.text_content().unwrap_or_default().starts_with("قبل"),
        "relative time"
    );
    find(&el, "button.more").await;
    let title = el
        .shadow_root()
        .expect("root")
        .query_selector("h2")
        .expect("q")
        .expect("h2");
    assert_eq!(title.text_content().as_deref(), Some("آخر الأخبار"));
    handle.destroy();
}

#[wasm_bindgen_test]
async fn more_appends_the_next_page_and_disappears_on_the_last() {
    let fetch = FakeFetch::install(Answer::Status(200, PAGE));
    let el = host();
    let _handle = khabar::mount(
        el.clone(),
        options_with(&[("kind", "latest"), ("lang", "en")]),
    )
    .expect("mount");
    let more: web_sys::HtmlElement = find(&el, "button.more").await.dyn_into().expect("button");
    drop(fetch);
    let _fetch = FakeFetch::install(Answer::Status(
        200,
        r#"{"items":[{"id":"c","url":"https://news.test/c","title":"Third","published_at":"2017-01-01T05:00:00Z"}],"next":null}"#,
    ));
    more.click();
    for _ in 0..150 {
        if el
            .shadow_root()
            .expect("root")
            .query_selector("button.more")
            .expect("q")
            .is_none()
        {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(20).await;
    }
    let root = el.shadow_root().expect("root");
    assert_eq!(
        root.query_selector_all("ul.items > li")
            .expect("q")
            .length(),
        3
    );
    assert!(root.query_selector("button.more").expect("q").is_none());
}

#[wasm_bindgen_test]
async fn a_card_shows_one_article_as_a_link() {
    let _fetch = FakeFetch::install(Answer::Status(200, ARTICLE));
    let el = host();
    let _handle = khabar::mount(
        el.clone(),
        options_with(&[("kind", "card"), ("lang", "ar")]),
    )
    .expect("mount");
    let card = find(&el, "a.card").await;
    assert_eq!(
        card.get_attribute("href").as_deref(),
        Some("https://news.test/a")
    );
    let title = card
        .query_selector(".card-title")
        .expect("q")
        .expect("title");
    assert_eq!(
        title.text_content().as_deref(),
        Some("اختبار العنوان: Astana تستضيف المحادثات")
    );
}

/// Hostile HTML bodies: after the rebuild nothing may run, and only the
/// allowlist may remain.
const HOSTILE: &[&str] = &[
    "<script>window.__pwned=1</script><p>ok</p>",
    "<img src=x onerror=\"window.__pwned=1\">",
    "<img src=\"https://x.test/i.png\" onload=\"window.__pwned=1\">",
    "<svg onload=\"window.__pwned=1\"><script>window.__pwned=1</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=\"window.__pwned=1\">",
    "<iframe srcdoc=\"<script>parent.__pwned=1</script>\"></iframe>",
    "<object data=\"javascript:window.__pwned=1\"></object><embed src=\"javascript:1\">",
    "<a href=\"javascript:window.__pwned=1\">x</a>",
    "<a href=\"JaVaScRiPt:window.__pwned=1\">x</a>",
    "<a href=\" &#x6A;avascript:window.__pwned=1\">x</a>",
    "<a href=\"java&#09;script:window.__pwned=1\">x</a>",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<form><button formaction=\"javascript:window.__pwned=1\">x</button></form>",
    "<svg><a xlink:href=\"javascript:window.__pwned=1\"><text>x</text></a></svg>",
    "<template><img src=x onerror=\"window.__pwned=1\"></template>",
    "<noscript><p title=\"</noscript><img src=x onerror=window.__pwned=1>\"></noscript>",
    "<p style=\"background:url(javascript:1)\" onclick=\"window.__pwned=1\">styled</p>",
    "<style>*{color:red}</style><link rel=stylesheet href=https://x.test/s.css>",
    "<div><div><div><p>deep <b>bold <i>it</i></b></p></div></div></div>",
    "<p>unclosed <b>bold <i>italic</p><ul><li>one<li>two</ul>",
    "<details open ontoggle=\"window.__pwned=1\">x</details>",
    "<input autofocus onfocus=\"window.__pwned=1\">",
    "<video><source onerror=\"window.__pwned=1\"></video>",
    "<base href=\"javascript:/\"><a href=\"x\">rel</a>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:1\">",
    "\"><img src=x onerror=window.__pwned=1>",
    "<a href=\"/relative/ok\">relative</a><img src=\"../i.png\" alt=\"rel\">",
];

#[wasm_bindgen_test]
async fn hostile_html_bodies_are_rebuilt_harmless() {
    let window = web_sys::window().expect("window");
    for html in HOSTILE {
        Reflect::set(&window, &"__pwned".into(), &JsValue::from(0)).expect("reset");
        let body = serde_json::to_string(html).expect("json string");
        let json: &'static str =
            Box::leak(article_json(&format!(r#""body_html":{body}"#)).into_boxed_str());
        let _fetch = FakeFetch::install(Answer::Status(200, json));
        let el = host();
        let handle = khabar::mount(el.clone(), options_with(&[("lang", "en")])).expect("mount");
        let body = find(&el, ".article-body").await;
        // Give any error/load handler a chance to fire.
        gloo_timers::future::TimeoutFuture::new(50).await;
        let all = body.query_selector_all("*").expect("q");
        for i in 0..all.length() {
            let node: Element = all.item(i).expect("item").dyn_into().expect("element");
            let tag = node.local_name();
            assert!(
                khabar::sanitize::ALLOWED.contains(&tag.as_str()),
                "<{tag}> survived from {html}"
            );
            let names = node.get_attribute_names();
            for name in names.iter() {
                let name = name.as_string().unwrap_or_default();
                assert!(!name.starts_with("on"), "{name} survived from {html}");
                assert!(
                    [
                        "href",
                        "src",
                        "alt",
                        "rel",
                        "dir",
                        "loading",
                        "decoding",
                        "referrerpolicy"
                    ]
                    .contains(&name.as_str()),
                    "attribute {name} survived from {html}"
                );
                if name == "href" || name == "src" {
                    let url = node.get_attribute(&name).unwrap_or_default();
                    assert!(
                        url.starts_with("https://")
                            || url.starts_with("http://")
                            || url.starts_with("mailto:"),
                        "{url} survived from {html}"
                    );
                }
            }
        }
        let pwned = Reflect::get(&window, &"__pwned".into()).expect("flag");
        assert_eq!(pwned.as_f64(), Some(0.0), "script ran for {html}");
        handle.destroy();
    }
}

#[wasm_bindgen_test]
async fn html_bodies_keep_structure_and_resolve_relative_links() {
    let html = "<h2>عنوان</h2><p>نص <strong>قوي</strong> و<a href=\"/other\">رابط</a></p><ul><li>١</li></ul><figure><img src=\"/i.png\" alt=\"وصف\"><figcaption>تعليق</figcaption></figure>";
    let body = serde_json::to_string(html).expect("json");
    let json: &'static str =
        Box::leak(article_json(&format!(r#""body_html":{body}"#)).into_boxed_str());
    let _fetch = FakeFetch::install(Answer::Status(200, json));
    let el = host();
    let _handle = khabar::mount(el.clone(), options("ar", "arab")).expect("mount");
    let body = find(&el, ".article-body").await;
    let link = body.query_selector("a").expect("q").expect("a");
    assert_eq!(
        link.get_attribute("href").as_deref(),
        Some("https://news.test/other")
    );
    assert_eq!(
        link.get_attribute("rel").as_deref(),
        Some("noopener noreferrer nofollow")
    );
    let img = body.query_selector("figure img").expect("q").expect("img");
    assert_eq!(
        img.get_attribute("src").as_deref(),
        Some("https://news.test/i.png")
    );
    assert_eq!(img.get_attribute("alt").as_deref(), Some("وصف"));
    assert!(body.query_selector("h2").expect("q").is_some());
    assert!(body.query_selector("strong").expect("q").is_some());
    assert!(body.query_selector("figcaption").expect("q").is_some());
}

// ---- comments -------------------------------------------------------------

const NO_COMMENTS: &str = r#"{"items":[],"next":null,"total":0}"#;
const ONE_COMMENT: &str = r#"{"items":[{"id":1,"author":"\u202eسارة","body":"سطر أول\nسطر ثانٍ","created_at":"2017-01-01T07:31:08Z","parent_id":null,
  "replies":[{"id":2,"author":"Omar","body":"رد","created_at":"2017-01-01T08:00:00Z","parent_id":1}]}],"next":null,"total":2}"#;

fn comments_options(lang: &str, article: &str) -> JsValue {
    options_with(&[("kind", "comments"), ("lang", lang), ("articleId", article)])
}

fn clear_storage() {
    let storage = web_sys::window()
        .expect("w")
        .local_storage()
        .expect("ls")
        .expect("ls");
    storage.clear().expect("clear");
    POSTED.with(|p| p.borrow_mut().clear());
}

fn type_into(el: &Element, text: &str) {
    if let Some(area) = el.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        area.set_value(text);
    } else if let Some(input) = el.dyn_ref::<web_sys::HtmlInputElement>() {
        input.set_value(text);
    }
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let event = web_sys::Event::new_with_event_init_dict("input", &init).expect("event");
    el.dispatch_event(&event).expect("dispatch");
}

fn click(el: &Element) {
    el.clone()
        .dyn_into::<web_sys::HtmlElement>()
        .expect("html")
        .click();
}

async fn wait_for_text(el: &Element, selector: &str, expected: &str) {
    for _ in 0..150 {
        let text = el
            .shadow_root()
            .and_then(|r| r.query_selector(selector).ok().flatten())
            .and_then(|e| e.text_content())
            .unwrap_or_default();
        if text.contains(expected) {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(20).await;
    }
    panic!("{selector} never said {expected}");
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
    assert_eq!(body.get_attribute("dir").as_deref(), Some("auto"));
    assert_eq!(body.query_selector_all("br").expect("q").length(), 1);
    let reply = first
        .query_selector("ol.replies > li.comment[data-id=\"2\"]")
        .expect("q");
    assert!(reply.is_some(), "reply nested under its parent");
    let time = first.query_selector("time").expect("q").expect("time");
    assert!(
        time.get_attribute("title")
            .unwrap_or_default()
            .contains("٢٠١٧"),
        "exact time on hover"
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
        .get_item("khabar:draft:https://api.test/api/v1:c-4")
        .expect("get")
        .is_none());
    assert!(storage
        .get_item("khabar:pending:https://api.test/api/v1:c-4")
        .expect("get")
        .is_some_and(|v| v.contains("تعليق لا يضيع")));
}

// ---- reader actions ----------------------------------------------------------

const CONFIG: &str = r#"{"site_name":"خبر اليوم","capabilities":{"comments":true,"send_to_friend":true},"feeds":{"rss":"https://api.test/feed.xml"}}"#;
const ARABIC_ARTICLE: &str = r#"{"id":"2017-01-01-test","url":"https://news.test/a?x=1","title":"خبر عاجل & مهم","summary":"ملخص","published_at":"2017-01-01T07:31:08Z","body":[{"type":"paragraph","text":"نص"}],"comments_open":false}"#;

fn key(el: &Element, key: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_composed(true);
    let event =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).expect("event");
    el.dispatch_event(&event).expect("dispatch");
}

#[wasm_bindgen_test]
async fn the_share_menu_encodes_arabic_titles_and_is_a_keyboard_disclosure() {
    let _fetch = FakeFetch::install(Answer::Routes(&[
        ("GET", "/config", 200, CONFIG),
        ("GET", "/articles/", 200, ARABIC_ARTICLE),
    ]));
    let el = host();
    let _handle = khabar::mount(
        el.clone(),
        options_with(&[("lang", "ar"), ("shareUtm", "winter")]),
    )
    .expect("mount");
    let toggle = find(&el, "button.share-toggle").await;
    assert_eq!(
        toggle.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
    assert_eq!(
        toggle.get_attribute("aria-controls").as_deref(),
        Some("kh-share-menu")
    );
    click(&toggle);
    let root = el.shadow_root().expect("root");
    let menu = root
        .query_selector("#kh-share-menu")
        .expect("q")
        .expect("menu");
    assert!(!menu.has_attribute("hidden"));
    assert_eq!(
        toggle.get_attribute("aria-expanded").as_deref(),
        Some("true")
    );
    // Focus moved into the menu.
    let active = root.active_element().expect("focus in the widget");
    assert!(active.class_name().contains("copy-link"));

    let link = |network: &str| {
        menu.query_selector(&format!("a[data-network={network}]"))
            .expect("q")
            .expect("link")
            .get_attribute("href")
            .unwrap_or_default()
    };
    let telegram = link("telegram");
    assert!(telegram.starts_with("https://t.me/share/url?url=https%3A%2F%2Fnews.test%2Fa%3Fx%3D1%26utm_source%3Dtelegram%26utm_medium%3Dsocial%26utm_campaign%3Dwinter"), "{telegram}");
    assert!(
        telegram.ends_with(
            "&text=%D8%AE%D8%A8%D8%B1%20%D8%B9%D8%A7%D8%AC%D9%84%20%26%20%D9%85%D9%87%D9%85"
        ),
        "{telegram}"
    );
    assert!(link("whatsapp").starts_with("https://wa.me/?text=%D8%AE%D8%A8%D8%B1"));
    assert!(link("email").starts_with("mailto:?subject=%D8%AE%D8%A8%D8%B1"));
    let x = menu
        .query_selector("a[data-network=x]")
        .expect("q")
        .expect("x");
    assert_eq!(
        x.get_attribute("rel").as_deref(),
        Some("noopener noreferrer")
    );

    // Escape closes and gives focus back to the toggle.
    key(&active, "Escape");
    assert!(menu.has_attribute("hidden"));
    assert_eq!(
        toggle.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
    let active = root.active_element().expect("focus");
    assert!(active.class_name().contains("share-toggle"));

    // The backend can send e-mail: the action shows; the RSS link follows /config.
    let send = find(&el, "button.send-toggle:not([hidden])").await;
    assert_eq!(send.text_content().as_deref(), Some("أرسل إلى صديق"));
    let rss = root.query_selector("a.rss").expect("q").expect("rss");
    assert_eq!(
        rss.get_attribute("href").as_deref(),
        Some("https://api.test/feed.xml")
    );
}

#[wasm_bindgen_test]
async fn send_to_a_friend_checks_fields_and_keeps_what_was_typed_on_failure() {
    let fetch = FakeFetch::install(Answer::Routes(&[
        ("GET", "/config", 200, CONFIG),
        ("GET", "/articles/", 200, ARABIC_ARTICLE),
        ("POST", "/send", 0, ""),
    ]));
    let el = host();
    let _handle = khabar::mount(el.clone(), options_with(&[("lang", "en")])).expect("mount");
    let toggle = find(&el, "button.send-toggle:not([hidden])").await;
    click(&toggle);
    let root = el.shadow_root().expect("root");
    let form = root.query_selector("#kh-send").expect("q").expect("form");
    assert!(!form.has_attribute("hidden"));
    let submit = form
        .query_selector("button.send")
        .expect("q")
        .expect("send");
    click(&submit);
    wait_for_text(&el, "#ks-from_name-error", "Please give your name.").await;
    wait_for_text(&el, "#ks-to_email-error", "not valid").await;
    type_into(
        &root.query_selector("#ks-from_name").expect("q").expect("n"),
        "Sara",
    );
    type_into(
        &root
            .query_selector("#ks-from_email")
            .expect("q")
            .expect("f"),
        "sara@example.org",
    );
    type_into(
        &root.query_selector("#ks-to_email").expect("q").expect("t"),
        "friend@example.net",
    );
    type_into(
        &root.query_selector("#ks-message").expect("q").expect("m"),
        "Read this",
    );
    click(&submit);
    wait_for_text(&el, "#kh-send .form-status", "what you typed is kept").await;
    let message: web_sys::HtmlTextAreaElement = root
        .query_selector("#ks-message")
        .expect("q")
        .expect("m")
        .dyn_into()
        .expect("area");
    assert_eq!(message.value(), "Read this");
    drop(fetch);
    let _fetch = FakeFetch::install(Answer::Routes(&[(
        "POST",
        "/send",
        202,
        r#"{"status":"sent"}"#,
    )]));
    click(&submit);
    wait_for_text(&el, "#kh-send .form-status", "on its way").await;
    assert_eq!(message.value(), "", "the note goes once sent");
}
