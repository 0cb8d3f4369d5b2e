//! Comment validation: cleaning never leaves bidi controls (U+202A–U+202E,
//! U+2066–U+2069) or control characters (a body keeps `\n` and `\t`), is
//! idempotent, and `check` accepts a field only within its limits
//! (`AUTHOR_MAX`, `EMAIL_MAX`, `BODY_MIN`..=`BODY_MAX`); nothing panics.
#![no_main]

use arbitrary::Arbitrary;
use khabar_rules::{
    check, clean_author, clean_body, is_bidi_control, is_email, is_idempotency_key,
    strip_bidi_controls, Field, AUTHOR_MAX, BODY_MAX, BODY_MIN, EMAIL_MAX,
};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    author: String,
    email: String,
    /// The body is `body` this many times (up to just past BODY_MAX), so
    /// that 5,000 characters are reached within libFuzzer's 4 KB inputs.
    body_repeat: u8,
    body: String,
}

/// Written out here rather than trusting `is_bidi_control`.
fn bidi_char(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn bidi(s: &str) -> bool {
    s.chars().any(bidi_char)
}

fuzz_target!(|input: Input| {
    // Repeated to just past BODY_MAX at most: longer is only slower.
    let most = BODY_MAX / input.body.chars().count().max(1) + 2;
    let times = usize::from(input.body_repeat).clamp(1, most);
    let body = input.body.repeat(times);

    for s in [&input.author, &input.email, &body] {
        let stripped = strip_bidi_controls(s);
        assert!(!bidi(&stripped));
        assert_eq!(strip_bidi_controls(&stripped), stripped);
        let kept = s.chars().filter(|c| !bidi_char(*c)).count();
        assert_eq!(kept, stripped.chars().count(), "only bidi controls go");
        assert!(s.chars().all(|c| bidi_char(c) == is_bidi_control(c)));
    }

    let author = clean_author(&input.author);
    assert!(!bidi(&author), "{author:?}");
    assert!(!author.chars().any(char::is_control), "{author:?}");
    assert!(
        !author.contains("  ") && author.trim() == author,
        "{author:?}"
    );
    assert_eq!(clean_author(&author), author, "clean_author not idempotent");

    let cleaned = clean_body(&body);
    assert!(!bidi(&cleaned), "{cleaned:?}");
    assert!(
        !cleaned
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "{cleaned:?}"
    );
    assert_eq!(cleaned.trim(), cleaned);
    assert_eq!(clean_body(&cleaned), cleaned, "clean_body not idempotent");

    if is_email(&input.email) {
        let e = &input.email;
        assert!(e.len() <= EMAIL_MAX);
        assert_eq!(e.matches('@').count(), 1, "{e:?}");
        assert!(
            !e.chars().any(|c| c.is_control() || c.is_whitespace()),
            "{e:?}"
        );
    }

    let problems = check(&input.author, &input.email, &body);
    let has = |f: Field| problems.iter().any(|(g, _)| *g == f);
    let n = author.chars().count();
    assert_eq!(
        !has(Field::Author),
        (1..=AUTHOR_MAX).contains(&n),
        "author {n}"
    );
    let email = input.email.trim();
    assert_eq!(!has(Field::Email), email.is_empty() || is_email(email));
    let n = cleaned.chars().count();
    assert_eq!(
        !has(Field::Body),
        (BODY_MIN..=BODY_MAX).contains(&n),
        "body {n}"
    );
    assert!(problems
        .iter()
        .all(|(f, _)| matches!(f, Field::Author | Field::Email | Field::Body)));
    assert!(problems.windows(2).all(|w| w[0].0 < w[1].0), "{problems:?}");

    if is_idempotency_key(email) {
        assert!((8..=100).contains(&email.len()));
        assert!(email
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }
});
