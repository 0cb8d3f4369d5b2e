//! Comment text from the HTML other systems store: the same plain text
//! with line breaks a reader's comment is, cleaned by the same rules
//! (`khabar_rules::clean_comment`, `clean_author`).

use std::collections::HashSet;

use crate::comments::clean_author;
use crate::sync::{html_to_text, unescape_serialized};

/// The body of a comment from its HTML (Disqus, WordPress): tags and the
/// content of `script` and `style` gone, entities decoded, paragraphs,
/// quotes, list items and `<br>` as line breaks, at most one empty line in
/// a row, and a link's address after its text when the text does not show
/// it (`see this (https://…)`): as text, the comment would lose it.
pub fn body_text(html: &str) -> String {
    const BLOCKS: [&str; 5] = ["p", "blockquote", "div", "ul", "ol"];
    let mut cleaner = ammonia::Builder::default();
    cleaner
        .tags(BLOCKS.into_iter().chain(["br", "a", "li"]).collect())
        .generic_attributes(HashSet::new())
        .tag_attributes([("a", HashSet::from(["href"]))].into())
        .url_schemes(HashSet::from(["http", "https"]))
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(None);
    // What is left as markup is exactly these tags, `<a>` with at most an
    // `href`: text `<` comes out as `&lt;`, so these replacements only
    // meet real tags.
    // A list item is a line; a block is a paragraph.
    let mut serialized = links_as_text(&cleaner.clean(html).to_string())
        .replace("<br>", "\n")
        .replace("<li>", "")
        .replace("</li>", "\n");
    for tag in BLOCKS {
        serialized = serialized
            .replace(&format!("<{tag}>"), "\n\n")
            .replace(&format!("</{tag}>"), "\n\n");
    }
    khabar_rules::clean_comment(&unescape_serialized(&serialized))
}

/// Each `<a>` of ammonia's output as its text, followed by ` (href)` when
/// the text is not the address itself (or its start, as Disqus shortens
/// long ones).
fn links_as_text(serialized: &str) -> String {
    let mut out = String::with_capacity(serialized.len());
    let mut rest = serialized;
    while let Some(at) = rest.find("<a") {
        out.push_str(&rest[..at]);
        let tag = &rest[at..];
        let (Some(open_end), Some(close)) = (tag.find('>'), tag.find("</a>")) else {
            out.push_str(tag);
            return out;
        };
        let href = tag[..open_end]
            .split_once("href=\"")
            .and_then(|(_, v)| v.split_once('"'))
            .map(|(h, _)| disqus_unwrapped(h).unwrap_or_else(|| h.to_owned()));
        let text = tag.get(open_end + 1..close).unwrap_or_default();
        out.push_str(text);
        if let Some(href) = href.filter(|h| !shows(text, h)) {
            out.push_str(&format!(" ({href})"));
        }
        rest = &tag[close + "</a>".len()..];
    }
    out.push_str(rest);
    out
}

/// The address behind a Disqus redirect (`https://disq.us/url?url=…`),
/// as ammonia serializes an `href`: Disqus wraps every link of a comment
/// in one, the page's address with `:` and a signature after it. Kept,
/// the redirect would follow every link's text as a tracking address.
fn disqus_unwrapped(href: &str) -> Option<String> {
    let link = url::Url::parse(&unescape_serialized(href)).ok()?;
    if link.host_str()? != "disq.us" || link.path() != "/url" {
        return None;
    }
    let target = link.query_pairs().find(|(k, _)| k == "url")?.1;
    let target = match target.rsplit_once(':') {
        Some((page, signature))
            if signature.len() >= 16
                && signature
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            page
        }
        _ => &target,
    };
    let target = url::Url::parse(target).ok()?;
    if !matches!(target.scheme(), "http" | "https") {
        return None;
    }
    // Serialized again, as the rest of the text still is: a parsed URL
    // has `<`, `>` and `"` percent-encoded, and `&` is the one to escape.
    Some(target.as_str().replace('&', "&amp;"))
}

/// Whether a link's text shows its address: the same, without the scheme
/// or `www.`, or the start of it cut with an ellipsis.
fn shows(text: &str, href: &str) -> bool {
    let bare = |s: &str| {
        let s = s.trim();
        let s = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .unwrap_or(s);
        s.strip_prefix("www.")
            .unwrap_or(s)
            .trim_end_matches('/')
            .to_owned()
    };
    let (text, href) = (bare(text), bare(href));
    let cut = text
        .strip_suffix('…')
        .or_else(|| text.strip_suffix("..."))
        .filter(|start| !start.is_empty());
    text == href || cut.is_some_and(|start| href.starts_with(start))
}

