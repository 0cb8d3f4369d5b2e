//! Pulling articles from where a newsroom already publishes them: a
//! WordPress site's REST API ([`wordpress`]), a JSON Feed, an RSS 2.0 or an
//! Atom feed ([`feed`]). `khabar-server sync URL` runs one sync; `serve
//! --source URL` runs them as jobs (see [`crate::jobs::spawn_syncs`]).
//!
//! Every article goes through the import's cleaning and validation
//! ([`crate::import::clean`]): an invalid item is skipped with a log line,
//! the rest stored. A source that is down, slow, huge or answers garbage
//! fails the sync with a [`SyncError`] and leaves what is stored as it was.
//! Nothing is ever deleted: an article gone upstream is only hidden.

pub mod feed;
pub mod http;
pub mod source;
pub mod wordpress;

use crate::metrics::Metrics;
use crate::store::{SourceState, Store};

pub use http::{Limits, SyncClient};
pub use source::*;

/// Syncs `source` once: pulls, cleans, validates and stores its articles,
/// hides those it no longer lists (WordPress), and records its state
/// (validators, start time, failures) for the next sync.
pub async fn sync(
    store: &dyn Store,
    client: &SyncClient,
    source: &Source,
) -> Result<Report, SyncError> {
    // On the store's clock: the instance that syncs next (any, on
    // PostgreSQL) tells from it when the next sync is due.
    let started = store.clock_ms().await?;
    let mut state = store.source_state(&source.url).await?.unwrap_or_default();
    let limit = client.limits().max_sync;
    // What the sync hid as no longer listed is kept however it ends (the
    // articles are hidden at once): a failure later on, or the time
    // limit, must not lose them (see `wordpress::show_listed_again`).
    let unlisted = std::sync::Mutex::new(state.unlisted.clone());
    let synced = sync_with(store, client, source, &state, &unlisted);
    let result = tokio::time::timeout(limit, synced)
        .await
        .unwrap_or_else(|_| {
            Err(SyncError::TooSlow {
                url: source.url.clone(),
                limit,
            })
        });
    state.last_try_ms = Some(started);
    state.unlisted = unlisted
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match &result {
        Ok(outcome) => {
            state.failures = 0;
            state.synced_from_ms = Some(outcome.resume_from_ms.unwrap_or(started));
            state.backfill_at = outcome.backfill_at;
            state.archive_read = outcome.archive_read;
            state.unstorable.clone_from(&outcome.unstorable);
            state.missed.clone_from(&outcome.missed);
            if outcome.article_prefix.is_some() {
                state.article_prefix.clone_from(&outcome.article_prefix);
            }
            if !outcome.report.not_modified {
                state.etag.clone_from(&outcome.etag);
                state.last_modified.clone_from(&outcome.last_modified);
            }
        }
        Err(_) => state.failures = state.failures.saturating_add(1),
    }
    // A state that cannot be saved costs a full sync next time, no more: the
    // sync's own result is what matters.
    if let Err(e) = store.save_source_state(&source.url, &state).await {
        tracing::warn!("sync {}: saving its state: {e}", source.url);
    }
    result.map(|o| o.report)
}

async fn sync_with(
    store: &dyn Store,
    client: &SyncClient,
    source: &Source,
    state: &SourceState,
    unlisted: &std::sync::Mutex<std::collections::BTreeSet<u64>>,
) -> Result<Outcome, SyncError> {
    let url = source_url(&source.url)?;
    let kind = source.kind.or_else(|| SourceKind::from_url(&url));
    if kind == Some(SourceKind::Wordpress) {
        return wordpress::sync(store, client, source, &url, state, unlisted).await;
    }
    let first = client.get(&url, Some(state)).await?;
    if first.not_modified {
        return Ok(Outcome {
            report: Report {
                not_modified: true,
                ..Report::default()
            },
            ..Outcome::default()
        });
    }
    let sniffed = SourceKind::sniff(&first.body);
    if let (Some(given), Some(found)) = (kind, sniffed) {
        // feed-rs would read any feed; a kind given by hand is a promise.
        if given != found {
            return Err(SyncError::Garbage {
                url: source.url.clone(),
                reason: format!("expected {given}, found {found}"),
            });
        }
    }
    match kind.or(sniffed) {
        Some(SourceKind::Wordpress) => {
            wordpress::sync(store, client, source, &url, state, unlisted).await
        }
        Some(_) => feed::sync(store, client, source, &url, first).await,
        None => Err(SyncError::UnknownKind {
            url: source.url.clone(),
        }),
    }
}

