//! Option parsing: any set of options (known names with any values, plus
//! unknown names) is either a named `ConfigError` or `Options` whose fields
//! respect what `Options::parse` promises (kind given, article id when the
//! kind needs one, limit in 1..=MAX_LIMIT, values trimmed, no trailing `/`
//! on the API base), and it never panics.
#![no_main]

use std::collections::HashMap;

use arbitrary::Arbitrary;
use khabar::config::{ConfigError, Kind, Options};
use khabar_rules::ARTICLE_LIST_MAX as MAX_LIMIT;
use libfuzzer_sys::fuzz_target;

const KEYS: &[&str] = &[
    "kind",
    "article-id",
    "api",
    "lang",
    "digits",
    "calendar",
    "time-zone",
    "theme",
    "limit",
    "layout",
    "section",
    "content-lang",
    "lazy",
    "share-utm",
];

#[derive(Arbitrary, Debug)]
enum Key {
    Known(u8),
    Other(String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    page_lang: Option<String>,
    default_api: Option<String>,
    options: Vec<(Key, String)>,
}

/// A present option value: trimmed and not empty.
fn trimmed(v: &str) -> bool {
    !v.is_empty() && v.trim() == v
}

fuzz_target!(|input: Input| {
    let map: HashMap<String, String> = input
        .options
        .into_iter()
        .map(|(k, v)| {
            let k = match k {
                Key::Known(i) => KEYS[usize::from(i) % KEYS.len()].to_owned(),
                Key::Other(s) => s,
            };
            (k, v)
        })
        .collect();
    let given = |k: &str| map.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let result = Options::parse(
        &|k| map.get(k).cloned(),
        input.page_lang.as_deref(),
        input.default_api.as_deref(),
    );

    // The first mistake, in the order parse looks at them.
    let expected_error = match given("kind").map(|k| (k, Kind::parse(k))) {
        None => Some(ConfigError::MissingKind),
        Some((k, None)) => Some(ConfigError::UnknownKind(k.to_owned())),
        Some((_, Some(kind))) => {
            if given("api").is_none() && input.default_api.is_none() {
                Some(ConfigError::MissingApi)
            } else if kind.needs_article_id() && given("article-id").is_none() {
                Some(ConfigError::MissingArticleId)
            } else {
                None
            }
        }
    };
    let o = match result {
        Err(e) => {
            assert_eq!(Some(e), expected_error);
            return;
        }
        Ok(o) => o,
    };
    assert_eq!(expected_error, None);

    assert_eq!(Some(o.kind), given("kind").and_then(Kind::parse));
    let api_source = given("api")
        .or(input.default_api.as_deref())
        .unwrap_or_default();
    assert_eq!(o.api, api_source.trim_end_matches('/'));
    assert!(!o.api.ends_with('/'), "api {:?}", o.api);
    // Empty only when the source was all slashes ("/": this origin's root).
    assert!(!o.api.is_empty() || api_source.chars().all(|c| c == '/'));
    if o.kind.needs_article_id() {
        assert!(trimmed(&o.article_id), "article id {:?}", o.article_id);
    } else {
        assert!(o.article_id.is_empty() || trimmed(&o.article_id));
    }
    assert!((1..=MAX_LIMIT).contains(&o.limit), "limit {}", o.limit);
    for v in [
        &o.section,
        &o.content_lang,
        &o.share_utm,
        &o.dates.time_zone,
    ]
    .into_iter()
    .flatten()
    {
        assert!(trimmed(v), "value {v:?}");
    }
    assert_ne!(o.content_lang.as_deref(), Some("any"));
    assert_eq!(o.lazy, map.get("lazy").is_some_and(|v| v.trim() != "false"));
    // At most one warning per option that can fall back to a default.
    assert!(o.warnings.len() <= 6, "{:?}", o.warnings);
});
