//! Cross-cutting HTTP behaviour: one log line per request, and the headers every response carries.

use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{Header, Method};
use rocket::{Data, Request, Response};

use crate::error::RequestId;
use crate::App;

pub struct Http;

struct Started(Instant);

#[rocket::async_trait]
impl Fairing for Http {
    fn info(&self) -> Info {
        Info { name: "request log and security headers", kind: Kind::Request | Kind::Response }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        req.local_cache(|| Started(Instant::now()));
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let api = req.uri().path().starts_with("/api");
        if api && !matches!(req.method(), Method::Get | Method::Head | Method::Options) {
            // Its transaction is over: whatever it changed, cached reads are now stale.
            if let Some(app) = req.rocket().state::<App>() {
                app.reads.invalidate();
            }
        }
        let id = RequestId::of(req);
        res.set_header(Header::new("X-Content-Type-Options", "nosniff"));
        res.set_header(Header::new("Referrer-Policy", "no-referrer"));
        res.set_header(Header::new("X-Request-Id", id.to_owned()));
        // API answers may depend on who asks; none may be stored by a shared cache.
        if api && !res.headers().contains("Cache-Control") {
            res.set_header(Header::new("Cache-Control", "no-store"));
        }
        let ms = req.local_cache(|| Started(Instant::now())).0.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(
            target: "stockroom::http",
            "{} {} {} {:.1}ms id={}",
            req.method(),
            req.uri().path(),
            res.status().code,
            ms,
            id
        );
    }
}
