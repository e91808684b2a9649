//! The connection pool, with TLS for managed databases.
//!
//! `sslmode` follows libpq: `disable`, `prefer` (the default: plain on loopback),
//! `require` (encrypted, certificate not checked, as libpq does), `verify-ca` and
//! `verify-full` (checked against the Mozilla roots plus `sslrootcert`, e.g. the
//! RDS CA bundle). Must not log the URL: it may carry a password.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod, Runtime, Timeouts};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::StoreError;

pub type Pool = deadpool_postgres::Pool;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TlsMode {
    Disable,
    Prefer,
    Require,
    Verify,
}

/// Builds a pool from a libpq-style URL. Connections are opened lazily, so a down
/// database shows up as `StoreError::Unavailable` on first use, not here.
pub fn connect(database_url: &str, max_size: usize) -> Result<Pool, StoreError> {
    let (url, mode, root_cert) = split_tls_params(database_url)?;
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e: tokio_postgres::Error| StoreError::Config(e.to_string()))?;
    config.connect_timeout(Duration::from_secs(5));
    config.ssl_mode(match mode {
        TlsMode::Disable => SslMode::Disable,
        TlsMode::Prefer => SslMode::Prefer,
        TlsMode::Require | TlsMode::Verify => SslMode::Require,
    });
    let tls = MakeRustlsConnect::new(client_tls_config(mode, root_cert.as_deref())?);
    let manager = Manager::from_config(
        config,
        tls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    deadpool_postgres::Pool::builder(manager)
        .max_size(max_size)
        .runtime(Runtime::Tokio1)
        .timeouts(Timeouts {
            wait: Some(Duration::from_secs(10)),
            create: Some(Duration::from_secs(5)),
            recycle: Some(Duration::from_secs(5)),
        })
        .build()
        .map_err(|e| StoreError::Config(e.to_string()))
}

/// Takes `sslmode` and `sslrootcert` out of the URL: tokio-postgres does not know
/// the `verify-*` modes, so we apply them ourselves.
fn split_tls_params(database_url: &str) -> Result<(String, TlsMode, Option<String>), StoreError> {
    let Some((base, query)) = database_url.split_once('?') else {
        return Ok((database_url.to_owned(), TlsMode::Prefer, None));
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
    Ok((url, mode, root_cert))
}

fn client_tls_config(
    mode: TlsMode,
    root_cert: Option<&str>,
) -> Result<rustls::ClientConfig, StoreError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Config(e.to_string()))?;
    if mode == TlsMode::Verify {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(path) = root_cert {
            for cert in CertificateDer::pem_file_iter(path)
                .map_err(|e| StoreError::Config(format!("sslrootcert: {e}")))?
            {
                let cert = cert.map_err(|e| StoreError::Config(format!("sslrootcert: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| StoreError::Config(format!("sslrootcert: {e}")))?;
            }
        }
        return Ok(builder.with_root_certificates(roots).with_no_client_auth());
    }
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
        .with_no_client_auth())
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

    #[test]
    fn tls_parameters_are_taken_out_of_the_url_and_the_rest_is_kept() {
        let (url, mode, root) = split_tls_params(
            "postgres://u:p@db:5432/app?sslmode=verify-full&sslrootcert=/ca.pem&application_name=x",
        )
        .unwrap();
        assert_eq!(url, "postgres://u:p@db:5432/app?application_name=x");
        assert_eq!(mode, TlsMode::Verify);
        assert_eq!(root.as_deref(), Some("/ca.pem"));
    }

    #[test]
    fn a_url_without_sslmode_prefers_tls_like_libpq() {
        let (_, mode, _) = split_tls_params("postgres://db/app").unwrap();
        assert_eq!(mode, TlsMode::Prefer);
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
}
