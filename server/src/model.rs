//! The JSON shapes of the API (see `docs/api.md`) and their validation.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// An image with its accessible text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Image {
    /// Absolute http(s) URL.
    pub url: String,
    /// Alternative text.
    #[serde(default)]
    pub alt: String,
    /// Visible caption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
}

/// One structured block of an article body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// Plain-text paragraph.
    Paragraph {
        /// Text.
        text: String,
    },
    /// Sub-heading.
    Heading {
        /// Text.
        text: String,
    },
    /// Quotation.
    Quote {
        /// Quoted words.
        text: String,
        /// Who said it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cite: Option<String>,
    },
    /// List of plain-text items.
    List {
        /// Numbered when true.
        #[serde(default)]
        ordered: bool,
        /// Items.
        items: Vec<String>,
    },
    /// Image in the body.
    Image(Image),
}

/// A full article as served by `GET /articles/{id}` and accepted by import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// Identifier used in URLs: letters, digits, `-`, `_`, `.`.
    pub id: String,
    /// Canonical URL on the news site.
    pub url: String,
    /// Headline.
    pub title: String,
    /// Short summary.
    #[serde(default)]
    pub summary: String,
    /// Structured body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Vec<Block>>,
    /// HTML body (the widget sanitizes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_html: Option<String>,
    /// RFC 3339.
    pub published_at: String,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Agency or outlet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Section slug.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// Byline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Lead image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    /// BCP 47 tag.
    #[serde(default = "default_lang")]
    pub lang: String,
    /// Whether readers may comment.
    #[serde(default = "yes")]
    pub comments_open: bool,
    /// Published comments (computed; ignored on import).
    #[serde(default)]
    pub comment_count: u32,
    /// Whether the source (a WordPress sync, a push) last said it takes
    /// comments; `None` for articles no source speaks for. Kept so that a
    /// moderator's choice stands until the source changes its word. Never
    /// in the API.
    #[serde(skip)]
    pub source_comments_open: Option<bool>,
}

/// The primary subtag of language tag `tag`, lowercased (`"AR-eg"` and
/// `"ar_EG"` are `"ar"`): tags are case-insensitive, and feeds and CMSs
/// write `_` for `-`.
pub fn primary_subtag(tag: &str) -> String {
    tag.trim()
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn default_lang() -> String {
    "ar".to_owned()
}

fn yes() -> bool {
    true
}

/// The short form used in lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleSummary {
    /// Identifier.
    pub id: String,
    /// Canonical URL.
    pub url: String,
    /// Headline.
    pub title: String,
    /// Short summary.
    pub summary: String,
    /// RFC 3339.
    pub published_at: String,
    /// Section slug.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// Thumbnail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    /// BCP 47 tag.
    pub lang: String,
    /// Published comments.
    pub comment_count: u32,
}

/// One page of a cursor-paged list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// Items of this page.
    pub items: Vec<T>,
    /// Cursor for the next page.
    pub next: Option<String>,
}

/// Why an article cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct Invalid {
    /// The offending field.
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

fn invalid(field: &'static str, problem: impl Into<String>) -> Invalid {
    Invalid {
        field,
        problem: problem.into(),
    }
}

/// Parses an RFC 3339 time.
pub fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s.trim(), &Rfc3339).ok()
}

/// Whether `url` is an absolute http(s) URL without whitespace or controls.
pub fn is_web_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && url.len() > "https://".len()
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Whether `url` is a path on this server (`/images/x.svg`, not `//host`).
pub fn is_root_relative(url: &str) -> bool {
    url.starts_with('/')
        && !url.starts_with("//")
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
}

/// Makes a root-relative URL absolute against `origin`; others unchanged.
pub fn absolute(url: &str, origin: &str) -> String {
    if is_root_relative(url) {
        format!("{origin}{url}")
    } else {
        url.to_owned()
    }
}

impl Image {
    /// This image with an absolute URL.
    pub fn absolute(mut self, origin: &str) -> Image {
        self.url = absolute(&self.url, origin);
        self
    }
}

