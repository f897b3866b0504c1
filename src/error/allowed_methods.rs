//! Which methods an API path has, from the mounted routes: the `Allow` header of a 405.

use rocket::http::Method;
use rocket::request::Request;

/// For a 404: the methods of the routes matching this path, unless one has the request's method.
pub fn allowed_methods(req: &Request<'_>) -> Option<String> {
    route_methods(req).filter(|allow| !allow.split(", ").any(|m| m == req.method().as_str()))
}

/// The methods of the mounted API routes whose path matches this request's, if any.
pub fn route_methods(req: &Request<'_>) -> Option<String> {
    let path: Vec<&str> = req.uri().path().segments().collect();
    let mut methods: Vec<Method> =
        // Only API routes: the web app's catch-all `GET /<path..>` would match anything.
        req.rocket()
            .routes()
            .filter(|r| r.uri.path().starts_with("/api/") && path_matches(r.uri.path(), &path))
            .map(|r| r.method)
            .collect();
    if methods.is_empty() {
        return None;
    }
    if methods.contains(&Method::Get) {
        methods.push(Method::Head);
    }
    methods.sort_by_key(|m| m.as_str());
    methods.dedup();
    Some(methods.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", "))
}

fn path_matches(pattern: &str, path: &[&str]) -> bool {
    let pat: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    if pat.last().is_some_and(|s| s.ends_with("..>")) {
        return path.len() >= pat.len() - 1
            && pat[..pat.len() - 1].iter().zip(path).all(|(p, s)| seg_matches(p, s));
    }
    pat.len() == path.len() && pat.iter().zip(path).all(|(p, s)| seg_matches(p, s))
}

/// Every dynamic segment of an API route is an integer id, so `/api/assets/prices` is not an
/// asset path and a PATCH there is a 405 (Allow: PUT), not a 404 for an asset called "prices".
fn seg_matches(pattern: &str, seg: &str) -> bool {
    if pattern.ends_with("..>") {
        return true;
    }
    if pattern.starts_with('<') && pattern.ends_with('>') {
        return seg.parse::<i64>().is_ok();
    }
    pattern == seg
}
