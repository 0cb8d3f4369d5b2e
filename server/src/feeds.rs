//! RSS 2.0 and JSON Feed 1.1 of the newest articles, overall and per
//! section. Bodies go out as sanitized HTML (`content:encoded`,
//! `content_html`).

use std::collections::{BTreeMap, HashMap, HashSet};

use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::extension::Extension;
use rss::{Channel, Guid, Item};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc2822;

use crate::model::{parse_time, Article, Block, Image};

/// Articles per feed.
pub const FEED_SIZE: u32 = 30;

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// HTML from untrusted markup for a feed, with the same allowlist idea as
/// the widget: relative links and images are made absolute against `base`
/// (the article's URL, as the widget resolves them), or dropped without
/// one (a feed reader has no base of its own to resolve them).
pub fn sanitize_html(html: &str, base: Option<&str>) -> String {
    let relative = match base.and_then(|b| ammonia::Url::parse(b).ok()) {
        Some(base) => ammonia::UrlRelative::RewriteWithBase(base),
        None => ammonia::UrlRelative::Deny,
    };
    clean_html(html, relative)
}

/// [`sanitize_html`] for storage: relative links and images are kept (the
/// widget resolves them against the article's URL), having no scheme.
pub fn sanitize_stored_html(html: &str) -> String {
    clean_html(html, ammonia::UrlRelative::PassThrough)
}

fn clean_html(html: &str, relative: ammonia::UrlRelative) -> String {
    let html = without_noscript_tags(html);
    let tags: HashSet<&str> = khabar_rules::ALLOWED_ELEMENTS.iter().copied().collect();
    let schemes: HashSet<&str> = ["http", "https", "mailto"].into_iter().collect();
    let mut attrs = std::collections::HashMap::new();
    attrs.insert("a", ["href"].into_iter().collect::<HashSet<_>>());
    attrs.insert("img", ["src", "alt"].into_iter().collect::<HashSet<_>>());
    for (tag, name) in khabar_rules::NUMBER_ATTRIBUTES {
        attrs.entry(*tag).or_insert_with(HashSet::new).insert(*name);
    }
    ammonia::Builder::default()
        .tags(tags)
        .tag_attributes(attrs)
        .attribute_filter(|tag, name, value| {
            if khabar_rules::NUMBER_ATTRIBUTES.contains(&(tag, name)) {
                khabar_rules::number_attribute(value).map(|v| v.to_owned().into())
            } else {
                Some(value.into())
            }
        })
        .generic_attributes(HashSet::new())
        .url_schemes(schemes)
        .url_relative(relative)
        .link_rel(Some("noopener noreferrer nofollow"))
        // Elements whose content is not reader text, as the widget drops
        // them: unwrapped, a raw-text element's would be shown as markup
        // (`<img src=…>` printed in the article), a player's as words
        // ("your browser does not support video"). `picture` and the
        // `noscript` of lazy images (above) keep their images.
        .clean_content_tags(
            khabar_rules::DROPPED_ELEMENTS
                .iter()
                .copied()
                .filter(|t| !matches!(*t, "picture" | "noscript"))
                .collect(),
        )
        .clean(&html)
        .to_string()
}

/// `html` without its `<noscript>` and `</noscript>` tags, their content
/// kept as markup: lazy-loading pages put the real image there (`<img
/// data-src=…><noscript><img src=…></noscript>`), and a parser that runs
/// scripts reads it as text, which would be shown as markup.
fn without_noscript_tags(html: &str) -> std::borrow::Cow<'_, str> {
    let lower = html.to_ascii_lowercase();
    if !lower.contains("noscript") {
        return std::borrow::Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    while let Some(found) = lower[at..].find("noscript").map(|i| at + i) {
        let start = if lower[..found].ends_with("</") {
            found - 2
        } else if lower[..found].ends_with('<') {
            found - 1
        } else {
            out.push_str(&html[at..found + "noscript".len()]);
            at = found + "noscript".len();
            continue;
        };
        let Some(end) = lower[found..].find('>').map(|i| found + i + 1) else {
            break;
        };
        out.push_str(&html[at..start]);
        at = end;
    }
    out.push_str(&html[at..]);
    std::borrow::Cow::Owned(out)
}

/// The article body as HTML, whichever form it came in.
pub fn body_html(a: &Article) -> String {
    match (&a.body, &a.body_html) {
        (Some(blocks), _) => blocks.iter().map(block_html).collect(),
        (None, Some(html)) => sanitize_html(html, Some(&a.url)),
        (None, None) => String::new(),
    }
}

