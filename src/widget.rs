//! One mounted widget: its shadow root, its options, its in-flight request,
//! its observers and its listeners. Destroying it releases all of them.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use web_sys::Element;

#[cfg(feature = "core")]
use crate::actions::ArticleActions;
#[cfg(feature = "core")]
use crate::api::{self, ApiClient, ListQuery};
use crate::comments_chunk::Section;
use crate::component::Component;
use crate::config::{ConfigError, Kind, Layout, Options, Theme};
use crate::crash::MOUNTED_ATTR;
use crate::dom::{clear, dom_error, Attrs, Children, El, NearViewport};
use crate::error::WidgetError;
use crate::http::Cancel;
#[cfg(feature = "core")]
use crate::i18n::format;
use crate::i18n::{self, Lang};
#[cfg(feature = "core")]
use crate::model::{Article, ArticleSummary, Page};
use crate::views::status;
#[cfg(feature = "core")]
use crate::views::{article, latest};

/// What a widget fetched, ready to render. The comments module hosts
/// `comments` widgets only; every other kind is the core's.
// Made once per load and moved once into `render`: boxing saves nothing.
#[allow(clippy::large_enum_variant)]
enum Content {
    Comments,
    #[cfg(feature = "core")]
    Page(PageContent),
}

/// What a widget of the core module's kinds fetched.
#[cfg(feature = "core")]
enum PageContent {
    Article(Article),
    Card(Article),
    Latest(Page<ArticleSummary>),
    /// The actions row of an article the host page shows itself.
    Actions(Article),
}

#[cfg(feature = "core")]
impl PageContent {
    /// What a widget of `kind` (one that shows an article) shows of `article`.
    fn of_article(kind: Kind, article: Article) -> Content {
        Content::Page(match kind {
            Kind::Card => PageContent::Card(article),
            Kind::Actions => PageContent::Actions(article),
            _ => PageContent::Article(article),
        })
    }
}

/// What `render` put on screen and what follows it.
struct Shown {
    el: El,
    /// The article's id, for `khabar:ready`.
    id: Option<String>,
    /// The comment section: whether its form is open, the count so far.
    section: Option<(bool, u32)>,
    /// The article whose actions row follows, what "print" prints when
    /// not the widget's own article, and the article's site line.
    #[cfg(feature = "core")]
    actions: Option<(Article, Option<Element>, Option<Element>)>,
}

struct State {
    host: Element,
    frame: Element,
    options: Result<Options, ConfigError>,
    lang: Lang,
    abort: Option<Cancel>,
    lazy: Option<NearViewport>,
    /// The reader pressed the error's "retry": what comes in its place
    /// takes the focus, which would otherwise fall to the page's top.
    refocus: bool,
    /// The comment section, under an article or on its own.
    comments: Option<Section>,
    /// What the core's kinds keep on screen.
    #[cfg(feature = "core")]
    page: PageParts,
}

/// The live parts of an article, a card, a list or an actions row.
#[cfg(feature = "core")]
#[derive(Default)]
struct PageParts {
    /// Cursor of the next page of a `latest` list.
    next: Option<String>,
    /// The parts of a `latest` list on screen, and its "more" error.
    list: Option<latest::ListParts>,
    more_error: Option<Element>,
    /// Share, send, print and RSS under an article.
    actions: Option<ArticleActions>,
}

/// A live widget. Cloning gives another handle to the same widget.
#[derive(Clone)]
pub struct Widget(Component<State>);

thread_local! {
    /// The one registry of widgets mounted and not destroyed, however they
    /// were mounted, each with whether its host has been seen in the
    /// document. Pages often drop the handle `mount()` returns; the widget
    /// must still live (and answer clicks) for as long as it is on the
    /// page, until `destroy()` or until its host leaves the page.
    static LIVE: RefCell<Vec<(Widget, bool)>> = const { RefCell::new(Vec::new()) };
}

/// Number of widgets alive on the page (for leak checks and benchmarks).
pub fn live_count() -> usize {
    LIVE.with(|live| live.borrow().len())
}

