//! `/admin/blocks`: the blocked authors with an "unblock" button each, a
//! form to block an address or client HMAC by hand, and the "block this
//! author" buttons of every listed comment (see [`crate::blocks`]).

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, Response};
use minijinja::value::Serde;
use serde::Serialize;

use crate::admin::common::AdminError;
use crate::admin::common::DoneFlag;
use crate::admin::i18n::Lang;
use crate::admin::pages::{redirect_done, render, shown_time, FormData, Signed};
use crate::admin::paging::{self, Cursor};
use crate::blocks::{self, BlockError};
use crate::state::AppState;
use crate::store::{AuthorBlock, BlockKind};

impl From<BlockError> for AdminError {
    fn from(e: BlockError) -> Self {
        match e {
            BlockError::BadEmail => AdminError::BadForm("email"),
            BlockError::BadClient => AdminError::BadForm("client"),
            BlockError::Store(e) => AdminError::from(e),
        }
    }
}

/// A block as the template shows it.
#[derive(Serialize)]
struct Row {
    #[serde(flatten)]
    b: AuthorBlock,
    /// `at` for people.
    time: String,
}

/// Blocks per page.
const PAGE_ROWS: u32 = 200;

/// `GET /admin/blocks`: newest first, a page at a time.
pub(crate) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    signed: Signed,
    Query(p): Query<DoneFlag>,
    Query(cursor): Query<Cursor>,
) -> Result<Html<String>, AdminError> {
    let at = cursor.keyset()?;
    let blocks = state.store.blocks(PAGE_ROWS + 1, at).await?;
    let (blocks, links) = paging::page(blocks, PAGE_ROWS, at, "/admin/blocks", |b| b.id);
    let total = state.store.block_count().await?;
    let rows: Vec<Row> = blocks
        .into_iter()
        .map(|b| {
            let time = shown_time(&b.at);
            Row { b, time }
        })
        .collect();
    render(
        "blocks.html",
        Lang::of_request(&headers),
        &uri,
        Some(&signed),
        minijinja::context! {
            rows => Serde(rows), total => total, links => Serde(links),
            here => paging::here("/admin/blocks", at),
            done => p.done, page => "blocks",
        },
    )
}

/// The `kind` and `value` fields of the block and unblock forms.
fn typed_in(form: &FormData) -> Result<(BlockKind, &str), AdminError> {
    let kind = form
        .get("kind")
        .and_then(BlockKind::parse)
        .ok_or(AdminError::BadForm("kind"))?;
    Ok((kind, form.get("value").unwrap_or("")))
}

/// `POST /admin/blocks`: `block=email:ID:ADDRESS` or `block=client:ID:HMAC`
/// blocks the author of comment ID (the buttons of the comment lists);
/// `kind` and `value` block an address or HMAC typed in.
pub(crate) async fn add(
    State(state): State<AppState>,
    signed: Signed,
    body: Bytes,
) -> Result<Response, AdminError> {
    let form = FormData::parse(&body);
    signed.check(&form)?;
    let store = state.store.as_ref();
    let added = match form.get("block") {
        // `KIND:COMMENT_ID:VALUE`: the comment is named for the audit log.
        Some(one) => {
            let mut parts = one.splitn(3, ':');
            let kind = parts
                .next()
                .and_then(BlockKind::parse)
                .ok_or(AdminError::BadForm("block"))?;
            let id: i64 = parts
                .next()
                .and_then(|id| id.parse().ok())
                .ok_or(AdminError::BadForm("block"))?;
            let value = parts.next().ok_or(AdminError::BadForm("block"))?;
            blocks::block(store, kind, value, signed.moderator(), Some(id)).await?
        }
        None => {
            let (kind, value) = typed_in(&form)?;
            blocks::block(store, kind, value, signed.moderator(), None).await?
        }
    };
    Ok(redirect_done(
        form.get("back").or(Some("/admin/blocks")),
        u32::from(added),
    ))
}

/// `POST /admin/blocks/remove` with `kind` and `value`: the unblock button.
pub(crate) async fn remove(
    State(state): State<AppState>,
    signed: Signed,
    body: Bytes,
) -> Result<Response, AdminError> {
    let form = FormData::parse(&body);
    signed.check(&form)?;
    let (kind, value) = typed_in(&form)?;
    let removed = blocks::unblock(state.store.as_ref(), kind, value, signed.moderator()).await?;
    // Back to the page the button was on.
    Ok(redirect_done(
        form.get("back").or(Some("/admin/blocks")),
        u32::from(removed),
    ))
}
