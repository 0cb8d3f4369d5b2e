//! Which article an imported thread belongs to: the pages of the other
//! system are matched against the URLs of the stored articles (Isso knows
//! only the path, which is matched against their paths); a page under a
//! configured `--site` that has no article gets a thread of its own.

use std::collections::{HashMap, HashSet};

use url::Url;

use crate::threads::{canonical_path, thread_id, Sites};

/// A page as the other system names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// An absolute URL (Disqus, WordPress).
    Url(String),
    /// A path on the site (Isso).
    Path(String),
}

/// Where an imported thread goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A stored article (or an existing thread).
    Article(String),
    /// A new thread for a page under a configured site.
    NewThread {
        /// Its article id ([`thread_id`]).
        id: String,
        /// Its canonical URL.
        url: String,
    },
    /// Neither: the comments are skipped; why, for the summary.
    Unknown(String),
}

/// The stored articles, looked up by URL and by path.
#[derive(Debug, Default)]
pub struct Targets {
    by_url: HashMap<String, String>,
    /// Articles stored with a root-relative URL (`/?article=…`, as the
    /// demo's are): they match a link to that path on any `--site` (on
    /// any host without one), as the server reads them.
    by_relative: HashMap<String, String>,
    by_path: HashMap<String, Vec<String>>,
    /// Every stored article's id.
    ids: HashSet<String>,
    sites: Sites,
}

