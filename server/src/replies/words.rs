//! What reply notifications say, in the widget's six languages: the
//! confirmation message, the notice of a reply, and the two pages their
//! links open. A leaf: it imports nothing of the crate.

/// The texts of one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Words {
    /// BCP 47 tag, for `<html lang>`.
    pub lang: &'static str,
    /// Right to left.
    pub rtl: bool,
    /// Subject of the confirmation message.
    pub confirm_subject: &'static str,
    /// Before the article's title in the confirmation message.
    pub confirm_asked: &'static str,
    /// [`Self::confirm_asked`] for a reader who asked from a reply: the
    /// conversation is not their comment.
    pub confirm_asked_joined: &'static str,
    /// Before the confirmation link.
    pub confirm_open: &'static str,
    /// The end of the confirmation message.
    pub confirm_ignore: &'static str,
    /// Subject of a reply notice, before the article's title.
    pub reply_subject: &'static str,
    /// After the reply's author, before the title.
    pub replied: &'static str,
    /// [`Self::reply_subject`] for a reader who subscribed from a reply:
    /// the conversation is not their comment.
    pub reply_subject_joined: &'static str,
    /// [`Self::replied`] for such a reader.
    pub replied_joined: &'static str,
    /// Before the article's link.
    pub read: &'static str,
    /// Before the unsubscribe link.
    pub stop: &'static str,
    /// Heading of the confirmation page.
    pub confirm_heading: &'static str,
    /// Its button.
    pub confirm_button: &'static str,
    /// After confirming.
    pub confirmed: &'static str,
    /// Heading of the unsubscribe page.
    pub stop_heading: &'static str,
    /// Its button.
    pub stop_button: &'static str,
    /// After unsubscribing.
    pub stopped: &'static str,
    /// A link that is not ours, or whose subscription is gone.
    pub invalid: &'static str,
}

/// The words of the language `accept` (an `Accept-Language` header)
/// prefers among the six, by its weights; English when it names none.
pub fn preferred(accept: &str) -> Words {
    let mut offers: Vec<(f32, usize, &str)> = accept
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.split(';');
            let tag = pieces.next()?.trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let known = ["ar", "fa", "ur", "he", "fr", "en"].iter().any(|l| {
                tag.split(['-', '_'])
                    .next()
                    .is_some_and(|p| p.eq_ignore_ascii_case(l))
            });
            (known && q > 0.0).then_some((q, i, tag))
        })
        .collect();
    offers.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    words(offers.first().map_or("en", |o| o.2))
}

/// The texts for `lang` (its primary subtag), English when unknown.
pub fn words(lang: &str) -> Words {
    match crate::model::primary_subtag(lang).as_str() {
        "ar" => AR,
        "fa" => FA,
        "ur" => UR,
        "he" => HE,
        "fr" => FR,
        _ => EN,
    }
}

const EN: Words = Words {
    lang: "en",
    rtl: false,
    confirm_subject: "Confirm: e-mail me about replies",
    confirm_asked: "You asked to be told by e-mail when someone replies to your comment on",
    confirm_asked_joined:
        "You asked to be told by e-mail of new replies in the conversation you joined on",
    confirm_open: "To confirm, open this link and press the button:",
    confirm_ignore: "If you did not ask for this, ignore this message: nothing more will be sent.",
    reply_subject: "New reply to your comment on",
    replied: "replied to your comment on",
    reply_subject_joined: "New reply in a conversation you joined on",
    replied_joined: "replied in a conversation you joined on",
    read: "Read the conversation:",
    stop: "Stop these e-mails:",
    confirm_heading: "E-mail me about replies?",
    confirm_button: "Confirm",
    confirmed: "Done: you will get an e-mail when a reply in this conversation is published.",
    stop_heading: "Stop e-mails about replies?",
    stop_button: "Stop these e-mails",
    stopped: "Done: no more e-mails about replies in this conversation.",
    invalid: "This link is not valid.",
};

