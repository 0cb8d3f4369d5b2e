//! The data the backend sends, as plain Rust types (see `docs/api.md`).
//!
//! Nothing here touches the browser, so native `cargo test` covers it.

use crate::json::{DecodeError, FromJson, Json, Obj, ObjWriter, ToJson};

/// A full article, as returned by `GET /articles/{id}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    /// Stable identifier used in URLs.
    pub id: String,
    /// Canonical URL of the article on the news site.
    pub url: String,
    /// Headline.
    pub title: String,
    /// One- or two-sentence summary.
    pub summary: String,
    /// Body as trusted-shape blocks; preferred over `body_html` when both exist.
    pub body: Option<Vec<Block>>,
    /// Body as HTML, rebuilt from an allowlist before it is shown.
    pub body_html: Option<String>,
    /// RFC 3339 publication time.
    pub published_at: String,
    /// RFC 3339 time of the last update.
    pub updated_at: Option<String>,
    /// Agency or outlet the story comes from.
    pub source: Option<String>,
    /// Section slug, for example `politics`.
    pub section: Option<String>,
    /// Byline.
    pub author: Option<String>,
    /// Lead image.
    pub image: Option<Image>,
    /// BCP 47 language tag of the article text.
    pub lang: Option<String>,
    /// Whether readers may comment.
    pub comments_open: bool,
    /// Number of published comments.
    pub comment_count: u32,
}

/// An image with its accessible text.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// Absolute http(s) URL.
    pub url: String,
    /// Alternative text; empty only for decorative images.
    pub alt: String,
    /// Visible caption.
    pub caption: Option<String>,
}

/// One structured block of an article body.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A paragraph of plain text.
    Paragraph {
        /// The paragraph's text.
        text: String,
    },
    /// A sub-heading.
    Heading {
        /// The heading's text.
        text: String,
    },
    /// A quotation, optionally attributed.
    Quote {
        /// The quoted words.
        text: String,
        /// Who said it.
        cite: Option<String>,
    },
    /// A bulleted or numbered list.
    List {
        /// Numbered when true.
        ordered: bool,
        /// The items, as plain text.
        items: Vec<String>,
    },
    /// An image inside the body.
    Image(Image),
    /// A block type this version of the widget does not know; skipped.
    Unknown,
}

/// The short form of an article used in lists and cards.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleSummary {
    /// Stable identifier.
    pub id: String,
    /// Canonical URL.
    pub url: String,
    /// Headline.
    pub title: String,
    /// Short summary.
    pub summary: String,
    /// RFC 3339 publication time.
    pub published_at: String,
    /// Section slug.
    pub section: Option<String>,
    /// Thumbnail.
    pub image: Option<Image>,
    /// Published comments (shown with `data-comment-counts`).
    pub comment_count: u32,
    /// BCP 47 language tag of its title and summary.
    pub lang: Option<String>,
}

/// One page of a cursor-paged list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Cursor of the next page, `None` on the last one.
    pub next: Option<String>,
}

/// An RFC 3339 time's minute, and its offset after the seconds and their
/// fraction.
fn minute_of(t: &str) -> (Option<&str>, Option<&str>) {
    let offset = t
        .get(16..)
        .map(|rest| rest.trim_start_matches(|c: char| c == ':' || c == '.' || c.is_ascii_digit()));
    (t.get(..16), offset)
}

impl Article {
    /// The paragraphs to show, whichever form the body came in.
    ///
    /// Structured blocks win; without them the body is empty here and the
    /// HTML path (sanitizer) takes over in the view.
    pub fn blocks(&self) -> &[Block] {
        self.body.as_deref().unwrap_or(&[])
    }

