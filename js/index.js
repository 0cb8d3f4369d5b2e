// Khabar's programmatic entry (`import { mount } from 'khabar'`): nothing
// happens at import. It touches no DOM, starts no download and defines no
// element, so server-side rendering (Next.js, Nuxt, SvelteKit, Astro) can
// import it in Node. The wasm starts on the first `init()` or `mount()`.
// Placeholders and <khabar-widget> are in the other entry, `khabar/auto`
// (./khabar.js), which is also what the CDN's script tag runs.
import { count, dateline, relative } from './dates.js';
import { askFailedAgain, fetchAhead, forgetAhead, holdEarly, inFlight, request, requestEarly as prefetch, settle as settleWith } from './request.js';
import { isDark, near, watchScheme } from './page.js';

// What both wasm modules call back into: written once here rather than
// compiled into each (src/host.rs). "5 minutes ago" and most datelines are
// written in the words of the language's catalog, which is in before a
// widget renders.
// `startCore` starts the core for a placeholder the comments page's module does not show.
// `darkPage` reads the page's scheme for a `theme: auto` widget, and from then
// on repaints such widgets when the page or the system changes its look;
// `near` watches an element come near the viewport (js/page.js).
const host = {
  request, settle: settleWith, count, fetchAhead, forgetAhead,
  dateline: (lang, digits, calendar, zone) => dateline(lang, digits, calendar, zone, catalog(lang, true)),
  relative: (lang, digits) => relative(catalog(lang, true), lang, digits),
  startCore: () => { init(); core.start.catch(tellPlaceholders); },
  near,
  darkPage: (el) => {
    watchScheme(() => { for (const m of [core, page]) if (m.running) m.glue.refreshThemes(); });
    return isDark(el);
  },
};

// `cargo xtask dist` writes each module's Subresource Integrity hash here, so
// the published loader refuses a wasm file that is not the one it was built with.
const WASM_INTEGRITY = '';
// The core module's glue is a file of its own on the CDN too, fetched with
// its wasm: a page of comment sections alone, which never starts the core,
// does not download it. The CDN's loader names it and its hash here; in the
// npm package it is bundled in, evaluated only when the core starts.
const CORE_GLUE = '';
const CORE_GLUE_INTEGRITY = '';
const COMMENTS_INTEGRITY = '';
// The comments module's glue (its JavaScript half) is a file of its own,
// imported with its wasm: a page whose comments stay out of reach loads
// neither. The CDN's loader names the published file and its hash here;
// elsewhere (the npm package) it is `./khabar_comments.js`, a chunk of the
// page's bundler.
const COMMENTS_GLUE = '';
const COMMENTS_GLUE_INTEGRITY = '';
// The same three for the comments page's module: the section with what
// mounts a widget, which a page whose widgets are all comment sections
// loads instead of the core and the comments module.
const PAGE_INTEGRITY = '';
const PAGE_GLUE = '';
const PAGE_GLUE_INTEGRITY = '';
// And the version, so that `version()` answers before the module runs.
const VERSION = '';
// And each language catalog's hash, by language tag.
const CATALOG_INTEGRITY = {};

// The interface's strings are not in the wasm: each language is a small JSON
// file, and a page fetches only the languages its widgets speak. Each is
// written out as `new URL('./…', import.meta.url)` so that bundlers copy it.
const CATALOGS = {
  ar: ['khabar-ar.json', () => new URL('./khabar-ar.json', import.meta.url)],
  fa: ['khabar-fa.json', () => new URL('./khabar-fa.json', import.meta.url)],
  ur: ['khabar-ur.json', () => new URL('./khabar-ur.json', import.meta.url)],
  he: ['khabar-he.json', () => new URL('./khabar-he.json', import.meta.url)],
  en: ['khabar-en.json', () => new URL('./khabar-en.json', import.meta.url)],
  fr: ['khabar-fr.json', () => new URL('./khabar-fr.json', import.meta.url)],
};
/** Whether `object` has `key` of its own (`Object.hasOwn` is Safari 15.4+). */
const own = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

/** The error `mount()` and `update()` throw, and `ready` rejects with. */
export class KhabarError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'KhabarError';
    this.code = code;
  }
}

/** Runs `f`, turning the wasm's errors (an Error named KhabarError with a code) into a KhabarError. */
function call(f) {
  try {
    return f();
  } catch (e) {
    throw e instanceof KhabarError ? e : new KhabarError(e?.code ?? 'dom', e?.message ?? String(e));
  }
}

let settle;
/**
 * Resolves once the widget code runs: the core module, or on a page whose
 * widgets are all comment sections, the comments page's module; rejects
 * (with a KhabarError, code `load`) if the core cannot start.
 */
export const ready = new Promise((resolve, reject) => { settle = { resolve, reject }; });
ready.catch(() => {}); // reported through khabar:error and the console, not as an unhandled rejection
let configured = false;
/** The options the widget was set up with (see `configure`). */
let setUp = {};
let warm = false; // the page's first Intl object asked for (warmUpIntl)
let storageWarm = false; // the page's localStorage opened (warmUpStorage)
let defaultApi;
let catalogBase; // the folder of the catalogs when the page names one (else next to this file)
let placeholderApi; // the API of `khabar/auto`'s placeholders, once it mounts them
const catalogs = new Map(); // tag → the catalog object once in, or the promise of it
let readyBy = null; // the module whose start settles `ready`: the first started, or the core after a failure

