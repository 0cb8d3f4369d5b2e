// Types of the `khabar` package: init() and ready, the mount() options, the
// handle it returns, KhabarError, the <khabar-widget> element and the events
// widgets dispatch. `khabar/auto` (khabar.d.ts) exports the same.

/** What a widget shows. */
export type KhabarKind = 'article' | 'latest' | 'card' | 'comments' | 'actions';

/** Interface languages with a built-in catalog. */
export type KhabarLang = 'ar' | 'fa' | 'ur' | 'he' | 'en' | 'fr';

/** Options of mount() and handle.update(); the same as the data-* attributes, in camelCase. */
export interface KhabarOptions {
  /** What to show. Required. */
  kind: KhabarKind;
  /** The article's id; required for `article`, `card` and `actions`, and for `comments` unless `articleUrl`. */
  articleId?: string;
  /** `comments` only: the page's canonical URL instead of an id (the first comment creates the thread). */
  articleUrl?: string;
  /** `comments` by URL: the page's title, sent with a new comment (default: `document.title`). */
  articleTitle?: string;
  /** API base URL, e.g. `https://news.example/api/v1`; default: init()'s `api`, else the page's origin + `/api/v1`. */
  api?: string;
  /**
   * Interface language, a BCP 47 tag read by its first part (`en-GB` is
   * English); a language without a catalog, like no option, gives the
   * nearest `lang` of the page, else `ar`.
   */
  lang?: KhabarLang | (string & {});
  /** Numbering system of dates and counts. */
  digits?: 'latn' | 'arab' | 'arabext';
  /** Calendar of datelines. */
  calendar?: 'gregory' | 'islamic-umalqura';
  /** IANA time zone of datelines, e.g. `Asia/Riyadh`; default: the reader's. */
  timeZone?: string;
  /** Colour scheme; `auto` follows the host page (its `color-scheme`, else its background). */
  theme?: 'light' | 'dark' | 'auto';
  /** Items per page of `latest`, a whole number 1–50; anything else gives 10. */
  limit?: number;
  /** Only this section in `latest`. */
  section?: string;
  /** Only articles in this language in `latest`; `any` for all. */
  contentLang?: string;
  /** `latest` as a vertical list or a one-line strip. */
  layout?: 'list' | 'strip';
  /** Fetch only when the widget comes near the viewport. */
  lazy?: boolean;
  /** `latest` and `card`: show each article's comment count next to its time. */
  commentCounts?: boolean;
  /** `utm_campaign` added to shared links. */
  shareUtm?: string;
  /** `actions`: CSS selector of the page's element to print (default: the nearest `<article>`, else `<main>`). */
  printTarget?: string;
}

/**
 * What mount() returns, at once: calls made before the WebAssembly module
 * runs are kept and applied when it does. Where the script tag or
 * `khabar/auto` runs, a widget whose element leaves the page is taken down,
 * and mounted again, with the latest update() or showJson(), if the element
 * comes back; destroy() is final.
 */
export interface KhabarHandle {
  /** Replaces the options and reloads (a new `theme` alone is applied without a reload); does nothing once destroyed. Throws a KhabarError on unusable options (once the module runs). */
  update(options: KhabarOptions): void;
  /** Removes the widget, its listeners and any request in flight, and frees its memory. */
  destroy(): void;
  /** Renders article JSON the page already has, without a request. */
  showJson(json: unknown): void;
}

/** The error mount() and update() throw and `ready` rejects with. */
export declare class KhabarError extends Error {
  constructor(code: KhabarErrorCode, message: string);
  readonly name: 'KhabarError';
  readonly code: KhabarErrorCode;
}

/** Where init() finds the WebAssembly files and the API. */
export interface KhabarInitOptions {
  /** API base used when a widget's options name none (default: the page's origin + `/api/v1`). */
  api?: string;
  /** Folder of the wasm files (default: next to the module, as bundlers copy them). */
  wasmBase?: string | URL;
  /** URL of the core wasm file; the other modules are then looked for next to it. */
  wasm?: string | URL;
  /** SRI hash of the core wasm file, when it is not the built-in one. */
  wasmIntegrity?: string;
}

