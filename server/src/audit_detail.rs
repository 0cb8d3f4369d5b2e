//! What an audit log line's detail says beyond its action, stored as
//! text and read back to be shown in the moderation page's language. A
//! module of its own: the store writes these details, and `crate::audit`
//! imports the store.

/// What a line's detail says beyond its action. Stored as English text,
/// as older versions wrote it (so every line reads back alike), and shown
/// in the moderation page's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// A deletion took this many replies with it.
    Replies(u64),
    /// An erasure (`comments forget`) deleted this many comments.
    Erased(u64),
    /// A failed webhook delivery sent again: its id, event and URL.
    Delivery {
        /// The delivery's id.
        id: i64,
        /// Its event (`comment.published`, …).
        event: String,
        /// Where it goes.
        url: String,
    },
    /// Anything else (a blocked address or client), shown as stored.
    Value(String),
}

impl Detail {
    /// The text the log stores.
    pub fn stored(&self) -> String {
        match self {
            Detail::Replies(1) => "and its 1 reply".to_owned(),
            Detail::Replies(n) => format!("and its {n} replies"),
            Detail::Erased(n) => format!("{n} comment(s)"),
            Detail::Delivery { id, event, url } => format!("delivery {id}: {event} to {url}"),
            Detail::Value(text) => text.clone(),
        }
    }

    /// Reads a stored detail back; text no writer makes is a `Value`.
    pub fn parse(text: &str) -> Detail {
        let number = |s: &str| s.parse::<u64>().ok();
        let parsed = if let Some(n) = text
            .strip_prefix("and its ")
            .and_then(|rest| {
                rest.strip_suffix(" replies")
                    .or(rest.strip_suffix(" reply"))
            })
            .and_then(number)
        {
            Some(Detail::Replies(n))
        } else if let Some(n) = text.strip_suffix(" comment(s)").and_then(number) {
            Some(Detail::Erased(n))
        } else {
            text.strip_prefix("delivery ")
                .and_then(|rest| rest.split_once(": "))
                .and_then(|(id, rest)| {
                    let (event, url) = rest.split_once(" to ")?;
                    Some(Detail::Delivery {
                        id: id.parse().ok()?,
                        event: event.to_owned(),
                        url: url.to_owned(),
                    })
                })
        };
        // Only what reads back as written: a blocked value that happens
        // to look like one stays itself.
        parsed
            .filter(|d| d.stored() == text)
            .unwrap_or_else(|| Detail::Value(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::Detail;

    #[test]
    fn a_detail_reads_back_as_it_was_written() {
        for d in [
            Detail::Replies(1),
            Detail::Replies(12),
            Detail::Erased(3),
            Detail::Delivery {
                id: 7,
                event: "comment.published".into(),
                url: "https://hooks.example/a to b".into(),
            },
            Detail::Value("reader@example.com".into()),
        ] {
            assert_eq!(Detail::parse(&d.stored()), d);
        }
        for odd in [
            "and its 01 replies",
            "and its 1 replies",
            "x comment(s)",
            "delivery 7",
        ] {
            assert_eq!(Detail::parse(odd), Detail::Value(odd.into()));
        }
    }
}
