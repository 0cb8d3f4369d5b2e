//! Reply notifications with double opt-in. A reader who leaves an e-mail
//! address may tick "tell me about replies" (`notify_replies` in the
//! comment's POST); the server then records an unconfirmed subscription to
//! the conversation (the top-level comment) and mails a confirmation link.
//! Nothing else is ever sent to that address until the link's button is
//! pressed, and confirmation mails are rate limited per address and per
//! client, so the form cannot be used to mail strangers.
//!
//! When a reply becomes visible (published at once, or approved later by
//! any path), the storage engines queue a notice in the same transaction; a
//! claimed job mails each confirmed subscriber of the conversation (never
//! the reply's own author), with a one-click unsubscribe (RFC 8058:
//! `List-Unsubscribe` and `List-Unsubscribe-Post`). Every link opens a page
//! with one button that POSTs; a GET changes nothing, except that RFC
//! 8058's one-click POST to the unsubscribe URL is honoured as such.

pub mod pages;
pub mod words;

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::Message;

use crate::comments::StoredComment;
use crate::mailer::{Mailer, Outgoing};
use crate::model::Article;
use crate::state::AppState;
use crate::store::{NoticeOutcome, ReplyNotice, StoreError};
use words::words;

/// The job's name in the job table.
pub const JOB: &str = "reply-notices";

/// Notices one run handles.
const BATCH: u32 = 50;

/// Failed sends of one notice before it is given up (and logged).
const MAX_ATTEMPTS: i64 = 5;
/// The wait before the first retry of a notice; each later one doubles it.
const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(30);

/// Tries of one confirmation before it is given up (the reader can tick
/// the box again); the wait after the first is
/// [`AppState::reply_confirm_retry`], doubled after each.
const CONFIRM_TRIES: i64 = 5;

/// Longest reply text quoted in a notice.
const QUOTE_MAX: usize = 1_000;

/// What a link in these messages does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// Confirm a subscription.
    Confirm,
    /// End a subscription.
    Stop,
}

impl LinkKind {
    fn as_str(self) -> &'static str {
        match self {
            LinkKind::Confirm => "confirm",
            LinkKind::Stop => "stop",
        }
    }

    /// The page's path.
    pub fn path(self) -> &'static str {
        match self {
            LinkKind::Confirm => "/replies/confirm",
            LinkKind::Stop => "/replies/unsubscribe",
        }
    }
}

/// What happened to a reader's "tell me about replies".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscribed {
    /// Recorded, and the confirmation message is on its way; or the
    /// address confirmed before, and nothing is sent: the answer does not
    /// tell anyone who names an address whether it follows the
    /// conversation.
    ConfirmationSent,
    /// Too many confirmations for this address or client lately: nothing
    /// recorded, nothing sent.
    Limited,
    /// This server sends no mail, or the comment gave no address.
    Unavailable,
}

impl Subscribed {
    /// The name in the comment's answer.
    pub fn as_str(self) -> &'static str {
        match self {
            Subscribed::ConfirmationSent => "confirmation_sent",
            Subscribed::Limited => "limited",
            Subscribed::Unavailable => "unavailable",
        }
    }
}

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The install's key for these links (its own: one key, one purpose).
pub async fn key(state: &AppState) -> Result<Vec<u8>, StoreError> {
    crate::admin::client::install_key(state, &state.admin.reply_key, "reply_links").await
}

/// The link that does `kind` to subscription `id`.
pub fn link(key: &[u8], base_url: &str, kind: LinkKind, id: i64) -> String {
    let token = crate::signed::sign(key, &format!("{}.{id}", kind.as_str()));
    format!(
        "{}{}?t={token}",
        base_url.trim_end_matches('/'),
        kind.path()
    )
}

/// The subscription a token names, if `key` signed it for `kind`.
pub fn read_token(key: &[u8], token: &str, kind: LinkKind) -> Option<i64> {
    let payload = crate::signed::open(key, token)?;
    let (what, id) = payload.split_once('.')?;
    (what == kind.as_str()).then(|| id.parse().ok()).flatten()
}

