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
use rustls::client::{verify_server_name, WebPkiServerVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
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
    let root = root.filter(|r| !r.is_empty());
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
    // Any public CA vouches for some name; without the name checked, that
    // vouches for nobody (libpq refuses these too).
    if check == Check::Chain && root.as_deref().is_none_or(|r| r == "system") {
        return Err(format!(
            "sslmode={}: give sslrootcert=FILE, the CA that signed the server's \
             certificate (the public CAs go with sslmode=verify-full only)",
            mode.as_deref().unwrap_or_default()
        ));
    }
    let verifier = verifier(check, root.as_deref())?;
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(TlsUrl {
        url,
        tls: Some(MakeRustlsConnect::new(config)),
    })
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The certificates of `sslrootcert`: a PEM file, or none for the public
/// roots (`system`, or not given).
fn root_file(file: Option<&str>) -> Result<Vec<CertificateDer<'static>>, String> {
    let Some(file) = file.filter(|f| *f != "system") else {
        return Ok(Vec::new());
    };
    let certs = CertificateDer::pem_file_iter(file)
        .map_err(|e| format!("sslrootcert {file}: {e}"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("sslrootcert {file}: {e}"))?;
    if certs.is_empty() {
        return Err(format!("sslrootcert {file}: no certificate in it"));
    }
    Ok(certs)
}

/// The verifier of `check` against `sslrootcert`.
fn verifier(check: Check, root: Option<&str>) -> Result<Arc<Verifier>, String> {
    let own = root_file(root)?;
    let mut roots = RootCertStore::empty();
    if own.is_empty() {
        roots.roots = webpki_roots::TLS_SERVER_ROOTS.to_vec();
    } else {
        // A server's own self-signed certificate, which PostgreSQL's
        // documentation has one make, is no CA to webpki: it is
        // recognised as itself below instead.
        roots.add_parsable_certificates(own.iter().cloned());
    }
    let provider = provider();
    let webpki = if roots.is_empty() {
        None
    } else {
        let built = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| format!("sslrootcert: {e}"))?;
        Some(built)
    };
    Ok(Arc::new(Verifier {
        check,
        webpki,
        own,
        provider,
    }))
}

/// libpq's checks of the server's certificate: none (`require`), the
/// chain (`verify-ca`, `require` with a root file) or the chain and the
/// host's name (`verify-full`). The chain ends at a root of `sslrootcert`,
/// or the certificate is one of them itself. The handshake's signatures
/// are checked in every mode: the connection is encrypted to whoever holds
/// the certificate's key. Names are read from the certificate's
/// subjectAltName, as webpki reads them (a certificate that names its host
/// only in its CN passes `verify-ca`, not `verify-full`).
#[derive(Debug)]
struct Verifier {
    check: Check,
    /// The chain's check; `None` when the root file holds only
    /// self-signed server certificates.
    webpki: Option<Arc<WebPkiServerVerifier>>,
    /// The certificates of the root file as given.
    own: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if self.check == Check::Nothing {
            return Ok(ServerCertVerified::assertion());
        }
        if self.own.iter().any(|c| c.as_ref() == end_entity.as_ref()) {
            if self.check == Check::Full {
                verify_server_name(&ParsedCertificate::try_from(end_entity)?, server_name)?;
            }
            return Ok(ServerCertVerified::assertion());
        }
        let Some(webpki) = &self.webpki else {
            return Err(Error::InvalidCertificate(CertificateError::UnknownIssuer));
        };
        match webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if self.check == Check::Chain => Ok(ServerCertVerified::assertion()),
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
    use std::process::Command;

    use rustls::client::danger::ServerCertVerifier;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

    use super::{parse, verifier, Check};

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
        let missing = parse("postgres://h/db?sslmode=verify-full&sslrootcert=/nowhere/ca.pem")
            .err()
            .expect("refused");
        assert!(missing.contains("/nowhere/ca.pem"), "{missing}");
        // The public CAs vouch for a name, so only verify-full takes them.
        for url in [
            "postgres://h/db?sslmode=verify-ca",
            "postgres://h/db?sslmode=verify-ca&sslrootcert=system",
            "postgres://h/db?sslmode=require&sslrootcert=system",
        ] {
            let err = parse(url).err().expect(url);
            assert!(err.contains("sslrootcert=FILE"), "{url}: {err}");
        }
    }

    /// A self-signed certificate for `localhost`, made as PostgreSQL's
    /// documentation makes one (`openssl req -x509`, a CA certificate).
    fn self_signed(dir: &std::path::Path, name: &str) -> CertificateDer<'static> {
        let pem = dir.join(format!("{name}.crt"));
        let made = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
            .args([
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost",
            ])
            .arg("-keyout")
            .arg(dir.join(format!("{name}.key")))
            .arg("-out")
            .arg(&pem)
            .output()
            .expect("openssl (Debian: apt-get install openssl)");
        assert!(made.status.success(), "{made:?}");
        CertificateDer::from_pem_file(&pem).expect("PEM")
    }

    #[test]
    fn a_self_signed_server_certificate_given_as_the_root_is_trusted_as_itself() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cert = self_signed(dir.path(), "server");
        let other = self_signed(dir.path(), "other");
        let root = dir.path().join("server.crt");
        let root = root.to_str().expect("path");
        let name = |n: &str| ServerName::try_from(n.to_owned()).expect("name");
        let check = |check: Check, cert: &CertificateDer<'_>, host: &str| {
            verifier(check, Some(root))
                .expect("verifier")
                .verify_server_cert(cert, &[], &name(host), &[], UnixTime::now())
                .map(|_| ())
        };
        check(Check::Full, &cert, "localhost").expect("verify-full, its own name");
        check(Check::Chain, &cert, "127.0.0.1").expect("verify-ca, any name");
        let err = check(Check::Full, &cert, "db.example").expect_err("another name");
        assert!(err.to_string().contains("not valid for name"), "{err}");
        let err = check(Check::Chain, &other, "localhost").expect_err("another certificate");
        assert!(err.to_string().contains("certificate"), "{err}");
    }
}