/**
 * Starts the WebAssembly module (once; later calls return the same promise).
 * Importing `khabar` starts nothing; mount() calls init() itself (a
 * comment section's mount starts the smaller comments page's module
 * instead, unless the core is already started). On the
 * server (no `document`) it does nothing and resolves at once (`ready`
 * settles in the browser only).
 */
export function init(options?: KhabarInitOptions): Promise<void>;

/**
 * Resolves once the widget code runs (the core module, or on a page whose
 * widgets are all comment sections, the comments page's module); rejects
 * with a KhabarError (`load`) if the core cannot start.
 */
export const ready: Promise<void>;

/** Codes of `khabar:error` and of thrown KhabarErrors. */
export type KhabarErrorCode =
  | 'config' | 'not-found' | 'network' | 'timeout' | 'server'
  | 'bad-response' | 'dom' | 'not-allowed' | 'load';

/**
 * Mounts a widget into `element` (starting the module if needed). Throws a
 * KhabarError on unusable options when the module already runs; before, the
 * widget shows the error and fires `khabar:error`.
 */
export function mount(element: Element, options: KhabarOptions): KhabarHandle;

/**
 * The height a widget reserves, as a CSS value (with the `--khabar-*-min-height`
 * custom properties): for a server-rendered placeholder, until it mounts.
 */
export function reservedHeight(options: Pick<KhabarOptions, 'kind' | 'layout' | 'limit'>): string;

/**
 * The same reservation as attributes (`data-khabar-reserve`, and
 * `data-khabar-reserve-rows` for a list) that `khabar/placeholder.css`
 * turns into that height: for a page whose Content-Security-Policy refuses
 * inline styles. Empty for a kind that reserves nothing.
 */
export function placeholderAttributes(
  options: Pick<KhabarOptions, 'kind' | 'layout' | 'limit'>,
): Record<string, string>;

/** What `mountComponent` returns: the widget behind a framework component. */
export interface KhabarComponentHost {
  /** Applies new options (mounts again after options that were refused; nothing once destroyed). */
  update(options: KhabarOptions): void;
  /** Removes the widget. */
  destroy(): void;
}

/**
 * Mounts a widget for a framework component: refused options are told with
 * a `khabar:error` event on `element`, never thrown; `shown` is called once
 * the widget has replaced the placeholder (until then, keep its height).
 */
export function mountComponent(
  element: Element,
  options: KhabarOptions,
  shown: () => void,
): KhabarComponentHost;

/** The widget's version (semantic versioning). */
export function version(): string;

/** Figures for leak checks: [widgets mounted (placeholders, elements and mount()'s), requests in flight, wasm memory bytes, elements whose handles the loader remembers]. */
export function debugCounts(): [number, number, number, number];

/** `detail` of `khabar:ready`, once the content is on screen. */
export interface KhabarReadyDetail {
  kind: KhabarKind;
  articleId?: string;
  version: string;
}

/** `detail` of `khabar:error`; `load` means the WebAssembly file could not start. */
export interface KhabarErrorDetail {
  code: KhabarErrorCode;
  message: string;
}

/** `detail` of `khabar:comment-posted`, once the server acknowledged a comment. */
export interface KhabarCommentPostedDetail {
  id: number;
  status: 'published' | 'pending';
}

/** `<khabar-widget kind="article" article-id="…">`. */
export interface KhabarWidgetElement extends HTMLElement {
  /** Its widget; its options are its attributes (`update()` throws a KhabarError: set those instead). */
  handle: KhabarHandle | null;
}

/** The events a widget dispatches (they bubble and are composed). */
export interface KhabarEventMap {
  'khabar:ready': CustomEvent<KhabarReadyDetail>;
  'khabar:error': CustomEvent<KhabarErrorDetail>;
  'khabar:comment-posted': CustomEvent<KhabarCommentPostedDetail>;
}

declare global {
  interface HTMLElementEventMap extends KhabarEventMap {}
  interface DocumentEventMap extends KhabarEventMap {}
  interface HTMLElementTagNameMap {
    'khabar-widget': KhabarWidgetElement;
  }
}
