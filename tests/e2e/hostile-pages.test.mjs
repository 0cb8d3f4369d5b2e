// Strict and hostile host pages: every kind under a strict
// Content-Security-Policy with Trusted Types records no violation, and a
// page with aggressive global CSS shows the widget as a plain page does.
// Each has a control that proves the check can fail: a style element and a
// page script's innerHTML are reported as violations under the same policy,
// and a host style that does reach the widget (a --khabar-* property, a
// ::part() rule) is seen as a difference by the same screenshot comparison.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { screenshotPath, launchBrowser, openPage, startServer, widgetsSettled } from './helpers.mjs';
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
    <div data-khabar="article" data-khabar-article-id="${ARTICLE}"></div>
    <div data-khabar="latest" data-khabar-limit="3"></div>
    <div data-khabar="latest" data-khabar-layout="strip" data-khabar-limit="4"></div>
    <div data-khabar="card" data-khabar-article-id="2026-11-28-night-trains" data-khabar-lang="en"></div>
    <div data-khabar="comments" data-khabar-article-id="2026-11-25-haifa-port-park" data-khabar-lang="he"></div>
    <div data-khabar="article" data-khabar-article-id="2026-11-25-book-fair" id="html-body"></div>`);
  const { page: p, problems } = await openPage(browser);
  await recordViolations(p);
  const response = await p.goto(`${strict.url}csp.html`);
  assert.equal(response.headers()['content-security-policy'], CSP);
  await widgetsSettled(p);
  const errors = await p.evaluate(() => Array.from(document.querySelectorAll('[data-khabar]'))
    .map((h) => h.shadowRoot.querySelector('[data-error-code]')?.dataset.errorCode ?? null));
  assert.deepEqual(errors, [null, null, null, null, null, null]);
  // This one's body is HTML: DOMParser under Trusted Types.
  assert.ok(await p.locator('#html-body >> .article-body p').count() > 0);
  assert.ok(await p.locator('[data-khabar="article"]:not(#html-body) >> .article-body p').count() > 0);
  assert.ok(await p.locator('[data-khabar="latest"]:not([data-khabar-layout]) >> .card').count() > 0);
  assert.ok(await p.locator('[data-khabar="latest"][data-khabar-layout="strip"] >> .strip a').count() > 0);
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
  assert.deepEqual(violations.map(violationLine), []);
  assert.deepEqual(problems, []);

  // Control: the policy is really enforced and the listener really hears.
  await p.evaluate(() => {
    const s = document.createElement('style');
    s.textContent = 'p { color: red }';
    document.head.append(s);
  });
  await p.waitForFunction(() => window.__violations.length === 1);
  assert.match(violationLine((await p.evaluate(() => window.__violations))[0]), /^style-src/);
  await p.close();
});

test('control: under the same policy a page script assigning HTML without a policy is reported, the widget still causes nothing', async () => {
  // The page's own script, from 'self': script-src allows it, Trusted Types
  // must stop its innerHTML (a sink) and report exactly that directive.
  writeFileSync(join(root, 'sink.js'), `
    try {
      document.getElementById('sink').innerHTML = '<b>x</b>';
      window.__sink = 'assigned';
    } catch (e) {
      window.__sink = e.name;
    }`);
  page('tt-control.html', '', `
    <p id="sink"></p>
    <div data-khabar="article" data-khabar-article-id="2026-11-25-book-fair" id="html-body"></div>
    <script src="/sink.js"></script>`);
  const { page: p, problems } = await openPage(browser);
  await recordViolations(p);
  await p.goto(`${strict.url}tt-control.html`);
  await widgetsSettled(p);
  // The widget went through its Trusted Types path: an HTML body, rebuilt.
  assert.ok(await p.locator('#html-body >> .article-body p').count() > 0, 'the HTML body rendered');
  assert.equal(await p.evaluate(() => window.__sink), 'TypeError', 'the sink assignment was refused');
  assert.equal(await p.evaluate(() => document.getElementById('sink').innerHTML), '');
  const violations = (await p.evaluate(() => window.__violations)).map(violationLine);
  const fromPage = violations.filter((v) => v.includes('/sink.js'));
  assert.deepEqual(fromPage, [`require-trusted-types-for trusted-types-sink ${strict.url}sink.js`],
    `exactly the page script's Trusted Types violation: ${violations.join(' | ')}`);
  assert.deepEqual(violations.filter((v) => !v.includes('/sink.js')), [], 'violations caused by the widget');
  assert.deepEqual(problems.filter((m) => !m.includes('TrustedHTML')), []);
  await p.close();
});

/** Records every securitypolicyviolation of the page into window.__violations. */
function recordViolations(p) {
  return p.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push({
      directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber,
    }), true);
  });
}

/** One violation as a line: directive, what was blocked, the script that caused it. */
const violationLine = (v) => `${v.directive} ${v.blocked} ${v.source}`.trim();

