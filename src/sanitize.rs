//! Untrusted HTML and URLs. The decisions (which element, which attribute,
//! which URL) are pure functions, tested natively and fuzzable; the rebuild
//! walks a DOMParser document (inert: nothing in it runs or loads) and
//! creates fresh elements through the builder, so nothing from the input is
//! ever inserted as markup.

use wasm_bindgen::prelude::*;
use web_sys::{Document, DomParser, Element, Node};

use crate::dom::{dom_error, DomResult, El};

/// What happens to an element of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Rebuilt as the same element (allowed attributes only).
    Keep,
    /// Replaced by its children (for example `<span>`, `<section>`, `<h1>`).
    Unwrap,
    /// Removed with everything inside it.
    Drop,
}

/// Elements a body may keep.
pub const ALLOWED: &[&str] = khabar_rules::ALLOWED_ELEMENTS;

/// Elements whose content is not reader text: dropped whole.
const DROPPED: &[&str] = khabar_rules::DROPPED_ELEMENTS;

/// Deeper nesting than this is flattened to text, so hostile input cannot
/// exhaust the stack.
pub const MAX_DEPTH: usize = 48;

/// Decides what to do with an element named `tag` (lower case).
pub fn element_policy(tag: &str) -> Policy {
    if ALLOWED.contains(&tag) {
        Policy::Keep
    } else if matches!(tag, "picture" | "noscript") {
        // Their image is the picture's, or a lazy-loading page's real one
        // (the parse is inert: a `noscript`'s content is elements), as
        // the server keeps them; their `source`s are dropped.
        Policy::Unwrap
    } else if DROPPED.contains(&tag) || tag.contains(':') {
        Policy::Drop
    } else {
        Policy::Unwrap
    }
}

/// The value to keep for attribute `name` of a kept `tag`, or `None`.
/// Only `a[href]`, `img[src]` and `img[alt]` survive here (and, as plain
/// numbers, `khabar_rules::NUMBER_ATTRIBUTES`); everything else,
/// including every event handler and `style`, is dropped.
pub fn attribute_value<'a>(tag: &str, name: &str, value: &'a str) -> Option<&'a str> {
    match (tag, name) {
        ("a", "href") => safe_url(value, true),
        ("img", "src") => safe_url(value, false),
        ("img", "alt") => Some(value),
        _ => None,
    }
}

/// Returns the URL when it is safe to put in `href`/`src`: an absolute
/// `http:`, `https:` or (for links) `mailto:` URL without control characters.
pub fn safe_url(url: &str, allow_mailto: bool) -> Option<&str> {
    let url = url.trim();
    if url.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    let (scheme, rest) = url.split_once(':')?;
    let ok = match scheme.to_ascii_lowercase().as_str() {
        "http" | "https" => rest
            .strip_prefix("//")
            .is_some_and(|host| !host.is_empty() && !host.starts_with('/')),
        "mailto" => allow_mailto && !rest.is_empty(),
        _ => false,
    };
    ok.then_some(url)
}

/// The address to share, copy and print an article by, without the `utm_`
/// tags it came with: its own `url` when it is an absolute http(s) one; a
/// path resolved against the API's address (as the reference server makes
/// its own absolute); else, with none to go by, the page the reader is on,
/// without its fragment.
#[cfg(feature = "core")]
pub fn share_url(url: &str, api: &str) -> String {
    crate::share::without_utm(&address(url, api))
}

#[cfg(feature = "core")]
fn address(url: &str, api: &str) -> String {
    if let Some(url) = safe_url(url, false) {
        return url.to_owned();
    }
    // The API's own address may be a path too (`data-api="/api/v1"`).
    let page = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.base_uri().ok().flatten());
    let api = page
        .as_deref()
        .and_then(|page| resolve(api, Some(page)))
        .unwrap_or_else(|| api.to_owned());
    let resolved = Some(url.trim())
        .filter(|u| !u.is_empty())
        .and_then(|u| resolve(u, Some(&api)));
    if let Some(url) = resolved.as_deref().and_then(|u| safe_url(u, false)) {
        return url.to_owned();
    }
    let here = web_sys::window().and_then(|w| w.location().href().ok());
    let here = here.as_deref().unwrap_or_default();
    let here = here.split('#').next().unwrap_or_default();
    safe_url(here, false).unwrap_or_default().to_owned()
}

/// Resolves a possibly relative `href`/`src` against the article's URL, as
/// a CMS body written for the article's own page expects.
fn resolve(value: &str, base: Option<&str>) -> Option<String> {
    let base = base?;
    web_sys::Url::new_with_base(value.trim(), base)
        .ok()
        .map(|u| u.href())
}

