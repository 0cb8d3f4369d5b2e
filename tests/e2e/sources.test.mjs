// Articles from where a newsroom already keeps them, shown by the widget:
// an RSS feed and a JSON Feed pulled by `serve --source` (each with its own
// language), hostile markup in them cleaned before any reader sees it, and
// a custom CMS pushing through the publishing API. (WordPress has its own
// files: wordpress.test.mjs and wordpress-plugin.test.mjs.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launchBrowser, openPage, widgetsSettled, serveStatic, screenshotPath } from './helpers.mjs';

const W = '[data-khabar="article"]';
let browser;
let work;
before(async () => {
  browser = await launchBrowser();
  work = mkdtempSync(join(tmpdir(), 'khabar-sources-'));
});
after(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

const RSS = `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>صحيفة الواحة</title><link>https://oasis.example/</link><description>أخبار الواحة</description>
  <item>
    <title>افتتاح مكتبة عامة جديدة &lt;b&gt;في الحي الغربي&lt;/b&gt;</title>
    <link>https://oasis.example/2026/11/30/library</link>
    <guid>oasis-library-2026</guid>
    <pubDate>Mon, 30 Nov 2026 07:00:00 +0300</pubDate>
    <description>مكتبة تفتح أبوابها للقراء طوال الأسبوع.</description>
    <content:encoded><![CDATA[<p>تضم المكتبة الجديدة قاعة للأطفال وركنًا للصحف القديمة.</p>
<script>window.__pwned = 'script';</script>
<p><img src="data:," onerror="window.__pwned = 'onerror'" alt="">يفتح الركن كل صباح.</p>
<p><a href="javascript:window.__pwned='link'">رابط</a></p>]]></content:encoded>
  </item>
</channel>
</rss>`;

const JSON_FEED = {
  version: 'https://jsonfeed.org/version/1.1',
  title: 'Oasis Daily, English edition',
  home_page_url: 'https://oasis.example/en/',
  items: [{
    id: 'oasis-en-bridge-2026',
    url: 'https://oasis.example/en/2026/11/30/bridge',
    title: 'Footbridge over the canal reopens after repairs',
    content_html: '<p>The footbridge is open to walkers and cyclists again.</p><iframe src="https://evil.example/"></iframe>',
    date_published: '2026-11-30T06:30:00Z',
  }],
};

/** The stored article whose URL is `url`, once a sync brought it (or null). */
async function articleAt(server, url, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const list = await (await fetch(new URL('/api/v1/articles?limit=50', server.url))).json();
    const found = list.items.find((a) => a.url === url);
    if (found) return (await fetch(new URL(`/api/v1/articles/${encodeURIComponent(found.id)}`, server.url))).json();
    await new Promise((r) => setTimeout(r, 250));
  }
  return null;
}

test('an RSS feed and a JSON Feed pulled by serve --source render in the widget, cleaned', async () => {
  writeFileSync(join(work, 'rss.xml'), RSS);
  writeFileSync(join(work, 'feed.json'), JSON.stringify(JSON_FEED));
  const origin = await serveStatic(work);
  const rss = `${origin.url}/rss.xml`;
  const json = `${origin.url}/feed.json`;
  const server = await startServer({ args: [
    '--source', rss, '--source', json, '--sync-every', '1s',
    '--source-lang', 'ar', '--source-lang', `${json}=en`,
  ] });
  try {
    const library = await articleAt(server, 'https://oasis.example/2026/11/30/library');
    const bridge = await articleAt(server, 'https://oasis.example/en/2026/11/30/bridge');
    assert.ok(library, `the RSS item was not synced:\n${server.log()}`);
    assert.ok(bridge, `the JSON Feed item was not synced:\n${server.log()}`);
    assert.equal(library.lang, 'ar');
    assert.equal(bridge.lang, 'en', 'the language given to this source alone');
    assert.equal(library.published_at.slice(0, 16), '2026-11-30T04:00', 'the feed\'s offset, kept as UTC');
    assert.doesNotMatch(library.title, /</, 'markup in a title is text, never tags');
    for (const bad of ['<script', 'onerror', 'javascript:', '<iframe']) {
      assert.ok(!library.body_html.includes(bad) && !bridge.body_html.includes(bad), bad);
    }

    const { page, problems } = await openPage(browser);
    await page.goto(`${server.url}?article=${encodeURIComponent(library.id)}`);
    await widgetsSettled(page);
    const headline = page.locator(`${W} >> h1.headline`);
    assert.match(await headline.textContent(), /افتتاح مكتبة عامة جديدة/);
    const body = page.locator(`${W} >> .article-body`);
    assert.match(await body.innerText(), /قاعة للأطفال/);
    assert.equal(await page.locator(`${W} >> script, ${W} >> [onerror]`).count(), 0);
    assert.equal(await page.locator(`${W} >> a[href^="javascript"]`).count(), 0);
    assert.equal(await page.evaluate(() => window.__pwned ?? null), null, 'nothing from the feed ran');

    await page.goto(`${server.url}?article=${encodeURIComponent(bridge.id)}`);
    await widgetsSettled(page);
    assert.equal(await headline.textContent(), 'Footbridge over the canal reopens after repairs');
    assert.equal(await page.locator(`${W} >> iframe`).count(), 0);
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
    server.cleanup();
    await origin.close();
  }
});

