//! TLS for database connections: libpq's `sslmode` and `sslrootcert`, applied
//! with rustls.
//!
//! Owns which certificates are trusted. `verify-full` and `verify-ca` trust the
//! Mozilla roots (`webpki-roots`), the Amazon RDS certificate authorities compiled
//! in from `certs/rds-ca-bundle.pem` (RDS, Aurora and RDS Proxy verify with no
//! file on disk; see `certs/README.md` for their source), and the certificates of
//! `sslrootcert` when the URL names a file. The RDS authorities are trusted by
//! default rather than behind a flag such as `sslrootcert=rds`: they only sign
//! certificates of RDS endpoints, and a `DATABASE_URL` copied from the RDS
//! console then verifies as it is. `require` encrypts without checking the
//! certificate, as libpq does.
//!
//! Must not: read anything but the `sslrootcert` file, or log the URL (it may
//! carry a password).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::StoreError;

/// The Amazon RDS and RDS Proxy certificate authorities (PEM).
const RDS_CA_BUNDLE: &str = include_str!("../../certs/rds-ca-bundle.pem");

/// libpq's `sslmode`, as far as it changes what we do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TlsMode {
    Disable,
    Prefer,
    Require,
    Verify,
}

/// A URL with its TLS parameters taken out.
#[derive(Debug)]
pub(super) struct TlsParams {
    pub url: String,
    pub mode: TlsMode,
    pub root_cert: Option<String>,
}

/// Takes `sslmode` and `sslrootcert` out of the URL: tokio-postgres does not know
/// the `verify-*` modes, so we apply them ourselves.
pub(super) fn split_tls_params(database_url: &str) -> Result<TlsParams, StoreError> {
    let Some((base, query)) = database_url.split_once('?') else {
        return Ok(TlsParams {
            url: database_url.to_owned(),
            mode: TlsMode::Prefer,
            root_cert: None,
        });
    };
    let mut mode = TlsMode::Prefer;
    let mut root_cert = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslmode" => {
                mode = match value {
                    "disable" => TlsMode::Disable,
                    "allow" | "prefer" => TlsMode::Prefer,
                    "require" => TlsMode::Require,
                    "verify-ca" | "verify-full" => TlsMode::Verify,
                    other => return Err(StoreError::Config(format!("unknown sslmode {other:?}"))),
                }
            }
            "sslrootcert" => root_cert = Some(value.to_owned()),
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok(TlsParams {
        url,
        mode,
        root_cert,
    })
}

pub(super) fn client_tls_config(
    mode: TlsMode,
    root_cert: Option<&str>,
) -> Result<rustls::ClientConfig, StoreError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Config(e.to_string()))?;
    if mode == TlsMode::Verify {
        let roots = verifying_roots(root_cert)?;
        return Ok(builder.with_root_certificates(roots).with_no_client_auth());
    }
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
        .with_no_client_auth())
}

/// Mozilla's roots, the RDS authorities and `sslrootcert`'s certificates.
fn verifying_roots(root_cert: Option<&str>) -> Result<RootCertStore, StoreError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    add_pem(&mut roots, rds_certificates(), "the RDS CA bundle")?;
    if let Some(path) = root_cert {
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| StoreError::Config(format!("sslrootcert: {e}")))?;
        add_pem(&mut roots, certs, "sslrootcert")?;
    }
    Ok(roots)
}

fn rds_certificates()
-> impl Iterator<Item = Result<CertificateDer<'static>, rustls::pki_types::pem::Error>> {
    CertificateDer::pem_slice_iter(RDS_CA_BUNDLE.as_bytes())
}

fn add_pem(
    roots: &mut RootCertStore,
    certs: impl Iterator<Item = Result<CertificateDer<'static>, rustls::pki_types::pem::Error>>,
    source: &str,
) -> Result<(), StoreError> {
    for cert in certs {
        let cert = cert.map_err(|e| StoreError::Config(format!("{source}: {e}")))?;
        roots
            .add(cert)
            .map_err(|e| StoreError::Config(format!("{source}: {e}")))?;
    }
    Ok(())
}

