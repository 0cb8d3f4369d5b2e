// The browser half of `cargo xtask bench`: headless Chromium against the
// real server on loopback, the widget and the vanilla floor alternated A/B
// in the same run. Prints a table; writes JSON (keys in bench/README.md).
//
//   node bench/browser.mjs --server-bin B --widget-dir D --dist DIST --runs 15 --out F
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchBrowser, startServer } from '../tests/e2e/helpers.mjs';
import { alternate, median, benchSite, bundleDir, postComments, inPage, stats, watchPage } from './common.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => {
  if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1]]);
  return pairs;
}, []));
const RUNS = Number(args.runs ?? 15);
const ARTICLE = '2026-11-27-farmers-market';
const SCALES = [100, 1000, 10000];

// The end-to-end suite's helpers start the server and the browser.
process.env.KHABAR_SERVER_BIN = resolve(args['server-bin']);
// The pages (loading the CDN bundle, as a site's script tag does) and the
// floor, served by khabar-server with its API.
process.env.KHABAR_WWW = benchSite(args.dist);
process.env.KHABAR_WIDGET_DIR = resolve(args['widget-dir']);

/** Articles with 100, 1,000 and 10,000 comments (copies of a seeded one). */
async function seed(url) {
  const base = await (await fetch(`${url}api/v1/articles/${ARTICLE}`)).json();
  return SCALES.map((n) => ({ ...base, id: `bench-${n}`, comment_count: 0 }));
}

async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__longtasks = [];
    window.__cls = 0;
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longtasks.push(e.duration); })
      .observe({ type: 'longtask', buffered: true });
    new PerformanceObserver((l) => { for (const e of l.getEntries()) if (!e.hadRecentInput) window.__cls += e.value; })
      .observe({ type: 'layout-shift', buffered: true });
  });
  return { context, page };
}

/** The article page of `which` ('widget' or 'floor') for article `id`. */
const pageUrl = (origin, which, id) => which === 'widget'
  ? `${origin}pages/widget.html?article=${id}`
  : `${origin}baseline/index.html?article=${id}`;

/**
 * In the page, from its first script on: ms since navigation start to the
 * article painted (the page's `__painted`) and, with `total`, to all
 * `total` comments loaded by pressing "more" like a reader.
 */
function watchArticle(done, fail, total) {
  const limit = setTimeout(() => fail(new Error('timed out')), 120_000);
  let painted = null;
  const tick = () => {
    painted ??= window.__painted ?? null;
    if (painted !== null && !total) { clearTimeout(limit); done({ painted, all: null }); return; }
    if (painted !== null) {
      const root = document.getElementById('story').shadowRoot;
      // The section loads as the reader scrolls to it.
      root.querySelector('[data-loads="near"]')?.scrollIntoView();
      const count = root.querySelectorAll('li.comment').length;
      if (count >= total) { clearTimeout(limit); done({ painted, all: performance.now() }); return; }
      const more = root.querySelector('button.more-comments:not([hidden])');
      if (more && !more.disabled && more.dataset.pressedAt !== String(count)) {
        more.dataset.pressedAt = String(count);
        more.click();
      }
    }
    requestAnimationFrame(tick);
  };
  tick();
}

async function measureArticle(browser, origin, which, id, comments) {
  const { context, page } = await newPage(browser);
  const cdp = await context.newCDPSession(page);
  const reported = await watchPage(context, page, watchArticle, comments);
  await page.goto(pageUrl(origin, which, id));
  const { painted, all } = await reported();
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = (await cdp.send('Runtime.getHeapUsage')).usedSize;
  const longtasks = await page.evaluate(() => window.__longtasks);
  await context.close();
  return { painted, all, heap, longtasks };
}

/**
 * The longest task of each of `runs` loads of the widget's page with `n`
 * comments, attributed with a Chromium performance trace: its duration,
 * whether it is a long task (> 50 ms), and the trace events inside it that
 * took the most time, inclusive (compiling wasm, running script, style,
 * layout…), on the renderer's main thread.
 */
