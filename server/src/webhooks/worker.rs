//! Sending deliveries: a loop in every `serve` that claims due deliveries
//! from the store (with a lease, so that of several instances on one
//! database exactly one sends each), POSTs them on a task per URL (a
//! receiver that hangs delays no other, and never a reader's request),
//! and records the outcome: 2xx is delivered; any other status, a
//! redirect, a timeout or a refused connection schedules the next attempt
//! `retry_base × 2^(n-1)` later, until `max_attempts` are spent.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use tokio::sync::Semaphore;

use crate::state::AppState;
use crate::store::{now_ms, Attempt, StoreError, WebhookDelivery};
use crate::webhooks::settings::Settings;
use crate::webhooks::{event, signature};

/// Deliveries in flight at once per instance.
const CONCURRENCY: usize = 16;

/// The longest wait between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(6 * 3600);

/// How often a running instance records its `--webhook` URLs again
/// (`crate::jobs::spawn`).
pub const RENEW_EVERY: Duration = Duration::from_secs(60);

/// How long a URL stays in the shared list after the last instance that
/// has it stopped renewing it: five renewals missed. Until then comment
/// writes still queue deliveries for it.
pub const URL_LIFETIME: Duration = Duration::from_secs(300);

/// Records this instance's `--webhook` URLs ([`AppState::webhook_urls`])
/// as delivered to now, forgets the URLs no running instance has renewed
/// for [`URL_LIFETIME`] and gives up their waiting deliveries; how many
/// URLs it forgot. Every instance does it at its start and each minute,
/// with or without URLs of its own: a URL left out of every instance's
/// flags is given up even when none of them sends webhooks any more, and
/// an instance never forgets its own (after a long database outage, say).
pub async fn renew(state: &AppState) -> Result<u64, StoreError> {
    renew_urls(state, &state.webhook_urls).await
}

async fn renew_urls(state: &AppState, urls: &[String]) -> Result<u64, StoreError> {
    state
        .store
        .renew_webhook_urls(urls.to_vec(), URL_LIFETIME)
        .await
}

/// Why the worker could not start.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The HTTP client could not be built.
    #[error("webhook HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    /// Recording the URLs failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sends deliveries. Cheap to clone (one connection pool).
#[derive(Clone)]
pub struct Sender {
    http: reqwest::Client,
    settings: Arc<Settings>,
    /// `--public-url`: what an article stored with a path is sent under.
    public_url: Option<Arc<str>>,
}

