// What a first visit downloads and when: the core module at once, the
// article's request and the page's language catalog while that module is
// still on its way, the comments module (with its first page of comments)
// only once the comment section comes near the viewport; a page of comment
// sections alone, the comments page's module only; and a module that
// cannot load shows the network error with a retry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, startServer, widgetsSettled, withBrowserAndServer } from './helpers.mjs';

const ARTICLE = '2026-11-28-transit-plan';
const A = '[data-khabar="article"]';

let browser;
let server;
withBrowserAndServer((b, s) => { browser = b; server = s; });

test('the article is requested while the core module downloads; the comments module waits for the reader', async () => {
  const { page, problems } = await openPage(browser, { viewport: { width: 1000, height: 700 } });
  const log = [];
  page.on('request', (r) => log.push(`request ${new URL(r.url()).pathname}`));
  // The core module is held back until the article's request has started:
  // without the loader's early request this never happens, and the page
  // stays on its skeleton.
  let articleAsked;
  const asked = new Promise((resolve) => { articleAsked = resolve; });
  page.on('request', (r) => { if (r.url().includes(`/api/v1/articles/${ARTICLE}`)) articleAsked(); });
  await page.route('**/khabar_core_bg.wasm', async (route) => {
    const held = await Promise.race([asked.then(() => 'asked'), new Promise((r) => setTimeout(() => r('never'), 5000))]);
    log.push(`core module released: ${held}`);
    await route.continue();
  });
  await page.goto(`${server.url}?article=${ARTICLE}`);
  await widgetsSettled(page);
  assert.ok(log.includes('core module released: asked'), log.join('\n'));
  const articleRequests = log.filter((l) => l === `request /api/v1/articles/${ARTICLE}`);
  assert.equal(articleRequests.length, 1, `one request for the article, the early one: ${log.join('\n')}`);

  // Above the fold: the article; its comment section waits below.
  // The modules: each wasm and the comments module's glue (the core's is in the loader).
  const fetched = () => log.filter((l) => /\.wasm$|\/khabar_comments\.js$/.test(l)).map((l) => l.split('/').pop()).sort();
  assert.deepEqual(fetched(), ['khabar_core_bg.wasm']);
  assert.equal(await page.locator(`${A} >> .skeleton-comments[data-loads="near"]`).count(), 1);
  await page.waitForTimeout(300);
  assert.deepEqual(fetched(), ['khabar_core_bg.wasm'], 'nothing more while the reader stays at the top');

  // The reader scrolls down: the comments module comes, then the form.
  await page.mouse.wheel(0, 2500);
  await page.locator(`${A} >> form.comment-form`).waitFor();
  assert.deepEqual(fetched(), ['khabar_comments.js', 'khabar_comments_bg.wasm', 'khabar_core_bg.wasm']);
  assert.equal(await page.locator(`${A} >> .skeleton`).count(), 0);
  assert.deepEqual(problems, []);
});

test("an article's comment section asks for its first page of comments along with its module, not after it", async () => {
  const { page, problems } = await openPage(browser, { viewport: { width: 1000, height: 700 } });
  const firstPage = `/api/v1/articles/${ARTICLE}/comments?limit=20&replies=20`;
  const pages = [];
  let pageAsked;
  const asked = new Promise((resolve) => { pageAsked = resolve; });
  page.on('request', (r) => {
    const { pathname, search } = new URL(r.url());
    if (pathname + search === firstPage) { pages.push(r.url()); pageAsked(); }
  });
  // The comments module is held back until its first page has been asked
  // for: if the module asked for it itself, that would be only after it ran.
  const released = [];
  await page.route('**/khabar_comments_bg.wasm', async (route) => {
    released.push(await Promise.race([asked.then(() => 'asked'), new Promise((r) => setTimeout(() => r('never'), 5000))]));
    await route.continue();
  });
  await page.goto(`${server.url}?article=${ARTICLE}`);
  await widgetsSettled(page);
  assert.deepEqual(pages, [], 'nothing before the reader nears the section');
  await page.mouse.wheel(0, 2500);
  await page.locator(`${A} >> form.comment-form`).waitFor();
  await page.locator(A).locator('li.comment, .comments-empty').first().waitFor();
  assert.deepEqual(released, ['asked']);
  assert.equal(pages.length, 1, `one request for the first page, read by the module: ${pages.join('\n')}`);
  assert.deepEqual(problems, []);
});

test('the page fetches the catalogs of the languages its widgets speak, while the core module downloads', async () => {
  const { page, problems } = await openPage(browser);
  const catalogs = [];
  let catalogAsked;
  const asked = new Promise((resolve) => { catalogAsked = resolve; });
  page.on('request', (r) => {
    const name = new URL(r.url()).pathname.split('/').pop();
    if (name.endsWith('.json') && name.startsWith('khabar-')) {
      catalogs.push(name);
      catalogAsked();
    }
  });
  // Held back until the catalog's request has left: without the loader's
  // early request the wasm would ask for it only after it starts.
  let released;
  await page.route('**/khabar_core_bg.wasm', async (route) => {
    released = await Promise.race([asked.then(() => 'asked'), new Promise((r) => setTimeout(() => r('never'), 5000))]);
    await route.continue();
  });
  await page.goto(`${server.url}?article=${ARTICLE}`);
  await widgetsSettled(page);
  assert.equal(released, 'asked', 'the catalog was requested before the core module arrived');
  assert.deepEqual(catalogs, ['khabar-ar.json'], 'the demo page is Arabic: its catalog, once');

  // Two English widgets mounted later: the English catalog, once.
  const text = await page.evaluate(async () => {
    const { mount } = await import('/khabar/index.js');
    const hosts = [1, 2].map(() => document.body.appendChild(document.createElement('div')));
    const seen = hosts.map((host) => new Promise((resolve) => host.addEventListener('khabar:ready', resolve)));
    for (const host of hosts) mount(host, { kind: 'latest', limit: 2, lang: 'en', contentLang: 'any' });
    await Promise.all(seen);
    return hosts[0].shadowRoot.querySelector('h2').textContent;
  });
  assert.equal(text, 'Latest news');
  assert.deepEqual(catalogs, ['khabar-ar.json', 'khabar-en.json']);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a comments module that cannot load: the network error in its place, khabar:error "load", and a retry that works', async () => {
  const { page, problems } = await openPage(browser);
  let broken = true;
  // The reader is offline: the module and the first page of comments,
  // requested with it, both fail.
  await page.route('**/khabar_comments_bg.wasm', (route) => (broken ? route.abort('connectionrefused') : route.continue()));
  await page.route('**/api/v1/articles/*/comments?*', (route) => (broken ? route.abort('connectionrefused') : route.continue()));
  await page.addInitScript(() => {
    window.loadErrors = [];
    document.addEventListener('khabar:error', (e) => window.loadErrors.push(e.detail.code));
  });
  await page.goto(`${server.url}en/?article=2026-11-27-farmers-market`);
  await widgetsSettled(page);
  await page.mouse.wheel(0, 2500);
  const error = page.locator(`${A} >> [data-error-code="load"]`);
  await error.waitFor();
  assert.match(await error.textContent(), /Could not reach the news server/);
  assert.deepEqual(await page.evaluate(() => window.loadErrors), ['load']);
  assert.ok(problems.some((p) => p.includes('khabar: could not start') && p.includes('khabar_comments_bg.wasm')),
    problems.join('\n'));
  // The article itself is untouched.
  assert.equal(await page.locator(`${A} >> h1.headline`).count(), 1);

  broken = false;
  await page.locator(`${A} >> [data-error-code="load"] button.retry`).click();
  await page.locator(`${A} >> form.comment-form`).waitFor();
  assert.equal(await page.locator(`${A} >> [data-error-code]`).count(), 0);
  // Back online, the retry asked for the first page again: the list shows
  // (the section shows once its first page is in), not the failure of the
  // page asked for while offline.
  assert.equal(await page.locator(`${A} >> .list-error`).count(), 0);
  assert.equal(await page.locator(`${A} >> ol.comment-list > li`).count(), 1);
});