async function attributeLongTasks(browser, origin, n, runs) {
  const found = [];
  for (let i = 0; i < runs; i++) {
    const { context, page } = await newPage(browser);
    const cdp = await context.newCDPSession(page);
    const events = [];
    cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
    const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
    await cdp.send('Tracing.start', {
      transferMode: 'ReportEvents',
      traceConfig: { includedCategories: ['devtools.timeline', 'v8', 'v8.wasm', 'disabled-by-default-devtools.timeline'] },
    });
    const reported = await watchPage(context, page, watchArticle, n);
    await page.goto(pageUrl(origin, 'widget', `bench-${n}`));
    await reported();
    await page.waitForTimeout(300);
    await cdp.send('Tracing.end');
    await done;
    await context.close();
    // The main thread of the page's own renderer (not Chromium's new-tab
    // page, which a fresh context also runs): where the page's RunTasks are.
    const ours = new Set(events.filter((e) => e.name === 'FrameCommittedInBrowser' || e.name === 'TracingStartedInBrowser')
      .flatMap((e) => e.args?.data?.frames ?? [e.args?.data])
      .filter((f) => f?.url?.startsWith(origin)).map((f) => f.processId));
    const mains = new Set(events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain' && ours.has(e.pid))
      .map((e) => `${e.pid}:${e.tid}`));
    if (mains.size === 0) throw new Error('the trace names no renderer for the page');
    const onMain = events.filter((e) => mains.has(`${e.pid}:${e.tid}`) && e.ph === 'X');
    const longest = onMain.filter((e) => e.name === 'RunTask').sort((a, b) => b.dur - a.dur).slice(0, 1);
    for (const task of longest) {
      const inside = new Map();
      for (const e of onMain) {
        if (e === task || e.ts < task.ts || e.ts + e.dur > task.ts + task.dur || e.name === 'RunTask') continue;
        inside.set(e.name, (inside.get(e.name) ?? 0) + e.dur);
      }
      const top = [...inside.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5)
        .map(([name, us]) => `${name} ${(us / 1000).toFixed(0)} ms`);
      found.push({ run: i, ms: Math.round(task.dur / 1000), long: task.dur > 50_000, inside: top });
    }
  }
  return found;
}

/** A/B alternation: each iteration runs both, in alternating order. */
function ab(browser, origin, id, comments, runs) {
  return alternate(runs, ['widget', 'floor'], (which) => measureArticle(browser, origin, which, id, comments));
}

function summarize(samples, key) {
  return stats(samples.map((s) => s[key]));
}

/** Waits until every placeholder of the demo page shows its content (the comment section may wait below). */
const demoSettled = (page) => page.waitForFunction(() => Array.from(document.querySelectorAll('[data-khabar]'))
  .every((h) => h.shadowRoot?.firstElementChild?.firstElementChild
    && !h.shadowRoot.querySelector('.skeleton:not([data-loads="near"])')), null, { timeout: 30_000 });

/**
 * Long tasks while the demo page loads (the bench's copy, with the CDN
 * bundle): `runs` fresh loads, each until every widget shows its content
 * and 1 s after: the median number of tasks over 50 ms, the longest of
 * all runs, and how many runs had one.
 */
async function demoLongTasks(browser, origin, runs) {
  const found = [];
  for (let i = 0; i < runs; i++) {
    const { context, page } = await newPage(browser);
    await page.goto(`${origin}pages/demo.html`);
    await demoSettled(page);
    await page.waitForTimeout(1000);
    const tasks = await page.evaluate(() => window.__longtasks);
    found.push({ count: tasks.length, longest: Math.max(0, ...tasks) });
    await context.close();
  }
  return { long_tasks: median(found.map((r) => r.count)), longest_task_ms: Math.max(...found.map((r) => r.longest)),
    runs_with_a_long_task: found.filter((r) => r.count > 0).length, runs };
}

async function cls(browser, origin, delayed) {
  const { context, page } = await newPage(browser);
  if (delayed) {
    const late = (route) => setTimeout(() => route.continue().catch(() => {}), 1500);
    await page.route('**/images/**', late);
    await page.route('**/comments?**', late);
  }
  await page.goto(`${origin}pages/demo.html`);
  await demoSettled(page);
  await page.waitForTimeout(delayed ? 2500 : 1000);
  const value = await page.evaluate(() => window.__cls);
  await context.close();
  return value;
}

