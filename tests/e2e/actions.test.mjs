// Reader actions end to end: printing only the article, host print intact,
// send to a friend through a real SMTP conversation, feeds linked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { screenshotPath, startServer, launchBrowser, openPage, widgetsSettled, axeViolations } from './helpers.mjs';

const W = '[data-khabar="article"]';
let browser;
let work;
before(async () => {
  browser = await launchBrowser();
  work = mkdtempSync(join(tmpdir(), 'khabar-print-'));
});
after(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

/** A minimal SMTP server keeping every message it receives. */
function smtpSink() {
  const inbox = [];
  const server = createServer((socket) => {
    socket.setEncoding('utf8');
    // The server's pooled connection is cut when the test stops the server.
    socket.on('error', () => {});
    socket.write('220 sink ESMTP\r\n');
    let buffer = '';
    let data = null;
    socket.on('data', (chunk) => {
      buffer += chunk;
      let i;
      while ((i = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (data !== null) {
          if (line === '.') { inbox.push(data); data = null; socket.write('250 queued\r\n'); } else { data += `${line}\n`; }
          continue;
        }
        const cmd = line.toUpperCase();
        if (cmd.startsWith('EHLO') || cmd.startsWith('HELO')) socket.write('250-sink\r\n250 8BITMIME\r\n');
        else if (cmd.startsWith('DATA')) { data = ''; socket.write('354 go on\r\n'); }
        else if (cmd.startsWith('QUIT')) { socket.end('221 bye\r\n'); }
        else socket.write('250 ok\r\n');
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `smtp://127.0.0.1:${server.address().port}`, inbox, close: () => server.close(),
  })));
}

// Words of a PDF with whitespace folded (line wrapping is not our business).
const pdfText = (file) => execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');

test('"print the article" prints the article alone; the host page prints as before', async () => {
  const server = await startServer({ args: ['--site-name', 'The Daily Khabar'] });
  try {
    const { page } = await openPage(browser);
    await page.addInitScript(() => { window.print = () => { window.__printed = (window.__printed || 0) + 1; }; });
    await page.goto(`${server.url}en/?article=2026-11-28-night-trains`);
    await widgetsSettled(page);
    await page.locator(`${W} >> form.comment-form`).waitFor();

    // Ctrl+P on the host page, without our button: the site's page, nav included.
    const hostPdf = join(work, 'host.pdf');
    await page.pdf({ path: hostPdf, format: 'A4' });
    const host = pdfText(hostPdf);
    assert.match(host, /Transport/, 'the host nav prints normally');

    await page.locator(`${W} >> button.print`).click();
    assert.equal(await page.evaluate(() => window.__printed), 1);
    const pdf = join(work, 'article.pdf');
    await page.pdf({ path: pdf, format: 'A4' });
    const text = pdfText(pdf);
    assert.match(text, /Night trains return to the coastal line after a decade/);
    assert.match(text, /ten years after the last sleeper service was withdrawn/);
    assert.match(text, /Hannah Clarke/);
    // The address whole, as the share buttons give it, then the site.
    assert.match(text, /Story address: http:\/\/127\.0\.0\.1:\d+\/\S*\?article=2026-11-28-night-trains\s*— The Daily Khabar/);
    for (const absent of ['Transport', 'Other languages', 'Add a comment', 'Post comment', 'Share', 'Latest']) {
      assert.ok(!text.includes(absent), `"${absent}" must not be printed`);
    }
    execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', '-singlefile', pdf, screenshotPath('print-en')]);

    // Arabic, right to left, from the Arabic page.
    await page.goto(`${server.url}?article=2026-11-23-wetland-birds`);
    await widgetsSettled(page);
    await page.locator(`${W} >> button.print`).click();
    const ar = join(work, 'ar.pdf');
    await page.pdf({ path: ar, format: 'A4' });
    const arText = pdfText(ar);
    assert.match(arText, /البلشون/);
    assert.ok(!arText.includes('الرئيسية'), 'no host navigation');
    assert.ok(!arText.includes('أضف تعليقاً'), 'no comment form');
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('send to a friend through the form reaches the SMTP server', async () => {
  const smtp = await smtpSink();
  const server = await startServer({ args: ['--smtp-url', smtp.url, '--mail-from', 'Desk <desk@news.test>'] });
  try {
    const { page, problems } = await openPage(browser);
    await page.goto(`${server.url}?article=2026-11-27-farmers-market`);
    await widgetsSettled(page);
    const toggle = page.locator(`${W} >> button.send-toggle`);
    await toggle.waitFor();
    await toggle.click();
    await page.locator(`${W} >> #ks-from_name`).fill('سارة');
    await page.locator(`${W} >> #ks-from_email`).fill('sara@example.org');
    await page.locator(`${W} >> #ks-to_email`).fill('friend@example.net');
    await page.locator(`${W} >> #ks-message`).fill('اقرأ هذا عن السوق');
    assert.deepEqual(await axeViolations(page), [], 'actions row and send form');
    await page.locator(`${W} >> #kh-send button.send`).click();
    await page.locator(`${W} >> #kh-send .form-status`).filter({ hasText: 'أُرسل الخبر إلى صديقك' }).waitFor();
    assert.equal(smtp.inbox.length, 1);
    const mail = smtp.inbox[0];
    assert.match(mail, /^To: friend@example\.net$/m);
    assert.match(mail, /sara@example\.org/);
    assert.match(mail, /desk@news\.test/);
    assert.deepEqual(problems, []);

    // The share menu, open, has no accessibility violation either.
    await page.locator(`${W} >> button.share-toggle`).click();
    assert.deepEqual(await axeViolations(page), []);
    await page.keyboard.press('Escape');
    assert.equal(await page.locator(`${W} >> #kh-share-menu`).isHidden(), true);
  } finally {
    await server.stop();
    server.cleanup();
    smtp.close();
  }
});

test('send to a friend waits for a slow mail server longer than other requests: no "not sent" for a message that leaves', async () => {
  const smtp = await smtpSink();
  const server = await startServer({ args: ['--smtp-url', smtp.url, '--mail-from', 'Desk <desk@news.test>'] });
  try {
    const { page, problems } = await openPage(browser);
    await page.goto(`${server.url}?article=2026-11-27-farmers-market`);
    await widgetsSettled(page);
    // The widget's time limits run on the page's clock, which the test
    // moves on while the request is held on its way to the server.
    await page.clock.install();
    let arrived;
    const held = new Promise((resolve) => { arrived = resolve; });
    await page.route('**/send', (route) => arrived(route));
    await page.locator(`${W} >> button.send-toggle`).click();
    await page.locator(`${W} >> #ks-from_name`).fill('سارة');
    await page.locator(`${W} >> #ks-from_email`).fill('sara@example.org');
    await page.locator(`${W} >> #ks-to_email`).fill('friend@example.net');
    await page.locator(`${W} >> #kh-send button.send`).click();
    const route = await held;
    // 15 s: past the 10 s of other requests, short of the server's 20 s
    // for its mail server.
    await page.clock.runFor(15_000);
    const status = page.locator(`${W} >> #kh-send .form-status`);
    assert.equal(await status.textContent(), '', 'nothing said yet');
    await route.continue();
    await status.filter({ hasText: 'أُرسل الخبر إلى صديقك' }).waitFor();
    assert.equal(smtp.inbox.length, 1);
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
    server.cleanup();
    smtp.close();
  }
});

test('with --mail-outbox (the demo) the sent mail is readable at /demo/outbox', async () => {
  const server = await startServer({ args: ['--mail-outbox', '--mail-from', 'Desk <desk@news.test>'] });
  try {
    const { page, problems } = await openPage(browser);
    await page.goto(`${server.url}?article=2026-11-27-farmers-market`);
    await widgetsSettled(page);
    await page.locator(`${W} >> button.send-toggle`).click();
    await page.locator(`${W} >> #ks-from_name`).fill('سارة');
    await page.locator(`${W} >> #ks-from_email`).fill('sara@example.org');
    await page.locator(`${W} >> #ks-to_email`).fill('friend@example.net');
    await page.locator(`${W} >> #ks-message`).fill('اقرأ هذا عن السوق');
    // A mistyped address is marked, and unmarked once mended.
    const to = page.locator(`${W} >> #ks-to_email`);
    const status = page.locator(`${W} >> #kh-send .form-status`);
    await to.fill('friend@');
    await page.locator(`${W} >> #kh-send button.send`).click();
    await status.filter({ hasText: /\S/ }).waitFor();
    assert.equal(await to.getAttribute('aria-invalid'), 'true');
    await to.pressSequentially('example');
    assert.equal(await to.getAttribute('aria-invalid'), 'true', 'still no domain');
    await to.pressSequentially('.net');
    assert.equal(await to.getAttribute('aria-invalid'), null);
    assert.equal(await page.locator(`${W} >> #kh-send .field-error:not([hidden])`).count(), 0);
    assert.equal(await status.textContent(), '');
    // Too many sends first: the form says so, to wait minutes, and keeps
    // what was typed (nothing sends it again by itself).
    let limited = true;
    await page.route('**/articles/*/send', (route) => (limited
      ? route.fulfill({ status: 429, headers: { 'retry-after': '60' }, contentType: 'application/json', body: '{"error":{"code":"rate_limited"}}' })
      : route.continue()));
    await page.locator(`${W} >> #kh-send button.send`).click();
    await page.locator(`${W} >> #kh-send .form-status`).filter({ hasText: 'أُرسلت رسائل كثيرة من هنا في وقت قصير، وما كتبته محفوظ. أعد المحاولة بعد دقائق.' }).waitFor();
    assert.equal(await page.locator(`${W} >> #ks-message`).inputValue(), 'اقرأ هذا عن السوق');
    // A refusal naming no field the form has (a server that could not
    // write the mail) is the server's problem, not "check the marked fields".
    await page.unrouteAll({ behavior: 'wait' });
    await page.route('**/articles/*/send', (route) => route.fulfill({ status: 422, contentType: 'application/json',
      body: '{"error":{"code":"invalid","message":"no","fields":{}}}' }));
    await page.locator(`${W} >> #kh-send button.send`).click();
    await page.locator(`${W} >> #kh-send .form-status`).filter({ hasText: 'واجه خادم الأخبار مشكلة' }).waitFor();
    assert.equal(await page.locator(`${W} >> #kh-send [aria-invalid="true"]`).count(), 0);
    // A name the server finds too long is told as such.
    await page.unrouteAll({ behavior: 'wait' });
    await page.route('**/articles/*/send', (route) => route.fulfill({ status: 422, contentType: 'application/json',
      body: '{"error":{"code":"invalid","message":"no","fields":{"from_name":{"code":"too_long","message":"long"}}}}' }));
    await page.locator(`${W} >> #kh-send button.send`).click();
    await page.locator(`${W} >> #kh-send .field-error:not([hidden])`).filter({ hasText: 'الاسم أطول من' }).waitFor();
    assert.equal(await page.locator(`${W} >> #ks-from_name`).getAttribute('aria-invalid'), 'true');
    await page.locator(`${W} >> #ks-from_name`).fill('سارة');
    // An embed the server refuses is told as such, not as "try again".
    await page.unrouteAll({ behavior: 'wait' });
    await page.route('**/articles/*/send', (route) => route.fulfill({ status: 403, contentType: 'application/json',
      body: '{"error":{"code":"origin_not_allowed","message":"no"}}' }));
    await page.locator(`${W} >> #kh-send button.send`).click();
    await page.locator(`${W} >> #kh-send .form-status`).filter({ hasText: 'إعدادات هذه الأداة' }).waitFor();
    await page.unrouteAll({ behavior: 'wait' });
    limited = false;
    await page.locator(`${W} >> #kh-send button.send`).click();
    await page.locator(`${W} >> #kh-send .form-status`).filter({ hasText: 'أُرسل الخبر إلى صديقك' }).waitFor();
    assert.deepEqual(problems.filter((p) => !/429|403|422/.test(p)), []);

    // bypassCSP for axe's sake only: the page's policy allows no script.
    const outbox = await (await browser.newContext({ bypassCSP: true })).newPage();
    const res = await outbox.goto(new URL("/demo/outbox", server.url).href);
    assert.equal(res.status(), 200);
    const mail = outbox.locator('article.mail');
    assert.equal(await mail.count(), 1);
    assert.match(await mail.locator('h2').innerText(), /سوق/);
    const text = await mail.locator('pre.body').innerText();
    assert.match(text, /سارة/);
    assert.match(text, /اقرأ هذا عن السوق/);
    assert.match(text, /\?article=2026-11-27-farmers-market/);
    assert.match(await mail.innerText(), /friend@example\.net/);
    assert.deepEqual(await axeViolations(outbox, { wholePage: true }), [], 'the outbox page');
    await outbox.screenshot({ path: screenshotPath('demo-outbox.png'), fullPage: true });
    // Its language link comes back to it in the language chosen.
    const before = await outbox.locator('html').getAttribute('lang');
    const chosen = await outbox.locator('a.lang').getAttribute('lang');
    assert.notEqual(chosen, before);
    await Promise.all([outbox.waitForNavigation(), outbox.click('a.lang')]);
    assert.equal(new URL(outbox.url()).pathname, '/demo/outbox');
    assert.equal(await outbox.locator('html').getAttribute('lang'), chosen);
    await outbox.close();

    // A second friend: the same confirmation is read out again, since the
    // line is emptied and written a task later (a line given the same words
    // in one task is not read again).
    await page.locator(`${W} >> #kh-send .form-status`).evaluate((line) => {
      window.__lines = [];
      new MutationObserver(() => window.__lines.push(line.textContent))
        .observe(line, { childList: true, characterData: true, subtree: true });
    });
    await page.locator(`${W} >> #ks-to_email`).fill('other@example.net');
    await page.locator(`${W} >> #kh-send button.send`).click();
    await page.waitForFunction(() => window.__lines.at(-1) === 'أُرسل الخبر إلى صديقك.');
    assert.deepEqual(await page.evaluate(() => window.__lines), ['', 'أُرسل الخبر إلى صديقك.']);
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('without SMTP the send action stays hidden; RSS links the feed', async () => {
  const server = await startServer();
  try {
    const { page } = await openPage(browser);
    await page.goto(`${server.url}?article=2026-11-27-farmers-market`);
    await widgetsSettled(page);
    const rss = page.locator(`${W} >> a.rss`);
    await page.waitForFunction(() => document.querySelector('[data-khabar="article"]').shadowRoot
      .querySelector('a.rss')?.getAttribute('href')?.endsWith('/feed.xml'));
    const href = await rss.getAttribute('href');
    const res = await fetch(href);
    assert.equal(res.headers.get('content-type'), 'application/rss+xml; charset=utf-8');
    assert.equal(await page.locator(`${W} >> button.send-toggle`).isHidden(), true);
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('the share menu of an article without comments opens whole below the row; a network picked from the keyboard gives the focus back to "share"', async () => {
  const server = await startServer();
  try {
    const { page, problems } = await openPage(browser);
    // The article takes no comments and has none: the actions row ends the widget.
    await page.route('**/api/v1/articles/2026-11-27-farmers-market', async (route) => {
      const res = await route.fetch();
      const article = await res.json();
      await route.fulfill({ response: res, json: { ...article, comments_open: false, comment_count: 0 } });
    });
    await page.goto(`${server.url}?article=2026-11-27-farmers-market`);
    await widgetsSettled(page);
    assert.equal(await page.locator(`${W} >> section.comments`).count(), 0);
    await page.locator(`${W} >> button.share-toggle`).click();
    const whole = await page.locator(W).evaluate((host) => {
      const el = host.shadowRoot.querySelector('#kh-share-menu');
      el.scrollIntoView({ block: 'end' });
      const menu = el.getBoundingClientRect();
      const below = menu.bottom - 4 > host.getBoundingClientRect().bottom;
      const hit = host.shadowRoot.elementFromPoint(menu.left + menu.width / 2, menu.bottom - 4);
      return below && !!hit?.closest('#kh-share-menu');
    });
    assert.ok(whole, 'the menu reaches past the widget and is not clipped');
    const link = page.locator(`${W} >> #kh-share-menu a`).first();
    await link.focus();
    const popup = page.waitForEvent('popup');
    await page.keyboard.press('Enter');
    await (await popup).close();
    assert.equal(await page.locator(`${W} >> #kh-share-menu`).isHidden(), true);
    assert.equal(await page.locator(W).evaluate((host) => host.shadowRoot.activeElement?.className), 'action share-toggle');
    assert.deepEqual(problems.filter((p) => !/wa\.me|whatsapp|facebook|twitter|x\.com|telegram|linkedin/i.test(p)), []);
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('an article whose url is a path, or missing, is shared and copied by an address that works: resolved against the API, else the page\'s own; a feed\'s utm tags go', async () => {
  const server = await startServer();
  try {
    for (const [given, expected] of [
      ['/2026/11/27/market', `${server.url}2026/11/27/market`],
      [undefined, `${server.url}?article=2026-11-27-farmers-market`],
      // Without a campaign set, a feed's tags are not passed on either.
      ['https://news.example/2026/market?utm_source=rss&id=7&UTM_medium=feed#top', 'https://news.example/2026/market?id=7#top'],
    ]) {
      const { page, problems } = await openPage(browser);
      await page.addInitScript(() => {
        window.copied = [];
        Object.defineProperty(Navigator.prototype, 'clipboard', {
          get: () => ({ writeText: async (t) => { window.copied.push(t); } }), configurable: true,
        });
      });
      await page.route('**/api/v1/articles/2026-11-27-farmers-market', async (route) => {
        const res = await route.fetch();
        const article = await res.json();
        if (given === undefined) delete article.url; else article.url = given;
        await route.fulfill({ response: res, json: article });
      });
      await page.goto(`${server.url}?article=2026-11-27-farmers-market#comments`);
      await widgetsSettled(page);
      const hrefs = await page.locator(W).evaluate((host) => [...host.shadowRoot.querySelectorAll('#kh-share-menu a')].map((a) => a.href));
      assert.ok(hrefs.length > 3, hrefs.join(' '));
      for (const href of hrefs.filter((h) => !h.startsWith('mailto:'))) {
        assert.ok(href.includes(encodeURIComponent(expected)), `${given}: ${href}`);
      }
      await page.locator(`${W} >> button.share-toggle`).click();
      await page.locator(`${W} >> button.copy-link`).click();
      await page.waitForFunction(() => window.copied.length === 1);
      assert.deepEqual(await page.evaluate(() => window.copied), [expected]);
      assert.deepEqual(problems, []);
      await page.close();
    }
    // An API named by a path (`api: '/api/v1'`): the article's path is
    // resolved against it all the same.
    const { page, problems } = await openPage(browser);
    await page.route('**/api/v1/articles/2026-11-27-farmers-market', async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, json: { ...(await res.json()), url: '/2026/11/27/market' } });
    });
    await page.route('**/relative-api.html?*', (route) => route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"></head>
        <body><div id="story"></div><script type="module">
          import { mount } from '/khabar/khabar.js';
          mount(document.getElementById('story'), { kind: 'actions', articleId: '2026-11-27-farmers-market', api: '/api/v1' });
        </script></body></html>`,
    }));
    await page.goto(`${server.url}relative-api.html?preview=1`);
    await page.locator('#story >> button.share-toggle').waitFor();
    const hrefs = await page.locator('#story').evaluate((host) => [...host.shadowRoot.querySelectorAll('#kh-share-menu a')].map((a) => a.href));
    const article = encodeURIComponent(`${server.url}2026/11/27/market`);
    assert.ok(hrefs.filter((h) => !h.startsWith('mailto:')).every((h) => h.includes(article)), hrefs.join(' '));
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('"print" of an actions row prints the page when it has no <article> or <main>, and the host\'s web component around a row inside one', async () => {
  const server = await startServer();
  try {
    const { page, problems } = await openPage(browser);
    await page.addInitScript(() => { window.print = () => { window.__printed = (window.__printed || 0) + 1; }; });
    const html = (body) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>${body}</body></html>`;
    // A plain page: divs only, the row under the story, its comments
    // (a placeholder and an element) under the row.
    await page.route('**/plain-story.html', (route) => route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: html(`<div><h2>Ferry timetable</h2><p>The morning crossing leaves at seven from Monday.</p></div>
        <div data-khabar="actions" data-khabar-article-id="2026-11-27-farmers-market" data-khabar-lang="en"></div>
        <div data-khabar="comments" data-khabar-article-id="2026-11-27-farmers-market" data-khabar-lang="en"></div>
        <khabar-widget kind="comments" article-id="2026-11-27-farmers-market" lang="fr"></khabar-widget>
        <script type="module" src="/khabar/khabar.js"></script>`),
    }));
    await page.goto(`${server.url}plain-story.html`);
    await page.locator('[data-khabar="comments"] >> form.comment-form').waitFor();
    await page.locator('khabar-widget >> form.comment-form').waitFor();
    await page.locator('[data-khabar="actions"] >> button.print').click();
    assert.equal(await page.evaluate(() => window.__printed), 1);
    const plain = join(work, 'plain.pdf');
    await page.pdf({ path: plain, format: 'A4' });
    const plainText = pdfText(plain);
    assert.match(plainText, /The morning crossing leaves at seven from Monday/);
    for (const absent of ['Comments', 'Commentaires']) {
      assert.ok(!plainText.includes(absent), `"${absent}" must not be printed: ${plainText}`);
    }
    await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));

    // A page whose story is drawn by its own web component, the row in it.
    await page.route('**/component-story.html', (route) => route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: html(`<nav>Sections: Harbour, Weather</nav><story-view></story-view>
        <script type="module">
          import { mount } from '/khabar/khabar.js';
          customElements.define('story-view', class extends HTMLElement {
            connectedCallback() {
              const root = this.attachShadow({ mode: 'open' });
              root.innerHTML = '<article><h2>Lighthouse repainted</h2><p>The keepers chose the old red stripe.</p><div id="row"></div></article>';
              mount(root.getElementById('row'), { kind: 'actions', articleId: '2026-11-27-farmers-market', lang: 'en' });
            }
          });
        </script>`),
    }));
    await page.goto(`${server.url}component-story.html`);
    const print = page.locator('story-view >> button.print');
    await print.click();
    const inComponent = join(work, 'component.pdf');
    await page.pdf({ path: inComponent, format: 'A4' });
    const text = pdfText(inComponent);
    assert.match(text, /The keepers chose the old red stripe/);
    assert.ok(!text.includes('Sections: Harbour'), text);
    // After printing no mark is left, in the page or in the component.
    await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
    assert.equal(await page.evaluate(() => {
      const root = document.querySelector('story-view').shadowRoot;
      return document.querySelectorAll('[data-khabar-print-path], [data-khabar-print-root]').length
        + root.querySelectorAll('[data-khabar-print-path], [data-khabar-print-root]').length;
    }), 0);
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('"copy link" without the Clipboard API keeps the focus and says whether it copied; the share menu closes once the focus leaves it', async () => {
  const server = await startServer();
  try {
    const { page, problems } = await openPage(browser);
    // A page on plain HTTP has no navigator.clipboard; the copy command's
    // answer is the test's to give.
    await page.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined, configurable: true });
      window.__copyWorks = true;
      document.execCommand = (command) => command === 'copy' && window.__copyWorks;
    });
    await page.goto(`${server.url}?article=2026-11-27-farmers-market`);
    await widgetsSettled(page);
    const live = page.locator(`${W} >> p.actions-live`);
    const active = () => page.locator(W).evaluate((host) => host.shadowRoot.activeElement?.className ?? document.activeElement?.localName);
    await page.locator(`${W} >> button.share-toggle`).focus();
    await page.keyboard.press('Enter');
    await page.locator(`${W} >> button.copy-link`).focus();
    await page.keyboard.press('Enter');
    await live.filter({ hasText: 'نُسخ الرابط.' }).waitFor();
    assert.equal(await active(), 'copy-link', 'the focus stays on "copy link"');
    await page.evaluate(() => { window.__copyWorks = false; });
    await page.keyboard.press('Enter');
    await live.filter({ hasText: 'تعذّر نسخ الرابط.' }).waitFor();
    assert.equal(await active(), 'copy-link');

    // Tab past the menu's last entry: it closes, and does not cover what
    // the focus went to.
    const menu = page.locator(`${W} >> #kh-share-menu`);
    assert.equal(await menu.isVisible(), true);
    const entries = await page.locator(W).evaluate((host) => host.shadowRoot.querySelectorAll('#kh-share-menu a, #kh-share-menu button').length);
    assert.ok(entries > 2, `${entries} entries`);
    for (let i = 0; i < entries + 1 && await menu.isVisible(); i++) await page.keyboard.press('Tab');
    assert.equal(await menu.isHidden(), true);
    const outside = await page.locator(W).evaluate((host) => {
      const a = host.shadowRoot.activeElement;
      return !!a && !a.closest('.share');
    });
    assert.ok(outside, 'the focus went on past the menu');
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
    server.cleanup();
  }
});
