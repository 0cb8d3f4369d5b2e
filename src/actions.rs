//! The actions row at work: the share disclosure (keyboard, Escape, focus
//! return, outside click), the device share sheet, copy link, printing the
//! article alone, and opening the send-to-a-friend form (whose checking and
//! sending are the comments module's: `crate::send_form`).

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
use crate::model::Article;
use crate::print;
use crate::views::actions as view;
use crate::views::send_form::{self as form_view, SendField};

/// What makes the send form work: compiled in where the comment section
/// is (the tests' build), else the comments module's handle, started when
/// a reader first opens the form.
#[cfg(feature = "comments")]
type FormAtWork = crate::send_form::Controller;
#[cfg(not(feature = "comments"))]
type FormAtWork = JsValue;

struct State {
    frame: Element,
    /// What "print the article" prints: the widget's host, or the host
    /// page's own article under the `actions` kind.
    print_el: Element,
    /// The site's name in the printout, filled from `/config`.
    print_site: Option<Element>,
    row: view::Row,
    form: form_view::SendForm,
    catalog: &'static Catalog,
    client: ApiClient,
    /// The reader's language, the API base and the article, for the send
    /// form.
    #[cfg_attr(feature = "comments", allow(dead_code))]
    lang: crate::i18n::Lang,
    api: String,
    article_id: String,
    title: String,
    summary: String,
    url: String,
    /// The send form's behaviour, once it works.
    at_work: Option<FormAtWork>,
    /// Whether the comments module is on its way for the form.
    form_loading: bool,
    /// "Send" pressed before the form worked: sent once it does.
    send_waiting: bool,
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
        let url = crate::sanitize::share_url(&article.url, &options.api);
        let row = view::row(
            doc,
            catalog,
            &article.title,
            &article.summary,
            &url,
            options.share_utm.as_deref(),
            &client.default_feed(),
        );
        let form = form_view::send_form(doc, catalog);
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
            lang: options.lang(),
            api: options.api.clone(),
            article_id: article.id.clone(),
            title: article.title.clone(),
            summary: article.summary.clone(),
            url,
            at_work: None,
            form_loading: false,
            send_waiting: false,
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
        let at_work = {
            let mut s = self.0.borrow_mut();
            if let Some(a) = s.config_abort.take() {
                a.cancel();
            }
            print::end(&s.print_el, &s.frame);
            s.at_work.take()
        };
        if let Some(at_work) = at_work {
            stop(&at_work);
        }
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
            if escape && a.set_send_form(false) {
                dom::focus(&a.el(|s| &s.row.send_toggle));
            }
        });
        // The keyboard's focus leaving the menu closes it: open, it would
        // cover what the focus went to.
        let share = self.el(|s| &s.row.share);
        self.listen(&share, "focusout", |a, e| {
            let Some(to) = Reflect::get(e, &"relatedTarget".into())
                .ok()
                .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
            else {
                return; // the window, not the page, lost the focus
            };
            if a.menu_open() && !a.el(|s| &s.row.share).contains(Some(&to)) {
                a.set_menu(false, false);
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
        // The form's own behaviour sends; until it works, "send" waits,
        // and says so as sending does.
        self.listen(&form, "submit", |a, e| {
            e.prevent_default();
            if a.0.borrow().at_work.is_none() {
                a.0.borrow_mut().send_waiting = true;
                a.show_waiting(true);
                a.make_form_work();
            }
        });
        if let Some(window) = web_sys::window() {
            self.listen(&window, "afterprint", |a, _| {
                let s = a.0.borrow();
                print::end(&s.print_el, &s.frame);
            });
        }
    }

    fn menu_open(&self) -> bool {
        dom::matches(&self.el(|s| &s.row.share_toggle), "[aria-expanded=true]")
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

    /// Says `text` in the row's live region, again when it is the same (a
    /// second "Link copied.").
    fn announce(&self, text: &'static str) {
        let guard = self.guard();
        dom::announce(&self.el(|s| &s.row.live), text, move || {
            ArticleActions::alive(&guard).is_some()
        });
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
        let (url, catalog) = {
            let s = self.0.borrow();
            (s.url.clone(), s.catalog)
        };
        // Nothing to copy (no address at all): never "copied".
        if url.is_empty() {
            return self.announce(catalog.copy_failed());
        }
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
                        let copied = ok || a.copy_with_selection(&url);
                        a.announce(if copied {
                            catalog.copied()
                        } else {
                            catalog.copy_failed()
                        });
                    }
                });
            }
            _ => {
                let copied = self.copy_with_selection(&url);
                self.announce(if copied {
                    catalog.copied()
                } else {
                    catalog.copy_failed()
                });
            }
        }
    }

    /// Fallback for browsers without the Clipboard API (or without the
    /// permission): select the URL in a temporary field and copy it.
    fn copy_with_selection(&self, url: &str) -> bool {
        // In the share menu, so that the focus, moved into the field by
        // selecting, does not leave the menu (which would close it).
        let row = self.el(|s| &s.row.share);
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
        // Selecting moved the focus into the field; it goes back to the
        // reader's place, not to the page's top.
        dom::focus(&self.el(|s| &s.row.copy_link));
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

    /// Opens or closes the send form; while it sends, it stays open, for
    /// its reader to see whether the mail left (closed, its answer would
    /// go unseen and unheard). While it waits for its module, it closes,
    /// and the "send" pressed meanwhile does not go. False when it stays
    /// open.
    fn set_send_form(&self, open: bool) -> bool {
        let form = self.el(|s| &s.form.form);
        if !open && !self.0.borrow().send_waiting && dom::matches(&form, "[aria-busy=true]") {
            return false;
        }
        let toggle = self.el(|s| &s.row.send_toggle);
        toggle.set_attr("aria-expanded", if open { "true" } else { "false" });
        if open {
            form.remove_attr("hidden");
            dom::focus(&self.input(SendField::FromName));
            self.make_form_work();
        } else {
            form.set_attr("hidden", "");
        }
        true
    }

    fn input(&self, field: SendField) -> Element {
        self.0.borrow().form.input(field).clone()
    }

    /// The form busy (or no longer) while a "send" waits for its module,
    /// as it is while it sends.
    fn show_waiting(&self, waiting: bool) {
        let s = self.0.borrow();
        s.form.show_busy(s.catalog, waiting);
    }

    /// Gives the send form its behaviour (once): at once where it is
    /// compiled in, else through the comments module, started when the
    /// form opens. A load that fails is told only to a reader who pressed
    /// "send" (the mail did not go, what was typed is kept), and the next
    /// "send" tries again.
    fn make_form_work(&self) {
        {
            let s = self.0.borrow();
            if s.at_work.is_some() || s.form_loading {
                return;
            }
        }
        #[cfg(feature = "comments")]
        {
            let at_work = {
                let s = self.0.borrow();
                let form = s.form.clone();
                crate::send_form::Controller::wire(form, s.catalog, &s.api, &s.article_id)
            };
            self.working(at_work);
        }
        #[cfg(not(feature = "comments"))]
        {
            self.0.borrow_mut().form_loading = true;
            let guard = self.guard();
            crate::comments_chunk::load_export("wireSendForm", move |wire| {
                let Some(a) = ArticleActions::alive(&guard) else {
                    return;
                };
                a.0.borrow_mut().form_loading = false;
                let wired = wire.and_then(|wire| {
                    let s = a.0.borrow();
                    let args = js_sys::Array::of4(
                        &s.form.parts(),
                        &JsValue::from_str(&s.api),
                        &JsValue::from_str(&s.article_id),
                        &JsValue::from_str(s.lang.tag()),
                    );
                    wire.apply(&JsValue::NULL, &args)
                        .ok()
                        .filter(|h| h.is_object())
                });
                match wired {
                    Some(handle) => a.working(handle),
                    None if std::mem::take(&mut a.0.borrow_mut().send_waiting) => {
                        a.show_waiting(false);
                        let c = a.0.borrow().catalog;
                        let guard = a.guard();
                        dom::announce(&a.el(|s| &s.form.status), c.send_error_kept(), move || {
                            ArticleActions::alive(&guard).is_some()
                        });
                    }
                    None => {}
                }
            });
        }
    }

    /// The form works: a "send" pressed meanwhile goes now, unless the
    /// reader closed the form since.
    fn working(&self, at_work: FormAtWork) {
        let (waiting, form) = {
            let mut s = self.0.borrow_mut();
            s.at_work = Some(at_work.clone());
            (std::mem::take(&mut s.send_waiting), s.form.form.clone())
        };
        if waiting {
            self.show_waiting(false);
            if !form.has_attribute("hidden") {
                send(&at_work);
            }
        }
    }
}

/// Sends the form through its behaviour.
fn send(at_work: &FormAtWork) {
    #[cfg(feature = "comments")]
    at_work.send();
    #[cfg(not(feature = "comments"))]
    if let Ok(f) = Reflect::get(at_work, &"send".into()).and_then(|f| f.dyn_into::<Function>()) {
        let _ = f.call0(at_work);
    }
}

/// Takes the form's behaviour down (and frees the module's handle).
fn stop(at_work: &FormAtWork) {
    #[cfg(feature = "comments")]
    at_work.destroy();
    #[cfg(not(feature = "comments"))]
    crate::comments_chunk::release(at_work);
}

/// `navigator[name]` when it is a function.
fn navigator_fn(name: &str) -> Option<Function> {
    let navigator = web_sys::window()?.navigator();
    Reflect::get(&navigator, &JsValue::from_str(name))
        .ok()?
        .dyn_into::<Function>()
        .ok()
}
