//! One mounted widget: its shadow root, its options, its in-flight request,
//! its observers and its listeners. Destroying it releases all of them.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{
    AbortController, Element, IntersectionObserver, IntersectionObserverEntry,
    IntersectionObserverInit, ShadowRoot,
};

use crate::actions::ArticleActions;
use crate::api::{self, ApiClient, ListQuery};
use crate::comment_section::CommentSection;
use crate::config::{ConfigError, Kind, Layout, Options};
use crate::crash::MOUNTED_ATTR;
use crate::dom::{clear, dom_error, El};
use crate::error::WidgetError;
use crate::i18n::format::{DatelineFormat, RelativeFormat};
use crate::i18n::Lang;
use crate::model::{Article, ArticleSummary, Page};
use crate::views::{article, latest, status};

/// The widget's version, reported in `khabar:ready`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What a widget fetched, ready to render.
enum Content {
    Article(Article),
    Card(Article),
    Latest(Page<ArticleSummary>),
    Comments,
}

/// An IntersectionObserver and the callback it calls; disconnected on drop.
struct Lazy {
    observer: IntersectionObserver,
    _callback: Closure<dyn FnMut(js_sys::Array)>,
}

impl Drop for Lazy {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

struct State {
    host: Element,
    frame: Element,
    options: Result<Options, ConfigError>,
    lang: Lang,
    abort: Option<AbortController>,
    listeners: Vec<EventListener>,
    lazy: Option<Lazy>,
    /// Cursor of the next page of a `latest` list.
    next: Option<String>,
    /// The comment section, under an article or on its own.
    comments: Option<CommentSection>,
    /// Share, send, print and RSS under an article.
    actions: Option<ArticleActions>,
    generation: u64,
    destroyed: bool,
}

/// A live widget. Cloning gives another handle to the same widget.
#[derive(Clone)]
pub struct Widget(Rc<RefCell<State>>);

thread_local! {
    /// Every widget mounted and not destroyed. Pages often drop the handle
    /// `mount()` returns; the widget must still live (and answer clicks)
    /// for as long as it is on the page, until `destroy()`.
    static LIVE: RefCell<Vec<Widget>> = const { RefCell::new(Vec::new()) };
}

impl Widget {
    /// Mounts a widget in `host` and starts loading (or waits until it nears
    /// the viewport with `lazy`). A configuration error is rendered as the
    /// error state in `fallback_lang` (the page's language).
    pub fn mount(
        host: Element,
        options: Result<Options, ConfigError>,
        fallback_lang: Lang,
    ) -> Result<Widget, WidgetError> {
        let root = shadow_root(&host)?;
        crate::style::adopt(&root)?;
        clear(&root);
        let doc = host
            .owner_document()
            .ok_or_else(|| dom_error("no document".into()))?;
        let frame = El::new(&doc, "div")?.class("khabar").part("root").build();
        root.append_child(&frame).map_err(dom_error)?;
        host.set_attribute(MOUNTED_ATTR, "").map_err(dom_error)?;

        let lang = options.as_ref().map(Options::lang).unwrap_or(fallback_lang);
        let widget = Widget(Rc::new(RefCell::new(State {
            host,
            frame,
            options,
            lang,
            abort: None,
            listeners: Vec::new(),
            lazy: None,
            next: None,
            comments: None,
            actions: None,
            generation: 0,
            destroyed: false,
        })));
        widget.start()?;
        LIVE.with(|live| live.borrow_mut().push(widget.clone()));
        Ok(widget)
    }

    /// Replaces the options and reloads.
    pub fn update(&self, options: Result<Options, ConfigError>) -> Result<(), WidgetError> {
        {
            let mut s = self.0.borrow_mut();
            if s.destroyed {
                return Ok(());
            }
            s.lang = options.as_ref().map(Options::lang).unwrap_or(s.lang);
            s.options = options;
        }
        self.start()
    }

