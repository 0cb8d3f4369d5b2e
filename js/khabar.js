// Khabar loader: the file a news site includes with one script tag.
//
//   <script type="module" src=".../khabar/khabar.js" data-api="https://news.example/api/v1"></script>
//
// It starts the WebAssembly module found next to itself, mounts every
// [data-khabar] placeholder (and those added later), and defines the
// <khabar-widget> custom element. Without data-api the API is this script's
// own origin + /api/v1. It also exports mount() for pages that mount by hand.
import init, { autoMount, debugCounts, mount, mountFromAttributes, setDefaultApi, version } from './khabar_core.js';

const here = import.meta.url;
const script = Array.from(document.querySelectorAll('script[type="module"][src]'))
  .find((s) => s.src === here);
const api = (script && script.dataset.api) || new URL('/api/v1', here).href;

await init({ module_or_path: new URL('khabar_core_bg.wasm', here) });
setDefaultApi(api);

const ATTRIBUTES = ['kind', 'article-id', 'api', 'lang', 'digits', 'calendar', 'time-zone',
  'theme', 'limit', 'layout', 'section', 'content-lang', 'lazy', 'share-utm'];

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
