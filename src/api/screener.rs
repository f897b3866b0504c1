//! `GET /api/assets`: the screener. Anyone may use it; every filter is optional and they
//! combine (AND); bounds are inclusive.

use rocket::response::content::RawJson;
use rocket::{get, State};
use utoipa::IntoParams;

use super::query::{Page, Paging, Query};
use super::schema;
use super::views::Asset;
use crate::db::assets;
use crate::db::Db;
use crate::domain::assets::{AssetSort, Rating, Screen, MAX_QUERY, MAX_RATINGS_FILTER, MAX_SECTOR};
use crate::domain::Fields;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::App;

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![list]
}

/// The screener's parameters as sent: read from the query string by `read`, checked into a
/// `Screen` by `check`, and documented by the derive (paging is `Paging`).
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScreenerParams {
    /// Substring of the symbol or name, case-insensitive (at most 100 characters).
    #[param(max_length = 100)]
    q: Option<String>,
    /// Lowest price in cents (inclusive).
    #[param(minimum = 0, rename = "minPrice")]
    min_price: Option<i64>,
    /// Highest price in cents (inclusive).
    #[param(minimum = 0, rename = "maxPrice")]
    max_price: Option<i64>,
    /// Lowest market cap (inclusive); `maxPrice` below `minPrice`, or `maxMarketCap` below
    /// `minMarketCap`, is a 400.
    #[param(minimum = 0, rename = "minMarketCap")]
    min_market_cap: Option<i64>,
    /// Highest market cap (inclusive).
    #[param(minimum = 0, rename = "maxMarketCap")]
    max_market_cap: Option<i64>,
    /// Comma-separated ratings, any of which matches (case-insensitive), e.g. `A,AA`.
    #[param(example = "A,AA", schema_with = schema::rating_filter)]
    rating: Option<String>,
    /// Exact sector, case-insensitive (at most 50 characters).
    #[param(max_length = 50)]
    sector: Option<String>,
    /// `symbol` (default). `rating` follows the credit scale best first (AAA, AA+, AA ... D),
    /// then BUY, HOLD, SELL, then other ratings alphabetically, then unrated. Ties are broken
    /// by symbol.
    sort: Option<AssetSort>,
}

impl ScreenerParams {
    /// Each parameter by its type; a malformed one is reported by `q`.
    fn read(q: &mut Query) -> ScreenerParams {
        ScreenerParams {
            q: q.text("q"),
            min_price: q.int("minPrice", 0),
            max_price: q.int("maxPrice", 0),
            min_market_cap: q.int("minMarketCap", 0),
            max_market_cap: q.int("maxMarketCap", 0),
            rating: q.text("rating"),
            sector: q.text("sector"),
            sort: q.closed("sort"),
        }
    }

    /// The rules between and within parameters, each problem added to `f`.
    fn check(self, f: &mut Fields) -> Screen {
        if self.q.as_ref().is_some_and(|t| t.chars().count() > MAX_QUERY) {
            f.add("q", format!("must be at most {MAX_QUERY} characters"));
        }
        if self.sector.as_ref().is_some_and(|t| t.chars().count() > MAX_SECTOR) {
            f.add("sector", format!("must be at most {MAX_SECTOR} characters"));
        }
        if let (Some(lo), Some(hi)) = (self.min_price, self.max_price) {
            if lo > hi {
                f.add("maxPrice", "must not be below minPrice");
            }
        }
        if let (Some(lo), Some(hi)) = (self.min_market_cap, self.max_market_cap) {
            if lo > hi {
                f.add("maxMarketCap", "must not be below minMarketCap");
            }
        }
        let ratings = self.rating.and_then(|raw| {
            let parsed: Result<Vec<String>, String> = raw
                .split(',')
                .map(|r| Rating::parse(r).map(Rating::into_inner))
                .collect::<Result<_, _>>()
                .map_err(|e| format!("each comma-separated rating {e}"));
            match parsed {
                Ok(list) if list.len() > MAX_RATINGS_FILTER => {
                    f.add("rating", format!("may list at most {MAX_RATINGS_FILTER} ratings"));
                    None
                }
                Ok(list) => Some(list),
                Err(e) => {
                    f.add("rating", e);
                    None
                }
            }
        });
        Screen {
            q: self.q,
            min_price: self.min_price,
            max_price: self.max_price,
            min_market_cap: self.min_market_cap,
            max_market_cap: self.max_market_cap,
            ratings,
            sector: self.sector,
            sort: self.sort.unwrap_or_default(),
        }
    }
}

/// The screener: every filter is optional and they combine (AND); bounds are inclusive. Answers
/// are cached until the next write (any asset change invalidates them, as every API write does).
#[utoipa::path(get, path = "/api/assets", tag = "markets", params(ScreenerParams, Paging),
    responses((status = 200, body = Page<Asset>),
        (status = 400, description = "A bad filter, sort or paging parameter, named in `fields`", body = ErrorBody)))]
#[get("/assets")]
pub async fn list(mut q: Query, db: &Db, app: &State<App>) -> ApiResult<RawJson<String>> {
    let paging = q.paging();
    let params = ScreenerParams::read(&mut q);
    // Every bad parameter at once: the malformed ones and those that break a rule.
    let mut f = Fields::default();
    let screen = params.check(&mut f);
    if let Err(ApiError::Validation(found)) = q.finish() {
        f.extend(found);
    }
    f.finish()?;
    let key = format!("assets {screen:?} {} {}", paging.page, paging.per_page);
    let body = app
        .reads
        .get_or(key, async {
            let (rows, total) = assets::screen(&db.read, &screen, paging.limit(), paging.offset()).await?;
            let page = Page::new(rows.into_iter().map(Asset::from).collect(), paging, total);
            serde_json::to_string(&page).map_err(ApiError::internal)
        })
        .await?;
    Ok(RawJson(body.to_string()))
}
