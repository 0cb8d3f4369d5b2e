//! The comment form: real labels, errors tied to their fields, a live
//! character count, the hidden honeypot and a polite status line.

use web_sys::Document;

use crate::comment_rules::{Field, BODY_MAX};
use crate::dom::{DomResult, El};
use crate::i18n::Catalog;
use crate::views::field;

/// The id of a field's input inside the shadow root.
pub fn input_id(field: Field) -> &'static str {
    match field {
        Field::Author => "kc-author",
        Field::Email => "kc-email",
        Field::Body => "kc-body",
        Field::Parent | Field::IdempotencyKey => "kc-reply",
    }
}

/// The id of a field's error line.
pub fn error_id(field: Field) -> &'static str {
    match field {
        Field::Author => "kc-author-error",
        Field::Email => "kc-email-error",
        Field::Body => "kc-body-error",
        Field::Parent | Field::IdempotencyKey => "kc-reply-error",
    }
}

fn error_line(doc: &Document, field: Field) -> DomResult<El> {
    Ok(El::new(doc, "p")?
        .class("field-error")
        .attr("id", error_id(field))
        .attr("hidden", ""))
}

/// The form, empty; the section fills it from the draft and wires it.
pub fn form(doc: &Document, catalog: &Catalog) -> DomResult<El> {
    let author = field(
        doc,
        input_id(Field::Author),
        "author",
        catalog.name_label,
        El::new(doc, "input")?
            .attr("type", "text")
            .attr("autocomplete", "name")
            .attr("dir", "auto")
            .attr("maxlength", "200")
            .attr("required", ""),
        None,
    )?;
    let email = field(
        doc,
        input_id(Field::Email),
        "email",
        catalog.email_label,
        El::new(doc, "input")?
            .attr("type", "email")
            .attr("autocomplete", "email")
            .attr("dir", "ltr")
            .attr("aria-describedby", "kc-email-note"),
        Some(
            El::new(doc, "p")?
                .class("note")
                .attr("id", "kc-email-note")
                .text(catalog.email_note),
        ),
    )?;
    let body = field(
        doc,
        input_id(Field::Body),
        "body",
        catalog.body_label,
        El::new(doc, "textarea")?
            .attr("rows", "5")
            .attr("dir", "auto")
            .attr("required", "")
            .attr("aria-describedby", "kc-body-count"),
        Some(
            El::new(doc, "p")?
                .class("note count")
                .attr("id", "kc-body-count")
                .attr("aria-live", "off")
                .attr("data-max", &BODY_MAX.to_string()),
        ),
    )?;
    // People never see or reach this field; naive bots fill it in.
    let honeypot = El::new(doc, "div")?
        .class("hp")
        .attr("aria-hidden", "true")
        .child(
            El::new(doc, "label")?
                .attr("for", "kc-website")
                .text("Website"),
        )
        .child(
            El::new(doc, "input")?
                .attr("id", "kc-website")
                .attr("name", "website")
                .attr("type", "text")
                .attr("tabindex", "-1")
                .attr("autocomplete", "off"),
        );
    let remember = El::new(doc, "p")?.class("remember").child(
        El::new(doc, "label")?
            .child(
                El::new(doc, "input")?
                    .attr("type", "checkbox")
                    .attr("name", "remember")
                    .attr("id", "kc-remember"),
            )
            .text(" ")
            .text(catalog.remember_name),
    );
    let replying = El::new(doc, "p")?
        .class("replying")
        .attr("id", "kc-reply")
        .attr("hidden", "")
        .child(El::new(doc, "span")?.class("replying-text"))
        .text(" ")
        .child(
            El::new(doc, "button")?
                .attr("type", "button")
                .class("cancel-reply")
                .part("button")
                .text(catalog.cancel_reply),
        )
        .child(error_line(doc, Field::Parent)?);
    Ok(El::new(doc, "form")?
        .class("comment-form")
        .part("comment-form")
        .attr("novalidate", "")
        .attr("aria-labelledby", "kc-form-title")
        .child(
            El::new(doc, "h3")?
                .attr("id", "kc-form-title")
                .text(catalog.form_title),
        )
        .child(replying)
        .child(author)
        .child(email)
        .child(body)
        .child(honeypot)
        .child(remember)
        .child(
            El::new(doc, "button")?
                .attr("type", "submit")
                .class("send")
                .part("button send")
                .text(catalog.send),
        )
        .child(
            El::new(doc, "p")?
                .class("form-status")
                .attr("role", "status")
                .attr("aria-live", "polite"),
        ))
}
