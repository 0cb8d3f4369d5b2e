// Types of the `khabar` package: the mount() options, the handle it returns,
// the <khabar-widget> element and the events widgets dispatch.

/** What a widget shows. */
export type KhabarKind = 'article' | 'latest' | 'card' | 'comments' | 'actions';

/** Interface languages with a built-in catalog. */
export type KhabarLang = 'ar' | 'fa' | 'ur' | 'he' | 'en' | 'fr';

/** Options of mount() and handle.update(); the same as the data-* attributes, in camelCase. */
export interface KhabarOptions {
  /** What to show. Required. */
  kind: KhabarKind;
  /** The article's id; required for `article`, `card` and `comments` (unless `articleUrl`). */
  articleId?: string;
  /** `comments` only: the page's canonical URL instead of an id (the first comment creates the thread). */
  articleUrl?: string;
  /** `comments` by URL: the page's title, sent with a new comment (default: `document.title`). */
  articleTitle?: string;
  /** API base URL, e.g. `https://news.example/api/v1`. */
  api?: string;
  /** Interface language; default: the nearest `lang` of the page, else `ar`. */
  lang?: KhabarLang;
  /** Numbering system of dates and counts. */
  digits?: 'latn' | 'arab' | 'arabext';
  /** Calendar of datelines. */
  calendar?: 'gregory' | 'islamic-umalqura';
  /** IANA time zone of datelines, e.g. `Asia/Riyadh`; default: the reader's. */
  timeZone?: string;
  /** Colour scheme; `auto` follows `prefers-color-scheme`. */
  theme?: 'light' | 'dark' | 'auto';
  /** Items per page of `latest` (1–50). */
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

/** What mount() returns. */
export interface KhabarHandle {
  /** Replaces the options and reloads. Throws a KhabarError on unusable options. */
  update(options: KhabarOptions): void;
  /** Removes the widget, its listeners and any request in flight. */
  destroy(): void;
  /** Renders article JSON the page already has, without a request. */
  showJson(json: unknown): void;
  /** Releases the handle's WebAssembly memory (after destroy()). */
  free(): void;
}

/** The error mount() and update() throw: `name` is `KhabarError`. */
export interface KhabarError extends Error {
  name: 'KhabarError';
  code: KhabarErrorCode;
}

/** Codes of `khabar:error` and of thrown KhabarErrors. */
export type KhabarErrorCode =
  | 'config' | 'not-found' | 'network' | 'timeout' | 'server'
  | 'bad-response' | 'dom' | 'load';

/** Mounts a widget into `element`. */
export function mount(element: Element, options: KhabarOptions): KhabarHandle;

/** The widget's version (semantic versioning). */
export function version(): string;

/** Figures for leak checks: [placeholders mounted, requests in flight, wasm memory bytes]. */
export function debugCounts(): [number, number, number];

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