impl Article {
    /// Makes every image URL of the article absolute against `origin`.
    pub fn with_absolute_urls(mut self, origin: &str) -> Article {
        self.url = absolute(&self.url, origin);
        self.image = self.image.map(|i| i.absolute(origin));
        if let Some(body) = self.body.as_mut() {
            for block in body.iter_mut() {
                if let Block::Image(i) = block {
                    i.url = absolute(&i.url, origin);
                }
            }
        }
        self
    }

    /// Checks what the API promises about every stored article.
    pub fn validate(&self) -> Result<(), Invalid> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 128
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            // A URL's dot segments: `articles/..` is no article's address.
            && !matches!(self.id.as_str(), "." | "..");
        if !id_ok {
            return Err(invalid(
                "id",
                "1–128 of A–Z, a–z, 0–9, '-', '_', '.' (not \".\" or \"..\")",
            ));
        }
        if self.title.trim().is_empty() {
            return Err(invalid("title", "must not be empty"));
        }
        if !is_web_url(&self.url) && !is_root_relative(&self.url) {
            return Err(invalid(
                "url",
                "must be an absolute http(s) URL or a path starting with /",
            ));
        }
        if parse_time(&self.published_at).is_none() {
            return Err(invalid("published_at", "must be an RFC 3339 time"));
        }
        if let Some(u) = &self.updated_at {
            if parse_time(u).is_none() {
                return Err(invalid("updated_at", "must be an RFC 3339 time"));
            }
        }
        if self.body.is_none() && self.body_html.is_none() {
            return Err(invalid("body", "give `body` blocks or `body_html`"));
        }
        let images = self
            .image
            .iter()
            .chain(self.body.iter().flatten().filter_map(|b| match b {
                Block::Image(i) => Some(i),
                _ => None,
            }));
        for image in images {
            if !is_web_url(&image.url) && !is_root_relative(&image.url) {
                return Err(invalid(
                    "image.url",
                    "must be an absolute http(s) URL or a path starting with /",
                ));
            }
        }
        if self.lang.trim().is_empty() || self.lang.len() > 35 {
            return Err(invalid("lang", "must be a BCP 47 tag"));
        }
        Ok(())
    }

    /// The short form of this article.
    pub fn summary(&self) -> ArticleSummary {
        ArticleSummary {
            id: self.id.clone(),
            url: self.url.clone(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            published_at: self.published_at.clone(),
            section: self.section.clone(),
            image: self.image.clone(),
            lang: self.lang.clone(),
            comment_count: self.comment_count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Article {
        serde_json::from_value(serde_json::json!({
            "id": "2017-01-01-astana",
            "url": "https://news.test/a",
            "title": "عنوان",
            "published_at": "2017-01-01T10:31:08+03:00",
            "body": [{"type": "paragraph", "text": "نص"}]
        }))
        .expect("valid sample")
    }

    #[test]
    fn a_good_article_validates_with_defaults() {
        let a = sample();
        assert_eq!(a.validate(), Ok(()));
        assert_eq!(a.lang, "ar");
        assert!(a.comments_open);
    }

    #[test]
    fn each_broken_field_is_named() {
        type Breaker = Box<dyn Fn(&mut Article)>;
        let cases: Vec<(&str, Breaker)> = vec![
            ("id", Box::new(|a| a.id = "../x".into())),
            ("title", Box::new(|a| a.title = "  ".into())),
            ("url", Box::new(|a| a.url = "javascript:alert(1)".into())),
            ("url", Box::new(|a| a.url = "//evil.test/x".into())),
            (
                "published_at",
                Box::new(|a| a.published_at = "yesterday".into()),
            ),
            (
                "updated_at",
                Box::new(|a| a.updated_at = Some("soon".into())),
            ),
            ("body", Box::new(|a| a.body = None)),
            (
                "image.url",
                Box::new(|a| {
                    a.image = Some(Image {
                        url: "data:image/png;base64,xx".into(),
                        alt: String::new(),
                        caption: None,
                    })
                }),
            ),
        ];
        for (field, break_it) in cases {
            let mut a = sample();
            break_it(&mut a);
            assert_eq!(a.validate().map_err(|e| e.field), Err(field));
        }
    }
}