/// Whether a live widget is mounted in `host`.
pub fn is_mounted_in(host: &Element) -> bool {
    LIVE.with(|live| live.borrow().iter().any(|(w, _)| w.host() == *host))
}

/// Paints every `theme: auto` widget in the page's current scheme again
/// (the page switched, or the system did: the loader watches, `js/page.js`).
pub fn refresh_themes() {
    let widgets: Vec<Widget> =
        LIVE.with(|live| live.borrow().iter().map(|(w, _)| w.clone()).collect());
    for widget in widgets {
        let s = widget.0.borrow();
        if let Ok(o) = &s.options {
            if o.theme == Theme::Auto {
                s.frame
                    .set_attr("data-theme", crate::theme::resolve(&s.host, o.theme));
            }
        }
    }
}

/// Destroys every widget whose host left the document. A host that has
/// never been in the document (mounted first, inserted later) is spared
/// until it has been seen there.
pub fn sweep_removed() {
    let gone: Vec<Widget> = LIVE.with(|live| {
        let mut gone = Vec::new();
        for (widget, seen) in live.borrow_mut().iter_mut() {
            if widget.host().is_connected() {
                *seen = true;
            } else if *seen {
                gone.push(widget.clone());
            }
        }
        gone
    });
    // Outside the borrow: `destroy` takes the widget out of the registry.
    for widget in gone {
        widget.destroy();
    }
}

impl Widget {
    /// Mounts a widget in `host` and starts loading (or waits until it nears
    /// the viewport with `lazy`). A configuration error is rendered as the
    /// error state in `fallback_lang` (the page's language).
    pub fn mount(
        host: Element,
        options: Result<Options, ConfigError>,
        fallback_lang: Lang,
    ) -> Result<Widget, WidgetError> {
        crate::task::begin();
        let root = crate::dom::widget_root(&host)?;
        crate::style::adopt(&root)?;
        clear(&root);
        let doc = host
            .owner_document()
            .ok_or_else(|| dom_error("no document".into()))?;
        let frame = El::new(&doc, "div").class("khabar").part("root").build();
        root.add_child(&frame);
        host.set_attr(MOUNTED_ATTR, "");

        let lang = options.as_ref().map(Options::lang).unwrap_or(fallback_lang);
        let connected = host.is_connected();
        let widget = Widget(Component::new(State {
            host,
            frame,
            options,
            lang,
            abort: None,
            lazy: None,
            refocus: false,
            comments: None,
            #[cfg(feature = "core")]
            page: PageParts::default(),
        }));
        widget.start()?;
        LIVE.with(|live| live.borrow_mut().push((widget.clone(), connected)));
        Ok(widget)
    }

    /// Replaces the options and reloads; a new colour scheme alone is
    /// only applied, so that what the reader was doing (a form half
    /// filled, a comment on its way) goes on.
    pub fn update(&self, mut options: Result<Options, ConfigError>) -> Result<(), WidgetError> {
        if self.0.is_destroyed() {
            return Ok(());
        }
        // Only a theme that changed: the same options again reload (a
        // page's way to load anew, after an error say).
        let restyle = match (&self.0.borrow().options, &mut options) {
            (Ok(old), Ok(new)) if new.theme != old.theme => {
                let theme = std::mem::replace(&mut new.theme, old.theme);
                let same = *new == *old;
                new.theme = theme;
                same
            }
            _ => false,
        };
        {
            let mut s = self.0.borrow_mut();
            s.lang = options.as_ref().map(Options::lang).unwrap_or(s.lang);
            s.options = options;
        }
        if restyle {
            return self.apply_frame_attributes();
        }
        self.start()
    }