test('keyboard only: "retry" on a comment section that could not load keeps the focus in the section, on its heading once it shows', async () => {
  /** The focused element in `host`'s shadow root, as `name.class`. */
  const focused = (page, host) => page.evaluate((h) => {
    const a = document.querySelector(h).shadowRoot.activeElement;
    return a ? a.localName + (a.className ? `.${a.className}` : '') : document.activeElement?.localName;
  }, host);
  /** Presses "retry" in `host` from the keyboard while what failed still
   * fails (the new "retry" takes the focus), then once `broken` is healed
   * (the section shows, and its heading takes the focus). */
  const retryTwice = async (page, host, broken) => {
    await page.locator(`${host} >> button.retry`).focus();
    await page.evaluate((h) => { document.querySelector(h).shadowRoot.querySelector('button.retry').dataset.old = ''; }, host);
    const failed = broken.failed;
    await page.keyboard.press('Enter');
    await page.waitForFunction((h) => document.querySelector(h).shadowRoot.activeElement?.matches('button.retry:not([data-old])'), host);
    assert.ok(broken.failed > failed, 'the first press asked again');
    // Healed, but held for a moment: the skeleton has the focus meanwhile.
    let release;
    broken.held = new Promise((resolve) => { release = resolve; });
    broken.on = false;
    await page.keyboard.press('Enter');
    await page.waitForFunction((h) => document.querySelector(h).shadowRoot.activeElement?.matches('.skeleton'), host);
    release();
    await page.locator(`${host} >> form.comment-form`).waitFor();
    assert.equal(await focused(page, host), 'h2.comments-title');
  };
  /** Routes `pattern` to fail while `.on`, counting the failures; once
   * off, answers when the promise `.held` settles. */
  const breakRoute = async (page, pattern) => {
    const broken = { on: true, failed: 0, held: null };
    await page.route(pattern, async (route) => {
      if (!broken.on) return broken.held.then(() => route.continue());
      broken.failed++;
      return route.abort('connectionrefused');
    });
    return broken;
  };

  // An article's comment section whose module does not come.
  {
    const { page, problems } = await openPage(browser);
    const broken = await breakRoute(page, '**/khabar_comments_bg.wasm');
    await page.goto(`${server.url}en/?article=2026-11-27-farmers-market`);
    await widgetsSettled(page);
    await page.mouse.wheel(0, 2500);
    await page.locator(`${A} >> [data-error-code="load"]`).waitFor();
    await retryTwice(page, A, broken);
    assert.deepEqual(problems.filter((p) => !/could not start|ERR_CONNECTION_REFUSED/.test(p)), []);
    await page.close();
  }
  // A page of one comment section whose catalog does not come: the
  // widget's own "retry", then its skeleton, hold the focus.
  {
    const { page, problems } = await openPage(browser);
    const broken = await breakRoute(page, '**/khabar-en.json');
    const S = '[data-khabar="comments"]';
    await page.goto(await routePage(page, 'comments-retry.html', `<div data-khabar="comments" data-khabar-article-id="${ARTICLE}"></div>`));
    await page.locator(`${S} >> button.retry`).waitFor();
    await retryTwice(page, S, broken);
    assert.deepEqual(problems.filter((p) => !/khabar-en\.json|catalog could not load|ERR_CONNECTION_REFUSED/.test(p)), []);
    await page.close();
  }
});