/// Parses `html` inertly and rebuilds its allowed parts inside `into`;
/// relative links and images are resolved against `base` (the article URL).
pub fn rebuild_html(doc: &Document, html: &str, base: Option<&str>, into: El) -> DomResult<El> {
    let parser = DomParser::new().map_err(dom_error)?;
    // parseFromString through Reflect: web-sys's binding takes only a
    // string, and under Trusted Types it must be given a TrustedHTML.
    let parsed = js_sys::Reflect::get(&parser, &"parseFromString".into())
        .and_then(|f| f.dyn_into::<js_sys::Function>())
        .and_then(|f| f.call2(&parser, &trusted_html(html), &"text/html".into()))
        .and_then(|d| d.dyn_into::<Document>())
        .map_err(dom_error)?;
    let Some(body) = parsed.body() else {
        return Ok(into);
    };
    let out = into.build();
    copy_children(doc, &body, &out, base, 0)?;
    Ok(El::from(out))
}

thread_local! {
    /// The page's Trusted Types policy "khabar", when the browser has them.
    static POLICY: Option<JsValue> = create_policy();
}

/// Under `require-trusted-types-for 'script'` DOMParser takes only
/// TrustedHTML. Passing the text through is safe here because the parsed
/// document is inert and only its allowlisted parts are rebuilt; a page
/// whose `trusted-types` directive lists policy names must add `khabar`.
fn create_policy() -> Option<JsValue> {
    let factory = js_sys::Reflect::get(&js_sys::global(), &"trustedTypes".into()).ok()?;
    if factory.is_undefined() || factory.is_null() {
        return None;
    }
    let create = js_sys::Reflect::get(&factory, &"createPolicy".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    // `String` itself is the identity on strings: no Rust closure (and its
    // glue) and no `new Function` (which a strict CSP forbids).
    let pass = js_sys::Reflect::get(&js_sys::global(), &"String".into()).ok()?;
    let rules = js_sys::Object::new();
    js_sys::Reflect::set(&rules, &"createHTML".into(), &pass).ok()?;
    create.call2(&factory, &"khabar".into(), &rules).ok()
}

/// `html` as TrustedHTML when the page has Trusted Types, else as text.
fn trusted_html(html: &str) -> JsValue {
    let text = JsValue::from_str(html);
    POLICY.with(|policy| {
        let Some(policy) = policy else {
            return text.clone();
        };
        js_sys::Reflect::get(policy, &"createHTML".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            .and_then(|f| f.call1(policy, &text).ok())
            .unwrap_or_else(|| text.clone())
    })
}

fn copy_children(
    doc: &Document,
    from: &Node,
    to: &Element,
    base: Option<&str>,
    depth: usize,
) -> DomResult<()> {
    let mut child = from.first_child();
    while let Some(node) = child {
        child = node.next_sibling();
        match node.node_type() {
            Node::TEXT_NODE => {
                let text = node.text_content().unwrap_or_default();
                to.append_child(&doc.create_text_node(&text))
                    .map_err(dom_error)?;
            }
            Node::ELEMENT_NODE => {
                let Some(el) = node.dyn_ref::<Element>() else {
                    continue;
                };
                copy_element(doc, el, to, base, depth)?;
            }
            // Comments, processing instructions, CDATA: nothing for readers.
            _ => {}
        }
    }
    Ok(())
}

fn copy_element(
    doc: &Document,
    el: &Element,
    to: &Element,
    base: Option<&str>,
    depth: usize,
) -> DomResult<()> {
    let tag = el.local_name().to_ascii_lowercase();
    // Elements from other namespaces (SVG, MathML) are never HTML elements
    // of ours, whatever their local name.
    let html_ns = el.namespace_uri().as_deref() == Some("http://www.w3.org/1999/xhtml");
    let policy = if html_ns {
        element_policy(&tag)
    } else {
        Policy::Drop
    };
    if depth >= MAX_DEPTH {
        if policy != Policy::Drop {
            let text = el.text_content().unwrap_or_default();
            to.append_child(&doc.create_text_node(&text))
                .map_err(dom_error)?;
        }
        return Ok(());
    }
    match policy {
        Policy::Drop => Ok(()),
        Policy::Unwrap => copy_children(doc, el, to, base, depth + 1),
        Policy::Keep => {
            let mut copy = El::try_new(doc, &tag)?;
            for name in ["href", "src", "alt"] {
                let Some(value) = el.get_attribute(name) else {
                    continue;
                };
                if let Some(v) = attribute_value(&tag, name, &value) {
                    copy = copy.attr(name, v);
                } else if name != "alt" {
                    // Maybe relative: resolved, and the result checked again.
                    if let Some(abs) = resolve(&value, base) {
                        if let Some(v) = attribute_value(&tag, name, &abs) {
                            copy = copy.attr(name, v);
                        }
                    }
                }
            }
            for &(_, name) in khabar_rules::NUMBER_ATTRIBUTES
                .iter()
                .filter(|(t, _)| *t == tag)
            {
                if let Some(v) = el
                    .get_attribute(name)
                    .as_deref()
                    .and_then(khabar_rules::number_attribute)
                {
                    copy = copy.attr(name, v);
                }
            }
            copy = match tag.as_str() {
                "a" => copy.attr("rel", "noopener noreferrer nofollow"),
                "img" if !copy.build_ref().has_attribute("src") => {
                    return Ok(()); // an image without a safe source shows nothing
                }
                // An image the body does not describe is not read out by
                // its file name.
                "img" if !copy.build_ref().has_attribute("alt") => copy
                    .attr("alt", "")
                    .attr("loading", "lazy")
                    .attr("decoding", "async")
                    .attr("referrerpolicy", "no-referrer"),
                "img" => copy
                    .attr("loading", "lazy")
                    .attr("decoding", "async")
                    .attr("referrerpolicy", "no-referrer"),
                "p" | "li" | "blockquote" | "h2" | "h3" | "h4" | "figcaption" | "div" | "td"
                | "th" | "caption" => copy.dir_of(&el.text_content().unwrap_or_default()),
                _ => copy,
            };
            let copy = copy.build();
            copy_children(doc, el, &copy, base, depth + 1)?;
            to.append_child(&copy).map_err(dom_error)?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_and_mail_urls_pass() {
        assert_eq!(
            safe_url(" https://a.test/x.jpg ", false),
            Some("https://a.test/x.jpg")
        );
        assert_eq!(safe_url("HTTP://a.test", false), Some("HTTP://a.test"));
        assert_eq!(safe_url("mailto:a@b.test", true), Some("mailto:a@b.test"));
        assert_eq!(safe_url("mailto:a@b.test", false), None);
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "javascript&colon;alert(1)",
            "javascript%3Aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            "DATA:image/svg+xml;base64,PHN2Zz4=",
            "vbscript:msgbox(1)",
            "VBScript:msgbox(1)",
            "//evil.test/x",
            "/relative",
            "https:",
            "https:/x",
            "https:///evil.test",
            "http:\\\\evil.test",
            "\u{0}javascript:alert(1)",
            "",
        ] {
            assert_eq!(safe_url(bad, true), None, "{bad} must be refused");
        }
    }

    #[test]
    fn elements_are_kept_unwrapped_or_dropped() {
        for tag in ALLOWED {
            assert_eq!(element_policy(tag), Policy::Keep);
        }
        for tag in [
            "script", "style", "iframe", "object", "svg", "math", "template", "source",
        ] {
            assert_eq!(element_policy(tag), Policy::Drop, "{tag}");
        }
        // A picture's and a lazy page's `noscript` image stay.
        for tag in [
            "span", "h1", "section", "font", "marquee", "form", "center", "picture", "noscript",
        ] {
            assert_eq!(element_policy(tag), Policy::Unwrap, "{tag}");
        }
        // Kept: unwrapped, their text ran together.
        for tag in ["div", "table", "tr", "td", "th"] {
            assert_eq!(element_policy(tag), Policy::Keep, "{tag}");
        }
        assert_eq!(element_policy("xlink:foo"), Policy::Drop);
    }

    #[test]
    fn attributes_are_an_allowlist() {
        assert_eq!(
            attribute_value("a", "href", "https://x.test"),
            Some("https://x.test")
        );
        assert_eq!(attribute_value("a", "href", "javascript:alert(1)"), None);
        assert_eq!(attribute_value("img", "src", "mailto:x@y.z"), None);
        assert_eq!(attribute_value("img", "alt", "صورة"), Some("صورة"));
        for (tag, name) in [
            ("a", "onclick"),
            ("img", "onerror"),
            ("p", "style"),
            ("a", "target"),
            ("img", "srcset"),
            ("a", "formaction"),
            ("p", "class"),
            ("a", "xlink:href"),
        ] {
            assert_eq!(attribute_value(tag, name, "x"), None, "{tag}[{name}]");
        }
    }
}