fn block_html(b: &Block) -> String {
    match b {
        Block::Paragraph { text } => format!("<p>{}</p>", escape(text)),
        Block::Heading { text } => format!("<h2>{}</h2>", escape(text)),
        Block::Quote { text, cite } => format!(
            "<blockquote><p>{}</p>{}</blockquote>",
            escape(text),
            cite.as_deref()
                .map(|c| format!("<p>— {}</p>", escape(c)))
                .unwrap_or_default()
        ),
        Block::List { ordered, items } => {
            let tag = if *ordered { "ol" } else { "ul" };
            let items: String = items
                .iter()
                .map(|i| format!("<li>{}</li>", escape(i)))
                .collect();
            format!("<{tag}>{items}</{tag}>")
        }
        Block::Image(i) if crate::model::is_web_url(&i.url) => format!(
            "<figure><img src=\"{}\" alt=\"{}\">{}</figure>",
            escape(&i.url),
            escape(&i.alt),
            i.caption
                .as_deref()
                .map(|c| format!("<figcaption>{}</figcaption>", escape(c)))
                .unwrap_or_default()
        ),
        Block::Image(_) => String::new(),
    }
}

/// What every feed needs to know about the site.
pub struct Site<'a> {
    /// The site's name.
    pub name: &'a str,
    /// Public origin without a trailing slash.
    pub origin: &'a str,
    /// The site's home page, the feed's link: the first `--site`, where
    /// the articles are read (this server's own address may be a comments
    /// server's, `comments.news.example`, with no page at `/`), else the
    /// origin's root.
    pub home: String,
}

/// Each listed story's feed item id (RSS `guid`, JSON Feed `id`), and
/// whether it is the story's address. Stories can share a page (the
/// headlines of a ticker): were their ids that page's URL, a feed reader
/// would take the second for the first and drop it. The story published
/// first under a URL ([`Store::first_by_url`]) keeps the URL as its id,
/// which a later story cannot take, nor hiding the first hand on; the
/// others' ids are the URL, `#` and the article's id.
///
/// [`Store::first_by_url`]: crate::store::Store::first_by_url
#[derive(Debug, Default)]
pub struct FeedIds(HashMap<String, (String, bool)>);

impl FeedIds {
    /// The ids of `articles` (with absolute URLs), `later` the ids of
    /// those that are not the first story under their URL as stored.
    pub fn new(articles: &[Article], later: &HashSet<String>) -> FeedIds {
        let mut taken = HashSet::new();
        // Oldest first: of two stories whose URLs, spelled differently
        // when stored (`/live`, `https://news.example/live`), become one,
        // the older keeps it.
        let ids = articles
            .iter()
            .rev()
            .map(|a| {
                let id = if later.contains(&a.id) || !taken.insert(a.url.as_str()) {
                    (format!("{}#{}", a.url, a.id), false)
                } else {
                    (a.url.clone(), true)
                };
                (a.id.clone(), id)
            })
            .collect();
        FeedIds(ids)
    }

    /// The stories among `articles` (URLs as stored) that are not the
    /// first under their URL, from the store's answer `first`.
    pub fn later(articles: &[Article], first: &[(String, String)]) -> HashSet<String> {
        articles
            .iter()
            .filter(|a| first.iter().any(|(url, id)| *url == a.url && *id != a.id))
            .map(|a| a.id.clone())
            .collect()
    }

    /// `a`'s item id, and whether it is its address (`isPermaLink`).
    pub fn of(&self, a: &Article) -> (String, bool) {
        self.0
            .get(&a.id)
            .cloned()
            .unwrap_or_else(|| (a.url.clone(), true))
    }
}

