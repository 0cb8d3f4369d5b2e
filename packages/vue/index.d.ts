// Types of `@khabar/vue`.
import type { DefineComponent } from 'vue';
import type { KhabarOptions } from 'khabar';

/**
 * Khabar's widget as a Vue 3 component: props are the options of `mount()`;
 * events `ready`, `error` and `comment-posted` carry the DOM event's `detail`
 * (KhabarReadyDetail, KhabarErrorDetail, KhabarCommentPostedDetail).
 */
export declare const Khabar: DefineComponent<KhabarOptions & {
  /**
   * How the server-rendered placeholder holds the widget's height until it
   * mounts: a `style` attribute (`inline`, the default), or attributes that
   * `khabar/placeholder.css` reads (`stylesheet`), for a page whose
   * Content-Security-Policy refuses inline styles.
   */
  reserve?: 'inline' | 'stylesheet';
}>;
export default Khabar;
