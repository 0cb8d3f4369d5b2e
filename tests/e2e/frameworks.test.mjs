// The components in real apps: the committed fixtures (pinned versions,
// lockfiles) installed with `npm ci`, the packed tarballs of khabar and
// @khabar/* added, type-checked (the components' and <khabar-widget>'s JSX
// types), built, served and opened in Chromium. A Vite app with a
// React, a Vue and a Svelte page (each: the article and its comments render,
// a prop change shows the next story, removing the component destroys the
// widgets), a Vue and a Svelte page rendered on the server (in Node, by
// the same app's `vite build --ssr`) and hydrated, the three components'
// server HTML under a CSP that refuses inline styles, the React page under
// `vite dev`, and a Next.js app-router app built with `next build`, by
// Turbopack and by webpack, and run with `next start` (server-rendered
// placeholders of the reserved height, then hydrated: no console error, no
// hydration warning, and no warning of khabar's in the build).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { env, freePort, launchBrowser, openPage, serveStatic, startServer } from './helpers.mjs';

const DIST = resolve(env('KHABAR_DIST'));
const FIRST = '2026-11-26-bakeries-coop';
const SECOND = '2026-11-24-meteor-night';
const NPM = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

let browser;
let server;
const titles = {};
before(async () => {
  browser = await launchBrowser();
  server = await startServer();
  for (const id of [FIRST, SECOND]) {
    titles[id] = (await (await fetch(`${server.url}api/v1/articles/${id}`)).json()).title;
  }
});
after(async () => {
  await server?.stop();
  server?.cleanup();
  await browser?.close();
});

const api = () => `${server.url}api/v1`;
const tarball = (name) => {
  const file = readdirSync(DIST).find((f) => new RegExp(`^${name}-\\d+\\.\\d+\\.\\d+\\.tgz$`).test(f));
  assert.ok(file, `cargo xtask dist packed ${name}`);
  return join(DIST, file);
};

/** Copies a fixture app, installs its lockfile with `npm ci`, then the packed tarballs (not saved). */
function installFixture(name, packages) {
  const app = mkdtempSync(join(tmpdir(), `khabar-${name}-`));
  cpSync(resolve('tests/fixtures', name), app, { recursive: true });
  const run = (cmd, args, extraEnv = {}) => execFileSync(cmd, args, {
    cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...extraEnv },
  });
  run('npm', ['ci', ...NPM]);
  run('npm', ['install', '--no-save', ...NPM, ...packages.map(tarball)]);
  return { app, run };
}

/** The article's headline and whether the comment form is there, once both are. */
async function shown(page) {
  await page.locator('#story >> h1.headline').waitFor();
  await page.locator('#comments >> form.comment-form').waitFor();
  return page.locator('#story >> h1.headline').textContent();
}

