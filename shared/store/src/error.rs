//! Store errors, sorted by what a caller can do about them.

/// `Unavailable` is transient (retry later); the rest are permanent for this input.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database unavailable while {context}")]
    Unavailable {
        context: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("conflict while {context}: {constraint}")]
    Conflict {
        context: &'static str,
        constraint: String,
    },
    #[error("not found: {0}")]
    NotFound(&'static str),
    #[error("invalid database configuration: {0}")]
    Config(String),
    #[error("query failed while {context}")]
    Query {
        context: &'static str,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error("migration failed")]
    Migration(#[source] refinery::Error),
    #[error("stored {what} could not be read back: {detail}")]
    Corrupt { what: &'static str, detail: String },
}

impl StoreError {
    /// Whether retrying the same operation later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }

    pub(crate) fn pool(context: &'static str, err: deadpool_postgres::PoolError) -> Self {
        Self::Unavailable {
            context,
            source: Box::new(err),
        }
    }

    /// Classifies a driver error: lost connections and server shutdowns are
    /// transient, constraint violations are conflicts, the rest are query errors.
    pub(crate) fn query(context: &'static str, err: tokio_postgres::Error) -> Self {
        use tokio_postgres::error::SqlState;
        if let Some(db) = err.as_db_error() {
            let code = db.code();
            if *code == SqlState::UNIQUE_VIOLATION
                || *code == SqlState::CHECK_VIOLATION
                || *code == SqlState::EXCLUSION_VIOLATION
                || *code == SqlState::FOREIGN_KEY_VIOLATION
            {
                return Self::Conflict {
                    context,
                    constraint: db.constraint().unwrap_or("unnamed").to_owned(),
                };
            }
            let transient = *code == SqlState::ADMIN_SHUTDOWN
                || *code == SqlState::CRASH_SHUTDOWN
                || *code == SqlState::CANNOT_CONNECT_NOW
                || *code == SqlState::T_R_SERIALIZATION_FAILURE
                || *code == SqlState::T_R_DEADLOCK_DETECTED
                || *code == SqlState::TOO_MANY_CONNECTIONS;
            if transient {
                return Self::Unavailable {
                    context,
                    source: Box::new(err),
                };
            }
            return Self::Query {
                context,
                source: err,
            };
        }
        if err.is_closed() || std::error::Error::source(&err).is_some() {
            // No server answer at all: the connection broke (I/O error underneath).
            return Self::Unavailable {
                context,
                source: Box::new(err),
            };
        }
        Self::Query {
            context,
            source: err,
        }
    }
}
