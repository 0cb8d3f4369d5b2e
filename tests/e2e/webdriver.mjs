// A small W3C WebDriver client (the HTTP protocol, https://www.w3.org/TR/webdriver2/)
// and the three engines the smoke test drives through it: Chromium with
// chromedriver, Firefox ESR with geckodriver, and WebKit (Safari's engine)
// with Debian's WebKitWebDriver driving MiniBrowser under Xvfb. Each
// driver and display is a child process, killed on close and on exit.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from './helpers.mjs';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
const HEADLESS_CHROMIUM = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];
const MINIBROWSER = ['/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser', '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.0/MiniBrowser']
  .find((p) => existsSync(p));

/** The engines: how to start each driver and what to ask it for. */
export const ENGINES = {
  chromium: {
    driver: (port) => ['chromedriver', [`--port=${port}`]],
    capabilities: { browserName: 'chrome', 'goog:chromeOptions': { binary: '/usr/bin/chromium', args: HEADLESS_CHROMIUM } },
  },
  firefox: {
    driver: (port) => ['geckodriver', ['--port', String(port)]],
    capabilities: { browserName: 'firefox', 'moz:firefoxOptions': { binary: '/usr/bin/firefox-esr', args: ['-headless'] } },
  },
  webkit: {
    display: true,
    driver: (port) => ['WebKitWebDriver', [`--port=${port}`]],
    capabilities: { 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] } },
  },
};

const children = new Set();
const killAll = () => { for (const c of children) c.kill('SIGKILL'); };
process.once('exit', killAll);

function child(cmd, args, env) {
  const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  c.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  children.add(c);
  c.on('exit', () => children.delete(c));
  return { process: c, stderr: () => stderr };
}

/** Resolves once something answers at `url` (the driver's /status), or fails after `ms`. */
async function reachable(url, ms, why) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${ms} ms: ${why()}`);
}

/**
 * Whether display `n` is held by a running X server: its lock names a live
 * process. An Xvfb killed outright (a run stopped part-way) leaves its lock
 * and socket behind; they are removed, or thirty such runs would leave no
 * display free.
 */
function displayTaken(n) {
  const lock = `/tmp/.X${n}-lock`;
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, 'utf8').trim());
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      if (e.code === 'EPERM') return true; // alive, someone else's
    }
  }
  rmSync(lock, { force: true });
  rmSync(`/tmp/.X11-unix/X${n}`, { force: true });
  return false;
}

/** Starts Xvfb on a free display number; returns the DISPLAY value and a stop function. */
async function startDisplay() {
  for (let n = 90; n < 120; n++) {
    if (displayTaken(n)) continue;
    const x = child('Xvfb', [`:${n}`, '-screen', '0', '1280x1024x24', '-nolisten', 'tcp']);
    const until = Date.now() + 5000;
    while (Date.now() < until && !existsSync(`/tmp/.X11-unix/X${n}`)) {
      if (x.process.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // SIGTERM: Xvfb then removes its lock and socket itself.
    if (existsSync(`/tmp/.X11-unix/X${n}`)) return { display: `:${n}`, stop: () => x.process.kill('SIGTERM') };
    x.process.kill('SIGKILL');
  }
  throw new Error('Xvfb: no free display between :90 and :119');
}

/** A WebDriver session on `engine`; `close()` ends it and its driver (and display). */
export async function openSession(engine) {
  const spec = ENGINES[engine];
  const port = await freePort();
  const display = spec.display ? await startDisplay() : null;
  const [cmd, args] = spec.driver(port);
  const driver = child(cmd, args, display ? { DISPLAY: display.display } : {});
  const base = `http://127.0.0.1:${port}`;
  await reachable(`${base}/status`, 15_000, driver.stderr);
  const send = async (method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok || json.value?.error) {
      const e = new Error(`${engine} ${method} ${path}: ${json.value?.error}: ${json.value?.message}`);
      e.code = json.value?.error;
      throw e;
    }
    return json.value;
  };
  const created = await send('POST', '/session', { capabilities: { alwaysMatch: spec.capabilities } });
  const s = `/session/${created.sessionId}`;
  const session = {
    engine,
    capabilities: created.capabilities,
    go: (url) => send('POST', `${s}/url`, { url }),
    /** Runs `fn` (a function's source, called with `args`) in the page; returns its result. */
    run: (fn, ...args) => send('POST', `${s}/execute/sync`, { script: `return (${fn}).apply(null, arguments)`, args }),
    /** Polls `fn` in the page until it returns something truthy. */
    async until(fn, args = [], ms = 20_000, what = String(fn)) {
      const end = Date.now() + ms;
      let last;
      while (Date.now() < end) {
        last = await session.run(fn, ...args);
        if (last) return last;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`${engine}: timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    },
    /** An element reference for a page-side expression returning an element. */
    element: async (fn, ...args) => {
      const el = await session.run(fn, ...args);
      if (!el?.[ELEMENT]) throw new Error(`${engine}: no element from ${fn}`);
      return el[ELEMENT];
    },
    click: (id) => send('POST', `${s}/element/${id}/click`, {}),
    type: (id, text) => send('POST', `${s}/element/${id}/value`, { text }),
    /** Presses and releases `key` (a WebDriver key code such as '\uE007', Enter) on the focused element. */
    press: (key) => send('POST', `${s}/actions`, {
      actions: [{ type: 'key', id: 'keyboard', actions: [{ type: 'keyDown', value: key }, { type: 'keyUp', value: key }] }],
    }),
    /** The page printed to PDF (WebDriver's Print command), as bytes; null where the driver has no such command. */
    async print() {
      try {
        return Buffer.from(await send('POST', `${s}/print`, { background: false }), 'base64');
      } catch (e) {
        if (['unknown command', 'unsupported operation', 'unknown method'].includes(e.code)) return null;
        throw e;
      }
    },
    async close() {
      await send('DELETE', s).catch(() => {});
      driver.process.kill('SIGKILL');
      display?.stop();
    },
  };
  return session;
}

export const KEY = { enter: '\uE007', escape: '\uE00C', tab: '\uE004' };
