//! `Body<T>`: the JSON request body guard. Rocket's `Json<T>` neither checks the content type nor
//! says which field was wrong, and the spec wants both.

use rocket::data::{self, Data, FromData, ToByteUnit};
use rocket::request::Request;
use serde::de::DeserializeOwned;

use crate::domain::Fields;
use crate::error::{stash, ApiError, ApiResult};
use crate::App;

/// The body must be a JSON object unless `LIST` says it is an array. The check is needed because
/// serde also reads a struct from an array of its fields in order, so `[]` would pass as a patch
/// that changes nothing.
pub struct Body<T, const LIST: bool = false>(pub T);

#[rocket::async_trait]
impl<'r, T: DeserializeOwned + Send, const LIST: bool> FromData<'r> for Body<T, LIST> {
    type Error = ApiError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        match read(req, data, LIST).await {
            Ok(v) => data::Outcome::Success(Body(v)),
            Err(e) => data::Outcome::Error(stash(req, e)),
        }
    }
}

async fn read<T: DeserializeOwned>(req: &Request<'_>, data: Data<'_>, list: bool) -> ApiResult<T> {
    let content_type = req.content_type();
    if content_type.is_some_and(|ct| !ct.is_json()) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let limit = req.rocket().state::<App>().map_or(65_536, |app| app.config.body_limit);
    let bytes =
        data.open(limit.bytes()).into_bytes().await.map_err(|e| ApiError::InvalidJson(e.to_string()))?;
    if !bytes.is_complete() {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let bytes = bytes.into_inner();
    // No body at all reads as `{}`, so missing fields are reported by name.
    let bytes: &[u8] = match (&content_type, bytes.is_empty()) {
        (None, true) => b"{}",
        (None, false) => return Err(ApiError::UnsupportedMediaType),
        _ => &bytes,
    };
    let mut value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::InvalidJson(e.to_string()))?;
    if !list && !value.is_object() {
        return Err(ApiError::field("body", "must be an object"));
    }
    whole_numbers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let (field, problem) = match inner.strip_prefix("missing field `") {
            Some(rest) => {
                let name = rest.trim_end_matches('`');
                let field = if path == "." { name.to_owned() } else { format!("{path}.{name}") };
                (field, "is required".to_owned())
            }
            None => (if path == "." { "body".to_owned() } else { path }, humanize(&inner)),
        };
        ApiError::field(&field, problem)
    })
}

/// JSON has one number type: `1999.0` is the integer 1999 (as JSON Schema's `integer` says), so
/// whole numbers written with a fraction or exponent become integers before integer fields are
/// read. `19.99` stays a fraction and is refused where an integer is wanted.
fn whole_numbers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            // Every f64 in this range converts exactly (i64::MAX itself is not an f64).
            const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && (-LIMIT..LIMIT).contains(f)) {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

/// serde's "invalid type: string \"x\", expected i64" → "must be an integer".
fn humanize(serde_message: &str) -> String {
    let expected = serde_message.rsplit_once("expected ").map(|(_, e)| e).unwrap_or_default();
    let kind = match expected {
        e if e.starts_with('i') || e.starts_with('u') && e.len() <= 5 => {
            if serde_message.contains("integer `-") {
                "must be a non-negative integer"
            } else {
                "must be an integer"
            }
        }
        "a string" => "must be a string",
        "a boolean" => "must be true or false",
        e if e.starts_with("a sequence") => "must be an array",
        e if e.starts_with("struct") || e.starts_with("a map") => "must be an object",
        _ => return serde_message.to_owned(),
    };
    kind.to_owned()
}

/// Most bytes a CSV import takes: about 50,000 transactions.
pub const CSV_LIMIT: u64 = 4 * 1024 * 1024;

/// A `text/csv` request body (415 for another type), UTF-8, at most `CSV_LIMIT` bytes.
pub struct Csv(pub String);

#[rocket::async_trait]
impl<'r> FromData<'r> for Csv {
    type Error = ApiError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let read = async {
            let csv = req.content_type().is_some_and(|ct| ct.top() == "text" && ct.sub() == "csv");
            if !csv {
                return Err(ApiError::UnsupportedMediaType);
            }
            let bytes = data
                .open(CSV_LIMIT.bytes())
                .into_bytes()
                .await
                .map_err(|e| ApiError::field("body", e.to_string()))?;
            if !bytes.is_complete() {
                return Err(ApiError::PayloadTooLarge(CSV_LIMIT));
            }
            String::from_utf8(bytes.into_inner()).map_err(|_| ApiError::field("body", "must be UTF-8 text"))
        };
        match read.await {
            Ok(text) => data::Outcome::Success(Csv(text)),
            Err(e) => data::Outcome::Error(stash(req, e)),
        }
    }
}

impl Csv {
    /// The data rows under a header that is one of `accepted` (names compared case-insensitively);
    /// answers which one and the rows, each with as many cells as the header. A problem is a 400
    /// naming `header`, or `[row]` (row 1 is the first line after the header).
    pub fn table(&self, accepted: &[&[&str]]) -> ApiResult<(usize, Vec<Vec<String>>)> {
        let mut records = crate::domain::csv::records(&self.0)
            .map_err(|(line, problem)| ApiError::field(&format!("[{}]", line.saturating_sub(1)), problem))?
            .into_iter();
        let header: Vec<String> =
            records.next().unwrap_or_default().iter().map(|h| h.trim().to_ascii_lowercase()).collect();
        let Some(which) =
            accepted.iter().position(|a| a.iter().copied().eq(header.iter().map(String::as_str)))
        else {
            let wanted: Vec<String> = accepted.iter().map(|a| a.join(",")).collect();
            return Err(ApiError::field("header", format!("must be {}", wanted.join(" or "))));
        };
        let mut rows = Vec::new();
        let mut f = Fields::default();
        for (i, r) in records.enumerate() {
            if r.len() != header.len() {
                f.add(
                    &format!("[{}]", i + 1),
                    format!("has {} fields; the header has {}", r.len(), header.len()),
                );
            }
            rows.push(r.into_iter().map(|c| c.trim().to_owned()).collect());
        }
        f.finish()?;
        Ok((which, rows))
    }
}
