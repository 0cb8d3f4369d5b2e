// Khabar's comment section side by side with Isso 0.14, the comment server a
// site would pick instead, in the same run (`cargo xtask bench --only isso`,
// or part of `cargo xtask bench`). Both are seeded with the same 100 and
// 1,000 Arabic comments; each run opens a comments-only page of each,
// alternating (A, B, B, A, …), in headless Chromium on loopback, and times
// from navigation start: the first comment in the DOM, and every comment in
// the DOM (Khabar paging 20 at a time like a reader pressing "more"; Isso
// loads a thread whole by default). Also: when every file and answer the
// first comment needed was in (resource timings: the rest is the page's own
// work), the code each downloads (gzip -9 of the files), the bytes the page
// received as served here, and long tasks.
//
//   node bench/isso.mjs --server-bin B --widget-dir D --dist DIST --isso BIN --runs 15 --out F
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { freePort, launchBrowser, startServer } from '../tests/e2e/helpers.mjs';
import { alternate, benchSite, comment, median, bundleDir, postComments, stats, watchPage } from './common.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => {
  if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1]]);
  return pairs;
}, []));
const RUNS = Number(args.runs ?? 15);
const SCALES = [100, 1000];
const ARTICLE = '2026-11-27-farmers-market';

process.env.KHABAR_SERVER_BIN = resolve(args['server-bin']);
// Both pages are served by khabar-server (Khabar's loading the CDN bundle,
// as a site's script tag does); each widget's files and answers come from
// its own server, with nothing in between.
process.env.KHABAR_WWW = benchSite(args.dist);
process.env.KHABAR_WIDGET_DIR = resolve(args['widget-dir']);

/** Starts Isso on a free port over a fresh database; `host` is the page's origin (Isso's CORS). */
async function startIsso(host) {
  const dir = mkdtempSync(join(tmpdir(), 'khabar-bench-isso-'));
  const port = await freePort();
  const conf = join(dir, 'isso.cfg');
  writeFileSync(conf, `[general]\ndbpath = ${join(dir, 'comments.db')}\nhost = ${host}\n\n`
    + `[server]\nlisten = http://127.0.0.1:${port}/\n\n[moderation]\nenabled = false\n\n[guard]\nenabled = false\n`);
  const child = spawn(resolve(args.isso), ['-c', conf, 'run'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => { log = (log + d).slice(-4000); });
  const url = `http://127.0.0.1:${port}/`;
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (await fetch(`${url}?uri=/nothing`).then(() => true, () => false)) {
      return { url, stop: () => { child.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); } };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`Isso did not start: ${log}`);
}

