//! The ledger of a portfolio (§12): transactions, and the one pure function that turns a
//! holding's transactions into its position by the average-cost method, in integer cents with
//! checked arithmetic.
//!
//! - A buy of `q` at `p` with fee `f` adds `q` units and `q × p + f` to the cost basis.
//! - A sell of `q` at `p` with fee `f` removes `q` units and their share of the cost basis,
//!   `costBasis × q / quantity` (rounded down, so what stays is never understated and selling the
//!   rest removes exactly the rest), and adds `q × p − f − that cost` to the realized profit.
//! - A dividend adds its amount to `dividends`; a fee takes its amount from the realized profit.
//!
//! Transactions apply in time order; at the same instant buys come first, then the rest in a
//! fixed order of their content, so the result never depends on the order they were entered in.

use std::cmp::Ordering;

use serde::Serialize;
use utoipa::ToSchema;

use super::closed_set::closed_set;
use super::portfolio::{percentage, valuation, Overflow, MAX_QUANTITY};

closed_set! {
    /// What a transaction is.
    pub enum Kind {
        Buy = "buy",
        Sell = "sell",
        Dividend = "dividend",
        Fee = "fee",
    }
}

impl Kind {
    /// Whether it moves units (and so has a quantity and a price) rather than an amount.
    pub fn trades(self) -> bool {
        matches!(self, Kind::Buy | Kind::Sell)
    }

    fn rank(self) -> u8 {
        match self {
            Kind::Buy => 0,
            Kind::Dividend => 1,
            Kind::Fee => 2,
            Kind::Sell => 3,
        }
    }
}

/// Most cents one transaction's price, fee or amount may be: 10^15 (ten trillion in currency
/// units), so `MAX_QUANTITY × price` and the sums of a long ledger stay far inside an i64.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// One transaction, as the valuation needs it. `at` is a timestamp as stored (RFC 3339, UTC,
/// milliseconds), which sorts as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub at: String,
    pub kind: Kind,
    /// Units (buy, sell); 0 otherwise.
    pub quantity: i64,
    /// Cents per unit (buy, sell); 0 otherwise.
    pub price: i64,
    /// Cents (buy, sell); 0 otherwise.
    pub fee: i64,
    /// Cents (dividend, fee); 0 otherwise.
    pub amount: i64,
}

/// The order transactions apply in.
pub fn chronological(a: &Entry, b: &Entry) -> Ordering {
    (&a.at, a.kind.rank(), a.quantity, a.price, a.fee, a.amount, a.id).cmp(&(
        &b.at,
        b.kind.rank(),
        b.quantity,
        b.price,
        b.fee,
        b.amount,
        b.id,
    ))
}

/// Where one holding stands after some transactions, in units and cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Position {
    pub quantity: i64,
    pub cost_basis: i64,
    pub realized: i64,
    pub dividends: i64,
}

/// Why transactions cannot stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Transaction `id` would sell more than the holding has at its time.
    Oversold { id: i64 },
    /// A figure beyond 64-bit cents.
    Overflow,
}

impl From<Overflow> for Refused {
    fn from(_: Overflow) -> Refused {
        Refused::Overflow
    }
}

impl Position {
    /// The position after `e`.
    pub fn apply(self, e: &Entry) -> Result<Position, Refused> {
        let of = |v: Option<i64>| v.ok_or(Refused::Overflow);
        let mut p = self;
        match e.kind {
            Kind::Buy => {
                let cost = of(e.quantity.checked_mul(e.price).and_then(|c| c.checked_add(e.fee)))?;
                p.quantity = of(p.quantity.checked_add(e.quantity))?;
                p.cost_basis = of(p.cost_basis.checked_add(cost))?;
            }
            Kind::Sell => {
                if !(0..=p.quantity).contains(&e.quantity) {
                    return Err(Refused::Oversold { id: e.id });
                }
                let share = sold_share(p.cost_basis, e.quantity, p.quantity);
                let proceeds = of(e.quantity.checked_mul(e.price).and_then(|v| v.checked_sub(e.fee)))?;
                p.realized = of(p.realized.checked_add(proceeds).and_then(|r| r.checked_sub(share)))?;
                p.quantity = of(p.quantity.checked_sub(e.quantity))?;
                p.cost_basis = of(p.cost_basis.checked_sub(share))?;
            }
            Kind::Dividend => p.dividends = of(p.dividends.checked_add(e.amount))?,
            Kind::Fee => p.realized = of(p.realized.checked_sub(e.amount))?,
        }
        Ok(p)
    }
}

