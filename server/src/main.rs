//! Command line of khabar-server: `serve` (the default), `import` and
//! `comments` (moderation from the shell).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand, ValueEnum};
use khabar_server::app::{serve, Assets};
use khabar_server::comments::Moderation;
use khabar_server::import;
use khabar_server::mailer::Mailer;
use khabar_server::proxy::TrustedProxies;
use khabar_server::ratelimit::RateLimit;
use khabar_server::state::AppState;
use khabar_server::store::{engine, Act, SharedStore, Status, Store};
use khabar_server::sync;
use khabar_server::transport::ConnLimits;
use khabar_server::webhooks;

/// The reference backend of the Khabar news widget.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Where everything is stored: an SQLite file (created and migrated
    /// when missing; the zero-setup default) or a PostgreSQL URL,
    /// postgres://user:password@host:5432/khabar (migrated at start-up).
    #[arg(
        long,
        env = "KHABAR_DB",
        default_value = "data/khabar.sqlite3",
        global = true,
        hide_env_values = true
    )]
    db: String,
    /// The password of a PostgreSQL URL that names none (better in the
    /// environment than on the command line, where `ps` shows it).
    #[arg(
        long = "db-password",
        env = "KHABAR_DB_PASSWORD",
        global = true,
        hide_env_values = true
    )]
    db_password: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API, the demo pages and the widget (the default).
    // Boxed: the other commands are tiny next to it.
    Serve(Box<ServeArgs>),
    /// Upsert articles from a JSON file in the API's shape.
    Import {
        /// A file holding one article, a list, or {"items": [...]}.
        file: PathBuf,
    },
    /// Copy everything from one database into a new, empty one (SQLite to
    /// PostgreSQL or back) and verify the copy with counts and a checksum.
    Migrate {
        /// The database to copy: an SQLite path or a postgres:// URL.
        #[arg(long)]
        from: String,
        /// The new database: an SQLite path or a postgres:// URL.
        #[arg(long)]
        to: String,
    },
    /// Exit 0 when a running server answers /healthz (for Docker's
    /// HEALTHCHECK and monitoring scripts), 1 otherwise.
    Healthcheck {
        /// The health endpoint.
        #[arg(
            long,
            env = "KHABAR_HEALTH_URL",
            default_value = "http://127.0.0.1:8080/healthz"
        )]
        url: String,
    },
    /// Copy the SQLite database into a new file, consistently, while the
    /// server runs (PostgreSQL: use pg_dump, see docs/operations.md).
    Backup {
        /// The file to write; it must not exist.
        dest: PathBuf,
    },
    /// Pull articles once from a WordPress site (…/wp-json/wp/v2/posts),
    /// a JSON Feed, or an RSS or Atom feed; `serve --source` does it
    /// periodically.
    Sync {
        /// The source's URL.
        source_url: String,
        #[command(flatten)]
        source: SourceArgs,
    },
    /// Moderate comments: list pending ones, approve, reject or delete.
    Comments {
        #[command(subcommand)]
        action: CommentAction,
    },
    /// Moderator accounts of the web UI at /admin.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
}

#[derive(Subcommand)]
enum AdminAction {
    /// Add a moderator, or set a new password for one. The password is
    /// read from KHABAR_ADMIN_PASSWORD or else from standard input (never
    /// from the command line, where other users could see it).
    Add {
        /// Sign-in name: 1-64 of a-z, A-Z, 0-9, '.', '_', '-'.
        name: String,
    },
    /// Remove a moderator: the account goes and its sessions end at once,
    /// on every instance. The audit log keeps what it did, under its name.
    Remove {
        /// Sign-in name.
        name: String,
    },
    /// List the moderators' sign-in names.
    List,
    /// Lift the lock put on an account after repeated failed sign-ins.
    Unlock {
        /// Sign-in name.
        name: String,
    },
    /// Make a new key for the approve and reject links in moderators'
    /// e-mail, when a message may have been read by someone it was not
    /// for: every link mailed before is refused from then on, by every
    /// running server, and its comment waits in the queue.
    RotateLinkKey {
        /// The name the audit log records.
        #[arg(long, default_value = "cli")]
        by: String,
    },
}

