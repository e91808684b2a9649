//! The connection pool, with TLS for managed databases and a check of connections
//! that sat idle.
//!
//! `sslmode` follows libpq: `disable`, `prefer` (the default: plain on loopback),
//! `require` (encrypted, certificate not checked, as libpq does), `verify-ca` and
//! `verify-full` (checked against the Mozilla roots, the Amazon RDS certificate
//! authorities compiled into this crate, and `sslrootcert` when given): see
//! `pool/tls.rs`. Connections idle for a while are checked with a round trip before
//! use, so a Lambda container thawed after minutes does not hand out a connection
//! that RDS Proxy or a NAT dropped meanwhile: see `pool/idle_check.rs`. Must not log
//! the URL: it may carry a password.

mod idle_check;
mod tls;

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod, Runtime, Timeouts};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

pub use idle_check::{IDLE_CHECK_AFTER, IDLE_CHECK_TIMEOUT, IdleCheck};
use tls::TlsMode;

use crate::StoreError;

pub type Pool = deadpool_postgres::Pool;

/// Builds a pool from a libpq-style URL. Connections are opened lazily, so a down
/// database shows up as `StoreError::Unavailable` on first use, not here.
pub fn connect(database_url: &str, max_size: usize) -> Result<Pool, StoreError> {
    connect_with(database_url, max_size, IdleCheck::default())
}

/// Like [`connect`], with the given check of idle connections (tests shorten it).
pub fn connect_with(
    database_url: &str,
    max_size: usize,
    idle_check: IdleCheck,
) -> Result<Pool, StoreError> {
    let params = tls::split_tls_params(database_url)?;
    let mut config: tokio_postgres::Config = params
        .url
        .parse()
        .map_err(|e: tokio_postgres::Error| StoreError::Config(e.to_string()))?;
    config.connect_timeout(Duration::from_secs(5));
    config.ssl_mode(match params.mode {
        TlsMode::Disable => SslMode::Disable,
        TlsMode::Prefer => SslMode::Prefer,
        TlsMode::Require | TlsMode::Verify => SslMode::Require,
    });
    let tls = MakeRustlsConnect::new(tls::client_tls_config(
        params.mode,
        params.root_cert.as_deref(),
    )?);
    let manager = Manager::from_config(
        config,
        tls,
        ManagerConfig {
            // `is_closed` only; connections idle past `idle_check.after` also
            // answer a round trip (the post-recycle hook).
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
        .post_recycle(idle_check.hook())
        .build()
        .map_err(|e| StoreError::Config(e.to_string()))
}
