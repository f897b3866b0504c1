//! The embedded web app: content types, CSP, caching, client-side-route fallback.

use crate::helpers::{Req, TestApp};

#[rocket::async_test]
async fn index_and_app_routes_serve_the_app_with_a_strict_csp() {
    let app = TestApp::new().await;
    for path in ["/", "/catalog", "/products/12", "/admin/users"] {
        let r = app.get(path, &Req::default()).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("Content-Type"), Some("text/html; charset=utf-8"), "{path}");
        assert_eq!(r.header("Cache-Control"), Some("no-cache"), "index.html is revalidated");
        let csp = r.header("Content-Security-Policy").unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("style-src 'self'") && !csp.contains("unsafe")
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        let html = r.body.as_str().unwrap();
        assert!(html.contains("<script type=\"module\" src=\"/app.js?v="), "versioned asset URLs");
        assert!(!html.contains("<script>") && !html.contains(" style=\""), "no inline script or style");
    }
}

#[rocket::async_test]
async fn assets_have_types_and_versioned_ones_are_immutable() {
    let app = TestApp::new().await;
    let index = app.get("/", &Req::default()).await;
    let html = index.body.as_str().unwrap();
    let start = html.find("/app.css?v=").expect("stylesheet link");
    let url: String = html[start..].chars().take_while(|c| *c != '"').collect();

    let r = app.get(&url, &Req::default()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("text/css; charset=utf-8"));
    assert_eq!(r.header("Cache-Control"), Some("public, max-age=31536000, immutable"));

    let r = app.get("/app.css?v=stale", &Req::default()).await;
    assert_eq!(r.header("Cache-Control"), Some("no-cache"), "a stale version is not pinned");
    let etag = r.header("ETag").unwrap().to_owned();
    let r = app.get("/app.css", &Req::default().header("If-None-Match", &etag)).await;
    assert_eq!(r.status, 304);

    let r = app.get("/js/api.js", &Req::default()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("text/javascript"));
    assert_eq!(app.get("/favicon.svg", &Req::default()).await.header("Content-Type"), Some("image/svg+xml"));
}

#[rocket::async_test]
async fn unknown_asset_paths_are_404_and_api_paths_never_fall_back() {
    let app = TestApp::new().await;
    let r = app.get("/missing.js", &Req::default()).await;
    assert_eq!(r.status, 404);
    assert_eq!(app.get("/js/nope.css", &Req::default()).await.status, 404);
    let r = app.get("/api/not-a-route", &Req::default()).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), "not_found", "JSON, not the app");
}
