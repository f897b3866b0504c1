//! Money and quantities: integer cents and units, each with its bounds.

/// A price in integer cents: 0 ..= 10 000 000 000 (one hundred million in currency units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cents(i64);

impl Cents {
    pub const MAX: i64 = 10_000_000_000;

    pub fn parse(cents: i64) -> Result<Cents, String> {
        if cents < 0 {
            Err("must not be negative".into())
        } else if cents > Cents::MAX {
            Err(format!("must be at most {} (cents)", Cents::MAX))
        } else {
            Ok(Cents(cents))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// Units in stock, or in a cart line: 0 ..= 10 000 000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stock(i64);

impl Stock {
    pub const MAX: i64 = 10_000_000;

    pub fn parse(units: i64) -> Result<Stock, String> {
        if units < 0 {
            Err("must not be negative".into())
        } else if units > Stock::MAX {
            Err(format!("must be at most {}", Stock::MAX))
        } else {
            Ok(Stock(units))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// A whole number in `0..=max`.
pub fn bounded(v: i64, max: i64) -> Result<i64, String> {
    if (0..=max).contains(&v) {
        Ok(v)
    } else {
        Err(format!("must be between 0 and {max}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents() {
        assert_eq!(Cents::parse(0).unwrap().get(), 0);
        assert_eq!(Cents::parse(1999).unwrap().get(), 1999);
        assert!(Cents::parse(-1).is_err());
        assert!(Cents::parse(Cents::MAX).is_ok());
        assert!(Cents::parse(Cents::MAX + 1).is_err());
    }

    #[test]
    fn stock() {
        assert!(Stock::parse(0).is_ok());
        assert!(Stock::parse(-1).is_err());
        assert!(Stock::parse(Stock::MAX + 1).is_err());
    }

    #[test]
    fn bounds() {
        assert_eq!(bounded(0, 10), Ok(0));
        assert_eq!(bounded(10, 10), Ok(10));
        assert!(bounded(-1, 10).is_err());
        assert!(bounded(11, 10).is_err());
    }
}