    /// Cancels the request in flight, disconnects observers, removes every
    /// listener and empties the shadow root. Safe to call twice.
    pub fn destroy(&self) {
        LIVE.with(|live| live.borrow_mut().retain(|(w, _)| !w.0.same(&self.0)));
        if self.0.is_destroyed() {
            return;
        }
        self.reset();
        self.0.destroy();
        let s = self.0.borrow();
        if let Some(root) = crate::dom::root_of(&s.host) {
            clear(&root);
        }
        s.host.remove_attr(MOUNTED_ATTR);
    }

    /// Whether `destroy` was called.
    pub fn is_destroyed(&self) -> bool {
        self.0.is_destroyed()
    }

    /// Ends everything the last load or `showJson` started: the request in
    /// flight, the lazy observer, the listeners, the comment section and
    /// the actions row (each through its own `destroy`, which for the row
    /// also takes its print marks off the host page). Callbacks and tasks
    /// of the last load stop answering.
    fn reset(&self) {
        self.0.renew();
        let comments = {
            let mut s = self.0.borrow_mut();
            if let Some(abort) = s.abort.take() {
                abort.cancel();
            }
            s.lazy = None;
            s.comments.take()
        };
        if let Some(section) = comments {
            section.destroy();
        }
        #[cfg(feature = "core")]
        {
            // Out of the borrow before the row's own `destroy`.
            let page = std::mem::take(&mut self.0.borrow_mut().page);
            if let Some(actions) = page.actions {
                actions.destroy();
            }
        }
    }

    /// The element the widget lives in.
    pub fn host(&self) -> Element {
        self.0.borrow().host.clone()
    }

    /// Applies the options to the frame, then loads now or when visible.
    fn start(&self) -> Result<(), WidgetError> {
        self.apply_frame_attributes()?;
        let lazy = matches!(&self.0.borrow().options, Ok(o) if o.lazy);
        if lazy {
            // Whatever was loading for the old options goes.
            self.reset();
        }
        if lazy && self.observe_visibility().is_ok() {
            self.show_skeleton()?;
        } else {
            self.load();
        }
        Ok(())
    }

    fn apply_frame_attributes(&self) -> Result<(), WidgetError> {
        let s = self.0.borrow();
        let set = |k: &'static str, v: &str| s.frame.set_attr(k, v);
        set("lang", s.lang.tag());
        set("dir", s.lang.dir().as_str());
        if let Ok(o) = &s.options {
            set("data-theme", crate::theme::resolve(&s.host, o.theme));
            set("data-kind", o.kind.as_str());
            set(
                "data-layout",
                if o.layout == Layout::Strip {
                    "strip"
                } else {
                    "list"
                },
            );
            // A list reserves the height of its rows (style.css).
            crate::style::reserve_rows(o.limit)?;
            set("data-rows", &o.limit.to_string());
            for w in &o.warnings {
                web_sys::console::warn_1(&JsValue::from_str(&format!("khabar: {w}")));
            }
        }
        Ok(())
    }

    /// Loads once the host comes within 300px of the viewport.
    fn observe_visibility(&self) -> Result<(), WidgetError> {
        let guard = self.0.guard();
        let host = self.0.borrow().host.clone();
        let lazy = NearViewport::watch(&host, "300px", move || {
            if let Some(c) = guard.get() {
                Widget(c).load();
            }
        })?;
        self.0.borrow_mut().lazy = Some(lazy);
        Ok(())
    }

