//! Article cards: the `latest` list, its one-line strip form, and the
//! single `card`. Every card is a plain link to the article's own URL.

use web_sys::{Document, Element};

use crate::config::Layout;
use crate::dom::{DomResult, El};
use crate::i18n::format::RelativeFormat;
use crate::i18n::Catalog;
use crate::model::ArticleSummary;
use crate::sanitize::safe_url;

/// A link to `url` when it is a web URL, otherwise a plain `fallback` box.
fn link_or(doc: &Document, url: &str, fallback: &str) -> DomResult<El> {
    Ok(match safe_url(url, false) {
        Some(href) => El::new(doc, "a")?.attr("href", href),
        None => El::new(doc, fallback)?,
    })
}

/// One card: thumbnail, headline, relative time and summary.
pub fn card(doc: &Document, item: &ArticleSummary, when: &RelativeFormat) -> DomResult<El> {
    let time = El::new(doc, "time")?
        .attr("datetime", &item.published_at)
        .text(&when.format(&item.published_at).unwrap_or_default());
    let thumb = match item
        .image
        .as_ref()
        .and_then(|i| Some((safe_url(&i.url, false)?, &i.alt)))
    {
        Some((src, alt)) => Some(
            El::new(doc, "div")?.class("thumb").child(
                El::new(doc, "img")?
                    .attr("src", src)
                    .attr("alt", alt)
                    .attr("loading", "lazy")
                    .attr("decoding", "async")
                    .attr("referrerpolicy", "no-referrer")
                    .part("thumbnail"),
            ),
        ),
        None => None,
    };
    let summary = match item.summary.trim() {
        "" => None,
        _ => Some(
            El::new(doc, "p")?
                .class("card-summary")
                .attr("dir", "auto")
                .text(&item.summary),
        ),
    };
    let text = El::new(doc, "div")?
        .class("card-text")
        .child(
            El::new(doc, "h3")?
                .class("card-title")
                .attr("dir", "auto")
                .text(&item.title),
        )
        .child(El::new(doc, "p")?.class("card-time").child(time))
        .child_opt(summary);
    Ok(link_or(doc, &item.url, "div")?
        .class("card")
        .part("card")
        .child_opt(thumb)
        .child(text))
}

/// The list's items, for the first page or for one appended by "more".
pub fn items(
    doc: &Document,
    items: &[ArticleSummary],
    layout: Layout,
    when: &RelativeFormat,
) -> DomResult<Vec<El>> {
    items
        .iter()
        .map(|item| {
            let inner = match layout {
                Layout::List => card(doc, item, when)?,
                Layout::Strip => link_or(doc, &item.url, "span")?
                    .attr("dir", "auto")
                    .part("strip-link")
                    .text(&item.title),
            };
            Ok(El::new(doc, "li")?.child(inner))
        })
        .collect()
}

/// The parts of a list its controller works with.
pub struct ListParts {
    /// The section, where a "more" error goes.
    pub section: Element,
    /// The list of items, when there are any.
    pub items: Option<Element>,
    /// The "more" button, when there is a next page.
    pub more: Option<Element>,
}

/// The whole list: heading (or label), items, and the "more" button when
/// another page exists. The caller wires the button.
pub fn list(
    doc: &Document,
    page: &[ArticleSummary],
    has_more: bool,
    layout: Layout,
    catalog: &Catalog,
    when: &RelativeFormat,
) -> DomResult<(El, ListParts)> {
    let (class, title) = match layout {
        Layout::List => ("latest", El::new(doc, "h2")?),
        // The section's label already says it; don't read it twice.
        Layout::Strip => (
            "latest strip",
            El::new(doc, "span")?.attr("aria-hidden", "true"),
        ),
    };
    let section = El::new(doc, "section")?
        .class(class)
        .part("latest")
        .attr("aria-label", catalog.latest)
        .child(title.class("latest-title").text(catalog.latest));
    let mut parts = ListParts {
        section: section.build_ref().clone(),
        items: None,
        more: None,
    };
    if page.is_empty() {
        let empty = El::new(doc, "p")?.class("empty").text(catalog.no_items);
        return Ok((section.child(empty), parts));
    }
    let list = El::new(doc, "ul")?
        .class("items")
        .attr("role", "list")
        .children(items(doc, page, layout, when)?);
    let more = match has_more && layout == Layout::List {
        true => Some(
            El::new(doc, "button")?
                .attr("type", "button")
                .class("more")
                .part("button more")
                .text(catalog.more),
        ),
        false => None,
    };
    parts.items = Some(list.build_ref().clone());
    parts.more = more.as_ref().map(|m| m.build_ref().clone());
    Ok((section.child(list).child_opt(more), parts))
}

/// The note shown when the next page could not be loaded; the items
/// already shown stay.
pub fn more_error(doc: &Document, message: &str) -> DomResult<El> {
    Ok(El::new(doc, "p")?
        .class("more-error")
        .attr("role", "alert")
        .text(message))
}