/// Records a reader's wish to hear of replies to the conversation of
/// `comment` and mails the confirmation (in the background: the reader's
/// request does not wait for the mail server). A `replay` (the comment sent
/// again after a lost answer) is told what its first try did, without a
/// second mail, or subscribes when that try stopped before it could.
pub async fn subscribe(
    state: &AppState,
    comment: &StoredComment,
    article: &Article,
    lang: &str,
    base_url: &str,
    client: &str,
    replay: bool,
) -> Result<Subscribed, StoreError> {
    let (Some(mailer), Some(email)) = (state.mailer.clone(), comment.email.as_deref()) else {
        return Ok(Subscribed::Unavailable);
    };
    // An address the mailer cannot write to (a domain it cannot spell)
    // would be recorded for a confirmation that never leaves.
    if let Err(e) = email.parse::<Mailbox>() {
        tracing::info!("reply notifications: an address the mailer cannot write to: {e}");
        return Ok(Subscribed::Unavailable);
    }
    let conversation = comment.comment.parent_id.unwrap_or(comment.comment.id);
    // One subscription per address and conversation: a reader who comments
    // twice with the box ticked is mailed each reply once, and one "stop"
    // ends it. One still unconfirmed gets its confirmation again.
    let earlier = state
        .store
        .reply_subscription_of(conversation, email)
        .await?;
    // The address by its HMAC under the install's key: rate events are not
    // where a reader's address should be kept, even hashed (a plain hash of
    // an address is found again by hashing known ones). The client first: a
    // client past its own allowance must not spend, with nothing sent, the
    // allowance of every address it names (and stop their owners
    // subscribing for an hour).
    let address = crate::admin::client_hmac(
        state,
        &format!("reply-confirm:{}", crate::mail::inbox(email)),
    )
    .await?;
    // An address's refusal gives the client's event back: nothing went.
    let (limit, store) = (&state.reply_confirm_limit, state.store.as_ref());
    if limit
        .check_in(store, "reply-confirm-client", client)
        .await?
        .is_err()
    {
        return Ok(Subscribed::Limited);
    }
    if limit
        .check_in(store, "reply-confirm-address", &address)
        .await?
        .is_err()
    {
        limit
            .give_back(store, "reply-confirm-client", client)
            .await?;
        return Ok(Subscribed::Limited);
    }
    // A comment sent again (its first answer lost) whose conversation the
    // address follows: answered as its first try was, and nothing is sent
    // again, but only past both allowances, which it spends as any request
    // does: else a client could tell by the answer, or by what is left of
    // its own allowance, whether someone's address follows the conversation.
    if earlier.is_some() && replay {
        return Ok(Subscribed::ConfirmationSent);
    }
    // Past both allowances, which it spends as a new subscription does:
    // whoever names an address cannot tell a confirmed one by the answer,
    // whatever is left of either allowance. Nothing is sent.
    if earlier.as_ref().is_some_and(|s| s.confirmed) {
        return Ok(Subscribed::ConfirmationSent);
    }
    // Recording owes the confirmation: what does not leave now, the job
    // sends later (see `run_once`).
    let retry = state.reply_confirm_retry;
    let again = match earlier {
        Some(s) => store
            .resend_reply_confirmation(s.id, retry)
            .await?
            .then_some(s.id),
        None => None,
    };
    // A new one also when the earlier one ended since it was read.
    let id = match again {
        Some(id) => Some(id),
        None => {
            store
                .add_reply_subscription(conversation, email, lang, base_url, retry)
                .await?
        }
    };
    let Some(id) = id else {
        // Another request recorded one (or confirmed it) since it was
        // read: two copies of one comment sent at once. That one mails;
        // this one sent nothing and spends nothing.
        limit
            .give_back(store, "reply-confirm-client", client)
            .await?;
        limit
            .give_back(store, "reply-confirm-address", &address)
            .await?;
        return Ok(Subscribed::ConfirmationSent);
    };
    // Whose comment the conversation is, as the notices tell it.
    let theirs = match comment.comment.parent_id {
        None => true,
        Some(parent) => started_by(state.store.comment(parent).await?.as_ref(), email),
    };
    let mail = confirmation(state, &mailer, email, lang, article, base_url, id, theirs).await?;
    // Background work: an instance shutting down sends it before it ends.
    let store = state.store.clone();
    state.background.spawn(async move {
        send_confirmation(store.as_ref(), &mailer, id, 1, mail).await;
    });
    Ok(Subscribed::ConfirmationSent)
}