#[derive(Subcommand)]
enum CommentAction {
    /// List comments waiting for moderation.
    Pending,
    /// Publish a comment.
    Approve {
        /// Comment id.
        id: i64,
        /// The name the audit log records.
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// Reject a comment (kept, never shown).
    Reject {
        /// Comment id.
        id: i64,
        /// The name the audit log records.
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// Delete a comment and its replies.
    Delete {
        /// Comment id.
        id: i64,
        /// The name the audit log records.
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// Print stored comments as JSON (every state, e-mail addresses
    /// included): all, one article's, or one reader's (a data request).
    Export {
        /// Only this article's comments.
        #[arg(long)]
        article: Option<String>,
        /// Only the comments left with this e-mail address.
        #[arg(long)]
        email: Option<String>,
    },
    /// Bring comments over from Disqus, WordPress (WXR) or Isso: threads,
    /// replies, authors, times and published/pending state, matched to
    /// articles by URL (Isso: by path). Running it again adds nothing twice.
    Import {
        /// The system the file comes from.
        #[arg(long, value_enum)]
        from: ImportFrom,
        /// The Disqus or WXR export (.xml), or Isso's database file.
        file: PathBuf,
        /// The site(s) the comments are for, as for `serve`: pages under
        /// them without an article get a thread (Isso paths go under the
        /// first); comments of other unknown pages are skipped.
        #[arg(long = "site", env = "KHABAR_SITES", value_delimiter = ',')]
        sites: Vec<String>,
        /// Language of the threads created for such pages.
        #[arg(long, default_value = "ar")]
        lang: String,
        /// Read the file and count what would be imported; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Name every unknown page and every error in the summary, not
        /// the first five.
        #[arg(long)]
        all: bool,
    },
    /// Block an author: their new comments wait for a moderator, even
    /// under post-moderation (recorded in the audit log).
    Block(BlockTarget),
    /// Lift a block.
    Unblock(BlockTarget),
    /// List the blocked authors.
    Blocks,
    /// Delete every comment left with an e-mail address, and the replies
    /// to them (a reader's erasure request).
    Forget {
        /// The reader's address (compared without case).
        #[arg(long)]
        email: String,
        /// The name the audit log records (the address is not recorded).
        #[arg(long, default_value = "cli")]
        by: String,
    },
}

/// Whom `comments block` and `unblock` are about: exactly one of an
/// address or a client HMAC.
#[derive(Args)]
#[group(skip)]
#[command(group(clap::ArgGroup::new("who").required(true).args(["email", "client"])))]
struct BlockTarget {
    /// An e-mail address (compared without case, on the whole address).
    #[arg(long)]
    email: Option<String>,
    /// A client address's HMAC, the 64 hexadecimal digits the moderation
    /// pages show in full on hover and on the blocks page.
    #[arg(long)]
    client: Option<String>,
    /// The name the audit log records.
    #[arg(long, default_value = "cli")]
    by: String,
}

impl BlockTarget {
    fn kind_value(&self) -> (khabar_server::store::BlockKind, &str) {
        use khabar_server::store::BlockKind;
        match (&self.email, &self.client) {
            (Some(e), _) => (BlockKind::Email, e),
            (None, Some(c)) => (BlockKind::Client, c),
            // clap requires one of them.
            (None, None) => (BlockKind::Email, ""),
        }
    }
}

/// Systems comments can be imported from.
#[derive(Clone, Copy, ValueEnum)]
enum ImportFrom {
    /// A Disqus export (XML).
    Disqus,
    /// A WordPress export (WXR).
    Wordpress,
    /// An Isso database (SQLite).
    Isso,
}

/// Kinds of article sources.
#[derive(Clone, Copy, ValueEnum)]
enum SourceKindArg {
    /// A WordPress site's REST API, …/wp-json/wp/v2/posts.
    Wordpress,
    /// A JSON Feed.
    Jsonfeed,
    /// An RSS or Atom feed.
    Rss,
}

/// How to read article sources (`sync`, `serve --source`).
#[derive(Args, Clone)]
struct SourceArgs {
    /// The kind of the source(s); default: detected from the URL
    /// (…/wp-json/wp/v2/posts) or from the answer.
    #[arg(long, env = "KHABAR_SOURCE_KIND", value_enum)]
    source_kind: Option<SourceKindArg>,
    /// Language of the articles (BCP 47, e.g. ar) for every source, or
    /// URL=LANG for one source (repeatable; a comma before http:// or
    /// https:// starts another); default: what the source says, else ar.
    #[arg(long, env = "KHABAR_SOURCE_LANG")]
    source_lang: Vec<String>,
}

impl SourceArgs {
    /// The sources at `urls` (blank ones skipped), with their kind and
    /// language.
    fn sources<'a>(
        &self,
        urls: impl IntoIterator<Item = &'a String>,
    ) -> anyhow::Result<Vec<sync::Source>> {
        let mut sources = Vec::new();
        for url in urls.into_iter().filter(|u| !u.trim().is_empty()) {
            let mut source = sync::Source::new(url.as_str());
            sync::source_url(&source.url)?;
            source.kind = self.source_kind.map(|k| match k {
                SourceKindArg::Wordpress => sync::SourceKind::Wordpress,
                SourceKindArg::Jsonfeed => sync::SourceKind::JsonFeed,
                SourceKindArg::Rss => sync::SourceKind::Rss,
            });
            sources.push(source);
        }
        sync::apply_languages(&mut sources, &sync::url_list(&self.source_lang))
            .map_err(anyhow::Error::msg)?;
        Ok(sources)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

#[derive(Clone, Copy, ValueEnum)]
enum ModerationArg {
    /// New comments wait for a moderator.
    Pre,
    /// New comments appear at once.
    Post,
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "KHABAR_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Directory of the demo host pages.
    #[arg(long, env = "KHABAR_WWW", default_value = "www")]
    www: PathBuf,
    /// Directory of the built widget, served under /khabar/.
    #[arg(long, env = "KHABAR_WIDGET_DIR", default_value = "target/widget")]
    widget_dir: PathBuf,
    /// Public origin, e.g. https://news.example, for absolute image URLs
    /// (default: the Host the request came to), for links in mail
    /// (default: the address listened on, unless that is every interface)
    /// and for webhooks' articles stored with a path (default: the path).
    #[arg(long, env = "KHABAR_PUBLIC_URL", value_parser = parse_public_url)]
    public_url: Option<String>,
    /// Moderation of new comments.
    #[arg(long, env = "KHABAR_MODERATION", value_enum, default_value = "pre")]
    moderation: ModerationArg,
    /// Bearer token of the moderation API (/api/v1/admin), at least 16
    /// characters (e.g. `openssl rand -hex 32`); unset disables it.
    #[arg(long, env = "KHABAR_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Bearer token of the publishing API (PUT/DELETE
    /// /api/v1/admin/articles/{id}) for a CMS; it can publish articles and
    /// nothing else; at least 16 characters. Unset disables the API.
    #[arg(long, env = "KHABAR_PUBLISH_TOKEN", hide_env_values = true)]
    publish_token: Option<String>,
    /// The site(s) comments are taken for, e.g. https://news.example
    /// (repeatable; env comma-separated): comments by page URL are accepted
    /// for pages under them, and browsers on other origins may not write.
    /// Unset: any page may embed the widget, and comments need an article
    /// the server holds.
    #[arg(long = "site", env = "KHABAR_SITES", value_delimiter = ',')]
    sites: Vec<String>,
    /// New comments allowed per client and minute (0: no limit).
    #[arg(long, env = "KHABAR_COMMENT_RATE", default_value_t = 5)]
    comment_rate: usize,
    /// Wrong or missing tokens a client may send to each token API
    /// (moderation, publishing, metrics) in 10 minutes before its requests
    /// to that API wait (0: no count).
    #[arg(long, env = "KHABAR_TOKEN_FAILURES", default_value_t = khabar_server::ratelimit::TOKEN_FAILURES)]
    token_failures: usize,
    /// SMTP server for "send to a friend", e.g. smtp://127.0.0.1:2525 or
    /// smtps://user:pass@mail.example (unset: the feature is off).
    #[arg(long, env = "KHABAR_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// Keep every e-mail in the database instead of sending it, readable
    /// by moderators at /admin/outbox (and at /demo/outbox with --demo):
    /// mail without a mail server, for demos and trials.
    #[arg(long, env = "KHABAR_MAIL_OUTBOX", conflicts_with = "smtp_url")]
    mail_outbox: bool,
    /// E-mail these moderators about waiting comments, with signed approve
    /// and reject links (repeatable; needs --smtp-url or --mail-outbox).
    #[arg(long, env = "KHABAR_NOTIFY_MODERATORS", value_delimiter = ',')]
    notify_moderators: Vec<String>,
    /// Send one digest per period (e.g. 30m) instead of one e-mail per
    /// comment.
    #[arg(long, env = "KHABAR_NOTIFY_EVERY", value_parser = sync::parse_interval)]
    notify_every: Option<Duration>,
    /// Language of moderator e-mail: ar or en.
    #[arg(long, env = "KHABAR_NOTIFY_LANG", default_value = "ar")]
    notify_lang: String,
    /// How long the links in moderator e-mail work.
    #[arg(long, env = "KHABAR_LINK_TTL", default_value = "72h", value_parser = sync::parse_interval)]
    link_ttl: Duration,
    /// From address of those e-mails.
    #[arg(
        long,
        env = "KHABAR_MAIL_FROM",
        default_value = "Khabar <no-reply@localhost>"
    )]
    mail_from: String,
    /// E-mails a client may send per 10 minutes (0: no limit).
    #[arg(long, env = "KHABAR_SEND_RATE", default_value_t = 5)]
    send_rate: usize,
    /// The site's name, shown in feeds, e-mails and printouts.
    #[arg(long, env = "KHABAR_SITE_NAME", default_value = "Khabar")]
    site_name: String,
    /// Behind reverse proxies: their addresses or networks, comma-separated
    /// (e.g. 127.0.0.1,10.0.0.0/8). The client is then the rightmost
    /// X-Forwarded-For entry that is not one of them.
    #[arg(long, env = "KHABAR_TRUST_PROXY", num_args = 0..=1, default_missing_value = "")]
    trust_proxy: Option<String>,
    /// Demo mode: load the demo articles into an empty database and serve
    /// the demo pages (/, /en/, /gallery/) from --www. Without it the
    /// server serves the API, the feeds and the widget files only.
    #[arg(long, env = "KHABAR_DEMO")]
    demo: bool,
    /// Serve articles and first pages of comments from memory, forgotten on
    /// every write (also by the CLI or other instances).
    #[arg(long, env = "KHABAR_READ_CACHE", value_enum, default_value = "on")]
    read_cache: Switch,
    /// Seconds a CDN in front of the server may answer API reads itself
    /// (Cache-Control s-maxage, with stale-while-revalidate five times as
    /// long); 0 (default): no-cache, every read reaches the server. Needs
    /// --public-url.
    #[arg(long, env = "KHABAR_CDN_MAX_AGE", default_value_t = 0)]
    cdn_max_age: u32,
    /// Deprecated, does nothing: demo articles load only with --demo.
    #[arg(long, env = "KHABAR_NO_SEED", hide = true)]
    no_seed: bool,
    /// Serve /metrics (Prometheus) on this separate address, e.g.
    /// 127.0.0.1:9090, for the monitoring system only.
    #[arg(long, env = "KHABAR_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// Or serve /metrics on the main address behind this bearer token.
    #[arg(long, env = "KHABAR_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Seconds a client has to send a request's line and headers; slower
    /// clients (slowloris) are disconnected. Also the idle keep-alive time.
    #[arg(long, env = "KHABAR_HEADER_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_timeout_secs: u64,
    /// Seconds a client has to send a request's whole body once its headers
    /// arrived; slower uploads get 408.
    #[arg(long, env = "KHABAR_BODY_TIMEOUT_SECS", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    body_timeout_secs: u64,
    /// Pull articles from this source every --sync-every: a WordPress
    /// …/wp-json/wp/v2/posts URL, a JSON Feed, RSS or Atom (repeatable; a
    /// comma before http:// or https:// starts another URL, so the
    /// variable takes a list and a URL keeps its own commas).
    #[arg(long = "source", env = "KHABAR_SOURCES")]
    sources: Vec<String>,
    /// How often to sync each --source, e.g. 30s, 10m, 1h (after failures:
    /// up to 8 times as long).
    #[arg(long, env = "KHABAR_SYNC_EVERY", default_value = "15m",
          value_parser = sync::parse_interval)]
    sync_every: Duration,
    #[command(flatten)]
    source: SourceArgs,
    /// POST comment events (comment.created, comment.published,
    /// comment.rejected, comment.deleted) as signed JSON to this http(s) URL (repeatable;
    /// a comma before http:// or https:// starts another, as in the
    /// variable's list). Needs a secret:
    /// --webhook-secret-file or KHABAR_WEBHOOK_SECRET.
    #[arg(long = "webhook", env = "KHABAR_WEBHOOKS")]
    webhooks: Vec<String>,
    /// A file holding the webhooks' signing secret (at least 16 bytes; a
    /// final line break is ignored). Or put the secret itself in the
    /// variable KHABAR_WEBHOOK_SECRET, never on the command line.
    #[arg(long, env = "KHABAR_WEBHOOK_SECRET_FILE")]
    webhook_secret_file: Option<PathBuf>,
    /// Wait before retrying a failed webhook delivery, e.g. 30s, 1m; each
    /// next retry waits twice as long (--webhook-attempts, then it is
    /// failed).
    #[arg(long, env = "KHABAR_WEBHOOK_RETRY", default_value = "30s",
          value_parser = sync::parse_interval)]
    webhook_retry: Duration,
    /// Attempts of a webhook delivery before it is marked failed (shown in
    /// /admin/webhooks with a "retry now" button).
    #[arg(long, env = "KHABAR_WEBHOOK_ATTEMPTS", default_value_t = 8,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    webhook_attempts: u32,
    /// Time a webhook receiver has to answer one attempt, e.g. 10s.
    #[arg(long, env = "KHABAR_WEBHOOK_TIMEOUT", default_value = "10s",
          value_parser = sync::parse_interval)]
    webhook_timeout: Duration,
}

