//! `POST /api/v1/articles/{id}/send`: "send this article to a friend".

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ClientKey};
use crate::mail::{self, SendRequest};
use crate::state::AppState;

/// Largest accepted request body.
pub const MAX_BODY: usize = 16 * 1024;

pub(crate) async fn send(
    State(state): State<AppState>,
    ApiPath(article_id): ApiPath<String>,
    ClientKey(client): ClientKey,
    ApiJson(input): ApiJson<SendRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mailer = state.mailer.clone().ok_or(ApiError::SendDisabled)?;
    let clean = mail::validate(&input).map_err(ApiError::Invalid)?;
    let article = state
        .store
        .article(&article_id)
        .await?
        // A page known only by its URL (a thread its first comment opened)
        // is no article: its title came from a reader, and would be the
        // subject of mail from the site's own address.
        .filter(|a| !crate::threads::is_thread(a))
        .ok_or(ApiError::NotFound("article"))?;
    // An article stored with a path (`/news/1`) is linked at this server's
    // address, never at the request's Host (see `AppState::mail_url`); with
    // none known, the path stays as it is.
    let article = match state.mail_base() {
        Some(base) => article.with_absolute_urls(base),
        None => article,
    };
    let message = mail::compose(&mailer.from, &state.site_name, &article, &clean).map_err(|e| {
        tracing::warn!("composing mail: {e}");
        ApiError::Invalid(crate::comments::FieldErrors::new())
    })?;
    // Counted only when a message would really leave: mistakes cost nothing.
    // Per client, and per recipient's inbox, which many clients (a /48 of
    // IPv6 addresses, say) could otherwise flood together, each with its
    // own spelling of the address.
    // By its HMAC under the install's key, as reply confirmations count
    // theirs: a plain hash of a third party's address, kept with the rate
    // events, is found again by hashing known addresses.
    let recipient =
        crate::admin::client_hmac(&state, &format!("send-to:{}", mail::inbox(&clean.to_email)))
            .await?;
    // A request sent again with its key (the widget does, after a network
    // error that may have come once the mail had left) is answered as the
    // first was and sends nothing more: a friend gets one mail. The key
    // is bound to what the request asks, so that a key used again for
    // another friend (as typed: `+work` or not is another address here)
    // or note sends that one too. Before the limits: a repeat spends no
    // allowance. A repeat while the first is still with the mail server is
    // answered "sent" too (see docs/api.md).
    let once = match &clean.idempotency_key {
        Some(key) => Some(
            crate::admin::client_hmac(
                &state,
                &format!(
                    "send-once:{key}\n{article_id}\n{}\n{}\n{}\n{}",
                    clean.from_name,
                    clean.from_email,
                    clean.to_email.to_lowercase(),
                    clean.message
                ),
            )
            .await?,
        ),
        None => None,
    };
    // On its own task, the claim of the key included: a reader whose
    // connection breaks (the case the key is for) must not cut the send
    // short between claim and answer, nor leave the claim of a mail that
    // never left. Background work: an instance shutting down waits for it.
    let task = state.background.run({
        let state = state.clone();
        async move {
            if let Some(once) = &once {
                let store = state.store.as_ref();
                if state
                    .sent_once
                    .check_in(store, "send-once", once)
                    .await?
                    .is_err()
                {
                    return Ok(());
                }
            }
            let result = limit_and_send(&state, &client, &recipient, message).await;
            if let (Err(_), Some(once)) = (&result, &once) {
                // Not sent: the same request may be sent again.
                if let Err(e) = state
                    .sent_once
                    .give_back(state.store.as_ref(), "send-once", once)
                    .await
                {
                    tracing::error!("giving back a send's key: {e}");
                }
            }
            result
        }
    });
    task.await.map_err(|e| {
        tracing::error!("sending mail: {e}");
        ApiError::MailFailed
    })??;
    Ok(sent())
}

/// Counts the send against the client's and the recipient's limits, then
/// hands the message to the mailer.
async fn limit_and_send(
    state: &AppState,
    client: &str,
    recipient: &str,
    message: crate::mailer::Outgoing,
) -> Result<(), ApiError> {
    // The client first, so that one past its allowance cannot spend the
    // recipient's; a recipient's refusal then gives the client's back.
    let limited = |wait| ApiError::RateLimited {
        wait,
        message: "Too many e-mails; try later.",
    };
    let store = state.store.as_ref();
    state
        .send_limit
        .check_in(store, "send", client)
        .await?
        .map_err(limited)?;
    if let Err(wait) = state
        .send_limit
        .check_in(store, "send-to", recipient)
        .await?
    {
        state.send_limit.give_back(store, "send", client).await?;
        return Err(limited(wait));
    }
    let mailer = state.mailer.as_ref().ok_or(ApiError::SendDisabled)?;
    mailer.send(message).await.map_err(|e| {
        // Counted by the mailer, as every failed message is.
        tracing::error!("sending mail: {e}");
        ApiError::MailFailed
    })
}

fn sent() -> (StatusCode, Json<Value>) {
    (StatusCode::ACCEPTED, Json(json!({ "status": "sent" })))
}
