//! What every browser test needs: a fake backend in place of
//! `window.fetch`, a host element, options, and waiting for the widget.

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, Response, ResponseInit};

pub const ARTICLE: &str = r#"{
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
pub struct FakeFetch {
    original: JsValue,
    _handler: Closure<dyn FnMut(JsValue, JsValue) -> Promise>,
}

pub enum Answer {
    Status(u16, &'static str),
    NetworkDown,
    /// Like `Status`, after this many milliseconds.
    Delayed(u32, u16, &'static str),
    /// The first route whose method and URL fragment match answers.
    Routes(&'static [Route]),
}

/// (method, URL fragment, status, body); status 0 means "network down".
pub type Route = (&'static str, &'static str, u16, &'static str);

thread_local! {
    /// Bodies of the POST requests the fake fetch received.
    pub static POSTED: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
    /// "METHOD url" of every request a `Routes` fake fetch received.
    pub static REQUESTED: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

pub fn respond(status: u16, body: &str) -> Promise {
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
    pub fn install(answer: Answer) -> FakeFetch {
        let window = web_sys::window().expect("window");
        let original = Reflect::get(&window, &"fetch".into()).expect("fetch");
        let handler = Closure::wrap(Box::new(move |input: JsValue, init: JsValue| {
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
            match answer {
                Answer::Status(status, body) => respond(status, body),
                Answer::NetworkDown => respond(0, ""),
                Answer::Delayed(ms, status, body) => Promise::new(&mut |resolve, _reject| {
                    gloo_timers::callback::Timeout::new(ms, move || {
                        let _ = resolve.call1(&JsValue::NULL, &respond(status, body));
                    })
                    .forget();
                }),
                Answer::Routes(routes) => {
                    let url = input.as_string().unwrap_or_default();
                    REQUESTED.with(|r| r.borrow_mut().push(format!("{method} {url}")));
                    let route = routes
                        .iter()
                        .find(|(m, fragment, _, _)| *m == method && url.contains(fragment));
                    match route {
                        Some((_, _, status, body)) => respond(*status, body),
                        None => respond(404, "{}"),
                    }
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

#[wasm_bindgen(module = "/js/request.js")]
extern "C" {
    #[wasm_bindgen(thread_local_v2, js_name = request)]
    static REQUEST: JsValue;
    #[wasm_bindgen(thread_local_v2, js_name = settle)]
    static SETTLE: JsValue;
    #[wasm_bindgen(thread_local_v2, js_name = fetchAhead)]
    static FETCH_AHEAD: JsValue;
    #[wasm_bindgen(thread_local_v2, js_name = forgetAhead)]
    static FORGET_AHEAD: JsValue;
}

#[wasm_bindgen(module = "/js/page.js")]
extern "C" {
    #[wasm_bindgen(thread_local_v2, js_name = isDark)]
    static IS_DARK: JsValue;
    #[wasm_bindgen(thread_local_v2, js_name = near)]
    static NEAR: JsValue;
}

#[wasm_bindgen(module = "/js/dates.js")]
extern "C" {
    #[wasm_bindgen(thread_local_v2, js_name = dateline)]
    static DATELINE: JsValue;
    #[wasm_bindgen(thread_local_v2, js_name = relative)]
    static RELATIVE: JsValue;
    #[wasm_bindgen(thread_local_v2, js_name = count)]
    static COUNT: JsValue;
}

/// A language's catalog file as the loader hands it to `relative` and
/// `dateline`.
pub fn catalog_file(tag: &str) -> JsValue {
    let text = match tag {
        "ar" => include_str!("../../src/i18n/ar.json"),
        "fa" => include_str!("../../src/i18n/fa.json"),
        "ur" => include_str!("../../src/i18n/ur.json"),
        "he" => include_str!("../../src/i18n/he.json"),
        "en" => include_str!("../../src/i18n/en.json"),
        "fr" => include_str!("../../src/i18n/fr.json"),
        _ => return JsValue::UNDEFINED,
    };
    js_sys::JSON::parse(text).expect("catalog")
}

/// A fresh host element in the page (and the module given the loader's
/// functions, which the loader hands over; these tests have no loader).
pub fn host() -> Element {
    let functions = Object::new();
    for (name, f) in [
        ("request", &REQUEST),
        ("settle", &SETTLE),
        ("fetchAhead", &FETCH_AHEAD),
        ("forgetAhead", &FORGET_AHEAD),
        ("count", &COUNT),
        ("darkPage", &IS_DARK),
        ("near", &NEAR),
    ] {
        f.with(|f| Reflect::set(&functions, &name.into(), f).expect("set"));
    }
    // The loader's `relative`, given the catalog of the widget's language.
    let relative =
        Closure::<dyn Fn(String, JsValue) -> JsValue>::new(|lang: String, digits: JsValue| {
            RELATIVE.with(|f| {
                f.unchecked_ref::<js_sys::Function>()
                    .call3(&JsValue::NULL, &catalog_file(&lang), &lang.into(), &digits)
                    .expect("relative")
            })
        });
    Reflect::set(&functions, &"relative".into(), &relative.into_js_value()).expect("set");
    // And its `dateline`, given the same catalog.
    let dateline = Closure::<dyn Fn(String, JsValue, JsValue, JsValue) -> JsValue>::new(
        |lang: String, digits: JsValue, calendar: JsValue, zone: JsValue| {
            let args = js_sys::Array::of5(
                &lang.clone().into(),
                &digits,
                &calendar,
                &zone,
                &catalog_file(&lang),
            );
            DATELINE.with(|f| {
                f.unchecked_ref::<js_sys::Function>()
                    .apply(&JsValue::NULL, &args)
                    .expect("dateline")
            })
        },
    );
    Reflect::set(&functions, &"dateline".into(), &dateline.into_js_value()).expect("set");
    khabar::set_host(functions.unchecked_into());
    let doc = web_sys::window()
        .expect("window")
        .document()
        .expect("document");
    let el = doc.create_element("div").expect("div");
    doc.body().expect("body").append_child(&el).expect("append");
    el
}

pub fn options(lang: &str, digits: &str) -> JsValue {
    options_with(&[("lang", lang), ("digits", digits)])
}

/// Article options with `extra` on top (camelCase keys, as JS passes them).
pub fn options_with(extra: &[(&str, &str)]) -> JsValue {
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
pub fn plain(s: &str) -> String {
    s.replace(['\u{202f}', '\u{a0}'], " ")
}

/// Waits up to three seconds for `selector` inside the widget's shadow root.
pub async fn find(host: &Element, selector: &str) -> Element {
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

/// An article JSON with the given body fields.
pub fn article_json(body: &str) -> String {
    format!(
        r#"{{"id":"a","url":"https://news.test/section/a","title":"T","published_at":"2017-01-01T07:31:08Z",{body}}}"#
    )
}

pub fn clear_storage() {
    let storage = web_sys::window()
        .expect("w")
        .local_storage()
        .expect("ls")
        .expect("ls");
    storage.clear().expect("clear");
    POSTED.with(|p| p.borrow_mut().clear());
    REQUESTED.with(|r| r.borrow_mut().clear());
}

pub fn type_into(el: &Element, text: &str) {
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

pub fn click(el: &Element) {
    el.clone()
        .dyn_into::<web_sys::HtmlElement>()
        .expect("html")
        .click();
}

pub async fn wait_for_text(el: &Element, selector: &str, expected: &str) {
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

pub fn key(el: &Element, key: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_composed(true);
    let event =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).expect("event");
    el.dispatch_event(&event).expect("dispatch");
}

/// Replaces `window.print` with a no-op until dropped, so that the print
/// button marks the page without opening a dialog.
pub struct NoPrintDialog(JsValue);

impl NoPrintDialog {
    pub fn install() -> NoPrintDialog {
        let window = web_sys::window().expect("window");
        let original = Reflect::get(&window, &"print".into()).expect("print");
        let noop = js_sys::Function::new_no_args("");
        Reflect::set(&window, &"print".into(), &noop).expect("set print");
        NoPrintDialog(original)
    }
}

impl Drop for NoPrintDialog {
    fn drop(&mut self) {
        let window = web_sys::window().expect("window");
        let _ = Reflect::set(&window, &"print".into(), &self.0);
    }
}

/// Waits up to three seconds for `done`.
pub async fn wait_until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..150 {
        if done() {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(20).await;
    }
    panic!("{what} did not happen");
}
