//! JSON Feed, RSS and Atom sources, parsed with `feed-rs`.
//!
//! The first page is asked for conditionally (ETag / Last-Modified): a 304
//! changes nothing. JSON Feed pages are followed through `next_url`, within
//! the page limit. A feed shows only recent items, so absence means nothing
//! here: feed syncs never hide an article.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use feed_rs::model::{Entry, Feed, FeedType, Text};
use reqwest::Url;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::model::{is_web_url, Article, Image};
use crate::store::Store;
use crate::sync::http::Fetched;
use crate::sync::http::SyncClient;
use crate::sync::source::SyncError;
use crate::sync::source::{
    checked, host_key, html_to_text, plain_text, rfc3339, store_changed, Outcome, Says, Source,
};

/// What feed-rs leaves out of a JSON Feed: paging, item images and each
/// item's language. A field of another type than the spec's is taken as
/// absent, and an item that is no object as one without extras: one item's
/// `"image": {"url": …}` must not cost the page its paging and every other
/// item its image.
#[derive(Debug, Default, Deserialize)]
struct JsonExtras {
    #[serde(default, deserialize_with = "lenient_text")]
    next_url: Option<String>,
    #[serde(default, deserialize_with = "lenient_items")]
    items: Vec<JsonItem>,
}

#[derive(Debug, Default, Deserialize)]
struct JsonItem {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default, deserialize_with = "lenient_text")]
    image: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    banner_image: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    language: Option<String>,
}

/// A string, else nothing.
fn lenient_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        _ => None,
    })
}

/// Each item's extras, in the feed's order (an item that is no object has
/// none), else none.
fn lenient_items<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<JsonItem>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .map(|i| serde_json::from_value(i).unwrap_or_default())
            .collect(),
        _ => Vec::new(),
    })
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
    let started = OffsetDateTime::now_utc().unix_timestamp();
    loop {
        let body = readable(&fetched.body, fetched.header("content-type"));
        crowded(source, &body, client.limits().max_items)?;
        let feed = parse(source, &page_url, &body)?;
        let extras: JsonExtras = serde_json::from_slice(&body).unwrap_or_default();
        let json_items: HashMap<String, &JsonItem> = extras
            .items
            .iter()
            .filter_map(|i| {
                let id = match i.id.as_ref()? {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                Some((id, i))
            })
            .collect();
        let budget = client.limits().max_items.saturating_sub(items);
        let zoneless = zoneless_dates(source, &page_url, &body, &feed);
        let unusable = unusable_ids(&page_url, &feed);
        if feed
            .entries
            .iter()
            .any(|e| keyless(&unusable, e) && !e.id.trim().is_empty())
        {
            tracing::info!(
                "sync {}: items share a guid, or give the site's address or a placeholder (0) as theirs: each is kept by its link",
                source.url
            );
        }
        let on_page = OnPage {
            source_url: url,
            page: &page_url,
            source,
            feed: &feed,
            shared: shared_links(&page_url, &feed, &unusable),
            unusable,
        };
        let mut mapped = Vec::new();
        for (n, entry) in feed.entries.iter().enumerate().take(budget) {
            let item = if entry.id.is_empty() {
                "item without an id".to_owned()
            } else {
                format!("item {:?}", entry.id)
            };
            // By position when the two lists line up (items sharing an id
            // each keep their own image and language), else by id.
            let json = if extras.items.len() == feed.entries.len() {
                extras.items.get(n)
            } else {
                json_items.get(&entry.id).copied()
            };
            let date = zoneless.get(n).copied().flatten();
            match map(&on_page, entry, json, date) {
                Ok(m) => mapped.push((item, m)),
                Err(reason) => {
                    tracing::warn!("sync {}: skipped {item}: {reason}", source.url);
                    outcome.report.skipped += 1;
                }
            }
        }
        settle_ids(store, url, &mut mapped).await?;
        keep_stories_of_new_ids(store, url, &mut mapped).await?;
        settle_dates(store, &mut mapped, started, items).await?;
        let mut articles = Vec::new();
        for (item, m) in mapped {
            match checked(source, &item, m.article) {
                Some(a) => articles.push(a),
                None => outcome.report.skipped += 1,
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
        // Pages of the same feed stay on its site, as redirects do (so a
        // feed moved to https or to www. keeps its pages): a feed (taken
        // over, say) cannot send the sync to another host, such as an
        // address of this server's own network.
        if !super::http::same_site(&page_url, &next) {
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

/// feed-rs's parser for a page of the feed at `page`. An item without an
/// id keeps none (feed-rs would hash its link and title): `map` keys it by
/// its link, so that a corrected title is the same story, not a second one.
fn parser(page: &Url) -> feed_rs::parser::Builder {
    feed_rs::parser::Builder::new()
        .base_uri(Some(page.as_str()))
        .id_generator(|_, _, _| String::new())
}

/// A page's bytes as feed-rs can read them:
/// - without a UTF-8 byte order mark, which feed-rs's JSON reader refuses;
/// - in a JSON Feed, item ids that are numbers as strings (JSON Feed says a
///   reader takes them so; feed-rs refuses the whole page);
/// - an XML feed that is not UTF-8 and whose encoding only the HTTP header
///   names (`charset=windows-1256`, an older Arabic site's), in UTF-8:
///   without a declaration in the document, XML is read as UTF-8 and the
///   page failed.
fn readable<'a>(body: &'a [u8], content_type: Option<&str>) -> Cow<'a, [u8]> {
    let (body, bom) = match body.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, true),
        None => (body, false),
    };
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => json_ids_as_text(body),
        // A byte order mark, or text that reads as UTF-8, is UTF-8: many
        // servers name ISO-8859-1 in the header of every XML file.
        Some(b'<') if !bom && std::str::from_utf8(body).is_err() => xml_in_utf8(body, content_type),
        _ => Cow::Borrowed(body),
    }
}

