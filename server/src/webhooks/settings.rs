//! What `serve --webhook …` configures, checked at start so that a typo
//! stops the server with a clear message instead of failing every event.

use std::path::Path;
use std::time::Duration;

/// The variable holding the signing secret (the secret itself; never a
/// command-line flag, which other users of the machine could read).
pub const SECRET_ENV: &str = "KHABAR_WEBHOOK_SECRET";

/// The shortest secret accepted, in bytes.
pub const SECRET_MIN: usize = 16;

/// Why the webhook settings are refused.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A `--webhook` is not an http(s) URL with a host.
    #[error("--webhook {url:?}: {why}")]
    BadUrl {
        /// What was given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// `--webhook` without a secret to sign with.
    #[error(
        "--webhook needs a signing secret: put it in a file named by --webhook-secret-file \
         (or KHABAR_WEBHOOK_SECRET_FILE), or in the variable {SECRET_ENV}"
    )]
    NoSecret,
    /// The secret file could not be read.
    #[error("--webhook-secret-file {path}: {source}")]
    SecretFile {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The secret is too short to be one.
    #[error(
        "the webhook secret has {0} bytes; use at least {SECRET_MIN} (e.g. openssl rand -hex 32)"
    )]
    ShortSecret(usize),
}

/// How webhooks are delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Where every event goes (one delivery per URL).
    pub urls: Vec<String>,
    /// The HMAC key of `Khabar-Signature`.
    pub secret: Vec<u8>,
    /// Delay before the second attempt; each next one waits twice as long.
    pub retry_base: Duration,
    /// Attempts before a delivery is marked failed.
    pub max_attempts: u32,
    /// Time for one attempt: connecting, sending and the answer's head.
    pub timeout: Duration,
    /// How often the worker looks for due deliveries.
    pub poll: Duration,
}

impl Settings {
    /// Settings with the defaults of the command line: 30 s base delay,
    /// 8 attempts, 10 s per attempt, polled every second.
    pub fn new(urls: Vec<String>, secret: Vec<u8>) -> Settings {
        Settings {
            urls,
            secret,
            retry_base: Duration::from_secs(30),
            max_attempts: 8,
            timeout: Duration::from_secs(10),
            poll: Duration::from_secs(1),
        }
    }
}

/// `url` if it is an absolute http or https URL with a host.
pub fn check_url(url: &str) -> Result<String, SettingsError> {
    let bad = |why: &str| SettingsError::BadUrl {
        url: url.to_owned(),
        why: why.to_owned(),
    };
    let parsed = url::Url::parse(url.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("only http:// and https:// URLs"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad(
            "no user or password in the URL (it is shown in /admin)",
        ));
    }
    Ok(parsed.to_string())
}

/// The signing secret: the file's content (without its final line
/// break), else `from_env`; at least [`SECRET_MIN`] bytes.
pub fn read_secret(
    file: Option<&Path>,
    from_env: Option<String>,
) -> Result<Vec<u8>, SettingsError> {
    let secret = match file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|source| SettingsError::SecretFile {
                path: path.display().to_string(),
                source,
            })?
            .trim_end_matches(['\r', '\n'])
            .to_owned(),
        None => from_env
            .filter(|s| !s.is_empty())
            .ok_or(SettingsError::NoSecret)?,
    };
    if secret.len() < SECRET_MIN {
        return Err(SettingsError::ShortSecret(secret.len()));
    }
    Ok(secret.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_with_a_host_pass() {
        assert_eq!(
            check_url("https://hooks.example/khabar").expect("ok"),
            "https://hooks.example/khabar"
        );
        assert!(check_url("http://127.0.0.1:9000/").is_ok());
        for bad in [
            "ftp://x.example/",
            "hooks.example/khabar",
            "",
            "https://u:p@x.example/",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_secret_comes_from_the_file_or_the_variable_and_is_long_enough() {
        assert!(matches!(
            read_secret(None, None),
            Err(SettingsError::NoSecret)
        ));
        assert!(matches!(
            read_secret(None, Some("short".into())),
            Err(SettingsError::ShortSecret(5))
        ));
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("secret");
        std::fs::write(&path, "0123456789abcdef0123\n").expect("write");
        assert_eq!(
            read_secret(Some(&path), Some("ignored-ignored-ignored".into())).expect("read"),
            b"0123456789abcdef0123"
        );
        assert!(matches!(
            read_secret(Some(&dir.path().join("missing")), None),
            Err(SettingsError::SecretFile { .. })
        ));
    }
}
