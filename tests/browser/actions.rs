//! The reader's actions: the share menu and send-to-a-friend.

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

use crate::support::*;

const CONFIG: &str = r#"{"site_name":"خبر اليوم","capabilities":{"comments":true,"send_to_friend":true},"feeds":{"rss":"https://api.test/feed.xml"}}"#;

const ARABIC_ARTICLE: &str = r#"{"id":"2017-01-01-test","url":"https://news.test/a?x=1","title":"خبر عاجل & مهم","summary":"ملخص","published_at":"2017-01-01T07:31:08Z","body":[{"type":"paragraph","text":"نص"}],"comments_open":false}"#;

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
    POSTED.with(|p| p.borrow_mut().clear());
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
    // Neither Escape nor the toggle closes the form while it sends: its
    // answer would go unseen. Once answered, Escape closes it.
    let _fetch = FakeFetch::install(Answer::Delayed(300, 202, r#"{"status":"sent"}"#));
    click(&submit);
    assert_eq!(form.get_attribute("aria-busy").as_deref(), Some("true"));
    key(&message, "Escape");
    assert!(!form.has_attribute("hidden"), "Escape while sending");
    click(&toggle);
    assert!(!form.has_attribute("hidden"), "the toggle while sending");
    assert_eq!(
        toggle.get_attribute("aria-expanded").as_deref(),
        Some("true")
    );
    wait_for_text(&el, "#kh-send .form-status", "on its way").await;
    assert_eq!(message.value(), "", "the note goes once sent");
    key(&message, "Escape");
    assert!(form.has_attribute("hidden"), "closed once answered");
    // Sent again after the network error, the request kept its key (the
    // server sends one mail for it); the next friend's gets a new one.
    click(&toggle);
    type_into(
        &root.query_selector("#ks-to_email").expect("q").expect("t"),
        "friend@example.net",
    );
    click(&submit);
    wait_until("a third send", || POSTED.with(|p| p.borrow().len()) == 3).await;
    let keys: Vec<String> = POSTED.with(|p| {
        p.borrow()
            .iter()
            .map(|b| {
                let v: serde_json::Value = serde_json::from_str(b).expect("JSON");
                v["idempotency_key"].as_str().expect("key").to_owned()
            })
            .collect()
    });
    assert_eq!(keys[0], keys[1], "the same request, its same key");
    assert_ne!(keys[1], keys[2], "a new request, a new key");
}

/// A host page's own article with an `actions` placeholder inside it.
fn host_article(id: &str) -> (web_sys::Element, web_sys::Element) {
    let doc = web_sys::window().expect("w").document().expect("d");
    let article = doc.create_element("article").expect("article");
    article.set_id(id);
    let slot = doc.create_element("div").expect("div");
    article.append_child(&slot).expect("append");
    doc.body()
        .expect("body")
        .append_child(&article)
        .expect("append");
    (article, slot)
}

#[wasm_bindgen_test]
async fn the_actions_kind_shows_the_row_alone_and_prints_the_hosts_article() {
    let _fetch = FakeFetch::install(Answer::Routes(&[
        ("GET", "/config", 200, CONFIG),
        ("GET", "/articles/", 200, ARABIC_ARTICLE),
    ]));
    let _print = NoPrintDialog::install();
    let html = web_sys::window()
        .expect("w")
        .document()
        .expect("d")
        .document_element()
        .expect("html");

    // Default: the nearest <article> around the placeholder.
    let (article, slot) = host_article("own-story");
    let handle = khabar::mount(slot.clone(), options_with(&[("kind", "actions")])).expect("mount");
    let print = find(&slot, "button.print").await;
    let root = slot.shadow_root().expect("root");
    assert!(root.query_selector(".headline").expect("q").is_none());
    assert!(root.query_selector(".comments").expect("q").is_none());
    let frame = root.query_selector(".khabar").expect("q").expect("frame");
    assert_eq!(frame.get_attribute("data-kind").as_deref(), Some("actions"));
    click(&print);
    wait_until("print marks", || html.has_attribute("data-khabar-printing")).await;
    assert!(article.has_attribute("data-khabar-print-root"));
    assert!(!slot.has_attribute("data-khabar-print-root"));
    handle.destroy();
    assert!(!article.has_attribute("data-khabar-print-root"));
    assert!(!html.has_attribute("data-khabar-printing"));

    // printTarget (data-khabar-print-target) names another element of the page.
    let (elsewhere, _) = host_article("elsewhere");
    let handle = khabar::mount(
        slot.clone(),
        options_with(&[("kind", "actions"), ("printTarget", "#elsewhere")]),
    )
    .expect("mount");
    click(&find(&slot, "button.print").await);
    wait_until("print marks", || {
        elsewhere.has_attribute("data-khabar-print-root")
    })
    .await;
    assert!(!article.has_attribute("data-khabar-print-root"));
    handle.destroy();
    article.remove();
    elsewhere.remove();
}
