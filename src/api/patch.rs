//! Reading patch bodies: telling an absent field from `"field": null`, and what each means for
//! a column that can or cannot be null.

use serde::{Deserialize, Deserializer};

use crate::domain::Fields;

/// `#[serde(default, deserialize_with = "present")]` on an `Option<Option<T>>`: absent is
/// `None`, `null` is `Some(None)`.
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A column that can't be null: in a whole object (`whole`), missing or null is required; in a
/// patch, absent leaves it and null is refused.
pub fn non_null<R, T>(
    f: &mut Fields,
    field: &str,
    raw: Option<Option<R>>,
    whole: bool,
    parse: impl FnOnce(R) -> Result<T, String>,
) -> Option<T> {
    match raw {
        Some(Some(r)) => f.check(field, parse(r)),
        Some(None) if !whole => {
            f.add(field, "must not be null");
            None
        }
        _ if whole => {
            f.add(field, "is required");
            None
        }
        _ => None,
    }
}

/// A nullable column: `Some(value or null)` to set it, `None` to leave it. In a whole object,
/// absent means null.
pub fn nullable<R, T>(
    f: &mut Fields,
    field: &str,
    raw: Option<Option<R>>,
    whole: bool,
    parse: impl FnOnce(R) -> Result<Option<T>, String>,
) -> Option<Option<T>> {
    match raw {
        Some(Some(r)) => f.check(field, parse(r)),
        Some(None) => Some(None),
        None if whole => Some(None),
        None => None,
    }
}
