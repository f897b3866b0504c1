//! Queries on `transactions` and `price_history` (§12). A holding (`holdings`) is the identity of
//! one user's position in one asset; its transactions say what it is (`domain::ledger`). Every
//! change to a holding's transactions locks the holding first, so two changes to one position
//! are checked one after the other.

use super::assets::AssetRow;
use super::engine::{with_conn, Ex, Tx};
use super::query::{page_of, returning, timestamp, Filter, Listing};
use crate::domain::ledger::{Amounts, Entry, Kind};
use crate::domain::ClosedSet;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TxRow {
    pub id: i64,
    pub holding_id: i64,
    pub asset_id: i64,
    pub symbol: String,
    pub name: String,
    #[sqlx(rename = "type")]
    pub kind: Kind,
    pub quantity: Option<i64>,
    pub price: Option<i64>,
    pub fee: Option<i64>,
    pub amount: Option<i64>,
    pub at: String,
    pub note: Option<String>,
    pub created_at: String,
}

impl TxRow {
    pub fn entry(&self) -> Entry {
        Entry {
            id: self.id,
            at: self.at.clone(),
            kind: self.kind,
            quantity: self.quantity.unwrap_or(0),
            price: self.price.unwrap_or(0),
            fee: self.fee.unwrap_or(0),
            amount: self.amount.unwrap_or(0),
        }
    }
}

const TX_COLUMNS: &str = "t.id, t.holding_id, h.asset_id, a.symbol, a.name, t.type, t.quantity, t.price,
    t.fee, t.amount, t.at, t.note, t.created_at";
const TX_FROM: &str =
    "transactions t JOIN holdings h ON h.id = t.holding_id JOIN assets a ON a.id = h.asset_id";

/// What a transaction says, as written (checked by `domain::ledger::check`).
#[derive(Debug, Clone)]
pub struct TxValues {
    pub kind: Kind,
    pub quantity: Option<i64>,
    pub price: Option<i64>,
    pub fee: Option<i64>,
    pub amount: Option<i64>,
    pub at: String,
    pub note: Option<String>,
}

impl TxValues {
    pub fn new(kind: Kind, figures: Amounts, at: String, note: Option<String>) -> TxValues {
        let Amounts { quantity, price, fee, amount } = figures;
        TxValues { kind, quantity, price, fee, amount, at, note }
    }

    pub fn entry(&self, id: i64) -> Entry {
        Entry {
            id,
            at: self.at.clone(),
            kind: self.kind,
            quantity: self.quantity.unwrap_or(0),
            price: self.price.unwrap_or(0),
            fee: self.fee.unwrap_or(0),
            amount: self.amount.unwrap_or(0),
        }
    }
}

/// `GET /api/portfolio/transactions` filters; `from`/`to` are stored timestamps, inclusive.
#[derive(Debug, Default)]
pub struct Search {
    pub asset_id: Option<i64>,
    pub kind: Option<Kind>,
    pub from: Option<String>,
    pub to: Option<String>,
}

pub async fn page(
    db: impl Into<Ex<'_>>,
    user_id: i64,
    s: &Search,
    limit: i64,
    offset: i64,
) -> Result<(Vec<TxRow>, i64), sqlx::Error> {
    let mut f = Filter::default();
    f.when("h.user_id = ?", Some(user_id))
        .when("h.asset_id = ?", s.asset_id)
        .when("t.type = ?", s.kind.map(ClosedSet::as_str))
        .when("t.at >= ?", s.from.clone())
        .when("t.at <= ?", s.to.clone());
    let listing = Listing { columns: TX_COLUMNS, from: TX_FROM, order_by: "t.at DESC, t.id DESC" };
    page_of(db, &listing, f, limit, offset).await
}

/// Every transaction of the user, in time order (then by id).
pub async fn all_of(db: impl Into<Ex<'_>>, user_id: i64) -> Result<Vec<TxRow>, sqlx::Error> {
    let sql = format!("SELECT {TX_COLUMNS} FROM {TX_FROM} WHERE h.user_id = $1 ORDER BY t.at, t.id");
    with_conn!(db, |c| sqlx::query_as(&sql).bind(user_id).fetch_all(c).await)
}

/// One transaction, only if it is this user's.
pub async fn one(db: impl Into<Ex<'_>>, user_id: i64, id: i64) -> Result<Option<TxRow>, sqlx::Error> {
    let sql = format!("SELECT {TX_COLUMNS} FROM {TX_FROM} WHERE t.id = $1 AND h.user_id = $2");
    with_conn!(db, |c| sqlx::query_as(&sql).bind(id).bind(user_id).fetch_optional(c).await)
}

