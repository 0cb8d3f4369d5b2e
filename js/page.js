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
 * The brightness (0–255) of a computed colour that is mostly opaque:
 * `rgb()`, and what browsers compute from newer notations (a Tailwind 4
 * page's `oklch()`, `lab()`, `color(srgb …)`), red, green and blue
 * weighted as the eye sees them, or the notation's own lightness;
 * undefined for a transparent or unreadable one (`transparent`).
 */
export function opaqueBrightness(color) {
  const [, fn, args] = /^\s*([a-z]+)\((.*)\)\s*$/.exec(color) || [];
  if (!fn) return undefined;
  // The components after `color()`'s colour space, then the alpha (after
  // a slash, or rgba's fourth).
  const n = args.replace(/^[a-z][\w-]*\s+/, '').split(/[\s,/]+/).filter(Boolean).map(parseFloat);
  if (n.length < 3 || n.some(Number.isNaN) || n[3] < 0.5) return undefined;
  const weighted = 0.299 * n[0] + 0.587 * n[1] + 0.114 * n[2];
  if (fn.startsWith('rgb')) return weighted;
  if (fn === 'color') return 255 * weighted;
  // Lightness first (0–1 in oklab/oklch, 0–100 in lab/lch), scaled so
  // that mid-grey, rgb(128 128 128), falls where it does in rgb().
  if (fn.startsWith('ok')) return 128 * n[0] / 0.6;
  return fn.startsWith('l') ? 128 * n[0] / 53.6 : undefined;
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
