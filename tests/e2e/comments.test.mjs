// The comment section end to end: real server, real widget, headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { screenshotPath, startServer, launchBrowser, openPage, routeMountPage, widgetsSettled, axeViolations } from './helpers.mjs';

const ARTICLE = '2026-11-27-farmers-market';
const W = '[data-khabar="article"]';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

async function openArticle(page, server) {
  await page.goto(`${server.url}?article=${ARTICLE}`);
  await widgetsSettled(page);
  await page.locator(`${W} >> form.comment-form`).waitFor();
}

const total = async (server) => (await (await fetch(`${server.url}api/v1/articles/${ARTICLE}/comments`)).json()).total;

/** The total once it reaches `want`: a change made by another process (the
 * CLI) reaches the server's read cache within 100 ms, not at once. */
async function totalBecomes(server, want, ms = 3000) {
  const until = Date.now() + ms;
  let seen;
  while (Date.now() < until) {
    seen = await total(server);
    if (seen === want) return seen;
    await new Promise((r) => setTimeout(r, 50));
  }
  return seen;
}

/** The bodies of the comment drafts `page`'s origin has stored, each
 * article's oldest first (an article's drafts are a list, one per tab that
 * wrote its own). */
const storedDrafts = (page) => page.evaluate(() => Object.keys(localStorage)
  .filter((k) => k.startsWith('khabar:drafts:'))
  .flatMap((k) => JSON.parse(localStorage.getItem(k)).map((d) => d.body)));


/** Posts a comment (a reply under `parent`) to the article through the
 * API, as a reader's browser would; with `approve` (a server under
 * pre-moderation), a moderator publishes it. Its id. */
async function postComment(server, body, { author = 'R', parent = null, approve = false, article = ARTICLE } = {}) {
  const res = await fetch(`${server.url}api/v1/articles/${article}/comments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ author, email: '', website: '', body, parent_id: parent, idempotency_key: crypto.randomUUID() }),
  });
  assert.equal(res.status, 201);
  const id = (await res.json()).comment.id;
  if (approve) server.cli('comments', 'approve', String(id));
  return id;
}

/** Posts `n` comments ("comment 0" by R0, …) to the article (or `article`);
 * with `approve` (a server under pre-moderation), a moderator publishes each. */
async function seedComments(server, n, { approve = false, article = ARTICLE } = {}) {
  for (let i = 0; i < n; i++) await postComment(server, `comment ${i}`, { author: `R${i}`, approve, article });
}

/** The publishing token of the servers whose articles the tests close. */
const CLOSING_TOKEN = 'closing-token-for-the-e2e-suite-0123456789';

/** Publishes article `id`, titled `title`, through the publishing API of
 * `server` (started with CLOSING_TOKEN), its comments `open` or closed. */
const putArticle = (server, id, title, open) => fetch(new URL(`/api/v1/admin/articles/${id}`, server.url), {
  method: 'PUT',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${CLOSING_TOKEN}` },
  body: JSON.stringify({
    url: `https://news.example/2026/${id}`,
    title,
    published_at: '2026-12-05T08:00:00Z',
    lang: 'ar',
    body_html: '<p>نص المقال.</p>',
    comments_open: open,
  }),
});

