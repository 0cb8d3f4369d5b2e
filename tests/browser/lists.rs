//! `latest` lists: cards, and "more" paging.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

use crate::support::*;

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

const COUNTED: &str = r#"{"items":[
  {"id":"a","url":"https://news.test/a","title":"الخبر الأول","published_at":"2017-01-01T07:31:08Z","comment_count":3},
  {"id":"b","url":"https://news.test/b","title":"الخبر الثاني","published_at":"2017-01-01T06:00:00Z","comment_count":12}
], "next":null}"#;

#[wasm_bindgen_test]
async fn comment_counts_show_only_when_asked_in_the_readers_digits() {
    let _fetch = FakeFetch::install(Answer::Status(200, COUNTED));
    let el = host();
    // A boolean, as a TypeScript caller passes it.
    let options = options_with(&[("kind", "latest"), ("lang", "ar")]);
    Reflect::set(&options, &"commentCounts".into(), &JsValue::TRUE).expect("set");
    let handle = khabar::mount(el.clone(), options).expect("mount");
    let list = find(&el, "ul.items").await;
    let counts = list.query_selector_all(".comment-count").expect("q");
    assert_eq!(counts.length(), 2);
    let first = list
        .query_selector(".card-time .comment-count")
        .expect("q")
        .expect("on the time's line");
    assert_eq!(first.text_content().as_deref(), Some("التعليقات: ٣"));
    let second = counts.item(1).expect("second").text_content();
    assert_eq!(second.as_deref(), Some("التعليقات: ١٢"));
    handle.destroy();

    let el = host();
    let handle = khabar::mount(
        el.clone(),
        options_with(&[("kind", "latest"), ("lang", "ar")]),
    )
    .expect("mount");
    let list = find(&el, "ul.items").await;
    assert_eq!(list.query_selector_all("li").expect("q").length(), 2);
    assert!(
        list.query_selector(".comment-count").expect("q").is_none(),
        "off by default"
    );
    handle.destroy();
}