/**
 * The three wasm modules as the loader drives them: `start` (the promise of
 * its start, once asked), `glue` (its exports once it runs), `waiting` (the
 * handles opened before). The core shows every kind and mounts a comment
 * section through the comments module; a page whose widgets are all comment
 * sections loads the comments page's module alone instead. On the CDN each
 * has its glue in a file of its own (`file`; `wasm` is set by `configure`;
 * `tries` counts a lazy module's failed starts, after which its glue is
 * asked for by a new URL; `failed` is the core's error once it could not
 * start).
 */
const wasmModule = (fields) => ({ start: null, failed: null, glue: null, running: false, memory: null, waiting: new Set(), ...fields });
const core = wasmModule({
  name: 'core module', file: CORE_GLUE, fileIntegrity: CORE_GLUE_INTEGRITY,
  bundled: () => import('./khabar_core.js'),
});
const comments = wasmModule({
  name: 'comments module', wasmIntegrity: COMMENTS_INTEGRITY,
  file: COMMENTS_GLUE, fileIntegrity: COMMENTS_GLUE_INTEGRITY, tries: 0,
  bundled: () => import('./khabar_comments.js'),
});
const page = wasmModule({
  name: "comments page's module", wasmIntegrity: PAGE_INTEGRITY,
  file: PAGE_GLUE, fileIntegrity: PAGE_GLUE_INTEGRITY, tries: 0,
  bundled: () => import('./khabar_comments_page.js'),
});
// After the comments page's module failed to start, the core shows comment
// widgets too, with the failure of their section and its "try again".
let pageBroken = false;

/** Whether a widget of `kind` is a comment section. */
const isComments = (kind) => String(kind ?? '').trim() === 'comments';
/** The module that mounts a widget of `kind`: the core once it is asked for (and not failed). */
const moduleFor = (kind) => (isComments(kind) && (!core.start || core.failed) && !pageBroken ? page : core);

