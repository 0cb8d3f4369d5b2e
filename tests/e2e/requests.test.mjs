// The one request path of both wasm modules, `request` in js/request.js
// (the loader hands it to each module), in Chromium against the real
// server: answers and refusals become the codes the widget reads
// (`WidgetError::from_code_string`), GETs of one URL share a request that
// ends when its last caller stops waiting, and the loader's early request
// is the one the widget reads. The time limit is in faults.test.mjs
// (`stall`), through the whole widget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, withBrowserAndServer } from './helpers.mjs';

const ARTICLE = '2026-11-28-transit-plan';
const OTHER = '2026-11-27-farmers-market';

let browser;
let server;
withBrowserAndServer((b, s) => { browser = b; server = s; });

/** A page of the server's origin with js/request.js imported as `window.khabarRequest`. */
async function requestPage() {
  const opened = await openPage(browser);
  await opened.page.goto(new URL('/khabar/request.js', server.url).href);
  await opened.page.evaluate(async () => { window.khabarRequest = await import('/khabar/request.js'); });
  return opened;
}

/** Each of `calls` (`[url, body]`) made in the page, as `{ ok: json }` or `{ failed: rejection }`. */
function outcomes(page, calls) {
  return page.evaluate((list) => Promise.all(list.map(([url, body]) => window.khabarRequest
    .request(url, body ?? undefined, new AbortController().signal)
    .then((ok) => ({ ok }), (failed) => ({ failed })))), calls);
}

const comment = (author, body) => JSON.stringify({
  author, body, idempotency_key: `requests-test-${Math.random().toString(36).slice(2, 12)}`,
});

test("the server's answers and refusals become the widget's codes", async () => {
  // (No console check here: Chromium logs every 4xx it loads.)
  const { page } = await requestPage();
  const comments = `/api/v1/articles/${ARTICLE}/comments`;
  const [article, missing, refused] = await outcomes(page, [
    [`/api/v1/articles/${ARTICLE}`],
    ['/api/v1/articles/no-such-article'],
    [comments, comment('', 'x')],
  ]);
  assert.equal(article.ok?.id, ARTICLE);
  assert.equal(missing.failed, 'not-found');
  // A 422 names each field, for the form to put its code by it.
  assert.match(String(refused.failed), /^refused:\S+=\S+ \S+=\S+$/);
  assert.deepEqual(refused.failed.slice('refused:'.length).split(' ').sort(), ['author=required', 'body=too_short']);

  // Past the per-client limit (5 a minute by default): the seconds of Retry-After.
  const sent = [];
  for (let i = 0; i < 7 && !sent.some((o) => o.failed); i++) {
    sent.push(...await outcomes(page, [[comments, comment('سارة', `تعليق رقم ${i} للاختبار`)]]));
  }
  assert.ok(sent[0].ok?.comment, JSON.stringify(sent[0]));
  const limited = sent.at(-1).failed;
  assert.match(String(limited), /^rate-limited:\d+$/, JSON.stringify(sent));
  const seconds = Number(limited.split(':')[1]);
  assert.ok(seconds >= 1 && seconds <= 60, limited);
});

