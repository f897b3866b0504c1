//! Cross-cutting HTTP behaviour: the headers every response carries, and one log line per request.

use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Data, Request, Response};

use crate::error::RequestId;
use crate::App;

/// `nosniff`, `no-referrer`, the request id, and `no-store` on API answers.
pub struct SecurityHeaders;

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info { name: "security headers", kind: Kind::Response }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        res.set_header(Header::new("X-Content-Type-Options", "nosniff"));
        res.set_header(Header::new("Referrer-Policy", "no-referrer"));
        res.set_header(Header::new("X-Request-Id", RequestId::of(req).to_owned()));
        // API answers may depend on who asks; none may be stored by a shared cache.
        if req.uri().path().starts_with("/api") && !res.headers().contains("Cache-Control") {
            res.set_header(Header::new("Cache-Control", "no-store"));
        }
    }
}

/// `METHOD /path STATUS 1.2ms id=REQUEST_ID` at info level, target `stockroom::http`, and the
/// request's count and latency in the metrics.
pub struct RequestLog;

struct Started(Instant);

#[rocket::async_trait]
impl Fairing for RequestLog {
    fn info(&self) -> Info {
        Info { name: "request log", kind: Kind::Request | Kind::Response }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        req.local_cache(|| Started(Instant::now()));
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let took = req.local_cache(|| Started(Instant::now())).0.elapsed();
        if let Some(app) = req.rocket().state::<App>() {
            let route = req.route().map(|r| r.uri.as_str().to_owned());
            app.metrics.request(req.method().as_str(), route, res.status().code, took);
        }
        let ms = took.as_secs_f64() * 1000.0;
        tracing::info!(
            target: "stockroom::http",
            "{} {} {} {:.1}ms id={}",
            req.method(),
            req.uri().path(),
            res.status().code,
            ms,
            RequestId::of(req)
        );
    }
}