/// RSS 2.0 with `atom:link rel="self"`, `dc:creator` and `content:encoded`.
pub fn rss(
    site: &Site<'_>,
    self_url: &str,
    title: &str,
    articles: &[Article],
    ids: &FeedIds,
) -> String {
    let mut channel = Channel::default();
    channel.set_title(title);
    channel.set_link(site.home.clone());
    // The title says it all: the site's name, and a section's after it
    // (the site's name again read "Khabar — Khabar").
    channel.set_description(title);
    // The channel's language only when every item speaks it (a site of
    // several languages otherwise labelled them all with the newest's);
    // each item names its own below.
    if let Some(first) = articles.first() {
        if articles.iter().all(|a| a.lang == first.lang) {
            channel.set_language(Some(first.lang.clone()));
        }
    }
    channel.set_generator(Some(format!("khabar-server {}", env!("CARGO_PKG_VERSION"))));
    let mut namespaces = BTreeMap::new();
    namespaces.insert("atom".into(), "http://www.w3.org/2005/Atom".into());
    namespaces.insert("dc".into(), "http://purl.org/dc/elements/1.1/".into());
    namespaces.insert(
        "content".into(),
        "http://purl.org/rss/1.0/modules/content/".into(),
    );
    namespaces.insert("media".into(), "http://search.yahoo.com/mrss/".into());
    channel.set_namespaces(namespaces);
    let mut atom = AtomExtension::default();
    let mut link = Link::default();
    link.set_href(self_url);
    link.set_rel("self");
    link.set_mime_type(Some("application/rss+xml".to_owned()));
    atom.set_links(vec![link]);
    channel.set_atom_ext(Some(atom));
    let items: Vec<Item> = articles
        .iter()
        .map(|a| {
            let mut item = Item::default();
            item.set_title(Some(a.title.clone()));
            item.set_link(Some(a.url.clone()));
            // Readers take a description as HTML; the summary is text.
            item.set_description(Some(escape(&a.summary)));
            item.set_content(Some(body_html(a)));
            let mut guid = Guid::default();
            let (id, permalink) = ids.of(a);
            guid.set_value(id);
            guid.set_permalink(permalink);
            item.set_guid(Some(guid));
            item.set_pub_date(parse_time(&a.published_at).and_then(|t| t.format(&Rfc2822).ok()));
            if let Some(section) = &a.section {
                let mut category = rss::Category::default();
                category.set_name(section.clone());
                item.set_categories(vec![category]);
            }
            let mut dc = DublinCoreExtension::default();
            if let Some(author) = &a.author {
                dc.set_creators(vec![author.clone()]);
            }
            dc.set_languages(vec![a.lang.clone()]);
            item.set_dublin_core_ext(Some(dc));
            if let Some(image) = &a.image {
                let media = BTreeMap::from([("content".to_owned(), vec![media_content(image)])]);
                item.set_extensions(BTreeMap::from([("media".to_owned(), media)]));
            }
            item
        })
        .collect();
    channel.set_items(items);
    // XML 1.0 has no place for most control characters: one pasted into
    // an article (a vertical tab from a word processor) would make strict
    // readers refuse the whole feed. Markup never holds them.
    channel
        .to_string()
        .chars()
        .filter(|&c| {
            (c >= ' ' || matches!(c, '\t' | '\n' | '\r')) && !matches!(c, '\u{fffe}' | '\u{ffff}')
        })
        .collect()
}

/// The article's image as Media RSS (`media:content`, what feed readers
/// show beside an item), its alt text as the description. The type is
/// named when the file's name says it: readers (and Khabar's own feed
/// sync) then know an address without one for an image.
fn media_content(image: &Image) -> Extension {
    let mut content = Extension {
        name: "media:content".into(),
        ..Extension::default()
    };
    content.attrs.insert("url".into(), image.url.clone());
    content.attrs.insert("medium".into(), "image".into());
    if let Some(mime) = image_type(&image.url) {
        content.attrs.insert("type".into(), mime.into());
    }
    let alt = image.alt.trim();
    if !alt.is_empty() {
        let mut description = Extension {
            name: "media:description".into(),
            value: Some(alt.to_owned()),
            ..Extension::default()
        };
        description.attrs.insert("type".into(), "plain".into());
        content
            .children
            .insert("description".into(), vec![description]);
    }
    content
}

/// The MIME type an image's address names by its file's extension.
fn image_type(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let name = path.rsplit('/').next().unwrap_or_default();
    let (_, ext) = name.rsplit_once('.')?;
    Some(match ext.to_ascii_lowercase().as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        _ => return None,
    })
}

