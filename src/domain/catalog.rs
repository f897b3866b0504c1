//! The catalog's rules: name lengths, image addresses, and how the product list may be sorted
//! and filtered.

use super::closed_set::closed_set;

pub const CATEGORY_NAME_MAX: usize = 100;
pub const PRODUCT_NAME_MAX: usize = 200;
pub const IMAGE_URL_MAX: usize = 2048;

/// An image address: `http(s)://host...` or a site-relative path (`/images/x.png`), at most
/// 2048 characters, without spaces or control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUrl(String);

impl ImageUrl {
    /// Blank means none.
    pub fn parse(raw: &str) -> Result<Option<ImageUrl>, String> {
        let url = raw.trim();
        if url.is_empty() {
            return Ok(None);
        }
        if url.chars().count() > IMAGE_URL_MAX {
            return Err(format!("must be at most {IMAGE_URL_MAX} characters"));
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') {
            return Err("must not contain spaces, backslashes or control characters".into());
        }
        let lower = url.to_ascii_lowercase();
        let host = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
        let ok = match host {
            Some(rest) => rest.split(['/', '?', '#']).next().is_some_and(|h| !h.is_empty()),
            // Site-relative, but not protocol-relative (`//evil.example`).
            None => url.starts_with('/') && !url.starts_with("//"),
        };
        if ok {
            Ok(Some(ImageUrl(url.to_owned())))
        } else {
            Err("must be an http(s) URL or a path starting with /".into())
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

closed_set! {
    /// The catalog's sort orders.
    #[derive(Default)]
    pub enum ProductSort {
        #[default]
        Name = "name",
        NameDesc = "-name",
        Price = "price",
        PriceDesc = "-price",
        Newest = "newest",
    }
}

/// The filters of `GET /api/products`; bounds are inclusive.
#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    /// Substring of the name or description (case-insensitive for ASCII).
    pub q: Option<String>,
    pub category_id: Option<i64>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    /// `Some(true)`: quantity > 0; `Some(false)`: sold out.
    pub in_stock: Option<bool>,
    pub sort: ProductSort,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ClosedSet;

    #[test]
    fn image_urls() {
        for ok in ["https://cdn.example.com/a.png", "HTTP://x.io", "/images/kettle.jpg", "/a?b=c#d"] {
            assert!(ImageUrl::parse(ok).unwrap().is_some(), "{ok:?} refused");
        }
        assert_eq!(ImageUrl::parse("  ").unwrap(), None);
        for bad in [
            "javascript:alert(1)",
            "data:image/png;base64,xx",
            "//evil.example/x.png",
            "ftp://x.io/a",
            "https://",
            "https:///path",
            "images/relative.png",
            "/a b.png",
            "/a\\b",
        ] {
            assert!(ImageUrl::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(ImageUrl::parse(&format!("/{}", "a".repeat(IMAGE_URL_MAX))).is_err());
    }

    #[test]
    fn sort_names_round_trip() {
        assert_eq!(ProductSort::names(), "name, -name, price, -price, newest");
        for s in ProductSort::ALL {
            assert_eq!(ProductSort::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(ProductSort::default(), ProductSort::Name);
    }
}