    /// The short form of this article, as lists and cards show it.
    pub fn to_summary(&self) -> ArticleSummary {
        ArticleSummary {
            id: self.id.clone(),
            url: self.url.clone(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            published_at: self.published_at.clone(),
            section: self.section.clone(),
            image: self.image.clone(),
            comment_count: self.comment_count,
            lang: self.lang.clone(),
        }
    }

    /// Whether `updated_at` names another minute than `published_at`: a
    /// typo fixed seconds after publication is no update to tell readers
    /// (the dateline shows minutes: "Updated" would repeat the time).
    pub fn was_updated(&self) -> bool {
        matches!(&self.updated_at, Some(u) if !u.is_empty() && minute_of(u) != minute_of(&self.published_at))
    }
}

/// A published reader comment.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// Identifier.
    pub id: i64,
    /// Display name (plain text).
    pub author: String,
    /// Plain text with line breaks.
    pub body: String,
    /// RFC 3339.
    pub created_at: String,
    /// The comment this answers.
    pub parent_id: Option<i64>,
    /// Published replies (top-level comments only): the first ones.
    pub replies: Vec<Comment>,
    /// Cursor of the replies after `replies`, when there are more.
    pub replies_next: Option<String>,
}

/// One page of comments: `GET /articles/{id}/comments`.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentPage {
    /// Top-level comments with their replies.
    pub items: Vec<Comment>,
    /// Cursor of the next page.
    pub next: Option<String>,
    /// All published comments of the article, replies included.
    pub total: u32,
    /// Whether the backend can mail readers about replies.
    pub reply_notifications: bool,
    /// Whether the article takes comments (a backend that does not say:
    /// yes, and a post tells).
    pub comments_open: bool,
}

/// The answer to `POST /articles/{id}/comments`.
#[derive(Debug, Clone, PartialEq)]
pub struct Posted {
    /// The stored comment.
    pub comment: Comment,
    /// `published` or `pending`.
    pub status: String,
    /// What came of "tell me about replies", when it was asked:
    /// `confirmation_sent`, `subscribed`, `limited` or `unavailable`.
    pub reply_notifications: Option<String>,
    /// The article's published comments with this one, when the backend
    /// says.
    pub total: Option<u32>,
}

/// What the backend can do: `GET /config`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SiteConfig {
    /// The site's name (for printouts).
    pub site_name: String,
    /// Whether "send to a friend" works.
    pub send_to_friend: bool,
    /// The RSS feed's URL.
    pub rss: Option<String>,
}

impl FromJson for SiteConfig {
    fn from_json<J: Json>(value: &J, path: &str) -> Result<Self, DecodeError> {
        let o = Obj::new(value, path)?;
        let caps = value.field("capabilities");
        let send = match &caps {
            Some(c) => {
                let c = Obj::new(c, "capabilities")?;
                let send = c.bool_or("send_to_friend", false);
                c.finish(send)?
            }
            None => false,
        };
        let rss = match value.field("feeds") {
            Some(f) => {
                let f = Obj::new(&f, "feeds")?;
                let rss = f.opt_string("rss");
                f.finish(rss)?
            }
            None => None,
        };
        Ok(SiteConfig {
            site_name: o.opt_string("site_name").unwrap_or_default(),
            send_to_friend: send,
            rss,
        })
    }
}

impl FromJson for Comment {
    fn from_json<J: Json>(value: &J, path: &str) -> Result<Self, DecodeError> {
        let o = Obj::new(value, path)?;
        let value = Comment {
            id: o.id("id"),
            author: o.string("author"),
            body: o.string("body"),
            created_at: o.string("created_at"),
            parent_id: o.opt_id("parent_id"),
            replies: o.opt_list("replies").unwrap_or_default(),
            replies_next: o.opt_string("replies_next"),
        };
        o.finish(value)
    }
}

impl FromJson for CommentPage {
    fn from_json<J: Json>(value: &J, path: &str) -> Result<Self, DecodeError> {
        let o = Obj::new(value, path)?;
        let value = CommentPage {
            items: o.list("items"),
            next: o.opt_string("next"),
            total: o.u32_or("total", 0),
            reply_notifications: o.bool_or("reply_notifications", false),
            comments_open: o.bool_or("comments_open", true),
        };
        o.finish(value)
    }
}

impl FromJson for Posted {
    fn from_json<J: Json>(value: &J, path: &str) -> Result<Self, DecodeError> {
        let o = Obj::new(value, path)?;
        let comment = o.required("comment");
        let status = o.string("status");
        let reply_notifications = o.opt_string("reply_notifications");
        let total = o.opt_id("total").and_then(|n| u32::try_from(n).ok());
        // `required` kept an error whenever `comment` is `None`.
        match o.finish(comment)? {
            Some(comment) => Ok(Posted {
                comment,
                status,
                reply_notifications,
                total,
            }),
            None => Err(DecodeError {
                path: "comment".into(),
                expected: "an object",
            }),
        }
    }
}