    /// Shows the skeleton, fetches, then renders the content or the error.
    fn load(&self) {
        if self.0.is_destroyed() {
            return;
        }
        self.reset();
        let (options, lang) = {
            let s = self.0.borrow();
            (s.options.clone(), s.lang)
        };
        let abort = match Cancel::new() {
            Ok(abort) => abort,
            Err(e) => return self.show_error(&e),
        };
        self.0.borrow_mut().abort = Some(abort.clone());
        if let Err(e) = self.show_skeleton() {
            self.show_error(&e);
            return;
        }
        let guard = self.0.guard();
        // The reader's catalog first (the loader fetched it beside the
        // wasm, so it is usually in), then the content; an error is told
        // in whatever the widget can say by then.
        i18n::load(lang, move |loaded| {
            let fetching = options.clone();
            // In the mount's task when it has time left, else in a task
            // of its own (`task::soon_if_time`).
            let show = move |result: Result<Content, WidgetError>| {
                crate::task::soon_if_time(move || {
                    let Some(widget) = guard.get().map(Widget) else {
                        return; // destroyed, reloaded or replaced meanwhile
                    };
                    widget.0.borrow_mut().abort = None;
                    match (&options, result) {
                        (Ok(options), result) => widget.show(result, options),
                        (Err(_), Err(e)) => widget.show_error(&e),
                        (Err(_), Ok(_)) => {} // no content without options
                    }
                })
            };
            match (loaded, &fetching) {
                (Err(e), _) => show(Err(e.into())),
                (Ok(()), Err(e)) => show(Err(WidgetError::Config(e.clone()))),
                (Ok(()), Ok(options)) => fetch(options, &abort, show),
            }
        });
    }

    /// Renders from article JSON the host already has (for example embedded
    /// in the page by its CMS), through the same decoding as a response.
    pub fn show_json(&self, json: JsValue) {
        if self.0.is_destroyed() {
            return;
        }
        let Ok(options) = self.0.borrow().options.clone() else {
            return;
        };
        // What the page hands over replaces whatever was loading or shown.
        self.reset();
        let content = match options.kind {
            // A comment section shows no JSON of the page's.
            Kind::Comments => Ok(Content::Comments),
            #[cfg(feature = "core")]
            Kind::Latest => api::decode(json).map(|p| Content::Page(PageContent::Latest(p))),
            #[cfg(feature = "core")]
            kind => api::decode(json).map(|a| PageContent::of_article(kind, a)),
            #[cfg(not(feature = "core"))]
            kind => {
                let _ = json;
                Err(not_here(kind))
            }
        };
        // At once when the catalog is in (the usual case: the page hands
        // over its JSON after the widget has shown something).
        if i18n::is_in(options.lang()) {
            return self.show(content, &options);
        }
        let guard = self.0.guard();
        i18n::load(options.lang(), move |loaded| {
            let Some(widget) = guard.get().map(Widget) else {
                return; // replaced meanwhile
            };
            match loaded {
                Ok(()) => widget.show(content, &options),
                Err(e) => widget.show_error(&e.into()),
            }
        });
    }

    fn show(&self, result: Result<Content, WidgetError>, options: &Options) {
        let rendered = result.and_then(|content| self.render(content, options));
        match rendered {
            // A comment section says so itself once its first page is in.
            Ok(_) if options.kind == Kind::Comments => {}
            Ok(article_id) => {
                let host = self.host();
                crate::dom::dispatch_ready(&host, options.kind.as_str(), article_id.as_deref());
            }
            Err(WidgetError::Aborted) => return,
            Err(e) => self.show_error(&e),
        }
        if !std::mem::take(&mut self.0.borrow_mut().refocus) {
            return;
        }
        // The headline, the first story, the first action or the new
        // "retry": whichever comes first (not in a closed share menu). A
        // comment section's skeleton holds the focus until the section
        // shows, which then hands it to its heading.
        let frame = self.0.borrow().frame.clone();
        if let Ok(Some(el)) = frame
            .query_selector("h1, .retry, :is(a[href], button):not([hidden], [hidden] *), .skeleton")
        {
            if crate::dom::matches(&el, "h1, .skeleton") {
                el.set_attr("tabindex", "-1");
            }
            crate::dom::focus(&el);
        }
    }