fn json_ids_as_text(body: &[u8]) -> Cow<'_, [u8]> {
    let Ok(mut feed) = serde_json::from_slice::<Value>(body) else {
        return Cow::Borrowed(body);
    };
    let mut changed = false;
    for item in feed
        .get_mut("items")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(id) = item.get_mut("id") {
            if id.is_number() {
                *id = Value::String(id.to_string());
                changed = true;
            }
        }
    }
    match serde_json::to_vec(&feed) {
        Ok(text) if changed => Cow::Owned(text),
        _ => Cow::Borrowed(body),
    }
}

fn xml_in_utf8<'a>(body: &'a [u8], content_type: Option<&str>) -> Cow<'a, [u8]> {
    let charset = content_type.and_then(|t| {
        t.split(';').skip(1).find_map(|p| {
            let (name, value) = p.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("charset")
                .then(|| value.trim().trim_matches('"'))
        })
    });
    let Some(encoding) = charset.and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes()))
    else {
        return Cow::Borrowed(body);
    };
    // The document's own declaration wins: quick-xml follows it.
    let declared = body.starts_with(b"<?xml")
        && body
            .split(|b| *b == b'>')
            .next()
            .is_some_and(|d| d.windows(8).any(|w| w == b"encoding"));
    if declared || encoding == encoding_rs::UTF_8 {
        return Cow::Borrowed(body);
    }
    // Mostly UTF-8, with a stray byte or two (a character pasted from a
    // Windows editor): UTF-8 whatever the header says, the stray bytes
    // replaced, rather than every letter of an Arabic feed garbled as
    // the header's charset. A body really in that charset makes few
    // valid UTF-8 sequences of letters and many invalid ones.
    let (mut letters, mut stray) = (0_usize, 0_usize);
    for chunk in body.utf8_chunks() {
        letters += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        stray += usize::from(!chunk.invalid().is_empty());
    }
    if letters > stray.saturating_mul(4) {
        return Cow::Owned(String::from_utf8_lossy(body).into_owned().into_bytes());
    }
    let (text, _, _) = encoding.decode(body);
    Cow::Owned(text.into_owned().into_bytes())
}