async function memory(browser, origin) {
  const { context, page } = await newPage(browser);
  const cdp = await context.newCDPSession(page);
  await page.goto(`${origin}pages/memory.html`);
  await inPage(cdp, () => new Promise((loaded) => {
    const check = () => (window.__loaded ? loaded() : setTimeout(check, 10));
    check();
  }));
  const measure = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = (await cdp.send('Runtime.getHeapUsage')).usedSize;
    const wasm = await inPage(cdp, () => window.khabar.debugCounts()[2]);
    return { js_heap_bytes: heap, wasm_memory_bytes: wasm };
  };
  const start = await measure();
  await inPage(cdp, async (article) => {
    const kinds = [['article', article], ['latest'], ['card', article], ['comments', article], ['latest']];
    const main = document.getElementById('widgets');
    const ready = [];
    for (let i = 0; i < 10; i++) {
      const [kind, articleId] = kinds[i % kinds.length];
      const el = document.createElement('div');
      main.append(el);
      ready.push(new Promise((r) => el.addEventListener('khabar:ready', r, { once: true })));
      window.khabar.mount(el, { kind, articleId, limit: 5 });
    }
    await Promise.all(ready);
  }, ARTICLE);
  const ten = await measure();
  await inPage(cdp, async (article) => {
    const main = document.getElementById('widgets');
    main.replaceChildren();
    const el = document.createElement('div');
    main.append(el);
    for (let i = 0; i < 200; i++) {
      const ready = new Promise((r) => el.addEventListener('khabar:ready', r, { once: true }));
      const handle = window.khabar.mount(el, { kind: 'article', articleId: article });
      await ready;
      handle.destroy();
    }
  }, ARTICLE);
  const cycles = await measure();
  await context.close();
  return { start, ten_widgets: ten, after_200_cycles: cycles };
}

