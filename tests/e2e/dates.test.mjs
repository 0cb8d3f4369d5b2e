// The loader's date functions (js/dates.js), which both wasm modules write
// every date and count through. Plain JavaScript, so these run in Node's V8
// and ICU, the same engine as Chromium's; the widget's datelines in every
// language are checked in Chrome and Firefox by tests/browser/articles.rs,
// the plural rules against each browser's by tests/browser/i18n.rs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';

import { count, dateline, localDateline, plural, relative, relativeParts, select } from '../../js/dates.js';

const LANGS = ['ar', 'fa', 'ur', 'he', 'en', 'fr'];
const catalog = (lang) => JSON.parse(readFileSync(new URL(`../../src/i18n/${lang}.json`, import.meta.url), 'utf8'));
const ago = (seconds) => new Date(Date.now() - seconds * 1000).toISOString();

test('relative times pick the unit a reader expects', () => {
  const cases = [
    [0, [0, 'second']], [59, [59, 'second']], [90, [1, 'minute']], [330, [5, 'minute']],
    [3 * 3600, [3, 'hour']], [26 * 3600, [1, 'day']], [8 * 86400, [1, 'week']],
    [40 * 86400, [1, 'month']], [800 * 86400, [2, 'year']],
    [-500, [0, 'second']], // the future (clock skew) is now
    [NaN, [0, 'second']], [Infinity, [0, 'second']],
  ];
  for (const [seconds, parts] of cases) assert.deepEqual(relativeParts(seconds), parts, `${seconds} s`);
});

test('a relative time is written in the catalog\'s words, plural forms and digits', (t) => {
  // One clock for the writer and the times it is given: an hour "ago"
  // read a millisecond later is 59 minutes (it made this test flaky).
  t.mock.timers.enable({ apis: ['Date'], now: Date.parse('2026-12-01T12:00:00Z') });
  const ar = (seconds, digits = 'arab') => relative(catalog('ar'), 'ar', digits)(ago(seconds));
  assert.equal(ar(5 * 60 + 10), 'قبل ٥ دقائق');
  assert.equal(ar(5 * 60 + 10, 'latn'), 'قبل 5 دقائق');
  assert.equal(ar(0), 'الآن');
  assert.equal(ar(60), 'قبل دقيقة');
  assert.equal(ar(120), 'قبل دقيقتين');
  assert.equal(ar(11 * 3600), 'قبل ١١ ساعة');
  assert.equal(ar(86400), 'أمس');
  assert.equal(ar(2 * 86400), 'أول أمس');
  assert.equal(ar(3 * 86400), 'قبل ٣ أيام');
  assert.equal(ar(11 * 365 * 86400), 'قبل ١١ عاماً');
  assert.equal(ar(100 * 365 * 86400), 'قبل ١٠٠ عام');
  const say = (lang, digits, seconds) => relative(catalog(lang), lang, digits)(ago(seconds));
  assert.equal(say('en', 'latn', 5 * 60 + 10), '5 minutes ago');
  assert.equal(say('en', 'latn', 3600), '1 hour ago');
  assert.equal(say('en', 'latn', -30), 'just now', 'a time ahead of the clock is now');
  assert.equal(say('fa', 'arabext', 12 * 60), '۱۲ دقیقه پیش');
  assert.equal(say('he', 'latn', 2 * 3600), 'לפני שעתיים');
  assert.equal(say('fr', 'latn', 2 * 86400), 'avant-hier');
  assert.equal(say('ur', 'latn', 5 * 3600), '5 گھنٹے پہلے');
  assert.equal(relative(catalog('en'), 'en', 'latn')('yesterday-ish'), undefined, 'not a time');
  assert.equal(relative(undefined, 'en', 'latn')(ago(60)), undefined, 'no catalog yet');
});

test('a relative time written into an element stays current while the element is in the document, and again once it is back', (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'], now: Date.parse('2026-12-01T12:00:00Z') });
  const write = relative(catalog('en'), 'en', 'latn');
  const kept = { isConnected: true, textContent: '' };
  const gone = { isConnected: true, textContent: '' };
  assert.equal(write('2026-12-01T11:55:00Z', kept), '5 minutes ago');
  assert.equal(kept.textContent, '5 minutes ago');
  write('2026-12-01T11:59:30Z', gone);
  assert.equal(gone.textContent, '30 seconds ago');
  t.mock.timers.tick(60_000);
  assert.deepEqual([kept.textContent, gone.textContent], ['6 minutes ago', '1 minute ago']);
  // Out of the document (a view kept aside): not written; back, it is
  // written again. (An element the page let go is let go with it: held
  // weakly.)
  gone.isConnected = false;
  t.mock.timers.tick(60 * 60_000);
  assert.deepEqual([kept.textContent, gone.textContent], ['1 hour ago', '1 minute ago']);
  gone.isConnected = true;
  t.mock.timers.tick(2 * 60 * 60_000);
  assert.deepEqual([kept.textContent, gone.textContent], ['3 hours ago', '3 hours ago']);
  // Without an element, only the text, as the dateline writers give it.
  assert.equal(write('2026-12-01T11:00:00Z'), '1 hour ago', 'relative to when the writer was made');
  assert.equal(write('not a time', kept), undefined);
});

