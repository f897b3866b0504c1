//! Orders: the status machine, the filters of the order lists, and idempotency keys.

use super::closed_set::{closed_set, ClosedSet};

closed_set! {
    /// The order lifecycle: pending → confirmed → shipped → delivered, and pending or confirmed
    /// → cancelled. Nothing else.
    pub enum OrderStatus {
        Pending = "pending",
        Confirmed = "confirmed",
        Shipped = "shipped",
        Delivered = "delivered",
        Cancelled = "cancelled",
    }
}

impl OrderStatus {
    /// The statuses an order may move to `self` from.
    pub fn allowed_from(self) -> &'static [OrderStatus] {
        match self {
            OrderStatus::Pending => &[],
            OrderStatus::Confirmed => &[OrderStatus::Pending],
            OrderStatus::Shipped => &[OrderStatus::Confirmed],
            OrderStatus::Delivered => &[OrderStatus::Shipped],
            OrderStatus::Cancelled => &[OrderStatus::Pending, OrderStatus::Confirmed],
        }
    }

    pub fn can_become(self, to: OrderStatus) -> bool {
        to.allowed_from().contains(&self)
    }
}

/// Filters of the order lists; all optional.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub user_id: Option<i64>,
    pub status: Option<OrderStatus>,
    /// A substring of the customer's email, username or name.
    pub customer: Option<String>,
}

pub const IDEMPOTENCY_KEY_MAX: usize = 255;

/// An `Idempotency-Key`: 1–255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<IdempotencyKey, String> {
        let key = raw.trim();
        if key.is_empty() || key.len() > IDEMPOTENCY_KEY_MAX || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!("must be 1 to {IDEMPOTENCY_KEY_MAX} visible ASCII characters"));
        }
        Ok(IdempotencyKey(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why an order's status did not change.
pub fn invalid_transition_message(from: OrderStatus, to: OrderStatus) -> String {
    format!("An order that is {from} cannot become {}.", to.as_str())
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::{self, *};
    use super::*;

    #[test]
    fn status_machine() {
        let allowed = [
            (Pending, Confirmed),
            (Confirmed, Shipped),
            (Shipped, Delivered),
            (Pending, Cancelled),
            (Confirmed, Cancelled),
        ];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                assert_eq!(from.can_become(*to), allowed.contains(&(*from, *to)), "{from:?} → {to:?}");
            }
        }
    }

    #[test]
    fn status_names_round_trip() {
        assert_eq!(OrderStatus::names(), "pending, confirmed, shipped, delivered, cancelled");
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(OrderStatus::parse("Pending"), None);
        assert_eq!(OrderStatus::parse("lost"), None);
    }

    #[test]
    fn idempotency_keys() {
        assert_eq!(IdempotencyKey::parse(" k-1 ").unwrap().as_str(), "k-1");
        for bad in ["", "a b", "é", &"x".repeat(256)] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
