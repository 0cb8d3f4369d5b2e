//! What an operator's Prometheus scrapes: requests and their latencies per
//! route, comments by state, mail and sync failures, webhook deliveries. OpenMetrics text via
//! the official `prometheus-client` crate.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// Labels of a request: the route's pattern (never the raw path, whose ids
/// would grow the series without bound), the method and the status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to ~8 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    comments: Family<StateLabels, Gauge>,
    /// Mails the SMTP server did not take.
    pub mail_failures: Counter,
    /// Source syncs that failed.
    pub sync_failures: Counter,
    /// Webhook deliveries a receiver took (2xx).
    pub webhooks_delivered: Counter,
    /// Webhook deliveries given up after their last attempt.
    pub webhooks_failed: Counter,
    /// Webhook attempts that failed (each retry counts).
    pub webhook_attempt_failures: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("khabar");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let comments = Family::<StateLabels, Gauge>::default();
        let mail_failures = Counter::default();
        let sync_failures = Counter::default();
        let webhooks_delivered = Counter::default();
        let webhooks_failed = Counter::default();
        let webhook_attempt_failures = Counter::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            latency.clone(),
        );
        registry.register("comments", "Stored comments by state", comments.clone());
        registry.register(
            "mail_failures",
            "E-mails the SMTP server did not take",
            mail_failures.clone(),
        );
        registry.register(
            "sync_failures",
            "Article source syncs that failed",
            sync_failures.clone(),
        );
        registry.register(
            "webhooks_delivered",
            "Webhook deliveries a receiver took (2xx)",
            webhooks_delivered.clone(),
        );
        registry.register(
            "webhooks_failed",
            "Webhook deliveries given up after their last attempt",
            webhooks_failed.clone(),
        );
        registry.register(
            "webhook_attempt_failures",
            "Webhook attempts that failed, retries included",
            webhook_attempt_failures.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            comments,
            mail_failures,
            sync_failures,
            webhooks_delivered,
            webhooks_failed,
            webhook_attempt_failures,
        }
    }
}

impl Metrics {
    /// Sets the comments-by-state gauges (read from the store at scrape
    /// time, so every instance reports the shared truth).
    pub fn set_comment_counts(&self, counts: &[(String, i64)]) {
        for state in ["published", "pending", "rejected", "spam"] {
            let n = counts
                .iter()
                .find(|(s, _)| s == state)
                .map_or(0, |(_, n)| *n);
            self.comments
                .get_or_create(&StateLabels {
                    state: state.to_owned(),
                })
                .set(n);
        }
    }

    /// Leaves the comments-by-state gauges out of the next scrape, when the
    /// store could not count: an old figure shown as current would hide
    /// the outage from an alert (a missing series does not).
    pub fn forget_comment_counts(&self) {
        self.comments.clear();
    }

    /// The OpenMetrics text of everything.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// Middleware: counts and times every request by its route pattern.
pub async fn record(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let res = next.run(req).await;
    metrics
        .latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status: res.status().as_u16(),
        })
        .inc();
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_counts_the_store_could_not_give_are_left_out() {
        let m = Metrics::default();
        m.set_comment_counts(&[("pending".to_owned(), 3)]);
        assert!(m.render().contains("khabar_comments{state=\"pending\"} 3"));
        m.forget_comment_counts();
        assert!(!m.render().contains("khabar_comments{"), "{}", m.render());
        m.set_comment_counts(&[("pending".to_owned(), 4)]);
        assert!(m.render().contains("khabar_comments{state=\"pending\"} 4"));
    }
}
