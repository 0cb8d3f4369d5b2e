//! The comment list: heading with the total, comments with their replies,
//! the reader's own pending ones, and the "more comments" button.

use web_sys::{Document, Element};

use crate::dom::{words_dir, Attrs, El};
use crate::i18n::format::{self, DateSettings, TimeWriter};
use crate::i18n::Catalog;
use crate::model::Comment;

/// The parts of the section its controller works with.
pub struct Section {
    /// The section itself.
    pub section: Element,
    /// The list of comments.
    pub list: Element,
    /// The count in the heading.
    pub total: Element,
}

/// The section's frame: heading (with the count), live region, list,
/// and a slot for the form. The caller fills the list.
pub fn section(doc: &Document, catalog: &Catalog, dates: &DateSettings, total: u32) -> Section {
    let total = El::new(doc, "span")
        .class("comments-total")
        .text(&format!(" ({})", format::count(dates, total)));
    let total_el = total.build_ref().clone();
    let list = El::new(doc, "ol")
        .class("comment-list")
        .attr("role", "list");
    let list_el = list.build_ref().clone();
    let section = El::new(doc, "section")
        .class("comments")
        .part("comments")
        .attr("aria-labelledby", "khabar-comments-title")
        .child(
            El::new(doc, "h2")
                .class("comments-title")
                .attr("id", "khabar-comments-title")
                .text(catalog.comments_title())
                .child(total),
        )
        .child(
            El::new(doc, "p")
                .class("visually-hidden comments-live")
                .attr("role", "status")
                .attr("aria-live", "polite"),
        )
        .child(list)
        .build();
    Section {
        section,
        list: list_el,
        total: total_el,
    }
}

/// One comment (and its replies). `pending` marks the reader's own comment
/// that waits for moderation.
pub fn comment(
    doc: &Document,
    c: &Comment,
    catalog: &Catalog,
    relative: &TimeWriter,
    pending: bool,
    can_reply: bool,
) -> El {
    // The exact time is written when a reader points at or focuses it
    // ([`show_exact`]), not for every comment of every page: with a
    // `time-zone` or the Islamic calendar a dateline needs `Intl`, whose
    // set-up the first comment should not wait for.
    let time = El::new(doc, "time")
        .attr("datetime", &c.created_at)
        .attr("tabindex", "0");
    relative.write_into(&c.created_at, time.build_ref());
    // Not only khabar-server cleans them: any backend may hand over bidi
    // controls or a pile of marks.
    let author = khabar_rules::as_shown(&c.author);
    // "Reply" and "More replies" are described by the name of the comment
    // they are under: a page holds many such buttons, which a screen
    // reader's list of buttons would otherwise name alike.
    let can_reply = can_reply && !pending && c.parent_id.is_none();
    let by = (can_reply || c.replies_next.is_some()).then(|| format!("kc-by-{}", c.id));
    let mut name = El::new(doc, "bdi").class("comment-author").text(&author);
    if let Some(by) = &by {
        name = name.attr("id", by);
    }
    let mut header = El::new(doc, "p")
        .class("comment-meta")
        .child(name)
        .text(" ")
        .child(time);
    if pending {
        header = header.child(
            El::new(doc, "span")
                .class("badge")
                .text(catalog.pending_badge()),
        );
    }
    // A comment has no story's direction to keep on a tie: its first letter
    // decides, as it did while it was typed (the form's `dir="auto"`).
    let dir = words_dir(&c.body).unwrap_or("auto");
    let mut body = El::new(doc, "p").class("comment-body").attr("dir", dir);
    for (i, line) in khabar_rules::as_shown(&c.body).split('\n').enumerate() {
        if i > 0 {
            body = body.child(El::new(doc, "br"));
        }
        body = body.text(line);
    }
    let reply = by.as_ref().filter(|_| can_reply).map(|by| {
        El::new(doc, "button")
            .attr("aria-describedby", by)
            .attr("type", "button")
            .class("reply")
            .part("button reply")
            .attr("data-reply-to", &c.id.to_string())
            .attr("data-reply-name", &author)
            .text(catalog.reply())
    });
    let mut item = El::new(doc, "li")
        .class(if pending {
            "comment pending"
        } else {
            "comment"
        })
        .attr("data-id", &c.id.to_string())
        .child(
            El::new(doc, "article")
                .part("comment")
                .child(header)
                .child(body)
                .child_opt(reply),
        );
    if c.parent_id.is_none() {
        let mut replies = El::new(doc, "ol").class("replies").attr("role", "list");
        for r in &c.replies {
            replies = replies.child(comment(doc, r, catalog, relative, false, false));
        }
        item = item.child(replies);
        if let (Some(next), Some(by)) = (&c.replies_next, &by) {
            item = item.child(more_replies(doc, catalog, c.id, next).attr("aria-describedby", by));
        }
    }
    item
}

/// "More replies" under a comment's replies, while some are not shown:
/// the comment and where its next replies begin.
fn more_replies(doc: &Document, catalog: &Catalog, parent: i64, cursor: &str) -> El {
    El::new(doc, "button")
        .attr("type", "button")
        .class("more more-replies")
        .part("button more")
        .attr("data-parent", &parent.to_string())
        .attr("data-cursor", cursor)
        .text(catalog.replies_more())
}

/// Why more replies did not come, before their button (which tries again).
pub fn replies_error(doc: &Document, message: &str) -> El {
    El::new(doc, "p")
        .class("replies-error")
        .attr("role", "alert")
        .text(message)
}

/// "No comments yet."
pub fn empty(doc: &Document, catalog: &Catalog) -> El {
    El::new(doc, "li")
        .class("comments-empty")
        .text(catalog.comments_none())
}

/// "Comments are closed.", where the form would be.
pub fn closed(doc: &Document, catalog: &Catalog) -> El {
    El::new(doc, "p")
        .class("note closed")
        .text(catalog.comments_closed())
}

/// The "more comments" button.
pub fn more(doc: &Document, catalog: &Catalog) -> El {
    El::new(doc, "button")
        .attr("type", "button")
        .class("more more-comments")
        .part("button more")
        .text(catalog.comments_more())
}

/// A loading error under the list, with its retry button.
pub fn list_error(doc: &Document, catalog: &Catalog, message: &str) -> (El, Element) {
    let retry = El::new(doc, "button")
        .attr("type", "button")
        .class("retry list-retry")
        .part("button retry")
        .text(catalog.retry());
    let retry_el = retry.build_ref().clone();
    let el = El::new(doc, "div")
        .class("list-error")
        .attr("role", "alert")
        .child(El::new(doc, "p").text(message))
        .child(retry);
    (el, retry_el)
}

/// Gives a comment's `<time>` its exact time (`title`, and `data-exact`,
/// which the stylesheet shows on hover and focus).
pub fn show_exact(time: &Element, exact: &TimeWriter) {
    let when = time.get_attribute("datetime").unwrap_or_default();
    let text = exact.format(&when).unwrap_or_default();
    time.set_attr("title", &text);
    time.set_attr("data-exact", &text);
}