test('every catalog has a form for every count, and selectors it can match', () => {
  for (const lang of LANGS) {
    const c = catalog(lang);
    const categories = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
    for (const unit of ['second', 'minute', 'hour', 'day', 'week', 'month', 'year']) {
      const message = c[`ago_${unit}`];
      for (let n = 0; n <= 1200; n++) {
        assert.ok(select(message, n, plural(lang, n)), `${lang} ago_${unit} has no form for ${n}`);
      }
      for (const form of message.split('|')) {
        const [selector, text] = [form.slice(0, form.indexOf(' ')), form.slice(form.indexOf(' ') + 1)];
        assert.ok(/^=\d+$/.test(selector) || categories.includes(selector), `${lang} ago_${unit}: ${selector}`);
        if (selector === 'other') assert.match(text, /#/, `${lang} ago_${unit}: other writes the number`);
      }
    }
  }
});

test('forms are picked by exact number, then category, then other', () => {
  const m = 'other # things|=2 a pair|one a thing';
  assert.equal(select(m, 2, 'two'), 'a pair');
  assert.equal(select(m, 1, 'one'), 'a thing');
  assert.equal(select(m, 7, 'few'), '# things');
  assert.equal(select('one only', 7, 'other'), undefined);
  assert.equal(select(undefined, 0, 'other'), undefined);
});

test('plural categories are CLDR\'s, as Node\'s ICU has them', () => {
  for (const lang of LANGS) {
    const rules = new Intl.PluralRules(lang);
    for (let n = 0; n <= 3000; n++) assert.equal(plural(lang, n), rules.select(n), `${lang} ${n}`);
    for (const n of [1e6, 2e6, 1e7]) assert.equal(plural(lang, n), rules.select(n), `${lang} ${n}`);
  }
});

test('a dateline names its zone, and an unknown zone writes UTC with a warning', (t) => {
  const warn = t.mock.method(console, 'warn', () => {});
  const time = '2017-01-01T07:31:00Z';
  assert.equal(dateline('en', 'latn', 'gregory', 'Asia/Riyadh')(time).replace(/\s/g, ' '),
    'Sunday, January 1, 2017 at 10:31 AM');
  assert.equal(warn.mock.callCount(), 0);
  assert.equal(dateline('en', 'latn', 'gregory', 'Mars/Olympus')(time).replace(/\s/g, ' '),
    'Sunday, January 1, 2017 at 7:31 AM');
  assert.match(warn.mock.calls[0].arguments[0], /unknown time zone "Mars\/Olympus", using UTC/);
  assert.equal(dateline('ar', 'arab', 'islamic-umalqura', 'UTC')(time).replace(/\s/g, ' '),
    'الأحد، ٣ ربيع الآخر ١٤٣٨ هـ في ٧:٣١ ص');
  assert.equal(dateline('en', 'latn', 'gregory', undefined)('not a time'), undefined);
});

test('a Gregorian dateline in the reader\'s zone, from the catalog, reads as Intl writes it', () => {
  const zone = process.env.TZ;
  const digitsOf = { ar: ['arab', 'latn'], fa: ['arabext'], ur: ['latn'], he: ['latn'], en: ['latn'], fr: ['latn', 'arab'] };
  try {
    // Zones with and without summer time, and one a quarter-hour off.
    for (const tz of ['UTC', 'Asia/Amman', 'America/New_York', 'Asia/Kathmandu']) {
      process.env.TZ = tz;
      for (const lang of LANGS) {
        for (const digits of digitsOf[lang]) {
          const ours = localDateline(catalog(lang), digits);
          const theirs = dateline(lang, digits, 'gregory', undefined);
          // Given a catalog, dateline() writes from it (a pattern Intl never writes).
          const marked = { ...catalog(lang), date_pattern: `«{y}·{d}»` };
          assert.equal(dateline(lang, digits, 'gregory', undefined, marked)('2026-07-04T13:07:00Z'),
            `«${count(digits, 2026)}·${count(digits, 4)}»`);
          // Every month, weekday and hour, midnight and noon: 2026 in steps of 7 h 13 min.
          for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 433 * 60_000) {
            const time = new Date(t).toISOString();
            assert.equal(ours(time), theirs(time), `${tz} ${lang} ${digits} ${time}`);
          }
        }
      }
    }
  } finally {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  }
  assert.equal(localDateline(catalog('en'), 'latn')('not a time'), undefined);
});

test('another calendar or a named zone is Intl\'s even with a catalog', () => {
  const time = '2017-01-01T07:31:00Z';
  assert.equal(dateline('ar', 'arab', 'islamic-umalqura', 'UTC', catalog('ar'))(time).replace(/\s/g, ' '),
    'الأحد، ٣ ربيع الآخر ١٤٣٨ هـ في ٧:٣١ ص');
  assert.equal(dateline('en', 'latn', 'gregory', 'Asia/Riyadh', catalog('en'))(time).replace(/\s/g, ' '),
    'Sunday, January 1, 2017 at 10:31 AM');
});

test('counts use the digits asked for and no grouping', () => {
  assert.equal(count('arab', 1234), '١٢٣٤');
  assert.equal(count('arabext', 12), '۱۲');
  assert.equal(count('latn', 1234), '1234');
});
