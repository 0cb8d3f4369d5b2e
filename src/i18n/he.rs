//! Hebrew strings.

use super::Catalog;

/// The Hebrew catalog.
pub static CATALOG: Catalog = Catalog {
    loading: "הכתבה נטענת…",
    published: "פורסם",
    updated: "עודכן",
    source: "מקור",
    by: "מאת",
    retry: "לנסות שוב",
    reload: "לטעון מחדש את הדף",
    latest: "חדשות אחרונות",
    more: "עוד כתבות",
    no_items: "אין כרגע כתבות להצגה.",
    error_not_found: "לא מצאנו את הכתבה הזו. ייתכן שהועברה או נמחקה.",
    error_network: "אין חיבור לשרת החדשות. בדקו את החיבור ונסו שוב.",
    error_timeout: "שרת החדשות מתעכב בתשובה. נסו שוב בעוד רגע.",
    error_server: "אירעה תקלה בשרת החדשות. נסו שוב בעוד רגע.",
    error_bad_response: "שרת החדשות שלח נתונים שלא ניתן להציג.",
    error_config: "הגדרות ההטמעה של הרכיב חסרות או שגויות.",
    error_crash: "אירעה תקלה בלתי צפויה בהצגת הכתבה.",
};
