//! Persian strings.

use super::Catalog;

/// The Persian catalog.
pub static CATALOG: Catalog = Catalog {
    loading: "در حال بارگیری خبر…",
    published: "منتشر شده در",
    updated: "به‌روزرسانی",
    source: "منبع",
    by: "نوشته‌ی",
    retry: "تلاش دوباره",
    reload: "بارگیری دوباره‌ی صفحه",
    latest: "آخرین خبرها",
    more: "خبرهای بیشتر",
    no_items: "فعلاً خبری برای نمایش نیست.",
    error_not_found: "این خبر پیدا نشد. شاید جابه‌جا یا حذف شده باشد.",
    error_network: "اتصال به سرور خبر ممکن نشد. اتصال خود را بررسی کنید و دوباره تلاش کنید.",
    error_timeout: "پاسخ سرور خبر بیش از حد طول کشید. کمی بعد دوباره تلاش کنید.",
    error_server: "سرور خبر با مشکل روبه‌رو شد. کمی بعد دوباره تلاش کنید.",
    error_bad_response: "سرور خبر داده‌ای فرستاد که نمی‌توان نمایش داد.",
    error_config: "تنظیمات این ابزار ناقص یا نادرست است.",
    error_crash: "هنگام نمایش این خبر خطای غیرمنتظره‌ای رخ داد.",
};
