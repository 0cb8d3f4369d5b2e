//! Share links for the networks readers use, built with proper encoding of
//! Arabic (or any) titles, and optional UTM tags. Pure, natively tested.

use crate::api::encode;

/// Where a link can be shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    /// WhatsApp.
    WhatsApp,
    /// Telegram.
    Telegram,
    /// X (formerly Twitter).
    X,
    /// Facebook.
    Facebook,
    /// An e-mail through the reader's own mail program.
    Email,
}

impl Network {
    /// Every network, in menu order.
    pub const ALL: [Network; 5] = [
        Network::WhatsApp,
        Network::Telegram,
        Network::X,
        Network::Facebook,
        Network::Email,
    ];

    /// The name shown in the menu (a brand: the same in every language,
    /// except e-mail, which the caller translates).
    pub fn label(self) -> &'static str {
        match self {
            Network::WhatsApp => "WhatsApp",
            Network::Telegram => "Telegram",
            Network::X => "X",
            Network::Facebook => "Facebook",
            Network::Email => "E-mail",
        }
    }

    /// The `utm_source` value.
    pub fn utm_source(self) -> &'static str {
        match self {
            Network::WhatsApp => "whatsapp",
            Network::Telegram => "telegram",
            Network::X => "x",
            Network::Facebook => "facebook",
            Network::Email => "email",
        }
    }
}

/// `url` without the `utm_` tags it came with: a feed's link carries
/// `utm_source=rss` (a newsletter's, its own), which analytics would credit
/// every copied or shared link to. The page's own parameters stay.
pub fn without_utm(url: &str) -> String {
    tagged(url, "")
}

/// `url` with `utm_source`, `utm_medium` and `utm_campaign` added (before
/// any `#fragment`), in place of any `utm_` tags it had; without a campaign,
/// only without those.
pub fn with_utm(url: &str, network: Network, campaign: Option<&str>) -> String {
    let Some(campaign) = campaign.filter(|c| !c.trim().is_empty()) else {
        return without_utm(url);
    };
    let medium = if network == Network::Email {
        "email"
    } else {
        "social"
    };
    tagged(
        url,
        &format!(
            "utm_source={}&utm_medium={medium}&utm_campaign={}",
            network.utm_source(),
            encode(campaign.trim())
        ),
    )
}

/// `url` with its `utm_` tags replaced by `tags` (none when empty).
fn tagged(url: &str, tags: &str) -> String {
    let (base, fragment) = url.split_once('#').unwrap_or((url, ""));
    let (path, query) = base.split_once('?').unwrap_or((base, ""));
    let mut out = path.to_owned();
    let kept = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.get(..4).is_some_and(|k| k.eq_ignore_ascii_case("utm_")));
    for pair in kept.chain(Some(tags).filter(|t| !t.is_empty())) {
        out.push(if out.len() == path.len() { '?' } else { '&' });
        out.push_str(pair);
    }
    if url.contains('#') {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// The share link for `network`.
pub fn share_url(
    network: Network,
    title: &str,
    summary: &str,
    url: &str,
    campaign: Option<&str>,
) -> String {
    let url = with_utm(url, network, campaign);
    match network {
        Network::WhatsApp => format!("https://wa.me/?text={}", encode(&format!("{title} {url}"))),
        Network::Telegram => format!(
            "https://t.me/share/url?url={}&text={}",
            encode(&url),
            encode(title)
        ),
        Network::X => format!(
            "https://x.com/intent/post?text={}&url={}",
            encode(title),
            encode(&url)
        ),
        Network::Facebook => format!(
            "https://www.facebook.com/sharer/sharer.php?u={}",
            encode(&url)
        ),
        Network::Email => {
            let body = if summary.is_empty() {
                url
            } else {
                format!("{summary}\n\n{url}")
            };
            format!("mailto:?subject={}&body={}", encode(title), encode(&body))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://news.test/a?id=1";

    #[test]
    fn arabic_titles_are_percent_encoded_everywhere() {
        let title = "خبر عاجل & مهم";
        for n in Network::ALL {
            let link = share_url(n, title, "ملخص", URL, None);
            assert!(!link.contains(' ') && !link.contains('خ'), "{link}");
            if n != Network::Facebook {
                // Facebook takes only the URL; the page's own title shows.
                assert!(link.contains("%D8%AE%D8%A8%D8%B1"), "{n:?}: {link}");
            }
            assert!(
                !link.contains("&url=https://"),
                "URL encoded as a value: {link}"
            );
        }
        assert_eq!(
            share_url(Network::Telegram, "خبر", "", URL, None),
            "https://t.me/share/url?url=https%3A%2F%2Fnews.test%2Fa%3Fid%3D1&text=%D8%AE%D8%A8%D8%B1"
        );
        assert_eq!(
            share_url(Network::Email, "T", "S", "https://n.test/a", None),
            "mailto:?subject=T&body=S%0A%0Ahttps%3A%2F%2Fn.test%2Fa"
        );
    }

    #[test]
    fn utm_tags_are_added_before_the_fragment() {
        assert_eq!(with_utm(URL, Network::X, None), URL);
        // Without a campaign, a feed's tags go all the same.
        assert_eq!(
            with_utm(
                "https://n.test/a?utm_source=rss&utm_medium=feed#top",
                Network::X,
                None
            ),
            "https://n.test/a#top"
        );
        assert_eq!(
            without_utm("https://n.test/a?id=2&utm_campaign=daily"),
            "https://n.test/a?id=2"
        );
        assert_eq!(without_utm("https://n.test/a?"), "https://n.test/a");
        assert_eq!(
            with_utm(
                "https://n.test/a#top",
                Network::WhatsApp,
                Some("winter sale")
            ),
            "https://n.test/a?utm_source=whatsapp&utm_medium=social&utm_campaign=winter%20sale#top"
        );
        assert_eq!(
            with_utm(URL, Network::Email, Some("x")),
            "https://news.test/a?id=1&utm_source=email&utm_medium=email&utm_campaign=x"
        );
        // A feed's tags give way; the page's own parameters stay.
        assert_eq!(
            with_utm(
                "https://n.test/a?utm_source=rss&id=2&UTM_Medium=rss&",
                Network::Telegram,
                Some("c")
            ),
            "https://n.test/a?id=2&utm_source=telegram&utm_medium=social&utm_campaign=c"
        );
    }
}
