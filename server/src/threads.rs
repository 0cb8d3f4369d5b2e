//! Comments for any article of the site: a page the server never imported
//! is identified by its canonical URL, and its first comment creates its
//! thread (as Isso and giscus do). Only URLs under the sites named with
//! `--site` are accepted, and with sites configured, browsers of other
//! origins may not write.

use sha2::{Digest, Sha256};
use url::Url;

/// The sites this server takes comments for (`--site`, repeatable).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sites(Vec<Url>);

/// Why a URL or a site was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThreadError {
    /// Not an absolute http(s) URL.
    #[error("{0:?} is not an absolute http(s) URL")]
    NotAUrl(String),
    /// A URL outside every configured site.
    #[error("{0} is not under a site this server takes comments for (--site)")]
    OtherSite(String),
    /// No `--site` configured: threads by URL are off.
    #[error("comments by URL need the server to be started with --site")]
    NoSites,
    /// A `--site` with a path, query or fragment: a site is an origin.
    #[error("--site {0:?}: give the site's origin alone (https://news.example); a path would not limit the pages taken")]
    NotAnOrigin(String),
}

impl Sites {
    /// Parses `--site` values: origins such as `https://news.example`.
    pub fn parse<S: AsRef<str>>(values: &[S]) -> Result<Sites, ThreadError> {
        values
            .iter()
            .map(|v| {
                let v = v.as_ref().trim();
                let url = Url::parse(v).map_err(|_| ThreadError::NotAUrl(v.to_owned()))?;
                if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                    return Err(ThreadError::NotAUrl(v.to_owned()));
                }
                // Only the origin is compared: `https://news.example/ar`
                // would take every page of news.example.
                if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
                    return Err(ThreadError::NotAnOrigin(v.to_owned()));
                }
                Ok(url)
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Sites)
    }

    /// Whether any site is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The canonical form of an article URL under one of the sites: the
    /// site's scheme and host (so `http://` and `https://` links to the same
    /// page are one thread), the path with one percent-encoding (Arabic
    /// paths arrive raw or encoded, in either case of hex digits) and no
    /// trailing slash (except the root), no fragment, and no query unless
    /// it names the page ([`page_query`]).
    pub fn canonical(&self, raw: &str) -> Result<String, ThreadError> {
        if self.0.is_empty() {
            return Err(ThreadError::NoSites);
        }
        let url = Url::parse(raw.trim()).map_err(|_| ThreadError::NotAUrl(raw.to_owned()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ThreadError::NotAUrl(raw.to_owned()));
        }
        let site = self
            .0
            .iter()
            // Same host, and the same port or both on their scheme's
            // default (so http and https links meet).
            .find(|s| s.host_str() == url.host_str() && s.port() == url.port())
            .ok_or_else(|| ThreadError::OtherSite(url.origin().ascii_serialization()))?;
        let query = url.query().and_then(|q| page_query(url.path(), q));
        Ok(format!(
            "{}{}{}",
            site.origin().ascii_serialization(),
            canonical_path(url.path()),
            query.map(|q| format!("?{q}")).unwrap_or_default()
        ))
    }

    /// The origin of the first site, e.g. `https://news.example`.
    pub fn first_origin(&self) -> Option<String> {
        self.0.first().map(|s| s.origin().ascii_serialization())
    }

    /// Whether a browser's `Origin` header names one of the sites.
    pub fn allows_origin(&self, origin: &str) -> bool {
        Url::parse(origin.trim()).is_ok_and(|o| {
            self.0
                .iter()
                .any(|s| s.origin().ascii_serialization() == o.origin().ascii_serialization())
        })
    }
}

/// The path part of a canonical URL: one percent-encoding (letters outside
/// ASCII escaped, upper-case hex digits), no Java servlet session id
/// (`/news.jsp;jsessionid=A1`: each reader's session would be a page of its
/// own) and no trailing slash, except for the root.
pub fn canonical_path(path: &str) -> String {
    let lower = path.to_ascii_lowercase();
    let path = match lower.find(";jsessionid=") {
        Some(at) => {
            let end = path[at..].find('/').map_or(path.len(), |i| at + i);
            format!("{}{}", &path[..at], &path[end..])
        }
        None => path.to_owned(),
    };
    let mut path = hex_case(&escape_letters(&path), true);
    while path.len() > 1 && path.ends_with('/') {
        path.pop();
    }
    path
}

