//! The comment section as a widget holds it. A build with the `comments`
//! feature mounts it directly. The core module alone (what a first visit
//! downloads) leaves a skeleton in its place and asks the loader for the
//! comments module once that place comes within a screen of the viewport —
//! at once for a `comments` widget — then mounts the section through it.
//! The loader requests the section's first page of comments along with
//! the module, rather than the module asking for it once it runs.
//! If the module cannot load, the place shows the network error with a
//! retry and the host gets `khabar:error` with the code `load`.

#[cfg(feature = "comments")]
pub use crate::comment_section::CommentSection as Section;

#[cfg(not(feature = "comments"))]
pub use remote::{load_export, release, set_loader, Section};

#[cfg(not(feature = "comments"))]
mod remote {
    use std::cell::RefCell;

    use js_sys::{Array, Function, Object, Promise, Reflect};
    use wasm_bindgen::prelude::*;
    use web_sys::{Document, Element};

    use crate::component::Component;
    use crate::config::{Kind, Options};
    use crate::dom::{dom_error, Attrs, Children, NearViewport};
    use crate::error::WidgetError;
    use crate::views::status;

    thread_local! {
        /// The loader's function that starts the comments module (once)
        /// and resolves to its `mountSection` (or the export its second
        /// argument names); its first argument is the URL of the first page
        /// of comments, which the loader requests meanwhile.
        static LOADER: RefCell<Option<Function>> = const { RefCell::new(None) };
    }

    /// Keeps the loader's function that starts the comments module.
    pub fn set_loader(loader: Function) {
        LOADER.with(|l| *l.borrow_mut() = Some(loader));
    }

    /// Starts the comments module (once) and calls `then` with its export
    /// `name` (`None` when the module cannot load, or has no such export).
    pub fn load_export(name: &str, then: impl FnOnce(Option<Function>) + 'static) {
        load(&JsValue::UNDEFINED, name, then);
    }

    /// [`load_export`], with the URL of a section's first page of
    /// comments, which the loader requests along with the module.
    fn load(first_page: &JsValue, name: &str, then: impl FnOnce(Option<Function>) + 'static) {
        let started = LOADER.with(|l| {
            l.borrow()
                .as_ref()
                .map(|f| f.call2(&JsValue::UNDEFINED, first_page, &JsValue::from_str(name)))
        });
        let promise = match started {
            Some(Ok(p)) => p.dyn_into::<Promise>().ok(),
            _ => None,
        }
        .unwrap_or_else(|| Promise::reject(&JsValue::from_str("no comments loader")));
        crate::task::when(&promise, move |export| {
            then(export.ok().and_then(|f| f.dyn_into::<Function>().ok()));
        });
    }

    struct State {
        doc: Document,
        parent: Element,
        host: Element,
        /// The options as the comments module reads them.
        options: Object,
        /// The first page of comments the section will ask for.
        first_page: String,
        lang: crate::i18n::Lang,
        open: bool,
        count: u32,
        /// What holds the section's place: the skeleton, or the error.
        place: Element,
        near: Option<NearViewport>,
        /// The comments module's handle of the mounted section.
        handle: Option<JsValue>,
    }

    /// A comment section mounted through the comments module.
    #[derive(Clone)]
    pub struct Section(Component<State>);

    impl Section {
        /// Holds the section's place and loads the comments module when it
        /// is needed; arguments as `CommentSection::mount`.
        pub fn mount(
            doc: &Document,
            parent: &Element,
            host: &Element,
            options: &Options,
            open: bool,
            count: u32,
            placeholder: Option<Element>,
        ) -> Result<Section, WidgetError> {
            let catalog = options.lang().catalog();
            let place = match placeholder {
                Some(place) => place,
                None => {
                    let place = status::skeleton(doc, catalog, Kind::Comments).build();
                    parent.add_child(&place);
                    place
                }
            };
            let section = Section(Component::new(State {
                doc: doc.clone(),
                parent: parent.clone(),
                host: host.clone(),
                options: options.to_object(),
                first_page: crate::api::ApiClient::new(&options.api).comments_url(
                    &crate::api::Thread::of(options),
                    khabar_rules::COMMENT_PAGE_DEFAULT,
                    None,
                ),
                lang: options.lang(),
                open,
                count,
                place: place.clone(),
                near: None,
                handle: None,
            }));
            if options.kind == Kind::Comments {
                section.load();
            } else {
                // One screen ahead: the module is in before the reader is.
                // Until then the skeleton says it waits (pages and tests
                // can tell "waiting for the reader" from "loading").
                place.set_attr("data-loads", "near");
                let guard = section.0.guard();
                let near = NearViewport::watch(&place, "100% 0px", move || {
                    if let Some(c) = guard.get() {
                        Section(c).load();
                    }
                })?;
                section.0.borrow_mut().near = Some(near);
            }
            Ok(section)
        }

