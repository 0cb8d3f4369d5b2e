//! "Send this article to a friend": the request's rules and the e-mail,
//! plain text plus simple HTML, in the article's language and direction,
//! handed to [`crate::mailer::Mailer`].

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use serde::Deserialize;

use crate::comments::FieldErrors;
use crate::feeds::escape;
use crate::mailer::Outgoing;
use crate::model::Article;

use khabar_rules::SEND_MESSAGE_MAX as MESSAGE_MAX;

/// What a reader sends to `POST /articles/{id}/send`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SendRequest {
    /// The sender's name.
    #[serde(default)]
    pub from_name: String,
    /// The sender's address (used as Reply-To).
    #[serde(default)]
    pub from_email: String,
    /// The friend's address.
    #[serde(default)]
    pub to_email: String,
    /// An optional note.
    #[serde(default)]
    pub message: Option<String>,
    /// The widget's key for this request, the same when it is sent again
    /// (see `routes::send`).
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// A request that passed the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanSend {
    /// Name without controls (so no header can be injected through it).
    pub from_name: String,
    /// Checked address.
    pub from_email: String,
    /// Checked address.
    pub to_email: String,
    /// Cleaned note (line breaks kept; it only goes into the body).
    pub message: String,
    /// Checked idempotency key, if the request gave one.
    pub idempotency_key: Option<String>,
}

