// Comments brought from another system reach readers: a Disqus export
// imported with `khabar-server comments import` shows in the widget with its
// authors, times and reply, the spam and the deleted one left out, the
// script in a message inert; a second run imports nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launchBrowser, openPage, widgetsSettled } from './helpers.mjs';

const ARTICLE = '2026-11-27-farmers-market';
const W = '[data-khabar="article"]';
let browser;
let work;
before(async () => {
  browser = await launchBrowser();
  work = mkdtempSync(join(tmpdir(), 'khabar-import-'));
});
after(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

/** An original Disqus-shaped export with one thread on the demo article. */
const disqus = (origin) => `<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
  <thread dsq:id="7"><link>${origin}/?article=${ARTICLE}</link><title>السوق</title></thread>
  <post dsq:id="71">
    <message><![CDATA[<p>سوق المزارعين أفضل ما حدث للحي هذا العام.</p>]]></message>
    <createdAt>2025-06-01T09:00:00Z</createdAt><isDeleted>false</isDeleted><isSpam>false</isSpam>
    <author><name>نادية</name><email>nadia@example.test</email></author>
    <thread dsq:id="7"/>
  </post>
  <post dsq:id="72">
    <message><![CDATA[<p>I agree, the honey stall is great.<img src=x onerror="window.__pwned=1"></p>]]></message>
    <createdAt>2025-06-01T10:30:00Z</createdAt><isDeleted>false</isDeleted><isSpam>false</isSpam>
    <author><name>Karim</name></author>
    <thread dsq:id="7"/><parent dsq:id="71"/>
  </post>
  <post dsq:id="73">
    <message><![CDATA[<p>Buy cheap watches now</p>]]></message>
    <createdAt>2025-06-02T10:00:00Z</createdAt><isDeleted>false</isDeleted><isSpam>true</isSpam>
    <author><name>spam</name></author><thread dsq:id="7"/>
  </post>
  <post dsq:id="74">
    <message><![CDATA[<p>removed by its author</p>]]></message>
    <createdAt>2025-06-03T10:00:00Z</createdAt><isDeleted>true</isDeleted><isSpam>false</isSpam>
    <author><name>Gone</name></author><thread dsq:id="7"/>
  </post>
</disqus>`;

test('a Disqus export imported by the CLI shows in the widget, once', async () => {
  const server = await startServer();
  try {
    const origin = new URL(server.url).origin;
    const file = join(work, 'disqus.xml');
    writeFileSync(file, disqus(origin));
    const first = server.cli('comments', 'import', '--from', 'disqus', file);
    assert.match(first, /imported: 2 published, 0 pending/);
    assert.match(first, /1 deleted, 1 spam/);
    assert.match(server.cli('comments', 'import', '--from', 'disqus', file), /already there: 2/);

    const { page, problems } = await openPage(browser);
    await page.goto(`${server.url}?article=${ARTICLE}`);
    await widgetsSettled(page);
    const top = page.locator(`${W} >> li.comment`).filter({ hasText: 'نادية' }).first();
    await top.waitFor();
    assert.match(await top.innerText(), /سوق المزارعين أفضل ما حدث/);
    const reply = top.locator('li.comment').filter({ hasText: 'Karim' });
    assert.equal(await reply.count(), 1, 'the reply sits under its parent');
    assert.match(await reply.innerText(), /honey stall/);
    const text = (await page.locator(`${W} >> li.comment`).allInnerTexts()).join('\n');
    assert.match(text, /نادية/);
    assert.doesNotMatch(text, /cheap watches|removed by its author/);
    assert.equal(await page.evaluate(() => window.__pwned ?? null), null);
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
    server.cleanup();
  }
});
