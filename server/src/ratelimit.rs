//! A per-client sliding-window rate limit: in memory for a store that one
//! process serves (SQLite), in the database for a store that several
//! instances share (PostgreSQL), so that a reader cannot multiply their
//! allowance by the number of instances behind the proxy.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::store::{Store, StoreError};

/// Wrong or missing tokens a client may send to each token API
/// (moderation, publishing, metrics: `check_bearer` in `extract.rs`) per
/// [`TOKEN_WINDOW`], by default (`--token-failures`); past them every
/// request of that client to that API waits, with a right token too, so
/// that a token cannot be guessed at speed. Counted by each instance.
pub const TOKEN_FAILURES: usize = 20;

/// The window [`TOKEN_FAILURES`] are counted in.
pub const TOKEN_WINDOW: Duration = Duration::from_secs(600);

/// Clients remembered before idle ones are forgotten (memory under
/// address churn); the bound doubles with the clients still active.
const PRUNE_ABOVE: usize = 50_000;

/// At most `max` events per `window` for each client key.
pub struct RateLimit {
    max: usize,
    window: Duration,
    seen: Mutex<Windows>,
}

/// Each client's events in the window, oldest first.
struct Windows {
    by_client: HashMap<String, VecDeque<Instant>>,
    /// The size past which idle clients are forgotten: after a prune, twice
    /// the clients left, so that a flood of active clients costs one walk
    /// of the map per doubling, not one per event under the lock.
    prune_above: usize,
}

impl RateLimit {
    /// A limit of `max` events per `window` (`max` 0 disables the limit).
    pub fn new(max: usize, window: Duration) -> RateLimit {
        RateLimit {
            max,
            window,
            seen: Mutex::new(Windows {
                by_client: HashMap::new(),
                prune_above: PRUNE_ABOVE,
            }),
        }
    }

    /// Records an event for `client` at `now`; `Err(wait)` when over the
    /// limit, with how long until the next event would be allowed.
    pub fn check(&self, client: &str, now: Instant) -> Result<(), Duration> {
        if self.max == 0 {
            return Ok(());
        }
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.by_client.len() > seen.prune_above {
            seen.by_client.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
            seen.prune_above = PRUNE_ABOVE.max(2 * seen.by_client.len());
        }
        let times = seen.by_client.entry(client.to_owned()).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() >= self.max {
            let oldest = times.front().copied().unwrap_or(now);
            return Err(self.window.saturating_sub(now.duration_since(oldest)));
        }
        times.push_back(now);
        Ok(())
    }

    /// How long `client` must wait before its next event would be allowed
    /// (`None`: it may go now), without recording one.
    pub fn waiting(&self, client: &str, now: Instant) -> Option<Duration> {
        if self.max == 0 {
            return None;
        }
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        // Oldest first: the events still in the window are the last ones.
        let mut recent = seen
            .by_client
            .get(client)?
            .iter()
            .skip_while(|t| now.duration_since(**t) >= self.window);
        let oldest = *recent.next()?;
        (1 + recent.count() >= self.max)
            .then(|| self.window.saturating_sub(now.duration_since(oldest)))
    }

    /// Records an event for `client` in `bucket`, where the store keeps
    /// shared windows, else in memory; `Err(wait)` when over the limit.
    pub async fn check_in(
        &self,
        store: &dyn Store,
        bucket: &str,
        client: &str,
    ) -> Result<Result<(), Duration>, StoreError> {
        if self.max == 0 {
            return Ok(Ok(()));
        }
        if !store.shares_state() {
            return Ok(self.check(client, Instant::now()));
        }
        let max = u32::try_from(self.max).unwrap_or(u32::MAX);
        Ok(
            match store.rate_hit(bucket, client, max, self.window).await? {
                None => Ok(()),
                Some(wait) => Err(wait),
            },
        )
    }

    /// Takes back the last event [`Self::check_in`] recorded for `client`
    /// in `bucket`, when what it was counted for did not happen after all
    /// (another limit refused it, or a copy sent at the same moment did it).
    pub async fn give_back(
        &self,
        store: &dyn Store,
        bucket: &str,
        client: &str,
    ) -> Result<(), StoreError> {
        if self.max == 0 {
            return Ok(());
        }
        if store.shares_state() {
            return store.rate_unhit(bucket, client).await;
        }
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(times) = seen.by_client.get_mut(client) {
            times.pop_back();
        }
        Ok(())
    }

    /// The window events are counted in.
    pub fn window(&self) -> Duration {
        self.window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_event_in_a_minute_waits_for_the_first_to_expire() {
        let limit = RateLimit::new(5, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..5 {
            assert!(limit.check("a", t0 + Duration::from_secs(i)).is_ok());
        }
        let wait = limit
            .check("a", t0 + Duration::from_secs(10))
            .expect_err("limited");
        assert_eq!(wait, Duration::from_secs(50));
        assert!(
            limit.check("b", t0).is_ok(),
            "other clients are not affected"
        );
        assert!(limit.check("a", t0 + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn waiting_tells_without_counting() {
        let limit = RateLimit::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert_eq!(limit.waiting("a", t0), None);
        assert!(limit.check("a", t0).is_ok());
        assert_eq!(limit.waiting("a", t0), None, "one of two");
        assert_eq!(limit.waiting("a", t0), None, "asking counts nothing");
        assert!(limit.check("a", t0 + Duration::from_secs(5)).is_ok());
        assert_eq!(
            limit.waiting("a", t0 + Duration::from_secs(20)),
            Some(Duration::from_secs(40))
        );
        assert_eq!(limit.waiting("a", t0 + Duration::from_secs(60)), None);
        assert_eq!(limit.waiting("b", t0), None);
    }

    #[test]
    fn idle_clients_are_forgotten_and_a_flood_of_active_ones_is_not_walked_per_event() {
        let limit = RateLimit::new(5, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..=PRUNE_ABOVE {
            assert!(limit.check(&format!("old {i}"), t0).is_ok());
        }
        let later = t0 + Duration::from_secs(61);
        assert!(limit.check("new", later).is_ok());
        let seen = limit.seen.lock().expect("lock");
        assert_eq!(seen.by_client.len(), 1, "the idle clients went");
        assert_eq!(seen.prune_above, PRUNE_ABOVE);
        drop(seen);

        // All active: one walk, then the bound doubles.
        for i in 0..=PRUNE_ABOVE {
            assert!(limit.check(&format!("busy {i}"), later).is_ok());
        }
        let seen = limit.seen.lock().expect("lock");
        assert_eq!(seen.by_client.len(), PRUNE_ABOVE + 2);
        assert_eq!(seen.prune_above, 2 * (PRUNE_ABOVE + 1));
    }

    #[test]
    fn zero_disables_the_limit() {
        let limit = RateLimit::new(0, Duration::from_secs(60));
        for _ in 0..100 {
            assert!(limit.check("a", Instant::now()).is_ok());
        }
    }
}
