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
pub mod sightings;

use std::time::{Duration, Instant};

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
pub use sightings::Sightings;

/// Notes in `state` that `id` is seen now; the highest id that rested.
fn saw(state: &AppState, settings: &ModeratorMail, id: i64) -> i64 {
    state
        .notify_seen
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .saw(id, Instant::now(), settings.settle)
}

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
            // An import's backlog waits in the queue; mailed one by one,
            // it would bury the moderators' inboxes.
            readers_only: true,
        })
        .await
}

/// Starts the cursor the first time notifications are on: the queue
/// already shows what waited before, so only later comments are mailed.
/// `serve` calls it before it takes requests; the first run does it too.
/// The cursor, or `None` when this call started it.
///
/// This cursor is the highest comment any moderator was told about; each
/// recipient has a cursor of its own ([`recipient_cursor`]), so that one
/// address the mail server refuses neither holds the others back nor has
/// them told twice. A recipient new to the list starts at this one.
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

/// The name of `to`'s own cursor.
fn recipient_cursor(to: &Mailbox) -> String {
    format!("{CURSOR}:{}", to.email.to_string().to_lowercase())
}

/// Whether a run would have something to do: the cursor is not started,
/// or a comment newer than a recipient's cursor waits. Reads only.
pub async fn has_news(state: &AppState) -> Result<bool, StoreError> {
    let (Some(settings), Some(shared)) =
        (state.notify.as_deref(), state.store.cursor(CURSOR).await?)
    else {
        return Ok(true);
    };
    let Some(newest) = waiting(state, 1, crate::store::Keyset::Newest)
        .await?
        .first()
        .map(|c| c.stored.comment.id)
    else {
        return Ok(false);
    };
    // Every poll, claimed or not: the comment rests from here.
    saw(state, settings, newest);
    for to in &settings.to {
        let cursor = state.store.cursor(&recipient_cursor(to)).await?;
        if newest > cursor.unwrap_or(shared) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Tells the moderators about pending comments newer than their cursors;
/// how many messages went out (none on the run that starts the cursor).
/// A recipient whose mail fails is tried again on the next run (from its
/// own cursor), except when the mail server refuses it for good (a 5xx:
/// no such mailbox), which is logged and skipped; the others go on.
pub async fn run_once(state: &AppState) -> Result<usize, NotifyError> {
    run(state).await.map(|run| run.sent)
}

/// What a run did: messages sent, and whether it stopped with mail left
/// to send (its time spent, or the instance shutting down).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Run {
    /// Messages that went out.
    pub sent: usize,
    /// Whether a recipient or a message was left for the next run.
    pub unfinished: bool,
}

/// [`run_once`], saying whether mail was left: the job loop runs such a
/// run again at once, not a digest period later.
pub async fn run(state: &AppState) -> Result<Run, NotifyError> {
    let (Some(settings), Some(mailer)) = (state.notify.as_deref(), state.mailer.as_deref()) else {
        return Ok(Run::default());
    };
    let Some(shared) = start_cursor(state).await? else {
        return Ok(Run::default());
    };
    let expires = OffsetDateTime::now_utc() + settings.link_ttl;
    let stop_at = std::time::Instant::now() + state.mail_run_budget;
    let mut sent = 0;
    let mut failed = None;
    // The shared cursor only moves on: a recipient that got less far than
    // one before it in this run must not pull it back.
    let mut highest = shared;
    // A recipient taken off the list loses its cursor: put back months
    // later, it starts where the others are rather than at its old place,
    // with every comment still waiting since then to mail.
    let listed: Vec<String> = settings.to.iter().map(recipient_cursor).collect();
    state
        .store
        .forget_cursors(&format!("{CURSOR}:"), listed)
        .await?;
    // A recipient new to the list starts where the others are, and keeps
    // that start even when its first mail fails or waits for a later run.
    let mut from = Vec::with_capacity(settings.to.len());
    for to in &settings.to {
        let name = recipient_cursor(to);
        let cursor = match state.store.cursor(&name).await? {
            Some(cursor) => cursor,
            None => {
                state.store.set_cursor(&name, shared).await?;
                shared
            }
        };
        from.push((name, cursor));
    }
    // Each run starts one further down the list: the time runs out before
    // the last when the first has a backlog, and it must not always be the
    // same moderators who wait.
    let mut order: Vec<_> = settings.to.iter().zip(from).collect();
    if !order.is_empty() {
        let turn = state
            .notify_turn
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let start = turn % order.len();
        order.rotate_left(start);
    }
    // The newest comment waiting now: a recipient the run stops before
    // is left with mail only if its cursor is below it.
    let newest = waiting(state, 1, crate::store::Keyset::Newest)
        .await?
        .first()
        .map_or(0, |c| c.stored.comment.id);
    let (mut tried, mut unfinished) = (0, false);
    let mut order = order.into_iter();
    while let Some((to, (name, from))) = order.next() {
        if spent(state, stop_at, tried) {
            unfinished = from < newest || order.any(|(_, (_, from))| from < newest);
            break;
        }
        let mut told = Told {
            name: &name,
            cursor: from,
            sent: 0,
            tried,
            stop_at,
            left: false,
        };
        let run = tell(state, settings, mailer, to, expires, &mut told).await;
        sent += told.sent;
        tried = told.tried;
        unfinished |= told.left;
        if told.cursor > highest {
            highest = told.cursor;
            state.store.set_cursor(CURSOR, highest).await?;
        }
        if let Err(e) = run {
            tracing::warn!(
                "moderator mail to {}: {e} (tried again on the next run)",
                to.email
            );
            failed.get_or_insert(e);
        }
    }
    match failed {
        // Told in the log above: the moderators the run did not reach
        // must not wait a digest period for one mailbox's failure.
        Some(_) if unfinished => Ok(Run { sent, unfinished }),
        Some(e) => Err(e),
        None => Ok(Run { sent, unfinished }),
    }
}

/// One recipient's progress in a run.
struct Told<'a> {
    /// Its cursor's name.
    name: &'a str,
    /// The last comment it was told about (or skipped for good).
    cursor: i64,
    /// Messages sent to it.
    sent: usize,
    /// Messages tried in the run so far, to anyone.
    tried: usize,
    /// When the run stops sending (after one message at least): the rest
    /// waits for the next run.
    stop_at: std::time::Instant,
    /// Whether the run stopped with a message to it left.
    left: bool,
}

