//! Comment text from the HTML other systems store: the same plain text
//! with line breaks a reader's comment is, cleaned by the same rules
//! (`khabar_rules::clean_body`, `clean_author`).

use std::collections::HashSet;

use crate::comments::{clean_author, clean_body};
use crate::sync::{html_to_text, unescape_serialized};

/// The body of a comment from its HTML (Disqus, WordPress): tags and the
/// content of `script` and `style` gone, entities decoded, paragraphs and
/// `<br>` as line breaks, at most one empty line in a row.
pub fn body_text(html: &str) -> String {
    let mut cleaner = ammonia::Builder::default();
    cleaner
        .tags(HashSet::from(["p", "br"]))
        .generic_attributes(HashSet::new())
        .tag_attributes(Default::default())
        .link_rel(None);
    // What is left as markup is exactly `<p>`, `</p>` and `<br>`: text `<`
    // comes out as `&lt;`, so these replacements only meet real tags.
    let serialized = cleaner
        .clean(html)
        .to_string()
        .replace("<br>", "\n")
        .replace("<p>", "")
        .replace("</p>", "\n\n");
    tidy(&unescape_serialized(&serialized))
}

/// The body of a comment stored as its reader typed it (Isso keeps the
/// Markdown source and renders it when it serves it): the text itself, so
/// that an autolink (`<https://…>`), a `<` in prose or HTML quoted in code
/// stays as written; Khabar shows comment bodies as text, never markup.
pub fn typed_text(text: &str) -> String {
    tidy(text)
}

/// `text` cleaned like a reader's comment, at most one empty line in a row.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut empty_lines = 0;
    for line in clean_body(text).lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            empty_lines += 1;
            if empty_lines > 1 {
                continue;
            }
        } else {
            empty_lines = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    clean_body(&out)
}

/// A display name from what another system stored (Isso keeps names
/// HTML-escaped; WordPress may keep markup).
pub fn author_text(raw: &str) -> String {
    clean_author(&html_to_text(raw))
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
    fn names_lose_markup_and_escapes() {
        assert_eq!(author_text("Salma &amp; Omar"), "Salma & Omar");
        assert_eq!(author_text("<b>ليلى</b>\u{202E}"), "ليلى");
    }
}
