//! The comment form: real labels, errors tied to their fields, a live
//! character count, the hidden honeypot and a polite status line.

use web_sys::{Document, Element};

use crate::comment_rules::{Field, AUTHOR_MAX, BODY_MAX};
use crate::dom::El;
use crate::i18n::Catalog;
use crate::views::{field, send_and_status};

/// The parts of the comment form its controller works with.
pub struct CommentForm {
    /// The form itself.
    pub form: Element,
    /// The honeypot input.
    pub website: Element,
    /// "Remember my name".
    pub remember: Element,
    /// "Tell me about replies", and the line that holds it (hidden until
    /// the backend can mail and an address is typed).
    pub notify: Element,
    /// The line of `notify`.
    pub notify_line: Element,
    /// The live character count under the text.
    pub count: Element,
    /// The "replying to" banner (also the parent's error target).
    pub reply: Element,
    /// The banner's text.
    pub reply_text: Element,
    /// The submit button.
    pub send: Element,
    /// The polite status line.
    pub status: Element,
    /// Controls and error lines of author, e-mail, body and parent.
    fields: [(Element, Element); 4],
}

impl CommentForm {
    /// The control of `field` (the reply banner for the parent).
    pub fn input(&self, field: Field) -> &Element {
        &self.fields[slot(field)].0
    }

    /// The error line of `field`.
    pub fn error_line(&self, field: Field) -> &Element {
        &self.fields[slot(field)].1
    }

    /// The note a control is always described by, besides its error.
    pub fn note_id(field: Field) -> &'static str {
        match field {
            Field::Email => EMAIL_NOTE,
            Field::Body => BODY_NOTES,
            _ => "",
        }
    }
}

fn slot(field: Field) -> usize {
    match field {
        Field::Author => 0,
        Field::Email => 1,
        Field::Body => 2,
        Field::Parent | Field::IdempotencyKey => 3,
    }
}

const EMAIL_NOTE: &str = "kc-email-note";
const COUNT: &str = "kc-body-count";
/// The text's notes: whom it replies to (empty unless replying; read out
/// with the text box, as the banner is not), then its count.
const BODY_NOTES: &str = "kc-replying kc-body-count";

/// The id of a field's input inside the shadow root.
fn input_id(field: Field) -> &'static str {
    match field {
        Field::Author => "kc-author",
        Field::Email => "kc-email",
        Field::Body => "kc-body",
        Field::Parent | Field::IdempotencyKey => "kc-reply",
    }
}

/// The id of a field's error line.
fn error_id(field: Field) -> &'static str {
    match field {
        Field::Author => "kc-author-error",
        Field::Email => "kc-email-error",
        Field::Body => "kc-body-error",
        Field::Parent | Field::IdempotencyKey => "kc-reply-error",
    }
}

