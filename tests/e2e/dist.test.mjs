// The published artefacts in other people's pages: the CDN bundle on a page
// of another origin (with SRI), a page that only uses <khabar-widget>, a
// tampered wasm refused by the loader for its hash (and, as a control, a
// missing wasm refused for its 404), a fresh Vite app that installs the
// npm tarball, type-checks against its declarations, builds and renders,
// and the npm packages resolved by webpack 5's resolver as older Next.js
// releases ship it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import resolver from 'enhanced-resolve';
import { env, launchBrowser, openPage, serveStatic, startServer, widgetsSettled } from './helpers.mjs';

const DIST = resolve(env('KHABAR_DIST'));
const manifest = JSON.parse(readFileSync(join(DIST, 'cdn/manifest.json'), 'utf8'));
const JS = manifest.files['khabar.js'];
const WASM = manifest.files['khabar_bg.wasm'];
const COMMENTS = manifest.files['khabar_comments_bg.wasm'];
const GLUE = manifest.files['khabar_comments.js'];
const CORE_GLUE = manifest.files['khabar_core.js'];
const CATALOG = manifest.files['khabar-ar.json'];
const ARTICLE = '2026-11-27-farmers-market';

let browser;
let server; // khabar-server: the API and, with --widget-dir dist/cdn, the CDN origin
let site; // the news site's own origin: plain static files
let siteDir;
let title;
before(async () => {
  browser = await launchBrowser();
  server = await startServer({ widgetDir: join(DIST, 'cdn') });
  siteDir = mkdtempSync(join(tmpdir(), 'khabar-site-'));
  // "localhost" against khabar-server's 127.0.0.1: another origin.
  site = await serveStatic(siteDir, { host: 'localhost' });
  title = (await (await fetch(`${server.url}api/v1/articles/${ARTICLE}`)).json()).title;
});
after(async () => {
  await site?.close();
  await server?.stop();
  server?.cleanup();
  await browser?.close();
  if (siteDir) rmSync(siteDir, { recursive: true, force: true });
});

const api = () => `${server.url}api/v1`;
const scriptTag = (extra = '') =>
  `<script type="module" src="${server.url}khabar/${JS.file}" integrity="${JS.integrity}" crossorigin="anonymous" data-api="${api()}"${extra}></script>`;

/** Writes a page into the site's directory and returns its URL. */
function sitePage(name, body) {
  writeFileSync(join(siteDir, name), `<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${name}</title></head><body>${body}</body></html>`);
  return `${site.url}/${name}`;
}

/** Collects the khabar events of the page into window.__events. */
const recordEvents = (page) => page.addInitScript(() => {
  window.__events = [];
  for (const type of ['khabar:ready', 'khabar:error']) {
    document.addEventListener(type, (e) => window.__events.push({ type, detail: e.detail }));
  }
});

