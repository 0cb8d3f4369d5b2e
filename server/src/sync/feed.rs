//! JSON Feed, RSS and Atom sources, parsed with `feed-rs`.
//!
//! The first page is asked for conditionally (ETag / Last-Modified): a 304
//! changes nothing. JSON Feed pages are followed through `next_url`, within
//! the page limit. A feed shows only recent items, so absence means nothing
//! here: feed syncs never hide an article.

use std::collections::{HashMap, HashSet};

use feed_rs::model::{Entry, Feed};
use reqwest::Url;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::model::{is_web_url, Article, Image};
use crate::store::Store;
use crate::sync::http::Fetched;
use crate::sync::http::SyncClient;
use crate::sync::source::SyncError;
use crate::sync::source::{
    checked, host_key, html_to_text, rfc3339, store_changed, Outcome, Says, Source,
};

/// What feed-rs leaves out of a JSON Feed: paging and item images.
#[derive(Debug, Default, Deserialize)]
struct JsonExtras {
    #[serde(default)]
    next_url: Option<String>,
    #[serde(default)]
    items: Vec<JsonItem>,
}

#[derive(Debug, Default, Deserialize)]
struct JsonItem {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    image: Option<String>,
    #[serde(default)]
    banner_image: Option<String>,
}

/// One sync of a feed whose first page is `first`.
pub(crate) async fn sync(
    store: &dyn Store,
    client: &SyncClient,
    source: &Source,
    url: &Url,
    first: Fetched,
) -> Result<Outcome, SyncError> {
    let mut outcome = Outcome {
        etag: first.header("etag").map(str::to_owned),
        last_modified: first.header("last-modified").map(str::to_owned),
        ..Outcome::default()
    };
    let mut page_url = url.clone();
    let mut fetched = first;
    let mut visited = HashSet::from([page_url.to_string()]);
    let mut pages = 1;
    let mut items = 0;
    loop {
        let feed = parse(source, &page_url, &fetched.body)?;
        let extras: JsonExtras = serde_json::from_slice(&fetched.body).unwrap_or_default();
        let images: HashMap<String, String> = extras
            .items
            .iter()
            .filter_map(|i| {
                let id = match i.id.as_ref()? {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                Some((id, i.image.clone().or_else(|| i.banner_image.clone())?))
            })
            .collect();
        let budget = client.limits().max_items.saturating_sub(items);
        let mut articles = Vec::new();
        for entry in feed.entries.iter().take(budget) {
            let item = format!("item {:?}", entry.id);
            let image = images.get(&entry.id).map(String::as_str);
            match map(url, &page_url, source, &feed, entry, image) {
                Ok(article) => match checked(source, &item, article) {
                    Some(a) => articles.push(a),
                    None => outcome.report.skipped += 1,
                },
                Err(reason) => {
                    tracing::warn!("sync {}: skipped {item}: {reason}", source.url);
                    outcome.report.skipped += 1;
                }
            }
        }
        items += feed.entries.len().min(budget);
        outcome.report.changed +=
            store_changed(store, articles, &source.url, Says::ContentOnly).await?;
        let Some(next) = extras
            .next_url
            .and_then(|n| page_url.join(&n).ok())
            .filter(|n| matches!(n.scheme(), "http" | "https"))
        else {
            break;
        };
        // Pages of the same feed stay on its server: a feed (taken over,
        // say) cannot send the sync to another host, such as an address of
        // this server's own network.
        if next.origin() != page_url.origin() {
            tracing::warn!(
                "sync {}: not following next_url {next} to another server",
                source.url
            );
            break;
        }
        if !visited.insert(next.to_string()) {
            break;
        }
        if pages >= client.limits().max_pages || items >= client.limits().max_items {
            tracing::warn!(
                "sync {}: stopped after {pages} pages and {items} items (the limits)",
                source.url
            );
            break;
        }
        fetched = client.get(&next, None).await?;
        page_url = next;
        pages += 1;
    }
    Ok(outcome)
}

/// Parses a feed of any kind feed-rs knows, or says why not.
fn parse(source: &Source, page: &Url, body: &[u8]) -> Result<Feed, SyncError> {
    feed_rs::parser::Builder::new()
        .base_uri(Some(page.as_str()))
        .build()
        .parse(body)
        .map_err(|e| SyncError::Garbage {
            url: source.url.clone(),
            reason: format!("not a feed: {e}"),
        })
}

/// The article id of a feed item: `{host}-{24 hex digits of its id's
/// SHA-256}` (item ids are URLs or anything, ids here are short and plain).
pub fn article_id(source: &Url, item_id: &str) -> String {
    let digest = Sha256::digest(item_id.as_bytes());
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("{}-{hex}", host_key(source))
}

/// An entry as an article (cleaned and validated afterwards), or why not.
fn map(
    source_url: &Url,
    page: &Url,
    source: &Source,
    feed: &Feed,
    entry: &Entry,
    json_image: Option<&str>,
) -> Result<Article, String> {
    let link = entry
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or(entry.links.first())
        .ok_or("no link")?;
    // Relative links are resolved against the page; `javascript:` and the
    // like stay what they are and fail validation.
    let url = page
        .join(link.href.trim())
        .map_or_else(|_| link.href.trim().to_owned(), String::from);
    let key = if entry.id.trim().is_empty() {
        url.as_str()
    } else {
        entry.id.trim()
    };
    let published = entry
        .published
        .or(entry.updated)
        .and_then(|t| rfc3339(t.timestamp()))
        .ok_or("no valid publication date")?;
    let updated = entry
        .updated
        .and_then(|t| rfc3339(t.timestamp()))
        .filter(|u| *u != published);
    let html = |c: &feed_rs::model::Content| -> Option<String> {
        let body = c.body.as_deref()?;
        // Plain text (JSON Feed content_text) becomes escaped paragraphs.
        Some(if c.content_type.essence().to_string() == "text/plain" {
            body.split("\n\n")
                .map(|p| format!("<p>{}</p>", crate::feeds::escape(p.trim())))
                .collect()
        } else {
            body.to_owned()
        })
    };
    let summary_html = entry.summary.as_ref().map(|s| s.content.clone());
    let body_html = entry
        .content
        .as_ref()
        .and_then(html)
        .or_else(|| summary_html.clone())
        .unwrap_or_default();
    let image = json_image
        .map(|u| Image {
            url: u.to_owned(),
            alt: String::new(),
            caption: None,
        })
        .or_else(|| media_image(entry))
        .filter(|i| is_web_url(&i.url));
    Ok(Article {
        id: article_id(source_url, key),
        url,
        title: entry
            .title
            .as_ref()
            .map(|t| html_to_text(&t.content))
            .unwrap_or_default(),
        summary: summary_html
            .as_deref()
            .map(html_to_text)
            .unwrap_or_default(),
        body: None,
        body_html: Some(body_html),
        published_at: published,
        updated_at: updated,
        source: feed
            .title
            .as_ref()
            .map(|t| html_to_text(&t.content))
            .filter(|t| !t.is_empty()),
        section: entry
            .categories
            .first()
            .map(|c| c.term.trim().to_owned())
            .filter(|t| !t.is_empty()),
        author: entry
            .authors
            .first()
            .map(|a| html_to_text(&a.name))
            .filter(|a| !a.is_empty()),
        image,
        lang: source
            .lang
            .clone()
            .or_else(|| entry.language.clone())
            .or_else(|| feed.language.clone())
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| "ar".into()),
        comments_open: true,
        comment_count: 0,
        source_comments_open: None,
    })
}

/// The first image among an entry's media (Media RSS, enclosures), with
/// its description as alt text.
fn media_image(entry: &Entry) -> Option<Image> {
    entry.media.iter().find_map(|m| {
        let alt = m
            .description
            .as_ref()
            .or(m.title.as_ref())
            .map(|t| html_to_text(&t.content))
            .unwrap_or_default();
        let content = m.content.iter().find(|c| {
            c.content_type
                .as_ref()
                .is_some_and(|t| t.ty().as_str() == "image")
        });
        let url = content
            .and_then(|c| c.url.as_ref().map(|u| u.to_string()))
            .or_else(|| m.thumbnails.first().map(|t| t.image.uri.clone()))?;
        Some(Image {
            url,
            alt,
            caption: None,
        })
    })
}
