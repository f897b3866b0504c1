#!/usr/bin/env python3
"""Stockroom soak test: mixed traffic against the real binary for a while, then PASS/FAIL.

    python3 benches/soak.py                  # 5 minutes (the issue's soak)
    python3 benches/soak.py --duration 60    # the CI version

Uses target/release/stockroom if it exists, else target/debug/stockroom (or --binary PATH); it
builds nothing. Starts the server on 127.0.0.1 on a free port with a fresh temporary database
(STOCKROOM_AUTH_RATE_LIMIT=0 and STOCKROOM_LOGIN_MAX_FAILURES=0: the soak is one client), creates an
admin with the CLI, seeds a small catalog and asset list through the API, and runs --workers threads
(default 8), each with its own users, looping over a weighted mix of browse (product list/search/
detail, categories), cart (add, update, remove, view), orders (place, with and without an
Idempotency-Key and a retry of it, list, cancel), accounts (login, logout, me) and markets (screener,
asset detail, portfolio, watchlist). An admin thread restocks products (PATCH /api/products/:id) and
moves asset prices (PUT /api/assets/prices) every couple of seconds, so orders keep flowing.

Every status is counted. 4xx answers that the mix provokes on purpose (409 insufficient_stock or
already-held, 404 for a line no longer in the cart, ...) are normal outcomes; the checks are:

  * zero 5xx responses and zero transport errors (refused/reset connections, timeouts);
  * no "database is locked" (nor "panicked") in the server's log;
  * RSS flat after warm-up: the mean VmRSS over the last 10% of the run is at most 10% above the mean
    over the 10% of the run right after warm-up (warm-up = the first 20%);
  * the invariants the traffic can see: a logged-out token is refused at once, and a retried
    Idempotency-Key returns the first order.

Prints a summary, writes target/soak/results.json (and keeps the server log as
target/soak/server.log), and exits 1 on FAIL. The server is always stopped. Python 3 standard
library only; traffic goes only to 127.0.0.1.
"""

import argparse
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from harness import Server, ServerError, server_env

ROOT = Path(__file__).resolve().parent.parent
TARGET_DIR = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
OUT_DIR = ROOT / "target" / "soak"
ADMIN_PASSWORD = "soak-admin-Quartz-42"
USER_PASSWORD = "soak-user-Lantern-77"
CATEGORIES, PRODUCTS, ASSETS, USERS_PER_WORKER = 6, 60, 40, 3
STOCK, LOW_STOCK = 500, 100
# The first few products are scarce (a handful in stock, restocked only when sold out), so
# shoppers race for the last items and some carts and orders are refused with 409.
SCARCE_PRODUCTS, SCARCE_STOCK = 5, 4
WARMUP_FRACTION, WINDOW_FRACTION, RSS_TOLERANCE = 0.20, 0.10, 0.10


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class SoakError(ServerError):
    pass


def default_binary():
    for profile in ("release", "debug"):
        path = TARGET_DIR / profile / "stockroom"
        if path.exists():
            return path
    raise SoakError("no target/release/stockroom or target/debug/stockroom: run `cargo build` first")


# ---------------------------------------------------------------------------------------------
# A keep-alive JSON client that records every outcome


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_op = defaultdict(Counter)   # op -> status (int) or "transport" -> count
        self.latency = defaultdict(list)    # op -> seconds (sampled)
        self.violations = []                # invariant breaches seen by the traffic
        self.server_errors = []             # first few 5xx / transport errors, for the report

    def record(self, op, status, seconds, detail=None):
        with self.lock:
            self.by_op[op][status] += 1
            lat = self.latency[op]
            if len(lat) < 20000:
                lat.append(seconds)
            if (status == "transport" or (isinstance(status, int) and status >= 500)) \
                    and len(self.server_errors) < 20:
                self.server_errors.append(f"{op} -> {status}: {detail}")

    def violation(self, what):
        with self.lock:
            if len(self.violations) < 50:
                self.violations.append(what)


