//! WordPress exports (Tools → Export, WXR): an RSS `<channel>` whose
//! `<item>`s (posts, pages, any post type) carry `<link>`, `<title>` and
//! their `<wp:comment>`s: `wp:comment_id`, `wp:comment_parent` (0: none),
//! `wp:comment_approved` (1, 0, spam, trash), `wp:comment_date_gmt`,
//! `wp:comment_author(_email)`, `wp:comment_content` and
//! `wp:comment_type` (empty or `comment` for a reader's comment; pingbacks,
//! trackbacks, editorial notes and plugins' kinds are not readers'), and
//! `wp:commentmeta`, whose `dsq_post_id` names a comment that Disqus's
//! plugin synced from Disqus.
//! An item's `wp:status` (publish, private, draft, …) and `wp:post_password`
//! tell whether its page is public; its `wp:post_date(_gmt)` give the
//! blog's offset from UTC to comments that have no GMT time.

use time::PrimitiveDateTime;

use super::source::{SourceComment, SourceState, SourceThread};
use super::targets::Page;
use super::xml::{Element, Records, XmlError};

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

/// The elements whose text [`Items`] reads. The rest of a WordPress
/// export — every article's body, excerpt and custom fields, usually most
/// of the file — is not kept in memory while the file is read.
pub fn keeps_text(name: &str) -> bool {
    name.starts_with("wp:comment")
        || matches!(
            name,
            "link"
                | "title"
                // The post's id and first address: its article when the
                // link moved since the sync (`SourceThread::identifiers`).
                | "wp:post_id"
                | "guid"
                // A comment's metadata (and, read and dropped with its
                // item, a post's): `dsq_post_id`.
                | "wp:meta_key"
                | "wp:meta_value"
                | "wp:base_blog_url"
                | "wp:status"
                | "wp:post_password"
                | "wp:post_date"
                | "wp:post_date_gmt"
        )
}

/// Reads a WordPress export as it streams by: each `<item>` of the channel
/// is a record, read into a thread when it has comments and then dropped.
#[derive(Default)]
pub struct Items {
    threads: Vec<SourceThread>,
    /// The blog's offset from UTC at the times earlier posts show.
    offsets: Vec<(time::OffsetDateTime, time::Duration)>,
}

impl Records for Items {
    fn is_record(&self, name: &str, depth: usize) -> bool {
        depth == 2 && name == "item"
    }

    fn root(&mut self, root: &Element) -> Result<(), XmlError> {
        if root.name == "rss" {
            Ok(())
        } else {
            Err(not_wxr(root))
        }
    }

    fn record(&mut self, item: Element) -> Result<(), XmlError> {
        // The blog's offset from UTC, from the times that come in both
        // forms: this post's comments and its own publication (a draft's
        // GMT time is all zeros and reads as none). A comment without a GMT
        // time (WordPress before 2.x) takes the offset nearest in time, or,
        // when its post shows none, the one the posts before it showed.
        // An offset beyond a day is no time zone's: a broken pair.
        let pair = |local: Option<&str>, gmt: Option<&str>| {
            let local = wp_time(local?)?;
            Some((local, local - wp_time(gmt?)?)).filter(|(_, o)| o.abs() <= time::Duration::DAY)
        };
        let posted = pair(
            item.child_text("wp:post_date"),
            item.child_text("wp:post_date_gmt"),
        );
        let offsets: Vec<(time::OffsetDateTime, time::Duration)> = item
            .children_named("wp:comment")
            .filter_map(|c| {
                pair(
                    c.child_text("wp:comment_date"),
                    c.child_text("wp:comment_date_gmt"),
                )
            })
            .chain(posted)
            .collect();
        let known = if offsets.is_empty() {
            &self.offsets
        } else {
            &offsets
        };
        let local_to_utc = |local: time::OffsetDateTime| {
            known
                .iter()
                .min_by_key(|(at, _)| (*at - local).abs())
                .map_or(Some(local), |(_, offset)| local.checked_sub(*offset))
        };
        let comments: Vec<SourceComment> = item
            .children_named("wp:comment")
            .map(|c| {
                let text = |name: &str| c.child_text(name).unwrap_or_default();
                let kind = text("wp:comment_type");
                let state = match (kind, text("wp:comment_approved")) {
                    ("pingback" | "trackback", _) => SourceState::Pingback,
                    // WordPress exports every kind but spam: editorial notes
                    // (6.9), shops' order notes and plugins' own kinds too.
                    (kind, _) if !matches!(kind, "" | "comment") => SourceState::OtherKind,
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
                        .or_else(|| wp_time(text("wp:comment_date")).and_then(local_to_utc)),
                    state,
                    disqus_id: c
                        .children_named("wp:commentmeta")
                        .find(|m| m.child_text("wp:meta_key") == Some("dsq_post_id"))
                        .and_then(|m| m.child_text("wp:meta_value"))
                        .map(str::trim)
                        .filter(|id| !id.is_empty())
                        .map(str::to_owned),
                }
                .kept()
            })
            .collect();
        // One offset per post is kept for the posts after it.
        self.offsets
            .extend(posted.or_else(|| offsets.first().copied()));
        if !comments.is_empty() {
            // Published posts and pages, and attachments (`inherit`); an
            // export without a status (hand-made ones) counts as public.
            let status = item.child_text("wp:status").map(str::trim);
            let locked = item
                .child_text("wp:post_password")
                .is_some_and(|p| !p.trim().is_empty());
            self.threads.push(SourceThread {
                page: Page::Url(item.child_text("link").unwrap_or_default().to_owned()),
                title: item.child_text("title").map(str::to_owned),
                site: None,
                comments,
                public: !locked && status.is_none_or(|s| matches!(s, "publish" | "inherit")),
                // The post's id and its first address, as Disqus's plugin
                // names a post: they stay when its permalink changes.
                identifiers: match (item.child_text("wp:post_id"), item.child_text("guid")) {
                    (Some(id), Some(guid)) => vec![format!("{} {}", id.trim(), guid.trim())],
                    _ => Vec::new(),
                },
            });
        }
        Ok(())
    }
}

impl Items {
    /// Every item that had comments, each with the blog's address, once
    /// `root` (the document without its items) has been read whole.
    pub fn finish(self, root: &Element) -> Result<Vec<SourceThread>, XmlError> {
        let channel = root
            .child("channel")
            .filter(|_| root.name == "rss")
            .ok_or_else(|| not_wxr(root))?;
        // The blog's own address (one blog of a multisite network), else the
        // channel's link; it may come after the items.
        let site = channel
            .child_text("wp:base_blog_url")
            .or_else(|| channel.child_text("link"))
            .map(str::to_owned);
        let mut threads = self.threads;
        for thread in &mut threads {
            thread.site.clone_from(&site);
        }
        Ok(threads)
    }
}

fn not_wxr(root: &Element) -> XmlError {
    XmlError {
        offset: root.offset,
        reason: format!(
            "the root element is <{}> without <channel>, not <rss>: not a WordPress export",
            root.name
        ),
    }
}
