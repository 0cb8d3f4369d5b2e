//! The actions row at work: the share disclosure (keyboard, Escape, focus
//! return, outside click), the device share sheet, copy link, printing the
//! article alone, and the send-to-a-friend form.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_events::{EventListener, EventListenerOptions};
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, Document, Element, HtmlElement, HtmlInputElement, HtmlTextAreaElement,
};

use crate::api::ApiClient;
use crate::config::Options;
use crate::dom::{self, dom_error, El};
use crate::error::WidgetError;
use crate::i18n::Catalog;
use crate::model::Article;
use crate::print;
use crate::views::actions as view;

struct State {
    host: Element,
    frame: Element,
    row: Element,
    form: Element,
    catalog: &'static Catalog,
    client: ApiClient,
    article_id: String,
    title: String,
    summary: String,
    url: String,
    listeners: Vec<EventListener>,
    send_abort: Option<AbortController>,
    destroyed: bool,
}

/// The live actions of one article.
#[derive(Clone)]
pub struct ArticleActions(Rc<RefCell<State>>);

impl ArticleActions {
    /// Renders the row (and the hidden send form) after `after`, then asks
    /// the backend whether it can send e-mail.
    pub fn mount(
        doc: &Document,
        article_el: &Element,
        host: &Element,
        frame: &Element,
        article: &Article,
        options: &Options,
        share_utm: Option<&str>,
    ) -> Result<ArticleActions, WidgetError> {
        let catalog = options.lang().catalog();
        let client = ApiClient::new(&options.api);
        let url = crate::sanitize::safe_url(&article.url, false)
            .map(str::to_owned)
            .unwrap_or_default();
        let row = view::row(
            doc,
            catalog,
            &article.title,
            &article.summary,
            &url,
            share_utm,
            &client.default_feed(),
        )?
        .build();
        let form = view::send_form(doc, catalog)?.build();
        article_el.append_child(&row).map_err(dom_error)?;
        article_el.append_child(&form).map_err(dom_error)?;
        let this = ArticleActions(Rc::new(RefCell::new(State {
            host: host.clone(),
            frame: frame.clone(),
            row,
            form,
            catalog,
            client,
            article_id: article.id.clone(),
            title: article.title.clone(),
            summary: article.summary.clone(),
            url,
            listeners: Vec::new(),
            send_abort: None,
            destroyed: false,
        })));
        this.wire(doc);
        this.fetch_config();
        Ok(this)
    }

    /// Removes listeners, cancels a send in flight, clears print marks.
    pub fn destroy(&self) {
        let mut s = self.0.borrow_mut();
        s.destroyed = true;
        s.listeners.clear();
        if let Some(a) = s.send_abort.take() {
            a.abort();
        }
        print::end(&s.host, &s.frame);
    }

    fn weak(&self) -> Weak<RefCell<State>> {
        Rc::downgrade(&self.0)
    }

    fn alive(weak: &Weak<RefCell<State>>) -> Option<ArticleActions> {
        let state = weak.upgrade()?;
        let alive = !state.borrow().destroyed;
        alive.then_some(ArticleActions(state))
    }

    fn listen(
        &self,
        target: &web_sys::EventTarget,
        event: &'static str,
        f: fn(&ArticleActions, &web_sys::Event),
    ) {
        let weak = self.weak();
        let listener = EventListener::new_with_options(
            target,
            event,
            EventListenerOptions::enable_prevent_default(),
            move |e| {
                if let Some(actions) = ArticleActions::alive(&weak) {
                    f(&actions, e);
                }
            },
        );
        self.0.borrow_mut().listeners.push(listener);
    }

    fn find(&self, selector: &str) -> Option<Element> {
        let s = self.0.borrow();
        s.row
            .query_selector(selector)
            .ok()
            .flatten()
            .or_else(|| s.form.query_selector(selector).ok().flatten())
    }

