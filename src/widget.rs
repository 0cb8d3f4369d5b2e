//! One mounted widget: its shadow root, its options, its in-flight request
//! and its listeners. Dropping or destroying it releases all of them.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;
use web_sys::{AbortController, CustomEvent, CustomEventInit, Element, ShadowRoot};

use crate::api::{self, ApiClient};
use crate::config::{ConfigError, Options};
use crate::crash::MOUNTED_ATTR;
use crate::dom::{clear, dom_error, El};
use crate::error::WidgetError;
use crate::i18n::format::DatelineFormat;
use crate::i18n::Lang;
use crate::model::Article;
use crate::views::{article, status};

/// The widget's version, reported in `khabar:ready`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

struct State {
    host: Element,
    frame: Element,
    options: Result<Options, ConfigError>,
    lang: Lang,
    abort: Option<AbortController>,
    listeners: Vec<EventListener>,
    generation: u64,
    destroyed: bool,
}

/// A live widget. Cloning gives another handle to the same widget.
#[derive(Clone)]
pub struct Widget(Rc<RefCell<State>>);

impl Widget {
    /// Mounts a widget in `host` and starts loading. A configuration error is
    /// rendered as the error state in `fallback_lang` (the page's language).
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
        let frame = El::new(&doc, "div")?.class("khabar")?.part("root")?.build();
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
            generation: 0,
            destroyed: false,
        })));
        widget.apply_frame_attributes()?;
        widget.load();
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
        self.apply_frame_attributes()?;
        self.load();
        Ok(())
    }

    /// Cancels the request in flight, removes every listener and empties the
    /// shadow root. Safe to call twice.
    pub fn destroy(&self) {
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
        if let Some(root) = s.host.shadow_root() {
            clear(&root);
        }
        let _ = s.host.remove_attribute(MOUNTED_ATTR);
    }

    /// The element the widget lives in.
    pub fn host(&self) -> Element {
        self.0.borrow().host.clone()
    }

    fn apply_frame_attributes(&self) -> Result<(), WidgetError> {
        let s = self.0.borrow();
        let set = |k: &str, v: &str| s.frame.set_attribute(k, v).map_err(dom_error);
        set("lang", s.lang.tag())?;
        set("dir", s.lang.dir().as_str())?;
        if let Ok(o) = &s.options {
            set("data-theme", o.theme.as_str())?;
            set("data-kind", o.kind.as_str())?;
            for w in &o.warnings {
                web_sys::console::warn_1(&JsValue::from_str(&format!("khabar: {w}")));
            }
        }
        Ok(())
    }

    /// Shows the skeleton, fetches, then renders the article or the error.
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
            let client = ApiClient::new(&options.api);
            let result = client.article(&options.article_id, &abort).await;
            let Some(widget) = current(&weak, generation) else {
                return; // destroyed or reloaded meanwhile
            };
            widget.0.borrow_mut().abort = None;
            widget.show_article(result, &options);
        });
    }

    /// Renders from JSON the host already has (for example embedded in the
    /// page by its CMS), through the same decoding as a fetched response.
    pub fn show_json(&self, json: JsValue) {
        let Ok(options) = self.0.borrow().options.clone() else {
            return;
        };
        self.show_article(api::decode(json), &options);
    }

    fn show_article(&self, result: Result<Article, WidgetError>, options: &Options) {
        let rendered = result.and_then(|article| {
            let s = self.0.borrow();
            let doc = s
                .frame
                .owner_document()
                .ok_or_else(|| dom_error("no document".into()))?;
            let dates = DatelineFormat::new(&options.dates).map_err(dom_error)?;
            let el = article::render(&doc, &article, s.lang.catalog(), &dates)?;
            clear(&s.frame);
            s.frame.append_child(&el.build()).map_err(dom_error)?;
            Ok(article)
        });
        match rendered {
            Ok(article) => {
                let detail = Object::new();
                set(&detail, "kind", options.kind.as_str());
                set(&detail, "articleId", &article.id);
                set(&detail, "version", VERSION);
                self.dispatch("khabar:ready", &detail);
            }
            Err(WidgetError::Aborted) => {}
            Err(e) => self.show_error(&e),
        }
    }

    fn show_skeleton(&self) -> Result<(), WidgetError> {
        let s = self.0.borrow();
        let doc = s
            .frame
            .owner_document()
            .ok_or_else(|| dom_error("no document".into()))?;
        let el = status::skeleton(&doc, s.lang.catalog())?;
        clear(&s.frame);
        s.frame.append_child(&el.build()).map_err(dom_error)?;
        Ok(())
    }

    fn show_error(&self, err: &WidgetError) {
        web_sys::console::error_1(&JsValue::from_str(&format!("khabar: {err}")));
        let result = (|| -> Result<(), WidgetError> {
            let mut s = self.0.borrow_mut();
            let doc = s
                .frame
                .owner_document()
                .ok_or_else(|| dom_error("no document".into()))?;
            let el = status::error(&doc, err, s.lang.catalog())?.build();
            clear(&s.frame);
            s.frame.append_child(&el).map_err(dom_error)?;
            if let Ok(Some(button)) = el.query_selector("button.retry") {
                let weak = Rc::downgrade(&self.0);
                let generation = s.generation;
                s.listeners
                    .push(EventListener::new(&button, "click", move |_| {
                        // Reload on the next tick: `load` drops this very listener.
                        if let Some(widget) = current(&weak, generation) {
                            wasm_bindgen_futures::spawn_local(async move { widget.load() });
                        }
                    }));
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

    fn dispatch(&self, name: &str, detail: &Object) {
        let host = self.host();
        let init = CustomEventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        init.set_detail(detail);
        if let Ok(event) = CustomEvent::new_with_event_init_dict(name, &init) {
            let _ = host.dispatch_event(&event);
        }
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
