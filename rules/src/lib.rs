//! Rules shared by the widget and khabar-server, so both apply one copy:
//! what a reader comment must look like (the widget tells readers before
//! they send, the server enforces), and which HTML elements an article body
//! may keep.

/// Elements whose content is not reader text (code, styles, embedded
/// documents, foreign markup, form controls, a player's fallback words):
/// dropped whole by the widget, and by the server when it stores or serves
/// a body (but `picture` and `noscript`, whose images it keeps).
pub const DROPPED_ELEMENTS: &[&str] = &[
    "script",
    "style",
    "template",
    "noscript",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "head",
    "title",
    "meta",
    "link",
    "base",
    "textarea",
    "select",
    "option",
    "button",
    "input",
    "xmp",
    "plaintext",
    "noembed",
    "noframes",
    "canvas",
    "audio",
    "video",
    "source",
    "track",
    "picture",
    "portal",
    "dialog",
    "slot",
];

/// Attributes an article's HTML body keeps beside the URL ones, when they
/// are a plain number ([`number_attribute`]): an image's size, so that the
/// page holds its place before it arrives, and a table cell's spans (an
/// election table's columns stay in line).
pub const NUMBER_ATTRIBUTES: &[(&str, &str)] = &[
    ("img", "width"),
    ("img", "height"),
    ("td", "colspan"),
    ("td", "rowspan"),
    ("th", "colspan"),
    ("th", "rowspan"),
];

/// `value` when it is a whole number from 1 to 99,999 (as
/// [`NUMBER_ATTRIBUTES`] keep them), else `None`.
pub fn number_attribute(value: &str) -> Option<&str> {
    let value = value.trim();
    let number = (1..=5).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit());
    (number && value.bytes().any(|b| b != b'0')).then_some(value)
}

/// Elements an article's HTML body may keep (the widget's rebuild and the
/// server's feeds use the same list).
pub const ALLOWED_ELEMENTS: &[&str] = &[
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "a",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "figure",
    "figcaption",
    "img",
    // Their meaning is in the markup: a correction's struck figure ("15"
    // struck, "17" after it), a unit's exponent (km²).
    "del",
    "s",
    "sup",
    "sub",
    // Kept rather than unwrapped, which ran their text together: a
    // CMS's paragraphs written as `div`s, a table's cells (election
    // results, fixtures).
    "div",
    "table",
    "caption",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
];

/// Longest name, in characters after cleaning.
pub const AUTHOR_MAX: usize = 80;
/// Shortest comment, in characters after cleaning.
pub const BODY_MIN: usize = 2;
/// Longest comment, in characters after cleaning.
pub const BODY_MAX: usize = 5_000;
/// Longest e-mail address (RFC 5321 path limit).
pub const EMAIL_MAX: usize = 254;
/// Longest personal note of "send to a friend", in characters.
pub const SEND_MESSAGE_MAX: usize = 1_000;

/// Articles in a `latest` list when the page asks for no `limit`.
pub const ARTICLE_LIST_DEFAULT: u32 = 10;
/// Largest `limit` of the article list; the server caps larger ones.
pub const ARTICLE_LIST_MAX: u32 = 50;
/// Top-level comments in a page when the request names no `limit`.
pub const COMMENT_PAGE_DEFAULT: u32 = 20;
/// Largest `limit` of a comment page; the server caps larger ones.
pub const COMMENT_PAGE_MAX: u32 = 100;
/// Replies the widget asks for under each comment of a page (`replies=`);
/// the rest come from `/comments/{id}/replies`, this many at a time.
pub const REPLIES_ASKED: u32 = 20;

/// A field of the comment form that can be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    /// The name.
    Author,
    /// The optional e-mail.
    Email,
    /// The comment text.
    Body,
    /// The comment being answered.
    Parent,
    /// The client's idempotency key.
    IdempotencyKey,
}

impl Field {
    /// The field's name in the API.
    pub fn name(self) -> &'static str {
        match self {
            Field::Author => "author",
            Field::Email => "email",
            Field::Body => "body",
            Field::Parent => "parent_id",
            Field::IdempotencyKey => "idempotency_key",
        }
    }

    /// The field called `name` in the API.
    pub fn from_name(name: &str) -> Option<Field> {
        [
            Field::Author,
            Field::Email,
            Field::Body,
            Field::Parent,
            Field::IdempotencyKey,
        ]
        .into_iter()
        .find(|f| f.name() == name)
    }
}

/// What is wrong with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Empty.
    Required,
    /// Under the minimum length.
    TooShort,
    /// Over the maximum length.
    TooLong,
    /// Malformed or not acceptable.
    Invalid,
}