impl Sender {
    /// A client that follows no redirect and gives each attempt
    /// `settings.timeout`; `public_url` is the server's public origin.
    pub fn new(settings: Settings, public_url: Option<&str>) -> Result<Sender, WorkerError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.timeout)
            .timeout(settings.timeout)
            .user_agent(concat!(
                "khabar-server/",
                env!("CARGO_PKG_VERSION"),
                " webhooks"
            ))
            .build()?;
        Ok(Sender {
            http,
            settings: Arc::new(settings),
            public_url: public_url.map(Arc::from),
        })
    }

    /// How long a claim of `batch` deliveries keeps them (see [`lease`]).
    fn lease(&self, batch: u32) -> Duration {
        lease(self.settings.timeout, batch)
    }

    /// One attempt: the status of a 2xx answer, or the status (if any)
    /// and the reason of a failure.
    async fn send(&self, d: &WebhookDelivery) -> Result<u16, (Option<u16>, String)> {
        let body = self
            .public_url
            .as_deref()
            .and_then(|origin| event::with_absolute_article_url(&d.body, origin))
            .unwrap_or_else(|| d.body.clone());
        let t = u64::try_from(now_ms() / 1000).unwrap_or(0);
        let signature = signature::sign(&self.settings.secret, t, body.as_bytes())
            .map_err(|e| (None, e.to_string()))?;
        let answer = self
            .http
            .post(&d.url)
            .header(CONTENT_TYPE, "application/json")
            .header("Khabar-Signature", signature)
            .header("Khabar-Event", &d.event)
            .header("Khabar-Delivery", &d.delivery_id)
            .body(body)
            .send()
            .await;
        match answer {
            Ok(res) => {
                let status = res.status();
                if status.is_success() {
                    Ok(status.as_u16())
                } else if status.is_redirection() {
                    Err((
                        Some(status.as_u16()),
                        format!("answered {status} (redirects are not followed)"),
                    ))
                } else {
                    Err((Some(status.as_u16()), format!("answered {status}")))
                }
            }
            Err(e) => Err((None, self.describe(&e))),
        }
    }

    /// A failure in words an operator can act on.
    fn describe(&self, e: &reqwest::Error) -> String {
        if e.is_timeout() {
            return format!(
                "timed out: no answer within {} s",
                self.settings.timeout.as_secs_f32()
            );
        }
        // The innermost cause says what happened ("Connection refused").
        let mut cause: &dyn std::error::Error = e;
        while let Some(next) = cause.source() {
            cause = next;
        }
        if e.is_connect() {
            format!("could not connect: {cause}")
        } else {
            format!("request failed: {cause}")
        }
    }

    /// What to record after attempt number `attempt` (1-based) failed.
    fn after_failure(&self, attempt: u32, status: Option<u16>, error: String) -> Attempt {
        if attempt >= self.settings.max_attempts {
            return Attempt::Failed { status, error };
        }
        Attempt::Retry {
            status,
            error,
            after: backoff(self.settings.retry_base, attempt),
        }
    }
}

/// The wait after failed attempt number `attempt` (1-based): `base`,
/// then twice as long each time, at most [`MAX_DELAY`].
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let factor = 1_u32
        .checked_shl(attempt.saturating_sub(1))
        .unwrap_or(u32::MAX);
    base.saturating_mul(factor).min(MAX_DELAY)
}

/// Records the URLs in the store (so that every process's comment writes
/// queue deliveries for them; [`renew`] keeps them there while the
/// instance runs) and starts the worker of this instance.
pub async fn start(state: &AppState, settings: Settings) -> Result<(), WorkerError> {
    renew_urls(state, &settings.urls).await?;
    let sender = Sender::new(settings, state.public_url.as_deref())?;
    let state = state.clone();
    // Until the instance shuts down: then it claims nothing more, and the
    // deliveries it claimed are sent while the instance drains (those it
    // has not reached when it ends wait for their lease).
    state.background.clone().spawn(async move {
        let permits = Arc::new(Semaphore::new(CONCURRENCY));
        let busy = Busy::default();
        let mut tick = tokio::time::interval(sender.settings.poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while state.background.tick(&mut tick).await {
            pump(&state, &sender, &permits, &busy).await;
        }
    });
    Ok(())
}

/// The URLs this instance is sending to right now.
type Busy = Arc<std::sync::Mutex<std::collections::HashSet<String>>>;

/// A URL marked busy until this is dropped (however its task ends).
struct Sending {
    busy: Busy,
    url: String,
}

impl Sending {
    fn start(busy: &Busy, url: String) -> Sending {
        busy.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(url.clone());
        Sending {
            busy: busy.clone(),
            url,
        }
    }
}

impl Drop for Sending {
    fn drop(&mut self) {
        self.busy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.url);
    }
}

