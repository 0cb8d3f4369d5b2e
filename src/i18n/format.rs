//! Dates and counts through the loader's `js/dates.js` (the browser's
//! `Intl`, with every choice made explicitly).
//!
//! Locale, numbering system, calendar and time zone are always passed, so
//! the same article reads the same on every reader's machine except for the
//! zone the host asked for (or the reader's own, when it asked for none).

use wasm_bindgen::JsValue;

use super::{Calendar, Digits, Lang};
use crate::host;
pub use crate::host::TimeWriter;

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

/// A writer of datelines ("weekday, day month year, time"). An unknown time
/// zone falls back to UTC with a console warning rather than failing the
/// whole widget.
pub fn dateline(settings: &DateSettings) -> Result<TimeWriter, JsValue> {
    host::get().ok_or_else(no_host)?.dateline(
        settings.lang.tag(),
        settings.digits.as_str(),
        settings.calendar.as_str(),
        settings.time_zone.as_deref(),
    )
}

/// A writer of "5 minutes ago" / "قبل ٥ دقائق", relative to now.
pub fn relative(settings: &DateSettings) -> Result<TimeWriter, JsValue> {
    host::get()
        .ok_or_else(no_host)?
        .relative(settings.lang.tag(), settings.digits.as_str())
}

/// Writes a count with the widget's digits ("١٢", "12", "۱۲").
pub fn count(settings: &DateSettings, n: u32) -> String {
    match host::get() {
        Some(host) => host.count(settings.digits.as_str(), n),
        None => n.to_string(),
    }
}
