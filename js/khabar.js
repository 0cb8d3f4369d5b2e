// Khabar loader: the file a news site includes with one script tag, and the
// entry of the npm package.
//
//   <script type="module" src=".../khabar.js" data-api="https://news.example/api/v1"></script>
//
// It starts the WebAssembly module found next to itself, mounts every
// [data-khabar] placeholder (and those added later), and defines the
// <khabar-widget> custom element. Without data-api the API is this script's
// own origin + /api/v1. It also exports mount() for pages that mount by hand.
//
// Script-tag options besides data-api: data-wasm (the wasm's URL, when it
// is not next to this file) and data-wasm-integrity (its SRI hash).
import init, { autoMount, debugCounts, mount, mountFromAttributes, setDefaultApi, version } from './khabar_core.js';

// `cargo xtask dist` writes the wasm's Subresource Integrity hash here, so the
// published loader refuses a wasm file that is not the one it was built with.
const WASM_INTEGRITY = '';

const here = import.meta.url;
const script = Array.from(document.querySelectorAll('script[type="module"][src]'))
  .find((s) => s.src === here);
const options = (script && script.dataset) || {};
const api = options.api || new URL('/api/v1', here).href;
// Written as `new URL('./…', import.meta.url)` so that bundlers (Vite,
// webpack, Rollup) copy the wasm along with the code.
const wasmUrl = options.wasm
  ? new URL(options.wasm, document.baseURI)
  : new URL('./khabar_core_bg.wasm', import.meta.url);
const integrity = options.wasmIntegrity || WASM_INTEGRITY;

try {
  // fetch() checks the hash itself and rejects on a mismatch, before a
  // single byte is compiled.
  await init({ module_or_path: integrity ? fetch(wasmUrl, { integrity }) : wasmUrl });
} catch (e) {
  const why = integrity ? ' (network error, or the file does not match its integrity hash)' : '';
  console.error(`khabar: could not start ${wasmUrl}${why}: ${e && e.message}`);
  for (const el of document.querySelectorAll('[data-khabar], khabar-widget')) {
    el.dispatchEvent(new CustomEvent('khabar:error', {
      bubbles: true,
      composed: true,
      detail: { code: 'load', message: String(e && e.message) },
    }));
  }
  throw e;
}
setDefaultApi(api);

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
