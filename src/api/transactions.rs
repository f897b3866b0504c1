//! `/api/portfolio/transactions*`: the signed-in user's ledger (§12) — buys, sells, dividends
//! and fees; CSV import and export. Every change replays the holdings it touches
//! (`domain::ledger`) inside the write transaction, after locking them, and is refused with 409
//! `insufficient_holding` when a holding would go below zero at any time.

use std::collections::HashMap;

use rocket::http::{ContentType, Header, Status};
use rocket::response::status::Custom;
use rocket::serde::json::Json;
use rocket::{delete, get, patch, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body::{Body, Csv};
use super::patch::present;
use super::query::{past_instant, Page, Paging, Query};
use crate::auth::{Markets, Scoped};
use crate::db::ledger::{self, Search, TxRow, TxValues};
use crate::db::{assets, Db, Tx};
use crate::domain::csv::{cents, record, units};
use crate::domain::ledger::{check, replay, Amounts, Entry, Kind, Refused};
use crate::domain::{ClosedSet, Fields};
use crate::error::{ApiError, ApiResult, ErrorBody};

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![list, export, get_one, create, update, remove, import]
}

const NOTE_MAX: usize = 500;
const HEADER: [&str; 7] = ["date", "symbol", "type", "quantity", "price", "fee", "amount"];
const HEADER_WITH_NOTE: [&str; 8] = ["date", "symbol", "type", "quantity", "price", "fee", "amount", "note"];

#[derive(Debug, Serialize, ToSchema)]
pub struct AssetRef {
    id: i64,
    symbol: String,
    name: String,
}

/// One entry of the ledger. Buys and sells have `quantity`, a unit `price` and a `fee`;
/// dividends and fees an `amount`; the others are null. Money in cents.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    id: i64,
    asset: AssetRef,
    #[serde(rename = "type")]
    kind: Kind,
    quantity: Option<i64>,
    price: Option<i64>,
    fee: Option<i64>,
    amount: Option<i64>,
    /// When it happened.
    at: String,
    note: Option<String>,
    created_at: String,
}

impl From<TxRow> for Transaction {
    fn from(r: TxRow) -> Transaction {
        Transaction {
            id: r.id,
            asset: AssetRef { id: r.asset_id, symbol: r.symbol, name: r.name },
            kind: r.kind,
            quantity: r.quantity,
            price: r.price,
            fee: r.fee,
            amount: r.amount,
            at: r.at,
            note: r.note,
            created_at: r.created_at,
        }
    }
}

/// A transaction as sent: `POST` needs `assetId` and `type` and what the type uses; `PATCH`
/// changes only what is sent (`note: null` removes the note; figures the new type does not use
/// are dropped).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransactionRequest {
    #[schema(value_type = Option<i64>)]
    asset_id: Option<i64>,
    #[serde(rename = "type")]
    #[schema(value_type = Option<Kind>)]
    kind: Option<String>,
    /// Buy, sell: units, 1 to 1,000,000,000.
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    quantity: Option<i64>,
    /// Buy, sell: cents per unit.
    #[schema(minimum = 0)]
    price: Option<i64>,
    /// Buy, sell: cents (default 0).
    #[schema(minimum = 0)]
    fee: Option<i64>,
    /// Dividend, fee: cents.
    #[schema(minimum = 1)]
    amount: Option<i64>,
    /// RFC 3339, not in the future; default now.
    #[schema(value_type = Option<String>, format = DateTime)]
    at: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 500)]
    note: Option<Option<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    /// Rows recorded.
    imported: usize,
}

fn not_found() -> ApiError {
    ApiError::NotFound("Transaction")
}

fn insufficient() -> ApiError {
    ApiError::conflict(
        "insufficient_holding",
        "That would sell more units than the holding has at that time; nothing changed.",
    )
}

fn note(raw: Option<String>) -> Result<Option<String>, String> {
    let Some(n) = raw.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()) else { return Ok(None) };
    if n.chars().count() > NOTE_MAX {
        return Err(format!("must be at most {NOTE_MAX} characters"));
    }
    Ok(Some(n))
}

/// The figures of `kind` checked, problems added to `f` under `field(name)`.
fn figures(f: &mut Fields, field: impl Fn(&str) -> String, kind: Kind, sent: Amounts) -> Option<Amounts> {
    check(kind, sent)
        .map_err(|problems| {
            for (name, problem) in problems {
                f.add(&field(name), problem);
            }
        })
        .ok()
}

/// Replays `entries` of one holding, which must stand.
fn stands(entries: &[Entry]) -> ApiResult<()> {
    match replay(entries) {
        Ok(_) => Ok(()),
        Err(Refused::Oversold { .. }) => Err(insufficient()),
        Err(Refused::Overflow) => {
            Err(ApiError::field("body", "the holding's amounts would exceed 64-bit cents"))
        }
    }
}

