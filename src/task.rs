//! Running the widget's asynchronous work: a leaf module, so that every
//! layer may start a task without importing another.

use std::future::Future;
use std::pin::Pin;

/// A task the widget runs: boxed, so that the executor is compiled once.
type Task = Pin<Box<dyn Future<Output = ()>>>;

/// Runs `task` on the page's event loop until it finishes.
///
/// `wasm_bindgen_futures::spawn_local` is generic over the future, and its
/// executor code was compiled once per call site (fourteen copies across
/// the widget); every task goes through this one boxed type instead.
pub fn spawn(task: impl Future<Output = ()> + 'static) {
    let task: Task = Box::pin(task);
    wasm_bindgen_futures::spawn_local(task);
}
