// `theme: auto` follows the page the widget sits in: a light page in a dark
// system stays light (the English demo's strip was unreadable, #ececec on
// white, before), a page that switches to dark at run time takes the
// widgets along, a declared color-scheme wins, and an explicit theme is
// kept. axe-core finds no contrast problem in any of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, freePort, openPage, revealComments, startServer, widgetsSettled, withBrowserAndServer } from './helpers.mjs';
import { declaredScheme, opaqueBrightness } from '../../js/page.js';

let browser;
let server;
withBrowserAndServer((b, s) => { browser = b; server = s; });

/** The scheme each widget on the page paints with, by kind. */
const schemes = (page) => page.evaluate(() => Array.from(document.querySelectorAll('[data-khabar]'))
  .map((h) => [h.getAttribute('data-khabar'), h.shadowRoot?.querySelector('[data-kind]')?.getAttribute('data-theme')]));

const allAre = async (page, scheme) => page.waitForFunction((want) => Array.from(document.querySelectorAll('[data-khabar]'))
  .every((h) => h.shadowRoot?.querySelector('[data-kind]')?.getAttribute('data-theme') === want), scheme);

test('a computed color-scheme declares light, dark, both or nothing, by whole words', () => {
  assert.equal(declaredScheme('normal'), undefined);
  assert.equal(declaredScheme(''), undefined);
  assert.equal(declaredScheme('darkish lightly'), undefined);
  assert.equal(declaredScheme('dark'), 'dark');
  assert.equal(declaredScheme('only light'), 'light');
  assert.equal(declaredScheme('light dark'), 'both');
  assert.equal(declaredScheme('dark  light'), 'both');
});

test('a background counts when it is a colour mostly opaque, by its brightness, in rgb() and newer notations', () => {
  assert.equal(opaqueBrightness('rgb(255, 255, 255)'), 255);
  assert.ok(opaqueBrightness('rgb(13, 15, 18)') < 20);
  assert.ok(opaqueBrightness('rgba(21, 23, 26, 0.9)') < 128);
  // A Tailwind 4 page's dark body, as browsers compute it; and light ones.
  assert.ok(opaqueBrightness('oklch(0.21 0.034 264.665)') < 128);
  assert.ok(opaqueBrightness('oklab(0.985 0 0)') > 128);
  // Mid-grey is where it is in rgb(): Tailwind's gray-500 is dark either way.
  assert.ok(opaqueBrightness('oklch(0.551 0.027 264.364)') < 128);
  assert.ok(opaqueBrightness('rgb(106, 114, 130)') < 128);
  assert.ok(opaqueBrightness('lab(8.5 1.2 -5)') < 128);
  assert.ok(opaqueBrightness('lch(96 2 250 / 0.9)') > 128);
  assert.ok(opaqueBrightness('color(srgb 1 1 1)') > 254);
  assert.ok(opaqueBrightness('color(display-p3 0.05 0.05 0.1)') < 128);
  for (const color of ['rgba(0, 0, 0, 0)', 'rgba(255, 255, 255, 0.25)', 'transparent', 'color(srgb 1 1 1 / 0.2)',
    'oklch(0.2 0.03 260 / 0)', 'hwb(none)', '']) {
    assert.equal(opaqueBrightness(color), undefined, color);
  }
});

test('a light page in a dark system stays light, and follows the page when it turns dark', async () => {
  const { page, problems } = await openPage(browser, { colorScheme: 'dark' });
  await page.goto(new URL('/en/', server.url).href);
  await widgetsSettled(page);
  for (const [kind, scheme] of await schemes(page)) assert.equal(scheme, 'light', kind);
  assert.deepEqual(await axeViolations(page), [], 'light page, dark system');

  await page.evaluate(() => document.documentElement.classList.add('dark'));
  await allAre(page, 'dark');
  assert.deepEqual(await axeViolations(page), [], 'the page switched to dark');

  await page.evaluate(() => document.documentElement.classList.remove('dark'));
  await allAre(page, 'light');
  // The widgets' boxes dark in a newer notation, as a Tailwind 4 page
  // writes it (the browser computes it as oklch(), not rgb()), from a
  // class on the root, as such a page switches.
  await page.evaluate(() => {
    const style = document.createElement('style');
    style.textContent = 'html.tw .strip-slot, html.tw .article-area, html.tw .sidebar > * { background: oklch(0.21 0.034 264.665) }';
    document.head.append(style);
    document.documentElement.classList.add('tw');
  });
  await allAre(page, 'dark');
  await page.evaluate(() => document.documentElement.classList.remove('tw'));
  await allAre(page, 'light');
  assert.deepEqual(problems, []);
});