/// JSON Feed 1.1.
pub fn json_feed(
    site: &Site<'_>,
    self_url: &str,
    title: &str,
    articles: &[Article],
    ids: &FeedIds,
) -> Value {
    let items: Vec<Value> = articles
        .iter()
        .map(|a| {
            let mut item = json!({
                "id": ids.of(a).0,
                "url": a.url,
                "title": a.title,
                "summary": a.summary,
                "content_html": body_html(a),
                "date_published": a.published_at,
                "language": a.lang,
            });
            if let Some(u) = &a.updated_at {
                item["date_modified"] = json!(u);
            }
            if let Some(author) = &a.author {
                item["authors"] = json!([{ "name": author }]);
            }
            if let Some(section) = &a.section {
                item["tags"] = json!([section]);
            }
            if let Some(image) = &a.image {
                item["image"] = json!(image.url);
            }
            item
        })
        .collect();
    json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": site.home,
        "feed_url": self_url,
        "items": items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_html_is_cleaned_for_feeds() {
        let clean = sanitize_html(
            "<p onclick=x>ok <a href=\"javascript:alert(1)\">x</a> <a href=\"https://a.test\">y</a></p><script>alert(1)</script><img src=x onerror=alert(1)>",
            None,
        );
        assert!(
            !clean.contains("onclick") && !clean.contains("script") && !clean.contains("onerror")
        );
        assert!(!clean.contains("javascript:"));
        assert!(clean.contains("href=\"https://a.test\""));
        assert!(clean.contains("rel=\"noopener noreferrer nofollow\""));
    }

    /// A CMS's paragraphs in `div`s and a table's cells keep apart, where
    /// unwrapped their text ran together.
    #[test]
    fn divs_and_tables_keep_their_text_apart() {
        let clean = sanitize_stored_html(
            "<div>الجملة الأولى.</div><div>الثانية.</div><figure class=\"wp-block-table\"><table><tbody>\
             <tr><th>الحزب</th><th>المقاعد</th></tr><tr><td>أ</td><td>12</td></tr></tbody></table></figure>",
        );
        assert_eq!(
            clean,
            "<div>الجملة الأولى.</div><div>الثانية.</div><figure><table><tbody>\
             <tr><th>الحزب</th><th>المقاعد</th></tr><tr><td>أ</td><td>12</td></tr></tbody></table></figure>"
        );
    }

    /// An image's size and a cell's spans are kept when they are plain
    /// numbers; a correction's struck figure and an exponent keep their
    /// markup.
    #[test]
    fn sizes_spans_and_marked_text_are_kept() {
        let clean = sanitize_stored_html(
            "<img src=\"https://cdn.test/a.jpg\" width=\"1200\" height=\" 675 \" style=\"x\">\
             <img src=\"https://cdn.test/b.jpg\" width=\"100%\" height=\"0\">\
             <table><tr><td colspan=\"2\" rowspan=\"x\">أ</td></tr></table>\
             <p><del>15</del> 17 km<sup>2</sup>, H<sub>2</sub>O <s>old</s></p>",
        );
        assert_eq!(
            clean,
            "<img src=\"https://cdn.test/a.jpg\" width=\"1200\" height=\"675\">\
             <img src=\"https://cdn.test/b.jpg\">\
             <table><tbody><tr><td colspan=\"2\">أ</td></tr></tbody></table>\
             <p><del>15</del> 17 km<sup>2</sup>, H<sub>2</sub>O <s>old</s></p>"
        );
    }

    /// A body stored with relative links and images (the widget resolves
    /// them) has them absolute in a feed, against the article's URL.
    #[test]
    fn relative_urls_are_resolved_against_the_article_in_feeds() {
        let html = "<p><a href=\"/2026/other\">x</a></p><img src=\"media/p.jpg\" alt=\"p\">";
        let clean = sanitize_html(html, Some("https://news.test/2026/12/story"));
        assert!(
            clean.contains("href=\"https://news.test/2026/other\"")
                && clean.contains("src=\"https://news.test/2026/12/media/p.jpg\""),
            "{clean}"
        );
        let clean = sanitize_html(html, None);
        assert!(
            !clean.contains("href=") && !clean.contains("src="),
            "{clean}"
        );
    }

    #[test]
    fn raw_text_elements_are_never_shown_as_markup() {
        let clean = sanitize_stored_html(
            "<p>a</p><img src=\"data:image/gif;base64,R0l\" data-src=\"https://cdn.test/x.jpg\"><NoScript><img src=\"https://cdn.test/x.jpg\" alt=\"x\"></noscript>\
             <iframe src=\"https://video.test/e/1\"><p>Your browser</p></iframe><noembed>&lt;b&gt;</noembed><p>b</p>",
        );
        assert!(!clean.contains("&lt;"), "{clean}");
        assert!(
            clean.contains("<img src=\"https://cdn.test/x.jpg\" alt=\"x\">"),
            "{clean}"
        );
        assert!(
            !clean.contains("Your browser") && !clean.contains("iframe"),
            "{clean}"
        );
        assert!(
            clean.starts_with("<p>a</p>") && clean.ends_with("<p>b</p>"),
            "{clean}"
        );
        // The word itself, outside a tag, stays.
        assert_eq!(
            sanitize_stored_html("<p>noscript users</p>"),
            "<p>noscript users</p>"
        );
        // An "embed this" box, a player's fallback words, a form's
        // controls: none of it is the article's text, as in the widget;
        // a `picture` keeps its image.
        let clean = sanitize_stored_html(
            "<p>a</p><textarea><iframe src=\"https://video.test/e/1\"></iframe></textarea>\
             <video src=\"https://cdn.test/v.mp4\">Your browser does not support video.</video>\
             <select><option>Choose</option></select><button>Share</button>\
             <picture><source srcset=\"https://cdn.test/p.webp\"><img src=\"https://cdn.test/p.jpg\" alt=\"p\"></picture><p>b</p>",
        );
        assert_eq!(
            clean, "<p>a</p><img src=\"https://cdn.test/p.jpg\" alt=\"p\"><p>b</p>",
            "{clean}"
        );
    }

    #[test]
    fn text_is_escaped_in_block_bodies() {
        assert_eq!(escape("<b>\"&'"), "&lt;b&gt;&quot;&amp;&#39;");
        let html = block_html(&Block::Paragraph {
            text: "<script>".into(),
        });
        assert_eq!(html, "<p>&lt;script&gt;</p>");
    }
}
