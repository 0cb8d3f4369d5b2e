// What the browser benchmarks share: the seeded Arabic comments (the same
// text for Khabar and for Isso), the statistics, and the A/B alternation,
// and the pages, with the loader a site's script tag loads.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The `i`th seeded comment: author and text. */
export const comment = (i) => ({
  author: `قارئ ${i}`,
  text: `تعليق رقم ${i}: نص قصير يشبه ما يكتبه القراء عادةً، بسطر واحد أو سطرين.`,
});

/** Posts `n` comments to Khabar's article `id` (16 at a time). */
export async function postComments(url, id, n) {
  await inParallel(n, async (i) => {
    const { author, text } = comment(i);
    const res = await fetch(`${url}api/v1/articles/${id}/comments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ author, email: '', website: '', idempotency_key: crypto.randomUUID(), body: text }),
    });
    if (res.status !== 201) throw new Error(`seeding comments: ${res.status} ${await res.text()}`);
  });
}

/** Runs `job(i)` for i < n, 16 at a time, in order of i. */
export async function inParallel(n, job) {
  let next = 0;
  const worker = async () => {
    while (next < n) await job(next++);
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

export const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
export const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
export const stats = (xs) => ({ median: median(xs), p10: pct(xs, 0.1), p90: pct(xs, 0.9), runs: xs.length });

/** A/B alternation: run i does both sides, in the order A, B then B, A. */
export async function alternate(runs, sides, measure) {
  const out = Object.fromEntries(sides.map((s) => [s, []]));
  for (let i = 0; i < runs; i++) {
    const order = i % 2 ? [...sides].reverse() : sides;
    for (const side of order) out[side].push(await measure(side));
  }
  return out;
}

/**
 * Writes the site the bench's pages are served from, in `into` (default
 * `target/bench/site`), and returns its absolute path, for the server's
 * `--www`: the demo's files (`www/`), the bench's pages under `pages/`
 * (bench/pages/*.html, and the demo page as demo.html) and the floor under
 * `baseline/`. The pages load the CDN bundle's loader (from `dist`'s
 * manifest) where they name the development loader `/khabar/khabar.js`: a
 * site's script tag loads that one bundled file, not the four unbundled
 * modules the demo serves, whose import chain alone delays the wasm by a
 * round trip per module. khabar-server serves the pages, the bundle (under
 * /khabar/, compressed as a CDN does, with `widgetDir: bundleDir(dist)`)
 * and the API itself, with no proxy in between, as a site would.
 */
export function benchSite(dist, into = join('target', 'bench', 'site')) {
  const manifest = JSON.parse(readFileSync(join(dist, 'cdn/manifest.json'), 'utf8'));
  const loader = `/khabar/${manifest.files['khabar.js'].file}`;
  rmSync(into, { recursive: true, force: true });
  cpSync('www', into, { recursive: true });
  cpSync(join('bench', 'baseline'), join(into, 'baseline'), { recursive: true });
  mkdirSync(join(into, 'pages'));
  const pages = readdirSync('bench/pages').filter((n) => n.endsWith('.html')).map((n) => [join('bench/pages', n), n]);
  for (const [from, name] of [...pages, [join('www', 'index.html'), 'demo.html']]) {
    writeFileSync(join(into, 'pages', name), readFileSync(from, 'utf8').replaceAll('/khabar/khabar.js', loader));
  }
  return resolve(into);
}

/** The folder the server serves under /khabar/ for the bench's pages: the CDN bundle. */
export const bundleDir = (dist) => resolve(dist, 'cdn');

/**
 * Runs `watch(done, fail, arg)` in the page's next document before its own
 * scripts (a function written out as source, so it uses nothing from here),
 * and returns a function that waits for what it reports. The answer is read
 * through the DevTools protocol: Playwright's `evaluate` and `waitForFunction`
 * first inject Playwright's own script, 4–5 ms of parsing on the page's main
 * thread that traces showed inside the very window being measured, and a
 * harness that only starts watching at the `load` event misses anything
 * that happened before it.
 */
export async function watchPage(context, page, watch, arg = null) {
  // The page's own document only (init scripts run in every frame).
  // A widget that shows an error, or a script that throws (the watch's
  // own steps run in frames and timers, where nothing else would see it),
  // ends the load with the reason at once instead of at the time limit.
  await page.addInitScript(`if (window === window.top) {
    window.__bench = new Promise((done, fail) => {
      addEventListener('error', (e) => fail(new Error('uncaught in the page: ' + e.message)));
      addEventListener('unhandledrejection', (e) => fail(new Error('unhandled rejection in the page: ' + e.reason)));
      addEventListener('khabar:error', (e) => fail(new Error('the widget failed: ' + e.detail?.code + ': ' + e.detail?.message)));
      (${watch})(done, fail, ${JSON.stringify(arg)});
    });
  }`);
  const cdp = await context.newCDPSession(page);
  return () => inPage(cdp, () => window.__bench);
}

/**
 * `fn(arg)` run in the page through the DevTools session `cdp`, awaited,
 * its value returned: Playwright's `evaluate` without Playwright's script
 * in the page (see [`watchPage`]), so that it counts in no time or heap
 * the bench reads. `fn` is written out as source and uses nothing from here.
 */
export async function inPage(cdp, fn, arg = null) {
  const { result, exceptionDetails } = await cdp.send('Runtime.evaluate', {
    expression: `(${fn})(${JSON.stringify(arg)})`, awaitPromise: true, returnByValue: true,
  });
  if (exceptionDetails) throw new Error(`in the page: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
  return result.value;
}