const AR: Words = Words {
    lang: "ar",
    rtl: true,
    confirm_subject: "تأكيد: أعلمني بالردود عبر البريد",
    confirm_asked: "طلبت أن نعلمك عبر البريد حين يرد أحد على تعليقك على",
    confirm_asked_joined: "طلبت أن نعلمك عبر البريد بكل رد جديد في نقاش شاركت فيه على",
    confirm_open: "للتأكيد افتح هذا الرابط واضغط الزر:",
    confirm_ignore: "إن لم تطلب هذا فتجاهل الرسالة: لن يصلك شيء بعدها.",
    reply_subject: "رد جديد على تعليقك على",
    replied: "ردّ على تعليقك على",
    reply_subject_joined: "رد جديد في نقاش شاركت فيه على",
    replied_joined: "ردّ في نقاش شاركت فيه على",
    read: "اقرأ النقاش:",
    stop: "أوقف هذه الرسائل:",
    confirm_heading: "أتريد أن نعلمك بالردود عبر البريد؟",
    confirm_button: "تأكيد",
    confirmed: "تم: ستصلك رسالة حين يُنشر رد في هذا النقاش.",
    stop_heading: "أتريد إيقاف رسائل الردود؟",
    stop_button: "أوقف هذه الرسائل",
    stopped: "تم: لن تصلك رسائل أخرى عن الردود في هذا النقاش.",
    invalid: "هذا الرابط غير صالح.",
};

const FA: Words = Words {
    lang: "fa",
    rtl: true,
    confirm_subject: "تأیید: پاسخ‌ها را به من ایمیل کنید",
    confirm_asked: "خواسته‌اید وقتی کسی به دیدگاه شما پاسخ می‌دهد با ایمیل باخبر شوید؛ دیدگاه شما دربارهٔ",
    confirm_asked_joined: "خواسته‌اید از پاسخ‌های تازه در گفت‌وگویی که در آن شرکت کرده‌اید با ایمیل باخبر شوید؛ گفت‌وگو دربارهٔ",
    confirm_open: "برای تأیید، این پیوند را باز کنید و دکمه را بزنید:",
    confirm_ignore:
        "اگر چنین درخواستی نداده‌اید، این پیام را نادیده بگیرید: پیام دیگری فرستاده نمی‌شود.",
    reply_subject: "پاسخ تازه به دیدگاه شما دربارهٔ",
    replied: "به دیدگاه شما پاسخ داد؛ دربارهٔ",
    reply_subject_joined: "پاسخ تازه در گفت‌وگویی که در آن شرکت کردید، دربارهٔ",
    replied_joined: "در گفت‌وگویی که در آن شرکت کردید پاسخ داد؛ دربارهٔ",
    read: "گفت‌وگو را بخوانید:",
    stop: "توقف این ایمیل‌ها:",
    confirm_heading: "پاسخ‌ها را به شما ایمیل کنیم؟",
    confirm_button: "تأیید",
    confirmed: "انجام شد: وقتی پاسخی در این گفت‌وگو منتشر شود، ایمیلی دریافت می‌کنید.",
    stop_heading: "ایمیل‌های پاسخ متوقف شود؟",
    stop_button: "توقف این ایمیل‌ها",
    stopped: "انجام شد: دیگر دربارهٔ پاسخ‌های این گفت‌وگو ایمیلی نمی‌گیرید.",
    invalid: "این پیوند معتبر نیست.",
};

const UR: Words = Words {
    lang: "ur",
    rtl: true,
    confirm_subject: "تصدیق: جوابات کی اطلاع ای میل پر دیں",
    confirm_asked: "آپ نے کہا تھا کہ جب کوئی آپ کے تبصرے کا جواب دے تو آپ کو ای میل سے بتایا جائے؛ آپ کا تبصرہ اس خبر پر ہے:",
    confirm_asked_joined: "آپ نے کہا تھا کہ جس گفتگو میں آپ شریک ہوئے اس کے ہر نئے جواب کی اطلاع آپ کو ای میل سے دی جائے؛ خبر:",
    confirm_open: "تصدیق کے لیے یہ لنک کھولیں اور بٹن دبائیں:",
    confirm_ignore: "اگر آپ نے یہ نہیں کہا تو اس پیغام کو نظر انداز کریں: آپ کو مزید کچھ نہیں بھیجا جائے گا۔",
    reply_subject: "آپ کے تبصرے کا نیا جواب:",
    replied: "نے آپ کے تبصرے کا جواب دیا؛ خبر:",
    reply_subject_joined: "اس گفتگو میں نیا جواب جس میں آپ شریک ہوئے:",
    replied_joined: "نے اس گفتگو میں جواب دیا جس میں آپ شریک ہوئے؛ خبر:",
    read: "گفتگو پڑھیں:",
    stop: "یہ ای میلز بند کریں:",
    confirm_heading: "جوابات کی اطلاع ای میل پر چاہیے؟",
    confirm_button: "تصدیق کریں",
    confirmed: "ہو گیا: اس گفتگو میں کوئی جواب شائع ہونے پر آپ کو ای میل ملے گی۔",
    stop_heading: "جوابات کی ای میلز بند کریں؟",
    stop_button: "یہ ای میلز بند کریں",
    stopped: "ہو گیا: اس گفتگو کے جوابات کی مزید ای میلز نہیں آئیں گی۔",
    invalid: "یہ لنک درست نہیں ہے۔",
};

