// The loader's date functions (js/dates.js), which both wasm modules write
// every date and count through. Plain JavaScript, so these run in Node's V8
// and ICU, the same engine as Chromium's; the widget's datelines in every
// language are checked in Chrome and Firefox by tests/browser/articles.rs.
import assert from 'node:assert/strict';
import test from 'node:test';

import { count, dateline, relative, relativeParts } from '../../js/dates.js';

test('relative times pick the unit a reader expects', () => {
  const cases = [
    [0, [0, 'second']], [59, [-59, 'second']], [90, [-1, 'minute']], [330, [-5, 'minute']],
    [3 * 3600, [-3, 'hour']], [26 * 3600, [-1, 'day']], [8 * 86400, [-1, 'week']],
    [40 * 86400, [-1, 'month']], [800 * 86400, [-2, 'year']],
    [-500, [0, 'second']], // the future (clock skew) is now
    [NaN, [0, 'second']], [Infinity, [0, 'second']],
  ];
  for (const [seconds, parts] of cases) assert.deepEqual(relativeParts(seconds), parts, `${seconds} s`);
});

test('a relative time is written in the language and digits asked for', () => {
  const fiveMinutesAgo = new Date(Date.now() - 5 * 60_000 - 10_000).toISOString();
  assert.equal(relative('ar', 'arab')(fiveMinutesAgo), 'قبل ٥ دقائق');
  assert.equal(relative('en', 'latn')(fiveMinutesAgo), '5 minutes ago');
  assert.equal(relative('en', 'latn')(new Date().toISOString()), 'now');
  assert.equal(relative('en', 'latn')('yesterday-ish'), undefined, 'not a time');
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

test('counts use the digits asked for and no grouping', () => {
  assert.equal(count('ar', 'arab', 1234), '١٢٣٤');
  assert.equal(count('fa', 'arabext', 12), '۱۲');
  assert.equal(count('en', 'latn', 1234), '1234');
});
