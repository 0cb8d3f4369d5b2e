//! `khabar-server comments import`: comments brought over from Disqus,
//! WordPress (WXR) or Isso, with their threads, replies, authors, times and
//! moderation state.
//!
//! Each format's reader ([`disqus`], [`wxr`], [`isso`]) turns its file into
//! [`SourceThread`]s; [`import`] maps them onto articles ([`targets`]),
//! cleans every comment as the API cleans a reader's ([`text`]) and writes
//! each thread in one transaction under keys `import:<system>:<site>:<id>`
//! (see [`keys`]), so that a second run adds nothing. A file that does not read or parse is
//! refused whole, before anything is written.

pub mod disqus;
pub mod isso;
pub mod source;
pub mod targets;
pub mod text;
pub mod wxr;
pub mod xml;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::BufReader;
use std::path::Path;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::store::{Act, Imported, ImportedComment, Status, Store, StoreError};
use crate::threads::Sites;
pub use source::{SourceComment, SourceState, SourceThread};
use targets::{Target, Targets};

/// How many unknown pages and errors the summary names (all of them with
/// [`Summary::listing_all`]: `comments import --all`).
const SHOWN: usize = 5;

/// The systems comments are imported from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    /// A Disqus export (XML).
    Disqus,
    /// A WordPress export (WXR, XML).
    Wordpress,
    /// An Isso database (SQLite).
    Isso,
}

impl System {
    /// Its name in keys and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            System::Disqus => "disqus",
            System::Wordpress => "wordpress",
            System::Isso => "isso",
        }
    }
}

/// Why a file cannot be imported. Nothing is written from such a file.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read.
    #[error("{file}: cannot read it: {reason}")]
    Read {
        /// The file.
        file: String,
        /// What failed.
        reason: String,
    },
    /// The file is not what `--from` says, or not well-formed.
    #[error("{file}:{line}:{column}: {reason}; nothing was imported")]
    Parse {
        /// The file.
        file: String,
        /// Line, from 1.
        line: usize,
        /// Column in characters, from 1.
        column: usize,
        /// What is wrong.
        reason: String,
    },
    /// An Isso database that cannot be used.
    #[error("{file}: not a readable Isso database: {reason}; nothing was imported")]
    Isso {
        /// The file.
        file: String,
        /// What failed.
        reason: String,
    },
}

/// Reads a whole export file of `system`; every thread in it. XML exports
/// are streamed: memory holds what is imported, not the file.
pub fn read(system: System, path: &Path) -> Result<Vec<SourceThread>, ImportError> {
    let file = path.display().to_string();
    if system == System::Isso {
        return isso::read(path).map_err(|reason| ImportError::Isso { file, reason });
    }
    let unreadable = |e: std::io::Error| ImportError::Read {
        file: file.clone(),
        reason: e.to_string(),
    };
    let open = || std::fs::File::open(path).map_err(unreadable);
    let at = |offset: usize, reason: String| match xml::line_column_in(open()?, offset) {
        Ok((line, column)) => Err(ImportError::Parse {
            file: file.clone(),
            line,
            column,
            reason,
        }),
        Err(e) => Err(unreadable(e)),
    };
    // UTF-8 first, in a pass of its own: a file in another encoding is
    // refused with where it stops being UTF-8, before anything is parsed.
    if let Err(offset) = xml::check_utf8(open()?).map_err(unreadable)? {
        return at(offset, "not UTF-8 text".into());
    }
    let input = BufReader::with_capacity(1 << 16, open()?);
    let threads = match system {
        System::Disqus => {
            let mut posts = disqus::Posts::default();
            xml::read(input, xml::all_text, &mut posts).and_then(|_| posts.finish())
        }
        _ => {
            let mut items = wxr::Items::default();
            xml::read(input, wxr::keeps_text, &mut items).and_then(|root| items.finish(&root))
        }
    };
    match threads {
        Ok(threads) => Ok(threads),
        Err(e) => at(e.offset, e.reason),
    }
}

