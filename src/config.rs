//! Widget options, read from `data-*` attributes, custom-element attributes
//! or a JS options object; all three go through [`Options::parse`].

// The list sizes are the server's too: one copy, in `khabar-rules`.
use khabar_rules::{ARTICLE_LIST_DEFAULT as DEFAULT_LIMIT, ARTICLE_LIST_MAX as MAX_LIMIT};

use crate::i18n::{format::DateSettings, Calendar, Digits, Lang};

/// What a widget shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A full article with its actions and comments.
    Article,
    /// A list of article cards (or a one-line strip).
    Latest,
    /// One compact card linking to an article.
    Card,
    /// Only the comment section of an article.
    Comments,
    /// Only the actions row, under an article the host page renders.
    Actions,
}

impl Kind {
    /// Parses the `kind` option.
    pub fn parse(s: &str) -> Option<Kind> {
        match s.trim() {
            "article" => Some(Kind::Article),
            "latest" => Some(Kind::Latest),
            "card" => Some(Kind::Card),
            "comments" => Some(Kind::Comments),
            "actions" => Some(Kind::Actions),
            _ => None,
        }
    }

    /// The option's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Article => "article",
            Kind::Latest => "latest",
            Kind::Card => "card",
            Kind::Comments => "comments",
            Kind::Actions => "actions",
        }
    }

    /// Whether this kind shows one article and so needs its id.
    pub fn needs_article_id(self) -> bool {
        matches!(
            self,
            Kind::Article | Kind::Card | Kind::Comments | Kind::Actions
        )
    }
}

/// How a `latest` list is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Cards with thumbnail and summary, one under another.
    List,
    /// A single line of headlines for a masthead.
    Strip,
}

/// Colour scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    /// Light colours.
    Light,
    /// Dark colours.
    Dark,
    /// Follow the host page (see `crate::theme`).
    Auto,
}

impl Theme {
    fn parse(s: &str) -> Option<Theme> {
        match s.trim() {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            "auto" => Some(Theme::Auto),
            _ => None,
        }
    }

    /// The value written to the `data-theme` attribute inside the widget.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::Auto => "auto",
        }
    }
}

/// Everything a widget needs to know to render.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// What to show.
    pub kind: Kind,
    /// API base URL without a trailing slash, e.g. `https://news.example/api/v1`.
    pub api: String,
    /// The article to show (`article` and `card`); empty for `latest`.
    pub article_id: String,
    /// The page whose comments a `comments` widget shows, by its canonical
    /// URL instead of an id (`data-article-url`).
    pub article_url: Option<String>,
    /// The page's title, sent with a comment by URL so that the first one
    /// names the thread (`data-article-title`; `None`: `document.title`).
    pub article_title: Option<String>,
    /// Items per page of a `latest` list.
    pub limit: u32,
    /// Only this section in a `latest` list.
    pub section: Option<String>,
    /// Only articles in this language in a `latest` list (`None`: all).
    pub content_lang: Option<String>,
    /// Layout of a `latest` list.
    pub layout: Layout,
    /// Load only when the widget nears the viewport.
    pub lazy: bool,
    /// `latest` and `card`: show each article's comment count next to its
    /// time (`data-comment-counts`).
    pub comment_counts: bool,
    /// `utm_campaign` added to shared links (`data-share-utm`).
    pub share_utm: Option<String>,
    /// `actions`: a CSS selector of the host page's element that "print
    /// the article" prints (`data-print-target`).
    pub print_target: Option<String>,
    /// How dates are written (language, digits, calendar, zone).
    pub dates: DateSettings,
    /// Colour scheme.
    pub theme: Theme,
    /// Non-fatal problems (an unknown digits value…), reported on the console.
    pub warnings: Vec<String>,
}

/// A mistake in the embed code that stops the widget from rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// No `kind` was given.
    MissingKind,
    /// `kind` is not one the widget knows.
    UnknownKind(String),
    /// The kind needs an article id and none was given.
    MissingArticleId,
    /// Neither an `api` option nor a default API base was available.
    MissingApi,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::MissingKind => write!(f, "the `kind` option is missing"),
            ConfigError::UnknownKind(k) => write!(f, "unknown kind \"{k}\""),
            ConfigError::MissingArticleId => {
                write!(f, "the `article-id` (or `article-url`) option is missing")
            }
            ConfigError::MissingApi => write!(f, "the `api` option is missing"),
        }
    }
}

