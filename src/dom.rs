//! A small element builder. Text only ever enters the DOM as text nodes, so
//! markup in backend or reader strings cannot become elements.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, Node, ShadowRoot};

use crate::error::WidgetError;

/// A DOM call failed (only possible with invalid names, i.e. our own bug).
pub fn dom_error(e: JsValue) -> WidgetError {
    let message = e
        .as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_default();
    WidgetError::Dom(message)
}

/// Result of a builder step.
pub type DomResult<T> = Result<T, WidgetError>;

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// A document or element, for the bindings below.
    type ConstantNames;
    // DOM calls bound without `catch`, for the widget's own constant names:
    // `createElement` and `setAttribute` throw only for a name that is not
    // a tag or attribute name, `removeAttribute` never. Every call then has
    // no error path, and no clean-up of the elements built so far on one
    // (kilobytes of wasm across the views).
    #[wasm_bindgen(method, js_name = createElement)]
    fn create_element(this: &ConstantNames, tag: &str) -> Element;
    #[wasm_bindgen(method, js_name = setAttribute)]
    fn set_attribute(this: &ConstantNames, name: &str, value: &str);
    #[wasm_bindgen(method, js_name = removeAttribute)]
    fn remove_attribute(this: &ConstantNames, name: &str);
    // `appendChild` throws only for a child that cannot go there (one of
    // its own ancestors, a document): the widget appends nodes it made.
    #[wasm_bindgen(method, js_name = appendChild)]
    fn append_child(this: &ConstantNames, child: &Node);
    // `append` of a string adds a text node; it cannot throw.
    #[wasm_bindgen(method, js_name = append)]
    fn append_text(this: &ConstantNames, text: &str);
}

/// Attributes by the widget's own constant names, without error paths.
pub trait Attrs {
    /// Sets attribute `name`.
    fn set_attr(&self, name: &'static str, value: &str);
    /// Removes attribute `name` (nothing when it is not there).
    fn remove_attr(&self, name: &'static str);
}

/// Children of the widget's own nodes, appended without an error path.
pub trait Children {
    /// Appends `child` (moving it, when it is in the tree already).
    fn add_child(&self, child: &Node);
}

impl Children for Node {
    fn add_child(&self, child: &Node) {
        self.unchecked_ref::<ConstantNames>().append_child(child);
    }
}

impl Attrs for Element {
    fn set_attr(&self, name: &'static str, value: &str) {
        self.unchecked_ref::<ConstantNames>()
            .set_attribute(name, value);
    }

    fn remove_attr(&self, name: &'static str) {
        self.unchecked_ref::<ConstantNames>().remove_attribute(name);
    }
}

/// An element under construction.
pub struct El(Element);

impl El {
    /// Creates `<tag>` in `doc`; `tag` is one of the views' constant tag
    /// names (for a name read from elsewhere, [`El::try_new`]).
    pub fn new(doc: &Document, tag: &'static str) -> El {
        El(doc.unchecked_ref::<ConstantNames>().create_element(tag))
    }

    /// Creates `<tag>` in `doc`, or tells why not (a name that is not a
    /// valid tag name).
    pub fn try_new(doc: &Document, tag: &str) -> DomResult<El> {
        doc.create_element(tag).map(El).map_err(dom_error)
    }

    // The steps below cannot fail with the constant names and fresh nodes
    // the views use, so they return the builder itself: no error plumbing
    // at every call site (it cost kilobytes of wasm).

    /// Sets an attribute.
    pub fn attr(self, name: &'static str, value: &str) -> El {
        self.0.set_attr(name, value);
        self
    }

    /// Sets `dir` to the direction most of `text`'s words write in
    /// ([`words_dir`]), or leaves it to the parent on a tie.
    pub fn dir_of(self, text: &str) -> El {
        match words_dir(text) {
            Some(dir) => self.attr("dir", dir),
            None => self,
        }
    }

    /// Sets the `class` attribute.
    pub fn class(self, class: &str) -> El {
        self.attr("class", class)
    }

    /// Sets the `part` attribute, the host page's styling hook (`::part()`).
    pub fn part(self, part: &str) -> El {
        self.attr("part", part)
    }

    /// Appends `text` as a text node (`Element.append` with a string: one
    /// call into the browser, where creating the node and appending it
    /// took three).
    pub fn text(self, text: &str) -> El {
        self.0.unchecked_ref::<ConstantNames>().append_text(text);
        self
    }

    /// Appends a child element.
    pub fn child(self, child: El) -> El {
        self.0.add_child(&child.0);
        self
    }

    /// Appends a child when there is one.
    pub fn child_opt(self, child: Option<El>) -> El {
        match child {
            Some(c) => self.child(c),
            None => self,
        }
    }

    /// Appends every child in order.
    pub fn children(self, children: impl IntoIterator<Item = El>) -> El {
        children.into_iter().fold(self, El::child)
    }

    /// The finished element.
    pub fn build(self) -> Element {
        self.0
    }

    /// The element, still under construction.
    pub fn build_ref(&self) -> &Element {
        &self.0
    }
}

impl From<Element> for El {
    fn from(element: Element) -> El {
        El(element)
    }
}

/// Dispatches a `CustomEvent` named `name` with `detail` on `host`; it
/// bubbles and crosses the shadow boundary so that host pages can listen.
pub fn dispatch(host: &Element, name: &str, detail: &js_sys::Object) {
    let init = web_sys::CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(detail);
    if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = host.dispatch_event(&event);
    }
}

/// Fires `khabar:ready` at `host`: its widget of `kind` (about article
/// `id`, when it has one) shows its content.
pub fn dispatch_ready(host: &Element, kind: &str, id: Option<&str>) {
    let detail = js_sys::Object::new();
    crate::plain::set_field(&detail, "kind", &kind.into());
    if let Some(id) = id {
        crate::plain::set_field(&detail, "articleId", &id.into());
    }
    crate::plain::set_field(&detail, "version", &env!("CARGO_PKG_VERSION").into());
    dispatch(host, "khabar:ready", &detail);
}

/// Fires `khabar:error` at `host` with `err`'s code and message.
pub fn dispatch_error(host: &Element, err: &WidgetError) {
    let detail = js_sys::Object::new();
    crate::plain::set_field(&detail, "code", &err.code().into());
    crate::plain::set_field(&detail, "message", &err.to_string().into());
    dispatch(host, "khabar:error", &detail);
}

/// Whether `el` matches the (constant, valid) CSS `selector`.
pub fn matches(el: &Element, selector: &str) -> bool {
    el.matches(selector).unwrap_or(false)
}

/// The value of an `<input>` or `<textarea>` (empty for anything else).
pub fn value(el: &Element) -> String {
    if let Some(input) = el.dyn_ref::<web_sys::HtmlInputElement>() {
        input.value()
    } else if let Some(area) = el.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        area.value()
    } else {
        String::new()
    }
}