/// The webhook settings of `serve`, checked (URLs, secret) before the
/// server starts; `None` without `--webhook`.
fn webhook_settings(args: &ServeArgs) -> anyhow::Result<Option<webhooks::settings::Settings>> {
    use webhooks::settings::{check_url, read_secret, Settings, SECRET_ENV};
    let urls = sync::url_list(&args.webhooks)
        .iter()
        .map(|u| check_url(u))
        .collect::<Result<Vec<_>, _>>()?;
    if urls.is_empty() {
        return Ok(None);
    }
    let secret = read_secret(
        args.webhook_secret_file.as_deref(),
        std::env::var(SECRET_ENV).ok(),
    )?;
    let mut settings = Settings::new(urls, secret);
    settings.retry_base = args.webhook_retry;
    settings.max_attempts = args.webhook_attempts;
    settings.timeout = args.webhook_timeout;
    Ok(Some(settings))
}

/// `--admin-token`, `--publish-token`, `--metrics-token` (`flag`): at least 16 characters,
/// none of them spaces (a systemd EnvironmentFile keeps a `# comment` in
/// the value); empty means unset. Either grants approving, deleting or
/// publishing everything, and the API answers every guess: a short one
/// would be guessed. The error never shows the value (clap's would).
fn checked_token(flag: &str, value: Option<String>) -> anyhow::Result<Option<String>> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        bail!("{flag}: the token has spaces or control characters (a comment after it?)");
    }
    if value.chars().count() < 16 {
        bail!(
            "{flag}: the token is shorter than 16 characters; make one with `openssl rand -hex 32`"
        );
    }
    Ok(Some(value))
}

