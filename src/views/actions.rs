//! The reader's actions under an article: share (system sheet and menu),
//! send to a friend, print, RSS (the form is `views::send_form`).

use web_sys::{Document, Element};

use crate::dom::El;
use crate::i18n::Catalog;
use crate::share::{self, Network};

/// The parts of the actions row its controller works with.
pub struct Row {
    /// The row itself.
    pub row: Element,
    /// The device's share sheet (hidden where there is none).
    pub share_device: Element,
    /// The share disclosure: its button and its menu.
    pub share: Element,
    /// The button that opens the share menu.
    pub share_toggle: Element,
    /// The share menu.
    pub share_menu: Element,
    /// "Copy link" in the menu.
    pub copy_link: Element,
    /// Opens the send-to-a-friend form (hidden until `/config` allows it).
    pub send_toggle: Element,
    /// Prints the article.
    pub print: Element,
    /// The RSS link.
    pub rss: Element,
    /// The polite live region for "copied" and the like.
    pub live: Element,
}

/// The row of actions. `share_url` is the article's canonical URL.
pub fn row(
    doc: &Document,
    catalog: &Catalog,
    title: &str,
    summary: &str,
    share_url: &str,
    utm: Option<&str>,
    feed_url: &str,
) -> Row {
    let button = |class: &str, text: &str| -> El {
        El::new(doc, "button")
            .attr("type", "button")
            .class(class)
            .part("button action")
            .text(text)
    };
    let copy_link = button("copy-link", catalog.copy_link());
    let copy_link_el = copy_link.build_ref().clone();
    let mut menu = El::new(doc, "ul")
        .class("share-menu")
        .attr("id", "kh-share-menu")
        .attr("role", "list")
        .attr("hidden", "")
        .child(El::new(doc, "li").child(copy_link));
    for network in Network::ALL {
        let label = match network {
            Network::Email => catalog.email_share(),
            other => other.label(),
        };
        let link = El::new(doc, "a")
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
        menu = menu.child(El::new(doc, "li").child(link));
    }
    let share_device = button("action share-device", catalog.share_device()).attr("hidden", "");
    let share_toggle = button("action share-toggle", catalog.share())
        .attr("aria-expanded", "false")
        .attr("aria-controls", "kh-share-menu");
    let send_toggle = button("action send-toggle", catalog.send_friend())
        .attr("aria-expanded", "false")
        .attr("aria-controls", "kh-send")
        .attr("hidden", "");
    let print = button("action print", catalog.print());
    let rss = El::new(doc, "a")
        .class("action rss")
        .part("action")
        .attr("href", feed_url)
        .attr("type", "application/rss+xml")
        .text(catalog.rss());
    let live = El::new(doc, "p")
        .class("visually-hidden actions-live")
        .attr("role", "status")
        .attr("aria-live", "polite");
    let (share_device_el, share_toggle_el, share_menu_el) = (
        share_device.build_ref().clone(),
        share_toggle.build_ref().clone(),
        menu.build_ref().clone(),
    );
    let (send_toggle_el, print_el, rss_el, live_el) = (
        send_toggle.build_ref().clone(),
        print.build_ref().clone(),
        rss.build_ref().clone(),
        live.build_ref().clone(),
    );
    let share = El::new(doc, "div")
        .class("share")
        .child(share_toggle)
        .child(menu);
    let share_el = share.build_ref().clone();
    let row = El::new(doc, "div")
        .class("actions")
        .part("actions")
        .attr("role", "group")
        .attr("aria-label", catalog.actions_label())
        .child(share_device)
        .child(share)
        .child(send_toggle)
        .child(print)
        .child(rss)
        .child(live)
        .build();
    Row {
        row,
        share_device: share_device_el,
        share: share_el,
        share_toggle: share_toggle_el,
        share_menu: share_menu_el,
        copy_link: copy_link_el,
        send_toggle: send_toggle_el,
        print: print_el,
        rss: rss_el,
        live: live_el,
    }
}
