// The foundation path end to end: real server, real widget build, headless
// Chromium. Run through `cargo xtask test`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { screenshotPath, startServer, launchBrowser, openPage, shadowText } from './helpers.mjs';

const seed = JSON.parse(await readFile(new URL('../../server/seed/articles.json', import.meta.url), 'utf8'));
const titleOf = (id) => seed.items.find((a) => a.id === id).title;

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('the Arabic demo page renders its article right to left with no console errors', async () => {
  const server = await startServer();
  try {
    const { page, problems } = await openPage(browser);
    await page.goto(server.url);
    const headline = page.locator('[data-khabar="article"] >> h1.headline');
    await headline.waitFor({ timeout: 15_000 });
    assert.equal(await headline.textContent(), titleOf('2026-11-28-transit-plan'));
    const shadow = await page.evaluate(() => {
      const host = document.querySelector('[data-khabar="article"]');
      const frame = host.shadowRoot?.firstElementChild;
      return {
        mode: host.shadowRoot?.mode,
        dir: frame?.getAttribute('dir'),
        lang: frame?.getAttribute('lang'),
        sheets: host.shadowRoot?.adoptedStyleSheets.length,
        paragraphs: host.shadowRoot?.querySelectorAll('.article-body p').length,
        direction: getComputedStyle(host.shadowRoot.querySelector('h1')).direction,
      };
    });
    const blocks = seed.items.find((a) => a.id === '2026-11-28-transit-plan').body;
    const expectedParagraphs = blocks.filter((b) => b.type === 'paragraph' || b.type === 'quote').length;
    assert.deepEqual(shadow, { mode: 'open', dir: 'rtl', lang: 'ar', sheets: 1, paragraphs: expectedParagraphs, direction: 'rtl' });
    // Dateline in Arabic with Arabic-Indic digits (the page sets Asia/Amman).
    const dateline = await shadowText(page, '[data-khabar="article"]', '.published time');
    assert.match(dateline, /السبت/);
    assert.match(dateline, /٢٠٢٦/);
    await page.screenshot({ path: screenshotPath('demo-ar.png') });
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('the English page and ?article= choose other articles, left to right', async () => {
  const server = await startServer();
  try {
    const { page, problems } = await openPage(browser);
    await page.goto(`${server.url}en/?article=2026-11-26-bakeries-coop`);
    const headline = page.locator('[data-khabar="article"] >> h1.headline');
    await headline.waitFor({ timeout: 15_000 });
    assert.equal(await headline.textContent(), titleOf('2026-11-26-bakeries-coop'));
    const dir = await page.evaluate(() => document.querySelector('[data-khabar]').shadowRoot.firstElementChild.getAttribute('dir'));
    assert.equal(dir, 'ltr');
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a missing article shows the not-found message in the page language', async () => {
  const server = await startServer();
  try {
    const { page } = await openPage(browser);
    await page.goto(`${server.url}?article=no-such-story`);
    const error = page.locator('[data-khabar="article"] >> [data-error-code="not-found"]');
    await error.waitFor({ timeout: 15_000 });
    assert.match(await error.textContent(), /لم نعثر على هذا الخبر/);
    assert.equal(await page.locator('[data-khabar="article"] >> button.retry').count(), 1);
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('server down: the widget shows the network error, and retry works once it is back', async () => {
  let server = await startServer();
  const { port } = new URL(server.url);
  try {
    const { page } = await openPage(browser);
    await page.goto(server.url);
    await page.locator('[data-khabar="article"] >> h1.headline').waitFor({ timeout: 15_000 });

    await server.stop();
    // A second widget mounted by hand while the backend is down.
    await page.evaluate(async () => {
      const { mount } = await import('/khabar/khabar.js');
      const el = document.createElement('div');
      el.id = 'late';
      document.querySelector('main').append(el);
      window.lateHandle = mount(el, { kind: 'article', articleId: '2026-11-27-farmers-market' });
    });
    const error = page.locator('#late >> [data-error-code="network"]');
    await error.waitFor({ timeout: 15_000 });
    assert.match(await error.textContent(), /تعذّر الاتصال بخادم الأخبار/);

    server = await startServer({ listen: `127.0.0.1:${port}`, dbDir: server.dir });
    await page.locator('#late >> button.retry').click();
    const headline = page.locator('#late >> h1.headline');
    await headline.waitFor({ timeout: 15_000 });
    assert.equal(await headline.textContent(), titleOf('2026-11-27-farmers-market'));
  } finally {
    await server.stop();
    server.cleanup();
  }
});
