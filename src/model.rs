//! The data the backend sends, as plain Rust types (see `docs/api.md`).
//!
//! Nothing here touches the browser, so native `cargo test` covers it.

use serde::Deserialize;

/// A full article, as returned by `GET /articles/{id}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Article {
    /// Stable identifier used in URLs.
    pub id: String,
    /// Canonical URL of the article on the news site.
    #[serde(default)]
    pub url: String,
    /// Headline.
    pub title: String,
    /// One- or two-sentence summary.
    #[serde(default)]
    pub summary: String,
    /// Body as trusted-shape blocks; preferred over `body_html` when both exist.
    #[serde(default)]
    pub body: Option<Vec<Block>>,
    /// Body as HTML, rebuilt from an allowlist before it is shown.
    #[serde(default)]
    pub body_html: Option<String>,
    /// RFC 3339 publication time.
    pub published_at: String,
    /// RFC 3339 time of the last update.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Agency or outlet the story comes from.
    #[serde(default)]
    pub source: Option<String>,
    /// Section slug, for example `politics`.
    #[serde(default)]
    pub section: Option<String>,
    /// Byline.
    #[serde(default)]
    pub author: Option<String>,
    /// Lead image.
    #[serde(default)]
    pub image: Option<Image>,
    /// BCP 47 language tag of the article text.
    #[serde(default)]
    pub lang: Option<String>,
    /// Whether readers may comment.
    #[serde(default)]
    pub comments_open: bool,
    /// Number of published comments.
    #[serde(default)]
    pub comment_count: u32,
}

/// An image with its accessible text.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Image {
    /// Absolute http(s) URL.
    pub url: String,
    /// Alternative text; empty only for decorative images.
    #[serde(default)]
    pub alt: String,
    /// Visible caption.
    #[serde(default)]
    pub caption: Option<String>,
}

/// One structured block of an article body.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
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
        #[serde(default)]
        cite: Option<String>,
    },
    /// A bulleted or numbered list.
    List {
        /// Numbered when true.
        #[serde(default)]
        ordered: bool,
        /// The items, as plain text.
        items: Vec<String>,
    },
    /// An image inside the body.
    Image(Image),
    /// A block type this version of the widget does not know; skipped.
    #[serde(other)]
    Unknown,
}

/// The short form of an article used in lists and cards.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ArticleSummary {
    /// Stable identifier.
    pub id: String,
    /// Canonical URL.
    #[serde(default)]
    pub url: String,
    /// Headline.
    pub title: String,
    /// Short summary.
    #[serde(default)]
    pub summary: String,
    /// RFC 3339 publication time.
    pub published_at: String,
    /// Section slug.
    #[serde(default)]
    pub section: Option<String>,
    /// Thumbnail.
    #[serde(default)]
    pub image: Option<Image>,
}

/// One page of a cursor-paged list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Cursor of the next page, `None` on the last one.
    #[serde(default)]
    pub next: Option<String>,
}

impl Article {
    /// The paragraphs to show, whichever form the body came in.
    ///
    /// Structured blocks win; without them the body is empty here and the
    /// HTML path (sanitizer) takes over in the view.
    pub fn blocks(&self) -> &[Block] {
        self.body.as_deref().unwrap_or(&[])
    }

    /// Whether `updated_at` names a different moment than `published_at`.
    pub fn was_updated(&self) -> bool {
        matches!(&self.updated_at, Some(u) if !u.is_empty() && u != &self.published_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Article, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn minimal_article_parses_with_defaults() {
        let a = parse(r#"{"id":"a","title":"ت","published_at":"2017-01-01T10:31:08+03:00"}"#)
            .expect("valid");
        assert_eq!(a.title, "ت");
        assert!(a.blocks().is_empty());
        assert!(!a.comments_open);
        assert!(!a.was_updated());
    }

    #[test]
    fn blocks_of_every_kind_and_unknown_ones_parse() {
        let a = parse(
            r#"{"id":"a","title":"t","published_at":"2017-01-01T00:00:00Z","body":[
              {"type":"paragraph","text":"p"},
              {"type":"heading","text":"h"},
              {"type":"quote","text":"q","cite":"c"},
              {"type":"list","ordered":true,"items":["1","2"]},
              {"type":"image","url":"https://x/i.jpg","alt":"a"},
              {"type":"video","src":"x"}
            ]}"#,
        )
        .expect("valid");
        assert_eq!(a.blocks().len(), 6);
        assert_eq!(a.blocks()[0], Block::Paragraph { text: "p".into() });
        assert_eq!(a.blocks()[5], Block::Unknown);
    }

    #[test]
    fn wrong_shape_is_an_error_not_a_panic() {
        assert!(parse(r#"{"id":1,"title":"t","published_at":"x"}"#).is_err());
        assert!(parse(r#"{"title":"t"}"#).is_err());
        assert!(parse(r#"[]"#).is_err());
    }

    #[test]
    fn update_is_detected_only_when_different() {
        let mut a = parse(r#"{"id":"a","title":"t","published_at":"2017-01-01T00:00:00Z"}"#)
            .expect("valid");
        a.updated_at = Some(a.published_at.clone());
        assert!(!a.was_updated());
        a.updated_at = Some("2017-01-01T02:00:00Z".into());
        assert!(a.was_updated());
    }

    #[test]
    fn page_parses_with_and_without_next() {
        let p: Page<ArticleSummary> = serde_json::from_str(
            r#"{"items":[{"id":"a","title":"t","published_at":"2017-01-01T00:00:00Z"}],"next":null}"#,
        )
        .expect("valid");
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.next, None);
    }
}