/// The cost basis that leaves with `sold` of `held` units (`0 ≤ sold ≤ held`): `cost × sold /
/// held`, rounded down; at most `cost`, so it fits back in an i64.
fn sold_share(cost: i64, sold: i64, held: i64) -> i64 {
    if held == 0 {
        return 0;
    }
    (i128::from(cost) * i128::from(sold) / i128::from(held)) as i64
}

/// The position after all of `entries`, applied in `chronological` order whatever order they
/// come in. Refused when a sell exceeds what is held at its time, or a figure overflows.
pub fn replay(entries: &[Entry]) -> Result<Position, Refused> {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| chronological(a, b));
    sorted.into_iter().try_fold(Position::default(), |p, e| p.apply(e))
}

/// A transaction's figures, as sent or as kept: units, unit price and fee (buy, sell), or an
/// amount (dividend, fee), in cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Amounts {
    pub quantity: Option<i64>,
    pub price: Option<i64>,
    pub fee: Option<i64>,
    pub amount: Option<i64>,
}

/// Per-field problems, by camelCase field name.
pub type Problems = Vec<(&'static str, String)>;

/// The figures of a `kind` checked: what it needs present and in range (a missing fee is 0),
/// what it does not use absent. Answers the figures it keeps (the others `None`).
pub fn check(kind: Kind, sent: Amounts) -> Result<Amounts, Problems> {
    let mut problems = Vec::new();
    let mut need = |field: &'static str, v: Option<i64>, min: i64, max: i64| -> Option<i64> {
        match v {
            None => {
                problems.push((field, format!("is required for a {kind}")));
                None
            }
            Some(v) if (min..=max).contains(&v) => Some(v),
            Some(_) => {
                problems.push((field, format!("must be a whole number between {min} and {max}")));
                None
            }
        }
    };
    let kept = if kind.trades() {
        Amounts {
            quantity: need("quantity", sent.quantity, 1, MAX_QUANTITY),
            price: need("price", sent.price, 0, MAX_AMOUNT),
            fee: need("fee", Some(sent.fee.unwrap_or(0)), 0, MAX_AMOUNT),
            amount: None,
        }
    } else {
        Amounts { amount: need("amount", sent.amount, 1, MAX_AMOUNT), ..Amounts::default() }
    };
    let unused: &[(&'static str, Option<i64>)] = if kind.trades() {
        &[("amount", sent.amount)]
    } else {
        &[("quantity", sent.quantity), ("price", sent.price), ("fee", sent.fee)]
    };
    for (field, v) in unused {
        if v.is_some() {
            problems.push((field, format!("is not used by a {kind}")));
        }
    }
    if problems.is_empty() {
        Ok(kept)
    } else {
        Err(problems)
    }
}

/// What a holding (or a whole portfolio) stands at, in cents: the unrealized figures at the
/// current price (`profit = marketValue − costBasis`), and what was realized and received.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    /// What the units still held cost, by average cost.
    pub cost_basis: i64,
    /// Units held × current price.
    pub market_value: i64,
    /// Unrealized: `marketValue − costBasis`.
    pub profit: i64,
    /// `profit / costBasis × 100`, 2 decimals; null when `costBasis` is 0.
    pub percentage: Option<f64>,
    /// Sales' proceeds less their fees and the average cost of what was sold, less fees.
    pub realized_profit: i64,
    pub dividends: i64,
    /// `profit + realizedProfit + dividends`.
    pub total_return: i64,
}

/// The valuation: a holding's transactions (any order) and the asset's price (cents per unit)
/// → its position and figures.
pub fn value(entries: &[Entry], price: i64) -> Result<(Position, Figures), Refused> {
    let p = replay(entries)?;
    Ok((p, figures(&p, price)?))
}