/// How an import runs.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--site`: pages under them without an article get a thread.
    pub sites: Sites,
    /// The language of threads created for such pages.
    pub lang: String,
    /// Count only; write nothing.
    pub dry_run: bool,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Comments added as published.
    pub published: usize,
    /// Comments added as pending.
    pub pending: usize,
    /// Comments found stored by an earlier import.
    pub already_there: usize,
    /// Comments an earlier import stored that were deleted here since (by
    /// a moderator, or with their author's address): left deleted.
    pub deleted_here: usize,
    /// Comments an earlier import stored, shown or waiting here, that the
    /// other system has deleted or marked as spam since: rejected here.
    pub taken_down: usize,
    /// Skipped: deleted or trashed there.
    pub deleted: usize,
    /// Skipped: spam there.
    pub spam: usize,
    /// Skipped: pingbacks and trackbacks.
    pub pingbacks: usize,
    /// Skipped: other kinds of WordPress comment (editorial notes and the
    /// like), which are not readers'.
    pub other_kinds: usize,
    /// Skipped: comments of pages with no article and no site.
    pub unknown: usize,
    /// Those pages, in the file's order.
    pub unknown_pages: Vec<String>,
    /// Threads created for pages under a site.
    pub new_threads: usize,
    /// Skipped: comments of private, draft or password-protected posts
    /// that no article here stands for (a thread here would be public).
    pub not_public: usize,
    /// Comments that cannot be imported, one sentence each.
    pub errors: Vec<String>,
}

impl Summary {
    /// The summary naming every unknown page and every error, not the
    /// first five (a large export's list of pages to map, in a file).
    pub fn listing_all(&self) -> ListingAll<'_> {
        ListingAll(self)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, shown: usize) -> fmt::Result {
        let more = |n: usize| format!("  … and {n} more (--all lists them)");
        let verb = if self.dry_run {
            "would import"
        } else {
            "imported"
        };
        writeln!(
            f,
            "{verb}: {} published, {} pending",
            self.published, self.pending
        )?;
        writeln!(f, "already there: {}", self.already_there)?;
        if self.deleted_here > 0 {
            writeln!(
                f,
                "not brought back: {} deleted here since an earlier import",
                self.deleted_here
            )?;
        }
        if self.taken_down > 0 {
            let verb = if self.dry_run {
                "would reject"
            } else {
                "rejected"
            };
            writeln!(
                f,
                "taken down there since an earlier import: {} ({verb} here; /admin/rejected lists them)",
                self.taken_down
            )?;
        }
        writeln!(
            f,
            "skipped: {} deleted, {} spam, {} pingback/trackback, {} on unknown pages",
            self.deleted, self.spam, self.pingbacks, self.unknown
        )?;
        if !self.unknown_pages.is_empty() {
            writeln!(f, "unknown pages ({}):", self.unknown_pages.len())?;
            for page in self.unknown_pages.iter().take(shown) {
                writeln!(f, "  {page}")?;
            }
            if self.unknown_pages.len() > shown {
                writeln!(f, "{}", more(self.unknown_pages.len() - shown))?;
            }
        }
        let verb = if self.dry_run {
            "would create"
        } else {
            "created"
        };
        writeln!(f, "new threads: {} {verb}", self.new_threads)?;
        if self.other_kinds > 0 {
            writeln!(
                f,
                "skipped: {} not readers' comments (editorial notes, plugins' kinds)",
                self.other_kinds
            )?;
        }
        if self.not_public > 0 {
            writeln!(
                f,
                "skipped: {} on private, draft or password-protected posts with no article here",
                self.not_public
            )?;
        }
        write!(f, "errors: {}", self.errors.len())?;
        for e in self.errors.iter().take(shown) {
            write!(f, "\n  {e}")?;
        }
        if self.errors.len() > shown {
            write!(f, "\n{}", more(self.errors.len() - shown))?;
        }
        Ok(())
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, SHOWN)
    }
}

/// A [`Summary`] written with every unknown page and error.
pub struct ListingAll<'a>(&'a Summary);

impl fmt::Display for ListingAll<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, usize::MAX)
    }
}

