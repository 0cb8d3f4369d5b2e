//! Languages: string catalogs, text direction, and locale-aware formatting.
//!
//! Adding a language is one new catalog file (`src/i18n/<tag>.json`, the
//! keys of [`Catalog`] and the loader's `ago_*` and `date_*`), one line in
//! [`Lang`] and one in `build.rs`, and its plural rule in `js/dates.js`
//! unless it is English's.
//!
//! A shipped module holds no catalog: the loader fetches the reader's
//! language beside the wasm and hands it over through [`provide`]; a widget
//! awaits [`load`] before it renders. Until then (or if it never comes)
//! [`Lang::catalog`] answers with a fallback that says only what an error
//! needs: "could not reach the server", "try again", "reload".

mod catalog;
pub mod format;
#[cfg(not(feature = "catalogs"))]
mod shipped;

pub use catalog::{Catalog, Key, Unavailable};

// The generated statics: `AR`…`FR` (with `catalogs`) and `FALLBACK_AR`….
include!(concat!(env!("OUT_DIR"), "/catalogs.rs"));

/// Text direction of a language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Left to right.
    Ltr,
    /// Right to left.
    Rtl,
}

impl Dir {
    /// The value of the HTML `dir` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Dir::Ltr => "ltr",
            Dir::Rtl => "rtl",
        }
    }
}

/// A language the widget speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Arabic, the default.
    Ar,
    /// Persian.
    Fa,
    /// Urdu.
    Ur,
    /// Hebrew.
    He,
    /// English.
    En,
    /// French.
    Fr,
}

/// `rtl` for a language written right to left (by its primary subtag, or
/// an Arabic or Hebrew script subtag), else `ltr`: the direction of content
/// whose language the API names, whatever the widget's own language.
pub fn script_dir(tag: &str) -> &'static str {
    let lower = tag.to_ascii_lowercase();
    let mut subtags = lower.split(['-', '_']);
    let primary = subtags.next().unwrap_or("");
    let rtl_language = matches!(
        primary,
        "ar" | "fa" | "ur" | "he" | "iw" | "yi" | "ps" | "sd" | "ug" | "ckb" | "dv" | "syr"
    );
    let rtl_script = subtags.any(|s| matches!(s, "arab" | "hebr" | "syrc" | "thaa"));
    if rtl_language || rtl_script {
        "rtl"
    } else {
        "ltr"
    }
}

impl Lang {
    /// Every supported language.
    pub const ALL: [Lang; 6] = [Lang::Ar, Lang::Fa, Lang::Ur, Lang::He, Lang::En, Lang::Fr];

    /// Picks the language for a BCP 47 tag by its primary subtag
    /// (`ar-EG` → Arabic); `None` when the widget does not speak it.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.tag() == primary)
    }

    /// The language tag passed to `Intl` and written to `lang=`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::Fa => "fa",
            Lang::Ur => "ur",
            Lang::He => "he",
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// Direction of text in this language.
    pub fn dir(self) -> Dir {
        match self {
            Lang::Ar | Lang::Fa | Lang::Ur | Lang::He => Dir::Rtl,
            Lang::En | Lang::Fr => Dir::Ltr,
        }
    }

    /// The digits a reader of this language expects by default.
    pub fn default_digits(self) -> Digits {
        match self {
            Lang::Ar => Digits::Arab,
            Lang::Fa => Digits::Arabext,
            Lang::Ur | Lang::He | Lang::En | Lang::Fr => Digits::Latn,
        }
    }

    /// The strings of the user interface: the language's catalog once it
    /// is in (see [`load`]), else its fallback.
    pub fn catalog(self) -> &'static Catalog {
        loaded(self).unwrap_or_else(|| fallback(self))
    }
}

/// The sentences a widget can show before its catalog is in.
fn fallback(lang: Lang) -> &'static Catalog {
    match lang {
        Lang::Ar => &FALLBACK_AR,
        Lang::Fa => &FALLBACK_FA,
        Lang::Ur => &FALLBACK_UR,
        Lang::He => &FALLBACK_HE,
        Lang::En => &FALLBACK_EN,
        Lang::Fr => &FALLBACK_FR,
    }
}

/// The compiled-in catalog.
#[cfg(feature = "catalogs")]
fn loaded(lang: Lang) -> Option<&'static Catalog> {
    Some(match lang {
        Lang::Ar => &AR,
        Lang::Fa => &FA,
        Lang::Ur => &UR,
        Lang::He => &HE,
        Lang::En => &EN,
        Lang::Fr => &FR,
    })
}

/// Whether `lang`'s catalog is in (no need to [`load`] it).
pub fn is_in(lang: Lang) -> bool {
    loaded(lang).is_some()
}

