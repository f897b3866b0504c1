//! End-to-end: the real binary, driven through headless Chromium (Debian's `chromium` and
//! `chromium-driver`) by WebDriver. Screenshots of the main pages land in
//! `target/tmp/screenshots/`. These need a browser, so they are ignored by a plain `cargo test`;
//! CI installs Chromium and runs them (`cargo test --test e2e -- --ignored --test-threads=1`).

#[path = "common/server.rs"]
mod server;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use server::{cmd, Server};

const PASSWORD: &str = "plum-sofa-riddle-42";
const WAIT: Duration = Duration::from_secs(15);

struct Browser {
    client: Client,
    driver: Child,
    base: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn open(server: &Server) -> Browser {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (apt-get install chromium chromium-driver)");
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--lang=en-US", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": {"intl.accept_languages": "en-US"}
            }
        });
        let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps.as_object().unwrap().clone());
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..50 {
            match builder.connect(&url).await {
                Ok(client) => {
                    return Browser {
                        client,
                        driver,
                        base: format!("http://{}", server.addr),
                        _profile: profile,
                    }
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("could not start a WebDriver session: {last:?}");
    }

    async fn goto(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    /// Waits until the app has rendered `page` and loaded its data.
    async fn ready(&self, page: &str) {
        let css = format!("body[data-page='{page}'][data-ready='1']");
        if let Err(e) = self.client.wait().at_most(WAIT).for_element(Locator::Css(&css)).await {
            self.shot(&format!("failed-{page}")).await;
            let now: Value = self.client.execute("return document.body.dataset.page", vec![]).await.unwrap();
            panic!("page {page} never became ready (now on {now}): {e}");
        }
    }

    async fn el(&self, test: &str) -> fantoccini::elements::Element {
        let css = format!("[data-test='{test}']");
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(&css))
            .await
            .unwrap_or_else(|e| panic!("{test}: {e}"))
    }

    async fn fill(&self, test: &str, text: &str) {
        let e = self.el(test).await;
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    async fn click(&self, test: &str) {
        self.el(test).await.click().await.unwrap();
    }

    async fn text(&self, test: &str) -> String {
        self.el(test).await.text().await.unwrap()
    }

    async fn count(&self, css: &str) -> usize {
        self.client.find_all(Locator::Css(css)).await.unwrap().len()
    }

    async fn shot(&self, name: &str) {
        let dir = screenshots();
        std::fs::create_dir_all(&dir).unwrap();
        if let Ok(png) = self.client.screenshot().await {
            std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
        }
    }

    async fn login(&self, login: &str) {
        self.goto("/login").await;
        self.ready("login").await;
        self.fill("login-identifier", login).await;
        self.fill("login-password", PASSWORD).await;
        self.click("login-submit").await;
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css("body:not([data-page='login'])[data-ready='1']"))
            .await
            .unwrap();
    }

    async fn logout(&self) {
        self.click("nav-logout").await;
        self.client.wait().at_most(WAIT).for_element(Locator::Css("[data-test='nav-login']")).await.unwrap();
    }

    async fn close(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
}

fn with_admin() -> (tempfile::TempDir, Server, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e2e.db");
    let mut c = cmd(&db);
    c.args(["admin", "create", "--email", "boss@example.com", "--username", "boss", "--password-stdin"]);
    let mut child = c.stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), format!("{PASSWORD}\n").as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    let server = Server::start_with(&db, &[("STOCKROOM_AUTH_RATE_LIMIT", "0")]);
    let token = server.login("boss", PASSWORD).1["token"].as_str().unwrap().to_owned();
    (dir, server, token)
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver; CI runs it with --ignored"]
async fn a_new_user_shops_and_an_admin_adds_the_product() {
    let (_dir, server, _) = with_admin();
    let b = Browser::open(&server).await;

    // The admin adds a category and a product through the admin pages.
    b.login("boss").await;
    b.goto("/admin/categories").await;
    b.ready("admin-categories").await;
    b.fill("admin-category-name", "Kitchen").await;
    b.click("admin-category-submit").await;
    b.client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-test='admin-category-row']"))
        .await
        .unwrap();
    b.goto("/admin/products").await;
    b.ready("admin-products").await;
    b.fill("admin-product-name", "Blue Mug").await;
    b.fill("admin-product-description", "Stoneware, 350 ml.").await;
    b.fill("admin-product-price", "12.50").await;
    b.fill("admin-product-quantity", "3").await;
    b.el("admin-product-category").await.select_by_value("1").await.unwrap();
    b.click("admin-product-submit").await;
    b.client.wait().at_most(WAIT).for_element(Locator::Css("[data-test='admin-product-row']")).await.unwrap();
    b.ready("admin-products").await;
    b.shot("admin-products").await;
    b.logout().await;

    // A new user signs up, finds it, buys two, and sees the order.
    b.goto("/signup").await;
    b.ready("signup").await;
    b.fill("signup-email", "shopper@example.com").await;
    b.fill("signup-username", "shopper").await;
    b.fill("signup-password", PASSWORD).await;
    b.click("signup-submit").await;
    b.client.wait().at_most(WAIT).for_element(Locator::Css("[data-test='nav-logout']")).await.unwrap();
    b.goto("/catalog").await;
    b.ready("catalog").await;
    b.fill("catalog-search", "blue").await;
    b.click("catalog-apply").await;
    b.ready("catalog").await;
    assert_eq!(b.count("[data-test='product-card']").await, 1);
    assert!(b.text("product-price").await.contains("$12.50"));
    b.shot("catalog").await;
    b.click("add-to-cart").await;
    b.ready("catalog").await;
    b.click("add-to-cart").await;
    b.ready("catalog").await;
    b.goto("/cart").await;
    b.ready("cart").await;
    assert!(b.text("cart-total").await.contains("$25.00"), "cart total: {}", b.text("cart-total").await);
    b.shot("cart").await;
    b.click("checkout").await;
    b.client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("body[data-page='order'][data-ready='1']"))
        .await
        .unwrap();
    b.goto("/orders").await;
    b.ready("orders").await;
    let row = b.el("order-row").await;
    assert_eq!(row.attr("data-status").await.unwrap().as_deref(), Some("pending"));
    assert!(b.text("order-total").await.contains("$25.00"));
    b.shot("orders").await;

    // Signed out, pages that need a session send the user to log in.
    b.logout().await;
    b.goto("/cart").await;
    b.ready("login").await;
    b.shot("login").await;
    b.close().await;
    // And the stock really moved.
    let (_, page) = server.call("GET", "/api/products?q=Blue", None, None);
    assert_eq!(page["items"][0]["quantity"], 1);
    assert_eq!(page["items"][0]["category"]["name"], "Kitchen");
    server.stop();
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver; CI runs it with --ignored"]
async fn the_screener_filters_and_the_portfolio_shows_profit() {
    let (_dir, server, admin) = with_admin();
    for (symbol, name, price, cap, rating, sector) in [
        ("AAA", "Alpha Corp", 10_000, 5_000_000, "AA", "Tech"),
        ("BBB", "Beta Mills", 5_000, 900_000, "B", "Industry"),
        ("CCC", "Gamma Energy", 20_000, 7_000_000, "A", "Energy"),
    ] {
        let body = json!({"symbol": symbol, "name": name, "price": price, "marketCap": cap, "rating": rating, "sector": sector});
        let (status, created) = server.call("POST", "/api/assets", Some(&admin), Some(body));
        assert_eq!(status, 201, "{created}");
    }
    let b = Browser::open(&server).await;
    b.goto("/signup").await;
    b.ready("signup").await;
    b.fill("signup-email", "investor@example.com").await;
    b.fill("signup-password", PASSWORD).await;
    b.click("signup-submit").await;
    b.client.wait().at_most(WAIT).for_element(Locator::Css("[data-test='nav-logout']")).await.unwrap();

    b.goto("/markets").await;
    b.ready("markets").await;
    assert_eq!(b.count("[data-test='asset-row']").await, 3);
    b.fill("screener-min-price", "100").await;
    b.click("screener-apply").await;
    b.ready("markets").await;
    let mut symbols = Vec::new();
    for row in b.client.find_all(Locator::Css("[data-test='asset-row']")).await.unwrap() {
        symbols.push(row.attr("data-symbol").await.unwrap().unwrap());
    }
    symbols.sort();
    assert_eq!(symbols, ["AAA", "CCC"]);
    b.shot("markets").await;

    b.goto("/portfolio").await;
    b.ready("portfolio").await;
    b.fill("holding-form-symbol", "AAA").await;
    b.fill("holding-form-quantity", "2").await;
    b.fill("holding-form-cost-basis", "150.00").await;
    b.click("holding-form-submit").await;
    b.client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-test='holding-row'][data-symbol='AAA']"))
        .await
        .unwrap();
    b.ready("portfolio").await;
    let profit = b.text("portfolio-total-profit").await;
    assert!(profit.contains("50.00") && profit.contains('+'), "profit shown: {profit}");
    assert!(b.text("portfolio-total-percentage").await.contains("33.33"));
    assert_eq!(b.count("[data-test='portfolio-chart']").await, 1);
    b.shot("portfolio").await;
    b.goto("/account").await;
    b.ready("account").await;
    assert_eq!(b.count("[data-test='session-row'][data-current='1']").await, 1);
    b.shot("account").await;
    b.close().await;
    server.stop();
}