/// Whether `top`, a conversation's first comment, is `email`'s own (the
/// case of the address aside): its author hears of replies "to your
/// comment", everyone else of replies in a conversation they joined.
fn started_by(top: Option<&StoredComment>, email: &str) -> bool {
    top.and_then(|t| t.email.as_deref())
        .is_some_and(|e| e.to_lowercase() == email.to_lowercase())
}

/// The confirmation message of subscription `id`, with links at `base`,
/// to the author of the conversation (`theirs`) or to a reader who joined it.
#[allow(clippy::too_many_arguments)]
async fn confirmation(
    state: &AppState,
    mailer: &Mailer,
    email: &str,
    lang: &str,
    article: &Article,
    base: &str,
    id: i64,
    theirs: bool,
) -> Result<Result<Outgoing, String>, StoreError> {
    let key = key(state).await?;
    let w = words(lang);
    let text = format!(
        "{asked} «{title}».\n\n{open}\n{link}\n\n{ignore}\n",
        asked = if theirs {
            w.confirm_asked
        } else {
            w.confirm_asked_joined
        },
        title = one_line(&page_name(article)),
        open = w.confirm_open,
        link = link(&key, base, LinkKind::Confirm, id),
        ignore = w.confirm_ignore,
    );
    Ok(compose(
        mailer,
        email,
        w.confirm_subject.to_owned(),
        text,
        None,
    ))
}

/// Sends try `tries` of a confirmation; once it left, or can never leave
/// (an address the mailer cannot write, a mailbox the mail server says
/// does not exist), nothing more is owed. One that failed for now stays
/// owed (claimed by the caller until its next try): the job tries it
/// again. Whether it left.
async fn send_confirmation(
    store: &dyn crate::store::Store,
    mailer: &Mailer,
    id: i64,
    tries: i64,
    mail: Result<Outgoing, String>,
) -> bool {
    let sent = match mail {
        Ok(mail) => match mailer.send_checked(mail).await {
            Ok(()) => true,
            Err(e) if e.permanent => {
                tracing::warn!(
                    "reply notifications: confirmation for subscription {id} refused for good: {}",
                    e.message
                );
                false
            }
            Err(e) => {
                tracing::warn!(
                    "reply notifications: confirmation for subscription {id} (tried again later): {}",
                    e.message
                );
                return false;
            }
        },
        Err(e) => {
            tracing::warn!("reply notifications: confirmation for subscription {id}: {e}");
            false
        }
    };
    if let Err(e) = store.settle_reply_confirmation(id, tries).await {
        tracing::warn!("reply notifications: confirmation for subscription {id}: {e}");
    }
    sent
}

/// Whether a published reply waits to be told about. Reads only.
pub async fn has_work(state: &AppState) -> Result<bool, StoreError> {
    // Notices and owed confirmations wait for an instance that can mail
    // them: one that cannot would claim the job for nothing every poll, or
    // take a notice as told.
    if !can_mail(state) {
        return Ok(false);
    }
    Ok(!state.store.due_reply_notices(1).await?.is_empty()
        || !state.store.due_reply_confirmations(1).await?.is_empty())
}

/// Whether this instance can mail readers: a mailer, and an address for
/// the links in its mail.
fn can_mail(state: &AppState) -> bool {
    state.mailer.is_some() && state.mail_base().is_some()
}