impl Problem {
    /// The code used in API answers.
    pub fn code(self) -> &'static str {
        match self {
            Problem::Required => "required",
            Problem::TooShort => "too_short",
            Problem::TooLong => "too_long",
            Problem::Invalid => "invalid",
        }
    }

    /// Reads an API code; unknown codes count as `Invalid`.
    pub fn from_code(code: &str) -> Problem {
        match code {
            "required" => Problem::Required,
            "too_short" => Problem::TooShort,
            "too_long" => Problem::TooLong,
            _ => Problem::Invalid,
        }
    }
}

/// Whether `c` may change how surrounding text is displayed (Trojan Source):
/// embeddings, overrides (U+202A–U+202E) and isolates (U+2066–U+2069).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Removes bidi control characters.
pub fn strip_bidi_controls(s: &str) -> String {
    s.chars().filter(|c| !is_bidi_control(*c)).collect()
}

/// Whether `c` shows as something: not whitespace, not a filler or a
/// blank (zero-width spaces, the word joiner, the byte-order mark, the
/// Hangul fillers, the blank Braille pattern), and not one of the marks
/// that only shape, break or order their neighbours (the joiners Persian
/// and emoji need, direction marks, variation selectors, the soft hyphen).
/// Such characters are kept where they stand (Thai and Khmer text breaks
/// at U+200B); text of them alone is no text.
fn is_visible(c: char) -> bool {
    const INVISIBLE: &[(char, char)] = &[
        ('\u{00AD}', '\u{00AD}'),
        ('\u{034F}', '\u{034F}'),
        ('\u{061C}', '\u{061C}'),
        ('\u{115F}', '\u{1160}'),
        ('\u{17B4}', '\u{17B5}'),
        ('\u{180B}', '\u{180F}'),
        ('\u{200B}', '\u{200F}'),
        ('\u{2060}', '\u{2064}'),
        ('\u{2800}', '\u{2800}'),
        ('\u{3164}', '\u{3164}'),
        ('\u{FE00}', '\u{FE0F}'),
        ('\u{FEFF}', '\u{FEFF}'),
        ('\u{FFA0}', '\u{FFA0}'),
        ('\u{E0000}', '\u{E0FFF}'),
    ];
    !c.is_whitespace()
        && !INVISIBLE
            .iter()
            .any(|(from, to)| (*from..=*to).contains(&c))
}

/// Whether `s` shows anything: a name or text of marks and blanks alone
/// (a joiner, a direction mark, a Hangul filler) shows as none.
pub fn shows_something(s: &str) -> bool {
    s.chars().any(is_visible)
}

/// Combining marks one letter keeps in a row: Quranic Arabic's shadda,
/// vowel and signs, Hebrew's points with an accent and a meteg,
/// Vietnamese's two accents fit (up to five); the piles of "Zalgo" text,
/// which draw over the lines around them, lose the rest.
pub const MARKS_IN_A_ROW: usize = 5;

/// Whether `c` is a combining mark of the blocks text piles up to draw
/// over its neighbours: the shared diacritics (U+0300–036F and their
/// extensions), Cyrillic's, Hebrew's, Arabic's, Thai's and Lao's (the
/// punctuation and letters among them, such as Hebrew's maqaf and
/// Arabic's end of ayah, are not marks).
fn is_pileable_mark(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}' | '\u{0483}'..='\u{0489}'
        | '\u{0591}'..='\u{05BD}' | '\u{05BF}' | '\u{05C1}'..='\u{05C2}'
        | '\u{05C4}'..='\u{05C5}' | '\u{05C7}'
        | '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0670}'
        | '\u{06D6}'..='\u{06DC}' | '\u{06DF}'..='\u{06E4}' | '\u{06E7}'..='\u{06E8}'
        | '\u{06EA}'..='\u{06ED}' | '\u{08D3}'..='\u{08FF}'
        | '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}'
        | '\u{0EB1}' | '\u{0EB4}'..='\u{0EBC}' | '\u{0EC8}'..='\u{0ECE}'
        | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}'
        | '\u{FE20}'..='\u{FE2F}')
}

