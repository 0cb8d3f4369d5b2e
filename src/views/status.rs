//! Loading skeleton and error states.

use web_sys::Document;

use crate::config::Kind;
use crate::dom::{DomResult, El};
use crate::error::WidgetError;
use crate::i18n::Catalog;

/// Grey blocks shaped like the content, holding its space while it loads.
pub fn skeleton(doc: &Document, catalog: &Catalog, kind: Kind) -> DomResult<El> {
    let line = |class: &str| El::new(doc, "div")?.class(class);
    El::new(doc, "div")?
        .class(match kind {
            Kind::Article => "skeleton skeleton-article",
            Kind::Latest => "skeleton skeleton-latest",
            Kind::Card => "skeleton skeleton-card",
        })?
        .part("skeleton")?
        .attr("aria-busy", "true")?
        .child(
            El::new(doc, "span")?
                .class("visually-hidden")?
                .attr("role", "status")?
                .text(catalog.loading)?,
        )?
        .child(line("sk sk-title")?)?
        .child(line("sk sk-title sk-short")?)?
        .child(line("sk sk-meta")?)?
        .children(
            (0..6)
                .map(|i| {
                    line(if i % 3 == 2 {
                        "sk sk-text sk-short"
                    } else {
                        "sk sk-text"
                    })
                })
                .collect::<DomResult<Vec<_>>>()?,
        )
}

/// The error box: what happened, in the reader's language, and (when a retry
/// can help) a retry button. The caller attaches the button's listener.
pub fn error(doc: &Document, err: &WidgetError, catalog: &'static Catalog) -> DomResult<El> {
    let mut body = El::new(doc, "div")?
        .class("error")?
        .part("error")?
        .attr("role", "alert")?
        .attr("data-error-code", err.code())?
        .child(
            El::new(doc, "p")?
                .class("error-message")?
                .text(err.message(catalog))?,
        )?;
    if err.retryable() {
        body = body.child(
            El::new(doc, "button")?
                .attr("type", "button")?
                .class("retry")?
                .part("button retry")?
                .text(catalog.retry)?,
        )?;
    }
    Ok(body)
}

/// The state shown after a crash: the widget cannot continue, so the action
/// is a plain link that reloads the page and needs no code of ours.
pub fn crashed(doc: &Document, catalog: &'static Catalog, page_url: &str) -> DomResult<El> {
    El::new(doc, "div")?
        .class("error")?
        .part("error")?
        .attr("role", "alert")?
        .attr("data-error-code", "crash")?
        .child(
            El::new(doc, "p")?
                .class("error-message")?
                .text(catalog.error_crash)?,
        )?
        .child(
            El::new(doc, "a")?
                .attr("href", page_url)?
                .class("retry")?
                .part("button retry")?
                .text(catalog.reload)?,
        )
}
