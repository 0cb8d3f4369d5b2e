//! What the widget keeps in the reader's `localStorage`: comment drafts
//! (never lost), the reader's own pending comments (shown until published or
//! a week old) and, when asked to, the reader's name. Storage can be missing
//! or full (private mode, quotas): every call then quietly does nothing,
//! but for a draft, kept in memory for the page's life.

use std::cell::RefCell;

use js_sys::{Object, JSON};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Storage;

use crate::json::{DecodeError, FromJson, Json, Obj};

/// How long an own pending comment is shown, in milliseconds (a week).
pub const PENDING_TTL_MS: f64 = 7.0 * 24.0 * 3600.0 * 1000.0;

fn local() -> Option<Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn read(key: &str) -> Option<JsValue> {
    let text = local()?.get_item(key).ok().flatten()?;
    JSON::parse(&text).ok()
}

/// Whether `value` was stored under `key`.
fn write(key: &str, value: &JsValue) -> bool {
    match (local(), JSON::stringify(value)) {
        (Some(store), Ok(text)) => store.set_item(key, &String::from(text)).is_ok(),
        _ => false,
    }
}

/// Removes `key`.
pub fn remove(key: &str) {
    if let Some(store) = local() {
        let _ = store.remove_item(key);
    }
}

fn set(obj: &Object, key: &str, value: &JsValue) {
    crate::plain::set_field(obj, key, value);
}

/// A comment being written, saved as the reader types.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Draft {
    /// Name field.
    pub author: String,
    /// E-mail field.
    pub email: String,
    /// Comment field.
    pub body: String,
    /// The comment being answered.
    pub parent_id: Option<i64>,
    /// Its author's name, to show "replying to …" after a reload.
    pub parent_author: String,
    /// Idempotency key: one per comment, kept across retries and reloads.
    pub key: String,
}

impl Draft {
    /// Whether there is anything worth keeping.
    pub fn is_empty(&self) -> bool {
        self.body.trim().is_empty() && self.parent_id.is_none()
    }
}

impl FromJson for Draft {
    fn from_json<J: Json>(value: &J, path: &str) -> Result<Self, DecodeError> {
        let o = Obj::new(value, path)?;
        let value = Draft {
            author: o.opt_string("author").unwrap_or_default(),
            email: o.opt_string("email").unwrap_or_default(),
            body: o.opt_string("body").unwrap_or_default(),
            parent_id: o.opt_id("parent_id"),
            parent_author: o.opt_string("parent_author").unwrap_or_default(),
            key: o.opt_string("key").unwrap_or_default(),
        };
        o.finish(value)
    }
}

/// Where the drafts of one article live: a list, one per tab that wrote
/// its own.
pub fn draft_key(api: &str, article_id: &str) -> String {
    format!("{DRAFTS}{api}:{article_id}")
}

const DRAFTS: &str = "khabar:drafts:";

thread_local! {
    /// Each article's draft that storage refused (missing, or full), by
    /// its storage key: a section mounted again in this page (a change of
    /// language, an app's view shown again) restores it from here.
    static UNSTORED: RefCell<Vec<(String, String, JsValue)>> = const { RefCell::new(Vec::new()) };
}

/// Keeps `draft` (as stored, with its own key) as `key`'s unstored draft,
/// or with `None` forgets it.
fn unstored(key: &str, draft: Option<(&str, JsValue)>) {
    UNSTORED.with_borrow_mut(|kept| {
        kept.retain(|(k, _, _)| k != key);
        if let Some((mine, d)) = draft {
            kept.push((key.to_owned(), mine.to_owned(), d));
        }
    });
}

/// How many drafts of one article are kept: one per tab that wrote its
/// own, the oldest let go past this.
const DRAFTS_KEPT: usize = 5;

/// The drafts stored under `key`, oldest first, but those keyed as one of
/// `but` (one without a key, which only a hand could write, is kept).
#[inline(never)]
fn drafts_but(key: &str, but: &[&str]) -> Vec<JsValue> {
    let mut kept = Vec::new();
    if let Some(list) = read(key).and_then(|v| v.array()) {
        for d in list {
            let k = d
                .field("key")
                .and_then(|k| k.as_string())
                .unwrap_or_default();
            if k.is_empty() || !but.contains(&k.as_str()) {
                kept.push(d);
            }
        }
    }
    kept
}

