//! `GET /api/v1/config`: what this backend can do, for the widget.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::extract::Origin;
use crate::state::AppState;

pub(crate) async fn get(State(state): State<AppState>, Origin(origin): Origin) -> Json<Value> {
    Json(json!({
        "site_name": state.site_name,
        "capabilities": {
            "comments": true,
            "send_to_friend": state.mailer.is_some(),
            "reply_notifications": state.reply_notifications(),
        },
        "feeds": {
            "rss": format!("{origin}/feed.xml"),
            "json": format!("{origin}/feed.json"),
        },
    }))
}
