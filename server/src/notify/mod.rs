//! Moderators hear of waiting comments by e-mail (`--notify-moderators`):
//! one message per new pending comment, or a digest of them every
//! `--notify-every`, each comment with a signed approve link and a signed
//! reject link (see [`crate::admin::links`]).
//!
//! A background job (claimed, so one instance of many sends) looks for
//! pending comments past a cursor kept in the database, and moves the
//! cursor only after a message went out: a failed send is retried on the
//! next run and nothing is lost; the reader's request never waits for it.

pub mod settings;

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::Message;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::admin::links::{self, Link, LinkAction};
use crate::mailer::Outgoing;
use crate::state::AppState;
use crate::store::{ModComment, ModQuery, Status, StoreError};

pub use settings::ModeratorMail;

/// The cursor's name: the id of the last pending comment told about.
pub const CURSOR: &str = "notify-moderators";

/// Pending comments one run looks at (newest first; a digest lists them
/// all, one message per comment stops at this many per run).
const BATCH: u32 = 200;

/// Longest comment text quoted in a message.
const QUOTE_MAX: usize = 1_000;

/// Why a run stopped; the cursor stays where the last sent message left it.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A message could not be built.
    #[error("composing: {0}")]
    Compose(String),
    /// The mailer refused or failed.
    #[error("sending: {0}")]
    Send(String),
}

/// `state` with links pointing at `addr` when no public URL was given
/// (the address is known only once the listener is bound): in moderator
/// mail, and in the mail readers get (reply notifications, send to a
/// friend), unless `addr` is every interface, which no reader can open.
pub fn with_listen_address(mut state: AppState, addr: std::net::SocketAddr) -> AppState {
    if state.public_url.is_none() {
        let everywhere = addr.ip().is_unspecified();
        if !everywhere {
            state.mail_url = Some(format!("http://{addr}"));
        }
        if state.mailer.is_some() && everywhere {
            tracing::warn!(
                "listening on every interface ({addr}) without --public-url: readers are not \
                 offered reply notifications, send-to-a-friend links to articles stored with \
                 a path stay paths, and moderator mail links to http://{addr}"
            );
        } else if state.mailer.is_some() {
            tracing::warn!(
                "links in readers' mail point at http://{addr}: set --public-url to the address readers reach"
            );
        }
    }
    if let Some(settings) = state.notify.as_deref().filter(|s| s.base_url.is_empty()) {
        tracing::warn!(
            "links in moderator e-mail point at http://{addr}: set --public-url to the address moderators reach"
        );
        let mut settings = settings.clone();
        settings.base_url = format!("http://{addr}");
        state.notify = Some(std::sync::Arc::new(settings));
    }
    state
}

/// How often the job runs: the digest period, or every poll for one
/// message per comment.
pub fn period(settings: &ModeratorMail) -> Duration {
    settings.digest_every.unwrap_or(Duration::from_secs(1))
}

/// Up to `limit` waiting comments at `at` (the newest, or the oldest
/// after a cursor), newest first.
async fn waiting(
    state: &AppState,
    limit: u32,
    at: crate::store::Keyset,
) -> Result<Vec<ModComment>, StoreError> {
    state
        .store
        .moderation_comments(ModQuery {
            status: Status::Pending,
            article_id: None,
            search: None,
            limit,
            at,
        })
        .await
}

/// Starts the cursor the first time notifications are on: the queue
/// already shows what waited before, so only later comments are mailed.
/// `serve` calls it before it takes requests; the first run does it too.
/// The cursor, or `None` when this call started it.
pub async fn start_cursor(state: &AppState) -> Result<Option<i64>, StoreError> {
    if state.notify.is_none() {
        return Ok(None);
    }
    if let Some(cursor) = state.store.cursor(CURSOR).await? {
        return Ok(Some(cursor));
    }
    let newest = waiting(state, BATCH, crate::store::Keyset::Newest)
        .await?
        .iter()
        .map(|c| c.stored.comment.id)
        .max()
        .unwrap_or(0);
    state.store.set_cursor(CURSOR, newest).await?;
    Ok(None)
}

/// Whether a run would have something to do: the cursor is not started,
/// or a comment newer than it waits. Reads only.
pub async fn has_news(state: &AppState) -> Result<bool, StoreError> {
    let Some(cursor) = state.store.cursor(CURSOR).await? else {
        return Ok(true);
    };
    let newest = waiting(state, 1, crate::store::Keyset::Newest).await?;
    Ok(newest.first().is_some_and(|c| c.stored.comment.id > cursor))
}

