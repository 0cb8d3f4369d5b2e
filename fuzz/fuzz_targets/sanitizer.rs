//! Sanitizer decisions: whatever the tag, attribute and value, only allowlisted
//! elements are kept, no event handler, `style`, `srcdoc` or `formaction`
//! survives, and a kept URL is an absolute `http(s)://` URL (or, for links
//! only, `mailto:`) without control characters or backslashes.
#![no_main]

use arbitrary::Arbitrary;
use khabar::sanitize::{attribute_value, element_policy, safe_url, Policy, ALLOWED};
use libfuzzer_sys::fuzz_target;

/// Tags and attribute names tried as they are, besides arbitrary strings.
const TAGS: &[&str] = &[
    "a", "img", "p", "h2", "script", "style", "iframe", "svg", "math", "template", "object",
    "embed", "div", "span", "xlink:a", "A", "IMG", "SCRIPT",
];
const ATTRS: &[&str] = &[
    "href",
    "src",
    "alt",
    "onclick",
    "onerror",
    "ONLOAD",
    "style",
    "srcdoc",
    "formaction",
    "srcset",
    "xlink:href",
    "HREF",
];
/// Never kept, whatever the case the parser reports them in.
const NEVER_KEPT: &[&str] = &["script", "style", "iframe", "svg", "math", "template"];
/// Attributes that must never survive on any element.
const NEVER_ATTRS: &[&str] = &["style", "srcdoc", "formaction"];

#[derive(Arbitrary, Debug)]
enum Name {
    Known(u8),
    Any(String),
}

impl Name {
    fn get<'a>(&'a self, known: &[&'static str]) -> &'a str {
        match self {
            Name::Known(i) => known[usize::from(*i) % known.len()],
            Name::Any(s) => s,
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    allow_mailto: bool,
    tag: Name,
    name: Name,
    value: String,
}

/// What a kept URL must look like.
fn check_url(kept: &str, original: &str, allow_mailto: bool) {
    assert_eq!(kept, original.trim(), "a kept URL is the trimmed input");
    assert!(
        !kept.chars().any(|c| c.is_control() || c == '\\'),
        "control or backslash kept: {kept:?}"
    );
    let lower = kept.to_ascii_lowercase();
    let web = ["http://", "https://"]
        .iter()
        .find_map(|s| lower.strip_prefix(s));
    match web {
        Some(host) => assert!(
            !host.is_empty() && !host.starts_with('/'),
            "no host: {kept:?}"
        ),
        None => assert!(
            allow_mailto && lower.starts_with("mailto:") && lower.len() > "mailto:".len(),
            "scheme not allowed: {kept:?} (mailto allowed: {allow_mailto})"
        ),
    }
    assert_eq!(safe_url(kept, allow_mailto), Some(kept), "not stable");
}

fuzz_target!(|input: Input| {
    let tag = input.tag.get(TAGS);
    let name = input.name.get(ATTRS);
    let value = input.value.as_str();

    if let Some(kept) = safe_url(value, input.allow_mailto) {
        check_url(kept, value, input.allow_mailto);
    }

    let lower_tag = tag.to_ascii_lowercase();
    for t in [tag, lower_tag.as_str()] {
        match element_policy(t) {
            Policy::Keep => assert!(ALLOWED.contains(&t), "{t:?} kept"),
            Policy::Unwrap => assert!(!t.contains(':'), "{t:?} unwrapped"),
            Policy::Drop => {}
        }
    }
    if NEVER_KEPT.contains(&lower_tag.as_str()) {
        assert_eq!(element_policy(&lower_tag), Policy::Drop, "{tag:?}");
    }

    if let Some(kept) = attribute_value(tag, name, value) {
        let lower = name.to_ascii_lowercase();
        assert!(!lower.starts_with("on"), "{tag}[{name}] kept");
        assert!(!NEVER_ATTRS.contains(&lower.as_str()), "{tag}[{name}] kept");
        match (tag, name) {
            ("a", "href") => check_url(kept, value, true),
            ("img", "src") => check_url(kept, value, false),
            ("img", "alt") => assert_eq!(kept, value),
            _ => panic!("{tag}[{name}] kept"),
        }
    }
    for never in NEVER_ATTRS.iter().chain(&["onclick", "onerror", "onload"]) {
        assert_eq!(attribute_value(tag, never, value), None, "{tag}[{never}]");
    }
});