/// A source id usable in a key: what the three systems use (digits), with
/// room for more, and nothing a hostile file could abuse.
fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The name given to comments that arrive without one.
pub const NO_NAME: &str = "Anonymous";

/// The site part of import keys for a source site's address: host
/// without `www.` (and port) with the path, without scheme or trailing
/// slash, so that an export taken after a move to https, or between
/// `www.` and the bare host, keeps its keys; and the same with `www.`,
/// as imports before that rule wrote it for a `www.` site. `None` for an
/// address that does not read.
fn site_scope(address: &str) -> Option<(String, String)> {
    let url = url::Url::parse(address.trim()).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    let bare = host.strip_prefix("www.").unwrap_or(&host);
    let rest = format!(
        "{}{}",
        url.port().map(|p| format!(":{p}")).unwrap_or_default(),
        url.path().trim_end_matches('/')
    );
    Some((format!("{bare}{rest}"), format!("www.{bare}{rest}")))
}

/// The idempotency key of comment `id` of `system` (scoped by `site`, when
/// known) and the keys earlier imports gave it.
///
/// WordPress and Isso number comments per site, from 1: keys without the
/// site made a second site's comment 12 look already imported when the
/// first site's was. Disqus numbers across all of Disqus and has no site.
/// The older forms still count as "already there" on the same article, so
/// that re-running an import made before a change adds nothing: the key
/// without the site (`import:<system>:<id>`), and the key with `www.`.
pub fn keys(system: System, site: Option<&str>, id: &str) -> (String, Vec<String>) {
    let system = system.as_str();
    let plain = format!("import:{system}:{id}");
    match site.and_then(site_scope) {
        Some((site, www)) => (
            format!("import:{system}:{site}:{id}"),
            vec![format!("import:{system}:{www}:{id}"), plain],
        ),
        None => (plain, Vec::new()),
    }
}