/// A position's figures at `price` (cents per unit).
pub fn figures(p: &Position, price: i64) -> Result<Figures, Overflow> {
    let v = valuation(p.quantity, price, p.cost_basis)?;
    let total_return =
        v.profit.checked_add(p.realized).and_then(|t| t.checked_add(p.dividends)).ok_or(Overflow)?;
    Ok(Figures {
        cost_basis: v.cost_basis,
        market_value: v.market_value,
        profit: v.profit,
        percentage: v.percentage,
        realized_profit: p.realized,
        dividends: p.dividends,
        total_return,
    })
}

/// Each figure summed, the percentage of the sums.
pub fn sum(items: impl IntoIterator<Item = Figures>) -> Result<Figures, Overflow> {
    let add = |a: i64, b: i64| a.checked_add(b).ok_or(Overflow);
    let mut t = Figures {
        cost_basis: 0,
        market_value: 0,
        profit: 0,
        percentage: None,
        realized_profit: 0,
        dividends: 0,
        total_return: 0,
    };
    for f in items {
        t.cost_basis = add(t.cost_basis, f.cost_basis)?;
        t.market_value = add(t.market_value, f.market_value)?;
        t.profit = add(t.profit, f.profit)?;
        t.realized_profit = add(t.realized_profit, f.realized_profit)?;
        t.dividends = add(t.dividends, f.dividends)?;
        t.total_return = add(t.total_return, f.total_return)?;
    }
    t.percentage = percentage(t.profit, t.cost_basis);
    Ok(t)
}

/// One holding over time: its transactions and its asset's recorded prices `(at, price)`, both
/// in time order.
pub struct Timeline<'a> {
    pub entries: &'a [Entry],
    pub prices: &'a [(String, i64)],
}