test('"send to a friend" works through the comments module, fetched when a reader first opens the form; one that cannot load is told on the form, and the next "send" tries again', async () => {
  const mailing = await startServer({ args: ['--mail-outbox', '--mail-from', 'Desk <desk@news.test>'] });
  try {
    const { page, problems } = await openPage(browser);
    const fetched = modulesOf(page);
    let failing = true;
    let held = null; // a promise the module's request waits for
    await page.route('**/khabar_comments_bg.wasm', async (route) => {
      if (failing) return route.abort();
      await held;
      return route.continue();
    });
    await page.route('**/send-alone.html', (route) => route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>s</title></head>
<body><div data-khabar="actions" data-khabar-article-id="${ARTICLE}"></div><script type="module" src="/khabar/khabar.js"></script></body></html>`,
    }));
    await page.goto(`${mailing.url}send-alone.html`);
    const R = '[data-khabar="actions"]';
    const toggle = page.locator(`${R} >> button.send-toggle`);
    await toggle.waitFor();
    await page.waitForTimeout(500);
    assert.deepEqual(fetched, ['khabar_core_bg.wasm'], 'a first visit loads no comments module');

    await toggle.click();
    assert.equal(await page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.id), 'ks-from_name');
    await page.locator(`${R} >> #ks-from_name`).fill('سارة');
    await page.locator(`${R} >> #ks-from_email`).fill('sara@example.org');
    await page.locator(`${R} >> #ks-to_email`).fill('friend@example.net');
    await page.locator(`${R} >> #ks-message`).fill('اقرأ هذا');
    const status = page.locator(`${R} >> #kh-send .form-status`);
    // Opening the form started the module, which did not come: nothing is
    // said to a reader who has not pressed "send" yet.
    await page.waitForFunction(() => performance.getEntriesByType('resource')
      .some((e) => e.name.endsWith('khabar_comments_bg.wasm')));
    await page.waitForTimeout(300);
    assert.equal(await status.textContent(), '');
    // "Send" tries again, says it waits, and, failing, that the mail did
    // not go; what was typed is kept.
    const button = page.locator(`${R} >> #kh-send button.send`);
    await button.click();
    await status.filter({ hasText: 'لم يُرسل البريد، وما كتبته محفوظ' }).waitFor();
    assert.equal(await button.getAttribute('aria-disabled'), 'false');
    assert.equal(await page.locator(`${R} >> #ks-message`).inputValue(), 'اقرأ هذا');

    // Closed while "send" waits for the module: it closes, and the module
    // that comes after sends nothing.
    let release;
    held = new Promise((resolve) => { release = resolve; });
    failing = false;
    await button.click();
    assert.equal(await page.locator(`${R} >> #kh-send`).getAttribute('aria-busy'), 'true');
    await page.keyboard.press('Escape');
    assert.equal(await page.locator(`${R} >> #kh-send`).isHidden(), true, 'closed while waiting');
    release();
    await page.waitForFunction((r) => document.querySelector(r).shadowRoot
      .querySelector('#kh-send').getAttribute('aria-busy') === 'false', R);
    await page.waitForTimeout(300);
    const none = await (await fetch(new URL('/demo/outbox', mailing.url))).text();
    assert.equal(none.match(/<article class="comment mail"/g)?.length ?? 0, 0, 'nothing sent');

    await toggle.click();
    await button.click();
    await status.filter({ hasText: 'أُرسل الخبر إلى صديقك' }).waitFor();
    assert.ok(fetched.includes('khabar_comments_bg.wasm'), fetched.join());
    const outbox = await (await fetch(new URL('/demo/outbox', mailing.url))).text();
    assert.equal(outbox.match(/<article class="comment mail"/g)?.length, 1, 'one mail');
    // The form's checks are the module's too: a bad address is marked.
    await page.locator(`${R} >> #ks-to_email`).fill('friend@');
    await page.locator(`${R} >> #kh-send button.send`).click();
    await status.filter({ hasText: 'راجع الحقول المشار إليها.' }).waitFor();
    assert.equal(await page.locator(`${R} >> #ks-to_email`).getAttribute('aria-invalid'), 'true');
    assert.deepEqual(problems.filter((p) => !/khabar_comments_bg\.wasm|could not|ERR_FAILED/.test(p)), []);
    await page.close();
  } finally {
    await mailing.stop();
    mailing.cleanup();
  }
});

/** A page of `body` served as `/name` by the test's own route. */
async function routePage(page, name, body) {
  await page.route(`**/${name}`, (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>c</title></head>
<body>${body}<script type="module" src="/khabar/khabar.js"></script></body></html>`,
  }));
  return `${server.url}${name}`;
}

/** Keeps in `window.watched` the elements `page`'s observers of the
 * viewport still watch. */
async function watchObservers(page) {
  await page.addInitScript(() => {
    const Native = window.IntersectionObserver;
    window.watched = new Set();
    window.IntersectionObserver = class extends Native {
      #els = [];
      observe(el) { this.#els.push(el); window.watched.add(el); super.observe(el); }
      disconnect() { this.#els.forEach((el) => window.watched.delete(el)); super.disconnect(); }
    };
  });
}

/** The wasm files and lazy glue `page` requests, by name, in order. */
function modulesOf(page) {
  const fetched = [];
  page.on('request', (r) => {
    const name = new URL(r.url()).pathname.split('/').pop();
    if (/\.wasm$|^khabar_comments(_page)?\.js$/.test(name)) fetched.push(name);
  });
  return fetched;
}

test('a page of comment sections alone loads the comments page\'s module only, its first page of comments along with it', async () => {
  const { page, problems } = await openPage(browser);
  const fetched = modulesOf(page);
  // The module is held back until the first page has been asked for:
  // without the loader's early request, that happens only after it runs.
  let pageAsked;
  const asked = new Promise((resolve) => { pageAsked = resolve; });
  const pages = [];
  let released = false;
  page.on('request', (r) => {
    if (r.url().includes('/comments?')) { pages.push([new URL(r.url()).search, released]); pageAsked(); }
  });
  // What the loader fetches, in the order it asks (the browser may send
  // and report the requests in another). This build imports the glue
  // with import(), which no script sees: its order is `fetched`'s below.
  await page.addInitScript(() => {
    window.__asked = [];
    const fetch = window.fetch;
    window.fetch = function (input, ...rest) {
      window.__asked.push(String(input instanceof Request ? input.url : input));
      return fetch.call(this, input, ...rest);
    };
  });
  const log = [];
  await page.route('**/khabar_comments_page_bg.wasm', async (route) => {
    log.push(await Promise.race([asked.then(() => 'asked'), new Promise((r) => setTimeout(() => r('never'), 5000))]));
    released = true;
    await route.continue();
  });
  const url = await routePage(page, 'comments-only.html', `<div data-khabar="comments" data-khabar-article-id="${ARTICLE}"></div>
<khabar-widget kind="comments" article-id="${ARTICLE}" lang="fr"></khabar-widget>`);
  const events = [];
  await page.exposeFunction('seen', (e) => events.push(e));
  await page.addInitScript(() => {
    for (const type of ['khabar:ready', 'khabar:error']) document.addEventListener(type, (e) => window.seen([type, e.detail.kind ?? e.detail.code]));
  });
  await page.goto(url);
  await page.locator('[data-khabar="comments"] >> form.comment-form').waitFor();
  await page.locator('khabar-widget >> form.comment-form').waitFor();
  assert.deepEqual(log, ['asked']);
  // One request for the first page, made before the module even ran.
  assert.deepEqual(pages, [['?limit=20&replies=20', false]]);
  assert.deepEqual(fetched, ['khabar_comments_page.js', 'khabar_comments_page_bg.wasm']);
  // The module's wasm first (the largest file, the last in), then the
  // first page, then the catalogs of the two sections' languages.
  const order = (await page.evaluate(() => window.__asked)).map((u) => (u.includes('/comments?') ? 'first page' : new URL(u).pathname.split('/').pop()))
    .filter((n) => n === 'first page' || /^khabar_comments_page|^khabar-\w+\.json$/.test(n));
  assert.deepEqual(order, ['khabar_comments_page_bg.wasm', 'first page', 'khabar-en.json', 'khabar-fr.json']);
  assert.deepEqual(events, [['khabar:ready', 'comments'], ['khabar:ready', 'comments']]);
  // The same figures as any widget's: two alive.
  assert.equal((await page.evaluate(() => import('/khabar/khabar.js').then((k) => k.debugCounts())))[0], 2);

  // An article added later brings the core, which mounts it; the sections stay as they are.
  await page.evaluate((id) => {
    const el = document.createElement('div');
    el.dataset.khabar = 'article';
    el.dataset.khabarArticleId = id;
    document.body.prepend(el);
  }, ARTICLE);
  await page.locator('[data-khabar="article"] >> h1.headline').waitFor();
  // (and the article's own section, near the top of this short page, the comments module)
  assert.deepEqual(fetched.slice(0, 3), ['khabar_comments_page.js', 'khabar_comments_page_bg.wasm', 'khabar_core_bg.wasm']);
  assert.equal(await page.locator('[data-khabar="comments"] >> form.comment-form').count(), 1);
  assert.equal((await page.evaluate(() => import('/khabar/khabar.js').then((k) => k.debugCounts())))[0], 3);
  // The comments page's module carries the stylesheet without the core's
  // own rules (the article's, the lists', the actions'), and its section
  // looks the same as the one the core styles under the article.
  await page.locator('[data-khabar="article"] >> form.comment-form').waitFor();
  const alone = await sectionLook(page, '[data-khabar="comments"]');
  const underArticle = await sectionLook(page, '[data-khabar="article"]');
  assert.ok(!alone.sheet.includes('.headline') && !alone.sheet.includes('.share-menu'), 'no article or actions rules');
  assert.ok(underArticle.sheet.includes('.headline') && underArticle.sheet.includes('.share-menu'));
  assert.ok(alone.sheet.includes('.comment-form') && alone.sheet.includes('.more'));
  assert.deepEqual(alone.look, underArticle.look);
  assert.equal(alone.look.form[0], '16px', 'the form is styled');
  // `theme: auto` follows the page in both modules' widgets: the loader
  // watches the page and tells each running module (js/page.js).
  const themes = () => page.evaluate(() => Array.from(document.querySelectorAll('[data-khabar], khabar-widget'))
    .map((h) => h.shadowRoot?.querySelector('[data-kind]')?.getAttribute('data-theme')));
  assert.deepEqual(await themes(), ['light', 'light', 'light']);
  await page.evaluate(() => { document.documentElement.style.background = '#15171a'; });
  await page.waitForFunction(() => Array.from(document.querySelectorAll('[data-khabar], khabar-widget'))
    .every((h) => h.shadowRoot?.querySelector('[data-kind]')?.getAttribute('data-theme') === 'dark'));
  assert.deepEqual(await themes(), ['dark', 'dark', 'dark']);
  assert.deepEqual(problems, []);
});

/** The rules of the sheet a widget's shadow root adopted, and computed styles of its comment section. */
function sectionLook(page, selector) {
  return page.evaluate((selector) => {
    const root = document.querySelector(selector).shadowRoot;
    const of = (q, properties) => {
      const style = getComputedStyle(root.querySelector(q));
      return properties.map((p) => style.getPropertyValue(p));
    };
    return {
      sheet: root.adoptedStyleSheets.flatMap((s) => Array.from(s.cssRules, (r) => r.cssText)).join('\n'),
      look: {
        form: of('form.comment-form', ['padding-top', 'border-top-width', 'border-top-left-radius']),
        title: of('.comments-title', ['font-size', 'font-weight']),
        send: of('.send', ['background-color', 'color', 'padding-inline-start']),
        field: of('.field input', ['box-sizing', 'border-top-width', 'padding-top']),
        list: of('.comment-list', ['list-style-type', 'padding-inline-start']),
      },
    };
  }, selector);
}

test("a lazy comment section alone: its module waits until the reader nears it, and the core never comes", async () => {
  const { page, problems } = await openPage(browser, { viewport: { width: 1000, height: 700 } });
  const fetched = modulesOf(page);
  const url = await routePage(page, 'comments-lazy.html', `<div style="height: 4000px">the story</div>
<div data-khabar="comments" data-khabar-lazy data-khabar-article-id="${ARTICLE}"></div>`);
  await page.goto(url);
  await page.waitForLoadState('load');
  await page.waitForTimeout(500);
  assert.deepEqual(fetched, [], 'nothing while the section is far below');
  await page.mouse.wheel(0, 3500);
  await page.locator('[data-khabar="comments"] >> form.comment-form').waitFor();
  assert.deepEqual(fetched, ['khabar_comments_page.js', 'khabar_comments_page_bg.wasm']);
  assert.deepEqual(problems, []);
});

test('a page of lazy comment sections far below: a placeholder it adds later shows at once', async () => {
  const { page, problems } = await openPage(browser, { viewport: { width: 1000, height: 700 } });
  const url = await routePage(page, 'lazy-then-article.html', `<div id="top"></div><div style="height: 4000px">the story</div>
<div data-khabar="comments" data-khabar-lazy data-khabar-article-id="${ARTICLE}"></div>`);
  await page.goto(url);
  await page.waitForLoadState('load');
  // A single-page app puts an article at the top, where the reader is.
  await page.evaluate((id) => {
    const el = document.createElement('div');
    el.dataset.khabar = 'article';
    el.dataset.khabarArticleId = id;
    document.getElementById('top').append(el);
  }, ARTICLE);
  await page.locator(`${A} >> h1.headline`).waitFor({ timeout: 15_000 });
  // The section far below still waits for the reader.
  assert.equal(await page.locator('[data-khabar="comments"] >> form.comment-form').count(), 0);
  assert.deepEqual(problems, []);
});

test('lazy comment sections mounted by script: one taken down before the reader nears it loads nothing; one the core can show loads no third module', async () => {
  const { page, problems } = await openPage(browser, { viewport: { width: 1000, height: 700 } });
  const fetched = modulesOf(page);
  await page.route('**/lazy-api.html', (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>l</title></head>
<body><div id="top"></div><div style="height: 4000px">the story</div><div id="gone"></div><div id="kept"></div>
<script type="module">import * as k from '/khabar/index.js'; window.k = k; window.imported = true;</script></body></html>`,
  }));
  await watchObservers(page);
  await page.goto(`${server.url}lazy-api.html`);
  await page.waitForFunction(() => window.imported);
  // A section taken down while far below: its watch ends with it.
  const gone = await page.evaluate((id) => {
    const handle = k.mount(document.getElementById('gone'), { kind: 'comments', articleId: id, lazy: true });
    const watched = window.watched.has(document.getElementById('gone'));
    handle.destroy();
    return [watched, window.watched.has(document.getElementById('gone'))];
  }, ARTICLE);
  assert.deepEqual(gone, [true, false], 'watched, then not once destroyed');
  await page.mouse.wheel(0, 3500);
  await page.waitForTimeout(800);
  assert.deepEqual(fetched, [], 'nothing for a section that was taken down');
  await page.mouse.wheel(0, -3500);
  // A lazy section, then an article at the top: the core, started for the
  // article, shows the section when the reader gets there.
  await page.evaluate((id) => {
    k.mount(document.getElementById('kept'), { kind: 'comments', articleId: id, lazy: true });
    k.mount(document.getElementById('top'), { kind: 'article', articleId: id, lang: 'en' });
  }, ARTICLE);
  await page.locator('#top >> h1.headline').waitFor();
  await page.evaluate(() => document.getElementById('kept').scrollIntoView());
  await page.locator('#kept >> form.comment-form').waitFor();
  assert.ok(!fetched.some((f) => f.startsWith('khabar_comments_page')), fetched.join());
  assert.ok(fetched.includes('khabar_core_bg.wasm') && fetched.includes('khabar_comments_bg.wasm'), fetched.join());
  assert.deepEqual(problems, []);
  await page.close();
});

