// Shared helpers of the end-to-end tests: a real khabar-server on a free
// port with a temporary database, and headless Chromium via playwright-core.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the end-to-end tests through \`cargo xtask test\``);
  return value;
};

/**
 * Starts khabar-server; `listen` defaults to a free port. The database is
 * `khabar.sqlite3` in `dbDir` (a new temporary directory by default), or
 * `db` when given (e.g. a postgres:// URL). `widgetDir` and `www` default
 * to KHABAR_WIDGET_DIR and KHABAR_WWW; `env` adds to this process's
 * environment.
 */
export async function startServer({ listen = '127.0.0.1:0', dbDir, db, args = [], widgetDir, www, env: extraEnv = {} } = {}) {
  const dir = dbDir ?? mkdtempSync(join(tmpdir(), 'khabar-e2e-'));
  const database = db ?? join(dir, 'khabar.sqlite3');
  const proc = spawn(env('KHABAR_SERVER_BIN'), [
    // --demo: the demo articles and pages, which the suite renders.
    '--db', database, 'serve', '--demo', '--listen', listen,
    '--www', www ?? env('KHABAR_WWW'), '--widget-dir', widgetDir ?? env('KHABAR_WIDGET_DIR'), ...args,
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...extraEnv } });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 20_000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited (${code}):\n${log}`)); });
  });
  return {
    url,
    dir,
    log: () => log,
    /** Stops with SIGTERM (graceful) and waits for the exit. */
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
    /** Kills with SIGKILL (no cleanup at all, like a crash) and waits for the exit. */
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    },
    cleanup() { rmSync(dir, { recursive: true, force: true }); },
    /** Runs `khabar-server --db <this db> ...cliArgs` and returns its stdout. */
    cli(...cliArgs) {
      return execFileSync(env('KHABAR_SERVER_BIN'), ['--db', database, ...cliArgs], { encoding: 'utf8' });
    },
    /** As `cli`, and what it logged: { stdout, stderr, status }. */
    cliLogged(...cliArgs) {
      const { stdout, stderr, status } = spawnSync(
        env('KHABAR_SERVER_BIN'), ['--db', database, ...cliArgs], { encoding: 'utf8' },
      );
      return { stdout, stderr, status };
    },
  };
}

export { env };

/**
 * Where a test writes its screenshot `name` (`demo-ar.png`): the
 * documentation's own pictures with KHABAR_UPDATE_SCREENSHOTS=1, else
 * target/screenshots/, so that a test run leaves the work tree as it was.
 */
export function screenshotPath(name) {
  const dir = process.env.KHABAR_UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : 'target/screenshots';
  mkdirSync(dir, { recursive: true });
  return `${dir}/${name}`;
}

/** A loopback port nobody listens on right now (for servers told their port up front). */
export async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.json': 'application/json', '.css': 'text/css', '.svg': 'image/svg+xml',
  '.xml': 'application/xml',
};

/**
 * The file under `root` that a request URL names (a folder's index.html)
 * with its content type, or null when there is none or the path leaves root.
 */
export function staticFile(root, url) {
  const path = normalize(decodeURIComponent(new URL(url, 'http://x').pathname));
  if (path.includes('..')) return null;
  try {
    let file = join(root, path);
    if (statSync(file).isDirectory()) file = join(file, 'index.html');
    return { type: TYPES[extname(file)] ?? 'application/octet-stream', body: readFileSync(file) };
  } catch {
    return null;
  }
}

/**
 * A plain static file server for `root` on a free port of `host`: another
 * origin than khabar-server's, as a news site's own pages would be.
 */
export async function serveStatic(root, { host = '127.0.0.1', headers = {} } = {}) {
  const server = createServer((req, res) => {
    const found = staticFile(root, req.url);
    if (found) {
      res.writeHead(200, { 'content-type': found.type, ...headers });
      res.end(found.body);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, host, resolve));
  return {
    url: `http://${host}:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * Headless Chromium as the machine provides it. Without its WebUI omnibox
 * popup: Chromium 156 loads it (about 180 requests of its own scripts, in a
 * process of its own) for every new browser context, which the suite and
 * the benchmarks open for each page load, on the same two cores.
 */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.KHABAR_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage', '--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup'],
  });
}

/**
 * Starts Chromium and a demo server before the file's tests and stops both
 * after them; `ready(browser, server)` receives them once started.
 */
export function withBrowserAndServer(ready) {
  let browser;
  let server;
  before(async () => {
    browser = await launchBrowser();
    server = await startServer();
    ready(browser, server);
  });
  after(async () => {
    await server?.stop();
    server?.cleanup();
    await browser?.close();
  });
}

/** A page that records console errors and uncaught exceptions. */
export async function openPage(browser, options = {}) {
  const page = await browser.newPage({ viewport: { width: 1000, height: 1000 }, ...options });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return { page, problems };
}

/** Serves `/<name>.html` on `page`: a page that mounts one widget with
 * `options` into `#<id>` with `mount()` (whose handle it drops), in the
 * widget's language (`options.lang`; Arabic, right to left, by default). */
export function routeMountPage(page, name, options, id = 'story') {
  const html = options.lang ? `lang="${options.lang}"` : 'lang="ar" dir="rtl"';
  return page.route(`**/${name}.html`, (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html ${html}><head><meta charset="utf-8"><link rel="icon" href="data:,"></head>
      <body><div id="${id}"></div><script type="module">
        import { mount } from '/khabar/khabar.js';
        mount(document.getElementById('${id}'), ${JSON.stringify(options)});
      </script></body></html>`,
  }));
}

/** Text of `selector` inside the shadow root of the first `host` match. */
export function shadowText(page, host, selector) {
  return page.evaluate(([h, s]) => {
    const el = document.querySelector(h)?.shadowRoot?.querySelector(s);
    return el ? el.textContent : null;
  }, [host, selector]);
}

/** Resolves once every [data-khabar] on the page shows content or an error
 * (a comment section waiting to come near the viewport, `data-loads="near"`,
 * counts as settled). */
export async function widgetsSettled(page, timeout = 15_000) {
  await page.waitForFunction(() => {
    const hosts = Array.from(document.querySelectorAll('[data-khabar], khabar-widget'));
    return hosts.length > 0 && hosts.every((h) => {
      const f = h.shadowRoot?.firstElementChild;
      return f && f.firstElementChild && !f.querySelector('.skeleton:not([data-loads="near"])');
    });
  }, null, { timeout });
}

/** Scrolls each comment section still waiting for the reader
 * (`data-loads="near"`) into view, one after another, then waits until
 * every widget has settled: for checks that need every section shown.
 * Checked every frame: a section starts loading in the frame after it
 * comes near, and the XSS pages have dozens each. */
export async function revealComments(page, timeout = 30_000) {
  await page.waitForFunction(() => {
    const waiting = Array.from(document.querySelectorAll('[data-khabar], khabar-widget'))
      .map((h) => h.shadowRoot?.querySelector('[data-loads="near"]')).filter(Boolean);
    waiting[0]?.scrollIntoView();
    return waiting.length === 0;
  }, null, { timeout, polling: 'raf' });
  await widgetsSettled(page, timeout);
}

/** Runs axe-core (WCAG 2 A and AA) on the widgets only, or on the whole page. */
export async function axeViolations(page, { wholePage = false } = {}) {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  return page.evaluate(async (whole) => {
    const result = await window.axe.run(
      whole ? document : { include: [['[data-khabar]'], ['khabar-widget']] },
      { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } },
    );
    return result.violations.map((v) => ({
      id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3),
    }));
  }, wholePage);
}