test('a custom CMS pushes, replaces and deletes an article through the publishing API', async () => {
  const token = 'cms-token-for-the-e2e-suite-0123456789';
  const server = await startServer({ args: ['--publish-token', token] });
  const id = '2026-11-30-desalination';
  const put = (article, auth = token) => fetch(new URL(`/api/v1/admin/articles/${id}`, server.url), {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${auth}` },
    body: JSON.stringify(article),
  });
  const article = {
    url: 'https://cms.example/news/desalination',
    title: 'محطة تحلية جديدة تدخل الخدمة',
    published_at: '2026-11-30T08:00:00+03:00',
    lang: 'ar',
    body_html: '<p>بدأت المحطة ضخ المياه إلى ثلاثة أحياء.</p><script>window.__pwned = 1</script>',
    section: 'local',
  };
  try {
    assert.equal((await put(article, 'not-the-token')).status, 401);
    assert.equal((await put(article)).status, 201);
    const { page, problems } = await openPage(browser);
    await page.goto(`${server.url}?article=${id}`);
    await widgetsSettled(page);
    const headline = page.locator(`${W} >> h1.headline`);
    assert.equal(await headline.textContent(), article.title);
    assert.equal(await page.evaluate(() => window.__pwned ?? null), null);

    // The CMS edits the story: the same id, replaced.
    const edited = { ...article, title: 'محطة التحلية الجديدة تضخ المياه إلى ثلاثة أحياء' };
    assert.equal((await put(edited)).status, 200);
    await page.reload();
    await widgetsSettled(page);
    assert.equal(await headline.textContent(), edited.title);

    // Deleted in the CMS: hidden here, everywhere readers look.
    const del = await fetch(new URL(`/api/v1/admin/articles/${id}`, server.url), {
      method: 'DELETE', headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(del.status, 204);
    assert.equal((await fetch(new URL(`/api/v1/articles/${id}`, server.url))).status, 404);
    const list = await (await fetch(new URL('/api/v1/articles?limit=50', server.url))).json();
    assert.equal(list.items.some((a) => a.id === id), false);
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
    server.cleanup();
  }
});

test("a CMS's paragraphs in divs and a table of results show apart, the table's cells in rows", async () => {
  const token = 'cms-token-for-the-e2e-suite-0123456789';
  const server = await startServer({ args: ['--publish-token', token] });
  const id = '2026-12-05-results';
  try {
    const put = await fetch(new URL(`/api/v1/admin/articles/${id}`, server.url), {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        url: 'https://cms.example/news/results',
        title: 'نتائج الانتخابات البلدية',
        published_at: '2026-12-05T08:00:00+03:00',
        lang: 'ar',
        body_html: '<div>أُعلنت النتائج صباح اليوم.</div><div>وجاءت كما يلي:</div>'
          + '<figure class="wp-block-table"><table><caption>المقاعد</caption><thead><tr><th>القائمة</th><th>المقاعد</th></tr></thead>'
          + '<tbody><tr><td>الأولى</td><td>12</td></tr><tr><td onclick="window.__pwned=1">الثانية</td><td>7</td></tr></tbody></table></figure>',
      }),
    });
    assert.equal(put.status, 201);
    const { page, problems } = await openPage(browser, { viewport: { width: 420, height: 900 } });
    await page.goto(`${server.url}?article=${id}`);
    await widgetsSettled(page);
    const body = page.locator(`${W} >> .article-body`);
    assert.deepEqual(await body.locator('div').allTextContents(), ['أُعلنت النتائج صباح اليوم.', 'وجاءت كما يلي:']);
    assert.deepEqual(await body.locator('tr').allTextContents(), ['القائمةالمقاعد', 'الأولى12', 'الثانية7']);
    assert.deepEqual(await body.locator('td').allTextContents(), ['الأولى', '12', 'الثانية', '7']);
    assert.equal(await body.locator('[onclick]').count(), 0);
    // Each cell its own box, side by side in a row.
    const [a, b] = await body.locator('tbody tr').first().locator('td').evaluateAll((cells) => cells.map((c) => c.getBoundingClientRect().top));
    assert.equal(a, b, 'cells of a row on one line');
    await page.locator(W).screenshot({ path: screenshotPath('article-table.png') });
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
    server.cleanup();
  }
});
