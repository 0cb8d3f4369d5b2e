//! The shape of a language catalog: every string the widget shows. Apart
//! from `mod.rs` so that the language files import it without importing
//! the module that imports them.

/// Every string the widget shows, in one language.
#[derive(Debug)]
pub struct Catalog {
    /// Announced while content loads.
    pub loading: &'static str,
    /// Label before the publication time.
    pub published: &'static str,
    /// Label before the update time.
    pub updated: &'static str,
    /// Label before the source.
    pub source: &'static str,
    /// Label before the author.
    pub by: &'static str,
    /// Heading of the latest-news list.
    pub latest: &'static str,
    /// The button that loads the next page of a list.
    pub more: &'static str,
    /// Shown when a list is empty.
    pub no_items: &'static str,
    /// Heading of the comment section.
    pub comments_title: &'static str,
    /// Before an article's comment count on a card ("Comments: 3").
    pub comment_count: &'static str,
    /// Shown when an article has no comment yet.
    pub comments_none: &'static str,
    /// Loads the next page of comments.
    pub comments_more: &'static str,
    /// The reply button under a comment.
    pub reply: &'static str,
    /// Before the name of the comment being answered.
    pub replying_to: &'static str,
    /// Stops replying and returns to a top-level comment.
    pub cancel_reply: &'static str,
    /// Heading of the comment form.
    pub form_title: &'static str,
    /// Label of the name field.
    pub name_label: &'static str,
    /// Label of the optional e-mail field.
    pub email_label: &'static str,
    /// Says the e-mail is never published.
    pub email_note: &'static str,
    /// Label of the comment field.
    pub body_label: &'static str,
    /// Opt-in to keep the name on this device.
    pub remember_name: &'static str,
    /// Opt-in to e-mail about replies (confirmed by a mailed link).
    pub notify_replies: &'static str,
    /// The submit button.
    pub send: &'static str,
    /// The submit button while sending.
    pub sending: &'static str,
    /// Announced when the comment is published.
    pub posted: &'static str,
    /// Announced when the comment awaits moderation.
    pub pending_notice: &'static str,
    /// Badge on the reader's own pending comment.
    pub pending_badge: &'static str,
    /// The name is empty.
    pub err_name_required: &'static str,
    /// The name is longer than 80 characters.
    pub err_name_long: &'static str,
    /// The comment is shorter than 2 characters.
    pub err_body_short: &'static str,
    /// The comment is longer than 5,000 characters.
    pub err_body_long: &'static str,
    /// The e-mail address is malformed.
    pub err_email: &'static str,
    /// The comment being answered is gone.
    pub err_parent: &'static str,
    /// Network or server failure; the text is kept and sent again.
    pub send_failed: &'static str,
    /// Too many comments; sent again automatically later.
    pub rate_limited: &'static str,
    /// The article takes no more comments.
    pub comments_closed: &'static str,
    /// Announced when fields need correcting.
    pub fix_fields: &'static str,
    /// Announced when a saved draft is put back.
    pub draft_restored: &'static str,
    /// Accessible name of the actions row.
    pub actions_label: &'static str,
    /// Opens the share menu.
    pub share: &'static str,
    /// Opens the device's own share sheet (Web Share).
    pub share_device: &'static str,
    /// Copies the article's link.
    pub copy_link: &'static str,
    /// Announced after the link was copied.
    pub copied: &'static str,
    /// The e-mail entry of the share menu.
    pub email_share: &'static str,
    /// Opens the send-to-a-friend form.
    pub send_friend: &'static str,
    /// Prints the article alone.
    pub print: &'static str,
    /// Link to the RSS feed.
    pub rss: &'static str,
    /// Heading of the send-to-a-friend form.
    pub send_title: &'static str,
    /// Sender's name field.
    pub your_name: &'static str,
    /// Sender's e-mail field.
    pub your_email: &'static str,
    /// Friend's e-mail field.
    pub friend_email: &'static str,
    /// Optional message field.
    pub message_optional: &'static str,
    /// Submit button of the send form.
    pub send_button: &'static str,
    /// Announced when the e-mail left.
    pub sent_ok: &'static str,
    /// The server does not send e-mail.
    pub send_unavailable: &'static str,
    /// The message is longer than 1,000 characters.
    pub err_message_long: &'static str,
    /// Sending failed; what was typed is kept.
    pub send_error_kept: &'static str,
    /// Closes a panel.
    pub close: &'static str,
    /// Label before the article's address on paper.
    pub print_link: &'static str,
    /// The retry button.
    pub retry: &'static str,
    /// The link that reloads the page after a crash.
    pub reload: &'static str,
    /// The article does not exist (404).
    pub error_not_found: &'static str,
    /// The server could not be reached.
    pub error_network: &'static str,
    /// The server did not answer in time.
    pub error_timeout: &'static str,
    /// The server answered with an error status.
    pub error_server: &'static str,
    /// The server answered with something that is not the expected JSON.
    pub error_bad_response: &'static str,
    /// The embed code is wrong (missing article id, unknown kind…).
    pub error_config: &'static str,
    /// The widget itself failed.
    pub error_crash: &'static str,
}
