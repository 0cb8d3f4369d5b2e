// The two entries of the package: `khabar` does nothing when imported (safe
// under server-side rendering, in Node), starts the wasm on init() or
// mount(), and throws KhabarError instances; `khabar/auto` mounts
// placeholders. A module that cannot start rejects `ready` and fires
// `khabar:error`, and never throws through the page's own imports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { env, openPage, withBrowserAndServer } from './helpers.mjs';

const DIST = resolve(env('KHABAR_DIST'));
const VERSION = JSON.parse(readFileSync(join(DIST, 'npm/package.json'), 'utf8')).version;
const ARTICLE = '2026-11-27-farmers-market';

let browser;
let server;
withBrowserAndServer((b, s) => { browser = b; server = s; });

test('importing `khabar` and `khabar/auto` in Node, as server-side rendering does, touches nothing', () => {
  const api = pathToFileURL(join(DIST, 'npm/index.js')).href;
  const auto = pathToFileURL(join(DIST, 'npm/khabar.js')).href;
  const script = `
    let fetched = 0;
    globalThis.fetch = () => { fetched++; return new Promise(() => {}); };
    const k = await import(${JSON.stringify(api)});
    const a = await import(${JSON.stringify(auto)});
    const error = new k.KhabarError('config', 'x');
    // A layout's init() runs on the server too, with the relative folder
    // the docs show: nothing happens there.
    let init = 'returned';
    try {
      const started = k.init({ wasmBase: '/static/khabar/' });
      // Settled at once: a server render awaiting it goes on.
      if (await Promise.race([started.then(() => 'resolved'), new Promise((r) => setTimeout(r, 100, 'pending'))]) !== 'resolved') init = 'pending';
    } catch (e) {
      init = String(e);
    }
    console.log(JSON.stringify({
      init,
      exports: Object.keys(k).filter((n) => !n.startsWith('__')).sort(),
      same: a.mount === k.mount && a.ready === k.ready,
      version: k.version(),
      error: [error instanceof Error, error instanceof k.KhabarError, error.name, error.code],
      fetched,
      document: typeof document,
    }));`;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
  assert.deepEqual(out.exports, ['KhabarError', 'debugCounts', 'init', 'mount', 'mountComponent', 'placeholderAttributes', 'ready', 'reservedHeight', 'version']);
  assert.equal(out.same, true, 'khabar/auto exports the same API');
  assert.equal(out.version, VERSION);
  assert.deepEqual(out.error, [true, true, 'KhabarError', 'config']);
  assert.equal(out.fetched, 0, 'nothing is downloaded at import, nor by init()');
  assert.equal(out.init, 'returned');
  assert.equal(out.document, 'undefined');
});