/// Whether the run sends no more: its time is up and a message was tried,
/// or the instance shuts down. Asked before each message, so that neither
/// the next recipient nor the next group gets one past the time.
fn spent(state: &AppState, stop_at: std::time::Instant, tried: usize) -> bool {
    (tried > 0 && std::time::Instant::now() >= stop_at) || state.background.is_stopping()
}

/// Mails `to` the pending comments past its cursor, a batch at a time:
/// more than a batch may wait (a long digest period, a mail server down
/// for an hour), and every one of them is mailed, oldest first.
async fn tell(
    state: &AppState,
    settings: &ModeratorMail,
    mailer: &crate::mailer::Mailer,
    to: &Mailbox,
    expires: OffsetDateTime,
    told: &mut Told<'_>,
) -> Result<(), NotifyError> {
    let rested = OffsetDateTime::now_utc() - settings.settle;
    loop {
        let mut new = waiting(state, BATCH, crate::store::Keyset::After(told.cursor)).await?;
        let full = new.len() >= BATCH as usize;
        new.sort_by_key(|c| c.stored.comment.id);
        // The cursor stops before the first comment that has not rested:
        // the next run takes it, and whatever lower id appears meanwhile.
        // It rests by its own time and by when this instance saw it (or a
        // higher id): its time was stamped by the instance that took it, on
        // that instance's clock and before the database gave it its id.
        let seen = new
            .last()
            .map_or(i64::MIN, |c| saw(state, settings, c.stored.comment.id));
        let young = new.iter().position(|c| {
            c.stored.comment.id > seen
                || OffsetDateTime::parse(&c.stored.comment.created_at, &Rfc3339)
                    .map_or(true, |t| t > rested)
        });
        if let Some(young) = young {
            new.truncate(young);
        }
        let Some(last) = new.last().map(|c| c.stored.comment.id) else {
            return Ok(());
        };
        let groups: Vec<Vec<&ModComment>> = if settings.digest_every.is_some() {
            vec![new.iter().collect()]
        } else {
            new.iter().map(|c| vec![c]).collect()
        };
        for group in groups {
            if spent(state, told.stop_at, told.tried) {
                told.left = true;
                return Ok(());
            }
            told.tried += 1;
            let upto = group.last().map_or(last, |c| c.stored.comment.id);
            // Read for each message: one made anew meanwhile signs the rest.
            let key = links::key(state).await?;
            let mail = compose(settings, &mailer.from, to, &group, &key, expires)?;
            match mailer.send_checked(mail).await {
                Ok(()) => told.sent += 1,
                Err(e) if e.permanent => tracing::error!(
                    "moderator mail to {} refused for good, not sent again: {}",
                    to.email,
                    e.message
                ),
                Err(e) => return Err(NotifyError::Send(e.message)),
            }
            told.cursor = upto;
            state.store.set_cursor(told.name, upto).await?;
        }
        if !full || new.len() < BATCH as usize {
            return Ok(());
        }
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
        let link = Link {
            action,
            comment_id,
            to: Some(to.email.to_string()),
        };
        let token = links::sign(key, &link, until);
        format!("{}/admin/link?t={token}", settings.base_url)
    };
    let mut text = String::new();
    for c in comments {
        let id = c.stored.comment.id;
        text.push_str(&format!(
            "{author} — «{title}»\n{url}\n{time}\n\n{body}\n\n{approve} {approve_link}\n{reject} {reject_link}\n\n",
            author = clean(&c.stored.comment.author),
            title = clean(&c.article_title),
            // An article stored with a path lives at this server's address.
            url = crate::model::absolute(&c.article_url, &settings.base_url),
            time = crate::admin::shown_time(&c.stored.comment.created_at),
            body = crate::mailer::quote(&c.stored.comment.body, QUOTE_MAX),
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
        .map(|t| crate::admin::shown_time(&t))
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
