//! Mounting, errors and retry, destroying.

use js_sys::{Object, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

use crate::support::*;

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

#[wasm_bindgen_test]
async fn an_element_that_cannot_hold_a_shadow_root_gets_the_widget_in_a_box_inside() {
    let _fetch = FakeFetch::install(Answer::Status(200, ARTICLE));
    // A list of cards, as a site's markup often has it: `<li>` cannot hold
    // a shadow root (attachShadow throws NotSupportedError).
    let list = host();
    let doc = list.owner_document().expect("document");
    let item = doc.create_element("li").expect("li");
    list.append_child(&item).expect("append");
    let handle = khabar::mount(item.clone(), options("ar", "arab")).expect("mount");
    let inner = item
        .query_selector(":scope > [data-khabar-box]")
        .expect("q")
        .expect("the box inside the item");
    find(&inner, "h1.headline").await;
    assert!(item.has_attribute("data-khabar-mounted"));
    assert!(item.shadow_root().is_none());
    // Mounted again: the same box, not a second one.
    handle.destroy();
    assert_eq!(inner.shadow_root().expect("root").child_element_count(), 0);
    assert!(!item.has_attribute("data-khabar-mounted"));
    let _handle = khabar::mount(item.clone(), options("ar", "arab")).expect("again");
    find(&inner, "h1.headline").await;
    assert_eq!(item.child_element_count(), 1);
}

/// An article the host page already has, for `showJson`.
fn page_article() -> wasm_bindgen::JsValue {
    js_sys::JSON::parse(
        r#"{"id":"from-page","url":"https://news.test/p","title":"From the page","published_at":"2017-01-01T07:31:08Z","body":[{"type":"paragraph","text":"p"}]}"#,
    )
    .expect("json")
}

fn headline(host: &web_sys::Element) -> Option<String> {
    host.shadow_root()?
        .query_selector("h1.headline")
        .ok()??
        .text_content()
}

#[wasm_bindgen_test]
async fn show_json_wins_over_a_request_still_in_flight() {
    let _fetch = FakeFetch::install(Answer::Delayed(100, 200, ARTICLE));
    let el = host();
    let handle = khabar::mount(el.clone(), options("ar", "arab")).expect("mount");
    handle.show_json(page_article());
    wait_until("showJson's article", || {
        headline(&el).as_deref() == Some("From the page")
    })
    .await;
    // Long after the fetch has answered, what the page showed stays.
    gloo_timers::future::TimeoutFuture::new(300).await;
    assert_eq!(headline(&el).as_deref(), Some("From the page"));
    handle.destroy();
}

#[wasm_bindgen_test]
async fn show_json_takes_the_previous_actions_row_down_with_its_print_marks() {
    let _fetch = FakeFetch::install(Answer::Status(200, ARTICLE));
    let _print = NoPrintDialog::install();
    let el = host();
    let handle = khabar::mount(el.clone(), options("ar", "arab")).expect("mount");
    click(&find(&el, "button.print").await);
    let html = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .expect("html");
    assert!(html.has_attribute("data-khabar-printing"));
    assert!(el.has_attribute("data-khabar-print-root"));
    handle.show_json(page_article());
    assert_eq!(headline(&el).as_deref(), Some("From the page"));
    assert!(!html.has_attribute("data-khabar-printing"));
    assert!(!el.has_attribute("data-khabar-print-root"));
    handle.destroy();
}

#[wasm_bindgen_test]
async fn a_mounted_widget_whose_host_leaves_the_page_is_destroyed() {
    let _fetch = FakeFetch::install(Answer::Status(200, ARTICLE));
    let el = host();
    // The handle is dropped at once, as pages often do.
    drop(khabar::mount(el.clone(), options("ar", "arab")).expect("mount"));
    find(&el, "h1.headline").await;
    // What the loader's observer of the page does after each change.
    khabar::auto_mount(None);
    assert!(el.has_attribute("data-khabar-mounted"), "still on the page");
    el.remove();
    khabar::auto_mount(None);
    assert!(!el.has_attribute("data-khabar-mounted"));
    assert_eq!(el.shadow_root().expect("root").child_element_count(), 0);
}
