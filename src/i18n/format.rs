//! Dates through the browser's `Intl`, with every choice made explicitly.
//!
//! Locale, numbering system, calendar and time zone are always passed, so
//! the same article reads the same on every reader's machine except for the
//! zone the host asked for (or the reader's own, when it asked for none).

use js_sys::{Date, Intl, Object, Reflect};
use wasm_bindgen::prelude::*;

use super::{Calendar, Digits, Lang};

#[wasm_bindgen]
extern "C" {
    // `Intl.DateTimeFormat` throws a RangeError on an unknown time zone;
    // binding it with `catch` turns that into a value instead of a trap.
    #[wasm_bindgen(catch, js_namespace = Intl, js_name = DateTimeFormat)]
    fn date_time_format(
        locales: &JsValue,
        options: &Object,
    ) -> Result<Intl::DateTimeFormat, JsValue>;
}

/// How dates are written for one widget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateSettings {
    /// Language of the user interface.
    pub lang: Lang,
    /// Digits to use.
    pub digits: Digits,
    /// Calendar to use.
    pub calendar: Calendar,
    /// IANA time zone; `None` means the reader's own zone.
    pub time_zone: Option<String>,
}

/// A ready-to-use formatter for datelines ("weekday, day month year, time").
pub struct DatelineFormat {
    inner: Intl::DateTimeFormat,
}

fn set(obj: &Object, key: &str, value: &str) {
    // Setting a property on a fresh plain object cannot fail.
    crate::plain::set_field(obj, key, &JsValue::from_str(value));
}

thread_local! {
    /// The reader's time zone, asked once per page.
    static READER_ZONE: std::cell::OnceCell<String> = const { std::cell::OnceCell::new() };
}

/// Whether [`reader_time_zone`] has been asked on this page already.
pub fn knows_reader_time_zone() -> bool {
    READER_ZONE.with(|zone| zone.get().is_some())
}

/// The reader's own IANA time zone as the browser reports it.
pub fn reader_time_zone() -> String {
    READER_ZONE.with(|zone| {
        zone.get_or_init(|| {
            let dtf = date_time_format(&JsValue::UNDEFINED, &Object::new());
            dtf.ok()
                .and_then(|f| {
                    Reflect::get(&f.resolved_options(), &JsValue::from_str("timeZone")).ok()
                })
                .and_then(|z| z.as_string())
                .unwrap_or_else(|| "UTC".to_owned())
        })
        .clone()
    })
}

impl DatelineFormat {
    /// Builds the formatter; an unknown time zone falls back to UTC with a
    /// console warning rather than failing the whole widget.
    pub fn new(settings: &DateSettings) -> Result<DatelineFormat, JsValue> {
        let zone = settings.time_zone.clone().unwrap_or_else(reader_time_zone);
        let options = |zone: &str| {
            let o = Object::new();
            set(&o, "weekday", "long");
            set(&o, "year", "numeric");
            set(&o, "month", "long");
            set(&o, "day", "numeric");
            set(&o, "hour", "numeric");
            set(&o, "minute", "2-digit");
            set(&o, "numberingSystem", settings.digits.as_str());
            set(&o, "calendar", settings.calendar.as_str());
            set(&o, "timeZone", zone);
            o
        };
        let locale = JsValue::from_str(settings.lang.tag());
        match date_time_format(&locale, &options(&zone)) {
            Ok(inner) => Ok(DatelineFormat { inner }),
            Err(_) => {
                web_sys::console::warn_1(&JsValue::from_str(&format!(
                    "khabar: unknown time zone \"{zone}\", using UTC"
                )));
                date_time_format(&locale, &options("UTC")).map(|inner| DatelineFormat { inner })
            }
        }
    }

    /// Formats an RFC 3339 timestamp; `None` when it is not a valid time.
    pub fn format(&self, rfc3339: &str) -> Option<String> {
        let date = parse_time(rfc3339)?;
        self.inner
            .format()
            .call1(&self.inner, &date)
            .ok()
            .and_then(|s| s.as_string())
    }
}