/// Applies the rules; every failing field is named.
pub fn validate(r: &SendRequest) -> Result<CleanSend, FieldErrors> {
    let mut errors = FieldErrors::new();
    let from_name = khabar_rules::clean_author(&r.from_name);
    let n = from_name.chars().count();
    if !khabar_rules::shows_something(&from_name) {
        errors.insert("from_name", ("required", "Please give your name.".into()));
    } else if n > khabar_rules::AUTHOR_MAX {
        errors.insert(
            "from_name",
            ("too_long", "A name has at most 80 characters.".into()),
        );
    }
    for (field, value) in [("from_email", &r.from_email), ("to_email", &r.to_email)] {
        // The shared rule, then the mailer's own (an internationalised
        // domain it cannot spell in ASCII): a refusal names its field.
        let value = value.trim();
        if !khabar_rules::is_email(value) || value.parse::<lettre::Address>().is_err() {
            errors.insert(
                field,
                ("invalid", "This e-mail address is not valid.".into()),
            );
        }
    }
    let message = khabar_rules::clean_body(r.message.as_deref().unwrap_or(""));
    if message.chars().count() > MESSAGE_MAX {
        errors.insert(
            "message",
            ("too_long", "A message has at most 1,000 characters.".into()),
        );
    }
    if r.idempotency_key
        .as_deref()
        .is_some_and(|k| !khabar_rules::is_idempotency_key(k))
    {
        errors.insert(
            "idempotency_key",
            (
                "invalid",
                "An idempotency key has 8 to 100 letters, digits, - or _.".into(),
            ),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(CleanSend {
        from_name,
        from_email: r.from_email.trim().to_owned(),
        to_email: r.to_email.trim().to_owned(),
        message,
        idempotency_key: r.idempotency_key.clone(),
    })
}

/// The inbox `address` reaches, as the limits per recipient count it:
/// lowercased, without a `+tag` (`victim+1@` and `victim+2@` are one
/// inbox), its domain in one form whatever its spelling (`bücher.example`,
/// `xn--bcher-kva.example`, full-width letters), and for Gmail without
/// dots (and googlemail.com as gmail.com).
pub fn inbox(address: &str) -> String {
    let address = address.trim().to_lowercase();
    let Some((local, domain)) = address.rsplit_once('@') else {
        return address;
    };
    let local = local.split('+').next().unwrap_or(local);
    // IDNA, as the mailer and the mail's relay read the domain.
    let domain = match url::Host::parse(domain) {
        Ok(url::Host::Domain(ascii)) => ascii,
        _ => domain.to_owned(),
    };
    match domain.as_str() {
        "gmail.com" | "googlemail.com" => format!("{}@gmail.com", local.replace('.', "")),
        _ => format!("{local}@{domain}"),
    }
}

/// The words of the e-mail in the article's language.
struct Words {
    sent_you: &'static str,
    /// "Sara via News Today", the sender's name in the `From` line.
    via: &'static str,
    their_note: &'static str,
    read: &'static str,
    rtl: bool,
}

fn words(lang: &str) -> Words {
    match crate::model::primary_subtag(lang).as_str() {
        "ar" => Words {
            sent_you: "أرسل إليك هذا الخبر من",
            via: "عبر",
            their_note: "رسالته إليك:",
            read: "اقرأ الخبر:",
            rtl: true,
        },
        "fa" => Words {
            sent_you: "این خبر را برای شما فرستاده است از",
            via: "از طریق",
            their_note: "پیام او:",
            read: "خواندن خبر:",
            rtl: true,
        },
        "ur" => Words {
            sent_you: "نے آپ کو یہ خبر بھیجی ہے، از",
            via: "بذریعہ",
            their_note: "ان کا پیغام:",
            read: "خبر پڑھیں:",
            rtl: true,
        },
        "he" => Words {
            sent_you: "שלח/ה לך את הכתבה הזו מתוך",
            via: "דרך",
            their_note: "ההודעה:",
            read: "לקריאת הכתבה:",
            rtl: true,
        },
        "fr" => Words {
            sent_you: "vous envoie cet article de",
            via: "via",
            their_note: "Son message :",
            read: "Lire l’article :",
            rtl: false,
        },
        _ => Words {
            sent_you: "sent you this story from",
            via: "via",
            their_note: "Their note:",
            read: "Read the story:",
            rtl: false,
        },
    }
}

/// Builds the e-mail. Every header value is built by lettre from cleaned,
/// control-free parts; user text only ever reaches the body.
pub fn compose(
    from: &Mailbox,
    site_name: &str,
    article: &Article,
    r: &CleanSend,
) -> anyhow::Result<Outgoing> {
    let w = words(&article.lang);
    let subject: String = article.title.chars().filter(|c| !c.is_control()).collect();
    let mut plain = format!(
        "{} {} {}\n\n{}\n\n",
        r.from_name, w.sent_you, site_name, subject
    );
    if !article.summary.is_empty() {
        plain.push_str(&article.summary);
        plain.push_str("\n\n");
    }
    if !r.message.is_empty() {
        // Quoted, as the HTML part's blockquote: the sender's words must
        // not pass for the site's own lines ("Read: <link>").
        let quoted = crate::mailer::quote(&r.message, MESSAGE_MAX);
        plain.push_str(&format!("{}\n{quoted}\n\n", w.their_note));
    }
    plain.push_str(&format!("{} {}\n", w.read, article.url));
    let dir = if w.rtl { "rtl" } else { "ltr" };
    let note = if r.message.is_empty() {
        String::new()
    } else {
        format!(
            "<p>{}</p><blockquote dir=\"auto\">{}</blockquote>",
            escape(w.their_note),
            escape(&r.message).replace('\n', "<br>")
        )
    };
    let html = format!(
        "<!doctype html><html lang=\"{lang}\" dir=\"{dir}\"><body style=\"font-family:sans-serif\">\
         <p><bdi>{name}</bdi> {sent} {site}</p><h1 dir=\"auto\">{title}</h1><p dir=\"auto\">{summary}</p>{note}\
         <p><a href=\"{url}\">{read} {title}</a></p></body></html>",
        lang = escape(&article.lang),
        name = escape(&r.from_name),
        sent = escape(w.sent_you),
        site = escape(site_name),
        title = escape(&subject),
        summary = escape(&article.summary),
        url = escape(&article.url),
        read = escape(w.read),
    );
    // The name is the sender's to choose, the address the site's: "Sara via
    // News Today", without the characters that would let a name pass for an
    // address ("PayPal <service@paypal.com>").
    let shown: String = r
        .from_name
        .chars()
        .filter(|c| {
            !matches!(
                c,
                '<' | '>'
                    | '@'
                    | '"'
                    | '＠'
                    | '﹫'
                    | '＜'
                    | '＞'
                    | '﹤'
                    | '﹥'
                    | '‹'
                    | '›'
                    | '〈'
                    | '〉'
                    | '⟨'
                    | '⟩'
            )
        })
        .collect();
    let shown = shown.trim();
    let name = match shown {
        // Nothing left of it: the site's name alone.
        "" => site_name.to_owned(),
        shown => format!("{shown} {} {site_name}", w.via),
    };
    let sender = Mailbox::new(Some(name), from.email.clone());
    let to: Mailbox = r.to_email.parse()?;
    let message = Message::builder()
        .from(sender.clone())
        // The same name as in From: the friend's reply shows it too.
        .reply_to(Mailbox::new(
            (!shown.is_empty()).then(|| shown.to_owned()),
            r.from_email.parse()?,
        ))
        .to(to.clone())
        .subject(subject.clone())
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(plain.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html),
                ),
        )?;
    Ok(Outgoing {
        message,
        sender: sender.to_string(),
        recipient: to.to_string(),
        subject,
        text: plain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(name: &str, from: &str, to: &str) -> SendRequest {
        SendRequest {
            from_name: name.into(),
            from_email: from.into(),
            to_email: to.into(),
            message: None,
            idempotency_key: None,
        }
    }

    #[test]
    fn header_injection_through_any_field_is_refused_or_neutralised() {
        let e = validate(&request("A", "a@b.co\r\nBcc: x@evil.test", "c@d.co")).expect_err("bad");
        assert!(e.contains_key("from_email"));
        let e = validate(&request("A", "a@b.co", "c@d.co\nBcc:x@evil.test")).expect_err("bad");
        assert!(e.contains_key("to_email"));
        let ok =
            validate(&request("Ali\r\nBcc: x@evil.test", "a@b.co", "c@d.co")).expect("cleaned");
        assert!(!ok.from_name.contains('\r') && !ok.from_name.contains('\n'));
    }

    #[test]
    fn addresses_of_one_inbox_count_as_one() {
        for same in ["Victim@D.co", "victim+1@d.co", " victim+news+x@d.co "] {
            assert_eq!(inbox(same), "victim@d.co", "{same}");
        }
        for same in [
            "J.Doe@gmail.com",
            "jdoe+k@googlemail.com",
            "j.d.o.e@gmail.com",
        ] {
            assert_eq!(inbox(same), "jdoe@gmail.com", "{same}");
        }
        assert_ne!(
            inbox("j.doe@d.co"),
            inbox("jdoe@d.co"),
            "dots count elsewhere"
        );
        // One domain however it is spelled: Unicode, its ASCII form,
        // decomposed accents, full-width letters.
        for same in [
            "victim@bücher.example",
            "victim@xn--bcher-kva.example",
            "victim@bu\u{308}cher.example",
            "victim@ｂücher.example",
        ] {
            assert_eq!(inbox(same), "victim@xn--bcher-kva.example", "{same}");
        }
        assert_eq!(inbox("x@ｇmail.com"), "x@gmail.com");
    }

    #[test]
    fn the_shared_address_rule_takes_what_the_mailer_takes() {
        let takes = |a: &str| a.parse::<lettre::Address>().is_ok();
        for good in [
            "a@b.co",
            "sara.k+news@mail.example.org",
            "o'brien@x-y.example",
            "سارة@مثال.إختبار",
            "a@x_y.org",
        ] {
            assert!(khabar_rules::is_email(good) && takes(good), "{good}");
        }
        // What the mailer refuses, the form refuses first (and a little more).
        let long = format!("{}@x.org", "a".repeat(65));
        for bad in [
            "john.@gmail.com",
            ".john@gmail.com",
            "a..b@x.org",
            "a@-x.org",
            "a@x-.org",
            long.as_str(),
        ] {
            assert!(!takes(bad), "the mailer takes {bad}");
            assert!(!khabar_rules::is_email(bad), "{bad}");
        }
    }

    #[test]
    fn the_articles_language_is_read_whatever_its_case_or_separator() {
        for tag in ["ar", "AR", "Ar-EG", "ar_EG", " fa_IR "] {
            assert!(words(tag).rtl, "{tag}");
        }
        assert_eq!(words("FA-ir").read, words("fa").read);
        assert!(!words("en-GB").rtl);
    }

    #[test]
    fn an_address_the_mailer_cannot_spell_is_refused_on_its_field() {
        let e = validate(&request("A", "a@b.co", "a@x\u{E000}.org")).expect_err("refused");
        assert!(e.contains_key("to_email"));
        assert!(
            khabar_rules::is_email("a@x\u{E000}.org"),
            "the shared rule lets it by"
        );
    }

    #[test]
    fn every_field_is_checked() {
        let mut r = request("", "nope", "");
        r.message = Some("x".repeat(1001));
        let e = validate(&r).expect_err("bad");
        for f in ["from_name", "from_email", "to_email", "message"] {
            assert!(e.contains_key(f), "{f}");
        }
    }
}
