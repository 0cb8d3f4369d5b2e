// Types of `@khabar/react`.
import type { CSSProperties, DetailedHTMLProps, ForwardRefExoticComponent, HTMLAttributes, RefAttributes } from 'react';
import type {
  KhabarCommentPostedDetail, KhabarErrorDetail, KhabarKind, KhabarLang, KhabarOptions, KhabarReadyDetail,
} from 'khabar';

/** Props of <Khabar>: every option of `mount()`, the events as callbacks, and the placeholder's `className`, `id` and `style`. */
export interface KhabarProps extends KhabarOptions {
  /** The content is on screen (`khabar:ready`). */
  onReady?: (detail: KhabarReadyDetail, event: CustomEvent<KhabarReadyDetail>) => void;
  /** Something went wrong; the widget shows it too (`khabar:error`). */
  onError?: (detail: KhabarErrorDetail, event: CustomEvent<KhabarErrorDetail>) => void;
  /** The server acknowledged a comment (`khabar:comment-posted`). */
  onCommentPosted?: (detail: KhabarCommentPostedDetail, event: CustomEvent<KhabarCommentPostedDetail>) => void;
  className?: string;
  id?: string;
  /** The element's style: the `--khabar-*` custom properties, say (`{ '--khabar-accent': '#b00' } as CSSProperties`). */
  style?: CSSProperties;
  /**
   * How the server-rendered placeholder holds the widget's height until it
   * mounts: a `style` attribute (`inline`, the default), or attributes that
   * `khabar/placeholder.css` reads (`stylesheet`), for a page whose
   * Content-Security-Policy refuses inline styles.
   */
  reserve?: 'inline' | 'stylesheet';
}

/** Khabar's widget as a React component; safe to render on the server. A `ref` gets the widget's element. */
export const Khabar: ForwardRefExoticComponent<KhabarProps & RefAttributes<HTMLDivElement>>;
export default Khabar;

/** The attributes of `<khabar-widget>` in JSX (from `khabar/auto`): the options in their attribute spelling. */
export interface KhabarWidgetAttributes extends DetailedHTMLProps<HTMLAttributes<HTMLElement>, HTMLElement> {
  kind: KhabarKind;
  'article-id'?: string;
  'article-url'?: string;
  'article-title'?: string;
  api?: string;
  lang?: KhabarLang | (string & {});
  digits?: 'latn' | 'arab' | 'arabext';
  calendar?: 'gregory' | 'islamic-umalqura';
  'time-zone'?: string;
  theme?: 'light' | 'dark' | 'auto';
  limit?: number | string;
  section?: string;
  'content-lang'?: string;
  layout?: 'list' | 'strip';
  lazy?: boolean | '';
  'comment-counts'?: boolean | '';
  'share-utm'?: string;
  'print-target'?: string;
}

declare module 'react' {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    interface IntrinsicElements {
      'khabar-widget': KhabarWidgetAttributes;
    }
  }
}
