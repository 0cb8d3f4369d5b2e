// Strict and hostile host pages: every kind under a strict
// Content-Security-Policy with Trusted Types records no violation, and a
// page with aggressive global CSS shows the widget as a plain page does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { launchBrowser, openPage, startServer, widgetsSettled } from './helpers.mjs';
import { startProxy } from './proxy.mjs';

const ARTICLE = '2026-11-27-farmers-market';
const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'; img-src 'self' data:; require-trusted-types-for 'script'";

let browser;
let server;
let strict; // pages served with the CSP header
let plain; // pages served without it
let root;
before(async () => {
  browser = await launchBrowser();
  server = await startServer({ args: ['--moderation', 'post', '--comment-rate', '100'] });
  root = mkdtempSync(join(tmpdir(), 'khabar-hostile-'));
  strict = await startProxy({ target: server.url, root, headers: { 'content-security-policy': CSP } });
  plain = await startProxy({ target: server.url, root });
});
after(async () => {
  await strict?.close();
  await plain?.close();
  await server?.stop();
  server?.cleanup();
  await browser?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

const page = (name, head, body) => writeFileSync(join(root, name), `<!doctype html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${name}</title>${head}</head>
<body>${body}<script type="module" src="/khabar/khabar.js"></script></body></html>`);

test('strict CSP with Trusted Types: every kind works and records zero violations', async () => {
  page('csp.html', '', `
    <div data-khabar="article" data-article-id="${ARTICLE}"></div>
    <div data-khabar="latest" data-limit="3"></div>
    <div data-khabar="latest" data-layout="strip" data-limit="4"></div>
    <div data-khabar="card" data-article-id="2026-11-28-night-trains" data-lang="en"></div>
    <div data-khabar="comments" data-article-id="2026-11-25-haifa-port-park" data-lang="he"></div>
    <div data-khabar="article" data-article-id="2026-11-25-book-fair" id="html-body"></div>`);
  const { page: p, problems } = await openPage(browser);
  await p.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`), true);
  });
  const response = await p.goto(`${strict.url}csp.html`);
  assert.equal(response.headers()['content-security-policy'], CSP);
  await widgetsSettled(p);
  const errors = await p.evaluate(() => Array.from(document.querySelectorAll('[data-khabar]'))
    .map((h) => h.shadowRoot.querySelector('[data-error-code]')?.dataset.errorCode ?? null));
  assert.deepEqual(errors, [null, null, null, null, null, null]);
  // This one's body is HTML: DOMParser under Trusted Types.
  assert.ok(await p.locator('#html-body >> .article-body p').count() > 0);
  assert.ok(await p.locator('[data-khabar="article"]:not(#html-body) >> .article-body p').count() > 0);
  assert.ok(await p.locator('[data-khabar="latest"]:not([data-layout]) >> .card').count() > 0);
  assert.ok(await p.locator('[data-khabar="latest"][data-layout="strip"] >> .strip a').count() > 0);
  // Images load from 'self' (lazily: bring the card into view first).
  await p.locator('[data-khabar="card"] >> img').scrollIntoViewIfNeeded();
  await p.waitForFunction(() => {
    const img = document.querySelector('[data-khabar="card"]').shadowRoot.querySelector('img');
    return img.complete && img.naturalWidth > 0;
  });

  // Interactions: a comment, the share menu, copy link.
  const W = '[data-khabar="comments"]';
  await p.locator(`${W} >> #kc-author`).fill('Dana');
  await p.locator(`${W} >> #kc-body`).fill('Posted under a strict policy.');
  await p.locator(`${W} >> form.comment-form button.send`).click();
  await p.locator(`${W} >> .comment-body`, { hasText: 'Posted under a strict policy.' }).waitFor();
  const A = '[data-khabar="article"]:not(#html-body)';
  await p.locator(`${A} >> button.share-toggle`).click();
  await p.locator(`${A} >> .share-menu a`).first().waitFor();
  await p.locator(`${A} >> button.copy-link`).click();

  const violations = await p.evaluate(() => window.__violations);
  console.log(`CSP violations caused by the widget: ${violations.length}`);
  assert.deepEqual(violations, []);
  assert.deepEqual(problems, []);

  // Control: the policy is really enforced and the listener really hears.
  await p.evaluate(() => {
    const s = document.createElement('style');
    s.textContent = 'p { color: red }';
    document.head.append(s);
  });
  await p.waitForFunction(() => window.__violations.length === 1);
  assert.match((await p.evaluate(() => window.__violations))[0], /^style-src/);
  await p.close();
});

/** Screenshot of `selector` decoded to RGBA. */
async function shot(p, selector) {
  return PNG.sync.read(await p.locator(selector).screenshot({ animations: 'disabled' }));
}

/**
 * Share of pixels of `a` with no pixel within one position in `b` closer
 * than `threshold` in every channel: sub-pixel offsets of the host (text
 * anti-aliased half a pixel lower) are not differences, a changed layout,
 * font, colour or size is.
 */
function oneWay(a, b, threshold) {
  let differing = 0;
  const px = (img, x, y) => (y * img.width + x) * 4;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      const i = px(a, x, y);
      let near = false;
      for (let dy = -1; dy <= 1 && !near; dy++) {
        for (let dx = -1; dx <= 1 && !near; dx++) {
          const [u, v] = [x + dx, y + dy];
          if (u < 0 || v < 0 || u >= b.width || v >= b.height) continue;
          const j = px(b, u, v);
          near = [0, 1, 2].every((c) => Math.abs(a.data[i + c] - b.data[j + c]) <= threshold);
        }
      }
      if (!near) differing++;
    }
  }
  return differing / (a.width * a.height);
}
const difference = (a, b, threshold = 48) => Math.max(oneWay(a, b, threshold), oneWay(b, a, threshold));

