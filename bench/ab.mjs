// A/B of two CDN bundles on one page kind, alternating loads (A, B, B, A,
// …) in headless Chromium against the real server on loopback: what a
// change to the loader or the modules does to the first article paint
// (`widget.html`, two frames after `khabar:ready`) or to the first comment
// of a comments-only page (`comments.html`, 100 comments). Prints the
// median and p10–p90 of each side; nothing is written.
//
//   cargo xtask dist && cp -r dist /tmp/before   # then change, and again into /tmp/after
//   node bench/ab.mjs --a /tmp/before --b /tmp/after --page article --runs 40
//   --slow: as a mid-range phone on a slow network (Chromium's emulation,
//   the figures of Lighthouse's mobile run: 150 ms round trip, 1.6 Mbit/s
//   down, 750 kbit/s up, the CPU 4 times slower), where loopback on a
//   desktop CPU hides what overlaps a download or costs the main thread
//   (the server: --server-bin, default target/server/khabar-server, from
//   `cargo build -p khabar-server --profile server`)
import { join, resolve } from 'node:path';
import { launchBrowser, startServer } from '../tests/e2e/helpers.mjs';
import { benchSite, bundleDir, postComments, stats, watchPage } from './common.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => {
  if (a === '--slow') pairs.push(['slow', true]);
  else if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1]]);
  return pairs;
}, []));
const SLOW = args.slow === true;
const RUNS = Number(args.runs ?? 20);
const PAGE = args.page ?? 'article';
if (!args.a || !args.b || !['article', 'comments'].includes(PAGE)) {
  throw new Error('usage: node bench/ab.mjs --a DIST --b DIST [--page article|comments] [--runs N] [--slow]');
}
const ARTICLE = '2026-11-27-farmers-market';
process.env.KHABAR_SERVER_BIN = resolve(args['server-bin'] ?? 'target/server/khabar-server');
process.env.KHABAR_WIDGET_DIR = resolve('target/widget');

/** One side: a server serving `dist`'s bundle, and the bench's pages loading its loader. */
async function side(name, dist) {
  const www = benchSite(resolve(dist), join('target', 'bench', `site-${name}`));
  const server = await startServer({ args: ['--moderation', 'post', '--comment-rate', '0'], widgetDir: bundleDir(resolve(dist)), www });
  if (PAGE === 'comments') await postComments(server.url, ARTICLE, 100);
  const file = PAGE === 'article' ? 'widget.html' : 'comments.html';
  return { name, server, url: `${server.url}pages/${file}?article=${ARTICLE}`, times: [] };
}

/** In the page, from its first script on: ms from navigation start to the article painted, or to the first comment in the DOM. */
function watchFirst(done, fail, article) {
  const limit = setTimeout(() => fail(new Error('timed out')), 30_000);
  const tick = () => {
    const at = article ? window.__painted
      : document.getElementById('thread')?.shadowRoot?.querySelector('li.comment') && performance.now();
    if (at) { clearTimeout(limit); done(at); return; }
    requestAnimationFrame(tick);
  };
  tick();
}

/** One load: ms from navigation start to the article painted, or to the first comment in the DOM. */
async function measure(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  if (SLOW) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8,
    });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  }
  const reported = await watchPage(context, page, watchFirst, PAGE === 'article');
  await page.goto(url);
  const ms = await reported();
  await context.close();
  return ms;
}

const a = await side('a', args.a);
const b = await side('b', args.b);
const browser = await launchBrowser();
try {
  for (let i = 0; i < RUNS; i++) {
    for (const s of i % 2 ? [b, a] : [a, b]) s.times.push(await measure(browser, s.url));
  }
  for (const s of [a, b]) {
    const { median, p10, p90 } = stats(s.times);
    console.log(`${s.name}: ${PAGE}${SLOW ? ' (slow)' : ''}, median ${median.toFixed(1)} ms (p10 ${p10.toFixed(1)}, p90 ${p90.toFixed(1)}), ${RUNS} loads`);
  }
} finally {
  await browser.close();
  for (const s of [a, b]) await s.server.stop();
}
