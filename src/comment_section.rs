//! The comment section at work: loads and pages comments, keeps the draft
//! in local storage as the reader types, validates, sends with one
//! idempotency key per comment, retries on its own after network trouble
//! or a 429, and shows the reader's own pending comments.

use gloo_timers::callback::Timeout;
use js_sys::Object;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlInputElement};

use crate::api::{ApiClient, Thread};
use crate::comment_rules::{self, Field, Problem};
use crate::component::{Component, Guard};
use crate::config::{Kind, Options};
use crate::dom::{self, clear, dom_error, Attrs, Children, El};
use crate::error::WidgetError;
use crate::http::Cancel;
use crate::i18n::format::{self, TimeWriter};
use crate::i18n::Catalog;
use crate::json::Json;
use crate::model::{Comment, CommentPage, NewComment, Posted};
use crate::storage::{self, Draft, Pending};
use crate::views::comment_form::{self, CommentForm};
use crate::views::comments as view;
use crate::views::status;

/// Top-level comments per page: the server's default page.
pub const PAGE_SIZE: u32 = khabar_rules::COMMENT_PAGE_DEFAULT;
/// Automatic resends after a network failure, timeout or 5xx.
pub const AUTO_RETRIES: u32 = 5;

/// Seconds to wait before automatic resend number `attempt` (1, 2, …):
/// 2, 4, 8, 16, then 30.
pub fn backoff_seconds(attempt: u32) -> u32 {
    2u32.saturating_pow(attempt.clamp(1, 5)).min(30)
}

/// The wait of a backoff in milliseconds, shortened by up to half at
/// random (`unit` in 0..1): readers who lost the server together then come
/// back spread over a few seconds instead of in the same one.
pub fn jittered_ms(seconds: u32, unit: f64) -> u32 {
    let ms = f64::from(seconds.saturating_mul(1000));
    (ms * (1.0 - unit.clamp(0.0, 1.0) / 2.0)) as u32
}

/// Comment `id`'s element in `list`, or what `then` selects inside it.
fn find_comment(list: &Element, id: i64, then: &str) -> Option<Element> {
    list.query_selector(&format!("li.comment[data-id=\"{id}\"]{then}"))
        .ok()
        .flatten()
}

