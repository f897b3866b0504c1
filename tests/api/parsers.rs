//! Property tests for the store and markets parsers: total (no input panics), and what they
//! accept obeys the rule and parses to itself.

use proptest::prelude::*;
use stockroom::domain::assets::{Rating, Symbol};
use stockroom::domain::catalog::ImageUrl;
use stockroom::domain::{Cents, Stock};

proptest! {
    #[test]
    fn symbols(raw in "\\PC{0,14}|[ a-zA-Z0-9.-]{0,12}") {
        if let Ok(s) = Symbol::parse(&raw) {
            let s = s.into_inner();
            prop_assert!((1..=10).contains(&s.len()));
            prop_assert!(s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '.' || c == '-'));
            prop_assert_eq!(Symbol::parse(&s).map(Symbol::into_inner), Ok(s.clone()));
            prop_assert_eq!(s, raw.trim().to_ascii_uppercase());
        }
    }

    #[test]
    fn ratings(raw in "\\PC{0,8}|[ a-zA-Z0-9+-]{0,7}") {
        if let Ok(r) = Rating::parse(&raw) {
            let r = r.into_inner();
            prop_assert!((1..=5).contains(&r.len()));
            prop_assert!(r.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '+' || c == '-'));
            prop_assert_eq!(Rating::parse(&r).map(Rating::into_inner), Ok(r));
        }
    }

    #[test]
    fn money_and_stock_accept_exactly_their_range(n in any::<i64>()) {
        prop_assert_eq!(Cents::parse(n).is_ok(), (0..=Cents::MAX).contains(&n));
        prop_assert_eq!(Stock::parse(n).is_ok(), (0..=Stock::MAX).contains(&n));
        if let Ok(c) = Cents::parse(n) {
            prop_assert_eq!(c.get(), n);
        }
    }

    #[test]
    fn image_urls(raw in "\\PC{0,40}|(https?://|/|//|javascript:)[a-z0-9./?#-]{0,30}") {
        match ImageUrl::parse(&raw) {
            Ok(None) => prop_assert!(raw.trim().is_empty()),
            Ok(Some(url)) => {
                let url = url.into_inner();
                let lower = url.to_ascii_lowercase();
                let web = lower.starts_with("http://") || lower.starts_with("https://");
                prop_assert!(web || (url.starts_with('/') && !url.starts_with("//")), "{}", url);
                prop_assert!(!url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\'));
                prop_assert!(url.chars().count() <= 2048);
                prop_assert_eq!(ImageUrl::parse(&url).map(|u| u.map(ImageUrl::into_inner)), Ok(Some(url.clone())));
            }
            Err(problem) => prop_assert!(!problem.is_empty()),
        }
    }
}

#[test]
fn image_urls_refuse_script_and_protocol_relative_addresses() {
    for bad in
        ["javascript:alert(1)", "//evil.example/x.png", "data:image/png;base64,xx", "http://", "ftp://x/y"]
    {
        assert!(ImageUrl::parse(bad).is_err(), "{bad} accepted");
    }
    assert!(ImageUrl::parse("/images/mug.png").unwrap().is_some());
    assert!(ImageUrl::parse("https://cdn.example/mug.png").unwrap().is_some());
}