/// The thread's comments as they will be stored, top-level ones first
/// (each group oldest first); errors for those that cannot be. `site` is
/// the source site the keys carry; `stored` holds the ids of the comments
/// answered here that are not in the file but were stored by an earlier
/// import.
fn prepare(
    system: System,
    thread: &SourceThread,
    site: Option<&str>,
    stored: &HashSet<String>,
    summary: &mut Summary,
) -> Vec<(ImportedComment, OffsetDateTime)> {
    let parents: HashMap<&str, Option<&str>> = thread
        .comments
        .iter()
        .map(|c| (c.id.as_str(), c.parent.as_deref()))
        .collect();
    // A comment Disqus's WordPress plugin synced into WordPress is stored
    // under the key a Disqus export gives it, so that importing both files
    // brings it once, in either order; an import of this export made
    // before this rule stored it under its WordPress key, on the same
    // article, which still counts.
    let synced: HashMap<&str, &str> = thread
        .comments
        .iter()
        .filter_map(|c| {
            Some((
                c.id.as_str(),
                c.disqus_id.as_deref().filter(|d| valid_id(d))?,
            ))
        })
        .collect();
    let keys_of = |id: &str| comment_keys(system, site, id, synced.get(id).copied());
    let mut out = Vec::new();
    // The ids of the comments in `out`, in its order and as a set.
    let mut ids: Vec<&str> = Vec::new();
    let mut taken: HashSet<&str> = HashSet::new();
    for c in &thread.comments {
        let status = match c.state {
            SourceState::Published => Status::Published,
            SourceState::Pending => Status::Pending,
            SourceState::Deleted => {
                summary.deleted += 1;
                continue;
            }
            SourceState::Spam => {
                summary.spam += 1;
                continue;
            }
            SourceState::Pingback => {
                summary.pingbacks += 1;
                continue;
            }
            SourceState::OtherKind => {
                summary.other_kinds += 1;
                continue;
            }
        };
        let name = format!("{} comment {:?}", system.as_str(), c.id);
        if !valid_id(&c.id) {
            summary
                .errors
                .push(format!("{name}: the id is not 1-64 of A-Z a-z 0-9 - _"));
            continue;
        }
        let Some(created) = c.created_at else {
            summary.errors.push(format!("{name}: no readable time"));
            continue;
        };
        // In UTC, as every stored time (a Disqus time may carry an
        // offset); RFC 3339, the stored form, has the years 0000 to 9999.
        let Some(created) = created
            .checked_to_offset(time::UtcOffset::UTC)
            .filter(|t| (0..=9999).contains(&t.year()))
        else {
            summary
                .errors
                .push(format!("{name}: a time outside the years 0000 to 9999"));
            continue;
        };
        let body = match system {
            // What Isso's own import brought from Disqus is HTML.
            System::Isso if text::isso_imported_html(&c.body_html) => text::body_text(&c.body_html),
            System::Isso => text::typed_text(&c.body_html),
            System::Disqus | System::Wordpress => text::body_text(&c.body_html),
        };
        let chars = body.chars().count();
        if chars == 0 {
            summary
                .errors
                .push(format!("{name}: no text left after cleaning"));
            continue;
        }
        // Readers here cannot post one character either (`👍`).
        if chars < khabar_rules::BODY_MIN {
            summary.errors.push(format!(
                "{name}: shorter than the {} characters a comment must have",
                khabar_rules::BODY_MIN
            ));
            continue;
        }
        if chars > khabar_rules::BODY_MAX {
            summary.errors.push(format!(
                "{name}: {chars} characters, more than the {} a comment may have",
                khabar_rules::BODY_MAX
            ));
            continue;
        }
        let author = match system {
            System::Disqus => text::typed_author(&c.author),
            System::Isso => text::escaped_author(&c.author),
            System::Wordpress => text::author_text(&c.author),
        };
        let mut author: String = author.chars().take(khabar_rules::AUTHOR_MAX).collect();
        if author.trim().is_empty() {
            author = NO_NAME.to_owned();
        }
        // A bad address is dropped, the comment kept.
        let email = c
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| khabar_rules::is_email(e))
            .map(str::to_owned);
        let created_at = stored_time(created);
        let (key, legacy_keys) = keys_of(&c.id);
        ids.push(&c.id);
        taken.insert(&c.id);
        out.push((
            ImportedComment {
                key,
                parent_key: None,
                legacy_keys,
                legacy_parent_keys: Vec::new(),
                via_keys: Vec::new(),
                author,
                email,
                body,
                status,
                created_at,
            },
            created,
        ));
    }
    // Khabar has one level of replies: a reply to a reply answers the
    // top-level comment it hangs under. That is the farthest comment up its
    // chain that is here: imported now, or stored by an earlier import.
    // Comments skipped on the way (deleted, spam, refused above) are walked
    // through, so that a discussion under a deleted comment keeps its
    // threads; one with nothing above it stands alone, sorted by time among
    // the top-level comments.
    let here = |id: &str| {
        taken.contains(id) || (!parents.contains_key(id) && stored.contains(id) && valid_id(id))
    };
    // Every comment up the chain is kept: one of them deleted here takes
    // the reply with it, as it took the replies it had.
    for ((c, _), &start) in out.iter_mut().zip(&ids) {
        let mut top = None;
        let mut walked = Vec::new();
        let mut current = parents.get(start).copied().flatten();
        for _ in 0..parents.len() {
            let Some(id) = current.filter(|id| *id != start) else {
                break;
            };
            walked.push(id);
            if here(id) {
                top = Some(id);
            }
            current = parents.get(id).copied().flatten();
        }
        c.via_keys = walked.into_iter().map(keys_of).collect();
        let (parent_key, legacy_parent_keys) = top.map(keys_of).unzip();
        c.parent_key = parent_key;
        c.legacy_parent_keys = legacy_parent_keys.unwrap_or_default();
    }
    // Stable: the file's order breaks ties.
    out.sort_by_key(|(c, at)| (c.parent_key.is_some(), *at));
    out
}