/** The article URL the wasm asks for (api.rs): percent-encoded like encodeURIComponent, and `!'()*` too. */
const articleUrl = (base, id) => `${base.replace(/\/+$/, '')}/articles/${
  encodeURIComponent(id).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;

/**
 * Requests an article (or, with `comments`, its first page of comments, as
 * the comments module asks for it: 20, `khabar-rules`) now, while the
 * modules download and compile, and reads its answer as it arrives; the
 * wasm takes the answer for its URL (a URL it does not ask for costs one
 * unused request and its reading, let go after a minute).
 */
function requestEarly(api, id, ofComments = false) {
  if ((ofComments ? comments.running || page.running : core.running) || !id || !id.trim()) return;
  prefetch(earlyUrl(api, id.trim(), ofComments));
}

/**
 * The URL of an article, or with `ofComments` of its first page of comments
 * (20, each with its first 20 replies), as the wasm asks for it (src/api.rs).
 */
const earlyUrl = (api, id, ofComments) => articleUrl(api, id) + (ofComments ? '/comments?limit=20&replies=20' : '');

/**
 * The catalog tag of a widget whose option names language `tag` on a page
 * (or part) of language `pageTag` (BCP 47 tags, or nothing): the first the
 * widget speaks, else Arabic, as the wasm picks it (src/config.rs).
 */
function catalogTag(tag, pageTag) {
  const spoken = (t) => own(CATALOGS, t) && t;
  const primary = (t) => String(t ?? '').trim().split(/[-_]/)[0].toLowerCase();
  return spoken(primary(tag)) || spoken(primary(pageTag)) || 'ar';
}

/**
 * The catalog of `tag`: the object once it is in, else the promise of it
 * (fetched once, checked against its hash). What both modules ask through
 * `setCatalogs`; with `peek` (a module looking it up while it renders) it
 * answers only what it has and starts no fetch. A failed fetch is
 * forgotten so that "try again" refetches.
 */
function catalog(tag, peek = false) {
  if (!peek && !catalogs.has(tag) && own(CATALOGS, tag)) {
    const [name, here] = CATALOGS[tag];
    const url = catalogBase ? new URL(name, catalogBase) : here();
    const integrity = CATALOG_INTEGRITY[tag];
    // A bundler may inline a small catalog as a data: URL (Vite does below
    // 4 KiB): it is the page's own code then, read without a request,
    // which a CSP's connect-src would refuse.
    const [inlined, base64, data] = /^data:[^,]*?(;base64)?,(.*)$/s.exec(url.href) || [];
    const loading = (inlined
      ? Promise.resolve().then(() => JSON.parse(base64
        ? new TextDecoder().decode(Uint8Array.from(atob(data), (c) => c.charCodeAt(0)))
        : decodeURIComponent(data)))
      : fetch(url, integrity ? { integrity } : {})
        .then((r) => { if (!r.ok) throw new Error(`HTTP ${r.status}`); return r.json(); }))
      .then((c) => { catalogs.set(tag, c); return c; }, (e) => {
        catalogs.delete(tag);
        console.error(`khabar: could not load ${url}: ${e && e.message}`);
        throw e;
      });
    loading.catch(() => {}); // the widget shows the failure
    catalogs.set(tag, loading);
  }
  return catalogs.get(tag);
}

/**
 * Starts `module`: its glue and its wasm are requested at once, and fetch()
 * checks the wasm's hash and rejects on a mismatch before a single byte is
 * compiled. The glue first: the wasm compiles as it downloads only once the
 * glue is in to start the compile, and a server that sends one response
 * after another (HTTP/2 priorities) would otherwise send the whole wasm
 * first. Resolves to the wasm's exports.
 */
function start(module) {
  const { wasm: url, wasmIntegrity: integrity } = module;
  const glue = glueOf(module);
  const wasm = fetch(url, integrity ? { integrity } : {});
  wasm.catch(() => {}); // told below, once the glue is in
  return glue.then((initModule) => initModule({ module_or_path: wasm }).catch((e) => {
    const why = integrity ? ' (network error, or the file does not match its integrity hash)' : '';
    console.error(`khabar: could not start ${url}${why}: ${e && e.message}`);
    throw e;
  }));
}

/**
 * Imports the module at `url` only if it matches `integrity`. import() takes
 * no hash, but a `modulepreload` link does, and puts the module it checked
 * in the page's module map, where import() then finds it. Browsers without
 * modulepreload get a checked fetch first, then import() from their cache.
 */
function importChecked(url, integrity) {
  const refused = () => new Error(`${url}: network error, or the file does not match its integrity hash`);
  const link = document.createElement('link');
  // A page whose CSP allows scripts by nonce gives its scripts one: the
  // link is checked as a script is. The loader's own tag's, else the
  // page's first (a bundle has no tag of its own).
  link.nonce = setUp.nonce || (document.querySelector('script[nonce]')?.nonce ?? '');
  if (!link.relList.supports('modulepreload')) {
    return fetch(url, { integrity }).then((r) => { if (!r.ok) throw refused(); return import(url); });
  }
  return new Promise((resolve, reject) => {
    Object.assign(link, { rel: 'modulepreload', href: url, integrity, crossOrigin: 'anonymous' });
    link.onload = () => resolve(import(url));
    link.onerror = () => reject(refused());
    (document.head ?? document.documentElement).append(link);
  }).finally(() => link.remove());
}

/**
 * A module's glue: next to its wasm and checked against its hash in the
 * CDN bundle (by a new URL after a failure, which the page's module map
 * would otherwise remember), else the bundler's chunk.
 */
function importGlue(module) {
  if (!module.file) return module.bundled();
  const url = new URL(module.file, module.wasm);
  if (module.tries) url.search = `?retry=${module.tries}`;
  return importChecked(url.href, module.fileIntegrity);
}

/**
 * The init function of a module's glue, once it is in (imported once, then
 * kept as `imported`); a glue that cannot load is told in the console.
 */
function glueOf(module) {
  const glue = module.imported ?? importGlue(module).then((g) => (module.imported = g), (e) => {
    console.error(`khabar: could not start the ${module.name}: ${e && e.message}`);
    throw e;
  });
  return Promise.resolve(glue).then((g) => g.default);
}

/** Whether a dateline in `calendar` and `zone` needs Intl (the rest comes from the catalog). */
const needsIntl = (calendar, zone) => (calendar && calendar !== 'gregory') || !!zone;

/**
 * The page's first `Intl.DateTimeFormat` sets up the browser's time-zone and
 * locale data: 15–50 ms on a small machine. Only a dateline in another
 * calendar than the Gregorian or in a time zone the page names needs it
 * (the rest is written from the catalog: js/dates.js), so a page that shows
 * such an article at once makes it in a task of its own while the modules
 * download and compile; the widget's own formatter is then ready in under
 * a millisecond.
 */
function warmUpIntl() {
  if (warm || core.running) return;
  warm = true;
  setTimeout(() => {
    try {
      new Intl.DateTimeFormat().resolvedOptions();
    } catch {
      // No Intl, or a broken one: the widget reports what it cannot format.
    }
  }, 0);
}

/**
 * A page's first use of `localStorage` opens it: a round trip to the
 * browser's storage process, 1–5 ms on a small machine (measured in
 * Chromium), paid by the comment section as it reads the reader's draft
 * and pending comments in its first render. Starting a module of the
 * comment section (or of the send form, which keeps no drafts: harmless)
 * has it opened in a task of its own while the wasm downloads.
 * Storage the browser refuses (blocked, private modes) throws here and in
 * the widget alike, which then keeps no drafts.
 */
function warmUpStorage() {
  if (storageWarm) return;
  storageWarm = true;
  setTimeout(() => {
    try {
      localStorage.getItem('khabar');
    } catch {
      // Refused: the widget finds the same.
    }
  }, 0);
}

/**
 * Where the modules and the catalogs are found (once): `api` (the default
 * API base), `wasmBase` (the folder of the wasm files), `wasm` and
 * `wasmIntegrity` (the core file and its hash; the others are looked for
 * next to it).
 */
function configure(options) {
  if (configured) {
    // Set up already (by a first mount(), or by khabar/auto at import):
    // options given later would be silently lost.
    const late = ['api', 'wasmBase', 'wasm', 'wasmIntegrity'].filter((k) => options[k] != null && options[k] !== setUp[k]);
    if (late.length) {
      console.warn(`khabar: init() came after the widget was set up; ${late.join(', ')} ignored. Call init() before the first mount(), and before importing khabar/auto.`);
    }
    return;
  }
  configured = true;
  setUp = options;
  defaultApi = options.api;
  const here = typeof document === 'undefined' ? undefined : document.baseURI;
  const base = options.wasmBase && new URL(String(options.wasmBase).replace(/\/?$/, '/'), here);
  // Written as `new URL('./…', import.meta.url)` so that bundlers (Vite,
  // webpack, Rollup) copy the wasm files along with the code.
  core.wasm = options.wasm
    ? new URL(options.wasm, here)
    : base ? new URL('khabar_core_bg.wasm', base) : new URL('./khabar_core_bg.wasm', import.meta.url);
  core.wasmIntegrity = options.wasmIntegrity || WASM_INTEGRITY;
  const placed = base || options.wasm;
  comments.wasm = placed ? new URL('khabar_comments_bg.wasm', base || core.wasm)
    : new URL('./khabar_comments_bg.wasm', import.meta.url);
  page.wasm = placed ? new URL('khabar_comments_page_bg.wasm', base || core.wasm)
    : new URL('./khabar_comments_page_bg.wasm', import.meta.url);
  catalogBase = base || (options.wasm ? core.wasm : undefined);
}

/** Hands a module that just started what it calls back, and mounts what waited for it. */
function running(started, glue, exports) {
  started.glue = glue;
  started.memory = exports.memory;
  started.running = true;
  glue.setHost(host);
  glue.setCatalogs(catalog);
  // The core mounts the comments module's sections itself.
  if (started !== comments) {
    if (defaultApi) glue.setDefaultApi(defaultApi);
    if (readyBy === started) settle.resolve();
    mountWaiting(started);
    if (placeholderApi !== undefined) glue.autoMount(placeholderApi);
  }
  // Its widgets share the answers the loader asked for early, each
  // asking once its catalog is in.
  holdEarly(Promise.allSettled(Array.from(catalogs.values())));
}

/** Mounts the handles that wait for `started`, which runs. */
function mountWaiting(started) {
  for (const handle of started.waiting) startHandle(handle);
  started.waiting.clear();
}

/**
 * Starts the core module (once; later calls return the same promise).
 * Options as `configure`'s; the first call's count.
 */
export function init(options = {}) {
  // On the server (server-side rendering runs the same module in Node):
  // nothing, neither a download nor the options, which the browser's own
  // call sets up (a relative `wasmBase` has no page to resolve against).
  // Settled at once there: a server render that awaits it goes on.
  if (typeof document === 'undefined') return Promise.resolve();
  configure(options);
  if (core.start) return ready;
  readyBy ??= core;
  // Rejects with the error every widget it leaves empty is told, however
  // late it asks.
  core.start = start(core).catch((e) => {
    throw new KhabarError('load', `could not start ${core.wasm}: ${e && e.message}`);
  });
  core.start.then((exports) => {
    core.imported.setCommentsLoader(loadComments);
    running(core, core.imported, exports);
  }, (error) => {
    core.failed = error;
    if (readyBy === core) settle.reject(error);
    for (const handle of core.waiting) failHandle(handle, error);
    core.waiting.clear();
    tellPlaceholders(error);
  });
  return ready;
}

const told = new WeakSet(); // placeholders told that the core failed
let watching = false; // for placeholders the page adds after the core failed

/**
 * Fires the core's failure at each placeholder of `khabar/auto` it leaves
 * empty (once each): those on the page when it failed, and those the page
 * adds later (found here, since no module may run to find them, or by a
 * running comments page's module, which asks the core for them).
 */
function tellPlaceholders(error) {
  if (placeholderApi === undefined) return;
  if (!watching) {
    watching = true;
    // A full scan per change: native and quick, and only on a page whose
    // core failed (looking at the changed nodes alone cost 80 bytes gzip).
    new MutationObserver(() => tellPlaceholders(error))
      .observe(document.documentElement, { childList: true, subtree: true, attributeFilter: ['data-khabar'] });
  }
  for (const el of document.querySelectorAll('[data-khabar]')) {
    // Sections the comments page's module shows are not the core's.
    const pages = isComments(el.dataset.khabar) && page.start && !pageBroken;
    if (el.hasAttribute('data-khabar-mounted') || pages || told.has(el)) continue;
    told.add(el);
    report(el, error);
  }
}

/**
 * Starts a lazy module (`comments` or `page`; once, until a start fails)
 * and resolves to its glue's exports. A failed start is forgotten, so that
 * "try again" fetches it again.
 */
function startLazy(lazy) {
  configure({});
  if (lazy.start) return lazy.start;
  warmUpStorage();
  lazy.start = start(lazy).then(
    (exports) => { running(lazy, lazy.imported, exports); return lazy.imported; },
    (e) => { lazy.start = null; lazy.tries += 1; throw e; },
  );
  return lazy.start;
}

/**
 * Starts the comments page's module. If it cannot start, the core shows
 * its comment widgets instead: their sections then tell the failure of
 * the comments module, with a "try again", as under an article.
 */
function startPage() {
  if (page.start || pageBroken) return;
  readyBy ??= page;
  startLazy(page).catch(() => {
    pageBroken = true;
    if (readyBy === page) readyBy = core;
    for (const handle of page.waiting) {
      moveHandle(handle, core);
      core.waiting.add(handle);
    }
    page.waiting.clear();
    init();
    if (core.running) {
      // The core ran while this module was on its way, and did not settle
      // `ready`, which waited for this one.
      if (readyBy === core) settle.resolve();
      mountWaiting(core);
      if (placeholderApi !== undefined) core.glue.autoMount(placeholderApi);
    } else if (core.failed) {
      // The core could not start either (and, not yet settling `ready`
      // then, told no one waiting here): each is told now.
      if (readyBy === core) settle.reject(core.failed);
      for (const handle of core.waiting) failHandle(handle, core.failed);
      core.waiting.clear();
      tellPlaceholders(core.failed);
    }
  });
}

/**
 * A lazy comment section meant for the comments page's module nears the
 * viewport: that module starts, unless the widget was taken down
 * meanwhile, or the core, asked for since by another widget, can show it
 * without a module more.
 */
function nearPage(handle) {
  if (!page.waiting.has(handle)) return; // destroyed, or moved on
  if (core.start && !core.failed && !page.start) {
    page.waiting.delete(handle);
    moveHandle(handle, core);
    core.waiting.add(handle);
    if (core.running) mountWaiting(core);
    return;
  }
  startPage();
}

/**
 * The core's way to the comments module (`setCommentsLoader`): resolves
 * to its `mountSection`, or to the export `name` (`wireSendForm`, for the
 * send-to-a-friend form). The core passes the URL of the section's first
 * page of comments: it is requested now, with the module, and handed to
 * it when it runs, instead of after.
 */
function loadComments(firstPage, name = 'mountSection') {
  // After a failed start ("retry"), a first page that failed with it is asked for anew.
  if (typeof firstPage === 'string' && !comments.running) prefetch(firstPage, comments.tries > 0);
  return startLazy(comments).then((g) => g[name]);
}

/**
 * Starts what shows a comment section at once: the comments page's module
 * while the core is not asked for, else the comments module, beside the
 * core's (a failure is told in the section's place).
 */
function startCommentsEarly() {
  if (moduleFor('comments') === page) startPage();
  else if (!comments.running) startLazy(comments).catch(() => {});
}

/**
 * Calls `then` once `element` is within a screen of the viewport; returns
 * what stops the watch before.
 */
function whenNear(element, then) {
  const stop = near(element, '100% 0px', () => { stop(); then(); });
  if (!stop) then();
  return stop ?? (() => {});
}

const nearing = new WeakMap(); // handle → stops the watch of its lazy section

/**
 * A comment-section placeholder found by `khabar/auto`: starts what shows
 * it (a lazy one's once it nears the viewport; the core, once asked for,
 * loads the comments module itself then).
 */
function need(element) {
  if (needed.has(element)) return;
  needed.add(element);
  const d = element.dataset;
  const lazy = d.khabarLazy ?? d.lazy;
  if (lazy === undefined || lazy === 'false') startCommentsEarly();
  else if (moduleFor('comments') === page) whenNear(element, startCommentsEarly);
}

const needed = new WeakSet(); // comment-section placeholders `need` has seen

/**
 * While no module is started (a page of lazy comment sections still far
 * below), the placeholders the page adds start what shows them, as those
 * the loader found did: a started module mounts them itself.
 */
function startForAdded() {
  if (core.start || page.start) return;
  for (const el of document.querySelectorAll('[data-khabar]')) {
    if (el.dataset.khabar.trim() === 'comments') need(el);
    else init();
  }
}

/** Fires `khabar:error` at `element` (bubbling, through shadow roots). */
function report(element, error) {
  element.dispatchEvent(new CustomEvent('khabar:error', {
    bubbles: true, composed: true, detail: { code: error.code, message: error.message },
  }));
}

// The module's own ways into a handle, kept off its public surface.
let startHandle;
let failHandle;
let moveHandle; // to another module, before it mounted (the comments page's module failed)
let moduleOf; // the module a handle mounts in
let kindOf; // the kind its options or attributes name
let reviveHandle; // mounts it again if the page's watch took it down; false once destroyed

/** What `mount()` returns: works at once; calls made before the module runs are kept until it does. */
class Handle {
  #element;
  #options;
  #fromAttributes;
  #json;
  #inner = null;
  #destroyed = false;
  #quiet = false; // a framework component's: options refused are told, never shown
  #module; // the module that mounts it (moduleFor its kind)

  constructor(element, options, fromAttributes, quiet = false) {
    // The ways in, set by the first handle (each takes one): a class
    // static block would set them, but Safari before 16.4 cannot parse it.
    startHandle ??= (handle) => handle.#start();
    failHandle ??= (handle, error) => report(handle.#element, error);
    moveHandle ??= (handle, module) => { handle.#module = module; };
    moduleOf ??= (handle) => handle.#module;
    kindOf ??= (handle) => handle.#kind();
    reviveHandle ??= (handle) => handle.#revive();
    this.#element = element;
    this.#options = options;
    this.#fromAttributes = fromAttributes;
    this.#quiet = quiet;
    this.#module = moduleFor(this.#kind());
  }

  /** The kind its options or attributes name now. */
  #kind() {
    return this.#fromAttributes ? this.#element.getAttribute('kind') : this.#options?.kind;
  }

  /** Mounts in the wasm; throws a KhabarError on unusable options. */
  #start(unheard = this.#module.waiting.has(this)) {
    if (this.#destroyed || this.#inner) return;
    const wasm = this.#module.glue;
    try {
      // Options refused now, when nobody can catch a throw, are shown in
      // the widget instead, as a placeholder's are.
      // A component's are told only (its `onError`): the placeholder keeps
      // its height for the props that come next (an id still loading).
      const mountObject = unheard && !this.#quiet ? wasm.mountShowingRefusal : wasm.mount;
      this.#inner = call(() => (this.#fromAttributes
        ? wasm.mountFromAttributes(this.#element, this.#options)
        : mountObject(this.#element, this.#options)));
      if (this.#json !== undefined) this.#inner.showJson(this.#json);
    } catch (e) {
      if (!unheard) throw e;
      // Mounted before the module ran, or again when its element came back
      // (#revive): nobody can catch it any more.
      if (!this.#quiet) console.error(`khabar: ${e.message}`);
      report(this.#element, e);
    }
  }

  /**
   * Mounts again in the core a widget of the comments page's module that
   * is no longer a comment section (the core shows every kind).
   */
  #remount() {
    if (this.#module !== page || isComments(this.#kind())) return false;
    this.#unmount();
    this.#module = core;
    wait(this, this.#element, this.#fromAttributes ? {} : this.#options ?? {});
    return true;
  }

  /** Replaces the options and reloads (nothing, once destroyed). Throws a KhabarError on unusable options. */
  update(options) {
    // A destroyed widget stays down: a new kind would otherwise start the
    // core, and ask for the article, for an element nobody shows.
    if (this.#destroyed) return;
    // A <khabar-widget>'s options are its attributes, read at each change.
    if (this.#fromAttributes) throw new KhabarError('config', '<khabar-widget>: set its attributes, not update()');
    const before = [this.#options, this.#json];
    this.#options = options;
    this.#json = undefined;
    try {
      if (this.#remount()) return;
    } catch (e) {
      // The core refused the new options after the section came down:
      // the section comes back as it was (in the core, which runs now).
      [this.#options, this.#json] = before;
      this.#module = moduleFor(this.#kind());
      wait(this, this.#element, this.#fromAttributes ? {} : this.#options ?? {});
      throw e;
    }
    try {
      if (this.#inner) call(() => this.#inner.update(options));
      else if (this.#waitAgain()) return;
      // Not mounted (its options were refused once the module ran, or when
      // its element came back): now.
      else if (!this.#destroyed && this.#module.running && !this.#module.waiting.has(this)) this.#start();
    } catch (e) {
      // Refused: what it shows, and shows again if it comes back, stays.
      [this.#options, this.#json] = before;
      throw e;
    }
  }

  /** Re-reads the element's attributes (for `<khabar-widget>`). */
  updateFromAttributes() {
    if (this.#destroyed || this.#remount()) return;
    if (this.#inner) call(() => this.#inner.updateFromAttributes());
    else this.#waitAgain();
  }

  /**
   * A widget still waiting for its module waits again as its new options
   * say, in the module that would show it now (`lazy` turned off loads it
   * at once, a new article is asked for early).
   */
  #waitAgain() {
    if (!this.#module.waiting.has(this)) return false;
    this.#unmount();
    this.#module = moduleFor(this.#kind());
    wait(this, this.#element, this.#fromAttributes ? {} : this.#options ?? {});
    return true;
  }

  /** Takes the widget down in its module, or off the module's waiting list. */
  #unmount() {
    this.#module.waiting.delete(this);
    // A lazy section's watch holds it (and its element) until it fires.
    nearing.get(this)?.();
    nearing.delete(this);
    const inner = this.#inner;
    this.#inner = null;
    // After a crash the wasm may refuse the call: a framework's unmount
    // must not fail with it (the crash was told when it happened).
    try {
      inner?.destroy();
    } catch {}
    try {
      inner?.free();
    } catch {}
  }

  /**
   * Mounts again, with the latest options, a widget that the page's watch
   * took down while its element was out of the page and that is back
   * (the wasm takes the mark off what it takes down). False once destroyed.
   */
  #revive() {
    const el = this.#element;
    if (this.#inner && el.isConnected && !el.hasAttribute('data-khabar-mounted')) {
      this.#unmount();
      this.#start(true);
    }
    return !this.#destroyed;
  }

  /** Removes the widget, its listeners and any request in flight, and frees its memory. */
  destroy() {
    this.#destroyed = true;
    this.#unmount();
  }

  /** Renders article JSON the page already has, without a request. */
  showJson(json) {
    this.#json = json; // shown again if it is mounted again
    this.#inner?.showJson(json);
  }

}

/**
 * Mounts `handle` once its module runs, starting what it needs meanwhile:
 * its module (a lazy comment section's once it nears the viewport), its
 * catalog, its article or first page of comments, the browser's dates.
 * `o` are its options (empty for attributes, which the wasm reads).
 */
function wait(handle, element, o) {
  const module = moduleOf(handle);
  const api = () => o.api || defaultApi || new URL('/api/v1', location.href).href;
  // What this widget will ask for (known from its options; a placeholder's
  // attributes are the wasm's to read), if an early request of it failed.
  const id = typeof o.articleId === 'string' ? o.articleId.trim() : '';
  if (id) askFailedAgain([false, true].map((ofComments) => earlyUrl(api(), id, ofComments)));
  if (module.running) {
    startHandle(handle);
    return;
  }
  if (['article', 'card', 'actions'].includes(o.kind) && !o.lazy && typeof o.articleId === 'string') {
    requestEarly(api(), o.articleId);
  }
  if (o.kind === 'article' && !o.lazy && needsIntl(o.calendar, o.timeZone)) warmUpIntl();
  module.waiting.add(handle);
  catalog(catalogTag(o.lang, element.closest('[lang]')?.getAttribute('lang')));
  if (module === core) {
    init();
    // init() may already have failed.
    core.start.catch((e) => { if (core.waiting.delete(handle)) failHandle(handle, e); });
  }
  if (!isComments(kindOf(handle))) return;
  // A comment section: its first page of comments and what shows it come now
  // (a lazy one's in the core loads its module when it nears the viewport).
  const attribute = element.getAttribute('lazy');
  const lazy = o.kind ? !!o.lazy : attribute !== null && attribute !== 'false';
  if (lazy) {
    if (module === page) nearing.set(handle, whenNear(element, () => nearPage(handle)));
    return;
  }
  if (typeof o.articleId === 'string' && !o.articleUrl) requestEarly(api(), o.articleId, true);
  startCommentsEarly();
}

/** Opens a handle: mounts now when its module runs, else as soon as it does (starting it). */
function open(element, options, fromAttributes, quiet = false) {
  // Refused before anything waits for the module: a handle without an
  // element (a selector that found none) would stop every widget queued
  // after it from mounting.
  if (typeof element?.closest !== 'function') throw new KhabarError('config', `mount() needs an element, not ${element}`);
  // Mounting again into an element replaces its widget, which would
  // otherwise live on unseen, asking and firing its events twice.
  handleOf.get(element)?.destroy();
  const handle = new Handle(element, options, fromAttributes, quiet);
  wait(handle, element, fromAttributes ? {} : options ?? {});
  rememberHandle(handle, element);
  return handle;
}

// Where the script tag or khabar/auto runs, its watch takes down every
// widget whose element left the page. A handle's element may come back (a
// view the page keeps for later, as Vue's KeepAlive does): its widget is
// then mounted again (`reviveReturned`, beside the page's watch). The handle
// lives as long as its element, which the page may drop, and the handle
// with it.
const handleOf = new WeakMap();
const elements = new Set(); // WeakRefs to the keys of handleOf
// Without khabar/auto nothing revives, so nothing would sweep `elements`: a
// page that mounts into new elements (a framework's, on every navigation)
// would keep a WeakRef for each. Each goes with its element. Made at the
// first mount: a server that renders the page imports this module, and
// some (Cloudflare Workers by default) have no FinalizationRegistry.
let forget;

function rememberHandle(handle, element) {
  if (!handleOf.has(element)) {
    const ref = new WeakRef(element);
    elements.add(ref);
    (forget ??= new FinalizationRegistry((r) => elements.delete(r))).register(element, ref);
  }
  handleOf.set(element, handle); // the latest handle of an element
}

/** Mounts again each handle's widget that was taken down and whose element is back. */
function reviveReturned() {
  for (const ref of elements) {
    const el = ref.deref();
    const h = handleOf.get(el);
    if (!h || !reviveHandle(h)) {
      elements.delete(ref);
      handleOf.delete(el);
    }
  }
}

/** Mounts a widget into `element`; see KhabarOptions in index.d.ts. */
export function mount(element, options) {
  return open(element, options, false);
}

/**
 * Mounts a widget for a framework component (`@khabar/react`, `/vue`,
 * `/svelte`). Options the widget refuses never throw into the framework's
 * render or effect: once the module runs, `mount()` and `update()` throw a
 * `KhabarError`, which is told here as the widget tells its own failures, a
 * `khabar:error` event on `element`, and the next `update()` mounts again.
 * `shown()` is called once the widget has taken the placeholder's place
 * (`data-khabar-mounted`): until then the placeholder keeps its height. A
 * module that cannot load (code `load`) leaves nothing to take it: the
 * height is given up then, not held empty for good.
 */
export function mountComponent(element, options, shown) {
  let handle = null;
  let destroyed = false; // then update() mounts nothing again
  const tell = (error) => element.dispatchEvent(new CustomEvent('khabar:error', {
    bubbles: true,
    composed: true,
    detail: { code: error?.code ?? 'config', message: String(error?.message ?? error) },
  }));
  const start = (o) => {
    try {
      handle = open(element, o, false, true);
    } catch (error) {
      handle = null;
      tell(error);
    }
  };
  const release = () => {
    watch.disconnect();
    element.removeEventListener('khabar:error', failed);
    shown();
  };
  const check = () => {
    if (element.hasAttribute('data-khabar-mounted')) release();
  };
  const failed = (event) => {
    if (event.detail?.code === 'load') release();
  };
  const watch = new MutationObserver(check);
  watch.observe(element, { attributes: true, attributeFilter: ['data-khabar-mounted'] });
  element.addEventListener('khabar:error', failed);
  start(options);
  check();
  return {
    update(o) {
      if (destroyed) return;
      if (!handle) return start(o);
      try {
        handle.update(o);
      } catch (error) {
        tell(error);
      }
    },
    destroy() {
      destroyed = true;
      watch.disconnect();
      element.removeEventListener('khabar:error', failed);
      handle?.destroy();
      handle = null;
    },
  };
}

/** The widget's version (semantic versioning). */
export function version() {
  return (core.glue ?? page.glue)?.version() ?? VERSION;
}

/** How many rows a list of `options` reserves: its limit when 1–50, else 10, as the widget reads it (src/config.rs). */
const rowsOf = (options) => {
  const limit = String(options?.limit ?? '').trim();
  return /^\+?\d+$/.test(limit) && +limit >= 1 && +limit <= 50 ? +limit : 10;
};

/**
 * The height a widget of `options` reserves (a CSS value with the same
 * custom properties the widget reads): what a server-rendered placeholder
 * holds until the widget mounts in the browser, so that nothing shifts.
 * In `rem`: the widget's sizes follow the reader's default font size, not
 * the text around its placeholder (a sidebar's smaller type).
 */
export function reservedHeight(options) {
  switch (options?.kind) {
    case 'article': return 'var(--khabar-article-min-height, 100vh)';
    case 'latest': return options.layout === 'strip' ? 'var(--khabar-strip-height, 2.5rem)'
      : `var(--khabar-latest-min-height, calc(7.5rem + ${rowsOf(options)} * 8.25rem))`;
    case 'card': return 'var(--khabar-card-min-height, 9.5rem)';
    case 'comments': return 'var(--khabar-comments-min-height, 54rem)';
    case 'actions': return 'var(--khabar-actions-min-height, 3.5rem)';
    default: return '0';
  }
}

/**
 * The same reservation as attributes for `khabar/placeholder.css`, for a
 * page whose Content-Security-Policy refuses inline styles: none for a
 * kind that reserves nothing.
 */
export function placeholderAttributes(options) {
  if (reservedHeight(options) === '0') return {};
  if (options.kind !== 'latest') return { 'data-khabar-reserve': options.kind };
  if (options.layout === 'strip') return { 'data-khabar-reserve': 'strip' };
  return { 'data-khabar-reserve': 'latest', 'data-khabar-reserve-rows': String(rowsOf(options)) };
}

/**
 * Figures for leak checks: widgets alive, requests in flight, wasm memory
 * (both modules together) and elements whose handles the loader remembers.
 */
export function debugCounts() {
  const modules = [core, comments, page].filter((m) => m.running);
  const live = [core, page].reduce((n, m) => n + (m.running ? m.glue.liveWidgets() : 0), 0);
  return [live, inFlight(), modules.reduce((n, m) => n + m.memory.buffer.byteLength, 0), elements.size];
}

/** For `khabar/auto` only; not part of the public API. */
export const __auto = {
  requestEarly,
  needsIntl,
  warmUpIntl,
  requestCatalog: (tag, pageTag) => catalog(catalogTag(tag, pageTag)),
  need,
  configure,
  /**
   * The API base set up (init()'s or the script tag's), else `fallback`,
   * which becomes every widget's when `adopt` (a script tag's origin) and
   * stays the placeholders' own otherwise (a bundle's origin: `mount()`
   * keeps the page's).
   */
  defaultApi: (fallback, adopt) => {
    if (!defaultApi && adopt) {
      defaultApi = fallback;
      for (const m of [core, page]) if (m.running) m.glue.setDefaultApi(fallback);
    }
    return defaultApi || fallback;
  },
  mountAttributes: (element, api) => open(element, api, true),
  /**
   * Mounts the page's placeholders in each module as it runs (each its own
   * kinds), and watches the page: after each change, handles whose element
   * came back are mounted again, and each running module mounts the new
   * placeholders and takes down the widgets whose host left.
   */
  mountPlaceholders: (api) => {
    if (placeholderApi === undefined) {
      // Each step on its own: one that throws (a module that crashed) must
      // not keep the others from this change, or from every later one.
      const steps = [reviveReturned, startForAdded, ...[core, page].map((m) => () => m.running && m.glue.autoMount(placeholderApi))];
      new MutationObserver(() => {
        for (const step of steps) {
          try { step(); } catch (e) { console.error('khabar:', e); }
        }
      }).observe(document.documentElement, { childList: true, subtree: true });
    }
    placeholderApi = api;
    for (const shows of [core, page]) if (shows.running) shows.glue.autoMount(api);
    if (core.failed) tellPlaceholders(core.failed);
  },
};
