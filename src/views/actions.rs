//! The reader's actions under an article: share (system sheet and menu),
//! send to a friend, print, RSS; and the send-to-a-friend form.

use web_sys::Document;

use crate::dom::{DomResult, El};
use crate::i18n::Catalog;
use crate::share::{self, Network};
use crate::views::field;

/// The row of actions. `share_url` is the article's canonical URL.
pub fn row(
    doc: &Document,
    catalog: &Catalog,
    title: &str,
    summary: &str,
    share_url: &str,
    utm: Option<&str>,
    feed_url: &str,
) -> DomResult<El> {
    let button = |class: &str, text: &str| -> DomResult<El> {
        Ok(El::new(doc, "button")?
            .attr("type", "button")
            .class(class)
            .part("button action")
            .text(text))
    };
    let mut menu = El::new(doc, "ul")?
        .class("share-menu")
        .attr("id", "kh-share-menu")
        .attr("role", "list")
        .attr("hidden", "")
        .child(El::new(doc, "li")?.child(button("copy-link", catalog.copy_link)?));
    for network in Network::ALL {
        let label = match network {
            Network::Email => catalog.email_share,
            other => other.label(),
        };
        let link = El::new(doc, "a")?
            .attr(
                "href",
                &share::share_url(network, title, summary, share_url, utm),
            )
            .attr("data-network", network.utm_source())
            .attr("rel", "noopener noreferrer")
            .attr(
                "target",
                if network == Network::Email {
                    "_self"
                } else {
                    "_blank"
                },
            )
            .text(label);
        menu = menu.child(El::new(doc, "li")?.child(link));
    }
    Ok(El::new(doc, "div")?
        .class("actions")
        .part("actions")
        .attr("role", "group")
        .attr("aria-label", catalog.actions_label)
        .child(button("action share-device", catalog.share_device)?.attr("hidden", ""))
        .child(
            El::new(doc, "div")?
                .class("share")
                .child(
                    button("action share-toggle", catalog.share)?
                        .attr("aria-expanded", "false")
                        .attr("aria-controls", "kh-share-menu"),
                )
                .child(menu),
        )
        .child(
            button("action send-toggle", catalog.send_friend)?
                .attr("aria-expanded", "false")
                .attr("aria-controls", "kh-send")
                .attr("hidden", ""),
        )
        .child(button("action print", catalog.print)?)
        .child(
            El::new(doc, "a")?
                .class("action rss")
                .part("action")
                .attr("href", feed_url)
                .attr("type", "application/rss+xml")
                .text(catalog.rss),
        )
        .child(
            El::new(doc, "p")?
                .class("visually-hidden actions-live")
                .attr("role", "status")
                .attr("aria-live", "polite"),
        ))
}

/// The send-to-a-friend form (hidden until the reader opens it).
pub fn send_form(doc: &Document, catalog: &Catalog) -> DomResult<El> {
    let input = |kind: &str, autocomplete: &str| -> DomResult<El> {
        Ok(El::new(doc, "input")?
            .attr("type", kind)
            .attr("autocomplete", autocomplete)
            .attr("dir", if kind == "email" { "ltr" } else { "auto" }))
    };
    Ok(El::new(doc, "form")?
        .class("send-form")
        .part("send-form")
        .attr("id", "kh-send")
        .attr("novalidate", "")
        .attr("hidden", "")
        .attr("aria-labelledby", "kh-send-title")
        .child(
            El::new(doc, "h3")?
                .attr("id", "kh-send-title")
                .text(catalog.send_title),
        )
        .child(field(
            doc,
            "ks-from_name",
            "from_name",
            catalog.your_name,
            input("text", "name")?.attr("required", ""),
            None,
        )?)
        .child(field(
            doc,
            "ks-from_email",
            "from_email",
            catalog.your_email,
            input("email", "email")?.attr("required", ""),
            None,
        )?)
        .child(field(
            doc,
            "ks-to_email",
            "to_email",
            catalog.friend_email,
            input("email", "off")?.attr("required", ""),
            None,
        )?)
        .child(field(
            doc,
            "ks-message",
            "message",
            catalog.message_optional,
            El::new(doc, "textarea")?
                .attr("rows", "3")
                .attr("dir", "auto"),
            None,
        )?)
        .child(
            El::new(doc, "button")?
                .attr("type", "submit")
                .class("send")
                .part("button send")
                .text(catalog.send_button),
        )
        .child(
            El::new(doc, "p")?
                .class("form-status")
                .attr("role", "status")
                .attr("aria-live", "polite"),
        ))
}
