//! What every kind of source shares: the source and its kind, the report
//! and the errors of a sync, and the helpers the readers of each kind use.
//! A leaf: the kinds' modules import it, it imports none of them.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use reqwest::Url;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::model::Article;
use crate::store::{SourceState, Store, StoreError};

/// The kinds of sources a sync can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// A WordPress site's REST API, `…/wp-json/wp/v2/posts`.
    Wordpress,
    /// A JSON Feed (1.0 or 1.1).
    JsonFeed,
    /// An RSS (0.9x, 1.0, 2.0) or Atom feed.
    Rss,
}

impl SourceKind {
    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Wordpress => "wordpress",
            SourceKind::JsonFeed => "jsonfeed",
            SourceKind::Rss => "rss",
        }
    }

    /// What the URL alone says: the WordPress posts route, in its pretty
    /// (`/wp-json/wp/v2/posts`) or plain (`?rest_route=/wp/v2/posts`) form.
    pub fn from_url(url: &Url) -> Option<SourceKind> {
        let route = |p: &str| p.trim_end_matches('/').ends_with("/wp/v2/posts");
        let pretty = url.path().contains("/wp-json/") && route(url.path());
        let plain = url
            .query_pairs()
            .any(|(k, v)| k == "rest_route" && route(&v));
        (pretty || plain).then_some(SourceKind::Wordpress)
    }

    /// What a fetched body says: JSON whose `version` is a jsonfeed.org URL,
    /// or XML whose root is `rss`, `feed` (Atom) or `rdf:RDF` (RSS 1.0).
    pub fn sniff(body: &[u8]) -> Option<SourceKind> {
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        let start = body.iter().position(|b| !b.is_ascii_whitespace())?;
        match body[start] {
            b'{' => {
                #[derive(serde::Deserialize)]
                struct Version {
                    version: String,
                }
                let v: Version = serde_json::from_slice(body).ok()?;
                v.version
                    .starts_with("https://jsonfeed.org/version/")
                    .then_some(SourceKind::JsonFeed)
            }
            b'<' => {
                // The root element comes after the prolog, comments and
                // doctype: a few kilobytes are plenty.
                let head = &body[start..body.len().min(start + 4096)];
                let head = String::from_utf8_lossy(head).to_ascii_lowercase();
                ["<rss", "<feed", "<rdf:rdf"]
                    .iter()
                    .any(|root| head.contains(root))
                    .then_some(SourceKind::Rss)
            }
            _ => None,
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SourceKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "wordpress" | "wp" => Ok(SourceKind::Wordpress),
            "jsonfeed" | "json" => Ok(SourceKind::JsonFeed),
            "rss" | "atom" => Ok(SourceKind::Rss),
            other => Err(format!(
                "unknown source kind {other:?}: wordpress, jsonfeed or rss"
            )),
        }
    }
}

/// One place articles are pulled from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The URL as configured; also the `origin` its articles are stored
    /// with, and the key of its state.
    pub url: String,
    /// The kind, or `None` to detect it from the URL and the answer.
    pub kind: Option<SourceKind>,
    /// Language of its articles, or `None` for what the source says (else
    /// `ar`).
    pub lang: Option<String>,
}

impl Source {
    /// A source of a kind to detect, in the language it says.
    pub fn new(url: impl Into<String>) -> Source {
        Source {
            url: url.into().trim().to_owned(),
            kind: None,
            lang: None,
        }
    }

    /// The name of its job in the job table.
    pub fn job_name(&self) -> String {
        format!("sync:{}", self.url)
    }
}

