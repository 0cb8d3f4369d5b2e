//! Decisions about untrusted URLs (and, later, HTML), kept pure so that
//! native tests and fuzzers can hammer them.

/// Returns the URL when it is safe to put in `href`/`src`: an absolute
/// `http:`, `https:` or (for links) `mailto:` URL without control characters.
pub fn safe_url(url: &str, allow_mailto: bool) -> Option<&str> {
    let url = url.trim();
    if url.chars().any(|c| c.is_control()) {
        return None;
    }
    let (scheme, rest) = url.split_once(':')?;
    let ok = match scheme.to_ascii_lowercase().as_str() {
        "http" | "https" => rest.starts_with("//") && rest.len() > 2,
        "mailto" => allow_mailto && !rest.is_empty(),
        _ => false,
    };
    ok.then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_and_mail_urls_pass() {
        assert_eq!(
            safe_url(" https://a.test/x.jpg ", false),
            Some("https://a.test/x.jpg")
        );
        assert_eq!(safe_url("HTTP://a.test", false), Some("HTTP://a.test"));
        assert_eq!(safe_url("mailto:a@b.test", true), Some("mailto:a@b.test"));
        assert_eq!(safe_url("mailto:a@b.test", false), None);
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,<script>",
            "vbscript:msgbox",
            "//evil.test/x",
            "/relative",
            "https:",
            "https:/x",
            "",
        ] {
            assert_eq!(safe_url(bad, true), None, "{bad:?} must be refused");
        }
    }
}
