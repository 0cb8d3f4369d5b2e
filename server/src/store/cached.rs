//! The read path: the article and the first page of its comments served
//! from memory, invalidated on every write — this process's own at once,
//! other processes' (the CLI, an import, other instances) as soon as the
//! engine reports them (SQLite's `PRAGMA data_version`, PostgreSQL's
//! `LISTEN`/`NOTIFY`; see [`Store::watch_changes`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::comments::{CleanComment, CommentCursor, Moderation, StoredComment};
use crate::model::{Article, ArticleSummary};
use crate::store::dump::Dump;
use crate::store::{
    Act, Attempt, Change, Imported, Moderated, NoticeOutcome, RetriedDelivery, WebhookDelivery,
};
use crate::store::{
    AuditEntry, AuthorBlock, BlockKind, CommentPage, CommentQuery, CreateError, ImportedComment,
    Keyset, ListQuery, ModComment, ModQuery, ModeratedArticle, Moderator, OutboxMail, Position,
    ReplyNotice, ReplyPage, ReplySubscription, Session, SharedStore, Sort, Status, Store,
    StoreError, UrlMatch,
};

/// Entries kept at most; past that the cache starts over (a flood of
/// distinct ids must not grow memory without bound).
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
struct Entries {
    articles: HashMap<String, Article>,
    /// First pages of comments of the size readers' widgets ask for, with
    /// the replies they ask for (or all, as older widgets do).
    first_pages: HashMap<(String, Sort, Option<u32>), CommentPage>,
    /// Published comments of each article asked about, by id: one entry
    /// an article, however many lists name it (a list as key let anyone
    /// fill the cache with lists of made-up ids).
    counts: HashMap<String, i64>,
}

/// What the cache shares with the change watcher.
#[derive(Default)]
pub struct Generation {
    value: AtomicU64,
    entries: Mutex<Entries>,
    /// The watcher cannot hear changes: nothing read is kept, since a
    /// write elsewhere would leave it stale for as long as it stays.
    deaf: AtomicBool,
}

impl Generation {
    /// Forgets everything: something changed.
    pub fn bump(&self) {
        // Bumped under the lock, so that `keep` sees either the old
        // generation and the old entries or the new ones, never a mix.
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        self.value.fetch_add(1, Ordering::SeqCst);
        *entries = Entries::default();
    }

    /// Follows what the watcher reports: every report forgets; while it
    /// cannot hear changes, nothing is kept.
    pub fn on(&self, change: Change) {
        match change {
            Change::Data => {}
            Change::Lost => self.deaf.store(true, Ordering::SeqCst),
            Change::Watching => self.deaf.store(false, Ordering::SeqCst),
        }
        self.bump();
    }

    fn current(&self) -> u64 {
        self.value.load(Ordering::SeqCst)
    }

