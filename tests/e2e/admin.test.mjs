// The moderation web UI (/admin) in a real browser: sign-in, moderating one
// comment and many, blocking and unblocking an author, a forged form from
// another origin refused, and no axe-core violation on any page (webhook
// deliveries, blocks and rejected comments included) in Arabic (rtl) or
// English (ltr).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { screenshotPath, startServer, launchBrowser, openPage, serveStatic } from './helpers.mjs';

const require = createRequire(import.meta.url);
const ARTICLE = '2026-11-28-transit-plan';
const PASSWORD = 'correct horse battery';

let browser;
let server;
let receiver;
before(async () => {
  browser = await launchBrowser();
  // Webhooks, so that /admin/webhooks has a delivered and a failed row: a
  // receiver that takes everything, and a port where nothing listens.
  receiver = createServer((req, res) => { req.resume(); res.statusCode = 204; res.end(); });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  process.env.KHABAR_WEBHOOK_SECRET = 'e2e-webhook-secret-0123456789';
  server = await startServer({
    args: ['--comment-rate', '0',
      '--webhook', `http://127.0.0.1:${receiver.address().port}/hook`,
      '--webhook', 'http://127.0.0.1:1/hook',
      '--webhook-attempts', '1', '--webhook-retry', '1s'],
  });
  delete process.env.KHABAR_WEBHOOK_SECRET;
  // cli() runs the binary with this process's environment: the password
  // goes through KHABAR_ADMIN_PASSWORD, never the command line.
  process.env.KHABAR_ADMIN_PASSWORD = PASSWORD;
  assert.match(server.cli('admin', 'add', 'sara'), /added moderator sara/);
  delete process.env.KHABAR_ADMIN_PASSWORD;
});
after(async () => {
  receiver?.close();
  await server?.stop();
  server?.cleanup();
  await browser?.close();
});