/// libpq's `require`: encrypt, but accept any certificate (signatures still checked).
#[derive(Debug)]
struct EncryptOnly(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 87 regional RDS roots (three key types for 29 regions) and the 5 roots of
    /// RDS Proxy; certs/README.md says where they come from.
    const RDS_BUNDLE_CERTIFICATES: usize = 92;

    #[test]
    fn tls_parameters_are_taken_out_of_the_url_and_the_rest_is_kept() {
        let params = split_tls_params(
            "postgres://u:p@db:5432/app?sslmode=verify-full&sslrootcert=/ca.pem&application_name=x",
        )
        .unwrap();
        assert_eq!(params.url, "postgres://u:p@db:5432/app?application_name=x");
        assert_eq!(params.mode, TlsMode::Verify);
        assert_eq!(params.root_cert.as_deref(), Some("/ca.pem"));
    }

    #[test]
    fn a_url_without_sslmode_prefers_tls_like_libpq() {
        let params = split_tls_params("postgres://db/app").unwrap();
        assert_eq!(params.mode, TlsMode::Prefer);
    }

    #[test]
    fn an_unknown_sslmode_is_a_configuration_error() {
        assert!(split_tls_params("postgres://db/app?sslmode=maybe").is_err());
    }

    #[test]
    fn every_mode_builds_a_tls_configuration() {
        for mode in [TlsMode::Prefer, TlsMode::Require, TlsMode::Verify] {
            assert!(client_tls_config(mode, None).is_ok());
        }
    }

    #[test]
    fn the_embedded_rds_bundle_parses_into_its_certificate_authorities() {
        let certs: Vec<_> = rds_certificates()
            .collect::<Result<_, _>>()
            .expect("the bundle is valid PEM");
        assert_eq!(certs.len(), RDS_BUNDLE_CERTIFICATES);

        let mut only_rds = RootCertStore::empty();
        add_pem(&mut only_rds, rds_certificates(), "the RDS CA bundle")
            .expect("every certificate is a usable trust anchor");
        assert_eq!(only_rds.len(), RDS_BUNDLE_CERTIFICATES);
    }

    #[test]
    fn every_certificate_of_the_rds_bundle_is_a_self_signed_ca_that_has_not_expired() {
        use x509_cert::der::Decode;
        use x509_cert::ext::pkix::BasicConstraints;

        for cert in rds_certificates() {
            let cert = x509_cert::Certificate::from_der(cert.unwrap().as_ref()).expect("X.509");
            let tbs = &cert.tbs_certificate;
            let name = tbs.subject.to_string();
            let (_, constraints) = tbs
                .get::<BasicConstraints>()
                .expect("readable extensions")
                .unwrap_or_else(|| panic!("{name} has basic constraints"));
            assert!(constraints.ca, "{name} is a CA");
            assert_eq!(tbs.issuer, tbs.subject, "{name} is a root");
            assert!(
                tbs.validity.not_after.to_system_time() > std::time::SystemTime::now(),
                "{name} has expired: refresh certs/rds-ca-bundle.pem"
            );
        }
    }

    #[test]
    fn verifying_modes_trust_the_rds_authorities_beside_the_mozilla_roots() {
        let roots = verifying_roots(None).unwrap();
        assert_eq!(
            roots.len(),
            webpki_roots::TLS_SERVER_ROOTS.len() + RDS_BUNDLE_CERTIFICATES
        );
        let subjects: Vec<String> = roots
            .roots
            .iter()
            .map(|anchor| String::from_utf8_lossy(anchor.subject.as_ref()).into_owned())
            .collect();
        for expected in [
            "Amazon RDS us-east-1 Root CA RSA2048 G1",
            "Amazon RDS eu-west-1 Root CA ECC384 G1",
        ] {
            assert!(
                subjects.iter().any(|s| s.contains(expected)),
                "{expected} is trusted"
            );
        }
    }

    #[test]
    fn a_missing_sslrootcert_file_is_a_configuration_error() {
        let err = client_tls_config(TlsMode::Verify, Some("/nonexistent/ca.pem")).unwrap_err();
        assert!(matches!(err, StoreError::Config(ref m) if m.starts_with("sslrootcert")));
    }
}
