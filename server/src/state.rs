//! What every handler shares: the store, the policies and the services.

use std::sync::Arc;
use std::time::Duration;

use crate::comments::Moderation;
use crate::mailer::Mailer;
use crate::metrics::Metrics;
use crate::proxy::TrustedProxies;
use crate::ratelimit::RateLimit;
use crate::store::SharedStore;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// The storage engine.
    pub store: SharedStore,
    /// Moderation policy for new comments.
    pub moderation: Moderation,
    /// Bearer token of the moderation API; `None` disables it.
    pub admin_token: Option<String>,
    /// Bearer token of the publishing API; `None` disables it.
    pub publish_token: Option<String>,
    /// The sites comments are taken for (`--site`); empty: open to all.
    pub sites: crate::threads::Sites,
    /// Per-client limit on new comments.
    pub comment_limit: Arc<RateLimit>,
    /// Per-client count of wrong tokens sent to the token APIs
    /// ([`crate::extract::check_bearer`]).
    pub token_failures: Arc<RateLimit>,
    /// Proxies whose `X-Forwarded-For` entries are believed.
    pub trusted_proxies: TrustedProxies,
    /// SMTP sender for "send to a friend"; `None` disables it.
    pub mailer: Option<Arc<Mailer>>,
    /// Who hears of waiting comments by e-mail, if anyone.
    pub notify: Option<Arc<crate::notify::settings::ModeratorMail>>,
    /// Per-client limit on e-mails sent.
    pub send_limit: Arc<RateLimit>,
    /// Send-to-a-friend requests already sent, by key and content: one
    /// event an hour each (see `routes::send`).
    pub sent_once: Arc<RateLimit>,
    /// Reply-notification confirmations per address, and per client.
    pub reply_confirm_limit: Arc<RateLimit>,
    /// The site's name, in feeds, e-mails and printouts.
    pub site_name: String,
    /// Public origin of this server (`https://news.example`), used to make
    /// root-relative image URLs absolute; `None`: taken from the request.
    pub public_url: Option<String>,
    /// Where links in mail to readers point when there is no `public_url`:
    /// the address `serve` listens on, set once it is bound (unless that is
    /// every interface, `0.0.0.0`, which no reader can open). Never the
    /// request's `Host`, which whoever sends the request chooses (a comment
    /// or a "send to a friend" with someone else's address would mail them
    /// a link to any site).
    pub mail_url: Option<String>,
    /// Time a request body may take to arrive completely (`408` after).
    pub body_timeout: Duration,
    /// Requests, latencies and failures, for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Bearer token of `/metrics` on the main listener; `None`: not there.
    pub metrics_token: Option<String>,
    /// Seconds a CDN may serve API reads without asking (`s-maxage`); 0:
    /// `no-cache`.
    pub cdn_max_age: u32,
    /// Policies of the moderation web UI (`/admin`).
    pub admin: crate::admin::common::AdminSettings,
    /// This instance's `--webhook` URLs, recorded in the shared list while
    /// it runs (`crate::webhooks::worker::renew`); empty without.
    pub webhook_urls: Vec<String>,
    /// How long a mail job's run goes on sending before it leaves the rest
    /// to the next run: well inside the job's claim, so that another
    /// instance never starts the same mail while this one still sends.
    pub mail_run_budget: Duration,
    /// How long a reply confirmation that may not have left waits before
    /// it is tried again; doubled after each try.
    pub reply_confirm_retry: Duration,
    /// How long after a reply's publication its notice may still be
    /// mailed: older, it is news no more (an instance that could not mail
    /// for days must not send a backlog when its mail settings return).
    pub reply_notice_max_age: Duration,
    /// What this instance's moderator mail has seen of the waiting
    /// comments (see `crate::notify`): a comment rests from then, whatever
    /// clock stamped its time.
    pub notify_seen: Arc<std::sync::Mutex<crate::notify::sightings::Sightings>>,
    /// Where in the list of moderators this process's next mail run
    /// starts: one further each run.
    pub notify_turn: Arc<std::sync::atomic::AtomicUsize>,
    /// This instance's jobs, syncs and deliveries: stopped and waited for
    /// on shutdown.
    pub background: crate::background::Background,
}

/// How long a mail job's run sends before it stops for the next run
/// ([`AppState::mail_run_budget`]): a backlog after a mail server's outage
/// (hundreds of messages) would otherwise outlast the job's claim (5
/// minutes, `crate::jobs`), and another instance would claim the job and
/// send the same messages again.
pub const MAIL_RUN_BUDGET: Duration = Duration::from_secs(120);

impl AppState {
    /// Where links in mail point: `public_url`, else `mail_url`; `None`
    /// when neither is known, and then no mail links to this server.
    pub fn mail_base(&self) -> Option<&str> {
        self.public_url.as_deref().or(self.mail_url.as_deref())
    }

    /// Whether readers may ask to hear of replies: mail can leave, and its
    /// links have an address to point at.
    pub fn reply_notifications(&self) -> bool {
        self.mailer.is_some() && self.mail_base().is_some()
    }

    /// State with the defaults of the command line: pre-moderation, no
    /// admin API, 5 comments per minute per client, no trusted proxy.
    pub fn new(store: SharedStore) -> AppState {
        AppState {
            store,
            moderation: Moderation::Pre,
            admin_token: None,
            publish_token: None,
            sites: crate::threads::Sites::default(),
            comment_limit: Arc::new(RateLimit::new(5, Duration::from_secs(60))),
            token_failures: Arc::new(RateLimit::new(
                crate::ratelimit::TOKEN_FAILURES,
                crate::ratelimit::TOKEN_WINDOW,
            )),
            trusted_proxies: TrustedProxies::none(),
            mailer: None,
            notify: None,
            send_limit: Arc::new(RateLimit::new(5, Duration::from_secs(600))),
            sent_once: Arc::new(RateLimit::new(1, Duration::from_secs(3600))),
            reply_confirm_limit: Arc::new(RateLimit::new(3, Duration::from_secs(3600))),
            site_name: "Khabar".to_owned(),
            public_url: None,
            mail_url: None,
            body_timeout: Duration::from_secs(15),
            metrics: Arc::new(Metrics::default()),
            metrics_token: None,
            cdn_max_age: 0,
            admin: crate::admin::common::AdminSettings::default(),
            webhook_urls: Vec::new(),
            mail_run_budget: MAIL_RUN_BUDGET,
            reply_confirm_retry: Duration::from_secs(60),
            reply_notice_max_age: Duration::from_secs(3 * 24 * 3600),
            notify_seen: Arc::default(),
            notify_turn: Arc::default(),
            background: crate::background::Background::default(),
        }
    }
}
