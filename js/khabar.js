// Khabar loader: the file a news site includes with one script tag, and the
// entry of the npm package.
//
//   <script type="module" src=".../khabar.js" data-api="https://news.example/api/v1"></script>
//
// It starts the core WebAssembly module found next to itself, mounts every
// [data-khabar] placeholder (and those added later), and defines the
// <khabar-widget> custom element. Without data-api the API is this script's
// own origin + /api/v1. It also exports mount() for pages that mount by hand.
// The comment section is a second module, fetched only when a section comes
// near the viewport (or at once for a `comments` widget).
//
// Script-tag options besides data-api: data-wasm-base (the folder of both
// wasm modules, when they are not next to this file), data-wasm (the core
// module's URL; the comments module is then looked for next to it) and
// data-wasm-integrity (the core module's SRI hash).
import init, {
  autoMount, debugCounts as coreCounts, mount, mountFromAttributes, prefetched, setCommentsLoader, setDefaultApi,
  version,
} from './khabar_core.js';
import initComments, { debugCounts as commentsCounts, mountSection } from './khabar_comments.js';

// `cargo xtask dist` writes each module's Subresource Integrity hash here, so
// the published loader refuses a wasm file that is not the one it was built with.
const WASM_INTEGRITY = '';
const COMMENTS_INTEGRITY = '';

const here = import.meta.url;
const script = Array.from(document.querySelectorAll('script[type="module"][src]'))
  .find((s) => s.src === here);
const options = (script && script.dataset) || {};
const api = options.api || new URL('/api/v1', here).href;
const base = options.wasmBase && new URL(options.wasmBase.replace(/\/?$/, '/'), document.baseURI);
// Written as `new URL('./…', import.meta.url)` so that bundlers (Vite,
// webpack, Rollup) copy the wasm files along with the code.
const wasmUrl = options.wasm
  ? new URL(options.wasm, document.baseURI)
  : base ? new URL('khabar_core_bg.wasm', base) : new URL('./khabar_core_bg.wasm', import.meta.url);
const commentsUrl = base || options.wasm
  ? new URL('khabar_comments_bg.wasm', base || wasmUrl)
  : new URL('./khabar_comments_bg.wasm', import.meta.url);

/** Starts a module: fetch() checks the hash itself and rejects on a
 * mismatch, before a single byte is compiled. */
function start(initModule, url, integrity) {
  return initModule({ module_or_path: integrity ? fetch(url, { integrity }) : url }).catch((e) => {
    const why = integrity ? ' (network error, or the file does not match its integrity hash)' : '';
    console.error(`khabar: could not start ${url}${why}: ${e && e.message}`);
    throw e;
  });
}

/** The article URL the wasm asks for (api.rs): percent-encoded like encodeURIComponent, and `!'()*` too. */
const articleUrl = (base, id) => `${base.replace(/\/+$/, '')}/articles/${
  encodeURIComponent(id).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;

// The article of each placeholder already on the page is requested now,
// while the wasm downloads and compiles; the wasm takes the response for
// its URL (a URL it does not ask for costs one unused request, nothing more).
const early = [];
for (const el of document.querySelectorAll('[data-khabar="article"],[data-khabar="card"],[data-khabar="actions"]')) {
  const d = el.dataset;
  const id = (d.khabarArticleId ?? d.articleId ?? '').trim();
  const lazy = d.khabarLazy ?? d.lazy;
  if (!id || (lazy !== undefined && lazy !== 'false')) continue;
  const url = articleUrl((d.khabarApi ?? d.api ?? '').trim() || api, id);
  if (early.some(([seen]) => seen === url)) continue;
  const response = fetch(url, { mode: 'cors', credentials: 'omit' });
  response.catch(() => {}); // the wasm reports failures, not the console
  early.push([url, response]);
}

try {
  await start(init, wasmUrl, options.wasmIntegrity || WASM_INTEGRITY);
} catch (e) {
  for (const el of document.querySelectorAll('[data-khabar], khabar-widget')) {
    el.dispatchEvent(new CustomEvent('khabar:error', {
      bubbles: true,
      composed: true,
      detail: { code: 'load', message: String(e && e.message) },
    }));
  }
  throw e;
}

// The comments module, started once on first need; a failed start is
// forgotten, so the section's "try again" fetches it again.
let comments = null;
let commentsStarted = false;
setCommentsLoader(() => {
  comments ??= start(initComments, commentsUrl, COMMENTS_INTEGRITY).then(
    () => { commentsStarted = true; return mountSection; },
    (e) => { comments = null; throw e; },
  );
  return comments;
});

/** Figures for leak checks: widgets alive, requests in flight and wasm memory, both modules together. */
function debugCounts() {
  const counts = coreCounts();
  if (commentsStarted) {
    const more = commentsCounts();
    counts[1] += more[1];
    counts[2] += more[2];
  }
  return counts;
}
setDefaultApi(api);
for (const [url, response] of early) prefetched(url, response);

const ATTRIBUTES = ['kind', 'article-id', 'article-url', 'article-title', 'api', 'lang', 'digits',
  'calendar', 'time-zone', 'theme', 'limit', 'layout', 'section', 'content-lang', 'lazy', 'share-utm',
  'print-target', 'comment-counts'];

/** <khabar-widget kind="article" article-id="…" api="…">: the same widget as an element. */
class KhabarWidget extends HTMLElement {
  static get observedAttributes() { return ATTRIBUTES; }

  connectedCallback() {
    if (!this.handle) this.handle = mountFromAttributes(this, api);
  }

  disconnectedCallback() {
    this.handle?.destroy();
    this.handle?.free();
    this.handle = null;
  }

  attributeChangedCallback() {
    this.handle?.updateFromAttributes();
  }
}
if (!customElements.get('khabar-widget')) customElements.define('khabar-widget', KhabarWidget);

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', () => autoMount(api), { once: true });
} else {
  autoMount(api);
}

export { debugCounts, mount, version };