    /// Puts `content` on screen; returns the article id for the event.
    fn render(&self, content: Content, options: &Options) -> Result<Option<String>, WidgetError> {
        let doc = self.document()?;
        let catalog = self.0.borrow().lang.catalog();
        let shown = match content {
            Content::Comments => Shown {
                // The skeleton stays until the first page of comments is in
                // (the section replaces it then).
                el: status::skeleton(&doc, catalog, Kind::Comments),
                // A page by URL has no id until its first comment.
                id: (!options.article_id.is_empty()).then(|| options.article_id.clone()),
                section: Some((true, 0)),
                #[cfg(feature = "core")]
                actions: None,
            },
            #[cfg(feature = "core")]
            Content::Page(page) => self.render_page(&doc, page, options, catalog)?,
        };
        let el = shown.el.build();
        let (frame, host) = {
            let s = self.0.borrow();
            clear(&s.frame);
            s.frame.add_child(&el);
            (s.frame.clone(), s.host.clone())
        };
        #[cfg(feature = "core")]
        if let Some((a, print_el, print_site)) = shown.actions {
            let print_el = print_el.unwrap_or_else(|| host.clone());
            let actions =
                ArticleActions::mount(&doc, &el, &frame, &print_el, print_site, &a, options)?;
            self.0.borrow_mut().page.actions = Some(actions);
        }
        if let Some((open, count)) = shown.section {
            let placeholder = (options.kind == Kind::Comments).then(|| el.clone());
            let mounted = Section::mount(&doc, &frame, &host, options, open, count, placeholder)?;
            self.0.borrow_mut().comments = Some(mounted);
        }
        Ok(shown.id)
    }
}

/// The kinds only the core module shows: articles, cards, lists, actions.
#[cfg(feature = "core")]
impl Widget {
    /// What an article, a card, a list or an actions row puts on screen.
    fn render_page(
        &self,
        doc: &web_sys::Document,
        content: PageContent,
        options: &Options,
        catalog: &i18n::Catalog,
    ) -> Result<Shown, WidgetError> {
        let shown = |el, id, section, actions| Shown {
            el,
            id,
            section,
            actions,
        };
        Ok(match content {
            PageContent::Article(a) => {
                let dates = format::dateline(&options.dates).map_err(dom_error)?;
                let section = (a.comments_open || a.comment_count > 0)
                    .then_some((a.comments_open, a.comment_count));
                // On paper, the link the share buttons give: a path the API
                // gave (`/2026/bridge`) in full. (Writing an encoded Arabic
                // path in its letters cost the core 0.4–0.7 KB gzip.)
                let address = crate::sanitize::share_url(&a.url, &options.api);
                let (el, site) = article::render(doc, &a, &address, catalog, &dates)?;
                let id = Some(a.id.clone());
                shown(el, id, section, Some((a, None, Some(site))))
            }
            PageContent::Actions(a) => {
                let print_el = print_target(doc, &self.host(), options);
                let id = Some(a.id.clone());
                let el = El::new(doc, "div").class("actions-only");
                shown(el, id, None, Some((a, Some(print_el), None)))
            }
            PageContent::Card(a) => {
                let meta = latest::Meta::new(options).map_err(dom_error)?;
                let card = El::new(doc, "div").class("single-card").child(latest::card(
                    doc,
                    &a.to_summary(),
                    &meta,
                ));
                shown(card, Some(a.id), None, None)
            }
            PageContent::Latest(page) => {
                let meta = latest::Meta::new(options).map_err(dom_error)?;
                let has_more = page.next.is_some();
                self.0.borrow_mut().page.next = page.next;
                let (list, parts) =
                    latest::list(doc, &page.items, has_more, options.layout, catalog, &meta);
                if let Some(more) = &parts.more {
                    self.on_click(more, |w| w.load_more());
                }
                self.0.borrow_mut().page.list = Some(parts);
                shown(list, None, None, None)
            }
        })
    }