/// Whether `tag` looks like a BCP 47 language tag (`ar`, `en-GB`,
/// `zh-Hant-TW`): subtags of ASCII letters and digits, the first letters.
pub fn is_language_tag(tag: &str) -> bool {
    let mut subtags = tag.split('-');
    let first_ok = subtags
        .next()
        .is_some_and(|s| (2..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok
        && subtags
            .all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The entries of `--source`, `--source-lang` and `--webhook` values: a
/// comma starts a new one only before `http://` or `https://`, so that a
/// variable (`KHABAR_SOURCES`) lists several URLs while a URL's own commas
/// (WordPress's `?categories=12,13`) stay in it. A final comma is dropped.
pub fn url_list(values: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for value in values {
        let mut rest = value.as_str();
        loop {
            let next = rest.match_indices(',').map(|(i, _)| i).find(|&i| {
                let after = rest[i + 1..].trim_start().to_ascii_lowercase();
                // A final comma ends the list, as it did.
                after.is_empty() || after.starts_with("http://") || after.starts_with("https://")
            });
            let (entry, more) = match next {
                Some(i) => (&rest[..i], Some(&rest[i + 1..])),
                None => (rest, None),
            };
            if !entry.trim().is_empty() {
                out.push(entry.trim().to_owned());
            }
            match more {
                Some(more) => rest = more,
                None => break,
            }
        }
    }
    out
}

/// Applies `--source-lang` values to `sources`: `LANG` is the language of
/// every source not named otherwise, `URL=LANG` the language of the source
/// with exactly that URL (an Arabic and an English edition synced by one
/// server). A value that is neither is an error naming it.
pub fn apply_languages(sources: &mut [Source], specs: &[String]) -> Result<(), String> {
    let mut default: Option<&str> = None;
    let mut named: Vec<(&str, &str)> = Vec::new();
    for spec in specs.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if is_language_tag(spec) {
            if default.is_some_and(|d| d != spec) {
                return Err(format!(
                    "--source-lang {spec}: a language for every source is already given; \
                     name the source with URL={spec}"
                ));
            }
            default = Some(spec);
            continue;
        }
        let named_source = spec
            .rsplit_once('=')
            .map(|(url, lang)| (url.trim(), lang.trim()))
            .filter(|(url, lang)| is_language_tag(lang) && sources.iter().any(|s| s.url == *url));
        match named_source {
            Some(pair) => named.push(pair),
            None => {
                return Err(format!(
                    "--source-lang {spec}: neither a language tag (ar, en-GB) nor \
                     URL=LANG with the URL of a --source"
                ))
            }
        }
    }
    for source in sources.iter_mut() {
        let lang = named
            .iter()
            .rev()
            .find(|(url, _)| *url == source.url)
            .map(|(_, lang)| *lang)
            .or(default);
        source.lang = lang.map(str::to_owned);
    }
    Ok(())
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Articles stored because they were new or differed from the copy.
    pub changed: usize,
    /// Articles hidden because the source no longer lists them.
    pub hidden: usize,
    /// Items skipped as invalid (each with a log line).
    pub skipped: usize,
    /// The source answered 304 Not Modified: nothing changed.
    pub not_modified: bool,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.not_modified {
            return f.write_str("not modified since the last sync");
        }
        write!(
            f,
            "{} new or updated, {} hidden, {} skipped",
            self.changed, self.hidden, self.skipped
        )
    }
}

/// Why a sync failed. Whatever it is, stored articles are as they were
/// before the failing request.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The source URL does not parse or is not http(s).
    #[error("not an http(s) URL: {0}")]
    BadUrl(String),
    /// The HTTP client could not be built (TLS set-up).
    #[error("HTTP client: {0}")]
    Client(String),
    /// No answer: refused, unreachable, timed out.
    #[error("{url}: {reason}")]
    Fetch {
        /// What was asked.
        url: String,
        /// Why there is no answer.
        reason: String,
        /// Whether it took too long (a site may answer a smaller request).
        timed_out: bool,
    },
    /// An answer other than 2xx (or 304 where it was asked for).
    #[error("{url} answered HTTP {status}")]
    Status {
        /// What was asked.
        url: String,
        /// The status.
        status: u16,
        /// The start of a refusal's body (4xx; 4 KB at most), where a site
        /// says why; empty for other statuses.
        said: String,
    },
    /// The answer is larger than [`Limits::max_body`].
    #[error("{url}: the answer is larger than {limit} bytes")]
    TooLarge {
        /// What was asked.
        url: String,
        /// The limit.
        limit: usize,
    },
    /// The whole sync took longer than [`crate::sync::Limits::max_sync`].
    #[error("{url}: the sync took longer than {limit:?} and was stopped")]
    TooSlow {
        /// The source.
        url: String,
        /// The limit.
        limit: std::time::Duration,
    },
    /// The answer is neither a WordPress posts list nor a feed.
    #[error("{url}: not a WordPress posts API, a JSON Feed, RSS or Atom (use --source-kind?)")]
    UnknownKind {
        /// What was asked.
        url: String,
    },
    /// The answer does not parse as what it should be.
    #[error("{url}: unreadable answer: {reason}")]
    Garbage {
        /// What was asked.
        url: String,
        /// What the parser said.
        reason: String,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a sync of one kind hands back to [`sync`].
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// What the sync did.
    pub(crate) report: Report,
    /// Validators of the first answer, for the next conditional GET.
    pub(crate) etag: Option<String>,
    /// The same, as a date.
    pub(crate) last_modified: Option<String>,
    /// Where the next sync takes up the changes (ms), when this one
    /// stopped at its limits before the newest: instead of its start.
    pub(crate) resume_from_ms: Option<i64>,
    /// The prefix of the source's article ids, once chosen (WordPress).
    pub(crate) article_prefix: Option<String>,
    /// Where the listing of the site's posts, newest first, is read to
    /// (and its page size), while some are left to read (WordPress).
    pub(crate) backfill_at: Option<crate::store::ListingAt>,
    /// Whether every post of the site has been read once (WordPress).
    pub(crate) archive_read: bool,
    /// Posts skipped for good, not asked for by id again for a day, with
    /// when they were skipped (WordPress).
    pub(crate) unstorable: std::collections::BTreeMap<u64, i64>,
    /// Changes missed by the pages and not fetched yet, with when each was
    /// first left (WordPress).
    pub(crate) missed: std::collections::BTreeMap<u64, i64>,
}

/// `url` parsed, if it is an absolute http(s) URL.
pub fn source_url(url: &str) -> Result<Url, SyncError> {
    Url::parse(url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| SyncError::BadUrl(url.to_owned()))
}

/// after a success, then 2, 4 and at most 8.
pub fn backoff_factor(failures: u32) -> u32 {
    1 << failures.min(3)
}

/// Whether a source synced every `every` is due again at `now_ms`, given
/// its state: always after a success; after failures, only once the backed
/// off interval has (nearly: jobs are claimed on a grid of `every`) passed.
pub fn is_due(state: Option<&SourceState>, every: Duration, now_ms: i64) -> bool {
    let Some(state) = state.filter(|s| s.failures > 0) else {
        return true;
    };
    let Some(last) = state.last_try_ms else {
        return true;
    };
    let every_ms = crate::store::millis(every);
    let wait = every_ms.saturating_mul(i64::from(backoff_factor(state.failures)));
    now_ms >= last.saturating_add(wait).saturating_sub(every_ms / 2)
}

/// Parses an interval such as `30s`, `10m`, `1h` or `90` (seconds).
pub fn parse_interval(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{s:?}: a number and a unit, e.g. 30s, 10m, 1h"))?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "m" | "min" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        other => return Err(format!("{s:?}: unknown unit {other:?} (s, m or h)")),
    };
    if secs == 0 {
        return Err(format!("{s:?}: must be at least one second"));
    }
    Ok(Duration::from_secs(secs))
}