/// The ids of the comments `thread`'s comments answer that are not in the
/// file but were stored by an earlier import (an export of the newest
/// comments only, say).
async fn stored_parents(
    store: &dyn Store,
    system: System,
    thread: &SourceThread,
    site: Option<&str>,
) -> Result<HashSet<String>, StoreError> {
    let in_file: HashSet<&str> = thread.comments.iter().map(|c| c.id.as_str()).collect();
    let outside: HashSet<&str> = thread
        .comments
        .iter()
        .filter_map(|c| c.parent.as_deref())
        .filter(|p| !in_file.contains(p) && valid_id(p))
        .collect();
    let mut stored = HashSet::new();
    for id in outside {
        let (key, legacy_keys) = keys(system, site, id);
        let mut found = false;
        for key in std::iter::once(key).chain(legacy_keys) {
            if store.comment_by_key(&key).await?.is_some() {
                found = true;
                break;
            }
        }
        if found {
            stored.insert(id.to_owned());
        }
    }
    Ok(stored)
}

/// The keys of comment `id` (see [`keys`]); one that Disqus's WordPress
/// plugin synced into WordPress (`disqus`, its Disqus id) is stored under
/// the key a Disqus export gives it, its own keys then legacy ones.
fn comment_keys(
    system: System,
    site: Option<&str>,
    id: &str,
    disqus: Option<&str>,
) -> (String, Vec<String>) {
    match disqus {
        Some(disqus) => {
            let (key, mut legacy) = keys(system, site, id);
            legacy.insert(0, key);
            (keys(System::Disqus, None, disqus).0, legacy)
        }
        None => keys(system, site, id),
    }
}

/// A comment's time (in UTC) as an import stores it: whole seconds,
/// RFC 3339.
fn stored_time(utc: OffsetDateTime) -> String {
    utc.replace_nanosecond(0)
        .unwrap_or(utc)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Where a thread's comments taken down there would be: its system and
/// site (their keys) and the article it lands on here.
#[derive(Clone, Copy)]
struct Gone<'a> {
    system: System,
    site: Option<&'a str>,
    article_id: &'a str,
}

/// Rejects the comments of `thread` that an earlier import stored and the
/// other system has deleted or marked as spam since (an editor's takedown
/// there, between a first import and the move): shown or waiting here,
/// they would otherwise stay. Only the very comment: on the thread's
/// article, written at its time (another system's reused id is another
/// comment), and no key a comment still shown there also has (two copies
/// Disqus's plugin synced from one post). Only one nobody here has acted
/// on: a moderator's decision (the audit log's) wins over the takedown, and
/// the takedown, logged too, happens once. Rejected, not deleted:
/// `/admin/rejected` can publish one again.
async fn take_down(
    store: &dyn Store,
    thread: &SourceThread,
    at: Gone<'_>,
    dry_run: bool,
    summary: &mut Summary,
) -> Result<(), StoreError> {
    let keys_of = |c: &SourceComment| {
        let disqus = c.disqus_id.as_deref().filter(|d| valid_id(d));
        comment_keys(at.system, at.site, &c.id, disqus)
    };
    let is_gone = |c: &SourceComment| matches!(c.state, SourceState::Deleted | SourceState::Spam);
    let shown: HashSet<String> = thread
        .comments
        .iter()
        .filter(|c| !is_gone(c) && valid_id(&c.id))
        .map(|c| keys_of(c).0)
        .collect();
    for c in thread
        .comments
        .iter()
        .filter(|c| is_gone(c) && valid_id(&c.id))
    {
        let (key, legacy) = keys_of(c);
        if shown.contains(&key) {
            continue;
        }
        let written = c
            .created_at
            .and_then(|t| t.checked_to_offset(time::UtcOffset::UTC))
            .map(stored_time);
        for key in std::iter::once(key).chain(legacy) {
            let Some(stored) = store.comment_by_key(&key).await? else {
                continue;
            };
            let same = stored.article_id == at.article_id
                && written.as_deref() == Some(stored.comment.created_at.as_str());
            let Some(from) = Status::parse(&stored.status)
                .filter(|s| same && matches!(s, Status::Published | Status::Pending))
            else {
                break;
            };
            if store.acted_on(stored.comment.id).await? {
                break;
            }
            let act = Act::Set {
                to: Status::Rejected,
                from: Some(from),
            };
            if dry_run
                || store
                    .moderate(stored.comment.id, act, crate::audit::line("cli", "reject"))
                    .await?
                    .is_some()
            {
                summary.taken_down += 1;
            }
            break;
        }
    }
    Ok(())
}