/// The form, empty; the section fills it from the draft and wires it.
pub fn form(doc: &Document, catalog: &Catalog) -> CommentForm {
    let author_input = El::new(doc, "input")
        .attr("type", "text")
        .attr("autocomplete", "name")
        .attr("dir", "auto")
        // `maxlength` counts UTF-16 units, the rules count characters: a
        // name the server takes has at most two units a character. The
        // exact limit is the rules' check on "send", with its message.
        .attr("maxlength", &(2 * AUTHOR_MAX).to_string())
        .attr("required", "");
    let author_el = author_input.build_ref().clone();
    let (author, author_error) = field(
        doc,
        input_id(Field::Author),
        "author",
        catalog.name_label(),
        author_input,
        None,
    );
    let email_input = El::new(doc, "input")
        .attr("type", "email")
        .attr("autocomplete", "email")
        .attr("dir", "ltr")
        .attr("aria-describedby", EMAIL_NOTE);
    let email_el = email_input.build_ref().clone();
    let (email, email_error) = field(
        doc,
        input_id(Field::Email),
        "email",
        catalog.email_label(),
        email_input,
        Some(
            El::new(doc, "p")
                .class("note")
                .attr("id", EMAIL_NOTE)
                .text(catalog.email_note()),
        ),
    );
    let body_input = El::new(doc, "textarea")
        .attr("rows", "5")
        .attr("dir", "auto")
        .attr("required", "")
        .attr("aria-describedby", BODY_NOTES);
    let body_el = body_input.build_ref().clone();
    let count = El::new(doc, "p")
        .class("note count")
        .attr("id", COUNT)
        .attr("aria-live", "off")
        .attr("data-max", &BODY_MAX.to_string());
    let count_el = count.build_ref().clone();
    let (body, body_error) = field(
        doc,
        input_id(Field::Body),
        "body",
        catalog.body_label(),
        body_input,
        Some(count),
    );
    // People never see or reach this field; naive bots fill it in.
    let website = El::new(doc, "input")
        .attr("id", "kc-website")
        .attr("name", "website")
        .attr("type", "text")
        .attr("tabindex", "-1")
        .attr("autocomplete", "off");
    let website_el = website.build_ref().clone();
    let honeypot = El::new(doc, "div")
        .class("hp")
        .attr("aria-hidden", "true")
        .child(
            El::new(doc, "label")
                .attr("for", "kc-website")
                .text("Website"),
        )
        .child(website);
    let remember_input = El::new(doc, "input")
        .attr("type", "checkbox")
        .attr("name", "remember")
        .attr("id", "kc-remember");
    let remember_el = remember_input.build_ref().clone();
    let remember = El::new(doc, "p").class("remember").child(
        El::new(doc, "label")
            .child(remember_input)
            .text(" ")
            .text(catalog.remember_name()),
    );
    let notify_input = El::new(doc, "input")
        .attr("type", "checkbox")
        .attr("name", "notify_replies")
        .attr("id", "kc-notify");
    let notify_el = notify_input.build_ref().clone();
    let notify_line = El::new(doc, "p")
        .class("remember notify")
        .attr("hidden", "")
        .child(
            El::new(doc, "label")
                .child(notify_input)
                .text(" ")
                .text(catalog.notify_replies()),
        );
    let notify_line_el = notify_line.build_ref().clone();
    let reply_text = El::new(doc, "span")
        .class("replying-text")
        .attr("id", "kc-replying");
    let reply_text_el = reply_text.build_ref().clone();
    let parent_error = El::new(doc, "p")
        .class("field-error")
        .attr("id", error_id(Field::Parent))
        .attr("hidden", "");
    let parent_error_el = parent_error.build_ref().clone();
    let replying = El::new(doc, "p")
        .class("replying")
        .attr("id", input_id(Field::Parent))
        .attr("hidden", "")
        .child(reply_text)
        .text(" ")
        .child(
            El::new(doc, "button")
                .attr("type", "button")
                .class("cancel-reply")
                .part("button")
                .text(catalog.cancel_reply()),
        )
        .child(parent_error);
    let reply_el = replying.build_ref().clone();
    let (send, status) = send_and_status(doc, catalog.send());
    let (send_el, status_el) = (send.build_ref().clone(), status.build_ref().clone());
    let form = El::new(doc, "form")
        .class("comment-form")
        .part("comment-form")
        .attr("novalidate", "")
        .attr("aria-labelledby", "kc-form-title")
        .child(
            El::new(doc, "h3")
                .attr("id", "kc-form-title")
                .text(catalog.form_title()),
        )
        .child(replying)
        .child(author)
        .child(email)
        .child(notify_line)
        .child(body)
        .child(honeypot)
        .child(remember)
        .child(send)
        .child(status)
        .build();
    CommentForm {
        form,
        website: website_el,
        remember: remember_el,
        notify: notify_el,
        notify_line: notify_line_el,
        count: count_el,
        reply: reply_el.clone(),
        reply_text: reply_text_el,
        send: send_el,
        status: status_el,
        fields: [
            (author_el, author_error),
            (email_el, email_error),
            (body_el, body_error),
            (reply_el, parent_error_el),
        ],
    }
}
