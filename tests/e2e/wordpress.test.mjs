// A real WordPress (Debian's packages, set up from nothing by
// wordpress-site.mjs) as the source of khabar-server's sync: Arabic posts
// with featured images and a category are written through WordPress's
// own REST API, synced, and rendered by the widget; then an edit, a trash
// and a restore in WordPress each reach the widget after the next sync,
// also once a plugin lowers the posts a page the REST API gives; and a
// firewall that refuses requests by id fails no sync and hides nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import {
  env, launchBrowser, openPage, shadowText, startServer, widgetsSettled,
} from './helpers.mjs';
import { startWordpress, wordpressMissing } from './wordpress-site.mjs';

const skip = wordpressMissing();

let wp;
let server;
let browser;
before(async () => {
  if (skip) return;
  wp = await startWordpress({ title: 'أخبار المدينة' });
  console.log(`WordPress set up from nothing in ${wp.seconds.toFixed(1)} s at ${wp.url}`);
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
  await wp?.stop();
});

/** A small PNG of one colour, made here so that no binary fixture is needed. */
function png(width, height, [r, g, b]) {
  const image = new PNG({ width, height });
  for (let i = 0; i < image.data.length; i += 4) image.data.set([r, g, b, 255], i);
  return PNG.sync.write(image);
}

/** `call`'s answer, which must have `status`. */
async function expect(status, call) {
  const res = await call;
  assert.equal(res.status, status, JSON.stringify(res.json).slice(0, 500));
  return res.json;
}

/** Uploads an image through the media endpoint and sets its alt text and caption. */
async function media(file, colour, alt, caption) {
  const uploaded = await expect(201, wp.api('/wp/v2/media', {
    method: 'POST',
    body: png(64, 36, colour),
    headers: { 'content-type': 'image/png', 'content-disposition': `attachment; filename="${file}"` },
  }));
  await expect(200, wp.api(`/wp/v2/media/${uploaded.id}`, {
    method: 'POST', json: { alt_text: alt, caption },
  }));
  return uploaded;
}

const POSTS = [
  {
    title: 'افتتاح سوق المزارعين في الساحة القديمة',
    content: '<p>افتتح صباح اليوم سوق المزارعين الأسبوعي في الساحة القديمة بمشاركة أربعين مزارعاً من القرى المجاورة.</p>'
      + '<p>وقال المنظمون إن السوق سيفتح كل يوم جمعة حتى نهاية الموسم.</p>'
      + '<script>window.__wpScript = 1</script><img src="x" onerror="window.__wpScript = 2">',
    excerpt: 'أربعون مزارعاً يعرضون محاصيلهم كل جمعة.',
    image: ['market.png', [200, 140, 40], 'أكشاك الخضار تحت المظلات', 'السوق في ساعاته الأولى'],
  },
  {
    title: 'المكتبة العامة تمدد ساعات العمل في الامتحانات',
    content: '<p>قررت إدارة المكتبة العامة فتح قاعات المطالعة حتى منتصف الليل طوال فترة الامتحانات.</p>',
    excerpt: 'القاعات مفتوحة حتى منتصف الليل.',
    image: ['library.png', [40, 90, 160], 'طلاب في قاعة المطالعة', 'قاعة المطالعة الكبرى'],
  },
  {
    title: 'خط حافلات جديد يربط الجامعة بالميناء',
    content: '<p>بدأ اليوم تشغيل خط حافلات مباشر بين الجامعة والميناء كل ربع ساعة.</p>',
    excerpt: 'رحلة كل ربع ساعة.',
    image: ['bus.png', [30, 150, 90], 'حافلة خضراء عند المحطة', 'المحطة الأولى أمام بوابة الجامعة'],
  },
];

/** WordPress's post endpoint in its pretty form (the router rewrites as Apache would). */
const source = () => `${wp.url}/wp-json/wp/v2/posts`;
const articleId = (postId) => `127.0.0.1-${new URL(wp.url).port}-${postId}`;

/** Runs a one-shot sync into the running server's database and returns its report line. */
const sync = () => server.cli('sync', source()).trim();

/** The stored article (after the read cache lets go of its old copy), or the status. */
async function stored(id, want) {
  let res;
  for (let i = 0; i < 60; i++) {
    res = await fetch(`${server.url}api/v1/articles/${encodeURIComponent(id)}`);
    const body = res.ok ? await res.json() : null;
    if (want(res.status, body)) return body ?? res.status;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`article ${id} answered ${res.status}, not what the test waits for`);
}

