//! Background work, claimed from the store's job table so that exactly one
//! instance runs each job each period, however many share the database.
//! Today: forgetting old rate-limit events, and one sync job per article
//! source (`sync:<url>`, see [`spawn_syncs`]), moderator e-mail
//! (`crate::notify`), and forgetting old webhook deliveries (the
//! deliveries themselves have their own worker, `crate::webhooks::worker`,
//! claimed row by row). Unclaimed, each instance also renews its webhook
//! URLs every minute.

use std::time::Duration;

use crate::state::AppState;

/// How often an instance asks whether a job is due.
const POLL: Duration = Duration::from_secs(5);

/// A periodic job.
struct Job {
    name: &'static str,
    every: Duration,
}

const PRUNE_RATE_HITS: Job = Job {
    name: "prune-rate-hits",
    every: Duration::from_secs(60),
};

const PRUNE_WEBHOOKS: Job = Job {
    name: "prune-webhook-deliveries",
    every: Duration::from_secs(3600),
};

/// How long delivered webhook deliveries stay listed in /admin/webhooks.
const KEEP_DELIVERED: Duration = Duration::from_secs(7 * 86_400);

/// How long failed ones stay (an operator may want to retry them).
const KEEP_FAILED: Duration = Duration::from_secs(30 * 86_400);

/// Who claims, as shown in the job table: host, process and a tag drawn
/// once per process. Host and process alone are not enough: containers
/// on one machine's network (`--network host`) share its name, and each
/// is process 1 in its own namespace, so one could release the other's
/// claim.
fn holder() -> String {
    static HOLDER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOLDER
        .get_or_init(|| {
            let host = std::fs::read_to_string("/etc/hostname")
                .map(|h| h.trim().to_owned())
                .unwrap_or_else(|_| "localhost".into());
            let mut tag = [0u8; 4];
            if getrandom::fill(&mut tag).is_err() {
                // Without the system's randomness, the start time's
                // nanoseconds tell two processes apart as well.
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.subsec_nanos());
                tag = nanos.to_le_bytes();
            }
            let tag: String = tag.iter().map(|b| format!("{b:02x}")).collect();
            format!("{host}:{}:{tag}", std::process::id())
        })
        .clone()
}

/// Starts the job loop of this instance; it runs until the instance shuts
/// down (`AppState::background`), letting a run in progress end first.
pub fn spawn(state: AppState) {
    let holder = holder();
    let background = state.background.clone();
    background.spawn(async move {
        let mut tick = tokio::time::interval(POLL);
        // Every instance, unclaimed: each renews its own webhook URLs. By
        // the wall clock, which the URLs' lifetime is measured in (a
        // machine that slept counts the time away).
        let every = i64::try_from(crate::webhooks::worker::RENEW_EVERY.as_millis()).unwrap_or(0);
        let mut renewed_ms = i64::MIN;
        while state.background.tick(&mut tick).await {
            if crate::store::now_ms().saturating_sub(renewed_ms) >= every {
                match crate::webhooks::worker::renew(&state).await {
                    Ok(n) => {
                        renewed_ms = crate::store::now_ms();
                        if n > 0 {
                            tracing::info!(
                                "webhooks: {n} URL(s) no running instance has, forgotten"
                            );
                        }
                    }
                    Err(e) => tracing::warn!("webhooks: renewing this instance's URLs: {e}"),
                }
            }
            run_due(&state, &holder).await;
        }
    });
}

/// Starts one sync job per source, each claimed from the job table every
/// `every` (so that, of all instances, exactly one syncs a source each
/// period) and run when due: a source that keeps failing is retried at
/// 2, 4, then 8 times the interval until it succeeds again.
pub fn spawn_syncs(
    state: AppState,
    client: crate::sync::SyncClient,
    sources: Vec<crate::sync::Source>,
    every: Duration,
) {
    let holder = holder();
    for source in sources {
        let (state, client, holder) = (state.clone(), client.clone(), holder.clone());
        // A task per source: a slow source never delays the others.
        let background = state.background.clone();
        background.spawn(async move {
            let mut tick = tokio::time::interval(POLL);
            while state.background.tick(&mut tick).await {
                sync_if_due(&state, &client, &source, every, &holder).await;
            }
        });
    }
}

/// One sync of `source` by hand (`khabar-server sync URL`), under the
/// source's job as an instance's sync is: `None`, and nothing done, while
/// an instance holds it (syncing it now, or having synced it within its
/// period: it syncs it on its own). Two syncs of one source at once would
/// each save their own state over the other's.
pub async fn sync_by_hand(
    store: &dyn crate::store::Store,
    client: &crate::sync::SyncClient,
    source: &crate::sync::Source,
) -> Result<Option<crate::sync::Report>, crate::sync::SyncError> {
    let (name, holder) = (source.job_name(), holder());
    let lease = client.limits().max_sync + Duration::from_secs(60);
    if !store.claim_job(&name, lease, &holder).await? {
        return Ok(None);
    }
    let report = crate::sync::sync(store, client, source).await;
    // Due at once: an instance that syncs the source checks its state,
    // which says when its next sync is.
    store.release_job(&name, Duration::ZERO, &holder).await?;
    report.map(Some)
}