/// Refuses a page with more entries than a sync takes in all, counted on
/// the bytes before feed-rs parses them: 20 MB of empty `<item/>` would be
/// millions of parsed entries, gigabytes of memory, for nothing kept.
fn crowded(source: &Source, body: &[u8], max_items: usize) -> Result<(), SyncError> {
    let starts = |tag: &[u8]| {
        body.windows(tag.len() + 1)
            .filter(|w| {
                w.starts_with(tag)
                    && matches!(w[tag.len()], b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n')
            })
            .count()
    };
    // RSS items, Atom entries, JSON Feed items (each has an "id").
    let ids = body.windows(4).filter(|w| w == b"\"id\"").count();
    let entries = starts(b"<item") + starts(b"<entry") + ids;
    if entries > max_items {
        return Err(SyncError::Garbage {
            url: source.url.clone(),
            reason: format!("more than {max_items} entries on one page"),
        });
    }
    Ok(())
}

/// Parses a feed of any kind feed-rs knows, or says why not.
fn parse(source: &Source, page: &Url, body: &[u8]) -> Result<Feed, SyncError> {
    parser(page)
        .build()
        .parse(body)
        .map_err(|e| SyncError::Garbage {
            url: source.url.clone(),
            reason: format!("not a feed: {e}"),
        })
}

/// For each entry of `feed` without a date feed-rs could read, the date
/// it has if that is written without a zone (`2026-11-30 09:15:00`,
/// `Mon, 30 Nov 2026 09:15`), taken as UTC; empty when every entry is
/// dated. feed-rs's own parser, which mends many other slips, stays in
/// charge of every date it reads: the body is parsed again, only when
/// needed, with a parser that reads nothing else, and its entries come
/// in the same order.
fn zoneless_dates(
    source: &Source,
    page: &Url,
    body: &[u8],
    feed: &Feed,
) -> Vec<Option<DateTime<Utc>>> {
    if feed
        .entries
        .iter()
        .all(|e| e.published.is_some() || e.updated.is_some())
    {
        return Vec::new();
    }
    let Ok(again) = parser(page)
        .timestamp_parser(zoneless_utc)
        .build()
        .parse(body)
    else {
        return Vec::new();
    };
    if again.entries.len() != feed.entries.len() {
        tracing::warn!("sync {}: the feed read differently twice", source.url);
        return Vec::new();
    }
    again
        .entries
        .iter()
        .map(|e| e.published.or(e.updated))
        .collect()
}

/// A date and time written without a zone, as UTC (the only reading that
/// does not depend on where the server runs).
fn zoneless_utc(text: &str) -> Option<DateTime<Utc>> {
    const FORMATS: [&str; 6] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%d %b %Y %H:%M:%S",
        "%d %b %Y %H:%M",
    ];
    let text = text.trim();
    // RFC 822's weekday ("Mon, "), often misspelt, says nothing more.
    let text = match text.split_once(", ") {
        Some((day, rest)) if day.chars().all(|c| c.is_ascii_alphabetic()) => rest,
        _ => text,
    };
    FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .map(|t| t.and_utc())
}

/// An entry as mapped: the article, and what the store must settle.
struct Mapped {
    article: Article,
    /// Keyed by its link: the entry has no id of its own.
    by_link: bool,
    /// For an entry keyed by its link, the id it had when its link was
    /// shared with other entries (keyed with its title, see [`map`]).
    titled_id: Option<String>,
    /// For an entry keyed with its title because its link is shared, the
    /// id it had when the link was its alone (keyed by the link).
    link_id: Option<String>,
    /// It has no date at all (RSS's `pubDate` is optional) or none that
    /// could be read.
    undated: bool,
    /// Its only date is when it was last updated (Atom requires `updated`,
    /// not `published`): a stored copy keeps its first date, so that an
    /// edit does not make an old story new.
    dated_by_update: bool,
}