/// Market value and cost basis at the end of each day, for days given as the instant that ends
/// them (the next day's `T00:00:00.000Z`), in order. A day before an asset's first recorded price
/// values it at that first price.
pub fn daily(holdings: &[Timeline<'_>], day_ends: &[String]) -> Result<Vec<(i64, i64)>, Refused> {
    let mut out = vec![(0_i64, 0_i64); day_ends.len()];
    for h in holdings {
        let mut sorted: Vec<&Entry> = h.entries.iter().collect();
        sorted.sort_by(|a, b| chronological(a, b));
        let (mut next_entry, mut next_price) = (0, 0);
        let mut position = Position::default();
        let mut price = h.prices.first().map_or(0, |(_, p)| *p);
        for (day, end) in day_ends.iter().enumerate() {
            while next_entry < sorted.len() && sorted[next_entry].at < *end {
                position = position.apply(sorted[next_entry])?;
                next_entry += 1;
            }
            while next_price < h.prices.len() && h.prices[next_price].0 < *end {
                price = h.prices[next_price].1;
                next_price += 1;
            }
            let value = position.quantity.checked_mul(price).ok_or(Refused::Overflow)?;
            let (mv, cb) = out[day];
            out[day] = (
                mv.checked_add(value).ok_or(Refused::Overflow)?,
                cb.checked_add(position.cost_basis).ok_or(Refused::Overflow)?,
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn e(id: i64, at: &str, kind: Kind, quantity: i64, price: i64, fee: i64, amount: i64) -> Entry {
        Entry { id, at: format!("2026-01-{at}T00:00:00.000Z"), kind, quantity, price, fee, amount }
    }

    #[test]
    fn the_worked_example_of_the_readme() {
        // Buy 10 at 100.00 with a 5.00 fee; buy 10 at 120.00; sell 5 at 130.00 with a 2.00
        // fee; a 7.50 dividend; a 1.00 account fee.
        let p = replay(&[
            e(1, "02", Kind::Buy, 10, 10_000, 500, 0),
            e(2, "03", Kind::Buy, 10, 12_000, 0, 0),
            e(3, "04", Kind::Sell, 5, 13_000, 200, 0),
            e(4, "05", Kind::Dividend, 0, 0, 0, 750),
            e(5, "06", Kind::Fee, 0, 0, 0, 100),
        ])
        .unwrap();
        // Cost 1,005.00 + 1,200.00 = 2,205.00 for 20; 5 sold take 551.25 (rounded down: 551.25
        // exactly); proceeds 650.00 − 2.00 = 648.00; realized 648.00 − 551.25 − 1.00 = 95.75.
        assert_eq!(p, Position { quantity: 15, cost_basis: 165_375, realized: 9_575, dividends: 750 });
    }

    #[test]
    fn selling_everything_takes_the_whole_cost_basis() {
        let p = replay(&[
            e(1, "02", Kind::Buy, 3, 1_000, 1, 0),
            e(2, "03", Kind::Sell, 1, 900, 0, 0),
            e(3, "04", Kind::Sell, 2, 900, 0, 0),
        ])
        .unwrap();
        assert_eq!((p.quantity, p.cost_basis), (0, 0));
        assert_eq!(p.realized, 2_700 - 3_001);
    }

    #[test]
    fn a_sell_before_its_buy_is_refused_by_time_not_by_entry_order() {
        let buy = e(1, "05", Kind::Buy, 10, 100, 0, 0);
        let sell = e(2, "03", Kind::Sell, 1, 100, 0, 0);
        assert_eq!(replay(&[buy.clone(), sell]), Err(Refused::Oversold { id: 2 }));
        // At the same instant the buy comes first.
        let same = e(2, "05", Kind::Sell, 10, 100, 0, 0);
        assert_eq!(replay(&[same, buy]).unwrap().quantity, 0);
    }

    #[test]
    fn figures_and_days() {
        let entries = [
            e(1, "02", Kind::Buy, 10, 10_000, 0, 0),
            e(2, "04", Kind::Sell, 4, 12_000, 0, 0),
            e(3, "05", Kind::Dividend, 0, 0, 0, 300),
        ];
        let (p, f) = value(&entries, 11_000).unwrap();
        assert_eq!(p.quantity, 6);
        assert_eq!(
            (f.cost_basis, f.market_value, f.profit, f.realized_profit, f.dividends, f.total_return),
            (60_000, 66_000, 6_000, 8_000, 300, 14_300)
        );
        assert_eq!(f.percentage, Some(10.0));
        let t = sum([f, f]).unwrap();
        assert_eq!((t.total_return, t.percentage), (28_600, Some(10.0)));
        let prices = [
            ("2026-01-03T12:00:00.000Z".to_owned(), 10_500),
            ("2026-01-05T00:00:00.000Z".to_owned(), 11_000),
        ];
        let ends: Vec<String> = (1..=5).map(|d| format!("2026-01-{:02}T00:00:00.000Z", d + 1)).collect();
        let days = daily(&[Timeline { entries: &entries, prices: &prices }], &ends).unwrap();
        // Jan 1: nothing; Jan 2: 10 at the first known price; Jan 3: 10.5; Jan 4: 6 left; Jan 5: 11.
        assert_eq!(
            days,
            [(0, 0), (105_000, 100_000), (105_000, 100_000), (63_000, 60_000), (66_000, 60_000)]
        );
    }

    #[test]
    fn overflow_is_refused_not_a_panic() {
        let huge = e(1, "02", Kind::Buy, MAX_QUANTITY, i64::MAX / 2, 0, 0);
        assert_eq!(replay(&[huge]), Err(Refused::Overflow));
        let d = e(1, "02", Kind::Dividend, 0, 0, 0, i64::MAX);
        assert_eq!(replay(&[d.clone(), Entry { id: 2, ..d }]), Err(Refused::Overflow));
    }

    #[test]
    fn each_kind_takes_its_own_figures() {
        let a = |quantity, price, fee, amount| Amounts { quantity, price, fee, amount };
        assert_eq!(
            check(Kind::Buy, a(Some(2), Some(150), None, None)),
            Ok(a(Some(2), Some(150), Some(0), None))
        );
        assert_eq!(check(Kind::Dividend, a(None, None, None, Some(75))), Ok(a(None, None, None, Some(75))));
        let Err(p) = check(Kind::Sell, a(None, Some(-1), None, Some(5))) else { panic!() };
        let fields: Vec<&str> = p.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["quantity", "price", "amount"]);
        let Err(p) = check(Kind::Fee, a(Some(1), None, Some(0), None)) else { panic!() };
        let fields: Vec<&str> = p.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["amount", "quantity", "fee"]);
    }

    fn entry() -> impl Strategy<Value = Entry> {
        (
            0..40i64,
            prop_oneof![Just(Kind::Buy), Just(Kind::Sell), Just(Kind::Dividend), Just(Kind::Fee)],
            1..1_000i64,
            0..100_000i64,
            0..500i64,
        )
            .prop_map(|(day, kind, q, p, f)| Entry {
                id: 0,
                at: format!("2026-02-{:02}T00:00:00.000Z", 1 + day % 28),
                kind,
                quantity: if kind.trades() { q } else { 0 },
                price: if kind.trades() { p } else { 0 },
                fee: if kind.trades() { f } else { 0 },
                amount: if kind.trades() { 0 } else { 1 + p },
            })
    }

    /// The same transactions with each sell cut to what is held at its time (a sell of nothing
    /// becomes a buy), so that every case tests the arithmetic rather than the refusal.
    fn feasible(mut v: Vec<Entry>) -> Vec<Entry> {
        v.sort_by(chronological);
        let mut held = 0;
        for e in &mut v {
            if e.kind == Kind::Sell {
                if held == 0 {
                    e.kind = Kind::Buy;
                } else {
                    e.quantity = e.quantity.min(held);
                }
            }
            match e.kind {
                Kind::Buy => held += e.quantity,
                Kind::Sell => held -= e.quantity,
                _ => {}
            }
        }
        v
    }

    fn numbered(mut v: Vec<Entry>) -> Vec<Entry> {
        for (i, e) in v.iter_mut().enumerate() {
            e.id = i as i64 + 1;
        }
        v
    }

    proptest! {
        /// Whatever order the same transactions were entered in (their ids), the position is
        /// the same.
        #[test]
        fn entry_order_does_not_matter(v in proptest::collection::vec(entry(), 0..30), seed in any::<u64>()) {
            let v = numbered(v);
            let mut shuffled = v.clone();
            let n = shuffled.len();
            let mut s = seed;
            for i in (1..n).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, (s >> 33) as usize % (i + 1));
            }
            // Entered in the shuffled order: ids follow that order.
            let renumbered = numbered(shuffled);
            prop_assert_eq!(replay(&v).map_err(|_| ()), replay(&renumbered).map_err(|_| ()));
        }

        /// Cost out + realized + fees = proceeds: every cent paid in is either still in the cost
        /// basis or accounted for by a sale.
        #[test]
        fn cents_are_conserved(v in proptest::collection::vec(entry(), 0..30)) {
            let v = feasible(numbered(v));
            let p = replay(&v);
            prop_assert!(p.is_ok(), "a feasible ledger stands: {:?}", p);
            if let Ok(p) = p {
                let paid_in: i64 = v.iter().filter(|e| e.kind == Kind::Buy).map(|e| e.quantity * e.price + e.fee).sum();
                let proceeds: i64 = v.iter().filter(|e| e.kind == Kind::Sell).map(|e| e.quantity * e.price).sum();
                let sell_fees: i64 = v.iter().filter(|e| e.kind == Kind::Sell).map(|e| e.fee).sum();
                let fees: i64 = v.iter().filter(|e| e.kind == Kind::Fee).map(|e| e.amount).sum();
                let dividends: i64 = v.iter().filter(|e| e.kind == Kind::Dividend).map(|e| e.amount).sum();
                let cost_out = paid_in - p.cost_basis;
                prop_assert_eq!(cost_out + (p.realized + fees) + sell_fees, proceeds);
                prop_assert_eq!(p.dividends, dividends);
                prop_assert!(p.cost_basis >= 0 && p.quantity >= 0);
                if p.quantity == 0 {
                    prop_assert_eq!(p.cost_basis, 0, "selling everything takes the whole cost basis");
                }
            }
        }

        /// Any figures at all: an answer or a refusal, never a panic.
        #[test]
        fn no_input_panics(v in proptest::collection::vec((any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>(), 0..4u8), 0..12)) {
            let kinds = [Kind::Buy, Kind::Sell, Kind::Dividend, Kind::Fee];
            let entries: Vec<Entry> = v.into_iter().enumerate().map(|(i, (q, p, f, a, k))| Entry {
                id: i as i64, at: "2026-01-01T00:00:00.000Z".into(), kind: kinds[k as usize],
                quantity: q, price: p, fee: f, amount: a,
            }).collect();
            let _ = replay(&entries);
        }
    }
}
