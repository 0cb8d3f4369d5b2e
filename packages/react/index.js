'use client';
// <Khabar kind="article" articleId="…" onReady={…} />: Khabar's widget as a
// React component. The server renders an empty placeholder of the height
// the widget reserves; the browser mounts the widget into it after
// hydration, updates it when its options change and destroys it on unmount.
import { createElement, forwardRef, useCallback, useEffect, useInsertionEffect, useRef, useState } from 'react';
import { mountComponent, placeholderAttributes, reservedHeight } from 'khabar';

const EVENTS = [
  ['onReady', 'khabar:ready'],
  ['onError', 'khabar:error'],
  ['onCommentPosted', 'khabar:comment-posted'],
];

/**
 * Khabar's widget; props are the options of `mount()` plus the event
 * callbacks, `className`, `id`, `style` (the `--khabar-*` custom
 * properties, say), `data-*` and `aria-*` attributes, and `reserve` (how
 * the placeholder holds its height: `inline`, the default, or
 * `stylesheet`). Children are not shown: the widget draws its content. A `ref` gets the widget's element (to scroll to it,
 * say): forwarded, since React 19 would otherwise pass it as an option.
 */
export const Khabar = forwardRef(function Khabar(
  // `children` is taken out, not shown: an option it is not.
  { onReady, onError, onCommentPosted, className, id, reserve, style, children, ...props },
  ref,
) {
  // `data-*` and `aria-*` props are the element's (a test id, a slot for
  // the site's CSS), not options of the widget, which would drop them.
  const attributes = {};
  const options = {};
  for (const [name, value] of Object.entries(props)) (name.includes('-') ? attributes : options)[name] = value;
  const element = useRef(null);
  const attach = useCallback((el) => {
    element.current = el;
    if (typeof ref === 'function') {
      // React 19 calls a cleanup the callback returns instead of calling
      // it again with null: handed on, or the page's ref got null.
      const cleanup = ref(el);
      if (typeof cleanup === 'function') return cleanup;
    } else if (ref) ref.current = el;
    return undefined;
  }, [ref]);
  const widget = useRef(null); // { host, applied }: the widget and the options it was given
  const callbacks = useRef(null);
  // The latest callbacks, kept once React commits the render that passed
  // them (a render React throws away must not change them): an insertion
  // effect runs before the effects below attach the listeners, and on the
  // server it does nothing, without a warning.
  useInsertionEffect(() => {
    callbacks.current = { onReady, onError, onCommentPosted };
  });
  const [mounted, setMounted] = useState(false);
  // In one order of names: the same options spread in another order are
  // no change (an update would load them again).
  const key = JSON.stringify(Object.fromEntries(Object.entries(options).sort()));

  useEffect(() => {
    const el = element.current;
    // The server's placeholder, before the widget replaces it: with no
    // sheet to read its attributes, it held nothing, and the page shifted.
    if (el.hasAttribute('data-khabar-reserve') && getComputedStyle(el).minBlockSize === '0px') {
      console.warn('khabar: reserve="stylesheet" needs khabar/placeholder.css on the page: this placeholder held no height');
    }
    const off = EVENTS.map(([prop, type]) => {
      const listener = (event) => callbacks.current[prop]?.(event.detail, event);
      el.addEventListener(type, listener);
      return () => el.removeEventListener(type, listener);
    });
    // The placeholder keeps its height until the widget is in its place.
    widget.current = { host: mountComponent(el, JSON.parse(key), () => setMounted(true)), applied: key };
    return () => {
      off.forEach((remove) => remove());
      widget.current?.host.destroy();
      widget.current = null;
    };
    // Mounted once per element; option changes go through update() below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const current = widget.current;
    if (current && current.applied !== key) {
      current.applied = key;
      current.host.update(JSON.parse(key));
    }
  }, [key]);

  // Until the widget is there (on the server, and during hydration), the
  // placeholder holds the widget's height so that nothing below moves: in
  // a style attribute, or, where the page's CSP refuses those, through
  // attributes that khabar/placeholder.css reads.
  let held = {};
  if (!mounted) {
    held = reserve === 'stylesheet' ? placeholderAttributes(options) : { style: { ...style, minBlockSize: reservedHeight(options) } };
  }
  return createElement('div', { ...attributes, ref: attach, className, id, style, ...held });
});

export default Khabar;