let key = 0;
/** Posts a comment through the public API; its id. */
async function comment(body, { author = 'قارئ', email, parent } = {}) {
  key += 1;
  const res = await fetch(`${server.url}api/v1/articles/${ARTICLE}/comments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ author, email, body, parent_id: parent, idempotency_key: `e2e-admin-${key}-${Date.now()}` }),
  });
  assert.equal(res.status, 201);
  return (await res.json()).comment.id;
}

/** The status the CLI sees: pending ids. */
function pendingIds() {
  return server.cli('comments', 'pending').split('\n').map((l) => l.match(/^#(\d+)/)?.[1]).filter(Boolean).map(Number);
}

/** Ids of the published comments of the article (top-level and replies). */
async function publishedIds() {
  const res = await fetch(`${server.url}api/v1/articles/${ARTICLE}/comments?limit=50`);
  const { items } = await res.json();
  return items.flatMap((c) => [c.id, ...(c.replies ?? []).map((r) => r.id)]);
}

/** A new browser context signed in as sara, in `lang`. */
async function signedIn(lang, options = {}) {
  const { page, problems } = await openPage(browser, {
    locale: lang === 'ar' ? 'ar' : 'en-US', viewport: { width: 1100, height: 1300 }, ...options,
  });
  await page.goto(`${server.url}admin/`);
  assert.match(page.url(), /\/admin\/login$/);
  await page.fill('#name', 'sara');
  await page.fill('#password', PASSWORD);
  await page.click('form.login button[type=submit]');
  await page.waitForURL(/\/admin\/queue/);
  return { page, problems };
}

/** axe-core (WCAG 2 A and AA) on the whole page. */
async function axe(page) {
  // The pages' CSP refuses every script: these pages are opened with
  // bypassCSP, for axe's sake only.
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  return page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }));
  });
}

test('a moderator signs in, moderates one comment and then many', async () => {
  const parent = await comment('النقل العام يحتاج إلى حافلات أكثر في الأحياء الجديدة.', { author: 'سارة' });
  server.cli('comments', 'approve', String(parent));
  const reply = await comment('أوافق، خاصة في ساعات الذروة.', { author: 'عمر', email: 'omar@example.com', parent });
  const many = [
    await comment('Great plan, but what about cyclists?', { author: 'Lina', email: 'lina@example.com' }),
    await comment('هل سيشمل الخط الجديد محطة الجامعة؟', { author: 'هدى' }),
    await comment('BUY CHEAP WATCHES http://spam.example', { author: 'promo' }),
  ];

  for (const lang of ['ar', 'en']) {
    const { page, problems } = await signedIn(lang);
    assert.equal(await page.getAttribute('html', 'lang'), lang);
    assert.equal(await page.getAttribute('html', 'dir'), lang === 'ar' ? 'rtl' : 'ltr');
    assert.equal(await page.locator('li.comment').count(), 4);
    await page.screenshot({ path: screenshotPath(`admin-queue-${lang}.png`), fullPage: true });
    assert.deepEqual(problems, []);
    await page.close();
  }

  const { page, problems } = await signedIn('ar');
  // One: the row's own approve button.
  await page.click(`#c${reply} .one button.approve`);
  await page.waitForURL(/done=1/);
  assert.equal(await page.locator('.notice').count(), 1);
  assert.ok((await publishedIds()).includes(reply));
  // Many: two checkboxes and "reject selected"; one more deleted.
  await page.check(`#pick-${many[0]}`);
  await page.check(`#pick-${many[2]}`);
  await page.click('.bulk button.reject');
  await page.waitForURL(/done=2/);
  await page.check(`#pick-${many[1]}`);
  await page.click('.bulk button.approve');
  await page.waitForURL(/done=1/);
  assert.equal(await page.locator('li.comment').count(), 0);
  assert.deepEqual(pendingIds().filter((id) => [reply, ...many].includes(id)), []);
  const published = await publishedIds();
  assert.ok(published.includes(many[1]));
  assert.ok(!published.includes(many[0]) && !published.includes(many[2]));

  // The audit log names who did what.
  await page.click('nav a[href="/admin/audit"]');
  const rows = await page.locator('table.list tbody tr').allTextContents();
  assert.ok(rows.length >= 5);
  // The parent's approval came from the command line, which signs as cli.
  const onParent = new RegExp(`#${parent}(?!\\d)`);
  const fromCli = rows.filter((r) => onParent.test(r));
  assert.ok(fromCli.length === 1 && fromCli[0].includes('cli'), fromCli.join('\n'));
  assert.ok(rows.filter((r) => !onParent.test(r)).every((r) => r.includes('sara')));
  assert.ok(rows.some((r) => r.includes(`#${many[2]}`)));
  assert.deepEqual(problems, []);
  await page.close();
});