/// Mails the confirmed subscribers of every conversation that got a
/// published reply since the last run; how many messages went out. A
/// subscriber who could not be mailed does not hold the others back: the
/// notice is tried again later for those alone (after 30 s, 1, 2 and 4
/// minutes), and nobody gets the same notice twice.
pub async fn run_once(state: &AppState) -> Result<usize, ReplyError> {
    // Notices stay due for an instance that can send them (another one,
    // or this one restarted with its mail settings back).
    if !can_mail(state) {
        return Ok(0);
    }
    // The rest waits for the next run (see `AppState::mail_run_budget`),
    // checked before every message, not every notice: a conversation with
    // hundreds of subscribers, or a mail server that times out, must not
    // outlast the run's claim, when another instance would send the same.
    let mut budget = Budget {
        stop_at: std::time::Instant::now() + state.mail_run_budget,
        tried: 0,
        background: state.background.clone(),
    };
    let mut sent = 0;
    for notice in state.store.due_reply_notices(BATCH).await? {
        if budget.spent() {
            break;
        }
        let age = crate::store::now_ms().saturating_sub(notice.published_ms);
        if u128::try_from(age).unwrap_or(0) > state.reply_notice_max_age.as_millis() {
            tracing::warn!(
                "reply notifications: reply {} was published {} hours ago; too late to mail",
                notice.reply_id,
                age / 3_600_000
            );
            let sent_to = notice.sent_to.clone();
            state
                .store
                .finish_reply_notice(&notice, NoticeOutcome::Done { sent_to })
                .await?;
            continue;
        }
        let told = notify(state, &notice, &mut budget).await;
        let newly_told = told.sent_to.len() - notice.sent_to.len();
        sent += newly_told;
        let outcome = match told.failed {
            None if told.unfinished => NoticeOutcome::Unfinished {
                sent_to: told.sent_to,
            },
            None => NoticeOutcome::Done {
                sent_to: told.sent_to,
            },
            // Someone failed, but others were told and some are still to
            // try: the next run goes on at once, and no attempt counts
            // against those not tried yet (the failing one is tried again
            // with them).
            Some(e) if told.unfinished && newly_told > 0 => {
                tracing::warn!(
                    "reply notifications: reply {} (the rest next run): {e}",
                    notice.reply_id
                );
                NoticeOutcome::Unfinished {
                    sent_to: told.sent_to,
                }
            }
            Some(e) if notice.attempts + 1 >= MAX_ATTEMPTS => {
                tracing::error!(
                    "reply notifications: giving up on reply {}: {e}",
                    notice.reply_id
                );
                NoticeOutcome::Done {
                    sent_to: told.sent_to,
                }
            }
            Some(e) => {
                tracing::warn!(
                    "reply notifications: reply {} (retried later): {e}",
                    notice.reply_id
                );
                NoticeOutcome::Retry {
                    sent_to: told.sent_to,
                    after: RETRY_AFTER * (1 << notice.attempts.clamp(0, 8)),
                }
            }
        };
        state.store.finish_reply_notice(&notice, outcome).await?;
    }
    Ok(sent + confirm_owed(state, &mut budget).await?)
}

/// Sends the confirmations owed whose time has come (their first try
/// failed, or its instance stopped before it); how many left.
async fn confirm_owed(state: &AppState, budget: &mut Budget) -> Result<usize, ReplyError> {
    let (store, mut sent) = (state.store.as_ref(), 0);
    // Without mail or an address for links they stay owed, for an
    // instance that has both.
    let (Some(mailer), Some(base)) = (state.mailer.as_deref(), state.mail_base()) else {
        return Ok(0);
    };
    for owed in store.due_reply_confirmations(BATCH).await? {
        if budget.spent() {
            break;
        }
        if owed.confirm_tries >= CONFIRM_TRIES {
            tracing::error!(
                "reply notifications: giving up on the confirmation for subscription {}",
                owed.id
            );
            store
                .settle_reply_confirmation(owed.id, owed.confirm_tries)
                .await?;
            continue;
        }
        let wait = state.reply_confirm_retry * (1 << owed.confirm_tries.clamp(0, 8));
        if !store
            .claim_reply_confirmation(owed.id, owed.confirm_tries, wait)
            .await?
        {
            continue;
        }
        let top = store.comment(owed.comment_id).await?;
        let theirs = started_by(top.as_ref(), &owed.email);
        let article = match top {
            Some(top) => store.article(&top.article_id).await?,
            None => None,
        };
        let tries = owed.confirm_tries + 1;
        let Some(article) = article else {
            store.settle_reply_confirmation(owed.id, tries).await?;
            continue;
        };
        budget.tried += 1;
        let mail = confirmation(
            state,
            mailer,
            &owed.email,
            &owed.lang,
            &article,
            base,
            owed.id,
            theirs,
        );
        if send_confirmation(store, mailer, owed.id, tries, mail.await?).await {
            sent += 1;
        }
    }
    Ok(sent)
}

