//! What `serve`'s flags say about moderator e-mail: a leaf, so that the
//! application state can hold it without depending on the job.

use std::time::Duration;

use lettre::message::Mailbox;

use crate::admin::i18n::Lang;

/// Who is told, how often, and where links point.
#[derive(Debug, Clone)]
pub struct ModeratorMail {
    /// Recipients.
    pub to: Vec<Mailbox>,
    /// `None`: one message per comment; else one digest per period.
    pub digest_every: Option<Duration>,
    /// How long links work.
    pub link_ttl: Duration,
    /// The server's public address, for links (`https://comments.example`).
    pub base_url: String,
    /// Language of the messages.
    pub lang: Lang,
    /// How long a waiting comment rests before it is mailed ([`SETTLE`]):
    /// on PostgreSQL ids are handed out when a comment is written but seen
    /// when its transaction ends, so a lower id can appear after a higher
    /// one, behind the cursor; a comment that rested this long has every
    /// lower id in.
    pub settle: Duration,
}

/// The rest `serve` gives waiting comments before it mails them.
pub const SETTLE: Duration = Duration::from_secs(5);
