// Content keeps its own language apart from the interface's: an Arabic
// story on the English page is marked lang="ar" dir="rtl" (laid out right to
// left, read with an Arabic voice) while the buttons stay English; an
// English story on the Arabic page the reverse; a list mixing languages
// marks each item. axe-core finds nothing in any of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, openPage, widgetsSettled, withBrowserAndServer } from './helpers.mjs';

const W = '[data-khabar="article"]';
let browser;
let server;
withBrowserAndServer((b, s) => { browser = b; server = s; });

const attrs = (locator) => locator.evaluate((el) => ({ lang: el.getAttribute('lang'), dir: el.getAttribute('dir') }));

test('an Arabic story on the English page: Arabic content, English interface', async () => {
  const { page, problems } = await openPage(browser);
  await page.goto(new URL('/en/?article=2026-11-27-farmers-market', server.url).href);
  await widgetsSettled(page);
  assert.deepEqual(await attrs(page.locator(`${W} >> h1.headline`)), { lang: 'ar', dir: 'rtl' });
  assert.deepEqual(await attrs(page.locator(`${W} >> .article-body`)), { lang: 'ar', dir: 'rtl' });
  const firstLine = await page.locator(`${W} >> .article-body p`).first().evaluate((p) => getComputedStyle(p).direction);
  assert.equal(firstLine, 'rtl', 'laid out right to left inside the English page');
  // The interface around it stays English, with no content language on it.
  const comments = page.locator(`${W} >> #kc-form-title`);
  assert.equal(await comments.evaluate((el) => el.closest('[lang]')?.getAttribute('lang') ?? null), 'en');
  assert.deepEqual(await axeViolations(page), []);
  assert.deepEqual(problems, []);
});

test('an English story on the Arabic page, and a latest list mixing languages', async () => {
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}?article=2026-11-28-night-trains`);
  await widgetsSettled(page);
  assert.deepEqual(await attrs(page.locator(`${W} >> h1.headline`)), { lang: 'en', dir: 'ltr' });
  assert.equal(await page.locator(`${W} >> #kc-form-title`).evaluate((el) => el.closest('[lang]')?.getAttribute('lang')), 'ar');
  // The list below the article has Arabic, Persian, Urdu, Hebrew, French and English items.
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await widgetsSettled(page);
  const titles = await page.locator('[data-khabar="latest"] >> h3.card-title').evaluateAll((els) =>
    els.map((el) => [el.getAttribute('lang'), el.getAttribute('dir')]));
  assert.ok(titles.length > 0);
  for (const [lang, dir] of titles) {
    assert.ok(lang, 'every card says its language');
    assert.equal(dir, ['ar', 'fa', 'ur', 'he'].includes(lang) ? 'rtl' : 'ltr', lang);
  }
  assert.deepEqual(await axeViolations(page), []);
  assert.deepEqual(problems, []);
});

test('namespaced options are read silently; the bare names of 0.1 still work, with a warning', async () => {
  const { page, problems } = await openPage(browser);
  const warnings = [];
  page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
  await page.goto(new URL('/en/', server.url).href);
  await widgetsSettled(page);
  assert.deepEqual(warnings.filter((w) => w.includes('deprecated')), [], 'the demo page uses the new names');
  await page.evaluate(() => {
    const old = document.createElement('div');
    old.id = 'old-names';
    old.setAttribute('data-khabar', 'card');
    old.setAttribute('data-article-id', '2026-11-24-meteor-night');
    old.setAttribute('data-theme', 'dark');
    document.body.append(old);
  });
  await page.locator('#old-names >> .card').waitFor();
  assert.match(await page.locator('#old-names >> .card-title').innerText(), /meteor/i);
  assert.equal(await page.locator('#old-names >> [data-kind]').getAttribute('data-theme'), 'dark');
  const deprecated = warnings.filter((w) => w.includes('deprecated'));
  assert.ok(deprecated.some((w) => w.includes('data-khabar-article-id')), deprecated.join('\n'));
  assert.ok(deprecated.some((w) => w.includes('data-khabar-theme')), deprecated.join('\n'));
  assert.deepEqual(problems, []);
});

test('a language without a catalog gives the page\'s language, not Arabic, and only its catalog is fetched', async () => {
  const { page, problems } = await openPage(browser);
  const warnings = [];
  page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
  const catalogs = [];
  page.on('request', (r) => { const m = /khabar-(\w+)\.json/.exec(r.url()); if (m) catalogs.push(m[1]); });
  await page.route('**/unspoken.html', (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>
      <div data-khabar="card" data-khabar-article-id="2026-11-24-meteor-night" data-khabar-lang="de"></div>
      <div lang="fr"><div data-khabar="card" data-khabar-article-id="2026-11-24-meteor-night" data-khabar-lang="es-MX"></div></div>
      <script type="module" src="/khabar/khabar.js"></script></body></html>`,
  }));
  await page.goto(new URL('/unspoken.html', server.url).href);
  await widgetsSettled(page);
  const shown = await page.evaluate(() => Array.from(document.querySelectorAll('[data-khabar]'),
    (el) => [el.shadowRoot.firstElementChild.getAttribute('lang'), el.shadowRoot.firstElementChild.getAttribute('dir')]));
  assert.deepEqual(shown, [['en', 'ltr'], ['fr', 'ltr']]);
  assert.deepEqual([...new Set(catalogs)].sort(), ['en', 'fr']);
  assert.ok(warnings.some((w) => w.includes('unsupported lang "de", using en')), warnings.join('\n'));
  assert.ok(warnings.some((w) => w.includes('unsupported lang "es-MX", using fr')), warnings.join('\n'));
  assert.deepEqual(problems, []);
});