test('broken answers each have their code', async () => {
  const { page } = await requestPage();
  const at = (path) => new URL(path, server.url).href;
  const answer = (path, status, body, headers = {}) => page.route(at(path), (route) => route.fulfill({
    status, body, headers: { 'content-type': 'application/json', ...headers },
  }));
  await answer('/api/v1/junk', 200, '<html>not json');
  await answer('/api/v1/huge', 200, JSON.stringify('x'.repeat(4.5 * 1024 * 1024)));
  await answer('/api/v1/down', 503, '{}');
  await answer('/api/v1/gone', 410, '{}');
  await answer('/api/v1/elsewhere', 403, '{}');
  await page.route(at('/api/v1/reset'), (route) => route.abort('connectionreset'));
  await answer('/api/v1/post-origin', 403, '{"error":{"code":"origin_not_allowed"}}');
  await answer('/api/v1/post-closed', 403, '{"error":{"code":"comments_closed"}}');
  await answer('/api/v1/post-date', 429, '{}', { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' });
  await answer('/api/v1/post-long', 429, '{}', { 'retry-after': '86400' });
  await answer('/api/v1/post-unreadable', 422, 'not json');
  await answer('/api/v1/post-odd', 422, JSON.stringify({ error: { fields: {
    body: { code: 'too_long' }, 'two words': { code: 'x' }, author: { code: 'a=b' }, email: {}, site: 'no object',
  } } }));
  const got = await outcomes(page, [
    ['/api/v1/junk'], ['/api/v1/huge'], ['/api/v1/down'], ['/api/v1/gone'], ['/api/v1/elsewhere'],
    ['/api/v1/reset'], ['/api/v1/post-origin', '{}'], ['/api/v1/post-closed', '{}'],
    ['/api/v1/post-date', '{}'], ['/api/v1/post-long', '{}'], ['/api/v1/post-unreadable', '{}'],
    ['/api/v1/post-odd', '{}'],
  ]);
  assert.match(String(got[0].failed), /^bad-response:not JSON: /);
  assert.deepEqual(got.slice(1).map((o) => o.failed), [
    'bad-response:response too large', 'server:503', 'not-found', 'not-allowed:url_not_allowed',
    'network', 'not-allowed:origin_not_allowed', 'comments-closed', 'rate-limited:30',
    'rate-limited:3600', 'refused:',
    // Words only: a field or code that could not be read back is left out;
    // a field without a code is "invalid".
    'refused:body=too_long email=invalid site=invalid',
  ]);
});

test('GETs of one URL share a request, which ends when the last caller stops waiting', async () => {
  const { page, problems } = await requestPage();
  const path = `/api/v1/articles/${ARTICLE}`;
  const seen = [];
  const failed = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname === path) seen.push(r.method()); });
  page.on('requestfailed', (r) => { if (new URL(r.url()).pathname === path) failed.push(r.failure()?.errorText); });
  // The answer waits half a second, so that both callers find it in flight.
  await page.route(new URL(path, server.url).href, async (route) => {
    await new Promise((r) => setTimeout(r, 500));
    await route.continue().catch(() => {}); // the page may have cancelled it meanwhile
  });
  const shared = await page.evaluate(async (url) => {
    const { request, inFlight } = window.khabarRequest;
    const a = new AbortController();
    const b = new AbortController();
    const settle = (p) => p.then((ok) => ({ ok: ok.id }), (failed) => ({ failed }));
    const first = settle(request(url, undefined, a.signal));
    const second = settle(request(url, undefined, b.signal));
    const during = inFlight();
    a.abort();
    return { during, first: await first, second: await second, after: inFlight() };
  }, path);
  assert.deepEqual(shared, { during: 1, first: { failed: 'aborted' }, second: { ok: ARTICLE }, after: 0 });
  assert.deepEqual(seen, ['GET'], 'one request for two callers');

  const alone = await page.evaluate(async (url) => {
    const { request, inFlight } = window.khabarRequest;
    const c = new AbortController();
    const waiting = request(url, undefined, c.signal).then((ok) => ({ ok }), (failed) => ({ failed }));
    setTimeout(() => c.abort(), 100);
    return { outcome: await waiting, after: inFlight() };
  }, path);
  assert.deepEqual(alone, { outcome: { failed: 'aborted' }, after: 0 });
  for (let i = 0; i < 50 && !failed.length; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(failed, ['net::ERR_ABORTED'], 'the request itself was cancelled');

  // The same when the GET has taken the loader's early request.
  const early = await page.evaluate(async (url) => {
    const { request, requestEarly, waitingEarly, inFlight } = window.khabarRequest;
    requestEarly(url);
    const c = new AbortController();
    const waiting = request(url, undefined, c.signal).then((ok) => ({ ok }), (failed) => ({ failed }));
    const taken = waitingEarly() === 0;
    setTimeout(() => c.abort(), 100);
    const outcome = await waiting;
    await new Promise((r) => setTimeout(r, 10));
    return { taken, outcome, after: inFlight() };
  }, path);
  assert.deepEqual(early, { taken: true, outcome: { failed: 'aborted' }, after: 0 });
  for (let i = 0; i < 50 && failed.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(failed, ['net::ERR_ABORTED', 'net::ERR_ABORTED'], 'the early request was cancelled too');
  assert.deepEqual(problems, []);
});

test("the loader's early request is the one the first GET reads", async () => {
  const { page, problems } = await requestPage();
  const path = `/api/v1/articles/${OTHER}`;
  let asked = 0;
  page.on('request', (r) => { if (new URL(r.url()).pathname === path) asked += 1; });
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === path);
  await page.evaluate((url) => { window.khabarRequest.requestEarly(url); window.khabarRequest.requestEarly(url); }, path);
  await (await answered).finished();
  const got = await page.evaluate(async (url) => {
    const { request, inFlight } = window.khabarRequest;
    await new Promise((r) => setTimeout(r, 50)); // read as it arrived
    const signal = new AbortController().signal;
    // A widget mounted with the first asks a task later (each renders in a
    // task of its own): it shares the answer, as it would share a request
    // still in flight.
    let together;
    setTimeout(() => { together = request(url, undefined, signal); }, 0);
    const first = await request(url, undefined, signal);
    await new Promise((r) => setTimeout(r, 0));
    const withIt = await together;
    await new Promise((r) => setTimeout(r, 10));
    const after = inFlight();
    const later = await request(url, undefined, signal);
    return { ids: [first.id, withIt.id, later.id], after };
  }, path);
  assert.deepEqual(got, { ids: [OTHER, OTHER, OTHER], after: 0 });
  assert.equal(asked, 2, 'the early request, then one of its own for a later GET');
  assert.deepEqual(problems, []);
});

