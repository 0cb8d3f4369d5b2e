//! Views: pure functions from model + language to DOM elements.

#[cfg(feature = "core")]
pub mod actions;
#[cfg(feature = "core")]
pub mod article;
#[cfg(feature = "comments")]
pub mod comment_form;
#[cfg(feature = "comments")]
pub mod comments;
#[cfg(feature = "core")]
pub mod latest;
pub mod send_form;
pub mod status;

use web_sys::{Document, Element};

use crate::dom::El;

/// A labelled form field: the label, the control (given `id` and `name`),
/// an optional note under it, and the hidden error line `{id}-error` that
/// the form shows next to the control when the value is refused.
/// Returns the field and its error line.
pub fn field(
    doc: &Document,
    id: &str,
    name: &str,
    label: &str,
    control: El,
    note: Option<El>,
) -> (El, Element) {
    let error = El::new(doc, "p")
        .class("field-error")
        .attr("id", &format!("{id}-error"))
        .attr("hidden", "");
    let error_el = error.build_ref().clone();
    let field = El::new(doc, "div")
        .class("field")
        .child(El::new(doc, "label").attr("for", id).text(label))
        .child(control.attr("id", id).attr("name", name))
        .child_opt(note)
        .child(error);
    (field, error_el)
}

/// A form's submit button (`part="button send"`) and the live status line
/// under it, which say the same in the comment form and the send form.
pub fn send_and_status(doc: &Document, label: &str) -> (El, El) {
    let send = El::new(doc, "button")
        .attr("type", "submit")
        .class("send")
        .part("button send")
        .text(label);
    let status = El::new(doc, "p")
        .class("form-status")
        .attr("role", "status")
        .attr("aria-live", "polite");
    (send, status)
}

/// `el` marked as content in its own language: `lang` and the direction of
/// its script when the API names a plausible tag (an Arabic story on an
/// English page stays right to left and is read with an Arabic voice),
/// else `dir="auto"`. Labels and buttons around it keep the reader's
/// interface language.
pub fn in_lang(el: El, lang: Option<&str>) -> El {
    let plausible = |t: &&str| {
        (2..=35).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    match lang.map(str::trim).filter(plausible) {
        Some(tag) => el
            .attr("lang", tag)
            .attr("dir", crate::i18n::script_dir(tag)),
        None => el.attr("dir", "auto"),
    }
}
