//! Loading articles from JSON in the API's own shape: the demo seed and
//! `khabar-server import FILE.json`.

use serde::Deserialize;

use crate::model::{Article, Block, Image, Invalid};
use crate::store::{Store, StoreError};
use khabar_rules::{clean_author, clean_body};

/// The demo articles, loaded into an empty database.
pub const SEED: &str = include_str!("../seed/articles.json");

/// Why an import was refused. Nothing is stored when any article is invalid.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not JSON.
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The file is JSON of another shape.
    #[error("not an article, a list of articles or {{\"items\": [...]}}")]
    Shape,
    /// One article's fields are not the API's (a wrong type, one missing).
    #[error("article #{index} ({id:?}): {error}")]
    Fields {
        /// Position in the file, from 1.
        index: usize,
        /// Its id as given, if it has one.
        id: String,
        /// What serde found wrong.
        error: serde_json::Error,
    },
    /// One article breaks a rule.
    #[error("article #{index} ({id:?}): {invalid}")]
    Invalid {
        /// Position in the file, from 1.
        index: usize,
        /// Its id as given.
        id: String,
        /// The broken rule.
        invalid: Invalid,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Parses `json`, cleans every article and checks it against the rules;
/// the articles ready to store, or the first one that breaks a rule.
pub fn parse(json: &str) -> Result<Vec<Article>, ImportError> {
    // A byte order mark, as Windows editors and PowerShell write one.
    let json = json.strip_prefix('\u{feff}').unwrap_or(json);
    // One article, a list, or `{"items": [...]}`; each article is read on
    // its own, so that a wrong field names its article, not the file.
    let items = match serde_json::from_str::<serde_json::Value>(json)? {
        serde_json::Value::Array(items) => items,
        serde_json::Value::Object(mut page) if page.contains_key("items") => {
            match page.remove("items") {
                Some(serde_json::Value::Array(items)) => items,
                _ => return Err(ImportError::Shape),
            }
        }
        one @ serde_json::Value::Object(_) => vec![one],
        _ => return Err(ImportError::Shape),
    };
    let mut articles = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let id = item
            .get("id")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let article = Article::deserialize(item).map_err(|error| ImportError::Fields {
            index: i + 1,
            id,
            error,
        })?;
        articles.push(article);
    }
    articles.iter_mut().for_each(neutralize);
    for (i, a) in articles.iter().enumerate() {
        a.validate().map_err(|invalid| ImportError::Invalid {
            index: i + 1,
            id: a.id.clone(),
            invalid,
        })?;
    }
    Ok(articles)
}

/// Parses and validates every article of `json`, then upserts them all at
/// once (all or none). Returns how many were stored.
pub async fn import_json(store: &dyn Store, json: &str) -> Result<usize, ImportError> {
    let articles = parse(json)?;
    Ok(store.upsert_articles(articles, None).await?)
}

/// What is stored must not need trusting: HTML bodies are cleaned to the
/// widget's own allowlist, and text loses control characters and bidi
/// overrides (Trojan Source shapes). The widget still sanitizes everything
/// it renders; this is the second layer. URLs are checked by `validate`.
fn neutralize(a: &mut Article) {
    // Times as the API serves them (`2026-11-30T09:00:00+03:00`): RFC 3339
    // lets a space stand for the `T`, which browsers' `Date` may not read;
    // an update no later than the publication is none.
    let canonical = |t: &str| {
        crate::model::parse_time(t).and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
    };
    if let Some(t) = canonical(&a.published_at) {
        a.published_at = t;
    }
    a.updated_at = a
        .updated_at
        .as_deref()
        .map(|u| canonical(u).unwrap_or_else(|| u.to_owned()));
    if let (Some(p), Some(u)) = (
        crate::model::parse_time(&a.published_at),
        a.updated_at.as_deref().and_then(crate::model::parse_time),
    ) {
        if u <= p {
            a.updated_at = None;
        }
    }
    let line = |s: &mut String| *s = clean_author(s);
    let text = |s: &mut String| *s = clean_body(s);
    line(&mut a.title);
    text(&mut a.summary);
    for field in [&mut a.source, &mut a.section, &mut a.author]
        .into_iter()
        .flatten()
    {
        line(field);
    }
    if let Some(html) = &mut a.body_html {
        *html = crate::feeds::sanitize_stored_html(html);
    }
    let mut images: Vec<&mut Image> = a.image.iter_mut().collect();
    for block in a.body.iter_mut().flatten() {
        match block {
            Block::Paragraph { text: t } | Block::Heading { text: t } => text(t),
            Block::Quote { text: t, cite } => {
                text(t);
                cite.iter_mut().for_each(line);
            }
            Block::List { items, .. } => items.iter_mut().for_each(line),
            Block::Image(image) => images.push(image),
        }
    }
    for image in images {
        line(&mut image.alt);
        image.caption.iter_mut().for_each(line);
    }
}

/// Cleans one article as the import does and checks it against the rules:
/// what source syncs and other producers of articles go through.
pub fn clean(mut article: Article) -> Result<Article, Invalid> {
    neutralize(&mut article);
    article.validate()?;
    Ok(article)
}

/// Loads the demo articles when the database has no article at all.
pub async fn seed_if_empty(store: &dyn Store) -> Result<usize, ImportError> {
    if store.article_count().await? > 0 {
        return Ok(0);
    }
    import_json(store, SEED).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_starts_with_a_byte_order_mark_reads() {
        let json = r#"[{"id": "bom-1", "url": "https://news.example/bom", "title": "t",
            "summary": "s", "published_at": "2026-11-30T08:00:00Z", "lang": "en",
            "body_html": "<p>b</p>"}]"#;
        let with_bom = format!("\u{feff}{json}");
        let articles = parse(&with_bom).expect("reads");
        assert_eq!(articles.len(), 1);
        assert_eq!(articles[0].id, "bom-1");
    }

    #[test]
    fn a_wrong_field_names_its_article() {
        let good = r#"{"id": "a1", "url": "https://news.example/a1", "title": "t",
            "published_at": "2026-11-30T08:00:00Z", "body": []}"#;
        let bad = r#"{"id": "a2", "url": "https://news.example/a2", "title": "t",
            "published_at": "2026-11-30T08:00:00Z", "body": [], "comments_open": "yes"}"#;
        for json in [
            format!("[{good}, {bad}]"),
            format!(r#"{{"items": [{good}, {bad}]}}"#),
        ] {
            let said = parse(&json).expect_err("refused").to_string();
            assert!(
                said.starts_with(r#"article #2 ("a2"): invalid type"#),
                "{said}"
            );
        }
        assert_eq!(parse(good).expect("one article").len(), 1);
        for shape in ["3", r#"{"items": 3}"#, r#""text""#] {
            assert!(matches!(parse(shape), Err(ImportError::Shape)), "{shape}");
        }
        assert!(matches!(parse("[{"), Err(ImportError::Json(_))));
    }
}