/// Entries keyed by their link keep the id their page is stored under
/// when an article of this feed's site already has that URL: an item
/// stored before these were keyed by link (under feed-rs's hash of link
/// and title), or one whose feed once gave it an id. When a story is
/// stored under the id its link and title make (headlines that shared the
/// link once), it is that one: never another headline of the link, whose
/// text and comments it would take over. The other way round, a headline
/// stored while its link was its alone keeps that story once others share
/// the link: the one whose title is the stored story's.
async fn settle_ids(
    store: &dyn Store,
    source_url: &Url,
    mapped: &mut [(String, Mapped)],
) -> Result<(), SyncError> {
    let mut claimed = HashSet::new();
    for (_, m) in mapped.iter_mut() {
        let Some(link_id) = m.link_id.as_ref() else {
            continue;
        };
        if claimed.contains(link_id) || store.article_exists(&m.article.id).await? {
            continue;
        }
        let same = store
            .article_even_hidden(link_id)
            .await?
            // As stored: cleaned as every title is (bidi controls out).
            .is_some_and(|stored| stored.title == khabar_rules::clean_author(&m.article.title));
        if same {
            claimed.insert(link_id.clone());
            m.article.id.clone_from(link_id);
        }
    }
    let urls: Vec<String> = mapped
        .iter()
        .filter(|(_, m)| m.by_link)
        .map(|(_, m)| m.article.url.clone())
        .collect();
    let held = feed_stories_at(store, source_url, urls).await?;
    for (_, m) in mapped.iter_mut().filter(|(_, m)| m.by_link) {
        let Some(id) = held.get(&m.article.url) else {
            continue;
        };
        // The story its title names, when the link was shared: the store
        // answers one story of a URL, which may be another headline.
        let id = match &m.titled_id {
            Some(titled) if titled != id && store.article_exists(titled).await? => titled,
            _ => id,
        };
        m.article.id.clone_from(id);
    }
    Ok(())
}

/// A feed that changes how it writes its ids (a new CMS: `post-528`
/// becomes the item's URL) would list each of its recent stories again,
/// under new ids. An item keyed by an id never stored keeps the story
/// this feed's site shows at its link under the same title and date (a
/// new CMS keeps both; a daily "Morning briefing" at one link has a new
/// date each day), unless an item of the page has that story's id. A
/// hidden story is left hidden: the item is a story of its own.
async fn keep_stories_of_new_ids(
    store: &dyn Store,
    source_url: &Url,
    mapped: &mut [(String, Mapped)],
) -> Result<(), SyncError> {
    let own_id = |m: &Mapped| !m.by_link && m.link_id.is_none();
    let urls: Vec<String> = mapped
        .iter()
        .filter(|(_, m)| own_id(m))
        .map(|(_, m)| m.article.url.clone())
        .collect();
    let held = feed_stories_at(store, source_url, urls).await?;
    let mut taken: HashSet<String> = mapped.iter().map(|(_, m)| m.article.id.clone()).collect();
    for (_, m) in mapped.iter_mut().filter(|(_, m)| own_id(m)) {
        let Some(id) = held.get(&m.article.url) else {
            continue;
        };
        if taken.contains(id) || store.article_exists(&m.article.id).await? {
            continue;
        }
        let same = store.article(id).await?.is_some_and(|stored| {
            stored.title == khabar_rules::clean_author(&m.article.title)
                && !m.article.published_at.is_empty()
                && stored.published_at == m.article.published_at
        });
        if same {
            taken.insert(id.clone());
            m.article.id.clone_from(id);
        }
    }
    Ok(())
}

