// Khabar loader: the file a news site includes with one script tag.
//
//   <script type="module" src=".../khabar/khabar.js" data-api="https://news.example/api/v1"></script>
//
// It starts the WebAssembly module found next to itself, then mounts every
// [data-khabar] placeholder. Without data-api the API is this script's own
// origin + /api/v1. It also exports mount() for pages that mount by hand.
import init, { autoMount, mount, version } from './khabar_core.js';

const here = import.meta.url;
const script = Array.from(document.querySelectorAll('script[type="module"][src]'))
  .find((s) => s.src === here);
const api = (script && script.dataset.api) || new URL('/api/v1', here).href;

await init({ module_or_path: new URL('khabar_core_bg.wasm', here) });

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', () => autoMount(api), { once: true });
} else {
  autoMount(api);
}

export { mount, version };