test("a retry asks anew after an early answer that failed, its status's or its body's, not only its connection's", async () => {
  // (No console check: Chromium logs the 404s.)
  const { page } = await requestPage();
  const path = '/api/v1/articles/no-such-article/comments?limit=20&replies=20';
  const ours = (r) => new URL(r.url()).pathname === new URL(path, 'http://x').pathname;
  let asked = 0;
  page.on('request', (r) => { if (ours(r)) asked += 1; });
  const answered = page.waitForResponse(ours);
  await page.evaluate((url) => window.khabarRequest.requestEarly(url), path);
  await (await answered).finished();
  const again = page.waitForRequest(ours);
  const outcome = await page.evaluate(async (url) => {
    const { requestEarly, waitingEarly } = window.khabarRequest;
    await new Promise((r) => setTimeout(r, 50)); // its status read
    requestEarly(url); // a second placeholder: the same request
    requestEarly(url, true); // "retry": a new one
    return waitingEarly();
  }, path);
  await again;
  assert.equal(outcome, 1);
  assert.equal(asked, 2);
});

test('an early answer is read as it arrives: the GET that takes it has it within its own task', async () => {
  // (No console check: by the time this ends, Chromium has logged the 404
  // of the page's own favicon, which it asks for beside the script.)
  const { page } = await requestPage();
  const path = `/api/v1/articles/${OTHER}`;
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === path);
  await page.evaluate((url) => window.khabarRequest.requestEarly(url), path);
  await (await answered).finished();
  const order = await page.evaluate(async (url) => {
    const { request } = window.khabarRequest;
    // Let the loader's own reading finish (it has the bytes already).
    await new Promise((r) => setTimeout(r, 200));
    const seen = [];
    setTimeout(() => seen.push('next task'), 0);
    const article = await request(url, undefined, new AbortController().signal);
    seen.push(`answer ${article.id}`);
    await new Promise((r) => setTimeout(r, 0));
    return seen;
  }, path);
  // Read only once asked, the body took tasks of its own: a module's first
  // render then waited for them, and a frame between.
  assert.deepEqual(order, [`answer ${OTHER}`, 'next task']);
});

test('an early response no GET reads within a minute is let go, and a later GET asks again', async () => {
  const { page, problems } = await requestPage();
  // The page's clock also runs on by itself: the margins leave it seconds.
  await page.clock.install();
  const path = `/api/v1/articles/${ARTICLE}`;
  let asked = 0;
  page.on('request', (r) => { if (new URL(r.url()).pathname === path) asked += 1; });
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === path);
  await page.evaluate((url) => window.khabarRequest.requestEarly(url), path);
  await answered;
  assert.equal(await page.evaluate(() => window.khabarRequest.waitingEarly()), 1);
  await page.clock.runFor(45_000);
  assert.equal(await page.evaluate(() => window.khabarRequest.waitingEarly()), 1, 'kept for a minute');
  await page.clock.runFor(20_000);
  assert.equal(await page.evaluate(() => window.khabarRequest.waitingEarly()), 0, 'then let go');
  const id = await page.evaluate(async (url) => (await window.khabarRequest
    .request(url, undefined, new AbortController().signal)).id, path);
  assert.equal(id, ARTICLE);
  assert.equal(asked, 2, 'the GET made a request of its own');
  assert.deepEqual(problems, []);
});
