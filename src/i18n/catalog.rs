//! The shape of a language catalog: every string the widget shows.
//!
//! The strings themselves are JSON files, one per language
//! (`src/i18n/<tag>.json`), so that a reader downloads only their own
//! language: the loader fetches it beside the wasm and hands it over
//! ([`super::provide`]). Builds with the `catalogs` feature (the tests, the
//! one-module build) compile all six in instead (`build.rs` writes them).
//! A file's `ago_*` and `date_*` keys (the words of "5 minutes ago" and of
//! datelines) are not here: the loader writes those (`js/dates.js`), and
//! `build.rs` checks them and leaves them out.

use crate::json::{DecodeError, FromJson, Json, Obj};

/// Declares [`Catalog`] once: the key of each string (the JSON key, and
/// its accessor), and the reader of a catalog file.
macro_rules! catalog {
    ($($(#[$doc:meta])* $field:ident,)*) => {
        /// The key of each string: its position in a [`Catalog`].
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy)]
        pub enum Key {
            $($(#[$doc])* $field,)*
        }

        /// Every string the widget shows, in one language, in [`Key`]
        /// order. An array rather than named fields: reading a file is one
        /// loop (named fields cost 5 KB of wasm to fill).
        #[derive(Debug)]
        pub struct Catalog(pub [&'static str; Catalog::KEYS.len()]);

        impl Catalog {
            /// The JSON keys of a catalog file, in [`Key`] order.
            pub const KEYS: &'static [&'static str] = &[$(stringify!($field),)*];

            $($(#[$doc])* pub fn $field(&self) -> &'static str {
                self.0[Key::$field as usize]
            })*
        }
    };
}

impl FromJson for Catalog {
    /// Reads a catalog file; every key is required. The strings live as long
    /// as the page: a catalog is read once per language, so they are leaked
    /// rather than reference-counted.
    fn from_json<J: Json>(value: &J, path: &str) -> Result<Self, DecodeError> {
        let o = Obj::new(value, path)?;
        let mut strings = [""; Catalog::KEYS.len()];
        for (slot, key) in strings.iter_mut().zip(Catalog::KEYS) {
            *slot = o.string(key).leak();
        }
        o.finish(Catalog(strings))
    }
}

catalog! {
    /// Announced while content loads.
    loading,
    /// Label before the publication time.
    published,
    /// Label before the update time.
    updated,
    /// Label before the source.
    source,
    /// Label before the author.
    by,
    /// Heading of the latest-news list.
    latest,
    /// The button that loads the next page of a list.
    more,
    /// Shown when a list is empty.
    no_items,
    /// Heading of the comment section.
    comments_title,
    /// Before an article's comment count on a card ("Comments: 3").
    comment_count,
    /// Shown when an article has no comment yet.
    comments_none,
    /// Loads the next page of comments.
    comments_more,
    /// Shows more of the replies to a comment.
    replies_more,
    /// The reply button under a comment.
    reply,
    /// Before the name of the comment being answered.
    replying_to,
    /// Stops replying and returns to a top-level comment.
    cancel_reply,
    /// Heading of the comment form.
    form_title,
    /// Label of the name field.
    name_label,
    /// Label of the optional e-mail field.
    email_label,
    /// Says the e-mail is never published.
    email_note,
    /// Label of the comment field.
    body_label,
    /// Opt-in to keep the name on this device.
    remember_name,
    /// Opt-in to e-mail about replies (confirmed by a mailed link).
    notify_replies,
    /// The submit button.
    send,
    /// The submit button while sending.
    sending,
    /// Announced when the comment is published.
    posted,
    /// Announced when the comment awaits moderation.
    pending_notice,
    /// Added to either when the reader asked for mail about replies and
    /// none will come (too many asks lately, or the server sends no mail).
    notify_failed,
    /// Badge on the reader's own pending comment.
    pending_badge,
    /// The name is empty.
    err_name_required,
    /// The name is longer than 80 characters.
    err_name_long,
    /// The comment is shorter than 2 characters.
    err_body_short,
    /// The comment is longer than 5,000 characters.
    err_body_long,
    /// The e-mail address is malformed.
    err_email,
    /// The comment being answered is gone.
    err_parent,
    /// Network or server failure; the text is kept and sent again.
    send_failed,
    /// Too many comments; sent again automatically later.
    rate_limited,
    /// Too many comments, and the text changed while it was on its way:
    /// kept, for the reader to send again.
    rate_limited_kept,
    /// The article takes no more comments.
    comments_closed,
    /// Announced when fields need correcting.
    fix_fields,
    /// Announced when a saved draft is put back.
    draft_restored,
    /// Accessible name of the actions row.
    actions_label,
    /// Opens the share menu.
    share,
    /// Opens the device's own share sheet (Web Share).
    share_device,
    /// Copies the article's link.
    copy_link,
    /// Announced after the link was copied.
    copied,
    /// Announced when the browser let neither way of copying work.
    copy_failed,
    /// The e-mail entry of the share menu.
    email_share,
    /// Opens the send-to-a-friend form.
    send_friend,
    /// Prints the article alone.
    print,
    /// Link to the RSS feed.
    rss,
    /// Heading of the send-to-a-friend form.
    send_title,
    /// Sender's name field.
    your_name,
    /// Sender's e-mail field.
    your_email,
    /// Friend's e-mail field.
    friend_email,
    /// Optional message field.
    message_optional,
    /// Submit button of the send form.
    send_button,
    /// Announced when the e-mail left.
    sent_ok,
    /// The server does not send e-mail.
    send_unavailable,
    /// The message is longer than 1,000 characters.
    err_message_long,
    /// Sending failed; what was typed is kept.
    send_error_kept,
    /// Too many sends from here for now (429); what was typed is kept.
    send_rate_limited,
    /// Closes a panel.
    close,
    /// Label before the article's address on paper.
    print_link,
    /// The retry button.
    retry,
    /// The link that reloads the page after a crash.
    reload,
    /// The article does not exist (404).
    error_not_found,
    /// The server could not be reached.
    error_network,
    /// The server did not answer in time.
    error_timeout,
    /// The server answered with an error status.
    error_server,
    /// The server answered with something that is not the expected JSON.
    error_bad_response,
    /// The embed code is wrong (missing article id, unknown kind…).
    error_config,
    /// The widget itself failed.
    error_crash,
}

/// A catalog that could not be fetched, or was not a catalog (the loader
/// and the console say which); the widget reports it as `WidgetError::Load`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unavailable;