/// `--public-url`: an http(s) URL (a path when the server sits under one),
/// without its trailing slash; empty means unset. Every link the server
/// builds starts with it, so a malformed one stops the start.
fn parse_public_url(value: &str) -> Result<String, String> {
    let value = value.trim().trim_end_matches('/');
    if value.is_empty() {
        return Ok(String::new());
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "a URL has no spaces (a systemd EnvironmentFile takes no comment after a value: \
             put it on a line of its own)"
                .into(),
        );
    }
    let url = url::Url::parse(value).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("an http:// or https:// address, e.g. https://comments.news.example".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("an address without ? or #".into());
    }
    // As parsed: a host in letters outside ASCII in its punycode, a path's
    // letters escaped. Links go into mail headers (`List-Unsubscribe`),
    // which take ASCII alone.
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// `--db` for messages: without a password ([`engine::redacted`]).
fn shown(db: &str) -> String {
    engine::redacted(db)
}

fn default_serve() -> ServeArgs {
    // Parsing no arguments applies the same defaults and env vars as `serve`.
    #[derive(Parser)]
    struct Only {
        #[command(flatten)]
        args: ServeArgs,
    }
    Only::parse_from(["khabar-server"]).args
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "khabar_server=info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let command = cli
        .command
        .unwrap_or_else(|| Command::Serve(Box::new(default_serve())));
    // Tools that read or change what a running server holds: on an SQLite
    // file that is not there they would make an empty database beside the
    // server's (whose KHABAR_DB is often set only in its service's
    // environment) and report success on it.
    let acts_on_existing = match &command {
        // An import with --site may be a new site's first step, as
        // `import` is (its pages get threads); without, it only matches
        // articles, which a new database does not have.
        // A dry run writes nothing, a new file least of all.
        Command::Comments {
            action: CommentAction::Import { sites, dry_run, .. },
        } => sites.is_empty() || *dry_run,
        Command::Comments { .. } => true,
        Command::Admin { .. } | Command::Backup { .. } => true,
        _ => false,
    };
    if acts_on_existing
        && !engine::is_postgres_url(&cli.db)
        && !std::path::Path::new(&cli.db).exists()
    {
        anyhow::bail!(
            "no database at {}: name the server's with --db or KHABAR_DB \
             (a service may set it only in its own environment, such as \
             /etc/khabar/khabar.env)",
            shown(&cli.db)
        );
    }
    if let Command::Comments {
        action: CommentAction::Import { dry_run: true, .. },
    } = &command
    {
        dry_run_leaves_schema(&cli.db)?;
    }
    match &command {
        Command::Migrate { from, to } => {
            return migrate(from, to, cli.db_password.as_deref()).await
        }
        Command::Healthcheck { url } => return healthcheck(url).await,
        Command::Backup { dest } => return backup(&cli.db, dest).await,
        _ => {}
    }
    let new_file = !engine::is_postgres_url(&cli.db) && !std::path::Path::new(&cli.db).exists();
    let store: SharedStore = engine::open_with_password(&cli.db, cli.db_password.as_deref())
        .await
        .with_context(|| format!("opening {}", shown(&cli.db)))?;
    match command {
        Command::Migrate { .. } | Command::Healthcheck { .. } | Command::Backup { .. } => Ok(()),
        Command::Import { file } => {
            let json = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let n = import::import_json(store.as_ref(), &json)
                .await
                .with_context(|| format!("importing {}", file.display()))?;
            println!("imported {n} article(s) into {}", shown(&cli.db));
            Ok(())
        }
        Command::Comments { action } => {
            let importing = matches!(action, CommentAction::Import { .. });
            moderate(store.as_ref(), action).await?;
            // Which database it went to: KHABAR_DB is often set only in
            // the server's service, and a shell without it names another.
            if importing {
                let new = if new_file { " (a new file)" } else { "" };
                println!("database: {}{new}", shown(&cli.db));
            }
            Ok(())
        }
        Command::Sync { source_url, source } => {
            let source = source
                .sources([&source_url])?
                .pop()
                .context("the source URL is empty")?;
            let client = sync::SyncClient::new(sync::Limits::default())?;
            let report = khabar_server::jobs::sync_by_hand(store.as_ref(), &client, &source)
                .await
                .with_context(|| format!("syncing {}", source.url))?;
            let Some(report) = report else {
                // Not a failure, yet not a sync: a script that runs this
                // after an edit must not take it for one. 75 is
                // sysexits' EX_TEMPFAIL, "try again later".
                eprintln!(
                    "{}: an instance is syncing this source, or synced it within its \
                     --sync-every and syncs it on its own; nothing done",
                    source.url
                );
                drop(store);
                std::process::exit(75);
            };
            println!("synced {}: {report}", source.url);
            Ok(())
        }
        Command::Admin { action } => admin(store.as_ref(), action).await,
        Command::Serve(args) => {
            // A CDN's copy is shared by every reader; its links must not
            // follow the Host and X-Forwarded-Proto of whichever request
            // filled it.
            if args.cdn_max_age > 0 && args.public_url.as_deref().is_none_or(str::is_empty) {
                bail!(
                    "--cdn-max-age needs --public-url (e.g. --public-url https://news.example): \
                     answers a CDN keeps for every reader must not take their links from \
                     one request's Host and X-Forwarded-Proto"
                );
            }
            let webhook_settings = webhook_settings(&args)?;
            let trusted_proxies = match args.trust_proxy.as_deref() {
                None => TrustedProxies::none(),
                Some(list) => list.parse::<TrustedProxies>()?,
            };
            if args.no_seed {
                tracing::warn!(
                    "--no-seed is deprecated and does nothing: demo articles load only with --demo"
                );
            }
            if args.demo {
                let n = import::seed_if_empty(store.as_ref())
                    .await
                    .context("loading demo articles")?;
                if n > 0 {
                    tracing::info!("loaded {n} demo articles into an empty database");
                }
            }
            let store: SharedStore = if args.read_cache == Switch::On {
                Arc::new(
                    khabar_server::store::cached::CachedStore::new(store)
                        .await
                        .context("starting the read cache")?,
                )
            } else {
                store
            };
            let has_mailer =
                args.smtp_url.as_deref().is_some_and(|u| !u.is_empty()) || args.mail_outbox;
            let notify = moderator_mail(&args, has_mailer)?.map(Arc::new);
            let assets = Assets {
                www: args.demo.then_some(args.www),
                widget: args.widget_dir,
            };
            let metrics = Arc::new(khabar_server::metrics::Metrics::default());
            let state = AppState {
                notify,
                moderation: match args.moderation {
                    ModerationArg::Pre => Moderation::Pre,
                    ModerationArg::Post => Moderation::Post,
                },
                admin_token: checked_token("--admin-token", args.admin_token)?,
                publish_token: checked_token("--publish-token", args.publish_token)?,
                sites: khabar_server::threads::Sites::parse(&args.sites).context("--site")?,
                comment_limit: Arc::new(RateLimit::new(args.comment_rate, Duration::from_secs(60))),
                token_failures: Arc::new(RateLimit::new(
                    args.token_failures,
                    khabar_server::ratelimit::TOKEN_WINDOW,
                )),
                trusted_proxies,
                mailer: match &args.smtp_url {
                    Some(url) if !url.is_empty() => Some(Arc::new(
                        Mailer::new(url, &args.mail_from)
                            .context("--smtp-url / --mail-from")?
                            .counting_failures_in(metrics.mail_failures.clone()),
                    )),
                    _ if args.mail_outbox => Some(Arc::new(
                        Mailer::outbox(store.clone(), &args.mail_from)
                            .context("--mail-from")?
                            .counting_failures_in(metrics.mail_failures.clone()),
                    )),
                    _ => None,
                },
                metrics,
                send_limit: Arc::new(RateLimit::new(args.send_rate, Duration::from_secs(600))),
                site_name: args.site_name.clone(),
                public_url: args.public_url.filter(|u| !u.is_empty()),
                body_timeout: Duration::from_secs(args.body_timeout_secs),
                metrics_token: checked_token("--metrics-token", args.metrics_token)?,
                cdn_max_age: args.cdn_max_age,
                webhook_urls: webhook_settings
                    .as_ref()
                    .map(|s| s.urls.clone())
                    .unwrap_or_default(),
                ..AppState::new(store)
            };
            let sources = args
                .source
                .sources(&sync::url_list(&args.sources))
                .context("--source")?;
            if !sources.is_empty() {
                let client = sync::SyncClient::new(sync::Limits::default())?;
                khabar_server::jobs::spawn_syncs(state.clone(), client, sources, args.sync_every);
            }
            // Without --webhook this instance sends none, and leaves the
            // other instances' URLs in the shared list (its jobs forget
            // those no running instance has any more).
            if let Some(settings) = webhook_settings {
                let n = settings.urls.len();
                webhooks::worker::start(&state, settings)
                    .await
                    .context("starting webhooks")?;
                tracing::info!("delivering comment events to {n} webhook URL(s)");
            }
            let limits = ConnLimits {
                header_timeout: Duration::from_secs(args.header_timeout_secs),
            };
            serve(args.listen, args.metrics_listen, state, assets, limits).await
        }
    }
}