test('a declared color-scheme wins; "light dark" follows the system; an explicit theme is kept', async () => {
  const { page, problems } = await openPage(browser, { colorScheme: 'light' });
  await page.goto(new URL('/en/', server.url).href);
  await widgetsSettled(page);
  await page.evaluate(() => document.body.style.setProperty('color-scheme', 'dark'));
  await allAre(page, 'dark');
  await page.evaluate(() => document.body.style.setProperty('color-scheme', 'light dark'));
  await allAre(page, 'light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await allAre(page, 'dark');

  await page.evaluate(() => {
    const card = document.createElement('div');
    card.id = 'fixed';
    card.setAttribute('data-khabar', 'card');
    card.setAttribute('data-khabar-article-id', '2026-11-24-meteor-night');
    card.setAttribute('data-khabar-theme', 'light');
    document.body.append(card);
  });
  await page.locator('#fixed >> .card').waitFor();
  assert.equal(await page.locator('#fixed >> [data-kind]').getAttribute('data-theme'), 'light');
  assert.deepEqual(problems, []);
});

const GALLERY = {
  ar: '2026-11-27-farmers-market', fa: '2026-11-27-tehran-library', ur: '2026-11-26-karachi-cricket',
  he: '2026-11-25-haifa-port-park', en: '2026-11-26-bakeries-coop', fr: '2026-11-24-lyon-bike-lanes',
};

test('every language, host light or dark, system light or dark: the widgets take the host\'s scheme, axe finds nothing', async (t) => {
  for (const [lang, article] of Object.entries(GALLERY)) {
    for (const host of ['light', 'dark']) {
      for (const system of ['light', 'dark']) {
        const label = `${lang}, host ${host}, system ${system}`;
        const { page, problems } = await openPage(browser, { colorScheme: system });
        await page.goto(new URL(`/gallery/?lang=${lang}&host=${host}&article=${article}`, server.url).href);
        await widgetsSettled(page);
        await revealComments(page);
        for (const [kind, scheme] of await schemes(page)) assert.equal(scheme, host, `${label}: ${kind}`);
        assert.deepEqual(await axeViolations(page), [], label);
        // What axe could not decide about contrast (text over an image, say),
        // listed for review: the widget paints no text over images.
        const unsure = await page.evaluate(async () => (await window.axe.run(
          { include: [['[data-khabar]']] }, { runOnly: { type: 'rule', values: ['color-contrast'] } },
        )).incomplete.flatMap((r) => r.nodes.map((n) => `${n.target.join(' ')}: ${n.any.map((a) => a.message).join('; ')}`)));
        if (unsure.length) t.diagnostic(`${label}: contrast axe could not decide: ${unsure.join(' | ')}`);
        assert.deepEqual(problems, [], label);
        await page.close();
      }
    }
  }
});

test('the demo pages and the integration page (strip, lists, actions alone, comments alone): axe finds nothing, host light or dark, system light or dark', async () => {
  // Comments by URL need the site's origin (--site): a server of its own.
  const port = await freePort();
  const site = await startServer({ listen: `127.0.0.1:${port}`, args: ['--site', `http://127.0.0.1:${port}`] });
  try {
    await everyScheme(site, ['/', '/en/', '/integration/']);
  } finally {
    await site.stop();
    site.cleanup();
  }
});

async function everyScheme(site, paths) {
  for (const path of paths) {
    for (const host of ['light', 'dark']) {
      for (const system of ['light', 'dark']) {
        const label = `${path}, host ${host}, system ${system}`;
        const { page, problems } = await openPage(browser, { colorScheme: system });
        await page.goto(new URL(`${path}?host=${host}`, site.url).href);
        await widgetsSettled(page);
        await revealComments(page);
        const kinds = (await schemes(page)).map(([kind]) => kind);
        assert.ok(kinds.length >= 2, `${label}: ${kinds}`);
        assert.deepEqual(await axeViolations(page), [], label);
        assert.deepEqual(problems, [], label);
        await page.close();
      }
    }
  }
}
