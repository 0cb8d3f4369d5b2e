//! `GET /api/v1/counts?ids=a,b,c` or `?url=…&url=…`: how many published
//! comments each of many articles has, in one request, for article lists
//! the host page renders itself.

use std::collections::BTreeMap;

use axum::extract::{RawQuery, State};
use axum::Json;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::state::AppState;
use crate::threads::{canonical_path, never_names_page, page_query, page_spellings, url_path};

/// Articles one request may ask about.
pub const MAX_ITEMS: usize = 50;

/// A URL as the server compares canonical URLs: scheme and host lower-case,
/// no query, no fragment.
pub fn normalize_url(url: &str) -> String {
    let url = url.trim();
    let url = url.split('#').next().unwrap_or(url);
    let url = url.split('?').next().unwrap_or(url);
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            format!(
                "{}://{}{}",
                scheme.to_ascii_lowercase(),
                host.to_ascii_lowercase(),
                path
            )
        }
        None => url.to_owned(),
    }
}

/// The forms a stored canonical URL of the page at `url` may take: the
/// normalized absolute URL, the same with its query (some sites identify
/// pages by it), and both as root-relative paths (stored by imports that
/// give paths); each query-less one also as a CMS may spell it (trailing
/// slash, either case of percent-encoding: see
/// [`crate::threads::stored_spellings`]).
fn candidates(url: &str) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for form in literal_candidates(url) {
        let spellings = if form.contains('?') {
            Vec::new()
        } else {
            let (origin, path) = match form.split_once("://") {
                Some((scheme, rest)) => {
                    let at = rest.find('/').unwrap_or(rest.len());
                    (format!("{scheme}://{}", &rest[..at]), &rest[at..])
                }
                None => (String::new(), form.as_str()),
            };
            let path = if path.is_empty() { "/" } else { path };
            // With their paths: an article stored with a path is that page.
            page_spellings(&format!("{origin}{}", canonical_path(path)))
        };
        for f in std::iter::once(form).chain(spellings) {
            if !all.contains(&f) {
                all.push(f);
            }
        }
    }
    all
}

/// [`candidates`] as the page's URL gives them, before CMS spellings.
fn literal_candidates(url: &str) -> Vec<String> {
    let without_fragment = url.trim().split('#').next().unwrap_or_default().to_owned();
    let normalized = normalize_url(url);
    let mut forms = vec![normalized.clone()];
    // Tracking parameters never name a page (the list comments by URL use).
    let query = without_fragment
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or_default()
        .split('&')
        .filter(|p| {
            let name = p.split('=').next().unwrap_or_default();
            !name.is_empty() && !never_names_page(name)
        })
        .collect::<Vec<_>>()
        .join("&");
    let with_query = if query.is_empty() {
        normalized.clone()
    } else {
        format!("{normalized}?{query}")
    };
    // A page its query names (`/?p=12`) is not the page without it: its
    // forms are the query's alone, as a thread's address keeps it first.
    if let Some((scheme, rest)) = normalized.split_once("://") {
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let path = if path.is_empty() { "/" } else { path };
        if let Some(q) = page_query(path, &query) {
            // Its parameters in order, and as paths too, as comments by
            // URL find it (`?id=5&cat=2` is the article stored as
            // `/news.php?cat=2&id=5`).
            let mut forms =
                page_spellings(&format!("{scheme}://{host}{}?{q}", canonical_path(path)));
            forms.push(with_query.clone());
            forms.push(format!("{path}?{query}"));
            forms.dedup();
            return forms;
        }
    }
    forms.push(with_query.clone());
    for absolute in [&with_query, &normalized] {
        if absolute.contains("://") {
            forms.push(url_path(absolute).to_owned());
        }
    }
    forms.dedup();
    forms
}

/// `{"counts": {"<id or url as asked>": n, …}}`; unknown and hidden
/// articles are left out.
pub(crate) async fn get(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    crate::extract::refuse_nul(query.as_deref())?;
    let (mut ids, mut urls) = (Vec::new(), Vec::new());
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "ids" => ids.extend(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned),
            ),
            "url" if !value.trim().is_empty() => urls.push(value.into_owned()),
            _ => {}
        }
    }
    if ids.is_empty() && urls.is_empty() {
        return Err(ApiError::BadRequest(
            "give ids=a,b,c or url=… (repeatable)".into(),
        ));
    }
    if ids.len() + urls.len() > MAX_ITEMS {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_ITEMS} articles per request"
        )));
    }
    ids.sort();
    ids.dedup();
    let mut counts = BTreeMap::new();
    if !ids.is_empty() {
        for (id, n) in state.store.published_counts(ids).await? {
            counts.insert(id, n);
        }
    }
    if !urls.is_empty() {
        // Each asked URL in the forms a stored canonical URL may have.
        let asked: Vec<(String, Vec<String>)> = urls
            .into_iter()
            .map(|u| (u.clone(), candidates(&u)))
            .collect();
        let all: Vec<String> = asked.iter().flat_map(|(_, c)| c.clone()).collect();
        let mut found = state.store.ids_by_url(all).await?;
        found.retain(|m| !m.hidden);
        let numbers = state
            .store
            .published_counts(found.iter().map(|m| m.id.clone()).collect())
            .await?;
        for (given, forms) in &asked {
            let n = forms
                .iter()
                .find_map(|f| found.iter().find(|m| &m.url == f))
                .and_then(|m| numbers.iter().find(|(i, _)| *i == m.id))
                .map(|(_, n)| *n);
            if let Some(n) = n {
                counts.insert(given.clone(), n);
            }
        }
    }
    Ok(Json(json!({ "counts": counts })))
}

#[cfg(test)]
mod tests {
    use super::normalize_url;

    #[test]
    fn urls_compare_without_case_query_or_fragment_in_the_host_part() {
        assert_eq!(
            normalize_url("HTTPS://News.Example/2026/Port?utm=x#c3"),
            "https://news.example/2026/Port"
        );
        assert_eq!(normalize_url("/local/path"), "/local/path");
        assert_eq!(
            super::candidates("HTTP://Host.Example/?article=a1&utm_source=x#c"),
            [
                "http://host.example/?article=a1",
                "https://host.example/?article=a1",
                "/?article=a1",
            ]
        );
    }

    #[test]
    fn a_page_url_also_matches_the_spellings_a_cms_stores() {
        let forms = super::candidates("https://news.example/2026/11/30/%D8%B3%D9%88%D9%82");
        for stored in [
            "https://news.example/2026/11/30/%D8%B3%D9%88%D9%82",
            "https://news.example/2026/11/30/%D8%B3%D9%88%D9%82/",
            "https://news.example/2026/11/30/%d8%b3%d9%88%d9%82/",
            "/2026/11/30/%d8%b3%d9%88%d9%82/",
        ] {
            assert!(
                forms.iter().any(|f| f == stored),
                "{stored} not in {forms:?}"
            );
        }
    }
}
