//! Assets: symbols, ratings and their scale, the bounds of prices and market caps, and the
//! screener's sort orders and filters.

use super::closed_set::closed_set;

/// Highest accepted price: 10,000,000.00 per unit. With `portfolio::MAX_QUANTITY` this keeps
/// every holding's market value within `i64`.
pub const MAX_PRICE: i64 = 1_000_000_000;
/// Highest accepted market capitalisation, in whole currency units (a quadrillion).
pub const MAX_MARKET_CAP: i64 = 1_000_000_000_000_000;
pub const MAX_NAME: usize = 100;
pub const MAX_SECTOR: usize = 50;
/// Most ratings one screener query may list.
pub const MAX_RATINGS_FILTER: usize = 30;
/// Longest screener search text.
pub const MAX_QUERY: usize = 100;

/// An asset symbol: 1–10 of A–Z, 0–9, `.` and `-`, stored uppercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol(String);

impl Symbol {
    pub fn parse(raw: &str) -> Result<Symbol, String> {
        let s = raw.trim().to_ascii_uppercase();
        let ok = (1..=10).contains(&s.len())
            && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '.' || c == '-');
        if ok {
            Ok(Symbol(s))
        } else {
            Err("must be 1 to 10 characters of A-Z, 0-9, . and -".into())
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A rating such as `AAA`, `BB+` or `BUY`: 1–5 of A–Z, 0–9, `+` and `-`, stored uppercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating(String);

impl Rating {
    pub fn parse(raw: &str) -> Result<Rating, String> {
        let r = raw.trim().to_ascii_uppercase();
        let ok = (1..=5).contains(&r.len())
            && r.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '+' || c == '-');
        if ok {
            Ok(Rating(r))
        } else {
            Err("must be 1 to 5 characters of A-Z, 0-9, + and -".into())
        }
    }

    /// Blank means none.
    pub fn parse_optional(raw: &str) -> Result<Option<String>, String> {
        if raw.trim().is_empty() {
            Ok(None)
        } else {
            Rating::parse(raw).map(|r| Some(r.into_inner()))
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Credit ratings, best first; `sort=rating` follows this scale.
const CREDIT_SCALE: &[&str] = &[
    "AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-", "B+", "B", "B-",
    "CCC+", "CCC", "CCC-", "CC", "C", "D",
];
/// Analyst ratings, best first, ranked after the credit scale.
const ANALYST_SCALE: &[&str] = &["BUY", "HOLD", "SELL"];
const UNKNOWN_RANK: i64 = 1_000;
const NO_RATING_RANK: i64 = 10_000;

/// Where a rating sorts under `sort=rating`: the credit scale best first (AAA, AA+ ... D), then
/// BUY, HOLD, SELL, then any other rating (alphabetically, by the secondary sort key), then none.
pub fn rating_rank(rating: Option<&str>) -> i64 {
    let Some(r) = rating else { return NO_RATING_RANK };
    let position = |scale: &[&str]| scale.iter().position(|s| *s == r);
    if let Some(i) = position(CREDIT_SCALE) {
        return i as i64;
    }
    if let Some(i) = position(ANALYST_SCALE) {
        return 100 + i as i64;
    }
    UNKNOWN_RANK
}

closed_set! {
    /// The screener's sort orders. `rating` follows the credit scale best first (AAA, AA+, AA
    /// ... D), then BUY, HOLD, SELL, then other ratings alphabetically, then unrated; ties are
    /// broken by symbol.
    #[derive(Default)]
    pub enum AssetSort {
        #[default]
        Symbol = "symbol",
        Price = "price",
        PriceDesc = "-price",
        MarketCap = "marketCap",
        MarketCapDesc = "-marketCap",
        Rating = "rating",
    }
}

/// Screener filters; every one optional, all combined with AND. Bounds are inclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Screen {
    pub q: Option<String>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub min_market_cap: Option<i64>,
    pub max_market_cap: Option<i64>,
    /// Any of these (uppercase) ratings.
    pub ratings: Option<Vec<String>>,
    /// Exact sector, case-insensitively.
    pub sector: Option<String>,
    pub sort: AssetSort,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols() {
        assert_eq!(Symbol::parse(" brk.b ").unwrap().into_inner(), "BRK.B");
        assert_eq!(Symbol::parse("RDS-A").unwrap().into_inner(), "RDS-A");
        assert_eq!(Symbol::parse("ABCDEFGHIJ").unwrap().into_inner(), "ABCDEFGHIJ");
        for bad in ["", "   ", "ABCDEFGHIJK", "A B", "A_B", "ÄPL", "A/B", "$X"] {
            assert!(Symbol::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn ratings() {
        assert_eq!(Rating::parse("bb+").unwrap().into_inner(), "BB+");
        assert_eq!(Rating::parse("Buy").unwrap().into_inner(), "BUY");
        for bad in ["", "STRONG", "A A", "A*", "ÀA"] {
            assert!(Rating::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(Rating::parse_optional("  "), Ok(None));
    }

    #[test]
    fn the_rating_scale() {
        assert!(rating_rank(Some("AAA")) < rating_rank(Some("AA+")));
        assert!(rating_rank(Some("D")) < rating_rank(Some("BUY")));
        assert!(rating_rank(Some("SELL")) < rating_rank(Some("ZZZ")));
        assert!(rating_rank(Some("ZZZ")) < rating_rank(None));
    }
}