/** The Vite app, installed and built once for the three pages. */
let vite;
function viteApp(t) {
  vite ??= (() => {
    const started = Date.now();
    const { app, run } = installFixture('frameworks-vite', ['khabar', 'khabar-react', 'khabar-vue', 'khabar-svelte']);
    // The components' and <khabar-widget>'s JSX types (src/types.tsx).
    run(join(app, 'node_modules/.bin/tsc'), ['--noEmit', '-p', 'tsconfig.json']);
    run(join(app, 'node_modules/.bin/vite'), ['build', '--logLevel', 'warn']);
    // The server's half of the two server-rendered pages, for Node.
    run(join(app, 'node_modules/.bin/vite'), ['build', '--ssr', 'src/ssr.js', '--logLevel', 'warn']);
    t.diagnostic(`Vite app installed, type-checked and built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return app;
  })();
  return vite;
}
after(() => { if (vite) rmSync(vite, { recursive: true, force: true }); });

for (const framework of ['react', 'vue', 'svelte']) {
  test(`@khabar/${framework} in a Vite app: renders, follows a prop change, is destroyed on unmount`, { timeout: 240_000 }, async (t) => {
    const site = await serveStatic(join(viteApp(t), 'dist'));
    try {
      const { page, problems } = await openPage(browser);
      await page.goto(`${site.url}/${framework}.html?api=${encodeURIComponent(api())}&article=${FIRST}&next=${SECOND}`);
      assert.equal(await shown(page), titles[FIRST]);
      await page.waitForFunction(() => document.body.dataset.ready);
      const ready = JSON.parse(await page.evaluate(() => document.body.dataset.ready));
      assert.equal(ready[0].articleId, FIRST, 'the ready callback got the event detail');
      assert.equal(await page.locator('#story').getAttribute('data-slot'), 'lead', 'a data-* prop is the element\'s');
      const accent = () => page.evaluate(() => getComputedStyle(document.getElementById('story')).getPropertyValue('--khabar-accent').trim());
      assert.equal(await accent(), '#0b5394', 'a style prop is the element\'s');
      if (framework !== 'vue') { // Vue's ref is the component, whose $el it is
        const refs = JSON.parse(await page.evaluate(() => document.body.dataset.ref));
        assert.equal(refs[0], 'story', 'the page\'s ref holds the widget\'s element');
      }

      // A prop change: the same widget shows the next story.
      await page.locator('#switch').click();
      await page.locator('#story >> h1.headline', { hasText: titles[SECOND] }).waitFor();
      assert.equal(await accent(), '#0b5394');

      // Unmounting destroys both widgets: their shadow roots are emptied
      // as their hosts leave the page.
      const roots = await page.evaluate(() => {
        window.kept = ['story', 'comments'].map((id) => document.getElementById(id).shadowRoot);
        return window.kept.map((r) => r.childElementCount);
      });
      assert.deepEqual(roots.map((n) => n > 0), [true, true]);
      await page.locator('#remove').click();
      await page.waitForFunction(() => !document.getElementById('story'));
      assert.deepEqual(await page.evaluate(() => window.kept.map((r) => r.childElementCount)), [0, 0],
        'destroy() emptied the widgets');
      assert.equal(await page.evaluate(() => document.body.dataset.error), undefined);
      if (framework === 'react') {
        // A ref callback's cleanup ran; the callback never got null.
        const refs = await page.evaluate(() => [document.body.dataset.attached, document.body.dataset.detached].map((s) => JSON.parse(s ?? '[]')));
        assert.ok(refs[0].length > 0 && refs[0].every((id) => id === 'comments'), JSON.stringify(refs));
        assert.ok(refs[1].length > 0, JSON.stringify(refs));
      }
      assert.deepEqual(problems, []);
      await page.close();
    } finally {
      await site.close();
    }
  });
}

test('@khabar/react whose module cannot load gives up the reserved height and tells onError', { timeout: 240_000 }, async (t) => {
  const site = await serveStatic(join(viteApp(t), 'dist'));
  try {
    const { page, problems } = await openPage(browser);
    // An ad blocker, a proxy or a CSP without 'wasm-unsafe-eval'.
    await page.route('**/*.wasm', (route) => route.abort('blockedbyclient'));
    await page.goto(`${site.url}/react.html?api=${encodeURIComponent(api())}&article=${FIRST}&next=${SECOND}`);
    await page.waitForFunction(() => document.body.dataset.error);
    const [error] = JSON.parse(await page.evaluate(() => document.body.dataset.error));
    assert.equal(error.code, 'load', JSON.stringify(error));
    // Nothing will take the placeholders' place: no empty screen's height.
    await page.waitForFunction(() => ['story', 'comments']
      .every((id) => document.getElementById(id).style.minBlockSize === ''));
    assert.ok(await page.evaluate(() => document.getElementById('story').getBoundingClientRect().height) < 50);
    assert.deepEqual(problems.filter((p) => !/ERR_BLOCKED_BY_CLIENT|could not start|wasm/i.test(p)), []);
    await page.close();
  } finally {
    await site.close();
  }
});

for (const framework of ['vue', 'svelte']) {
  test(`@khabar/${framework} rendered on the server, as Nuxt and SvelteKit do, and hydrated in the browser`, { timeout: 240_000 }, async (t) => {
    const app = viteApp(t);
    // In Node: the placeholder of the height the widget reserves, no browser needed.
    const ssr = await import(join(app, 'dist-ssr/ssr.js'));
    const html = await ssr[framework]({ id: 'story', kind: 'article', articleId: FIRST, api: api(), lang: 'en' });
    assert.match(html, /^(<!--\[-->)?<div [^>]*><\/div>(<!--\]-->)?$/, html);
    assert.match(html, /id="story"/);
    assert.match(html, /style="min-block-size: ?var\(--khabar-article-min-height, 100vh\);?"/, html);
    // The page as the server would send it: the built page with the HTML in.
    const built = readFileSync(join(app, 'dist', 'ssr.html'), 'utf8');
    writeFileSync(join(app, 'dist', `ssr-${framework}.html`), built.replace('<!--ssr-->', html));

    const site = await serveStatic(join(app, 'dist'));
    try {
      const { page, problems } = await openPage(browser);
      await page.goto(`${site.url}/ssr-${framework}.html?framework=${framework}&api=${encodeURIComponent(api())}&article=${FIRST}`);
      await page.waitForFunction(() => document.body.dataset.ready);
      assert.equal(await page.locator('#story >> h1.headline').textContent(), titles[FIRST]);
      // Hydrated: the widget lives in the very element the server sent (a
      // mismatch would have made the framework render a new one), which
      // gave up its reserved height once the widget was in.
      assert.equal(await page.evaluate(() => document.getElementById('story') === window.serverNode), true);
      assert.equal(await page.evaluate(() => document.getElementById('story').style.minBlockSize), '');
      assert.deepEqual(problems, []);
      await page.close();
    } finally {
      await site.close();
    }
  });
}

test('reserve: "stylesheet": server-rendered placeholders hold their height under a style-src that refuses inline styles', { timeout: 240_000 }, async (t) => {
  const app = viteApp(t);
  const ssr = await import(join(app, 'dist-ssr/ssr.js'));
  const built = readFileSync(join(app, 'dist', 'ssr.html'), 'utf8');
  // hydrate.js imports khabar/placeholder.css: the build links it in <head>.
  assert.match(built, /<link rel="stylesheet"[^>]* href="\/assets\/[^"]+\.css"/, built);
  const story = (reserve) => ({ id: 'story', kind: 'article', articleId: FIRST, api: api(), lang: 'en', reserve });
  for (const framework of ['react', 'vue', 'svelte']) {
    const held = await ssr[framework](story('stylesheet'));
    assert.doesNotMatch(held, /style=/, `${framework}: no style attribute`);
    assert.match(held, /data-khabar-reserve="article"/, held);
    const list = await ssr[framework]({ kind: 'latest', limit: 4, reserve: 'stylesheet' });
    assert.match(list, /data-khabar-reserve="latest"/, list);
    assert.match(list, /data-khabar-reserve-rows="4"/, list);
    assert.doesNotMatch(await ssr[framework]({ kind: 'latest', layout: 'strip', reserve: 'stylesheet' }), /rows/);
    // And the same page without the sheet: the mistake the components warn about.
    const sheetless = built.replace(/<link rel="stylesheet"[^>]*>/, '');
    for (const [name, page, html] of [
      ['held', built, held], ['inline', built, await ssr[framework](story(undefined))], ['sheetless', sheetless, held],
    ]) {
      writeFileSync(join(app, 'dist', `csp-${framework}-${name}.html`), page.replace('<!--ssr-->', html));
    }
  }

  const site = await serveStatic(join(app, 'dist'), { headers: { 'content-security-policy': "style-src 'self'" } });
  try {
    // As the server sent it, before any script: the placeholder holds the
    // article's 100vh from the stylesheet; the default style attribute is
    // refused by the same policy (the control: the policy is in force).
    const { page: still } = await openPage(browser, { javaScriptEnabled: false });
    const height = async (file) => {
      await still.goto(`${site.url}/${file}`);
      return (await still.locator('#story').boundingBox()).height;
    };
    for (const framework of ['react', 'vue', 'svelte']) {
      assert.equal(await height(`csp-${framework}-held.html`), 1000, `${framework}: the reserved height`);
      assert.equal(await height(`csp-${framework}-inline.html`), 0, `${framework}: the style attribute is refused`);
    }
    await still.close();

    // Hydrated under the same policy: the widget in the server's element,
    // whose reservation attributes left once it mounted, and no violation;
    // without the sheet, the same, and a warning that names it.
    for (const framework of ['react', 'vue', 'svelte']) {
      for (const name of ['held', 'sheetless']) {
        const { page, problems } = await openPage(browser);
        const warnings = [];
        page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
        await page.goto(`${site.url}/csp-${framework}-${name}.html?framework=${framework}&reserve=stylesheet&api=${encodeURIComponent(api())}&article=${FIRST}`);
        await page.waitForFunction(() => document.body.dataset.ready);
        assert.equal(await page.locator('#story >> h1.headline').textContent(), titles[FIRST]);
        assert.equal(await page.evaluate(() => document.getElementById('story') === window.serverNode), true);
        assert.equal(await page.evaluate(() => document.getElementById('story').hasAttribute('data-khabar-reserve')), false);
        assert.deepEqual(problems, [], framework);
        assert.deepEqual(warnings.filter((w) => w.includes('placeholder.css')).length, name === 'held' ? 0 : 1,
          `${framework} ${name}: ${warnings.join(' / ')}`);
        await page.close();
      }
    }
  } finally {
    await site.close();
  }
});

test('@khabar/react under `vite dev` (the config keeps Khabar out of pre-bundling): the widget finds its wasm', { timeout: 240_000 }, async (t) => {
  const app = viteApp(t);
  const port = await freePort();
  const child = spawn(join(app, 'node_modules/.bin/vite'), ['--port', String(port), '--strictPort', '--host', '127.0.0.1'], {
    cwd: app, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  try {
    const url = `http://127.0.0.1:${port}/react.html?api=${encodeURIComponent(api())}&article=${FIRST}&next=${SECOND}`;
    const until = Date.now() + 30_000;
    let up = false;
    while (!up && Date.now() < until) {
      up = await fetch(url).then((r) => r.ok, () => false);
      if (!up) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(up, `vite dev answered: ${output}`);
    const { page, problems } = await openPage(browser);
    const wasm = [];
    page.on('response', (r) => { if (r.url().endsWith('.wasm')) wasm.push(`${r.status()} ${new URL(r.url()).pathname}`); });
    await page.goto(url);
    assert.equal(await shown(page), titles[FIRST]);
    assert.ok(wasm.length >= 2 && wasm.every((w) => w.startsWith('200 ') && !w.includes('/.vite/deps/')), wasm.join(', '));
    assert.equal(await page.evaluate(() => document.body.dataset.error), undefined);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    child.kill('SIGKILL');
  }
});

test('@khabar/react in a Next.js app-router app, built by Turbopack and by webpack: server-rendered placeholders, hydrated without warnings', { timeout: 420_000 }, async (t) => {
  const started = Date.now();
  const { app } = installFixture('next-app', ['khabar', 'khabar-react']);
  // The site's own /api/v1 goes on to Khabar's server (next.config.mjs).
  const next = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', KHABAR_API_ORIGIN: new URL(api()).origin };
  try {
    // Next.js 16 builds with Turbopack; `--webpack` as Next.js 13 to 15
    // did, and as a site that keeps webpack's plugins still does.
    for (const bundler of ['turbopack', 'webpack']) {
      const built = spawnSync(join(app, 'node_modules/.bin/next'), ['build', ...(bundler === 'webpack' ? ['--webpack'] : [])], {
        cwd: app, env: next, encoding: 'utf8',
      });
      const said = `${built.stdout}${built.stderr}`;
      assert.equal(built.status, 0, `next build (${bundler}): ${said}`);
      // Nothing of khabar's to warn about in a site's build.
      assert.doesNotMatch(said, /node_modules\/khabar|Critical dependency|with warnings/, `next build (${bundler})`);
      t.diagnostic(`${bundler}: installed and built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      await nextStarted(app, next, async (url) => {
        const html = await fetch(url).then((r) => r.text());
        // Rendered on the server: the placeholders, holding the reserved height.
        assert.match(html, /<div id="story" style="min-block-size:var\(--khabar-article-min-height, 100vh\)"><\/div>/);
        assert.match(html, /<div id="comments" style="min-block-size:var\(--khabar-comments-min-height, 54rem\)"><\/div>/);

        const { page, problems } = await openPage(browser);
        const warnings = [];
        page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
        page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });
        await page.goto(url);
        assert.equal(await shown(page), titles[FIRST], bundler);
        // Hydrated: the placeholders lost their reserved height to the widget's own.
        assert.equal(await page.evaluate(() => document.getElementById('story').style.minBlockSize), '');
        assert.deepEqual(problems, [], bundler);
        assert.deepEqual(warnings.filter((w) => /hydrat/i.test(w)), [], bundler);
        // `khabar/auto` bundled: a placeholder naming no API asks the
        // page's origin (webpack writes the entry's import.meta.url as a
        // file:// path, which it must not take for its address).
        await page.goto(new URL(`/auto?article=${FIRST}`, url).href);
        const headline = page.locator('#auto-story').locator('h1.headline, [data-error-code]').first();
        await headline.waitFor();
        assert.equal(await headline.textContent(), titles[FIRST], bundler);
        assert.deepEqual(problems, [], bundler);
        await page.close();
      });
    }
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});

/** Runs `next start` in `app` on a free port while `use(url)` runs, the page's URL once it answers. */
async function nextStarted(app, env, use) {
  const port = await freePort();
  const child = spawn(join(app, 'node_modules/.bin/next'), ['start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const url = `http://127.0.0.1:${port}/?api=${encodeURIComponent(api())}&article=${FIRST}`;
    const until = Date.now() + 30_000;
    let up = false;
    while (!up && Date.now() < until) {
      up = await fetch(url).then((r) => r.ok, () => false);
      if (!up) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(up, `next start answered: ${output}`);
    await use(url);
  } finally {
    child.kill('SIGKILL');
  }
}

test('the framework examples in docs/embedding.md are the fixture files this suite runs', () => {
  const docs = readFileSync('docs/embedding.md', 'utf8');
  const examples = [...docs.matchAll(/<!-- example: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)];
  assert.deepEqual(examples.map(([, path]) => path).sort(), [
    'tests/fixtures/frameworks-vite/src/App.svelte',
    'tests/fixtures/frameworks-vite/src/react.jsx',
    'tests/fixtures/frameworks-vite/src/ssr.js',
    'tests/fixtures/frameworks-vite/src/vue.js',
    'tests/fixtures/next-app/app/page.js',
  ]);
  for (const [, path, code] of examples) assert.equal(code, readFileSync(path, 'utf8').trimEnd(), path);
});
