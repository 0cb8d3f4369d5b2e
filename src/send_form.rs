//! The send-to-a-friend form at work: checking the fields as the server
//! will, marking and mending errors, sending, and reading the server's
//! refusals. The core draws the form under the actions row
//! (`views::send_form`); this half is the comments module's, which the core
//! starts when a reader first opens the form (a first visit does not
//! download it), and is compiled into the core only in the build that
//! holds both (the tests').

use web_sys::Element;

use crate::api::ApiClient;
use crate::component::{Component, Guard};
use crate::dom::{self, Attrs};
use crate::error::WidgetError;
use crate::http::Cancel;
use crate::i18n::Catalog;
use crate::model::SendToFriend;
use crate::views::send_form::{SendField, SendForm};

struct State {
    form: SendForm,
    catalog: &'static Catalog,
    client: ApiClient,
    article_id: String,
    send_abort: Option<Cancel>,
    /// The key of what the form sends until it is sent; the server sends
    /// one mail for a key and what it asks, however often it is sent.
    key: String,
}

/// The behaviour of one article's send-to-a-friend form.
#[derive(Clone)]
pub struct Controller(Component<State>);

impl Controller {
    /// Makes `form` work for the article `article_id` of the API at `api`:
    /// errors go away as the reader mends them, and "send" checks, then
    /// sends.
    pub fn wire(form: SendForm, catalog: &'static Catalog, api: &str, article_id: &str) -> Self {
        let form_el = form.form.clone();
        let this = Controller(Component::new(State {
            form,
            catalog,
            client: ApiClient::new(api),
            article_id: article_id.to_owned(),
            send_abort: None,
            key: crate::storage::new_key(),
        }));
        this.0
            .listen(&form_el, "input", |c, e| Controller(c).mend(e));
        this.0.listen(&form_el, "submit", |c, e| {
            e.prevent_default();
            Controller(c).send();
        });
        this
    }

    /// Removes the listeners and cancels a sending in flight.
    pub fn destroy(&self) {
        self.0.destroy();
        if let Some(abort) = self.0.borrow_mut().send_abort.take() {
            abort.cancel();
        }
    }

    fn guard(&self) -> Guard<State> {
        self.0.guard()
    }

    fn input(&self, field: SendField) -> Element {
        self.0.borrow().form.input(field).clone()
    }

    fn value(&self, field: SendField) -> String {
        dom::value(self.0.borrow().form.input(field))
    }

    /// Writes `text` on the status line, read out again when it is the same
    /// (a second friend's "on its way").
    fn status(&self, text: &'static str) {
        let line = self.0.borrow().form.status.clone();
        let guard = self.guard();
        dom::announce(&line, text, move || guard.get().is_some());
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
        let target = e.target().map(wasm_bindgen::JsValue::from);
        let Some(field) = SendField::ALL
            .into_iter()
            .find(|f| Some(wasm_bindgen::JsValue::from(self.input(*f))) == target)
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
        let (c, status) = {
            let s = self.0.borrow();
            (s.catalog, s.form.status.clone())
        };
        let marked = SendField::ALL
            .into_iter()
            .any(|f| self.input(f).has_attribute("aria-invalid"));
        if !marked && status.text_content().as_deref() == Some(c.fix_fields()) {
            self.status("");
        }
    }

    fn set_sending(&self, sending: bool) {
        let s = self.0.borrow();
        s.form.show_busy(s.catalog, sending);
    }

    /// The request as typed, and every field that breaks the server's rules.
    fn check(&self) -> (SendToFriend, Vec<(SendField, &'static str)>) {
        let c = self.0.borrow().catalog;
        let request = SendToFriend {
            from_name: self.value(SendField::FromName),
            from_email: self.value(SendField::FromEmail).trim().to_owned(),
            to_email: self.value(SendField::ToEmail).trim().to_owned(),
            message: self.value(SendField::Message),
            idempotency_key: self.0.borrow().key.clone(),
        };
        let mut errors: Vec<(SendField, &'static str)> = Vec::new();
        let name = khabar_rules::clean_author(&request.from_name);
        let name_len = name.chars().count();
        if !khabar_rules::shows_something(&name) {
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
    pub fn send(&self) {
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
            let Some(a) = guard.get().map(Controller) else {
                return;
            };
            a.0.borrow_mut().send_abort = None;
            a.set_sending(false);
            match result {
                Ok(()) => {
                    a.status(c.sent_ok());
                    a.0.borrow_mut().key = crate::storage::new_key();
                    // The friend's address and the note go; the sender stays.
                    for field in [SendField::ToEmail, SendField::Message] {
                        dom::set_value(&a.input(field), "");
                    }
                }
                Err(WidgetError::Invalid(fields)) => {
                    let errors: Vec<(SendField, &'static str)> = fields
                        .iter()
                        .filter_map(|(f, code)| {
                            let field = SendField::from_name(f)?;
                            let message = match field {
                                SendField::FromName if code == "too_long" => c.err_name_long(),
                                SendField::FromName => c.err_name_required(),
                                SendField::Message => c.err_message_long(),
                                _ => c.err_email(),
                            };
                            Some((field, message))
                        })
                        .collect();
                    a.show_field_errors(&errors);
                    // A refusal of nothing the reader can mend (a field this
                    // form does not know, or none) is the server's problem.
                    a.status(if errors.is_empty() {
                        c.error_server()
                    } else {
                        c.fix_fields()
                    });
                }
                Err(WidgetError::Server { status: 503 }) => a.status(c.send_unavailable()),
                Err(WidgetError::Aborted) => {}
                // Refusals a retry cannot mend: the embed, or the story.
                Err(e @ (WidgetError::NotAllowed(_) | WidgetError::NotFound)) => {
                    a.status(e.message(c))
                }
                // Nothing sends the mail again by itself (the comment
                // form's "we will send it again" would promise so); the
                // limits count minutes, so "try again" now would fail too.
                Err(WidgetError::RateLimited { .. }) => a.status(c.send_rate_limited()),
                Err(_) => a.status(c.send_error_kept()),
            }
        });
    }
}