/// Makes sure `lang`'s catalog is in, then calls `then`: in a microtask
/// when it is, else once the loader's fetch of it arrives. Fails
/// ([`Unavailable`]) when the file cannot be fetched or is not a catalog;
/// the widget then shows the error in its fallback sentences, with a retry
/// that calls this again.
pub fn load(lang: Lang, then: impl FnOnce(Result<(), Unavailable>) + 'static) {
    #[cfg(feature = "catalogs")]
    let _ = lang; // every catalog is compiled in
    #[cfg(not(feature = "catalogs"))]
    if !is_in(lang) {
        return shipped::fetch(lang as usize, lang.tag(), Box::new(then));
    }
    crate::task::soon(move || then(Ok(())));
}

#[cfg(not(feature = "catalogs"))]
pub use shipped::provide;

/// The catalog the loader handed over, if it did.
#[cfg(not(feature = "catalogs"))]
fn loaded(lang: Lang) -> Option<&'static Catalog> {
    shipped::loaded(lang as usize, lang.tag())
}

/// Numbering system for dates and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digits {
    /// 0123456789
    Latn,
    /// ٠١٢٣٤٥٦٧٨٩
    Arab,
    /// ۰۱۲۳۴۵۶۷۸۹ (Persian and Urdu forms)
    Arabext,
}

impl Digits {
    /// Parses `latn` or `arab`.
    pub fn parse(s: &str) -> Option<Digits> {
        match s.trim() {
            "latn" => Some(Digits::Latn),
            "arab" => Some(Digits::Arab),
            "arabext" => Some(Digits::Arabext),
            _ => None,
        }
    }

    /// The Unicode numbering-system identifier used by `Intl`.
    pub fn as_str(self) -> &'static str {
        match self {
            Digits::Latn => "latn",
            Digits::Arab => "arab",
            Digits::Arabext => "arabext",
        }
    }
}

/// Calendar for dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calendar {
    /// The Gregorian calendar.
    Gregory,
    /// The Hijri calendar as computed by Umm al-Qura.
    IslamicUmalqura,
}

impl Calendar {
    /// Parses `gregory` or `islamic-umalqura`.
    pub fn parse(s: &str) -> Option<Calendar> {
        match s.trim() {
            "gregory" => Some(Calendar::Gregory),
            "islamic-umalqura" => Some(Calendar::IslamicUmalqura),
            _ => None,
        }
    }

    /// The Unicode calendar identifier used by `Intl`.
    pub fn as_str(self) -> &'static str {
        match self {
            Calendar::Gregory => "gregory",
            Calendar::IslamicUmalqura => "islamic-umalqura",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_direction_follows_the_language_or_its_script() {
        for (tag, dir) in [
            ("ar", "rtl"),
            ("fa-IR", "rtl"),
            ("he", "rtl"),
            ("ku-Arab", "rtl"),
            ("en", "ltr"),
            ("fr-CA", "ltr"),
            ("az-Latn", "ltr"),
            ("", "ltr"),
        ] {
            assert_eq!(super::script_dir(tag), dir, "{tag}");
        }
    }

    #[test]
    fn tags_pick_languages_by_primary_subtag() {
        assert_eq!(Lang::from_tag("ar"), Some(Lang::Ar));
        assert_eq!(Lang::from_tag("ar-EG"), Some(Lang::Ar));
        assert_eq!(Lang::from_tag("EN_gb"), Some(Lang::En));
        assert_eq!(Lang::from_tag("de"), None);
        assert_eq!(Lang::from_tag(""), None);
    }

    #[test]
    fn direction_follows_language() {
        assert_eq!(Lang::Ar.dir(), Dir::Rtl);
        assert_eq!(Lang::En.dir(), Dir::Ltr);
        for rtl in [Lang::Ar, Lang::Fa, Lang::Ur, Lang::He] {
            assert_eq!(rtl.dir(), Dir::Rtl);
        }
        assert_eq!(Lang::Fr.dir(), Dir::Ltr);
        assert_eq!(Lang::from_tag("fa-IR"), Some(Lang::Fa));
        assert_eq!(Lang::from_tag("he"), Some(Lang::He));
        assert_eq!(Dir::Rtl.as_str(), "rtl");
    }

    #[test]
    fn every_catalog_is_complete_and_every_fallback_can_report_a_failure() {
        for lang in Lang::ALL {
            let c = lang.catalog();
            for (key, s) in Catalog::KEYS.iter().zip(c.0) {
                assert!(!s.trim().is_empty(), "{lang:?} has no {key}");
            }
            let f = super::fallback(lang);
            for s in [f.error_network(), f.retry(), f.error_crash(), f.reload()] {
                assert!(!s.is_empty(), "{lang:?}'s fallback is missing a sentence");
            }
            assert_eq!(f.error_network(), c.error_network());
        }
    }

    #[test]
    fn options_parse_known_values_only() {
        assert_eq!(Digits::parse("arab"), Some(Digits::Arab));
        assert_eq!(Digits::parse("roman"), None);
        assert_eq!(
            Calendar::parse("islamic-umalqura"),
            Some(Calendar::IslamicUmalqura)
        );
        assert_eq!(Calendar::parse("julian"), None);
    }
}
