//! The rules of the business, one file per concept, free of HTTP and SQL: values that exist only
//! once their checks passed (parse, don't validate), the closed sets of names the API speaks,
//! and the pure arithmetic of money and portfolios. Handlers and queries take these types, so a
//! value that reaches the database has been checked.

pub mod access;
pub mod assets;
pub mod catalog;
pub mod money;
pub mod orders;
pub mod password;
pub mod portfolio;
pub mod text;

pub use access::{Permission, Role};
pub use money::{Cents, Stock};
pub use password::PasswordPolicy;
pub use text::{DisplayName, Email, Username};

use crate::error::{ApiError, ApiResult, FieldErrors};

/// Collects per-field problems; `finish` turns any into a 400 `validation_failed`.
#[derive(Default)]
pub struct Fields(FieldErrors);

impl Fields {
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        parsed.map_err(|problem| self.add(field, problem)).ok()
    }

    /// A required value: missing is reported, present is parsed.
    pub fn require<R, T>(
        &mut self,
        field: &str,
        raw: Option<R>,
        parse: impl FnOnce(R) -> Result<T, String>,
    ) -> Option<T> {
        match raw {
            Some(raw) => self.check(field, parse(raw)),
            None => {
                self.add(field, "is required");
                None
            }
        }
    }

    pub fn add(&mut self, field: &str, problem: impl Into<String>) {
        self.0.entry(field.to_owned()).or_insert_with(|| problem.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Takes in problems found elsewhere (each field keeps its first problem).
    pub fn extend(&mut self, other: FieldErrors) {
        for (field, problem) in other {
            self.add(&field, problem);
        }
    }

    pub fn finish(self) -> ApiResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}

/// A closed set of names (statuses, sort orders, roles, permissions): one enum whose variants
/// are the only values. `closed_set!` spells each name once and derives from it the serde and
/// OpenAPI forms, parsing, and the database encoding.
pub trait ClosedSet: Copy + Eq + Sized + 'static {
    /// Every value, in a stable order.
    const ALL: &'static [Self];

    fn as_str(self) -> &'static str;

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == name)
    }

    /// Every name, comma-separated, for messages.
    fn names() -> String {
        Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// Declares a closed set: `closed_set! { /// docs  pub enum Name { Variant = "name", ... } }`.
macro_rules! closed_set {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $crate::domain::ClosedSet for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];

            fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::domain::ClosedSet::as_str(*self))
            }
        }

        impl sqlx::Type<sqlx::Sqlite> for $name {
            fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
                <&str as sqlx::Type<sqlx::Sqlite>>::type_info()
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Sqlite> for $name {
            fn encode_by_ref(&self, buf: &mut Vec<sqlx::sqlite::SqliteArgumentValue<'q>>) -> sqlx::encode::IsNull {
                <&str as sqlx::Encode<'q, sqlx::Sqlite>>::encode($crate::domain::ClosedSet::as_str(*self), buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Sqlite> for $name {
            fn decode(value: sqlx::sqlite::SqliteValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let name = <&str as sqlx::Decode<'r, sqlx::Sqlite>>::decode(value)?;
                <$name as $crate::domain::ClosedSet>::parse(name)
                    .ok_or_else(|| format!("unknown {} {name:?}", stringify!($name)).into())
            }
        }
    };
}
pub(crate) use closed_set;
