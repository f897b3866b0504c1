//! Property tests for the money arithmetic: portfolio valuations and cart totals.

use proptest::prelude::*;
use serde_json::json;
use stockroom::domain::portfolio::{percentage, totals, valuation};

use crate::helpers::{Req, TestApp};
use crate::store_support::{add_to_cart, clerk, product};

// The API's input bounds: price ≤ 10^9 cents, quantity 1..=10^9, cost basis ≤ 10^18 cents.
const MAX_PRICE: i64 = 1_000_000_000;
const MAX_QUANTITY: i64 = 1_000_000_000;
const MAX_COST: i64 = 1_000_000_000_000_000_000;

proptest! {
    #[test]
    fn a_holding_is_valued_exactly_within_the_input_bounds(
        quantity in 1..=MAX_QUANTITY, price in 0..=MAX_PRICE, cost in 0..=MAX_COST,
    ) {
        let v = valuation(quantity, price, cost).expect("the bounds rule out overflow");
        prop_assert_eq!(i128::from(v.market_value), i128::from(quantity) * i128::from(price));
        prop_assert_eq!(v.profit, v.market_value - cost);
        match v.percentage {
            None => prop_assert_eq!(cost, 0),
            Some(p) => {
                let exact = v.profit as f64 / cost as f64 * 100.0;
                prop_assert!((p - exact).abs() <= 0.005 + exact.abs() * 1e-12, "{} vs {}", p, exact);
                prop_assert!(((p * 100.0).round() - p * 100.0).abs() < 1e-6, "two decimals: {}", p);
            }
        }
    }

    #[test]
    fn percentage_never_panics_and_is_symmetric(profit in (i64::MIN + 1)..=i64::MAX, cost in 1..=i64::MAX) {
        let p = percentage(profit, cost).expect("positive cost basis");
        prop_assert!(p.is_finite());
        // Half away from zero: a loss rounds exactly like the same gain, mirrored.
        prop_assert_eq!(percentage(-profit, cost), Some(-p));
        prop_assert!(p == 0.0 || (p > 0.0) == (profit > 0), "sign of {} for profit {}", p, profit);
    }

    #[test]
    fn totals_are_the_sums_or_a_clean_overflow(
        holdings in prop::collection::vec((1..=MAX_QUANTITY, 0..=MAX_PRICE, 0..=MAX_COST), 0..12),
    ) {
        let vs: Vec<_> = holdings.iter().map(|(q, p, c)| valuation(*q, *p, *c).unwrap()).collect();
        let cost: i128 = vs.iter().map(|v| i128::from(v.cost_basis)).sum();
        let value: i128 = vs.iter().map(|v| i128::from(v.market_value)).sum();
        match totals(vs) {
            Ok(t) => {
                prop_assert_eq!(i128::from(t.cost_basis), cost);
                prop_assert_eq!(i128::from(t.market_value), value);
                prop_assert_eq!(i128::from(t.profit), value - cost);
            }
            Err(_) => prop_assert!(cost > i128::from(i64::MAX) || value > i128::from(i64::MAX)
                || value - cost < i128::from(i64::MIN) || value - cost > i128::from(i64::MAX)),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Through the real API: every line total is price × quantity and the total is their sum.
    #[test]
    fn cart_totals_are_exact(lines in prop::collection::vec((0i64..=10_000_000_000, 1i64..=50), 1..6)) {
        let rt = rocket::tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let app = TestApp::new().await;
            let clerk = clerk(&app).await;
            let (buyer, _) = app.signup("buyer").await;
            let mut expected: i128 = 0;
            for (i, (price, quantity)) in lines.iter().enumerate() {
                let id = product(&app, &clerk, &format!("P{i}"), *price, 100).await;
                assert_eq!(add_to_cart(&app, &buyer, id, *quantity).await.status, 200);
                expected += i128::from(*price) * i128::from(*quantity);
            }
            let cart = app.get("/api/cart", &Req::bearer(&buyer)).await.body;
            let mut sum: i128 = 0;
            for line in cart["items"].as_array().unwrap() {
                let (price, quantity) = (line["price"].as_i64().unwrap(), line["quantity"].as_i64().unwrap());
                assert_eq!(line["lineTotal"].as_i64().unwrap(), price * quantity);
                sum += i128::from(line["lineTotal"].as_i64().unwrap());
            }
            assert_eq!(sum, expected);
            assert_eq!(i128::from(cart["total"].as_i64().unwrap()), expected);
            let quantities: i64 = lines.iter().map(|(_, q)| q).sum();
            assert_eq!(cart["totalQuantity"], json!(quantities));
        });
    }
}