/// What a source can say about an article besides its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Says {
    /// Whether it is published and takes comments (WordPress): the
    /// source's word stands over what was set here, except that comments
    /// closed or opened here stay so until the source's word changes.
    Everything,
    /// Its content alone (a feed): an article hidden here stays hidden,
    /// and whether it takes comments is the moderators' to say.
    ContentOnly,
}

/// Stores the articles that are new or differ from the stored copy (so
/// that an unchanged feed writes nothing); how many.
pub(crate) async fn store_changed(
    store: &dyn Store,
    articles: Vec<Article>,
    origin: &str,
    says: Says,
) -> Result<usize, StoreError> {
    let mut seen = HashSet::new();
    let mut changed = Vec::new();
    // Every stored id, hidden ones included: read once, when needed.
    let mut known: Option<HashSet<String>> = None;
    // Read as they are here: the plugin's pushes among them become this
    // source's (see `Store::adopt_pushed`).
    let mut as_they_are = Vec::new();
    for mut a in articles {
        if !seen.insert(a.id.clone()) {
            continue;
        }
        let stored = match says {
            // A post a sync reads again after its article was hidden (by
            // the plugin's DELETE, a moderator, or this sync) is the same
            // story until it changes: hidden, it stays so.
            Says::Everything => store.article_even_hidden(&a.id).await?,
            Says::ContentOnly => store.article(&a.id).await?,
        };
        match stored {
            Some(stored) => {
                a.comment_count = stored.comment_count;
                match says {
                    Says::ContentOnly => {
                        a.comments_open = stored.comments_open;
                        a.source_comments_open = stored.source_comments_open;
                    }
                    // A moderator's choice stands until the source changes
                    // its word (the store applies the same rule).
                    Says::Everything => {
                        let said = a.comments_open;
                        if stored.source_comments_open == Some(said) {
                            a.comments_open = stored.comments_open;
                        }
                        a.source_comments_open = Some(said);
                    }
                }
                if stored == a {
                    if says == Says::Everything {
                        as_they_are.push(a.id);
                    }
                    continue;
                }
                // A newer version came in meanwhile (the plugin pushed an
                // edit after this sync read the post): it stands.
                if says == Says::Everything && changed_at(&stored) > changed_at(&a) {
                    continue;
                }
            }
            // Not shown: new, or hidden here (a feed cannot show it again).
            None if says == Says::ContentOnly => {
                if known.is_none() {
                    let ids = store.article_urls().await?.into_iter().map(|(id, _, _)| id);
                    known = Some(ids.collect());
                }
                if known.as_ref().is_some_and(|k| k.contains(&a.id)) {
                    continue;
                }
            }
            None => {}
        }
        changed.push(a);
    }
    if !as_they_are.is_empty() {
        store.adopt_pushed(as_they_are, origin).await?;
    }
    if changed.is_empty() {
        return Ok(0);
    }
    store.upsert_articles(changed, Some(origin)).await
}