class Client:
    def __init__(self, port, stats):
        self.port = port
        self.stats = stats
        self.conn = None

    def _connect(self):
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def call(self, op, method, path, body=None, token=None, headers=None):
        """Returns (status, parsed JSON or None); status is None on a transport error."""
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if token:
            hdrs["Authorization"] = "Bearer " + token
        t0 = time.perf_counter()
        for attempt in (1, 2):
            fresh = self.conn is None
            if fresh:
                self._connect()
            try:
                self.conn.request(method, path, body=data, headers=hdrs)
                resp = self.conn.getresponse()
                raw = resp.read()
                if resp.getheader("connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                break
            except (http.client.HTTPException, OSError) as e:
                self.conn.close()
                self.conn = None
                # A keep-alive connection the server closed while idle: one retry on a new one.
                if fresh or attempt == 2:
                    self.stats.record(op, "transport", time.perf_counter() - t0, repr(e))
                    return None, None
        elapsed = time.perf_counter() - t0
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        detail = raw[:300].decode(errors="replace") if resp.status >= 500 else None
        self.stats.record(op, resp.status, elapsed, detail)
        return resp.status, payload

    def close(self):
        if self.conn is not None:
            self.conn.close()


# ---------------------------------------------------------------------------------------------
# Seeding


def create_admin(binary, db):
    out = subprocess.run(
        [str(binary), "--db", str(db), "admin", "create", "--email", "admin@soak.test",
         "--username", "admin", "--password-stdin"],
        input=ADMIN_PASSWORD + "\n", text=True, env=server_env(), capture_output=True)
    if out.returncode != 0:
        raise SoakError(f"admin create failed: {out.stderr}")


def must(status, body, what):
    if status not in (200, 201):
        raise SoakError(f"seeding: {what} -> {status}: {body}")
    return body


def seed(port, stats, workers):
    rnd = random.Random(7)
    api = Client(port, stats)
    s, b = api.call("seed", "POST", "/api/auth/login", {"login": "admin", "password": ADMIN_PASSWORD})
    admin = must(s, b, "admin login")["token"]
    categories = []
    for i in range(CATEGORIES):
        s, b = api.call("seed", "POST", "/api/categories",
                        {"name": f"Aisle {i}", "description": f"Soak aisle {i}"}, admin)
        categories.append(must(s, b, "category")["id"])
    products = []
    for i in range(PRODUCTS):
        s, b = api.call("seed", "POST", "/api/products", {
            "name": f"Soak item {i:03d}", "description": f"Item {i} for the soak test.",
            "price": rnd.randrange(99, 20_000), "quantity": SCARCE_STOCK if i < SCARCE_PRODUCTS else STOCK,
            "categoryId": categories[i % CATEGORIES]}, admin)
        products.append(must(s, b, "product")["id"])
    ratings = ["AAA", "AA", "A", "BBB", "BB", "B", "BUY", "HOLD"]
    sectors = ["Tech", "Energy", "Health", "Finance", "Retail"]
    assets, symbols = [], []
    for i in range(ASSETS):
        symbol = f"SK{i:03d}"
        s, b = api.call("seed", "POST", "/api/assets", {
            "symbol": symbol, "name": f"Soak Asset {i}", "price": rnd.randrange(100, 900_000),
            "marketCap": rnd.randrange(10**6, 10**12), "rating": rnd.choice(ratings),
            "sector": rnd.choice(sectors)}, admin)
        assets.append(must(s, b, "asset")["id"])
        symbols.append(symbol)
    users = []
    for w in range(workers):
        mine = []
        for k in range(USERS_PER_WORKER):
            name = f"soak{w}x{k}"
            s, b = api.call("seed", "POST", "/api/auth/signup", {
                "email": f"{name}@soak.test", "username": name, "password": USER_PASSWORD})
            mine.append({"login": name, "token": must(s, b, "signup")["token"], "cart": set()})
        users.append(mine)
    api.close()
    return {"admin": admin, "categories": categories, "products": products,
            "scarce": set(products[:SCARCE_PRODUCTS]), "assets": assets,
            "symbols": symbols, "users": users}


# ---------------------------------------------------------------------------------------------
# The traffic


class Worker:
    """One thread: a few users of its own, a weighted random walk over the API."""

    def __init__(self, index, port, stats, world, stop):
        self.rnd = random.Random(1000 + index)
        self.api = Client(port, stats)
        self.stats = stats
        self.world = world
        self.users = world["users"][index]
        self.stop = stop
        self.index = index
        self.keys = 0
        ops = [
            # browse
            (self.products_page, 14), (self.products_search, 6), (self.product, 12),
            (self.categories, 5), (self.health, 1),
            # cart
            (self.cart_add, 12), (self.cart_update, 4), (self.cart_remove, 2), (self.cart_view, 5),
            # orders
            (self.order, 7), (self.my_orders, 3), (self.cancel, 1),
            # accounts
            (self.login, 2), (self.logout, 2), (self.me, 3),
            # markets
            (self.screener, 10), (self.asset, 3), (self.portfolio, 4), (self.holding_add, 2),
            (self.holding_update, 1), (self.holding_remove, 1), (self.watchlist, 3),
            (self.watch_add, 2), (self.watch_remove, 1),
        ]
        self.ops = [op for op, _ in ops]
        self.weights = [w for _, w in ops]

    def run(self):
        try:
            while not self.stop.is_set():
                self.user = self.rnd.choice(self.users)
                self.rnd.choices(self.ops, self.weights)[0]()
        finally:
            self.api.close()

    def call(self, op, method, path, body=None, auth=True, headers=None):
        token = self.user["token"] if auth else None
        status, payload = self.api.call(op, method, path, body, token, headers)
        if status == 401 and auth:
            # Only a logged-out token is ever refused; this user's token is always live.
            self.stats.violation(f"{op}: live token of {self.user['login']} refused (401)")
        return status, payload

    # browse
    def products_page(self):
        self.call("browse.products", "GET", f"/api/products?page={self.rnd.randint(1, 3)}&perPage=20",
                  auth=False)

    def products_search(self):
        r = self.rnd
        q = r.choice(["item", "00", "soak", "7", "zzz"])
        sort = r.choice(["name", "-name", "price", "-price", "newest"])
        cat = r.choice(self.world["categories"])
        path = (f"/api/products?q={q}&sort={sort}&category={cat}&minPrice=100&maxPrice=15000"
                f"&inStock=true&perPage={r.choice([10, 20, 50])}")
        self.call("browse.search", "GET", path, auth=False)

    def product(self):
        self.call("browse.product", "GET", f"/api/products/{self.rnd.choice(self.world['products'])}",
                  auth=False)

    def categories(self):
        self.call("browse.categories", "GET", "/api/categories", auth=False)

    def health(self):
        self.call("browse.health", "GET", "/api/health", auth=False)

    # cart
    def in_cart(self):
        """Mostly a product this user put in the cart (so updates hit), sometimes any product."""
        cart = self.user["cart"]
        if cart and self.rnd.random() < 0.9:
            return self.rnd.choice(sorted(cart))
        return self.rnd.choice(self.world["products"])

    def cart_add(self):
        products = self.world["products"]
        pid = self.rnd.choice(products[:SCARCE_PRODUCTS] if self.rnd.random() < 0.15 else products)
        status, _ = self.call("cart.add", "POST", "/api/cart",
                              {"productId": pid, "quantity": self.rnd.randint(1, 3)})
        if status == 200:
            self.user["cart"].add(pid)

    def cart_update(self):
        pid = self.in_cart()
        quantity = self.rnd.randint(0, 4)
        status, _ = self.call("cart.update", "PUT", f"/api/cart/{pid}", {"quantity": quantity})
        if status == 404 or (status == 200 and quantity == 0):
            self.user["cart"].discard(pid)

    def cart_remove(self):
        pid = self.in_cart()
        self.call("cart.remove", "DELETE", f"/api/cart/{pid}")
        self.user["cart"].discard(pid)

    def cart_view(self):
        self.call("cart.view", "GET", "/api/cart")

    # orders
    def order(self):
        if not self.user["cart"]:
            self.cart_add()
        if self.rnd.random() < 0.3:
            self.keys += 1
            key = {"Idempotency-Key": f"soak-{self.index}-{self.keys}"}
            status, body = self.call("order.place_keyed", "POST", "/api/order", headers=key)
            if status == 201 and self.rnd.random() < 0.5:
                again, body2 = self.call("order.retry_keyed", "POST", "/api/order", headers=key)
                if again != 201 or (body2 or {}).get("id") != body.get("id"):
                    self.stats.violation(
                        f"Idempotency-Key retry: first order {body.get('id')}, retry -> {again} "
                        f"{(body2 or {}).get('id')}")
        else:
            status, _ = self.call("order.place", "POST", "/api/order")
        if status in (201, 400):
            self.user["cart"].clear()  # placed, or the cart was empty after all
        elif status == 409:
            # insufficient_stock: like a shopper would, start over with an empty cart
            if self.call("cart.clear", "DELETE", "/api/cart")[0] in (200, 204):
                self.user["cart"].clear()

    def my_orders(self):
        self.call("order.list", "GET", f"/api/users/me/orders?perPage={self.rnd.choice([5, 20])}")

    def cancel(self):
        status, body = self.call("order.list", "GET", "/api/users/me/orders?perPage=5&status=pending")
        if status == 200 and body and body.get("items"):
            oid = self.rnd.choice(body["items"])["id"]
            self.call("order.cancel", "POST", f"/api/orders/{oid}/cancel")

    # accounts
    def login(self):
        by = self.user["login"] if self.rnd.random() < 0.5 else f"{self.user['login']}@soak.test"
        status, body = self.call("auth.login", "POST", "/api/auth/login",
                                 {"login": by, "password": USER_PASSWORD}, auth=False)
        if status == 200:
            self.user["token"] = body["token"]

    def logout(self):
        old = self.user["token"]
        status, _ = self.call("auth.logout", "POST", "/api/auth/logout")
        if status != 200:
            return
        status, _ = self.api.call("auth.revoked_check", "GET", "/api/users/me", token=old)
        if status != 401:
            self.stats.violation(f"a logged-out token still answers {status}")
        self.login()  # sign back in so the user keeps shopping

    def me(self):
        self.call("auth.me", "GET", "/api/users/me")

    # markets
    def screener(self):
        r = self.rnd
        params = [f"perPage={r.choice([10, 20, 50])}", f"page={r.randint(1, 2)}",
                  f"sort={r.choice(['symbol', 'price', '-price', 'marketCap', '-marketCap', 'rating'])}"]
        if r.random() < 0.5:
            params.append(f"rating={r.choice(['AAA', 'AA,A', 'BUY,HOLD', 'B'])}")
        if r.random() < 0.3:
            params.append(f"minPrice={r.randrange(0, 300_000)}")
        if r.random() < 0.3:
            params.append(f"sector={r.choice(['Tech', 'Energy', 'Health'])}")
        if r.random() < 0.2:
            params.append("q=SK0")
        self.call("markets.screener", "GET", "/api/assets?" + "&".join(params), auth=False)

    def asset(self):
        self.call("markets.asset", "GET", f"/api/assets/{self.rnd.choice(self.world['assets'])}",
                  auth=False)

    def portfolio(self):
        self.call("markets.portfolio", "GET", "/api/portfolio")

    def holding_add(self):
        self.call("markets.holding_add", "POST", "/api/portfolio",
                  {"assetId": self.rnd.choice(self.world["assets"]),
                   "quantity": self.rnd.randint(1, 50), "costBasis": self.rnd.randrange(0, 5_000_000)})

    def _holding(self):
        status, body = self.call("markets.portfolio", "GET", "/api/portfolio")
        if status == 200 and body and body.get("holdings"):
            return self.rnd.choice(body["holdings"])["id"]
        return None

    def holding_update(self):
        hid = self._holding()
        if hid is not None:
            self.call("markets.holding_update", "PATCH", f"/api/portfolio/{hid}",
                      {"quantity": self.rnd.randint(1, 80)})

    def holding_remove(self):
        hid = self._holding()
        if hid is not None:
            self.call("markets.holding_remove", "DELETE", f"/api/portfolio/{hid}")

    def watchlist(self):
        self.call("markets.watchlist", "GET", "/api/watchlist")

    def watch_add(self):
        self.call("markets.watch_add", "POST", "/api/watchlist",
                  {"assetId": self.rnd.choice(self.world["assets"])})

    def watch_remove(self):
        self.call("markets.watch_remove", "DELETE", f"/api/watchlist/{self.rnd.choice(self.world['assets'])}")


def admin_loop(port, stats, world, stop, every=2.0):
    """Restock what runs low and move some prices, every `every` seconds."""
    api = Client(port, stats)
    rnd = random.Random(99)
    admin = world["admin"]
    try:
        while not stop.wait(every):
            for page in (1, 2):
                status, body = api.call("admin.stock_scan", "GET",
                                        f"/api/products?perPage=100&page={page}&sort=newest", token=admin)
                if status != 200 or not body:
                    continue
                for p in body["items"]:
                    scarce = p["id"] in world["scarce"]
                    if p["quantity"] < (1 if scarce else LOW_STOCK):
                        api.call("admin.restock", "PATCH", f"/api/products/{p['id']}",
                                 {"quantity": SCARCE_STOCK if scarce else STOCK}, admin)
            moves = [{"symbol": s, "price": rnd.randrange(100, 900_000)}
                     for s in rnd.sample(world["symbols"], 5)]
            api.call("admin.prices", "PUT", "/api/assets/prices", moves, admin)
    finally:
        api.close()


def db_kib(db):
    """The database file plus its WAL, in KiB (context for RSS: SQLite's page caches fill as it grows)."""
    total = 0
    for path in (db, db.with_name(db.name + "-wal")):
        try:
            total += path.stat().st_size
        except OSError:
            pass
    return total // 1024


def rss_sampler(server, db, stop, samples, t_start, every):
    """Samples (seconds since start, VmRSS KiB, database KiB)."""
    while True:
        rss = server.memory_kib()
        if rss is not None:
            samples.append((round(time.monotonic() - t_start, 2), rss, db_kib(db)))
        if stop.wait(every):
            return


# ---------------------------------------------------------------------------------------------
# Evaluation


def mean(xs):
    return sum(xs) / len(xs) if xs else None


def percentile(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


def evaluate(args, stats, samples, elapsed, log_text, clean_exit, peak_kib):
    by_status = Counter()
    for op, counts in stats.by_op.items():
        if op != "seed":
            by_status.update(counts)
    total = sum(by_status.values())
    five_xx = sum(n for s, n in by_status.items() if isinstance(s, int) and s >= 500)
    transport = by_status.get("transport", 0)

    warm_end = elapsed * WARMUP_FRACTION
    window = elapsed * WINDOW_FRACTION
    after_warm = [kib for t, kib, _ in samples if warm_end <= t <= warm_end + window]
    at_end = [kib for t, kib, _ in samples if t >= elapsed - window]
    rss_warm, rss_end = mean(after_warm), mean(at_end)
    growth = (rss_end / rss_warm - 1) if rss_warm and rss_end else None
    post = [(t, kib) for t, kib, _ in samples if t >= warm_end]
    db_warm = next((d for t, _, d in samples if t >= warm_end), None)
    db_end = samples[-1][2] if samples else None
    slope = None
    if len(post) >= 3:
        mt, mk = mean([t for t, _ in post]), mean([k for _, k in post])
        var = sum((t - mt) ** 2 for t, _ in post)
        if var > 0:
            slope = sum((t - mt) * (k - mk) for t, k in post) / var * 60 / 1024  # MiB per minute

    locked = len(re.findall(r"database is locked", log_text, re.IGNORECASE))
    panics = log_text.count("panicked")
    checks = {
        "zero 5xx": five_xx == 0,
        "zero transport errors": transport == 0,
        "no 'database is locked' in the server log": locked == 0,
        "no panic in the server log": panics == 0,
        f"RSS at end within {RSS_TOLERANCE:.0%} of RSS after warm-up":
            growth is not None and growth <= RSS_TOLERANCE,
        "invariants seen by the traffic (logout, idempotency, live tokens)": not stats.violations,
        "server exits cleanly on SIGTERM": clean_exit,
    }
    latency = {}
    for op, lat in sorted(stats.latency.items()):
        if op == "seed":
            continue
        latency[op] = {"p50_ms": round(percentile(lat, 50) * 1000, 2),
                       "p99_ms": round(percentile(lat, 99) * 1000, 2),
                       "max_ms": round(max(lat) * 1000, 2)}
    return {
        "durationSeconds": round(elapsed, 1),
        "workers": args.workers,
        "binary": str(args.binary),
        "requests": total,
        "rps": round(total / elapsed, 1) if elapsed else None,
        "byStatus": {str(k): v for k, v in sorted(by_status.items(), key=lambda kv: str(kv[0]))},
        "byOperation": {op: {str(k): v for k, v in sorted(c.items(), key=lambda kv: str(kv[0]))}
                        for op, c in sorted(stats.by_op.items()) if op != "seed"},
        "fiveXx": five_xx,
        "transportErrors": transport,
        "serverErrors": stats.server_errors,
        "databaseLockedInLog": locked,
        "panicsInLog": panics,
        "violations": stats.violations,
        "rss": {
            "warmupSeconds": round(warm_end, 1),
            "afterWarmupMiB": round(rss_warm / 1024, 1) if rss_warm else None,
            "atEndMiB": round(rss_end / 1024, 1) if rss_end else None,
            "growthPercent": round(growth * 100, 2) if growth is not None else None,
            "slopeMiBPerMinuteAfterWarmup": round(slope, 3) if slope is not None else None,
            "peakMiB": round(peak_kib / 1024, 1) if peak_kib else None,
            "databaseAfterWarmupMiB": round(db_warm / 1024, 1) if db_warm is not None else None,
            "databaseAtEndMiB": round(db_end / 1024, 1) if db_end is not None else None,
            "samples": samples,
        },
        "latency": latency,
        "checks": checks,
        "pass": all(checks.values()),
    }


def render(r):
    rss = r["rss"]
    lines = [
        "",
        f"Stockroom soak: {r['durationSeconds']} s, {r['workers']} workers, {r['binary']}",
        f"  requests     {r['requests']}  ({r['rps']} req/s)",
        "  by status    " + ", ".join(f"{k}: {v}" for k, v in r["byStatus"].items()),
        f"  5xx          {r['fiveXx']}    transport errors {r['transportErrors']}",
        f"  RSS          after warm-up ({rss['warmupSeconds']} s) {rss['afterWarmupMiB']} MiB, "
        f"at end {rss['atEndMiB']} MiB ({rss['growthPercent']:+}%), "
        f"trend {rss['slopeMiBPerMinuteAfterWarmup']} MiB/min, peak {rss['peakMiB']} MiB"
        if rss["growthPercent"] is not None else "  RSS          not enough samples",
        f"  database     {rss['databaseAfterWarmupMiB']} MiB after warm-up, {rss['databaseAtEndMiB']} MiB at end "
        "(file + WAL)",
    ]
    for e in r["serverErrors"][:10]:
        lines.append(f"  error        {e}")
    for v in r["violations"][:10]:
        lines.append(f"  violation    {v}")
    lines.append("")
    for name, ok in r["checks"].items():
        lines.append(f"  {'PASS' if ok else 'FAIL'}  {name}")
    lines.append("")
    lines.append("SOAK " + ("PASS" if r["pass"] else "FAIL"))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=300, help="seconds of traffic (default 300)")
    ap.add_argument("--workers", type=int, default=8, help="client threads (default 8)")
    ap.add_argument("--binary", type=Path, help="the stockroom binary (default: release, else debug)")
    ap.add_argument("--sample-every", type=float, default=2.0, help="RSS sampling period, seconds")
    args = ap.parse_args()
    try:
        args.binary = (args.binary or default_binary()).resolve()
    except SoakError as e:
        log(f"soak: {e}")
        return 2

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="stockroom-soak-"))
    server = None
    stop = threading.Event()
    threads = []
    try:
        db = work / "soak.db"
        log(f"soak: {args.binary}, database {db}")
        create_admin(args.binary, db)
        server = Server(args.binary, db, work / "server.log", cwd=db.parent)
        server.wait_ready()
        stats = Stats()
        world = seed(server.port, stats, args.workers)
        log(f"soak: seeded {len(world['products'])} products, {len(world['assets'])} assets, "
            f"{args.workers * USERS_PER_WORKER} users; {args.duration:.0f} s of traffic on port {server.port}")

        samples = []
        t_start = time.monotonic()
        threads.append(threading.Thread(target=rss_sampler,
                                         args=(server, db, stop, samples, t_start, args.sample_every)))
        threads.append(threading.Thread(target=admin_loop, args=(server.port, stats, world, stop)))
        for i in range(args.workers):
            threads.append(threading.Thread(target=Worker(i, server.port, stats, world, stop).run))
        for t in threads:
            t.daemon = True
            t.start()
        next_report = t_start + 30
        while True:
            now = time.monotonic()
            if now - t_start >= args.duration:
                break
            if server.proc.poll() is not None:
                log(f"soak: the server died (exit {server.proc.returncode})")
                break
            if now >= next_report:
                done = sum(sum(c.values()) for op, c in stats.by_op.items() if op != "seed")
                rss, dbk = (samples[-1][1], samples[-1][2]) if samples else (0, 0)
                log(f"soak: {now - t_start:5.0f} s  {done} requests  RSS {rss / 1024:.1f} MiB  "
                    f"database {dbk / 1024:.1f} MiB")
                next_report += 30
            time.sleep(min(0.5, max(0.0, args.duration - (now - t_start))))
        stop.set()
        for t in threads:
            t.join(timeout=60)
        elapsed = time.monotonic() - t_start
        peak = server.memory_kib("VmHWM")
        clean = server.stop()
        log_text = (work / "server.log").read_bytes().decode(errors="replace")
        shutil.copyfile(work / "server.log", OUT_DIR / "server.log")
        result = evaluate(args, stats, samples, elapsed, log_text, clean, peak)
        (OUT_DIR / "results.json").write_text(json.dumps(result, indent=2) + "\n")
        print(render(result))
        log(f"soak: results in {OUT_DIR / 'results.json'}, server log in {OUT_DIR / 'server.log'}")
        return 0 if result["pass"] else 1
    except ServerError as e:
        log(f"soak: {e}")
        return 2
    finally:
        stop.set()
        if server is not None and server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
