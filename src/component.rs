//! The one way a live part of the widget (the widget itself, its comment
//! section, its actions row) holds its state: behind a shared handle, with
//! the listeners it owns, and with guards that let callbacks and spawned
//! tasks reach it only while it is alive and still on the same load.

use std::cell::{Ref, RefCell, RefMut};
use std::rc::{Rc, Weak};

use gloo_events::{EventListener, EventListenerOptions};
use web_sys::{Event, EventTarget};

struct Shared<S> {
    state: RefCell<S>,
    life: RefCell<Life>,
}

/// What every component owns besides its state.
#[derive(Default)]
struct Life {
    listeners: Vec<EventListener>,
    /// Bumped by [`Component::renew`]: older guards stop answering.
    generation: u64,
    destroyed: bool,
}

/// A shared handle to a component's state. Cloning gives another handle
/// to the same component.
pub struct Component<S>(Rc<Shared<S>>);

impl<S> Clone for Component<S> {
    fn clone(&self) -> Self {
        Component(self.0.clone())
    }
}

/// A weak reference that upgrades only while the component is alive and
/// on the generation it was taken in: what callbacks and tasks hold.
pub struct Guard<S> {
    weak: Weak<Shared<S>>,
    generation: u64,
}

impl<S> Clone for Guard<S> {
    fn clone(&self) -> Self {
        Guard {
            weak: self.weak.clone(),
            generation: self.generation,
        }
    }
}

impl<S> Guard<S> {
    /// The component, unless it was destroyed or renewed since.
    pub fn get(&self) -> Option<Component<S>> {
        let shared = self.weak.upgrade()?;
        let ok = {
            let life = shared.life.borrow();
            !life.destroyed && life.generation == self.generation
        };
        ok.then_some(Component(shared))
    }
}

impl<S: 'static> Component<S> {
    /// A new, live component.
    pub fn new(state: S) -> Self {
        Component(Rc::new(Shared {
            state: RefCell::new(state),
            life: RefCell::new(Life::default()),
        }))
    }

    /// The state, to read.
    pub fn borrow(&self) -> Ref<'_, S> {
        self.0.state.borrow()
    }

    /// The state, to change.
    pub fn borrow_mut(&self) -> RefMut<'_, S> {
        self.0.state.borrow_mut()
    }

    /// A guard for the current generation.
    pub fn guard(&self) -> Guard<S> {
        Guard {
            weak: Rc::downgrade(&self.0),
            generation: self.0.life.borrow().generation,
        }
    }

    /// Whether both handles are the same component.
    pub fn same(&self, other: &Component<S>) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// Whether [`Component::destroy`] was called.
    pub fn is_destroyed(&self) -> bool {
        self.0.life.borrow().destroyed
    }

    /// Calls `f` on every `event` at `target` for as long as the component
    /// stays alive and on this generation; the listener is removed by
    /// [`Component::renew`] and [`Component::destroy`].
    pub fn listen(
        &self,
        target: &EventTarget,
        event: &'static str,
        f: impl Fn(Component<S>, &Event) + 'static,
    ) {
        let guard = self.guard();
        let listener = EventListener::new_with_options(
            target,
            event,
            EventListenerOptions::enable_prevent_default(),
            move |e| {
                if let Some(c) = guard.get() {
                    f(c, e);
                }
            },
        );
        self.0.life.borrow_mut().listeners.push(listener);
    }

    /// Starts a new generation: listeners go, and guards taken before
    /// stop answering (requests and timers of the last load are ignored).
    pub fn renew(&self) {
        let old = {
            let mut life = self.0.life.borrow_mut();
            life.generation += 1;
            std::mem::take(&mut life.listeners)
        };
        // Dropped outside the borrow: removing a listener runs no callback,
        // but keep the cell free anyway.
        drop(old);
    }

    /// Marks the component dead and removes its listeners. Returns false
    /// when it already was.
    pub fn destroy(&self) -> bool {
        if self.is_destroyed() {
            return false;
        }
        self.renew();
        self.0.life.borrow_mut().destroyed = true;
        true
    }
}
