// Broken backends: for each way a real API breaks, the widget says so in
// the reader's language, never crashes, keeps the reader's comment, and
// recovers when the backend is back, without storing the comment twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, openPage, startServer } from './helpers.mjs';
import { FAULTS, startProxy } from './proxy.mjs';

const ARTICLE = '2026-11-27-farmers-market';
const W = '#story';
// The error state each fault must lead to when the article is (re)loaded.
const EXPECTED = {
  down: 'network',
  reset: 'network',
  500: 'server',
  503: 'server',
  stall: 'timeout',
  truncated: 'bad-response',
  shape: 'bad-response',
  huge: 'bad-response',
  'huge-chunked': 'bad-response',
  html: 'bad-response',
};

let browser;
let server;
let proxy;
let root;
before(async () => {
  browser = await launchBrowser();
  server = await startServer({ args: ['--moderation', 'post', '--comment-rate', '1000'] });
  root = mkdtempSync(join(tmpdir(), 'khabar-faults-'));
  writeFileSync(join(root, 'faults.html'), `<!doctype html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>أعطال</title></head>
<body><div id="story"></div>
<script type="module">
  import { mount } from '/khabar/khabar.js';
  const articleId = new URLSearchParams(location.search).get('article');
  window.reload = () => window.handle.update({ kind: 'article', articleId });
  window.handle = mount(document.querySelector('#story'), { kind: 'article', articleId });
</script></body></html>`);
  proxy = await startProxy({ target: server.url, root });
});
after(async () => {
  await proxy?.close();
  await server?.stop();
  server?.cleanup();
  await browser?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Published comments on the article whose body is `text`. */
async function copies(text) {
  const page = await (await fetch(`${server.url}api/v1/articles/${ARTICLE}/comments?limit=50&sort=newest`)).json();
  return page.items.filter((c) => c.body === text).length;
}

/** Arabic letters and no Latin ones: the message speaks the reader's language. */
function assertArabic(text, what) {
  assert.match(text, /[\u0600-\u06FF]{3}/, `${what}: ${text}`);
  assert.doesNotMatch(text, /[A-Za-z]/, `${what}: ${text}`);
}

const summary = [];
after(() => console.log(`faults injected and recovered: ${summary.length}/${Object.keys(EXPECTED).length}: ${summary.join(', ')}`));

for (const fault of Object.values(FAULTS)) {
  test(`fault "${fault}": a clear Arabic message, no crash, the comment kept, one copy after recovery`, { timeout: 90_000 }, async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${proxy.url}faults.html?article=${ARTICLE}`);
    await page.locator(`${W} >> h1.headline`).waitFor();
    const text = `تعليق كُتب أثناء عطل ${fault} في الخادم`;
    await page.locator(`${W} >> #kc-author`).fill('سلمى');
    await page.locator(`${W} >> #kc-body`).fill(text);

    await proxy.setFault(fault);
    const faultedBefore = proxy.faulted;
    // Sending under the fault: the reader is told, the text stays.
    await page.locator(`${W} >> form.comment-form button.send`).click();
    const status = page.locator(`${W} >> form.comment-form .form-status`);
    await page.waitForFunction((sel) => {
      const s = document.querySelector(sel).shadowRoot.querySelector('form.comment-form .form-status');
      const button = document.querySelector(sel).shadowRoot.querySelector('form.comment-form button.send');
      return s && s.textContent.trim() && button && !button.disabled;
    }, W, { timeout: 20_000 });
    assertArabic(await status.textContent(), 'send status');
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), text);

    // Loading the article under the fault: the error state, in Arabic.
    await page.evaluate(() => window.reload());
    const error = page.locator(`${W} >> [data-error-code]`);
    await error.waitFor({ timeout: 20_000 });
    assert.equal(await error.getAttribute('data-error-code'), EXPECTED[fault]);
    assertArabic(await error.innerText(), 'error state');
    if (fault !== 'down') assert.ok(proxy.faulted > faultedBefore, 'the fault was met');

    // The backend comes back: retry shows the article and the kept draft.
    await proxy.setFault(null);
    await page.locator(`${W} >> button.retry`).click();
    await page.locator(`${W} >> h1.headline`).waitFor();
    const body = page.locator(`${W} >> #kc-body`);
    await body.waitFor();
    if ((await body.inputValue()) === text) {
      await page.locator(`${W} >> form.comment-form button.send`).click();
    }
    await page.locator(`${W} >> .comment-body`, { hasText: text }).first().waitFor({ timeout: 20_000 });
    // A resend that was already scheduled must not add a second copy.
    await page.waitForTimeout(2500);
    assert.equal(await copies(text), 1, 'exactly one stored copy');
    // Shown once, and counted once: an answer lost on its way back (the
    // fault "truncated") left the comment stored, which the reloaded list
    // brought before the draft was sent again.
    assert.equal(await page.locator(`${W} >> .comment-body`, { hasText: text }).count(), 1, 'one copy on the page');
    const total = (await (await fetch(`${server.url}api/v1/articles/${ARTICLE}/comments?limit=1`)).json()).total;
    const heading = (await page.locator(`${W} >> .comments-total`).textContent())
      .replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x660));
    assert.equal(heading.replace(/\D/g, ''), String(total), `the heading counts ${total}`);
    assert.equal(await page.locator(`${W} >> [data-error-code="crash"]`).count(), 0);
    assert.deepEqual(problems.filter((p) => !p.startsWith('console: ')), [], 'no uncaught exception');
    assert.ok(problems.every((p) => !/panicked|unreachable|RuntimeError/.test(p)), problems.join('\n'));
    summary.push(fault);
    await page.close();
  });
}
