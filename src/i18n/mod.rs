//! Languages: string catalogs, text direction, and locale-aware formatting.
//!
//! Adding a language is one new file with a [`Catalog`] and one line in
//! [`Lang`].

mod ar;
mod catalog;
mod en;
mod fa;
pub mod format;
mod fr;
mod he;
mod ur;

pub use catalog::Catalog;

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

    /// The strings of the user interface.
    pub fn catalog(self) -> &'static Catalog {
        match self {
            Lang::Ar => &ar::CATALOG,
            Lang::Fa => &fa::CATALOG,
            Lang::Ur => &ur::CATALOG,
            Lang::He => &he::CATALOG,
            Lang::En => &en::CATALOG,
            Lang::Fr => &fr::CATALOG,
        }
    }
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
    fn every_catalog_is_complete() {
        for lang in Lang::ALL {
            let c = lang.catalog();
            for s in [
                c.loading,
                c.published,
                c.updated,
                c.source,
                c.by,
                c.retry,
                c.reload,
                c.latest,
                c.more,
                c.no_items,
                c.actions_label,
                c.share,
                c.share_device,
                c.copy_link,
                c.copied,
                c.email_share,
                c.send_friend,
                c.print,
                c.rss,
                c.send_title,
                c.your_name,
                c.your_email,
                c.friend_email,
                c.message_optional,
                c.send_button,
                c.sent_ok,
                c.send_unavailable,
                c.err_message_long,
                c.send_error_kept,
                c.close,
                c.print_link,
                c.comments_title,
                c.comment_count,
                c.comments_none,
                c.comments_more,
                c.reply,
                c.replying_to,
                c.cancel_reply,
                c.form_title,
                c.name_label,
                c.email_label,
                c.email_note,
                c.body_label,
                c.remember_name,
                c.notify_replies,
                c.send,
                c.sending,
                c.posted,
                c.pending_notice,
                c.pending_badge,
                c.err_name_required,
                c.err_name_long,
                c.err_body_short,
                c.err_body_long,
                c.err_email,
                c.err_parent,
                c.send_failed,
                c.rate_limited,
                c.comments_closed,
                c.fix_fields,
                c.draft_restored,
                c.error_not_found,
                c.error_network,
                c.error_timeout,
                c.error_server,
                c.error_bad_response,
                c.error_config,
                c.error_crash,
            ] {
                assert!(!s.trim().is_empty(), "{lang:?} has an empty string");
            }
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