const HE: Words = Words {
    lang: "he",
    rtl: true,
    confirm_subject: "אישור: עדכנו אותי במייל על תגובות",
    confirm_asked: "ביקשת לקבל מייל כשמישהו מגיב לתגובה שלך על",
    confirm_asked_joined: "ביקשת לקבל מייל על כל תגובה חדשה בדיון שהשתתפת בו על",
    confirm_open: "כדי לאשר, פתחו את הקישור ולחצו על הכפתור:",
    confirm_ignore: "אם לא ביקשת זאת, אפשר להתעלם מההודעה: לא יישלח דבר נוסף.",
    reply_subject: "תגובה חדשה לתגובה שלך על",
    replied: "הגיב/ה לתגובה שלך על",
    reply_subject_joined: "תגובה חדשה בדיון שהשתתפת בו על",
    replied_joined: "הגיב/ה בדיון שהשתתפת בו על",
    read: "לקריאת הדיון:",
    stop: "להפסקת ההודעות:",
    confirm_heading: "לשלוח לך מייל על תגובות?",
    confirm_button: "אישור",
    confirmed: "בוצע: יישלח אליך מייל כשתפורסם תגובה חדשה בדיון הזה.",
    stop_heading: "להפסיק את המיילים על תגובות?",
    stop_button: "הפסקת המיילים",
    stopped: "בוצע: לא יישלחו עוד מיילים על תגובות בדיון הזה.",
    invalid: "הקישור אינו תקף.",
};

const FR: Words = Words {
    lang: "fr",
    rtl: false,
    confirm_subject: "Confirmation : m’avertir des réponses par e-mail",
    confirm_asked: "Vous avez demandé à être averti par e-mail quand quelqu’un répond à votre commentaire sur",
    confirm_asked_joined: "Vous avez demandé à être averti par e-mail des nouvelles réponses dans une conversation à laquelle vous avez pris part, sur",
    confirm_open: "Pour confirmer, ouvrez ce lien et appuyez sur le bouton :",
    confirm_ignore:
        "Si vous n’avez rien demandé, ignorez ce message : rien d’autre ne sera envoyé.",
    reply_subject: "Nouvelle réponse à votre commentaire sur",
    replied: "a répondu à votre commentaire sur",
    reply_subject_joined:
        "Nouvelle réponse dans une conversation à laquelle vous avez pris part, sur",
    replied_joined: "a répondu dans une conversation à laquelle vous avez pris part, sur",
    read: "Lire la conversation :",
    stop: "Ne plus recevoir ces e-mails :",
    confirm_heading: "Vous avertir des réponses par e-mail ?",
    confirm_button: "Confirmer",
    confirmed:
        "C’est fait : vous recevrez un e-mail quand une réponse sera publiée dans cette conversation.",
    stop_heading: "Ne plus recevoir d’e-mails sur les réponses ?",
    stop_button: "Ne plus recevoir ces e-mails",
    stopped: "C’est fait : plus aucun e-mail sur les réponses de cette conversation.",
    invalid: "Ce lien n’est pas valable.",
};

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn six_languages_by_primary_subtag_and_english_otherwise() {
        for (tag, lang, rtl) in [
            ("ar", "ar", true),
            ("fa-IR", "fa", true),
            ("ur", "ur", true),
            ("he", "he", true),
            ("fr-CA", "fr", false),
            ("en-GB", "en", false),
            ("de", "en", false),
            ("", "en", false),
        ] {
            let w = words(tag);
            assert_eq!((w.lang, w.rtl), (lang, rtl), "{tag}");
            assert!(!w.confirm_subject.is_empty() && !w.invalid.is_empty());
        }
    }
}
