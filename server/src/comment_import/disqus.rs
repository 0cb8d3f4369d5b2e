//! Disqus exports (Admin → Community → Export): a `<disqus>` root with
//! `<thread dsq:id>` elements (the page's `<link>` and `<title>`) and
//! `<post dsq:id>` elements pointing at their thread and parent by
//! `dsq:id`, with `<message>` as HTML, `<createdAt>` in RFC 3339 and
//! `<isDeleted>`/`<isSpam>` flags.

use std::collections::{HashMap, HashSet};

use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{OffsetDateTime, PrimitiveDateTime};

use super::source::{SourceComment, SourceState, SourceThread};
use super::targets::Page;
use super::xml::{Element, Records, XmlError};

/// Whether a flag element says `true`.
fn flag(el: &Element, name: &str) -> bool {
    el.child_text(name)
        .is_some_and(|t| t.eq_ignore_ascii_case("true") || t == "1")
}

/// The `dsq:id` of an element or of its child `name`.
fn dsq_id<'a>(el: &'a Element, name: Option<&str>) -> Option<&'a str> {
    let el = match name {
        Some(n) => el.child(n)?,
        None => el,
    };
    el.attr("dsq:id").map(str::trim).filter(|s| !s.is_empty())
}

/// Reads a Disqus export as it streams by: each `<thread>` and `<post>`
/// under the root is a record. Posts name their thread by id, and a post
/// may come before its thread, so they are matched in [`Posts::finish`].
#[derive(Default)]
pub struct Posts {
    threads: Vec<SourceThread>,
    by_id: HashMap<String, usize>,
    /// Each post read: its thread's id and where it was, with the comment.
    posts: Vec<(String, usize, SourceComment)>,
    /// The threads deleted in Disqus (`<isDeleted>` on the thread), by
    /// index: their posts count as deleted, whatever each says.
    deleted: HashSet<usize>,
}

impl Records for Posts {
    fn is_record(&self, name: &str, depth: usize) -> bool {
        depth == 1 && matches!(name, "thread" | "post")
    }

    fn root(&mut self, root: &Element) -> Result<(), XmlError> {
        if root.name == "disqus" {
            return Ok(());
        }
        Err(XmlError {
            offset: root.offset,
            reason: format!(
                "the root element is <{}>, not <disqus>: not a Disqus export",
                root.name
            ),
        })
    }

    fn record(&mut self, el: Element) -> Result<(), XmlError> {
        if el.name == "thread" {
            self.thread(&el)
        } else {
            self.post(&el)
        }
    }
}

/// A post's `createdAt`: RFC 3339, as Disqus's exports write it, another
/// ISO 8601 form with its offset (`2013-05-14T15:34+03:00`, no seconds, as
/// other tools write it), or one without an offset (`2012-12-12T12:12:12`,
/// as Disqus's documentation of the format shows it), which is UTC.
fn created_at(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(text, &Iso8601::DEFAULT))
        .ok()
        .or_else(|| {
            PrimitiveDateTime::parse(text, &Iso8601::DEFAULT)
                .ok()
                .map(PrimitiveDateTime::assume_utc)
        })
}

impl Posts {
    fn thread(&mut self, t: &Element) -> Result<(), XmlError> {
        let id = dsq_id(t, None).ok_or_else(|| XmlError {
            offset: t.offset,
            reason: "a <thread> without dsq:id".into(),
        })?;
        let link = t
            .child_text("link")
            .or_else(|| t.child_text("id").filter(|i| i.starts_with("http")))
            .unwrap_or_default();
        if flag(t, "isDeleted") {
            self.deleted.insert(self.threads.len());
        }
        self.by_id.insert(id.to_owned(), self.threads.len());
        self.threads.push(SourceThread {
            // Disqus numbers posts across all of Disqus: no site needed.
            site: None,
            page: Page::Url(link.to_owned()),
            title: t.child_text("title").map(str::to_owned),
            comments: Vec::new(),
            public: true,
            identifiers: t.child_text("id").map(str::to_owned).into_iter().collect(),
        });
        Ok(())
    }