/// `chars` without the marks of a run past [`MARKS_IN_A_ROW`]. Joiners
/// and variation selectors between marks neither count nor end the run:
/// the marks after them still stack on the same letter.
fn without_piles(chars: impl Iterator<Item = char>) -> impl Iterator<Item = char> {
    let mut run = 0;
    chars.filter(move |&c| {
        if is_pileable_mark(c) {
            run += 1;
            return run <= MARKS_IN_A_ROW;
        }
        if !matches!(c, '\u{200C}'..='\u{200D}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
        {
            run = 0;
        }
        true
    })
}

/// A comment's name or text as a widget shows it, from whichever backend:
/// no bidi controls, no pile of marks (what a comment stored before the
/// server kept them away may still hold).
pub fn as_shown(s: &str) -> String {
    without_piles(s.chars().filter(|c| !is_bidi_control(*c))).collect()
}

/// A name as stored: no control or bidi-control characters, whitespace
/// folded, no pile of marks.
pub fn clean_author(s: &str) -> String {
    let kept: String = without_piles(
        s.chars()
            .map(|c| if c.is_whitespace() { ' ' } else { c })
            .filter(|c| !c.is_control() && !is_bidi_control(*c)),
    )
    .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A body as stored: line breaks kept (CRLF → LF), other controls and bidi
/// controls removed, outer whitespace trimmed.
pub fn clean_body(s: &str) -> String {
    // A CR is dropped with the other controls, so CRLF becomes LF.
    s.chars()
        .filter(|c| (*c == '\n' || *c == '\t' || !c.is_control()) && !is_bidi_control(*c))
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A reader's text as stored ([`clean_body`]), with at most one empty line
/// in a row, no spaces at line ends and no pile of marks: a comment of
/// thousands of line breaks would otherwise show as a page of nothing.
pub fn clean_comment(s: &str) -> String {
    let body: String = without_piles(clean_body(s).chars()).collect();
    let mut out = String::with_capacity(body.len());
    for line in body.split('\n') {
        let line = line.trim_end();
        // An empty line after an empty line (the body's ends are trimmed).
        if line.is_empty() && out.ends_with("\n\n") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.pop();
    out
}

/// A pragmatic e-mail check: one `@`, a local part of dot-separated words
/// (at most 64 bytes), a dotted domain of letters, digits, `_` and inner
/// hyphens, no spaces, controls or header punctuation: what the server's
/// mailer takes, so that an address it would refuse is marked on the form.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            // Any character beyond ASCII (an internationalised name): the
            // Unicode tables `is_alphanumeric` needs weigh kilobytes in
            // the widget.
            && l.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_') || !c.is_ascii())
    };
    local.len() <= 64
        && !local.split('.').any(str::is_empty)
        && s.len() <= EMAIL_MAX
        && domain.contains('.')
        && domain.split('.').all(label)
        && s.chars().all(|c| {
            !c.is_whitespace()
                && !c.is_control()
                && !is_bidi_control(c)
                && !matches!(
                    c,
                    '<' | '>' | '(' | ')' | '[' | ']' | ',' | ';' | ':' | '"' | '\\'
                )
        })
}

/// Whether `key` is an acceptable idempotency key (8–100 of A–Z a–z 0–9 - _).
pub fn is_idempotency_key(key: &str) -> bool {
    (8..=100).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Every problem of a comment's name, e-mail and body, in form order.
pub fn check(author: &str, email: &str, body: &str) -> Vec<(Field, Problem)> {
    let mut problems = Vec::new();
    let name = clean_author(author);
    // A name of marks alone (a joiner, a direction mark) shows as no name.
    if !shows_something(&name) {
        problems.push((Field::Author, Problem::Required));
    } else if name.chars().count() > AUTHOR_MAX {
        problems.push((Field::Author, Problem::TooLong));
    }
    let email = email.trim();
    if !email.is_empty() && !is_email(email) {
        problems.push((Field::Email, Problem::Invalid));
    }
    let body = clean_comment(body);
    let len = body.chars().count();
    if len < BODY_MIN || !shows_something(&body) {
        problems.push((Field::Body, Problem::TooShort));
    } else if len > BODY_MAX {
        problems.push((Field::Body, Problem::TooLong));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_keep_one_empty_line_in_a_row() {
        assert_eq!(clean_comment("أ\n\n\n\n \n\t\nب  \nج"), "أ\n\nب\nج");
        let flood = format!("a{}b", "\n".repeat(4998));
        assert_eq!(clean_comment(&flood), "a\n\nb");
        assert_eq!(check("Huda", "", &flood), []);
        assert_eq!(
            check("Huda", "", &"\n".repeat(10)),
            [(Field::Body, Problem::TooShort)]
        );
    }

    #[test]
    fn piles_of_marks_keep_five_and_real_text_keeps_all() {
        let zalgo = format!(
            "a{}b{}",
            "\u{0301}\u{0316}".repeat(20),
            "\u{0489}".repeat(9)
        );
        let five = |mark: &str| mark.repeat(5);
        assert_eq!(
            clean_comment(&zalgo),
            format!(
                "a{}\u{0301}b{}",
                "\u{0301}\u{0316}".repeat(2),
                five("\u{0489}")
            )
        );
        assert_eq!(clean_author(&zalgo), clean_comment(&zalgo));
        assert_eq!(as_shown(&format!("{zalgo}\u{202E}")), clean_comment(&zalgo));
        // Arabic with shadda and vowels, a Quranic word, Vietnamese in NFD,
        // pointed Hebrew with an accent.
        // A Thai pile, and joiners that do not end a run.
        let thai = |n: usize| format!("ด{}", "\u{0E49}".repeat(n));
        assert_eq!(clean_comment(&thai(30)), thai(5));
        assert_eq!(
            clean_comment(&format!("a{0}\u{200D}{0}", "\u{0301}".repeat(5))),
            format!("a{}\u{200D}", "\u{0301}".repeat(5))
        );
        // Hebrew's maqaf after five marks is punctuation, kept.
        assert_eq!(clean_comment("שָּֽׁ֣־לוֹם"), "שָּֽׁ֣־לוֹם");
        for real in [
            "شَدَّةٌ",
            "ٱلرَّحْمَٰنِ",
            "Vie\u{0323}\u{0302}t Nam",
            "בְּרֵאשִׁ֖ית",
            "สวัสดีครับ ภาษาไทย",
            "1\u{FE0F}\u{20E3} 👩\u{200D}💻",
        ] {
            assert_eq!(clean_comment(real), real);
            assert_eq!(clean_author(real), real);
        }
    }

    #[test]
    fn fillers_and_marks_alone_are_no_text() {
        // Kept where they stand: Persian's and emoji's joiners, a Thai
        // line-break hint.
        assert_eq!(
            clean_body("می\u{200C}خواهم 👩\u{200D}💻"),
            "می\u{200C}خواهم 👩\u{200D}💻"
        );
        assert_eq!(clean_body("สวัสดี\u{200B}ครับ"), "สวัสดี\u{200B}ครับ");
        assert_eq!(
            check("\u{2800}", "", "\u{2800}\u{2800}"),
            [
                (Field::Author, Problem::Required),
                (Field::Body, Problem::TooShort)
            ]
        );
        assert_eq!(
            check("\u{3164}", "", "\u{200B}\u{200B}"),
            [
                (Field::Author, Problem::Required),
                (Field::Body, Problem::TooShort)
            ]
        );
        assert_eq!(
            check("\u{200D}\u{200F}", "", "\u{200D}\u{200C}\u{200F}"),
            [
                (Field::Author, Problem::Required),
                (Field::Body, Problem::TooShort)
            ]
        );
        assert_eq!(check("سارة", "", "👍🏽"), []);
    }

    #[test]
    fn names_lose_controls_and_bidi_overrides() {
        assert_eq!(clean_author("  سارة \u{202E}evil\u{202C}  "), "سارة evil");
        assert_eq!(clean_author("a\u{0}b\u{7}c\td"), "abc d");
        assert_eq!(clean_author("\u{2066}\u{2069}"), "");
    }

    #[test]
    fn bodies_keep_line_breaks() {
        assert_eq!(
            clean_body(" one\r\ntwo\u{202E}\n\nthree\u{0} "),
            "one\ntwo\n\nthree"
        );
    }

    #[test]
    fn lengths_are_checked_at_their_edges() {
        assert!(check("سارة", "", "مقال جيد").is_empty());
        assert_eq!(
            check(" \u{202E} ", "x@", "a"),
            vec![
                (Field::Author, Problem::Required),
                (Field::Email, Problem::Invalid),
                (Field::Body, Problem::TooShort)
            ]
        );
        assert_eq!(
            check(&"ن".repeat(81), "", &"ب".repeat(5001)),
            vec![
                (Field::Author, Problem::TooLong),
                (Field::Body, Problem::TooLong)
            ]
        );
        assert!(check(&"ن".repeat(80), "a@b.co", &"ب".repeat(5000)).is_empty());
    }

    #[test]
    fn emails_are_checked_pragmatically() {
        for good in [
            "a@b.co",
            "sara.k+news@mail.example.org",
            "o'brien@x-y.example",
            "سارة@مثال.إختبار",
        ] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "",
            "a",
            "a@b",
            "@b.co",
            "a@.co",
            "a@b.",
            "a b@c.d",
            "a@b..c",
            "moc.elpmaxe\u{202E}@a.co",
            "a@b@c.d",
            "a\r\nBcc:x@y.z",
            "john.@gmail.com",
            ".john@gmail.com",
            "a..b@x.org",
            "a@-x.org",
            "a@x-.org",
            "a@x!y.org",
            &format!("{}@x.org", "a".repeat(65)),
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn keys_and_codes() {
        assert!(is_idempotency_key("0f8c1e2a-1b2c-4d5e-8f90-123456789abc"));
        assert!(!is_idempotency_key("short"));
        assert!(!is_idempotency_key("has space here"));
        assert_eq!(Field::from_name("parent_id"), Some(Field::Parent));
        assert_eq!(Field::from_name("website"), None);
        assert_eq!(
            Problem::from_code(Problem::TooLong.code()),
            Problem::TooLong
        );
        assert_eq!(Problem::from_code("whatever"), Problem::Invalid);
    }
}