    /// Cancels the request in flight, disconnects observers, removes every
    /// listener and empties the shadow root. Safe to call twice.
    pub fn destroy(&self) {
        LIVE.with(|live| live.borrow_mut().retain(|w| !Rc::ptr_eq(&w.0, &self.0)));
        let mut s = self.0.borrow_mut();
        if s.destroyed {
            return;
        }
        s.destroyed = true;
        s.generation += 1;
        if let Some(abort) = s.abort.take() {
            abort.abort();
        }
        s.listeners.clear();
        s.lazy = None;
        if let Some(section) = s.comments.take() {
            section.destroy();
        }
        if let Some(actions) = s.actions.take() {
            actions.destroy();
        }
        if let Some(root) = s.host.shadow_root() {
            clear(&root);
        }
        let _ = s.host.remove_attribute(MOUNTED_ATTR);
    }

    /// Whether `destroy` was called.
    pub fn is_destroyed(&self) -> bool {
        self.0.borrow().destroyed
    }

    /// The element the widget lives in.
    pub fn host(&self) -> Element {
        self.0.borrow().host.clone()
    }

    /// Applies the options to the frame, then loads now or when visible.
    fn start(&self) -> Result<(), WidgetError> {
        self.apply_frame_attributes()?;
        let lazy = matches!(&self.0.borrow().options, Ok(o) if o.lazy);
        if lazy && self.observe_visibility().is_ok() {
            self.show_skeleton()?;
        } else {
            self.load();
        }
        Ok(())
    }

    fn apply_frame_attributes(&self) -> Result<(), WidgetError> {
        let s = self.0.borrow();
        let set = |k: &str, v: &str| s.frame.set_attribute(k, v).map_err(dom_error);
        set("lang", s.lang.tag())?;
        set("dir", s.lang.dir().as_str())?;
        if let Ok(o) = &s.options {
            set("data-theme", o.theme.as_str())?;
            set("data-kind", o.kind.as_str())?;
            set(
                "data-layout",
                if o.layout == Layout::Strip {
                    "strip"
                } else {
                    "list"
                },
            )?;
            for w in &o.warnings {
                web_sys::console::warn_1(&JsValue::from_str(&format!("khabar: {w}")));
            }
        }
        Ok(())
    }

