//! The web app: files under `web/`, embedded in the binary, served at `/` with a strict CSP.
//! Unknown paths without a file extension get `index.html` (client-side routing); unknown asset
//! paths are 404.

use std::path::PathBuf;
use std::sync::OnceLock;

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket::{catch, get};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "web/"]
struct Files;

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: https:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    frame-ancestors 'none'; form-action 'self'";

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![index, file]
}

/// An embedded file. `index.html` is revalidated on every use (ETag); the assets it references
/// carry `?v=<content hash>` and are cached for a year, since a new build changes the URL.
pub struct Asset {
    name: String,
    file: rust_embed::EmbeddedFile,
    immutable: bool,
}

pub fn asset(name: &str) -> Option<Asset> {
    Files::get(name).map(|file| Asset { name: name.to_owned(), file, immutable: false })
}

fn version(file: &rust_embed::EmbeddedFile) -> String {
    hex::encode(&file.metadata.sha256_hash()[..8])
}

/// `index.html` with every reference to an embedded file (`"/app.js"`) pointed at its versioned URL.
fn versioned_index() -> &'static [u8] {
    static INDEX: OnceLock<Vec<u8>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let Some(index) = Files::get("index.html") else { return Vec::new() };
        let mut html = String::from_utf8_lossy(&index.data).into_owned();
        for name in Files::iter().filter(|n| !n.ends_with(".html")) {
            if let Some(file) = Files::get(&name) {
                html = html.replace(&format!("\"/{name}\""), &format!("\"/{name}?v={}\"", version(&file)));
            }
        }
        html.into_bytes()
    })
}

impl<'r> Responder<'r, 'static> for Asset {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let etag = format!("\"{}\"", version(&self.file));
        let body: Vec<u8> =
            if self.name == "index.html" { versioned_index().to_vec() } else { self.file.data.into_owned() };
        let ext = self.name.rsplit_once('.').map_or("", |(_, e)| e);
        let content_type = ContentType::from_extension(ext).unwrap_or(ContentType::Binary);
        let cache = if self.immutable { "public, max-age=31536000, immutable" } else { "no-cache" };
        let mut res = Response::build();
        res.header(content_type)
            .header(Header::new("ETag", etag.clone()))
            .header(Header::new("Cache-Control", cache))
            .header(Header::new("Content-Security-Policy", CSP))
            .header(Header::new("X-Frame-Options", "DENY"));
        if req.headers().get("If-None-Match").any(|v| v == etag) {
            return res.status(Status::NotModified).ok();
        }
        res.sized_body(body.len(), std::io::Cursor::new(body)).ok()
    }
}

#[get("/")]
fn index() -> Option<Asset> {
    asset("index.html")
}

/// A file by path; paths without an extension that name no file are app routes (index.html);
/// `?v=` equal to the file's content hash makes the response immutable.
#[get("/<path..>?<v>", rank = 20)]
fn file(path: PathBuf, v: Option<&str>) -> Option<Asset> {
    let name = path.to_str()?.to_owned();
    if name == "api" || name.starts_with("api/") {
        return None;
    }
    match asset(&name) {
        Some(mut a) => {
            a.immutable = v.is_some_and(|v| v == version(&a.file));
            Some(a)
        }
        None if path.extension().is_none() => asset("index.html"),
        None => None,
    }
}

/// Every failure outside `/api` — a missing file, a path Rocket can't even parse (`/.env` is a
/// 422 from its path guard), anything else — is our own small page under the same CSP, never
/// the framework's.
#[catch(default)]
pub fn not_found(status: Status, _req: &Request<'_>) -> ErrorPage {
    ErrorPage(if status == Status::UnprocessableEntity { Status::NotFound } else { status })
}

pub struct ErrorPage(Status);

impl<'r> Responder<'r, 'static> for ErrorPage {
    fn respond_to(self, _req: &'r Request<'_>) -> response::Result<'static> {
        let (title, text) = match self.0.code {
            404 => ("Not found", "There is nothing at this address."),
            c if c >= 500 => ("Something went wrong", "Something went wrong on our side; try again shortly."),
            _ => ("Request refused", "This request could not be handled."),
        };
        let html = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} · Stockroom</title>\
             <link rel=\"stylesheet\" href=\"/app.css\"></head><body><main class=\"error-page\">\
             <h1>{title}</h1><p>{text}</p><p><a href=\"/\">Go to Stockroom</a></p></main></body></html>"
        );
        Response::build()
            .status(self.0)
            .header(ContentType::HTML)
            .header(Header::new("Content-Security-Policy", CSP))
            .header(Header::new("X-Frame-Options", "DENY"))
            .header(Header::new("Cache-Control", "no-cache"))
            .sized_body(html.len(), std::io::Cursor::new(html))
            .ok()
    }
}