/// Takes out of `comments` (for `article_id`) each whose key an earlier
/// import gave another comment: stored on another article, written at
/// another time. That is an id the other system gave twice (an Isso
/// database made anew, a WordPress site installed again at its address,
/// each counting from 1 again), not this comment: counted "already there"
/// it would be lost without a word, so it is named among the errors.
async fn drop_reused_ids(
    store: &dyn Store,
    article_id: &str,
    comments: &mut Vec<ImportedComment>,
    summary: &mut Summary,
) -> Result<(), StoreError> {
    let mut kept = Vec::with_capacity(comments.len());
    for c in comments.drain(..) {
        // Disqus numbers across all of Disqus and never gives an id twice
        // (and a time read better since can differ from the stored one).
        if c.key.starts_with("import:disqus:") {
            kept.push(c);
            continue;
        }
        match store.comment_by_key(&c.key).await? {
            Some(stored)
                if stored.article_id != article_id && stored.comment.created_at != c.created_at =>
            {
                summary.errors.push(format!(
                    "{}: an earlier import gave this id to another comment (on {}, written {}); \
                     this one, written {}, is not imported (did the other system count its \
                     ids anew?)",
                    c.key, stored.article_id, stored.comment.created_at, c.created_at
                ));
            }
            _ => kept.push(c),
        }
    }
    *comments = kept;
    Ok(())
}