    /// Appends the next page of a `latest` list; errors stay next to the
    /// button so the items already shown are kept.
    fn load_more(&self) {
        let (abort, options, cursor) = {
            let mut s = self.0.borrow_mut();
            let (Ok(options), Some(cursor)) = (s.options.clone(), s.page.next.clone()) else {
                return;
            };
            if s.abort.is_some() {
                return; // a page is already on its way
            }
            let Ok(abort) = Cancel::new() else {
                return;
            };
            s.abort = Some(abort.clone());
            (abort, options, cursor)
        };
        self.set_more_busy(true);
        let guard = self.0.guard();
        let mut query = list_query(&options);
        query.cursor = Some(cursor);
        let client = ApiClient::new(&options.api);
        client.articles(&query, &abort, move |result| {
            let Some(widget) = guard.get().map(Widget) else {
                return;
            };
            widget.0.borrow_mut().abort = None;
            widget.set_more_busy(false);
            match result.and_then(|page| widget.append(page, &options)) {
                Ok(()) | Err(WidgetError::Aborted) => {}
                Err(e) => widget.show_more_error(&e),
            }
        });
    }

    fn append(&self, page: Page<ArticleSummary>, options: &Options) -> Result<(), WidgetError> {
        let doc = self.document()?;
        let meta = latest::Meta::new(options).map_err(dom_error)?;
        let list = self
            .0
            .borrow()
            .page
            .list
            .as_ref()
            .and_then(|l| l.items.clone())
            .ok_or_else(|| dom_error("no list".into()))?;
        let mut first_new = None;
        for li in latest::items(&doc, &page.items, options.layout, &meta) {
            let li = li.build();
            list.add_child(&li);
            first_new.get_or_insert(li);
        }
        let has_more = page.next.is_some();
        let error = {
            let mut s = self.0.borrow_mut();
            s.page.next = page.next;
            s.page.more_error.take()
        };
        // A reader still on "more" (or on the "retry" of a page that
        // failed) goes on from the first new story; one who went elsewhere
        // while it came keeps their place.
        let refocus = self
            .more_button()
            .is_some_and(|b| crate::dom::matches(&b, ":focus"))
            || error
                .as_ref()
                .is_some_and(|e| crate::dom::matches(e, ":focus-within"));
        // The page that failed before came this time.
        if let Some(error) = error {
            error.remove();
        }
        if !has_more {
            if let Some(button) = self.more_button() {
                button.remove();
            }
        }
        if let Some(link) = first_new
            .filter(|_| refocus)
            .and_then(|li| li.query_selector("a").ok().flatten())
        {
            if let Ok(link) = link.dyn_into::<web_sys::HtmlElement>() {
                let _ = link.focus();
            }
        }
        Ok(())
    }

    /// The "more" button of the list on screen.
    fn more_button(&self) -> Option<Element> {
        self.0.borrow().page.list.as_ref()?.more.clone()
    }

    /// Marks the "more" button busy while its page is on its way. Not
    /// `disabled`: that would take the focus of a reader who pressed it
    /// from the keyboard, and leave it on the page's top when the page
    /// fails. A second press meanwhile does nothing ([`Self::load_more`]).
    fn set_more_busy(&self, busy: bool) {
        if let Some(button) = self.more_button() {
            let busy = if busy { "true" } else { "false" };
            button.set_attr("aria-busy", busy);
            button.set_attr("aria-disabled", busy);
        }
    }

    fn show_more_error(&self, err: &WidgetError) {
        web_sys::console::error_1(&JsValue::from_str(&format!("khabar: {err}")));
        let (section, old, catalog) = {
            let mut s = self.0.borrow_mut();
            let section = s.page.list.as_ref().map(|l| l.section.clone());
            (section, s.page.more_error.take(), s.lang.catalog())
        };
        let Ok(doc) = self.document() else { return };
        if let Some(old) = old {
            old.remove();
        }
        if let Some(section) = section {
            let note = latest::more_error(&doc, err.message(catalog)).build();
            section.add_child(&note);
            self.0.borrow_mut().page.more_error = Some(note);
        }
    }
}

impl Widget {
    fn show_skeleton(&self) -> Result<(), WidgetError> {
        let doc = self.document()?;
        let s = self.0.borrow();
        let kind = s.options.as_ref().map(|o| o.kind).unwrap_or(Kind::Article);
        let el = status::skeleton(&doc, s.lang.catalog(), kind).build();
        clear(&s.frame);
        s.frame.add_child(&el);
        if s.refocus {
            // The reader who pressed "retry" waits here (see `show`).
            crate::dom::take_focus(&el);
        }
        Ok(())
    }

