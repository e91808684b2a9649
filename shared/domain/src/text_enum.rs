//! Closed vocabularies stored as text (statuses, kinds): one declaration gives the
//! enum its database spelling, parsing, serde names and, with the `sql` feature,
//! `ToSql`/`FromSql`, so no crate keeps its own mirror of the strings.
//!
//! Must not hold rules about the values: those live beside each enum.

/// A stored text that names no variant of the vocabulary it was read as.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a known {vocabulary}")]
pub struct UnknownValue {
    pub vocabulary: &'static str,
    pub value: String,
}

/// Declares a text-backed enum: `Variant => "spelling"` per line.
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:tt ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The spelling stored in the database and used in JSON.
            pub const fn as_str(&self) -> &'static str {
                match self {
                    $( Self::$variant => $text ),+
                }
            }

            pub fn parse(raw: &str) -> Result<Self, $crate::text_enum::UnknownValue> {
                match raw {
                    $( $text => Ok(Self::$variant), )+
                    other => Err($crate::text_enum::UnknownValue {
                        vocabulary: stringify!($name),
                        value: other.to_owned(),
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::text_enum::UnknownValue;
            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Self::parse(raw)
            }
        }

        $crate::stored_as!($name as &str, |this| this.as_str(), |text| Ok(Self::parse(text)?));
    };
}

/// `ToSql`/`FromSql` for a domain type stored as `$inner` (`text`, `bigint`):
/// `$to` turns `self` into the stored value, `$from` builds the type from it.
/// Present only with the `sql` feature (the store enables it; pure users of the
/// domain don't pay for it).
#[cfg(feature = "sql")]
#[doc(hidden)]
#[macro_export]
macro_rules! stored_as {
    ($name:ident as $inner:ty, |$this:ident| $to:expr, |$stored:ident| $from:expr) => {
        impl postgres_types::ToSql for $name {
            fn to_sql(
                &self,
                ty: &postgres_types::Type,
                out: &mut bytes::BytesMut,
            ) -> Result<postgres_types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
                let $this = self;
                $to.to_sql(ty, out)
            }

            fn accepts(ty: &postgres_types::Type) -> bool {
                <$inner as postgres_types::ToSql>::accepts(ty)
            }

            postgres_types::to_sql_checked!();
        }

        impl<'a> postgres_types::FromSql<'a> for $name {
            fn from_sql(
                ty: &postgres_types::Type,
                raw: &'a [u8],
            ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
                let $stored = <$inner as postgres_types::FromSql>::from_sql(ty, raw)?;
                $from
            }

            fn accepts(ty: &postgres_types::Type) -> bool {
                <$inner as postgres_types::FromSql>::accepts(ty)
            }
        }
    };
}

#[cfg(not(feature = "sql"))]
#[doc(hidden)]
#[macro_export]
macro_rules! stored_as {
    ($($whatever:tt)*) => {};
}
