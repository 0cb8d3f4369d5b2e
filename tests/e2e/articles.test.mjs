// Article views end to end: every demo page and kind, six languages,
// accessibility (axe-core), layout stability, the embed API's lifecycle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, openPage, routeMountPage, screenshotPath, widgetsSettled, withBrowserAndServer } from './helpers.mjs';

let browser;
let server;
withBrowserAndServer((b, s) => { browser = b; server = s; });

const LANGS = {
  ar: { article: '2026-11-27-farmers-market', dir: 'rtl' },
  fa: { article: '2026-11-27-tehran-library', dir: 'rtl' },
  ur: { article: '2026-11-26-karachi-cricket', dir: 'rtl' },
  he: { article: '2026-11-25-haifa-port-park', dir: 'rtl' },
  en: { article: '2026-11-26-bakeries-coop', dir: 'ltr' },
  fr: { article: '2026-11-24-lyon-bike-lanes', dir: 'ltr' },
};

for (const [lang, { article, dir }] of Object.entries(LANGS)) {
  test(`gallery in ${lang}: article, latest and card render ${dir} with no console errors`, async () => {
    const { page, problems } = await openPage(browser, { viewport: { width: 1100, height: 1200 } });
    await page.goto(`${server.url}gallery/?lang=${lang}&article=${article}`);
    await widgetsSettled(page);
    const frames = await page.evaluate(() => Array.from(document.querySelectorAll('[data-khabar]')).map((h) => {
      const f = h.shadowRoot.firstElementChild;
      return { kind: f.dataset.kind, lang: f.lang, dir: f.dir, error: !!f.querySelector('[data-error-code]') };
    }));
    assert.deepEqual(frames.map((f) => f.kind), ['article', 'latest', 'card']);
    for (const f of frames) {
      assert.equal(f.lang, lang);
      assert.equal(f.dir, dir);
      assert.equal(f.error, false);
    }
    await page.screenshot({ path: screenshotPath(`gallery-${lang}.png`) });
    assert.deepEqual(problems, []);
  });
}

for (const [path, lang] of [['/', 'ar'], ['/en/', 'en']]) {
  for (const theme of ['light', 'dark']) {
    test(`axe-core finds no WCAG 2 A/AA violation in the widgets of the demo page (${lang}, ${theme})`, async () => {
      const { page } = await openPage(browser);
      const query = theme === 'dark' ? '?theme=dark' : '';
      await page.goto(`${server.url}${path.slice(1)}${query}`);
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      await widgetsSettled(page);
      const violations = await axeViolations(page);
      assert.deepEqual(violations, []);
      if (theme === 'dark' && lang === 'ar') {
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: screenshotPath('demo-ar-dark.png') });
      }
    });
  }
}

