// What the wasm modules ask of the page around a widget: its scheme, for
// `theme: auto`, and whether an element is near the viewport, for what
// loads lazily. Written here, in the loader, rather than in each module:
// it is nothing but calls into the browser (computed styles, observers, a
// media query), which cost kilobytes as wasm imports.
//
// `theme: auto` is the look of the page the widget sits in, not only the
// reader's system setting (a light page in a dark system is still a light
// page). In order: the host's computed `color-scheme` when it names one
// scheme (or both, then the system decides); the brightness of the first
// opaque background behind the widget; light.

const DARK_SYSTEM = '(prefers-color-scheme: dark)';

/**
 * Whether the page around `el` is dark (else it is light). It never throws:
 * the wasm calls it without a way to catch. `getPropertyValue` gives '' for
 * a property the browser does not know (`color-scheme` before Firefox 96).
 */
export function isDark(el) {
  const declared = declaredScheme(getComputedStyle(el).getPropertyValue('color-scheme'));
  if (declared) return declared === 'both' ? matchMedia(DARK_SYSTEM).matches : declared === 'dark';
  for (let at = el; at; at = at.parentElement) {
    const brightness = opaqueBrightness(getComputedStyle(at).getPropertyValue('background-color'));
    if (brightness !== undefined) return brightness < 128;
  }
  return false;
}

/**
 * What a computed `color-scheme` declares, by whole words: `'light'`,
 * `'dark'`, `'both'` (the system decides), or undefined (`normal`, none).
 */
export function declaredScheme(value) {
  const words = value.split(/\s+/);
  const light = words.includes('light');
  const dark = words.includes('dark');
  if (light && dark) return 'both';
  if (light || dark) return light ? 'light' : 'dark';
  return undefined;
}

/**
 * The brightness (0–255, weighted as the eye sees red, green and blue) of a
 * computed `rgb()`/`rgba()` colour that is mostly opaque; undefined for a
 * transparent or unreadable one (`color(srgb …)`, `transparent`).
 */
export function opaqueBrightness(color) {
  if (!/^\s*rgb/.test(color)) return undefined;
  const n = (color.match(/[0-9.]+/g) || []).map(Number);
  if (n.length !== 3 && !(n.length === 4 && n[3] >= 0.5)) return undefined;
  return 0.299 * n[0] + 0.587 * n[1] + 0.114 * n[2];
}

let watching = false;

/**
 * Calls `onChange` whenever the page may have changed its look: the root's
 * or body's attributes (a `dark` class, a `style`, a `data-theme`), or the
 * system's scheme (with the observer's or the event's argument, which
 * it ignores). Installed once per page; later calls do nothing.
 */
export function watchScheme(onChange) {
  if (watching) return;
  watching = true;
  const observer = new MutationObserver(onChange);
  for (const el of [document.documentElement, document.body]) {
    if (el) observer.observe(el, { attributes: true });
  }
  matchMedia(DARK_SYSTEM).addEventListener('change', onChange);
}

/**
 * Calls `then` each time `el` comes within `margin` (a CSS margin:
 * `300px`, `100% 0px`) of the viewport; returns the function that stops
 * watching, or null where the browser has no IntersectionObserver.
 */
export function near(el, margin, then) {
  if (typeof IntersectionObserver === 'undefined') return null;
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) then();
  }, { rootMargin: margin });
  observer.observe(el);
  return () => observer.disconnect();
}