/** Posts `n` comments to Isso's thread `uri` through its API, in the seed's order. */
async function postToIsso(isso, uri, n) {
  // One at a time: Isso's SQLite writes are serial anyway, and the order
  // (oldest first) is then the same as Khabar's.
  for (let i = 0; i < n; i++) {
    const { author, text } = comment(i);
    const res = await fetch(`${isso.url}new?uri=${encodeURIComponent(uri)}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ author, text, title: 'سوق المزارعين' }),
    });
    if (!res.ok) throw new Error(`seeding Isso: ${res.status} ${await res.text()}`);
  }
}

/**
 * In the page, from its first script on: ms from navigation start to the
 * first comment in the DOM and to all `total`, and when every file and
 * answer the first comment needed was in.
 */
function watchComments(done, fail, { total, khabar }) {
  let first = null;
  let filesIn = null;
  const limit = setTimeout(() => fail(new Error('timed out')), 120_000);
  const tick = () => {
    const root = khabar ? document.getElementById('thread')?.shadowRoot : document;
    const items = root ? root.querySelectorAll(khabar ? 'li.comment' : '.isso-comment') : [];
    if (items.length && first === null) {
      first = performance.now();
      // When the last file or answer the first comment needed was in:
      // what comes after it is the page's own work.
      filesIn = Math.max(0, ...performance.getEntriesByType('resource').map((e) => e.responseEnd));
    }
    if (items.length >= total) { clearTimeout(limit); done({ first, filesIn, all: performance.now() }); return; }
    // Khabar pages like a reader: "more" once per page.
    const more = khabar && root?.querySelector('button.more-comments:not([hidden])');
    if (more && !more.disabled && more.dataset.pressedAt !== String(items.length)) {
      more.dataset.pressedAt = String(items.length);
      more.click();
    }
    requestAnimationFrame(tick);
  };
  tick();
}

/** One page load: ms from navigation start to the first comment and to `n` comments, bytes received, long tasks. */
async function measure(browser, url, side, n) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  let received = 0;
  cdp.on('Network.loadingFinished', (e) => { received += e.encodedDataLength; });
  await page.addInitScript(() => {
    window.__longtasks = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longtasks.push(e.duration); })
      .observe({ type: 'longtask', buffered: true });
  });
  const reported = await watchPage(context, page, watchComments, { total: n, khabar: side === 'khabar' });
  await page.goto(url);
  const times = await reported();
  await page.waitForTimeout(200); // the last frame's tasks are reported
  const longtasks = await page.evaluate(() => window.__longtasks);
  await context.close();
  return { ...times, received, longtasks };
}

async function main() {
  const server = await startServer({ args: ['--moderation', 'post', '--comment-rate', '0'], widgetDir: bundleDir(args.dist) });
  const isso = await startIsso(server.url.replace(/\/$/, ''));
  let browser;
  const results = {};
  try {
    // The same article under new ids, the same comments on both sides.
    const base = await (await fetch(`${server.url}api/v1/articles/${ARTICLE}`)).json();
    const importFile = join(server.dir, 'bench-isso.json');
    writeFileSync(importFile, JSON.stringify(SCALES.map((n) => ({ ...base, id: `isso-bench-${n}`, comment_count: 0 }))));
    server.cli('import', importFile);
    for (const n of SCALES) {
      process.stderr.write(`seeding ${n} comments in Khabar and in Isso…\n`);
      await postComments(server.url, `isso-bench-${n}`, n);
      await postToIsso(isso, `/isso-bench-${n}`, n);
    }

    // The code each side downloads for a comments-only page.
    const manifest = JSON.parse(readFileSync(join(args.dist, 'cdn/manifest.json'), 'utf8'));
    // Everything a comments page fetches (`dist` lists it: the loader, the
    // one catalog of its language, the comments page's module and glue).
    const khabarCode = manifest.comments_page.reduce((sum, name) => sum + manifest.files[name].gzip, 0);
    const issoJs = Buffer.from(await (await fetch(`${isso.url}js/embed.min.js`)).arrayBuffer());
    results.transfer_gzip = { khabar: khabarCode, isso: gzipSync(issoJs, { level: 9 }).length };

    browser = await launchBrowser();
    results.scales = {};
    for (const n of SCALES) {
      process.stderr.write(`${n} comments: ${RUNS} runs each…\n`);
      const pages = {
        khabar: `${server.url}pages/comments.html?article=isso-bench-${n}`,
        isso: `${server.url}pages/isso.html?isso=${encodeURIComponent(isso.url)}&thread=${encodeURIComponent(`/isso-bench-${n}`)}`,
      };
      const runs = await alternate(RUNS, ['khabar', 'isso'], (side) => measure(browser, pages[side], side, n));
      const side = (xs) => ({
        first_comment_ms: stats(xs.map((x) => x.first)),
        files_in_ms: stats(xs.map((x) => x.filesIn)),
        all_comments_ms: stats(xs.map((x) => x.all)),
        received_bytes: median(xs.map((x) => x.received)),
        long_tasks: median(xs.map((x) => x.longtasks.length)),
        longest_task_ms: median(xs.map((x) => Math.max(0, ...x.longtasks))),
      });
      results.scales[`c${n}`] = { khabar: side(runs.khabar), isso: side(runs.isso) };
    }
  } finally {
    await browser?.close();
    isso.stop();
    await server.stop();
    server.cleanup();
  }
  return results;
}

const results = await main();
const kb = (b) => `${(b / 1000).toFixed(1)} KB`;
const ms = (s) => `${s.median.toFixed(0)} ms (${s.p10.toFixed(0)}–${s.p90.toFixed(0)})`;
const rows = [['code transferred, gzip -9', kb(results.transfer_gzip.khabar), kb(results.transfer_gzip.isso)]];
for (const n of SCALES) {
  const { khabar, isso } = results.scales[`c${n}`];
  rows.push([`${n}: first comment, median (p10–p90)`, ms(khabar.first_comment_ms), ms(isso.first_comment_ms)]);
  rows.push([`${n}: … every file it needed in by`, ms(khabar.files_in_ms), ms(isso.files_in_ms)]);
  rows.push([`${n}: all comments in the DOM`, ms(khabar.all_comments_ms), ms(isso.all_comments_ms)]);
  rows.push([`${n}: bytes received as served here`, kb(khabar.received_bytes), kb(isso.received_bytes)]);
  rows.push([`${n}: long tasks, median (longest, median run)`, `${khabar.long_tasks} (${khabar.longest_task_ms.toFixed(0)} ms)`,
    `${isso.long_tasks} (${isso.longest_task_ms.toFixed(0)} ms)`]);
  results.scales[`c${n}`].first_comment_no_later_than_isso = khabar.first_comment_ms.median <= isso.first_comment_ms.median;
}
console.log(`\n${'Khabar vs Isso 0.14'.padEnd(46)} ${'Khabar'.padEnd(24)} Isso`);
for (const [name, k, i] of rows) console.log(`${name.padEnd(46)} ${String(k).padEnd(24)} ${i}`);
if (args.out) writeFileSync(args.out, `${JSON.stringify({ isso: results }, null, 2)}\n`);
