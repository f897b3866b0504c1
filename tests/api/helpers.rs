//! `TestApp`: the real application on a fresh temporary database, with typed request helpers.

use std::sync::Arc;

use rocket::figment::Figment;
use rocket::http::{ContentType, Header, Method};
use rocket::local::asynchronous::Client;
use rocket_db_pools::Database;
use serde_json::{json, Value};
use stockroom::config::Overrides;
use stockroom::db::engine::Param;
use stockroom::db::{Db, Pool};
use tempfile::TempDir;

use crate::postgres;

/// Strong enough for the default strength policy.
pub const PASSWORD: &str = "plum-sofa-riddle-42";

pub struct TestApp {
    pub client: Arc<Client>,
    _dir: TempDir,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn cookie(&self) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, v)| k.eq_ignore_ascii_case("set-cookie") && v.starts_with("stockroom_token="))
            .map(|(_, v)| v.clone())
    }

    /// The error code of an error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("<no error code>")
    }
}

/// A request under construction: who sends it, and how.
#[derive(Default, Clone)]
pub struct Req {
    pub token: Option<String>,
    pub cookie: Option<String>,
    pub headers: Vec<(String, String)>,
    pub remote: Option<String>,
}

impl Req {
    pub fn bearer(token: &str) -> Req {
        Req { token: Some(token.to_owned()), ..Req::default() }
    }

    pub fn cookie(token: &str) -> Req {
        Req { cookie: Some(token.to_owned()), ..Req::default() }
    }

    pub fn header(mut self, k: &str, v: &str) -> Req {
        self.headers.push((k.to_owned(), v.to_owned()));
        self
    }

    pub fn from(mut self, addr: &str) -> Req {
        self.remote = Some(addr.to_owned());
        self
    }
}

/// Binds `Param`s in order to any query of either engine.
macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut q = $query;
        for b in $binds {
            q = match b {
                Param::Int(v) => q.bind(*v),
                Param::Text(v) => q.bind(v.as_str()),
            };
        }
        q
    }};
}