impl FromJson for Image {
    fn from_json<J: Json>(value: &J, path: &str) -> Result<Self, DecodeError> {
        let o = Obj::new(value, path)?;
        let value = Image {
            url: o.string("url"),
            alt: o.opt_string("alt").unwrap_or_default(),
            caption: o.opt_string("caption"),
        };
        o.finish(value)
    }
}

impl FromJson for Block {
    fn from_json<J: Json>(value: &J, path: &str) -> Result<Self, DecodeError> {
        let o = Obj::new(value, path)?;
        let value = match o.string("type").as_str() {
            "paragraph" => Block::Paragraph {
                text: o.string("text"),
            },
            "heading" => Block::Heading {
                text: o.string("text"),
            },
            "quote" => Block::Quote {
                text: o.string("text"),
                cite: o.opt_string("cite"),
            },
            "list" => Block::List {
                ordered: o.bool_or("ordered", false),
                items: o.list("items"),
            },
            "image" => Block::Image(Image::from_json(value, path)?),
            _ => Block::Unknown,
        };
        o.finish(value)
    }
}

impl FromJson for Article {
    fn from_json<J: Json>(value: &J, path: &str) -> Result<Self, DecodeError> {
        let o = Obj::new(value, path)?;
        let value = Article {
            id: o.string("id"),
            url: o.opt_string("url").unwrap_or_default(),
            title: o.string("title"),
            summary: o.opt_string("summary").unwrap_or_default(),
            body: o.opt_list("body"),
            body_html: o.opt_string("body_html"),
            published_at: o.string("published_at"),
            updated_at: o.opt_string("updated_at"),
            source: o.opt_string("source"),
            section: o.opt_string("section"),
            author: o.opt_string("author"),
            image: o.opt("image"),
            lang: o.opt_string("lang"),
            comments_open: o.bool_or("comments_open", true),
            comment_count: o.u32_or("comment_count", 0),
        };
        o.finish(value)
    }
}

impl FromJson for ArticleSummary {
    fn from_json<J: Json>(value: &J, path: &str) -> Result<Self, DecodeError> {
        let o = Obj::new(value, path)?;
        let value = ArticleSummary {
            id: o.string("id"),
            url: o.opt_string("url").unwrap_or_default(),
            title: o.string("title"),
            summary: o.opt_string("summary").unwrap_or_default(),
            published_at: o.string("published_at"),
            section: o.opt_string("section"),
            image: o.opt("image"),
            comment_count: o.u32_or("comment_count", 0),
            lang: o.opt_string("lang"),
        };
        o.finish(value)
    }
}

impl<T: FromJson> FromJson for Page<T> {
    fn from_json<J: Json>(value: &J, path: &str) -> Result<Self, DecodeError> {
        let o = Obj::new(value, path)?;
        let value = Page {
            items: o.list("items"),
            next: o.opt_string("next"),
        };
        o.finish(value)
    }
}

/// A reader's comment, as `POST /articles/{id}/comments` takes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewComment {
    /// The name.
    pub author: String,
    /// The e-mail, when given.
    pub email: Option<String>,
    /// The text.
    pub body: String,
    /// The comment answered, if any.
    pub parent_id: Option<i64>,
    /// The honeypot: empty from people.
    pub website: String,
    /// One key per comment, reused by every resend.
    pub idempotency_key: String,
    /// The page's title, with a comment by URL (it names a new thread).
    pub title: Option<String>,
    /// "Tell me about replies" (with an e-mail address).
    pub notify_replies: bool,
    /// The reader's interface language, for those e-mails.
    pub lang: Option<String>,
}

