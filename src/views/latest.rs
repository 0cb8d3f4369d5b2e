//! Article cards: the `latest` list, its one-line strip form, and the
//! single `card`. Every card is a plain link to the article's own URL.

use web_sys::{Document, Element};

use wasm_bindgen::JsValue;

use crate::config::{Layout, Options};
use crate::dom::El;
use crate::i18n::format::{self, DateSettings, TimeWriter};
use crate::i18n::Catalog;
use crate::model::ArticleSummary;
use crate::sanitize::safe_url;
use crate::views::in_lang;

/// A link to `url` when it is a web URL, otherwise a plain `fallback` box.
fn link_or(doc: &Document, url: &str, fallback: &'static str) -> El {
    match safe_url(url, false) {
        Some(href) => El::new(doc, "a").attr("href", href),
        None => El::new(doc, fallback),
    }
}

/// What a card writes beside its headline: the relative time, and the
/// comment count when the host asked for it (`data-comment-counts`).
pub struct Meta<'a> {
    when: TimeWriter,
    /// The label ("Comments:") and the settings whose digits the count uses.
    counts: Option<(&'static str, &'a DateSettings)>,
}

impl<'a> Meta<'a> {
    /// The formatters `options` ask for.
    pub fn new(options: &'a Options) -> Result<Meta<'a>, JsValue> {
        Ok(Meta {
            when: format::relative(&options.dates)?,
            counts: options
                .comment_counts
                .then(|| (options.lang().catalog().comment_count(), &options.dates)),
        })
    }

    /// "Comments: 3" in the widget's digits, when counts are on. It
    /// shares the time's line, so no row grows.
    fn count(&self, doc: &Document, n: u32) -> Option<El> {
        self.counts.map(|(label, dates)| {
            El::new(doc, "span")
                .class("comment-count")
                .part("comment-count")
                .text(&format!("{label} {}", format::count(dates, n)))
        })
    }
}

/// One card: thumbnail, headline, relative time (and comment count) and
/// summary.
pub fn card(doc: &Document, item: &ArticleSummary, meta: &Meta) -> El {
    let time = El::new(doc, "time").attr("datetime", &item.published_at);
    meta.when.write_into(&item.published_at, time.build_ref());
    let thumb = item
        .image
        .as_ref()
        .and_then(|i| safe_url(&i.url, false))
        .map(|src| {
            El::new(doc, "div").class("thumb").child(
                // The card's headline names it: a description of its
                // picture before each headline is noise to a screen reader.
                El::new(doc, "img")
                    .attr("src", src)
                    .attr("alt", "")
                    .attr("loading", "lazy")
                    .attr("decoding", "async")
                    .attr("referrerpolicy", "no-referrer")
                    .part("thumbnail"),
            )
        });
    let summary = match item.summary.trim() {
        "" => None,
        _ => Some(
            in_lang(
                El::new(doc, "p").class("card-summary"),
                item.lang.as_deref(),
            )
            .text(&item.summary),
        ),
    };
    let text = El::new(doc, "div")
        .class("card-text")
        .child(
            in_lang(El::new(doc, "h3").class("card-title"), item.lang.as_deref()).text(&item.title),
        )
        .child(
            El::new(doc, "p")
                .class("card-time")
                .child(time)
                .child_opt(meta.count(doc, item.comment_count)),
        )
        .child_opt(summary);
    link_or(doc, &item.url, "div")
        .class("card")
        .part("card")
        .child_opt(thumb)
        .child(text)
}

/// The list's items, for the first page or for one appended by "more".
pub fn items(doc: &Document, items: &[ArticleSummary], layout: Layout, meta: &Meta) -> Vec<El> {
    items
        .iter()
        .map(|item| {
            let li = El::new(doc, "li");
            match layout {
                Layout::List => li.child(card(doc, item, meta)),
                // The strip has no time: the count follows the headline.
                Layout::Strip => li
                    .child(
                        in_lang(link_or(doc, &item.url, "span"), item.lang.as_deref())
                            .part("strip-link")
                            .text(&item.title),
                    )
                    .child_opt(meta.count(doc, item.comment_count)),
            }
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
    meta: &Meta,
) -> (El, ListParts) {
    let (class, title) = match layout {
        Layout::List => ("latest", El::new(doc, "h2")),
        // The section's label already says it; don't read it twice.
        Layout::Strip => (
            "latest strip",
            El::new(doc, "span").attr("aria-hidden", "true"),
        ),
    };
    let section = El::new(doc, "section")
        .class(class)
        .part("latest")
        .attr("aria-label", catalog.latest())
        .child(title.class("latest-title").text(catalog.latest()));
    let mut parts = ListParts {
        section: section.build_ref().clone(),
        items: None,
        more: None,
    };
    if page.is_empty() {
        let empty = El::new(doc, "p").class("empty").text(catalog.no_items());
        return (section.child(empty), parts);
    }
    let list = El::new(doc, "ul")
        .class("items")
        .attr("role", "list")
        .children(items(doc, page, layout, meta));
    let more = match has_more && layout == Layout::List {
        true => Some(
            El::new(doc, "button")
                .attr("type", "button")
                .class("more")
                .part("button more")
                .text(catalog.more()),
        ),
        false => None,
    };
    parts.items = Some(list.build_ref().clone());
    parts.more = more.as_ref().map(|m| m.build_ref().clone());
    (section.child(list).child_opt(more), parts)
}

/// The note shown when the next page could not be loaded; the items
/// already shown stay.
pub fn more_error(doc: &Document, message: &str) -> El {
    El::new(doc, "p")
        .class("more-error")
        .attr("role", "alert")
        .text(message)
}