async function main() {
  const server = await startServer({ args: ['--moderation', 'post', '--comment-rate', '0'], widgetDir: bundleDir(args.dist) });
  const { url } = server;
  const results = {};
  let browser;
  try {
    // Transfer: what a first visit downloads (the CDN bundle's loader and
    // core module), what the comment section adds, and the floor.
    const manifest = JSON.parse(readFileSync(join(args.dist, 'cdn/manifest.json'), 'utf8'));
    const entries = Object.entries(manifest.files);
    const sum = (pick) => {
      const files = entries.filter(([name]) => pick(name)).map(([, f]) => f);
      return { raw: files.reduce((s, f) => s + f.bytes, 0), gzip: files.reduce((s, f) => s + f.gzip, 0),
        brotli: files.reduce((s, f) => s + f.brotli, 0) };
    };
    const first = (name) => manifest.first_load.includes(name);
    // A page fetches the catalogs of its widgets' languages only: the
    // figures count the first load's (Arabic), not the other five.
    const otherCatalog = (name) => name.endsWith('.json') && !first(name);
    // A page of comment sections alone fetches its own set (`dist` lists
    // it: the comments page's module instead of the core and the comments
    // module).
    const page = (name) => manifest.comments_page.includes(name);
    const floorJs = readFileSync('bench/baseline/baseline.js');
    const { gzipSync, brotliCompressSync, constants } = await import('node:zlib');
    results.transfer = {
      files: Object.fromEntries(entries.map(([, f]) => [f.file, { raw: f.bytes, gzip: f.gzip, brotli: f.brotli }])),
      total: sum(first),
      comments_module: sum((name) => !first(name) && !otherCatalog(name) && !page(name)),
      everything: sum((name) => first(name) || (!otherCatalog(name) && !page(name))),
      comments_page: sum(page),
      floor: { raw: floorJs.length, gzip: gzipSync(floorJs, { level: 9 }).length,
        brotli: brotliCompressSync(floorJs, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length },
      target_gzip: 35_000,
      target_comments_gzip: 30_000,
      target_everything_gzip: 70_000,
    };

    // The server with articles of 100, 1,000 and 10,000 comments.
    const articles = await seed(url);
    const importFile = join(server.dir, 'bench-articles.json');
    writeFileSync(importFile, JSON.stringify(articles));
    server.cli('import', importFile);
    for (const n of SCALES) {
      process.stderr.write(`seeding ${n} comments…\n`);
      await postComments(url, `bench-${n}`, n);
    }
    const origin = url;
    browser = await launchBrowser();

    process.stderr.write(`first paint: ${RUNS} runs each…\n`);
    const paint = await ab(browser, origin, ARTICLE, 0, RUNS);
    results.first_paint_ms = { widget: summarize(paint.widget, 'painted'), floor: summarize(paint.floor, 'painted') };

    results.comments = {};
    for (const n of SCALES) {
      const runs = n >= 10000 ? Math.max(3, Math.round(RUNS / 5)) : n >= 1000 ? Math.max(5, Math.round(RUNS / 2)) : RUNS;
      process.stderr.write(`${n} comments: ${runs} runs each…\n`);
      const r = await ab(browser, origin, `bench-${n}`, n, runs);
      const side = (xs) => ({
        all_in_dom_ms: summarize(xs, 'all'),
        // Without the start-up (fetching and compiling the wasm, the article):
        // the comments alone, from the article's paint to the last one.
        after_paint_ms: stats(xs.map((x) => x.all - x.painted)),
        js_heap_bytes: median(xs.map((x) => x.heap)),
        long_tasks: median(xs.map((x) => x.longtasks.length)),
        longest_task_ms: Math.max(0, ...xs.flatMap((x) => x.longtasks)),
      });
      results.comments[`c${n}`] = { widget: side(r.widget), floor: side(r.floor) };
    }

    process.stderr.write('long tasks at 100 comments, traced…\n');
    results.comments.c100.widget.long_tasks_traced = await attributeLongTasks(browser, origin, 100, 5);

    process.stderr.write('long tasks on the demo page…\n');
    results.demo_page = await demoLongTasks(browser, origin, RUNS);

    process.stderr.write('layout shift…\n');
    results.cls = { demo: await cls(browser, origin, false), late_images_and_comments: await cls(browser, origin, true) };
    process.stderr.write('memory…\n');
    results.memory = await memory(browser, origin);
  } finally {
    await browser?.close();
    await server.stop();
    server.cleanup();
  }
  return results;
}

const results = await main();
const ratio = (a, b) => (b ? a / b : null);
const t = results.transfer;
const rows = [
  ['transfer, first load (gzip)', `${(t.total.gzip / 1000).toFixed(1)} KB`, `${(t.floor.gzip / 1000).toFixed(1)} KB`, '', '≤ 35 KB', t.total.gzip <= t.target_gzip],
  ['transfer, comments module (gzip)', `+${(t.comments_module.gzip / 1000).toFixed(1)} KB`, '', '', '≤ 30 KB', t.comments_module.gzip <= t.target_comments_gzip],
  ['transfer, everything (gzip)', `${(t.everything.gzip / 1000).toFixed(1)} KB`, '', '', '≤ 70 KB', t.everything.gzip <= t.target_everything_gzip],
  ['transfer, a page of comments alone (gzip)', `${(t.comments_page.gzip / 1000).toFixed(1)} KB`, '', '', '', null],
  ['transfer, first load (brotli)', `${(t.total.brotli / 1000).toFixed(1)} KB`, `${(t.floor.brotli / 1000).toFixed(1)} KB`, '', '', null],
  ['first article paint, median (p10–p90)', `${results.first_paint_ms.widget.median.toFixed(0)} ms (${results.first_paint_ms.widget.p10.toFixed(0)}–${results.first_paint_ms.widget.p90.toFixed(0)})`,
    `${results.first_paint_ms.floor.median.toFixed(0)} ms`, ratio(results.first_paint_ms.widget.median, results.first_paint_ms.floor.median), '≤ 1.1× floor',
    ratio(results.first_paint_ms.widget.median, results.first_paint_ms.floor.median) <= 1.1],
];
for (const n of SCALES) {
  const c = results.comments[`c${n}`];
  const r = ratio(c.widget.all_in_dom_ms.median, c.floor.all_in_dom_ms.median);
  // The targets: 1.2× the floor at 100 comments, the floor itself at 1,000.
  const target = { 100: 1.2, 1000: 1.0 }[n];
  rows.push([`${n} comments in the DOM, median`, `${c.widget.all_in_dom_ms.median.toFixed(0)} ms`, `${c.floor.all_in_dom_ms.median.toFixed(0)} ms`, r,
    target ? `≤ ${target.toFixed(1)}× floor` : '', target ? r <= target : null]);
  const rp = ratio(c.widget.after_paint_ms.median, c.floor.after_paint_ms.median);
  rows.push([`  of which after the article's paint`, `${c.widget.after_paint_ms.median.toFixed(0)} ms`, `${c.floor.after_paint_ms.median.toFixed(0)} ms`, rp, '', null]);
  rows.push([`${n} comments: JS heap after`, `${(c.widget.js_heap_bytes / 1e6).toFixed(1)} MB`, `${(c.floor.js_heap_bytes / 1e6).toFixed(1)} MB`,
    ratio(c.widget.js_heap_bytes, c.floor.js_heap_bytes), '', null]);
  // The measure: no long task in the median run (the longest of
  // any run is printed beside it, as the demo page's row does).
  rows.push([`${n} comments: long tasks, median (longest in any run)`, `${c.widget.long_tasks} (${c.widget.longest_task_ms.toFixed(0)} ms)`,
    `${c.floor.long_tasks} (${c.floor.longest_task_ms.toFixed(0)} ms)`, '', n === 100 ? 'none > 50 ms, median run' : '', n === 100 ? c.widget.long_tasks === 0 : null]);
}
const traced = results.comments.c100.widget.long_tasks_traced;
rows.push(['100 comments: traced runs with a long task', `${traced.filter((t) => t.long).length} of ${traced.length}`, '', '', '', null]);
for (const t of traced) rows.push([`  run ${t.run}: longest task ${t.ms} ms`, t.inside.join(', '), '', '', '', null]);
const demo = results.demo_page;
rows.push(['demo page: long tasks, median (longest in any run)', `${demo.long_tasks} (${demo.longest_task_ms.toFixed(0)} ms)`, '', '', 'none > 50 ms, median run', demo.long_tasks === 0]);
rows.push(['  loads with a long task', `${demo.runs_with_a_long_task} of ${demo.runs}`, '', '', '', null]);
rows.push(['CLS, demo page', results.cls.demo.toFixed(4), '', '', '0', results.cls.demo === 0]);
rows.push(['CLS, late image and comments', results.cls.late_images_and_comments.toFixed(4), '', '', '0', results.cls.late_images_and_comments === 0]);
const m = results.memory;
rows.push(['memory, 10 widgets: wasm / JS heap', `${(m.ten_widgets.wasm_memory_bytes / 1e6).toFixed(2)} MB / ${(m.ten_widgets.js_heap_bytes / 1e6).toFixed(1)} MB`, '', '', '', null]);
rows.push(['memory, after 200 mount/destroy', `${(m.after_200_cycles.wasm_memory_bytes / 1e6).toFixed(2)} MB / ${(m.after_200_cycles.js_heap_bytes / 1e6).toFixed(1)} MB`, '', '', '', null]);
console.log(`\n${'measure'.padEnd(54)} ${'widget'.padEnd(22)} ${'floor'.padEnd(10)} ${'ratio'.padEnd(6)} target`);
for (const [name, w, f, r, target, met] of rows) {
  const ratioText = typeof r === 'number' ? `${r.toFixed(2)}×` : '';
  const verdict = met === null ? '' : met ? ' (met)' : ' (missed)';
  console.log(`${name.padEnd(54)} ${String(w).padEnd(22)} ${String(f).padEnd(10)} ${ratioText.padEnd(6)} ${target}${verdict}`);
}
if (args.out) writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);
