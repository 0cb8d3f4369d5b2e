// Comments for a page the site renders itself, by the page's URL, on a
// server that knows its site (--site): no import, the first comment
// creates the thread; another origin is refused and told so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launchBrowser, openPage, widgetsSettled, freePort } from './helpers.mjs';

const W = '[data-khabar="comments"]';
const A = '[data-khabar="actions"]';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

async function siteServer(args = []) {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const server = await startServer({ listen: `127.0.0.1:${port}`, args: ['--site', origin, ...args] });
  return { server, origin, page: `${origin}/integration/` };
}

async function openStory(page, url) {
  await page.goto(url);
  await widgetsSettled(page);
  await page.locator(`${W} >> form.comment-form`).waitFor();
}

const byUrl = async (origin, url) =>
  (await fetch(`${origin}/api/v1/comments?url=${encodeURIComponent(url)}`)).json();

test('a comment by URL creates the thread of a page the server never imported', async () => {
  const { server, origin, page: story } = await siteServer(['--moderation', 'pre']);
  try {
    const before = await byUrl(origin, story);
    assert.equal(before.article_id, null, 'no thread yet');
    const { page, problems } = await openPage(browser);
    await openStory(page, story);
    await page.locator(`${W} >> .comments-empty`).waitFor();
    await page.locator(`${W} >> #kc-author`).fill('Nadia');
    await page.locator(`${W} >> #kc-body`).fill('Finally a lane of our own on the bridge.');
    const posted = page.waitForRequest((r) => r.method() === 'POST' && r.url().includes('/comments?url='));
    await page.locator(`${W} >> form.comment-form button.send`).click();
    await page.locator(`${W} >> li.comment.pending`).waitFor();
    // Titled as the page is (document.title, no option given).
    assert.equal(JSON.parse((await posted).postData()).title, 'The harbour bridge reopens to cyclists — The Daily Khabar');

    const pending = server.cli('comments', 'pending');
    const id = pending.match(/#(\d+)/)[1];
    assert.match(server.cli('comments', 'approve', id), /published/);
    // The CLI's change reaches the read cache within 100 ms.
    let after;
    for (let i = 0; i < 60; i++) {
      after = await byUrl(origin, story);
      if (after.total === 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(after.total, 1);
    assert.ok(after.article_id, 'the thread exists now');
    // A thread is no article of the API (its title is a reader's).
    const thread = await fetch(`${origin}/api/v1/articles/${encodeURIComponent(after.article_id)}`);
    assert.equal(thread.status, 404);

    await openStory(page, story);
    const item = page.locator(`${W} >> li.comment[data-id="${id}"]`);
    await item.waitFor();
    assert.match(await item.textContent(), /a lane of our own/);
    assert.equal(await page.locator(`${W} >> li.comment.pending`).count(), 0);
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a page on another origin gets the wrong-embed error state and keeps its draft', async () => {
  const { server, origin, page: story } = await siteServer(['--moderation', 'post']);
  try {
    const { page, problems } = await openPage(browser);
    // The same page, served under another host name: not the site's origin.
    const port = new URL(origin).port;
    const other = `http://localhost:${port}/integration/?url=${encodeURIComponent(story)}`;
    await openStory(page, other);
    await page.locator(`${W} >> .comments-empty`).waitFor();
    await page.locator(`${W} >> #kc-author`).fill('Nadia');
    await page.locator(`${W} >> #kc-body`).fill('Posted from the wrong place.');
    await page.locator(`${W} >> form.comment-form button.send`).click();
    const error = page.locator(`${W} >> .error[data-error-code="not-allowed"]`);
    await error.waitFor();
    assert.match(await error.textContent(), /embed settings are missing or wrong/);
    assert.equal(await page.locator(`${W} >> .error .retry`).count(), 0, 'nothing to retry');
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), 'Posted from the wrong place.');
    const draft = await page.evaluate(() => Object.keys(localStorage)
      .filter((k) => k.startsWith('khabar:drafts:')).map((k) => localStorage.getItem(k)).join(''));
    assert.match(draft, /Posted from the wrong place/);
    // One console line for the site owner, and no retry behind the scenes.
    await page.waitForTimeout(2500);
    const refusals = problems.filter((p) => p.includes('origin_not_allowed'));
    assert.equal(refusals.length, 1, problems.join('\n'));
    assert.equal((await byUrl(origin, story)).total, 0);

    // The page's own URL on that origin is outside the site: refused on load.
    const { page: outside } = await openPage(browser);
    await outside.goto(`http://localhost:${port}/integration/`);
    await outside.locator(`${W} >> .error[data-error-code="not-allowed"]`).waitFor();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

// Words of a PDF with whitespace folded.
const pdfText = (file) => execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');

test('the actions row alone, in its reserved height, prints the host page\'s own story', async () => {
  const { server, page: story } = await siteServer();
  const work = mkdtempSync(join(tmpdir(), 'khabar-integration-'));
  try {
    const { page, problems } = await openPage(browser);
    await page.addInitScript(() => { window.print = () => { window.__printed = (window.__printed || 0) + 1; }; });
    // The placeholder's height before the widget mounts: the page's reservation.
    await page.route('**/khabar/khabar.js', (route) => route.abort());
    await page.goto(story);
    const reserved = await page.locator(A).evaluate((el) => el.getBoundingClientRect().height);
    assert.equal(reserved, 56, '3.5rem');
    await page.unroute('**/khabar/khabar.js');
    problems.length = 0; // the script refused on purpose above
    // The skeleton holds the same height while the article is on its way.
    let release;
    const held = new Promise((r) => { release = r; });
    await page.route('**/api/v1/articles/**', async (route) => { await held; await route.continue(); });
    await page.goto(story);
    await page.locator(`${A} >> .skeleton`).waitFor({ state: 'attached' });
    const skeleton = await page.locator(A).evaluate((el) => el.getBoundingClientRect().height);
    assert.equal(skeleton, reserved, 'the skeleton keeps the reservation');
    release();
    await widgetsSettled(page);
    const print = page.locator(`${A} >> button.print`);
    await print.waitFor();
    for (const part of ['button.share-toggle', 'button.copy-link', 'button.send-toggle', 'a.rss']) {
      assert.equal(await page.locator(`${A} >> ${part}`).count(), 1, part);
    }
    assert.equal(await page.locator(`${A} >> .headline`).count(), 0, 'the row only');
    const loaded = await page.locator(A).evaluate((el) => el.getBoundingClientRect().height);
    assert.equal(loaded, reserved, 'no layout shift');
    // The share menu opens over what follows, neither clipped nor covered.
    await page.locator(`${A} >> button.share-toggle`).click();
    const onTop = await page.locator(A).evaluate((host) => {
      const menu = host.shadowRoot.querySelector('#kh-share-menu').getBoundingClientRect();
      const below = menu.bottom - 4 > host.getBoundingClientRect().bottom;
      const hit = host.shadowRoot.elementFromPoint(menu.left + menu.width / 2, menu.bottom - 4);
      return below && !!hit?.closest('#kh-share-menu');
    });
    assert.ok(onTop, 'the open share menu is on top below the row');
    assert.equal(await page.locator(A).evaluate((el) => el.getBoundingClientRect().height), reserved);
    await page.keyboard.press('Escape');

    await print.click();
    assert.equal(await page.evaluate(() => window.__printed), 1);
    assert.equal(await page.locator('#story').getAttribute('data-khabar-print-root'), '');
    const pdf = join(work, 'story.pdf');
    await page.pdf({ path: pdf, format: 'A4' });
    const text = pdfText(pdf);
    assert.match(text, /The harbour bridge reopens to cyclists/);
    assert.match(text, /cleared of snow first in winter/);
    for (const absent of ['The Daily Khabar', 'renders its own story', 'Comments', 'Share', 'Print']) {
      assert.ok(!text.includes(absent), `"${absent}" must not be printed`);
    }
    // After printing, the page prints as before.
    await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
    assert.equal(await page.locator('#story').getAttribute('data-khabar-print-root'), null);
    // The placeholder's own option outlives the marks: it prints the story again.
    assert.equal(await page.locator(A).getAttribute('data-khabar-print-target'), '#story');
    await print.click();
    assert.equal(await page.locator('#story').getAttribute('data-khabar-print-root'), '');
    await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
    server.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
});
