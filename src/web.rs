//! The web app: files under `web/`, embedded in the binary, served at `/` with a strict CSP.
//! Unknown paths without a file extension get `index.html` (client-side routing); unknown asset
//! paths are 404.

use std::path::PathBuf;

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

/// An embedded file, revalidated by ETag on every use.
pub struct Asset {
    name: String,
    file: rust_embed::EmbeddedFile,
}

pub fn asset(name: &str) -> Option<Asset> {
    Files::get(name).map(|file| Asset { name: name.to_owned(), file })
}

impl<'r> Responder<'r, 'static> for Asset {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let etag = format!("\"{}\"", hex::encode(&self.file.metadata.sha256_hash()[..16]));
        let ext = self.name.rsplit_once('.').map_or("", |(_, e)| e);
        let content_type = ContentType::from_extension(ext).unwrap_or(ContentType::Binary);
        let mut res = Response::build();
        res.header(content_type)
            .header(Header::new("ETag", etag.clone()))
            .header(Header::new("Cache-Control", "no-cache"))
            .header(Header::new("Content-Security-Policy", CSP))
            .header(Header::new("X-Frame-Options", "DENY"));
        if req.headers().get("If-None-Match").any(|v| v == etag) {
            return res.status(Status::NotModified).ok();
        }
        let body = self.file.data.into_owned();
        res.sized_body(body.len(), std::io::Cursor::new(body)).ok()
    }
}

#[get("/")]
fn index() -> Option<Asset> {
    asset("index.html")
}

#[get("/<path..>", rank = 20)]
fn file(path: PathBuf) -> Option<Asset> {
    let name = path.to_str()?.to_owned();
    if name == "api" || name.starts_with("api/") {
        return None;
    }
    match asset(&name) {
        Some(a) => Some(a),
        None if path.extension().is_none() => asset("index.html"),
        None => None,
    }
}

#[catch(404)]
pub fn not_found() -> (Status, (ContentType, &'static str)) {
    (Status::NotFound, (ContentType::Plain, "Not found"))
}