test('the CDN bundle with SRI works on a page of another origin, with immutable caching', async () => {
  assert.match(JS.file, /^khabar\.[0-9a-f]{10}\.js$/);
  assert.match(WASM.file, /^khabar_bg\.[0-9a-f]{10}\.wasm$/);
  assert.match(COMMENTS.file, /^khabar_comments_bg\.[0-9a-f]{10}\.wasm$/);
  assert.match(GLUE.file, /^khabar_comments\.[0-9a-f]{10}\.js$/);
  assert.match(CORE_GLUE.file, /^khabar_core\.[0-9a-f]{10}\.js$/);
  assert.deepEqual(manifest.first_load, ['khabar.js', 'khabar_core.js', 'khabar_bg.wasm', 'khabar-ar.json']);
  assert.match(JS.integrity, /^sha384-[A-Za-z0-9+/]{64}$/);
  const url = sitePage('cdn.html', `
    <div data-khabar="article" data-khabar-article-id="${ARTICLE}"></div>
    <div data-khabar="latest" data-khabar-limit="3"></div>
    ${scriptTag()}`);
  const { page, problems } = await openPage(browser);
  await recordEvents(page);
  const responses = [];
  page.on('response', (r) => responses.push(r));
  await page.goto(url);
  await widgetsSettled(page);
  assert.equal(await page.locator('[data-khabar="article"] >> h1.headline').textContent(), title);
  assert.ok(await page.locator('[data-khabar="latest"] >> .card').count() >= 1);
  assert.equal(new URL(page.url()).origin === new URL(server.url).origin, false);

  const wasm = responses.find((r) => r.url().endsWith(WASM.file));
  assert.ok(wasm, 'the wasm was loaded by its hashed name');
  // Its glue too, a file of its own beside the loader (checked against its hash).
  assert.ok(responses.some((r) => r.url().endsWith(CORE_GLUE.file) && r.ok()), 'the core glue was loaded by its hashed name');
  const headers = await wasm.allHeaders();
  assert.equal(headers['content-type'], 'application/wasm');
  assert.equal(headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(headers['access-control-allow-origin'], '*');
  // Chromium takes brotli: the file compressed once by dist, not per request.
  assert.equal(headers['content-encoding'], 'br');
  assert.match(headers.vary ?? '', /accept-encoding/i);

  // The page is Arabic: the Arabic catalog, by its hashed name, and no other.
  const catalogs = responses.map((r) => r.url()).filter((u) => u.endsWith('.json') && u.includes('/khabar/'));
  assert.deepEqual(catalogs.map((u) => u.split('/').pop()), [manifest.files['khabar-ar.json'].file]);
  assert.match(manifest.files['khabar-ar.json'].file, /^khabar-ar\.[0-9a-f]{10}\.json$/);

  const events = await page.evaluate(() => window.__events);
  const ready = events.filter((e) => e.type === 'khabar:ready');
  assert.equal(ready.length, 2);
  assert.ok(ready.every((e) => e.detail.version === manifest.version), JSON.stringify(events));
  assert.deepEqual(problems, []);
  await page.close();
});

test('a page whose CSP allows scripts by nonce alone: the glue the loader preloads carries the loader\'s nonce, and no violation is recorded', async () => {
  const nonce = 'k4b4rN0nce';
  const origin = new URL(server.url).origin;
  const policy = `default-src 'none'; script-src 'nonce-${nonce}' 'wasm-unsafe-eval'; style-src 'self'; connect-src ${origin}; img-src ${origin} data:`;
  const strict = await serveStatic(siteDir, { host: 'localhost', headers: { 'content-security-policy': policy } });
  try {
    // A page fragment cached with an older nonce (its JSON-LD, which is
    // data and never runs) comes before the loader: its nonce is stale.
    sitePage('nonce.html', `
      <script type="application/ld+json" nonce="stale0ld">{"@context":"https://schema.org","@type":"NewsArticle"}</script>
      <div data-khabar="article" data-khabar-article-id="${ARTICLE}"></div>
      <div data-khabar="comments" data-khabar-article-id="${ARTICLE}"></div>
      ${scriptTag(` nonce="${nonce}"`)}`);
    const { page, problems } = await openPage(browser);
    await page.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`), true);
    });
    await page.goto(`${strict.url}/nonce.html`);
    await widgetsSettled(page);
    assert.equal(await page.locator('[data-khabar="article"] >> h1.headline').textContent(), title);
    await page.locator('[data-khabar="comments"] >> form.comment-form').waitFor();
    assert.deepEqual(await page.evaluate(() => window.__violations), []);
    assert.deepEqual(problems, []);
    // Control: a script without the nonce is refused under this policy.
    await page.evaluate((src) => {
      const s = document.createElement('script');
      s.src = src;
      document.head.append(s);
    }, `${server.url}khabar/${CORE_GLUE.file}?control`);
    await page.waitForFunction(() => window.__violations.length === 1);
    assert.match((await page.evaluate(() => window.__violations))[0], /^script-src/);
    await page.close();
  } finally {
    await strict.close();
  }
});

test('a script tag whose src redirects (a CDN alias for the latest version) keeps its data-api', async () => {
  // The API by another name of the same server, so that the test tells it
  // from the loader's own origin (the default without data-api).
  const elsewhere = api().replace('127.0.0.1', 'localhost');
  const url = sitePage('alias.html', `
    <div data-khabar="article" data-khabar-article-id="${ARTICLE}"></div>
    <script type="module" src="/alias/khabar.js" crossorigin="anonymous" data-api="${elsewhere}"></script>`);
  const { page, problems } = await openPage(browser);
  await page.route('**/alias/khabar.js', (route) => route.fulfill({ status: 302, headers: { location: `${server.url}khabar/${JS.file}` } }));
  const asked = [];
  page.on('request', (r) => { if (r.url().includes('/api/v1/')) asked.push(new URL(r.url()).origin); });
  await page.goto(url);
  await widgetsSettled(page);
  assert.equal(await page.locator('[data-khabar="article"] >> h1.headline').textContent(), title);
  assert.ok(asked.length > 0);
  assert.deepEqual([...new Set(asked)], [new URL(elsewhere).origin], 'every request to the data-api');
  assert.deepEqual(problems, []);
  await page.close();
});

test('the loader under the name that never changes (/khabar/khabar.js, the WordPress plugin\'s) is the bundle, checked on each visit, and loads hashed files only', async () => {
  const res = await fetch(`${server.url}khabar/khabar.js`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  assert.ok(Buffer.from(await res.arrayBuffer()).equals(readFileSync(join(DIST, 'cdn', JS.file))), 'the bundled loader');
  const url = sitePage('stable-name.html', `
    <div data-khabar="article" data-khabar-article-id="${ARTICLE}"></div>
    <script type="module" src="${server.url}khabar/khabar.js" data-api="${api()}"></script>`);
  const { page, problems } = await openPage(browser);
  const fetched = [];
  page.on('response', (r) => { if (new URL(r.url()).pathname.startsWith('/khabar/')) fetched.push(new URL(r.url()).pathname.split('/').pop()); });
  await page.goto(url);
  await widgetsSettled(page);
  assert.equal(await page.locator('[data-khabar="article"] >> h1.headline').textContent(), title);
  // Nothing of the development build: the loader, then hashed files.
  const hashed = new Set(Object.values(manifest.files).map((f) => f.file));
  assert.ok(fetched.every((n) => n === 'khabar.js' || hashed.has(n)), fetched.join(' '));
  assert.equal(fetched.filter((n) => n === 'khabar.js').length, 1);
  assert.ok(fetched.includes(WASM.file) && fetched.includes(CORE_GLUE.file), fetched.join(' '));
  assert.deepEqual(problems, []);
  await page.close();
});

test("a page of comment sections alone fetches the comments page's files only: no core module, no core glue", async () => {
  // The loader carries no module's glue: the core's is a file of its own.
  assert.ok(!readFileSync(join(DIST, 'cdn', JS.file), 'utf8').includes('__wbindgen'), 'no wasm-bindgen glue in the loader');
  assert.ok(readFileSync(join(DIST, 'cdn', CORE_GLUE.file), 'utf8').includes('__wbindgen'));
  const url = sitePage('comments-alone.html', `
    <div data-khabar="comments" data-khabar-article-id="${ARTICLE}"></div>
    ${scriptTag()}`);
  const { page, problems } = await openPage(browser);
  const fetched = [];
  page.on('response', (r) => { if (new URL(r.url()).pathname.startsWith('/khabar/')) fetched.push(new URL(r.url()).pathname.split('/').pop()); });
  await page.goto(url);
  await page.locator('[data-khabar="comments"] >> form.comment-form').waitFor();
  assert.deepEqual(fetched.sort(), manifest.comments_page.map((name) => manifest.files[name].file).sort());
  assert.deepEqual(problems, []);
  await page.close();
});

/** GET `url` with `Accept-Encoding: encoding`: status, headers and the body as sent (not decoded). */
function getRaw(url, encoding) {
  return new Promise((done, fail) => {
    http.get(url, { headers: { 'accept-encoding': encoding } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', fail);
    }).on('error', fail);
  });
}

test('every CDN file is published with its brotli and gzip forms, which the server sends as they are', async () => {
  for (const [name, entry] of Object.entries(manifest.files)) {
    const file = readFileSync(join(DIST, 'cdn', entry.file));
    const br = readFileSync(join(DIST, 'cdn', `${entry.file}.br`));
    const gz = readFileSync(join(DIST, 'cdn', `${entry.file}.gz`));
    assert.ok(brotliDecompressSync(br).equals(file), `${entry.file}.br is ${name}`);
    assert.ok(gunzipSync(gz).equals(file), `${entry.file}.gz is ${name}`);
    assert.equal(br.length, entry.brotli, name);
    assert.equal(gz.length, entry.gzip, name);
    const url = `${server.url}khabar/${entry.file}`;
    for (const [encoding, sent, expected] of [['br', 'br', br], ['gzip', 'gzip', gz], ['gzip, deflate, br', 'br', br], ['identity', undefined, file]]) {
      const res = await getRaw(url, encoding);
      assert.equal(res.status, 200, `${entry.file} (${encoding})`);
      assert.equal(res.headers['content-encoding'], sent, `${entry.file} (${encoding})`);
      assert.ok(res.body.equals(expected), `${entry.file} (${encoding}): the published bytes, not compressed again`);
      assert.match(res.headers.vary ?? '', /accept-encoding/i, `${entry.file} (${encoding})`);
      assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
    }
  }
});

test('a page that only uses the custom element', async () => {
  const url = sitePage('element.html', `
    <khabar-widget kind="article" article-id="${ARTICLE}" api="${api()}"></khabar-widget>
    <khabar-widget kind="latest" limit="2" layout="strip" api="${api()}"></khabar-widget>
    ${scriptTag()}`);
  const { page, problems } = await openPage(browser);
  await recordEvents(page);
  await page.goto(url);
  await widgetsSettled(page);
  assert.equal(await page.locator('khabar-widget[kind="article"] >> h1.headline').textContent(), title);
  assert.ok(await page.locator('khabar-widget[kind="latest"] >> .strip a').count() >= 1);
  // The element reacts to its attributes like any other element.
  const other = '2026-11-26-bakeries-coop';
  const otherTitle = (await (await fetch(`${server.url}api/v1/articles/${other}`)).json()).title;
  await page.evaluate((id) => document.querySelector('khabar-widget[kind="article"]')
    .setAttribute('article-id', id), other);
  await page.locator('khabar-widget[kind="article"] >> h1.headline', { hasText: otherTitle }).waitFor();
  const ready = (await page.evaluate(() => window.__events)).filter((e) => e.type === 'khabar:ready');
  assert.equal(ready.length, 3);
  assert.ok(ready.every((e) => e.detail.version === manifest.version));
  assert.deepEqual(problems, []);
  await page.close();
});

/**
 * Opens a page whose script tag takes the wasm from `wasmUrl` and waits for
 * the loader's khabar:error; returns the events, the console errors and
 * whether the wasm was requested.
 */
async function failedStart(name, wasmUrl) {
  // The catalog and the core's glue are looked for next to the core module.
  cpSync(join(DIST, 'cdn', CATALOG.file), join(siteDir, CATALOG.file));
  cpSync(join(DIST, 'cdn', CORE_GLUE.file), join(siteDir, CORE_GLUE.file));
  const url = sitePage(name, `
    <div data-khabar="article" data-khabar-article-id="${ARTICLE}"></div>
    ${scriptTag(` data-wasm="${wasmUrl}"`)}`);
  const { page, problems } = await openPage(browser);
  await recordEvents(page);
  const requested = [];
  page.on('request', (r) => requested.push(r.url()));
  await page.goto(url);
  await page.waitForFunction(() => window.__events.some((e) => e.type === 'khabar:error'));
  const events = await page.evaluate(() => window.__events);
  const mounted = await page.evaluate(() => document.querySelector('[data-khabar]').shadowRoot !== null);
  await page.close();
  return { events, problems, mounted, requested: requested.includes(wasmUrl) };
}

/**
 * Why the wasm `file` did not load, from the browser's console errors: the
 * HTTP status when the server refused it, else the hash Chromium computed
 * when the integrity check failed.
 */
function loadFailure(problems, file) {
  const status = problems.map((p) => /the server responded with a status of (\d+)/.exec(p)?.[1]).find(Boolean);
  if (status) return `HTTP ${status}`;
  const digest = new RegExp(`Failed to find a valid digest in the 'integrity' attribute for resource '[^']*/${file}' with computed SHA-384 integrity '([^']+)'`);
  const computed = problems.map((p) => digest.exec(p)?.[1]).find(Boolean);
  return computed ? `integrity mismatch, computed sha384-${computed}` : `unknown: ${problems.join(' | ')}`;
}

test('the loader refuses a wasm that does not match its integrity hash', async () => {
  // One flipped byte at the end: the module would still compile, so only the
  // hash check can stop it.
  const bytes = readFileSync(join(DIST, 'cdn', WASM.file));
  bytes[bytes.length - 1] ^= 0x01;
  writeFileSync(join(siteDir, 'tampered.wasm'), bytes);
  const { events, problems, mounted, requested } = await failedStart('tampered.html', `${site.url}/tampered.wasm`);
  assert.ok(requested, 'the override was fetched');
  assert.equal(mounted, false, 'no widget mounted');
  assert.deepEqual(events.map((e) => [e.type, e.detail.code]), [['khabar:error', 'load']]);
  // The failure is the integrity check of exactly these bytes: served with
  // 200, hashed by the browser to the tampered file's hash, refused.
  const tamperedHash = `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
  assert.notEqual(tamperedHash, WASM.integrity);
  assert.equal(loadFailure(problems, 'tampered\\.wasm'), `integrity mismatch, computed ${tamperedHash}`);
  assert.ok(problems.some((p) => p.includes('khabar: could not start') && p.includes('tampered.wasm')), problems.join('\n'));
});

test('control: a missing wasm (404) is told apart from an integrity mismatch', async () => {
  const { events, problems, mounted, requested } = await failedStart('missing.html', `${site.url}/missing.wasm`);
  assert.ok(requested, 'the missing file was requested');
  assert.equal(mounted, false, 'no widget mounted');
  assert.deepEqual(events.map((e) => [e.type, e.detail.code]), [['khabar:error', 'load']]);
  // Chromium hashes the 404 page too and reports a mismatch for it; the
  // status comes first and is what tells the two failures apart.
  assert.equal(loadFailure(problems, 'missing\\.wasm'), 'HTTP 404');
});

/**
 * Fills `folder` of the site with the core's files from dist (its wasm, its
 * glue, the Arabic catalog), as a page with data-wasm-base needs them;
 * `replace` gives other bytes for some of them, by file name.
 */
function coreAssets(folder, replace = {}) {
  const dir = join(siteDir, folder);
  mkdirSync(dir, { recursive: true });
  for (const { file } of [WASM, CORE_GLUE, CATALOG]) {
    writeFileSync(join(dir, file), replace[file] ?? readFileSync(join(DIST, 'cdn', file)));
  }
  return dir;
}

/**
 * A page whose script tag places both modules with data-wasm-base in
 * `folder` of the site, the comments module being `commentsBytes` and its
 * glue `glueBytes`; the reader scrolls to the comments. Returns the page's
 * outcome.
 */
async function fromWasmBase(name, folder, commentsBytes, glueBytes = readFileSync(join(DIST, 'cdn', GLUE.file))) {
  const dir = coreAssets(folder);
  writeFileSync(join(dir, COMMENTS.file), commentsBytes);
  writeFileSync(join(dir, GLUE.file), glueBytes);
  const url = sitePage(name, `
    <div data-khabar="article" data-khabar-article-id="${ARTICLE}"></div>
    ${scriptTag(` data-wasm-base="/${folder}/"`)}`);
  const { page, problems } = await openPage(browser);
  await recordEvents(page);
  const fetched = [];
  page.on('response', (r) => { if (/\.(wasm|json)$|khabar_comments|khabar_core/.test(r.url())) fetched.push(new URL(r.url()).pathname); });
  await page.goto(url);
  await widgetsSettled(page);
  await page.mouse.wheel(0, 3000);
  const A = '[data-khabar="article"]';
  await page.locator(`${A} >> form.comment-form`).or(page.locator(`${A} >> [data-error-code="load"]`)).waitFor();
  const form = await page.locator(`${A} >> form.comment-form`).count();
  const events = (await page.evaluate(() => window.__events)).map((e) => [e.type, e.detail.code ?? e.detail.kind]);
  const tamperedRan = await page.evaluate(() => globalThis.__tampered === true);
  await page.close();
  return { form, events, problems, fetched, tamperedRan };
}

test('data-wasm-base places both modules; the comments module is checked against its own hash', async () => {
  const good = await fromWasmBase('base.html', 'assets', readFileSync(join(DIST, 'cdn', COMMENTS.file)));
  assert.deepEqual(good.fetched.sort(),
    [`/assets/${CATALOG.file}`, `/assets/${CORE_GLUE.file}`, `/assets/${WASM.file}`, `/assets/${COMMENTS.file}`, `/assets/${GLUE.file}`].sort());
  assert.equal(good.form, 1, 'the comment form is shown');
  assert.deepEqual(good.events, [['khabar:ready', 'article']]);
  assert.deepEqual(good.problems, []);

  const bytes = readFileSync(join(DIST, 'cdn', COMMENTS.file));
  bytes[bytes.length - 1] ^= 0x01;
  const bad = await fromWasmBase('base-tampered.html', 'tampered-assets', bytes);
  assert.equal(bad.form, 0, 'no comment form from a tampered module');
  assert.deepEqual(bad.events, [['khabar:ready', 'article'], ['khabar:error', 'load']]);
  const tamperedHash = `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
  assert.equal(loadFailure(bad.problems, COMMENTS.file.replaceAll('.', '\\.')), `integrity mismatch, computed ${tamperedHash}`);
});

test("the comments module's glue is checked against its own hash too", async () => {
  // A script that would run in the page: only the hash check can stop it.
  const glue = Buffer.concat([Buffer.from('globalThis.__tampered = true;\n'), readFileSync(join(DIST, 'cdn', GLUE.file))]);
  const bad = await fromWasmBase('glue-tampered.html', 'glue-assets', readFileSync(join(DIST, 'cdn', COMMENTS.file)), glue);
  assert.equal(bad.form, 0, 'no comment form from a tampered glue');
  assert.equal(bad.tamperedRan, false, 'not a line of the tampered glue ran');
  assert.deepEqual(bad.events, [['khabar:ready', 'article'], ['khabar:error', 'load']]);
  const tamperedHash = `sha384-${createHash('sha384').update(glue).digest('base64')}`;
  assert.notEqual(tamperedHash, GLUE.integrity);
  assert.equal(loadFailure(bad.problems, GLUE.file.replaceAll('.', '\\.')), `integrity mismatch, computed ${tamperedHash}`);
  assert.ok(bad.problems.some((p) => p.includes('khabar: could not start the comments module') && p.includes(GLUE.file)),
    bad.problems.join('\n'));
});

test("the core module's glue is checked against its own hash too: a tampered one never runs", async () => {
  const glue = Buffer.concat([Buffer.from('globalThis.__tampered = true;\n'), readFileSync(join(DIST, 'cdn', CORE_GLUE.file))]);
  coreAssets('core-glue-assets', { [CORE_GLUE.file]: glue });
  const url = sitePage('core-glue.html', `
    <div data-khabar="article" data-khabar-article-id="${ARTICLE}"></div>
    ${scriptTag(' data-wasm-base="/core-glue-assets/"')}`);
  const { page, problems } = await openPage(browser);
  await recordEvents(page);
  await page.goto(url);
  await page.waitForFunction(() => window.__events.some((e) => e.type === 'khabar:error'));
  assert.deepEqual((await page.evaluate(() => window.__events)).map((e) => [e.type, e.detail.code]), [['khabar:error', 'load']]);
  assert.equal(await page.evaluate(() => globalThis.__tampered === true), false, 'not a line of the tampered glue ran');
  const tamperedHash = `sha384-${createHash('sha384').update(glue).digest('base64')}`;
  assert.notEqual(tamperedHash, CORE_GLUE.integrity);
  assert.equal(loadFailure(problems, CORE_GLUE.file.replaceAll('.', '\\.')), `integrity mismatch, computed ${tamperedHash}`);
  assert.ok(problems.some((p) => p.includes('khabar: could not start the core module') && p.includes(CORE_GLUE.file)), problems.join('\n'));
  await page.close();
});

test("a comments glue that cannot load: the network error in its place, and a retry that loads it", async () => {
  const url = sitePage('glue-retry.html', `
    <div data-khabar="article" data-khabar-article-id="${ARTICLE}"></div>
    ${scriptTag()}`);
  const { page, problems } = await openPage(browser);
  await recordEvents(page);
  let broken = true;
  const asked = [];
  await page.route(`**/${GLUE.file}*`, (route) => {
    asked.push(new URL(route.request().url()).search);
    return broken ? route.abort('connectionrefused') : route.continue();
  });
  await page.goto(url);
  await widgetsSettled(page);
  await page.mouse.wheel(0, 3000);
  const A = '[data-khabar="article"]';
  const error = page.locator(`${A} >> [data-error-code="load"]`);
  await error.waitFor();
  assert.ok(problems.some((p) => p.includes('khabar: could not start the comments module') && p.includes(GLUE.file)),
    problems.join('\n'));
  // The HTML standard lets a page's module map remember a failed module
  // (Chromium asks again, other browsers need not): the retry asks by a
  // new URL, checked against the same hash.
  broken = false;
  await page.locator(`${A} >> [data-error-code="load"] button.retry`).click();
  await page.locator(`${A} >> form.comment-form`).waitFor();
  assert.deepEqual(asked, ['', '?retry=1']);
  assert.deepEqual((await page.evaluate(() => window.__events)).map((e) => [e.type, e.detail.code ?? e.detail.kind]),
    [['khabar:ready', 'article'], ['khabar:error', 'load']]);
  await page.close();
});

test('a language catalog that does not match its hash: the error in the fallback sentences, and "try again" recovers', async () => {
  const good = readFileSync(join(DIST, 'cdn', CATALOG.file));
  const bad = Buffer.from(good.toString('utf8').replace('"retry":"', '"retry":"!'));
  const folder = coreAssets('catalog-assets', { [CATALOG.file]: bad });
  const url = sitePage('catalog.html', `
    <div data-khabar="article" data-khabar-article-id="${ARTICLE}"></div>
    ${scriptTag(' data-wasm-base="/catalog-assets/"')}`);
  const { page, problems } = await openPage(browser);
  await recordEvents(page);
  await page.goto(url);
  const A = '[data-khabar="article"]';
  const error = page.locator(`${A} >> [data-error-code="load"]`);
  await error.waitFor();
  // The Arabic sentences compiled into the wasm for this case (src/i18n/ar.json).
  const ar = JSON.parse(readFileSync('src/i18n/ar.json', 'utf8'));
  assert.match(await error.textContent(), new RegExp(ar.error_network));
  assert.equal(await page.locator(`${A} >> button.retry`).textContent(), ar.retry);
  assert.deepEqual((await page.evaluate(() => window.__events)).map((e) => [e.type, e.detail.code]), [['khabar:error', 'load']]);
  assert.ok(problems.some((p) => p.includes(CATALOG.file)), problems.join('\n'));

  writeFileSync(join(folder, CATALOG.file), good);
  await page.locator(`${A} >> button.retry`).click();
  await page.locator(`${A} >> h1.headline`).waitFor();
  assert.equal(await page.locator(`${A} >> h1.headline`).textContent(), title);
  await page.close();
});

test('the shipped scripts use no syntax or call Safari 15 lacks (class static blocks came in 16.4, Object.hasOwn in 15.4)', () => {
  const scripts = ['cdn', 'npm'].flatMap((dir) => readdirSync(join(DIST, dir))
    .filter((f) => f.endsWith('.js')).map((f) => join(DIST, dir, f)));
  assert.ok(scripts.length >= 6, scripts.join(' '));
  for (const file of scripts) {
    const code = readFileSync(file, 'utf8');
    assert.doesNotMatch(code, /\bstatic\s*\{/, file);
    assert.doesNotMatch(code, /Object\.hasOwn\b/, file);
  }
});

test('khabar imports, and init() runs, on a server without FinalizationRegistry or WeakRef (Cloudflare Workers by default), as a server-rendered page does', () => {
  const entry = pathToFileURL(join(DIST, 'npm', 'index.js')).href;
  const script = `delete globalThis.FinalizationRegistry; delete globalThis.WeakRef;
const khabar = await import(${JSON.stringify(entry)});
khabar.init({ api: 'https://news.example/api/v1' });
console.log(typeof khabar.mount, typeof khabar.init);`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(out.trim(), 'function function');
});

test('TypeScript with the older moduleResolution "node" (no exports map) finds the types of khabar and khabar/auto', () => {
  const app = mkdtempSync(join(tmpdir(), 'khabar-tsc-node-'));
  try {
    mkdirSync(join(app, 'node_modules'));
    symlinkSync(join(DIST, 'npm'), join(app, 'node_modules', 'khabar'), 'dir');
    writeFileSync(join(app, 'main.ts'), [
      "import { mount } from 'khabar';",
      "import { mount as mountAuto, type KhabarOptions } from 'khabar/auto';",
      "const options: KhabarOptions = { kind: 'latest' };",
      'export const handles = [mount(document.body, options), mountAuto(document.body, options)];',
      '',
    ].join('\n'));
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        module: 'CommonJS', moduleResolution: 'node', target: 'ES2020', strict: true, noEmit: true,
        lib: ['ES2020', 'DOM'], types: [], preserveSymlinks: true,
      },
      files: ['main.ts'],
    }));
    const checked = spawnSync(resolve('node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' });
    assert.equal(checked.status, 0, `${checked.stdout}${checked.stderr}`);
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});

test("the npm packages resolve in webpack's resolver of Next.js 13 and 14: each exports entry lists types first, default last", () => {
  // enhanced-resolve before 5.17 (webpack 5 until 2024, and the copy
  // Next.js 13 and 14 build with) refuses an exports entry whose `default`
  // comes before another condition: "Default condition should be last one".
  const app = mkdtempSync(join(tmpdir(), 'khabar-webpack-'));
  try {
    const modules = join(app, 'node_modules');
    mkdirSync(join(modules, '@khabar'), { recursive: true });
    symlinkSync(join(DIST, 'npm'), join(modules, 'khabar'), 'dir');
    const packages = { khabar: join(DIST, 'npm') };
    for (const name of ['react', 'vue', 'svelte']) {
      symlinkSync(join(DIST, 'packages', name), join(modules, '@khabar', name), 'dir');
      packages[`@khabar/${name}`] = join(DIST, 'packages', name);
    }
    const webpack = resolver.create.sync({
      conditionNames: ['import', 'module', 'webpack', 'production', 'browser'],
      extensions: ['.js'],
      symlinks: false,
    });
    const found = (request) => webpack(app, request).slice(modules.length + 1);
    assert.equal(found('khabar'), 'khabar/index.js');
    assert.equal(found('khabar/auto'), 'khabar/khabar.js');
    assert.equal(found('khabar/khabar_bg.wasm'), 'khabar/khabar_bg.wasm');
    for (const name of ['react', 'vue', 'svelte']) assert.equal(found(`@khabar/${name}`), `@khabar/${name}/index.js`);
    // Node's rule, which every resolver reads the same way: TypeScript
    // takes the first condition it knows, so `types` comes first.
    for (const [name, dir] of Object.entries(packages)) {
      const { exports } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      for (const [entry, target] of Object.entries(exports)) {
        if (typeof target === 'string') continue;
        const conditions = Object.keys(target);
        assert.equal(conditions.at(-1), 'default', `${name} ${entry}: ${conditions}`);
        assert.equal(conditions[0], 'types', `${name} ${entry}: ${conditions}`);
      }
    }
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});

test('a fresh Vite app installs the npm tarball, type-checks, builds and renders', { timeout: 240_000 }, async () => {
  const tarball = readdirSync(DIST).find((f) => /^khabar-\d+\.\d+\.\d+\.tgz$/.test(f));
  assert.ok(tarball, 'npm pack wrote the tarball');
  const app = mkdtempSync(join(tmpdir(), 'khabar-vite-'));
  try {
    cpSync(resolve('tests/fixtures/vite-app'), app, { recursive: true });
    const dev = JSON.parse(readFileSync('package.json', 'utf8')).devDependencies;
    writeFileSync(join(app, 'package.json'), JSON.stringify({
      name: 'newsroom-app',
      private: true,
      type: 'module',
      dependencies: { khabar: `file:${join(DIST, tarball)}` },
      devDependencies: { vite: dev.vite, typescript: dev.typescript },
    }, null, 2));
    const run = (cmd, args) => execFileSync(cmd, args, { cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error']);
    const installed = JSON.parse(readFileSync(join(app, 'node_modules/khabar/package.json'), 'utf8'));
    assert.equal(installed.version, manifest.version);
    run(join(app, 'node_modules/.bin/tsc'), ['--noEmit', '-p', 'tsconfig.json']);
    run(join(app, 'node_modules/.bin/vite'), ['build', '--logLevel', 'warn']);
    const assets = readdirSync(join(app, 'dist/assets'));
    assert.equal(assets.filter((f) => f.endsWith('.wasm')).length, 3, `vite copied the three wasm modules: ${assets}`);

    const built = await serveStatic(join(app, 'dist'));
    try {
      const { page, problems } = await openPage(browser);
      await page.goto(`${built.url}/?api=${encodeURIComponent(api())}&article=${ARTICLE}`);
      await page.waitForFunction(() => document.body.dataset.readyVersion || document.body.dataset.error);
      assert.equal(await page.evaluate(() => document.body.dataset.error), undefined);
      assert.equal(await page.evaluate(() => document.body.dataset.readyVersion), manifest.version);
      assert.equal(await page.evaluate(() => document.body.dataset.readyArticle), ARTICLE);
      assert.equal(await page.evaluate(() => document.body.dataset.version), manifest.version);
      await page.waitForFunction(() => document.body.dataset.thrown);
      assert.equal(await page.evaluate(() => document.body.dataset.thrown), 'config');
      assert.equal(await page.locator('#story >> h1.headline').textContent(), title);
      await page.waitForFunction(() => document.querySelector('#latest').shadowRoot?.querySelector('.card, [data-error-code]'));
      const latest = await page.evaluate(() => document.querySelector('#latest').shadowRoot.firstElementChild.outerHTML.slice(0, 600));
      assert.ok(await page.locator('#latest >> .card').count() >= 1, latest);
      // The comments module, as Vite emitted it, loads when the reader gets there.
      await page.mouse.wheel(0, 3000);
      await page.locator('#story >> form.comment-form').waitFor();
      assert.deepEqual(problems, []);
      await page.close();
    } finally {
      await built.close();
    }
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});
