//! Loading skeleton and error states.

use web_sys::{Document, Element};

use crate::config::Kind;
use crate::dom::El;
use crate::error::WidgetError;
use crate::i18n::Catalog;

/// Grey blocks shaped like the content, holding its space while it loads.
pub fn skeleton(doc: &Document, catalog: &Catalog, kind: Kind) -> El {
    let class = match kind {
        Kind::Article => "skeleton skeleton-article",
        Kind::Latest => "skeleton skeleton-latest",
        Kind::Card => "skeleton skeleton-card",
        Kind::Comments => "skeleton skeleton-comments",
        Kind::Actions => "skeleton skeleton-actions",
    };
    let mut el = El::new(doc, "div")
        .class(class)
        .part("skeleton")
        .attr("aria-busy", "true")
        .child(
            El::new(doc, "span")
                .class("visually-hidden")
                .attr("role", "status")
                .text(catalog.loading()),
        );
    let lines: &[&str] = match kind {
        // A card's box is small: headline, time, summary.
        Kind::Card => &["sk sk-title", "sk sk-meta", "sk sk-text"],
        // The row's own box holds its place.
        Kind::Actions => &[],
        _ => &[
            "sk sk-title",
            "sk sk-title sk-short",
            "sk sk-meta",
            "sk sk-text",
            "sk sk-text",
            "sk sk-text sk-short",
            "sk sk-text",
            "sk sk-text",
            "sk sk-text sk-short",
        ],
    };
    for line in lines {
        el = el.child(El::new(doc, "div").class(line));
    }
    el
}

/// The error box: what happened, in the reader's language, and (when a retry
/// can help) a retry button. The caller attaches the button's listener.
///
/// Returns it with its retry button, if any.
pub fn error(
    doc: &Document,
    err: &WidgetError,
    catalog: &'static Catalog,
) -> (El, Option<Element>) {
    let retry = err.retryable().then(|| {
        El::new(doc, "button")
            .attr("type", "button")
            .class("retry")
            .part("button retry")
            .text(catalog.retry())
    });
    let retry_el = retry.as_ref().map(|r| r.build_ref().clone());
    let el = El::new(doc, "div")
        .class("error")
        .part("error")
        .attr("role", "alert")
        .attr("data-error-code", err.code())
        .child(
            El::new(doc, "p")
                .class("error-message")
                .text(err.message(catalog)),
        )
        .child_opt(retry);
    (el, retry_el)
}

/// The state shown after a crash: the widget cannot continue, so the action
/// is a plain link that reloads the page and needs no code of ours.
pub fn crashed(doc: &Document, catalog: &'static Catalog, page_url: &str) -> El {
    El::new(doc, "div")
        .class("error")
        .part("error")
        .attr("role", "alert")
        .attr("data-error-code", "crash")
        .child(
            El::new(doc, "p")
                .class("error-message")
                .text(catalog.error_crash()),
        )
        .child(
            El::new(doc, "a")
                .attr("href", page_url)
                .class("retry")
                .part("button retry")
                .text(catalog.reload()),
        )
}