/// [`sync`] for a job: logs what happened, counts a failure in
/// `sync_failures`. `None` when it failed.
pub async fn run(
    store: &dyn Store,
    client: &SyncClient,
    source: &Source,
    metrics: &Metrics,
) -> Option<Report> {
    match sync(store, client, source).await {
        Ok(report) => {
            tracing::info!("synced {}: {report}", source.url);
            Some(report)
        }
        Err(e) => {
            metrics.sync_failures.inc();
            tracing::warn!("sync of {} failed: {e}", source.url);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::Url;
    use std::time::Duration;

    #[test]
    fn kinds_from_urls_and_bodies() {
        let wp = Url::parse("https://site.test/wp-json/wp/v2/posts?categories=3").unwrap();
        assert_eq!(SourceKind::from_url(&wp), Some(SourceKind::Wordpress));
        let plain = Url::parse("https://site.test/?rest_route=/wp/v2/posts").unwrap();
        assert_eq!(SourceKind::from_url(&plain), Some(SourceKind::Wordpress));
        let feed = Url::parse("https://site.test/feed/").unwrap();
        assert_eq!(SourceKind::from_url(&feed), None);
        let jf = br#" {"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": []}"#;
        assert_eq!(SourceKind::sniff(jf), Some(SourceKind::JsonFeed));
        assert_eq!(SourceKind::sniff(br#"{"version": "2"}"#), None);
        let rss = b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel/></rss>";
        assert_eq!(SourceKind::sniff(rss), Some(SourceKind::Rss));
        let atom = b"<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"/>";
        assert_eq!(SourceKind::sniff(atom), Some(SourceKind::Rss));
        assert_eq!(SourceKind::sniff(b"<html><body>hi</body></html>"), None);
        assert_eq!(SourceKind::sniff(b"\x00\x01garbage"), None);
        assert_eq!(SourceKind::sniff(b""), None);
    }

    #[test]
    fn titles_lose_markup_and_keep_their_text() {
        assert_eq!(
            html_to_text("Tom &amp; Jerry&#8217;s &#8220;day&#8221;"),
            "Tom & Jerry’s “day”"
        );
        assert_eq!(
            html_to_text("<b>Bold</b> <script>alert(1)</script>news"),
            "Bold news"
        );
        assert_eq!(
            html_to_text("&lt;img src=x onerror=alert(1)&gt;Escaped"),
            "Escaped"
        );
        assert_eq!(html_to_text("a < b &amp;&amp; c > d"), "a < b && c > d");
        assert_eq!(html_to_text("  عنوان \n  الخبر "), "عنوان الخبر");
        assert_eq!(html_to_text("&amp;lt;"), "&lt;");
        // Blocks and line breaks part words; inline tags do not.
        assert_eq!(
            html_to_text("<p>One.</p><p>Two.</p>a<BR/>b<ul><li>c</li><li>d</li></ul>"),
            "One. Two. a b c d"
        );
        assert_eq!(
            html_to_text("<b>bold</b>ing <a href=x>li</a>nk"),
            "bolding link"
        );
        assert_eq!(
            html_to_text("&lt;p&gt;الأول&lt;/p&gt;&lt;p&gt;الثاني&lt;/p&gt;"),
            "الأول الثاني"
        );
    }

    #[test]
    fn backoff_doubles_up_to_eight_times() {
        assert_eq!(
            (0..6).map(backoff_factor).collect::<Vec<_>>(),
            [1, 2, 4, 8, 8, 8]
        );
        let every = Duration::from_secs(60);
        let failed = |failures| SourceState {
            failures,
            last_try_ms: Some(1_000_000),
            ..SourceState::default()
        };
        assert!(is_due(None, every, 0));
        assert!(is_due(Some(&failed(0)), every, 1_000_000));
        assert!(!is_due(Some(&failed(1)), every, 1_000_000 + 60_000));
        assert!(is_due(Some(&failed(1)), every, 1_000_000 + 120_000));
        assert!(!is_due(Some(&failed(5)), every, 1_000_000 + 420_000));
        assert!(is_due(Some(&failed(5)), every, 1_000_000 + 480_000));
    }

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_interval("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_interval("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_interval("45"), Ok(Duration::from_secs(45)));
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("soon").is_err());
        assert!(parse_interval("5d").is_err());
    }

    #[test]
    fn host_keys_are_valid_id_prefixes() {
        let u = Url::parse("http://127.0.0.1:8080/feed").unwrap();
        assert_eq!(host_key(&u), "127.0.0.1-8080");
        let u = Url::parse("https://[::1]/feed").unwrap();
        assert!(host_key(&u)
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')));
    }
}
