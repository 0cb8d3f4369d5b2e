// <Khabar kind="article" article-id="…" @ready="…" />: Khabar's widget as a
// Vue 3 component. The server renders an empty placeholder of the height
// the widget reserves; the browser mounts the widget into it, updates it
// when its props change and destroys it on unmount.
import { defineComponent, h, onBeforeUnmount, onMounted, ref, watch } from 'vue';
import { mountComponent, placeholderAttributes, reservedHeight } from 'khabar';

const OPTIONS = ['kind', 'articleId', 'articleUrl', 'articleTitle', 'api', 'lang', 'digits', 'calendar',
  'timeZone', 'theme', 'limit', 'section', 'contentLang', 'layout', 'lazy', 'commentCounts', 'shareUtm', 'printTarget'];
const EVENTS = [['ready', 'khabar:ready'], ['error', 'khabar:error'], ['comment-posted', 'khabar:comment-posted']];

/** Only the options given (Vue passes `undefined` for the others, and `false` for absent booleans). */
function optionsOf(props) {
  const options = {};
  for (const name of OPTIONS) {
    if (props[name] !== undefined && props[name] !== null) options[name] = props[name];
  }
  return options;
}

/**
 * Khabar's widget; props are the options of `mount()` and `reserve` (how the
 * placeholder holds its height: `inline`, the default, or `stylesheet`);
 * events `ready`, `error` and `comment-posted`.
 */
export const Khabar = defineComponent({
  name: 'Khabar',
  props: {
    kind: { type: String, required: true },
    articleId: String,
    articleUrl: String,
    articleTitle: String,
    api: String,
    lang: String,
    digits: String,
    calendar: String,
    timeZone: String,
    theme: String,
    limit: Number,
    section: String,
    contentLang: String,
    layout: String,
    lazy: { type: Boolean, default: undefined },
    commentCounts: { type: Boolean, default: undefined },
    shareUtm: String,
    printTarget: String,
    reserve: { type: String, default: 'inline' },
  },
  emits: ['ready', 'error', 'comment-posted'],
  setup(props, { emit }) {
    const element = ref(null);
    const mounted = ref(false);
    let handle = null;
    let off = [];
    onMounted(() => {
      const el = element.value;
      // The server's placeholder, before the widget replaces it: with no
      // sheet to read its attributes, it held nothing, and the page shifted.
      if (el.hasAttribute('data-khabar-reserve') && getComputedStyle(el).minBlockSize === '0px') {
        console.warn('khabar: reserve="stylesheet" needs khabar/placeholder.css on the page: this placeholder held no height');
      }
      off = EVENTS.map(([name, type]) => {
        const listener = (event) => emit(name, event.detail, event);
        el.addEventListener(type, listener);
        return () => el.removeEventListener(type, listener);
      });
      // The placeholder keeps its height until the widget is in its place.
      handle = mountComponent(el, optionsOf(props), () => { mounted.value = true; });
    });
    watch(() => JSON.stringify(optionsOf(props)), (now, before) => {
      if (handle && now !== before) handle.update(JSON.parse(now));
    });
    onBeforeUnmount(() => {
      off.forEach((remove) => remove());
      handle?.destroy();
      handle = null;
    });
    // Until the widget is there (on the server, and during hydration), the
    // placeholder holds the widget's height so that nothing below moves: in
    // a style attribute, or, where the page's CSP refuses those, through
    // attributes that khabar/placeholder.css reads.
    return () => {
      if (mounted.value) return h('div', { ref: element });
      const options = optionsOf(props);
      return h('div', {
        ref: element,
        ...(props.reserve === 'stylesheet'
          ? placeholderAttributes(options)
          : { style: { minBlockSize: reservedHeight(options) } }),
      });
    };
  },
});

export default Khabar;