async fn healthcheck(url: &str) -> anyhow::Result<()> {
    let uri: hyper::Uri = url.parse().context("--url")?;
    let host = uri.host().context("--url has no host")?.to_owned();
    let port = uri.port_u16().unwrap_or(80);
    // An IPv6 address comes in brackets (`[::1]`), which only the URL and
    // the Host header write.
    let address = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let ask = async {
        let stream = tokio::net::TcpStream::connect((address.as_str(), port)).await?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        let req = hyper::Request::get(uri.path())
            .header(hyper::header::HOST, format!("{host}:{port}"))
            .body(String::new())?;
        anyhow::Ok(sender.send_request(req).await?.status())
    };
    match tokio::time::timeout(Duration::from_secs(5), ask).await {
        Ok(Ok(status)) if status.is_success() => {
            println!("healthy ({status})");
            Ok(())
        }
        Ok(Ok(status)) => bail!("unhealthy: {url} answered {status}"),
        Ok(Err(e)) => bail!("unhealthy: {url}: {e}"),
        Err(_) => bail!("unhealthy: {url} did not answer within 5 s"),
    }
}

async fn backup(db: &str, dest: &std::path::Path) -> anyhow::Result<()> {
    if khabar_server::store::engine::is_postgres_url(db) {
        bail!("backup copies an SQLite file; for PostgreSQL use pg_dump (docs/operations.md)");
    }
    if dest.exists() {
        bail!("{} exists; back up into a new file", dest.display());
    }
    let source = std::path::Path::new(db);
    if !source.exists() {
        bail!("no database at {}", shown(db));
    }
    // As it is: never migrated by this binary (a backup taken before an
    // upgrade must keep the schema the running server knows).
    let (theirs, ours) = khabar_server::store::sqlite::SqliteStore::backup_file(source, dest)
        .with_context(|| format!("backing up {db} into {}", dest.display()))?;
    println!(
        "backed up {db} into {} (schema version {theirs})",
        dest.display()
    );
    if theirs < ours {
        println!(
            "this binary's schema is version {ours}: the server it upgrades the database to \
             when it starts; the backup keeps version {theirs} for the server running now"
        );
    }
    Ok(())
}