/// Query parameters that follow a link around, or show a page another
/// way, and never name one: campaign tags, WordPress's own (a reply link
/// without JavaScript, the notice after a held comment, comment pages,
/// previews, Jetpack's share links), AMP switches.
pub fn never_names_page(name: &str) -> bool {
    name.starts_with("utm_")
        || matches!(
            name,
            "replytocom"
                | "unapproved"
                | "moderation-hash"
                | "cpage"
                | "preview"
                | "share"
                | "amp"
                | "noamp"
                | "srsltid"
                | "ref"
                | "_hsenc"
                | "_hsmi"
                | "mkt_tok"
                | "ttclid"
                | "twclid"
                | "li_fat_id"
                | "fbclid"
                | "gclid"
                | "gbraid"
                | "wbraid"
                | "dclid"
                | "msclkid"
                | "yclid"
                | "igshid"
                | "mc_cid"
                | "mc_eid"
                | "_ga"
                | "_gl"
        )
}

/// A query parameter's name (`id` of `id=5`).
fn param_name(pair: &str) -> &str {
    pair.split('=').next().unwrap_or_default()
}

/// Whether the parameters of a query tell pages at `path` apart: any on
/// the root (`/?p=12`) or on a script's address (`news.php?id=5`,
/// `Details.aspx?ID=7`, as older CMSs write), and WordPress's plain links
/// anywhere (`/blog/?p=12`, `?page_id=`, `?attachment_id=`). Elsewhere a
/// query is a view of the page (`?page=2`, `?amp=1`), not another page.
fn names_page(path: &str, params: &[&str]) -> bool {
    const SCRIPTS: &[&str] = &["php", "asp", "aspx", "jsp", "cfm", "cgi"];
    // `/news.php/` and `/news.jsp;jsessionid=…` are the script's address too.
    let script = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .map(|last| last.split(';').next().unwrap_or_default())
        .and_then(|last| last.rsplit_once('.'))
        .is_some_and(|(_, ext)| SCRIPTS.contains(&ext.to_ascii_lowercase().as_str()));
    !params.is_empty() && (path == "/" || script || params.iter().any(|p| is_wordpress_id(p)))
}

/// WordPress's plain links name a post by one of these alone.
fn is_wordpress_id(pair: &str) -> bool {
    matches!(param_name(pair), "p" | "page_id" | "attachment_id")
}

/// The query a canonical URL keeps when it names the page ([`names_page`]):
/// its parameters but the tracking ones (WordPress's post parameters alone
/// where there is one), in name order (so `?id=5&cat=2` and `?cat=2&id=5`
/// meet), letters escaped with upper-case hex digits. `None` when the path
/// alone names the page.
pub fn page_query(path: &str, query: &str) -> Option<String> {
    let mut params: Vec<&str> = query
        .split('&')
        .filter(|p| !param_name(p).is_empty() && !never_names_page(param_name(p)))
        .collect();
    if !names_page(path, &params) {
        return None;
    }
    if params.iter().any(|p| is_wordpress_id(p)) {
        params.retain(|p| is_wordpress_id(p));
    }
    // Stable: repeated names keep their values' order.
    params.sort_by_key(|p| param_name(p));
    Some(hex_case(&escape_letters(&params.join("&")), true))
}

/// The spellings an article's stored URL may have when its page's
/// canonical URL is `canonical`, that one first. Synced and pushed articles
/// keep the URL their source gives, and WordPress (as most CMSs) writes
/// links with a trailing slash and lower-case percent-encoding
/// (`/2026/11/30/%d8%b3%d9%88%d9%82/`); an import or a push may give the
/// letters themselves (`/2026/11/30/سوق`).
///
/// A canonical URL with a query has its slash before the query
/// (`/blog/?p=12`, as WordPress writes it). The same spellings under the
/// other scheme follow: a site that moved to `https` keeps its older
/// articles' `http://` links, and the page is the same.
pub fn stored_spellings(canonical: &str) -> Vec<String> {
    let mut forms: Vec<String> = Vec::with_capacity(12);
    for url in std::iter::once(canonical.to_owned()).chain(other_scheme(canonical)) {
        add_spellings(&url, &mut forms);
    }
    forms
}