test('a lazy comment section still waiting, updated with lazy off (a framework prop known after hydration), loads and shows now, far below; its watch ends', async () => {
  const { page, problems } = await openPage(browser, { viewport: { width: 1000, height: 700 } });
  const fetched = modulesOf(page);
  await page.route('**/lazy-off.html', (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>l</title></head>
<body><div style="height: 4000px">the story</div><div id="far"></div>
<script type="module">import * as k from '/khabar/index.js'; window.k = k; window.imported = true;</script></body></html>`,
  }));
  await watchObservers(page);
  await page.goto(`${server.url}lazy-off.html`);
  await page.waitForFunction(() => window.imported);
  await page.evaluate((id) => {
    window.handle = k.mount(document.getElementById('far'), { kind: 'comments', articleId: id, lang: 'en', lazy: true });
  }, ARTICLE);
  await page.waitForTimeout(800);
  assert.deepEqual(fetched, [], 'lazy: nothing yet');
  const watched = await page.evaluate((id) => {
    window.handle.update({ kind: 'comments', articleId: id, lang: 'en', lazy: false });
    return window.watched.has(document.getElementById('far'));
  }, ARTICLE);
  assert.equal(watched, false, 'no watch left');
  await page.locator('#far >> form.comment-form').waitFor({ state: 'attached' });
  assert.equal(await page.evaluate(() => window.scrollY), 0, 'the reader did not scroll');
  assert.ok(fetched.some((f) => f.startsWith('khabar_comments_page')), fetched.join());

  // Again, with the core started meanwhile by an article above: the core
  // shows the section (the comments page's module, never started, does
  // not wait for it).
  fetched.length = 0;
  await page.goto(`${server.url}lazy-off.html`);
  await page.waitForFunction(() => window.imported);
  await page.evaluate((id) => {
    window.handle = k.mount(document.getElementById('far'), { kind: 'comments', articleId: id, lang: 'en', lazy: true });
    const top = document.createElement('div');
    top.id = 'top';
    document.body.prepend(top);
    k.mount(top, { kind: 'article', articleId: id, lang: 'en' });
  }, ARTICLE);
  await page.locator('#top >> h1.headline').waitFor();
  await page.evaluate((id) => window.handle.update({ kind: 'comments', articleId: id, lang: 'en', lazy: false }), ARTICLE);
  await page.locator('#far >> form.comment-form').waitFor({ state: 'attached' });
  assert.equal(await page.evaluate(() => window.scrollY), 0, 'the reader did not scroll');
  assert.ok(!fetched.some((f) => f.startsWith('khabar_comments_page')), fetched.join());

  // A <khabar-widget> far below that loses its lazy attribute, nothing
  // else on the page: its module loads now.
  fetched.length = 0;
  await page.goto(await routePage(page, 'lazy-tag.html',
    `<div style="height: 4000px">the story</div><khabar-widget kind="comments" article-id="${ARTICLE}" lang="en" lazy></khabar-widget>`));
  await page.waitForTimeout(800);
  assert.deepEqual(fetched, [], 'lazy: nothing yet');
  await page.evaluate(() => document.querySelector('khabar-widget').removeAttribute('lazy'));
  await page.locator('khabar-widget >> form.comment-form').waitFor({ state: 'attached' });
  assert.equal(await page.evaluate(() => window.scrollY), 0, 'the reader did not scroll');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a destroyed widget stays down: update() on its handle or on its framework host loads and shows nothing', async () => {
  const { page, problems } = await openPage(browser);
  const fetched = modulesOf(page);
  const asked = [];
  page.on('request', (r) => { if (r.url().includes('/api/v1/')) asked.push(r.url()); });
  await page.route('**/destroyed.html', (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>d</title></head>
<body><div style="height: 4000px">the story</div><div id="one"></div><div id="two"></div>
<script type="module">import * as k from '/khabar/index.js'; window.k = k; window.imported = true;</script></body></html>`,
  }));
  await page.goto(`${server.url}destroyed.html`);
  await page.waitForFunction(() => window.imported);
  await page.evaluate((id) => {
    const handle = k.mount(document.getElementById('one'), { kind: 'comments', articleId: id, lazy: true });
    handle.destroy();
    // Another kind: before, the handle went over to the core, which started.
    handle.update({ kind: 'article', articleId: id, lang: 'en' });
    const host = k.mountComponent(document.getElementById('two'), { kind: 'comments', articleId: id, lazy: true }, () => {});
    host.destroy();
    host.update({ kind: 'article', articleId: id, lang: 'en' });
  }, ARTICLE);
  await page.evaluate(() => document.getElementById('two').scrollIntoView());
  await page.waitForTimeout(1000);
  assert.deepEqual(fetched, [], 'no module');
  assert.deepEqual(asked, [], 'no request to the API');
  const shown = await page.evaluate(() => ['one', 'two'].map((id) => document.getElementById(id).childNodes.length));
  assert.deepEqual(shown, [0, 0]);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a new colour scheme alone (a framework\'s dark-mode prop) is applied without a reload: a half-filled form and its text stay', async () => {
  const mailing = await startServer({ args: ['--mail-outbox', '--mail-from', 'Desk <desk@news.test>'] });
  try {
  const { page, problems } = await openPage(browser);
  const asked = [];
  page.on('request', (r) => { if (r.url().includes('/api/v1/')) asked.push(r.url()); });
  await page.route('**/restyled.html', (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>r</title></head>
<body><div id="story"></div><div id="talk"></div>
<script type="module">import * as k from '/khabar/index.js'; window.k = k; window.imported = true;</script></body></html>`,
  }));
  await page.goto(`${mailing.url}restyled.html`);
  await page.waitForFunction(() => window.imported);
  await page.evaluate((id) => {
    window.hosts = ['story', 'talk'].map((el, i) => k.mountComponent(document.getElementById(el),
      { kind: i ? 'comments' : 'article', articleId: id, lang: 'en', theme: 'light' }, () => {}));
  }, ARTICLE);
  await page.locator('#talk >> #kc-body').fill('Half a thought about the plan');
  await page.locator('#story >> button.send-toggle').click();
  await page.locator('#story >> #ks-message').fill('Read this one');
  const themes = () => page.evaluate(() => ['story', 'talk'].map((id) =>
    document.getElementById(id).shadowRoot.querySelector('[data-theme]')?.getAttribute('data-theme')));
  assert.deepEqual(await themes(), ['light', 'light']);
  const before = asked.length;
  await page.evaluate((id) => window.hosts.forEach((host, i) =>
    host.update({ kind: i ? 'comments' : 'article', articleId: id, lang: 'en', theme: 'dark' })), ARTICLE);
  assert.deepEqual(await themes(), ['dark', 'dark']);
  assert.equal(await page.locator('#talk >> #kc-body').inputValue(), 'Half a thought about the plan');
  assert.equal(await page.locator('#story >> #ks-message').inputValue(), 'Read this one');
  await page.waitForTimeout(300);
  assert.deepEqual(asked.slice(before), [], 'nothing asked again');
  // Another option still reloads: the article in another language.
  const reloaded = page.waitForRequest((r) => r.url().endsWith(`/api/v1/articles/${ARTICLE}`));
  await page.evaluate((id) => window.hosts[0].update({ kind: 'article', articleId: id, lang: 'ar', theme: 'dark' }), ARTICLE);
  await page.waitForFunction(() => document.getElementById('story').shadowRoot.querySelector('[data-theme]')?.getAttribute('lang') === 'ar');
  await reloaded;
  // A reload: the form and what was typed in it are gone (the new story's
  // row may already have its own, empty and closed).
  const typed = () => page.evaluate(() => document.getElementById('story').shadowRoot.querySelector('#ks-message')?.value ?? '');
  assert.equal(await typed(), '', 'a reload: the typed note is gone');
  await page.locator('#story >> h1.headline').waitFor();
  assert.equal(await typed(), '', 'and stays gone once the story is back');
  assert.deepEqual(problems, []);
  await page.close();
  } finally {
    await mailing.stop();
    mailing.cleanup();
  }
});

test('placeholders saved with the mounted mark (as a prerenderer writes the page) are mounted all the same', async () => {
  const { page, problems } = await openPage(browser);
  const url = await routePage(page, 'saved.html', `<div data-khabar="article" data-khabar-mounted="" data-khabar-article-id="${ARTICLE}"></div>
<div data-khabar="comments" data-khabar-mounted="" data-khabar-article-id="${ARTICLE}"></div>`);
  await page.goto(url);
  await page.locator('[data-khabar="article"] >> h1.headline').waitFor();
  await page.locator('[data-khabar="comments"] >> form.comment-form').waitFor();
  const url2 = await routePage(page, 'saved-comments.html', `<div data-khabar="comments" data-khabar-mounted="" data-khabar-article-id="${ARTICLE}"></div>`);
  await page.goto(url2);
  await page.locator('[data-khabar="comments"] >> form.comment-form').waitFor();
  assert.deepEqual(problems, []);
});

test("a comments page's module that cannot load: the core shows the section, with the comments module's failure and a retry", async () => {
  const { page, problems } = await openPage(browser);
  const fetched = modulesOf(page);
  await page.route('**/khabar_comments_page_bg.wasm', (route) => route.abort('connectionrefused'));
  let broken = true;
  await page.route('**/khabar_comments_bg.wasm', (route) => (broken ? route.abort('connectionrefused') : route.continue()));
  const url = await routePage(page, 'comments-fallback.html', `<div data-khabar="comments" data-khabar-article-id="${ARTICLE}"></div>`);
  await page.goto(url);
  const S = '[data-khabar="comments"]';
  const error = page.locator(`${S} >> [data-error-code="load"]`);
  await error.waitFor();
  assert.match(await error.textContent(), /Could not reach the news server/);
  assert.ok(problems.some((p) => p.includes('khabar: could not start') && p.includes('khabar_comments_page_bg.wasm')), problems.join('\n'));
  broken = false;
  await page.locator(`${S} >> [data-error-code="load"] button.retry`).click();
  await page.locator(`${S} >> form.comment-form`).waitFor();
  assert.ok(fetched.includes('khabar_core_bg.wasm') && fetched.includes('khabar_comments_bg.wasm'), fetched.join());
});

test("`ready` resolves once the core runs, when the comments page's module it waited for first fails after that", async () => {
  const { page, problems } = await openPage(browser);
  // The comment section asks for the comments page's module first; it is
  // held, then refused once the core, started for an article, runs.
  let refuse;
  const refused = new Promise((r) => { refuse = r; });
  await page.route('**/khabar_comments_page_bg.wasm', async (route) => { await refused; await route.abort('connectionrefused'); });
  await page.route('**/ready-after.html', (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>r</title></head>
<body><div id="story"></div><div id="thread"></div>
<script type="module">import * as k from '/khabar/index.js'; window.k = k; window.imported = true;</script></body></html>`,
  }));
  await page.goto(`${server.url}ready-after.html`);
  await page.waitForFunction(() => window.imported);
  await page.evaluate((id) => {
    window.settled = 'pending';
    k.ready.then(() => { window.settled = 'resolved'; }, (e) => { window.settled = `rejected: ${e.code}`; });
    k.mount(document.getElementById('thread'), { kind: 'comments', articleId: id, lang: 'en' });
    k.mount(document.getElementById('story'), { kind: 'article', articleId: id, lang: 'en' });
  }, ARTICLE);
  await page.locator('#story >> h1.headline').waitFor();
  assert.equal(await page.evaluate(() => window.settled), 'pending', 'the comments page\'s module came first');
  refuse();
  // The core shows the section instead, and `ready` says the widget runs.
  await page.locator('#thread >> form.comment-form').waitFor();
  await page.waitForFunction(() => window.settled !== 'pending', null, { timeout: 5_000 }).catch(() => {});
  assert.equal(await page.evaluate(() => window.settled), 'resolved');
  // Only the refused module's two lines: the network's and the loader's.
  assert.ok(problems.every((p) => /ERR_CONNECTION_REFUSED|could not start \S+khabar_comments_page_bg\.wasm/.test(p)), problems.join('\n'));
  await page.close();
});

test('a core that cannot start, asked for by a page of comment sections: a placeholder added later is told (khabar:error "load")', async () => {
  const { page, problems } = await openPage(browser);
  await page.route('**/khabar_core_bg.wasm', (route) => route.abort('connectionrefused'));
  await page.addInitScript(() => {
    window.loadErrors = [];
    document.addEventListener('khabar:error', (e) => window.loadErrors.push([e.target.id, e.detail.code]));
  });
  const S = '[data-khabar="comments"]';
  await page.goto(await routePage(page, 'comments-then-card.html', `<div id="c" data-khabar="comments" data-khabar-article-id="${ARTICLE}"></div>`));
  await page.locator(`${S} >> form.comment-form`).waitFor();
  // The page adds a card: the comments page's module asks for the core,
  // which does not come.
  await page.evaluate((id) => {
    const card = document.body.appendChild(document.createElement('div'));
    Object.assign(card, { id: 'card' });
    card.dataset.khabar = 'card';
    card.dataset.khabarArticleId = id;
  }, ARTICLE);
  await page.waitForFunction(() => window.loadErrors.length > 0);
  await page.waitForTimeout(300); // and nothing more
  assert.deepEqual(await page.evaluate(() => window.loadErrors), [['card', 'load']]);
  assert.ok(problems.some((p) => p.includes('khabar: could not start') && p.includes('khabar_core_bg.wasm')), problems.join('\n'));
  // The section goes on.
  assert.equal(await page.locator(`${S} >> form.comment-form`).count(), 1);
  await page.close();
});

test('a core that cannot start, with no module running: placeholders the page adds later are told too (khabar:error "load")', async () => {
  const { page, problems } = await openPage(browser);
  await page.route('**/khabar_core_bg.wasm', (route) => route.abort('connectionrefused'));
  await page.addInitScript(() => {
    window.loadErrors = [];
    document.addEventListener('khabar:error', (e) => window.loadErrors.push([e.target.id, e.detail.code]));
  });
  await page.goto(await routePage(page, 'article-then-more.html', `<div id="story" data-khabar="article" data-khabar-article-id="${ARTICLE}"></div>`));
  await page.waitForFunction(() => window.loadErrors.length > 0);
  // As a page that swaps its content in (a single-page app) adds them: one
  // inside a new subtree, one that becomes a placeholder once in the page.
  await page.evaluate((id) => {
    const box = document.body.appendChild(document.createElement('section'));
    box.innerHTML = `<p id="plain">text</p><div id="card" data-khabar="card" data-khabar-article-id="${id}"></div>`;
    const later = document.body.appendChild(Object.assign(document.createElement('div'), { id: 'latest' }));
    setTimeout(() => { later.dataset.khabar = 'latest'; }, 50);
  }, ARTICLE);
  await page.waitForFunction(() => window.loadErrors.length > 2);
  // Each once: put back in the page or marked again, they are not told
  // again, and a placeholder added after them is (the page's changes are
  // seen in order).
  await page.evaluate(() => {
    const card = document.querySelector('#card');
    card.remove();
    document.body.append(card);
    document.querySelector('#latest').dataset.khabar = 'latest';
    document.body.insertAdjacentHTML('beforeend', '<div id="last" data-khabar="latest"></div>');
  });
  await page.waitForFunction(() => window.loadErrors.length > 3);
  assert.deepEqual(await page.evaluate(() => window.loadErrors), [['story', 'load'], ['card', 'load'], ['latest', 'load'], ['last', 'load']]);
  assert.ok(problems.some((p) => p.includes('khabar: could not start') && p.includes('khabar_core_bg.wasm')), problems.join('\n'));
  await page.close();
});

test('placeholders on elements that cannot hold a shadow root (a list of cards in <li>, a table cell) show their widgets', async () => {
  const { page, problems } = await openPage(browser);
  await page.goto(await routePage(page, 'cards-in-a-list.html', `
    <ul id="cards"><li data-khabar="card" data-khabar-article-id="${ARTICLE}"></li><li data-khabar="latest" data-khabar-limit="2"></li></ul>
    <table><tr><td id="cell" data-khabar="card" data-khabar-article-id="${ARTICLE}"></td></tr></table>`));
  const shown = (selector) => page.waitForFunction((s) => document.querySelector(s)
    ?.querySelector(':scope > [data-khabar-box]')?.shadowRoot?.querySelector('.card-title, li a'), selector);
  await shown('#cards > li:nth-child(1)');
  await shown('#cards > li:nth-child(2)');
  await shown('#cell');
  // Once each: the page's own changes mount nothing again.
  await page.evaluate(() => document.body.append(document.createElement('p')));
  await page.waitForTimeout(200);
  assert.deepEqual(await page.evaluate(() => [...document.querySelectorAll('[data-khabar]')]
    .map((el) => [el.hasAttribute('data-khabar-mounted'), el.querySelectorAll('[data-khabar-box]').length])),
  [[true, 1], [true, 1], [true, 1]]);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a handle mounted before the module ran, with options it then refuses, is told so and shows why; its next update() mounts it', async () => {
  const { page, problems } = await openPage(browser);
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await page.route('**/khabar_core_bg.wasm', async (route) => { await held; await route.continue(); });
  await page.addInitScript(() => {
    window.errors = [];
    document.addEventListener('khabar:error', (e) => window.errors.push(e.detail.code));
  });
  await page.goto(await routePage(page, 'refused-early.html', '<div id="mine"></div>'));
  await page.evaluate(async () => {
    const { mount } = await import('/khabar/khabar.js');
    window.mine = mount(document.querySelector('#mine'), { kind: 'article' }); // no articleId
  });
  release();
  await page.waitForFunction(() => window.errors.length > 0);
  assert.deepEqual(await page.evaluate(() => window.errors), ['config']);
  // Not an empty box: the widget says what is wrong, as a placeholder's does.
  const shown = page.locator('#mine >> [role="alert"][data-error-code="config"]');
  await shown.waitFor();
  assert.match(await shown.innerText(), /\S/);
  await page.evaluate((id) => window.mine.update({ kind: 'article', articleId: id }), ARTICLE);
  await page.locator('#mine >> h1.headline').waitFor();
  assert.deepEqual(problems.filter((p) => !p.includes('khabar: ')), []);
  await page.close();
});

test('widgets render without Intl: "5 minutes ago" and datelines in the reader\'s zone come from the catalog, a comment\'s exact time when a reader points at it', async () => {
  const own = await startServer({ args: ['--moderation', 'post', '--comment-rate', '0'] });
  try {
    const posted = await fetch(`${own.url}api/v1/articles/${ARTICLE}/comments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ author: 'Lina', email: '', website: '', idempotency_key: crypto.randomUUID(), body: 'A comment with a time.' }),
    });
    assert.equal(posted.status, 201);
    const { page, problems } = await openPage(browser);
    // Every Intl object the page makes, by kind: the first one costs the
    // browser's locale and time-zone set-up (bench/README.md).
    await page.addInitScript(() => {
      window.intlMade = [];
      for (const kind of ['DateTimeFormat', 'NumberFormat', 'RelativeTimeFormat', 'PluralRules']) {
        Intl[kind] = new Proxy(Intl[kind], {
          construct(target, args) { window.intlMade.push(kind); return Reflect.construct(target, args); },
        });
      }
    });
    await page.route('**/lists-and-comments.html', (route) => route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>l</title></head>
<body><div data-khabar="latest" data-khabar-limit="3" data-khabar-comment-counts></div>
<div data-khabar="comments" data-khabar-article-id="${ARTICLE}"></div><script type="module" src="/khabar/khabar.js"></script></body></html>`,
    }));
    await page.goto(`${own.url}lists-and-comments.html`);
    const time = page.locator('[data-khabar="comments"] >> li.comment time').first();
    await time.waitFor();
    await page.locator('[data-khabar="latest"] >> .comment-count').first().waitFor();
    assert.match(await time.textContent(), /^(just now|\d+ seconds? ago)$/);
    const cardTimes = await page.locator('[data-khabar="latest"] >> time').allTextContents();
    assert.equal(cardTimes.length, 3);
    for (const t of cardTimes) assert.match(t, /^(\d+ (minute|hour|day|week|month|year)s? ago|yesterday|last (week|month|year))$/);
    assert.match(await page.locator('[data-khabar="comments"] >> .comments-total').textContent(), /^ \(\d+\)$/);
    assert.equal(await time.getAttribute('title'), null);
    assert.deepEqual(await page.evaluate(() => window.intlMade), [], 'no Intl object before a reader asks');

    await time.hover();
    const year = String(new Date().getFullYear());
    assert.match(await time.getAttribute('title') ?? '', new RegExp(`^\\w+day, \\w+ \\d+, ${year} at \\d+:\\d\\d [AP]M$`));
    assert.equal(await time.getAttribute('data-exact'), await time.getAttribute('title'));
    assert.deepEqual(await page.evaluate(() => window.intlMade), [], 'a Gregorian dateline in the reader\'s zone: the catalog\'s');

    // An article: its dateline from the catalog too, unless the page names
    // a time zone (or another calendar), which only Intl can write.
    for (const [attributes, made] of [['', []], ['data-khabar-time-zone="Asia/Amman"', ['DateTimeFormat', 'DateTimeFormat']]]) {
      await page.route('**/article-page.html', (route) => route.fulfill({
        contentType: 'text/html; charset=utf-8',
        body: `<!doctype html><html lang="ar"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>a</title></head>
<body><div data-khabar="article" data-khabar-article-id="${ARTICLE}" ${attributes}></div><script type="module" src="/khabar/khabar.js"></script></body></html>`,
      }));
      await page.goto(`${own.url}article-page.html`);
      const dateline = page.locator('[data-khabar="article"] >> .published time');
      await dateline.waitFor();
      assert.match(await dateline.textContent(), /^[^،]+، [٠-٩]+ [^ ]+ [٠-٩]{4} في [٠-٩]+:[٠-٩]{2} [صم]$/, attributes);
      assert.deepEqual(await page.evaluate(() => window.intlMade), made, attributes || 'no zone');
      await page.unroute('**/article-page.html');
    }
    assert.deepEqual(problems, []);
  } finally {
    await own.stop();
    own.cleanup();
  }
});