    fn wire(&self, doc: &Document) {
        let (row, form) = {
            let s = self.0.borrow();
            (s.row.clone(), s.form.clone())
        };
        // The device's share sheet, where the browser has one.
        if navigator_fn("share").is_some() {
            if let Some(b) = self.find(".share-device") {
                let _ = b.remove_attribute("hidden");
            }
        }
        self.listen(&row, "click", |a, e| {
            let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
                return;
            };
            let Some(el) = target.closest("button, a").ok().flatten() else {
                return;
            };
            if dom::matches(&el, ".share-toggle") {
                let open = el.get_attribute("aria-expanded").as_deref() != Some("true");
                a.set_menu(open, open);
            } else if dom::matches(&el, ".share-device") {
                a.share_with_device();
            } else if dom::matches(&el, ".copy-link") {
                a.copy_link();
            } else if dom::matches(&el, ".send-toggle") {
                let open = el.get_attribute("aria-expanded").as_deref() != Some("true");
                a.set_send_form(open);
            } else if dom::matches(&el, ".print") {
                a.print();
            } else if el.local_name() == "a" && el.closest(".share-menu").ok().flatten().is_some() {
                a.set_menu(false, false);
            }
        });
        // Escape closes the menu (or the form) and gives focus back.
        self.listen(&row, "keydown", |a, e| {
            let escape = Reflect::get(e, &"key".into())
                .ok()
                .and_then(|k| k.as_string())
                .is_some_and(|k| k == "Escape");
            if escape && a.menu_open() {
                e.prevent_default();
                a.set_menu(false, true);
            }
        });
        self.listen(&form, "keydown", |a, e| {
            let escape = Reflect::get(e, &"key".into())
                .ok()
                .and_then(|k| k.as_string())
                .is_some_and(|k| k == "Escape");
            if escape {
                a.set_send_form(false);
                if let Some(t) = a
                    .find(".send-toggle")
                    .and_then(|b| b.dyn_into::<HtmlElement>().ok())
                {
                    let _ = t.focus();
                }
            }
        });
        // A click anywhere else closes the menu.
        self.listen(doc, "click", |a, e| {
            if !a.menu_open() {
                return;
            }
            let share = a.find(".share");
            let inside = e
                .composed_path()
                .iter()
                .any(|n| share.as_ref().is_some_and(|s| JsValue::from(s) == n));
            if !inside {
                a.set_menu(false, false);
            }
        });
        self.listen(&form, "submit", |a, e| {
            e.prevent_default();
            a.send();
        });
        if let Some(window) = web_sys::window() {
            self.listen(&window, "afterprint", |a, _| {
                let s = a.0.borrow();
                print::end(&s.host, &s.frame);
            });
        }
    }

    fn menu_open(&self) -> bool {
        self.find(".share-toggle")
            .and_then(|b| b.get_attribute("aria-expanded"))
            .as_deref()
            == Some("true")
    }

    fn set_menu(&self, open: bool, move_focus: bool) {
        let (Some(toggle), Some(menu)) = (self.find(".share-toggle"), self.find(".share-menu"))
        else {
            return;
        };
        let _ = toggle.set_attribute("aria-expanded", if open { "true" } else { "false" });
        if open {
            let _ = menu.remove_attribute("hidden");
        } else {
            let _ = menu.set_attribute("hidden", "");
        }
        if move_focus {
            let target = if open {
                menu.query_selector("button, a").ok().flatten()
            } else {
                Some(toggle)
            };
            if let Some(t) = target.and_then(|t| t.dyn_into::<HtmlElement>().ok()) {
                let _ = t.focus();
            }
        }
    }

    fn announce(&self, text: &str) {
        if let Some(live) = self.find(".actions-live") {
            // Cleared first so that the same words are announced again.
            live.set_text_content(None);
            live.set_text_content(Some(text));
        }
    }

    fn share_with_device(&self) {
        let Some(share) = navigator_fn("share") else {
            return;
        };
        let data = Object::new();
        {
            let s = self.0.borrow();
            let _ = Reflect::set(&data, &"title".into(), &s.title.as_str().into());
            let _ = Reflect::set(&data, &"text".into(), &s.summary.as_str().into());
            let _ = Reflect::set(&data, &"url".into(), &s.url.as_str().into());
        }
        let Some(navigator) = web_sys::window().map(|w| w.navigator()) else {
            return;
        };
        let weak = self.weak();
        if let Ok(promise) = share.call1(&navigator, &data) {
            wasm_bindgen_futures::spawn_local(async move {
                // A reader who closes the sheet is no error; any other
                // failure falls back to the menu.
                if let Err(e) = JsFuture::from(Promise::from(promise)).await {
                    let name = Reflect::get(&e, &"name".into())
                        .ok()
                        .and_then(|n| n.as_string());
                    if name.as_deref() != Some("AbortError") {
                        if let Some(a) = ArticleActions::alive(&weak) {
                            a.set_menu(true, true);
                        }
                    }
                }
            });
        }
    }

    fn copy_link(&self) {
        let (url, copied) = {
            let s = self.0.borrow();
            (s.url.clone(), s.catalog.copied)
        };
        let clipboard = web_sys::window()
            .and_then(|w| Reflect::get(&w.navigator(), &"clipboard".into()).ok())
            .filter(|c| c.is_object());
        let write = clipboard
            .as_ref()
            .and_then(|c| Reflect::get(c, &"writeText".into()).ok())
            .and_then(|f| f.dyn_into::<Function>().ok());
        let weak = self.weak();
        match (clipboard, write) {
            (Some(c), Some(write)) => {
                let promise = write.call1(&c, &JsValue::from_str(&url));
                wasm_bindgen_futures::spawn_local(async move {
                    let ok = match promise {
                        Ok(p) => JsFuture::from(Promise::from(p)).await.is_ok(),
                        Err(_) => false,
                    };
                    if let Some(a) = ArticleActions::alive(&weak) {
                        if ok || a.copy_with_selection(&url) {
                            a.announce(copied);
                        }
                    }
                });
            }
            _ => {
                if self.copy_with_selection(&url) {
                    self.announce(copied);
                }
            }
        }
    }

    /// Fallback for browsers without the Clipboard API (or without the
    /// permission): select the URL in a temporary field and copy it.
    fn copy_with_selection(&self, url: &str) -> bool {
        let row = self.0.borrow().row.clone();
        let Some(doc) = row.owner_document() else {
            return false;
        };
        let Ok(el) = El::new(&doc, "input") else {
            return false;
        };
        let input = el.attr("readonly", "").class("visually-hidden").build();
        let _ = row.append_child(&input);
        let done = match input.dyn_ref::<HtmlInputElement>() {
            Some(i) => {
                i.set_value(url);
                i.select();
                doc.dyn_ref::<web_sys::HtmlDocument>()
                    .and_then(|d| d.exec_command("copy").ok())
                    .unwrap_or(false)
            }
            None => false,
        };
        input.remove();
        done
    }

    fn print(&self) {
        self.set_menu(false, false);
        {
            let s = self.0.borrow();
            print::begin(&s.host, &s.frame);
        }
        print::print_dialog();
    }

    fn fetch_config(&self) {
        let Ok(abort) = AbortController::new() else {
            return;
        };
        let client = self.0.borrow().client.clone();
        let weak = self.weak();
        wasm_bindgen_futures::spawn_local(async move {
            let Ok(config) = client.config(&abort.signal()).await else {
                return; // no /config: the row keeps what needs none
            };
            let Some(a) = ArticleActions::alive(&weak) else {
                return;
            };
            if config.send_to_friend {
                if let Some(b) = a.find(".send-toggle") {
                    let _ = b.remove_attribute("hidden");
                }
            }
            if let (Some(rss), Some(link)) = (config.rss, a.find("a.rss")) {
                if let Some(safe) = crate::sanitize::safe_url(&rss, false) {
                    let _ = link.set_attribute("href", safe);
                }
            }
            if !config.site_name.is_empty() {
                let frame = a.0.borrow().frame.clone();
                if let Ok(Some(site)) = frame.query_selector(".print-site") {
                    site.set_text_content(Some(&config.site_name));
                }
            }
        });
    }

    fn set_send_form(&self, open: bool) {
        let form = self.0.borrow().form.clone();
        if let Some(t) = self.find(".send-toggle") {
            let _ = t.set_attribute("aria-expanded", if open { "true" } else { "false" });
        }
        if open {
            let _ = form.remove_attribute("hidden");
            if let Some(first) = self
                .find("#ks-from_name")
                .and_then(|e| e.dyn_into::<HtmlElement>().ok())
            {
                let _ = first.focus();
            }
        } else {
            let _ = form.set_attribute("hidden", "");
        }
    }

    fn value(&self, id: &str) -> String {
        match self.find(&format!("#{id}")) {
            Some(el) => match el.dyn_ref::<HtmlInputElement>() {
                Some(i) => i.value(),
                None => el
                    .dyn_ref::<HtmlTextAreaElement>()
                    .map(|t| t.value())
                    .unwrap_or_default(),
            },
            None => String::new(),
        }
    }

    fn status(&self, text: &str) {
        let form = self.0.borrow().form.clone();
        if let Ok(Some(line)) = form.query_selector(".form-status") {
            line.set_text_content(Some(text));
        }
    }

    fn show_field_errors(&self, errors: &[(&str, &'static str)]) {
        for name in ["from_name", "from_email", "to_email", "message"] {
            let message = errors.iter().find(|(f, _)| *f == name).map(|(_, m)| *m);
            let input = self.find(&format!("#ks-{name}"));
            let line = self.find(&format!("#ks-{name}-error"));
            if let (Some(input), Some(line)) = (input, line) {
                match message {
                    Some(m) => {
                        line.set_text_content(Some(m));
                        let _ = line.remove_attribute("hidden");
                        let _ = input.set_attribute("aria-invalid", "true");
                        let _ =
                            input.set_attribute("aria-describedby", &format!("ks-{name}-error"));
                    }
                    None => {
                        let _ = line.set_attribute("hidden", "");
                        let _ = input.remove_attribute("aria-invalid");
                        let _ = input.remove_attribute("aria-describedby");
                    }
                }
            }
        }
        if let Some((first, _)) = errors.first() {
            if let Some(input) = self
                .find(&format!("#ks-{first}"))
                .and_then(|e| e.dyn_into::<HtmlElement>().ok())
            {
                let _ = input.focus();
            }
        }
    }

    /// Checks the fields as the server will, then sends.
    fn send(&self) {
        if self.0.borrow().send_abort.is_some() {
            return; // already sending
        }
        let c = self.0.borrow().catalog;
        let from_name = self.value("ks-from_name");
        let from_email = self.value("ks-from_email");
        let to_email = self.value("ks-to_email");
        let message = self.value("ks-message");
        let mut errors: Vec<(&str, &'static str)> = Vec::new();
        let name_len = khabar_rules::clean_author(&from_name).chars().count();
        if name_len == 0 {
            errors.push(("from_name", c.err_name_required));
        } else if name_len > khabar_rules::AUTHOR_MAX {
            errors.push(("from_name", c.err_name_long));
        }
        for (field, value) in [("from_email", &from_email), ("to_email", &to_email)] {
            if !khabar_rules::is_email(value.trim()) {
                errors.push((field, c.err_email));
            }
        }
        if khabar_rules::clean_body(&message).chars().count() > 1_000 {
            errors.push(("message", c.err_message_long));
        }
        self.show_field_errors(&errors);
        if !errors.is_empty() {
            self.status(c.fix_fields);
            return;
        }
        let body = Object::new();
        for (k, v) in [
            ("from_name", from_name.as_str()),
            ("from_email", from_email.trim()),
            ("to_email", to_email.trim()),
            ("message", message.as_str()),
        ] {
            let _ = Reflect::set(&body, &k.into(), &v.into());
        }
        let body = js_sys::JSON::stringify(&body)
            .map(String::from)
            .unwrap_or_default();
        let Ok(abort) = AbortController::new() else {
            return;
        };
        let (client, article_id, form) = {
            let mut s = self.0.borrow_mut();
            s.send_abort = Some(abort.clone());
            (s.client.clone(), s.article_id.clone(), s.form.clone())
        };
        let _ = form.set_attribute("aria-busy", "true");
        if let Ok(Some(b)) = form.query_selector("button.send") {
            b.set_text_content(Some(c.sending));
            let _ = b.set_attribute("aria-disabled", "true");
        }
        let weak = self.weak();
        wasm_bindgen_futures::spawn_local(async move {
            let result = client.send_to_friend(&article_id, &body, &abort).await;
            let Some(a) = ArticleActions::alive(&weak) else {
                return;
            };
            a.0.borrow_mut().send_abort = None;
            let _ = form.set_attribute("aria-busy", "false");
            if let Ok(Some(b)) = form.query_selector("button.send") {
                b.set_text_content(Some(c.send_button));
                let _ = b.set_attribute("aria-disabled", "false");
            }
            match result {
                Ok(()) => {
                    a.status(c.sent_ok);
                    // The friend's address and the note go; the sender stays.
                    for id in ["ks-to_email", "ks-message"] {
                        if let Some(el) = a.find(&format!("#{id}")) {
                            if let Some(i) = el.dyn_ref::<HtmlInputElement>() {
                                i.set_value("");
                            } else if let Some(t) = el.dyn_ref::<HtmlTextAreaElement>() {
                                t.set_value("");
                            }
                        }
                    }
                }
                Err(WidgetError::Invalid(fields)) => {
                    let errors: Vec<(&str, &'static str)> = fields
                        .iter()
                        .filter_map(|(f, _)| {
                            let field = ["from_name", "from_email", "to_email", "message"]
                                .into_iter()
                                .find(|n| n == f)?;
                            let message = match field {
                                "from_name" => c.err_name_required,
                                "message" => c.err_message_long,
                                _ => c.err_email,
                            };
                            Some((field, message))
                        })
                        .collect();
                    a.show_field_errors(&errors);
                    a.status(c.fix_fields);
                }
                Err(WidgetError::Server { status: 503 }) => a.status(c.send_unavailable),
                Err(WidgetError::RateLimited { .. }) => a.status(c.rate_limited),
                Err(WidgetError::Aborted) => {}
                Err(_) => a.status(c.send_error_kept),
            }
        });
    }
}

/// `navigator[name]` when it is a function.
fn navigator_fn(name: &str) -> Option<Function> {
    let navigator = web_sys::window()?.navigator();
    Reflect::get(&navigator, &JsValue::from_str(name))
        .ok()?
        .dyn_into::<Function>()
        .ok()
}