/// [`stored_spellings`], then the same spellings' paths from the root: an
/// article stored with a path (`/?article=x`, as imports that give paths
/// and the demo store it) is the page of that path on the site, and
/// `GET /counts` counts it there too.
pub fn page_spellings(canonical: &str) -> Vec<String> {
    let mut forms = stored_spellings(canonical);
    let paths: Vec<String> = forms.iter().map(|f| url_path(f).to_owned()).collect();
    for path in paths {
        if !forms.contains(&path) {
            forms.push(path);
        }
    }
    forms
}

/// The path and query of an absolute URL (`/` when it has neither); a
/// path is its own.
pub fn url_path(url: &str) -> &str {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => url,
    }
}

/// The same URL under the other web scheme (`http://` for `https://` and
/// back); `None` for any other.
fn other_scheme(url: &str) -> Option<String> {
    match url.strip_prefix("https://") {
        Some(rest) => Some(format!("http://{rest}")),
        None => url
            .strip_prefix("http://")
            .map(|rest| format!("https://{rest}")),
    }
}

/// [`stored_spellings`] of one scheme, added to `forms`.
fn add_spellings(canonical: &str, forms: &mut Vec<String>) {
    let bases = [Some(canonical.to_owned()), Some(hex_case(canonical, false))];
    for spelled in bases.into_iter().chain([with_letters(canonical)]).flatten() {
        let (base, query) = match spelled.split_once('?') {
            Some((base, query)) => (base, format!("?{query}")),
            None => (spelled.as_str(), String::new()),
        };
        let slashed = (!base.ends_with('/')).then(|| format!("{base}/{query}"));
        for form in std::iter::once(format!("{base}{query}")).chain(slashed) {
            if !forms.contains(&form) {
                forms.push(form);
            }
        }
    }
}

/// The eight spellings of a stored article's `url` a thread of its page may
/// have been opened under: with and without a closing slash, in either case
/// of percent-escapes (the canonical form has upper-case ones and no
/// slash; a CMS's link often the opposite), under either scheme (a thread
/// takes the site's; an article may keep an `http://` link). A URL stored
/// with its letters unescaped has them escaped first, as a thread's URL has.
///
/// Its query is the one its page's canonical URL keeps ([`page_query`]):
/// `/a?utm_source=x` is the page `/a`, `/?p=12` keeps `?p=12`.
pub fn thread_spellings(url: &str) -> [String; 8] {
    let escaped = escape_letters(url.split('#').next().unwrap_or_default());
    let (base, query) = escaped.split_once('?').unwrap_or((&escaped, ""));
    let path = url_path(base);
    // A query that is not already the canonical one, the case of its hex
    // digits aside (`?utm_source=rss`, `?id=5&cat=2`), is kept as written,
    // so it matches no thread: the page would not find the article under
    // it either (`stored_spellings`), and adopting its thread would take
    // the comments out of the page's view.
    let query = match page_query(path, query) {
        None if query.is_empty() => String::new(),
        Some(q) if q == hex_case(query, true) => format!("?{q}"),
        _ => format!("?{query}"),
    };
    let base = base.trim_end_matches('/');
    let other = other_scheme(base).unwrap_or_else(|| base.to_owned());
    let [u, l, ou, ol] = [(base, true), (base, false), (&other, true), (&other, false)]
        .map(|(url, up)| hex_case(url, up));
    [
        format!("{u}{query}"),
        format!("{u}/{query}"),
        format!("{l}{query}"),
        format!("{l}/{query}"),
        format!("{ou}{query}"),
        format!("{ou}/{query}"),
        format!("{ol}{query}"),
        format!("{ol}/{query}"),
    ]
}

/// `url` with every letter outside ASCII (and every control) percent-encoded,
/// as a browser sends it: `/سوق` is `/%D8%B3%D9%88%D9%82`.
fn escape_letters(url: &str) -> String {
    percent_encoding::utf8_percent_encode(url, percent_encoding::CONTROLS).to_string()
}