test('a widget mounted again after its first went, while the first\'s early request had failed, asks anew instead of showing that failure', async () => {
  const { page, problems } = await openPage(browser);
  const SECOND = '2026-11-27-farmers-market';
  // Each article's first request fails (a moment offline); the next comes.
  const calls = new Map();
  await page.route(/\/api\/v1\/articles\/[^/?]+$/, (route) => {
    const id = new URL(route.request().url()).pathname.split('/').pop();
    calls.set(id, (calls.get(id) ?? 0) + 1);
    return calls.get(id) === 1 ? route.abort('internetdisconnected') : route.continue();
  });
  // The core is held back until the test lets it go.
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  await page.route('**/khabar_core_bg.wasm', async (route) => { await released; await route.continue(); });
  await page.route('**/remount-offline.html', (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><link rel="icon" href="data:,"></head>
      <body><div id="a"></div><div id="b"></div><div id="c"></div><div id="d"></div><script type="module">
        import { mount } from '/khabar/khabar.js';
        window.k = { mount };
        // The first views, each of an article, go before the module runs.
        window.first = [mount(document.getElementById('a'), { kind: 'article', articleId: '${ARTICLE}' }),
          mount(document.getElementById('c'), { kind: 'article', articleId: '${SECOND}' })];
      </script></body></html>`,
  }));
  await page.goto(`${server.url}remount-offline.html`);
  await page.waitForFunction(() => window.first);
  for (let i = 0; i < 100 && !(calls.get(ARTICLE) && calls.get(SECOND)); i++) await page.waitForTimeout(50);
  assert.equal(calls.get(ARTICLE), 1);
  assert.equal(calls.get(SECOND), 1);
  // Both early requests have failed; the views go, and the first comes
  // back (a single-page app's route) while the module is still on its way.
  await page.evaluate(async () => {
    await new Promise((r) => setTimeout(r, 100));
    for (const h of window.first) h.destroy();
    window.k.mount(document.getElementById('b'), { kind: 'article', articleId: '2026-11-28-transit-plan' });
  });
  release();
  await page.locator('#b >> h1.headline').waitFor();
  assert.equal(calls.get(ARTICLE), 2);
  assert.equal(calls.get(SECOND), 1, 'a widget asks anew for its own request only');
  // The second comes back once the module runs.
  await page.evaluate(() => window.k.mount(document.getElementById('d'), { kind: 'article', articleId: '2026-11-27-farmers-market' }));
  await page.locator('#d >> h1.headline').waitFor();
  assert.equal(calls.get(SECOND), 2);
  assert.equal(await page.locator('#a >> h1.headline').count(), 0);
  assert.deepEqual(problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|network error/.test(p)), []);
  await page.close();
});

test("two comment sections of one article, one of them in a language whose catalog comes late: the first page is asked for once, before the module runs", async () => {
  const { page, problems } = await openPage(browser);
  const pages = [];
  page.on('request', (r) => { if (r.url().includes('/comments?')) pages.push(new URL(r.url()).search); });
  // The French catalog comes well after the module has run and the
  // English section has read the early answer (a slow or busy network).
  let frenchAsked;
  const french = new Promise((resolve) => { frenchAsked = resolve; });
  await page.route('**/khabar-fr.json', async (route) => {
    frenchAsked();
    await page.locator('[data-khabar="comments"] >> form.comment-form').waitFor();
    await new Promise((r) => setTimeout(r, 300));
    await route.continue();
  });
  const url = await routePage(page, 'late-catalog.html', `<div data-khabar="comments" data-khabar-article-id="${ARTICLE}"></div>
<khabar-widget kind="comments" article-id="${ARTICLE}" lang="fr"></khabar-widget>`);
  await page.goto(url);
  await french;
  await page.locator('khabar-widget >> form.comment-form').waitFor();
  await widgetsSettled(page);
  assert.deepEqual(pages, ['?limit=20&replies=20']);
  assert.equal(await page.locator('khabar-widget >> .comment').count(), await page.locator('[data-khabar="comments"] >> .comment').count());
  assert.deepEqual(problems, []);
  await page.close();
});

test("a first page that failed early is asked for anew by \"retry\", also while another section's catalog is still on its way", async () => {
  const { page, problems } = await openPage(browser);
  const pages = [];
  let first = true;
  await page.route('**/comments?limit=20&replies=20', (route) => {
    pages.push(route.request().url());
    if (first) { first = false; return route.abort('internetdisconnected'); }
    return route.continue();
  });
  let releaseFrench;
  const french = new Promise((resolve) => { releaseFrench = resolve; });
  await page.route('**/khabar-fr.json', async (route) => { await french; await route.continue(); });
  const url = await routePage(page, 'early-failed.html', `<div data-khabar="comments" data-khabar-article-id="${ARTICLE}"></div>
<khabar-widget kind="comments" article-id="${ARTICLE}" lang="fr"></khabar-widget>`);
  await page.goto(url);
  const retry = page.locator('[data-khabar="comments"] >> button.retry');
  await retry.waitFor();
  await retry.click();
  // Asked anew (the French catalog still held), and shown.
  await page.locator('[data-khabar="comments"] >> form.comment-form').waitFor();
  assert.equal(pages.length, 2);
  releaseFrench();
  await page.locator('khabar-widget >> form.comment-form').waitFor();
  assert.deepEqual(problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|network error|Failed to fetch/.test(p)), []);
  await page.close();
});
