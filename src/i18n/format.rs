//! Dates and counts through the loader's `js/dates.js` (the browser's
//! `Intl`, with every choice made explicitly).
//!
//! Locale, numbering system, calendar and time zone are always passed, so
//! the same article reads the same on every reader's machine except for the
//! zone the host asked for (or the reader's own, when it asked for none).

use wasm_bindgen::JsValue;

use super::{Calendar, Digits, Lang};
use crate::host::{self, TimeWriter};

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

fn no_host() -> JsValue {
    JsValue::from_str("the loader's date formatting")
}

/// A ready-to-use formatter for datelines ("weekday, day month year, time").
pub struct DatelineFormat(TimeWriter);

impl DatelineFormat {
    /// Builds the formatter; an unknown time zone falls back to UTC with a
    /// console warning rather than failing the whole widget.
    pub fn new(settings: &DateSettings) -> Result<DatelineFormat, JsValue> {
        host::get()
            .ok_or_else(no_host)?
            .dateline(
                settings.lang.tag(),
                settings.digits.as_str(),
                settings.calendar.as_str(),
                settings.time_zone.as_deref(),
            )
            .map(DatelineFormat)
    }

    /// Formats an RFC 3339 timestamp; `None` when it is not a valid time.
    pub fn format(&self, rfc3339: &str) -> Option<String> {
        self.0.write(&JsValue::NULL, rfc3339)
    }
}

/// "5 minutes ago" / "قبل ٥ دقائق", through `Intl.RelativeTimeFormat`.
pub struct RelativeFormat(TimeWriter);

impl RelativeFormat {
    /// A formatter relative to the current time.
    pub fn new(settings: &DateSettings) -> Result<RelativeFormat, JsValue> {
        host::get()
            .ok_or_else(no_host)?
            .relative(settings.lang.tag(), settings.digits.as_str())
            .map(RelativeFormat)
    }

    /// How long ago `rfc3339` was; `None` when it is not a valid time.
    pub fn format(&self, rfc3339: &str) -> Option<String> {
        self.0.write(&JsValue::NULL, rfc3339)
    }
}

/// Writes a count with the widget's digits ("١٢", "12", "۱۲").
pub fn count(settings: &DateSettings, n: u32) -> String {
    match host::get() {
        Some(host) => host.count(settings.lang.tag(), settings.digits.as_str(), n),
        None => n.to_string(),
    }
}