    fn with<T>(&self, f: impl FnOnce(&mut Entries) -> T) -> T {
        f(&mut self.entries.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// A [`Store`] with the read cache in front of another.
pub struct CachedStore {
    inner: SharedStore,
    generation: Arc<Generation>,
}

impl CachedStore {
    /// Wraps `inner` and starts following the changes other processes
    /// make to it.
    pub async fn new(inner: SharedStore) -> Result<CachedStore, StoreError> {
        let generation = Arc::new(Generation::default());
        let on_change = generation.clone();
        inner
            .watch_changes(Arc::new(move |change| on_change.on(change)))
            .await?;
        Ok(CachedStore { inner, generation })
    }

    /// Stores `value` unless something changed since `seen` was read: a
    /// read that raced with a write must not put old data back.
    fn keep(&self, seen: u64, put: impl FnOnce(&mut Entries)) {
        self.generation.with(|e| {
            // Read under the lock that `bump` takes. A read that began
            // before the watcher went deaf or came back sees a newer
            // generation; one that began while it was deaf sees `deaf`.
            if self.generation.current() != seen || self.generation.deaf.load(Ordering::SeqCst) {
                return;
            }
            if e.articles.len() + e.first_pages.len() + e.counts.len() >= MAX_ENTRIES {
                *e = Entries::default();
            }
            put(e);
        });
    }

    /// How many answers the cache holds now (articles, first pages and
    /// counts): what its memory grows with.
    pub fn entries(&self) -> usize {
        self.generation
            .with(|e| e.articles.len() + e.first_pages.len() + e.counts.len())
    }

    /// After a write through this process: forget at once.
    fn wrote<T>(&self, result: T) -> T {
        self.generation.bump();
        result
    }
}

#[async_trait]
impl Store for CachedStore {
    async fn article_count(&self) -> Result<i64, StoreError> {
        self.inner.article_count().await
    }

    // Origins are not in what the cache holds.
    async fn adopt_pushed(&self, ids: Vec<String>, origin: &str) -> Result<usize, StoreError> {
        self.inner.adopt_pushed(ids, origin).await
    }

    async fn upsert_articles(
        &self,
        articles: Vec<Article>,
        origin: Option<&str>,
    ) -> Result<usize, StoreError> {
        let r = self.inner.upsert_articles(articles, origin).await;
        self.wrote(r)
    }

    async fn set_article_hidden(&self, id: &str, hidden: bool) -> Result<bool, StoreError> {
        let r = self.inner.set_article_hidden(id, hidden).await;
        self.wrote(r)
    }

    async fn ensure_thread(
        &self,
        id: &str,
        url: &str,
        title: &str,
        lang: &str,
    ) -> Result<(), StoreError> {
        let r = self.inner.ensure_thread(id, url, title, lang).await;
        self.wrote(r)
    }

    async fn visible_ids_from(&self, origin: &str) -> Result<Vec<String>, StoreError> {
        self.inner.visible_ids_from(origin).await
    }

    async fn article(&self, id: &str) -> Result<Option<Article>, StoreError> {
        if let Some(hit) = self.generation.with(|e| e.articles.get(id).cloned()) {
            return Ok(Some(hit));
        }
        let seen = self.generation.current();
        let found = self.inner.article(id).await?;
        if let Some(a) = &found {
            self.keep(seen, |e| {
                e.articles.insert(id.to_owned(), a.clone());
            });
        }
        Ok(found)
    }

    async fn article_even_hidden(&self, id: &str) -> Result<Option<Article>, StoreError> {
        self.inner.article_even_hidden(id).await
    }

    async fn article_exists(&self, id: &str) -> Result<bool, StoreError> {
        self.inner.article_exists(id).await
    }

    async fn list_articles(
        &self,
        query: ListQuery,
    ) -> Result<(Vec<ArticleSummary>, Option<Position>), StoreError> {
        self.inner.list_articles(query).await
    }

    async fn moderated_articles(
        &self,
        after: Option<Position>,
        limit: u32,
    ) -> Result<(Vec<ModeratedArticle>, Option<Position>), StoreError> {
        self.inner.moderated_articles(after, limit).await
    }

    async fn recent_articles(
        &self,
        section: Option<String>,
        limit: u32,
    ) -> Result<Vec<Article>, StoreError> {
        self.inner.recent_articles(section, limit).await
    }

    async fn create_comment(
        &self,
        article_id: &str,
        comment: CleanComment,
        moderation: Moderation,
        now: String,
        client_hmac: Option<String>,
    ) -> Result<(StoredComment, bool), CreateError> {
        let r = self
            .inner
            .create_comment(article_id, comment, moderation, now, client_hmac)
            .await;
        self.wrote(r)
    }

    async fn comment_by_key(&self, key: &str) -> Result<Option<StoredComment>, StoreError> {
        self.inner.comment_by_key(key).await
    }

    async fn comment(&self, id: i64) -> Result<Option<StoredComment>, StoreError> {
        self.inner.comment(id).await
    }

    async fn list_comments(&self, query: CommentQuery) -> Result<Option<CommentPage>, StoreError> {
        if query.after.is_some() {
            return self.inner.list_comments(query).await;
        }
        // Only the page size the widget asks for: two entries per article
        // and order (replies cut as this widget asks, or all as older
        // ones do), not one per size a caller can name (up to 100 each).
        let widget = matches!(
            query.replies,
            None | Some(khabar_rules::REPLIES_ASKED | super::REPLIES_UNASKED)
        );
        if query.limit != khabar_rules::COMMENT_PAGE_DEFAULT || !widget {
            return self.inner.list_comments(query).await;
        }
        let key = (query.article_id.clone(), query.sort, query.replies);
        if let Some(hit) = self.generation.with(|e| e.first_pages.get(&key).cloned()) {
            return Ok(Some(hit));
        }
        let seen = self.generation.current();
        let page = self.inner.list_comments(query).await?;
        if let Some(p) = &page {
            self.keep(seen, |e| {
                e.first_pages.insert(key, p.clone());
            });
        }
        Ok(page)
    }

    async fn list_replies(
        &self,
        parent: i64,
        after: Option<CommentCursor>,
        limit: u32,
    ) -> Result<Option<ReplyPage>, StoreError> {
        self.inner.list_replies(parent, after, limit).await
    }

    async fn pending_comments(&self, limit: u32) -> Result<Vec<StoredComment>, StoreError> {
        self.inner.pending_comments(limit).await
    }

    async fn set_comment_status(
        &self,
        id: i64,
        status: Status,
    ) -> Result<Option<(StoredComment, bool)>, StoreError> {
        let r = self.inner.set_comment_status(id, status).await;
        self.wrote(r)
    }

    async fn decide(
        &self,
        id: i64,
        from: Status,
        to: Status,
    ) -> Result<Option<StoredComment>, StoreError> {
        let r = self.inner.decide(id, from, to).await;
        self.wrote(r)
    }

    async fn delete_comment(
        &self,
        id: i64,
        only_if: Option<Status>,
    ) -> Result<Option<u64>, StoreError> {
        let r = self.inner.delete_comment(id, only_if).await;
        self.wrote(r)
    }

    async fn moderate(
        &self,
        id: i64,
        act: Act,
        line: AuditEntry,
    ) -> Result<Option<Moderated>, StoreError> {
        let r = self.inner.moderate(id, act, line).await;
        self.wrote(r)
    }

    async fn set_comments_open(
        &self,
        article_id: &str,
        open: bool,
        audit: Option<AuditEntry>,
    ) -> Result<bool, StoreError> {
        let r = self.inner.set_comments_open(article_id, open, audit).await;
        self.wrote(r)
    }

    async fn published_counts(&self, ids: Vec<String>) -> Result<Vec<(String, i64)>, StoreError> {
        let known: HashMap<String, i64> = self.generation.with(|e| {
            ids.iter()
                .filter_map(|id| e.counts.get(id).map(|n| (id.clone(), *n)))
                .collect()
        });
        // Ids not cached: an article not asked about yet, or no article
        // (never cached, so made-up ids fill nothing).
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| !known.contains_key(*id))
            .cloned()
            .collect();
        let fresh: HashMap<String, i64> = if missing.is_empty() {
            HashMap::new()
        } else {
            let seen = self.generation.current();
            let fresh = self.inner.published_counts(missing).await?;
            self.keep(seen, |e| e.counts.extend(fresh.iter().cloned()));
            fresh.into_iter().collect()
        };
        Ok(ids
            .into_iter()
            .filter_map(|id| {
                let n = known.get(&id).or_else(|| fresh.get(&id)).copied()?;
                Some((id, n))
            })
            .collect())
    }

    async fn import_comments(
        &self,
        article_id: &str,
        comments: Vec<ImportedComment>,
        dry_run: bool,
    ) -> Result<Vec<Imported>, StoreError> {
        let r = self
            .inner
            .import_comments(article_id, comments, dry_run)
            .await;
        self.wrote(r)
    }

    async fn article_urls(&self) -> Result<Vec<(String, String, bool)>, StoreError> {
        self.inner.article_urls().await
    }

    async fn ids_by_url(&self, urls: Vec<String>) -> Result<Vec<UrlMatch>, StoreError> {
        self.inner.ids_by_url(urls).await
    }

    async fn first_by_url(&self, urls: Vec<String>) -> Result<Vec<(String, String)>, StoreError> {
        self.inner.first_by_url(urls).await
    }

    async fn forget_email(
        &self,
        email: &str,
        audit: Option<AuditEntry>,
    ) -> Result<u64, StoreError> {
        let r = self.inner.forget_email(email, audit).await;
        self.wrote(r)
    }

    async fn comment_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.inner.comment_counts().await
    }

    async fn dump(&self) -> Result<Dump, StoreError> {
        self.inner.dump().await
    }

    async fn export_comments(
        &self,
        article_id: Option<String>,
        email: Option<String>,
    ) -> Result<Vec<super::dump::CommentRow>, StoreError> {
        self.inner.export_comments(article_id, email).await
    }

    async fn restore(&self, dump: Dump) -> Result<(), StoreError> {
        let r = self.inner.restore(dump).await;
        self.wrote(r)
    }

    fn shares_state(&self) -> bool {
        self.inner.shares_state()
    }

    async fn rate_unhit(&self, bucket: &str, client: &str) -> Result<(), StoreError> {
        self.inner.rate_unhit(bucket, client).await
    }

    async fn rate_hit(
        &self,
        bucket: &str,
        client: &str,
        max: u32,
        window: std::time::Duration,
    ) -> Result<Option<std::time::Duration>, StoreError> {
        // Not data any reader sees: nothing to forget.
        self.inner.rate_hit(bucket, client, max, window).await
    }

    async fn claim_job(
        &self,
        name: &str,
        every: std::time::Duration,
        holder: &str,
    ) -> Result<bool, StoreError> {
        self.inner.claim_job(name, every, holder).await
    }

    async fn release_job(
        &self,
        name: &str,
        every: std::time::Duration,
        holder: &str,
    ) -> Result<(), StoreError> {
        self.inner.release_job(name, every, holder).await
    }

    async fn prune_rate_hits(&self, window: std::time::Duration) -> Result<u64, StoreError> {
        self.inner.prune_rate_hits(window).await
    }

    async fn source_state(&self, url: &str) -> Result<Option<super::SourceState>, StoreError> {
        self.inner.source_state(url).await
    }

    async fn save_source_state(
        &self,
        url: &str,
        state: &super::SourceState,
    ) -> Result<(), StoreError> {
        // Not data any reader sees: nothing to forget.
        self.inner.save_source_state(url, state).await
    }

    async fn watch_changes(&self, on_change: super::ChangeHook) -> Result<(), StoreError> {
        self.inner.watch_changes(on_change).await
    }

    async fn clock_ms(&self) -> Result<i64, StoreError> {
        self.inner.clock_ms().await
    }

    // The moderators' own data: nothing a reader sees, nothing to forget.

    async fn put_moderator(&self, name: &str, password_hash: &str) -> Result<bool, StoreError> {
        self.inner.put_moderator(name, password_hash).await
    }

    async fn moderator(&self, name: &str) -> Result<Option<Moderator>, StoreError> {
        self.inner.moderator(name).await
    }

    async fn moderator_names(&self) -> Result<Vec<String>, StoreError> {
        self.inner.moderator_names().await
    }

    async fn remove_moderator(&self, name: &str) -> Result<bool, StoreError> {
        self.inner.remove_moderator(name).await
    }

    async fn login_failures(
        &self,
        key: &str,
        window: std::time::Duration,
    ) -> Result<(u32, Option<std::time::Duration>), StoreError> {
        self.inner.login_failures(key, window).await
    }

    async fn add_login_failure(
        &self,
        key: &str,
        account: &str,
        window: std::time::Duration,
    ) -> Result<(), StoreError> {
        self.inner.add_login_failure(key, account, window).await
    }

    async fn clear_login_failures(
        &self,
        key: &str,
        account: Option<&str>,
    ) -> Result<u64, StoreError> {
        self.inner.clear_login_failures(key, account).await
    }

    async fn clear_client_failures_at(&self, account: &str) -> Result<u64, StoreError> {
        self.inner.clear_client_failures_at(account).await
    }

    async fn create_session(
        &self,
        token_hash: &str,
        moderator: &Moderator,
        csrf: &str,
        lifetime: std::time::Duration,
    ) -> Result<bool, StoreError> {
        self.inner
            .create_session(token_hash, moderator, csrf, lifetime)
            .await
    }

    async fn session(&self, token_hash: &str) -> Result<Option<Session>, StoreError> {
        self.inner.session(token_hash).await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.inner.delete_session(token_hash).await
    }

    async fn add_audit(&self, entry: AuditEntry) -> Result<(), StoreError> {
        self.inner.add_audit(entry).await
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        self.inner.audit_log(limit).await
    }

    async fn acted_on(&self, id: i64) -> Result<bool, StoreError> {
        self.inner.acted_on(id).await
    }

    async fn audit_page(&self, limit: u32, at: Keyset) -> Result<Vec<AuditEntry>, StoreError> {
        self.inner.audit_page(limit, at).await
    }

    async fn add_reply_subscription(
        &self,
        comment_id: i64,
        email: &str,
        lang: &str,
        base_url: &str,
        retry_after: std::time::Duration,
    ) -> Result<Option<i64>, StoreError> {
        self.inner
            .add_reply_subscription(comment_id, email, lang, base_url, retry_after)
            .await
    }

    async fn resend_reply_confirmation(
        &self,
        id: i64,
        retry_after: std::time::Duration,
    ) -> Result<bool, StoreError> {
        self.inner.resend_reply_confirmation(id, retry_after).await
    }

    async fn due_reply_confirmations(
        &self,
        limit: u32,
    ) -> Result<Vec<ReplySubscription>, StoreError> {
        self.inner.due_reply_confirmations(limit).await
    }

    async fn claim_reply_confirmation(
        &self,
        id: i64,
        tries: i64,
        retry_after: std::time::Duration,
    ) -> Result<bool, StoreError> {
        self.inner
            .claim_reply_confirmation(id, tries, retry_after)
            .await
    }

    async fn settle_reply_confirmation(&self, id: i64, tries: i64) -> Result<(), StoreError> {
        self.inner.settle_reply_confirmation(id, tries).await
    }

    async fn reply_subscription(&self, id: i64) -> Result<Option<ReplySubscription>, StoreError> {
        self.inner.reply_subscription(id).await
    }

    async fn reply_subscription_of(
        &self,
        comment_id: i64,
        email: &str,
    ) -> Result<Option<ReplySubscription>, StoreError> {
        self.inner.reply_subscription_of(comment_id, email).await
    }

    async fn confirm_reply_subscription(&self, id: i64) -> Result<bool, StoreError> {
        self.inner.confirm_reply_subscription(id).await
    }

    async fn end_reply_subscription(&self, id: i64) -> Result<bool, StoreError> {
        self.inner.end_reply_subscription(id).await
    }

    async fn reply_subscribers(
        &self,
        comment_id: i64,
    ) -> Result<Vec<ReplySubscription>, StoreError> {
        self.inner.reply_subscribers(comment_id).await
    }

    async fn due_reply_notices(&self, limit: u32) -> Result<Vec<ReplyNotice>, StoreError> {
        self.inner.due_reply_notices(limit).await
    }

    async fn finish_reply_notice(
        &self,
        notice: &ReplyNotice,
        outcome: NoticeOutcome,
    ) -> Result<(), StoreError> {
        self.inner.finish_reply_notice(notice, outcome).await
    }

    async fn cursor(&self, name: &str) -> Result<Option<i64>, StoreError> {
        self.inner.cursor(name).await
    }

    async fn set_cursor(&self, name: &str, value: i64) -> Result<(), StoreError> {
        self.inner.set_cursor(name, value).await
    }

    async fn forget_cursors(&self, prefix: &str, keep: Vec<String>) -> Result<(), StoreError> {
        self.inner.forget_cursors(prefix, keep).await
    }

    async fn put_outbox_mail(&self, mail: OutboxMail, keep: u32) -> Result<i64, StoreError> {
        self.inner.put_outbox_mail(mail, keep).await
    }

    async fn outbox_mail(&self, limit: u32) -> Result<Vec<OutboxMail>, StoreError> {
        self.inner.outbox_mail(limit).await
    }

    async fn install_secret(&self, name: &str, fresh: &str) -> Result<String, StoreError> {
        self.inner.install_secret(name, fresh).await
    }

    async fn replace_install_secret(
        &self,
        name: &str,
        fresh: &str,
        audit: AuditEntry,
    ) -> Result<(), StoreError> {
        self.inner.replace_install_secret(name, fresh, audit).await
    }

    async fn moderation_comments(&self, query: ModQuery) -> Result<Vec<ModComment>, StoreError> {
        self.inner.moderation_comments(query).await
    }

    async fn moderation_count(&self, query: ModQuery) -> Result<i64, StoreError> {
        self.inner.moderation_count(query).await
    }

    // Blocks: read on every new comment, never cached, so that a block set
    // by any instance or the CLI holds at once.

    async fn add_block(
        &self,
        kind: BlockKind,
        value: &str,
        audit: AuditEntry,
    ) -> Result<bool, StoreError> {
        self.inner.add_block(kind, value, audit).await
    }

    async fn remove_block(
        &self,
        kind: BlockKind,
        value: &str,
        audit: AuditEntry,
    ) -> Result<bool, StoreError> {
        self.inner.remove_block(kind, value, audit).await
    }

    async fn blocks(&self, limit: u32, at: Keyset) -> Result<Vec<AuthorBlock>, StoreError> {
        self.inner.blocks(limit, at).await
    }

    async fn block_count(&self) -> Result<i64, StoreError> {
        self.inner.block_count().await
    }

    async fn is_blocked(
        &self,
        email: Option<&str>,
        client_hmac: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.inner.is_blocked(email, client_hmac).await
    }

    // Webhook deliveries: nothing a reader sees, nothing to forget.

    async fn renew_webhook_urls(
        &self,
        urls: Vec<String>,
        lifetime: std::time::Duration,
    ) -> Result<u64, StoreError> {
        self.inner.renew_webhook_urls(urls, lifetime).await
    }

    async fn claim_webhook_deliveries(
        &self,
        urls: Vec<String>,
        limit: u32,
        lease: std::time::Duration,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        self.inner
            .claim_webhook_deliveries(urls, limit, lease)
            .await
    }

    async fn record_webhook_attempt(&self, id: i64, attempt: Attempt) -> Result<(), StoreError> {
        self.inner.record_webhook_attempt(id, attempt).await
    }

    async fn webhook_deliveries(
        &self,
        limit: u32,
        at: Keyset,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        self.inner.webhook_deliveries(limit, at).await
    }

    async fn webhook_delivery_count(&self) -> Result<i64, StoreError> {
        self.inner.webhook_delivery_count().await
    }

    async fn retry_webhook_delivery(
        &self,
        id: i64,
        audit: Option<AuditEntry>,
    ) -> Result<Option<RetriedDelivery>, StoreError> {
        self.inner.retry_webhook_delivery(id, audit).await
    }

    async fn prune_webhook_deliveries(
        &self,
        delivered_before_ms: i64,
        failed_before_ms: i64,
    ) -> Result<u64, StoreError> {
        self.inner
            .prune_webhook_deliveries(delivered_before_ms, failed_before_ms)
            .await
    }
}
