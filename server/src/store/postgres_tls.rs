//! TLS for the PostgreSQL engine, chosen as libpq chooses it: `sslmode`
//! and `sslrootcert` in the `--db` URL.
//!
//! | `sslmode` | connection |
//! |---|---|
//! | none, `disable`, `allow`, `prefer` | plain, as without TLS support |
//! | `require` | encrypted; the certificate is checked against `sslrootcert` when given (as libpq does), else not at all |
//! | `verify-ca` | encrypted; the certificate chains to `sslrootcert` |
//! | `verify-full` | as `verify-ca`, and it names the host connected to |
//!
//! `sslrootcert` is a PEM file of CA certificates, or `system` for the
//! public roots (webpki-roots; what a managed database with a public CA
//! needs). `verify-ca` and `verify-full` without it use the public roots.
//! `prefer` stays plain so that a local server with a self-signed
//! certificate (Debian's default) is reached as it always was.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// How to check the server's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// Encrypt only (`require` without a root certificate).
    Nothing,
    /// The chain, not the name (`verify-ca`, or `require` with roots).
    Chain,
    /// The chain and the host name (`verify-full`).
    Full,
}

/// The `--db` URL without the options handled here, and the connector
/// they ask for (`None`: plain).
pub(crate) struct TlsUrl {
    /// The URL for tokio-postgres, without `sslmode` and `sslrootcert`.
    pub url: String,
    /// The connector, when the connection is to be encrypted.
    pub tls: Option<MakeRustlsConnect>,
}

impl TlsUrl {
    /// The mode to give tokio-postgres.
    pub fn ssl_mode(&self) -> SslMode {
        if self.tls.is_some() {
            SslMode::Require
        } else {
            SslMode::Disable
        }
    }
}

/// Splits the TLS options off `url`, or says what is wrong with them.
pub(crate) fn parse(url: &str) -> Result<TlsUrl, String> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut kept = Vec::new();
    let mut mode = None;
    let mut root = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_encoding::percent_decode_str(value)
            .decode_utf8()
            .map_err(|_| format!("{key}: not UTF-8"))?
            .into_owned();
        match key {
            "sslmode" => mode = Some(value),
            "sslrootcert" => root = Some(value),
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    let check = match mode.as_deref() {
        None | Some("disable" | "allow" | "prefer") => return Ok(TlsUrl { url, tls: None }),
        Some("require") if root.is_none() => Check::Nothing,
        Some("require" | "verify-ca") => Check::Chain,
        Some("verify-full") => Check::Full,
        Some(other) => {
            return Err(format!(
                "sslmode={other}: use disable, prefer, require, verify-ca or verify-full"
            ))
        }
    };
    let roots = roots(root.as_deref())?;
    Ok(TlsUrl {
        url,
        tls: Some(connector(check, roots)?),
    })
}

/// The CA certificates of `sslrootcert`: a PEM file, or the public roots
/// (`system`, or none given).
fn roots(file: Option<&str>) -> Result<RootCertStore, String> {
    let Some(file) = file.filter(|f| *f != "system") else {
        return Ok(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        });
    };
    let mut store = RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(file)
        .map_err(|e| format!("sslrootcert {file}: {e}"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("sslrootcert {file}: {e}"))?;
    let (added, _) = store.add_parsable_certificates(certs);
    if added == 0 {
        return Err(format!("sslrootcert {file}: no CA certificate in it"));
    }
    Ok(store)
}

fn connector(check: Check, roots: RootCertStore) -> Result<MakeRustlsConnect, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| format!("sslrootcert: {e}"))?;
    let verifier: Arc<dyn ServerCertVerifier> = match check {
        Check::Full => webpki,
        Check::Chain => Arc::new(Lenient {
            webpki,
            provider: provider.clone(),
            chain: true,
        }),
        Check::Nothing => Arc::new(Lenient {
            webpki,
            provider: provider.clone(),
            chain: false,
        }),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// libpq's laxer modes: the chain without the name (`verify-ca`), or no
/// check of the certificate at all (`require`). The handshake's
/// signatures are checked either way: the connection is encrypted to
/// whoever holds the certificate's key.
#[derive(Debug)]
struct Lenient {
    webpki: Arc<WebPkiServerVerifier>,
    provider: Arc<CryptoProvider>,
    /// Whether the chain is checked.
    chain: bool,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if !self.chain {
            return Ok(ServerCertVerified::assertion());
        }
        match self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn options_are_split_off_and_checked() {
        let plain = parse("postgres://u:p%40x@h:5432/db?application_name=k&sslmode=prefer")
            .expect("prefer");
        assert!(plain.tls.is_none());
        assert_eq!(plain.url, "postgres://u:p%40x@h:5432/db?application_name=k");
        let tls = parse("postgres://h/db?sslmode=require").expect("require");
        assert!(tls.tls.is_some());
        assert_eq!(tls.url, "postgres://h/db");
        let full = parse("postgres://h/db?sslmode=verify-full&sslrootcert=system").expect("full");
        assert!(full.tls.is_some());
        let bad = parse("postgres://h/db?sslmode=verify")
            .err()
            .expect("refused");
        assert!(bad.contains("sslmode=verify"), "{bad}");
        let missing = parse("postgres://h/db?sslmode=verify-ca&sslrootcert=/nowhere/ca.pem")
            .err()
            .expect("refused");
        assert!(missing.contains("/nowhere/ca.pem"), "{missing}");
    }
}
