// Khabar's programmatic entry (`import { mount } from 'khabar'`): nothing
// happens at import. It touches no DOM, starts no download and defines no
// element, so server-side rendering (Next.js, Nuxt, SvelteKit, Astro) can
// import it in Node. The wasm starts on the first `init()` or `mount()`.
// Placeholders and <khabar-widget> are in the other entry, `khabar/auto`
// (./khabar.js), which is also what the CDN's script tag runs.
import initCore, {
  autoMount, liveWidgets, mount as wasmMount, mountFromAttributes,
  setCatalogs, setCommentsLoader, setDefaultApi, setHost, version as wasmVersion,
} from './khabar_core.js';
import { count, dateline, relative } from './dates.js';
import { inFlight, request, requestEarly as prefetch, settle as settleWith } from './request.js';

// What both wasm modules call back into: written once here rather than
// compiled into each (src/host.rs). "5 minutes ago" and most datelines are
// written in the words of the language's catalog, which is in before a
// widget renders.
const host = {
  request, settle: settleWith, count,
  dateline: (lang, digits, calendar, zone) => dateline(lang, digits, calendar, zone, catalog(lang, true)),
  relative: (lang, digits) => relative(catalog(lang, true), lang, digits),
};

// `cargo xtask dist` writes each module's Subresource Integrity hash here, so
// the published loader refuses a wasm file that is not the one it was built with.
const WASM_INTEGRITY = '';
const COMMENTS_INTEGRITY = '';
// The comments module's glue (its JavaScript half) is a file of its own,
// imported with its wasm: a page whose comments stay out of reach loads
// neither. The CDN's loader names the published file and its hash here;
// elsewhere (the npm package) it is `./khabar_comments.js`, a chunk of the
// page's bundler.
const COMMENTS_GLUE = '';
const COMMENTS_GLUE_INTEGRITY = '';
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
/** Resolves once the core module runs; rejects (with a KhabarError, code `load`) if it cannot start. */
export const ready = new Promise((resolve, reject) => { settle = { resolve, reject }; });
ready.catch(() => {}); // reported through khabar:error and the console, not as an unhandled rejection
let started = false;
let running = false;
let commentsRunning = false;
let warm = false; // the page's first Intl object asked for (warmUpIntl)
let defaultApi;
const waiting = new Set(); // handles mounted before the module ran
let commentsUrl;
let catalogBase; // the folder of the catalogs when the page names one (else next to this file)
const catalogs = new Map(); // tag → the catalog object once in, or the promise of it
let comments = null; // the comments module's start, once asked for
let commentsGlue = null; // its glue's exports, once imported
let coreMemory = null; // each module's wasm memory, once it runs (debugCounts)
let commentsMemory = null;
let commentsTries = 0; // failed starts so far: a retry imports the glue by a new URL

