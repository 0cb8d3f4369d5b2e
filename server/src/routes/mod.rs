//! HTTP routes: the JSON API and the static files (demo pages, widget).

pub mod admin;
pub mod api;
pub mod assets;
pub mod comments;
pub mod etag;
pub mod site;
