//! Webhooks: comment events (`comment.created`, `comment.published`,
//! `comment.rejected`, `comment.deleted`) POSTed as signed JSON to the operator's URLs.
//!
//! The store queues a delivery per event and URL in the transaction that
//! changes the comment ([`event`]); a worker in `serve` claims due
//! deliveries with a lease and sends them, retrying with backoff
//! ([`worker`]); [`signature`] signs them; [`settings`] reads the flags.

pub mod event;
pub mod settings;
pub mod signature;
pub mod worker;
