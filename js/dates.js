// Dates and counts as the widget writes them. Both wasm modules write dates
// (the article's dateline, a comment's exact time, the lists' and the
// comments' "5 minutes ago"), so they are written once here, in the loader,
// instead of compiled into each module (src/i18n/format.rs is the Rust
// half). A page's first Intl object costs 20–50 ms of set-up on a small
// machine (bench/README.md), which every widget would pay before its first
// render; so the common case uses none. "5 minutes ago", counts and a
// Gregorian dateline in the reader's own time zone are written from the
// catalog (`ago_*` and `date_*` in src/i18n/<tag>.json): the words are
// there, the plural rules, the digits and the fields of the date here
// (`Date`'s local fields need no Intl). A dateline in another calendar or
// in a zone the host page names goes through Intl, with locale, digits,
// calendar and time zone always passed, so that an article reads the same
// on every reader's machine.

/**
 * A writer of datelines ("weekday, day month year, time"): a function of an
 * RFC 3339 time that returns its text, or undefined when it is not a time.
 * Gregorian in the reader's zone comes from `catalog` (the language's
 * catalog object) when it is given; else Intl. An unknown time zone writes
 * in UTC, with a warning, rather than failing the widget.
 */
export function dateline(lang, digits, calendar, zone, catalog) {
  if (calendar === 'gregory' && zone == null && catalog?.date_pattern) return localDateline(catalog, digits);
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
 * when it is not a time or `text` throws (Intl refusing it, a host page's
 * broken built-ins): the wasm calls it without a catch, and a throw through
 * it would leave the module's state mid-call.
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
 * The unit a reader expects for something `seconds` ago and the whole
 * amount of it: 90 → [1, 'minute'], 3 h → [3, 'hour']. A time in the
 * future (a clock behind the server's) is now.
 */
export function relativeParts(seconds) {
  const s = Number.isFinite(seconds) ? Math.max(seconds, 0) : 0;
  const [, size, unit] = UNITS.find(([below]) => s < below);
  return [Math.floor(s / size), unit];
}

// CLDR's cardinal plural categories of whole numbers, by language (Urdu's
// is English's).
const PLURALS = {
  ar: (n) => (n < 3 ? ['zero', 'one', 'two'][n] : n % 100 > 10 ? 'many' : n % 100 > 2 ? 'few' : 'other'),
  he: (n) => (n === 1 ? 'one' : n === 2 ? 'two' : 'other'),
  fa: (n) => (n < 2 ? 'one' : 'other'),
  fr: (n) => (n < 2 ? 'one' : n % 1e6 ? 'other' : 'many'),
  en: (n) => (n === 1 ? 'one' : 'other'),
};

/** The plural category of whole number `n` in `lang` (English's rule for a language without one). */
export const plural = (lang, n) => (PLURALS[lang] ?? PLURALS.en)(n);

/**
 * The form of a catalog message for `n`: the form selected `=n` if there is
 * one, else the form of `n`'s plural category, else `other`; undefined when
 * none fits. A message is forms separated by `|`, each a selector and its
 * text: "=1 yesterday|other # days ago".
 */
export function select(message, n, category) {
  let found;
  for (const form of String(message).split('|')) {
    const space = form.indexOf(' ');
    if (space < 0) continue;
    const selector = form.slice(0, space);
    if (selector === `=${n}`) return form.slice(space + 1);
    if (selector === category || (selector === 'other' && found === undefined)) found = form.slice(space + 1);
  }
  return found;
}

// The relative times on the page, kept current: a page left open would
// otherwise say "5 minutes ago" for an hour. Each is written again every
// minute, while there is one, and while it is in the document: one taken
// out for a while (a framework keeping a view aside) is written again once
// it is back. Held weakly, so that a destroyed widget's elements go at once.
const live = new Set(); // [WeakRef of an element, its text at a time (ms)]
let timer;

function rewrite() {
  const now = Date.now();
  live.forEach((entry) => {
    const el = entry[0].deref();
    if (!el) return live.delete(entry);
    if (!el.isConnected) return;
    const written = entry[1](now) ?? '';
    if (el.textContent !== written) el.textContent = written;
  });
  if (!live.size) timer = clearInterval(timer);
}

/**
 * A writer of "5 minutes ago" / "قبل ٥ دقائق" in the words of `catalog`
 * (the language's catalog object), relative to when it was made: a
 * function of an RFC 3339 time, undefined when it is not a time or the
 * catalog has no form for it. Given an element too, it writes the text
 * into it and keeps it current while the element is in the document.
 */
export function relative(catalog, lang, digits) {
  // The writer of the texts as they read at `now` (ms).
  const at = (now) => writer((date) => {
    const [n, unit] = relativeParts((now - date) / 1000);
    return select(catalog?.[`ago_${unit}`], n, plural(lang, n))?.replaceAll('#', count(digits, n));
  });
  const write = at(Date.now());
  return (time, el) => {
    const written = write(time);
    if (el && written !== undefined) {
      live.add([new WeakRef(el), (now) => at(now)(time)]);
      timer ??= setInterval(rewrite, 60_000);
      el.textContent = written;
    }
    return written;
  };
}

/** A count in the widget's digits ("١٢", "12", "۱۲"), without grouping. */
export function count(digits, n) {
  const zero = { arab: 0x660, arabext: 0x6f0 }[digits];
  return zero ? String(n).replace(/\d/g, (d) => String.fromCharCode(zero + +d)) : String(n);
}

/**
 * A Gregorian dateline in the reader's time zone in the words of `catalog`:
 * its `date_pattern` with `{w}` the weekday, `{d}` the day, `{m}` the month,
 * `{y}` the year, `{H}` the hour (0–23), `{h}` the hour (1–12), `{mm}` the
 * minutes and `{a}` the half of the day (`date_am_pm`).
 */
export function localDateline(catalog, digits) {
  const [months, weekdays, halves] = ['months', 'weekdays', 'am_pm'].map((k) => String(catalog[`date_${k}`]).split('|'));
  return writer((date) => {
    const hour = date.getHours();
    const n = (value) => count(digits, value);
    const fields = {
      w: weekdays[date.getDay()], d: n(date.getDate()), m: months[date.getMonth()], y: n(date.getFullYear()),
      H: n(hour), h: n(hour % 12 || 12), mm: n(String(date.getMinutes()).padStart(2, '0')), a: halves[hour < 12 ? 0 : 1],
    };
    return catalog.date_pattern.replace(/\{(\w+)\}/g, (field, name) => fields[name] ?? field);
  });
}