impl ToJson for NewComment {
    fn to_json(&self) -> String {
        ObjWriter::default()
            .string("author", &self.author)
            .opt_string("email", self.email.as_deref())
            .string("body", &self.body)
            .opt_id("parent_id", self.parent_id)
            .string("website", &self.website)
            .string("idempotency_key", &self.idempotency_key)
            .opt_string("title", self.title.as_deref())
            .flag("notify_replies", self.notify_replies)
            .opt_string("lang", self.lang.as_deref())
            .finish()
    }
}

/// "Send to a friend", as `POST /articles/{id}/send` takes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SendToFriend {
    /// The sender's name.
    pub from_name: String,
    /// The sender's address.
    pub from_email: String,
    /// The friend's address.
    pub to_email: String,
    /// The optional personal note.
    pub message: String,
    /// The same while the reader sends the same again: a repeat after a
    /// network error sends no second mail.
    pub idempotency_key: String,
}

impl ToJson for SendToFriend {
    fn to_json(&self) -> String {
        ObjWriter::default()
            .string("from_name", &self.from_name)
            .string("from_email", &self.from_email)
            .string("to_email", &self.to_email)
            .string("message", &self.message)
            .string("idempotency_key", &self.idempotency_key)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn parse(v: Value) -> Result<Article, DecodeError> {
        Article::from_json(&v, "")
    }

    #[test]
    fn requests_are_written_with_only_the_fields_they_have() {
        let mut c = NewComment {
            author: "سارة".into(),
            body: "نص \"مقتبس\"\nسطر".into(),
            website: String::new(),
            idempotency_key: "k".into(),
            ..NewComment::default()
        };
        let v: Value = serde_json::from_str(&c.to_json()).expect("JSON");
        assert_eq!(
            v,
            json!({"author": "سارة", "body": "نص \"مقتبس\"\nسطر", "website": "", "idempotency_key": "k"})
        );
        c.email = Some("a@b.test".into());
        c.parent_id = Some(7);
        let v: Value = serde_json::from_str(&c.to_json()).expect("JSON");
        assert_eq!(
            (v["email"].as_str(), v["parent_id"].as_i64()),
            (Some("a@b.test"), Some(7))
        );
        let send = SendToFriend {
            from_name: "A".into(),
            from_email: "a@b.test".into(),
            to_email: "c@d.test".into(),
            message: String::new(),
            idempotency_key: "k-1-2".into(),
        };
        let v: Value = serde_json::from_str(&send.to_json()).expect("JSON");
        assert_eq!(
            v,
            json!({"from_name": "A", "from_email": "a@b.test", "to_email": "c@d.test", "message": "", "idempotency_key": "k-1-2"})
        );
    }

    #[test]
    fn minimal_article_parses_with_defaults() {
        let a = parse(json!({"id":"a","title":"ت","published_at":"2017-01-01T10:31:08+03:00"}))
            .expect("valid");
        assert_eq!(a.title, "ت");
        assert!(a.blocks().is_empty());
        // docs/api.md: an article without the field takes comments.
        assert!(a.comments_open);
        assert!(!a.was_updated());
        // null is the same as absent
        let a = parse(json!({"id":"a","title":"t","published_at":"x","author":null,"image":null}))
            .expect("valid");
        assert_eq!(a.author, None);
    }

    #[test]
    fn blocks_of_every_kind_and_unknown_ones_parse() {
        let a = parse(
            json!({"id":"a","title":"t","published_at":"2017-01-01T00:00:00Z","body":[
              {"type":"paragraph","text":"p"},
              {"type":"heading","text":"h"},
              {"type":"quote","text":"q","cite":"c"},
              {"type":"list","ordered":true,"items":["1","2"]},
              {"type":"image","url":"https://x/i.jpg","alt":"a"},
              {"type":"video","src":"x"}
            ]}),
        )
        .expect("valid");
        assert_eq!(a.blocks().len(), 6);
        assert_eq!(a.blocks()[0], Block::Paragraph { text: "p".into() });
        assert_eq!(
            a.blocks()[3],
            Block::List {
                ordered: true,
                items: vec!["1".into(), "2".into()]
            }
        );
        assert_eq!(a.blocks()[5], Block::Unknown);
    }

    #[test]
    fn wrong_shape_is_an_error_naming_the_place() {
        let e = parse(json!({"id":1,"title":"t","published_at":"x"})).expect_err("bad id");
        assert_eq!(e.to_string(), "id: expected a string");
        let e = parse(json!({"title":"t"})).expect_err("missing id");
        assert_eq!(e.path, "id");
        assert!(parse(json!([])).is_err());
        assert!(parse(json!("article")).is_err());
        let e = parse(json!({"id":"a","title":"t","published_at":"x",
            "body":[{"type":"paragraph","text":"ok"},{"type":"paragraph","text":5}]}))
        .expect_err("bad block");
        assert_eq!(e.path, "body[1].text");
        let e = parse(json!({"id":"a","title":"t","published_at":"x","comment_count":-1}))
            .expect_err("negative");
        assert_eq!(e.path, "comment_count");
        let e = parse(json!({"id":"a","title":"t","published_at":"x","image":{"alt":"no url"}}))
            .expect_err("image without url");
        assert_eq!(e.path, "image.url");
    }

    #[test]
    fn a_posted_answer_names_the_place_in_its_comment() {
        let e = Posted::from_json(&json!({"status":"published","comment":{"id":"x"}}), "")
            .expect_err("bad id");
        assert_eq!(e.path, "comment.id");
        let e = Posted::from_json(&json!({"status":"published"}), "").expect_err("no comment");
        assert_eq!(e.to_string(), "comment: expected an object");
    }

    #[test]
    fn comments_nest_their_replies() {
        let page = CommentPage::from_json(
            &json!({"items":[{"id":1,"author":"سارة","body":"أ\nب","created_at":"2026-01-01T00:00:00Z",
                "parent_id":null,"replies":[{"id":2,"author":"Omar","body":"رد","created_at":"2026-01-01T01:00:00Z","parent_id":1}],
                "replies_next":"2"}],
                "next":"1","total":2}),
            "",
        )
        .expect("valid");
        assert_eq!(page.total, 2);
        assert_eq!(page.items[0].replies[0].parent_id, Some(1));
        assert_eq!(page.items[0].replies_next.as_deref(), Some("2"));
        assert_eq!(page.items[0].replies[0].replies_next, None);
        assert!(CommentPage::from_json(&json!({"items":[{"id":1.5}]}), "").is_err());
        let posted = Posted::from_json(
            &json!({"comment":{"id":7,"author":"a","body":"bb","created_at":"x"},"status":"pending"}),
            "",
        )
        .expect("valid");
        assert_eq!((posted.comment.id, posted.status.as_str()), (7, "pending"));
    }

    #[test]
    fn update_is_detected_only_when_different() {
        let mut a = parse(json!({"id":"a","title":"t","published_at":"2017-01-01T00:00:00Z"}))
            .expect("valid");
        a.updated_at = Some(a.published_at.clone());
        assert!(!a.was_updated());
        a.updated_at = Some("2017-01-01T02:00:00Z".into());
        assert!(a.was_updated());
        // Seconds later, in the same minute: no update to tell.
        a.updated_at = Some("2017-01-01T00:00:41.5Z".into());
        assert!(!a.was_updated());
        a.updated_at = Some("2017-01-01T00:01:00Z".into());
        assert!(a.was_updated());
        a.updated_at = Some("2017-01-01T00:00:41+03:00".into());
        assert!(a.was_updated(), "another offset is another moment");
    }

    #[test]
    fn page_parses_with_and_without_next() {
        let p: Page<ArticleSummary> = Page::from_json(
            &json!({"items":[{"id":"a","title":"t","published_at":"2017-01-01T00:00:00Z"}],"next":null}),
            "",
        )
        .expect("valid");
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.items[0].comment_count, 0, "absent means none");
        assert_eq!(p.next, None);
        let p: Page<ArticleSummary> =
            Page::from_json(&json!({"items":[{"id":"b","title":"t","published_at":"2017-01-01T00:00:00Z","comment_count":3}], "next":"abc"}), "").expect("valid");
        assert_eq!(p.items[0].comment_count, 3);
        assert_eq!(p.next.as_deref(), Some("abc"));
        assert!(Page::<ArticleSummary>::from_json(&json!({"next":"abc"}), "").is_err());
    }
}