/// The id of the story stored at each of `urls` that this feed's site
/// keyed (`{host}-` and 24 hex digits), by URL.
async fn feed_stories_at(
    store: &dyn Store,
    source_url: &Url,
    urls: Vec<String>,
) -> Result<HashMap<String, String>, SyncError> {
    if urls.is_empty() {
        return Ok(HashMap::new());
    }
    let prefix = format!("{}-", host_key(source_url));
    Ok(store
        .ids_by_url(urls)
        .await?
        .into_iter()
        .filter(|m| {
            m.id.strip_prefix(&prefix)
                .is_some_and(|h| h.len() == 24 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        })
        .map(|m| (m.url, m.id))
        .collect())
}

/// An undated entry is dated when this server first saw it: the stored
/// copy's date, else `now` (when the sync started), less a second for each entry above it in the
/// feed (`skip` counts the pages' entries before this one), so that a new
/// feed's items keep its order. One dated only by its last update keeps
/// the stored copy's date, and the update is its `updated_at`.
async fn settle_dates(
    store: &dyn Store,
    mapped: &mut [(String, Mapped)],
    now: i64,
    skip: usize,
) -> Result<(), SyncError> {
    for (n, (_, m)) in mapped.iter_mut().enumerate() {
        if m.dated_by_update {
            if let Some(stored) = store.article(&m.article.id).await? {
                let updated = std::mem::replace(&mut m.article.published_at, stored.published_at);
                m.article.updated_at = (updated != m.article.published_at).then_some(updated);
            }
            continue;
        }
        if !m.undated {
            continue;
        }
        m.article.published_at = match store.article(&m.article.id).await? {
            Some(stored) => stored.published_at,
            None => {
                let above = i64::try_from(skip + n).unwrap_or(i64::MAX);
                rfc3339(now.saturating_sub(above)).unwrap_or_default()
            }
        };
    }
    Ok(())
}

/// The article id of a feed item: `{host}-{24 hex digits of its id's
/// SHA-256}` (item ids are URLs or anything, ids here are short and plain).
pub fn article_id(source: &Url, item_id: &str) -> String {
    let digest = Sha256::digest(item_id.as_bytes());
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("{}-{hex}", host_key(source))
}

/// One page of a feed, as the entries on it are mapped.
struct OnPage<'a> {
    source_url: &'a Url,
    page: &'a Url,
    source: &'a Source,
    feed: &'a Feed,
    /// The links that cannot key an entry without an id: the feed's own,
    /// or one that several such entries share (a ticker whose items all
    /// link to its page).
    shared: HashSet<String>,
    /// The ids that cannot key an entry: one that several entries of the
    /// page share, or one of the feed's own links (a feed that gives every
    /// item the site's address, or `0`, as its guid). Those entries are
    /// keyed as entries without an id are: each keeps its own story.
    unusable: HashSet<String>,
}

/// Whether `entry` has no id that can key it (see [`OnPage::unusable`]),
/// or one that is a placeholder: a feed that gives every item `0` (or
/// `null`) lists them apart only on a page of more than one item, and a
/// one-item page would carry each new story into the last one's.
fn keyless(unusable: &HashSet<String>, entry: &Entry) -> bool {
    let id = entry.id.trim();
    let placeholder = id.chars().all(|c| c == '0' || !c.is_alphanumeric())
        || ["null", "undefined", "none", "nil"]
            .iter()
            .any(|p| id.eq_ignore_ascii_case(p));
    placeholder || unusable.contains(id)
}

/// See [`OnPage::unusable`].
fn unusable_ids(page: &Url, feed: &Feed) -> HashSet<String> {
    let mut unusable: HashSet<String> = feed
        .links
        .iter()
        .flat_map(|l| {
            let href = l.href.trim();
            [
                Some(href.to_owned()),
                page.join(href).ok().map(String::from),
            ]
        })
        .flatten()
        .collect();
    // The same item listed twice (its link and title too) is one story,
    // keyed by its id as ever; only entries that differ make it unusable.
    let mut first: HashMap<&str, (Option<String>, Option<&str>)> = HashMap::new();
    for e in &feed.entries {
        let id = e.id.trim();
        if id.is_empty() {
            continue;
        }
        let this = (
            entry_url(page, e),
            e.title.as_ref().map(|t| t.content.as_str()),
        );
        match first.get(id) {
            Some(seen) if *seen != this => {
                unusable.insert(id.to_owned());
            }
            Some(_) => {}
            None => {
                first.insert(id, this);
            }
        }
    }
    unusable
}

/// An entry's link, resolved against the page; `javascript:` and the like
/// stay what they are and fail validation.
fn entry_url(page: &Url, entry: &Entry) -> Option<String> {
    let Some(link) = entry
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or(entry.links.first())
    else {
        // No link, but an id that is a web address: RSS's `<guid>` is the
        // item's permalink unless it says otherwise, and a JSON Feed id
        // may be the item's URL too.
        let id = entry.id.trim();
        return Url::parse(id)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(String::from);
    };
    Some(
        page.join(link.href.trim())
            .map_or_else(|_| link.href.trim().to_owned(), String::from),
    )
}

/// See [`OnPage::shared`].
fn shared_links(page: &Url, feed: &Feed, unusable: &HashSet<String>) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut shared: HashSet<String> = feed
        .links
        .iter()
        .filter_map(|l| page.join(l.href.trim()).ok().map(String::from))
        .collect();
    for url in feed
        .entries
        .iter()
        .filter(|e| keyless(unusable, e))
        .filter_map(|e| entry_url(page, e))
    {
        if !seen.insert(url.clone()) {
            shared.insert(url);
        }
    }
    shared
}