test('aggressive global CSS on the host page does not change how the widget looks', async () => {
  const body = `
    <div data-khabar="card" data-article-id="${ARTICLE}"></div>
    <div data-khabar="article" data-article-id="2026-11-26-bakeries-coop" data-lang="en"></div>`;
  page('plain.html', '<style>html, body { margin: 0; padding: 0; }</style>', body);
  page('hostile.html', `<style>
    * { all: unset !important; }
    div { display: none !important; }
    html { direction: ltr !important; font-size: 48px !important; }
    body { font: 900 40px/3 "Courier New", monospace !important; color: #f0f !important;
           letter-spacing: 6px !important; word-spacing: 20px !important; text-transform: uppercase !important;
           text-align: center !important; }
    img { filter: invert(1) !important; width: 5px !important; }
    p, h1, h2, a, span, button { color: lime !important; background: black !important; }
  </style>`, body);
  const settle = async (url) => {
    const { page: p, problems } = await openPage(browser, { viewport: { width: 900, height: 1200 } });
    await p.goto(url);
    await widgetsSettled(p);
    await p.waitForFunction(() => Array.from(document.querySelectorAll('[data-khabar]'))
      .flatMap((h) => Array.from(h.shadowRoot.querySelectorAll('img')))
      .every((img) => img.complete && img.naturalWidth > 0));
    return { p, problems };
  };
  const a = await settle(`${plain.url}plain.html`);
  const b = await settle(`${plain.url}hostile.html`);
  for (const selector of ['[data-khabar="card"]', '[data-khabar="article"]']) {
    const [x, y] = [await shot(a.p, selector), await shot(b.p, selector)];
    assert.deepEqual([y.width, y.height], [x.width, x.height], `${selector}: same size`);
    const diff = difference(x, y);
    if (process.env.KHABAR_KEEP_SHOTS) {
      writeFileSync(`/tmp/plain-${selector.slice(13, -2)}.png`, PNG.sync.write(x));
      writeFileSync(`/tmp/hostile-${selector.slice(13, -2)}.png`, PNG.sync.write(y));
    }
    console.log(`${selector}: ${(diff * 100).toFixed(3)}% of pixels differ under hostile CSS`);
    assert.ok(diff < 0.005, `${selector}: ${(diff * 100).toFixed(2)}% of pixels differ`);
  }
  await b.p.screenshot({ path: 'docs/screenshots/hostile-css.png' });
  assert.deepEqual(a.problems, []);
  assert.deepEqual(b.problems, []);
  await a.p.close();
  await b.p.close();
});
