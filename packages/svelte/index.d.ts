// Types of `@khabar/svelte`.
import type { Component } from 'svelte';
import type { KhabarCommentPostedDetail, KhabarErrorDetail, KhabarOptions, KhabarReadyDetail } from 'khabar';

/** Props of <Khabar>: every option of `mount()`, the events as callbacks, and the placeholder's `class`, `id` and `style`. */
export interface KhabarProps extends KhabarOptions {
  onready?: (detail: KhabarReadyDetail, event: CustomEvent<KhabarReadyDetail>) => void;
  onerror?: (detail: KhabarErrorDetail, event: CustomEvent<KhabarErrorDetail>) => void;
  oncommentposted?: (detail: KhabarCommentPostedDetail, event: CustomEvent<KhabarCommentPostedDetail>) => void;
  class?: string;
  id?: string;
  /** The element's style: the `--khabar-*` custom properties, say. */
  style?: string;
  /**
   * How the server-rendered placeholder holds the widget's height until it
   * mounts: a `style` attribute (`inline`, the default), or attributes that
   * `khabar/placeholder.css` reads (`stylesheet`), for a page whose
   * Content-Security-Policy refuses inline styles.
   */
  reserve?: 'inline' | 'stylesheet';
  /** `data-*` and `aria-*` attributes go to the placeholder's element. */
  [attribute: `data-${string}`]: string | number | boolean | undefined;
  [attribute: `aria-${string}`]: string | number | boolean | undefined;
}

/** What `bind:this` gives: `element()`, the widget's element. */
export interface KhabarExports {
  element(): HTMLDivElement | undefined;
}

/** Khabar's widget as a Svelte 5 component; safe under server-side rendering. */
export declare const Khabar: Component<KhabarProps, KhabarExports>;
export default Khabar;
