//! English strings.

use super::Catalog;

/// The English catalog.
pub static CATALOG: Catalog = Catalog {
    loading: "Loading the story…",
    published: "Published",
    updated: "Updated",
    source: "Source",
    by: "By",
    retry: "Try again",
    reload: "Reload the page",
    latest: "Latest news",
    more: "More stories",
    no_items: "No stories to show yet.",
    error_not_found: "We could not find this story. It may have been moved or removed.",
    error_network: "Could not reach the news server. Check your connection and try again.",
    error_timeout: "The news server is taking too long to answer. Try again in a moment.",
    error_server: "The news server ran into a problem. Try again in a moment.",
    error_bad_response: "The news server sent data that cannot be shown.",
    error_config: "This widget's embed settings are missing or wrong.",
    error_crash: "Something unexpected went wrong while showing this story.",
};