/** The article URL the wasm asks for (api.rs): percent-encoded like encodeURIComponent, and `!'()*` too. */
const articleUrl = (base, id) => `${base.replace(/\/+$/, '')}/articles/${
  encodeURIComponent(id).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;

/**
 * Requests an article (or, with `comments`, its first page of comments, as
 * the comments module asks for it: 20, `khabar-rules`) now, while the
 * modules download and compile; the wasm takes the response for its URL (a
 * URL it does not ask for costs one unused request, nothing more).
 */
function requestEarly(api, id, comments = false) {
  if ((comments ? commentsRunning : running) || !id || !id.trim()) return;
  prefetch(articleUrl(api, id.trim()) + (comments ? '/comments?limit=20' : ''));
}

/** The catalog tag a widget of language `tag` (a BCP 47 tag, or nothing) uses: Arabic unless it speaks it. */
function catalogTag(tag) {
  const primary = String(tag ?? '').trim().split(/[-_]/)[0].toLowerCase();
  return Object.hasOwn(CATALOGS, primary) ? primary : 'ar';
}

/**
 * The catalog of `tag`: the object once it is in, else the promise of it
 * (fetched once, checked against its hash). What both modules ask through
 * `setCatalogs`; with `peek` (a module looking it up while it renders) it
 * answers only what it has and starts no fetch. A failed fetch is
 * forgotten so that "try again" refetches.
 */
function catalog(tag, peek = false) {
  if (!peek && !catalogs.has(tag) && Object.hasOwn(CATALOGS, tag)) {
    const [name, here] = CATALOGS[tag];
    const url = catalogBase ? new URL(name, catalogBase) : here();
    const integrity = CATALOG_INTEGRITY[tag];
    const loading = fetch(url, integrity ? { integrity } : {})
      .then((r) => { if (!r.ok) throw new Error(`HTTP ${r.status}`); return r.json(); })
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
 * Starts a module (`glue`: its init function, or the promise of it, whose
 * failure the caller tells): the wasm is requested at once, and fetch()
 * checks its hash and rejects on a mismatch before a single byte is compiled.
 */
function start(glue, url, integrity) {
  const wasm = fetch(url, integrity ? { integrity } : {});
  wasm.catch(() => {}); // told below, once the glue is in
  return Promise.resolve(glue).then((initModule) => initModule({ module_or_path: wasm }).catch((e) => {
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
 * The comments module's glue: next to its wasm and checked against its hash
 * in the CDN bundle (by a new URL after a failure, which the page's module
 * map would otherwise remember), else the bundler's chunk.
 */
function importCommentsGlue() {
  if (!COMMENTS_GLUE) return import('./khabar_comments.js');
  const url = new URL(COMMENTS_GLUE, commentsUrl);
  if (commentsTries) url.search = `?retry=${commentsTries}`;
  return importChecked(url.href, COMMENTS_GLUE_INTEGRITY);
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
  if (warm || running) return;
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
 * Starts the core module (once; later calls return the same promise).
 * Options: `api` (the default API base), `wasmBase` (the folder of both wasm
 * files), `wasm` and `wasmIntegrity` (the core file and its hash).
 */
export function init(options = {}) {
  if (started) return ready;
  started = true;
  defaultApi = options.api;
  const page = typeof document === 'undefined' ? undefined : document.baseURI;
  const base = options.wasmBase && new URL(String(options.wasmBase).replace(/\/?$/, '/'), page);
  // Written as `new URL('./…', import.meta.url)` so that bundlers (Vite,
  // webpack, Rollup) copy the wasm files along with the code.
  const coreUrl = options.wasm
    ? new URL(options.wasm, page)
    : base ? new URL('khabar_core_bg.wasm', base) : new URL('./khabar_core_bg.wasm', import.meta.url);
  commentsUrl = base || options.wasm
    ? new URL('khabar_comments_bg.wasm', base || coreUrl)
    : new URL('./khabar_comments_bg.wasm', import.meta.url);
  catalogBase = base || (options.wasm ? coreUrl : undefined);
  const core = start(initCore, coreUrl, options.wasmIntegrity || WASM_INTEGRITY);
  core.then((exports) => {
    coreMemory = exports.memory;
    if (options.api) setDefaultApi(options.api);
    setHost(host);
    setCommentsLoader(loadComments);
    setCatalogs(catalog);
    running = true;
    settle.resolve();
    for (const handle of waiting) startHandle(handle);
    waiting.clear();
  }, (e) => {
    const error = new KhabarError('load', `could not start ${coreUrl}: ${e && e.message}`);
    settle.reject(error);
    for (const handle of waiting) failHandle(handle, error);
    waiting.clear();
  });
  return ready;
}

/**
 * Starts the comments module (once; after init()) and resolves to its
 * `mountSection`. A failed start is forgotten, so the section's "try again"
 * fetches it again. The core passes the URL of the section's first page of
 * comments: it is requested now, with the module, and handed to it when it
 * runs, instead of after.
 */
function loadComments(firstPage) {
  if (typeof firstPage === 'string' && !commentsRunning) prefetch(firstPage);
  if (comments) return comments;
  const glue = commentsGlue ?? importCommentsGlue().then((g) => (commentsGlue = g), (e) => {
    console.error(`khabar: could not start the comments module: ${e && e.message}`);
    throw e;
  });
  comments = start(Promise.resolve(glue).then((g) => g.default), commentsUrl, COMMENTS_INTEGRITY).then(
    (exports) => {
      commentsMemory = exports.memory;
      commentsRunning = true;
      commentsGlue.setCatalogs(catalog);
      commentsGlue.setHost(host);
      return commentsGlue.mountSection;
    },
    (e) => { comments = null; commentsTries += 1; throw e; },
  );
  return comments;
}

/**
 * A page that shows comments at once (a `comments` widget) starts their
 * module with the core's instead of after it; a failure is told by the
 * section when it asks for the module.
 */
function startCommentsEarly() {
  if (commentsUrl && !running) loadComments().catch(() => {});
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

/** What `mount()` returns: works at once; calls made before the module runs are kept until it does. */
class Handle {
  static {
    startHandle = (handle) => handle.#start();
    failHandle = (handle, error) => report(handle.#element, error);
  }

  #element;
  #options;
  #fromAttributes;
  #json;
  #inner = null;
  #destroyed = false;

  constructor(element, options, fromAttributes) {
    this.#element = element;
    this.#options = options;
    this.#fromAttributes = fromAttributes;
  }

  /** Mounts in the wasm; throws a KhabarError on unusable options. */
  #start() {
    if (this.#destroyed || this.#inner) return;
    try {
      this.#inner = call(() => (this.#fromAttributes
        ? mountFromAttributes(this.#element, this.#options)
        : wasmMount(this.#element, this.#options)));
      if (this.#json !== undefined) this.#inner.showJson(this.#json);
    } catch (e) {
      if (!waiting.has(this)) throw e;
      // Mounted before the module ran: nobody can catch it any more.
      console.error(`khabar: ${e.message}`);
      report(this.#element, e);
    }
  }

  /** Replaces the options and reloads. Throws a KhabarError on unusable options. */
  update(options) {
    this.#options = options;
    if (this.#inner) call(() => this.#inner.update(options));
  }

  /** Re-reads the element's attributes (for `<khabar-widget>`). */
  updateFromAttributes() {
    if (this.#inner) call(() => this.#inner.updateFromAttributes());
  }

  /** Removes the widget, its listeners and any request in flight, and frees its memory. */
  destroy() {
    this.#destroyed = true;
    waiting.delete(this);
    if (this.#inner) {
      this.#inner.destroy();
      this.#inner.free();
      this.#inner = null;
    }
  }

  /** Renders article JSON the page already has, without a request. */
  showJson(json) {
    if (this.#inner) this.#inner.showJson(json);
    else this.#json = json;
  }
}

/** Opens a handle: mounts now when the module runs, else as soon as it does (starting it). */
function open(element, options, fromAttributes) {
  const handle = new Handle(element, options, fromAttributes);
  if (running) {
    startHandle(handle);
    return handle;
  }
  const o = options ?? {};
  if (!fromAttributes && ['article', 'card', 'actions'].includes(o.kind) && !o.lazy && typeof o.articleId === 'string') {
    requestEarly(o.api || defaultApi || new URL('/api/v1', location.href).href, o.articleId);
  }
  if (!fromAttributes && o.kind === 'article' && !o.lazy && needsIntl(o.calendar, o.timeZone)) warmUpIntl();
  waiting.add(handle);
  init();
  catalog(catalogTag((fromAttributes ? undefined : o.lang) ?? element.closest('[lang]')?.getAttribute('lang')));
  if (!fromAttributes && o.kind === 'comments' && !o.lazy) {
    if (typeof o.articleId === 'string' && !o.articleUrl) {
      requestEarly(o.api || defaultApi || new URL('/api/v1', location.href).href, o.articleId, true);
    }
    startCommentsEarly();
  }
  // init() may already have failed.
  ready.catch((e) => { if (waiting.delete(handle)) failHandle(handle, e); });
  return handle;
}

/** Mounts a widget into `element`; see KhabarOptions in index.d.ts. */
export function mount(element, options) {
  return open(element, options, false);
}

/** The widget's version (semantic versioning). */
export function version() {
  return running ? wasmVersion() : VERSION;
}

/**
 * The height a widget of `options` reserves (a CSS value with the same
 * custom properties the widget reads): what a server-rendered placeholder
 * holds until the widget mounts in the browser, so that nothing shifts.
 */
export function reservedHeight(options) {
  const rows = Math.min(Math.max(Number(options?.limit) || 10, 1), 50);
  switch (options?.kind) {
    case 'article': return 'var(--khabar-article-min-height, 100vh)';
    case 'latest': return options.layout === 'strip' ? 'var(--khabar-strip-height, 2.5em)'
      : `var(--khabar-latest-min-height, calc(7.5em + ${rows} * 8.25em))`;
    case 'card': return 'var(--khabar-card-min-height, 9.5em)';
    case 'comments': return 'var(--khabar-comments-min-height, 54em)';
    case 'actions': return 'var(--khabar-actions-min-height, 3.5em)';
    default: return '0';
  }
}

/** Figures for leak checks: widgets alive, requests in flight and wasm memory, both modules together. */
export function debugCounts() {
  const memory = (coreMemory?.buffer.byteLength ?? 0) + (commentsMemory?.buffer.byteLength ?? 0);
  return [running ? liveWidgets() : 0, inFlight(), memory];
}

/** For `khabar/auto` only; not part of the public API. */
export const __auto = {
  requestEarly,
  needsIntl,
  warmUpIntl,
  requestCatalog: (tag) => catalog(catalogTag(tag)),
  startCommentsEarly,
  mountAttributes: (element, api) => open(element, api, true),
  mountPlaceholders: (api) => autoMount(api),
};
