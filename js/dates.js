// Dates and counts as the widget writes them, through the browser's Intl.
// Both wasm modules write dates (the article's dateline, the lists' and the
// comments' "5 minutes ago"); these are calls into the browser, so they are
// written once here, in the loader, instead of compiled into each module
// (src/i18n/format.rs is the Rust half). Locale, digits, calendar and time
// zone are always passed: an article reads the same on every reader's
// machine but for the zone, which is the reader's own when the host page
// names none.

/**
 * A writer of datelines ("weekday, day month year, time"): a function of an
 * RFC 3339 time that returns its text, or undefined when it is not a time.
 * An unknown time zone writes in UTC, with a warning, rather than failing
 * the widget.
 */
export function dateline(lang, digits, calendar, zone) {
  const options = {
    weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric',
    minute: '2-digit', numberingSystem: digits, calendar,
  };
  let format;
  try {
    format = new Intl.DateTimeFormat(lang, { ...options, timeZone: zone });
  } catch {
    console.warn(`khabar: unknown time zone "${zone}", using UTC`);
    format = new Intl.DateTimeFormat(lang, { ...options, timeZone: 'UTC' });
  }
  return writer((date) => format.format(date));
}

/**
 * A function of an RFC 3339 time that returns `text(date)`, or undefined
 * when it is not a time or Intl refuses it: the wasm calls it without a
 * catch, and a throw through it would leave the module's state mid-call.
 */
function writer(text) {
  return (time) => {
    const date = new Date(time);
    if (isNaN(date)) return undefined;
    try {
      return text(date);
    } catch {
      return undefined;
    }
  };
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
// Up to (exclusive) how many seconds ago each unit is used, and its size.
const UNITS = [
  [MINUTE, 1, 'second'], [HOUR, MINUTE, 'minute'], [DAY, HOUR, 'hour'],
  [7 * DAY, DAY, 'day'], [30 * DAY, 7 * DAY, 'week'], [365 * DAY, 30 * DAY, 'month'],
  [Infinity, 365 * DAY, 'year'],
];

/**
 * The unit a reader expects for something `seconds` ago and the (negative,
 * whole) amount of it: 90 → [-1, 'minute'], 3 h → [-3, 'hour']. A time in
 * the future (clock skew) is now.
 */
export function relativeParts(seconds) {
  const s = Number.isFinite(seconds) ? Math.max(seconds, 0) : 0;
  const [, size, unit] = UNITS.find(([below]) => s < below);
  return [-Math.floor(s / size) || 0, unit];
}

/**
 * A writer of "5 minutes ago" / "قبل ٥ دقائق", relative to when it was
 * made: a function of an RFC 3339 time, undefined when it is not a time.
 */
export function relative(lang, digits) {
  const format = new Intl.RelativeTimeFormat(lang, { numeric: 'auto', style: 'long', numberingSystem: digits });
  const now = Date.now();
  return writer((date) => format.format(...relativeParts((now - date) / 1000)));
}

/** A count in the widget's digits ("١٢", "12", "۱۲"), without grouping. */
export function count(lang, digits, n) {
  try {
    return new Intl.NumberFormat(lang, { numberingSystem: digits, useGrouping: false }).format(n);
  } catch {
    return String(n);
  }
}