/// A run's time: once it is up, and one message at least was tried, the
/// run stops; at once when the instance shuts down (what was sent is
/// saved, the rest is the next run's, on whichever instance).
struct Budget {
    stop_at: std::time::Instant,
    tried: usize,
    background: crate::background::Background,
}

impl Budget {
    fn spent(&self) -> bool {
        (self.tried > 0 && std::time::Instant::now() >= self.stop_at)
            || self.background.is_stopping()
    }
}

/// What one run over a notice did.
struct Told {
    /// Every subscription told, before this run and in it.
    sent_to: Vec<i64>,
    /// The last failure, when someone could not be told.
    failed: Option<String>,
    /// The run's time was up before everyone was tried.
    unfinished: bool,
}

/// Tells the subscribers of the notice's conversation who were not told
/// yet, within the run's `budget`.
async fn notify(state: &AppState, notice: &ReplyNotice, budget: &mut Budget) -> Told {
    let mut told = Told {
        sent_to: notice.sent_to.clone(),
        failed: None,
        unfinished: false,
    };
    let Some(mailer) = state.mailer.as_deref() else {
        tracing::warn!(
            "reply notifications: no way to send mail any more; reply {} not told",
            notice.reply_id
        );
        return told;
    };
    let mut messages = match messages(state, mailer, notice).await {
        Ok(messages) => messages,
        Err(e) => {
            told.failed = Some(e);
            return told;
        }
    };
    // Each failed try starts the next one further on: a mailbox that
    // fails, tried first each time, would use every run's time and leave
    // the ones after it untried until the notice is given up on.
    if !messages.is_empty() {
        let start = usize::try_from(notice.attempts).unwrap_or(0) % messages.len();
        messages.rotate_left(start);
    }
    for (subscription, mail) in messages {
        if budget.spent() {
            told.unfinished = true;
            break;
        }
        budget.tried += 1;
        match mail {
            Ok(mail) => match mailer.send(mail).await {
                Ok(()) => {
                    told.sent_to.push(subscription);
                    // Saved at once: a run cut short after it (the
                    // database failing at the end, the instance killed)
                    // must not leave the next run to mail them again.
                    let so_far = NoticeOutcome::Unfinished {
                        sent_to: told.sent_to.clone(),
                    };
                    if let Err(e) = state.store.finish_reply_notice(notice, so_far).await {
                        told.failed = Some(e.to_string());
                        told.unfinished = true;
                        break;
                    }
                }
                Err(e) => told.failed = Some(e.to_string()),
            },
            Err(e) => told.failed = Some(e),
        }
    }
    told
}

/// The message for each subscriber of the notice's conversation not told
/// yet, by subscription (none when the reply is gone, not published or not
/// a reply).
async fn messages(
    state: &AppState,
    mailer: &Mailer,
    notice: &ReplyNotice,
) -> Result<Vec<(i64, Result<Outgoing, String>)>, String> {
    let (store, reply_id) = (state.store.as_ref(), notice.reply_id);
    // Links at this server's address as it is now, never the one stored
    // with a subscription (an older version stored a request's Host); with
    // none known, nobody is mailed a link that could not open.
    let Some(base) = state.mail_base() else {
        return Ok(Vec::new());
    };
    let Some(reply) = store.comment(reply_id).await.map_err(|e| e.to_string())? else {
        return Ok(Vec::new());
    };
    let (Some(conversation), "published") = (reply.comment.parent_id, reply.status.as_str()) else {
        return Ok(Vec::new());
    };
    // A reply under a comment rejected since it was published is out of
    // readers' sight, as its notice is.
    let parent = store
        .comment(conversation)
        .await
        .map_err(|e| e.to_string())?;
    let Some(parent) = parent.filter(|p| p.status == "published") else {
        return Ok(Vec::new());
    };
    let subscribers = store
        .reply_subscribers(conversation)
        .await
        .map_err(|e| e.to_string())?;
    let own = reply.email.as_deref().map(str::to_lowercase);
    // An address subscribed twice is mailed once, under its oldest
    // subscription: since subscriptions are one per address, that is
    // where SQLite, which folds the case of ASCII letters only, keeps
    // `Élise@…` and `élise@…` apart.
    let mut seen = std::collections::HashSet::new();
    let subscribers: Vec<_> = subscribers
        .into_iter()
        .filter(|s| {
            let address = s.email.to_lowercase();
            let first = seen.insert(address.clone());
            first && Some(address) != own && !notice.sent_to.contains(&s.id)
        })
        .collect();
    if subscribers.is_empty() {
        return Ok(Vec::new());
    }
    let Some(article) = store
        .article(&reply.article_id)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(Vec::new());
    };
    let key = key(state).await.map_err(|e| e.to_string())?;
    let body = crate::mailer::quote(&reply.comment.body, QUOTE_MAX);
    Ok(subscribers
        .iter()
        .map(|s| {
            let w = words(&s.lang);
            // A reader who subscribed from a reply is told of replies in a
            // conversation they joined, not to "your comment".
            let theirs = started_by(Some(&parent), &s.email);
            let (subject_words, replied) = if theirs {
                (w.reply_subject, w.replied)
            } else {
                (w.reply_subject_joined, w.replied_joined)
            };
            let stop = link(&key, base, LinkKind::Stop, s.id);
            let text = format!(
                "{author} {replied} «{title}»:\n\n{body}\n\n{read} {url}\n\n{stop_label} {stop}\n",
                author = one_line(&reply.comment.author),
                replied = replied,
                title = one_line(&page_name(&article)),
                read = w.read,
                // A path (`/news/1`) is of this server: at its address.
                url = crate::model::absolute(&article.url, base),
                stop_label = w.stop,
            );
            let subject = format!("{} «{}»", subject_words, one_line(&page_name(&article)));
            (s.id, compose(mailer, &s.email, subject, text, Some(&stop)))
        })
        .collect())
}