/// As `one`, the transaction's row locked for the rest of the write transaction (Postgres).
pub async fn one_locked(tx: &mut Tx, user_id: i64, id: i64) -> Result<Option<TxRow>, sqlx::Error> {
    let lock = tx.kind().pick("", " FOR UPDATE OF t");
    let sql = format!("SELECT {TX_COLUMNS} FROM {TX_FROM} WHERE t.id = $1 AND h.user_id = $2{lock}");
    with_conn!(tx, |c| sqlx::query_as(&sql).bind(id).bind(user_id).fetch_optional(c).await)
}

/// A new version of the user's ledger: every change to it starts by locking a holding
/// (`open_holding`, `lock_holding`), which calls this, so the bump commits or rolls back with it.
async fn bump(tx: &mut Tx, user_id: i64) -> Result<(), sqlx::Error> {
    with_conn!(tx, |c| sqlx::query(
        "INSERT INTO ledger_versions (user_id, version) VALUES ($1, 1)
         ON CONFLICT (user_id) DO UPDATE SET version = ledger_versions.version + 1"
    )
    .bind(user_id)
    .execute(c)
    .await
    .map(drop))
}

/// The version of the user's ledger (0 before its first change).
pub async fn version(db: impl Into<Ex<'_>>, user_id: i64) -> Result<i64, sqlx::Error> {
    let found: Option<i64> =
        with_conn!(db, |c| sqlx::query_scalar("SELECT version FROM ledger_versions WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(c)
            .await)?;
    Ok(found.unwrap_or(0))
}

/// One transaction as the valuation reads it, with its holding and asset.
#[derive(Debug, Clone)]
pub struct Posted {
    pub holding_id: i64,
    pub asset_id: i64,
    pub entry: Entry,
}

/// Every transaction of the user, as the valuation reads them (no order: it sorts). Read as one
/// text per holding (the database aggregates; a row per transaction would cost far more to
/// hand over than to compute with), then taken apart here.
pub async fn posted(db: impl Into<Ex<'_>>, user_id: i64) -> Result<Vec<Posted>, sqlx::Error> {
    let db = db.into();
    let sql = format!(
        "SELECT t.holding_id, h.asset_id, {}(CAST(t.id AS TEXT) || ' ' || t.at || ' ' || t.type || ' '
            || CAST(coalesce(t.quantity, 0) AS TEXT) || ' ' || CAST(coalesce(t.price, 0) AS TEXT) || ' '
            || CAST(coalesce(t.fee, 0) AS TEXT) || ' ' || CAST(coalesce(t.amount, 0) AS TEXT), ',')
         FROM transactions t JOIN holdings h ON h.id = t.holding_id WHERE h.user_id = $1
         GROUP BY t.holding_id, h.asset_id",
        db.kind().pick("group_concat", "string_agg")
    );
    let rows: Vec<(i64, i64, String)> =
        with_conn!(db, |c| sqlx::query_as(&sql).bind(user_id).fetch_all(c).await)?;
    let mut out = Vec::new();
    for (holding_id, asset_id, text) in rows {
        for item in text.split(',') {
            let entry = parse_posted(item)
                .ok_or_else(|| sqlx::Error::Decode(format!("transaction {item:?}").into()))?;
            out.push(Posted { holding_id, asset_id, entry });
        }
    }
    Ok(out)
}

fn parse_posted(item: &str) -> Option<Entry> {
    let mut f = item.split(' ');
    let id = f.next()?.parse().ok()?;
    let at = f.next()?.to_owned();
    let kind = Kind::parse(f.next()?)?;
    let mut num = || f.next()?.parse::<i64>().ok();
    let (quantity, price, fee, amount) = (num()?, num()?, num()?, num()?);
    Some(Entry { id, at, kind, quantity, price, fee, amount })
}