async fn migrate(from: &str, to: &str, password: Option<&str>) -> anyhow::Result<()> {
    // Opened, a missing file would be a new, empty database, copied as
    // the site's (a data volume not mounted, a mistyped path).
    if !engine::is_postgres_url(from) && !std::path::Path::new(from).exists() {
        bail!(
            "no database at {}: name the server's SQLite file with --from",
            shown(from)
        );
    }
    let source = engine::open_with_password(from, password)
        .await
        .with_context(|| format!("opening {}", shown(from)))?;
    let target = engine::open_with_password(to, password)
        .await
        .with_context(|| format!("opening {}", shown(to)))?;
    let report = khabar_server::store::migrate::copy(&source, &target)
        .await
        .with_context(|| format!("copying {} into {}", shown(from), shown(to)))?;
    println!(
        "articles: {} in {}, {} in {}",
        report.articles.0,
        shown(from),
        report.articles.1,
        shown(to)
    );
    println!(
        "comments: {} in {}, {} in {}",
        report.comments.0,
        shown(from),
        report.comments.1,
        shown(to)
    );
    println!(
        "checksum: {} (source)\n          {} (target)",
        report.checksums.0, report.checksums.1
    );
    if !report.verified() {
        bail!(
            "the copy differs from the source; keep using {}",
            shown(from)
        );
    }
    println!("verified: the target holds exactly what the source does");
    Ok(())
}