        /// Takes the section down (or stops it from ever mounting).
        pub fn destroy(&self) {
            self.0.destroy();
            let handle = {
                let mut s = self.0.borrow_mut();
                s.near = None;
                s.handle.take()
            };
            if let Some(handle) = handle {
                release(&handle);
            }
        }

        fn load(&self) {
            let (place, first_page) = {
                let mut s = self.0.borrow_mut();
                s.near = None;
                (s.place.clone(), JsValue::from_str(&s.first_page))
            };
            place.remove_attr("data-loads");
            let guard = self.0.guard();
            load(&first_page, "mountSection", move |mount| {
                let Some(section) = guard.get().map(Section) else {
                    return; // taken down while the module loaded
                };
                let mounted = mount
                    .ok_or(JsValue::NULL)
                    .and_then(|mount| section.mount_with(&mount));
                match mounted {
                    Ok(handle) => section.0.borrow_mut().handle = Some(handle),
                    Err(_) => section.show_failure(),
                }
            });
        }

        /// Calls the comments module's `mountSection`.
        fn mount_with(&self, mount: &Function) -> Result<JsValue, JsValue> {
            let s = self.0.borrow();
            let args = Array::of5(
                &s.parent,
                &s.host,
                &s.options,
                &JsValue::from_bool(s.open),
                &JsValue::from(s.count),
            );
            args.push(&s.place);
            mount.apply(&JsValue::NULL, &args)
        }

        /// The network error in the section's place, with a retry that
        /// puts the skeleton back and loads again.
        fn show_failure(&self) {
            let err = WidgetError::Load("the comments module");
            let shown = (|| -> Result<(), WidgetError> {
                let (doc, lang, old) = {
                    let s = self.0.borrow();
                    (s.doc.clone(), s.lang, s.place.clone())
                };
                let (el, retry) = status::error(&doc, &err, lang.catalog());
                let el = el.build();
                // Failed again after a "retry": the new one takes the focus.
                let refocus = crate::dom::matches(&old, ":focus");
                old.replace_with_with_node_1(&el).map_err(dom_error)?;
                self.0.borrow_mut().place = el;
                if let Some(retry) = retry {
                    if refocus {
                        crate::dom::focus(&retry);
                    }
                    self.0.listen(&retry, "click", move |c, _| {
                        // Deferred: the skeleton's `renew` drops this listener.
                        // The skeleton keeps the reader's focus until the
                        // section shows and hands it to its heading.
                        let section = Section(c);
                        crate::task::soon(move || {
                            if let Ok(skeleton) = section.show_skeleton() {
                                crate::dom::take_focus(&skeleton);
                                section.load();
                            }
                        });
                    });
                }
                Ok(())
            })();
            if let Err(e) = shown {
                web_sys::console::error_1(&JsValue::from_str(&format!("khabar: {e}")));
            }
            crate::dom::dispatch_error(&self.0.borrow().host, &err);
        }

        fn show_skeleton(&self) -> Result<Element, WidgetError> {
            let (doc, lang, old) = {
                let s = self.0.borrow();
                (s.doc.clone(), s.lang, s.place.clone())
            };
            let el = status::skeleton(&doc, lang.catalog(), Kind::Comments).build();
            old.replace_with_with_node_1(&el).map_err(dom_error)?;
            self.0.renew();
            self.0.borrow_mut().place = el.clone();
            Ok(el)
        }
    }

    /// Destroys and frees a handle of the comments module.
    pub fn release(handle: &JsValue) {
        for method in ["destroy", "free"] {
            if let Ok(f) =
                Reflect::get(handle, &method.into()).and_then(|f| f.dyn_into::<Function>())
            {
                let _ = f.call0(handle);
            }
        }
    }
}