/// The signed-in user's transactions, newest first; `from`/`to` are RFC 3339, inclusive.
#[utoipa::path(get, path = "/api/portfolio/transactions", tag = "portfolio",
    params(("assetId" = Option<i64>, Query), ("type" = Option<Kind>, Query),
        ("from" = Option<String>, Query, format = DateTime), ("to" = Option<String>, Query, format = DateTime), Paging),
    responses((status = 200, body = Page<Transaction>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/portfolio/transactions")]
pub async fn list(auth: Scoped<Markets>, mut q: Query, db: &Db) -> ApiResult<Json<Page<Transaction>>> {
    let paging = q.paging();
    let search = Search {
        asset_id: q.int("assetId", 1),
        kind: q.closed("type"),
        from: q.check_sent("from", super::query::instant),
        to: q.check_sent("to", super::query::instant),
    };
    q.finish()?;
    let (rows, total) = ledger::page(&db.read, auth.id(), &search, paging.limit(), paging.offset()).await?;
    Ok(Json(Page::new(rows.into_iter().map(Transaction::from).collect(), paging, total)))
}

/// One of the signed-in user's transactions; anyone else's is 404.
#[utoipa::path(get, path = "/api/portfolio/transactions/{id}", tag = "portfolio", params(("id" = i64, Path)),
    responses((status = 200, body = Transaction), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/portfolio/transactions/<id>")]
pub async fn get_one(auth: Scoped<Markets>, db: &Db, id: i64) -> ApiResult<Json<Transaction>> {
    let row = ledger::one(&db.read, auth.id(), id).await?.ok_or_else(not_found)?;
    Ok(Json(row.into()))
}

async fn written(tx: &mut Tx, user_id: i64, id: i64) -> ApiResult<Transaction> {
    Ok(ledger::one(tx, user_id, id).await?.ok_or_else(not_found)?.into())
}

/// Record a transaction. A sell beyond what the holding has at its time is 409
/// `insufficient_holding`.
#[utoipa::path(post, path = "/api/portfolio/transactions", tag = "portfolio", request_body = TransactionRequest,
    responses((status = 201, body = Transaction), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "No such asset", body = ErrorBody),
        (status = 409, description = "`insufficient_holding`", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[post("/portfolio/transactions", data = "<body>")]
pub async fn create(
    auth: Scoped<Markets>,
    db: &Db,
    body: Body<TransactionRequest>,
) -> ApiResult<Custom<Json<Transaction>>> {
    let b = body.0;
    let mut f = Fields::default();
    let asset_id = f.require("assetId", b.asset_id, Ok);
    let kind = f.require("type", b.kind, |k| {
        Kind::parse(k.trim()).ok_or_else(|| format!("must be one of: {}", Kind::names()))
    });
    let at = match b.at {
        Some(raw) => f.check("at", past_instant(raw.trim(), false)),
        None => Some(crate::db::query::timestamp()),
    };
    let note = f.check("note", note(b.note.flatten()));
    let sent = Amounts { quantity: b.quantity, price: b.price, fee: b.fee, amount: b.amount };
    let figures = kind.and_then(|k| figures(&mut f, str::to_owned, k, sent));
    f.finish()?;
    let (Some(asset_id), Some(kind), Some(at), Some(note), Some(figures)) =
        (asset_id, kind, at, note, figures)
    else {
        unreachable!("checked by finish")
    };
    let values = TxValues::new(kind, figures, at, note);
    let mut tx = db.write.begin().await?;
    let holding =
        ledger::open_holding(&mut tx, auth.id(), asset_id).await?.ok_or(ApiError::NotFound("Asset"))?;
    let mut entries = ledger::entries(&mut tx, holding).await?;
    entries.push(values.entry(i64::MAX));
    stands(&entries)?;
    let id = ledger::insert(&mut tx, holding, &values).await?;
    let t = written(&mut tx, auth.id(), id).await?;
    tx.commit().await?;
    Ok(Custom(Status::Created, Json(t)))
}

/// Change a transaction; only what is sent changes. Refused (409 `insufficient_holding`) when a
/// holding it leaves or joins would go below zero at any time.
#[utoipa::path(patch, path = "/api/portfolio/transactions/{id}", tag = "portfolio", params(("id" = i64, Path)),
    request_body(content = Option<TransactionRequest>, description = "Only the fields sent change"),
    responses((status = 200, body = Transaction), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "`insufficient_holding`", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[patch("/portfolio/transactions/<id>", data = "<body>")]
pub async fn update(
    auth: Scoped<Markets>,
    db: &Db,
    id: i64,
    body: Body<TransactionRequest>,
) -> ApiResult<Json<Transaction>> {
    let b = body.0;
    let mut f = Fields::default();
    let kind = b.kind.as_deref().and_then(|k| {
        f.check("type", Kind::parse(k.trim()).ok_or_else(|| format!("must be one of: {}", Kind::names())))
    });
    let at = b.at.as_deref().and_then(|raw| f.check("at", past_instant(raw.trim(), false)));
    let note = b.note.map(|n| f.check("note", note(n)));
    f.finish()?;

    let mut tx = db.write.begin().await?;
    let current = ledger::one_locked(&mut tx, auth.id(), id).await?.ok_or_else(not_found)?;
    if !ledger::lock_holding(&mut tx, auth.id(), current.holding_id).await? {
        return Err(not_found());
    }
    let kind = kind.unwrap_or(current.kind);
    // What the new type does not use goes, unless it was sent (and is then refused).
    let keep = |sent: Option<i64>, old: Option<i64>, used: bool| sent.or(if used { old } else { None });
    let trades = kind.trades();
    let sent = Amounts {
        quantity: keep(b.quantity, current.quantity, trades),
        price: keep(b.price, current.price, trades),
        fee: keep(b.fee, current.fee, trades),
        amount: keep(b.amount, current.amount, !trades),
    };
    let mut f = Fields::default();
    let figures = figures(&mut f, str::to_owned, kind, sent);
    f.finish()?;
    let note = match note {
        Some(n) => n.flatten(),
        None => current.note.clone(),
    };
    let at = at.unwrap_or_else(|| current.at.clone());
    let values = TxValues::new(kind, figures.expect("checked by finish"), at, note);
    let holding = match b.asset_id {
        Some(asset) if asset != current.asset_id => {
            ledger::open_holding(&mut tx, auth.id(), asset).await?.ok_or(ApiError::NotFound("Asset"))?
        }
        _ => current.holding_id,
    };
    let mut entries: Vec<Entry> =
        ledger::entries(&mut tx, holding).await?.into_iter().filter(|e| e.id != id).collect();
    entries.push(values.entry(id));
    stands(&entries)?;
    if holding != current.holding_id {
        let rest: Vec<Entry> =
            ledger::entries(&mut tx, current.holding_id).await?.into_iter().filter(|e| e.id != id).collect();
        stands(&rest)?;
    }
    ledger::update(&mut tx, id, holding, &values).await?;
    ledger::close_if_empty(&mut tx, current.holding_id).await?;
    let t = written(&mut tx, auth.id(), id).await?;
    tx.commit().await?;
    Ok(Json(t))
}

/// Delete a transaction. Refused (409 `insufficient_holding`) when a later sell would then sell
/// more than the holding has.
#[utoipa::path(delete, path = "/api/portfolio/transactions/{id}", tag = "portfolio", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`insufficient_holding`", body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[delete("/portfolio/transactions/<id>")]
pub async fn remove(auth: Scoped<Markets>, db: &Db, id: i64) -> ApiResult<Status> {
    let mut tx = db.write.begin().await?;
    let current = ledger::one_locked(&mut tx, auth.id(), id).await?.ok_or_else(not_found)?;
    if !ledger::lock_holding(&mut tx, auth.id(), current.holding_id).await? {
        return Err(not_found());
    }
    let rest: Vec<Entry> =
        ledger::entries(&mut tx, current.holding_id).await?.into_iter().filter(|e| e.id != id).collect();
    stands(&rest)?;
    ledger::delete(&mut tx, id).await?;
    ledger::close_if_empty(&mut tx, current.holding_id).await?;
    tx.commit().await?;
    Ok(Status::NoContent)
}

/// Import transactions from CSV (`text/csv`), all or nothing. The header is
/// `date,symbol,type,quantity,price,fee,amount` (and optionally `,note`); dates are `YYYY-MM-DD`
/// or RFC 3339, money is in currency units with two decimals (`19.99`), an empty cell is absent.
/// Any bad row is a 400 naming `[row].column` (row 1 is the first line after the header).
#[utoipa::path(post, path = "/api/portfolio/transactions/import", tag = "portfolio",
    request_body(content = String, content_type = "text/csv", description = "date,symbol,type,quantity,price,fee,amount[,note]"),
    responses((status = 200, body = Imported), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[post("/portfolio/transactions/import", data = "<body>")]
pub async fn import(auth: Scoped<Markets>, db: &Db, body: Csv) -> ApiResult<Json<Imported>> {
    let (_, rows) = body.table(&[&HEADER, &HEADER_WITH_NOTE])?;
    let mut f = Fields::default();
    let mut symbols: HashMap<String, Option<i64>> = HashMap::new();
    let mut parsed: Vec<(usize, i64, TxValues)> = Vec::with_capacity(rows.len());
    for (i, cells) in rows.iter().enumerate() {
        let row = i + 1;
        let at = |c: &str| format!("[{row}].{c}");
        let cell = |n: usize| cells.get(n).map(String::as_str).filter(|c| !c.is_empty());
        let date = f.require(&at("date"), cell(0), |d| past_instant(d, true));
        let symbol = cell(1).map(str::to_ascii_uppercase);
        let asset = match &symbol {
            None => {
                f.add(&at("symbol"), "is required");
                None
            }
            Some(s) => {
                if !symbols.contains_key(s) {
                    symbols.insert(s.clone(), assets::id_of(&db.read, s).await?);
                }
                let found = symbols[s];
                if found.is_none() {
                    f.add(&at("symbol"), format!("no asset has the symbol {s}"));
                }
                found
            }
        };
        let kind = f.require(&at("type"), cell(2), |k| {
            Kind::parse(&k.to_ascii_lowercase()).ok_or_else(|| format!("must be one of: {}", Kind::names()))
        });
        let quantity = cell(3).and_then(|q| {
            f.check(&at("quantity"), q.parse::<i64>().map_err(|_| "must be a whole number".to_owned()))
        });
        let mut money = |n: usize, name: &str| cell(n).and_then(|v| f.check(&at(name), cents(v)));
        let (price, fee, amount) = (money(4, "price"), money(5, "fee"), money(6, "amount"));
        let note = f.check(&at("note"), note(cell(7).map(str::to_owned)));
        let sent = Amounts { quantity, price, fee, amount };
        let figures = kind.and_then(|k| figures(&mut f, |c| at(c), k, sent));
        if let (Some(at), Some(asset), Some(kind), Some(figures), Some(note)) =
            (date, asset, kind, figures, note)
        {
            parsed.push((row, asset, TxValues::new(kind, figures, at, note)));
        }
    }
    f.finish()?;

    let mut tx = db.write.begin().await?;
    let mut by_asset: HashMap<i64, Vec<(usize, TxValues)>> = HashMap::new();
    for (row, asset, values) in parsed {
        by_asset.entry(asset).or_default().push((row, values));
    }
    let mut assets: Vec<i64> = by_asset.keys().copied().collect();
    assets.sort_unstable();
    let mut count = 0;
    for asset in assets {
        let new = &by_asset[&asset];
        let holding =
            ledger::open_holding(&mut tx, auth.id(), asset).await?.ok_or(ApiError::NotFound("Asset"))?;
        let mut entries = ledger::entries(&mut tx, holding).await?;
        // New rows get ids below any real one, so a refusal names its row.
        entries.extend(new.iter().map(|(row, v)| v.entry(-(*row as i64))));
        match replay(&entries) {
            Ok(_) => {}
            Err(Refused::Oversold { id }) if id < 0 => {
                return Err(ApiError::field(
                    &format!("[{}].quantity", -id),
                    "sells more units than the holding has at that time",
                ))
            }
            Err(Refused::Oversold { .. }) => return Err(insufficient()),
            Err(Refused::Overflow) => {
                return Err(ApiError::field("body", "the amounts would exceed 64-bit cents"))
            }
        }
        for (_, v) in new {
            ledger::insert(&mut tx, holding, v).await?;
            count += 1;
        }
    }
    tx.commit().await?;
    Ok(Json(Imported { imported: count }))
}

/// The signed-in user's transactions as CSV, oldest first: the import's columns with `note`, full
/// RFC 3339 times, money in currency units; importing it records the same transactions.
#[utoipa::path(get, path = "/api/portfolio/transactions.csv", tag = "portfolio",
    responses((status = 200, description = "text/csv: date,symbol,type,quantity,price,fee,amount,note", content_type = "text/csv"),
        (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
#[get("/portfolio/transactions.csv")]
pub async fn export(auth: Scoped<Markets>, db: &Db) -> ApiResult<CsvFile> {
    let rows = ledger::all_of(&db.read, auth.id()).await?;
    let mut out = record(&HEADER_WITH_NOTE.map(str::to_owned));
    let money = |v: Option<i64>| v.map(units).unwrap_or_default();
    for r in rows {
        out.push_str(&record(&[
            r.at,
            r.symbol,
            r.kind.as_str().to_owned(),
            r.quantity.map(|q| q.to_string()).unwrap_or_default(),
            money(r.price),
            money(r.fee),
            money(r.amount),
            r.note.unwrap_or_default(),
        ]));
    }
    Ok(CsvFile(out))
}

/// A CSV download.
pub struct CsvFile(String);

impl<'r> rocket::response::Responder<'r, 'static> for CsvFile {
    fn respond_to(self, req: &'r rocket::Request<'_>) -> rocket::response::Result<'static> {
        let mut res = self.0.respond_to(req)?;
        res.set_header(ContentType::new("text", "csv").with_params(("charset", "utf-8")));
        res.set_header(Header::new("Content-Disposition", "attachment; filename=\"transactions.csv\""));
        Ok(res)
    }
}