async fn moderate(store: &dyn Store, action: CommentAction) -> anyhow::Result<()> {
    let (id, (status, by)) = match action {
        CommentAction::Export { article, email } => {
            // Read by the database, not the whole of it (a reader's request
            // on a store of millions of comments).
            let email = email.map(|e| e.trim().to_owned());
            let comments = store.export_comments(article, email).await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "comments": comments }))?
            );
            return Ok(());
        }
        CommentAction::Import {
            from,
            file,
            sites,
            lang,
            dry_run,
            all,
        } => return import_comments(store, from, &file, &sites, lang, dry_run, all).await,
        CommentAction::Block(target) => {
            let (kind, raw) = target.kind_value();
            let value = khabar_server::blocks::normalize(kind, raw)
                .with_context(|| format!("--{} {raw:?}", kind.as_str()))?;
            let added = khabar_server::blocks::block(store, kind, &value, &target.by, None).await?;
            let said = if added { "blocked" } else { "already blocked:" };
            println!("{said} {} {value}", kind.as_str());
            return Ok(());
        }
        CommentAction::Unblock(target) => {
            let (kind, raw) = target.kind_value();
            let value = khabar_server::blocks::normalize(kind, raw)
                .with_context(|| format!("--{} {raw:?}", kind.as_str()))?;
            if !khabar_server::blocks::unblock(store, kind, &value, &target.by).await? {
                bail!("{} {value} is not blocked", kind.as_str());
            }
            println!("unblocked {} {value}", kind.as_str());
            return Ok(());
        }
        CommentAction::Blocks => {
            // Every block, read a page at a time.
            use khabar_server::store::Keyset;
            let mut at = Keyset::Newest;
            loop {
                let blocks = store.blocks(500, at).await?;
                let Some(last) = blocks.last() else { break };
                at = Keyset::Before(last.id);
                for b in &blocks {
                    println!(
                        "{}  {}  by {} at {}",
                        b.kind.as_str(),
                        b.value,
                        b.moderator,
                        b.at
                    );
                }
            }
            // Still at the start: not one page had a block.
            if at == Keyset::Newest {
                println!("nobody is blocked");
            }
            return Ok(());
        }
        CommentAction::Forget { email, by } => {
            // The erasure is a moderator's act like a delete, recorded with
            // it, without what it erased: the address stays out of the log.
            let line = khabar_server::audit::line(&by, "forget");
            let n = store.forget_email(email.trim(), Some(line)).await?;
            println!("deleted {n} comment(s) left with {}", email.trim());
            return Ok(());
        }
        CommentAction::Pending => {
            let items = store.pending_comments(500).await?;
            if items.is_empty() {
                println!("no comments waiting for moderation");
            }
            for c in items {
                let body: String = c.comment.body.chars().take(120).collect();
                println!(
                    "#{}  {}  on {}  by {}{}\n    {}",
                    c.comment.id,
                    c.comment.created_at,
                    c.article_id,
                    c.comment.author,
                    c.email.map(|e| format!(" <{e}>")).unwrap_or_default(),
                    body.replace('\n', "\n    ")
                );
            }
            return Ok(());
        }
        CommentAction::Approve { id, by } => (id, (Status::Published, by)),
        CommentAction::Reject { id, by } => (id, (Status::Rejected, by)),
        CommentAction::Delete { id, by } => {
            let line = khabar_server::audit::line(&by, "delete");
            let Some(done) = store
                .moderate(id, Act::Delete { only_if: None }, line)
                .await?
            else {
                bail!("no comment #{id}");
            };
            match khabar_server::store::deletion_detail(done.replies) {
                Some(detail) => println!("deleted comment #{id} {detail}"),
                None => println!("deleted comment #{id}"),
            }
            return Ok(());
        }
    };
    let (act, line) = khabar_server::audit::decision(&by, status);
    if store.moderate(id, act, line).await?.is_none() {
        if store.comment(id).await?.is_none() {
            bail!("no comment #{id}");
        }
        println!("comment #{id} was already {}", status.as_str());
        return Ok(());
    }
    println!("comment #{id} is now {}", status.as_str());
    Ok(())
}