/** A page of the server's origin (served by page.route) holding `body`. */
async function routedPage(page, name, { lang = 'ar', dir = 'rtl', head = '', body }) {
  await page.route(`**/${name}`, (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="${lang}" dir="${dir}"><head><meta charset="utf-8"><link rel="icon" href="data:,">
      <title>${name}</title>${head}</head><body>${body}<script type="module" src="/khabar/khabar.js"></script></body></html>`,
  }));
  return `${server.url}${name}`;
}

// The kinds of the demo pages (strip, article with its comments, latest)
// and the card, in every language the widget has.
for (const [lang, { article, dir }] of Object.entries(LANGS)) {
  test(`axe-core finds no WCAG 2 A/AA violation in the widgets in ${lang}`, async () => {
    const { page, problems } = await openPage(browser);
    const attrs = `data-khabar-lang="${lang}" data-khabar-content-lang="any"`;
    await page.goto(await routedPage(page, `axe-${lang}.html`, {
      lang,
      dir,
      body: `<div data-khabar="latest" data-khabar-layout="strip" data-khabar-limit="6" ${attrs}></div>
        <main><div data-khabar="article" data-khabar-article-id="${article}" ${attrs}></div></main>
        <aside><div data-khabar="latest" data-khabar-limit="4" ${attrs}></div>
        <div data-khabar="card" data-khabar-article-id="${article}" ${attrs}></div></aside>`,
    }));
    await widgetsSettled(page);
    await page.waitForFunction(() => document.querySelector('[data-khabar="article"]').shadowRoot
      .querySelector('.comment, .comments-empty'));
    const frames = await page.evaluate(() => Array.from(document.querySelectorAll('[data-khabar]'))
      .map((h) => `${h.shadowRoot.firstElementChild.dataset.kind} ${h.shadowRoot.firstElementChild.lang}`));
    assert.deepEqual(frames, ['latest', 'article', 'latest', 'card'].map((k) => `${k} ${lang}`));
    assert.deepEqual(await axeViolations(page), [], `axe in ${lang}`);
    assert.deepEqual(problems, []);
  });
}

// Layout stability of every kind on a host page that reserves the space as
// docs/embedding.md says, with the API answering late and images later:
// measured from the start until the widget's content has loaded (khabar:ready,
// then its images and comments) plus a settle time.
const API_DELAY = 600;
const IMAGE_DELAY = 1200;
const SETTLE = 500;
const RESERVE = `<style>
  body { margin: 0; font: 16px/1.5 sans-serif; }
  [data-khabar]:not([data-khabar-mounted]) { display: block; }
  [data-khabar="article"]:not([data-khabar-mounted]) { min-height: 100vh; }
  [data-khabar="latest"]:not([data-khabar-mounted]) { min-height: 90rem; }
  [data-khabar="latest"][data-khabar-limit="4"]:not([data-khabar-mounted]) { min-height: 40.5rem; }
  [data-khabar="latest"][data-khabar-layout="strip"]:not([data-khabar-mounted]) { min-height: 2.5rem; }
  [data-khabar="card"]:not([data-khabar-mounted]) { min-height: 9.5rem; }
  [data-khabar="comments"]:not([data-khabar-mounted]) { min-height: 54rem; }
</style>`;
const KINDS = {
  article: `<div data-khabar="article" data-khabar-article-id="${LANGS.ar.article}"></div>`,
  latest: '<div data-khabar="latest" data-khabar-limit="4"></div>',
  strip: '<div data-khabar="latest" data-khabar-layout="strip" data-khabar-limit="6"></div>',
  card: `<div data-khabar="card" data-khabar-article-id="${LANGS.ar.article}"></div>`,
  comments: '<div data-khabar="comments" data-khabar-article-id="2026-11-25-haifa-port-park" data-khabar-lang="he"></div>',
};

/**
 * Opens `target` (a URL, or a page body to serve with the reservation CSS)
 * with the API answering `API_DELAY` ms late and images `IMAGE_DELAY` ms
 * late; waits for every widget's khabar:ready, then its images and comments,
 * then `SETTLE` ms more. `during(page)` runs once the widgets are ready.
 * Returns the cumulative layout shift and what moved.
 */
async function measureCls(target, during = async () => {}) {
  const { page, problems } = await openPage(browser);
  await page.addInitScript(() => {
    window.__cls = 0;
    window.__shifts = [];
    window.__ready = 0;
    document.addEventListener('khabar:ready', () => { window.__ready += 1; });
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (!e.hadRecentInput) {
          window.__cls += e.value;
          window.__shifts.push(`${e.value.toFixed(4)} from ${e.sources?.map((s) => s.node?.className || s.node?.nodeName || '?').join(', ')}`);
        }
      }
    }).observe({ type: 'layout-shift', buffered: true });
  });
  const late = (ms) => async (route) => {
    await new Promise((r) => setTimeout(r, ms));
    await route.continue().catch(() => {});
  };
  await page.route(/\/api\/v1\//, late(API_DELAY));
  await page.route(/\/images\//, late(IMAGE_DELAY));
  const url = target.startsWith('http') ? target
    : await routedPage(page, `cls-${Math.random().toString(36).slice(2)}.html`, { head: RESERVE, body: target });
  await page.goto(url);
  // The lazy list of the demo page mounts only near the viewport.
  await page.waitForFunction(() => window.__ready >= document.querySelectorAll('[data-khabar]:not([data-khabar-lazy])').length,
    null, { timeout: 15_000 });
  await during(page);
  await page.waitForFunction(() => Array.from(document.querySelectorAll('[data-khabar]:not([data-khabar-lazy])')).every((h) => {
    const root = h.shadowRoot;
    const images = Array.from(root.querySelectorAll('img')).every((img) => img.complete);
    const comments = !root.querySelector('.comments') || root.querySelector('.comment, .comments-empty');
    return images && comments;
  }), null, { timeout: 15_000 });
  await page.waitForTimeout(SETTLE);
  const result = await page.evaluate(() => ({ cls: window.__cls, shifts: window.__shifts }));
  await page.close();
  return { ...result, problems };
}

test('the demo page loads with a cumulative layout shift of exactly 0, with a slow API and late images', async () => {
  const { cls, shifts, problems } = await measureCls(server.url);
  assert.equal(cls, 0, `layout shifts: ${shifts.join(' | ')}`);
  assert.deepEqual(problems, []);
});

for (const [kind, widget] of Object.entries(KINDS)) {
  test(`${kind}: cumulative layout shift of exactly 0 with a slow API and late images`, async () => {
    const { cls, shifts, problems } = await measureCls(`<p>Host text above.</p>${widget}<p>Host text below.</p>`);
    assert.equal(cls, 0, `${kind}: layout shifts: ${shifts.join(' | ')}`);
    assert.deepEqual(problems, []);
  });
}

test('control: the same measurement sees a host element that shifts the page (CLS > 0)', async () => {
  const { cls, shifts } = await measureCls(`<p>Host text above.</p>${KINDS.card}<p class="moved">Host text below.</p>`,
    (page) => page.evaluate(() => {
      const banner = document.createElement('div');
      banner.style.height = '120px';
      // Above the widget, not first in <body>: there it would end the
      // collapse of the first paragraph's margin with the body's, and
      // Chrome would name only BODY as the moved node.
      document.querySelector('[data-khabar]').before(banner);
    }));
  assert.ok(cls > 0.01, `CLS ${cls}`);
  assert.ok(shifts.some((s) => s.includes('moved')), `the shifted paragraph is named: ${shifts.join(' | ')}`);
});

test('cards and strip links go to the article URL; the page keeps its own navigation', async () => {
  const { page } = await openPage(browser);
  await page.goto(server.url);
  await widgetsSettled(page);
  // The list's cards (lazy, below the article): each links to the URL the
  // API gives for the article it names.
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  const cards = page.locator('[data-khabar="latest"]:not([data-khabar-layout]) >> a.card');
  await cards.first().waitFor();
  const shown = await cards.evaluateAll((links) => links.map((a) => [a.querySelector('.card-title').textContent, a.getAttribute('href')]));
  const listed = await (await fetch(`${server.url}api/v1/articles?limit=50`)).json();
  const urlOf = new Map(listed.items.map((a) => [a.title, a.url]));
  assert.ok(shown.length >= 2, JSON.stringify(shown));
  assert.deepEqual(shown, shown.map(([title]) => [title, urlOf.get(title)]));
  const cardHref = shown[1][1];
  await page.evaluate(() => window.scrollTo(0, 0));
  const href = await page.locator('[data-khabar][data-khabar-layout="strip"] >> a').first().getAttribute('href');
  assert.match(href, /^http:\/\/127\.0\.0\.1:\d+\/\?article=/);
  await page.locator('[data-khabar][data-khabar-layout="strip"] >> a').first().click();
  await page.waitForURL(href);
  await widgetsSettled(page);
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await page.locator(`[data-khabar="latest"]:not([data-khabar-layout]) >> a.card[href="${cardHref}"]`).click();
  await page.waitForURL(cardHref);
});

test('keyboard only: a latest list\'s "more" keeps focus while its page is on its way and when it fails; the page that comes next takes it', async () => {
  const { page, problems } = await openPage(browser);
  await routeMountPage(page, 'latest-keyboard', { kind: 'latest', limit: 2 }, 'list');
  // The second page: held until the test lets it go, and dropped the first time.
  let release;
  let calls = 0;
  await page.route('**/api/v1/articles?*cursor=*', async (route) => {
    if (calls++ === 0) {
      await new Promise((r) => { release = r; });
      await route.abort('internetdisconnected');
    } else {
      await route.continue();
    }
  });
  await page.goto(`${server.url}latest-keyboard.html`);
  await page.locator('#list >> li').nth(1).waitFor();
  const state = () => page.evaluate(() => {
    const root = document.getElementById('list').shadowRoot;
    const a = root.activeElement;
    return {
      focus: a ? a.localName + (a.className ? `.${a.className}` : '') : document.activeElement?.localName,
      busy: root.querySelector('button.more')?.getAttribute('aria-busy'),
      error: root.querySelector('.more-error')?.textContent ?? null,
      links: [...root.querySelectorAll('li a')].map((l) => l.textContent),
      focusedLink: a?.localName === 'a' ? a.textContent : null,
    };
  });
  await page.locator('#list >> button.more').focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('list').shadowRoot.querySelector('button.more[aria-busy="true"]'));
  assert.equal((await state()).focus, 'button.more', 'on its way: focus stays');
  // A second press meanwhile asks for nothing more.
  await page.keyboard.press('Enter');
  release();
  await page.locator('#list >> .more-error').waitFor();
  let now = await state();
  assert.equal(now.focus, 'button.more', 'failed: focus stays, Enter asks again');
  assert.equal(now.busy, 'false');
  assert.equal(now.links.length, 2);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('list').shadowRoot.querySelectorAll('li a').length === 4);
  now = await state();
  assert.equal(now.focusedLink, now.links[2], 'the first new story takes the focus');
  assert.equal(now.error, null, 'the error went with the page that came');
  assert.equal(calls, 2);
  assert.deepEqual(problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|network error/.test(p)), []);
  await page.close();
});

test('a reader who went elsewhere while a latest list\'s page came keeps the focus there', async () => {
  const { page, problems } = await openPage(browser);
  await routeMountPage(page, 'latest-elsewhere', { kind: 'latest', limit: 2 }, 'list');
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route('**/api/v1/articles?*cursor=*', async (route) => { await held; await route.continue(); });
  await page.goto(`${server.url}latest-elsewhere.html`);
  await page.locator('#list >> li').nth(1).waitFor();
  await page.evaluate(() => document.body.insertAdjacentHTML('beforeend', '<input id="search" aria-label="search">'));
  await page.locator('#list >> button.more').click();
  await page.waitForFunction(() => document.getElementById('list').shadowRoot.querySelector('button.more[aria-busy="true"]'));
  await page.locator('#search').focus();
  await page.keyboard.type('bri');
  release();
  await page.waitForFunction(() => document.getElementById('list').shadowRoot.querySelectorAll('li a').length === 4);
  await page.keyboard.type('dge');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'search');
  assert.equal(await page.locator('#search').inputValue(), 'bridge');
  assert.deepEqual(problems, []);
  await page.close();
});

test('keyboard only: "retry" on a widget that failed to load hands the focus to what comes in its place', async () => {
  for (const kind of ['article', 'latest', 'actions']) {
    const { page, problems } = await openPage(browser);
    await routeMountPage(page, 'retry-keyboard', { kind, articleId: LANGS.ar.article, limit: 3 }, 'w');
    // The content fails twice (the network drops it), then comes.
    let calls = 0;
    await page.route(/\/api\/v1\/articles(\/[^/?]+)?(\?.*)?$/, (route) => (calls++ < 2 ? route.abort('internetdisconnected') : route.continue()));
    await page.goto(`${server.url}retry-keyboard.html`);
    const focused = () => page.evaluate(() => {
      const a = document.getElementById('w').shadowRoot.activeElement;
      return a ? a.localName + (a.className ? `.${a.className}` : '') : document.activeElement?.localName;
    });
    await page.locator('#w >> button.retry').focus();
    await page.evaluate(() => { document.getElementById('w').shadowRoot.querySelector('button.retry').dataset.old = ''; });
    await page.keyboard.press('Enter');
    // Failed again: the new "retry" has the focus, so Enter tries again.
    await page.waitForFunction(() => document.getElementById('w').shadowRoot.activeElement?.matches('button.retry:not([data-old])'));
    assert.equal(calls, 2, kind);
    await page.keyboard.press('Enter');
    if (kind === 'article') {
      await page.locator('#w >> h1.headline').waitFor();
      assert.equal(await focused(), 'h1.headline', kind);
    } else if (kind === 'actions') {
      await page.locator('#w >> button.share-toggle').waitFor();
      assert.equal(await focused(), 'button.action share-toggle', kind);
    } else {
      await page.locator('#w >> li a').first().waitFor();
      assert.equal(await focused(), 'a.card', kind);
      // The story links stay in the tab order.
      assert.equal(await page.locator('#w >> li a').first().getAttribute('tabindex'), null);
    }
    assert.equal(calls, 3, kind);
    assert.deepEqual(problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|network error/.test(p)), [], kind);
    await page.close();
  }
});

test('several widgets share one wasm instance and one request per resource', async () => {
  const { page, problems } = await openPage(browser);
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`${server.url}gallery/?lang=ar&article=2026-11-27-farmers-market`);
  await widgetsSettled(page);
  await page.evaluate(() => {
    for (let i = 0; i < 3; i++) {
      const el = document.createElement('div');
      el.dataset.khabar = 'card';
      el.dataset.articleId = '2026-11-23-wetland-birds';
      el.className = 'extra';
      document.body.append(el);
    }
  });
  await page.waitForFunction(() => Array.from(document.querySelectorAll('.extra'))
    .every((e) => e.shadowRoot?.querySelector('a.card')));
  const count = (part) => requests.filter((u) => u.includes(part)).length;
  assert.equal(count('/articles/2026-11-23-wetland-birds'), 1, 'three cards, one request');
  assert.equal(count('khabar_core_bg.wasm'), 1);
  assert.deepEqual(problems, []);
});

test('destroy() cancels every request of the widget, its actions row\'s /config too', async () => {
  const { page, problems } = await openPage(browser);
  // The backend's /config never answers: only destroy() can end it.
  const asked = [];
  await page.route('**/api/v1/config', (route) => { asked.push(route); });
  await page.route('**/destroy-config.html', (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>d</title></head>
<body><div id="story"></div><script type="module">
  import { mount } from '/khabar/khabar.js';
  window.handle = mount(document.getElementById('story'), { kind: 'article', articleId: '2026-11-24-meteor-night', lang: 'en' });
</script></body></html>`,
  }));
  await page.goto(`${server.url}destroy-config.html`);
  await page.locator('#story >> h1.headline').waitFor();
  // waitForFunction takes a promise for a truthy value: the predicates
  // read the module the page imported, synchronously.
  await page.evaluate(async () => { window.k = await import('/khabar/khabar.js'); });
  await page.waitForFunction(() => window.k.debugCounts()[1] === 1);
  assert.equal(asked.length, 1);
  await page.evaluate(() => window.handle.destroy());
  await page.waitForFunction(() => window.k.debugCounts()[1] === 0, null, { timeout: 3000 });
  assert.deepEqual(problems, []);
  await page.close();
});

