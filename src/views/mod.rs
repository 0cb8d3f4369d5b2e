//! Views: pure functions from model + language to DOM elements.

pub mod article;
pub mod latest;
pub mod status;