/// A dry run writes nothing, yet opening the database migrates it: an
/// SQLite file whose schema is older than this binary's (a newer binary
/// tried before the server is upgraded) is refused instead. A PostgreSQL
/// database is migrated as it is opened (see docs/moderation.md).
fn dry_run_leaves_schema(db: &str) -> anyhow::Result<()> {
    if engine::is_postgres_url(db) {
        return Ok(());
    }
    let (version, ours) =
        khabar_server::store::sqlite::SqliteStore::schema_versions(std::path::Path::new(db))
            .with_context(|| format!("reading {}", shown(db)))?;
    if version < ours {
        bail!(
            "{} has schema version {version}, older than this binary's {ours}: opening it \
             would migrate it, and a dry run writes nothing. Run the dry run with the \
             binary the server runs, or upgrade the server first",
            shown(db)
        );
    }
    Ok(())
}

async fn import_comments(
    store: &dyn Store,
    from: ImportFrom,
    file: &std::path::Path,
    sites: &[String],
    lang: String,
    dry_run: bool,
    all: bool,
) -> anyhow::Result<()> {
    use khabar_server::comment_import::{self, System};
    if lang.is_empty()
        || lang.len() > 35
        || !lang.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        bail!("--lang {lang:?} is not a language tag such as ar or en");
    }
    let options = comment_import::Options {
        sites: khabar_server::threads::Sites::parse(sites).context("--site")?,
        lang,
        dry_run,
    };
    let system = match from {
        ImportFrom::Disqus => System::Disqus,
        ImportFrom::Wordpress => System::Wordpress,
        ImportFrom::Isso => System::Isso,
    };
    // Isso numbers comments per site and its database does not name the
    // site: the first --site does, in every key. Without one, a later run
    // with a site would import everything again.
    if system == System::Isso && options.sites.first_origin().is_none() {
        bail!(
            "an Isso database does not name its site: give the site Isso served \
             with --site https://… (the same first --site on every run)"
        );
    }
    // The whole file is read and checked before anything is written.
    let threads = comment_import::read(system, file)?;
    let summary = comment_import::import(store, system, threads, &options)
        .await
        .with_context(|| format!("importing {}", file.display()))?;
    if all {
        println!("{}", summary.listing_all());
    } else {
        println!("{summary}");
    }
    Ok(())
}

/// The password of `admin add`: KHABAR_ADMIN_PASSWORD, else a prompt on a
/// terminal (not echoed), else the first line of standard input.
fn read_password() -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};
    if let Ok(p) = std::env::var("KHABAR_ADMIN_PASSWORD") {
        if !p.is_empty() {
            return Ok(p);
        }
    }
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password("Password: ").context("reading the password");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

async fn admin(store: &dyn Store, action: AdminAction) -> anyhow::Result<()> {
    match action {
        AdminAction::Add { name } => {
            let password = read_password()?;
            let added = khabar_server::admin::auth::add_moderator(store, &name, &password).await?;
            if added {
                println!("added moderator {name}");
            } else {
                println!("set a new password for moderator {name}");
            }
        }
        AdminAction::Remove { name } => {
            if !khabar_server::admin::auth::remove_moderator(store, &name).await? {
                bail!("no moderator is called {name}");
            }
            println!("removed moderator {name}");
        }
        AdminAction::List => {
            for name in store.moderator_names().await? {
                println!("{name}");
            }
        }
        AdminAction::Unlock { name } => {
            let n = khabar_server::admin::auth::unlock(store, &name).await?;
            println!("unlocked {name} ({n} failed sign-in(s) forgotten)");
        }
        AdminAction::RotateLinkKey { by } => {
            khabar_server::admin::links::rotate_key(store, &by).await?;
            println!(
                "a new key signs the approve and reject links of moderators' e-mail: \
                 the links mailed before it are refused; their comments wait in /admin/queue"
            );
        }
    }
    Ok(())
}

/// Moderator e-mail as `serve`'s flags set it, if any recipient is named.
fn moderator_mail(
    args: &ServeArgs,
    has_mailer: bool,
) -> anyhow::Result<Option<khabar_server::notify::ModeratorMail>> {
    let to = args
        .notify_moderators
        .iter()
        .filter(|a| !a.trim().is_empty())
        .map(|a| {
            a.trim()
                .parse()
                .with_context(|| format!("--notify-moderators {a:?}: not an e-mail address"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if to.is_empty() {
        return Ok(None);
    }
    if !has_mailer {
        bail!("--notify-moderators needs a way to send mail: --smtp-url or --mail-outbox");
    }
    let lang = khabar_server::admin::i18n::Lang::parse(&args.notify_lang)
        .with_context(|| format!("--notify-lang {:?}: ar or en", args.notify_lang))?;
    Ok(Some(khabar_server::notify::ModeratorMail {
        to,
        digest_every: args.notify_every,
        link_ttl: args.link_ttl,
        base_url: args
            .public_url
            .clone()
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_owned(),
        lang,
        settle: khabar_server::notify::settings::SETTLE,
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_public_url_is_kept_in_ascii_without_its_closing_slash() {
        assert_eq!(
            super::parse_public_url("https://تعليقات.example/خبر/").as_deref(),
            Ok("https://xn--mgbfb2d2bl6b.example/%D8%AE%D8%A8%D8%B1")
        );
        assert_eq!(
            super::parse_public_url("https://Comments.News.example:443").as_deref(),
            Ok("https://comments.news.example")
        );
        assert_eq!(super::parse_public_url(" ").as_deref(), Ok(""));
    }
}