test('keyboard only: a comment posted with post-moderation appears in place', async () => {
  const server = await startServer({ args: ['--moderation', 'post'] });
  try {
    const { page, problems } = await openPage(browser);
    await openArticle(page, server);
    await page.locator(`${W} >> #kc-author`).focus();
    await page.keyboard.type('سارة Q.');
    await page.keyboard.press('Tab');
    await page.keyboard.type('sara@example.org');
    await page.keyboard.press('Tab');
    await page.keyboard.type('سؤال: متى تبدأ السوق في الشتاء؟');
    await page.keyboard.press('Tab'); // remember my name
    await page.keyboard.press('Tab'); // send
    await page.keyboard.press('Enter');
    await page.locator(`${W} >> form.comment-form .form-status`).filter({ hasText: 'نُشر تعليقك' }).waitFor();
    const item = page.locator(`${W} >> li.comment`).first();
    assert.match(await item.textContent(), /متى تبدأ السوق في الشتاء/);
    assert.equal(await page.locator(`${W} >> .comments-total`).textContent(), ' (١)');
    assert.equal(await total(server), 1);
    // The address is never published.
    const list = await (await fetch(`${server.url}api/v1/articles/${ARTICLE}/comments`)).text();
    assert.ok(!list.includes('sara@example.org'));
    // A reply, by keyboard too: its form opens under the comment and goes
    // back to the end once sent, and the reader's focus stays on "send".
    await item.locator('button.reply').focus();
    await page.keyboard.press('Enter');
    await page.locator(`${W} >> li.comment form.comment-form`).waitFor();
    // The text box, focused, is described by whom it answers (then its count).
    const description = () => page.evaluate(() => {
      const root = document.querySelector('[data-khabar="article"]').shadowRoot;
      return root.activeElement.getAttribute('aria-describedby').split(' ')
        .map((id) => root.getElementById(id)?.textContent.trim()).filter(Boolean).join(' | ');
    });
    assert.match(await description(), /^ردّاً على سارة Q\. \| /);
    // "Cancel reply" gives the focus back to the comment's "reply".
    await page.locator(`${W} >> .cancel-reply`).focus();
    await page.keyboard.press('Enter');
    await page.locator(`${W} >> section.comments > form.comment-form`).waitFor();
    assert.ok(await item.locator('button.reply').evaluate((b) => b.getRootNode().activeElement === b));
    await page.keyboard.press('Enter');
    await page.locator(`${W} >> li.comment form.comment-form`).waitFor();
    await page.keyboard.type('من الأسبوع الأول من ديسمبر.');
    await page.keyboard.press('Tab'); // remember my name
    await page.keyboard.press('Tab'); // send
    await page.keyboard.press('Enter');
    await page.locator(`${W} >> ol.replies li.comment`).filter({ hasText: 'من الأسبوع الأول' }).waitFor();
    await page.locator(`${W} >> section.comments > form.comment-form`).waitFor();
    assert.equal(await page.evaluate(() => document.querySelector('[data-khabar="article"]').shadowRoot.activeElement?.className), 'send');
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('pre-moderation: pending for the writer, published after the CLI approves', async () => {
  const server = await startServer({ args: ['--moderation', 'pre'] });
  try {
    const { page } = await openPage(browser);
    await openArticle(page, server);
    await page.locator(`${W} >> #kc-author`).fill('Omar');
    await page.locator(`${W} >> #kc-body`).fill('Will there be a winter market too?');
    await page.locator(`${W} >> form.comment-form button.send`).click();
    await page.locator(`${W} >> li.comment.pending`).waitFor();
    assert.match(await page.locator(`${W} >> li.comment.pending`).textContent(), /بانتظار المراجعة/);
    assert.equal(await total(server), 0, 'not public yet');

    // Still shown to its writer after a reload (local storage).
    await openArticle(page, server);
    await page.locator(`${W} >> li.comment.pending`).waitFor();

    const pending = server.cli('comments', 'pending');
    const id = pending.match(/#(\d+)/)[1];
    assert.match(server.cli('comments', 'approve', id), /published/);
    assert.equal(await totalBecomes(server, 1), 1);

    const fresh = await browser.newPage();
    await openArticle(fresh, server);
    const item = fresh.locator(`${W} >> li.comment[data-id="${id}"]`);
    await item.waitFor();
    assert.equal(await fresh.locator(`${W} >> li.comment.pending`).count(), 0);
    await fresh.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('"tell me about replies": offered once an address is typed, confirmed by the mailed link, then a published reply is mailed', async () => {
  // The demo's outbox stands in for the mail server (shown at /demo/outbox).
  const server = await startServer({ args: ['--moderation', 'pre', '--mail-outbox'] });
  const outbox = async () => {
    const page = await browser.newPage();
    await page.goto(new URL('/demo/outbox', server.url).href);
    const mails = await page.locator('article.mail').evaluateAll((els) => els.map((el) => ({
      subject: el.querySelector('h2').textContent, text: el.querySelector('pre').textContent,
    })));
    await page.close();
    return mails;
  };
  const waitForMail = async (n) => {
    const until = Date.now() + 20_000;
    for (;;) {
      const mails = await outbox();
      if (mails.length >= n) return mails;
      if (Date.now() > until) throw new Error(`expected ${n} message(s) in the outbox, got ${mails.length}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  try {
    const { page, problems } = await openPage(browser);
    await openArticle(page, server);
    const line = page.locator(`${W} >> p.notify`);
    assert.equal(await line.isHidden(), true, 'not offered without an address');
    await page.locator(`${W} >> #kc-author`).fill('هدى');
    await page.locator(`${W} >> #kc-email`).fill('huda@example.org');
    await line.waitFor();
    assert.deepEqual(await axeViolations(page), [], 'the form with the opt-in shown');
    await page.locator(`${W} >> #kc-notify`).check();
    await page.locator(`${W} >> #kc-body`).fill('هل ستفتح السوق في الشتاء أيضًا؟');
    await page.locator(`${W} >> form.comment-form button.send`).click();
    await page.locator(`${W} >> li.comment.pending`).waitFor();
    assert.deepEqual(problems, []);

    // Double opt-in: the only mail is the confirmation, in the reader's language.
    const [confirmation] = await waitForMail(1);
    assert.equal(confirmation.subject, 'تأكيد: أعلمني بالردود عبر البريد');
    const link = confirmation.text.match(/https?:\/\/\S+\/replies\/confirm\?t=\S+/)[0];
    const confirmPage = await browser.newPage();
    await confirmPage.goto(link);
    await confirmPage.getByRole('button', { name: 'تأكيد' }).click();
    await confirmPage.getByRole('heading', { name: /ستصلك رسالة/ }).waitFor();
    await confirmPage.close();

    // Her comment is approved, then a reply to it: she is told once it is published.
    const id = server.cli('comments', 'pending').match(/#(\d+)/)[1];
    server.cli('comments', 'approve', id);
    const res = await fetch(new URL(`/api/v1/articles/${ARTICLE}/comments`, server.url), {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ author: 'البلدية', body: 'نعم، ستفتح أيام الجمعة طوال الشتاء.', parent_id: Number(id),
        idempotency_key: 'reply-notice-e2e-1' }),
    });
    assert.equal(res.status, 201);
    const { comment: reply } = await res.json();
    await new Promise((r) => setTimeout(r, 6_000)); // a run of the job (every 5 s) while the reply waits
    assert.equal((await outbox()).length, 1, 'nothing for a reply still waiting for a moderator');
    server.cli('comments', 'approve', String(reply.id));
    const mails = await waitForMail(2);
    const notice = mails.find((m) => m !== confirmation && m.subject.startsWith('رد جديد'));
    assert.ok(notice, JSON.stringify(mails));
    assert.match(notice.text, /ستفتح أيام الجمعة/);
    assert.match(notice.text, /\/replies\/unsubscribe\?t=/);

    // She answers in the same conversation, the box ticked again: she is
    // subscribed already, so the form says only what became of the reply,
    // and no second confirmation is mailed.
    await openArticle(page, server);
    await page.locator(`${W} >> li.comment[data-id="${id}"] button.reply`).first().click();
    await page.locator(`${W} >> #kc-author`).fill('هدى');
    await page.locator(`${W} >> #kc-email`).fill('huda@example.org');
    await page.locator(`${W} >> #kc-notify`).check();
    await page.locator(`${W} >> #kc-body`).fill('شكرًا، سأمرّ يوم الجمعة.');
    await page.locator(`${W} >> form.comment-form button.send`).click();
    await page.locator(`${W} >> li.comment.pending`).filter({ hasText: 'سأمرّ يوم الجمعة' }).waitFor();
    assert.equal(await page.locator(`${W} >> form.comment-form .form-status`).textContent(), 'وصل تعليقك، وسيظهر بعد مراجعته.');
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal((await outbox()).length, 2, 'no second confirmation');
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a draft survives a reload', async () => {
  const server = await startServer();
  try {
    const { page } = await openPage(browser);
    await openArticle(page, server);
    await page.locator(`${W} >> #kc-author`).fill('ليلى');
    await page.locator(`${W} >> #kc-body`).fill('مسودة طويلة لم أنتهِ منها بعد');
    await page.reload();
    await widgetsSettled(page);
    await page.locator(`${W} >> form.comment-form`).waitFor();
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), 'مسودة طويلة لم أنتهِ منها بعد');
    assert.equal(await page.locator(`${W} >> #kc-author`).inputValue(), 'ليلى');
    assert.match(await page.locator(`${W} >> form.comment-form .form-status`).textContent(), /استعدنا مسودة تعليقك/);
  } finally {
    await server.stop();
    server.cleanup();
  }
});

/** Takes the article widget out of the page and puts it back: the page's
 * watch mounts it again; resolves once its form is back. */
async function remount(page) {
  await page.evaluate((sel) => {
    const host = document.querySelector(sel);
    const place = host.parentNode;
    const next = host.nextSibling;
    host.remove();
    setTimeout(() => place.insertBefore(host, next), 100);
  }, W);
  await page.waitForTimeout(300);
  await page.locator(`${W} >> form.comment-form`).waitFor();
}

test('storage the browser refuses (blocked, some private modes): the section shows and posts, with no error on the page; a widget mounted again keeps the text', async () => {
  const server = await startServer({ args: ['--moderation', 'post'] });
  try {
    const { page, problems } = await openPage(browser);
    // As a browser whose reader blocked site data: any use of localStorage
    // throws (the loader opens it early; the widget reads drafts from it).
    await page.addInitScript(() => {
      Object.defineProperty(window, 'localStorage', {
        get() { throw new DOMException('The operation is insecure.', 'SecurityError'); },
      });
    });
    await openArticle(page, server);
    await page.locator(`${W} >> #kc-author`).fill('هدى');
    await page.locator(`${W} >> #kc-body`).fill('تعليق من متصفح يمنع التخزين');
    // The widget taken down and mounted again in this page (an app's view
    // shown again): the text is still there, kept in memory.
    await remount(page);
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), 'تعليق من متصفح يمنع التخزين');
    assert.equal(await page.locator(`${W} >> #kc-author`).inputValue(), 'هدى');
    await page.locator(`${W} >> form.comment-form button.send`).click();
    await page.locator(`${W} >> li.comment`).filter({ hasText: 'يمنع التخزين' }).waitFor();
    assert.equal(await total(server), 1);
    // Sent: mounted again, the form is empty.
    await remount(page);
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), '');
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('storage that fills up while the reader writes keeps no older version of the draft', async () => {
  const server = await startServer({ args: ['--moderation', 'post'] });
  try {
    const { page, problems } = await openPage(browser);
    await openArticle(page, server);
    await page.locator(`${W} >> #kc-author`).fill('هدى');
    await page.locator(`${W} >> #kc-body`).fill('بداية');
    const draft = () => storedDrafts(page);
    assert.deepEqual(await draft(), ['بداية']);
    // Other scripts of the site fill the origin's storage to the brim.
    await page.evaluate(() => {
      let chunk = 'x'.repeat(1 << 20);
      for (let i = 0; chunk.length > 8;) {
        try { localStorage.setItem(`site-cache-${i}`, chunk); i += 1; } catch { chunk = chunk.slice(chunk.length / 2); }
      }
    });
    // The longer text no longer fits: the older version is not kept either
    // (a later visit would restore it, and send it, as the reader's).
    await page.locator(`${W} >> #kc-body`).fill('بداية تعليق طويل لم يعد يتسع له التخزين');
    assert.deepEqual(await draft(), []);
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), 'بداية تعليق طويل لم يعد يتسع له التخزين');
    // Mounted again in this page, the widget has it, from memory.
    await remount(page);
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), 'بداية تعليق طويل لم يعد يتسع له التخزين');
    await page.evaluate(() => localStorage.clear());
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('server down: the text is kept, and the retry stores exactly one copy', async () => {
  let server = await startServer({ args: ['--moderation', 'post'] });
  const { port } = new URL(server.url);
  try {
    const { page } = await openPage(browser);
    await openArticle(page, server);
    await server.stop();
    await page.locator(`${W} >> #kc-author`).fill('Nadia');
    await page.locator(`${W} >> #kc-body`).fill('Sent while the server was down.');
    await page.locator(`${W} >> form.comment-form button.send`).click();
    await page.locator(`${W} >> form.comment-form .form-status`).filter({ hasText: 'نصّك محفوظ' }).waitFor();
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), 'Sent while the server was down.');

    server = await startServer({ listen: `127.0.0.1:${port}`, dbDir: server.dir, args: ['--moderation', 'post'] });
    await page.locator(`${W} >> form.comment-form button.send`).click();
    await page.locator(`${W} >> form.comment-form .form-status`).filter({ hasText: 'نُشر تعليقك' }).waitFor();
    // Let any automatic retry that was already scheduled fire too.
    await page.waitForTimeout(2500);
    assert.equal(await total(server), 1);
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), '');
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a browser without crypto.randomUUID (an http page, an older browser) posts all the same', async () => {
  const server = await startServer({ args: ['--moderation', 'post'] });
  try {
    const { page, problems } = await openPage(browser);
    // Only secure contexts have it; calling it where it is missing throws.
    await page.addInitScript(() => { delete Crypto.prototype.randomUUID; });
    const keys = [];
    page.on('request', (r) => { if (r.method() === 'POST' && r.url().includes('/comments')) keys.push(JSON.parse(r.postData()).idempotency_key); });
    await openArticle(page, server);
    await page.locator(`${W} >> #kc-author`).fill('Nadia');
    await page.locator(`${W} >> #kc-body`).fill('Written where the browser has no randomUUID.');
    await page.locator(`${W} >> form.comment-form button.send`).click();
    await page.locator(`${W} >> li.comment`).filter({ hasText: 'Written where the browser has no randomUUID.' }).waitFor();
    assert.equal(await total(server), 1);
    assert.equal(keys.length, 1);
    assert.match(keys[0], /^k-\d+-\d+$/);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('text typed while a comment is on its way stays in the form; a comment changed after its answer was lost is another comment, not a replay', async () => {
  const server = await startServer({ args: ['--moderation', 'post', '--comment-rate', '0'] });
  try {
    const { page, problems } = await openPage(browser);
    await openArticle(page, server);
    const body = page.locator(`${W} >> #kc-body`);
    const send = page.locator(`${W} >> form.comment-form button.send`);
    await page.locator(`${W} >> #kc-author`).fill('Nadia');
    await body.fill('The first thought.');
    // The answer is held while the reader goes on typing.
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    await page.route('**/comments', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      await held;
      return route.continue();
    });
    await send.click();
    await body.press('End');
    await body.pressSequentially(' And a second one.');
    release();
    await page.locator(`${W} >> li.comment`).filter({ hasText: 'The first thought.' }).waitFor();
    assert.equal(await body.inputValue(), 'The first thought. And a second one.');
    await page.unrouteAll({ behavior: 'wait' });

    // Stored, but the answer never reaches the reader; the reader then
    // changes the text and sends again.
    await page.route('**/comments', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      await route.fetch();
      return route.abort('connectionreset');
    });
    await send.click();
    await page.locator(`${W} >> form.comment-form .form-status`).filter({ hasText: 'تلقائياً' }).waitFor();
    await page.unrouteAll({ behavior: 'wait' });
    await body.fill('Changed after the answer was lost.');
    await send.click();
    await page.locator(`${W} >> li.comment`).filter({ hasText: 'Changed after the answer was lost.' }).waitFor();
    assert.equal(await body.inputValue(), '');
    const stored = await (await fetch(`${server.url}api/v1/articles/${ARTICLE}/comments`)).json();
    assert.deepEqual(stored.items.map((c) => c.body).sort(),
      ['Changed after the answer was lost.', 'The first thought.', 'The first thought. And a second one.']);
    assert.deepEqual(problems.filter((p) => !/ERR_CONNECTION_RESET|network error/.test(p)), []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a refusal that will not change (409, 413) is not sent again by itself; the text stays', async () => {
  const server = await startServer({ args: ['--moderation', 'post'] });
  try {
    const { page, problems } = await openPage(browser);
    let posts = 0;
    await page.route('**/comments', (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      posts++;
      return route.fulfill({ status: 409, contentType: 'application/json', body: '{"error":{"code":"idempotency_conflict"}}' });
    });
    await openArticle(page, server);
    await page.locator(`${W} >> #kc-author`).fill('Nadia');
    await page.locator(`${W} >> #kc-body`).fill('Refused the same way every time.');
    await page.locator(`${W} >> form.comment-form button.send`).click();
    const status = page.locator(`${W} >> form.comment-form .form-status`);
    await status.filter({ hasText: 'واجه خادم الأخبار مشكلة' }).waitFor();
    // The first automatic retry would come within 2 s.
    await page.waitForTimeout(3000);
    assert.equal(posts, 1);
    assert.doesNotMatch(await status.textContent(), /تلقائياً/);
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), 'Refused the same way every time.');
    assert.deepEqual(problems.filter((p) => !/409/.test(p)), []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a comment refused as too many (429) after its text was edited is not said to be resent: the reader sends the new text', async () => {
  const server = await startServer({ args: ['--moderation', 'post'] });
  try {
    const { page, problems } = await openPage(browser);
    let posts = 0;
    let edited;
    const typed = new Promise((r) => { edited = r; });
    await page.route('**/comments', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      posts += 1;
      await typed;
      return route.fulfill({ status: 429, headers: { 'retry-after': '1' }, contentType: 'application/json',
        body: '{"error":{"code":"rate_limited","message":"Too many comments; try later."}}' });
    });
    await openArticle(page, server);
    const status = page.locator(`${W} >> form.comment-form .form-status`);
    await page.locator(`${W} >> #kc-author`).fill('Nadia');
    await page.locator(`${W} >> #kc-body`).fill('The market hours are');
    await page.locator(`${W} >> form.comment-form button.send`).click();
    // Edited while it is on its way.
    await page.locator(`${W} >> #kc-body`).press('End');
    await page.keyboard.type(' longer this winter.');
    edited();
    await page.waitForFunction((sel) => /دقيقة/.test(document.querySelector(sel).shadowRoot
      .querySelector('form.comment-form .form-status').textContent), W);
    assert.match(await status.textContent(), /نصّك محفوظ/);
    assert.doesNotMatch(await status.textContent(), /تلقائياً/);
    // Past the server's Retry-After: nothing was sent again by itself.
    await page.waitForTimeout(2000);
    assert.equal(posts, 1);
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), 'The market hours are longer this winter.');
    assert.deepEqual(problems.filter((p) => !/429/.test(p)), []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('after the server refused the embed (403), each press of send says so again to a screen reader', async () => {
  const server = await startServer({ args: ['--moderation', 'post'] });
  try {
    const { page, problems } = await openPage(browser);
    await page.route('**/comments', (route) => (route.request().method() === 'POST'
      ? route.fulfill({ status: 403, contentType: 'application/json', body: '{"error":{"code":"origin_not_allowed","message":"no"}}' })
      : route.continue()));
    await openArticle(page, server);
    const status = page.locator(`${W} >> form.comment-form .form-status`);
    await page.locator(`${W} >> #kc-author`).fill('Nadia');
    await page.locator(`${W} >> #kc-body`).fill('Sent from a page the server does not know.');
    await page.locator(`${W} >> form.comment-form button.send`).click();
    await page.waitForFunction((sel) => document.querySelector(sel).shadowRoot
      .querySelector('form.comment-form .form-status').textContent !== '', W);
    const said = await status.textContent();
    // What the live region goes through at the next press.
    await page.evaluate((sel) => {
      const line = document.querySelector(sel).shadowRoot.querySelector('form.comment-form .form-status');
      window.lines = [];
      new MutationObserver(() => window.lines.push(line.textContent)).observe(line, { childList: true, characterData: true, subtree: true });
    }, W);
    await page.locator(`${W} >> form.comment-form button.send`).click();
    await page.waitForFunction(() => window.lines.length >= 2);
    assert.deepEqual(await page.evaluate(() => window.lines), ['', said], 'emptied, then the same words: read out again');
    assert.deepEqual(problems.filter((p) => !/403|embed refused/.test(p)), []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a 403 that is not the API\'s own (a firewall\'s page) keeps the form and the reply buttons; comments_closed closes them', async () => {
  const server = await startServer({ args: ['--moderation', 'post'] });
  try {
    const { page, problems } = await openPage(browser);
    await seedComments(server, 2);
    let answer = { status: 403, contentType: 'text/html', body: '<html><body>Request blocked by the firewall</body></html>' };
    await page.route('**/comments', (route) => (route.request().method() === 'POST'
      ? route.fulfill(answer) : route.continue()));
    await openArticle(page, server);
    const form = page.locator(`${W} >> form.comment-form`);
    const status = page.locator(`${W} >> form.comment-form .form-status`);
    await page.locator(`${W} >> #kc-author`).fill('Nadia');
    await page.locator(`${W} >> #kc-body`).fill('Words a firewall did not like.');
    assert.equal(await page.locator(`${W} >> button.reply`).count(), 2);
    await page.locator(`${W} >> form.comment-form button.send`).click();
    await page.waitForFunction((sel) => document.querySelector(sel).shadowRoot
      .querySelector('form.comment-form .form-status').textContent !== '', W);
    assert.doesNotMatch(await status.textContent(), /مغلق/, 'not "comments are closed"');
    assert.equal(await form.count(), 1, 'the form stays');
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), 'Words a firewall did not like.');
    assert.equal(await page.locator(`${W} >> button.reply`).count(), 2, 'the reply buttons stay');
    // The API's own word closes them, and a reader who has left the form
    // (the comment sent again while they read on: here a click by script,
    // which moves no focus) hears it from the section's live region.
    answer = { status: 403, contentType: 'application/json', body: '{"error":{"code":"comments_closed","message":"closed"}}' };
    await page.evaluate((sel) => {
      const root = document.querySelector(sel).shadowRoot;
      root.activeElement?.blur();
      root.querySelector('form.comment-form button.send').click();
    }, W);
    await page.locator(`${W} >> .note.closed`).waitFor();
    // What the reader wrote stays in view, read-only, with nothing to send it.
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), 'Words a firewall did not like.');
    assert.equal(await page.locator(`${W} >> #kc-body`).getAttribute('readonly'), '');
    assert.equal(await page.locator(`${W} >> form.comment-form button.send`).isHidden(), true);
    assert.equal(await page.locator(`${W} >> button.reply`).count(), 0);
    assert.match(await page.locator(`${W} >> .comments-live`).textContent(), /مغلق/);
    assert.deepEqual(problems.filter((p) => !/403/.test(p)), []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a failed comment is resent by itself five times, and five times again after each press of send', async () => {
  const server = await startServer({ args: ['--moderation', 'post'] });
  try {
    const { page, problems } = await openPage(browser);
    // Counted as the widget sends them: a request its time limit ended
    // before it reached the route below (the clock jumps 31 s) is one too.
    await page.addInitScript(() => {
      const send = window.fetch;
      window.commentPosts = 0;
      window.fetch = function (url, init) {
        if (init?.method === 'POST' && String(url).includes('/comments')) window.commentPosts += 1;
        return send.apply(this, arguments);
      };
    });
    await page.route('**/comments', (route) => (route.request().method() === 'POST'
      ? route.abort('connectionrefused') : route.continue()));
    await openArticle(page, server);
    // The resends wait up to 30 s each, on the page's clock, which the
    // test moves on.
    await page.clock.install();
    const posts = () => page.evaluate(() => window.commentPosts);
    const status = page.locator(`${W} >> form.comment-form .form-status`);
    const text = 'Written while the network kept failing.';
    // Until the last send's failure has been handled (and the next resend,
    // if any, set): its button is back.
    const settled = async () => {
      await page.waitForFunction((sel) => !document.querySelector(sel).shadowRoot
        .querySelector('form.comment-form button.send').disabled, W);
      await page.waitForTimeout(100);
    };
    await page.locator(`${W} >> #kc-author`).fill('Nadia');
    await page.locator(`${W} >> #kc-body`).fill(text);
    for (const round of [0, 6]) {
      await page.locator(`${W} >> form.comment-form button.send`).click();
      await settled();
      assert.equal(await posts(), round + 1);
      assert.match(await status.textContent(), /تلقائياً/, `round ${round}: resends are promised`);
      // Each resend waits 30 s at most: eight such steps leave time for
      // more than five.
      for (let step = 0; step < 8; step++) {
        await page.clock.runFor(31_000);
        await settled();
      }
      assert.equal(await posts(), round + 6, `round ${round}: five resends, and no more`);
      assert.doesNotMatch(await status.textContent(), /تلقائياً/);
    }
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), text);
    assert.deepEqual(problems.filter((p) => !/ERR_CONNECTION_REFUSED|network error|Failed to fetch/.test(p)), []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('axe-core: no WCAG 2 A/AA violation in the comment section, also with errors shown', async () => {
  const server = await startServer({ args: ['--moderation', 'post'] });
  try {
    const { page } = await openPage(browser);
    await openArticle(page, server);
    await page.locator(`${W} >> #kc-author`).fill('Ali');
    await page.locator(`${W} >> #kc-body`).fill('First comment for the list.');
    await page.locator(`${W} >> form.comment-form button.send`).click();
    await page.locator(`${W} >> li.comment`).first().waitFor();
    assert.deepEqual(await axeViolations(page), []);
    await page.locator(`${W} >> button.reply`).first().click();
    await page.locator(`${W} >> #kc-body`).fill('x');
    await page.locator(`${W} >> form.comment-form button.send`).click();
    await page.locator(`${W} >> #kc-body-error:not([hidden])`).waitFor();
    assert.deepEqual(await axeViolations(page), []);
    await page.locator(`${W} >> section.comments`).screenshot({ path: screenshotPath('comments-ar.png') });
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a page left open keeps its relative times current: the comments\' and the latest list\'s', async () => {
  const server = await startServer({ args: ['--moderation', 'post'] });
  try {
    const res = await fetch(`${server.url}api/v1/articles/${ARTICLE}/comments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ author: 'ليلى', email: '', website: '', body: 'تعليق للتو', idempotency_key: crypto.randomUUID() }),
    });
    assert.equal(res.status, 201);
    const { page, problems } = await openPage(browser);
    await page.clock.install(); // the real time, which the test can then move on
    await page.route('**/left-open.html', (route) => route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><link rel="icon" href="data:,"></head>
        <body><div data-khabar="latest" data-khabar-limit="3"></div>
        <div data-khabar="comments" data-khabar-article-id="${ARTICLE}"></div>
        <script type="module" src="/khabar/khabar.js"></script></body></html>`,
    }));
    await page.goto(`${server.url}left-open.html`);
    await page.locator('[data-khabar="comments"] >> li.comment time').waitFor();
    await page.locator('[data-khabar="latest"] >> li time').first().waitFor();
    const times = (kind) => page.locator(`[data-khabar="${kind}"] >> time`).allTextContents();
    const [comment] = await times('comments');
    assert.match(comment, /^(الآن|قبل .*(ثانية|ثانيتين|ثوانٍ))$/, 'written a moment ago');
    const cards = await times('latest');
    assert.equal(cards.length, 3);
    assert.ok(cards.every((t) => t && t !== 'العام الماضي'), cards.join(' / '));

    // 400 days on, the page still open: every time has become "last year".
    await page.clock.fastForward(400 * 24 * 3600 * 1000);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-khabar]')]
      .flatMap((host) => [...host.shadowRoot.querySelectorAll('time')])
      .every((time) => time.textContent === 'العام الماضي'));
    assert.deepEqual(await times('comments'), ['العام الماضي']);
    assert.deepEqual(await times('latest'), ['العام الماضي', 'العام الماضي', 'العام الماضي']);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('keyboard only: "more" and "retry" keep the reader\'s place; "retry" after a page that failed goes on from it', async () => {
  const server = await startServer({ args: ['--moderation', 'post', '--comment-rate', '0'] });
  try {
    await seedComments(server, 45);
    const { page, problems } = await openPage(browser);
    await routeMountPage(page, 'keyboard-more', { kind: 'comments', articleId: ARTICLE, lang: 'en' });
    // The second page fails once (the network drops it), then comes.
    let dropped = 0;
    await page.route('**/comments?*cursor=*', (route) => (dropped++ === 0 ? route.abort('internetdisconnected') : route.continue()));
    await page.goto(`${server.url}keyboard-more.html`);
    await page.locator('#story >> li.comment').first().waitFor();
    const state = () => page.evaluate(() => {
      const root = document.getElementById('story').shadowRoot;
      const a = root.activeElement;
      return {
        focus: a ? `${a.localName}.${a.className}` : document.activeElement?.localName,
        text: a?.querySelector?.('.comment-body')?.textContent ?? null,
        items: [...root.querySelectorAll('li.comment .comment-body')].map((b) => b.textContent),
      };
    });
    const items = (n) => page.waitForFunction((want) =>
      document.getElementById('story').shadowRoot.querySelectorAll('li.comment').length === want, n);
    await page.locator('#story >> button.more-comments').focus();
    await page.keyboard.press('Enter');
    // The page did not come: focus is on "retry", the 20 comments stay.
    await page.locator('#story >> button.list-retry').waitFor();
    let now = await state();
    assert.equal(now.focus, 'button.retry list-retry');
    assert.equal(now.items.length, 20);
    // "Retry" asks again for the page that failed, not the first one, and
    // the reader goes on from the first comment it brought.
    await page.keyboard.press('Enter');
    await items(40);
    now = await state();
    assert.equal(now.focus, 'li.comment');
    assert.equal(now.text, now.items[20]);
    assert.equal(new Set(now.items).size, 40, 'no comment twice');
    // Tab goes on from there, into that comment (its time, then "reply").
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.getElementById('story').shadowRoot.activeElement
      ?.closest('li.comment')?.querySelector('.comment-body')?.textContent), now.items[20]);
    // "More" by keyboard: the last page; the button goes, focus does not.
    await page.locator('#story >> button.more-comments').focus();
    await page.keyboard.press('Enter');
    await items(45);
    now = await state();
    assert.equal(now.focus, 'li.comment');
    assert.equal(now.text, now.items[40]);
    assert.equal(await page.locator('#story >> button.more-comments').isVisible(), false);
    assert.equal(new Set(now.items).size, 45);
    assert.equal(dropped, 3);
    assert.deepEqual(problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch/.test(p)), []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('"more" pressed again and again while its page is slow to come brings that page once', async () => {
  const server = await startServer({ args: ['--moderation', 'post', '--comment-rate', '0'] });
  try {
    await seedComments(server, 45);
    const { page, problems } = await openPage(browser);
    await routeMountPage(page, 'more-thrice', { kind: 'comments', articleId: ARTICLE, lang: 'en' });
    // The next pages are held until the reader has pressed three times.
    const held = [];
    await page.route('**/comments?*cursor=*', async (route) => {
      await new Promise((r) => held.push(r));
      await route.continue().catch(() => {}); // one the page cancelled
    });
    await page.goto(`${server.url}more-thrice.html`);
    await page.locator('#story >> li.comment').first().waitFor();
    for (let press = 0; press < 3; press++) {
      await page.evaluate(() => document.getElementById('story').shadowRoot.querySelector('button.more-comments').click());
      await page.waitForTimeout(50);
    }
    for (let i = 0; i < 40 && held.length === 0; i++) await page.waitForTimeout(50);
    assert.equal(held.length, 1, 'one request for the page, however many presses');
    held.shift()();
    await page.waitForFunction(() => document.getElementById('story').shadowRoot.querySelectorAll('li.comment').length >= 40);
    // Whatever else was asked for comes, and changes nothing.
    for (let i = 0; i < 10; i++) {
      while (held.length) held.shift()();
      await page.waitForTimeout(50);
    }
    const items = await page.evaluate(() => [...document.getElementById('story').shadowRoot
      .querySelectorAll('li.comment')].map((li) => li.dataset.id));
    assert.equal(items.length, 40);
    assert.equal(new Set(items).size, 40, 'no comment twice');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('keyboard only: "more" that brings no comment (removed meanwhile) leaves the focus on the last comment shown', async () => {
  const server = await startServer({ args: ['--moderation', 'post', '--comment-rate', '0'] });
  try {
    await seedComments(server, 25);
    const { page, problems } = await openPage(browser);
    await routeMountPage(page, 'more-empty', { kind: 'comments', articleId: ARTICLE, lang: 'en' });
    // The next page comes empty and last, as when a moderator removed
    // the rest after the first page was read.
    await page.route('**/comments?*cursor=*', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      await route.fulfill({ response: res, json: { ...body, items: [], next: null } });
    });
    await page.goto(`${server.url}more-empty.html`);
    await page.locator('#story >> li.comment').first().waitFor();
    await page.locator('#story >> button.more-comments').focus();
    await page.keyboard.press('Enter');
    await page.locator('#story >> button.more-comments').waitFor({ state: 'hidden' });
    const now = await page.evaluate(() => {
      const root = document.getElementById('story').shadowRoot;
      const items = [...root.querySelectorAll('#story-list > li.comment, ol.comments > li.comment')];
      const a = root.activeElement;
      return { focus: a ? `${a.localName}.${a.className}` : document.activeElement?.localName,
        text: a?.querySelector?.('.comment-body')?.textContent ?? null,
        last: [...root.querySelectorAll('li.comment .comment-body')].pop()?.textContent, n: items.length };
    });
    assert.equal(now.focus, 'li.comment');
    assert.equal(now.text, now.last);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a restored reply draft is not stored again as pages come: another tab may have sent it', async () => {
  const server = await startServer({ args: ['--moderation', 'post', '--comment-rate', '0'] });
  try {
    await seedComments(server, 25);
    const { page, problems } = await openPage(browser);
    await routeMountPage(page, 'reply-restored', { kind: 'comments', articleId: ARTICLE, lang: 'en' });
    await page.goto(`${server.url}reply-restored.html`);
    await page.locator('#story >> button.reply').first().click();
    await page.locator('#story >> #kc-author').fill('Laila');
    await page.locator('#story >> #kc-body').fill('A reply kept for later.');
    assert.deepEqual(await storedDrafts(page), ['A reply kept for later.']);
    await page.reload();
    await page.locator('#story >> form.comment-form').waitFor();
    await page.waitForFunction(() => document.getElementById('story').shadowRoot.querySelector('#kc-body')?.value === 'A reply kept for later.');
    // Another tab sends it: its draft leaves the storage.
    await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('khabar:drafts:')).forEach((k) => localStorage.removeItem(k)));
    // A page comes in this tab, which places the form under its comment again.
    await page.locator('#story >> button.more-comments').click();
    await page.waitForFunction(() => document.getElementById('story').shadowRoot.querySelectorAll('li.comment').length >= 25);
    await page.waitForTimeout(200);
    assert.deepEqual(await storedDrafts(page), [], 'not written back');
    // Typing in it stores it again, as any change does.
    await page.locator('#story >> #kc-body').press('End');
    await page.keyboard.type(' Still here.');
    assert.deepEqual(await storedDrafts(page), ['A reply kept for later. Still here.']);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a reply being typed keeps its focus and every key when a page of comments arrives', async () => {
  const server = await startServer({ args: ['--moderation', 'post', '--comment-rate', '0'] });
  try {
    await seedComments(server, 25);
    const { page, problems } = await openPage(browser);
    await routeMountPage(page, 'typing-reply', { kind: 'comments', articleId: ARTICLE, lang: 'en' });
    // The next page is held until the reader is typing.
    let release;
    await page.route('**/comments?*cursor=*', async (route) => {
      await new Promise((r) => { release = r; });
      await route.continue();
    });
    await page.goto(`${server.url}typing-reply.html`);
    await page.locator('#story >> button.reply').first().click();
    await page.evaluate(() => document.getElementById('story').shadowRoot.querySelector('button.more-comments').click());
    await page.keyboard.type('Agreed, and ');
    while (!release) await new Promise((r) => setTimeout(r, 20));
    release();
    await page.waitForFunction(() => document.getElementById('story').shadowRoot.querySelectorAll('li.comment').length === 25);
    await page.keyboard.type('the stalls should stay open late.');
    const now = await page.evaluate(() => {
      const root = document.getElementById('story').shadowRoot;
      return {
        value: root.querySelector('#kc-body').value,
        focus: root.activeElement?.id,
        under: root.querySelector('form.comment-form').closest('li.comment')?.querySelector('.comment-body')?.textContent,
        first: root.querySelector('li.comment .comment-body').textContent,
      };
    });
    assert.equal(now.value, 'Agreed, and the stalls should stay open late.');
    assert.equal(now.focus, 'kc-body');
    assert.equal(now.under, now.first, 'the form stays under the comment answered');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a restored reply being typed at the end of the section stays there, with its focus and every key, when its comment\'s page arrives', async () => {
  const server = await startServer({ args: ['--moderation', 'post', '--comment-rate', '0'] });
  try {
    await seedComments(server, 25);
    const { page, problems } = await openPage(browser);
    await routeMountPage(page, 'typing-restored', { kind: 'comments', articleId: ARTICLE, lang: 'en' });
    await page.goto(`${server.url}typing-restored.html`);
    // A reply to comment 22 (on the second page), left as a draft.
    await page.locator('#story >> button.more-comments').click();
    await page.locator('#story >> li.comment', { hasText: 'comment 21' }).locator('button.reply').click();
    await page.locator('#story >> #kc-body').fill('Yes, ');
    // Next visit: the draft is restored at the end, its comment not shown yet.
    await page.reload();
    await page.locator('#story >> #kc-body').waitFor();
    assert.equal(await page.locator('#story >> section.comments > form.comment-form #kc-body').inputValue(), 'Yes, ');
    let release;
    await page.route('**/comments?*cursor=*', async (route) => {
      await new Promise((r) => { release = r; });
      await route.continue();
    });
    await page.locator('#story >> #kc-body').click();
    await page.keyboard.press('End');
    await page.evaluate(() => document.getElementById('story').shadowRoot.querySelector('button.more-comments').click());
    await page.keyboard.type('and ');
    while (!release) await new Promise((r) => setTimeout(r, 20));
    release();
    await page.waitForFunction(() => document.getElementById('story').shadowRoot.querySelectorAll('li.comment').length === 25);
    await page.keyboard.type('late on Fridays too.');
    const now = await page.evaluate(() => {
      const root = document.getElementById('story').shadowRoot;
      return {
        value: root.querySelector('#kc-body').value,
        focus: root.activeElement?.id,
        atEnd: root.querySelector('form.comment-form').parentElement.matches('section.comments'),
      };
    });
    assert.deepEqual(now, { value: 'Yes, and late on Fridays too.', focus: 'kc-body', atEnd: true });
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a comment posted while more pages remain shows at once, and once only when its page comes (post- and pre-moderation)', async () => {
  for (const moderation of ['post', 'pre']) {
    const server = await startServer({ args: ['--moderation', moderation, '--comment-rate', '0'] });
    try {
      await seedComments(server, 25, { approve: moderation === 'pre' });
      const { page, problems } = await openPage(browser);
      await routeMountPage(page, 'posted-early', { kind: 'comments', articleId: ARTICLE, lang: 'en' });
      await page.goto(`${server.url}posted-early.html`);
      await page.locator('#story >> li.comment').nth(19).waitFor();
      await page.locator('#story >> #kc-author').fill('Laila');
      await page.locator('#story >> #kc-body').fill('Posted before the last page came.');
      await page.locator('#story >> form.comment-form button[type="submit"]').click();
      const shown = () => page.evaluate(() => [...document.getElementById('story').shadowRoot.querySelectorAll('li.comment')]
        .map((li) => li.querySelector('.comment-body').textContent + (li.querySelector('.badge') ? ' [pending]' : '')));
      await page.waitForFunction(() => document.getElementById('story').shadowRoot.querySelectorAll('li.comment').length === 21);
      const mine = `Posted before the last page came.${moderation === 'pre' ? ' [pending]' : ''}`;
      assert.deepEqual((await shown()).slice(19), ['comment 19', mine], moderation);
      await page.locator('#story >> button.more-comments').click();
      await page.waitForFunction(() => document.getElementById('story').shadowRoot.querySelectorAll('li.comment .comment-body')[20]?.textContent === 'comment 20');
      // Its page came: the comment is in its place, the last, and once.
      const all = await shown();
      assert.deepEqual(all.slice(19), ['comment 19', 'comment 20', 'comment 21', 'comment 22', 'comment 23', 'comment 24', mine], moderation);
      assert.equal(all.length, 26, moderation);
      if (moderation === 'pre') {
        // After a reload its writer sees it on the first page, waiting, at
        // the end; and once, in its place, when the last page comes.
        await page.reload();
        await page.locator('#story >> li.comment').nth(19).waitFor();
        await page.waitForFunction(() => document.getElementById('story').shadowRoot.querySelectorAll('li.comment').length === 21);
        assert.deepEqual((await shown()).slice(19), ['comment 19', mine]);
        await page.locator('#story >> button.more-comments').click();
        await page.waitForFunction(() => document.getElementById('story').shadowRoot.querySelectorAll('li.comment .comment-body')[20]?.textContent === 'comment 20');
        assert.deepEqual(await shown(), all);
        // Approved since: the next visit shows it published, not waiting,
        // before its page comes.
        const waiting = server.cli('comments', 'pending').match(/#(\d+)/)[1];
        assert.match(server.cli('comments', 'approve', waiting), /published/);
        await page.reload();
        await page.locator('#story >> li.comment').nth(19).waitFor();
        await page.waitForFunction(() => {
          const items = document.getElementById('story').shadowRoot.querySelectorAll('li.comment');
          return items.length === 21 && !items[20].querySelector('.badge');
        });
        assert.deepEqual((await shown()).slice(19), ['comment 19', 'Posted before the last page came.']);
        await page.locator('#story >> button.more-comments').click();
        await page.waitForFunction(() => document.getElementById('story').shadowRoot.querySelectorAll('li.comment .comment-body')[20]?.textContent === 'comment 20');
        assert.deepEqual(await shown(), all.map((text) => text.replace(' [pending]', '')));
      }
      assert.deepEqual(problems, [], moderation);
      await page.close();
    } finally {
      await server.stop();
      server.cleanup();
    }
  }
});

test('once a reader pages, the next page is fetched ahead and shows at once, offline too; a reader who never pages costs no request; a comment posted meanwhile has the page asked for again, and so has one that failed', async () => {
  const server = await startServer({ args: ['--moderation', 'post', '--comment-rate', '0'] });
  try {
    await seedComments(server, 45);
    /** A page with the thread's section; `cursors`: the pages it asks for by cursor, in order. */
    const openSection = async () => {
      const opened = await openPage(browser);
      const cursors = [];
      opened.page.on('request', (r) => {
        const cursor = new URL(r.url()).searchParams.get('cursor');
        if (cursor) cursors.push(cursor);
      });
      await routeMountPage(opened.page, 'paging-ahead', { kind: 'comments', articleId: ARTICLE, lang: 'en' });
      return { ...opened, cursors };
    };
    /** Presses "more" in section `id` once its first page shows; waits for the page fetched ahead, the `n`th asked for. */
    const moreThenAhead = async ({ page, cursors }, n, id = 'story') => {
      await page.locator(`#${id} >> li.comment`).nth(19).waitFor();
      const ahead = page.waitForResponse((r) => r.url().includes('cursor=') && cursors.length === n);
      await page.locator(`#${id} >> button.more-comments`).click();
      await (await ahead).finished();
    };
    const bodies = (page) => page.evaluate(() => [...document.getElementById('story').shadowRoot
      .querySelectorAll('li.comment .comment-body')].map((b) => b.textContent));
    const seeded = Array.from({ length: 45 }, (_, i) => `comment ${i}`);

    const first = await openSection();
    const { page } = first;
    await page.goto(`${server.url}paging-ahead.html`);
    await page.locator('#story >> li.comment').nth(19).waitFor();
    await page.waitForTimeout(500);
    assert.deepEqual(first.cursors, [], 'nothing fetched for a reader who has not paged');

    // The first "more" is fetched when pressed; the page after it at once.
    await moreThenAhead(first, 2);
    await page.locator('#story >> li.comment').nth(39).waitFor();
    assert.notEqual(first.cursors[0], first.cursors[1], 'the page after the one shown');

    // Offline, "more" still shows it: it was here already.
    await page.context().setOffline(true);
    await page.locator('#story >> button.more-comments').click();
    await page.locator('#story >> li.comment').nth(44).waitFor();
    await page.context().setOffline(false);
    assert.equal(first.cursors.length, 2, 'no request for it');
    assert.equal(await page.locator('#story >> .list-error').count(), 0);
    assert.deepEqual(await bodies(page), seeded);
    assert.deepEqual(first.problems, []);
    await page.close();

    // A comment posted after the page ahead came: that page is asked for
    // again, so the comment moves into its place, the last, and is shown once.
    const second = await openSection();
    await second.page.goto(`${server.url}paging-ahead.html`);
    await moreThenAhead(second, 2);
    const mine = 'Posted after the last page was fetched ahead.';
    await second.page.locator('#story >> #kc-author').fill('Laila');
    await second.page.locator('#story >> #kc-body').fill(mine);
    await second.page.locator('#story >> form.comment-form button[type="submit"]').click();
    await second.page.locator('#story >> form.comment-form .form-status').filter({ hasText: 'published' }).waitFor();
    await second.page.locator('#story >> button.more-comments').click();
    await second.page.waitForFunction((text) => document.getElementById('story').shadowRoot
      .querySelectorAll('li.comment .comment-body')[45]?.textContent === text, mine);
    assert.deepEqual(await bodies(second.page), [...seeded, mine]);
    assert.equal(second.cursors.length, 3);
    assert.equal(second.cursors[2], second.cursors[1], 'the same page, asked for again');
    assert.deepEqual(second.problems, []);
    await second.page.close();

    // A page fetched ahead that fails is asked for anew on "more": the
    // reader sees it, not the failure of a request they never made. (The
    // thread has 46 comments now: the last page holds the one posted above.)
    const failing = await openSection();
    let tries = 0;
    await failing.page.route('**/comments?*cursor=*', (route) =>
      (++tries === 2 ? route.abort('connectionreset') : route.continue()));
    await failing.page.goto(`${server.url}paging-ahead.html`);
    await failing.page.locator('#story >> li.comment').nth(19).waitFor();
    await failing.page.locator('#story >> button.more-comments').click();
    await failing.page.locator('#story >> li.comment').nth(39).waitFor();
    while (tries < 2) await new Promise((r) => setTimeout(r, 20));
    await failing.page.locator('#story >> button.more-comments').click();
    await failing.page.locator('#story >> li.comment').nth(45).waitFor();
    assert.equal(await failing.page.locator('#story >> .list-error').count(), 0);
    assert.equal(failing.cursors.length, 3);
    assert.equal(failing.cursors[2], failing.cursors[1], 'the failed page, asked for anew');
    assert.deepEqual(failing.problems.filter((p) => !/ERR_CONNECTION_RESET/.test(p)), []);
    await failing.page.close();

    // A section taken down drops what it fetched ahead: the one mounted
    // in its place asks for its pages anew, moderated since or not.
    const remounted = await openSection();
    await remounted.page.goto(`${server.url}paging-ahead.html`);
    await moreThenAhead(remounted, 2);
    await remounted.page.evaluate(async (articleId) => {
      document.getElementById('story').remove();
      const el = Object.assign(document.createElement('div'), { id: 'again' });
      document.body.append(el);
      const { mount } = await import('/khabar/khabar.js');
      mount(el, { kind: 'comments', articleId, lang: 'en' });
    }, ARTICLE);
    await moreThenAhead(remounted, 4, 'again');
    const [a, b] = remounted.cursors;
    assert.deepEqual(remounted.cursors, [a, b, a, b], 'the page ahead asked for again');
    assert.deepEqual(remounted.problems, []);
    await remounted.page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('keyboard only: "retry" on a first page that failed, of an article without comments, leaves the focus on the line that says so; the host hears the failure, then "ready" once the section shows', async () => {
  const server = await startServer();
  try {
    const { page, problems } = await openPage(browser);
    await routeMountPage(page, 'keyboard-empty', { kind: 'comments', articleId: ARTICLE });
    // What the host hears, and whether the section showed when it did.
    await page.addInitScript(() => {
      window.heard = [];
      for (const type of ['khabar:ready', 'khabar:error']) {
        document.addEventListener(type, (e) => {
          const shown = !e.target.shadowRoot.querySelector('.skeleton, section.comments[hidden]');
          window.heard.push([type, e.detail.kind ?? e.detail.code, shown]);
        });
      }
    });
    let calls = 0;
    await page.route('**/comments?*', (route) => (calls++ === 0 ? route.abort('internetdisconnected') : route.continue()));
    await page.goto(`${server.url}keyboard-empty.html`);
    await page.locator('#story >> button.list-retry').focus();
    // The first page failed: an error, no "ready".
    assert.deepEqual(await page.evaluate(() => window.heard), [['khabar:error', 'network', true]]);
    await page.keyboard.press('Enter');
    await page.locator('#story >> .comments-empty').waitFor();
    assert.equal(await page.evaluate(() => document.getElementById('story').shadowRoot.activeElement?.className), 'comments-empty');
    assert.equal(calls, 2);
    // "Ready" once the section shows its first page.
    assert.deepEqual(await page.evaluate(() => window.heard), [['khabar:error', 'network', true], ['khabar:ready', 'comments', true]]);
    assert.deepEqual(problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|network error/.test(p)), []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a thread of the longest comments the API takes (4.4 MB for one page of the widget\'s) shows its comments, the rest by "more"', async () => {
  const server = await startServer({ args: ['--moderation', 'post', '--comment-rate', '0'] });
  try {
    // 20 comments with 10 replies each, of 5,000 emoji (20 KB) each.
    const post = (i, parent) => postComment(server, `${'😀'.repeat(4990)} ${i}`, { author: `R${i}`, parent });
    for (let i = 0; i < 20; i++) {
      const top = await post(i, null);
      for (let k = 0; k < 10; k++) await post(`${i}.${k}`, top);
    }
    const { page, problems } = await openPage(browser);
    await routeMountPage(page, 'longest', { kind: 'comments', articleId: ARTICLE });
    await page.goto(`${server.url}longest.html`);
    const tops = page.locator('#story >> ol.comment-list > li.comment');
    await tops.first().waitFor();
    const shown = await tops.count();
    assert.ok(shown > 0 && shown < 20, `a page that ended early: ${shown}`);
    assert.equal(await page.locator('#story >> .list-error, #story >> button.list-retry').count(), 0, 'no error');
    while (await page.locator('#story >> button.more-comments').isVisible()) {
      const before = await tops.count();
      await page.locator('#story >> button.more-comments').click();
      await page.waitForFunction(([n]) => document.getElementById('story').shadowRoot
        .querySelectorAll('ol.comment-list > li.comment').length > n, [before]);
    }
    assert.equal(await tops.count(), 20);
    // A page that ended inside a comment's replies left a "more replies".
    const moreReplies = page.locator('#story >> button.more-replies');
    assert.ok(await moreReplies.count() > 0);
    while (await moreReplies.count() > 0) {
      await moreReplies.first().click();
      await page.waitForTimeout(200);
    }
    assert.equal(await page.locator('#story >> li.comment li.comment').count(), 200, 'every reply');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a comment posted after the first page failed stays shown once "retry" brings that page, after its comments', async () => {
  const server = await startServer({ args: ['--moderation', 'post', '--comment-rate', '0'] });
  try {
    // 25: the reader's comment is on the second page, which nobody asks for.
    await seedComments(server, 25);
    const { page, problems } = await openPage(browser);
    await routeMountPage(page, 'posted-before-retry', { kind: 'comments', articleId: ARTICLE });
    let calls = 0;
    await page.route('**/comments?*', (route) => (calls++ === 0 ? route.abort('internetdisconnected') : route.continue()));
    await page.goto(`${server.url}posted-before-retry.html`);
    await page.locator('#story >> button.list-retry').waitFor();
    await page.locator('#story >> #kc-author').fill('Nadia');
    await page.locator('#story >> #kc-body').fill('Posted while the list would not load.');
    await page.locator('#story >> form.comment-form button.send').click();
    const mine = page.locator('#story >> li.comment').filter({ hasText: 'Posted while the list would not load.' });
    await mine.waitFor();
    await page.locator('#story >> button.list-retry').click();
    await page.locator('#story >> li.comment').nth(20).waitFor();
    const bodies = await page.locator('#story >> ol.comment-list > li.comment').evaluateAll(
      (items) => items.map((li) => li.textContent));
    assert.equal(bodies.length, 21, 'the first page and the reader\'s comment');
    assert.match(bodies[0], /comment 0/);
    assert.match(bodies[20], /Posted while the list would not load\./, 'after the page, shown once');
    assert.equal(calls, 2);
    assert.deepEqual(problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|network error/.test(p)), []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a widget whose handle the page dropped keeps working after garbage collection, page after page', async () => {
  const server = await startServer({ args: ['--moderation', 'post', '--comment-rate', '0'] });
  try {
    await seedComments(server, 45);
    const { page, problems } = await openPage(browser);
    // `mount()`'s result is not kept: the common way pages call it.
    await routeMountPage(page, 'dropped-handle', { kind: 'comments', articleId: ARTICLE });
    await page.goto(`${server.url}dropped-handle.html`);
    const items = () => page.locator('#story >> li.comment').count();
    await page.locator('#story >> li.comment').first().waitFor();
    const cdp = await page.context().newCDPSession(page);
    for (const expected of [40, 45]) {
      await cdp.send('HeapProfiler.collectGarbage');
      await page.waitForTimeout(300); // finalizers run after the collection
      await page.locator('#story >> button.more-comments').click();
      await page.waitForFunction((n) => document.getElementById('story').shadowRoot.querySelectorAll('li.comment').length === n, expected);
    }
    assert.equal(await items(), 45);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a reply restored from a draft, to a comment on a later page, shows once, under its comment, when that page comes', async () => {
  const server = await startServer({ args: ['--moderation', 'post', '--comment-rate', '0'] });
  try {
    await seedComments(server, 25);
    const { page, problems } = await openPage(browser);
    await routeMountPage(page, 'reply-later-page', { kind: 'comments', articleId: ARTICLE, lang: 'en' });
    await page.goto(`${server.url}reply-later-page.html`);
    await page.locator('#story >> button.more-comments').click();
    const parent = page.locator('#story >> li.comment').filter({ hasText: 'comment 22' });
    await parent.locator('button.reply').click();
    await page.locator('#story >> #kc-author').fill('Laila');
    await page.locator('#story >> #kc-body').fill('A reply written on the second page.');
    // Back later: the draft comes back, its comment is not on the first page.
    await page.reload();
    await page.locator('#story >> li.comment').nth(19).waitFor();
    assert.equal(await page.locator('#story >> #kc-body').inputValue(), 'A reply written on the second page.');
    await page.locator('#story >> form.comment-form button.send').click();
    const reply = page.locator('#story >> li.comment .comment-body').filter({ hasText: 'A reply written on the second page.' });
    await page.locator('#story >> form.comment-form .form-status').filter({ hasText: 'published' }).waitFor();
    assert.equal(await reply.count(), 1, 'shown at once');
    await page.locator('#story >> button.more-comments').click();
    await parent.locator('ol.replies li.comment').waitFor();
    assert.equal(await reply.count(), 1, 'once only');
    assert.match(await parent.locator('ol.replies').textContent(), /A reply written on the second page\./);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a stored draft whose key the server would refuse gets a new one; a refusal of the key alone is the server\'s problem, not the reader\'s', async () => {
  const server = await startServer({ args: ['--moderation', 'post'] });
  try {
    const { page, problems } = await openPage(browser);
    const keys = [];
    page.on('request', (r) => { if (r.method() === 'POST' && r.url().includes('/comments')) keys.push(JSON.parse(r.postData()).idempotency_key); });
    await openArticle(page, server);
    await page.locator(`${W} >> #kc-author`).fill('Nadia');
    await page.locator(`${W} >> #kc-body`).fill('A draft with a broken key.');
    // A draft edited by hand.
    await page.evaluate(() => {
      const name = Object.keys(localStorage).find((k) => k.startsWith('khabar:drafts:'));
      const [draft] = JSON.parse(localStorage.getItem(name));
      localStorage.setItem(name, JSON.stringify([{ ...draft, key: 'not a key!' }]));
    });
    await page.reload();
    await widgetsSettled(page);
    await page.locator(`${W} >> form.comment-form`).waitFor();
    await page.locator(`${W} >> form.comment-form button.send`).click();
    await page.locator(`${W} >> li.comment`).filter({ hasText: 'A draft with a broken key.' }).waitFor();
    assert.equal(keys.length, 1);
    assert.match(keys[0], /^[A-Za-z0-9_-]{8,100}$/);
    assert.equal(await total(server), 1);

    // A server whose rule for keys differs: nothing to mark, the server's message.
    await page.route('**/comments', (route) => (route.request().method() !== 'POST' ? route.continue()
      : route.fulfill({ status: 422, contentType: 'application/json',
        body: '{"error":{"code":"invalid","fields":{"idempotency_key":{"code":"invalid"}}}}' })));
    await page.locator(`${W} >> #kc-body`).fill('Refused for its key.');
    await page.locator(`${W} >> form.comment-form button.send`).click();
    await page.locator(`${W} >> form.comment-form .form-status`).filter({ hasText: 'واجه خادم الأخبار مشكلة' }).waitFor();
    assert.equal(await page.locator(`${W} >> form.comment-form [aria-invalid]`).count(), 0);
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), 'Refused for its key.');
    assert.deepEqual(problems.filter((p) => !/422/.test(p)), []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a field\'s error goes once the reader has mended it, and "fix the marked fields" with the last', async () => {
  const server = await startServer();
  try {
    const { page, problems } = await openPage(browser);
    await openArticle(page, server);
    const author = page.locator(`${W} >> #kc-author`);
    const body = page.locator(`${W} >> #kc-body`);
    const status = page.locator(`${W} >> form.comment-form .form-status`);
    await body.fill('x');
    await page.locator(`${W} >> form.comment-form button.send`).click();
    await status.filter({ hasText: /\S/ }).waitFor();
    const fixText = await status.textContent();
    assert.equal(await author.getAttribute('aria-invalid'), 'true');
    assert.equal(await body.getAttribute('aria-invalid'), 'true');
    await author.pressSequentially('ليلى');
    assert.equal(await author.getAttribute('aria-invalid'), null);
    assert.equal(await page.locator(`${W} >> #kc-author-error`).isHidden(), true);
    assert.equal(await body.getAttribute('aria-invalid'), 'true', 'the text is still too short');
    assert.equal(await status.textContent(), fixText);
    await body.press('End');
    await body.pressSequentially('y');
    assert.equal(await body.getAttribute('aria-invalid'), null);
    assert.equal(await body.getAttribute('aria-describedby'), 'kc-replying kc-body-count');
    assert.equal(await status.textContent(), '');
    // A new error waits for "send": emptying the name marks nothing yet.
    await author.fill('');
    assert.equal(await author.getAttribute('aria-invalid'), null);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a name is limited in characters, as the server counts them: 80 of them outside the BMP can be typed and are stored; 81 are refused on "send", with the text kept', async () => {
  const server = await startServer({ args: ['--moderation', 'post'] });
  try {
    const { page, problems } = await openPage(browser);
    await openArticle(page, server);
    const author = page.locator(`${W} >> #kc-author`);
    const body = page.locator(`${W} >> #kc-body`);
    const status = page.locator(`${W} >> form.comment-form .form-status`);
    // 80 characters, 160 UTF-16 units: the browser's own length.
    const moons = '🌙'.repeat(80);
    await author.focus();
    await page.keyboard.insertText(moons);
    assert.equal(await author.inputValue(), moons);
    await body.fill('Written under a long name.');
    await page.locator(`${W} >> form.comment-form button.send`).click();
    await page.locator(`${W} >> li.comment`).filter({ hasText: 'Written under a long name.' }).waitFor();
    const list = await (await fetch(`${server.url}api/v1/articles/${ARTICLE}/comments`)).json();
    assert.equal(list.items[0].author, moons);
    // One more character is one too many, and the reader is told so.
    await author.fill('');
    await author.focus();
    await page.keyboard.insertText('ب'.repeat(81));
    assert.equal([...await author.inputValue()].length, 81);
    await body.fill('A second thought.');
    await page.locator(`${W} >> form.comment-form button.send`).click();
    await status.filter({ hasText: /\S/ }).waitFor();
    assert.equal(await author.getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator(`${W} >> #kc-author-error`).textContent(), 'الاسم أطول من ٨٠ حرفاً.');
    assert.equal(await body.inputValue(), 'A second thought.');
    assert.equal((await (await fetch(`${server.url}api/v1/articles/${ARTICLE}/comments`)).json()).total, 1);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a reader who asked for mail about replies is told when none will come', async () => {
  const server = await startServer({ args: ['--moderation', 'post', '--comment-rate', '0', '--mail-outbox'] });
  try {
    const { page, problems } = await openPage(browser);
    await openArticle(page, server);
    const status = page.locator(`${W} >> form.comment-form .form-status`);
    const post = async (text) => {
      await page.locator(`${W} >> #kc-author`).fill('هدى');
      await page.locator(`${W} >> #kc-email`).fill('huda@example.org');
      await page.locator(`${W} >> #kc-notify`).check();
      await page.locator(`${W} >> #kc-body`).fill(text);
      await page.locator(`${W} >> form.comment-form button.send`).click();
      await page.locator(`${W} >> li.comment`).filter({ hasText: text }).waitFor();
      return status.textContent();
    };
    // The confirmation went: the form's own line promised it.
    assert.equal(await post('التعليق الأول مع طلب الإعلام.'), 'نُشر تعليقك.');
    // Two more asks for this address elsewhere use up its confirmations.
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${server.url}api/v1/articles/${ARTICLE}/comments`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ author: 'هدى', email: 'huda@example.org', body: `طلب آخر ${i}`, notify_replies: true, idempotency_key: crypto.randomUUID() }),
      });
      assert.equal((await res.json()).reply_notifications, 'confirmation_sent');
    }
    assert.equal(await post('التعليق الرابع، والإعلام لن يأتي.'), 'نُشر تعليقك. تعذّر علينا هذه المرة تفعيل إعلامك بالردود عبر البريد.');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a comments widget of an article closed to comments shows the note in place of the form and keeps the draft', async () => {
  // With mail (the demo's outbox), so that "tell me about replies" is offered.
  const server = await startServer({ args: ['--publish-token', CLOSING_TOKEN, '--moderation', 'post', '--mail-outbox'] });
  const id = '2026-12-05-closing';
  const put = (open) => putArticle(server, id, 'مقال تُغلق تعليقاته', open);
  const C = '#story';
  const text = 'تعليق كُتب قبل أن تُغلق التعليقات';
  try {
    assert.equal((await put(true)).status, 201);
    await postComment(server, 'أول تعليق', { author: 'سارة', article: id });
    const { page, problems } = await openPage(browser);
    await routeMountPage(page, 'closing', { kind: 'comments', articleId: id });
    await page.goto(`${server.url}closing.html`);
    await page.locator(`${C} >> form.comment-form`).waitFor();
    assert.equal(await page.locator(`${C} >> button.reply`).count(), 1);
    // A reply: its banner's "cancel reply" must go with the rest.
    await page.locator(`${C} >> button.reply`).click();
    await page.locator(`${C} >> #kc-author`).fill('ليلى');
    await page.locator(`${C} >> #kc-email`).fill('layla@example.org');
    await page.locator(`${C} >> #kc-body`).fill(text);
    await page.locator(`${C} >> p.notify`).waitFor();

    // Closed while the reader wrote: the refusal puts the note after the
    // form, the reader's focus on it, and no "reply" stays; the text stays
    // in view to copy, read-only, with no button to send it.
    assert.equal((await put(false)).status, 200);
    await page.locator(`${C} >> form.comment-form button.send`).click();
    const note = page.locator(`${C} >> .note.closed`);
    await note.waitFor();
    const unsent = async () => {
      assert.equal(await page.locator(`${C} >> #kc-body`).inputValue(), text);
      assert.equal(await page.locator(`${C} >> #kc-body`).getAttribute('readonly'), '');
      // Nothing in the form can be changed or chosen: the name and address
      // are read-only too, the choices and "cancel reply" gone.
      for (const field of ['#kc-author', '#kc-email']) {
        assert.equal(await page.locator(`${C} >> ${field}`).getAttribute('readonly'), '', field);
      }
      assert.equal(await page.locator(`${C} >> form.comment-form .remember:visible`).count(), 0);
      assert.equal(await page.locator(`${C} >> form.comment-form button:visible`).count(), 0);
      assert.ok(await note.evaluate((n) => n.previousElementSibling?.matches('form.comment-form')), 'the note after it');
      assert.equal(await page.locator(`${C} >> button.reply`).count(), 0);
    };
    await unsent();
    assert.ok(await note.evaluate((n) => n.getRootNode().activeElement === n), 'the note has the focus');
    const drafts = () => storedDrafts(page);
    assert.deepEqual(await drafts(), [text], 'the draft is kept');
    // Enter in a field (which submits a form) sends nothing.
    const posted = [];
    page.on('request', (r) => { if (r.method() === 'POST') posted.push(r.url()); });
    await page.locator(`${C} >> #kc-author`).press('Enter');
    await page.waitForTimeout(500);
    assert.deepEqual(posted, []);

    // A later visit: the page of comments says so, and the draft is shown
    // the same way.
    await page.reload();
    await page.locator(`${C} >> li.comment`).first().waitFor();
    await note.waitFor();
    await unsent();
    assert.deepEqual(await drafts(), [text]);

    // Open again: the draft is back in the form.
    assert.equal((await put(true)).status, 200);
    await page.reload();
    await page.locator(`${C} >> #kc-body`).waitFor();
    assert.equal(await page.locator(`${C} >> #kc-body`).inputValue(), text);
    assert.equal(await page.locator(`${C} >> .note.closed`).count(), 0);
    assert.deepEqual(problems.filter((p) => !/403/.test(p)), []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

/**
 * A comments widget on article `id` (21 comments, so that "more" brings a
 * second page) whose reader sends `text`; once the request is on its way
 * the article closes, and "more" brings the page that says so. The POST is
 * held until `release()`, then answered by the function `answer(route)`
 * resolves with. Resolves with
 * the page, its problems, `release` and `posts()` (POSTs seen).
 */
async function closedWhileSending(server, id, text, answer) {
  const put = (open) => putArticle(server, id, 'مقال تُغلق تعليقاته والتعليق في الطريق', open);
  assert.equal((await put(true)).status, 201);
  await seedComments(server, 21, { article: id });
  const { page, problems } = await openPage(browser);
  let posts = 0;
  let taken; const tookIt = new Promise((r) => { taken = r; });
  let release; const held = new Promise((r) => { release = r; });
  await page.route('**/comments', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    posts += 1;
    // The answer made first (a request passed on reaches the server before
    // the article closes), then held.
    const reply = await answer(route);
    taken();
    await held;
    return reply();
  });
  await routeMountPage(page, id, { kind: 'comments', articleId: id });
  await page.goto(`${server.url}${id}.html`);
  await page.locator('#story >> form.comment-form').waitFor();
  await page.locator('#story >> #kc-author').fill('ليلى');
  await page.locator('#story >> #kc-body').fill(text);
  await page.locator('#story >> form.comment-form button.send').click();
  await tookIt;
  assert.equal((await put(false)).status, 200);
  await page.locator('#story >> button.more-comments').click();
  await page.locator('#story >> .note.closed').waitFor();
  return { page, problems, release, posts: () => posts };
}

test('a comment the server took while its section closed is shown, and leaves no empty form behind', { timeout: 90_000 }, async () => {
  const server = await startServer({ args: ['--publish-token', CLOSING_TOKEN, '--moderation', 'post', '--comment-rate', '0'] });
  const C = '#story';
  const text = 'تعليق وصل قبل الإغلاق وتأخر جوابه';
  try {
    // The server takes the comment at once; its answer is held back.
    const { page, problems, release } = await closedWhileSending(server, '2026-12-07-closing-late', text, async (route) => {
      const response = await route.fetch();
      return () => route.fulfill({ response });
    });
    assert.equal(await page.locator(`${C} >> #kc-body`).getAttribute('readonly'), '');
    // The reader is in it (to copy the text) when the answer comes: the
    // comment shows once, the form goes, the focus moves to the note, and
    // the section's live region says it was published.
    await page.locator(`${C} >> #kc-body`).focus();
    release();
    await page.locator(`${C} >> form.comment-form`).waitFor({ state: 'detached' });
    assert.ok(await page.locator(`${C} >> .note.closed`).evaluate((n) => n.getRootNode().activeElement === n), 'the note has the focus');
    assert.equal(await page.locator(`${C} >> li.comment`, { hasText: text }).count(), 1);
    assert.equal(await page.locator(`${C} >> .comments-live`).textContent(), 'نُشر تعليقك.');
    assert.deepEqual(await storedDrafts(page), [], 'the draft is let go');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a comment that fails once its section closed is not sent again, and the reader is told comments are closed', { timeout: 90_000 }, async () => {
  const server = await startServer({ args: ['--publish-token', CLOSING_TOKEN, '--moderation', 'post', '--comment-rate', '0'] });
  const C = '#story';
  const text = 'تعليق لم يصل وأُغلقت التعليقات';
  try {
    // The comment is held, then fails as a server in trouble would.
    const { page, problems, release, posts } = await closedWhileSending(server, '2026-12-07-closing-failed', text,
      async (route) => () => route.fulfill({ status: 503, contentType: 'text/plain', body: 'busy' }));
    release();
    await page.locator(`${C} >> form.comment-form .form-status`).filter({ hasText: 'التعليقات مغلقة على هذا الخبر.' }).waitFor();
    // No resend (the first would come after 1 to 2 s), the text kept.
    await page.waitForTimeout(3000);
    assert.equal(posts(), 1);
    assert.equal(await page.locator(`${C} >> #kc-body`).inputValue(), text);
    assert.deepEqual(await storedDrafts(page), [text]);
    assert.deepEqual(problems.filter((p) => !/503/.test(p)), []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('an article widget whose article closed since a draft was stored shows that draft read-only, the note after it', async () => {
  const server = await startServer({ args: ['--moderation', 'post'] });
  try {
    await seedComments(server, 1);
    const { page, problems } = await openPage(browser);
    await openArticle(page, server);
    const text = 'مسودة كُتبت قبل إغلاق التعليقات';
    await page.locator(`${W} >> #kc-author`).fill('Rana');
    await page.locator(`${W} >> #kc-body`).fill(text);
    await page.waitForFunction((t) => Object.keys(localStorage).some((k) => k.startsWith('khabar:drafts:')
      && localStorage.getItem(k).includes(t)), text);
    // The article closes to comments; the next visit is told at mount.
    await page.route(`**/api/v1/articles/${ARTICLE}`, async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, json: { ...(await res.json()), comments_open: false } });
    });
    await page.reload();
    await widgetsSettled(page);
    const note = page.locator(`${W} >> .note.closed`);
    await note.waitFor();
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), text);
    assert.equal(await page.locator(`${W} >> #kc-body`).getAttribute('readonly'), '');
    assert.equal(await page.locator(`${W} >> form.comment-form button:visible`).count(), 0);
    assert.ok(await note.evaluate((n) => n.previousElementSibling?.matches('form.comment-form')), 'the note after it');
    await page.locator(`${W} >> li.comment`).first().waitFor();
    assert.equal(await page.locator(`${W} >> button.reply`).count(), 0);
    assert.deepEqual(await storedDrafts(page), [text], 'the draft is kept');
    // Without a draft, no form at all.
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    await widgetsSettled(page);
    await note.waitFor();
    assert.equal(await page.locator(`${W} >> form.comment-form`).count(), 0);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a confirmation like the last is written anew, and a refused reply target takes the focus and keeps its error', async () => {
  const server = await startServer({ args: ['--moderation', 'post', '--comment-rate', '1000'] });
  try {
    await seedComments(server, 21);
    const { page, problems } = await openPage(browser);
    await openArticle(page, server);
    // Every text the status line takes, as a screen reader meets them.
    await page.evaluate((sel) => {
      const line = document.querySelector(sel).shadowRoot.querySelector('form.comment-form .form-status');
      window.statuses = [];
      new MutationObserver(() => window.statuses.push(line.textContent))
        .observe(line, { childList: true, characterData: true, subtree: true });
    }, W);
    for (const body of ['تعليق أول من القارئة', 'تعليق ثانٍ من القارئة']) {
      await page.locator(`${W} >> #kc-author`).fill('هدى');
      await page.locator(`${W} >> #kc-body`).fill(body);
      await page.locator(`${W} >> form.comment-form button.send`).click();
      await page.locator(`${W} >> .comment-body`, { hasText: body }).waitFor();
    }
    const statuses = await page.evaluate(() => window.statuses);
    const posted = statuses.map((t, i) => (t.includes('نُشر تعليقك') ? i : -1)).filter((i) => i >= 0);
    assert.equal(posted.length, 2, JSON.stringify(statuses));
    assert.ok(statuses.slice(posted[0] + 1, posted[1]).includes(''), `emptied between: ${JSON.stringify(statuses)}`);

    // A reply to a comment a moderator deletes meanwhile: refused, and the
    // "replying to" line, which says why, has the focus.
    const target = page.locator(`${W} >> ol.comment-list > li.comment`).first();
    const targetId = await target.getAttribute('data-id');
    await target.locator('button.reply').click();
    await page.locator(`${W} >> #kc-body`).fill('ردّ على تعليق حُذف للتو');
    server.cli('comments', 'delete', targetId);
    await page.locator(`${W} >> form.comment-form button.send`).click();
    await page.waitForFunction((sel) => document.querySelector(sel).shadowRoot.activeElement?.id === 'kc-reply', W);
    assert.match(await page.locator(`${W} >> #kc-reply`).getAttribute('aria-describedby'), /\bkc-reply-error\b/);
    const error = page.locator(`${W} >> #kc-reply-error`);
    const why = (await error.textContent()).trim();
    assert.ok(why, 'the refusal is written');
    // A page coming in places the reply again: its error stays.
    await page.locator(`${W} >> button.more-comments`).click();
    await page.waitForFunction((sel) => document.querySelector(sel).shadowRoot.querySelector('button.more-comments')?.hidden, W);
    assert.ok(await error.isVisible(), 'the error is still shown');
    assert.equal((await error.textContent()).trim(), why);
    assert.deepEqual(problems.filter((p) => !/422/.test(p)), []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

/** Runs `run` with a server under post-moderation and a browser context
 * of its own, whose pages are tabs sharing one `localStorage`. */
async function inTabs(run) {
  const server = await startServer({ args: ['--moderation', 'post'] });
  const context = await browser.newContext({ viewport: { width: 1000, height: 1000 } });
  try {
    await run(context, server);
  } finally {
    await context.close();
    await server.stop();
    server.cleanup();
  }
}

test('a comment posted in one tab leaves the draft another tab of the article stored while it was on its way', () => inTabs(async (context, server) => {
  const [a, b] = [await context.newPage(), await context.newPage()];
  for (const page of [a, b]) await openArticle(page, server);
  const drafts = () => storedDrafts(a);
  // The second tab's comment is held on its way until the reader has
  // gone on writing a longer one in the first tab.
  let typed;
  const written = new Promise((resolve) => { typed = resolve; });
  await b.route('**/api/v1/articles/*/comments', async (route) => {
    if (route.request().method() === 'POST') await written;
    await route.continue();
  });
  await b.locator(`${W} >> #kc-author`).fill('عمر');
  const short = 'تعليق قصير من النافذة الثانية';
  await b.locator(`${W} >> #kc-body`).fill(short);
  await b.locator(`${W} >> form.comment-form button.send`).click();
  const long = 'تعليق طويل ما زال يُكتب في النافذة الأولى';
  await a.locator(`${W} >> #kc-author`).fill('عمر');
  await a.locator(`${W} >> #kc-body`).fill(long);
  // Both are kept until the server has the second tab's comment.
  assert.deepEqual(await drafts(), [short, long]);
  typed();
  await b.locator(`${W} >> .comment-body`, { hasText: 'تعليق قصير' }).waitFor();
  await b.locator(`${W} >> form.comment-form .form-status`).filter({ hasText: 'نُشر تعليقك' }).waitFor();
  assert.equal(await b.locator(`${W} >> #kc-body`).inputValue(), '');
  assert.deepEqual(await drafts(), [long], 'the first tab\'s draft is kept');
}));

test('two tabs writing comments on one article keep both drafts: a new tab restores the last written, and the other once it is sent', () => inTabs(async (context, server) => {
  const [a, b] = [await context.newPage(), await context.newPage()];
  for (const page of [a, b]) await openArticle(page, server);
  const drafts = () => storedDrafts(a);
  const first = 'مسودة النافذة الأولى';
  const second = 'مسودة النافذة الثانية';
  await a.locator(`${W} >> #kc-body`).fill(first);
  await b.locator(`${W} >> #kc-author`).fill('ليلى');
  await b.locator(`${W} >> #kc-body`).fill(second);
  // The first tab goes on writing: its own draft is replaced, the
  // second tab's stays.
  await a.locator(`${W} >> #kc-author`).fill('ليلى');
  await a.locator(`${W} >> #kc-body`).fill(`${first}، وقد طالت`);
  assert.deepEqual(await drafts(), [second, `${first}، وقد طالت`]);
  await a.close();
  await b.close();

  const c = await context.newPage();
  await openArticle(c, server);
  assert.equal(await c.locator(`${W} >> #kc-body`).inputValue(), `${first}، وقد طالت`);
  await c.locator(`${W} >> form.comment-form button.send`).click();
  await c.locator(`${W} >> .comment-body`, { hasText: 'وقد طالت' }).waitFor();
  assert.deepEqual(await storedDrafts(c), [second]);
  await openArticle(c, server);
  assert.equal(await c.locator(`${W} >> #kc-body`).inputValue(), second);
  assert.equal(await c.locator(`${W} >> #kc-author`).inputValue(), 'ليلى');
}));

test('a tab that restores a draft another tab still shows, and writes another comment over it, leaves that tab\'s draft stored', () => inTabs(async (context, server) => {
  const a = await context.newPage();
  await openArticle(a, server);
  const kept = 'نص ما زال في النافذة الأولى';
  await a.locator(`${W} >> #kc-author`).fill('سامي');
  await a.locator(`${W} >> #kc-body`).fill(kept);
  const b = await context.newPage();
  await openArticle(b, server);
  assert.equal(await b.locator(`${W} >> #kc-body`).inputValue(), kept, 'restored');
  await b.locator(`${W} >> #kc-body`).fill('تعليق آخر تماماً');
  // The first tab, which typed nothing more, stores its own again.
  await b.waitForFunction(() => Object.keys(localStorage).filter((k) => k.startsWith('khabar:drafts:'))
    .flatMap((k) => JSON.parse(localStorage.getItem(k))).length === 2);
  await a.close();
  assert.deepEqual((await storedDrafts(b)).sort(), [kept, 'تعليق آخر تماماً'].sort());
}));

test('a draft two tabs restored, sent from one, is not stored again by the other', () => inTabs(async (context, server) => {
  const a = await context.newPage();
  await openArticle(a, server);
  await a.locator(`${W} >> #kc-author`).fill('رنا');
  await a.locator(`${W} >> #kc-body`).fill('تعليق فُتح في نافذتين');
  await a.close();
  const [b, c] = [await context.newPage(), await context.newPage()];
  for (const page of [b, c]) await openArticle(page, server);
  assert.equal(await c.locator(`${W} >> #kc-body`).inputValue(), 'تعليق فُتح في نافذتين');
  await b.locator(`${W} >> form.comment-form button.send`).click();
  await b.locator(`${W} >> .comment-body`, { hasText: 'فُتح في نافذتين' }).waitFor();
  // The other tab hears of the change; the comment it shows as it was
  // restored is published, and is not a draft to keep.
  await c.waitForTimeout(1000);
  assert.deepEqual(await storedDrafts(c), []);
}));

test('a draft one tab wrote and another restored and sent is not stored again by the tab that wrote it: it does not come back on the next visit', () => inTabs(async (context, server) => {
  const a = await context.newPage();
  await openArticle(a, server);
  await a.locator(`${W} >> #kc-author`).fill('هالة');
  await a.locator(`${W} >> #kc-body`).fill('كتبتُه في النافذة الأولى');
  const b = await context.newPage();
  await openArticle(b, server);
  assert.equal(await b.locator(`${W} >> #kc-body`).inputValue(), 'كتبتُه في النافذة الأولى');
  await b.locator(`${W} >> form.comment-form button.send`).click();
  await b.locator(`${W} >> .comment-body`, { hasText: 'كتبتُه في النافذة الأولى' }).waitFor();
  // The first tab hears its draft is gone, and keeps it out; later
  // changes to the drafts (another tab writing) do not bring it back.
  await a.waitForTimeout(500);
  await b.locator(`${W} >> #kc-body`).fill('تعليق جديد في النافذة الثانية');
  await a.waitForTimeout(500);
  assert.deepEqual(await storedDrafts(a), ['تعليق جديد في النافذة الثانية']);
  await b.locator(`${W} >> #kc-body`).fill('');
  await a.waitForTimeout(500);
  await a.close();
  await b.close();
  const c = await context.newPage();
  await openArticle(c, server);
  assert.equal(await c.locator(`${W} >> #kc-body`).inputValue(), '', 'no published comment as a draft');
}));

test('an edit while a failed comment waits to be sent again calls the resend off and says so: the text is kept, and "send" sends the new one', async () => {
  const server = await startServer({ args: ['--moderation', 'post'] });
  try {
    const { page } = await openPage(browser);
    let posts = 0;
    await page.route('**/comments', (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      posts += 1;
      return posts === 1 ? route.abort('connectionrefused') : route.continue();
    });
    await openArticle(page, server);
    await page.clock.install();
    const status = page.locator(`${W} >> form.comment-form .form-status`);
    await page.locator(`${W} >> #kc-author`).fill('Nadia');
    await page.locator(`${W} >> #kc-body`).fill('The first version.');
    await page.locator(`${W} >> form.comment-form button.send`).click();
    await status.filter({ hasText: 'سنعيد المحاولة تلقائياً' }).waitFor();
    await page.locator(`${W} >> #kc-body`).fill('The first version, mended.');
    await status.filter({ hasText: 'تعذّر الاتصال بخادم الأخبار' }).waitFor();
    // No resend comes: the next minutes pass without a request.
    await page.clock.runFor(120_000);
    await page.waitForTimeout(300);
    assert.equal(posts, 1);
    await page.locator(`${W} >> form.comment-form button.send`).click();
    await page.locator(`${W} >> .comment-body`, { hasText: 'mended' }).waitFor();
    assert.equal(posts, 2);
    assert.equal(await total(server), 1);
  } finally {
    await server.stop();
    server.cleanup();
  }
});

/** Holds each comment the page posts until `release()` is called:
 * `onItsWay` resolves when one is on its way, `done` once it is answered. */
async function holdCommentPosts(page) {
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  let answered;
  const done = new Promise((resolve) => { answered = resolve; });
  let arrived;
  const onItsWay = new Promise((resolve) => { arrived = resolve; });
  await page.route('**/comments', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    arrived();
    await held;
    const response = await route.fetch();
    await route.fulfill({ response });
    answered();
    return undefined;
  });
  return { onItsWay, release, done };
}

/** Opens the article, writes `text` as Nadia and sends it, held: resolves
 * once it is on its way, with what releases it and says it was answered. */
async function sendHeld(page, server, text) {
  const { onItsWay, release, done } = await holdCommentPosts(page);
  await openArticle(page, server);
  await page.locator(`${W} >> #kc-author`).fill('Nadia');
  await page.locator(`${W} >> #kc-body`).fill(text);
  await page.locator(`${W} >> form.comment-form button.send`).click();
  await onItsWay;
  return { release, done };
}

test('a comment on its way when the section is taken down (a single-page app moving on) still arrives, and its draft does not come back', async () => {
  const server = await startServer({ args: ['--moderation', 'post'] });
  try {
    const { page, problems } = await openPage(browser);
    const { release, done } = await sendHeld(page, server, 'Sent just before the page moved on.');
    // The app takes the article and its comments down.
    await page.evaluate((sel) => document.querySelector(sel).remove(), W);
    release();
    await done;
    await page.waitForTimeout(300);
    assert.equal(await total(server), 1);
    assert.deepEqual(await storedDrafts(page), []);
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a comment answered after its section was taken down is kept as waiting and told: its section, back, shows it', async () => {
  const server = await startServer({ args: ['--moderation', 'pre'] });
  try {
    const { page, problems } = await openPage(browser);
    const text = 'أُرسل والصفحة تنتقل إلى غيره';
    const { release, done } = await sendHeld(page, server, text);
    // The app takes the widget out of the page (it listens on it).
    await page.evaluate((sel) => {
      window.host = document.querySelector(sel);
      window.place = window.host.parentNode;
      window.posted = [];
      window.host.addEventListener('khabar:comment-posted', (e) => window.posted.push(e.detail.status));
      window.host.remove();
    }, W);
    release();
    await done;
    await page.waitForFunction(() => window.posted.length > 0);
    assert.deepEqual(await page.evaluate(() => window.posted), ['pending']);
    assert.deepEqual(await storedDrafts(page), []);
    // Back in the page (the reader went back): the section mounted again
    // shows the reader's comment, waiting.
    await page.evaluate(() => window.place.append(window.host));
    await page.locator(`${W} >> li.comment.pending`, { hasText: text }).waitFor();
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), '');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a comment answered after its section was mounted again (an app\'s view shown again while it was sending) shows there as waiting: the restored draft goes, the page hears of it once', async () => {
  const server = await startServer({ args: ['--moderation', 'pre'] });
  try {
    const { page, problems } = await openPage(browser);
    const text = 'أُرسل وأُعيد تركيب القسم قبل الجواب';
    const { release, done } = await sendHeld(page, server, text);
    await page.evaluate((sel) => {
      window.posted = [];
      document.querySelector(sel).addEventListener('khabar:comment-posted', (e) => window.posted.push(e.detail.status));
    }, W);
    await remount(page);
    // Not answered yet: the section back shows the draft it stored.
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), text);
    release();
    await done;
    await page.locator(`${W} >> li.comment.pending`, { hasText: text }).waitFor();
    assert.equal(await page.locator(`${W} >> li.comment`, { hasText: text }).count(), 1);
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), '');
    assert.deepEqual(await storedDrafts(page), []);
    await page.waitForTimeout(200);
    assert.deepEqual(await page.evaluate(() => window.posted), ['pending']);
    // Mounted once more, it shows it as waiting, once.
    await remount(page);
    await page.locator(`${W} >> li.comment.pending`, { hasText: text }).waitFor();
    assert.equal(await page.locator(`${W} >> li.comment`, { hasText: text }).count(), 1);
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), '');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a draft an older widget stored is restored as a page opens, with a key of its own, beside this widget\'s; what a tab of that widget still open writes and clears later stays its own', async () => {
  const server = await startServer({ args: ['--moderation', 'post'] });
  try {
    const { page, problems } = await openPage(browser);
    await openArticle(page, server);
    await page.locator(`${W} >> #kc-author`).fill('منى');
    await page.locator(`${W} >> #kc-body`).fill('مسودة من هذه النسخة');
    const list = await page.evaluate(() => Object.keys(localStorage).find((k) => k.startsWith('khabar:drafts:')));
    const older = list.replace('khabar:drafts:', 'khabar:draft:');
    const setOlder = (draft) => page.evaluate(([name, d]) => localStorage.setItem(name, JSON.stringify(d)), [older, draft]);
    const olderStored = () => page.evaluate((name) => localStorage.getItem(name), older);
    // One object, without a key, as the oldest widgets wrote it.
    await setOlder({ author: 'منى', email: '', body: 'مسودة من نسخة أقدم' });
    await openArticle(page, server);
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), 'مسودة من نسخة أقدم');
    assert.deepEqual(await storedDrafts(page), ['مسودة من هذه النسخة', 'مسودة من نسخة أقدم']);
    assert.equal(await olderStored(), null, 'moved in');
    const keys = await page.evaluate((name) => JSON.parse(localStorage.getItem(name)).map((d) => d.key), list);
    assert.match(keys[1], /^[A-Za-z0-9_-]{8,100}$/);
    // A tab of the older widget, still open, writes its draft again while
    // this tab writes on over the one it restored: each keeps its own.
    await setOlder({ author: 'منى', email: '', body: 'مسودة أقدم كُتبت من جديد', key: 'k-1-2' });
    await page.locator(`${W} >> #kc-body`).fill('مسودة من نسخة أقدم، عُدّلت');
    assert.deepEqual(await storedDrafts(page), ['مسودة من هذه النسخة', 'مسودة من نسخة أقدم، عُدّلت']);
    assert.match(await olderStored(), /كُتبت من جديد/);
    // That tab sends its comment and clears its own: this widget's stay.
    await page.evaluate((name) => localStorage.removeItem(name), older);
    await openArticle(page, server);
    assert.equal(await page.locator(`${W} >> #kc-body`).inputValue(), 'مسودة من نسخة أقدم، عُدّلت');
    assert.deepEqual(await storedDrafts(page), ['مسودة من هذه النسخة', 'مسودة من نسخة أقدم، عُدّلت']);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a section taken down while "more replies" is on its way cancels that request too', async () => {
  const server = await startServer({ args: ['--moderation', 'post', '--comment-rate', '0'] });
  try {
    const post = (body, parent) => postComment(server, body, { parent });
    const top = await post('the busy comment', null);
    for (let i = 0; i < 21; i++) await post(`reply ${i}`, top);
    const { page, problems } = await openPage(browser);
    // The next replies never come.
    await page.route('**/replies?*', () => {});
    await page.route('**/replies-destroyed.html', (route) => route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"></head>
        <body><div id="story"></div><script type="module">
          import { mount, debugCounts } from '/khabar/khabar.js';
          window.k = { debugCounts };
          window.h = mount(document.getElementById('story'), { kind: 'comments', articleId: '${ARTICLE}', lang: 'en' });
        </script></body></html>`,
    }));
    await page.goto(`${server.url}replies-destroyed.html`);
    await page.locator('#story >> button.more-replies').click();
    await page.waitForFunction(() => window.k.debugCounts()[1] === 1);
    await page.evaluate(() => window.h.destroy());
    // Let go at once, not when its time limit (10 s) ends it.
    await page.waitForFunction(() => window.k.debugCounts()[1] === 0, null, { timeout: 3000 });
    assert.deepEqual((await page.evaluate(() => window.k.debugCounts())).slice(0, 2), [0, 0]);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('keyboard only: a comment with 45 replies shows 20, "more replies" brings the rest and keeps the reader\'s place, after a failure too; a reply posted meanwhile shows once (post- and pre-moderation)', async () => {
  for (const moderation of ['post', 'pre']) {
    const server = await startServer({ args: ['--moderation', moderation, '--comment-rate', '0'] });
    try {
      const post = (body, parent) => postComment(server, body, { parent, approve: moderation === 'pre' });
      const top = await post('the busy comment', null);
      for (let i = 0; i < 45; i++) await post(`reply ${i}`, top);
      const { page, problems } = await openPage(browser);
      await routeMountPage(page, 'more-replies', { kind: 'comments', articleId: ARTICLE, lang: 'en' });
      await page.goto(`${server.url}more-replies.html`);
      await page.locator('#story >> li.comment').first().waitFor();
      const state = () => page.evaluate(() => {
        const root = document.getElementById('story').shadowRoot;
        const a = root.activeElement;
        return {
          focus: a ? `${a.localName}.${a.className}` : null,
          text: a?.querySelector?.('.comment-body')?.textContent ?? null,
          replies: [...root.querySelectorAll('ol.replies > li.comment')]
            .map((li) => li.querySelector('.comment-body').textContent + (li.querySelector('.badge') ? ' [pending]' : '')),
          error: root.querySelector('.replies-error')?.textContent ?? null,
          described: root.getElementById(root.querySelector('.more-replies')?.getAttribute('aria-describedby'))?.textContent ?? null,
        };
      });
      const replies = (n) => page.waitForFunction((want) =>
        document.getElementById('story').shadowRoot.querySelectorAll('ol.replies > li.comment').length === want, n);
      let now = await state();
      assert.deepEqual(now.replies, Array.from({ length: 20 }, (_, i) => `reply ${i}`), moderation);
      assert.equal(await page.locator('#story >> button.more-replies').textContent(), 'More replies');
      assert.equal(now.described, 'R', 'the button is described by the name of the comment it is under');
      // The button under the last reply shown, in its context.
      await page.locator('#story >> button.more-replies').scrollIntoViewIfNeeded();
      const box = await page.locator('#story >> button.more-replies').boundingBox();
      await page.screenshot({ path: screenshotPath('more-replies.png'), clip: { x: 0, y: Math.max(0, box.y - 220), width: 800, height: 300 } });

      // The reader replies, with 25 replies not yet shown: theirs shows at
      // once (waiting for a moderator under pre-moderation, who approves it).
      await page.locator('#story >> button.reply').first().click();
      await page.locator('#story >> #kc-author').fill('Laila');
      await page.locator('#story >> #kc-body').fill('A reply of my own.');
      await page.locator('#story >> form.comment-form button[type="submit"]').click();
      await replies(21);
      assert.equal((await state()).replies[20], `A reply of my own.${moderation === 'pre' ? ' [pending]' : ''}`, moderation);
      // Approved, it is published among the replies not shown: on the next
      // visit it shows so, not as waiting, before any "more replies".
      if (moderation === 'pre') {
        server.cli('comments', 'approve', String(top + 46));
        await page.reload();
        await page.waitForFunction(() => {
          const shown = document.getElementById('story')?.shadowRoot?.querySelectorAll('ol.replies > li.comment') ?? [];
          return shown.length === 21 && !shown[20].querySelector('.badge');
        });
      }
      const mine = 'A reply of my own.';
      assert.equal((await state()).replies[20], mine, moderation);
      // The first "more replies" fails (the network drops it), then they come.
      let asked = 0;
      await page.route('**/replies?*', (route) => (asked++ === 0 ? route.abort('internetdisconnected') : route.continue()));

      await page.locator('#story >> button.more-replies').focus();
      await page.keyboard.press('Enter');
      await page.locator('#story >> .replies-error').waitFor();
      now = await state();
      assert.match(now.error, /connection|network|internet|offline/i);
      assert.equal(now.focus, 'button.more more-replies', 'the button stays, to try again');
      assert.equal(now.replies.length, 21);
      // Again: the next 20, before the reader's own; the note goes, and the
      // reader is on the first reply it brought.
      await page.keyboard.press('Enter');
      await replies(41);
      now = await state();
      assert.equal(now.error, null);
      assert.equal(now.focus, 'li.comment');
      assert.equal(now.text, 'reply 20');
      assert.equal(now.replies[40], mine, `${moderation}: the reader's own stays last`);
      // The last ones: the button goes; the reader's own reply is in its
      // place, once, published.
      await page.locator('#story >> button.more-replies').focus();
      await page.keyboard.press('Enter');
      await replies(46);
      now = await state();
      assert.equal(now.focus, 'li.comment');
      assert.equal(now.text, 'reply 40');
      assert.deepEqual(now.replies, [...Array.from({ length: 45 }, (_, i) => `reply ${i}`), 'A reply of my own.'], moderation);
      assert.equal(await page.locator('#story >> button.more-replies').count(), 0);
      assert.equal(asked, 3);
      // Published, it is no longer the reader's waiting comment.
      await page.reload();
      await page.locator('#story >> li.comment').first().waitFor();
      assert.equal(await page.evaluate(() => localStorage.getItem(Object.keys(localStorage).find((k) => k.startsWith('khabar:pending:')) ?? '') ?? '[]'), '[]', moderation);
      assert.deepEqual(problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch/.test(p)), [], moderation);
      await page.close();
    } finally {
      await server.stop();
      server.cleanup();
    }
  }
});

test('a waiting reply that "more replies" showed in its place, published, stays there when the check of it answers later', async () => {
  const server = await startServer({ args: ['--moderation', 'pre', '--comment-rate', '0'] });
  try {
    const post = (body, parent) => postComment(server, body, { parent, approve: true });
    const top = await post('the busy comment', null);
    for (let i = 0; i < 25; i++) await post(`reply ${i}`, top);
    const { page, problems } = await openPage(browser);
    await routeMountPage(page, 'checked-late', { kind: 'comments', articleId: ARTICLE, lang: 'en' });
    await page.goto(`${server.url}checked-late.html`);
    await page.locator('#story >> button.reply').first().click();
    await page.locator('#story >> #kc-author').fill('Laila');
    await page.locator('#story >> #kc-body').fill('A reply of my own.');
    await page.locator('#story >> form.comment-form button[type="submit"]').click();
    await page.locator('#story >> li.comment .badge').waitFor();
    const mine = top + 26;
    // Two more after it; then a moderator publishes the reader's.
    await post('later 1', top);
    await post('later 2', top);
    server.cli('comments', 'approve', String(mine));
    // The next visit checks whether the waiting reply is published (it is
    // among the replies not shown); that answer comes last.
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    let checking;
    const asked = new Promise((resolve) => { checking = resolve; });
    await page.route('**/replies?*', async (route) => {
      if (new URL(route.request().url()).searchParams.get('cursor') === String(mine - 1)) {
        checking();
        await held;
      }
      await route.continue();
    });
    await page.reload();
    await asked;
    await page.locator('#story >> button.more-replies').click();
    const bodies = () => page.evaluate(() => [...document.getElementById('story').shadowRoot
      .querySelectorAll('ol.replies > li.comment')].map((li) => li.querySelector('.comment-body').textContent));
    const inOrder = [...Array.from({ length: 25 }, (_, i) => `reply ${i}`), 'A reply of my own.', 'later 1', 'later 2'];
    await page.waitForFunction((n) => document.getElementById('story').shadowRoot
      .querySelectorAll('ol.replies > li.comment').length === n, inOrder.length);
    assert.deepEqual(await bodies(), inOrder, 'in its place once "more replies" brought it');
    const checked = page.waitForResponse((r) => r.url().includes(`cursor=${mine - 1}`));
    release();
    await checked;
    await page.waitForTimeout(300);
    assert.deepEqual(await bodies(), inOrder, 'still in its place, once');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test('a pile of marks from another backend shows five deep; real Arabic marks stay', async () => {
  const server = await startServer({ args: ['--moderation', 'post'] });
  try {
    const pile = '\u0301\u0316\u0489'.repeat(40);
    const { page, problems } = await openPage(browser);
    await routeMountPage(page, 'marks', { kind: 'comments', articleId: ARTICLE, lang: 'en' });
    // A backend that stores what it is given: the widget's own rule holds.
    await page.route('**/articles/*/comments?*', (route) => route.fulfill({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({
        items: [
          { id: 1, author: `Z${pile}`, body: `a${pile}b`, created_at: '2026-12-01T10:00:00Z', parent_id: null, replies: [] },
          { id: 2, author: 'هدى', body: 'شَدَّةٌ', created_at: '2026-12-01T11:00:00Z', parent_id: null, replies: [] },
        ],
        next: null,
        total: 2,
      }),
    }));
    await page.goto(`${server.url}marks.html`);
    await page.locator('#story >> li.comment').nth(1).waitFor();
    const shown = await page.evaluate(() => [...document.getElementById('story').shadowRoot.querySelectorAll('li.comment')]
      .map((li) => ({
        author: li.querySelector('.comment-author').textContent,
        body: li.querySelector('.comment-body').textContent,
      })));
    const five = '\u0301\u0316\u0489\u0301\u0316';
    assert.deepEqual(shown, [
      { author: `Z${five}`, body: `a${five}b` },
      { author: 'هدى', body: 'شَدَّةٌ' },
    ]);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});