/// An entry as an article (cleaned and validated afterwards), or why not.
fn map(
    on: &OnPage<'_>,
    entry: &Entry,
    json: Option<&JsonItem>,
    zoneless: Option<DateTime<Utc>>,
) -> Result<Mapped, String> {
    let (source_url, page, source, feed) = (on.source_url, on.page, on.source, on.feed);
    let url = entry_url(page, entry).ok_or("no link")?;
    let no_id = keyless(&on.unusable, entry);
    let by_link = no_id && !on.shared.contains(&url);
    // A link that cannot stand alone keys with the title, as feed-rs's own
    // id for an item without one does (and as such items were stored
    // before they were keyed by link).
    let with_title = no_id
        .then(|| feed_rs::parser::generate_id(&entry.links, &entry.title, Some(page.as_str())));
    let key = match &with_title {
        _ if by_link => url.as_str(),
        Some(with_title) => with_title.as_str(),
        None => entry.id.trim(),
    };
    let titled_id = with_title
        .as_deref()
        .filter(|_| by_link)
        .map(|k| article_id(source_url, k));
    let link_id = (no_id && !by_link).then(|| article_id(source_url, &url));
    let published = entry
        .published
        .or(entry.updated)
        .or(zoneless)
        .and_then(|t| rfc3339(t.timestamp()));
    let updated = entry
        .updated
        .and_then(|t| rfc3339(t.timestamp()))
        .filter(|u| Some(u) != published.as_ref());
    let undated = published.is_none();
    let dated_by_update = entry.published.is_none() && entry.updated.is_some();
    // The body (the content, else the summary), and its text when it came
    // as plain text (JSON Feed's `content_text`, Atom's `type="text"`),
    // which becomes escaped paragraphs and a title's words as written.
    let summary = entry
        .summary
        .as_ref()
        .map(|s| (s.content.as_str(), summary_plain(feed, s)));
    let (body_html, plain_body) = match entry.content.as_ref().and_then(|c| {
        let body = c.body.as_deref()?;
        let plain = c.content_type.essence().to_string() == "text/plain"
            && !(feed.feed_type == FeedType::Atom && written_as_html(body));
        Some((body, plain))
    }) {
        Some((body, true)) => (paragraphs(body), Some(body)),
        Some((body, false)) => (body.to_owned(), None),
        None => match summary {
            Some((text, true)) => (paragraphs(text), Some(text)),
            Some((text, false)) => (text.to_owned(), None),
            None => (String::new(), None),
        },
    };
    let image = json
        .and_then(|j| j.image.as_deref().or(j.banner_image.as_deref()))
        .map(|u| Image {
            url: u.to_owned(),
            alt: String::new(),
            caption: None,
        })
        .or_else(|| media_image(entry))
        .filter(|i| is_web_url(&i.url));
    let article = Article {
        id: article_id(source_url, key),
        url,
        title: entry
            .title
            .as_ref()
            .map(|t| text_of(feed, t))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| {
                first_words(&match plain_body {
                    Some(text) => plain_text(text),
                    None => html_to_text(&body_html),
                })
            }),
        summary: summary
            .map(|(text, plain)| words(text, plain))
            .unwrap_or_default(),
        body: None,
        body_html: Some(body_html),
        // Settled by `settle_dates` when undated.
        published_at: published.unwrap_or_default(),
        updated_at: updated,
        source: feed
            .title
            .as_ref()
            .map(|t| text_of(feed, t))
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
            // feed-rs reads a JSON Feed's language at its top only.
            .or_else(|| json.and_then(|j| j.language.clone()))
            .or_else(|| feed.language.clone())
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| "ar".into()),
        comments_open: true,
        comment_count: 0,
        source_comments_open: None,
    };
    Ok(Mapped {
        article,
        by_link,
        titled_id,
        link_id,
        dated_by_update,
        undated,
    })
}

/// Plain text as escaped paragraphs, one per blank line (none for blank
/// text).
fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", crate::feeds::escape(p)))
        .collect()
}