/** A page of the server's origin whose own module imports the API entry (not the auto one). */
async function apiPage(body, script) {
  const { page, problems } = await openPage(browser);
  const wasm = [];
  page.on('request', (r) => { if (r.url().endsWith('.wasm')) wasm.push(new URL(r.url()).pathname); });
  await page.route('**/entry-page.html', (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>entry</title></head>
<body>${body}<script type="module">import * as k from '/khabar/index.js'; window.k = k; ${script} window.imported = true;</script></body></html>`,
  }));
  await page.goto(`${server.url}entry-page.html`);
  await page.waitForFunction(() => window.imported);
  return { page, problems, wasm };
}

test('`khabar` starts nothing at import; mount() starts it; errors are KhabarError instances', async () => {
  const { page, problems, wasm } = await apiPage(`
    <div id="placeholder" data-khabar="article" data-khabar-article-id="${ARTICLE}"></div>
    <khabar-widget id="element" kind="latest" limit="2"></khabar-widget>
    <div id="story"></div><div id="other"></div>`, '');
  await page.waitForTimeout(300);
  assert.deepEqual(wasm, [], 'no module fetched at import');
  assert.deepEqual(await page.evaluate(() => [
    document.getElementById('placeholder').shadowRoot === null,
    customElements.get('khabar-widget') === undefined,
    window.k.version(),
  ]), [true, true, VERSION]);

  // Mounted before the module runs: the handle works at once.
  const outcome = await page.evaluate(async (id) => {
    const el = document.getElementById('story');
    const readyEvent = new Promise((r) => el.addEventListener('khabar:ready', (e) => r(e.detail), { once: true }));
    const handle = window.k.mount(el, { kind: 'article', articleId: id, lang: 'en' });
    await window.k.ready;
    const detail = await readyEvent;
    let thrown;
    try {
      window.k.mount(document.getElementById('other'), { kind: 'gallery' });
    } catch (e) {
      thrown = [e instanceof window.k.KhabarError, e instanceof Error, e.name, e.code];
    }
    return { detail, thrown, version: window.k.version(), free: 'free' in handle, methods: Object.getOwnPropertyNames(Object.getPrototypeOf(handle)).sort() };
  }, ARTICLE);
  assert.equal(outcome.detail.articleId, ARTICLE);
  assert.equal(outcome.version, outcome.detail.version);
  assert.deepEqual(outcome.thrown, [true, true, 'KhabarError', 'config']);
  assert.equal(outcome.free, false, 'no wasm-bindgen internals on the handle');
  assert.deepEqual(outcome.methods, ['constructor', 'destroy', 'showJson', 'update', 'updateFromAttributes']);
  assert.ok(await page.locator('#story >> h1.headline').count() === 1);
  // Still: the page's placeholders were not mounted by the API entry.
  assert.equal(await page.evaluate(() => document.getElementById('placeholder').shadowRoot), null);
  assert.equal(wasm[0], '/khabar/khabar_core_bg.wasm', wasm.join());
  assert.deepEqual(problems, []);
  await page.close();
});

test('mountComponent (the framework components\' mount): refused options are told, never thrown, and the next update mounts; the placeholder keeps its height until the widget is in', async () => {
  const { page, problems } = await apiPage('<div id="first"></div><div id="story" style="min-block-size: 400px"></div>', '');
  const outcome = await page.evaluate(async (id) => {
    // The module runs already (another widget started it): mount() would throw now.
    window.k.mount(document.getElementById('first'), { kind: 'article', articleId: id, lang: 'en' });
    await window.k.ready;
    const el = document.getElementById('story');
    const heard = [];
    el.addEventListener('khabar:error', (e) => heard.push(e.detail.code));
    let shown = 0;
    let thrown = null;
    let host;
    try {
      host = window.k.mountComponent(el, { kind: 'article', lang: 'en' }, () => { shown++; });
    } catch (e) {
      thrown = e.code;
    }
    const refused = { heard: [...heard], shown, thrown, height: el.getBoundingClientRect().height };
    const ready = new Promise((r) => el.addEventListener('khabar:ready', r, { once: true }));
    host.update({ kind: 'article', articleId: id, lang: 'en' });
    await ready;
    const after = { shown, mounted: el.hasAttribute('data-khabar-mounted'), headline: el.shadowRoot?.querySelector('h1')?.textContent ?? null };
    host.destroy();
    return { refused, after };
  }, ARTICLE);
  assert.deepEqual(outcome.refused, { heard: ['config'], shown: 0, thrown: null, height: 400 });
  assert.equal(outcome.after.shown, 1);
  assert.equal(outcome.after.mounted, true);
  assert.ok(outcome.after.headline, 'the widget shows the article');
  assert.deepEqual(problems, []);
  await page.close();
});

test('mountComponent before the module runs, with an id still loading: told (config), not shown, the height kept; the id mounts it', async () => {
  const { page, problems } = await apiPage('<div id="story" style="min-block-size: 400px"></div>', '');
  const outcome = await page.evaluate(async (id) => {
    const el = document.getElementById('story');
    const heard = [];
    el.addEventListener('khabar:error', (e) => heard.push(e.detail.code));
    let shown = 0;
    const host = window.k.mountComponent(el, { kind: 'article', lang: 'en' }, () => { shown++; });
    await window.k.ready;
    await new Promise((r) => setTimeout(r, 100));
    const refused = {
      heard: [...heard], shown, height: el.getBoundingClientRect().height,
      mounted: el.hasAttribute('data-khabar-mounted'), shows: el.shadowRoot?.textContent ?? '',
    };
    const ready = new Promise((r) => el.addEventListener('khabar:ready', r, { once: true }));
    host.update({ kind: 'article', articleId: id, lang: 'en' });
    await ready;
    const after = { shown, headline: el.shadowRoot?.querySelector('h1')?.textContent ?? null };
    host.destroy();
    return { refused, after };
  }, ARTICLE);
  assert.deepEqual(outcome.refused, { heard: ['config'], shown: 0, height: 400, mounted: false, shows: '' });
  assert.equal(outcome.after.shown, 1);
  assert.ok(outcome.after.headline, 'the widget shows the article');
  assert.deepEqual(problems, [], 'nothing on the console: onError is the component\'s channel');
  await page.close();
});

test('init() options that come after the widget was set up are not lost silently: the console says which were ignored', async () => {
  const { page, problems } = await apiPage('<div id="story"></div>', '');
  const warnings = [];
  page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
  await page.evaluate(async (id) => {
    window.k.mount(document.getElementById('story'), { kind: 'article', articleId: id, lang: 'en' });
    await window.k.ready;
    await window.k.init(); // nothing new: nothing to say
    await window.k.init({ api: 'https://elsewhere.example/api/v1' });
  }, ARTICLE);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0], /init\(\) came after the widget was set up; api ignored/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('`khabar/auto` imported after init({ api }): its placeholders and elements ask that API, as mount() does', async () => {
  // A bundle has no script tag: the API a page names is init()'s. Here it is
  // another origin (served by the same server through the route below), so
  // that the bundle's own origin, the fallback, is told apart.
  const { page, problems } = await openPage(browser);
  const asked = [];
  await page.route('https://news.example/**', async (route) => {
    const url = route.request().url();
    asked.push(new URL(url).pathname + new URL(url).search);
    const response = await route.fetch({ url: url.replace('https://news.example/', server.url) });
    await route.fulfill({ response, headers: { ...response.headers(), 'access-control-allow-origin': '*' } });
  });
  const direct = [];
  page.on('request', (r) => { if (r.url().startsWith(`${server.url}api/`)) direct.push(r.url()); });
  await page.route('**/entry-auto.html', (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>e</title></head>
<body><div id="placeholder" data-khabar="article" data-khabar-article-id="${ARTICLE}"></div>
<khabar-widget id="element" kind="latest" limit="2"></khabar-widget><div id="story"></div>
<script type="module">
  import * as k from '/khabar/index.js';
  k.init({ api: 'https://news.example/api/v1' });
  await import('/khabar/khabar.js');
  k.mount(document.getElementById('story'), { kind: 'card', articleId: '${ARTICLE}' });
</script></body></html>`,
  }));
  const warnings = [];
  page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
  await page.goto(`${server.url}entry-auto.html`);
  for (const id of ['placeholder', 'element', 'story']) {
    await page.waitForFunction((h) => document.getElementById(h).shadowRoot?.querySelector('h1, .card-title, li a'), id);
  }
  assert.ok(asked.includes(`/api/v1/articles/${ARTICLE}`), asked.join());
  assert.ok(asked.some((p) => p.startsWith('/api/v1/articles?')), asked.join());
  assert.deepEqual(direct, [], 'nothing asked the bundle\'s own origin');
  assert.deepEqual(warnings, [], 'init() came first: nothing was ignored');
  assert.deepEqual(problems, []);
  // A request still in the route (the widgets' later ones) would fail to
  // fulfil once the page is closed: an unhandled rejection (seen in CI).
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  await page.close();
});