/// Whether `drafts` were stored under `key` (none: the key removed).
#[inline(never)]
fn store_drafts(key: &str, drafts: &[JsValue]) -> bool {
    if drafts.is_empty() {
        remove(key);
        return true;
    }
    let list = js_sys::Array::new();
    for d in drafts {
        list.push(d);
    }
    write(key, &list)
}

/// The draft to restore: the one written last. A draft a widget from
/// before 2026-12-06 stored (one object, under the key's singular name) is
/// first moved in as the newest, with a key of its own if it had none, so
/// that the tab that restores it can replace it. Only here, as a page
/// opens: a tab of that widget still open may write it again, and what it
/// writes then comes in with the next page opened.
pub fn load_draft(key: &str) -> Option<Draft> {
    // This tab's own text, which storage refused: kept over any stored
    // one (another tab's, perhaps newer, stays stored for the next page).
    let mine = UNSTORED.with_borrow(|kept| {
        kept.iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, _, d)| d.clone())
    });
    if let Some(mine) = mine {
        return Draft::from_json(&mine, "").ok();
    }
    let mut drafts = drafts_but(key, &[]);
    let older = format!(
        "khabar:draft:{}",
        key.get(DRAFTS.len()..).unwrap_or_default()
    );
    if let Some(old) = read(&older).filter(|d| d.is_object()) {
        let k = old.field("key").and_then(|k| k.as_string());
        if !k.as_deref().is_some_and(khabar_rules::is_idempotency_key) {
            set(old.unchecked_ref(), "key", &new_key().into());
        }
        drafts.push(old);
        if store_drafts(key, &drafts) {
            remove(&older);
        }
    }
    Draft::from_json(&drafts.pop()?, "").ok()
}

/// Whether the draft keyed `mine` is missing from storage while there is
/// room for it: another tab that restored it and wrote over it took it.
/// (Past the room, storing it again would push out the oldest, whose tab
/// would store it again in turn.)
pub fn draft_taken(key: &str, mine: &str) -> bool {
    let others = drafts_but(key, &[mine]);
    others.len() < DRAFTS_KEPT && others.len() == drafts_but(key, &[]).len()
}

/// The key of the comment the server took last, from any tab.
const SENT: &str = "khabar:sent";

/// Whether the comment keyed `mine` is the one the server took last: the
/// tab that wrote its draft, seeing it gone, is not to store it again.
pub fn was_sent(mine: &str) -> bool {
    local()
        .and_then(|s| s.get_item(SENT).ok().flatten())
        .as_deref()
        == Some(mine)
}

/// Forgets the stored draft keyed `mine` once the server has its comment,
/// having noted the key first (see [`was_sent`]): stored again by the tab
/// that wrote it, it would come back on every visit. The drafts other
/// tabs of the article stored beside it stay.
pub fn draft_sent(key: &str, mine: &str) {
    if let Some(store) = local() {
        let _ = store.set_item(SENT, mine);
    }
    // The memory's copy only if it is that draft: a section mounted again
    // meanwhile may have restored it and written another comment.
    let other = UNSTORED.with_borrow(|kept| kept.iter().any(|(k, d, _)| k == key && d != mine));
    if !other {
        unstored(key, None);
    }
    store_drafts(key, &drafts_but(key, &[mine]));
}

