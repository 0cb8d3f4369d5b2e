// One smoke test, written against W3C WebDriver, in the three engines
// readers use: Chromium (chromedriver), Firefox ESR (geckodriver) and WebKit,
// the engine behind Safari (WebKitWebDriver driving MiniBrowser under Xvfb).
// In each: every kind renders, a comment is posted through the form, the
// share menu opens and closes from the keyboard, and "print" prints the
// article alone — checked in the PDF of WebDriver's Print command where the
// driver has it, otherwise by the print-media state it leaves (said per
// engine). The page loads the CDN bundle, as a site does. A failure in
// any engine fails the suite.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { env, startServer } from './helpers.mjs';
import { startProxy } from './proxy.mjs';
import { KEY, openSession } from './webdriver.mjs';

const ARTICLE = '2026-11-26-bakeries-coop';
const OTHER = '2026-11-24-meteor-night';
const HOST_ONLY = 'Host page navigation that must not print';

let server;
let proxy;
let root;
let title;
let loader; // the CDN bundle's hashed loader
before(async () => {
  // The CDN bundle, as a site's script tag loads it: in each engine the
  // loader checks every file against its hash, the comments module's glue
  // through a modulepreload link.
  const cdn = join(resolve(env('KHABAR_DIST')), 'cdn');
  loader = JSON.parse(readFileSync(join(cdn, 'manifest.json'), 'utf8')).files['khabar.js'].file;
  server = await startServer({ args: ['--moderation', 'post', '--comment-rate', '100'], widgetDir: cdn });
  root = mkdtempSync(join(tmpdir(), 'khabar-engines-'));
  // Same origin as the API, through the suite's proxy, like a site's own page.
  proxy = await startProxy({ target: server.url, root });
  title = (await (await fetch(`${server.url}api/v1/articles/${ARTICLE}`)).json()).title;
  writeFileSync(join(root, 'smoke.html'), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Engine smoke</title></head>
<body>
  <nav><p>${HOST_ONLY}</p></nav>
  <div id="strip" data-khabar="latest" data-khabar-layout="strip" data-khabar-limit="4"></div>
  <main>
    <div id="article" data-khabar="article" data-khabar-article-id="${ARTICLE}"></div>
    <div id="latest" data-khabar="latest" data-khabar-limit="3"></div>
    <div id="card" data-khabar="card" data-khabar-article-id="${OTHER}"></div>
    <article id="hosted"><h2>The host's own story</h2><div id="actions" data-khabar="actions" data-khabar-article-id="${OTHER}"></div></article>
    <div id="comments" data-khabar="comments" data-khabar-article-id="${OTHER}"></div>
  </main>
  <script type="module" src="/khabar/${loader}"></script>
</body></html>`);
});
after(async () => {
  await proxy?.close();
  await server?.stop();
  server?.cleanup();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** In the page: what each widget shows (null until it settled). */
function rendered() {
  const q = (id, sel) => document.getElementById(id)?.shadowRoot?.querySelector(sel);
  const errors = Array.from(document.querySelectorAll('[data-khabar]'))
    .map((h) => h.shadowRoot?.querySelector('[data-error-code]')?.dataset.errorCode).filter(Boolean);
  if (errors.length) return { errors };
  const shown = {
    article: q('article', 'h1.headline')?.textContent,
    strip: !!q('strip', '.strip a'),
    latest: !!q('latest', '.card'),
    card: !!q('card', 'a.card'),
    actions: !!q('actions', 'button.share-toggle'),
    comments: !!q('comments', 'form.comment-form'),
  };
  return Object.values(shown).every(Boolean) ? shown : null;
}

for (const engine of ['chromium', 'firefox', 'webkit']) {
  test(`${engine}: every kind renders, a comment is posted, the share menu works by keyboard, print prints the article alone`, { timeout: 180_000 }, async (t) => {
    const s = await openSession(engine);
    try {
      t.diagnostic(`${engine}: ${s.capabilities.browserName} ${s.capabilities.browserVersion}`);
      await s.go(`${proxy.url}smoke.html`);
      const shown = await s.until(rendered, [], 30_000, 'every kind to render');
      assert.deepEqual(shown, { article: title, strip: true, latest: true, card: true, actions: true, comments: true });

      // A comment through the form, as a reader types it.
      const text = `Posted from ${engine} through WebDriver.`;
      const field = (id) => s.element((i) => document.getElementById('comments').shadowRoot.getElementById(i), id);
      await s.type(await field('kc-author'), 'Engine Reader');
      await s.type(await field('kc-body'), text);
      await s.click(await s.element(() => document.getElementById('comments').shadowRoot.querySelector('form.comment-form button.send')));
      await s.until((want) => Array.from(document.getElementById('comments').shadowRoot.querySelectorAll('.comment-body'))
        .some((b) => b.textContent.includes(want)), [text], 15_000, 'the posted comment');
      const stored = await (await fetch(`${server.url}api/v1/articles/${OTHER}/comments`)).json();
      assert.ok(stored.items.some((c) => c.body.includes(text)), 'the server has it');

      // The share menu from the keyboard: Enter opens it, Escape closes it
      // and gives the focus back to its button.
      await s.run(() => document.getElementById('article').shadowRoot.querySelector('button.share-toggle').focus());
      await s.press(KEY.enter);
      await s.until(() => {
        const r = document.getElementById('article').shadowRoot;
        return r.querySelector('button.share-toggle').getAttribute('aria-expanded') === 'true' && !r.querySelector('#kh-share-menu').hidden;
      }, [], 5000, 'the share menu to open');
      await s.press(KEY.escape);
      await s.until(() => {
        const r = document.getElementById('article').shadowRoot;
        return r.querySelector('#kh-share-menu').hidden && r.activeElement === r.querySelector('button.share-toggle');
      }, [], 5000, 'the share menu to close with the focus back on its button');

      // Print: the browser's dialog is replaced by a counter; the article
      // is marked to print alone until the (never coming) afterprint.
      await s.run(() => { window.print = () => { window.printed = (window.printed || 0) + 1; }; });
      await s.click(await s.element(() => document.getElementById('article').shadowRoot.querySelector('button.print')));
      const marks = await s.run(() => ({
        printed: window.printed,
        printing: document.documentElement.hasAttribute('data-khabar-printing'),
        target: document.getElementById('article').hasAttribute('data-khabar-print-root'),
        navHidden: !document.querySelector('nav').hasAttribute('data-khabar-print-path'),
        printRule: document.adoptedStyleSheets.some((sheet) => Array.from(sheet.cssRules)
          .some((r) => r.media && r.media.mediaText === 'print' && r.cssText.includes('data-khabar-printing'))),
      }));
      assert.deepEqual(marks, { printed: 1, printing: true, target: true, navHidden: true, printRule: true });
      const pdf = await s.print();
      if (pdf) {
        const file = join(root, `${engine}.pdf`);
        writeFileSync(file, pdf);
        const printedText = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
        assert.ok(printedText.includes(title.slice(0, 20)), `${engine}: the article is printed`);
        assert.ok(!printedText.includes(HOST_ONLY), `${engine}: the host page's navigation is not`);
        assert.ok(!printedText.includes("The host's own story"), `${engine}: nor the rest of the page`);
        t.diagnostic(`${engine}: print checked in the PDF of WebDriver's Print command`);
      } else {
        t.diagnostic(`${engine}: the driver has no Print command; print checked by the print-media rule and marks only`);
      }
    } finally {
      await s.close();
    }
  });
}
