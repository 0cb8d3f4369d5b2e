//! Views: pure functions from model + language to DOM elements.

pub mod actions;
pub mod article;
pub mod comment_form;
pub mod comments;
pub mod latest;
pub mod status;