/// How mail from the site names the page: its title, or for a page known
/// only by its URL (a thread its first comment opened, titled by that
/// comment's author) the URL, which is under one of the site's origins.
fn page_name(article: &Article) -> String {
    if crate::threads::is_thread(article) {
        crate::threads::readable_url(&article.url)
    } else {
        article.title.clone()
    }
}

fn one_line(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

/// `List-Unsubscribe: <URL>` (RFC 2369).
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

/// A plain-text message to `to`; with `unsubscribe`, the RFC 8058 headers.
fn compose(
    mailer: &Mailer,
    to: &str,
    subject: String,
    text: String,
    unsubscribe: Option<&str>,
) -> Result<Outgoing, String> {
    let to: Mailbox = to
        .parse()
        .map_err(|e| format!("an address the mailer cannot write to: {e}"))?;
    let mut builder = Message::builder()
        .from(mailer.from.clone())
        .to(to.clone())
        .subject(subject.clone())
        .header(ContentType::TEXT_PLAIN);
    if let Some(url) = unsubscribe {
        builder = builder.header(ListUnsubscribe(format!("<{url}>")));
        // RFC 8058's one click is for an HTTPS URL only: over plain HTTP
        // the header would be wrong, and mail providers ignore it.
        if url.starts_with("https://") {
            builder = builder.header(ListUnsubscribePost);
        }
    }
    let message = builder.body(text.clone()).map_err(|e| e.to_string())?;
    Ok(Outgoing {
        message,
        sender: mailer.from.to_string(),
        recipient: to.to_string(),
        subject,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The headers of a notice whose stop link is `url`.
    fn headers_with(url: &str) -> String {
        let mailer = Mailer::new("smtp://127.0.0.1:2525", "desk@news.test").expect("mailer");
        let out = compose(
            &mailer,
            "reader@news.test",
            "s".into(),
            "t".into(),
            Some(url),
        )
        .expect("message");
        String::from_utf8_lossy(&out.message.formatted()).into_owned()
    }

    // The mailer's pool starts on Tokio's runtime.
    #[tokio::test]
    async fn one_click_unsubscribing_is_offered_over_https_only() {
        let https = headers_with("https://news.example/replies/unsubscribe?t=x");
        assert!(https.contains("List-Unsubscribe: <https://news.example/replies/unsubscribe?t=x>"));
        assert!(https.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        let http = headers_with("http://127.0.0.1:8099/replies/unsubscribe?t=x");
        assert!(http.contains("List-Unsubscribe: <http://127.0.0.1:8099/"));
        assert!(!http.contains("List-Unsubscribe-Post"), "{http}");
    }
}
