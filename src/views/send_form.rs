//! The send-to-a-friend form: its fields and parts, and (in the core) the
//! form itself. The core draws it under the actions row; what makes it
//! work — checking, sending, the server's refusals — is the comments
//! module's (`crate::send_form`), which the core starts when a reader
//! first opens the form.

#[cfg(feature = "core")]
use web_sys::Document;
use web_sys::Element;

use crate::dom::Attrs;
#[cfg(feature = "core")]
use crate::dom::{Children, El};
use crate::i18n::Catalog;
#[cfg(feature = "core")]
use crate::views::{field, send_and_status};

/// A field of the send-to-a-friend form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendField {
    /// The sender's name.
    FromName,
    /// The sender's address.
    FromEmail,
    /// The friend's address.
    ToEmail,
    /// The optional note.
    Message,
}

impl SendField {
    /// Every field, in form order.
    pub const ALL: [SendField; 4] = [
        SendField::FromName,
        SendField::FromEmail,
        SendField::ToEmail,
        SendField::Message,
    ];

    /// The name in requests and in the server's 422 answers.
    pub fn name(self) -> &'static str {
        match self {
            SendField::FromName => "from_name",
            SendField::FromEmail => "from_email",
            SendField::ToEmail => "to_email",
            SendField::Message => "message",
        }
    }

    /// The field the server calls `name`.
    pub fn from_name(name: &str) -> Option<SendField> {
        SendField::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The control's id (its error line's is `{id}-error`).
    pub fn id(self) -> &'static str {
        match self {
            SendField::FromName => "ks-from_name",
            SendField::FromEmail => "ks-from_email",
            SendField::ToEmail => "ks-to_email",
            SendField::Message => "ks-message",
        }
    }
}

/// The parts of the send-to-a-friend form its controller works with.
#[derive(Clone)]
pub struct SendForm {
    /// The form itself.
    pub form: Element,
    /// The submit button.
    pub send: Element,
    /// The polite status line.
    pub status: Element,
    /// Controls and error lines, in [`SendField::ALL`] order.
    fields: [(Element, Element); 4],
}

impl SendForm {
    /// The parts as one array (the form, the button, the status line, then
    /// each field's control and error line), for the comments module.
    #[cfg(not(feature = "comments"))]
    pub fn parts(&self) -> js_sys::Array {
        let parts = js_sys::Array::of3(&self.form, &self.send, &self.status);
        for (control, error) in &self.fields {
            parts.push(control);
            parts.push(error);
        }
        parts
    }

    /// The form from [`SendForm::parts`]; `None` when it is not one.
    #[cfg(feature = "comments")]
    pub fn from_parts(parts: &js_sys::Array) -> Option<SendForm> {
        use wasm_bindgen::JsCast;
        let el = |i: u32| parts.get(i).dyn_into::<Element>().ok();
        let field = |n: u32| Some((el(3 + 2 * n)?, el(4 + 2 * n)?));
        Some(SendForm {
            form: el(0)?,
            send: el(1)?,
            status: el(2)?,
            fields: [field(0)?, field(1)?, field(2)?, field(3)?],
        })
    }

    /// Marks the form busy (or no longer): while it sends, and while a
    /// "send" waits for the module that sends it.
    pub fn show_busy(&self, catalog: &Catalog, busy: bool) {
        let flag = if busy { "true" } else { "false" };
        self.form.set_attr("aria-busy", flag);
        self.send.set_attr("aria-disabled", flag);
        self.send.set_text_content(Some(if busy {
            catalog.sending()
        } else {
            catalog.send_button()
        }));
    }

    /// The control of `field`.
    pub fn input(&self, field: SendField) -> &Element {
        &self.fields[field as usize].0
    }

    /// The error line of `field`.
    pub fn error_line(&self, field: SendField) -> &Element {
        &self.fields[field as usize].1
    }
}

/// The send-to-a-friend form (hidden until the reader opens it).
#[cfg(feature = "core")]
pub fn send_form(doc: &Document, catalog: &Catalog) -> SendForm {
    let input = |kind: &str, autocomplete: &str| -> El {
        El::new(doc, "input")
            .attr("type", kind)
            .attr("autocomplete", autocomplete)
            .attr("dir", if kind == "email" { "ltr" } else { "auto" })
    };
    let form = El::new(doc, "form")
        .class("send-form")
        .part("send-form")
        .attr("id", "kh-send")
        .attr("novalidate", "")
        .attr("hidden", "")
        .attr("aria-labelledby", "kh-send-title")
        .child(
            El::new(doc, "h3")
                .attr("id", "kh-send-title")
                .text(catalog.send_title()),
        );
    let form_el = form.build_ref().clone();
    let fields = SendField::ALL.map(|f| {
        let (label, control) = match f {
            SendField::FromName => (
                catalog.your_name(),
                input("text", "name").attr("required", ""),
            ),
            SendField::FromEmail => (
                catalog.your_email(),
                input("email", "email").attr("required", ""),
            ),
            SendField::ToEmail => (
                catalog.friend_email(),
                input("email", "off").attr("required", ""),
            ),
            SendField::Message => (
                catalog.message_optional(),
                El::new(doc, "textarea")
                    .attr("rows", "3")
                    .attr("dir", "auto"),
            ),
        };
        let control_el = control.build_ref().clone();
        let (field, error) = field(doc, f.id(), f.name(), label, control, None);
        form_el.add_child(&field.build());
        (control_el, error)
    });
    let (send, status) = send_and_status(doc, catalog.send_button());
    let (send_el, status_el) = (send.build_ref().clone(), status.build_ref().clone());
    let form = form.child(send).child(status).build();
    SendForm {
        form,
        send: send_el,
        status: status_el,
        fields,
    }
}