/// Which engine a test's database is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// SQLite, or Postgres when `STOCKROOM_TEST_POSTGRES` is set: the whole suite runs on both.
    Either,
    /// SQLite whatever the environment: the test is about the SQLite file itself.
    SqliteOnly,
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with(|f| f).await
    }

    /// For tests about the SQLite file itself (pragmas, WAL, `backup`): they say so by using this.
    pub async fn sqlite_only() -> TestApp {
        TestApp::on(Engine::SqliteOnly, |f| f, |r| r).await
    }

    /// The app with test defaults (cheap argon2, no per-client auth limit) adjusted by `configure`.
    pub async fn with(configure: impl FnOnce(Figment) -> Figment) -> TestApp {
        TestApp::with_rocket(configure, |r| r).await
    }

    /// As `with`, letting the test change the assembled application (e.g. mount a probe route).
    pub async fn with_rocket(
        configure: impl FnOnce(Figment) -> Figment,
        adjust: impl FnOnce(rocket::Rocket<rocket::Build>) -> rocket::Rocket<rocket::Build>,
    ) -> TestApp {
        TestApp::on(Engine::Either, configure, adjust).await
    }

    pub async fn on(
        engine: Engine,
        configure: impl FnOnce(Figment) -> Figment,
        adjust: impl FnOnce(rocket::Rocket<rocket::Build>) -> rocket::Rocket<rocket::Build>,
    ) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let database = match (engine, postgres::server()) {
            (Engine::Either, Some(server)) => postgres::fresh_database(&server).await,
            _ => dir.path().join("test.db").to_string_lossy().into_owned(),
        };
        let figment = stockroom::config::figment(&Overrides::default())
            .merge(("database", &database))
            .merge(("argon2_memory_kib", 256))
            .merge(("argon2_iterations", 1))
            .merge(("auth_rate_limit", 0))
            .merge(("log_level", "off"));
        let rocket = adjust(stockroom::build(configure(figment)).expect("valid test configuration"));
        let client = Client::untracked(rocket).await.expect("the app ignites");
        TestApp { client: Arc::new(client), _dir: dir }
    }

    pub fn db(&self) -> &Db {
        Db::fetch(self.client.rocket()).expect("database attached")
    }

    pub async fn request(&self, method: Method, path: &str, req: &Req, body: Option<Value>) -> Resp {
        let mut r = self.client.req(method, path.to_owned());
        if let Some(t) = &req.token {
            r = r.header(Header::new("Authorization", format!("Bearer {t}")));
        }
        if let Some(c) = &req.cookie {
            r = r.cookie(rocket::http::Cookie::new("stockroom_token", c.clone()));
        }
        for (k, v) in &req.headers {
            r = r.header(Header::new(k.clone(), v.clone()));
        }
        if let Some(addr) = &req.remote {
            r = r.remote(addr.parse().unwrap());
        }
        if let Some(b) = body {
            r = r.header(ContentType::JSON).body(b.to_string());
        }
        let res = r.dispatch().await;
        let status = res.status().code;
        let headers = res.headers().iter().map(|h| (h.name().to_string(), h.value().to_string())).collect();
        let text = res.into_string().await.unwrap_or_default();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Resp { status, body, headers }
    }

    /// POSTs `text` as `text/csv`.
    pub async fn post_csv(&self, path: &str, req: &Req, text: &str) -> Resp {
        let mut r = self.client.post(path.to_owned()).header(ContentType::CSV).body(text);
        if let Some(t) = &req.token {
            r = r.header(Header::new("Authorization", format!("Bearer {t}")));
        }
        let res = r.dispatch().await;
        let status = res.status().code;
        let headers = res.headers().iter().map(|h| (h.name().to_string(), h.value().to_string())).collect();
        let text = res.into_string().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Resp { status, body, headers }
    }

    pub async fn get(&self, path: &str, req: &Req) -> Resp {
        self.request(Method::Get, path, req, None).await
    }

    pub async fn post(&self, path: &str, req: &Req, body: Value) -> Resp {
        self.request(Method::Post, path, req, Some(body)).await
    }

    pub async fn put(&self, path: &str, req: &Req, body: Value) -> Resp {
        self.request(Method::Put, path, req, Some(body)).await
    }

    pub async fn patch(&self, path: &str, req: &Req, body: Value) -> Resp {
        self.request(Method::Patch, path, req, Some(body)).await
    }

    pub async fn delete(&self, path: &str, req: &Req) -> Resp {
        self.request(Method::Delete, path, req, None).await
    }

    /// Signs up `name` (as username, with email `name@example.com`); returns (token, user).
    pub async fn signup(&self, name: &str) -> (String, Value) {
        let r = self
            .post(
                "/api/auth/signup",
                &Req::default(),
                json!({"email": format!("{name}@example.com"), "username": name, "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, 201, "signup of {name} failed: {:?}", r.body);
        (r.body["token"].as_str().unwrap().to_owned(), r.body["user"].clone())
    }

    pub async fn login(&self, login: &str, password: &str) -> Resp {
        self.post("/api/auth/login", &Req::default(), json!({"login": login, "password": password})).await
    }

    /// A signed-up user whose role or permissions are set directly in the database.
    pub async fn user_with(&self, name: &str, role: &str, permissions: &[&str]) -> (String, Value) {
        let (token, user) = self.signup(name).await;
        let id = user["id"].as_i64().unwrap();
        self.exec(
            "UPDATE users SET role = $1, permissions = $2 WHERE id = $3",
            &[role.into(), permissions.join(",").into(), id.into()],
        )
        .await;
        (token, user)
    }

    /// Runs one statement directly on the database (either engine), with `$n` binds.
    pub async fn exec(&self, sql: &str, binds: &[Param]) {
        match &self.db().write {
            Pool::Sqlite(p) => bind_all!(sqlx::query(sql), binds).execute(p).await.map(drop),
            Pool::Postgres(p) => bind_all!(sqlx::query(sql), binds).execute(p).await.map(drop),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The text one query answers (either engine), with `$n` binds.
    pub async fn text(&self, sql: &str, binds: &[Param]) -> String {
        match &self.db().read {
            Pool::Sqlite(p) => bind_all!(sqlx::query_scalar(sql), binds).fetch_one(p).await,
            Pool::Postgres(p) => bind_all!(sqlx::query_scalar(sql), binds).fetch_one(p).await,
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub fn on_postgres(&self) -> bool {
        matches!(self.db().write, Pool::Postgres(_))
    }

    /// The SQLite pools of a `sqlite_only` app.
    pub fn sqlite(&self) -> (&sqlx::SqlitePool, &sqlx::SqlitePool) {
        match (&self.db().read, &self.db().write) {
            (Pool::Sqlite(r), Pool::Sqlite(w)) => (r, w),
            _ => panic!("a SQLite-only test must use TestApp::sqlite_only"),
        }
    }

    pub async fn admin(&self, name: &str) -> String {
        self.user_with(name, "admin", &[]).await.0
    }

    pub async fn count(&self, sql: &str) -> i64 {
        match &self.db().read {
            Pool::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await,
            Pool::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

/// Asserts an error response: status, code, and that the body has the spec's shape.
#[track_caller]
pub fn assert_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "unexpected status, body: {}", r.body);
    assert_eq!(r.code(), code, "unexpected code, body: {}", r.body);
    let err = &r.body["error"];
    assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()), "no message: {}", r.body);
    assert!(err.get("fields").is_some(), "no fields key: {}", r.body);
    assert_eq!(r.header("content-type"), Some("application/json"), "error not JSON");
}

/// The `fields` of a 400.
pub fn fields(r: &Resp) -> &serde_json::Map<String, Value> {
    r.body["error"]["fields"].as_object().unwrap_or_else(|| panic!("no fields in {}", r.body))
}
