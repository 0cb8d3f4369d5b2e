// Types of `@khabar/vue`.
import type { DefineComponent } from 'vue';
import type { KhabarOptions } from 'khabar';

/**
 * Khabar's widget as a Vue 3 component: props are the options of `mount()`;
 * events `ready`, `error` and `comment-posted` carry the DOM event's `detail`
 * (KhabarReadyDetail, KhabarErrorDetail, KhabarCommentPostedDetail).
 */
export declare const Khabar: DefineComponent<KhabarOptions>;
export default Khabar;
