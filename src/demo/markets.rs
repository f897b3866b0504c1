//! `--demo` assets: a few dozen well-known listings across sectors and ratings, with prices (cents)
//! and market caps (whole units) in a believable range. Sample data, not quotes.

use crate::db::Tx;

use crate::db::assets::{self, AssetValues};

/// (symbol, name, price in cents, market cap, rating, sector)
const ASSETS: &[(&str, &str, i64, i64, &str, &str)] = &[
    ("AAPL", "Apple Inc.", 22_945, 3_480_000_000_000, "AA+", "Technology"),
    ("MSFT", "Microsoft Corporation", 41_580, 3_090_000_000_000, "AAA", "Technology"),
    ("NVDA", "NVIDIA Corporation", 13_812, 3_380_000_000_000, "AA-", "Technology"),
    ("GOOGL", "Alphabet Inc. Class A", 19_660, 2_410_000_000_000, "AA+", "Communication Services"),
    ("META", "Meta Platforms, Inc.", 68_902, 1_740_000_000_000, "AA-", "Communication Services"),
    ("ORCL", "Oracle Corporation", 17_034, 476_000_000_000, "BBB", "Technology"),
    ("INTC", "Intel Corporation", 2_011, 87_000_000_000, "BBB+", "Technology"),
    ("CSCO", "Cisco Systems, Inc.", 6_122, 244_000_000_000, "AA-", "Technology"),
    ("AMZN", "Amazon.com, Inc.", 23_731, 2_500_000_000_000, "AA", "Consumer Discretionary"),
    ("TSLA", "Tesla, Inc.", 40_420, 1_300_000_000_000, "BBB", "Consumer Discretionary"),
    ("HD", "The Home Depot, Inc.", 41_200, 409_000_000_000, "A", "Consumer Discretionary"),
    ("MCD", "McDonald's Corporation", 29_077, 208_000_000_000, "BBB+", "Consumer Discretionary"),
    ("F", "Ford Motor Company", 1_003, 40_000_000_000, "BB+", "Consumer Discretionary"),
    ("KO", "The Coca-Cola Company", 6_841, 295_000_000_000, "A+", "Consumer Staples"),
    ("PG", "The Procter & Gamble Company", 16_512, 389_000_000_000, "AA-", "Consumer Staples"),
    ("WMT", "Walmart Inc.", 9_833, 790_000_000_000, "AA", "Consumer Staples"),
    ("COST", "Costco Wholesale Corporation", 104_890, 465_000_000_000, "A+", "Consumer Staples"),
    ("JNJ", "Johnson & Johnson", 15_441, 372_000_000_000, "AAA", "Health Care"),
    ("PFE", "Pfizer Inc.", 2_573, 146_000_000_000, "A", "Health Care"),
    ("UNH", "UnitedHealth Group Incorporated", 51_230, 471_000_000_000, "A+", "Health Care"),
    ("LLY", "Eli Lilly and Company", 86_024, 816_000_000_000, "A+", "Health Care"),
    ("MRNA", "Moderna, Inc.", 3_472, 13_000_000_000, "BB", "Health Care"),
    ("JPM", "JPMorgan Chase & Co.", 26_489, 740_000_000_000, "A", "Financials"),
    ("BAC", "Bank of America Corporation", 4_627, 355_000_000_000, "A-", "Financials"),
    ("GS", "The Goldman Sachs Group, Inc.", 64_010, 200_000_000_000, "BBB+", "Financials"),
    ("BRK.B", "Berkshire Hathaway Inc. Class B", 47_905, 1_030_000_000_000, "AA", "Financials"),
    ("V", "Visa Inc.", 34_467, 670_000_000_000, "AA-", "Financials"),
    ("XOM", "Exxon Mobil Corporation", 11_032, 478_000_000_000, "AA-", "Energy"),
    ("CVX", "Chevron Corporation", 15_880, 279_000_000_000, "AA-", "Energy"),
    ("OXY", "Occidental Petroleum Corporation", 4_895, 46_000_000_000, "BBB-", "Energy"),
    ("NEE", "NextEra Energy, Inc.", 7_011, 144_000_000_000, "A-", "Utilities"),
    ("DUK", "Duke Energy Corporation", 11_760, 91_000_000_000, "BBB+", "Utilities"),
    ("CAT", "Caterpillar Inc.", 34_995, 167_000_000_000, "A", "Industrials"),
    ("BA", "The Boeing Company", 17_950, 135_000_000_000, "BBB-", "Industrials"),
    ("AAL", "American Airlines Group Inc.", 1_498, 9_800_000_000, "B+", "Industrials"),
    ("LIN", "Linde plc", 45_870, 217_000_000_000, "A", "Materials"),
    ("PLD", "Prologis, Inc.", 11_145, 103_000_000_000, "A", "Real Estate"),
    ("AMC", "AMC Entertainment Holdings, Inc.", 312, 1_300_000_000, "CCC+", "Communication Services"),
];

pub async fn seed(tx: &mut Tx) -> Result<(), sqlx::Error> {
    for &(symbol, name, price, market_cap, rating, sector) in ASSETS {
        let values = AssetValues {
            symbol: symbol.to_owned(),
            name: name.to_owned(),
            price,
            market_cap,
            rating: Some(rating.to_owned()),
            sector: Some(sector.to_owned()),
        };
        assets::insert(&mut *tx, &values).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assets::{Rating, Symbol, MAX_MARKET_CAP, MAX_NAME, MAX_PRICE, MAX_SECTOR};

    #[test]
    fn demo_assets_pass_the_api_rules() {
        assert!((30..=40).contains(&ASSETS.len()));
        let mut symbols = std::collections::HashSet::new();
        for &(symbol, name, price, market_cap, rating, sector) in ASSETS {
            assert_eq!(Symbol::parse(symbol).unwrap().into_inner(), symbol);
            assert!(symbols.insert(symbol), "{symbol} twice");
            assert!(!name.is_empty() && name.chars().count() <= MAX_NAME);
            assert!((1..=MAX_PRICE).contains(&price));
            assert!((1..=MAX_MARKET_CAP).contains(&market_cap));
            assert_eq!(Rating::parse(rating).unwrap().into_inner(), rating);
            assert!(sector.chars().count() <= MAX_SECTOR);
        }
    }
}