    /// Loads once the host comes within 300px of the viewport.
    fn observe_visibility(&self) -> Result<(), WidgetError> {
        let weak = Rc::downgrade(&self.0);
        let callback = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            let visible = entries.iter().any(|e| {
                e.dyn_into::<IntersectionObserverEntry>()
                    .map(|e| e.is_intersecting())
                    .unwrap_or(false)
            });
            if !visible {
                return;
            }
            if let Some(state) = weak.upgrade() {
                // Deferred: `load` drops the observer whose callback this is.
                let widget = Widget(state);
                wasm_bindgen_futures::spawn_local(async move {
                    widget.0.borrow_mut().lazy = None;
                    widget.load();
                });
            }
        });
        let init = IntersectionObserverInit::new();
        init.set_root_margin("300px");
        let observer =
            IntersectionObserver::new_with_options(callback.as_ref().unchecked_ref(), &init)
                .map_err(dom_error)?;
        observer.observe(&self.0.borrow().host);
        self.0.borrow_mut().lazy = Some(Lazy {
            observer,
            _callback: callback,
        });
        Ok(())
    }

    /// Shows the skeleton, fetches, then renders the content or the error.
    fn load(&self) {
        let (generation, abort, options) = {
            let mut s = self.0.borrow_mut();
            if s.destroyed {
                return;
            }
            if let Some(old) = s.abort.take() {
                old.abort();
            }
            s.generation += 1;
            s.listeners.clear();
            s.lazy = None;
            s.next = None;
            if let Some(section) = s.comments.take() {
                section.destroy();
            }
            if let Some(actions) = s.actions.take() {
                actions.destroy();
            }
            let options = match &s.options {
                Ok(o) => o.clone(),
                Err(e) => {
                    let e = WidgetError::Config(e.clone());
                    drop(s);
                    self.show_error(&e);
                    return;
                }
            };
            let Ok(abort) = AbortController::new() else {
                drop(s);
                self.show_error(&WidgetError::Network);
                return;
            };
            s.abort = Some(abort.clone());
            (s.generation, abort, options)
        };
        if let Err(e) = self.show_skeleton() {
            self.show_error(&e);
            return;
        }
        let weak = Rc::downgrade(&self.0);
        wasm_bindgen_futures::spawn_local(async move {
            let result = fetch(&options, &abort).await;
            let Some(widget) = current(&weak, generation) else {
                return; // destroyed or reloaded meanwhile
            };
            widget.0.borrow_mut().abort = None;
            widget.show(result, &options);
        });
    }

    /// Renders from article JSON the host already has (for example embedded
    /// in the page by its CMS), through the same decoding as a response.
    pub fn show_json(&self, json: JsValue) {
        let Ok(options) = self.0.borrow().options.clone() else {
            return;
        };
        let content = match options.kind {
            Kind::Latest => api::decode(json).map(Content::Latest),
            Kind::Card => api::decode(json).map(Content::Card),
            Kind::Article => api::decode(json).map(Content::Article),
            Kind::Comments => Ok(Content::Comments),
        };
        self.show(content, &options);
    }

    fn show(&self, result: Result<Content, WidgetError>, options: &Options) {
        let rendered = result.and_then(|content| self.render(content, options));
        match rendered {
            Ok(article_id) => {
                let detail = Object::new();
                set(&detail, "kind", options.kind.as_str());
                if let Some(id) = article_id {
                    set(&detail, "articleId", &id);
                }
                set(&detail, "version", VERSION);
                self.dispatch("khabar:ready", &detail);
            }
            Err(WidgetError::Aborted) => {}
            Err(e) => self.show_error(&e),
        }
    }

    /// Puts `content` on screen; returns the article id for the event.
    fn render(&self, content: Content, options: &Options) -> Result<Option<String>, WidgetError> {
        let doc = self.document()?;
        let catalog = self.0.borrow().lang.catalog();
        // What follows the content: the comment section, with whether the
        // form is open and the count known so far.
        let mut section: Option<(bool, u32)> = None;
        let mut shown_article: Option<Article> = None;
        let (el, id) = match content {
            Content::Article(a) => {
                let dates = DatelineFormat::new(&options.dates).map_err(dom_error)?;
                if a.comments_open || a.comment_count > 0 {
                    section = Some((a.comments_open, a.comment_count));
                }
                let el = article::render(&doc, &a, catalog, &dates)?;
                let id = Some(a.id.clone());
                shown_article = Some(a);
                (el, id)
            }
            Content::Comments => {
                section = Some((true, 0));
                (
                    El::new(&doc, "div")?.class("comments-only"),
                    Some(options.article_id.clone()),
                )
            }
            Content::Card(a) => {
                let when = RelativeFormat::new(&options.dates).map_err(dom_error)?;
                let card = El::new(&doc, "div")?
                    .class("single-card")
                    .child(latest::card(&doc, &a.to_summary(), &when)?);
                (card, Some(a.id))
            }
            Content::Latest(page) => {
                let when = RelativeFormat::new(&options.dates).map_err(dom_error)?;
                let has_more = page.next.is_some();
                self.0.borrow_mut().next = page.next;
                let list =
                    latest::list(&doc, &page.items, has_more, options.layout, catalog, &when)?;
                (list, None)
            }
        };
        let el = el.build();
        {
            let s = self.0.borrow();
            clear(&s.frame);
            s.frame.append_child(&el).map_err(dom_error)?;
        }
        if let Ok(Some(button)) = el.query_selector("button.more") {
            self.on_click(&button, |w| w.load_more());
        }
        if let Some(a) = &shown_article {
            let (frame, host) = {
                let s = self.0.borrow();
                (s.frame.clone(), s.host.clone())
            };
            let actions = ArticleActions::mount(
                &doc,
                &el,
                &host,
                &frame,
                a,
                options,
                options.share_utm.as_deref(),
            )?;
            self.0.borrow_mut().actions = Some(actions);
        }
        if let Some((open, count)) = section {
            let (frame, host) = {
                let s = self.0.borrow();
                (s.frame.clone(), s.host.clone())
            };
            let mounted = CommentSection::mount(&doc, &frame, &host, options, open, count)?;
            self.0.borrow_mut().comments = Some(mounted);
        }
        Ok(id)
    }

    /// Appends the next page of a `latest` list; errors stay next to the
    /// button so the items already shown are kept.
    fn load_more(&self) {
        let (generation, abort, options, cursor) = {
            let mut s = self.0.borrow_mut();
            let (Ok(options), Some(cursor)) = (s.options.clone(), s.next.clone()) else {
                return;
            };
            if s.abort.is_some() {
                return; // a page is already on its way
            }
            let Ok(abort) = AbortController::new() else {
                return;
            };
            s.abort = Some(abort.clone());
            (s.generation, abort, options, cursor)
        };
        self.set_more_busy(true);
        let weak = Rc::downgrade(&self.0);
        wasm_bindgen_futures::spawn_local(async move {
            let mut query = list_query(&options);
            query.cursor = Some(cursor);
            let result = ApiClient::new(&options.api)
                .articles(&query, &abort.signal())
                .await;
            let Some(widget) = current(&weak, generation) else {
                return;
            };
            widget.0.borrow_mut().abort = None;
            widget.set_more_busy(false);
            match result.and_then(|page| widget.append(page, &options)) {
                Ok(()) | Err(WidgetError::Aborted) => {}
                Err(e) => widget.show_more_error(&e),
            }
        });
    }

    fn append(&self, page: Page<ArticleSummary>, options: &Options) -> Result<(), WidgetError> {
        let doc = self.document()?;
        let when = RelativeFormat::new(&options.dates).map_err(dom_error)?;
        let frame = self.0.borrow().frame.clone();
        let list = frame
            .query_selector("ul.items")
            .map_err(dom_error)?
            .ok_or_else(|| dom_error("no list".into()))?;
        let first_new = latest::items(&doc, &page.items, options.layout, &when)?
            .into_iter()
            .map(|li| {
                let li = li.build();
                list.append_child(&li).map(|_| li)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(dom_error)?
            .into_iter()
            .next();
        let has_more = page.next.is_some();
        self.0.borrow_mut().next = page.next;
        if !has_more {
            if let Ok(Some(button)) = frame.query_selector("button.more") {
                button.remove();
            }
        }
        // Keyboard users continue from the first new story.
        if let Some(link) = first_new.and_then(|li| li.query_selector("a").ok().flatten()) {
            if let Ok(link) = link.dyn_into::<web_sys::HtmlElement>() {
                let _ = link.focus();
            }
        }
        Ok(())
    }

    fn set_more_busy(&self, busy: bool) {
        if let Ok(Some(button)) = self.0.borrow().frame.query_selector("button.more") {
            let _ = button.set_attribute("aria-busy", if busy { "true" } else { "false" });
            if busy {
                let _ = button.set_attribute("disabled", "");
            } else {
                let _ = button.remove_attribute("disabled");
            }
        }
    }

    fn show_more_error(&self, err: &WidgetError) {
        web_sys::console::error_1(&JsValue::from_str(&format!("khabar: {err}")));
        let (frame, catalog) = {
            let s = self.0.borrow();
            (s.frame.clone(), s.lang.catalog())
        };
        let Ok(doc) = self.document() else { return };
        if let Ok(Some(old)) = frame.query_selector(".more-error") {
            old.remove();
        }
        if let Ok(note) = El::new(&doc, "p").map(|p| {
            p.class("more-error")
                .attr("role", "alert")
                .text(err.message(catalog))
        }) {
            let _ = frame
                .query_selector("section")
                .ok()
                .flatten()
                .map(|s| s.append_child(&note.build()));
        }
    }

    fn show_skeleton(&self) -> Result<(), WidgetError> {
        let doc = self.document()?;
        let s = self.0.borrow();
        let kind = s.options.as_ref().map(|o| o.kind).unwrap_or(Kind::Article);
        let el = status::skeleton(&doc, s.lang.catalog(), kind)?;
        clear(&s.frame);
        s.frame.append_child(&el.build()).map_err(dom_error)?;
        Ok(())
    }

    fn show_error(&self, err: &WidgetError) {
        web_sys::console::error_1(&JsValue::from_str(&format!("khabar: {err}")));
        let result = (|| -> Result<(), WidgetError> {
            let doc = self.document()?;
            let el = {
                let s = self.0.borrow();
                let el = status::error(&doc, err, s.lang.catalog())?.build();
                clear(&s.frame);
                s.frame.append_child(&el).map_err(dom_error)?;
                el
            };
            if let Ok(Some(button)) = el.query_selector("button.retry") {
                self.on_click(&button, |w| w.load());
            }
            Ok(())
        })();
        if let Err(e) = result {
            web_sys::console::error_1(&JsValue::from_str(&format!("khabar: {e}")));
        }
        let detail = Object::new();
        set(&detail, "code", err.code());
        set(&detail, "message", &err.to_string());
        self.dispatch("khabar:error", &detail);
    }

    /// Runs `action` on the next tick after a click on `target`, for as long
    /// as the widget stays on the current generation.
    fn on_click(&self, target: &Element, action: fn(&Widget)) {
        let weak = Rc::downgrade(&self.0);
        let generation = self.0.borrow().generation;
        let listener = EventListener::new(target, "click", move |_| {
            // Deferred: the action may drop this very listener.
            if let Some(widget) = current(&weak, generation) {
                wasm_bindgen_futures::spawn_local(async move { action(&widget) });
            }
        });
        self.0.borrow_mut().listeners.push(listener);
    }

    fn document(&self) -> Result<web_sys::Document, WidgetError> {
        self.0
            .borrow()
            .frame
            .owner_document()
            .ok_or_else(|| dom_error("no document".into()))
    }

    fn dispatch(&self, name: &str, detail: &Object) {
        let host = self.host();
        crate::dom::dispatch(&host, name, detail);
    }
}

fn list_query(options: &Options) -> ListQuery {
    ListQuery {
        limit: options.limit,
        section: options.section.clone(),
        lang: options.content_lang.clone(),
        cursor: None,
    }
}

async fn fetch(options: &Options, abort: &AbortController) -> Result<Content, WidgetError> {
    let client = ApiClient::new(&options.api);
    let signal = abort.signal();
    match options.kind {
        Kind::Article => client
            .article(&options.article_id, &signal)
            .await
            .map(Content::Article),
        Kind::Card => client
            .article(&options.article_id, &signal)
            .await
            .map(Content::Card),
        Kind::Latest => client
            .articles(&list_query(options), &signal)
            .await
            .map(Content::Latest),
        Kind::Comments => Ok(Content::Comments),
    }
}

/// The widget behind `weak` if it is alive and still on `generation`.
fn current(weak: &Weak<RefCell<State>>, generation: u64) -> Option<Widget> {
    let state = weak.upgrade()?;
    let ok = {
        let s = state.borrow();
        !s.destroyed && s.generation == generation
    };
    ok.then_some(Widget(state))
}

fn shadow_root(host: &Element) -> Result<ShadowRoot, WidgetError> {
    match host.shadow_root() {
        Some(root) => Ok(root),
        None => host
            .attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))
            .map_err(dom_error),
    }
}

fn set(obj: &Object, key: &str, value: &str) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), &JsValue::from_str(value));
}
