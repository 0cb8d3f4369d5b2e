//! The two languages of the moderation pages: Arabic (right to left, the
//! default) and English, chosen by a cookie set from the language link, or
//! else by `Accept-Language`.

use std::collections::BTreeMap;

use axum::http::{header, HeaderMap};

/// Name of the cookie that keeps the chosen language.
pub const LANG_COOKIE: &str = "khabar_admin_lang";

/// A language of the moderation pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Arabic, right to left.
    Ar,
    /// English, left to right.
    En,
}

impl Lang {
    /// The BCP 47 tag, for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::En => "en",
        }
    }

    /// `rtl` or `ltr`, for `<html dir>`.
    pub fn dir(self) -> &'static str {
        match self {
            Lang::Ar => "rtl",
            Lang::En => "ltr",
        }
    }

    /// The other language (what the language link offers).
    pub fn other(self) -> Lang {
        match self {
            Lang::Ar => Lang::En,
            Lang::En => Lang::Ar,
        }
    }

    /// The language's own name.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Ar => "العربية",
            Lang::En => "English",
        }
    }

    /// `ar` or `en` (any region), else `None`.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "ar" => Some(Lang::Ar),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The cookie's choice, else the first of `ar`/`en` by the weights of
    /// `Accept-Language`, else Arabic.
    pub fn of_request(headers: &HeaderMap) -> Lang {
        if let Some(lang) =
            crate::admin::common::cookie(headers, LANG_COOKIE).and_then(|v| Lang::parse(&v))
        {
            return lang;
        }
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mut offers: Vec<(f32, usize, Lang)> = accept
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut pieces = part.split(';');
                let lang = Lang::parse(pieces.next()?)?;
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                (q > 0.0).then_some((q, i, lang))
            })
            .collect();
        offers.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        offers.first().map_or(Lang::Ar, |o| o.2)
    }

    /// One text in this language (the key itself if there is none).
    pub fn text(self, key: &'static str) -> &'static str {
        TEXTS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map_or(key, |(_, en, ar)| if self == Lang::En { en } else { ar })
    }

    /// Every text of the pages in this language, by key.
    pub fn texts(self) -> BTreeMap<&'static str, &'static str> {
        TEXTS
            .iter()
            .map(|(key, en, ar)| (*key, if self == Lang::En { *en } else { *ar }))
            .collect()
    }
}