/** Opens the demo gallery page with `id` as its article; returns the page. */
async function showArticle(id) {
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}gallery/?lang=ar&article=${encodeURIComponent(id)}`);
  await widgetsSettled(page);
  return { page, problems };
}

/** Titles in the page's "latest" list. */
const latestTitles = (page) => page.evaluate(() => Array.from(
  document.querySelector('[data-khabar="latest"]').shadowRoot.querySelectorAll('.card-title'),
).map((t) => t.textContent));

const posts = [];

test('Arabic posts with featured images, written in a real WordPress, sync and render in the widget', { skip }, async () => {
  await expect(200, wp.api('/wp/v2/users/me', { method: 'POST', json: { name: 'سلمى الحداد' } }));
  // The sample post of a new site goes, so the site holds exactly ours.
  await expect(200, wp.api('/wp/v2/posts/1', { method: 'DELETE', query: { force: 'true' } }));
  const category = await expect(201, wp.api('/wp/v2/categories', { method: 'POST', json: { name: 'مدينة' } }));
  for (const [i, post] of POSTS.entries()) {
    const [file, colour, alt, caption] = post.image;
    const image = await media(file, colour, alt, caption);
    // Published a day ago (an hour apart, in order), so that an edit later
    // in the run is later by a day, not by however long the run took:
    // WordPress keeps whole seconds, and the same second is no update.
    const dateGmt = new Date(Date.now() - (24 + i) * 3600_000).toISOString().slice(0, 19);
    const created = await expect(201, wp.api('/wp/v2/posts', {
      method: 'POST',
      json: {
        title: post.title, content: post.content, excerpt: post.excerpt, status: 'publish',
        categories: [category.id], featured_media: image.id, date_gmt: dateGmt,
      },
    }));
    assert.equal(created.date_gmt, dateGmt);
    posts.push({ ...post, id: created.id, link: created.link, date: created.date_gmt, imageUrl: image.source_url });
  }

  assert.match(sync(), /: 3 new or updated, 0 hidden, 0 skipped$/);
  // WordPress's plain form of the same route (sites without pretty
  // permalinks) gives the same articles.
  const plain = execFileSync(env('KHABAR_SERVER_BIN'), ['--db', join(server.dir, 'plain.sqlite3'),
    'sync', `${wp.url}/?rest_route=/wp/v2/posts`], { encoding: 'utf8' });
  assert.match(plain.trim(), /: 3 new or updated, 0 hidden, 0 skipped$/);

  const first = posts[0];
  const article = await stored(articleId(first.id), (s) => s === 200);
  assert.equal(article.title, first.title);
  assert.equal(article.url, first.link);
  assert.equal(article.summary, 'أربعون مزارعاً يعرضون محاصيلهم كل جمعة.');
  assert.equal(article.published_at, `${first.date}Z`);
  assert.equal(article.section, 'مدينة', 'the category slug, percent-decoded');
  assert.equal(article.author, 'سلمى الحداد');
  assert.equal(article.lang, 'ar');
  assert.deepEqual(article.image, {
    url: first.imageUrl, alt: 'أكشاك الخضار تحت المظلات', caption: 'السوق في ساعاته الأولى',
  });
  assert.match(article.body_html, /سوق المزارعين الأسبوعي/);
  assert.doesNotMatch(article.body_html, /<script|onerror|__wpScript/);

  const { page, problems } = await showArticle(articleId(first.id));
  const host = '[data-khabar="article"]';
  assert.equal(await shadowText(page, host, '.headline'), first.title);
  assert.match(await shadowText(page, host, '.article-body'), /حتى نهاية الموسم/);
  assert.equal(await shadowText(page, host, 'figure.lead figcaption'), 'السوق في ساعاته الأولى');
  const img = await page.locator(`${host} >> figure.lead img`);
  assert.equal(await img.getAttribute('alt'), 'أكشاك الخضار تحت المظلات');
  assert.equal(await img.getAttribute('src'), first.imageUrl);
  // The uploaded file itself, served by the WordPress site.
  await page.waitForFunction((h) => {
    const i = document.querySelector(h).shadowRoot.querySelector('figure.lead img');
    return i.complete && i.naturalWidth === 64;
  }, host);
  assert.match(await shadowText(page, host, '.byline'), /سلمى الحداد/);
  const titles = await latestTitles(page);
  for (const post of POSTS) assert.ok(titles.includes(post.title), `${post.title} in ${titles}`);
  assert.equal(await page.evaluate(() => window.__wpScript), undefined, 'the post\'s script never ran');
  assert.deepEqual(problems, []);
  await page.close();
});

test('an edit, a trash and a restore in WordPress reach the widget with the next sync', { skip }, async () => {
  assert.equal(posts.length, 3, 'the first test created the posts');
  const [edited, trashed] = posts;
  const newTitle = 'سوق المزارعين يفتح يومين في الأسبوع';
  await expect(200, wp.api(`/wp/v2/posts/${edited.id}`, {
    method: 'POST',
    json: { title: newTitle, content: '<p>بعد الإقبال الكبير، يفتح السوق أيام الثلاثاء أيضاً.</p>' },
  }));
  const inTrash = await expect(200, wp.api(`/wp/v2/posts/${trashed.id}`, { method: 'DELETE' }));
  assert.equal(inTrash.status, 'trash');

  assert.match(sync(), /: 1 new or updated, 1 hidden, 0 skipped$/);
  const now = await stored(articleId(edited.id), (s, a) => a?.title === newTitle);
  assert.match(now.body_html, /أيام الثلاثاء أيضاً/);
  assert.ok(now.updated_at > now.published_at, `updated ${now.updated_at}, published ${now.published_at}`);
  assert.equal(await stored(articleId(trashed.id), (s) => s === 404), 404);

  const { page, problems } = await showArticle(articleId(edited.id));
  const host = '[data-khabar="article"]';
  assert.equal(await shadowText(page, host, '.headline'), newTitle);
  assert.match(await shadowText(page, host, '.article-body'), /أيام الثلاثاء أيضاً/);
  const titles = await latestTitles(page);
  assert.ok(titles.includes(newTitle), titles.join(' | '));
  assert.ok(!titles.includes(trashed.title), 'the trashed post left the list');
  assert.ok(titles.includes(posts[2].title), 'the untouched post stays');
  assert.deepEqual(problems, []);

  // Out of the trash again: the next sync shows it again.
  await expect(200, wp.api(`/wp/v2/posts/${trashed.id}`, { method: 'POST', json: { status: 'publish' } }));
  assert.match(sync(), /: 1 new or updated, 0 hidden, 0 skipped$/);
  const back = await stored(articleId(trashed.id), (s) => s === 200);
  assert.equal(back.title, trashed.title);
  await page.reload();
  await widgetsSettled(page);
  assert.ok((await latestTitles(page)).includes(trashed.title), 'back in the list');
  assert.doesNotMatch(wp.errors(), /PHP (Fatal|Parse) error/);
  await page.close();
});

test('a site whose plugin lowers the posts per page the REST API gives is still synced', { skip }, async () => {
  assert.equal(posts.length, 3, 'the first test created the posts');
  // WordPress then refuses per_page=100 with 400 rest_invalid_param.
  mkdirSync(join(wp.contentDir, 'mu-plugins'), { recursive: true });
  const lower = join(wp.contentDir, 'mu-plugins', 'khabar-test-per-page.php');
  writeFileSync(lower, `<?php