/// Tells the moderators about pending comments newer than the cursor;
/// how many messages went out (none on the run that starts the cursor).
pub async fn run_once(state: &AppState) -> Result<usize, NotifyError> {
    let (Some(settings), Some(mailer)) = (state.notify.as_deref(), state.mailer.as_deref()) else {
        return Ok(0);
    };
    let Some(cursor) = start_cursor(state).await? else {
        return Ok(0);
    };
    let key = links::key(state).await?;
    let expires = OffsetDateTime::now_utc() + settings.link_ttl;
    let mut sent = 0;
    let mut cursor = cursor;
    // From the cursor up, a batch at a time: more than a batch may wait
    // (a long digest period, a mail server down for an hour), and every
    // one of them is mailed, oldest first.
    loop {
        let mut new = waiting(state, BATCH, crate::store::Keyset::After(cursor)).await?;
        new.sort_by_key(|c| c.stored.comment.id);
        let Some(last) = new.last().map(|c| c.stored.comment.id) else {
            return Ok(sent);
        };
        if settings.digest_every.is_some() {
            let all: Vec<&ModComment> = new.iter().collect();
            for to in &settings.to {
                let mail = compose(settings, &mailer.from, to, &all, &key, expires)?;
                mailer.send(mail).await.map_err(NotifyError::Send)?;
                sent += 1;
            }
            state.store.set_cursor(CURSOR, last).await?;
        } else {
            for c in &new {
                for to in &settings.to {
                    let mail = compose(settings, &mailer.from, to, &[c], &key, expires)?;
                    mailer.send(mail).await.map_err(NotifyError::Send)?;
                    sent += 1;
                }
                state.store.set_cursor(CURSOR, c.stored.comment.id).await?;
            }
        }
        if new.len() < BATCH as usize {
            return Ok(sent);
        }
        cursor = last;
    }
}

/// The message about `comments` for one recipient: plain text, in the
/// moderators' language, each comment with its two links.
fn compose(
    settings: &ModeratorMail,
    from: &Mailbox,
    to: &Mailbox,
    comments: &[&ModComment],
    key: &[u8],
    expires: OffsetDateTime,
) -> Result<Outgoing, NotifyError> {
    let lang = settings.lang;
    let clean = |s: &str| -> String { s.chars().filter(|c| !c.is_control()).collect() };
    let subject = match comments {
        [one] => format!(
            "{} «{}»",
            lang.text("mail_one_subject"),
            clean(&one.article_title)
        ),
        many => format!("{} {}", lang.text("mail_many_subject"), many.len()),
    };
    let until = expires.unix_timestamp();
    let link = |action, comment_id| {
        let token = links::sign(key, Link { action, comment_id }, until);
        format!("{}/admin/link?t={token}", settings.base_url)
    };
    let mut text = String::new();
    for c in comments {
        let id = c.stored.comment.id;
        let body: String = c.stored.comment.body.chars().take(QUOTE_MAX).collect();
        let cut = if body.len() < c.stored.comment.body.len() {
            "…"
        } else {
            ""
        };
        text.push_str(&format!(
            "{author} — «{title}»\n{url}\n{time}\n\n{body}{cut}\n\n{approve} {approve_link}\n{reject} {reject_link}\n\n",
            author = clean(&c.stored.comment.author),
            title = clean(&c.article_title),
            // An article stored with a path lives at this server's address.
            url = crate::model::absolute(&c.article_url, &settings.base_url),
            time = c.stored.comment.created_at,
            approve = lang.text("mail_approve"),
            approve_link = link(LinkAction::Approve, id),
            reject = lang.text("mail_reject"),
            reject_link = link(LinkAction::Reject, id),
        ));
    }
    let until_text = expires
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    text.push_str(&format!(
        "{} {until_text}.\n{} {}/admin/queue\n",
        lang.text("mail_links_note"),
        lang.text("mail_queue"),
        settings.base_url
    ));
    let message = Message::builder()
        .from(from.clone())
        .to(to.clone())
        .subject(subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(text.clone())
        .map_err(|e| NotifyError::Compose(e.to_string()))?;
    Ok(Outgoing {
        message,
        sender: from.to_string(),
        recipient: to.to_string(),
        subject,
        text,
    })
}