impl Options {
    /// Reads options through `get`, which answers option names in their
    /// attribute spelling (`article-id`, `time-zone`).
    ///
    /// `page_lang` is the nearest `lang` of the host page and `default_api`
    /// the API base derived from the script's own URL.
    pub fn parse(
        get: &dyn Fn(&str) -> Option<String>,
        page_lang: Option<&str>,
        default_api: Option<&str>,
    ) -> Result<Options, ConfigError> {
        let raw = |name: &str| get(name).map(|v| v.trim().to_owned());
        let get = |name: &str| raw(name).filter(|v| !v.is_empty());
        let mut warnings = Vec::new();

        let kind = match get("kind") {
            None => return Err(ConfigError::MissingKind),
            Some(k) => Kind::parse(&k).ok_or(ConfigError::UnknownKind(k))?,
        };
        let api = get("api")
            .or_else(|| default_api.map(str::to_owned))
            .ok_or(ConfigError::MissingApi)?
            .trim_end_matches('/')
            .to_owned();
        let article_id = get("article-id").unwrap_or_default();
        // Only the comment section can live on a URL alone.
        let article_url = get("article-url").filter(|_| kind == Kind::Comments);
        if kind.needs_article_id() && article_id.is_empty() && article_url.is_none() {
            return Err(ConfigError::MissingArticleId);
        }
        let limit = match get("limit") {
            None => DEFAULT_LIMIT,
            Some(l) => match l.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    warnings.push(format!(
                        "limit \"{l}\" is not 1–{MAX_LIMIT}, using {DEFAULT_LIMIT}"
                    ));
                    DEFAULT_LIMIT
                }
            },
        };
        let layout = match get("layout").as_deref() {
            None | Some("list") => Layout::List,
            Some("strip") => Layout::Strip,
            Some(other) => {
                warnings.push(format!(
                    "unknown layout \"{other}\", expected list or strip"
                ));
                Layout::List
            }
        };
        // A boolean attribute: present (even empty) means yes, except "false".
        let lazy = raw("lazy").is_some_and(|v| v != "false");
        let comment_counts = raw("comment-counts").is_some_and(|v| v != "false");

        // The page's language, else Arabic: also for a tag the widget does
        // not speak (a CMS's `de` on an English page reads English).
        let default_lang = page_lang.and_then(Lang::from_tag).unwrap_or(Lang::Ar);
        let lang = match get("lang") {
            Some(tag) => Lang::from_tag(&tag).unwrap_or_else(|| {
                warnings.push(format!(
                    "unsupported lang \"{tag}\", using {}",
                    default_lang.tag()
                ));
                default_lang
            }),
            None => default_lang,
        };
        let digits = match get("digits") {
            Some(d) => Digits::parse(&d).unwrap_or_else(|| {
                warnings.push(format!(
                    "unknown digits \"{d}\", expected latn, arab or arabext"
                ));
                lang.default_digits()
            }),
            None => lang.default_digits(),
        };
        let calendar = match get("calendar") {
            Some(c) => Calendar::parse(&c).unwrap_or_else(|| {
                warnings.push(format!(
                    "unknown calendar \"{c}\", expected gregory or islamic-umalqura"
                ));
                Calendar::Gregory
            }),
            None => Calendar::Gregory,
        };
        let theme = match get("theme") {
            Some(t) => Theme::parse(&t).unwrap_or_else(|| {
                warnings.push(format!(
                    "unknown theme \"{t}\", expected light, dark or auto"
                ));
                Theme::Auto
            }),
            None => Theme::Auto,
        };
        // Lists show articles in the reader's language unless told otherwise.
        let content_lang = match get("content-lang").as_deref() {
            Some("any") => None,
            Some(tag) => Some(tag.to_owned()),
            None => Some(lang.tag().to_owned()),
        };
        Ok(Options {
            kind,
            api,
            article_id,
            article_url,
            article_title: get("article-title"),
            limit,
            section: get("section"),
            content_lang,
            layout,
            lazy,
            comment_counts,
            share_utm: get("share-utm"),
            print_target: get("print-target"),
            dates: DateSettings {
                lang,
                digits,
                calendar,
                time_zone: get("time-zone"),
            },
            theme,
            warnings,
        })
    }

    /// Language of the user interface.
    pub fn lang(&self) -> Lang {
        self.dates.lang
    }

    /// Options from a JS object such as `{ kind, api, articleId, lang }`.
    pub fn from_object(
        obj: &wasm_bindgen::JsValue,
        page_lang: Option<&str>,
        default_api: Option<&str>,
    ) -> Result<Options, ConfigError> {
        Options::parse(
            &|name| {
                let key = wasm_bindgen::JsValue::from_str(&camel_case(name));
                let v = js_sys::Reflect::get(obj, &key).ok()?;
                // Numbers and booleans become their JSON text ("3", "true"),
                // which keeps float formatting code out of the wasm.
                if v.is_undefined() || v.is_null() {
                    return None;
                }
                v.as_string()
                    .or_else(|| js_sys::JSON::stringify(&v).ok()?.as_string())
            },
            page_lang,
            default_api,
        )
    }

    /// What the comment section reads, as an object [`Options::from_object`]
    /// reads back: how the core module hands options to the comments module.
    #[cfg(not(feature = "comments"))]
    pub fn to_object(&self) -> js_sys::Object {
        let obj = js_sys::Object::new();
        let set = |k: &str, v: &str| {
            crate::plain::set_field(&obj, k, &v.into());
        };
        set("kind", self.kind.as_str());
        set("api", &self.api);
        set("articleId", &self.article_id);
        for (k, v) in [
            ("articleUrl", &self.article_url),
            ("articleTitle", &self.article_title),
            ("timeZone", &self.dates.time_zone),
        ] {
            if let Some(v) = v {
                set(k, v);
            }
        }
        set("lang", self.lang().tag());
        set("digits", self.dates.digits.as_str());
        set("calendar", self.dates.calendar.as_str());
        obj
    }
}