/// Saves `draft`, which replaces the one keyed `mine` (an empty draft
/// forgets it). Another tab's draft of the article is kept beside it, so
/// that two tabs writing at once do not overwrite each other.
pub fn save_draft(key: &str, draft: &Draft, mine: &str) {
    let mut drafts = drafts_but(key, &[mine, &draft.key]);
    unstored(key, None);
    if draft.is_empty() {
        store_drafts(key, &drafts);
        return;
    }
    let o = Object::new();
    set(&o, "author", &draft.author.as_str().into());
    set(&o, "email", &draft.email.as_str().into());
    set(&o, "body", &draft.body.as_str().into());
    if let Some(p) = draft.parent_id {
        set(&o, "parent_id", &JsValue::from_f64(p as f64));
    }
    set(&o, "parent_author", &draft.parent_author.as_str().into());
    set(&o, "key", &draft.key.as_str().into());
    drafts.push(o.into());
    let from = drafts.len().saturating_sub(DRAFTS_KEPT);
    // A draft that does not fit (storage full) leaves no older version of
    // itself behind, which a later visit would restore and send; the other
    // tabs' drafts stay if they still fit.
    if !store_drafts(key, &drafts[from..]) {
        unstored(key, drafts.pop().map(|d| (draft.key.as_str(), d)));
        if !store_drafts(key, &drafts) {
            remove(key);
        }
    }
}

/// A comment of this reader that awaits moderation.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// Its id on the server.
    pub id: i64,
    /// Name as sent.
    pub author: String,
    /// Text as sent.
    pub body: String,
    /// RFC 3339.
    pub created_at: String,
    /// The comment it answers.
    pub parent_id: Option<i64>,
    /// When to stop showing it (ms since the epoch).
    pub until: f64,
}

impl FromJson for Pending {
    fn from_json<J: Json>(value: &J, path: &str) -> Result<Self, DecodeError> {
        let o = Obj::new(value, path)?;
        let value = Pending {
            id: o.id("id"),
            author: o.string("author"),
            body: o.string("body"),
            created_at: o.string("created_at"),
            parent_id: o.opt_id("parent_id"),
            until: o.id("until") as f64,
        };
        o.finish(value)
    }
}

/// Where the reader's pending comments on one article live.
pub fn pending_key(api: &str, article_id: &str) -> String {
    format!("khabar:pending:{api}:{article_id}")
}

/// The reader's pending comments still worth showing at `now_ms`.
pub fn load_pending(key: &str, now_ms: f64) -> Vec<Pending> {
    let Some(list) = read(key).and_then(|v| v.array()) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|v| Pending::from_json(v, "").ok())
        .filter(|p| p.until > now_ms)
        .collect()
}

/// Replaces the stored pending comments.
pub fn save_pending(key: &str, items: &[Pending]) {
    if items.is_empty() {
        remove(key);
        return;
    }
    let list = js_sys::Array::new();
    for p in items {
        let o = Object::new();
        set(&o, "id", &JsValue::from_f64(p.id as f64));
        set(&o, "author", &p.author.as_str().into());
        set(&o, "body", &p.body.as_str().into());
        set(&o, "created_at", &p.created_at.as_str().into());
        if let Some(parent) = p.parent_id {
            set(&o, "parent_id", &JsValue::from_f64(parent as f64));
        }
        set(&o, "until", &JsValue::from_f64(p.until.floor()));
        list.push(&o);
    }
    let _ = write(key, &list);
}

const NAME_KEY: &str = "khabar:name";

/// The name the reader asked us to remember.
pub fn remembered_name() -> Option<String> {
    read(NAME_KEY)?.as_string()
}

/// Remembers (or, with `None`, forgets) the reader's name.
pub fn remember_name(name: Option<&str>) {
    match name {
        Some(n) => {
            let _ = write(NAME_KEY, &JsValue::from_str(n));
        }
        None => remove(NAME_KEY),
    }
}

/// A fresh idempotency key (a random UUID from the browser).
pub fn new_key() -> String {
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        // Only secure contexts (https, localhost) of recent browsers have
        // it, and calling it where it is missing throws.
        .filter(|c| js_sys::Reflect::has(c, &JsValue::from_str("randomUUID")).unwrap_or(false))
        .map(|c| c.random_uuid())
        // Elsewhere (an http page, an older browser): time and chance, unique
        // enough for one reader's one comment.
        .unwrap_or_else(|| {
            let chance = (js_sys::Math::random() * 1e9) as u32;
            format!("k-{}-{chance}", js_sys::Date::now() as u64)
        })
}