/// Sets the value of an `<input>` or `<textarea>`.
pub fn set_value(el: &Element, value: &str) {
    if let Some(input) = el.dyn_ref::<web_sys::HtmlInputElement>() {
        input.set_value(value);
    } else if let Some(area) = el.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        area.set_value(value);
    }
}

/// Moves keyboard focus to `el`.
pub fn focus(el: &Element) {
    if let Some(el) = el.dyn_ref::<web_sys::HtmlElement>() {
        let _ = el.focus();
    }
}

/// Writes `text` on the live region `line` so that it is read out even when
/// the line holds the same words: emptied now, written a task later (a
/// region given the same words within one task is not read again), if
/// `still()` then (its widget was not taken down meanwhile).
pub fn announce(line: &Element, text: &'static str, still: impl FnOnce() -> bool + 'static) {
    line.set_text_content(None);
    let line = line.clone();
    crate::task::next_task(move || {
        if still() {
            line.set_text_content(Some(text));
        }
    });
}

/// Hands the focus to `el`, which is not in the tab order (a heading, a
/// comment, a skeleton): `tabindex="-1"` lets a script focus it.
pub fn take_focus(el: &Element) {
    el.set_attr("tabindex", "-1");
    focus(el);
}

/// What marks the box a widget renders into when its element cannot hold
/// a shadow root itself (see [`widget_root`]).
const BOX_ATTR: &str = "data-khabar-box";

/// The shadow root a widget of `host` renders into, when it has one: the
/// host's own, or that of the box inside it (see [`widget_root`]).
pub fn root_of(host: &Element) -> Option<ShadowRoot> {
    host.shadow_root().or_else(|| {
        let inner = host.query_selector(":scope > [data-khabar-box]").ok()??;
        inner.shadow_root()
    })
}

/// The shadow root a widget of `host` renders into, made when it has none.
/// Most elements that hold content can hold one; those that cannot (a
/// `<li>`, a `<td>`, an `<a>`: a list of cards is often marked up so) get a
/// box of their own inside, which holds it.
pub fn widget_root(host: &Element) -> DomResult<ShadowRoot> {
    if let Some(root) = root_of(host) {
        return Ok(root);
    }
    let init = web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open);
    if let Ok(root) = host.attach_shadow(&init) {
        return Ok(root);
    }
    let doc = host
        .owner_document()
        .ok_or_else(|| dom_error("no document".into()))?;
    let inner = El::new(&doc, "div").attr(BOX_ATTR, "").build();
    host.add_child(&inner);
    inner.attach_shadow(&init).map_err(dom_error)
}

/// Removes every child of `node`.
pub fn clear(node: &Node) {
    while let Some(child) = node.first_child() {
        let _ = node.remove_child(&child);
    }
}

pub use khabar_rules::strip_bidi_controls;

/// The loader watching one element come near the viewport (`near` in
/// `js/page.js`), with the callback it calls; stops when dropped.
pub struct NearViewport {
    stop: js_sys::Function,
    _callback: wasm_bindgen::closure::Closure<dyn FnMut()>,
}