/// (key, English, Arabic).
const TEXTS: &[(&str, &str, &str)] = &[
    ("app", "Khabar moderation", "إشراف خبر"),
    ("skip", "Skip to content", "انتقل إلى المحتوى"),
    ("nav", "Moderation", "الإشراف"),
    ("queue", "Waiting comments", "التعليقات المنتظرة"),
    ("articles", "Articles", "المقالات"),
    ("audit", "Audit log", "سجل الإجراءات"),
    ("outbox", "Mail outbox", "صندوق البريد الصادر"),
    (
        "outbox_note",
        "The server runs with --mail-outbox: e-mail is kept here instead of being sent.",
        "يعمل الخادم بخيار ‎--mail-outbox‎: يُحفظ البريد هنا بدل إرساله.",
    ),
    ("no_mail", "No e-mail yet.", "لا بريد بعد."),
    ("mail_from", "From", "من"),
    ("mail_to", "To", "إلى"),
    ("signed_in_as", "Signed in as", "مسجل الدخول باسم"),
    ("sign_in", "Sign in", "تسجيل الدخول"),
    ("sign_out", "Sign out", "تسجيل الخروج"),
    ("name", "Name", "الاسم"),
    ("password", "Password", "كلمة المرور"),
    ("language", "Language", "اللغة"),
    ("wrong", "Wrong name or password.", "الاسم أو كلمة المرور غير صحيحة."),
    (
        "form_expired",
        "This form was open for over an hour: sign in again.",
        "بقي هذا النموذج مفتوحاً أكثر من ساعة: سجّل الدخول مجدداً.",
    ),
    (
        "locked",
        "Too many failed attempts: sign-in is locked for 15 minutes. An administrator can unlock the account with “khabar-server admin unlock NAME”.",
        "محاولات فاشلة كثيرة: تسجيل الدخول مقفل مدة 15 دقيقة. يستطيع المسؤول فتح الحساب بالأمر «khabar-server admin unlock NAME».",
    ),
    ("rejected", "Rejected comments", "التعليقات المرفوضة"),
    (
        "rejected_intro",
        "Rejected comments are kept and never shown. Approve one to publish it after all.",
        "تُحفظ التعليقات المرفوضة ولا تُعرض أبدًا. انشر أحدها إن أردت إظهاره.",
    ),
    ("no_rejected", "No comment was rejected.", "لا تعليقات مرفوضة."),
    ("pages", "Pages", "الصفحات"),
    ("older", "Older", "الأقدم"),
    ("newer", "Newer", "الأحدث"),
    ("newest_page", "Newest", "أحدث صفحة"),
    ("blocks", "Blocked authors", "الكتّاب المحظورون"),
    (
        "blocks_intro",
        "New comments from a blocked e-mail address or client address wait for a moderator, even when comments are published at once. The author is not told.",
        "تنتظر التعليقات الجديدة من بريد أو عنوان عميل محظور مراجعةَ مشرف، حتى حين تُنشر التعليقات فورًا. ولا يُبلَّغ الكاتب بذلك.",
    ),
    ("no_blocks", "Nobody is blocked.", "لا أحد محظور."),
    ("block_new", "Block an author", "احظر كاتبًا"),
    ("block_kind", "By", "حسب"),
    ("block_value", "E-mail address or client HMAC", "البريد الإلكتروني أو بصمة العميل"),
    ("client_full", "Client HMAC (64 hexadecimal digits)", "بصمة العميل (64 رقمًا ست عشريًا)"),
    ("kind_email", "E-mail", "البريد الإلكتروني"),
    ("kind_client", "Client", "العميل"),
    ("block", "Block", "احظر"),
    ("detail", "Details", "التفاصيل"),
    ("detail_to", "to", "إلى"),
    ("unblock", "Unblock", "ارفع الحظر"),
    ("block_email", "Block this e-mail", "احظر هذا البريد"),
    ("block_client", "Block this client", "احظر هذا العميل"),
    ("act_block_email", "blocked an e-mail address", "حظر بريدًا إلكترونيًا"),
    ("act_block_client", "blocked a client", "حظر عميلًا"),
    ("act_unblock_email", "unblocked an e-mail address", "رفع الحظر عن بريد إلكتروني"),
    ("act_unblock_client", "unblocked a client", "رفع الحظر عن عميل"),
    ("queue_empty", "No comment is waiting. Well done.", "لا تعليقات منتظرة. أحسنت."),
    // An older page emptied by the moderator's own actions: the list may
    // still have rows on the newer pages.
    (
        "page_empty",
        "Nothing is left on this page: see the newest page.",
        "لم يبقَ شيء في هذه الصفحة: انظر الصفحة الأحدث.",
    ),
    ("selected", "With the selected comments", "مع التعليقات المحددة"),
    ("approve_selected", "Approve selected", "انشر المحدد"),
    ("reject_selected", "Reject selected", "ارفض المحدد"),
    ("delete_selected", "Delete selected", "احذف المحدد"),
    ("approve", "Approve", "انشر"),
    ("reject", "Reject", "ارفض"),
    ("delete", "Delete", "احذف"),
    ("select", "Select comment", "حدد التعليق"),
    ("author", "Author", "الكاتب"),
    ("email", "E-mail", "البريد"),
    ("client", "Client (hash)", "العميل (بصمة)"),
    ("time", "Time", "الوقت"),
    ("article", "Article", "المقالة"),
    ("manage", "manage", "إدارة"),
    ("in_reply_to", "In reply to", "ردًا على"),
    (
        "hidden_by_parent",
        "Not shown to readers, even published: the comment it replies to is not published.",
        "لا يراه القرّاء ولو نُشر: التعليق الذي يردّ عليه غير منشور.",
    ),
    ("none", "none", "لا يوجد"),
    ("done", "Done", "تم"),
    (
        "not_done",
        "Not done: the server could not save it; try again",
        "لم يُنفَّذ: تعذّر على الخادم حفظه، أعد المحاولة",
    ),
    ("comments_open", "Comments are open", "التعليقات مفتوحة"),
    ("comments_closed", "Comments are closed", "التعليقات مغلقة"),
    ("close_comments", "Close comments", "أغلق التعليقات"),
    ("reopen_comments", "Reopen comments", "أعد فتح التعليقات"),
    ("published", "Published comments", "التعليقات المنشورة"),
    ("published_count", "Published", "المنشورة"),
    ("shown_of_them", "shown to readers:", "يراها القراء:"),
    ("state", "Comments", "التعليقات"),
    ("open", "open", "مفتوحة"),
    ("closed", "closed", "مغلقة"),
    ("search", "Search text or author", "ابحث في النص أو الكاتب"),
    ("search_button", "Search", "ابحث"),
    ("no_comments", "No published comment matches.", "لا تعليق منشور مطابق."),
    ("no_articles", "No article yet.", "لا مقالات بعد."),
    ("thread", "Page by its address", "صفحة بعنوانها"),
    ("hidden_article", "Hidden from readers", "مخفية عن القرّاء"),
    (
        "hidden_article_note",
        "Readers do not see this article (deleted in its CMS, or hidden): its comments are kept, and can still be moderated here.",
        "لا يرى القرّاء هذا المقال (حُذف من نظام إدارة المحتوى أو أُخفي): تعليقاته محفوظة، ويمكن الإشراف عليها هنا.",
    ),
    ("no_audit", "Nothing was done yet.", "لم يُنفذ أي إجراء بعد."),
    ("who", "Moderator", "المشرف"),
    ("action", "Action", "الإجراء"),
    ("comment", "Comment", "التعليق"),
    ("act_approve", "approved", "نشر"),
    ("act_reject", "rejected", "رفض"),
    ("act_delete", "deleted", "حذف"),
    (
        "act_forget",
        "erased a reader's comments (by their address)",
        "محا تعليقات قارئ (بعنوانه)",
    ),
    ("act_open", "reopened comments", "أعاد فتح التعليقات"),
    ("act_close", "closed comments", "أغلق التعليقات"),
    ("act_sign_in", "signed in", "سجل الدخول"),
    ("act_sign_out", "signed out", "سجل الخروج"),
    ("view", "view", "عرض"),
    // Signed links from e-mail (`links.rs`, `link_pages.rs`).
    ("act_approve_link", "approved by e-mail link", "نشر برابط البريد"),
    ("act_reject_link", "rejected by e-mail link", "رفض برابط البريد"),
    (
        "act_rotate_link_key",
        "made a new key for e-mail links (older links no longer work)",
        "أنشأ مفتاحًا جديدًا لروابط البريد (لم تعد الروابط الأقدم تعمل)",
    ),
    ("link_approve_title", "Approve this comment?", "نشر هذا التعليق؟"),
    ("link_reject_title", "Reject this comment?", "رفض هذا التعليق؟"),
    ("link_approve_button", "Approve", "نشر"),
    ("link_reject_button", "Reject", "رفض"),
    ("link_on", "On", "على"),
    ("link_done_approve", "The comment is published.", "نُشر التعليق."),
    ("link_done_reject", "The comment is rejected.", "رُفض التعليق."),
    (
        "link_decided",
        "This comment was already moderated; the link does nothing now.",
        "سبقت مراجعة هذا التعليق؛ لم يعد للرابط أثر.",
    ),
    (
        "link_invalid",
        "This link is not valid. Use the queue instead.",
        "هذا الرابط غير صالح. استخدم قائمة الانتظار بدلًا منه.",
    ),
    (
        "link_expired",
        "This link has expired. Use the queue instead.",
        "انتهت صلاحية هذا الرابط. استخدم قائمة الانتظار بدلًا منه.",
    ),
    ("link_gone", "This comment no longer exists.", "لم يعد هذا التعليق موجودًا."),
    ("to_queue", "Open the queue", "افتح قائمة الانتظار"),
    // Moderator e-mail (`crate::notify`).
    ("mail_one_subject", "Comment waiting on", "تعليق ينتظر المراجعة على"),
    ("mail_many_subject", "Comments waiting for review:", "تعليقات تنتظر المراجعة:"),
    ("mail_approve", "Approve:", "نشر:"),
    ("mail_reject", "Reject:", "رفض:"),
    (
        "mail_links_note",
        "Each link opens a page with one button, and works once, until",
        "يفتح كل رابط صفحة فيها زر واحد، ويعمل مرة واحدة، حتى",
    ),
    ("mail_queue", "Every waiting comment:", "كل التعليقات المنتظرة:"),
    ("webhooks", "Webhooks", "الخطافات"),
    ("event", "Event", "الحدث"),
    ("url", "URL", "العنوان"),
    ("attempts", "Attempts", "المحاولات"),
    ("status", "Status", "الحالة"),
    ("last_error", "Last error", "آخر خطأ"),
    ("delivered", "delivered", "سُلّم"),
    ("retrying", "retrying at", "إعادة المحاولة في"),
    ("waiting", "waiting", "في الانتظار"),
    ("failed", "failed", "فشل"),
    ("retry_now", "Retry now", "أعد المحاولة الآن"),
    (
        "no_webhooks",
        "No webhook delivery yet. Deliveries appear here when serve runs with --webhook URL.",
        "لا إرسال بعد. تظهر الإرسالات هنا حين يعمل الخادم مع ‎--webhook URL.",
    ),
    (
        "webhooks_intro",
        "The newest deliveries of comment events to the --webhook URLs. A failed delivery has used all its attempts (--webhook-attempts); retrying it starts a new series.",
        "أحدث إرسالات أحداث التعليقات إلى عناوين ‎--webhook. الإرسال الفاشل استنفد كل محاولاته (‎--webhook-attempts)، وإعادة المحاولة تبدأ سلسلة جديدة.",
    ),
    ("act_retry_webhook", "retried a webhook delivery", "أعاد محاولة إرسال خطاف"),
];