/// The user's holding of `asset_id`, locked for the rest of the transaction, made if there is
/// none; `None` when there is no such asset.
pub async fn open_holding(tx: &mut Tx, user_id: i64, asset_id: i64) -> Result<Option<i64>, sqlx::Error> {
    bump(tx, user_id).await?;
    let lock = tx.kind().for_update();
    with_conn!(tx, |c| {
        sqlx::query(
            "INSERT INTO holdings (user_id, asset_id, created_at) SELECT $1, id, $2 FROM assets WHERE id = $3
             ON CONFLICT (user_id, asset_id) DO NOTHING",
        )
        .bind(user_id)
        .bind(timestamp())
        .bind(asset_id)
        .execute(&mut *c)
        .await?;
        let sql = format!("SELECT id FROM holdings WHERE user_id = $1 AND asset_id = $2{lock}");
        sqlx::query_scalar(&sql).bind(user_id).bind(asset_id).fetch_optional(c).await
    })
}

/// Locks the user's holding `id` for the rest of the transaction; false when there is none.
pub async fn lock_holding(tx: &mut Tx, user_id: i64, id: i64) -> Result<bool, sqlx::Error> {
    bump(tx, user_id).await?;
    let sql = format!("SELECT id FROM holdings WHERE id = $1 AND user_id = $2{}", tx.kind().for_update());
    let found: Option<i64> =
        with_conn!(tx, |c| sqlx::query_scalar(&sql).bind(id).bind(user_id).fetch_optional(c).await)?;
    Ok(found.is_some())
}

/// The transactions of one holding, for the valuation.
pub async fn entries(db: impl Into<Ex<'_>>, holding_id: i64) -> Result<Vec<Entry>, sqlx::Error> {
    let sql = format!("SELECT {TX_COLUMNS} FROM {TX_FROM} WHERE t.holding_id = $1 ORDER BY t.at, t.id");
    let rows: Vec<TxRow> = with_conn!(db, |c| sqlx::query_as(&sql).bind(holding_id).fetch_all(c).await)?;
    Ok(rows.iter().map(TxRow::entry).collect())
}