test('placeholders added later mount, removed ones are destroyed', async () => {
  const { page } = await openPage(browser);
  await page.goto(`${server.url}en/`);
  await widgetsSettled(page);
  // waitForFunction takes a promise for a truthy value: the predicate
  // reads the module the page imported, synchronously.
  const before = await page.evaluate(async () => {
    window.k = await import('/khabar/khabar.js');
    return window.k.debugCounts()[0];
  });
  await page.evaluate(() => {
    const el = document.createElement('div');
    el.id = 'added';
    el.dataset.khabar = 'article';
    el.dataset.articleId = '2026-11-24-meteor-night';
    document.querySelector('main').append(el);
    window.added = el;
  });
  await page.locator('#added >> h1.headline').waitFor();
  assert.equal(await page.evaluate(() => window.k.debugCounts()[0]), before + 1);
  await page.evaluate(() => window.added.remove());
  await page.waitForFunction((n) => window.k.debugCounts()[0] === n, before, { timeout: 3000 });
  // Taken down, not only out of the page: no mark, nothing in its root.
  assert.deepEqual(await page.evaluate(() => [window.added.hasAttribute('data-khabar-mounted'),
    window.added.shadowRoot?.childElementCount ?? 0]), [false, 0]);
});

test('a widget mounted with mount() whose element is kept out of the page for a while (as Vue\'s KeepAlive keeps a view) shows again when it is back, with the options given meanwhile, even if the page dropped its handle', async () => {
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}en/`);
  await widgetsSettled(page);
  const counts = () => page.evaluate(async () => (await import('/khabar/khabar.js')).debugCounts()[0]);
  const before = await counts();
  await page.evaluate(async () => {
    const { mount } = await import('/khabar/khabar.js');
    const main = document.querySelector('main');
    const kept = main.appendChild(Object.assign(document.createElement('div'), { id: 'kept' }));
    const dropped = main.appendChild(Object.assign(document.createElement('div'), { id: 'dropped' }));
    window.kept = { el: kept, handle: mount(kept, { kind: 'article', articleId: '2026-11-24-meteor-night' }) };
    // This one's handle is not kept: only its element is.
    window.dropped = dropped;
    mount(dropped, { kind: 'card', articleId: '2026-11-23-wetland-birds' });
  });
  const headline = page.locator('#kept >> h1.headline');
  await headline.waitFor();
  await page.locator('#dropped >> a.card').waitFor();
  const first = await headline.textContent();
  const away = () => page.evaluate(() => {
    const box = document.createElement('div');
    box.append(window.kept.el, window.dropped);
  });
  const gone = () => page.waitForFunction(() => ![window.kept.el, window.dropped].some((e) => e.hasAttribute('data-khabar-mounted')));
  const back = () => page.evaluate(() => document.querySelector('main').append(window.kept.el, window.dropped));
  // Out of the page: the page's watch takes both down and frees them, and
  // a garbage collection finds nothing of the dropped handle to keep.
  await away();
  await gone();
  assert.equal(await counts(), before);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  await back();
  await page.locator('#kept >> h1.headline').filter({ hasText: first }).waitFor();
  await page.locator('#dropped >> a.card').waitFor();
  assert.equal(await counts(), before + 2);
  // Options given while it is away, once it is down, are the ones it comes
  // back with; options it refuses are refused at once and change nothing.
  await away();
  await gone();
  const refused = await page.evaluate(() => {
    try {
      window.kept.handle.update({ kind: 'article' });
      return null;
    } catch (e) {
      return e.code;
    }
  });
  assert.equal(refused, 'config');
  await back();
  await page.locator('#kept >> h1.headline').filter({ hasText: first }).waitFor();
  await away();
  await gone();
  await page.evaluate(() => window.kept.handle.update({ kind: 'article', articleId: '2026-11-23-wetland-birds' }));
  await back();
  const second = await page.locator('#kept >> h1.headline').filter({ hasNotText: first }).textContent();
  // Article JSON the page hands over while it is away is what it shows when back.
  await away();
  await gone();
  const given = await page.evaluate(async () => {
    const json = await (await fetch('/api/v1/articles/2026-11-26-bakeries-coop')).json();
    window.kept.handle.showJson(json);
    return json.title;
  });
  assert.notEqual(given, second);
  await back();
  await page.locator('#kept >> h1.headline').filter({ hasText: given }).waitFor();
  // The handle still reaches it, and destroy() is final: out and back
  // again, it stays down.
  await page.evaluate(() => window.kept.handle.destroy());
  assert.equal(await counts(), before + 1);
  await page.evaluate(() => window.kept.el.remove());
  await page.evaluate(() => new Promise((r) => setTimeout(r, 0)));
  await back();
  await page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
  assert.equal(await page.evaluate(() => window.kept.el.hasAttribute('data-khabar-mounted')), false);
  assert.equal(await counts(), before + 1);
  assert.deepEqual(problems, []);
});

test('<khabar-widget> mounts, follows attribute changes and unmounts', async () => {
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}en/`);
  await widgetsSettled(page);
  const before = await page.evaluate(async () => {
    window.k = await import('/khabar/khabar.js');
    return window.k.debugCounts()[0];
  });
  await page.evaluate(() => {
    const el = document.createElement('khabar-widget');
    el.setAttribute('kind', 'article');
    el.setAttribute('article-id', '2026-11-24-meteor-night');
    el.setAttribute('lang', 'fr');
    document.querySelector('main').append(el);
  });
  const headline = page.locator('khabar-widget >> h1.headline');
  await headline.waitFor();
  assert.equal(await headline.textContent(), 'Observatory opens its roof to the public for the winter meteor shower');
  assert.equal(await page.locator('khabar-widget >> .published').textContent().then((t) => t.startsWith('Publié le')), true);
  await page.evaluate(() => document.querySelector('khabar-widget').setAttribute('article-id', '2026-11-26-bakeries-coop'));
  await page.waitForFunction(() => document.querySelector('khabar-widget').shadowRoot
    .querySelector('h1')?.textContent === 'Small bakeries band together to buy flour in bulk');
  assert.equal(await page.evaluate(() => window.k.debugCounts()[0]), before + 1, 'one widget more, updated in place');
  // Its options are its attributes: its handle's update() with an object
  // is refused, and leaves what it shows and follows as it was.
  assert.equal(await page.evaluate(() => {
    try {
      document.querySelector('khabar-widget').handle.update({ kind: 'latest', lang: 'ar' });
      return 'taken';
    } catch (e) {
      return `${e.name} ${e.code}`;
    }
  }), 'KhabarError config');
  await page.evaluate(() => document.querySelector('khabar-widget').setAttribute('lang', 'en'));
  await page.waitForFunction(() => document.querySelector('khabar-widget').shadowRoot
    .querySelector('.published')?.textContent.startsWith('Published'));
  assert.equal(await headline.textContent(), 'Small bakeries band together to buy flour in bulk');
  // Moved in the page (into a tab, a framework's reordering): the same
  // widget, not a new one that asks for its article again (its lazy
  // comment section, now in view, may ask for its comments).
  const asked = [];
  page.on('request', (r) => { if (/\/articles\/[^/?]+$/.test(r.url())) asked.push(r.url()); });
  await page.evaluate(() => {
    const el = document.querySelector('khabar-widget');
    el.shadowRoot.querySelector('h1').dataset.mark = 'kept';
    document.body.prepend(el);
  });
  await page.waitForTimeout(500);
  assert.deepEqual(await page.evaluate(() => [
    document.querySelector('khabar-widget').shadowRoot.querySelector('h1')?.dataset.mark,
    window.k.debugCounts()[0],
  ]), ['kept', before + 1]);
  assert.deepEqual(asked, []);
  await page.evaluate(() => { window.element = document.querySelector('khabar-widget'); window.element.remove(); });
  // Taken down: the count back where it was, nothing left in its root.
  await page.waitForFunction((n) => window.k.debugCounts()[0] === n, before, { timeout: 3000 });
  assert.equal(await page.evaluate(() => window.element.shadowRoot?.childElementCount ?? 0), 0);
  assert.deepEqual(problems, []);
});

