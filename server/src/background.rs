//! What an instance does besides answering requests — its jobs, syncs,
//! webhook deliveries and reply confirmations — and how it winds that down
//! on SIGTERM: nothing new starts, and what is running may finish (and
//! release its claim in the job table) before the process ends. A run cut
//! off instead leaves its claim until the claim's lease ends, minutes in
//! which no other instance runs that job: the gap a rolling deploy would
//! otherwise open in reply notices and moderators' mail.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The background work of one instance; clones share it.
#[derive(Clone, Default)]
pub struct Background {
    stop: CancellationToken,
    tasks: TaskTracker,
}

impl Background {
    /// Runs `work` as background work of this instance, waited for by
    /// [`Background::drain`].
    pub fn spawn<F>(&self, work: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tasks.spawn(work);
    }

    /// [`Background::spawn`] for work whose result is awaited: a request
    /// that hands it over and waits for it, which a broken connection or a
    /// shutdown must not cut short.
    pub fn run<F, T>(&self, work: F) -> tokio::task::JoinHandle<T>
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.tasks.spawn(work)
    }

    /// Whether the instance is shutting down: start nothing new.
    pub fn is_stopping(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// Resolves once the instance begins shutting down (for loops that
    /// wait for their next tick).
    pub async fn stopping(&self) {
        self.stop.cancelled().await;
    }

    /// Waits for `interval`'s next tick; `false` once the instance shuts
    /// down, whichever comes first. Stopping wins over a tick that is
    /// ready too: no loop starts another round after the signal.
    pub async fn tick(&self, interval: &mut tokio::time::Interval) -> bool {
        tokio::select! {
            biased;
            () = self.stopping() => false,
            _ = interval.tick() => true,
        }
    }

    /// Tells every loop to start nothing new (the signal arrived; requests
    /// in flight finish meanwhile).
    pub fn stop(&self) {
        self.stop.cancel();
    }

    /// Stops, then waits at most `grace` for the work that is running to
    /// end; how many tasks were still running then.
    pub async fn drain(&self, grace: Duration) -> usize {
        self.stop();
        self.tasks.close();
        let _ = tokio::time::timeout(grace, self.tasks.wait()).await;
        self.tasks.len()
    }
}
