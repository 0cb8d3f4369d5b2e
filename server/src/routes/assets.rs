//! Static files: the built widget (`/khabar/`) and, with `--demo` only,
//! the demo pages (`www/`).

use std::path::PathBuf;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tower_http::services::ServeDir;

/// Serves the widget build under `/khabar/` and, when given, the demo
/// pages at `/`; anything else is a 404. A widget file with a `.br` or
/// `.gz` beside it (what `cargo xtask dist` writes into `dist/cdn/`) is sent
/// as that file to a browser that takes the encoding: compressed once at
/// the highest levels rather than on every request at a fast one (the
/// core module: 55 KB instead of 65 KB, and no 5–10 ms of compressing
/// before the first byte). Other files are compressed per request.
pub fn router(widget: PathBuf, demo_pages: Option<PathBuf>) -> Router {
    let files = ServeDir::new(widget)
        .precompressed_br()
        .precompressed_gzip();
    let widget = Router::new()
        .nest_service("/khabar", files)
        .layer(middleware::from_fn(cache_headers));
    match demo_pages {
        Some(www) => {
            widget.fallback_service(ServeDir::new(www).append_index_html_on_directories(true))
        }
        None => widget,
    }
}

/// Whether a file name carries a content hash (`name.0123abcd.ext`), which
/// makes it safe to cache forever.
pub fn is_hashed_name(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut parts = name.split('.');
    let _stem = parts.next();
    parts.any(|p| p.len() >= 8 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn cache_headers(req: Request, next: Next) -> Response {
    let hashed = is_hashed_name(req.uri().path());
    let mut res = next.run(req).await;
    if res.status().is_success() {
        let value = if hashed {
            "public, max-age=31536000, immutable"
        } else {
            // Unversioned names must be revalidated (ETag / Last-Modified).
            "no-cache"
        };
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    // The widget is meant for other sites' pages: module scripts and
    // fetched wasm need CORS, and pages with COEP need CORP.
    let headers = res.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    // ServeDir sends a precompressed file without it, and a cache in front
    // must not hand brotli to a browser that did not ask for it (the
    // compression layer outside adds none of its own when it is there).
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_recognised() {
        assert!(is_hashed_name("/khabar/khabar.3f9a0c1d.js"));
        assert!(is_hashed_name("khabar_bg.0123456789abcdef.wasm"));
        assert!(!is_hashed_name("/khabar/khabar.js"));
        assert!(!is_hashed_name("/khabar/khabar_core_bg.wasm"));
    }
}