test('data-khabar-lazy fetches only when the widget nears the viewport', async () => {
  const { page } = await openPage(browser);
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`${server.url}en/`);
  await widgetsSettled(page);
  await page.evaluate(() => {
    const spacer = document.createElement('div');
    spacer.style.height = '4000px';
    const el = document.createElement('div');
    el.id = 'lazy';
    el.dataset.khabar = 'latest';
    el.dataset.limit = '7';
    el.setAttribute('data-khabar-lazy', '');
    document.body.append(spacer, el);
  });
  await page.waitForTimeout(500);
  assert.equal(requests.filter((u) => u.includes('limit=7')).length, 0, 'not fetched while far away');
  await page.locator('#lazy').scrollIntoViewIfNeeded();
  await page.locator('#lazy >> ul.items').waitFor();
  assert.equal(requests.filter((u) => u.includes('limit=7')).length, 1);
});

test('khabar:ready and khabar:error reach the host page with their details', async () => {
  const { page } = await openPage(browser);
  await page.goto(`${server.url}en/`);
  await widgetsSettled(page);
  const events = await page.evaluate(async () => {
    const seen = [];
    const listen = (el) => new Promise((resolve) => {
      el.addEventListener('khabar:ready', (e) => { seen.push(['ready', e.detail]); resolve(); });
      el.addEventListener('khabar:error', (e) => { seen.push(['error', e.detail]); resolve(); });
    });
    const ok = document.createElement('div');
    ok.dataset.khabar = 'article';
    ok.dataset.articleId = '2026-11-24-meteor-night';
    const bad = document.createElement('div');
    bad.dataset.khabar = 'article';
    bad.dataset.articleId = 'missing';
    const waits = [listen(ok), listen(bad)];
    document.body.append(ok, bad);
    await Promise.all(waits);
    return seen;
  });
  const ready = events.find(([k]) => k === 'ready')[1];
  assert.equal(ready.kind, 'article');
  assert.equal(ready.articleId, '2026-11-24-meteor-night');
  assert.match(ready.version, /^\d+\.\d+\.\d+/);
  assert.equal(events.find(([k]) => k === 'error')[1].code, 'not-found');
});