/// The body of a comment stored as its reader typed it (Isso keeps the
/// Markdown source and renders it when it serves it): the text itself, so
/// that an autolink (`<https://…>`), a `<` in prose or HTML quoted in code
/// stays as written; Khabar shows comment bodies as text, never markup.
pub fn typed_text(text: &str) -> String {
    khabar_rules::clean_comment(text)
}

/// Whether an Isso body is HTML that Isso's own `isso import` kept as it
/// came (a Disqus message, always paragraphs: `<p>…</p>`), not Markdown a
/// reader typed, which does not open with a paragraph tag.
pub fn isso_imported_html(text: &str) -> bool {
    let text = text.trim();
    text.starts_with("<p>") && text.ends_with("</p>")
}

/// A display name from what WordPress stored, which may keep markup.
pub fn author_text(raw: &str) -> String {
    clean_author(&html_to_text(raw))
}

/// A display name Isso stored escaped once (`Sam &lt;Editor&gt;`): its
/// references decoded once, and no more, so that the name's own `<…>`
/// stays (stripped as a tag, it would be lost).
pub fn escaped_author(raw: &str) -> String {
    clean_author(&crate::sync::plain_text(raw))
}

/// A display name stored as its reader typed it (Disqus's `<name>`, its
/// XML already decoded): `Sam <Editor>` and `AT&amp;T` are what they say.
pub fn typed_author(raw: &str) -> String {
    clean_author(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_become_lines_and_scripts_vanish() {
        assert_eq!(
            body_text(
                "<p>سطر أول<br>سطر ثانٍ</p>\n<p>a &lt;b&gt; &amp; c</p><script>alert(1)</script>"
            ),
            "سطر أول\nسطر ثانٍ\n\na <b> & c"
        );
        assert_eq!(body_text("one\r\n\r\n\r\n\r\ntwo"), "one\n\ntwo");
        assert_eq!(
            body_text("<a href=\"javascript:x\" onclick=\"y\">link</a> text"),
            "link text"
        );
    }

    #[test]
    fn disqus_redirects_give_back_the_links_they_wrap() {
        assert_eq!(
            body_text(
                "<p>Read <a href=\"https://disq.us/url?url=https%3A%2F%2Fx.example%2Fa%3Fb%3D1%26c%3D2%3AQz9xY8wV7uT6sR5qP4oN3mL&amp;cuid=77\">this</a> and \
                 <a href=\"https://disq.us/url?url=https%3A%2F%2Fy.example%2Freport%3AZFl7x0Ilk7F8xS4TcbQ8Ck-3Q4s&amp;cuid=77\">y.example/report</a></p>"
            ),
            "Read this (https://x.example/a?b=1&c=2) and y.example/report"
        );
        // No signature: the address as it is; a scheme not shown stays out.
        assert_eq!(
            body_text("<a href=\"https://disq.us/url?url=http%3A%2F%2Fz.example%2F\">z</a>"),
            "z (http://z.example/)"
        );
        assert_eq!(
            body_text("<a href=\"https://disq.us/url?url=javascript%3Aalert(1)\">x</a>"),
            "x (https://disq.us/url?url=javascript%3Aalert(1))"
        );
        assert_eq!(
            typed_author("Sam <Editor> AT&amp;T"),
            "Sam <Editor> AT&amp;T"
        );
    }

    #[test]
    fn links_keep_their_address_and_blocks_their_lines() {
        assert_eq!(
            body_text(
                "<p>See <a href=\"https://x.example/report.pdf?a=1&amp;b=2\">the report</a>.</p>"
            ),
            "See the report (https://x.example/report.pdf?a=1&b=2)."
        );
        // The text already shows it, whole or cut short.
        assert_eq!(
            body_text("<a href=\"https://www.x.example/a/\">x.example/a</a> and <a href=\"https://x.example/a/very/long/path\">https://x.example/a/very…</a>"),
            "x.example/a and https://x.example/a/very…"
        );
        assert_eq!(
            body_text("<blockquote>quoted</blockquote>reply<ul><li>a</li><li>b</li></ul>"),
            "quoted\n\nreply\n\na\nb"
        );
    }

    #[test]
    fn names_lose_markup_and_escapes() {
        assert_eq!(author_text("Salma &amp; Omar"), "Salma & Omar");
        assert_eq!(author_text("<b>ليلى</b>\u{202E}"), "ليلى");
    }
}