/// Claims as many due deliveries as there are free permits and sends
/// them, a task per URL: one URL's deliveries go in the order of their
/// events (created before published), and a URL that hangs delays no
/// other. A URL whose task still runs is not claimed for: a receiver
/// slower than the poll gets its deliveries one after the other, not the
/// next while it still answers the one before.
async fn pump(state: &AppState, sender: &Sender, permits: &Arc<Semaphore>, busy: &Busy) {
    let free = u32::try_from(permits.available_permits()).unwrap_or(0);
    if free == 0 {
        return;
    }
    let idle: Vec<String> = {
        let busy = busy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        sender
            .settings
            .urls
            .iter()
            .filter(|u| !busy.contains(*u))
            .cloned()
            .collect()
    };
    if idle.is_empty() {
        return;
    }
    let due = match state
        .store
        .claim_webhook_deliveries(idle, free, sender.lease(free))
        .await
    {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!("claiming webhook deliveries: {e}");
            return;
        }
    };
    let mut by_url: Vec<(String, Vec<WebhookDelivery>)> = Vec::new();
    for d in due {
        match by_url.iter_mut().find(|(url, _)| *url == d.url) {
            Some((_, list)) => list.push(d),
            None => by_url.push((d.url.clone(), vec![d])),
        }
    }
    for (url, list) in by_url {
        // Only this loop takes permits, and it claimed no more than were
        // free; a delivery left over waits for its lease to end.
        let n = u32::try_from(list.len()).unwrap_or(u32::MAX);
        let Ok(permit) = permits.clone().try_acquire_many_owned(n) else {
            break;
        };
        let sending = Sending::start(busy, url);
        let (state, sender) = (state.clone(), sender.clone());
        state.background.clone().spawn(async move {
            for d in list {
                deliver(&state, &sender, d).await;
            }
            drop(sending);
            drop(permit);
        });
    }
}

/// One attempt of `d`, recorded.
async fn deliver(state: &AppState, sender: &Sender, d: WebhookDelivery) {
    let attempt = d.attempts.saturating_add(1);
    // Claims take only this instance's URLs, so `d.url` is one of them.
    let outcome = match sender.send(&d).await {
        Ok(status) => Attempt::Delivered(status),
        Err((status, error)) => {
            tracing::warn!(
                "webhook {} ({}) to {}, attempt {attempt}: {error}",
                d.delivery_id,
                d.event,
                d.url
            );
            state.metrics.webhook_attempt_failures.inc();
            sender.after_failure(attempt, status, error)
        }
    };
    match &outcome {
        Attempt::Delivered(_) => {
            state.metrics.webhooks_delivered.inc();
        }
        Attempt::Failed { .. } => {
            state.metrics.webhooks_failed.inc();
            tracing::warn!(
                "webhook {} ({}) to {} failed for good after {attempt} attempt(s)",
                d.delivery_id,
                d.event,
                d.url
            );
        }
        Attempt::Retry { .. } => {}
    }
    if let Err(e) = state.store.record_webhook_attempt(d.id, outcome).await {
        // The lease ends and the delivery is tried again: sent twice at
        // worst, never lost.
        tracing::warn!("recording webhook {}: {e}", d.delivery_id);
    }
}

/// How long a claim of `batch` deliveries keeps them from the other
/// instances: one URL's deliveries go one after the other, each up to
/// `timeout`, so the last of a batch may start `batch - 1` timeouts after
/// the claim; well past that.
fn lease(timeout: Duration, batch: u32) -> Duration {
    timeout.saturating_mul(batch.saturating_add(1)) + Duration::from_secs(30)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_outlasts_every_attempt_of_its_batch() {
        let timeout = Duration::from_secs(10);
        let batch = u32::try_from(CONCURRENCY).expect("small");
        // The last of a URL's deliveries ends at most `batch` timeouts in.
        assert!(lease(timeout, batch) > timeout * batch);
        assert_eq!(lease(timeout, 1), Duration::from_secs(50));
    }

    #[test]
    fn the_backoff_doubles_from_the_base_up_to_a_cap() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(base, 1), Duration::from_secs(30));
        assert_eq!(backoff(base, 2), Duration::from_secs(60));
        assert_eq!(backoff(base, 7), Duration::from_secs(30 * 64));
        assert_eq!(backoff(base, 40), MAX_DELAY);
        assert_eq!(backoff(Duration::from_secs(1), 3), Duration::from_secs(4));
    }
}