    fn show_error(&self, err: &WidgetError) {
        web_sys::console::error_1(&JsValue::from_str(&format!("khabar: {err}")));
        let result = (|| -> Result<(), WidgetError> {
            let doc = self.document()?;
            let retry = {
                let s = self.0.borrow();
                let (el, retry) = status::error(&doc, err, s.lang.catalog());
                clear(&s.frame);
                s.frame.add_child(&el.build());
                retry
            };
            if let Some(button) = retry {
                self.on_click(&button, |w| {
                    w.0.borrow_mut().refocus = true;
                    w.load();
                });
            }
            Ok(())
        })();
        if let Err(e) = result {
            web_sys::console::error_1(&JsValue::from_str(&format!("khabar: {e}")));
        }
        crate::dom::dispatch_error(&self.host(), err);
    }

    /// Runs `action` on the next tick after a click on `target`, for as long
    /// as the widget stays on the current generation.
    fn on_click(&self, target: &Element, action: fn(&Widget)) {
        self.0.listen(target, "click", move |c, _| {
            // Deferred: the action may drop this very listener.
            let widget = Widget(c);
            crate::task::soon(move || action(&widget));
        });
    }

    fn document(&self) -> Result<web_sys::Document, WidgetError> {
        self.0
            .borrow()
            .frame
            .owner_document()
            .ok_or_else(|| dom_error("no document".into()))
    }
}

#[cfg(feature = "core")]
fn list_query(options: &Options) -> ListQuery {
    ListQuery {
        limit: options.limit,
        section: options.section.clone(),
        lang: options.content_lang.clone(),
        cursor: None,
    }
}

/// Fetches what `options` show and calls `then` with it.
fn fetch(
    options: &Options,
    cancel: &Cancel,
    then: impl FnOnce(Result<Content, WidgetError>) + 'static,
) {
    match options.kind {
        // The section fetches its own pages.
        Kind::Comments => then(Ok(Content::Comments)),
        #[cfg(feature = "core")]
        Kind::Latest => {
            ApiClient::new(&options.api).articles(&list_query(options), cancel, move |page| {
                then(page.map(|p| Content::Page(PageContent::Latest(p))))
            })
        }
        // One request for every kind that shows an article.
        #[cfg(feature = "core")]
        kind => ApiClient::new(&options.api).article(&options.article_id, cancel, move |article| {
            then(article.map(|a| PageContent::of_article(kind, a)))
        }),
        #[cfg(not(feature = "core"))]
        kind => {
            let _ = cancel;
            then(Err(not_here(kind)))
        }
    }
}

/// A kind the comments module does not show (the loader mounts those
/// in the core module; only a caller that bypasses it gets this).
#[cfg(not(feature = "core"))]
fn not_here(kind: Kind) -> WidgetError {
    WidgetError::Config(ConfigError::UnknownKind(format!(
        "{} (not in the comments module)",
        kind.as_str()
    )))
}

#[cfg(feature = "core")]
/// The host page's element an `actions` row prints: `data-print-target`,
/// else the nearest `<article>` around the widget, else `<main>`, else the
/// page's `<body>` (the row itself prints nothing: it is hidden in print).
fn print_target(doc: &web_sys::Document, host: &Element, options: &Options) -> Element {
    if let Some(selector) = &options.print_target {
        match doc.query_selector(selector) {
            Ok(Some(el)) => return el,
            // The reader still gets a printout: the fallbacks below.
            _ => web_sys::console::warn_2(
                &"khabar: print-target matches nothing:".into(),
                &selector.into(),
            ),
        }
    }
    host.closest("article")
        .ok()
        .flatten()
        .or_else(|| doc.query_selector("main").ok().flatten())
        .or_else(|| doc.body().map(Into::into))
        .unwrap_or_else(|| host.clone())
}