test('200 mount/destroy cycles leave no listeners, nodes or wasm memory behind', async () => {
  const { page } = await openPage(browser);
  await page.goto(`${server.url}en/`);
  await widgetsSettled(page);
  const cdp = await page.context().newCDPSession(page);
  const counters = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    const c = await cdp.send('Memory.getDOMCounters');
    const wasm = await page.evaluate(async () => (await import('/khabar/khabar.js')).debugCounts()[2]);
    return { listeners: c.jsEventListeners, nodes: c.nodes, wasm };
  };
  const cycles = (n) => page.evaluate(async (n) => {
    const { mount } = await import('/khabar/khabar.js');
    const host = document.createElement('div');
    document.body.append(host);
    for (let i = 0; i < n; i++) {
      const ready = new Promise((r) => host.addEventListener('khabar:ready', r, { once: true }));
      const handle = mount(host, { kind: i % 2 ? 'latest' : 'article', articleId: '2026-11-24-meteor-night', lang: 'en' });
      await ready;
      handle.destroy();
    }
    host.remove();
  }, n);
  await cycles(20); // warm-up: caches, allocator pools
  const warm = await counters();
  await cycles(200);
  const afterRuns = await counters();
  assert.ok(afterRuns.listeners <= warm.listeners, `listeners ${warm.listeners} → ${afterRuns.listeners}`);
  assert.ok(afterRuns.nodes <= warm.nodes + 20, `nodes ${warm.nodes} → ${afterRuns.nodes}`);
  assert.ok(afterRuns.wasm <= warm.wasm, `wasm memory ${warm.wasm} → ${afterRuns.wasm}`);
  console.log(`# after 200 cycles: listeners ${afterRuns.listeners} (warm ${warm.listeners}), nodes ${afterRuns.nodes} (warm ${warm.nodes}), wasm ${afterRuns.wasm} B (warm ${warm.wasm} B)`);
});
