// Khabar loader: the file a news site includes with one script tag, and the
// npm package's `khabar/auto` entry.
//
//   <script type="module" src=".../khabar.js" data-api="https://news.example/api/v1"></script>
//
// It requests the article of each placeholder, starts the core WebAssembly
// module found next to itself, mounts every [data-khabar] placeholder (and
// those added later), and defines the <khabar-widget> custom element.
// Without data-api the API is this script's own origin + /api/v1. The
// comment section is a second module, fetched only when a section comes near
// the viewport (or at once for a `comments` widget); a page whose widgets
// are all comment sections loads a third instead of both, the comments
// page's module. What `khabar` exports is exported here too, but for
// mountComponent and placeholderAttributes (the components'). Nothing
// here throws into the page's own modules: a module that cannot start
// fires `khabar:error` at each widget.
//
// Script-tag options besides data-api: data-wasm-base (the folder of the
// wasm modules, when they are not next to this file), data-wasm (the core
// module's URL; the others are then looked for next to it) and
// data-wasm-integrity (the core module's SRI hash).
import { __auto, init, ready } from './index.js';

export { debugCounts, init, KhabarError, mount, ready, reservedHeight, version } from './index.js';

const ATTRIBUTES = ['kind', 'article-id', 'article-url', 'article-title', 'api', 'lang', 'digits',
  'calendar', 'time-zone', 'theme', 'limit', 'layout', 'section', 'content-lang', 'lazy', 'share-utm',
  'print-target', 'comment-counts'];

if (typeof document !== 'undefined') {
  // webpack writes a bundled module's `import.meta.url` as its source
  // file's `file://` path: then the page's address stands for it (as for
  // mount(): not a `<base href>`, which may name a CDN).
  const here = /^https?:/i.test(import.meta.url) ? import.meta.url : location.href;
  const scripts = Array.from(document.querySelectorAll('script[type="module"][src]'));
  // A tag whose src redirects (a CDN's alias for the latest version) has
  // another URL than this file's: then the one Khabar tag with options.
  const tagged = scripts.filter((s) => /khabar/i.test(s.src) && s.matches('[data-api],[data-wasm-base],[data-wasm]'));
  const script = scripts.find((s) => s.src === here) ?? (tagged.length === 1 ? tagged[0] : undefined);
  const options = (script && script.dataset) || {};
  // Its nonce is the page's current one (under a CSP by nonces, the
  // modules it preloads need it; an older tag of a cached fragment may
  // carry a stale one).
  __auto.configure({ api: options.api, wasm: options.wasm, wasmBase: options.wasmBase, wasmIntegrity: options.wasmIntegrity, nonce: script && script.nonce });
  // The API of every placeholder and element that names none: the script
  // tag's data-api; in a bundle (no script tag), what init() named before
  // this module was imported; else this file's own origin, which a script
  // tag's page takes for mount() too, and a bundle's does not (mount()
  // then asks the page's own origin, as without khabar/auto).
  // Built from the origin, not as `new URL('/api/v1', here)`: bundlers
  // take that shape for a file of the package to copy (Turbopack fails
  // the build when it finds none).
  const api = __auto.defaultApi(`${new URL(here).origin}/api/v1`, Boolean(script));

  // The article of each placeholder already on the page is requested now,
  // while the wasm downloads and compiles. A page whose widgets are all
  // comment sections needs only the comments page's module (started
  // below); any other starts the core now.
  const kinds = Array.from(document.querySelectorAll('[data-khabar], khabar-widget'),
    (el) => (el.localName === 'khabar-widget' ? el.getAttribute('kind') : el.dataset.khabar) ?? '');
  const sectionsOnly = kinds.length > 0 && kinds.every((k) => k.trim() === 'comments');
  if (!sectionsOnly) init();
  for (const el of document.querySelectorAll('[data-khabar="article"],[data-khabar="card"],[data-khabar="actions"]')) {
    const d = el.dataset;
    const lazy = d.khabarLazy ?? d.lazy;
    if (lazy !== undefined && lazy !== 'false') continue;
    __auto.requestEarly((d.khabarApi ?? d.api ?? '').trim() || api, d.khabarArticleId ?? d.articleId);
    if (d.khabar === 'article' && __auto.needsIntl(d.khabarCalendar ?? d.calendar, d.khabarTimeZone ?? d.timeZone)) __auto.warmUpIntl();
  }
  // An article's dateline in another calendar or a named zone needs the
  // browser's date set-up (see warmUpIntl).
  for (const el of document.querySelectorAll('khabar-widget[kind="article"]')) {
    if (__auto.needsIntl(el.getAttribute('calendar'), el.getAttribute('time-zone'))) __auto.warmUpIntl();
  }
  // The language catalogs the placeholders speak (the page's language
  // unless one names its own): here, before any comment section's module,
  // on a page whose first paint needs one; after it on a page of comment
  // sections alone, where that module is the largest file and the last in.
  const requestCatalogs = () => {
    for (const el of document.querySelectorAll('[data-khabar], khabar-widget')) {
      const d = el.dataset;
      __auto.requestCatalog(d.khabarLang ?? d.lang, el.closest('[lang]')?.getAttribute('lang'));
    }
  };
  if (!sectionsOnly) requestCatalogs();
  // A comment section on its own is shown at once: its module, then its
  // first page of comments, are requested now; a lazy one's module when it
  // nears the viewport.
  const now = (el) => ['khabarLazy', 'lazy'].every((k) => el.dataset[k] === undefined || el.dataset[k] === 'false');
  for (const el of document.querySelectorAll('[data-khabar]')) {
    const d = el.dataset;
    if (d.khabar.trim() !== 'comments') continue;
    __auto.need(el);
    if (now(el) && !(d.khabarArticleUrl ?? d.articleUrl)) {
      __auto.requestEarly((d.khabarApi ?? d.api ?? '').trim() || api, d.khabarArticleId ?? d.articleId, true);
    }
  }
  if (sectionsOnly) requestCatalogs();

  /** <khabar-widget kind="article" article-id="…" api="…">: the same widget as an element. */
  class KhabarWidget extends HTMLElement {
    static get observedAttributes() { return ATTRIBUTES; }

    connectedCallback() {
      if (!this.handle) this.handle = __auto.mountAttributes(this, api);
    }

    disconnectedCallback() {
      // Moved in the page (into a tab, by a framework's reordering), it is
      // back before this runs, and keeps what it shows.
      queueMicrotask(() => {
        if (this.isConnected) return;
        this.handle?.destroy();
        this.handle = null;
      });
    }

    attributeChangedCallback() {
      this.handle?.updateFromAttributes();
    }
  }

  // Each element and placeholder mounts once the module of its kind runs.
  if (!customElements.get('khabar-widget')) customElements.define('khabar-widget', KhabarWidget);
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', () => __auto.mountPlaceholders(api), { once: true });
  } else {
    __auto.mountPlaceholders(api);
  }
  // A core module that cannot start: the loader tells each placeholder,
  // and each element's handle tells its element.
  ready.catch(() => {});
}
