//! WordPress exports (Tools → Export, WXR): an RSS `<channel>` whose
//! `<item>`s (posts, pages, any post type) carry `<link>`, `<title>` and
//! their `<wp:comment>`s: `wp:comment_id`, `wp:comment_parent` (0: none),
//! `wp:comment_approved` (1, 0, spam, trash), `wp:comment_date_gmt`,
//! `wp:comment_author(_email)`, `wp:comment_content` and
//! `wp:comment_type` (pingbacks and trackbacks are not readers' comments).

use time::PrimitiveDateTime;

use super::source::{SourceComment, SourceState, SourceThread};
use super::targets::Page;
use super::xml::{Element, XmlError};

/// A WXR time, `2026-11-30 08:15:00`, read as UTC; WordPress writes
/// `0000-00-00 00:00:00` when it has none.
fn wp_time(text: &str) -> Option<time::OffsetDateTime> {
    let format = time::format_description::parse_borrowed::<2>(
        "[year]-[month]-[day] [hour]:[minute]:[second]",
    )
    .ok()?;
    PrimitiveDateTime::parse(text.trim(), &format)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// The elements whose text [`threads`] reads. The rest of a WordPress
/// export — every article's body, excerpt and custom fields, usually most
/// of the file — is not kept in memory while the file is read.
pub fn keeps_text(name: &str) -> bool {
    name.starts_with("wp:comment") || matches!(name, "link" | "title" | "wp:base_blog_url")
}

/// Every item of the export that has comments.
pub fn threads(root: &Element) -> Result<Vec<SourceThread>, XmlError> {
    let channel = root
        .child("channel")
        .filter(|_| root.name == "rss")
        .ok_or_else(|| XmlError {
            offset: root.offset,
            reason: format!(
                "the root element is <{}> without <channel>, not <rss>: not a WordPress export",
                root.name
            ),
        })?;
    // The blog's own address (one blog of a multisite network), else the
    // channel's link.
    let site = channel
        .child_text("wp:base_blog_url")
        .or_else(|| channel.child_text("link"))
        .map(str::to_owned);
    let mut out = Vec::new();
    for item in channel.children_named("item") {
        let comments: Vec<SourceComment> = item
            .children_named("wp:comment")
            .map(|c| {
                let text = |name: &str| c.child_text(name).unwrap_or_default();
                let kind = text("wp:comment_type");
                let state = match (kind, text("wp:comment_approved")) {
                    ("pingback" | "trackback", _) => SourceState::Pingback,
                    (_, "spam") => SourceState::Spam,
                    (_, "trash" | "post-trashed") => SourceState::Deleted,
                    (_, "1" | "approve") => SourceState::Published,
                    _ => SourceState::Pending,
                };
                SourceComment {
                    id: text("wp:comment_id").to_owned(),
                    parent: c
                        .child_text("wp:comment_parent")
                        .filter(|p| *p != "0")
                        .map(str::to_owned),
                    author: text("wp:comment_author").to_owned(),
                    email: c.child_text("wp:comment_author_email").map(str::to_owned),
                    body_html: c
                        .child("wp:comment_content")
                        .map(|b| b.text.clone())
                        .unwrap_or_default(),
                    created_at: wp_time(text("wp:comment_date_gmt"))
                        .or_else(|| wp_time(text("wp:comment_date"))),
                    state,
                }
            })
            .collect();
        if comments.is_empty() {
            continue;
        }
        out.push(SourceThread {
            page: Page::Url(item.child_text("link").unwrap_or_default().to_owned()),
            title: item.child_text("title").map(str::to_owned),
            site: site.clone(),
            comments,
        });
    }
    Ok(out)
}