/// Parses an RFC 3339 timestamp with the browser's `Date`.
pub fn parse_time(rfc3339: &str) -> Option<Date> {
    let date = Date::new(&JsValue::from_str(rfc3339));
    if date.get_time().is_nan() {
        None
    } else {
        Some(date)
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Intl, js_name = RelativeTimeFormat)]
    type IntlRelativeTimeFormat;

    #[wasm_bindgen(constructor, catch, js_namespace = Intl, js_class = "RelativeTimeFormat")]
    fn new(locales: &JsValue, options: &Object) -> Result<IntlRelativeTimeFormat, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn format(this: &IntlRelativeTimeFormat, value: f64, unit: &str) -> Result<JsValue, JsValue>;
}

/// Picks the unit a reader expects for something `seconds` ago, and the
/// (negative, whole) amount of it: 90 s → (-1, "minute"), 3 h → (-3, "hour").
/// Times in the future (clock skew) count as now.
pub fn relative_parts(seconds: f64) -> (f64, &'static str) {
    const MINUTE: f64 = 60.0;
    const HOUR: f64 = 60.0 * MINUTE;
    const DAY: f64 = 24.0 * HOUR;
    let s = if seconds.is_finite() {
        seconds.max(0.0)
    } else {
        0.0
    };
    let (size, unit) = if s < MINUTE {
        (1.0, "second")
    } else if s < HOUR {
        (MINUTE, "minute")
    } else if s < DAY {
        (HOUR, "hour")
    } else if s < 7.0 * DAY {
        (DAY, "day")
    } else if s < 30.0 * DAY {
        (7.0 * DAY, "week")
    } else if s < 365.0 * DAY {
        (30.0 * DAY, "month")
    } else {
        (365.0 * DAY, "year")
    };
    (-(s / size).floor(), unit)
}

/// "5 minutes ago" / "منذ ٥ دقائق", through `Intl.RelativeTimeFormat`.
pub struct RelativeFormat {
    inner: IntlRelativeTimeFormat,
    now_ms: f64,
}

impl RelativeFormat {
    /// A formatter relative to the current time.
    pub fn new(settings: &DateSettings) -> Result<RelativeFormat, JsValue> {
        let o = Object::new();
        set(&o, "numeric", "auto");
        set(&o, "style", "long");
        set(&o, "numberingSystem", settings.digits.as_str());
        let inner = IntlRelativeTimeFormat::new(&JsValue::from_str(settings.lang.tag()), &o)?;
        Ok(RelativeFormat {
            inner,
            now_ms: Date::now(),
        })
    }

    /// How long ago `rfc3339` was; `None` when it is not a valid time.
    pub fn format(&self, rfc3339: &str) -> Option<String> {
        let then = parse_time(rfc3339)?.get_time();
        let (value, unit) = relative_parts((self.now_ms - then) / 1000.0);
        self.inner.format(value, unit).ok()?.as_string()
    }
}

#[cfg(test)]
mod tests {
    use super::relative_parts;

    #[test]
    fn units_follow_the_distance() {
        assert_eq!(relative_parts(0.0), (0.0, "second"));
        assert_eq!(relative_parts(59.0), (-59.0, "second"));
        assert_eq!(relative_parts(90.0), (-1.0, "minute"));
        assert_eq!(relative_parts(5.0 * 60.0 + 30.0), (-5.0, "minute"));
        assert_eq!(relative_parts(3.0 * 3600.0), (-3.0, "hour"));
        assert_eq!(relative_parts(26.0 * 3600.0), (-1.0, "day"));
        assert_eq!(relative_parts(8.0 * 86400.0), (-1.0, "week"));
        assert_eq!(relative_parts(40.0 * 86400.0), (-1.0, "month"));
        assert_eq!(relative_parts(800.0 * 86400.0), (-2.0, "year"));
        assert_eq!(relative_parts(-500.0), (0.0, "second"), "future is now");
        assert_eq!(relative_parts(f64::NAN), (0.0, "second"));
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = Intl, js_name = NumberFormat)]
    fn number_format(locales: &JsValue, options: &Object) -> Result<Intl::NumberFormat, JsValue>;
}

/// Writes a count with the widget's digits ("١٢", "12", "۱۲").
pub fn count(settings: &DateSettings, n: u32) -> String {
    let o = Object::new();
    set(&o, "numberingSystem", settings.digits.as_str());
    crate::plain::set_field(&o, "useGrouping", &JsValue::FALSE);
    number_format(&JsValue::from_str(settings.lang.tag()), &o)
        .ok()
        .and_then(|f| f.format().call1(&f, &JsValue::from(n)).ok())
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| n.to_string())
}
