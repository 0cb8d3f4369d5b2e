//! Background work, claimed from the store's job table so that exactly one
//! instance runs each job each period, however many share the database.
//! Today: forgetting old rate-limit events. Source syncs, moderator digests
//! and webhook retries join this list as they arrive.

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

/// Who claims: host and process, as shown in the job table.
fn holder() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".into());
    format!("{host}:{}", std::process::id())
}

/// Starts the job loop of this instance; it runs until the runtime stops.
pub fn spawn(state: AppState) {
    let holder = holder();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(POLL);
        loop {
            tick.tick().await;
            run_due(&state, &holder).await;
        }
    });
}

/// Runs every job that is due and that this instance claims.
pub async fn run_due(state: &AppState, holder: &str) {
    let job = PRUNE_RATE_HITS;
    match state.store.claim_job(job.name, job.every, holder).await {
        Ok(true) => {
            let window = state.comment_limit.window().max(state.send_limit.window());
            match state.store.prune_rate_hits(window).await {
                Ok(n) if n > 0 => tracing::debug!("{}: forgot {n} old events", job.name),
                Ok(_) => {}
                Err(e) => tracing::warn!("{}: {e}", job.name),
            }
        }
        Ok(false) => {}
        Err(e) => tracing::warn!("claiming {}: {e}", job.name),
    }
}
