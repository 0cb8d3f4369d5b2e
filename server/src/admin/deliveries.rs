//! `/admin/webhooks`: the newest webhook deliveries, how each went, and a
//! "retry now" button for the failed ones.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, Response};
use minijinja::value::Serde;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;

use crate::admin::common::AdminError;
use crate::admin::common::DoneFlag;
use crate::admin::i18n::Lang;
use crate::admin::pages::{redirect_done, render, shown_time, FormData, Signed};
use crate::admin::paging::{self, Cursor};
use crate::state::AppState;
use crate::store::WebhookDelivery;

/// Most deliveries the page lists.
const ROWS: u32 = 200;

/// A delivery as the template shows it.
#[derive(Serialize)]
struct Row {
    #[serde(flatten)]
    d: WebhookDelivery,
    /// `delivered`, `retrying`, `waiting` or `failed`.
    state: &'static str,
    /// When it was created, RFC 3339 and for people.
    created: (String, String),
    /// When it was delivered, failed or is tried next.
    when: (String, String),
}

/// A time in ms since the epoch as (RFC 3339, for people).
fn times(ms: i64) -> (String, String) {
    let rfc = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.replace_nanosecond(0).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    let shown = shown_time(&rfc);
    (rfc, shown)
}

impl From<WebhookDelivery> for Row {
    fn from(d: WebhookDelivery) -> Row {
        let (state, at) = match (d.delivered_ms, d.failed_ms) {
            (Some(at), _) => ("delivered", at),
            (None, Some(at)) => ("failed", at),
            (None, None) if d.attempts > 0 => ("retrying", d.next_attempt_ms),
            (None, None) => ("waiting", d.next_attempt_ms),
        };
        Row {
            state,
            created: times(d.created_ms),
            when: times(at),
            d,
        }
    }
}

/// `GET /admin/webhooks`.
pub(crate) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    signed: Signed,
    Query(p): Query<DoneFlag>,
    Query(cursor): Query<Cursor>,
) -> Result<Html<String>, AdminError> {
    let at = cursor.keyset()?;
    let deliveries = state.store.webhook_deliveries(ROWS + 1, at).await?;
    // The heading counts them all, not this page's rows.
    let total = state.store.webhook_delivery_count().await?;
    let (deliveries, links) = paging::page(deliveries, ROWS, at, "/admin/webhooks", |d| d.id);
    let rows: Vec<Row> = deliveries.into_iter().map(Row::from).collect();
    render(
        "webhooks.html",
        Lang::of_request(&headers),
        &uri,
        Some(&signed),
        minijinja::context! {
            rows => Serde(rows), links => Serde(links), here => paging::here("/admin/webhooks", at),
            done => p.done, page => "webhooks", total,
        },
    )
}

/// `POST /admin/webhooks/{id}/retry`: a failed delivery back in the
/// queue, due now.
pub(crate) async fn retry(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AdminError> {
    let form = FormData::parse(&body);
    signed.check(&form)?;
    // It sends the comment's text to that URL again: the log says which
    // delivery, of which comment, to where, in the same transaction.
    let line = crate::audit::line(signed.moderator(), "retry_webhook");
    let retried = state.store.retry_webhook_delivery(id, Some(line)).await?;
    // Back to the page the button was on.
    Ok(redirect_done(
        form.get("back").or(Some("/admin/webhooks")),
        u32::from(retried.is_some()),
    ))
}