/// When an article last changed at its source (its update, else its
/// publication); `None` when neither reads as a time.
fn changed_at(a: &Article) -> Option<time::OffsetDateTime> {
    let at = a.updated_at.as_deref().unwrap_or(&a.published_at);
    time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()
}

/// Cleans and validates a mapped item; `None` (with a log line) when it
/// breaks a rule.
pub(crate) fn checked(source: &Source, item: &str, article: Article) -> Option<Article> {
    match crate::import::clean(article) {
        Ok(a) => Some(a),
        Err(invalid) => {
            tracing::warn!("sync {}: skipped {item}: {invalid}", source.url);
            None
        }
    }
}

/// The source's host as the start of article ids: `news.example`, with
/// `-port` when there is one, in the id alphabet.
pub(crate) fn host_key(url: &Url) -> String {
    let mut key: String = url
        .host_str()
        .unwrap_or("source")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .take(80)
        .collect();
    if let Some(port) = url.port() {
        key.push_str(&format!("-{port}"));
    }
    key
}

/// Plain text of an HTML fragment: tags gone (the content of `script` and
/// `style` too), entities decoded, whitespace collapsed. Titles arrive as
/// HTML from WordPress and often from feeds, sometimes escaped twice.
pub fn html_to_text(html: &str) -> String {
    let mut cleaner = ammonia::Builder::default();
    cleaner.tags(HashSet::new());
    let mut text = html.to_owned();
    for _ in 0..2 {
        text = unescape_serialized(&cleaner.clean(&spaced_blocks(&text)).to_string());
        if !looks_like_markup(&text) {
            break;
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text a feed says is plain, as words: its complete character references
/// (`&amp;#8217;` escaped once too often) decoded once, whitespace
/// collapsed, and `<video>` in it kept as the word it is. `&region=` in an
/// address is no reference (HTML would read `&reg` in it).
pub fn plain_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let name = rest[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .unwrap_or(rest.len() - 1);
        if (1..=32).contains(&name) && rest[1 + name..].starts_with(';') {
            let reference = &rest[..name + 2];
            let mut cleaner = ammonia::Builder::default();
            cleaner.tags(HashSet::new());
            out.push_str(&unescape_serialized(&cleaner.clean(reference).to_string()));
            rest = &rest[name + 2..];
        } else {
            out.push('&');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `html` with a space before each tag that parts words where it is shown
/// (a line break, a paragraph, a list item, a cell…): taking the tags away
/// must not make "One.</p><p>Two." one word, as a feed's description with
/// no line between its paragraphs would. Inline tags (`<b>`) get none.
fn spaced_blocks(html: &str) -> String {
    const PARTING: [&str; 27] = [
        "address",
        "article",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "section",
        "td",
        "th",
        "tr",
    ];
    let mut out = String::with_capacity(html.len() + 16);
    for (i, part) in html.split('<').enumerate() {
        if i > 0 {
            let tag = part.trim_start_matches('/');
            let name = &tag[..tag
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(tag.len())];
            if PARTING.iter().any(|p| p.eq_ignore_ascii_case(name)) {
                out.push(' ');
            }
            out.push('<');
        }
        out.push_str(part);
    }
    out
}

/// Undoes the escaping html5ever's serializer applies to text (`&`, `<`,
/// `>` and the no-break space; nothing else), in one pass.
pub fn unescape_serialized(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let (ch, len) = [
            ("&amp;", '&'),
            ("&lt;", '<'),
            ("&gt;", '>'),
            ("&nbsp;", ' '),
        ]
        .iter()
        .find(|(e, _)| rest.starts_with(e))
        .map_or(('&', 1), |(e, c)| (*c, e.len()));
        out.push(ch);
        rest = &rest[len..];
    }
    out.push_str(rest);
    out
}

/// Whether text still holds something a browser would take for a tag.
fn looks_like_markup(s: &str) -> bool {
    s.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'/' | b'!')))
}

/// An RFC 3339 UTC time from seconds since the epoch.
pub(crate) fn rfc3339(secs: i64) -> Option<String> {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()?
        .format(&Rfc3339)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::{apply_languages, is_language_tag, plain_text, url_list, Source};

    #[test]
    fn plain_text_decodes_complete_references_once_and_keeps_the_rest() {
        assert_eq!(
            plain_text("It&#8217;s &amp; <video>"),
            "It\u{2019}s & <video>"
        );
        assert_eq!(plain_text("&lt;b&gt;  &rsquo;"), "<b> \u{2019}");
        // No reference without its semicolon, nor one HTML does not know.
        assert_eq!(
            plain_text("?page=2&region=gulf&copy &bogus; & x&"),
            "?page=2&region=gulf&copy &bogus; & x&"
        );
        assert_eq!(plain_text("عربي&#x627;"), "عربيا");
    }

    #[test]
    fn lists_split_before_urls_only() {
        let list = |v: &[&str]| url_list(&specs(v));
        assert_eq!(
            list(&[
                "https://a.test/wp-json/wp/v2/posts?categories=12,13, HTTPS://b.test/feed.xml,"
            ]),
            [
                "https://a.test/wp-json/wp/v2/posts?categories=12,13",
                "HTTPS://b.test/feed.xml"
            ]
        );
        assert_eq!(
            list(&["ar,https://b.test/feed?tag=1,2=en", "https://c.test/x"]),
            ["ar", "https://b.test/feed?tag=1,2=en", "https://c.test/x"]
        );
        assert_eq!(list(&["", " , "]), Vec::<String>::new());
    }

    fn specs(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn language_tags() {
        for good in ["ar", "en", "en-GB", "zh-Hant-TW", "fil"] {
            assert!(is_language_tag(good), "{good}");
        }
        for bad in ["", "a", "e1", "en_GB", "en-", "-en", "https://x", "ar=en"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }

    #[test]
    fn one_language_for_all_or_one_per_source() {
        let ar = "https://ar.example/wp-json/wp/v2/posts";
        let en = "https://en.example/feed.json?edition=en";
        let mut sources = vec![Source::new(ar), Source::new(en)];
        apply_languages(&mut sources, &specs(&["ar", &format!("{en}=en")])).expect("valid");
        assert_eq!(sources[0].lang.as_deref(), Some("ar"));
        assert_eq!(sources[1].lang.as_deref(), Some("en"));

        // Nothing given: what each source says.
        apply_languages(&mut sources, &[]).expect("valid");
        assert_eq!(sources[0].lang, None);
        assert_eq!(sources[1].lang, None);

        // A URL with `=` in its query and no language is not a mapping.
        let err = apply_languages(&mut sources, &specs(&[en])).expect_err("no language");
        assert!(err.contains(en), "{err}");
        // A mapping must name a configured source.
        let err = apply_languages(&mut sources, &specs(&["https://other.example/feed=fr"]))
            .expect_err("unknown source");
        assert!(err.contains("other.example"), "{err}");
        // Two different defaults are ambiguous.
        assert!(apply_languages(&mut sources, &specs(&["ar", "en"])).is_err());
    }
}
