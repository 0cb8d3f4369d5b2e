//! The full article: headline, dateline, byline, lead image and body.

use web_sys::{Document, Element};

use crate::dom::{strip_bidi_controls, DomResult, El};
use crate::i18n::format::TimeWriter;
use crate::i18n::Catalog;
use crate::model::{Article, Block, Image};
use crate::sanitize::safe_url;
use crate::views::in_lang;

/// Renders `article` for a reader of `catalog`'s language, with `address`
/// (its link as the reader's browser opens it) on paper. Returns it with
/// the place that names the site on paper (filled once `/config` answers).
pub fn render(
    doc: &Document,
    article: &Article,
    address: &str,
    catalog: &Catalog,
    dates: &TimeWriter,
) -> DomResult<(El, Element)> {
    let lang = article.lang.as_deref();
    let header = El::new(doc, "header")
        .class("article-header")
        .child(
            in_lang(El::new(doc, "h1").class("headline").part("headline"), lang)
                .text(&article.title),
        )
        .child(dateline(doc, article, catalog, dates))
        .child_opt(byline(doc, article, catalog));

    let summary = (!article.summary.trim().is_empty()).then(|| {
        in_lang(El::new(doc, "p").class("summary").part("summary"), lang).text(&article.summary)
    });

    let body = in_lang(El::new(doc, "div").class("article-body").part("body"), lang);
    let body = match (&article.body, &article.body_html) {
        (None, Some(html)) => {
            let base = crate::sanitize::safe_url(&article.url, false);
            crate::sanitize::rebuild_html(doc, html, base, body)?
        }
        _ => body.children(article.blocks().iter().filter_map(|b| block(doc, b))),
    };

    let image = article
        .image
        .as_ref()
        .and_then(|i| figure(doc, i, true, lang));
    // On paper only: where the article lives and whose it is.
    let site = El::new(doc, "bdi").class("print-site");
    let site_el = site.build_ref().clone();
    let print_footer = El::new(doc, "p")
        .class("print-only")
        .text(catalog.print_link())
        .text(" ")
        .child(El::new(doc, "span").attr("dir", "ltr").text(address))
        // Its dash comes with the name (style.css): none without one.
        .child(site);
    let article = El::new(doc, "article")
        .class("article")
        .part("article")
        .child(header)
        .child_opt(image)
        .child_opt(summary)
        .child(body)
        .child(print_footer);
    Ok((article, site_el))
}

/// "Published Sunday 1 January 2017, 10:31 · Updated …" with `<time>` elements.
fn dateline(doc: &Document, article: &Article, catalog: &Catalog, dates: &TimeWriter) -> El {
    let time = |label: &str, value: &str, class: &str| -> El {
        let shown = dates.format(value).unwrap_or_else(|| value.to_owned());
        let time = El::new(doc, "time").attr("datetime", value).text(&shown);
        El::new(doc, "span")
            .class(class)
            .text(label)
            .text(" ")
            .child(time)
    };
    let mut line = El::new(doc, "p")
        .class("dateline")
        .part("dateline")
        .child(time(
            catalog.published(),
            &article.published_at,
            "published",
        ));
    if let (true, Some(updated)) = (article.was_updated(), article.updated_at.as_deref()) {
        line = line.child(time(catalog.updated(), updated, "updated"));
    }
    line
}

/// Source and author, each isolated so that a Latin name inside Arabic text
/// (or the reverse) keeps its own direction.
fn byline(doc: &Document, article: &Article, catalog: &Catalog) -> Option<El> {
    let named = |label: &str, name: Option<&str>, class: &str| -> Option<El> {
        let name = name
            .map(strip_bidi_controls)
            .filter(|n| !n.trim().is_empty())?;
        let bdi = El::new(doc, "bdi").text(name.trim());
        Some(
            El::new(doc, "span")
                .class(class)
                .text(label)
                .text(" ")
                .child(bdi),
        )
    };
    let source = named(catalog.source(), article.source.as_deref(), "source");
    let author = named(catalog.by(), article.author.as_deref(), "author");
    if source.is_none() && author.is_none() {
        return None;
    }
    Some(
        El::new(doc, "p")
            .class("byline")
            .part("byline")
            .child_opt(author)
            .child_opt(source),
    )
}

/// One body block; `None` for kinds this version skips.
fn block(doc: &Document, block: &Block) -> Option<El> {
    let el = match block {
        // Each block in the direction most of its words take (a quote in
        // English inside an Arabic story), else the body's.
        Block::Paragraph { text } => El::new(doc, "p").dir_of(text).text(text),
        Block::Heading { text } => El::new(doc, "h2").dir_of(text).text(text),
        Block::Quote { text, cite } => El::new(doc, "blockquote")
            .child(El::new(doc, "p").dir_of(text).text(text))
            .child_opt(
                cite.as_deref()
                    .map(|c| El::new(doc, "cite").child(El::new(doc, "bdi").text(c))),
            ),
        Block::List { ordered, items } => El::new(doc, if *ordered { "ol" } else { "ul" })
            .children(items.iter().map(|i| El::new(doc, "li").dir_of(i).text(i))),
        // Inside the body, which carries the article's language.
        Block::Image(image) => return figure(doc, image, false, None),
        Block::Unknown => return None,
    };
    Some(el)
}

/// An image with its caption; the box keeps a 16:9 shape before the image
/// arrives so the page does not jump. Unsafe URLs drop the image.
fn figure(doc: &Document, image: &Image, lead: bool, lang: Option<&str>) -> Option<El> {
    let src = safe_url(&image.url, false)?;
    let img = El::new(doc, "img")
        .attr("src", src)
        .attr("alt", &image.alt)
        .attr("loading", if lead { "eager" } else { "lazy" })
        .attr("decoding", "async")
        .attr("referrerpolicy", "no-referrer")
        .part("image");
    let caption = image
        .caption
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(|c| in_lang(El::new(doc, "figcaption"), lang).text(c));
    Some(
        El::new(doc, "figure")
            .class(if lead { "figure lead" } else { "figure" })
            .child(El::new(doc, "div").class("frame").child(img))
            .child_opt(caption),
    )
}
