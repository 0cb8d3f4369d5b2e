//! Arabic strings.

use super::Catalog;

/// The Arabic catalog.
pub static CATALOG: Catalog = Catalog {
    loading: "جارٍ تحميل الخبر…",
    published: "نُشر في",
    updated: "آخر تحديث",
    source: "المصدر",
    by: "بقلم",
    retry: "أعد المحاولة",
    reload: "أعد تحميل الصفحة",
    latest: "آخر الأخبار",
    more: "المزيد من الأخبار",
    no_items: "لا توجد أخبار لعرضها الآن.",
    error_not_found: "لم نعثر على هذا الخبر. ربما نُقل أو حُذف.",
    error_network: "تعذّر الاتصال بخادم الأخبار. تحقّق من اتصالك ثم أعد المحاولة.",
    error_timeout: "تأخّر خادم الأخبار في الرد. أعد المحاولة بعد قليل.",
    error_server: "واجه خادم الأخبار مشكلة. أعد المحاولة بعد قليل.",
    error_bad_response: "وصلتنا من خادم الأخبار بيانات لا يمكن عرضها.",
    error_config: "إعدادات هذه الأداة ناقصة أو غير صحيحة.",
    error_crash: "حدث خلل غير متوقع في عرض الخبر.",
};
