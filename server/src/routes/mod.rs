//! HTTP routes, a module per thing served. `api` assembles the JSON API;
//! the others are its parts, the feeds and the static files.

pub mod api;
pub mod articles;
pub mod assets;
pub mod comments;
pub mod config;
pub mod counts;
pub mod etag;
pub mod feeds;
pub mod moderation;
pub mod ops;
pub mod publishing;
pub mod send;
pub mod threads;
