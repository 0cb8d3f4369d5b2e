//! The comments module's exports: what the core calls once it has
//! started that module (`comments_chunk`) — a comment section mounted in
//! its widget, and its send-to-a-friend form made to work.

use wasm_bindgen::prelude::*;
use web_sys::Element;

use crate::{comment_section, config, dom, error, i18n, send_form, views};

/// The comments module's one entry: mounts a comment section in `parent`
/// for the core module, which passes its options as `Options::to_object`
/// writes them and the element holding the section's place.
#[wasm_bindgen(js_name = mountSection)]
pub fn mount_section(
    parent: Element,
    host: Element,
    options: JsValue,
    open: bool,
    count: u32,
    placeholder: Element,
) -> Result<SectionHandle, JsValue> {
    let options =
        config::Options::from_object(&options, None, None).map_err(error::WidgetError::Config)?;
    let doc = parent
        .owner_document()
        .ok_or_else(|| dom::dom_error("no document".into()))?;
    let section = comment_section::CommentSection::mount(
        &doc,
        &parent,
        &host,
        &options,
        open,
        count,
        Some(placeholder),
    )?;
    Ok(SectionHandle(section))
}

/// A comment section mounted by `mountSection`.
#[wasm_bindgen]
pub struct SectionHandle(comment_section::CommentSection);

#[wasm_bindgen]
impl SectionHandle {
    /// Cancels the section's requests and removes its listeners.
    pub fn destroy(&self) {
        self.0.destroy();
    }
}

/// The comments module's other entry: makes the core's send-to-a-friend
/// form work (`parts` as `SendForm::parts` lists them) for an article of
/// the API `api`, in the reader's language `lang`. `undefined` when
/// `parts` is not such a form.
#[wasm_bindgen(js_name = wireSendForm)]
pub fn wire_send_form(
    parts: js_sys::Array,
    api: String,
    article_id: String,
    lang: String,
) -> Option<SendFormHandle> {
    let form = views::send_form::SendForm::from_parts(&parts)?;
    let catalog = i18n::Lang::from_tag(&lang)
        .unwrap_or(i18n::Lang::Ar)
        .catalog();
    Some(SendFormHandle(send_form::Controller::wire(
        form,
        catalog,
        &api,
        &article_id,
    )))
}

/// A send-to-a-friend form made to work by `wireSendForm`.
#[wasm_bindgen]
pub struct SendFormHandle(send_form::Controller);

#[wasm_bindgen]
impl SendFormHandle {
    /// Checks the fields, then sends (a "send" the core held while the
    /// module loaded).
    pub fn send(&self) {
        self.0.send();
    }

    /// Cancels a sending in flight and removes the form's listeners.
    pub fn destroy(&self) {
        self.0.destroy();
    }
}
