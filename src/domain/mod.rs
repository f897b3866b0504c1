//! The rules of the business, one file per concept, free of HTTP and SQL: values that exist only
//! once their checks passed (parse, don't validate), the closed sets of names the API speaks,
//! and the pure arithmetic of money and portfolios. Handlers and queries take these types, so a
//! value that reaches the database has been checked.

pub mod access;
pub mod assets;
pub mod audit;
pub mod catalog;
pub mod closed_set;
pub mod csv;
pub mod ledger;
pub mod mail;
pub mod money;
pub mod orders;
pub mod password;
pub mod portfolio;
pub mod text;

pub use access::{Permission, Role, Scope};
pub use closed_set::ClosedSet;
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