/// A piece of an audit line's detail as the page shows it: words in the
/// page's language, or data (an address, an event) set left to right.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DetailPart {
    /// Words, in the page's language.
    pub text: Option<String>,
    /// Data, shown as code, left to right.
    pub code: Option<String>,
}

/// Arabic's plural forms for `n` (CLDR: one, two, few, many, other).
fn arabic_count(n: u64, forms: [&str; 5]) -> String {
    let [one, two, few, many, other] = forms;
    let form = match (n, n % 100) {
        (1, _) => one,
        (2, _) => two,
        (_, 3..=10) => few,
        (_, 11..=99) => many,
        _ => other,
    };
    form.replace("{n}", &n.to_string())
}

impl Lang {
    /// An audit line's detail in this language.
    pub fn detail(self, detail: &crate::audit::Detail) -> Vec<DetailPart> {
        use crate::audit::Detail;
        let text = |t: String| DetailPart {
            text: Some(t),
            code: None,
        };
        let code = |c: &str| DetailPart {
            text: None,
            code: Some(c.to_owned()),
        };
        let en = self == Lang::En;
        match detail {
            Detail::Replies(_) if en => vec![text(detail.stored())],
            Detail::Replies(n) => vec![text(arabic_count(
                *n,
                [
                    "ومعه ردّ واحد",
                    "ومعه ردّان",
                    "ومعه {n} ردود",
                    "ومعه {n} ردًّا",
                    "ومعه {n} ردّ",
                ],
            ))],
            Detail::Erased(1) if en => vec![text("1 comment".to_owned())],
            Detail::Erased(n) if en => vec![text(format!("{n} comments"))],
            Detail::Erased(n) => vec![text(arabic_count(
                *n,
                [
                    "تعليق واحد",
                    "تعليقان",
                    "{n} تعليقات",
                    "{n} تعليقًا",
                    "{n} تعليق",
                ],
            ))],
            Detail::Delivery { id, event, url } => vec![
                text(if en {
                    format!("delivery {id}:")
                } else {
                    format!("التسليم {id}:")
                }),
                code(event),
                text(self.text("detail_to").to_owned()),
                code(url),
            ],
            Detail::Value(value) => vec![code(value)],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(accept: &str, cookie: Option<&str>) -> Lang {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_str(accept).expect("header"),
        );
        if let Some(c) = cookie {
            h.insert(header::COOKIE, HeaderValue::from_str(c).expect("header"));
        }
        Lang::of_request(&h)
    }

    #[test]
    fn the_cookie_wins_then_the_weights() {
        assert_eq!(with("en-GB,en;q=0.9", None), Lang::En);
        assert_eq!(with("fr, ar;q=0.5, en;q=0.4", None), Lang::Ar);
        assert_eq!(with("de", None), Lang::Ar);
        assert_eq!(with("ar;q=0.2, en-US", None), Lang::En);
        assert_eq!(with("en", Some("x=1; khabar_admin_lang=ar")), Lang::Ar);
    }

    #[test]
    fn both_languages_have_every_text() {
        for (key, en, ar) in TEXTS {
            assert!(!en.is_empty() && !ar.is_empty(), "{key}");
        }
    }

    #[test]
    fn audit_details_are_shown_in_the_pages_language() {
        use crate::audit::Detail;
        let words = |lang: Lang, d: Detail| -> Vec<String> {
            lang.detail(&d)
                .into_iter()
                .map(|p| p.text.or(p.code).unwrap_or_default())
                .collect()
        };
        let ar = |n| words(Lang::Ar, Detail::Erased(n)).join(" ");
        assert_eq!(ar(1), "تعليق واحد");
        assert_eq!(ar(2), "تعليقان");
        assert_eq!(ar(7), "7 تعليقات");
        assert_eq!(ar(12), "12 تعليقًا");
        assert_eq!(ar(100), "100 تعليق");
        assert_eq!(ar(103), "103 تعليقات");
        assert_eq!(words(Lang::En, Detail::Erased(1)), ["1 comment"]);
        assert_eq!(words(Lang::En, Detail::Replies(3)), ["and its 3 replies"]);
        let delivery = Detail::Delivery {
            id: 9,
            event: "comment.published".into(),
            url: "https://hooks.example/k".into(),
        };
        assert_eq!(
            words(Lang::Ar, delivery),
            [
                "التسليم 9:",
                "comment.published",
                "إلى",
                "https://hooks.example/k"
            ]
        );
    }
}
