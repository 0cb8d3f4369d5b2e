//! Articles and cards: direction, languages, datelines and the rebuilt
//! HTML body.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::Element;

use crate::support::*;

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

/// An Arabic article whose `body_html` is `html`, mounted: its rebuilt
/// body, with the fake answer and the handle that must outlive it.
async fn arabic_html_body(html: &str) -> (Element, FakeFetch, khabar::WidgetHandle) {
    let body = serde_json::to_string(html).expect("json");
    let json: &'static str =
        Box::leak(article_json(&format!(r#""body_html":{body}"#)).into_boxed_str());
    let fetch = FakeFetch::install(Answer::Status(200, json));
    let el = host();
    let handle = khabar::mount(el.clone(), options("ar", "arab")).expect("mount");
    (find(&el, ".article-body").await, fetch, handle)
}

/// Each block of an Arabic story takes the direction of most of its
/// letters (one that opens with a brand name stays right to left); an
/// image keeps its size and fits the column; a picture's and a lazy
/// page's `noscript` image, spans and marked text stay.
#[wasm_bindgen_test]
async fn html_bodies_keep_direction_sizes_and_marked_text() {
    let html = "<p>Apple تكشف عن هاتفها الجديد في الرياض</p>\
        <p>\u{201c}The port reopens today,\u{201d} said محمد.</p>\
        <picture><source srcset=\"/wide.avif\"><img src=\"/wide.jpg\" width=\"1600\" height=\"900\" alt=\"الميناء\"></picture>\
        <img src=\"data:image/gif;base64,R0l\"><noscript><img src=\"/real.jpg\"></noscript>\
        <table><tr><td colspan=\"2\">أ</td></tr></table>\
        <p><del>15</del> 17 km<sup>2</sup></p>";
    let (body, _fetch, _handle) = arabic_html_body(html).await;
    let paragraphs = body.query_selector_all("p").expect("q");
    let dir = |i: u32| {
        paragraphs
            .item(i)
            .and_then(|p| p.dyn_into::<Element>().ok())
            .and_then(|p| p.get_attribute("dir"))
    };
    assert_eq!(dir(0).as_deref(), Some("rtl"));
    assert_eq!(dir(1).as_deref(), Some("ltr"));
    let images = body.query_selector_all("img").expect("q");
    assert_eq!(images.length(), 2, "the picture's image and the noscript's");
    let wide = images
        .item(0)
        .expect("img")
        .dyn_into::<Element>()
        .expect("el");
    assert_eq!(wide.get_attribute("width").as_deref(), Some("1600"));
    assert_eq!(wide.get_attribute("height").as_deref(), Some("900"));
    let (width, column) = (wide.client_width(), body.client_width());
    assert!(
        width > 0 && width <= column,
        "fits its column: {width} of {column}"
    );
    let real = images
        .item(1)
        .expect("img")
        .dyn_into::<Element>()
        .expect("el");
    assert_eq!(
        real.get_attribute("src").as_deref(),
        Some("https://news.test/real.jpg")
    );
    assert_eq!(
        real.get_attribute("alt").as_deref(),
        Some(""),
        "not its file name"
    );
    let cell = body.query_selector("td").expect("q").expect("td");
    assert_eq!(cell.get_attribute("colspan").as_deref(), Some("2"));
    assert!(body.query_selector("del").expect("q").is_some());
    assert!(body.query_selector("sup").expect("q").is_some());
}

#[wasm_bindgen_test]
async fn html_bodies_keep_structure_and_resolve_relative_links() {
    let html = "<h2>عنوان</h2><p>نص <strong>قوي</strong> و<a href=\"/other\">رابط</a></p><ul><li>١</li></ul><figure><img src=\"/i.png\" alt=\"وصف\"><figcaption>تعليق</figcaption></figure>";
    let (body, _fetch, _handle) = arabic_html_body(html).await;
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

/// On paper the story's address is the one the share buttons give: a path
/// the API gave is in full.
#[wasm_bindgen_test]
async fn the_printed_address_is_whole_and_readable() {
    let json = r#"{"id":"a","url":"/2026/%D8%A7%D9%84%D8%B3%D9%88%D9%82?p=1","title":"T",
        "published_at":"2017-01-01T07:31:08Z","body":[]}"#;
    let _fetch = FakeFetch::install(Answer::Status(200, json));
    let el = host();
    let handle = khabar::mount(el.clone(), options("ar", "arab")).expect("mount");
    find(&el, "h1.headline").await;
    let root = el.shadow_root().expect("root");
    let address = root
        .query_selector(".print-only span[dir=ltr]")
        .expect("q")
        .expect("the printed address")
        .text_content()
        .unwrap_or_default();
    assert_eq!(
        address,
        "https://api.test/2026/%D8%A7%D9%84%D8%B3%D9%88%D9%82?p=1"
    );
    handle.destroy();
}
