//! Query strings parsed by hand so that a bad value is a 400 naming the parameter (Rocket would
//! forward and answer 404/422), and the paging envelope shared by every big list.

use std::str::FromStr;

use rocket::request::{FromRequest, Outcome, Request};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::domain::{ClosedSet, Fields};
use crate::error::{ApiError, ApiResult};

pub struct Query {
    pairs: Vec<(String, String)>,
    errors: Fields,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Query {
    type Error = ApiError;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        let pairs = req
            .uri()
            .query()
            .map(|q| q.segments().map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
            .unwrap_or_default();
        Outcome::Success(Query { pairs, errors: Fields::default() })
    }
}

impl Query {
    /// The last non-blank value of `name`, trimmed.
    pub fn text(&self, name: &str) -> Option<String> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    pub fn parse<T: FromStr>(&mut self, name: &str, what: &str) -> Option<T> {
        let raw = self.text(name)?;
        match raw.parse() {
            Ok(v) => Some(v),
            Err(_) => {
                self.errors.add(name, format!("must be {what}"));
                None
            }
        }
    }

    /// `name` parsed by `parse`, or nothing (a problem is reported as `name`'s).
    pub fn check<T>(&mut self, name: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let raw = self.text(name)?;
        parse(&raw).map_err(|problem| self.errors.add(name, problem)).ok()
    }

    /// As `check`, for values with a format (timestamps, dates): one sent blank is parsed too,
    /// and refused, rather than taken as absent.
    pub fn check_sent<T>(&mut self, name: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let raw = self.pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned())?;
        parse(&raw).map_err(|problem| self.errors.add(name, problem)).ok()
    }

    /// Reports a problem found after parsing (a bound that contradicts another).
    pub fn problem(&mut self, name: &str, problem: &str) {
        self.errors.add(name, problem);
    }

    /// A whole number ≥ `min`, or nothing.
    pub fn int(&mut self, name: &str, min: i64) -> Option<i64> {
        let v: i64 = self.parse(name, &format!("a whole number ≥ {min}"))?;
        if v < min {
            self.errors.add(name, format!("must be a whole number ≥ {min}"));
            return None;
        }
        Some(v)
    }

    /// One of an allow-list, returned as the list's own `&'static str`.
    pub fn one_of(&mut self, name: &str, allowed: &[&'static str]) -> Option<&'static str> {
        let raw = self.text(name)?;
        let found = allowed.iter().find(|a| **a == raw).copied();
        if found.is_none() {
            self.errors.add(name, format!("must be one of: {}", allowed.join(", ")));
        }
        found
    }

    /// A name of the closed set `T`, or nothing.
    pub fn closed<T: ClosedSet>(&mut self, name: &str) -> Option<T> {
        let raw = self.text(name)?;
        let found = T::parse(&raw);
        if found.is_none() {
            self.errors.add(name, format!("must be one of: {}", T::names()));
        }
        found
    }

    pub fn paging(&mut self) -> Paging {
        let page = self.int("page", 1).unwrap_or(1);
        let per_page = match self.int("perPage", 1) {
            Some(n) if n > 100 => {
                self.errors.add("perPage", "must be between 1 and 100");
                20
            }
            Some(n) => n,
            None => 20,
        };
        Paging { page, per_page }
    }

    /// Every bad parameter at once, as a 400.
    pub fn finish(self) -> ApiResult<()> {
        self.errors.finish()
    }
}

/// An RFC 3339 instant (any offset), as timestamps are stored: UTC, milliseconds.
pub fn instant(raw: &str) -> Result<String, String> {
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&chrono::Utc).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .map_err(|_| "must be an RFC 3339 timestamp such as 2026-01-26T10:00:00Z".to_owned())
}

/// An instant that has happened (see `instant`); a date `YYYY-MM-DD` is its first instant, UTC,
/// when `dates` allows one.
pub fn past_instant(raw: &str, dates: bool) -> Result<String, String> {
    let at = match chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) if dates => format!("{}T00:00:00.000Z", d.format("%Y-%m-%d")),
        _ => {
            instant(raw).map_err(|e| if dates { format!("{e}, or a date such as 2026-01-26") } else { e })?
        }
    };
    if at > crate::db::query::timestamp() {
        return Err("must not be in the future".to_owned());
    }
    Ok(at)
}

/// `?page=1&perPage=20`: read by `Query::paging`, and the parameters every paged route
/// documents.
#[derive(Debug, Clone, Copy, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// 1-based page number (default 1).
    #[param(value_type = Option<i64>, minimum = 1)]
    pub page: i64,
    /// Items per page, 1–100 (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100, rename = "perPage")]
    pub per_page: i64,
}

impl Paging {
    pub fn limit(&self) -> i64 {
        self.per_page
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    pub total_items: i64,
    pub total_pages: i64,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, paging: Paging, total_items: i64) -> Page<T> {
        Page {
            items,
            page: paging.page,
            per_page: paging.per_page,
            total_items,
            total_pages: (total_items + paging.per_page - 1) / paging.per_page,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn query(pairs: &[(&str, &str)]) -> Query {
        let pairs = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Query { pairs, errors: Fields::default() }
    }

    proptest! {
        /// Whatever arrives, paging either fails as a 400 or yields bounds that cannot overflow.
        #[test]
        fn paging_is_total_and_bounded(page in "-?[0-9]{0,25}|\\PC{0,8}", per_page in "-?[0-9]{0,25}|\\PC{0,8}") {
            let mut q = query(&[("page", &page), ("perPage", &per_page)]);
            let p = q.paging();
            if q.finish().is_ok() {
                prop_assert!(p.page >= 1);
                prop_assert!((1..=100).contains(&p.per_page));
                prop_assert!(p.offset() >= 0);
                let pg = Page::<()>::new(vec![], p, i64::MAX / 2);
                prop_assert!(pg.total_pages >= 1);
            }
        }

        #[test]
        fn one_of_accepts_only_the_list(raw in "\\PC{0,12}") {
            let mut q = query(&[("sort", &raw)]);
            let got = q.one_of("sort", &["name", "-name", "price"]);
            match got {
                Some(v) => prop_assert_eq!(v, raw.trim()),
                None => prop_assert!(raw.trim().is_empty() || q.finish().is_err()),
            }
        }
    }

    #[test]
    fn paging_defaults_and_errors() {
        let mut q = query(&[]);
        let p = q.paging();
        assert_eq!((p.page, p.per_page, p.offset()), (1, 20, 0));
        let mut q = query(&[("page", "3"), ("perPage", "100")]);
        assert_eq!(q.paging().offset(), 200);
        for (page, per_page) in [("0", "20"), ("1", "0"), ("1", "101"), ("x", "20")] {
            let mut q = query(&[("page", page), ("perPage", per_page)]);
            q.paging();
            assert!(q.finish().is_err(), "{page} {per_page}");
        }
    }
}