/// Whether a feed says this text is plain, not markup: Atom does, with its
/// `type` (`text` when absent). RSS says nothing, and its titles carry
/// HTML (escaped once or twice) often enough to be read as HTML; so are
/// JSON Feed's titles, though its spec calls them plain text, which
/// publishers fill with the same escaped titles.
fn says_plain(feed: &Feed, text: &Text) -> bool {
    feed.feed_type == FeedType::Atom && text.content_type.essence().to_string() == "text/plain"
}

/// [`says_plain`] for a summary, unless it is plainly HTML all the same
/// (a closing tag, a line break or a paragraph: feeds that leave the type
/// out of HTML summaries). A title keeps its word: feed-rs cannot tell a
/// missing `type` from `type="text"`, and "Why <br> breaks layouts" is
/// a title about a tag.
fn summary_plain(feed: &Feed, text: &Text) -> bool {
    says_plain(feed, text) && !written_as_html(&text.content)
}

/// Whether text holds what only HTML writes: a closing tag, `<br`, `<p>`.
fn written_as_html(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    text.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'<' && w[1] == b'/' && w[2].is_ascii_alphabetic())
        || ["<br", "<p>", "<p "].iter().any(|t| text.contains(t))
}

/// The words of a title or summary: an Atom `type="text"` title about
/// "<video>" keeps its word; markup elsewhere is read as HTML.
fn text_of(feed: &Feed, text: &Text) -> String {
    words(&text.content, says_plain(feed, text))
}

/// `text` as words: as written when `plain`, else read as HTML.
fn words(text: &str, plain: bool) -> String {
    if plain {
        plain_text(text)
    } else {
        html_to_text(text)
    }
}

/// A title for an item without one (RSS and JSON Feed leave it optional:
/// microblogs and bridged channels never give one): the first words of its
/// text (twelve, a hundred characters at most), as the site's own lists
/// show such a post.
fn first_words(text: &str) -> String {
    const WORDS: usize = 12;
    // Scripts written without spaces (Chinese, Thai) are one "word".
    const CHARS: usize = 100;
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut title = words[..words.len().min(WORDS)].join(" ");
    let mut cut = words.len() > WORDS;
    if title.chars().count() > CHARS {
        title = title.chars().take(CHARS).collect();
        cut = true;
    }
    if cut {
        title.push('…');
    }
    title
}

/// Whether a path names an image file by its extension.
fn looks_like_an_image(path: &str) -> bool {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(
        ext.as_deref(),
        Some("jpg" | "jpeg" | "png" | "gif" | "webp" | "avif")
    )
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
        // Typed as an image, or untyped with an image's file name (Media
        // RSS's `medium="image"`, which feed-rs does not keep, is often
        // all an image says about itself).
        let content = m.content.iter().find(|c| match &c.content_type {
            Some(t) => t.ty().as_str() == "image",
            None => c
                .url
                .as_ref()
                .is_some_and(|u| looks_like_an_image(u.path())),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_feeds_extras_of_another_type_are_absent_not_the_pages() {
        let extras: JsonExtras = serde_json::from_str(
            r#"{"next_url": "page2.json", "items": [
                {"id": "1", "image": {"url": "https://wire.test/1.jpg"}},
                {"id": 2, "image": "https://wire.test/2.jpg", "language": 1},
                "not an item",
                {"id": "4", "banner_image": "https://wire.test/4.jpg", "language": "ar"}
            ]}"#,
        )
        .expect("extras");
        assert_eq!(extras.next_url.as_deref(), Some("page2.json"));
        assert_eq!(extras.items.len(), 4, "each item keeps its place");
        assert_eq!(extras.items[0].image, None);
        assert_eq!(
            extras.items[1].image.as_deref(),
            Some("https://wire.test/2.jpg")
        );
        assert_eq!(extras.items[1].language, None);
        assert!(extras.items[2].id.is_none());
        assert_eq!(extras.items[3].language.as_deref(), Some("ar"));
        let odd: JsonExtras =
            serde_json::from_str(r#"{"next_url": 7, "items": {}}"#).expect("extras");
        assert!(odd.next_url.is_none() && odd.items.is_empty());
    }
}
