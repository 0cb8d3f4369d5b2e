// E-mail end to end through a real SMTP server on loopback (aiosmtpd, from
// Debian's packages): a moderator's approve link, followed in the browser,
// opens a page that changes nothing until its one button is pressed, then
// publishes the comment once; a reader's reply notifications go through
// the mailed confirmation (whose link is the server's own address, whatever
// Host the request carried), arrive for a published reply with RFC 8058
// headers, and stop with one POST to the header's URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { request } from 'node:http';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { screenshotPath, startServer, launchBrowser, openPage, axeViolations, freePort } from './helpers.mjs';

const ARTICLE = '2026-11-28-transit-plan';
// Debian's interpreter: the one python3-aiosmtpd is installed for.
const PYTHON = '/usr/bin/python3';

let browser;
let work;
before(async () => {
  browser = await launchBrowser();
  work = mkdtempSync(join(tmpdir(), 'khabar-mail-'));
});
after(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

/** aiosmtpd delivering into a Maildir under `work`; resolves once it answers. */
async function startSmtp() {
  const port = await freePort();
  const maildir = join(work, `Maildir-${port}`);
  const proc = spawn(PYTHON, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`,
    '-c', 'aiosmtpd.handlers.Mailbox', maildir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const up = await new Promise((resolve) => {
      const s = createServer();
      s.on('error', () => resolve(true)); // taken: the SMTP server listens
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(false)));
    });
    if (up) break;
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`aiosmtpd did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `smtp://127.0.0.1:${port}`, maildir, stop: () => proc.kill('SIGTERM') };
}

/** The messages delivered so far, decoded by Python's e-mail library. */
function received(maildir) {
  const dir = join(maildir, 'new');
  let files = [];
  try { files = readdirSync(dir).sort(); } catch { return []; }
  return files.map((f) => JSON.parse(execFileSync(PYTHON, ['-c', `
import email, email.policy, json, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
print(json.dumps({'to': str(m['to']), 'subject': str(m['subject']), 'text': m.get_body(('plain',)).get_content(),
  'unsubscribe': m['List-Unsubscribe'] and str(m['List-Unsubscribe']), 'unsubscribePost': m['List-Unsubscribe-Post'] and str(m['List-Unsubscribe-Post'])}))
`, join(dir, f)], { encoding: 'utf8' })));
}

async function waitForMail(maildir, count, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const mails = received(maildir);
    if (mails.length >= count) return mails;
    if (Date.now() > deadline) throw new Error(`expected ${count} message(s), got ${mails.length}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('a moderator approves a waiting comment from the link in the e-mail', async () => {
  const smtp = await startSmtp();
  const server = await startServer({ args: [
    '--smtp-url', smtp.url, '--mail-from', 'Khabar <khabar@news.test>',
    '--notify-moderators', 'desk@news.test', '--notify-lang', 'en',
  ] });
  try {
    const body = 'Will the new line stop near the university?';
    const res = await fetch(new URL(`/api/v1/articles/${ARTICLE}/comments`, server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ author: 'Huda', body, idempotency_key: 'moderator-mail-e2e-1' }),
    });
    assert.equal(res.status, 201);
    const { comment } = await res.json();

    const [mail] = await waitForMail(smtp.maildir, 1);
    assert.equal(mail.to, 'desk@news.test');
    assert.match(mail.subject, /^Comment waiting on «/);
    assert.match(mail.text, new RegExp(body.replace('?', '\\?')));
    const approve = mail.text.split('\n').find((l) => l.startsWith('Approve: '))?.slice('Approve: '.length);
    assert.ok(approve?.startsWith(server.url.replace(/\/$/, '')), mail.text);

    // bypassCSP for axe's sake only: the pages' policy allows no script.
    const context = await browser.newContext({ bypassCSP: true, locale: 'en-US' });
    const page = await context.newPage();
    const opened = await page.goto(approve);
    assert.equal(opened.status(), 200);
    await page.getByRole('heading', { name: 'Approve this comment?' }).waitFor();
    assert.match(await page.locator('article.comment').innerText(), /university/);
    assert.deepEqual(await axeViolations(page, { wholePage: true }), [], 'the link page');
    await page.screenshot({ path: screenshotPath('moderator-mail-link.png'), fullPage: true });
    // Opening the page changed nothing.
    const listed = async () => (await (await fetch(new URL(`/api/v1/articles/${ARTICLE}/comments`, server.url))).json())
      .items.some((c) => c.id === comment.id);
    assert.equal(await listed(), false);

    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('heading', { name: 'The comment is published.' }).waitFor();
    assert.equal(await listed(), true);

    // Used once: the link now only says so.
    await page.goto(approve);
    await page.getByText('already moderated').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Approve' }).count(), 0);
    await context.close();
  } finally {
    await server.stop();
    server.cleanup();
    smtp.stop();
  }
});

test('a reader confirms reply notifications from the mail, gets a published reply, and unsubscribes in one click', async () => {
  const smtp = await startSmtp();
  const server = await startServer({ args: ['--smtp-url', smtp.url, '--mail-from', 'Khabar <khabar@news.test>'] });
  // fetch() sends its own Host; node:http sends the one it is given.
  const post = (body, host) => new Promise((resolve, reject) => {
    const url = new URL(`/api/v1/articles/${ARTICLE}/comments`, server.url);
    const req = request(url, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(host ? { host } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => (res.statusCode === 201 ? resolve(JSON.parse(text)) : reject(new Error(`${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
  try {
    // Asked with a Host of someone else's choosing: the mailed link still
    // points at this server (serve, without --public-url: its own address).
    const asked = await post({ author: 'Layla', email: 'layla@example.org', body: 'Which stops will the night bus make?',
      idempotency_key: 'reply-notify-smtp-1', notify_replies: true, lang: 'en' }, 'evil.example');
    assert.equal(asked.reply_notifications, 'confirmation_sent');
    const [confirmation] = await waitForMail(smtp.maildir, 1);
    assert.equal(confirmation.to, 'layla@example.org');
    assert.equal(confirmation.unsubscribe, null, 'a confirmation is not a notice');
    const confirm = confirmation.text.match(/\S+\/replies\/confirm\?t=\S+/)[0];
    assert.equal(new URL(confirm).origin, new URL(server.url).origin, confirmation.text);

    const { page, problems } = await openPage(browser);
    await page.goto(confirm);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('heading', { name: /you will get an e-mail/ }).waitFor();
    assert.deepEqual(problems, []);

    server.cli('comments', 'approve', String(asked.comment.id));
    const reply = await post({ author: 'Transit desk', body: 'Every stop of the day line, every 30 minutes.',
      parent_id: asked.comment.id, idempotency_key: 'reply-notify-smtp-2' });
    server.cli('comments', 'approve', String(reply.comment.id));
    const mails = await waitForMail(smtp.maildir, 2);
    const notice = mails.find((m) => m.unsubscribe);
    assert.ok(notice, JSON.stringify(mails));
    assert.match(notice.text, /every 30 minutes/);
    // RFC 8058's one click is for https URLs: this server's is http, so the
    // header is not there (server/src/replies: the https case).
    assert.equal(notice.unsubscribePost, null);

    // RFC 8058: the mail client POSTs the one-click body to the header's URL
    // (the server takes it over http too, as some clients send it anyway).
    const url = notice.unsubscribe.replace(/^<|>$/g, '');
    const stop = await fetch(url, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click',
    });
    assert.equal(stop.status, 200);
    const later = await post({ author: 'Transit desk', body: 'And on Fridays until 2 a.m.',
      parent_id: asked.comment.id, idempotency_key: 'reply-notify-smtp-3' });
    server.cli('comments', 'approve', String(later.comment.id));
    await new Promise((r) => setTimeout(r, 7_000)); // more than one run of the job
    assert.equal(received(smtp.maildir).length, 2, 'nothing after unsubscribing');
  } finally {
    await server.stop();
    server.cleanup();
    smtp.stop();
  }
});
