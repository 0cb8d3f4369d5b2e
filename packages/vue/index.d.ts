// Types of `@khabar/vue`.
import type { DefineComponent } from 'vue';
import type {
  KhabarCommentPostedDetail, KhabarErrorDetail, KhabarOptions, KhabarReadyDetail,
} from 'khabar';

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
  /** `@ready`: the content is on screen (`khabar:ready`). */
  onReady?: (detail: KhabarReadyDetail, event: CustomEvent<KhabarReadyDetail>) => void;
  /** `@error`: something went wrong; the widget shows it too (`khabar:error`). */
  onError?: (detail: KhabarErrorDetail, event: CustomEvent<KhabarErrorDetail>) => void;
  /** `@comment-posted`: the server acknowledged a comment (`khabar:comment-posted`). */
  onCommentPosted?: (detail: KhabarCommentPostedDetail, event: CustomEvent<KhabarCommentPostedDetail>) => void;
}>;
export default Khabar;