/** Screenshot of `selector` decoded to RGBA. */
async function shot(p, selector) {
  return PNG.sync.read(await p.locator(selector).screenshot({ animations: 'disabled' }));
}

/**
 * Share of pixels of `a` with no pixel within one position in `b` closer
 * than `threshold` in every channel: anti-aliasing shifted by a pixel is not
 * a difference, a changed layout, font, colour or size is.
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
// Tolerances: a channel may differ by 16 of 255 (anti-aliasing), and a
// pixel only counts when nothing within one pixel matches; then not one
// pixel in 10,000 may differ (a changed glyph colour alone is far more).
const CHANNEL_DELTA = 16;
const MAX_DIFFERING = 0.0001;
const difference = (a, b) => Math.max(oneWay(a, b, CHANNEL_DELTA), oneWay(b, a, CHANNEL_DELTA));

const WIDGETS = `
  <div data-khabar="card" data-khabar-article-id="${ARTICLE}"></div>
  <div data-khabar="article" data-khabar-article-id="2026-11-26-bakeries-coop" data-khabar-lang="en"></div>`;
const SELECTORS = ['[data-khabar="card"]', '[data-khabar="article"]'];

/** Opens `url` and waits until the widgets and their images are there. */
async function settled(url) {
  const { page: p, problems } = await openPage(browser, { viewport: { width: 900, height: 1200 } });
  await p.goto(url);
  await widgetsSettled(p);
  await p.waitForFunction(() => Array.from(document.querySelectorAll('[data-khabar]'))
    .flatMap((h) => Array.from(h.shadowRoot.querySelectorAll('img')))
    .every((img) => img.complete && img.naturalWidth > 0));
  return { p, problems };
}

/** The difference of each widget between two settled pages (1 when their sizes differ), by selector. */
async function differences(a, b, label) {
  const out = {};
  for (const selector of SELECTORS) {
    const [x, y] = [await shot(a.p, selector), await shot(b.p, selector)];
    if (process.env.KHABAR_KEEP_SHOTS) {
      writeFileSync(`/tmp/plain-${selector.slice(13, -2)}.png`, PNG.sync.write(x));
      writeFileSync(`/tmp/${label}-${selector.slice(13, -2)}.png`, PNG.sync.write(y));
    }
    const same = x.width === y.width && x.height === y.height;
    out[selector] = same ? difference(x, y) : 1;
    console.log(`${selector}: ${same ? `${(out[selector] * 100).toFixed(3)}% of pixels differ`
      : `${x.width}×${x.height} → ${y.width}×${y.height}`} (${label})`);
  }
  return out;
}

let plainShots; // the plain page, opened once for the test and its control
test('aggressive global CSS on the host page does not change how the widget looks', async () => {
  page('plain.html', '<style>html, body { margin: 0; padding: 0; }</style>', WIDGETS);
  page('hostile.html', `<style>
    * { all: unset !important; }
    div { display: none !important; }
    html { direction: ltr !important; font-size: 48px !important; }
    body { font: 900 40px/3 "Courier New", monospace !important; color: #f0f !important;
           letter-spacing: 6px !important; word-spacing: 20px !important; text-transform: uppercase !important;
           text-align: center !important; }
    img { filter: invert(1) !important; width: 5px !important; }
    p, h1, h2, a, span, button { color: lime !important; background: black !important; }
  </style>`, WIDGETS);
  plainShots = await settled(`${plain.url}plain.html`);
  const b = await settled(`${plain.url}hostile.html`);
  const diff = await differences(plainShots, b, 'hostile');
  for (const selector of SELECTORS) {
    assert.ok(diff[selector] <= MAX_DIFFERING, `${selector}: ${diff[selector] === 1 ? 'another size'
      : `${(diff[selector] * 100).toFixed(3)}% of pixels differ`} under hostile CSS`);
  }
  await b.p.screenshot({ path: screenshotPath('hostile-css.png') });
  assert.deepEqual(plainShots.problems, []);
  assert.deepEqual(b.problems, []);
  await b.p.close();
});

test('control: host CSS that does reach the widget (a --khabar-* property, a ::part() rule) is seen as a difference', async () => {
  assert.ok(plainShots, 'runs after the comparison above');
  // The documented theming hooks, each changing one colour only.
  page('themed.html', `<style>
    html, body { margin: 0; padding: 0; }
    [data-khabar="card"] { --khabar-fg: #0b5394; }
    [data-khabar="article"]::part(headline) { color: #0b5394; }
  </style>`, WIDGETS);
  const c = await settled(`${plain.url}themed.html`);
  const diff = await differences(plainShots, c, 'themed');
  for (const selector of SELECTORS) {
    assert.ok(diff[selector] > 10 * MAX_DIFFERING,
      `${selector}: only ${(diff[selector] * 100).toFixed(3)}% of pixels differ with a changed colour: the comparison cannot see it`);
  }
  await c.p.close();
  await plainShots.p.close();
});