/// `url` with the escapes of letters outside ASCII written as the letters
/// (`%D8%B3` is `س`), and nothing else decoded; `None` when it has no such
/// escape, or they do not spell UTF-8.
fn with_letters(url: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(url.len());
    let mut rest = url;
    while let Some(i) = rest.find('%') {
        bytes.extend_from_slice(&rest.as_bytes()[..i]);
        let high = rest
            .get(i + 1..i + 3)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .filter(|b| *b >= 0x80);
        match high {
            Some(b) => {
                bytes.push(b);
                rest = &rest[i + 3..];
            }
            None => {
                bytes.push(b'%');
                rest = &rest[i + 1..];
            }
        }
    }
    bytes.extend_from_slice(rest.as_bytes());
    String::from_utf8(bytes).ok().filter(|s| s != url)
}

/// `%d8%a7` and `%D8%A7` are the same bytes: `upper` picks the spelling of
/// the two hex digits after each `%`; nothing else changes.
fn hex_case(path: &str, upper: bool) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let code = rest
            .get(i + 1..i + 3)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
        match code {
            Some(h) => {
                out.push('%');
                out.push_str(&if upper {
                    h.to_ascii_uppercase()
                } else {
                    h.to_ascii_lowercase()
                });
                rest = &rest[i + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether `article` is a thread a reader's first comment opened: its
/// title is that reader's, not the site's.
pub fn is_thread(article: &crate::model::Article) -> bool {
    article.id == thread_id(&article.url)
}

/// A page's URL as a reader reads it: letters for their escapes
/// (`/سوق` for `/%D8%B3%D9%88%D9%82`), and nothing else decoded (a space,
/// a line separator or a bidi control chosen by whoever wrote the link
/// stays an escape); at most [`READABLE_URL_MAX`] characters.
pub fn readable_url(url: &str) -> String {
    let decoded = with_letters(url).unwrap_or_else(|| url.to_owned());
    let mut out = String::with_capacity(decoded.len());
    for c in decoded.chars() {
        if c.is_ascii() || c.is_alphanumeric() {
            out.push(c);
        } else {
            out.extend(percent_encoding::utf8_percent_encode(
                c.encode_utf8(&mut [0; 4]),
                percent_encoding::NON_ALPHANUMERIC,
            ));
        }
    }
    match out.char_indices().nth(READABLE_URL_MAX) {
        Some((end, _)) => format!("{}…", &out[..end]),
        None => out,
    }
}

/// The longest [`readable_url`], in characters.
pub const READABLE_URL_MAX: usize = 120;

/// The article id of a thread created by a comment: stable for its URL.
pub fn thread_id(canonical: &str) -> String {
    let digest = Sha256::digest(canonical.as_bytes());
    let hex: String = digest.iter().take(10).map(|b| format!("{b:02x}")).collect();
    format!("t-{hex}")
}

/// What the store records as the origin of threads created by comments
/// (never listed in article lists, feeds or `latest`).
pub const THREAD_ORIGIN: &str = "thread";

#[cfg(test)]
mod tests {
    use super::*;

    fn sites() -> Sites {
        Sites::parse(&["https://news.example", "https://blog.news.example"]).expect("sites")
    }

    #[test]
    fn stored_urls_are_matched_in_the_spellings_cms_write() {
        let all = stored_spellings("https://news.example/2026/%D8%B3%D9%88%D9%82");
        // The same six under http:// follow (a site that moved to https).
        assert_eq!(all.len(), 12);
        assert_eq!(all[6], "http://news.example/2026/%D8%B3%D9%88%D9%82");
        assert_eq!(
            all[..6],
            [
                "https://news.example/2026/%D8%B3%D9%88%D9%82",
                "https://news.example/2026/%D8%B3%D9%88%D9%82/",
                "https://news.example/2026/%d8%b3%d9%88%d9%82",
                "https://news.example/2026/%d8%b3%d9%88%d9%82/",
                "https://news.example/2026/سوق",
                "https://news.example/2026/سوق/",
            ]
        );
        // Only the escapes of letters are written out.
        assert_eq!(
            stored_spellings("https://news.example/2026/%D8%B3%D9%88%D9%82%20x")[4..6],
            [
                "https://news.example/2026/سوق%20x",
                "https://news.example/2026/سوق%20x/",
            ]
        );
        // Letters of the path are not hex digits: left alone.
        assert_eq!(
            stored_spellings("https://news.example/Port"),
            [
                "https://news.example/Port",
                "https://news.example/Port/",
                "http://news.example/Port",
                "http://news.example/Port/"
            ]
        );
        assert_eq!(
            stored_spellings("https://news.example/"),
            ["https://news.example/", "http://news.example/"]
        );
    }

    #[test]
    fn an_http_article_meets_its_https_thread() {
        let spellings = thread_spellings("http://news.example/2026/port/");
        assert!(spellings.contains(&"https://news.example/2026/port".to_owned()));
        assert!(spellings.contains(&"http://news.example/2026/port".to_owned()));
        // A root-relative URL has no other scheme: its own forms twice.
        assert_eq!(
            thread_spellings("/?article=x")[..4],
            thread_spellings("/?article=x")[4..]
        );
    }

    #[test]
    fn a_stored_url_with_its_letters_meets_its_escaped_thread() {
        assert_eq!(
            thread_spellings("https://news.example/2026/سوق/")[0],
            "https://news.example/2026/%D8%B3%D9%88%D9%82"
        );
        assert_eq!(canonical_path("/2026/سوق/"), "/2026/%D8%B3%D9%88%D9%82");
        // Escapes that are not of UTF-8 letters are no spelling of a page.
        assert_eq!(with_letters("/%D8"), None);
        assert_eq!(with_letters("/%2F%41"), None);
    }

    #[test]
    fn a_url_in_mail_shows_its_letters_and_nothing_else_decoded() {
        assert_eq!(
            readable_url(
                "https://news.example/2026/%D8%B3%D9%88%D9%82-%D8%A7%D9%84%D8%B0%D9%87%D8%A8"
            ),
            "https://news.example/2026/سوق-الذهب"
        );
        // No-break spaces, line separators and bidi overrides stay escaped,
        // as do ASCII escapes.
        assert_eq!(
            readable_url("https://news.example/a%C2%A0b%E2%80%A8c%E2%80%AEd%20e"),
            "https://news.example/a%C2%A0b%E2%80%A8c%E2%80%AEd%20e"
        );
        let long = format!("https://news.example/{}", "%D8%B3".repeat(300));
        let shown = readable_url(&long);
        assert_eq!(shown.chars().count(), READABLE_URL_MAX + 1);
        assert!(shown.ends_with("سس…"), "{shown}");
    }

    #[test]
    fn one_page_has_one_canonical_url() {
        let s = sites();
        let want = "https://news.example/2026/11/%D8%A7%D9%84%D8%B3%D9%88%D9%82";
        for given in [
            "https://news.example/2026/11/السوق",
            "https://NEWS.example/2026/11/%d8%a7%d9%84%d8%b3%d9%88%d9%82/",
            "http://news.example/2026/11/السوق?utm_source=x#comments",
            "https://news.example:443/2026/11/%D8%A7%D9%84%D8%B3%D9%88%D9%82//",
        ] {
            assert_eq!(s.canonical(given).as_deref(), Ok(want), "{given}");
        }
        assert_eq!(
            s.canonical("https://news.example/").as_deref(),
            Ok("https://news.example/")
        );
        assert_eq!(
            s.canonical("https://news.example").as_deref(),
            Ok("https://news.example/")
        );
        // A servlet's session id is the reader's, not the page's.
        for given in [
            "https://news.example/news.jsp;jsessionid=A1B2?id=5",
            "https://news.example/news.jsp;JSESSIONID=ZZ9?id=5&utm_source=x",
        ] {
            assert_eq!(
                s.canonical(given).as_deref(),
                Ok("https://news.example/news.jsp?id=5"),
                "{given}"
            );
        }
    }

    #[test]
    fn a_query_that_names_the_page_is_kept() {
        let s = sites();
        let canonical = |u: &str| s.canonical(u).expect(u);
        // WordPress's plain links, a script's address, any query on the root:
        // one thread per page, parameters in name order, tracking left out.
        assert_eq!(
            canonical("https://news.example/blog/?p=12&utm_source=x&replytocom=4#c"),
            "https://news.example/blog?p=12"
        );
        assert_ne!(
            canonical("https://news.example/?p=12"),
            canonical("https://news.example/?p=13")
        );
        assert_eq!(
            canonical("http://news.example/news.php?id=5&cat=2"),
            canonical("https://news.example/news.php?cat=2&id=5&fbclid=y")
        );
        assert_eq!(
            canonical("https://news.example/Details.ASPX?ID=%d8%b3"),
            "https://news.example/Details.ASPX?ID=%D8%B3"
        );
        assert_eq!(
            canonical("https://news.example/?q=سوق"),
            "https://news.example/?q=%D8%B3%D9%88%D9%82"
        );
        // Elsewhere a query is a view of the page, and tracking alone is none.
        for view in [
            "https://news.example/2026/bridge?page=2",
            "https://news.example/2026/bridge/?amp=1",
        ] {
            assert_eq!(canonical(view), "https://news.example/2026/bridge");
        }
        assert_eq!(
            canonical("https://news.example/?utm_source=x&gclid=1"),
            "https://news.example/"
        );
        // A stored article's spellings and a thread's meet under the query.
        assert_eq!(
            stored_spellings("https://news.example/blog?p=12")[..2],
            [
                "https://news.example/blog?p=12",
                "https://news.example/blog/?p=12"
            ]
        );
        assert_eq!(
            stored_spellings("https://news.example/?p=12"),
            ["https://news.example/?p=12", "http://news.example/?p=12"]
        );
        assert!(thread_spellings("https://news.example/?p=12#c")
            .contains(&"https://news.example/?p=12".to_owned()));
        // A stored query the page would not find the article under adopts
        // no thread (the page keeps its comments in view).
        for stored in [
            "https://news.example/a/?utm_medium=rss",
            "https://news.example/news.php?id=5&cat=2",
        ] {
            let forms = thread_spellings(stored);
            assert!(
                forms.iter().all(
                    |f| !stored_spellings(&s.canonical(stored).expect("canonical")).contains(f)
                ),
                "{stored}: {forms:?}"
            );
        }
        // WordPress's post parameter alone names the post.
        assert_eq!(
            canonical("https://news.example/?p=12&cpage=2&share=x&lang=ar"),
            "https://news.example/?p=12"
        );
        // A script's address with a closing slash or a session is a script's.
        assert_eq!(
            canonical("https://news.example/news.php/?id=5"),
            "https://news.example/news.php?id=5"
        );
    }

    #[test]
    fn other_sites_and_non_urls_are_refused() {
        let s = sites();
        assert!(matches!(
            s.canonical("https://evil.example/x"),
            Err(ThreadError::OtherSite(_))
        ));
        assert!(matches!(
            s.canonical("https://news.example.evil.test/x"),
            Err(ThreadError::OtherSite(_))
        ));
        assert!(matches!(
            s.canonical("javascript:alert(1)"),
            Err(ThreadError::NotAUrl(_))
        ));
        assert!(matches!(
            s.canonical("/relative"),
            Err(ThreadError::NotAUrl(_))
        ));
        assert_eq!(
            Sites::default().canonical("https://news.example/x"),
            Err(ThreadError::NoSites)
        );
        assert!(Sites::parse(&["news.example"]).is_err());
        // An origin, with or without its slash; a path is refused.
        assert!(Sites::parse(&["https://news.example/"]).is_ok());
        assert!(matches!(
            Sites::parse(&["https://news.example/ar"]),
            Err(ThreadError::NotAnOrigin(_))
        ));
        assert!(Sites::parse(&["https://news.example/?lang=ar"]).is_err());
    }

    #[test]
    fn origins_are_compared_whole() {
        let s = sites();
        assert!(s.allows_origin("https://news.example"));
        assert!(s.allows_origin("https://blog.news.example"));
        assert!(!s.allows_origin("http://news.example"));
        assert!(!s.allows_origin("https://news.example.evil.test"));
        assert!(!s.allows_origin("null"));
    }

    #[test]
    fn thread_ids_are_stable_and_valid_article_ids() {
        let id = thread_id("https://news.example/a");
        assert_eq!(id, thread_id("https://news.example/a"));
        assert_ne!(id, thread_id("https://news.example/b"));
        assert_eq!(id.len(), 22);
    }
}
