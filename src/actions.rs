//! The actions row at work: the share disclosure (keyboard, Escape, focus
//! return, outside click), the device share sheet, copy link, printing the
//! article alone, and the send-to-a-friend form.

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlInputElement};

use crate::api::ApiClient;
use crate::component::{Component, Guard};
use crate::config::Options;
use crate::dom::{self, Attrs, Children, El};
use crate::error::WidgetError;
use crate::http::Cancel;
use crate::i18n::Catalog;
use crate::model::{Article, SendToFriend};
use crate::print;
use crate::views::actions::{self as view, SendField};

struct State {
    frame: Element,
    /// What "print the article" prints: the widget's host, or the host
    /// page's own article under the `actions` kind.
    print_el: Element,
    /// The site's name in the printout, filled from `/config`.
    print_site: Option<Element>,
    row: view::Row,
    form: view::SendForm,
    catalog: &'static Catalog,
    client: ApiClient,
    article_id: String,
    title: String,
    summary: String,
    url: String,
    send_abort: Option<Cancel>,
    /// The `/config` request, until it answers (`destroy` cancels it).
    config_abort: Option<Cancel>,
}

/// The live actions of one article.
#[derive(Clone)]
pub struct ArticleActions(Component<State>);

impl ArticleActions {
    /// Renders the row (and the hidden send form) at the end of
    /// `article_el`, then asks the backend whether it can send e-mail.
    /// `print_site` is where the printout names the site; `print_el` what
    /// prints (the host, or the page's own article).
    pub fn mount(
        doc: &Document,
        article_el: &Element,
        frame: &Element,
        print_el: &Element,
        print_site: Option<Element>,
        article: &Article,
        options: &Options,
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
            options.share_utm.as_deref(),
            &client.default_feed(),
        );
        let form = view::send_form(doc, catalog);
        article_el.add_child(&row.row);
        article_el.add_child(&form.form);
        let this = ArticleActions(Component::new(State {
            frame: frame.clone(),
            print_el: print_el.clone(),
            print_site,
            row,
            form,
            catalog,
            client,
            article_id: article.id.clone(),
            title: article.title.clone(),
            summary: article.summary.clone(),
            url,
            send_abort: None,
            config_abort: None,
        }));
        this.wire(doc);
        this.fetch_config();
        Ok(this)
    }

    /// Removes listeners, cancels the requests in flight, clears print
    /// marks.
    pub fn destroy(&self) {
        self.0.destroy();
        let mut s = self.0.borrow_mut();
        for a in [s.send_abort.take(), s.config_abort.take()]
            .into_iter()
            .flatten()
        {
            a.cancel();
        }
        print::end(&s.print_el, &s.frame);
    }

    fn guard(&self) -> Guard<State> {
        self.0.guard()
    }

    fn alive(guard: &Guard<State>) -> Option<ArticleActions> {
        guard.get().map(ArticleActions)
    }

    fn listen(
        &self,
        target: &web_sys::EventTarget,
        event: &'static str,
        f: fn(&ArticleActions, &web_sys::Event),
    ) {
        self.0
            .listen(target, event, move |a, e| f(&ArticleActions(a), e));
    }

    /// One of the parts the views handed over.
    fn el(&self, pick: fn(&State) -> &Element) -> Element {
        pick(&self.0.borrow()).clone()
    }

    fn wire(&self, doc: &Document) {
        let (row, form) = (self.el(|s| &s.row.row), self.el(|s| &s.form.form));
        // The device's share sheet, where the browser has one.
        if navigator_fn("share").is_some() {
            self.el(|s| &s.row.share_device).remove_attr("hidden");
        }
        self.listen(&row, "click", |a, e| {
            let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
                return;
            };
            let Some(el) = target.closest("button, a").ok().flatten() else {
                return;
            };
            let open = el.get_attribute("aria-expanded").as_deref() != Some("true");
            let (toggle, device, copy, send, print, menu) = {
                let s = a.0.borrow();
                let r = &s.row;
                (
                    el == r.share_toggle,
                    el == r.share_device,
                    el == r.copy_link,
                    el == r.send_toggle,
                    el == r.print,
                    r.share_menu.contains(Some(&el)),
                )
            };
            if toggle {
                a.set_menu(open, open);
            } else if device {
                a.share_with_device();
            } else if copy {
                a.copy_link();
            } else if send {
                a.set_send_form(open);
            } else if print {
                a.print();
            } else if el.local_name() == "a" && menu {
                // The link opens elsewhere; the focus must not stay on it,
                // hidden with the menu.
                a.set_menu(false, true);
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
                dom::focus(&a.el(|s| &s.row.send_toggle));
            }
        });
        // A click anywhere else closes the menu.
        self.listen(doc, "click", |a, e| {
            if !a.menu_open() {
                return;
            }
            let share = JsValue::from(a.el(|s| &s.row.share));
            let inside = e.composed_path().iter().any(|n| share == n);
            if !inside {
                a.set_menu(false, false);
            }
        });
        self.listen(&form, "input", |a, e| a.mend(e));
        self.listen(&form, "submit", |a, e| {
            e.prevent_default();
            a.send();
        });
        if let Some(window) = web_sys::window() {
            self.listen(&window, "afterprint", |a, _| {
                let s = a.0.borrow();
                print::end(&s.print_el, &s.frame);
            });
        }
    }

    fn menu_open(&self) -> bool {
        self.el(|s| &s.row.share_toggle)
            .get_attribute("aria-expanded")
            .as_deref()
            == Some("true")
    }

    fn set_menu(&self, open: bool, move_focus: bool) {
        let (toggle, menu) = (
            self.el(|s| &s.row.share_toggle),
            self.el(|s| &s.row.share_menu),
        );
        toggle.set_attr("aria-expanded", if open { "true" } else { "false" });
        if open {
            menu.remove_attr("hidden");
        } else {
            menu.set_attr("hidden", "");
        }
        if move_focus {
            dom::focus(&if open {
                self.el(|s| &s.row.copy_link)
            } else {
                toggle
            });
        }
    }

    fn announce(&self, text: &str) {
        let live = self.el(|s| &s.row.live);
        // Cleared first so that the same words are announced again.
        live.set_text_content(None);
        live.set_text_content(Some(text));
    }

    fn share_with_device(&self) {
        let Some(share) = navigator_fn("share") else {
            return;
        };
        let data = Object::new();
        {
            let s = self.0.borrow();
            crate::plain::set_field(&data, "title", &s.title.as_str().into());
            crate::plain::set_field(&data, "text", &s.summary.as_str().into());
            crate::plain::set_field(&data, "url", &s.url.as_str().into());
        }
        let Some(navigator) = web_sys::window().map(|w| w.navigator()) else {
            return;
        };
        let guard = self.guard();
        if let Ok(promise) = share.call1(&navigator, &data) {
            crate::task::when(&promise, move |shared| {
                // A reader who closes the sheet is no error; any other
                // failure falls back to the menu.
                if let Err(e) = shared {
                    let name = Reflect::get(&e, &"name".into())
                        .ok()
                        .and_then(|n| n.as_string());
                    if name.as_deref() != Some("AbortError") {
                        if let Some(a) = ArticleActions::alive(&guard) {
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
            (s.url.clone(), s.catalog.copied())
        };
        let clipboard = web_sys::window()
            .and_then(|w| Reflect::get(&w.navigator(), &"clipboard".into()).ok())
            .filter(|c| c.is_object());
        let write = clipboard
            .as_ref()
            .and_then(|c| Reflect::get(c, &"writeText".into()).ok())
            .and_then(|f| f.dyn_into::<Function>().ok());
        let guard = self.guard();
        match (clipboard, write) {
            (Some(c), Some(write)) => {
                // A call that throws counts as a rejection.
                let promise = write
                    .call1(&c, &JsValue::from_str(&url))
                    .unwrap_or_else(|e| Promise::reject(&e).into());
                crate::task::when(&promise, move |written| {
                    let ok = written.is_ok();
                    if let Some(a) = ArticleActions::alive(&guard) {
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
        let row = self.el(|s| &s.row.row);
        let Some(doc) = row.owner_document() else {
            return false;
        };
        let input = El::new(&doc, "input")
            .attr("readonly", "")
            .class("visually-hidden")
            .build();
        row.add_child(&input);
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
            print::begin(&s.print_el, &s.frame);
        }
        print::print_dialog();
    }

    fn fetch_config(&self) {
        let Ok(abort) = Cancel::new() else {
            return;
        };
        let client = {
            let mut s = self.0.borrow_mut();
            s.config_abort = Some(abort.clone());
            s.client.clone()
        };
        let guard = self.guard();
        client.config(&abort, move |config| {
            let Some(a) = ArticleActions::alive(&guard) else {
                return;
            };
            a.0.borrow_mut().config_abort = None;
            let Ok(config) = config else {
                return; // no /config: the row keeps what needs none
            };
            if config.send_to_friend {
                a.el(|s| &s.row.send_toggle).remove_attr("hidden");
            }
            if let Some(safe) = config
                .rss
                .as_deref()
                .and_then(|rss| crate::sanitize::safe_url(rss, false))
            {
                a.el(|s| &s.row.rss).set_attr("href", safe);
            }
            let site = a.0.borrow().print_site.clone();
            if let (false, Some(site)) = (config.site_name.is_empty(), site) {
                site.set_text_content(Some(&config.site_name));
            }
        });
    }

    fn set_send_form(&self, open: bool) {
        let form = self.el(|s| &s.form.form);
        let toggle = self.el(|s| &s.row.send_toggle);
        toggle.set_attr("aria-expanded", if open { "true" } else { "false" });
        if open {
            form.remove_attr("hidden");
            dom::focus(&self.input(SendField::FromName));
        } else {
            form.set_attr("hidden", "");
        }
    }

    fn input(&self, field: SendField) -> Element {
        self.0.borrow().form.input(field).clone()
    }

    fn value(&self, field: SendField) -> String {
        dom::value(self.0.borrow().form.input(field))
    }

    fn status(&self, text: &str) {
        self.el(|s| &s.form.status).set_text_content(Some(text));
    }

    fn show_field_errors(&self, errors: &[(SendField, &'static str)]) {
        for field in SendField::ALL {
            let message = errors.iter().find(|(f, _)| *f == field).map(|(_, m)| *m);
            self.mark(field, message);
        }
        if let Some((first, _)) = errors.first() {
            dom::focus(&self.input(*first));
        }
    }

    /// Shows `message` as `field`'s error, or with `None` takes it away.
    fn mark(&self, field: SendField, message: Option<&str>) {
        let (input, line) = {
            let s = self.0.borrow();
            (
                s.form.input(field).clone(),
                s.form.error_line(field).clone(),
            )
        };
        match message {
            Some(m) => {
                line.set_text_content(Some(m));
                line.remove_attr("hidden");
                input.set_attr("aria-invalid", "true");
                input.set_attr("aria-describedby", &line.id());
            }
            None => {
                line.set_attr("hidden", "");
                input.remove_attr("aria-invalid");
                input.remove_attr("aria-describedby");
            }
        }
    }

    /// Takes the error off the field the reader just changed once it meets
    /// the rules (new errors wait for "send"), and "fix the marked fields"
    /// with the last one.
    fn mend(&self, e: &web_sys::Event) {
        let target = e.target().map(JsValue::from);
        let Some(field) = SendField::ALL
            .into_iter()
            .find(|f| Some(JsValue::from(self.input(*f))) == target)
        else {
            return;
        };
        if !self.input(field).has_attribute("aria-invalid") {
            return;
        }
        let (_, errors) = self.check();
        if errors.iter().any(|(f, _)| *f == field) {
            return;
        }
        self.mark(field, None);
        let c = self.0.borrow().catalog;
        let status = self.el(|s| &s.form.status);
        let marked = SendField::ALL
            .into_iter()
            .any(|f| self.input(f).has_attribute("aria-invalid"));
        if !marked && status.text_content().as_deref() == Some(c.fix_fields()) {
            self.status("");
        }
    }

    fn set_sending(&self, sending: bool) {
        let c = self.0.borrow().catalog;
        let (form, send) = (self.el(|s| &s.form.form), self.el(|s| &s.form.send));
        let flag = if sending { "true" } else { "false" };
        form.set_attr("aria-busy", flag);
        send.set_text_content(Some(if sending {
            c.sending()
        } else {
            c.send_button()
        }));
        send.set_attr("aria-disabled", flag);
    }

    /// The request as typed, and every field that breaks the server's rules.
    fn check(&self) -> (SendToFriend, Vec<(SendField, &'static str)>) {
        let c = self.0.borrow().catalog;
        let request = SendToFriend {
            from_name: self.value(SendField::FromName),
            from_email: self.value(SendField::FromEmail).trim().to_owned(),
            to_email: self.value(SendField::ToEmail).trim().to_owned(),
            message: self.value(SendField::Message),
        };
        let mut errors: Vec<(SendField, &'static str)> = Vec::new();
        let name_len = khabar_rules::clean_author(&request.from_name)
            .chars()
            .count();
        if name_len == 0 {
            errors.push((SendField::FromName, c.err_name_required()));
        } else if name_len > khabar_rules::AUTHOR_MAX {
            errors.push((SendField::FromName, c.err_name_long()));
        }
        for (field, value) in [
            (SendField::FromEmail, &request.from_email),
            (SendField::ToEmail, &request.to_email),
        ] {
            if !khabar_rules::is_email(value) {
                errors.push((field, c.err_email()));
            }
        }
        if khabar_rules::clean_body(&request.message).chars().count()
            > khabar_rules::SEND_MESSAGE_MAX
        {
            errors.push((SendField::Message, c.err_message_long()));
        }
        (request, errors)
    }

    /// Checks the fields as the server will, then sends.
    fn send(&self) {
        if self.0.borrow().send_abort.is_some() {
            return; // already sending
        }
        let (request, errors) = self.check();
        self.show_field_errors(&errors);
        let c = self.0.borrow().catalog;
        if !errors.is_empty() {
            self.status(c.fix_fields());
            return;
        }
        let Ok(abort) = Cancel::new() else {
            return;
        };
        let (client, article_id) = {
            let mut s = self.0.borrow_mut();
            s.send_abort = Some(abort.clone());
            (s.client.clone(), s.article_id.clone())
        };
        self.set_sending(true);
        let guard = self.guard();
        client.send_to_friend(&article_id, &request, &abort, move |result| {
            let Some(a) = ArticleActions::alive(&guard) else {
                return;
            };
            a.0.borrow_mut().send_abort = None;
            a.set_sending(false);
            match result {
                Ok(()) => {
                    a.status(c.sent_ok());
                    // The friend's address and the note go; the sender stays.
                    for field in [SendField::ToEmail, SendField::Message] {
                        dom::set_value(&a.input(field), "");
                    }
                }
                Err(WidgetError::Invalid(fields)) => {
                    let errors: Vec<(SendField, &'static str)> = fields
                        .iter()
                        .filter_map(|(f, _)| {
                            let field = SendField::from_name(f)?;
                            let message = match field {
                                SendField::FromName => c.err_name_required(),
                                SendField::Message => c.err_message_long(),
                                _ => c.err_email(),
                            };
                            Some((field, message))
                        })
                        .collect();
                    a.show_field_errors(&errors);
                    a.status(c.fix_fields());
                }
                Err(WidgetError::Server { status: 503 }) => a.status(c.send_unavailable()),
                Err(WidgetError::Aborted) => {}
                // Refusals a retry cannot mend: the embed, or the story.
                Err(e @ (WidgetError::NotAllowed(_) | WidgetError::NotFound)) => {
                    a.status(e.message(c))
                }
                // A 429 too: nothing sends the mail again by itself (the
                // comment form's "we will send it again" would promise so).
                Err(_) => a.status(c.send_error_kept()),
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