/// Imports `threads` read from a file of `system` into `store`.
pub async fn import(
    store: &dyn Store,
    system: System,
    threads: Vec<SourceThread>,
    options: &Options,
) -> Result<Summary, StoreError> {
    let targets = Targets::from_stored(store.article_urls().await?, options.sites.clone());
    let mut summary = Summary {
        dry_run: options.dry_run,
        ..Summary::default()
    };
    // Threads created, and unknown pages listed, so far: sets, as an export
    // of 20,000 pages took most of a minute comparing each with a list.
    let mut created: HashSet<String> = HashSet::new();
    let mut listed: HashSet<String> = HashSet::new();
    // Isso's database does not name its site: the first --site is it.
    let first_site = options.sites.first_origin();
    // Each article's comments from every thread that lands on it (a page
    // Disqus knew under two identifiers has two threads), in the order the
    // articles first came, so that they are stored oldest first together.
    let mut order: Vec<String> = Vec::new();
    let mut by_article: HashMap<String, Vec<(ImportedComment, OffsetDateTime)>> = HashMap::new();
    for thread in &threads {
        let site = thread.site.as_deref().or(match system {
            System::Isso => first_site.as_deref(),
            _ => None,
        });
        let stored = stored_parents(store, system, thread, site).await?;
        let found = match targets.find(&thread.page) {
            Target::Article(id) => Target::Article(id),
            other => targets
                .find_identified(&thread.identifiers)
                .map_or(other, Target::Article),
        };
        if let Target::Article(article_id) = &found {
            let gone = Gone {
                system,
                site,
                article_id,
            };
            take_down(store, thread, gone, options.dry_run, &mut summary).await?;
        }
        let comments = prepare(system, thread, site, &stored, &mut summary);
        if comments.is_empty() {
            continue;
        }
        let article_id = match found {
            Target::Article(id) => id,
            Target::NewThread { .. } if !thread.public => {
                summary.not_public += comments.len();
                continue;
            }
            Target::NewThread { id, url } => {
                if created.insert(id.clone()) {
                    summary.new_threads += 1;
                    if !options.dry_run {
                        let title = thread
                            .title
                            .as_deref()
                            .map(text::author_text)
                            .map(|t| t.chars().take(300).collect::<String>())
                            .filter(|t| !t.is_empty())
                            .unwrap_or_else(|| url.clone());
                        store
                            .ensure_thread(&id, &url, &title, &options.lang)
                            .await?;
                    }
                }
                id
            }
            Target::Unknown(page) => {
                summary.unknown += comments.len();
                if listed.insert(page.clone()) {
                    summary.unknown_pages.push(page);
                }
                continue;
            }
        };
        match by_article.get_mut(&article_id) {
            Some(gathered) => gathered.extend(comments),
            None => {
                order.push(article_id.clone());
                by_article.insert(article_id, comments);
            }
        }
    }
    let mut would_add: HashSet<String> = HashSet::new();
    for article_id in order {
        let Some(mut comments) = by_article.remove(&article_id) else {
            continue;
        };
        // As `prepare` orders one thread's (stable: the file breaks ties).
        comments.sort_by_key(|(c, at)| (c.parent_key.is_some(), *at));
        let mut comments: Vec<ImportedComment> = comments.into_iter().map(|(c, _)| c).collect();
        drop_reused_ids(store, &article_id, &mut comments, &mut summary).await?;
        // A dry run asks the store too: what it would find, stored or
        // deleted here, is what the import would.
        let added = store
            .import_comments(&article_id, comments.clone(), options.dry_run)
            .await?;
        for (c, added) in comments.iter().zip(added) {
            match (added, c.status) {
                // Nothing written, the store finds none of this run's
                // comments: a key met twice (two WordPress comments that
                // Disqus's plugin synced from one post) comes in once.
                (Imported::Added, _) if options.dry_run && !would_add.insert(c.key.clone()) => {
                    summary.already_there += 1;
                }
                (Imported::AlreadyThere, _) => summary.already_there += 1,
                (Imported::DeletedHere, _) => summary.deleted_here += 1,
                (Imported::Added, Status::Pending) => summary.pending += 1,
                (Imported::Added, _) => summary.published += 1,
            }
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::targets::Page;
    use super::*;

    #[test]
    fn the_summary_names_five_unknown_pages_and_errors_unless_asked_for_all() {
        let summary = Summary {
            unknown: 7,
            unknown_pages: (1..=7)
                .map(|n| format!("https://old.example/{n}"))
                .collect(),
            errors: (1..=6).map(|n| format!("comment {n}: no text")).collect(),
            ..Summary::default()
        };
        let short = summary.to_string();
        assert!(short.contains("https://old.example/5\n  … and 2 more (--all lists them)"));
        assert!(!short.contains("https://old.example/6"));
        assert!(short.ends_with("comment 5: no text\n  … and 1 more (--all lists them)"));
        let all = summary.listing_all().to_string();
        assert!(all.contains("https://old.example/7\n"));
        assert!(all.ends_with("comment 6: no text"));
        assert!(!all.contains("more"));
    }

    fn comment(id: &str, parent: Option<&str>, secs: i64) -> SourceComment {
        SourceComment {
            id: id.into(),
            parent: parent.map(str::to_owned),
            author: "سارة".into(),
            email: Some("not an address".into()),
            body_html: "<p>تعليق</p>".into(),
            created_at: OffsetDateTime::from_unix_timestamp(secs).ok(),
            state: SourceState::Published,
            disqus_id: None,
        }
    }

    /// A thread of a page of the site, with `comments`.
    fn on_page(comments: Vec<SourceComment>) -> SourceThread {
        SourceThread {
            page: Page::Path("/x".into()),
            title: None,
            site: None,
            public: true,
            comments,
            identifiers: Vec::new(),
        }
    }

    /// Each prepared comment's key and its parent's, in the order stored.
    fn stored_keys(out: &[(ImportedComment, OffsetDateTime)]) -> Vec<(&str, Option<&str>)> {
        out.iter()
            .map(|(c, _)| (c.key.as_str(), c.parent_key.as_deref()))
            .collect()
    }

    #[test]
    fn times_are_stored_in_utc() {
        let mut c = comment("1", None, 0);
        c.created_at = OffsetDateTime::parse("2013-05-14T15:34:56.789+03:00", &Rfc3339).ok();
        let thread = on_page(vec![c]);
        let out = prepare(
            System::Disqus,
            &thread,
            None,
            &HashSet::new(),
            &mut Summary::default(),
        );
        assert_eq!(out[0].0.created_at, "2013-05-14T12:34:56Z");
    }

    #[test]
    fn a_reply_whose_parent_is_not_imported_stands_with_the_top_level_ones() {
        let mut deleted = comment("1", None, 10);
        deleted.state = SourceState::Deleted;
        let mut empty = comment("5", None, 50);
        empty.body_html = "<p> </p>".into();
        let thread = on_page(vec![
            deleted,
            comment("2", Some("1"), 20),
            comment("3", None, 30),
            comment("4", Some("3"), 40),
            empty,
            comment("6", Some("5"), 60),
            comment("7", None, 70),
            // Its parent is not in this file: an earlier export's.
            comment("8", Some("0"), 80),
        ]);
        let mut summary = Summary::default();
        let stored = HashSet::from(["0".to_owned()]);
        let out = prepare(System::Disqus, &thread, None, &stored, &mut summary);
        let keys = stored_keys(&out);
        assert_eq!(
            keys,
            [
                ("import:disqus:2", None),
                ("import:disqus:3", None),
                ("import:disqus:6", None),
                ("import:disqus:7", None),
                ("import:disqus:4", Some("import:disqus:3")),
                ("import:disqus:8", Some("import:disqus:0")),
            ]
        );
        assert_eq!((summary.deleted, summary.errors.len()), (1, 1));
    }

    #[test]
    fn replies_to_replies_answer_their_top_level_comment() {
        let mut deleted = comment("2", Some("1"), 20);
        deleted.state = SourceState::Deleted;
        let thread = on_page(vec![
            comment("3", Some("2"), 30),
            deleted,
            comment("1", None, 10),
            comment("4", Some("4"), 40),
        ]);
        let mut summary = Summary::default();
        let out = prepare(System::Isso, &thread, None, &HashSet::new(), &mut summary);
        let keys = stored_keys(&out);
        assert_eq!(
            keys,
            [
                ("import:isso:1", None),
                ("import:isso:4", None),
                ("import:isso:3", Some("import:isso:1")),
            ]
        );
        assert_eq!(summary.deleted, 1);
        assert_eq!(out[0].0.email, None);
        // HTML paragraphs in Isso's text are what its own import kept of
        // a Disqus message: read as HTML (Markdown stays as typed:
        // tests/comment_import.rs).
        assert_eq!(out[0].0.body, "تعليق");
        assert_eq!(out[0].0.created_at, "1970-01-01T00:00:10Z");
    }

    #[test]
    fn a_discussion_under_a_deleted_or_missing_comment_keeps_its_threads() {
        let mut deleted = comment("1", None, 10);
        deleted.state = SourceState::Deleted;
        let thread = on_page(vec![
            // Deleted there: 2 stands alone and 3 still answers it.
            deleted,
            comment("2", Some("1"), 20),
            comment("3", Some("2"), 30),
            // 4 is not in the file (spam, which WordPress does not export).
            comment("5", Some("4"), 50),
            comment("6", Some("5"), 60),
            // 7 is not in the file either, but an earlier import stored it.
            comment("8", Some("7"), 80),
            comment("9", Some("8"), 90),
        ]);
        let stored = HashSet::from(["7".to_owned()]);
        let out = prepare(
            System::Disqus,
            &thread,
            None,
            &stored,
            &mut Summary::default(),
        );
        assert_eq!(
            stored_keys(&out),
            [
                ("import:disqus:2", None),
                ("import:disqus:5", None),
                ("import:disqus:3", Some("import:disqus:2")),
                ("import:disqus:6", Some("import:disqus:5")),
                ("import:disqus:8", Some("import:disqus:7")),
                ("import:disqus:9", Some("import:disqus:7")),
            ]
        );
    }
}
