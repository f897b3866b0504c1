//! JSON Schema for request fields whose rules a plain type can't state: each function describes
//! exactly what one parser accepts (`domain::text`, `Email::parse`, `Symbol::parse`...), so
//! that a schema-driven client (or fuzzer) can tell a valid request from an invalid one.
//!
//! The parsers trim Unicode whitespace before checking, so the patterns allow it around the
//! value. Classes are spelled with `\uXXXX` escapes, which ECMA, Python and Rust regexes all
//! read the same way.

use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

/// What `str::trim` removes (Unicode White_Space).
const WS: &str = r"\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// What `char::is_control` refuses (Unicode Cc).
const CONTROL: &str = r"\u0000-\u001f\u007f-\u009f";

fn string(pattern: String, nullable: bool, description: &str) -> Object {
    let ty = if nullable { SchemaType::from_iter([Type::String, Type::Null]) } else { Type::String.into() };
    ObjectBuilder::new().schema_type(ty).pattern(Some(pattern)).description(Some(description)).build()
}

/// `domain::text(_, max)`: after trimming, 1..=max characters and no control characters.
fn text_core(max: usize) -> String {
    format!("[^{WS}{CONTROL}](?:[^{CONTROL}]{{0,{}}}[^{WS}{CONTROL}])?", max - 2)
}

/// A required text of at most `max` characters.
fn text(max: usize, nullable: bool) -> Object {
    let description = format!("1 to {max} characters (trimmed), no control characters.");
    string(format!("^[{WS}]*{}[{WS}]*$", text_core(max)), nullable, &description)
}

/// Optional text: blank means none.
fn blank_or_text(max: usize, nullable: bool) -> Object {
    let description = format!("At most {max} characters (trimmed), no control characters; blank for none.");
    string(format!("^[{WS}]*(?:{}[{WS}]*)?$", text_core(max)), nullable, &description)
}

/// A blank query value, which means the parameter is absent (`Query::text`).
pub fn blank() -> Object {
    string(format!("^[{WS}]*$"), false, "Blank: the same as leaving the parameter out.")
}

/// A display name; in a patch, null leaves it unchanged.
pub fn display_name() -> Object {
    text(100, true)
}

/// A display name at signup: blank or null for the default.
pub fn display_name_or_blank() -> Object {
    blank_or_text(100, true)
}

/// `Username::parse`, where blank or null means none.
pub fn username_or_blank() -> Object {
    let description = "3 to 32 letters, digits, `_`, `.` or `-`; blank or null for none.";
    string(format!("^[{WS}]*(?:[A-Za-z0-9_.-]{{3,32}}[{WS}]*)?$"), true, description)
}

/// The ASCII addresses `Email::parse` accepts (it also takes non-ASCII letters and digits).
fn email_pattern() -> String {
    let atom = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";
    let label = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    format!("^[{WS}]*{atom}{{1,32}}(?:\\.{atom}{{1,31}})?@{label}(?:\\.{label})+[{WS}]*$")
}

fn email_schema(nullable: bool) -> Object {
    let mut o = string(email_pattern(), nullable, "An email address, at most 254 characters.");
    o.max_length = Some(254);
    o
}

pub fn email() -> Object {
    email_schema(false)
}

/// In a patch: null leaves it unchanged.
pub fn email_or_null() -> Object {
    email_schema(true)
}

/// `login`/`email`/`username` at login: anything but blank.
pub fn login() -> Object {
    string(format!("[^{WS}]"), false, "A username or an email address.")
}

/// `catalog::description`: blank or null for none; newlines and tabs are allowed inside.
pub fn description() -> Object {
    let inner = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f";
    let pattern = format!("^[{WS}]*(?:[^{WS}{CONTROL}](?:[^{inner}]*[^{WS}{CONTROL}])?[{WS}]*)?$");
    let mut o = string(pattern, true, "At most 5000 characters; blank or null for none.");
    o.max_length = Some(5000);
    o
}

pub fn category_name() -> Object {
    text(100, false)
}

/// A product name: required in a whole product, never null in a patch.
pub fn product_name() -> Object {
    text(200, false)
}

/// `catalog::ImageUrl`: an http(s) URL with a host, or a site-relative path (not `//`), without
/// whitespace, control characters or backslashes; blank or null for none.
pub fn image_url() -> Object {
    let ok = format!(r"[^{WS}{CONTROL}\\]");
    let host = format!(r"[^{WS}{CONTROL}\\/?#]");
    let url = format!("(?:[hH][tT][tT][pP][sS]?://{host}{ok}*|/(?:[^{WS}{CONTROL}\\\\/]{ok}*)?)");
    let mut o = string(
        format!("^[{WS}]*(?:{url}[{WS}]*)?$"),
        true,
        "`http(s)://host/...` or a site-relative path `/...`, at most 2048 characters; blank or null for none.",
    );
    o.max_length = Some(2048);
    o
}

/// `assets::Symbol`: 1–10 of A–Z, 0–9, `.` and `-`, any case.
pub fn symbol() -> Object {
    string(
        format!("^[{WS}]*[A-Za-z0-9.-]{{1,10}}[{WS}]*$"),
        false,
        "1 to 10 of A-Z, 0-9, `.` and `-` (stored uppercase).",
    )
}

/// In a patch: null leaves it unchanged.
pub fn symbol_or_null() -> Object {
    let mut o = symbol();
    o.schema_type = SchemaType::from_iter([Type::String, Type::Null]);
    o
}

/// `assets::Rating`, blank or null for none.
pub fn rating_or_blank() -> Object {
    let description = "1 to 5 of A-Z, 0-9, `+` and `-` (stored uppercase); blank or null for none.";
    string(format!("^[{WS}]*(?:[A-Za-z0-9+-]{{1,5}}[{WS}]*)?$"), true, description)
}

/// The screener's `rating` filter: up to 30 comma-separated ratings.
pub fn rating_filter() -> Object {
    let one = format!("[{WS}]*[A-Za-z0-9+-]{{1,5}}[{WS}]*");
    let mut o = string(format!("^(?:[{WS}]*|{one}(?:,{one}){{0,29}})$"), false, "");
    o.description = None;
    o
}

pub fn asset_name() -> Object {
    text(100, false)
}

/// In a patch: null leaves it unchanged.
pub fn asset_name_or_null() -> Object {
    text(100, true)
}

pub fn sector_or_blank() -> Object {
    blank_or_text(50, true)
}