    fn post(&mut self, p: &Element) -> Result<(), XmlError> {
        let missing = |what: &str| XmlError {
            offset: p.offset,
            reason: format!("a <post> without {what}"),
        };
        let id = dsq_id(p, None).ok_or_else(|| missing("dsq:id"))?;
        let thread = dsq_id(p, Some("thread")).ok_or_else(|| missing("<thread dsq:id>"))?;
        let author = p.child("author");
        let state = if flag(p, "isSpam") {
            SourceState::Spam
        } else if flag(p, "isDeleted") {
            SourceState::Deleted
        } else if p
            .child_text("isApproved")
            .is_some_and(|t| t.eq_ignore_ascii_case("false") || t.trim() == "0")
        {
            SourceState::Pending
        } else {
            SourceState::Published
        };
        let comment = SourceComment {
            id: id.to_owned(),
            parent: dsq_id(p, Some("parent")).map(str::to_owned),
            author: author
                .and_then(|a| a.child_text("name").or_else(|| a.child_text("username")))
                .unwrap_or_default()
                .to_owned(),
            email: author
                .and_then(|a| a.child_text("email"))
                .map(str::to_owned),
            body_html: p
                .child("message")
                .map(|m| m.text.clone())
                .unwrap_or_default(),
            created_at: p.child_text("createdAt").and_then(created_at),
            state,
            disqus_id: None,
        };
        self.posts
            .push((thread.to_owned(), p.offset, comment.kept()));
        Ok(())
    }

    /// Every thread of the export with its posts, in the file's order. The
    /// posts of a thread the file does not have (an export cut short, a
    /// forum's leftovers) go in a thread of their own, after the others,
    /// whose page names no page: the import skips them as comments of an
    /// unknown page and names it, instead of refusing the whole file.
    pub fn finish(self) -> Result<Vec<SourceThread>, XmlError> {
        let Posts {
            mut threads,
            mut by_id,
            posts,
            deleted,
        } = self;
        for (thread, _offset, mut comment) in posts {
            let index = match by_id.get(&thread) {
                Some(&index) => index,
                None => {
                    threads.push(SourceThread {
                        page: Page::Url(format!("(Disqus thread {thread}, not in the file)")),
                        title: None,
                        site: None,
                        comments: Vec::new(),
                        public: false,
                        identifiers: Vec::new(),
                    });
                    by_id.insert(thread.clone(), threads.len() - 1);
                    threads.len() - 1
                }
            };
            // A thread removed in Disqus (a takedown, say) takes its
            // comments with it; they are skipped as deleted ones are.
            if deleted.contains(&index) && comment.state != SourceState::Spam {
                comment.state = SourceState::Deleted;
            }
            threads[index].comments.push(comment);
        }
        Ok(threads)
    }
}

#[cfg(test)]
mod tests {
    use super::created_at;

    #[test]
    fn a_time_keeps_its_offset_in_every_form_written() {
        let utc = |t: &str| created_at(t).map(|t| (t.unix_timestamp(), t.offset().is_utc()));
        // 2013-05-14 12:34:00 UTC.
        let noon = Some((1_368_534_840, false));
        assert_eq!(utc("2013-05-14T15:34:00+03:00"), noon);
        assert_eq!(utc("2013-05-14T15:34+03:00"), noon);
        assert_eq!(utc(" 2013-05-14T15:34:00+03 "), noon);
        // Without an offset: UTC.
        assert_eq!(utc("2013-05-14T12:34:00"), Some((1_368_534_840, true)));
        assert_eq!(utc("2013-05-14T12:34:00Z"), Some((1_368_534_840, true)));
        assert_eq!(utc("yesterday"), None);
    }
}