pub async fn insert(db: impl Into<Ex<'_>>, holding_id: i64, v: &TxValues) -> Result<i64, sqlx::Error> {
    with_conn!(db, |c| {
        let query = sqlx::query_as(
            "INSERT INTO transactions (holding_id, type, quantity, price, fee, amount, at, note, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(holding_id)
        .bind(v.kind)
        .bind(v.quantity)
        .bind(v.price)
        .bind(v.fee)
        .bind(v.amount)
        .bind(&v.at)
        .bind(v.note.as_deref())
        .bind(timestamp());
        returning(query, c).await.map(|(id,)| id)
    })
}

pub async fn update(
    db: impl Into<Ex<'_>>,
    id: i64,
    holding_id: i64,
    v: &TxValues,
) -> Result<(), sqlx::Error> {
    with_conn!(db, |c| {
        sqlx::query(
        "UPDATE transactions SET holding_id = $1, type = $2, quantity = $3, price = $4, fee = $5, amount = $6,
         at = $7, note = $8 WHERE id = $9"
    )
    .bind(holding_id)
    .bind(v.kind)
    .bind(v.quantity)
    .bind(v.price)
    .bind(v.fee)
    .bind(v.amount)
    .bind(&v.at)
    .bind(v.note.as_deref())
    .bind(id)
    .execute(c)
    .await
    .map(drop)
    })
}

pub async fn delete(db: impl Into<Ex<'_>>, id: i64) -> Result<(), sqlx::Error> {
    with_conn!(db, |c| sqlx::query("DELETE FROM transactions WHERE id = $1")
        .bind(id)
        .execute(c)
        .await
        .map(drop))
}

/// Every transaction of a holding goes.
pub async fn clear(db: impl Into<Ex<'_>>, holding_id: i64) -> Result<(), sqlx::Error> {
    with_conn!(db, |c| sqlx::query("DELETE FROM transactions WHERE holding_id = $1")
        .bind(holding_id)
        .execute(c)
        .await
        .map(drop))
}

/// A holding with no transactions left is no holding (and no longer keeps its asset from being
/// deleted).
pub async fn close_if_empty(db: impl Into<Ex<'_>>, holding_id: i64) -> Result<(), sqlx::Error> {
    with_conn!(db, |c| {
        sqlx::query(
        "DELETE FROM holdings WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM transactions WHERE holding_id = $1)"
    )
    .bind(holding_id)
    .execute(c)
    .await
    .map(drop)
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HoldingRow {
    pub holding_id: i64,
    #[sqlx(flatten)]
    pub asset: AssetRow,
}

const HOLDING: &str = "SELECT h.id AS holding_id, a.id, a.symbol, a.name, a.price, a.market_cap, a.rating,
    a.sector, a.updated_at FROM holdings h JOIN assets a ON a.id = h.asset_id";

/// The user's holdings, by symbol.
pub async fn holdings(db: impl Into<Ex<'_>>, user_id: i64) -> Result<Vec<HoldingRow>, sqlx::Error> {
    let sql = format!("{HOLDING} WHERE h.user_id = $1 ORDER BY a.symbol");
    with_conn!(db, |c| sqlx::query_as(&sql).bind(user_id).fetch_all(c).await)
}

/// One holding, only if it is this user's.
pub async fn holding(
    db: impl Into<Ex<'_>>,
    user_id: i64,
    id: i64,
) -> Result<Option<HoldingRow>, sqlx::Error> {
    let sql = format!("{HOLDING} WHERE h.id = $1 AND h.user_id = $2");
    with_conn!(db, |c| sqlx::query_as(&sql).bind(id).bind(user_id).fetch_optional(c).await)
}

/// Whether the user already has a holding of the asset.
pub async fn holds(db: impl Into<Ex<'_>>, user_id: i64, asset_id: i64) -> Result<bool, sqlx::Error> {
    with_conn!(db, |c| sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM holdings WHERE user_id = $1 AND asset_id = $2)"
    )
    .bind(user_id)
    .bind(asset_id)
    .fetch_one(c)
    .await)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PricePoint {
    pub asset_id: i64,
    pub at: String,
    pub price: i64,
}

/// The prices of one asset between `from` and `to` (stored timestamps, inclusive), oldest first.
pub async fn prices(
    db: impl Into<Ex<'_>>,
    asset_id: i64,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Vec<PricePoint>, sqlx::Error> {
    with_conn!(db, |c| sqlx::query_as(
        "SELECT asset_id, at, price FROM price_history WHERE asset_id = $1
         AND ($2 IS NULL OR at >= $2) AND ($3 IS NULL OR at <= $3) ORDER BY at, id"
    )
    .bind(asset_id)
    .bind(from)
    .bind(to)
    .fetch_all(c)
    .await)
}

/// The price history, before `to`, of every asset the user holds: by asset, in time order
/// (one text per asset from the database, as `posted`).
pub async fn prices_held_by(
    db: impl Into<Ex<'_>>,
    user_id: i64,
    to: &str,
) -> Result<Vec<(i64, Vec<(String, i64)>)>, sqlx::Error> {
    let db = db.into();
    let sql = format!(
        "SELECT p.asset_id, {}(p.at || '=' || CAST(p.price AS TEXT) || '=' || CAST(p.id AS TEXT), ',')
         FROM price_history p JOIN holdings h ON h.asset_id = p.asset_id
         WHERE h.user_id = $1 AND p.at < $2 GROUP BY p.asset_id",
        db.kind().pick("group_concat", "string_agg")
    );
    let rows: Vec<(i64, String)> =
        with_conn!(db, |c| sqlx::query_as(&sql).bind(user_id).bind(to).fetch_all(c).await)?;
    let mut out = Vec::with_capacity(rows.len());
    for (asset_id, text) in rows {
        let mut points: Vec<(String, i64, i64)> = Vec::new();
        for item in text.split(',') {
            let mut f = item.split('=');
            let point = (|| Some((f.next()?.to_owned(), f.next()?.parse().ok()?, f.next()?.parse().ok()?)))()
                .ok_or_else(|| sqlx::Error::Decode(format!("price {item:?}").into()))?;
            points.push(point);
        }
        points.sort_by(|a, b| (&a.0, a.2).cmp(&(&b.0, b.2)));
        out.push((asset_id, points.into_iter().map(|(at, price, _)| (at, price)).collect()));
    }
    Ok(out)
}

/// The newest recorded time of the asset's price, if any.
pub async fn latest_price_at(db: impl Into<Ex<'_>>, asset_id: i64) -> Result<Option<String>, sqlx::Error> {
    with_conn!(db, |c| sqlx::query_scalar("SELECT max(at) FROM price_history WHERE asset_id = $1")
        .bind(asset_id)
        .fetch_one(c)
        .await)
}

/// A backfilled price (the current price's changes are recorded by a trigger on `assets`).
pub async fn insert_price(
    db: impl Into<Ex<'_>>,
    asset_id: i64,
    at: &str,
    price: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(db, |c| sqlx::query("INSERT INTO price_history (asset_id, at, price) VALUES ($1, $2, $3)")
        .bind(asset_id)
        .bind(at)
        .bind(price)
        .execute(c)
        .await
        .map(drop))
}
