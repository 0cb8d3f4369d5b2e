//! HTTP routes: the JSON API and the static files (demo pages, widget).

pub mod api;
pub mod assets;
pub mod etag;