thread_local! {
    /// The sections mounted in this page, as guards: one mounted again
    /// while a comment of its thread was on its way (a change of language,
    /// an app's view shown again) takes the answer its first one missed.
    static MOUNTED: std::cell::RefCell<Vec<Guard<State>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The fields that can show an error (the parent's is the reply banner).
const FORM_FIELDS: [Field; 4] = [Field::Author, Field::Email, Field::Body, Field::Parent];

/// Puts the form at the end of `parent`, unless it is there already: moving
/// it would take the focus (and an IME's composition) from a reader who is
/// typing in it when a page of comments arrives.
fn place(form: &Element, parent: &Element) {
    if form.parent_element().as_ref() != Some(parent) {
        parent.add_child(form);
    }
}

/// Keeps the reader's comment `c`, waiting for a moderator, under `key`:
/// shown to them as waiting until it is published, or for a week.
fn remember_pending(key: &str, c: &Comment) {
    let now = js_sys::Date::now();
    let mut items = storage::load_pending(key, now);
    items.retain(|p| p.id != c.id);
    items.push(Pending {
        id: c.id,
        author: c.author.clone(),
        body: c.body.clone(),
        created_at: c.created_at.clone(),
        parent_id: c.parent_id,
        until: now + storage::PENDING_TTL_MS,
    });
    storage::save_pending(key, &items);
}

/// Tells the page at `host` that the reader's comment was taken
/// (`khabar:comment-posted`, with its id and status).
fn tell_posted(host: &Element, posted: &Posted) {
    let detail = Object::new();
    crate::plain::set_field(&detail, "id", &JsValue::from_f64(posted.comment.id as f64));
    crate::plain::set_field(&detail, "status", &posted.status.as_str().into());
    crate::dom::dispatch(host, "khabar:comment-posted", &detail);
}

/// The reader's own comment as kept while it waits, as a comment to show.
fn as_comment(p: &Pending) -> Comment {
    Comment {
        id: p.id,
        author: p.author.clone(),
        body: p.body.clone(),
        created_at: p.created_at.clone(),
        parent_id: p.parent_id,
        replies: Vec::new(),
        replies_next: None,
    }
}

/// What a page of comments was asked for.
enum Wanted {
    /// The list's next page (its first, or after the shown ones).
    List { first: bool },
    /// More replies to the comment whose "more replies" `button` it is.
    Replies(Element),
    /// Whether the reader's reply `id`, shown as waiting, is published
    /// among replies not shown yet.
    Published(i64),
}

struct State {
    host: Element,
    section: Element,
    list: Element,
    /// The count in the heading.
    total_el: Element,
    form: CommentForm,
    /// Whether the article takes comments: when not, the list shows
    /// without a "reply" on any comment, and the form only to keep
    /// unsent text in view, read-only.
    open: bool,
    /// What the section added around the list: "no comments yet", the
    /// "more" button, a loading error with its retry button.
    empty: Option<Element>,
    more: Option<Element>,
    list_error: Option<(Element, Element)>,
    options: Options,
    catalog: &'static Catalog,
    client: ApiClient,
    /// The article's id or the page's URL.
    thread: Thread,
    /// The backend refused this embed: nothing is sent any more.
    refused: bool,
    draft_key: String,
    /// The draft as typed; written through to local storage on every change.
    draft: Draft,
    /// The key of the draft restored as the section opened.
    restored_key: String,
    pending_key: String,
    next: Option<String>,
    total: u32,
    loaded: Vec<i64>,
    /// Comments shown where they were posted, before the page that holds
    /// them came: that page (or the reader's pending ones, on the last)
    /// moves them into their place instead of showing them twice.
    shown_early: Vec<i64>,
    list_abort: Option<Cancel>,
    /// The switch of every request of replies ("more replies", the check
    /// of a reply published among them): `destroy` cancels them with the
    /// rest.
    replies_abort: Option<Cancel>,
    /// The reader pressed "more": the page after the shown ones is fetched
    /// before it is asked for (see [`CommentSection::ahead`]).
    paging: bool,
    /// An automatic resend's timer, and what the reader is told if a
    /// change to the text calls it off.
    retry: Option<(Timeout, &'static str)>,
    attempts: u32,
    sending: bool,
    /// The backend can mail readers about replies (from the comment list).
    can_notify: bool,
    /// Whether the host still waits to hear that the section shows (see
    /// [`CommentSection::announce`]).
    announce: bool,
    /// What holds the section's place until its first page is shown.
    placeholder: Option<Element>,
}

/// A mounted comment section. Dropping the last handle does not stop it;
/// [`CommentSection::destroy`] does.
#[derive(Clone)]
pub struct CommentSection(Component<State>);

impl CommentSection {
    /// Renders the section into `parent`, restores the draft and loads the
    /// first page. With `open` false, the list shows, and the form only to
    /// keep a stored draft in view, read-only.
    /// With a `placeholder` (a skeleton), the section stays hidden behind it
    /// until the first page or its error is there: list and form then
    /// appear at once, and the form never moves down under the reader.
    pub fn mount(
        doc: &Document,
        parent: &Element,
        host: &Element,
        options: &Options,
        open: bool,
        total_hint: u32,
        placeholder: Option<Element>,
    ) -> Result<CommentSection, WidgetError> {
        let catalog = options.lang().catalog();
        let view::Section {
            section,
            list,
            total: total_el,
        } = view::section(doc, catalog, &options.dates, total_hint);
        let form = comment_form::form(doc, catalog);
        // Closed, the form shows only to keep a stored draft in view; the
        // section closes it below, once that draft is restored.
        section.add_child(&form.form);
        if placeholder.is_some() {
            section.set_attr("hidden", "");
        }
        parent.add_child(&section);
        let thread = Thread::of(options);
        let this = CommentSection(Component::new(State {
            host: host.clone(),
            placeholder,
            section,
            list,
            total_el,
            form,
            open: true,
            empty: None,
            more: None,
            list_error: None,
            options: options.clone(),
            catalog,
            client: ApiClient::new(&options.api),
            thread: thread.clone(),
            refused: false,
            draft_key: storage::draft_key(&options.api, thread.key()),
            draft: Draft::default(),
            restored_key: String::new(),
            pending_key: storage::pending_key(&options.api, thread.key()),
            next: None,
            total: total_hint,
            loaded: Vec::new(),
            shown_early: Vec::new(),
            list_abort: None,
            replies_abort: None,
            paging: false,
            retry: None,
            attempts: 0,
            sending: false,
            can_notify: false,
            announce: options.kind == Kind::Comments,
        }));
        this.wire();
        MOUNTED.with(|m| {
            let mut m = m.borrow_mut();
            m.retain(|g| g.get().is_some());
            m.push(this.guard());
        });
        this.restore_draft();
        if !open {
            this.close();
        }
        this.load_page(None);
        Ok(this)
    }

    /// Cancels requests (but a comment on its way) and timers, and removes
    /// every listener.
    pub fn destroy(&self) {
        // A section mounted again later asks for its pages anew.
        self.ahead(false);
        self.0.destroy();
        let mut s = self.0.borrow_mut();
        // A comment on its way goes on: the reader pressed "send" before
        // a single-page app moved on, and `send` forgets its draft.
        for abort in [s.list_abort.take(), s.replies_abort.take()]
            .into_iter()
            .flatten()
        {
            abort.cancel();
        }
        s.retry = None;
    }

    fn guard(&self) -> Guard<State> {
        self.0.guard()
    }

    fn alive(guard: &Guard<State>) -> Option<CommentSection> {
        guard.get().map(CommentSection)
    }

    fn listen(
        &self,
        target: &web_sys::EventTarget,
        event: &'static str,
        f: fn(&CommentSection, &web_sys::Event),
    ) {
        self.0
            .listen(target, event, move |c, e| f(&CommentSection(c), e));
    }

    fn wire(&self) {
        let (form, section) = {
            let s = self.0.borrow();
            (s.form.form.clone(), s.section.clone())
        };
        self.listen(&form, "input", |c, e| {
            c.on_input();
            c.mend(e);
        });
        self.listen(&form, "submit", |c, e| {
            e.prevent_default();
            c.submit();
        });
        self.listen(&form, "change", |c, e| {
            let remember = JsValue::from(c.0.borrow().form.remember.clone());
            let is_remember = e.target().is_some_and(|t| JsValue::from(t) == remember);
            if is_remember {
                c.on_remember_change();
            }
        });
        // Another tab that restored this one's draft and went on writing
        // replaces it in storage: it is stored again, so that closing this
        // tab loses nothing.
        if let Some(window) = web_sys::window() {
            self.listen(&window, "storage", |c, e| c.on_storage(e));
        }
        // A comment's exact time, written when a reader first points at it
        // or focuses it.
        for event in ["pointerover", "focusin"] {
            self.listen(&section, event, |c, e| c.show_exact(e));
        }
        // One delegated listener for reply, cancel and "more" buttons.
        self.listen(&section, "click", |c, e| {
            let Some(button) = e
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|t| t.closest("button").ok().flatten())
            else {
                return;
            };
            if dom::matches(&button, ".reply:not(.cancel-reply)") {
                let id = button
                    .get_attribute("data-reply-to")
                    .and_then(|v| v.parse::<i64>().ok());
                let name = button.get_attribute("data-reply-name").unwrap_or_default();
                if let Some(id) = id {
                    c.reply_to(Some((id, name)), true);
                }
            } else if dom::matches(&button, ".cancel-reply") {
                // The focus goes back to the "reply" that opened the form
                // (to the text box if that comment is gone).
                let parent = c.0.borrow().draft.parent_id;
                c.reply_to(None, false);
                let list = c.0.borrow().list.clone();
                match parent.and_then(|id| find_comment(&list, id, " button.reply")) {
                    Some(reply) => dom::focus(&reply),
                    None => dom::focus(&c.input(Field::Body)),
                }
            } else if dom::matches(&button, ".more-replies") {
                c.more_replies(&button);
            } else if (c.0.borrow().more.as_ref() == Some(&button)
                || c.0.borrow().list_error.as_ref().map(|(_, b)| b) == Some(&button))
                // A page on its way: more presses ask for nothing more
                // (each would cancel it and ask again).
                && c.0.borrow().list_abort.is_none()
            {
                // "More", or "retry" after a page that did not come: the
                // page after the last one shown (the first while none is).
                let next = c.0.borrow().next.clone();
                c.0.borrow_mut().paging |= next.is_some();
                c.load_page(next);
            }
        });
    }

    // ---- the form's fields -------------------------------------------

    fn input(&self, field: Field) -> Element {
        self.0.borrow().form.input(field).clone()
    }

    fn value(&self, field: Field) -> String {
        dom::value(self.0.borrow().form.input(field))
    }

    fn set_value(&self, field: Field, value: &str) {
        dom::set_value(self.0.borrow().form.input(field), value);
    }

    /// Whether "remember my name" is ticked.
    fn remembering(&self) -> bool {
        self.0
            .borrow()
            .form
            .remember
            .dyn_ref::<HtmlInputElement>()
            .is_some_and(|i| i.checked())
    }

    fn draft(&self) -> Draft {
        self.0.borrow().draft.clone()
    }

    /// Keeps `draft` (in memory and in storage) and returns it with its
    /// key. A key belongs to one comment: once the name, address, text or
    /// reply target change, the draft is another comment and gets a new
    /// key, so that a comment sent before (perhaps stored, its answer lost)
    /// can never swallow it as a replay. An automatic resend of the comment
    /// as it was is called off.
    fn save_draft(&self, mut draft: Draft) -> Draft {
        let (key, called_off, mine, rekeyed) = {
            let mut s = self.0.borrow_mut();
            let old = &s.draft;
            let mine = old.key.clone();
            let changed = (&old.author, &old.email, &old.body, old.parent_id)
                != (&draft.author, &draft.email, &draft.body, draft.parent_id);
            // A stored key the server would refuse (a draft written by
            // hand, or by an older widget) is replaced too.
            let rekeyed = changed || !khabar_rules::is_idempotency_key(&draft.key);
            if rekeyed {
                draft.key = storage::new_key();
            }
            // What the reader was told the resend would do no longer holds.
            let resend = s.retry.take_if(|_| changed).map(|(_, kept)| kept);
            s.draft = draft.clone();
            (s.draft_key.clone(), resend, mine, rekeyed)
        };
        if let Some(kept) = called_off {
            self.status(kept);
        }
        // A draft as it was (a restored reply's form placed again as a page
        // comes) is not stored again: another tab may have sent it since.
        if rekeyed {
            storage::save_draft(&key, &draft, &mine);
        }
        draft
    }

    /// Saves what is typed, keeping the reply target.
    fn on_input(&self) {
        let mut draft = self.draft();
        draft.author = self.value(Field::Author);
        draft.email = self.value(Field::Email);
        draft.body = self.value(Field::Body);
        let draft = self.save_draft(draft);
        self.update_count();
        self.update_notify();
        if self.remembering() {
            storage::remember_name(Some(&draft.author));
        }
    }

    /// Stores this tab's draft again if another tab's change to the
    /// article's drafts took it out: only one written here, not one it
    /// restored as it is (another tab that restored it too may have sent
    /// it), nor one another tab sent, which is then kept here as a
    /// restored one is.
    fn on_storage(&self, e: &web_sys::Event) {
        let (key, draft, restored) = {
            let s = self.0.borrow();
            (s.draft_key.clone(), s.draft.clone(), s.restored_key.clone())
        };
        let event: &JsValue = e.as_ref();
        let ours = event.field("key").and_then(|k| k.as_string()) == Some(key.clone());
        if !ours || draft.is_empty() || draft.key == restored {
            return;
        }
        if storage::was_sent(&draft.key) {
            self.0.borrow_mut().restored_key = draft.key;
        } else if storage::draft_taken(&key, &draft.key) {
            storage::save_draft(&key, &draft, &draft.key);
        }
    }

    /// Shows "tell me about replies" once an address is typed, when the
    /// backend can mail (after typing: a shift the reader caused).
    fn update_notify(&self) {
        // Closed, the form (if it stays, read-only) offers no choice.
        let show = self.0.borrow().open
            && self.0.borrow().can_notify
            && !self.value(Field::Email).trim().is_empty();
        let s = self.0.borrow();
        let line = &s.form.notify_line;
        if show == line.has_attribute("hidden") {
            if show {
                line.remove_attr("hidden");
            } else {
                line.set_attr("hidden", "");
            }
        }
    }

    /// Whether "tell me about replies" is shown and ticked.
    fn notifying(&self) -> bool {
        let s = self.0.borrow();
        !s.form.notify_line.has_attribute("hidden")
            && s.form
                .notify
                .dyn_ref::<HtmlInputElement>()
                .is_some_and(HtmlInputElement::checked)
    }

    fn on_remember_change(&self) {
        if self.remembering() {
            storage::remember_name(Some(&self.value(Field::Author)));
        } else {
            storage::remember_name(None);
        }
    }

    /// Writes the body's count, and lays the body out as the comment will
    /// be shown ([`dom::words_dir`]): with `dir="auto"` alone, an Arabic
    /// comment opening with "iPhone" is typed left to right.
    fn update_count(&self) {
        let body = self.value(Field::Body);
        self.0
            .borrow()
            .form
            .input(Field::Body)
            .set_attr("dir", dom::words_dir(&body).unwrap_or("auto"));
        let n = khabar_rules::clean_comment(&body).chars().count();
        let (dates, over) = {
            let s = self.0.borrow();
            (s.options.dates.clone(), n > comment_rules::BODY_MAX)
        };
        let count = self.0.borrow().form.count.clone();
        let max = comment_rules::BODY_MAX as u32;
        let text = format!(
            "{} / {}",
            format::count(&dates, n.min(u32::MAX as usize) as u32),
            format::count(&dates, max)
        );
        count.set_text_content(Some(&text));
        count.set_attr("data-over", if over { "true" } else { "false" });
    }

    fn restore_draft(&self) {
        let draft = {
            let mut s = self.0.borrow_mut();
            s.draft = storage::load_draft(&s.draft_key).unwrap_or_default();
            s.restored_key = s.draft.key.clone();
            s.draft.clone()
        };
        let remembered = storage::remembered_name();
        if let Some(name) = &remembered {
            if let Some(input) = self.0.borrow().form.remember.dyn_ref::<HtmlInputElement>() {
                input.set_checked(true);
            }
            if draft.author.is_empty() {
                self.set_value(Field::Author, name);
            }
        }
        if !draft.author.is_empty() {
            self.set_value(Field::Author, &draft.author);
        }
        self.set_value(Field::Email, &draft.email);
        self.set_value(Field::Body, &draft.body);
        self.update_count();
        if let Some(id) = draft.parent_id {
            self.reply_to(Some((id, draft.parent_author.clone())), false);
        }
        if !draft.is_empty() {
            let message = self.0.borrow().catalog.draft_restored();
            self.status(message);
        }
    }

    /// Starts (or with `None` stops) replying to comment `id` by `name`.
    fn reply_to(&self, target: Option<(i64, String)>, focus: bool) {
        if !self.0.borrow().open {
            return; // no form to open (nor a "reply" to press)
        }
        let mut draft = self.draft();
        let retarget = draft.parent_id != target.as_ref().map(|(id, _)| *id);
        draft.author = self.value(Field::Author);
        draft.email = self.value(Field::Email);
        draft.body = self.value(Field::Body);
        let (form, banner, text, section, list, catalog) = {
            let s = self.0.borrow();
            (
                s.form.form.clone(),
                s.form.reply.clone(),
                s.form.reply_text.clone(),
                s.section.clone(),
                s.list.clone(),
                s.catalog,
            )
        };
        match &target {
            Some((id, name)) => {
                draft.parent_id = Some(*id);
                draft.parent_author = name.clone();
                banner.remove_attr("hidden");
                clear(&text);
                let _ = text.append_with_str_1(catalog.replying_to());
                let _ = text.append_with_str_1(" ");
                if let Some(doc) = text.owner_document() {
                    text.add_child(&El::new(&doc, "bdi").text(name).build());
                }
                // The form opens under the comment being answered.
                place(&form, &find_comment(&list, *id, "").unwrap_or(section));
            }
            None => {
                draft.parent_id = None;
                draft.parent_author.clear();
                banner.set_attr("hidden", "");
                // Nothing left to describe the text box with.
                clear(&text);
                place(&form, &section);
            }
        }
        // A refusal of the old target says nothing of the new one (the
        // same target placed again, as a page comes in, keeps it).
        if retarget {
            self.mark(Field::Parent, None);
            self.unmarked();
        }
        self.save_draft(draft);
        if focus {
            dom::focus(&self.input(Field::Body));
        }
    }

    // ---- validation and errors -----------------------------------------

    fn show_errors(&self, problems: &[(Field, Problem)]) {
        for field in FORM_FIELDS {
            let problem = problems.iter().find(|(f, _)| *f == field).map(|(_, p)| *p);
            self.mark(field, problem);
        }
        match problems.first() {
            // The "replying to" line is no field: focused by script only,
            // it reads out the refusal it is described by.
            Some((Field::Parent, _)) => dom::take_focus(&self.input(Field::Parent)),
            Some((field, _)) => dom::focus(&self.input(*field)),
            None => {}
        }
    }

    /// Shows `problem` on `field`, or with `None` takes its error away.
    fn mark(&self, field: Field, problem: Option<Problem>) {
        let (line, input, catalog) = {
            let s = self.0.borrow();
            (
                s.form.error_line(field).clone(),
                s.form.input(field).clone(),
                s.catalog,
            )
        };
        let described = CommentForm::note_id(field);
        match problem {
            Some(p) => {
                line.set_text_content(Some(comment_rules::message(field, p, catalog)));
                line.remove_attr("hidden");
                input.set_attr("aria-invalid", "true");
                let ids = format!("{described} {}", line.id());
                input.set_attr("aria-describedby", ids.trim());
            }
            None => {
                line.set_text_content(None);
                line.set_attr("hidden", "");
                input.remove_attr("aria-invalid");
                if described.is_empty() {
                    input.remove_attr("aria-describedby");
                } else {
                    input.set_attr("aria-describedby", described);
                }
            }
        }
    }

    /// Takes the error off the field the reader just changed once it meets
    /// the rules (a new error waits for "send": none appears while typing),
    /// and "fix the marked fields" with the last one.
    fn mend(&self, e: &web_sys::Event) {
        let Some(target) = e.target() else {
            return;
        };
        let target = JsValue::from(target);
        let Some(field) = FORM_FIELDS
            .into_iter()
            .find(|f| JsValue::from(self.input(*f)) == target)
        else {
            return;
        };
        if !self.input(field).has_attribute("aria-invalid") {
            return;
        }
        let problems = comment_rules::check(
            &self.value(Field::Author),
            &self.value(Field::Email),
            &self.value(Field::Body),
        );
        if problems.iter().any(|(f, _)| *f == field) {
            return;
        }
        self.mark(field, None);
        self.unmarked();
    }

    /// Once no field is marked, "check the marked fields" goes.
    fn unmarked(&self) {
        let (catalog, status) = {
            let s = self.0.borrow();
            (s.catalog, s.form.status.clone())
        };
        let marked = FORM_FIELDS
            .into_iter()
            .any(|f| self.input(f).has_attribute("aria-invalid"));
        if !marked && status.text_content().as_deref() == Some(catalog.fix_fields()) {
            self.status("");
        }
    }

    /// Writes `text` on the live region `line`, read out even when it says
    /// the same again ([`dom::announce`]).
    fn say(&self, line: &Element, text: &'static str) {
        let guard = self.guard();
        dom::announce(line, text, move || CommentSection::alive(&guard).is_some());
    }

    fn status(&self, text: &str) {
        let (line, section) = {
            let s = self.0.borrow();
            (s.form.status.clone(), s.section.clone())
        };
        // With the form gone (comments closed), the section's live region
        // tells it.
        let line = match section.contains(Some(&line)) {
            true => Some(line),
            false => section.query_selector(".comments-live").ok().flatten(),
        };
        if let Some(line) = line {
            line.set_text_content(Some(text));
        }
    }

    fn set_sending(&self, sending: bool) {
        let (form, button, catalog) = {
            let mut s = self.0.borrow_mut();
            s.sending = sending;
            (s.form.form.clone(), s.form.send.clone(), s.catalog)
        };
        button.set_text_content(Some(if sending {
            catalog.sending()
        } else {
            catalog.send()
        }));
        button.set_attr("aria-disabled", if sending { "true" } else { "false" });
        form.set_attr("aria-busy", if sending { "true" } else { "false" });
    }

    // ---- sending ---------------------------------------------------------

    /// Validates and sends; a second press while sending does nothing.
    fn submit(&self) {
        // Closed, the form is kept read-only for its text (see `close`).
        if self.0.borrow().sending || !self.0.borrow().open {
            return;
        }
        if self.0.borrow().refused {
            // The draft is saved as typed; sending again cannot help. Said
            // again at each press (a line given the same words is not read
            // out again, `dom::announce`).
            let (message, line) = {
                let s = self.0.borrow();
                (s.catalog.error_config(), s.form.status.clone())
            };
            self.say(&line, message);
            return;
        }
        {
            // A press of "send" starts its own round of automatic resends.
            let mut s = self.0.borrow_mut();
            s.retry = None;
            s.attempts = 0;
        }
        let author = self.value(Field::Author);
        let email = self.value(Field::Email);
        let body = self.value(Field::Body);
        let problems = comment_rules::check(&author, &email, &body);
        self.show_errors(&problems);
        if !problems.is_empty() {
            let message = self.0.borrow().catalog.fix_fields();
            self.status(message);
            return;
        }
        let mut draft = self.draft();
        draft.author = author;
        draft.email = email;
        draft.body = body;
        let draft = self.save_draft(draft);
        self.send(draft);
    }

    fn request(&self, draft: &Draft) -> NewComment {
        let email = draft.email.trim();
        let title = {
            let s = self.0.borrow();
            // Only a comment by URL can create a thread, which needs a title.
            matches!(s.thread, Thread::Url(_)).then(|| {
                s.options.article_title.clone().unwrap_or_else(|| {
                    s.host
                        .owner_document()
                        .map(|d| d.title())
                        .unwrap_or_default()
                })
            })
        };
        NewComment {
            title,
            author: draft.author.clone(),
            email: (!email.is_empty()).then(|| email.to_owned()),
            body: draft.body.clone(),
            parent_id: draft.parent_id,
            website: dom::value(&self.0.borrow().form.website),
            idempotency_key: draft.key.clone(),
            notify_replies: !email.is_empty() && self.notifying(),
            lang: Some(self.0.borrow().options.lang().tag().to_owned()),
        }
    }

    fn send(&self, draft: Draft) {
        let Ok(abort) = Cancel::new() else {
            return;
        };
        let comment = self.request(&draft);
        let (client, thread, lang, key, pending_key, host) = {
            let s = self.0.borrow();
            (
                s.client.clone(),
                s.thread.clone(),
                s.options.lang().tag(),
                s.draft_key.clone(),
                s.pending_key.clone(),
                s.host.clone(),
            )
        };
        // The answer's words are then new to the status line, and read
        // out, even when they repeat the last comment's.
        self.status("");
        self.set_sending(true);
        let guard = self.guard();
        client.post_comment(&thread, lang, &comment, &abort, move |result| {
            let section = if let Some(section) = CommentSection::alive(&guard) {
                section.set_sending(false);
                section
            } else if let (Some(twin), Ok(_)) = (
                // Taken down while it was on its way, and mounted again
                // since: the section of its thread shows the answer as its
                // own (the restored draft goes, if it is the one sent),
                // unless it sends or plans to send one itself, whose answer
                // it will show.
                MOUNTED.with(|m| {
                    m.borrow()
                        .iter()
                        .filter_map(CommentSection::alive)
                        .find(|s| {
                            let s = s.0.borrow();
                            s.draft_key == key && !s.sending && s.retry.is_none()
                        })
                }),
                &result,
            ) {
                // Let go even if that section shows another draft.
                storage::draft_sent(&key, &draft.key);
                twin
            } else {
                // Else (a single-page app moving on) the comment is the
                // server's, its draft must not come back, a waiting one is
                // shown to its writer the next time a section of the
                // article mounts, and the page hears of it.
                if let Ok(posted) = result {
                    storage::draft_sent(&key, &draft.key);
                    if posted.status != "published" {
                        remember_pending(&pending_key, &posted.comment);
                    }
                    tell_posted(&host, &posted);
                }
                return;
            };
            section.sent(result, draft);
        });
    }

    fn sent(&self, result: Result<Posted, WidgetError>, draft: Draft) {
        let catalog = self.0.borrow().catalog;
        match result {
            Ok(posted) => {
                self.0.borrow_mut().attempts = 0;
                // Acknowledged: only now is the draft let go, unless the
                // reader changed it meanwhile (another comment, kept).
                let (key, unchanged) = {
                    let s = self.0.borrow();
                    (s.draft_key.clone(), s.draft.key == draft.key)
                };
                if unchanged {
                    self.0.borrow_mut().draft = Draft::default();
                    storage::draft_sent(&key, &draft.key);
                    self.set_value(Field::Body, "");
                    self.update_count();
                    // A reply's form goes back to the end of the section;
                    // moving it blurs whatever in it had the focus (the
                    // reader's "send"), which it keeps.
                    let (form, send) = {
                        let s = self.0.borrow();
                        (s.form.form.clone(), s.form.send.clone())
                    };
                    let focused = dom::matches(&form, ":focus-within");
                    self.reply_to(None, false);
                    if !self.0.borrow().open {
                        // Closed while it was on its way: the text kept in
                        // view is sent, and nothing is left to show; a
                        // reader in it is moved to the note.
                        form.remove();
                        if focused {
                            let section = self.0.borrow().section.clone();
                            if let Ok(Some(note)) = section.query_selector(".note.closed") {
                                dom::take_focus(&note);
                            }
                        }
                    } else if focused && !dom::matches(&form, ":focus-within") {
                        dom::focus(&send);
                    }
                }
                let pending = posted.status != "published";
                // A resend whose first answer was lost, after a page had
                // brought the stored comment: shown and counted already.
                let listed = self.0.borrow().loaded.contains(&posted.comment.id);
                let said = if pending {
                    remember_pending(&self.0.borrow().pending_key, &posted.comment);
                    catalog.pending_notice()
                } else {
                    // The backend's count, which knows whether a page shown
                    // here (or not yet) had counted it; else one more.
                    let total = match posted.total {
                        Some(total) => total,
                        None if listed => self.0.borrow().total,
                        None => self.0.borrow().total + 1,
                    };
                    self.set_total(total);
                    catalog.posted()
                };
                // A reader who asked for mail about replies is told when
                // none will come (a confirmation link was promised).
                match posted.reply_notifications.as_deref() {
                    Some("confirmation_sent" | "subscribed") | None => self.status(said),
                    Some(_) => self.status(&format!("{said} {}", catalog.notify_failed())),
                }
                if self.remembering() {
                    storage::remember_name(Some(&posted.comment.author));
                }
                if !listed {
                    let _ = self.insert(&posted.comment, pending);
                }
                self.ahead(false);
                // Not borrowed while the page's listeners run (one may
                // take the widget down).
                let host = self.0.borrow().host.clone();
                tell_posted(&host, &posted);
            }
            Err(WidgetError::Aborted) => {}
            Err(WidgetError::Closed) => {
                // A reader whose comment was sent again while they read on
                // hears it too (the note takes the focus only from the form).
                if !self.close() {
                    let section = self.0.borrow().section.clone();
                    if let Ok(Some(live)) = section.query_selector(".comments-live") {
                        live.set_text_content(Some(catalog.comments_closed()));
                    }
                }
            }
            // Refused or failed once the section closed: nothing can send
            // it now (the form, read-only, keeps the text to copy).
            Err(_) if !self.0.borrow().open => self.status(catalog.comments_closed()),
            Err(e @ WidgetError::NotAllowed(_)) => self.refuse(&e),
            Err(WidgetError::Invalid(fields)) => {
                let problems: Vec<(Field, Problem)> = fields
                    .iter()
                    .filter_map(|(f, code)| Some((Field::from_name(f)?, Problem::from_code(code))))
                    .filter(|(f, _)| *f != Field::IdempotencyKey)
                    .collect();
                self.show_errors(&problems);
                // A refusal of nothing the reader can mend (the key, or a
                // field this widget does not know) is the server's problem.
                self.status(if problems.is_empty() {
                    catalog.error_server()
                } else {
                    catalog.fix_fields()
                });
            }
            Err(e) if e.transient() => {
                let attempts = self.0.borrow().attempts + 1;
                self.0.borrow_mut().attempts = attempts;
                // Changed while on its way: the reader sends the new text.
                let changed = self.0.borrow().draft.key != draft.key;
                // In milliseconds: the server's own delay when it names one.
                let wait = match e {
                    _ if changed => None,
                    WidgetError::RateLimited { retry_after } => {
                        Some(retry_after.saturating_mul(1000))
                    }
                    _ if attempts <= AUTO_RETRIES => Some(jittered_ms(
                        backoff_seconds(attempts),
                        js_sys::Math::random(),
                    )),
                    _ => None, // the reader presses "send" again; the text is kept
                };
                self.status(match (&e, wait) {
                    (WidgetError::RateLimited { .. }, Some(_)) => catalog.rate_limited(),
                    // Not sent again by itself: the reader sends the new text.
                    (WidgetError::RateLimited { .. }, None) => catalog.rate_limited_kept(),
                    (_, Some(_)) => catalog.send_failed(),
                    _ => e.message(catalog),
                });
                if let Some(ms) = wait {
                    // What the reader is told if a change calls it off:
                    // the text is kept, and "send" sends the new one.
                    let kept = match e {
                        WidgetError::RateLimited { .. } => catalog.rate_limited_kept(),
                        _ => e.message(catalog),
                    };
                    let guard = self.guard();
                    let timer = Timeout::new(ms, move || {
                        if let Some(section) = CommentSection::alive(&guard) {
                            // Same draft, same key: a retry can never duplicate.
                            section.0.borrow_mut().retry = None;
                            if !section.0.borrow().sending {
                                section.send(draft);
                            }
                        }
                    });
                    self.0.borrow_mut().retry = Some((timer, kept));
                }
            }
            Err(e) => self.status(e.message(catalog)),
        }
    }

    /// The article takes no comments (closed since the page loaded, or a
    /// `comments` widget's article, which only its pages tell): the form
    /// and the "reply" buttons give way to the note, and the draft stays
    /// stored for when it reopens. A reader in the form is moved to the
    /// note, and hears it: whether they were.
    fn close(&self) -> bool {
        let (form, section, list, catalog) = {
            let mut s = self.0.borrow_mut();
            if !s.open {
                return false;
            }
            s.open = false;
            s.retry = None;
            (
                s.form.form.clone(),
                s.section.clone(),
                s.list.clone(),
                s.catalog,
            )
        };
        let Some(doc) = section.owner_document() else {
            return false;
        };
        let focused = dom::matches(&form, ":focus-within");
        // What the reader wrote stays in view, to copy (it is kept as a
        // draft too): at the section's end, read-only, with nothing to send
        // it (`submit` sends nothing once closed).
        let unsent = !self.value(Field::Body).trim().is_empty();
        if unsent {
            place(&form, &section);
            // Nothing in it can change what happens: its fields are read
            // only; "send", its choices and "cancel reply" are gone.
            for (selector, attr) in [
                ("input,textarea", "readonly"),
                (".send,.remember,.cancel-reply", "hidden"),
            ] {
                let Ok(found) = form.query_selector_all(selector) else {
                    continue;
                };
                for i in 0..found.length() {
                    if let Some(el) = found.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                        el.set_attr(attr, "");
                    }
                }
            }
        } else {
            form.remove();
        }
        if let Ok(buttons) = list.query_selector_all("button.reply") {
            for i in 0..buttons.length() {
                if let Some(b) = buttons.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                    b.remove();
                }
            }
        }
        let note = view::closed(&doc, catalog).build();
        section.add_child(&note);
        if focused {
            dom::take_focus(&note);
        }
        focused
    }

    // ---- the list --------------------------------------------------------

    fn show_exact(&self, e: &web_sys::Event) {
        let Some(time) = e
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .filter(|t| dom::matches(t, "time:not([data-exact])"))
        else {
            return;
        };
        let exact = format::dateline(&self.0.borrow().options.dates);
        if let Ok(exact) = exact {
            view::show_exact(&time, &exact);
        }
    }

    fn relative(&self) -> Option<TimeWriter> {
        format::relative(&self.0.borrow().options.dates).ok()
    }

    /// Puts one comment into the list (a reply under its parent).
    fn insert(&self, c: &Comment, pending: bool) -> Result<(), WidgetError> {
        let (list, catalog, open) = {
            let s = self.0.borrow();
            (s.list.clone(), s.catalog, s.open)
        };
        let doc = list
            .owner_document()
            .ok_or_else(|| dom_error("no document".into()))?;
        let Some(relative) = self.relative() else {
            return Ok(());
        };
        let el = view::comment(&doc, c, catalog, &relative, pending, open).build();
        // Replies its page brings later go before it (see `replies_arrived`).
        el.set_attr("data-early", "");
        if let Some(empty) = self.0.borrow_mut().empty.take() {
            empty.remove();
        }
        self.take_early(&list, c.id);
        self.0.borrow_mut().shown_early.push(c.id);
        let target = c
            .parent_id
            .and_then(|p| find_comment(&list, p, " > ol.replies"))
            .unwrap_or(list);
        target.add_child(&el);
        Ok(())
    }

    /// "More replies" under a comment: asks for its next replies, unless
    /// they are on their way.
    fn more_replies(&self, button: &Element) {
        // Both as the page gave them: they only go back into a URL.
        let parent = button.get_attribute("data-parent");
        let cursor = button.get_attribute("data-cursor");
        let (Some(parent), Some(cursor)) = (parent, cursor) else {
            return;
        };
        if button.has_attribute("aria-disabled") {
            return;
        }
        let Some(abort) = self.replies_abort() else {
            return;
        };
        button.set_attr("aria-disabled", "true");
        let url = self.0.borrow().client.replies_url(&parent, &cursor);
        self.fetch(&url, &abort, Wanted::Replies(button.clone()));
    }

    /// Puts the replies [`Self::more_replies`] asked for after those shown
    /// (before the reader's own waiting ones); the button stays while more
    /// are left, and tries again after a failure, which it says.
    fn replies_arrived(&self, button: &Element, result: Result<CommentPage, WidgetError>) {
        button.remove_attr("aria-disabled");
        let (list, catalog) = {
            let s = self.0.borrow();
            (s.list.clone(), s.catalog)
        };
        let said = button.previous_element_sibling();
        if let Some(note) = said.filter(|e| dom::matches(e, ".replies-error")) {
            note.remove();
        }
        let (Some(doc), Some(relative)) = (list.owner_document(), self.relative()) else {
            return;
        };
        let page = match result {
            Ok(page) => page,
            Err(WidgetError::Aborted) => return,
            Err(e) => {
                let note = view::replies_error(&doc, e.message(catalog)).build();
                let _ = button.before_with_node_1(&note);
                return;
            }
        };
        let replies = button
            .parent_element()
            .and_then(|comment| comment.query_selector(":scope > ol.replies").ok().flatten());
        let Some(replies) = replies else {
            return;
        };
        // The reader's own replies shown early that this page brings move
        // into their place; those it does not stay after the new ones.
        for r in &page.items {
            self.take_early(&list, r.id);
        }
        let early = replies
            .query_selector(":scope > [data-early]")
            .ok()
            .flatten();
        let mut first_new = None;
        for r in &page.items {
            let el = view::comment(&doc, r, catalog, &relative, false, false).build();
            replies
                .insert_before(&el, early.as_ref().map(AsRef::as_ref))
                .map_err(dom_error)
                .ok();
            first_new.get_or_insert(el);
        }
        self.0
            .borrow_mut()
            .loaded
            .extend(page.items.iter().map(|r| r.id));
        self.forget_published();
        // A reader on the button reads on from the first reply it brought,
        // as after "more comments".
        let focused = dom::matches(button, ":focus");
        match page.next {
            Some(next) => button.set_attr("data-cursor", &next),
            None => button.remove(),
        }
        // None came (taken down meanwhile): the last reply, else the comment.
        let last = || replies.last_element_child().or(replies.parent_element());
        if let Some(el) = first_new.or_else(last).filter(|_| focused) {
            dom::take_focus(&el);
        }
    }

    /// Shows the reader's reply `id` as published if the page of replies
    /// from it says so (see [`Wanted::Published`]); it stays where it is
    /// until the replies before it come.
    fn published_arrived(&self, id: i64, result: Result<CommentPage, WidgetError>) {
        let Ok(page) = result else {
            return;
        };
        // "More replies" may have brought it into its place meanwhile.
        if self.0.borrow().loaded.contains(&id) {
            return;
        }
        if let Some(c) = page.items.iter().find(|c| c.id == id) {
            self.0.borrow_mut().loaded.push(id);
            self.forget_published();
            let _ = self.insert(c, false);
        }
    }

    /// The reader's own comments still waiting for a moderator, as stored;
    /// those now shown as published (or older than a week) are forgotten.
    fn forget_published(&self) -> Vec<storage::Pending> {
        let (key, loaded) = {
            let s = self.0.borrow();
            (s.pending_key.clone(), s.loaded.clone())
        };
        let mut mine = storage::load_pending(&key, js_sys::Date::now());
        mine.retain(|p| !loaded.contains(&p.id));
        storage::save_pending(&key, &mine);
        mine
    }

    /// Takes comment `id` off the list if it was shown early (see
    /// `shown_early`): it is about to be shown in its place.
    fn take_early(&self, list: &Element, id: i64) {
        if !self.0.borrow().shown_early.contains(&id) {
            return;
        }
        if let Some(el) = find_comment(list, id, "") {
            el.remove();
        }
    }

    fn set_total(&self, total: u32) {
        let (span, dates) = {
            let mut s = self.0.borrow_mut();
            s.total = total;
            (s.total_el.clone(), s.options.dates.clone())
        };
        span.set_text_content(Some(&format!(" ({})", format::count(&dates, total))));
    }

    /// Once the reader pages, has the page after the shown ones fetched
    /// before "more" asks for it (kept ten minutes by the loader); or,
    /// `fetch` false, drops it (fetched by this section or another of the
    /// thread): a comment the reader posted may be missing from it, and
    /// would not then move into its place.
    fn ahead(&self, fetch: bool) {
        let url = {
            let s = self.0.borrow();
            match &s.next {
                Some(next) if s.paging || !fetch => {
                    s.client.comments_url(&s.thread, PAGE_SIZE, Some(next))
                }
                _ => return,
            }
        };
        crate::http::ahead(&url, fetch);
    }

    /// The switch of the requests of replies (see `State::replies_abort`).
    fn replies_abort(&self) -> Option<Cancel> {
        let mut s = self.0.borrow_mut();
        if s.replies_abort.is_none() {
            s.replies_abort = Cancel::new().ok();
        }
        s.replies_abort.clone()
    }

    fn load_page(&self, cursor: Option<String>) {
        let Ok(abort) = Cancel::new() else {
            return;
        };
        let url = {
            let mut s = self.0.borrow_mut();
            if let Some(old) = s.list_abort.replace(abort.clone()) {
                old.cancel();
            }
            s.client
                .comments_url(&s.thread, PAGE_SIZE, cursor.as_deref())
        };
        let first = cursor.is_none();
        self.fetch(&url, &abort, Wanted::List { first });
    }

    /// Fetches a page of comments for `wanted`: one request path (and one
    /// copy of its code in the module) for the list's pages and replies.
    fn fetch(&self, url: &str, abort: &Cancel, wanted: Wanted) {
        let (client, guard) = (self.0.borrow().client.clone(), self.guard());
        client.comments(url, abort, move |page| {
            let Some(section) = CommentSection::alive(&guard) else {
                return;
            };
            match wanted {
                Wanted::List { first } => section.page_arrived(page, first),
                Wanted::Replies(button) => section.replies_arrived(&button, page),
                Wanted::Published(id) => section.published_arrived(id, page),
            }
        });
    }

    /// Shows a page of comments [`Self::load_page`] asked for, or why it
    /// did not come.
    fn page_arrived(&self, result: Result<CommentPage, WidgetError>, first: bool) {
        // A request cancelled for another: that one is still on its way.
        if matches!(result, Err(WidgetError::Aborted)) {
            return;
        }
        self.0.borrow_mut().list_abort = None;
        match result {
            Ok(page) => {
                if let Err(e) = self.show_page(page, first) {
                    web_sys::console::error_1(&JsValue::from_str(&format!("khabar: {e}")));
                }
                self.ahead(true);
                self.reveal();
                if first {
                    self.announce(None);
                }
            }
            Err(WidgetError::Aborted) => {}
            Err(e @ WidgetError::NotAllowed(_)) => {
                self.refuse(&e);
                self.reveal();
            }
            Err(e) => {
                self.show_list_error(&e);
                self.reveal();
                if first {
                    self.announce(Some(&e));
                }
            }
        }
    }

    /// A section that is its widget's content (a `comments` widget) tells
    /// the host when its first page shows (`khabar:ready`, once) or fails
    /// (`khabar:error`, as a widget whose content fails does).
    fn announce(&self, failed: Option<&WidgetError>) {
        let (host, id) = {
            let s = self.0.borrow();
            if !s.announce {
                return;
            }
            let id = s.options.article_id.clone();
            (s.host.clone(), (!id.is_empty()).then_some(id))
        };
        match failed {
            Some(err) => crate::dom::dispatch_error(&host, err),
            None => {
                self.0.borrow_mut().announce = false;
                crate::dom::dispatch_ready(&host, Kind::Comments.as_str(), id.as_deref());
            }
        }
    }

    fn show_page(&self, page: CommentPage, first: bool) -> Result<(), WidgetError> {
        if !page.comments_open {
            // Said by the note in the list's place, read with the page.
            let _ = self.close();
        }
        let (list, catalog, open) = {
            let s = self.0.borrow();
            (s.list.clone(), s.catalog, s.open)
        };
        let doc = list
            .owner_document()
            .ok_or_else(|| dom_error("no document".into()))?;
        if first {
            // What the reader posted while this page was on its way, or
            // after it failed, stays: after the page's comments (below),
            // or in its place if the page brings it (`take_early`).
            while let Some(el) = list
                .query_selector(":scope > :not([data-early])")
                .ok()
                .flatten()
            {
                el.remove();
            }
            self.0.borrow_mut().empty = None;
        }
        // A reader on "more" (or "retry") goes on reading from the first
        // comment it brought, as in a `latest` list, instead of being sent
        // back to the top of the page as the button goes.
        let refocus = self.tail_focused();
        self.remove_error();
        let Some(relative) = self.relative() else {
            return Ok(());
        };
        let mut first_new = None;
        for c in &page.items {
            let el = view::comment(&doc, c, catalog, &relative, false, open).build();
            // A reply to it may have been shown early too, where its
            // parent was not yet to be found.
            for id in std::iter::once(c.id).chain(c.replies.iter().map(|r| r.id)) {
                self.take_early(&list, id);
            }
            // Before the reader's own shown early: they stay last until
            // their page comes.
            let early = list.query_selector(":scope > [data-early]").ok().flatten();
            list.insert_before(&el, early.as_ref().map(AsRef::as_ref))
                .map_err(dom_error)
                .ok();
            first_new.get_or_insert(el);
        }
        let first_page = self.0.borrow().loaded.is_empty();
        {
            let mut s = self.0.borrow_mut();
            s.loaded.extend(page.items.iter().map(|c| c.id));
            s.loaded.extend(
                page.items
                    .iter()
                    .flat_map(|c| c.replies.iter().map(|r| r.id)),
            );
            s.next = page.next.clone();
            s.can_notify = page.reply_notifications;
        }
        self.set_total(page.total);
        self.update_notify();
        let mine = self.forget_published();
        // The reader's own waiting comments show from the first page on, at
        // the end (pages that come later go before them), and go into their
        // place once the last comes: in a thread of many pages a reader who
        // never pages would otherwise see no trace of them.
        if first_page || page.next.is_none() {
            for p in &mine {
                self.insert(&as_comment(p), true)?;
                // Under a comment whose later replies are not shown, it may
                // be published among them: its page says.
                let more = p
                    .parent_id
                    .and_then(|parent| find_comment(&list, parent, " > .more-replies"));
                if let (Some(parent), Some(_), Some(abort)) =
                    (p.parent_id, more, self.replies_abort())
                {
                    let after = (p.id - 1).to_string();
                    let url = self
                        .0
                        .borrow()
                        .client
                        .replies_url(&parent.to_string(), &after);
                    self.fetch(&url, &abort, Wanted::Published(p.id));
                } else if let (None, Some(_), Some(abort)) =
                    (p.parent_id, &page.next, self.replies_abort())
                {
                    // Shown ahead of its page, it may be published since:
                    // the newest comments say.
                    let url = {
                        let s = self.0.borrow();
                        let newest = s.client.comments_url(&s.thread, PAGE_SIZE, None);
                        format!("{newest}&sort=newest")
                    };
                    self.fetch(&url, &abort, Wanted::Published(p.id));
                }
            }
        }
        if list.child_element_count() == 0 {
            let empty = view::empty(&doc, catalog).build();
            list.add_child(&empty);
            self.0.borrow_mut().empty = Some(empty);
        }
        let more = self.0.borrow().more.clone();
        match (&page.next, more) {
            (Some(_), Some(more)) => more.remove_attr("hidden"),
            (Some(_), None) => {
                let more = view::more(&doc, catalog).build();
                list.after_with_node_1(&more).map_err(dom_error)?;
                self.0.borrow_mut().more = Some(more);
            }
            (None, more) => more.iter().for_each(|m| m.set_attr("hidden", "")),
        }
        // The focus of a reader on "more" or "retry" (see `refocus`): the
        // first new comment, else (a page that brought none) the last one
        // shown or, when the list is empty, the line saying so.
        if refocus {
            let item = first_new
                .or_else(|| self.0.borrow().empty.clone())
                .or_else(|| list.last_element_child());
            if let Some(item) = item {
                dom::take_focus(&item);
            }
        }
        // A restored reply draft goes back under its comment once it is
        // here, unless the reader is typing in it: moving it would take
        // their focus, and the next key.
        let draft = self.draft();
        let typing = dom::matches(&self.0.borrow().form.form, ":focus-within");
        if let (Some(id), false) = (draft.parent_id, typing) {
            self.reply_to(Some((id, draft.parent_author)), false);
        }
        Ok(())
    }

    /// Shows the section in place of its placeholder, if it still has one.
    fn reveal(&self) {
        let (placeholder, section) = {
            let mut s = self.0.borrow_mut();
            (s.placeholder.take(), s.section.clone())
        };
        if let Some(placeholder) = placeholder {
            // A reader who pressed "retry" waited on the placeholder (see
            // `Widget::show`): the heading takes the focus from it.
            let focused = dom::matches(&placeholder, ":focus");
            placeholder.remove();
            section.remove_attr("hidden");
            if focused {
                if let Ok(Some(title)) = section.query_selector(".comments-title") {
                    dom::take_focus(&title);
                }
            }
            // "Your draft was restored", written while the section was
            // hidden, was read to no one: said again now that it shows.
            let (line, restored) = {
                let s = self.0.borrow();
                (s.form.status.clone(), s.catalog.draft_restored())
            };
            if line.text_content().as_deref() == Some(restored) {
                self.say(&line, restored);
            }
        }
    }

    /// Whether the reader's focus is on the "more" button or on a loading
    /// error's "retry".
    fn tail_focused(&self) -> bool {
        let section = self.0.borrow().section.clone();
        matches!(
            section.query_selector(".more-comments:focus, .list-retry:focus"),
            Ok(Some(_))
        )
    }

    /// Takes away a loading error, if shown.
    fn remove_error(&self) {
        let error = self.0.borrow_mut().list_error.take();
        if let Some((el, _)) = error {
            el.remove();
        }
    }

    /// Hides the "more" button and takes away a loading error.
    fn hide_more_and_error(&self) {
        if let Some(more) = &self.0.borrow().more {
            more.set_attr("hidden", "");
        }
        self.remove_error();
    }

    fn show_list_error(&self, err: &WidgetError) {
        let refocus = self.tail_focused();
        self.hide_more_and_error();
        let (list, catalog) = {
            let s = self.0.borrow();
            (s.list.clone(), s.catalog)
        };
        let Some(doc) = list.owner_document() else {
            return;
        };
        let (el, retry) = view::list_error(&doc, catalog, err.message(catalog));
        let el = el.build();
        let _ = list.after_with_node_1(&el);
        if refocus {
            dom::focus(&retry);
        }
        self.0.borrow_mut().list_error = Some((el, retry));
    }

    /// The backend refuses this embed (another origin, a URL outside the
    /// site): the error state goes at the head of the section, once, with
    /// one console line for the site owner; timers stop and nothing is sent
    /// again. The form keeps the reader's text (and storage its draft).
    fn refuse(&self, err: &WidgetError) {
        let (first, section, catalog) = {
            let mut s = self.0.borrow_mut();
            let first = !s.refused;
            s.refused = true;
            s.retry = None;
            (first, s.section.clone(), s.catalog)
        };
        self.status(catalog.error_config());
        if !first {
            return;
        }
        web_sys::console::error_1(&JsValue::from_str(&format!("khabar: {err}")));
        self.hide_more_and_error();
        if let Some(doc) = section.owner_document() {
            let (el, _) = status::error(&doc, err, catalog);
            let _ = section.prepend_with_node_1(&el.build());
        }
        crate::dom::dispatch_error(&self.0.borrow().host, err);
    }
}

#[cfg(test)]
mod tests {
    use super::{backoff_seconds, jittered_ms};

    #[test]
    fn retries_back_off_up_to_half_a_minute() {
        let waits: Vec<u32> = (1..=7).map(backoff_seconds).collect();
        assert_eq!(waits, vec![2, 4, 8, 16, 30, 30, 30]);
    }

    #[test]
    fn jitter_takes_off_at_most_half_the_wait() {
        assert_eq!(jittered_ms(4, 0.0), 4000);
        assert_eq!(jittered_ms(4, 0.5), 3000);
        assert_eq!(jittered_ms(4, 0.999_999), 2000);
        // Out of range is clamped, never longer or shorter than that.
        assert_eq!(jittered_ms(4, 7.0), 2000);
        assert_eq!(jittered_ms(4, -1.0), 4000);
        assert_eq!(jittered_ms(u32::MAX, 0.0), u32::MAX);
    }
}