test('a moderator blocks an author from the queue and unblocks them from the blocks page', async () => {
  const first = await comment('أول تعليق من هذا العنوان.', { author: 'نادر', email: 'Nader@Example.org' });
  const { page, problems } = await signedIn('en');
  await page.goto(`${server.url}admin/queue`);
  await page.click(`#c${first} .one button.block[value^="email:"]`);
  await page.waitForURL(/\/admin\/queue\?done=1$/);
  assert.match(server.cli('comments', 'blocks'), /email {2}nader@example\.org {2}by sara/);
  // Their next comment waits in the queue (the server pre-moderates; the
  // server tests show it is held under post-moderation too).
  const next = await comment('تعليق ثانٍ بعد الحظر.', { author: 'نادر', email: 'NADER@example.org' });
  assert.ok(pendingIds().includes(next));

  await page.click('nav a[href="/admin/blocks"]');
  assert.equal(await page.locator('table.blocks tbody tr').count(), 1);
  await page.screenshot({ path: screenshotPath('admin-blocks-en.png'), fullPage: true });
  await page.click('form.unblock button');
  await page.waitForURL(/\/admin\/blocks\?done=1$/);
  assert.equal(await page.locator('table.blocks').count(), 0);
  assert.match(server.cli('comments', 'blocks'), /nobody is blocked/);

  // Typed in by hand: an address, refused when it is not one.
  await page.check('#kind-email');
  await page.fill('#block-value', 'not an address');
  const [bad] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/admin/blocks') && r.request().method() === 'POST'),
    page.click('form.block-add button'),
  ]);
  assert.equal(bad.status(), 400);
  assert.match(await page.textContent('main'), /the form's email is not valid/);
  assert.match(server.cli('comments', 'blocks'), /nobody is blocked/);

  await page.goto(`${server.url}admin/audit`);
  const rows = await page.locator('table.list tbody tr').allTextContents();
  assert.ok(rows.some((r) => r.includes('blocked an e-mail address') && r.includes(`#${first}`) && r.includes('nader@example.org')));
  assert.ok(rows.some((r) => r.includes('unblocked an e-mail address')));
  for (const id of [first, next]) server.cli('comments', 'delete', String(id));
  // The refused form is the only failed request.
  assert.deepEqual(problems, ['console: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  await page.close();
});

test('a forged form on another origin is refused and changes nothing', async () => {
  const victim = await comment('Please approve me, says the attacker.', { author: 'x' });
  const dir = mkdtempSync(join(tmpdir(), 'khabar-forge-'));
  writeFileSync(join(dir, 'index.html'), `<!doctype html><html lang="en"><title>Win a prize</title>
    <form method="post" action="${server.url}admin/comments">
      <input type="hidden" name="action" value="approve"><input type="hidden" name="id" value="${victim}">
      <input type="hidden" name="csrf" value="guessed">
      <button id="go">Claim your prize</button></form></html>`);
  const evil = await serveStatic(dir);
  try {
    const { page } = await signedIn('en');
    await page.goto(`${evil.url}/`);
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/admin/comments')),
      page.click('#go'),
    ]);
    assert.equal(res.status(), 403);
    assert.ok(pendingIds().includes(victim), 'still pending');
    // The session is intact: the real page can still act.
    await page.goto(`${server.url}admin/queue`);
    await page.click(`#c${victim} .one button.delete`);
    await page.waitForURL(/done=1/);
    assert.ok(!pendingIds().includes(victim));
    await page.close();
  } finally {
    await evil.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('axe-core finds no WCAG 2 A/AA violation on any admin page, rtl and ltr', async () => {
  await comment('تعليق ينتظر المراجعة.', { author: 'ريم', email: 'reem@example.com' });
  // A row on the blocks page, for axe to see its unblock button.
  assert.match(server.cli('comments', 'block', '--client', 'ab'.repeat(32)), /^blocked client/);
  for (const lang of ['ar', 'en']) {
    const login = await openPage(browser, { locale: lang === 'ar' ? 'ar' : 'en-US', bypassCSP: true });
    await login.page.goto(`${server.url}admin/login`);
    assert.equal(await login.page.getAttribute('html', 'dir'), lang === 'ar' ? 'rtl' : 'ltr');
    assert.deepEqual(await axe(login.page), [], `login (${lang})`);
    await login.page.close();

    const { page, problems } = await signedIn(lang, { bypassCSP: true });
    // The comment's deliveries: one delivered, one failed (with its button).
    for (let i = 0; i < 50; i++) {
      await page.goto(`${server.url}admin/webhooks`);
      if (await page.$('.hook-failed') && await page.$('.hook-delivered')) break;
      await page.waitForTimeout(200);
    }
    assert.ok(await page.$('form.retry button'), 'a failed delivery with its retry button');
    if (lang === 'en') await page.screenshot({ path: screenshotPath('admin-webhooks-en.png'), fullPage: true });
    for (const path of ['admin/queue', 'admin/articles', `admin/articles/${ARTICLE}`, `admin/articles/${ARTICLE}?q=a`, 'admin/audit', 'admin/webhooks', 'admin/blocks', 'admin/rejected']) {
      await page.goto(`${server.url}${path}`);
      assert.equal(await page.getAttribute('html', 'lang'), lang, path);
      assert.deepEqual(await axe(page), [], `${path} (${lang})`);
    }
    // The language link switches direction and remembers it.
    await page.click('a.lang');
    const other = lang === 'ar' ? 'en' : 'ar';
    assert.equal(await page.getAttribute('html', 'lang'), other);
    assert.equal(await page.getAttribute('html', 'dir'), other === 'ar' ? 'rtl' : 'ltr');
    assert.deepEqual(problems, []);
    await page.close();
  }
});