/// Converts a camelCase JS option name to its attribute spelling and back:
/// `articleId` ↔ `article-id`.
pub fn camel_case(attr_name: &str) -> String {
    let mut out = String::with_capacity(attr_name.len());
    let mut upper = false;
    for c in attr_name.chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            // Option names are ASCII; full Unicode case tables would cost bytes.
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(pairs: &[(&str, &str)], page_lang: Option<&str>) -> Result<Options, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Options::parse(
            &|k| map.get(k).cloned(),
            page_lang,
            Some("https://x.test/api/v1"),
        )
    }

    #[test]
    fn minimal_article_embed_uses_defaults() {
        let o = parse(&[("kind", "article"), ("article-id", "a-1")], None).expect("valid");
        assert_eq!(o.kind, Kind::Article);
        assert_eq!(o.article_id, "a-1");
        assert_eq!(o.api, "https://x.test/api/v1");
        assert_eq!(o.lang(), Lang::Ar);
        assert_eq!(o.dates.digits, Digits::Arab);
        assert_eq!(o.dates.calendar, Calendar::Gregory);
        assert_eq!(o.theme, Theme::Auto);
        assert!(o.warnings.is_empty());
    }

    #[test]
    fn explicit_options_win_over_page_and_defaults() {
        let o = parse(
            &[
                ("kind", " article "),
                ("article-id", "x"),
                ("api", "https://news.test/api/v1/"),
                ("lang", "en-GB"),
                ("digits", "arab"),
                ("calendar", "islamic-umalqura"),
                ("time-zone", "Asia/Riyadh"),
                ("theme", "dark"),
            ],
            Some("ar"),
        )
        .expect("valid");
        assert_eq!(o.api, "https://news.test/api/v1");
        assert_eq!(o.lang(), Lang::En);
        assert_eq!(o.dates.digits, Digits::Arab);
        assert_eq!(o.dates.calendar, Calendar::IslamicUmalqura);
        assert_eq!(o.dates.time_zone.as_deref(), Some("Asia/Riyadh"));
        assert_eq!(o.theme, Theme::Dark);
    }

    #[test]
    fn page_language_is_used_when_no_lang_option() {
        let o = parse(&[("kind", "article"), ("article-id", "x")], Some("en-US")).expect("ok");
        assert_eq!(o.lang(), Lang::En);
        assert_eq!(o.dates.digits, Digits::Latn);
        let o = parse(&[("kind", "article"), ("article-id", "x")], Some("de")).expect("ok");
        assert_eq!(o.lang(), Lang::Ar);
    }

    #[test]
    fn a_language_the_widget_does_not_speak_gives_the_pages() {
        let de = [("kind", "article"), ("article-id", "x"), ("lang", "de")];
        let o = parse(&de, Some("en-US")).expect("ok");
        assert_eq!(o.lang(), Lang::En);
        assert_eq!(
            o.warnings,
            vec!["unsupported lang \"de\", using en".to_owned()]
        );
        assert_eq!(parse(&de, Some("es")).expect("ok").lang(), Lang::Ar);
        assert_eq!(parse(&de, None).expect("ok").lang(), Lang::Ar);
    }

    #[test]
    fn mistakes_in_the_embed_code_are_named() {
        assert_eq!(parse(&[], None), Err(ConfigError::MissingKind));
        assert_eq!(
            parse(&[("kind", "gallery")], None),
            Err(ConfigError::UnknownKind("gallery".into()))
        );
        assert_eq!(
            parse(&[("kind", "article"), ("article-id", "  ")], None),
            Err(ConfigError::MissingArticleId)
        );
        let none = Options::parse(&|k| (k == "kind").then(|| "article".to_owned()), None, None);
        assert_eq!(none, Err(ConfigError::MissingApi));
    }

    #[test]
    fn comments_take_a_page_url_instead_of_an_id() {
        let o = parse(
            &[
                ("kind", "comments"),
                ("article-url", " https://site.test/a "),
                ("article-title", "A title"),
            ],
            None,
        )
        .expect("a URL is enough");
        assert_eq!(o.article_url.as_deref(), Some("https://site.test/a"));
        assert_eq!(o.article_title.as_deref(), Some("A title"));
        assert_eq!(o.article_id, "");
        let o = parse(&[("kind", "comments"), ("article-url", "u")], None).expect("ok");
        assert_eq!(o.article_title, None);
        // Other kinds still need the id.
        assert_eq!(
            parse(&[("kind", "article"), ("article-url", "u")], None),
            Err(ConfigError::MissingArticleId)
        );
        assert_eq!(
            parse(&[("kind", "comments"), ("article-url", " ")], None),
            Err(ConfigError::MissingArticleId)
        );
    }

    #[test]
    fn the_actions_row_needs_an_id_and_may_name_what_prints() {
        let o = parse(
            &[
                ("kind", "actions"),
                ("article-id", "a-1"),
                ("print-target", " #story "),
            ],
            None,
        )
        .expect("valid");
        assert_eq!(o.kind, Kind::Actions);
        assert_eq!(Kind::parse(o.kind.as_str()), Some(Kind::Actions));
        assert_eq!(o.print_target.as_deref(), Some("#story"));
        let o = parse(&[("kind", "actions"), ("article-id", "a-1")], None).expect("ok");
        assert_eq!(o.print_target, None);
        assert_eq!(
            parse(&[("kind", "actions"), ("article-url", "u")], None),
            Err(ConfigError::MissingArticleId)
        );
    }

    #[test]
    fn list_options_have_defaults_and_bounds() {
        let o = parse(&[("kind", "latest")], Some("ar")).expect("latest needs no id");
        assert_eq!(o.kind, Kind::Latest);
        assert_eq!(o.limit, DEFAULT_LIMIT);
        assert_eq!(o.layout, Layout::List);
        assert_eq!(o.content_lang.as_deref(), Some("ar"));
        assert!(!o.lazy);
        assert!(!o.comment_counts);
        let o = parse(
            &[
                ("kind", "latest"),
                ("limit", "5"),
                ("layout", "strip"),
                ("section", "sports"),
                ("content-lang", "any"),
                ("lazy", ""),
            ],
            None,
        )
        .expect("valid");
        assert_eq!((o.limit, o.layout, o.lazy), (5, Layout::Strip, true));
        assert_eq!(o.section.as_deref(), Some("sports"));
        assert_eq!(o.content_lang, None);
        for bad in ["0", "51", "-1", "ten"] {
            let o = parse(&[("kind", "latest"), ("limit", bad)], None).expect("falls back");
            assert_eq!(o.limit, DEFAULT_LIMIT);
            assert_eq!(o.warnings.len(), 1);
        }
        let o = parse(&[("kind", "latest"), ("lazy", "false")], None).expect("valid");
        assert!(!o.lazy);
        let on = parse(&[("kind", "latest"), ("comment-counts", "true")], None).expect("valid");
        let off = parse(&[("kind", "latest"), ("comment-counts", "false")], None).expect("valid");
        assert!(on.comment_counts && !off.comment_counts);
        assert_eq!(
            parse(&[("kind", "card")], None),
            Err(ConfigError::MissingArticleId)
        );
    }

    #[test]
    fn unknown_minor_values_warn_and_fall_back() {
        let o = parse(
            &[
                ("kind", "article"),
                ("article-id", "x"),
                ("digits", "roman"),
                ("calendar", "julian"),
                ("theme", "pink"),
                ("lang", "tlh"),
            ],
            None,
        )
        .expect("still renders");
        assert_eq!(o.warnings.len(), 4);
        assert_eq!(o.dates.digits, Digits::Arab);
        assert_eq!(o.theme, Theme::Auto);
    }

    #[test]
    fn attribute_names_map_to_camel_case() {
        assert_eq!(camel_case("article-id"), "articleId");
        assert_eq!(camel_case("time-zone"), "timeZone");
        assert_eq!(camel_case("kind"), "kind");
    }
}
