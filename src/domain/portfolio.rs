//! Portfolio valuation: pure, checked integer arithmetic in cents.
//!
//! Input bounds (`MAX_QUANTITY` × `assets::MAX_PRICE`, `MAX_COST_BASIS`) keep each holding's
//! figures within `i64`; only totals over many enormous holdings could overflow, which is
//! reported as an error rather than a wrong number.

use serde::Serialize;
use utoipa::ToSchema;

use super::assets::MAX_PRICE;
use super::money::bounded;
use crate::error::ApiError;

/// Most units of one asset a holding may have.
pub const MAX_QUANTITY: i64 = 1_000_000_000;
/// Highest total cost basis of one holding, in cents.
pub const MAX_COST_BASIS: i64 = 1_000_000_000_000_000_000;

// MAX_QUANTITY × MAX_PRICE, and a profit between −MAX_COST_BASIS and that, fit in an i64.
const _: () = assert!(MAX_QUANTITY as i128 * MAX_PRICE as i128 + MAX_COST_BASIS as i128 <= i64::MAX as i128);

/// A figure too large for 64-bit cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("portfolio amounts exceed the range of 64-bit cents")]
pub struct Overflow;

/// The detail is logged, never sent.
impl From<Overflow> for ApiError {
    fn from(e: Overflow) -> ApiError {
        ApiError::internal(e)
    }
}

/// What a position (or a whole portfolio) is worth, in cents.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Valuation {
    /// Total paid, cents.
    pub cost_basis: i64,
    /// Quantity × current price, cents.
    pub market_value: i64,
    /// `marketValue − costBasis`, cents (negative for a loss).
    pub profit: i64,
    /// `profit / costBasis × 100`, rounded half away from zero to 2 decimals; null when the cost
    /// basis is 0.
    pub percentage: Option<f64>,
}

/// One holding's figures at `price` (cents per unit).
pub fn valuation(quantity: i64, price: i64, cost_basis: i64) -> Result<Valuation, Overflow> {
    let market_value = quantity.checked_mul(price).ok_or(Overflow)?;
    let profit = market_value.checked_sub(cost_basis).ok_or(Overflow)?;
    Ok(Valuation { cost_basis, market_value, profit, percentage: percentage(profit, cost_basis) })
}

/// The sum of several valuations, with the percentage of the sums.
pub fn totals(items: impl IntoIterator<Item = Valuation>) -> Result<Valuation, Overflow> {
    let (mut cost_basis, mut market_value) = (0_i64, 0_i64);
    for v in items {
        cost_basis = cost_basis.checked_add(v.cost_basis).ok_or(Overflow)?;
        market_value = market_value.checked_add(v.market_value).ok_or(Overflow)?;
    }
    let profit = market_value.checked_sub(cost_basis).ok_or(Overflow)?;
    Ok(Valuation { cost_basis, market_value, profit, percentage: percentage(profit, cost_basis) })
}

/// `profit / cost_basis × 100` to 2 decimals, rounded half away from zero, computed exactly in
/// integers (hundredths of a percent) and only then turned into a decimal number.
pub fn percentage(profit: i64, cost_basis: i64) -> Option<f64> {
    if cost_basis <= 0 {
        return None;
    }
    let num = i128::from(profit) * 10_000;
    let den = i128::from(cost_basis);
    let hundredths = (2 * num.abs() + den) / (2 * den) * num.signum();
    Some(hundredths as f64 / 100.0)
}

/// A holding's quantity: 1 ..= `MAX_QUANTITY` units.
pub fn quantity(q: i64) -> Result<i64, String> {
    if (1..=MAX_QUANTITY).contains(&q) {
        Ok(q)
    } else {
        Err(format!("must be a whole number between 1 and {MAX_QUANTITY}"))
    }
}

/// A holding's total cost: 0 ..= `MAX_COST_BASIS` cents.
pub fn cost_basis(c: i64) -> Result<i64, String> {
    bounded(c, MAX_COST_BASIS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gain() {
        // 10 units bought for 1,000.00 now at 123.45: worth 1,234.50, up 23.45%.
        let v = valuation(10, 12_345, 100_000).unwrap();
        assert_eq!(
            v,
            Valuation { cost_basis: 100_000, market_value: 123_450, profit: 23_450, percentage: Some(23.45) }
        );
    }

    #[test]
    fn loss() {
        // 3 units bought for 300.00 now at 80.00: worth 240.00, down 20%.
        let v = valuation(3, 8_000, 30_000).unwrap();
        assert_eq!((v.market_value, v.profit, v.percentage), (24_000, -6_000, Some(-20.0)));
    }

    #[test]
    fn zero_cost_basis_has_no_percentage() {
        let v = valuation(5, 1_000, 0).unwrap();
        assert_eq!((v.market_value, v.profit, v.percentage), (5_000, 5_000, None));
        assert_eq!(valuation(5, 0, 0).unwrap().percentage, None);
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(percentage(1, 3), Some(33.33));
        assert_eq!(percentage(2, 3), Some(66.67));
        assert_eq!(percentage(-2, 3), Some(-66.67));
        // 1/8000 = 0.0125% → 0.01; 1/400 = 0.25%; 1/1600 = 0.0625% → 0.06
        assert_eq!(percentage(1, 8_000), Some(0.01));
        assert_eq!(percentage(1, 1_600), Some(0.06));
        // exactly half a hundredth: 1/20000 = 0.005% → 0.01, and its negative → -0.01
        assert_eq!(percentage(1, 20_000), Some(0.01));
        assert_eq!(percentage(-1, 20_000), Some(-0.01));
        assert_eq!(percentage(0, 100), Some(0.0));
        assert_eq!(percentage(-100, 100), Some(-100.0));
    }

    #[test]
    fn extreme_inputs_stay_exact() {
        let v = valuation(MAX_QUANTITY, MAX_PRICE, MAX_COST_BASIS).unwrap();
        assert_eq!(v.market_value, 1_000_000_000_000_000_000);
        assert_eq!(v.profit, 0);
        assert_eq!(v.percentage, Some(0.0));
        let v = valuation(MAX_QUANTITY, MAX_PRICE, 1).unwrap();
        assert_eq!(v.profit, 999_999_999_999_999_999);
        assert!(v.percentage.unwrap() > 9.99e19); // ≈ +10^20 %
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        assert_eq!(valuation(i64::MAX, 2, 0), Err(Overflow));
        assert_eq!(valuation(1, 0, i64::MIN), Err(Overflow));
        let big = valuation(MAX_QUANTITY, MAX_PRICE, 0).unwrap();
        assert_eq!(totals(vec![big; 10]), Err(Overflow));
    }

    #[test]
    fn totals_sum_and_recompute_the_percentage() {
        let a = valuation(10, 12_345, 100_000).unwrap(); // +23,450
        let b = valuation(3, 8_000, 30_000).unwrap(); // −6,000
        let c = valuation(5, 1_000, 0).unwrap(); // +5,000, no cost
        let t = totals([a, b, c]).unwrap();
        assert_eq!(t.cost_basis, 130_000);
        assert_eq!(t.market_value, 152_450);
        assert_eq!(t.profit, 22_450);
        assert_eq!(t.percentage, Some(17.27)); // 22450 / 130000 = 17.2692...%
        assert_eq!(
            totals([]).unwrap(),
            Valuation { cost_basis: 0, market_value: 0, profit: 0, percentage: None }
        );
    }
}
