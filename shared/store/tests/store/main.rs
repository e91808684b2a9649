//! The store against a real PostgreSQL server (a fresh database per test, from
//! `smsbot-test-support`): the pool's handling of connections that died while
//! they sat in it.

mod pool;
mod relay;
