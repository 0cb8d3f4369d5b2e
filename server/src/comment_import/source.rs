//! What every reader makes of its file: threads of comments as the other
//! system stored them, before any mapping or cleaning (a leaf module, so
//! that the readers and the import share it without importing each other).

use time::OffsetDateTime;

use super::targets::Page;

/// A comment's state in the other system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceState {
    /// Shown there: imported as published.
    Published,
    /// Waiting for a moderator there: imported as pending.
    Pending,
    /// Deleted (or trashed): skipped.
    Deleted,
    /// Marked as spam: skipped.
    Spam,
    /// A pingback or trackback, not a reader's comment: skipped.
    Pingback,
    /// Another kind of WordPress comment (the block editor's editorial
    /// notes, a shop's order notes, a plugin's own): not a reader's, and
    /// often never meant for readers: skipped.
    OtherKind,
}

/// One comment as the other system stored it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceComment {
    /// Its id there.
    pub id: String,
    /// The id there of the comment it answers.
    pub parent: Option<String>,
    /// Display name as stored there (may hold markup or escapes).
    pub author: String,
    /// E-mail address, if any.
    pub email: Option<String>,
    /// Its text: HTML (Disqus, WordPress), or as typed (Isso's Markdown).
    pub body_html: String,
    /// When it was written; `None` when the file has no readable time.
    pub created_at: Option<OffsetDateTime>,
    /// Its state there.
    pub state: SourceState,
    /// Its id in Disqus, when Disqus's WordPress plugin synced it into
    /// WordPress (a WordPress export's `dsq_post_id`): a Disqus export
    /// holds the same comment under that id.
    pub disqus_id: Option<String>,
}

impl SourceComment {
    /// The comment as the import keeps it while it reads the file: the
    /// text of one it will not store (spam, deleted, pingbacks, other
    /// kinds) is let go at once, as an export that is mostly spam would
    /// otherwise hold all of it in memory to the end.
    pub fn kept(mut self) -> SourceComment {
        if !matches!(self.state, SourceState::Published | SourceState::Pending) {
            self.body_html = String::new();
            self.author = String::new();
            self.email = None;
        }
        self
    }
}

/// One page's comments as the other system stored them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceThread {
    /// The page.
    pub page: Page,
    /// The page's title, if the file has one.
    pub title: Option<String>,
    /// The site that served it, when the file names one (a WordPress
    /// export's blog URL): comment ids are counted per site there, so the
    /// import keys carry it.
    pub site: Option<String>,
    /// Its comments, in the file's order.
    pub comments: Vec<SourceComment>,
    /// Whether anyone could read the page there. A private, draft or
    /// password-protected post's comments never get a thread of their own
    /// here, where a thread is public.
    pub public: bool,
    /// What else the system knows the page by, tried when `page` finds no
    /// article: Disqus's `<id>` (the embedding page's identifier, such as
    /// `528 https://news.example/?p=528` from Disqus's WordPress plugin), a
    /// WordPress post's id and `guid` in the same shape. A page's address
    /// changes (a slug edited after publication); these do not.
    pub identifiers: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::{SourceComment, SourceState};

    #[test]
    fn only_a_comment_to_be_stored_keeps_its_text() {
        let comment = |state| SourceComment {
            id: "9".into(),
            parent: Some("8".into()),
            author: "Spammer".into(),
            email: Some("s@spam.example".into()),
            body_html: "<p>buy now</p>".repeat(1000),
            created_at: None,
            state,
            disqus_id: None,
        };
        for state in [SourceState::Published, SourceState::Pending] {
            assert_eq!(comment(state).kept(), comment(state));
        }
        for state in [
            SourceState::Spam,
            SourceState::Deleted,
            SourceState::Pingback,
            SourceState::OtherKind,
        ] {
            let kept = comment(state).kept();
            // What counts it and threads its replies stays.
            assert_eq!((kept.id.as_str(), kept.parent.as_deref()), ("9", Some("8")));
            assert_eq!(kept.state, state);
            assert!(kept.body_html.is_empty() && kept.author.is_empty() && kept.email.is_none());
        }
    }
}