test("`khabar/auto` from a bundle on another origin, without init(): its placeholders ask that origin, mount() the page's own", async () => {
  // A site whose bundle is on a CDN (Next.js's assetPrefix, Vite's base):
  // the placeholders in its articles fall back to the bundle's origin, as
  // the docs say, and a component's mount() to the page's.
  const { page, problems } = await openPage(browser);
  const cdn = [];
  await page.route('https://cdn.example/**', async (route) => {
    const url = route.request().url();
    if (url.includes('/api/')) cdn.push(new URL(url).pathname);
    const response = await route.fetch({ url: url.replace('https://cdn.example/', server.url) });
    await route.fulfill({ response, headers: { ...response.headers(), 'access-control-allow-origin': '*' } });
  });
  const own = [];
  page.on('request', (r) => { if (r.url().startsWith(`${server.url}api/`)) own.push(new URL(r.url()).pathname); });
  await page.route('**/entry-cdn.html', (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>e</title></head>
<body><div id="placeholder" data-khabar="card" data-khabar-article-id="${ARTICLE}"></div><div id="story"></div>
<script type="module">
  const k = await import('https://cdn.example/khabar/index.js');
  await import('https://cdn.example/khabar/khabar.js');
  k.mount(document.getElementById('story'), { kind: 'card', articleId: '${ARTICLE}' });
</script></body></html>`,
  }));
  await page.goto(`${server.url}entry-cdn.html`);
  for (const id of ['placeholder', 'story']) {
    await page.waitForFunction((h) => document.getElementById(h).shadowRoot?.querySelector('.card-title'), id);
  }
  assert.ok(cdn.includes(`/api/v1/articles/${ARTICLE}`), `the placeholder asked the bundle's origin: ${cdn}`);
  assert.ok(own.includes(`/api/v1/articles/${ARTICLE}`), `mount() asked the page's origin: ${own}`);
  assert.deepEqual(problems, []);
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  await page.close();
});

test('without khabar/auto, a widget kept aside a while (a framework\'s cached view) keeps its relative times current once it is back', async () => {
  const { page, problems } = await openPage(browser);
  await page.clock.install(); // the real time, which the test moves on
  await page.route('**/kept-aside.html', (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>kept</title></head>
<body><div id="view"><div id="latest"></div></div><script type="module">
  import { mount } from '/khabar/index.js';
  mount(document.getElementById('latest'), { kind: 'latest', limit: 2 });
</script></body></html>`,
  }));
  await page.goto(`${server.url}kept-aside.html`);
  await page.locator('#latest >> li time').first().waitFor();
  // Kept aside over a minute's rewriting, then shown again.
  await page.evaluate(() => { window.kept = document.getElementById('latest'); window.kept.remove(); });
  await page.clock.fastForward(2 * 60_000);
  await page.evaluate(() => document.getElementById('view').append(window.kept));
  // 400 days on: its times read "last year", as every time on the page does.
  await page.clock.fastForward(400 * 24 * 3600 * 1000);
  await page.waitForFunction(() => [...document.getElementById('latest').shadowRoot.querySelectorAll('time')]
    .every((time) => time.textContent === 'العام الماضي'), null, { timeout: 10_000 });
  assert.deepEqual(problems, []);
  await page.close();
});

test('without khabar/auto, what the loader remembers of an element goes with it', async () => {
  const { page, problems } = await apiPage('', '');
  const cdp = await page.context().newCDPSession(page);
  // Mounts into new elements, as a framework does on every navigation.
  const cycles = (n) => page.evaluate(async ({ n, id }) => {
    for (let i = 0; i < n; i++) {
      const host = document.createElement('div');
      document.body.append(host);
      const ready = new Promise((r) => host.addEventListener('khabar:ready', r, { once: true }));
      const handle = window.k.mount(host, { kind: 'card', articleId: id, lang: 'en' });
      await ready;
      handle.destroy();
      host.remove();
    }
  }, { n, id: ARTICLE });
  const remembered = async () => {
    for (let i = 0; i < 3; i++) {
      await cdp.send('HeapProfiler.collectGarbage');
      await page.waitForTimeout(100); // finalizers run in a later task
    }
    return page.evaluate(() => window.k.debugCounts()[3]);
  };
  await cycles(5);
  const before = await remembered();
  await cycles(100);
  const after = await remembered();
  assert.ok(after <= before + 5, `remembered ${before} → ${after} after 100 elements came and went`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('khabar/placeholder.css reserves what reservedHeight() names, for every kind and list length, custom properties included, in text of any size', async () => {
  const { page, problems } = await apiPage('<div id="cases"></div>', '');
  await page.addStyleTag({ content: readFileSync(join(DIST, 'npm/placeholder.css'), 'utf8') });
  const cases = [
    { kind: 'article' }, { kind: 'card' }, { kind: 'comments' }, { kind: 'actions' },
    { kind: 'latest', layout: 'strip' }, { kind: 'latest' }, { kind: 'gallery' },
    ...Array.from({ length: 61 }, (_, limit) => ({ kind: 'latest', limit })),
    // What the widget refuses for 10 rows (src/config.rs) reserves 10 rows.
    ...[-3, 2.5, '7 rows', true, '', ' 12 ', '+4', 1e3].map((limit) => ({ kind: 'latest', limit })),
  ];
  // Each case plain, then with every property a page may set to its own height.
  const own = ['article', 'latest', 'card', 'comments', 'actions']
    .map((kind, i) => `--khabar-${kind}-min-height: ${101 + i}px;`).join(' ') + ' --khabar-strip-height: 31px;';
  const heights = await page.evaluate(([cases, own]) => {
    const root = document.getElementById('cases');
    // A sidebar's smaller type: the widget's sizes follow the reader's
    // default font size, and so must its reservation.
    root.style.fontSize = '12px';
    return cases.map((options) => ['', own].map((properties) => {
      const inline = document.createElement('div');
      inline.style.cssText = properties;
      inline.style.minBlockSize = window.k.reservedHeight(options);
      const held = document.createElement('div');
      held.style.cssText = properties;
      for (const [name, value] of Object.entries(window.k.placeholderAttributes(options))) held.setAttribute(name, value);
      root.append(inline, held);
      const pair = [inline, held].map((el) => el.getBoundingClientRect().height);
      inline.remove();
      held.remove();
      return pair;
    }));
  }, [cases, own]);
  cases.forEach((options, i) => heights[i].forEach(([inline, held], variant) => {
    assert.equal(held, inline, `${JSON.stringify(options)}${variant ? ' with the page\'s properties' : ''}`);
  }));
  // Not equal by being empty: the article's 100vh, the page's own heights,
  // nothing for an unknown kind, and fifty list lengths, fifty heights.
  assert.deepEqual(heights.slice(0, 7).map(([[plain], [, own]]) => [plain, own]),
    [[1000, 101], [152, 103], [864, 104], [56, 105], [40, 31], [1440, 102], [0, 0]]);
  const plainHeight = (i) => heights[i][0][0];
  const rows = (n) => plainHeight(7 + n);
  assert.equal(new Set(heights.slice(8, 58).map(([[plain]]) => plain)).size, 50);
  // 0, 51 to 60 and the rest fall back to 10 rows, as the widget does;
  // ' 12 ' and '+4' read as 12 and 4, as it reads them.
  const fallbacks = [0, ...Array.from({ length: 10 }, (_, i) => 51 + i)].map(rows)
    .concat([68, 69, 70, 71, 72, 75].map(plainHeight));
  assert.deepEqual(fallbacks, fallbacks.map(() => rows(10)));
  assert.deepEqual([plainHeight(73), plainHeight(74)], [rows(12), rows(4)]);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the core fails, then the comments page\'s module: its widget is told (khabar:error "load") and `ready` rejects', async () => {
  const { page, problems } = await openPage(browser);
  // The comments page's module is held until the core has failed, then fails too.
  let coreFailed;
  const failed = new Promise((resolve) => { coreFailed = resolve; });
  await page.route('**/khabar_core_bg.wasm', (route) => { coreFailed(); return route.abort('connectionrefused'); });
  await page.route('**/khabar_comments_page_bg.wasm', async (route) => {
    await failed;
    await new Promise((resolve) => setTimeout(resolve, 300));
    await route.abort('connectionrefused');
  });
  await page.route('**/entry-both.html', (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>e</title></head>
<body><div id="section"></div><div id="story"></div><script type="module">
  import * as k from '/khabar/index.js';
  window.events = [];
  document.addEventListener('khabar:error', (e) => window.events.push([e.target.id, e.detail.code]));
  k.mount(document.getElementById('section'), { kind: 'comments', articleId: '${ARTICLE}' });
  k.mount(document.getElementById('story'), { kind: 'article', articleId: '${ARTICLE}' });
  const late = new Promise((resolve) => { setTimeout(() => resolve('still pending'), 10000); });
  window.outcome = Promise.race([k.ready.then(() => 'resolved', (e) => e.code), late]);
</script></body></html>`,
  }));
  await page.goto(`${server.url}entry-both.html`);
  assert.equal(await page.evaluate(() => window.outcome), 'load');
  await page.waitForFunction(() => window.events.length > 1);
  assert.deepEqual((await page.evaluate(() => window.events)).sort(), [['section', 'load'], ['story', 'load']]);
  assert.ok(!problems.some((p) => p.startsWith('pageerror')), problems.join('\n'));
  await page.close();
});

test('a module that cannot start rejects `ready`, fires khabar:error, and the page\'s own module runs on', async () => {
  const { page, problems } = await apiPage('<div id="story"></div>', `
    window.events = [];
    document.addEventListener('khabar:error', (e) => window.events.push([e.target.id, e.detail.code]));
    k.init({ wasm: '/missing.wasm' });
    k.mount(document.getElementById('story'), { kind: 'article', articleId: '${ARTICLE}' });
    window.outcome = k.ready.then(() => 'resolved', (e) => [e instanceof k.KhabarError, e.code]);`);
  assert.deepEqual(await page.evaluate(() => window.outcome), [true, 'load']);
  await page.waitForFunction(() => window.events.length > 0);
  assert.deepEqual(await page.evaluate(() => window.events), [['story', 'load']]);
  assert.equal(await page.evaluate(() => window.imported), true);
  // A widget mounted after the failure is told the same, code and all.
  await page.evaluate(() => {
    const late = document.body.appendChild(document.createElement('div'));
    late.id = 'late';
    window.k.mount(late, { kind: 'card', articleId: 'x' });
  });
  await page.waitForFunction(() => window.events.length > 1);
  assert.deepEqual(await page.evaluate(() => window.events), [['story', 'load'], ['late', 'load']]);
  assert.ok(!problems.some((p) => p.startsWith('pageerror')), problems.join('\n'));
  assert.ok(problems.some((p) => p.includes('khabar: could not start') && p.includes('missing.wasm')), problems.join('\n'));
  await page.close();
});

test('mount() of no element (a selector that found none) throws a KhabarError, and the widgets mounted around it mount', { timeout: 60_000 }, async () => {
  const { page, problems } = await apiPage('<div id="story"></div><div id="after"></div>', '');
  const outcome = await page.evaluate(async (id) => {
    const story = document.getElementById('story');
    const after = document.getElementById('after');
    const shown = (el) => new Promise((r) => el.addEventListener('khabar:ready', r, { once: true }));
    const both = Promise.all([shown(story), shown(after)]);
    // Before the module runs, between two widgets that wait for it.
    window.k.mount(story, { kind: 'article', articleId: id, lang: 'en' });
    const thrown = [];
    for (const nothing of [null, '#related', undefined]) {
      try {
        window.k.mount(nothing, { kind: 'latest' });
        thrown.push('mounted');
      } catch (e) {
        thrown.push([e instanceof window.k.KhabarError, e.code]);
      }
    }
    window.k.mount(after, { kind: 'latest', limit: 2, lang: 'en' });
    await both;
    return { thrown, live: window.k.debugCounts()[0], cards: after.shadowRoot.querySelectorAll('.card').length };
  }, ARTICLE);
  assert.deepEqual(outcome.thrown, [[true, 'config'], [true, 'config'], [true, 'config']]);
  assert.equal(outcome.live, 2);
  assert.equal(outcome.cards, 2);
  assert.equal(await page.locator('#story >> h1.headline').count(), 1);
  assert.deepEqual(problems, []);
  await page.close();
});

test('mount() again into one element replaces its widget: one lives, its events fire once, and the first handle no longer reaches it', async () => {
  const { page, problems } = await apiPage('<div id="story"></div>', '');
  const outcome = await page.evaluate(async (id) => {
    const el = document.getElementById('story');
    const ready = [];
    el.addEventListener('khabar:ready', () => ready.push(el.shadowRoot?.querySelector('h1')?.lang ?? '?'));
    const first = window.k.mount(el, { kind: 'article', articleId: id, lang: 'en' });
    await new Promise((r) => el.addEventListener('khabar:ready', r, { once: true }));
    const second = window.k.mount(el, { kind: 'article', articleId: id, lang: 'fr' });
    await new Promise((r) => el.addEventListener('khabar:ready', r, { once: true }));
    const live = window.k.debugCounts()[0];
    first.update({ kind: 'article', articleId: id, lang: 'ar' }); // a handle taken down: nothing
    await new Promise((r) => setTimeout(r, 300));
    const events = ready.length;
    first.destroy();
    const kept = el.hasAttribute('data-khabar-mounted');
    second.destroy();
    return { live, events, kept, after: window.k.debugCounts()[0], lang: el.shadowRoot.querySelector('[lang]')?.lang };
  }, ARTICLE);
  assert.deepEqual(outcome, { live: 1, events: 2, kept: true, after: 0, lang: undefined });
  assert.deepEqual(problems, []);
  await page.close();
});

test('a comment section mounted after the core failed is shown by the comments page\'s module', async () => {
  const { page, problems } = await openPage(browser);
  await page.route('**/khabar_core_bg.wasm', (route) => route.abort('connectionrefused'));
  await page.route('**/entry-page.html', (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>e</title></head>
<body><div id="story"></div><div id="section"></div><script type="module">
  import * as k from '/khabar/index.js';
  window.k = k;
  window.events = [];
  document.addEventListener('khabar:error', (e) => window.events.push([e.target.id, e.detail.code]));
  k.mount(document.getElementById('story'), { kind: 'article', articleId: '${ARTICLE}' });
</script></body></html>`,
  }));
  await page.goto(`${server.url}entry-page.html`);
  await page.waitForFunction(() => window.events.length > 0);
  const shown = await page.evaluate(async (id) => {
    const el = document.getElementById('section');
    const told = new Promise((r) => {
      el.addEventListener('khabar:ready', () => r('ready'), { once: true });
      el.addEventListener('khabar:error', (e) => r(e.detail.code), { once: true });
    });
    window.k.mount(el, { kind: 'comments', articleId: id, lang: 'en' });
    return told;
  }, ARTICLE);
  assert.equal(shown, 'ready');
  await page.locator('#section >> form.comment-form').waitFor();
  assert.deepEqual(await page.evaluate(() => window.events), [['story', 'load']]);
  assert.ok(!problems.some((p) => p.startsWith('pageerror')), problems.join('\n'));
  await page.close();
});

test('update() that moves a comment section to the core with options the core refuses throws, and the section stays as it was', async () => {
  const { page, problems } = await apiPage('<div id="section"></div><div id="story"></div>', '');
  const outcome = await page.evaluate(async (id) => {
    // A comment section alone: the comments page's module shows it.
    const el = document.getElementById('section');
    const shown = new Promise((r) => el.addEventListener('khabar:ready', r, { once: true }));
    const handle = window.k.mount(el, { kind: 'comments', articleId: id, lang: 'en' });
    await shown;
    // Then an article: the core runs too.
    const story = document.getElementById('story');
    const told = new Promise((r) => story.addEventListener('khabar:ready', r, { once: true }));
    window.k.mount(story, { kind: 'article', articleId: id, lang: 'en' });
    await told;
    let thrown = null;
    try {
      handle.update({ kind: 'article', lang: 'en' }); // no article id
    } catch (e) {
      thrown = e.code;
    }
    return thrown;
  }, ARTICLE);
  assert.equal(outcome, 'config');
  await page.locator('#section >> form.comment-form').waitFor();
  assert.equal(await page.locator('#section >> .error').count(), 0);
  assert.deepEqual(problems, []);
  await page.close();
});