/// Claims the sync job of `source` and runs it if it is due; `true` when
/// it ran (for tests). The claim is held for the longest a sync may take
/// (`Limits::max_sync`, and a minute) and released when it ends, so that
/// no other instance starts the same source meanwhile, however slow the
/// site; the next sync is `every` after the end of this one.
pub async fn sync_if_due(
    state: &AppState,
    client: &crate::sync::SyncClient,
    source: &crate::sync::Source,
    every: Duration,
    holder: &str,
) -> bool {
    let name = source.job_name();
    if state.background.is_stopping() {
        return false;
    }
    let lease = every.max(client.limits().max_sync + Duration::from_secs(60));
    match state.store.claim_job(&name, lease, holder).await {
        Ok(true) => {}
        Ok(false) => return false,
        Err(e) => {
            tracing::warn!("claiming {name}: {e}");
            return false;
        }
    }
    let known = async {
        let known = state.store.source_state(&source.url).await?;
        Ok::<_, crate::store::StoreError>((known, state.store.clock_ms().await?))
    };
    let ran = match known.await {
        Ok((known, now)) if crate::sync::is_due(known.as_ref(), every, now) => {
            crate::sync::run(state.store.as_ref(), client, source, &state.metrics).await;
            true
        }
        Ok(_) => {
            tracing::debug!("{name}: backing off after failures");
            false
        }
        Err(e) => {
            tracing::warn!("{name}: reading its state: {e}");
            false
        }
    };
    if let Err(e) = state.store.release_job(&name, every, holder).await {
        tracing::warn!("releasing {name}: {e}");
    }
    ran
}

/// Runs every job that is due and that this instance claims.
pub async fn run_due(state: &AppState, holder: &str) {
    // The mail jobs claim only when they have work: a claim is a write,
    // and on SQLite every write empties the read cache of every instance.
    if let Some(settings) = state.notify.as_deref() {
        if crate::notify::has_news(state).await.unwrap_or(true) {
            let every = crate::notify::period(settings);
            run_claimed(state, holder, crate::notify::CURSOR, every, || async {
                crate::notify::run(state)
                    .await
                    .map(|run| (run.sent, "moderator e-mail(s)", run.unfinished))
            })
            .await;
        }
    }
    if crate::replies::has_work(state).await.unwrap_or(true) {
        let every = Duration::from_secs(1);
        // Due every second anyway: what a run left goes on at once.
        run_claimed(state, holder, crate::replies::JOB, every, || async {
            crate::replies::run_once(state)
                .await
                .map(|n| (n, "reply mail(s)", false))
        })
        .await;
    }
    // Rate events are in the database only where it is shared (SQLite's
    // are in memory): elsewhere the claim would be a write for nothing.
    let job = PRUNE_RATE_HITS;
    if state.store.shares_state() {
        run_claimed(state, holder, job.name, job.every, || async {
            // Each limit counts its events in the same table: keep them for the
            // longest window (an hour: the reply confirmations', the sends
            // already made).
            let window = [
                &state.comment_limit,
                &state.send_limit,
                &state.reply_confirm_limit,
                &state.sent_once,
            ]
            .iter()
            .map(|limit| limit.window())
            .max()
            .unwrap_or_default();
            state
                .store
                .prune_rate_hits(window)
                .await
                .map(|n| (n, "old rate-limit event(s) forgotten", false))
        })
        .await;
    }
    let job = PRUNE_WEBHOOKS;
    run_claimed(state, holder, job.name, job.every, || async {
        // Deliveries are timed on the store's clock.
        let now = state.store.clock_ms().await?;
        let ago = |d| now.saturating_sub(crate::store::millis(d));
        state
            .store
            .prune_webhook_deliveries(ago(KEEP_DELIVERED), ago(KEEP_FAILED))
            .await
            .map(|n| (n, "old webhook deliveries forgotten", false))
    })
    .await;
}

/// Claims job `name` for `every` and, when this instance got it, runs
/// `job`, which says how many things it did, what they were, and whether
/// it stopped with work left (its time spent, or the instance shutting
/// down): such a run is due again at once, not `every` later (an hour's
/// digest cut short would keep the moderators it had not reached waiting
/// an hour more). A run that ends its work, however long it took, waits
/// `every`.
async fn run_claimed<N, E, F, Fut>(
    state: &AppState,
    holder: &str,
    name: &str,
    every: Duration,
    job: F,
) where
    N: std::fmt::Display + Default + PartialEq,
    E: std::fmt::Display,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(N, &'static str, bool), E>>,
{
    // Held for the run, however long it takes (a slow mail server, many
    // notices), up to LEASE: another instance must not start it meanwhile.
    // An instance that dies mid-run leaves it to the others after LEASE;
    // one shutting down starts no run, and ends the one it is in.
    if state.background.is_stopping() {
        return;
    }
    match state.store.claim_job(name, every.max(LEASE), holder).await {
        Ok(true) => {
            let left = match job().await {
                Ok((n, what, left)) => {
                    if n != N::default() {
                        tracing::debug!("{name}: {n} {what}");
                    }
                    left
                }
                Err(e) => {
                    tracing::warn!("{name} (tried again on its next run): {e}");
                    false
                }
            };
            let next = if left { Duration::ZERO } else { every };
            if let Err(e) = state.store.release_job(name, next, holder).await {
                tracing::warn!("releasing {name}: {e}");
            }
        }
        Ok(false) => {}
        Err(e) => tracing::warn!("claiming {name}: {e}"),
    }
}

/// The longest a claimed run holds its job.
const LEASE: Duration = Duration::from_secs(300);

#[cfg(test)]
mod tests {
    use super::*;

    /// One holder for the whole process (a claim taken by the job loop is
    /// released by it), with a tag beside host and process.
    #[test]
    fn a_process_claims_under_one_tagged_name() {
        let name = holder();
        assert_eq!(holder(), name);
        let parts: Vec<&str> = name.rsplitn(3, ':').collect();
        assert_eq!(parts.len(), 3, "{name}");
        assert_eq!(parts[1], std::process::id().to_string());
        assert_eq!(parts[0].len(), 8, "{name}");
        assert!(parts[0].chars().all(|c| c.is_ascii_hexdigit()), "{name}");
    }
}