add_filter( 'rest_post_collection_params', function ( $params ) {
\t$params['per_page']['maximum'] = 2;
\treturn $params;
} );
`);
  try {
    const refused = await wp.api('/wp/v2/posts', { query: { per_page: '100' } });
    assert.equal(refused.status, 400, 'the plugin is in force');
    const [, , last] = posts;
    const newTitle = 'الحافلات الجديدة تعمل حتى منتصف الليل';
    await expect(200, wp.api(`/wp/v2/posts/${last.id}`, { method: 'POST', json: { title: newTitle } }));
    const [trashed] = posts;
    await expect(200, wp.api(`/wp/v2/posts/${trashed.id}`, { method: 'DELETE' }));
    // The changes, the listing of ids and the trashed post asked for by
    // id, each in pages of two.
    const run = server.cliLogged('sync', source());
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout.trim(), /: 1 new or updated, 1 hidden, 0 skipped$/);
    // The most was read from WordPress's refusal, not stepped down to.
    assert.match(run.stderr, /takes at most 2 posts a page/);
    assert.equal((await stored(articleId(last.id), (s, a) => a?.title === newTitle)).title, newTitle);
    assert.equal(await stored(articleId(trashed.id), (s) => s === 404), 404);
    assert.equal((await stored(articleId(posts[1].id), (s) => s === 200)).title, posts[1].title);
  } finally {
    unlinkSync(lower);
  }
  assert.doesNotMatch(wp.errors(), /PHP (Fatal|Parse) error/);
});

test('a firewall that refuses requests by id fails no sync and hides nothing until it lets them through', { skip }, async () => {
  assert.equal(posts.length, 3, 'the first test created the posts');
  mkdirSync(join(wp.contentDir, 'mu-plugins'), { recursive: true });
  const firewall = join(wp.contentDir, 'mu-plugins', 'khabar-test-firewall.php');
  writeFileSync(firewall, `<?php
add_filter( 'rest_pre_dispatch', function ( $result, $server, $request ) {
\treturn null === $request->get_param( 'include' ) ? $result
\t\t: new WP_Error( 'khabar_test_firewall', 'refused by the test', array( 'status' => 403 ) );
}, 10, 3 );
`);
  const [, trashed] = posts;
  try {
    assert.equal((await wp.api('/wp/v2/posts', { query: { include: String(trashed.id) } })).status, 403);
    await expect(200, wp.api(`/wp/v2/posts/${trashed.id}`, { method: 'DELETE' }));
    // Missing from the listing, and not confirmed gone by id: it stays.
    const run = server.cliLogged('sync', source());
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout.trim(), /: 0 new or updated, 0 hidden, 0 skipped$/);
    assert.match(run.stderr, /refuses posts by id/);
    assert.equal((await stored(articleId(trashed.id), (s) => s === 200)).title, trashed.title);
  } finally {
    unlinkSync(firewall);
  }
  // Let through, the next sync confirms it gone and hides it.
  assert.match(sync(), /: 0 new or updated, 1 hidden, 0 skipped$/);
  assert.equal(await stored(articleId(trashed.id), (s) => s === 404), 404);
});