impl NearViewport {
    /// Calls `f` (on the next tick, so that `f` may drop this watch) each
    /// time `el` comes within `margin` of the viewport. An error where the
    /// browser cannot watch (no IntersectionObserver).
    pub fn watch(el: &Element, margin: &str, f: impl Fn() + 'static) -> DomResult<NearViewport> {
        let f = std::rc::Rc::new(f);
        let callback = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            let f = f.clone();
            crate::task::soon(move || f());
        });
        let stop = crate::host::get()
            .and_then(|host| host.near(el, margin, callback.as_ref().unchecked_ref()))
            .ok_or_else(|| WidgetError::Dom("no IntersectionObserver".into()))?;
        Ok(NearViewport {
            stop,
            _callback: callback,
        })
    }
}

impl Drop for NearViewport {
    fn drop(&mut self) {
        let _ = self.stop.call0(&JsValue::NULL);
    }
}

/// The direction most of `text`'s words write in: `rtl` where words in
/// Hebrew and Arabic-script letters outnumber the others, `ltr` the other
/// way, `None` on a tie (then the block keeps its parent's: the story's).
/// `dir="auto"` follows the first letter alone: an Arabic paragraph that
/// opens with "CNN" or "iPhone" would be laid out left to right. Words,
/// not letters: Arabic leaves its short vowels unwritten, and a sentence
/// naming "Microsoft Corporation" has fewer letters than the name.
/// Digits and punctuation count for neither, and only spaces part words.
pub fn words_dir(text: &str) -> Option<&'static str> {
    // Words of each direction, and the direction of the word under way.
    let (mut rtl, mut ltr, mut word) = (0usize, 0usize, 0u8);
    for c in text.chars() {
        let class = match c {
            // Arabic-Indic and extended digits are digits: see below.
            '\u{0660}'..='\u{0669}' | '\u{06F0}'..='\u{06F9}' => continue,
            '\u{0590}'..='\u{08FF}' | '\u{FB1D}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFC}' => 1,
            // Latin, Greek, Cyrillic, Armenian, the scripts of India and
            // South-East Asia, Georgian, Ethiopic, and the East Asian
            // ones: blocks of strong left-to-right letters (a table of
            // every letter would cost the wasm kilobytes).
            'a'..='z'
            | 'A'..='Z'
            | '\u{00C0}'..='\u{00D6}'
            | '\u{00D8}'..='\u{00F6}'
            | '\u{00F8}'..='\u{058F}'
            | '\u{0900}'..='\u{1CFF}'
            | '\u{1E00}'..='\u{1FFF}'
            | '\u{2C00}'..='\u{2DFF}'
            | '\u{3040}'..='\u{9FFF}'
            | '\u{A000}'..='\u{ABFF}'
            | '\u{AC00}'..='\u{D7AF}' => 2,
            // Spaces (and control characters), without the Unicode table
            // `char::is_whitespace` would add to the wasm.
            '\0'..=' ' | '\u{a0}' | '\u{2000}'..='\u{200b}' | '\u{202f}' | '\u{3000}' => 0,
            // Only a space ends a word: an address (`https://x.example/a-b`),
            // `l'État` or a Persian word with its joiner is one.
            _ => continue,
        };
        if class != word {
            match class {
                1 => rtl += 1,
                2 => ltr += 1,
                _ => {}
            }
            word = class;
        }
    }
    match rtl.cmp(&ltr) {
        std::cmp::Ordering::Greater => Some("rtl"),
        std::cmp::Ordering::Less => Some("ltr"),
        std::cmp::Ordering::Equal => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_controls_are_stripped_and_text_kept() {
        assert_eq!(strip_bidi_controls("a\u{202E}b\u{2066}c\u{2069}"), "abc");
        assert_eq!(strip_bidi_controls("محمد Smith"), "محمد Smith");
    }

    #[test]
    fn a_block_takes_the_direction_of_most_of_its_words() {
        assert_eq!(words_dir("Apple تكشف عن هاتفها الجديد"), Some("rtl"));
        assert_eq!(words_dir("CNN: قال المتحدث"), Some("rtl"));
        assert_eq!(words_dir("محمد said the port reopens today"), Some("ltr"));
        assert_eq!(words_dir("עדכון: הנמל נפתח"), Some("rtl"));
        assert_eq!(words_dir("Le café rouvre à Alger"), Some("ltr"));
        // Words, not letters: the names are longer than the Arabic words.
        assert_eq!(
            words_dir("قال متحدث باسم Microsoft Corporation إن Windows Server سيتوقف"),
            Some("rtl")
        );
        // A tie keeps the story's direction.
        assert_eq!(
            words_dir("أعلنت شركة Apple عن هاتف iPhone 16 Pro Max"),
            None
        );
        assert_eq!(words_dir("ახალი ამბები"), Some("ltr"));
        // An address is one word, not one per part.
        assert_eq!(
            words_dir("أعجبني هذا الخبر جداً https://news.example/2026/11/port-reopens"),
            Some("rtl")
        );
        assert_eq!(words_dir("كتب sara@news.example"), None);
        assert_eq!(words_dir("l'économie d'Alger"), Some("ltr"));
        assert_eq!(words_dir("١٢٣ — 456"), None);
        assert_eq!(words_dir(""), None);
    }
}