/// Host (with a port other than the scheme's), canonical path and query
/// of an absolute http(s) URL; the scheme is left out, as `http` and
/// `https` links to one page are one page.
fn parts(raw: &str) -> Option<(String, String, Option<String>)> {
    let url = Url::parse(raw.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    // `www.` or not, one site: the other system recorded whichever address
    // a reader loaded (Disqus keeps every link as it came).
    let name = url.host_str()?;
    let name = name.strip_prefix("www.").unwrap_or(name);
    let host = match url.port() {
        Some(port) => format!("{name}:{port}"),
        None => name.to_owned(),
    };
    // A query that names the page is written as canonical URLs write it
    // (tracking parameters out, names in order), so a link with `&fbclid=`
    // finds its article with or without `--site`; any other is kept as
    // given (the page is then known by its path too: [`page_keys`]).
    let query = url
        .query()
        .filter(|q| !q.is_empty())
        .map(|q| crate::threads::page_query(url.path(), q).unwrap_or_else(|| q.to_owned()));
    Some((host, canonical_path(url.path()), query))
}

/// The keys a page is known by: with its query first, then without it,
/// unless the query names the page (see [`names_page`]).
fn page_keys(host: &str, path: &str, query: Option<&str>) -> Vec<String> {
    let mut keys = Vec::with_capacity(2);
    if let Some(q) = query {
        keys.push(format!("{host}{path}?{q}"));
    }
    if !query.is_some_and(|q| names_page(path, q)) {
        keys.push(format!("{host}{path}"));
    }
    keys
}

/// Whether `query` tells pages at `path` apart, tracking parameters left
/// out (see [`crate::threads::page_query`]).
fn names_page(path: &str, query: &str) -> bool {
    crate::threads::page_query(path, query).is_some()
}

/// A path as its URL would carry it (Arabic letters percent-encoded), and
/// its query, if it has one (`/news.php?id=5`: Isso's id of a page its
/// query names).
fn normal_path(path: &str) -> Option<(String, Option<String>)> {
    let url = Url::parse("http://path.invalid").ok()?.join(path).ok()?;
    let query = url.query().filter(|q| !q.is_empty()).map(str::to_owned);
    Some((canonical_path(url.path()), query))
}

impl Targets {
    /// Indexes `(id, url)` of shown articles.
    #[cfg(test)]
    pub fn new(articles: Vec<(String, String)>, sites: Sites) -> Targets {
        Targets::from_stored(
            articles
                .into_iter()
                .map(|(id, url)| (id, url, false))
                .collect(),
            sites,
        )
    }

    /// Indexes `(id, url, hidden)` of every stored article, shown ones
    /// first: where a shown and a hidden one share an address (a story
    /// withdrawn and published again), the shown one is the page's.
    pub fn from_stored(articles: Vec<(String, String, bool)>, sites: Sites) -> Targets {
        let mut t = Targets {
            sites,
            ..Targets::default()
        };
        let mut hidden_ids = HashSet::new();
        for (id, url, hidden) in articles {
            t.ids.insert(id.clone());
            if hidden {
                hidden_ids.insert(id.clone());
            }
            let relative = url.starts_with('/') && !url.starts_with("//");
            let absolute = if relative {
                format!("http://relative.invalid{url}")
            } else {
                url.clone()
            };
            let Some((host, path, query)) = parts(&absolute) else {
                continue;
            };
            if relative {
                for key in page_keys("", &path, query.as_deref()) {
                    t.by_relative.entry(key).or_insert_with(|| id.clone());
                }
                t.by_path.entry(path).or_default().push(id);
                continue;
            }
            // An article whose address has a query is known by it alone:
            // its bare path may be another page's (or every post's).
            let keys = match query.as_deref() {
                Some(q) => vec![format!("{host}{path}?{q}")],
                None => page_keys(&host, &path, None),
            };
            for key in keys {
                t.by_url.entry(key).or_insert_with(|| id.clone());
            }
            t.by_path.entry(path).or_default().push(id);
        }
        // A path a shown article has is its alone; a hidden one's counts
        // only where no shown one has it.
        for ids in t.by_path.values_mut() {
            if ids.iter().any(|id| !hidden_ids.contains(id)) {
                ids.retain(|id| !hidden_ids.contains(id));
            }
        }
        t
    }

    /// The article or new thread for `page`.
    pub fn find(&self, page: &Page) -> Target {
        match page {
            Page::Url(url) => self.find_url(url),
            Page::Path(path) => self.find_path(path),
        }
    }

    /// `raw` under its `--site`, whether or not one of them has the `www.`
    /// the other lacks.
    fn on_site(&self, raw: &str) -> Option<String> {
        self.sites.canonical(raw).ok().or_else(|| {
            let mut url = Url::parse(raw.trim()).ok()?;
            let host = url.host_str()?.to_owned();
            let twin = match host.strip_prefix("www.") {
                Some(bare) => bare.to_owned(),
                None => format!("www.{host}"),
            };
            url.set_host(Some(&twin)).ok()?;
            self.sites.canonical(url.as_str()).ok()
        })
    }

    fn find_url(&self, raw: &str) -> Target {
        let Some((host, path, query)) = parts(raw) else {
            return Target::Unknown(raw.to_owned());
        };
        let on_site = self.on_site(raw);
        let mut keys = page_keys(&host, &path, query.as_deref());
        if let Some((h, p, q)) = on_site.as_deref().and_then(parts) {
            keys.push(match q {
                Some(q) => format!("{h}{p}?{q}"),
                None => format!("{h}{p}"),
            });
        }
        // A staging host's or `localhost`'s threads in an export must not
        // land on the site's article of the same path.
        let relative = || {
            (self.sites.is_empty() || on_site.is_some())
                .then(|| {
                    page_keys("", &path, query.as_deref())
                        .iter()
                        .find_map(|k| self.by_relative.get(k))
                })
                .flatten()
        };
        if let Some(id) = keys
            .iter()
            .find_map(|k| self.by_url.get(k))
            .or_else(relative)
        {
            return Target::Article(id.clone());
        }
        match on_site {
            // A page its query names keeps the query in its thread's address.
            Some(url) => Target::NewThread {
                id: thread_id(&url),
                url,
            },
            None => Target::Unknown(raw.to_owned()),
        }
    }

    /// The stored article one of a page's `identifiers` names: an address
    /// in it that finds one (`https://news.example/?p=528`), the article a
    /// WordPress post id makes with that address's host (`528` and
    /// `news.example`: `news.example-528`, as the sync and the plugin name
    /// it; with the path of a plain link, the site's in a subdirectory:
    /// `https://news.example/ar/?p=528` makes `news.example-ar-528`), or
    /// the whole identifier as an article's id.
    pub fn find_identified(&self, identifiers: &[String]) -> Option<String> {
        identifiers.iter().find_map(|identifier| {
            let words: Vec<&str> = identifier.split_whitespace().collect();
            let addresses = words
                .iter()
                .filter(|w| w.starts_with("http://") || w.starts_with("https://"));
            for address in addresses {
                if let Target::Article(id) = self.find_url(address) {
                    return Some(id);
                }
                let Ok(url) = Url::parse(address) else {
                    continue;
                };
                let post = words
                    .first()
                    .filter(|w| w.bytes().all(|b| b.is_ascii_digit()))
                    .map(|w| (*w).to_owned())
                    .or_else(|| {
                        url.query_pairs()
                            .find(|(k, _)| k == "p")
                            .map(|(_, v)| v.into_owned())
                    });
                let (Some(post), Some(host)) = (post, url.host_str()) else {
                    continue;
                };
                // A plain link (`?p=`, `?page_id=`, a WordPress guid) is at
                // its site's own address: a site in a subdirectory numbers
                // its posts apart from the others of its host. A pretty
                // permalink's path is the post's, not the site's.
                let plain = url.query_pairs().any(|(k, _)| k == "p" || k == "page_id");
                let site = plain
                    .then(|| {
                        let path: Vec<u8> =
                            percent_encoding::percent_decode_str(url.path().trim_matches('/'))
                                .collect();
                        crate::sync::wordpress::path_key(&path)
                    })
                    .flatten();
                let bare = host.strip_prefix("www.").unwrap_or(host);
                for host in [host, bare] {
                    let id = match &site {
                        Some(site) => format!("{host}-{site}-{post}"),
                        None => format!("{host}-{post}"),
                    };
                    if self.ids.contains(&id) {
                        return Some(id);
                    }
                }
            }
            self.ids.get(identifier.trim()).cloned()
        })
    }

    fn find_path(&self, raw: &str) -> Target {
        if raw.starts_with("http://") || raw.starts_with("https://") {
            return self.find_url(raw);
        }
        let Some((path, query)) = normal_path(raw).filter(|_| raw.starts_with('/')) else {
            return Target::Unknown(raw.to_owned());
        };
        // A path is a page of the first site (Isso serves one site): that
        // site's article, never another site's at the same path (a story
        // syndicated under the same slug). Its query goes along, to be
        // kept where it names the page (`?p=12`) and dropped elsewhere.
        if let Some(origin) = self.sites.first_origin() {
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            return self.find_url(&format!("{origin}{path}{query}"));
        }
        match self.by_path.get(&path).map(Vec::as_slice).unwrap_or(&[]) {
            [id] => Target::Article(id.clone()),
            [] => Target::Unknown(raw.to_owned()),
            _ => Target::Unknown(format!("{raw} (several articles have this path)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(sites: &[&str]) -> Targets {
        Targets::new(
            vec![
                ("a".into(), "https://news.example/2026/11/السوق".into()),
                ("b".into(), "https://news.example/?p=12".into()),
                ("c".into(), "https://other.example/about/".into()),
                ("d".into(), "https://blog.example/about".into()),
            ],
            Sites::parse(sites).expect("sites"),
        )
    }

    #[test]
    fn urls_match_whatever_their_spelling() {
        let t = targets(&[]);
        for url in [
            "http://news.example/2026/11/%d8%a7%d9%84%d8%b3%d9%88%d9%82/",
            "https://NEWS.example/2026/11/السوق?utm=x#c",
        ] {
            assert_eq!(t.find(&Page::Url(url.into())), Target::Article("a".into()));
        }
        assert_eq!(
            t.find(&Page::Url("https://news.example/?p=12".into())),
            Target::Article("b".into())
        );
        assert_eq!(
            t.find(&Page::Url("https://news.example/?p=13".into())),
            Target::Unknown("https://news.example/?p=13".into())
        );
    }

    #[test]
    fn an_isso_path_keeps_the_query_that_names_its_page() {
        let t = targets(&["https://news.example"]);
        assert_eq!(
            t.find(&Page::Path("/?p=12".into())),
            Target::Article("b".into())
        );
        for (raw, url) in [
            ("/?p=13", "https://news.example/?p=13"),
            (
                "/news.php?id=5&utm_source=x",
                "https://news.example/news.php?id=5",
            ),
            ("/news.php?id=6", "https://news.example/news.php?id=6"),
        ] {
            assert_eq!(
                t.find(&Page::Path(raw.into())),
                Target::NewThread {
                    id: thread_id(url),
                    url: url.into()
                },
                "{raw}"
            );
        }
        // A query that names no page falls away, as on a link.
        assert_eq!(
            t.find(&Page::Path("/2026/11/السوق/?utm_source=x".into())),
            Target::Article("a".into())
        );
    }

    #[test]
    fn a_link_with_or_without_www_is_one_page() {
        // Without a --site too: the article's own address.
        assert_eq!(
            targets(&[]).find(&Page::Url("https://www.news.example/2026/11/السوق".into())),
            Target::Article("a".into())
        );
        let t = targets(&["https://news.example"]);
        for url in [
            "http://www.news.example/2026/11/السوق/",
            "https://WWW.news.example/2026/11/%D8%A7%D9%84%D8%B3%D9%88%D9%82",
        ] {
            assert_eq!(t.find(&Page::Url(url.into())), Target::Article("a".into()));
        }
        // A page of the site the articles lack: its thread is at the
        // site's own address, the one the widget's links give.
        let url = "https://news.example/new-page";
        for raw in ["https://www.news.example/new-page/", url] {
            assert_eq!(
                t.find(&Page::Url(raw.into())),
                Target::NewThread {
                    id: thread_id(url),
                    url: url.into()
                },
                "{raw}"
            );
        }
        // An article stored under www. is found by the bare host, and a
        // --site with www. takes links without it.
        let t = Targets::new(
            vec![("w".into(), "https://www.site.example/story".into())],
            Sites::parse(&["https://www.site.example"]).expect("sites"),
        );
        assert_eq!(
            t.find(&Page::Url("http://site.example/story/".into())),
            Target::Article("w".into())
        );
        let page = "https://www.site.example/other";
        assert_eq!(
            t.find(&Page::Url("https://site.example/other".into())),
            Target::NewThread {
                id: thread_id(page),
                url: page.into()
            }
        );
        // Another host entirely stays another site.
        assert!(matches!(
            t.find(&Page::Url("https://wwwsite.example/story".into())),
            Target::Unknown(_)
        ));
    }

    #[test]
    fn a_query_that_names_the_page_is_never_dropped() {
        let t = Targets::new(
            vec![
                ("p1".into(), "https://site.example/blog/?p=1".into()),
                ("about".into(), "https://site.example/about/".into()),
            ],
            Sites::parse(&["https://site.example"]).expect("sites"),
        );
        // Another post at the same path is not that article: it gets a
        // thread of its own, under its query.
        for (raw, url) in [
            (
                "https://site.example/blog/?p=99&utm_source=x",
                "https://site.example/blog?p=99",
            ),
            ("https://site.example/?p=7", "https://site.example/?p=7"),
        ] {
            assert_eq!(
                t.find(&Page::Url(raw.into())),
                Target::NewThread {
                    id: thread_id(url),
                    url: url.into()
                },
                "{raw}"
            );
        }
        assert_eq!(
            t.find(&Page::Url("https://site.example/blog/?p=1".into())),
            Target::Article("p1".into())
        );
        // A query that does not name the page still falls away.
        assert_eq!(
            t.find(&Page::Url(
                "https://site.example/about/?utm_source=x".into()
            )),
            Target::Article("about".into())
        );
    }

    #[test]
    fn unknown_pages_under_a_site_get_a_thread() {
        let t = targets(&["https://news.example"]);
        let url = "https://news.example/new-page";
        assert_eq!(
            t.find(&Page::Url(format!("{url}/"))),
            Target::NewThread {
                id: thread_id(url),
                url: url.into()
            }
        );
        assert!(matches!(
            t.find(&Page::Url("https://elsewhere.example/x".into())),
            Target::Unknown(_)
        ));
    }

    #[test]
    fn paths_match_article_paths() {
        let t = targets(&[]);
        assert_eq!(
            t.find(&Page::Path("/2026/11/السوق/".into())),
            Target::Article("a".into())
        );
        assert!(matches!(
            t.find(&Page::Path("/about".into())),
            Target::Unknown(why) if why.contains("several")
        ));
        let t = targets(&["https://blog.example"]);
        assert_eq!(
            t.find(&Page::Path("/about/".into())),
            Target::Article("d".into())
        );
        assert_eq!(
            t.find(&Page::Path("/fresh".into())),
            Target::NewThread {
                id: thread_id("https://blog.example/fresh"),
                url: "https://blog.example/fresh".into()
            }
        );
        assert!(matches!(
            t.find(&Page::Path("no-slash".into())),
            Target::Unknown(_)
        ));
    }

    /// Isso's database is the first site's: a path another site also has
    /// is never that site's article.
    #[test]
    fn a_path_is_a_page_of_the_first_site_only() {
        let t = Targets::new(
            vec![
                ("sport".into(), "https://sport.example/2025/03/derby".into()),
                ("news".into(), "http://news.example/2025/03/match/".into()),
            ],
            Sites::parse(&["https://news.example", "https://sport.example"]).expect("sites"),
        );
        assert_eq!(
            t.find(&Page::Path("/2025/03/derby/".into())),
            Target::NewThread {
                id: thread_id("https://news.example/2025/03/derby"),
                url: "https://news.example/2025/03/derby".into()
            }
        );
        assert_eq!(
            t.find(&Page::Path("/2025/03/match".into())),
            Target::Article("news".into())
        );
    }

    /// Without `--site`, a link's tracking parameters still fall away from
    /// a query that names the page, and its parameters' order does not
    /// matter.
    #[test]
    fn a_page_named_by_its_query_is_found_without_a_site() {
        let t = Targets::new(
            vec![
                (
                    "n5".into(),
                    "https://news.example/news.php?id=5&cat=2".into(),
                ),
                ("p42".into(), "https://news.example/?p=42".into()),
            ],
            Sites::default(),
        );
        for (link, id) in [
            ("https://news.example/news.php?cat=2&id=5&fbclid=x", "n5"),
            ("https://news.example/?p=42&utm_source=tw", "p42"),
            ("http://news.example/?utm_source=tw&p=42#c", "p42"),
        ] {
            assert_eq!(
                t.find(&Page::Url(link.into())),
                Target::Article(id.into()),
                "{link}"
            );
        }
        assert!(matches!(
            t.find(&Page::Url(
                "https://news.example/news.php?id=6&cat=2".into()
            )),
            Target::Unknown(_)
        ));
    }

    /// A story withdrawn (hidden) and published again at its address: a
    /// page known by its path alone (Isso's, without `--site`) is the
    /// shown one's; a path only hidden articles have is still theirs.
    #[test]
    fn a_path_a_shown_and_a_hidden_article_share_is_the_shown_ones() {
        let stored = |rows: &[(&str, &str, bool)]| {
            Targets::from_stored(
                rows.iter()
                    .map(|(id, url, hidden)| ((*id).into(), (*url).into(), *hidden))
                    .collect(),
                Sites::default(),
            )
        };
        let t = stored(&[
            ("b-reissued", "https://news.example/2026/11/reissued", false),
            ("a-withdrawn", "https://news.example/2026/11/reissued", true),
            ("c-gone", "https://news.example/2026/11/gone", true),
        ]);
        let found = |path: &str| t.find(&Page::Path(path.into()));
        assert_eq!(
            found("/2026/11/reissued"),
            Target::Article("b-reissued".into())
        );
        assert_eq!(found("/2026/11/gone"), Target::Article("c-gone".into()));
    }

    #[test]
    fn root_relative_article_urls_match_a_link_on_a_site_only() {
        let t = Targets::new(
            vec![("story".into(), "/2026/11/story".into())],
            Sites::parse(&["https://news.example"]).expect("sites"),
        );
        let found = |url: &str| t.find(&Page::Url(url.into()));
        assert_eq!(
            found("https://www.news.example/2026/11/story"),
            Target::Article("story".into())
        );
        // A test copy's thread is a page of no site: skipped, not merged.
        assert!(matches!(
            found("http://localhost:4000/2026/11/story"),
            Target::Unknown(_)
        ));
    }

    #[test]
    fn root_relative_article_urls_match_a_link_on_any_host_without_a_site() {
        let t = Targets::new(
            vec![
                ("market".into(), "/?article=market".into()),
                ("story".into(), "/2026/11/story".into()),
            ],
            Sites::default(),
        );
        let found = |url: &str| t.find(&Page::Url(url.into()));
        assert_eq!(
            found("http://127.0.0.1:8080/?article=market"),
            Target::Article("market".into())
        );
        assert_eq!(
            found("https://news.example/2026/11/story/"),
            Target::Article("story".into())
        );
        assert!(matches!(
            found("https://news.example/?article=other"),
            Target::Unknown(_)
        ));
    }
}
