#!/usr/bin/env python3
"""Stockroom benchmark suite: one command, one table.

    python3 benches/run.py [--no-build] [--duration 10] [--warmup 3] [--check]
                           [--postgres URL [--postgres-only]] [--binary PATH] [--no-hash-bench]

Builds the release binary, starts it on 127.0.0.1 with a fresh temporary database, seeds it through
the real API, drives each scenario with wrk (32 connections, warm-up, then a measured run), measures
the argon2 hashing ceiling, startup time and memory, prints one table with the issue's targets
marked PASS/FAIL, and writes the same as JSON to target/bench/results.json. See benches/README.md.
Needs python3 (standard library only) and wrk. Traffic goes only to 127.0.0.1.

With --postgres URL (a server's maintenance database, e.g. postgres://postgres@127.0.0.1:5432/postgres)
the same scenarios then run on PostgreSQL, on a fresh database per run created and dropped with
psql: once with one server instance ("postgres ×1") and once with two instances on one database
("postgres ×2", the load split between them). Those tables, with a ratio column against the SQLite
run of the same invocation, and the Postgres targets go to stdout after the SQLite table, and to
target/bench/results-postgres.json. --postgres-only skips the SQLite run.
"""

import argparse
import http.client
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import datetime
import sys
import tempfile
import textwrap
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness import SERVER_ENV, Server, ServerError, server_env

ROOT = Path(__file__).resolve().parent.parent
LUA_DIR = ROOT / "benches" / "lua"
OUT_DIR = ROOT / "target" / "bench"
TARGET_DIR = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
BINARY = TARGET_DIR / "release" / "stockroom"

CONNECTIONS, THREADS, FLOOD_CONNECTIONS = 32, 2, 256
CATEGORIES, PRODUCTS, ASSETS, USERS = 10, 1000, 500, 200
# The ledger rows (§12): one investor with this many transactions over this many assets, whose
# prices have a year of daily history; measured at this many connections (one per core), since
# their targets are the latency one request sees, not a saturated queue's.
LEDGER_TRANSACTIONS, LEDGER_ASSETS, LEDGER_CONNECTIONS = 10_000, 50, 2
STOCK = 1_000_000  # per product: far more than the order scenario can buy
ADMIN_PASSWORD = "bench-admin-Quartz-42"
USER_PASSWORD = "bench-user-Lantern-77"
HASH_SAMPLES = 30  # argon2 hashes timed for the hashing ceiling
PG_INSTANCES = (1, 2)  # server instances per Postgres run


class BenchError(ServerError):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# A tiny keep-alive JSON client for seeding


class Api:
    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method, path, body=None, token=None, expect=(200, 201)):
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = "Bearer " + token
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # the server closed an idle keep-alive connection: reconnect once
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt == 2:
                    raise
        if resp.status not in expect:
            raise BenchError(f"{method} {path} -> {resp.status}: {raw[:300].decode(errors='replace')}")
        return json.loads(raw) if raw else None

    def csv(self, path, text, token):
        self.conn.request("POST", path, body=text.encode(),
                          headers={"Content-Type": "text/csv", "Authorization": "Bearer " + token})
        resp = self.conn.getresponse()
        raw = resp.read()
        if resp.status != 200:
            raise BenchError(f"POST {path} -> {resp.status}: {raw[:300].decode(errors='replace')}")
        return json.loads(raw)


def seed_ledger(api, admin, assets, rnd, work):
    """A year of daily prices for `assets` (CSV import), and one investor with
    LEDGER_TRANSACTIONS buys, sells, dividends and fees across them (CSV import), never selling
    more than held. Writes investor.tsv for auth_get.lua."""
    today = datetime.date.today()
    days = [today - datetime.timedelta(days=d) for d in range(365, 0, -1)]
    symbols = [api.call("GET", f"/api/assets/{a}")["symbol"] for a in assets]
    prices = ["symbol,date,price"]
    for sym in symbols:
        p = rnd.randrange(1_000, 50_000)
        for d in days:
            p = max(100, p + rnd.randrange(-p // 50 - 1, p // 50 + 2))
            prices.append(f"{sym},{d.isoformat()},{p // 100}.{p % 100:02d}")
    api.csv("/api/assets/prices/import", "\n".join(prices) + "\n", admin)
    r = api.call("POST", "/api/auth/signup", {
        "email": "investor@bench.test", "password": USER_PASSWORD, "username": "investor"})
    token, uid = r["token"], r["user"]["id"]
    held = {sym: 0 for sym in symbols}
    rows = ["date,symbol,type,quantity,price,fee,amount"]
    for i in range(LEDGER_TRANSACTIONS):
        sym = symbols[i % len(symbols)]
        day = days[i * len(days) // LEDGER_TRANSACTIONS].isoformat()
        kind = rnd.choices(["buy", "sell", "dividend", "fee"], [60, 25, 10, 5])[0]
        if kind == "sell" and held[sym] == 0:
            kind = "buy"
        if kind == "buy":
            q = rnd.randrange(1, 20)
            held[sym] += q
            rows.append(f"{day},{sym},buy,{q},{rnd.randrange(10, 500)}.{rnd.randrange(100):02d},0.99,")
        elif kind == "sell":
            q = rnd.randrange(1, held[sym] + 1)
            held[sym] -= q
            rows.append(f"{day},{sym},sell,{q},{rnd.randrange(10, 500)}.{rnd.randrange(100):02d},0.99,")
        else:
            rows.append(f"{day},{sym},{kind},,,,{rnd.randrange(1, 50)}.{rnd.randrange(100):02d}")
    imported = api.csv("/api/portfolio/transactions/import", "\n".join(rows) + "\n", token)["imported"]
    if imported != LEDGER_TRANSACTIONS:
        raise BenchError(f"imported {imported} of {LEDGER_TRANSACTIONS} transactions")
    (work / "investor.tsv").write_text(f"{uid}\t{token}\tinvestor\n")


def create_admin(db):
    subprocess.run(
        [str(BINARY), "--db", str(db), "admin", "create", "--email", "admin@bench.test",
         "--username", "admin", "--password-stdin"],
        input=ADMIN_PASSWORD + "\n", text=True, cwd=ROOT, env=server_env(), check=True,
        stdout=subprocess.DEVNULL)


def seed(port, work):
    """10 categories, 1,000 products, 500 assets, 200 users each with a cart line and a holding.
    Writes the data files the Lua scripts read; returns what the later steps need."""
    rnd = random.Random(42)
    api = Api(port)
    admin = api.call("POST", "/api/auth/login", {"login": "admin", "password": ADMIN_PASSWORD})["token"]
    t0 = time.perf_counter()
    categories = [api.call("POST", "/api/categories",
                           {"name": f"Category {i}", "description": f"Bench category {i}"}, admin)["id"]
                  for i in range(CATEGORIES)]
    products = [api.call("POST", "/api/products", {
        "name": f"Product {i:04d}", "description": f"A benchmark product, number {i}.",
        "price": rnd.randrange(100, 100_000), "quantity": STOCK,
        "categoryId": categories[i % CATEGORIES]}, admin)["id"] for i in range(PRODUCTS)]
    ratings = ["AAA", "AA", "A", "BBB", "BB", "B", "BUY", "HOLD"]
    sectors = ["Tech", "Energy", "Health", "Finance", "Retail", "Industry"]
    assets = [api.call("POST", "/api/assets", {
        "symbol": f"BN{i:04d}", "name": f"Bench Asset {i}", "price": rnd.randrange(100, 500_000),
        "marketCap": rnd.randrange(10**6, 10**12), "rating": rnd.choice(ratings),
        "sector": rnd.choice(sectors)}, admin)["id"] for i in range(ASSETS)]
    t_catalog = time.perf_counter() - t0

    def make_user(i):
        api = Api(port)
        r = api.call("POST", "/api/auth/signup", {
            "email": f"user{i}@bench.test", "password": USER_PASSWORD, "username": f"user{i}"})
        token, uid = r["token"], r["user"]["id"]
        api.call("POST", "/api/cart", {"productId": products[i % PRODUCTS], "quantity": 1}, token)
        api.call("POST", "/api/portfolio",
                 {"assetId": assets[i % ASSETS], "quantity": 10, "costBasis": 10_000 + i}, token)
        api.conn.close()
        return uid, token, f"user{i}"

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        users = list(pool.map(make_user, range(USERS)))
    t_users = time.perf_counter() - t0
    t0 = time.perf_counter()
    seed_ledger(api, admin, assets[:LEDGER_ASSETS], rnd, work)
    t_ledger = time.perf_counter() - t0
    api.conn.close()

    (work / "users.tsv").write_text("".join(f"{u}\t{t}\t{n}\n" for u, t, n in users))
    (work / "products.tsv").write_text("".join(f"{p}\n" for p in products))
    log(f"seeded {CATEGORIES} categories, {PRODUCTS} products, {ASSETS} assets in {t_catalog:.1f}s; "
        f"{USERS} users with cart lines and holdings in {t_users:.1f}s; a {LEDGER_TRANSACTIONS:,}-transaction "
        f"ledger and a year of prices in {t_ledger:.1f}s")
    return {"users": users, "catalog_s": round(t_catalog, 2), "users_s": round(t_users, 2)}


# ---------------------------------------------------------------------------------------------
# wrk


def wrk_command(port, path, script, args, seconds, connections=CONNECTIONS, threads=THREADS, timeout=10):
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
           f"--timeout", f"{timeout}s", "-s", str(LUA_DIR / script), f"http://127.0.0.1:{port}{path}"]
    return cmd + (["--", *map(str, args)] if args else [])


def wrk_env():
    return dict(os.environ, LUA_PATH=f"{LUA_DIR}/?.lua;;")


def parse_wrk(name, output):
    m = re.search(r"^WRK_RESULT (\{.*\})$", output, re.M)
    if not m:
        raise BenchError(f"wrk ({name}) printed no result:\n{output}")
    r = json.loads(m.group(1))
    seconds = r["duration_us"] / 1e6
    return {
        "requests": r["requests"],
        "seconds": round(seconds, 2),
        "rps": r["requests"] / seconds,
        "p50_ms": r["latency_us"]["p50"] / 1000,
        "p99_ms": r["latency_us"]["p99"] / 1000,
        "latency_us": r["latency_us"],
        "errors": sum(r["errors"].values()),
        "error_detail": r["errors"],
        "counters": r["counters"],
    }


def run_wrk(name, cmd):
    out = subprocess.run(cmd, env=wrk_env(), capture_output=True, text=True)
    if out.returncode != 0:
        raise BenchError(f"wrk ({name}) failed: {out.stderr}{out.stdout}")
    return out.stdout


def slug(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def scenario(port, opts, name, path, script, args=(), wrk_dir=None, connections=CONNECTIONS):
    """A warm-up run (discarded), then the measured run."""
    wrk_dir = wrk_dir or OUT_DIR / "wrk"
    log(f"  {name}: {opts.warmup}s warm-up + {opts.duration}s")
    threads = min(THREADS, connections)
    if opts.warmup > 0:
        run_wrk(name, wrk_command(port, path, script, args, opts.warmup, connections, threads))
    output = run_wrk(name, wrk_command(port, path, script, args, opts.duration, connections, threads))
    wrk_dir.mkdir(parents=True, exist_ok=True)
    (wrk_dir / (slug(name) + ".txt")).write_text(output)
    return dict(name=name, **parse_wrk(name, output))


def run_wrk_together(name, cmds):
    """Several wrk processes at once (one per server instance); their outputs, in order."""
    with ThreadPoolExecutor(max_workers=len(cmds)) as pool:
        return list(pool.map(lambda cmd: run_wrk(name, cmd), cmds))


def combine(parts):
    """One row from the wrk runs that loaded the instances side by side: requests, rates, errors
    and counters add up; latency percentiles cannot be merged from summaries, so the row shows the
    worse instance's (each instance's own stay under "instances")."""
    def summed(field):
        keys = {k for p in parts for k in p[field]}
        return {k: sum(p[field].get(k, 0) for p in parts) for k in sorted(keys)}
    return {
        "requests": sum(p["requests"] for p in parts),
        "seconds": max(p["seconds"] for p in parts),
        "rps": sum(p["rps"] for p in parts),
        "p50_ms": max(p["p50_ms"] for p in parts),
        "p99_ms": max(p["p99_ms"] for p in parts),
        "latency_us": {"combined": "max over instances",
                       **{k: max(p["latency_us"][k] for p in parts) for k in ("p50", "p90", "p99", "max")}},
        "errors": sum(p["errors"] for p in parts),
        "error_detail": summed("error_detail"),
        "counters": summed("counters"),
        "instances": parts,
    }


def split_load(n):
    """wrk shape per instance when n instances share the load: the same totals as one instance
    gets (CONNECTIONS connections, THREADS wrk threads), divided between them."""
    return max(1, CONNECTIONS // n), max(1, THREADS // n)


def scenario_split(ports, opts, name, path, script, args_per_port, wrk_dir):
    """scenario() across several instances: each gets its own wrk process with its share of the
    connections, all started together; warm-up, then the measured run; one combined row."""
    if len(ports) == 1:
        return scenario(ports[0], opts, name, path, script, args_per_port[0], wrk_dir)
    conns, threads = split_load(len(ports))
    log(f"  {name}: {opts.warmup}s warm-up + {opts.duration}s, "
        f"{len(ports)} instances × wrk -t{threads} -c{conns}")

    def cmds(seconds):
        return [wrk_command(port, path, script, args, seconds, connections=conns, threads=threads)
                for port, args in zip(ports, args_per_port)]
    if opts.warmup > 0:
        run_wrk_together(name, cmds(opts.warmup))
    outputs = run_wrk_together(name, cmds(opts.duration))
    wrk_dir.mkdir(parents=True, exist_ok=True)
    for i, output in enumerate(outputs, 1):
        (wrk_dir / f"{slug(name)}-instance{i}.txt").write_text(output)
    return dict(name=name, **combine([parse_wrk(name, out) for out in outputs]))


def hash_time_ms():
    """Median time of one argon2id hash at the configured cost (the server's configuration, read
    from Rocket.toml and the same STOCKROOM_* environment), through the server's own hashing pool:
    benches/hash_cost.rs. Run while the server is idle."""
    out = subprocess.run(["cargo", "bench", "--quiet", "--bench", "hash_cost", "--", str(HASH_SAMPLES)],
                         cwd=ROOT, env=server_env(), capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"cargo bench --bench hash_cost failed:\n{out.stderr}")
    timing = json.loads(out.stdout.strip().splitlines()[-1])
    return timing["hash_ms"], timing["samples_ms"]


def login_flood(ports, opts, login_args_per_port, wrk_dir=None):
    """GET /api/products at 32 connections while 256 connections hammer POST /api/auth/login.
    With several instances, each gets its share of both (its own flood and its own reader)."""
    wrk_dir = wrk_dir or OUT_DIR / "wrk"
    n = len(ports)
    flood_seconds = opts.warmup + opts.duration + 3
    floods = []
    try:
        for port, login_args in zip(ports, login_args_per_port):
            floods.append(subprocess.Popen(
                wrk_command(port, "/api/auth/login", "login.lua", login_args,
                            flood_seconds, connections=FLOOD_CONNECTIONS // n, threads=1, timeout=60),
                env=wrk_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        time.sleep(max(opts.warmup, 2))  # let the flood saturate hashing first
        log(f"  GET /api/products during login flood: {opts.duration}s under {FLOOD_CONNECTIONS} login connections"
            + (f" ({n} instances, split evenly)" if n > 1 else ""))
        if n == 1:
            outputs = [run_wrk("products during flood",
                               wrk_command(ports[0], "/api/products?perPage=30", "static.lua", (), opts.duration))]
        else:
            conns, threads = split_load(n)
            outputs = run_wrk_together("products during flood", [
                wrk_command(port, "/api/products?perPage=30", "static.lua", (), opts.duration,
                            connections=conns, threads=threads) for port in ports])
        flood_outs = [flood.communicate(timeout=flood_seconds + 60)[0] for flood in floods]
    finally:
        for flood in floods:
            if flood.poll() is None:
                flood.kill()
                flood.wait()
    wrk_dir.mkdir(parents=True, exist_ok=True)
    if n == 1:
        (wrk_dir / "products-during-login-flood.txt").write_text(outputs[0])
        (wrk_dir / "login-flood.txt").write_text(flood_outs[0])
        read_row = parse_wrk("products during flood", outputs[0])
        flood_row = parse_wrk("login flood", flood_outs[0])
    else:
        for i, (output, flood_out) in enumerate(zip(outputs, flood_outs), 1):
            (wrk_dir / f"products-during-login-flood-instance{i}.txt").write_text(output)
            (wrk_dir / f"login-flood-instance{i}.txt").write_text(flood_out)
        read_row = combine([parse_wrk("products during flood", out) for out in outputs])
        flood_row = combine([parse_wrk("login flood", out) for out in flood_outs])
    reads = dict(name=f"GET /api/products during login flood ({FLOOD_CONNECTIONS} conns)", **read_row)
    logins = dict(name=f"  the login flood itself ({FLOOD_CONNECTIONS} conns)", **flood_row)
    return reads, logins


# ---------------------------------------------------------------------------------------------
# Report


def machine_info():
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                                capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = ""
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split(" Copyright")[0]
    return {
        "cores": os.cpu_count(),
        "cpu": model.group(1).strip() if model else "unknown",
        "memory_gib": round(int(mem.group(1)) / 1024 / 1024, 1) if mem else None,
        "kernel": os.uname().release,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "wrk": wrk_version.strip(),
        "commit": commit or "(not a git checkout)",
    }


def mark(ok):
    return "SKIP" if ok is None else "PASS" if ok else "FAIL"


def evaluate(r):
    """The issue's targets: (target, measured, pass)."""
    s = {x["key"]: x for x in r["scenarios"]}
    mem, ratios = r["server"], r["ratios"]
    flood = s["products_flood"]
    if ratios["logins_per_ceiling"] is None:  # --no-hash-bench: no ceiling to compare with
        logins = ("logins/s >= 90% of hashing ceiling", "not measured (--no-hash-bench)", None)
    else:
        logins = ("logins/s >= 90% of hashing ceiling", f"{ratios['logins_per_ceiling']:.0%}",
                  ratios["logins_per_ceiling"] >= 0.9)
    return [
        logins,
        ("products p99 <= 100 ms during login flood, 0 errors",
         f"{flood['p99_ms']:.1f} ms, {flood['errors']} errors", flood["p99_ms"] <= 100 and flood["errors"] == 0),
        ("peak RSS <= 128 MB (256 conns on login)", f"{mem['peak_rss_mb']:.1f} MB", mem["peak_rss_mb"] <= 128),
        ("GET /api/products >= 8000 req/s", f"{s['products']['rps']:.0f}", s["products"]["rps"] >= 8000),
        ("GET /api/products >= 20% of /api/health", f"{ratios['products_per_health']:.0%}",
         ratios["products_per_health"] >= 0.2),
        ("GET /api/assets (screener) >= 15000 req/s", f"{s['assets']['rps']:.0f}", s["assets"]["rps"] >= 15000),
        ("GET /api/users/me >= 8000 req/s", f"{s['me']['rps']:.0f}", s["me"]["rps"] >= 8000),
        ("GET /api/cart >= 8000 req/s", f"{s['cart']['rps']:.0f}", s["cart"]["rps"] >= 8000),
        ("POST /api/order >= 1500 orders/s, 0 errors", f"{s['orders']['rps']:.0f}/s, {s['orders']['errors']} errors",
         s["orders"]["rps"] >= 1500 and s["orders"]["errors"] == 0),
        ("GET /api/portfolio (10,000 transactions) p99 <= 20 ms", f"{s['ledger']['p99_ms']:.1f} ms",
         s["ledger"]["p99_ms"] <= 20 and s["ledger"]["errors"] == 0),
        ("GET /api/portfolio/history (a year) p99 <= 100 ms", f"{s['ledger_history']['p99_ms']:.1f} ms",
         s["ledger_history"]["p99_ms"] <= 100 and s["ledger_history"]["errors"] == 0),
        ("idle RSS <= 20 MB", f"{mem['idle_rss_mb']:.1f} MB", mem["idle_rss_mb"] <= 20),
        ("new database serves /api/health <= 300 ms", f"{mem['first_health_ms']:.0f} ms",
         mem["first_health_ms"] <= 300),
        ("release binary <= 30 MB", f"{mem['binary_mb']:.1f} MB", mem["binary_mb"] <= 30),
    ]


def render(r):
    m = r["machine"]
    def para(text):
        return textwrap.fill(text, width=100, subsequent_indent="  ")

    lines = [
        f"Stockroom benchmark — {m['commit']}",
        para(f"Machine: {m['cores']} cores, {m['cpu']}, {m['memory_gib']} GiB RAM, Linux {m['kernel']} "
        f"(load average at start {m['load_average_at_start'][0]}); {m['wrk']}"),
        para(f"Load: wrk -t{THREADS} -c{CONNECTIONS}, {r['config']['warmup_s']}s warm-up + {r['config']['duration_s']}s "
        f"measured per scenario, on the same machine. Server: {r['config'].get('binary', 'release build')}, "
        f"fresh database, default "
        f"argon2 cost; STOCKROOM_AUTH_RATE_LIMIT=0 and STOCKROOM_LOGIN_MAX_FAILURES=0 (the limiters "
        f"would otherwise throttle the load generator, which is a single client)."),
        "",
    ]
    w = max(len(x["name"]) for x in r["scenarios"] + [r["login_flood"]])
    lines.append(f"| {'scenario':<{w}} | {'req/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | {'errors':>6} "
                 f"| {'peak RSS MB':>11} |")
    lines.append(f"|{'-' * (w + 2)}|{'-' * 9}:|{'-' * 8}:|{'-' * 8}:|{'-' * 7}:|{'-' * 12}:|")
    for x in r["scenarios"] + [r["login_flood"]]:
        lines.append(f"| {x['name']:<{w}} | {x['rps']:>8.0f} | {x['p50_ms']:>7.2f} | {x['p99_ms']:>7.2f} | "
                     f"{x['errors']:>6} | {x['peak_rss_mb']:>11.1f} |")
    h, s, ratios = r["hashing"], r["server"], r["ratios"]
    if h["hash_ms"] is None:
        hashing_lines = [
            para("Hashing: not measured (--no-hash-bench), so there is no logins/s ceiling"),
            para(f"Ratios: products/health = {ratios['products_per_health']:.1%}; logins/ceiling = n/a "
            f"({r['scenarios_by_key']['login']['rps']:.1f} logins/s)"),
        ]
    else:
        hashing_lines = [
            para(f"Hashing: one argon2id hash at the configured cost = {h['hash_ms']:.1f} ms (median of {HASH_SAMPLES}, "
            f"cargo bench --bench hash_cost) -> ceiling = {m['cores']} cores / {h['hash_ms']:.1f} ms "
            f"= {h['ceiling_per_s']:.1f} logins/s"),
            para(f"Ratios: products/health = {ratios['products_per_health']:.1%}; logins/ceiling = "
            f"{ratios['logins_per_ceiling']:.1%} ({r['scenarios_by_key']['login']['rps']:.1f} / "
            f"{h['ceiling_per_s']:.1f}); logins during flood/ceiling = {ratios['flood_logins_per_ceiling']:.1%}"),
        ]
    lines += [
        "",
        para("peak RSS MB = the server's VmHWM after that row (the peak so far in the run)."),
        para(f"Orders row: req/s = orders placed per second (201 responses to POST /api/order); each buyer "
        f"sends a pipelined pair POST /api/cart + POST /api/order on its connection, latency is the "
        f"pair's, errors count every failed response of either request. HTTP requests/s: "
        f"{r['scenarios_by_key']['orders']['http_rps']:.0f}."),
        "",
        *hashing_lines,
        para(f"Server: idle RSS {s['idle_rss_mb']:.1f} MB, peak RSS (VmHWM, whole run) {s['peak_rss_mb']:.1f} MB "
        f"({s['peak_rss_after_seeding_mb']:.1f} MB after seeding), "
        f"first /api/health on a new database {s['first_health_ms']:.0f} ms (median of "
        f"{len(s['first_health_samples_ms'])}), release binary {s['binary_mb']:.1f} MB"),
        "",
        "Targets (issue #6):",
    ]
    for target, measured, ok in r["targets"]:
        lines.append(f"  {mark(ok)}  {target:<55} {measured}")
    if r["config"]["duration_s"] < 10:
        lines.append(f"  (short run: {r['config']['duration_s']}s per scenario; the issue asks for at least 10 s)")
    return "\n".join(lines)


def render_postgres(r):
    """The Postgres tables ("postgres ×1", "postgres ×2"): the SQLite table's rows, plus each
    row's req/s as a share of the SQLite run's in the same invocation, and the Postgres targets."""
    m, cfg, pg = r["machine"], r["config"], r["postgres"]
    def para(text):
        return textwrap.fill(text, width=100, subsequent_indent="  ")

    conns, threads = split_load(2)
    lines = [
        f"Stockroom benchmark on PostgreSQL — {m['commit']}",
        para(f"Machine: {m['cores']} cores, {m['cpu']}, {m['memory_gib']} GiB RAM, Linux {m['kernel']} "
        f"(load average at start {m['load_average_at_start'][0]}); {m['wrk']}"),
        para(f"PostgreSQL {pg['server_version']} at {pg['url']} on this machine; every run on a fresh "
        f"database (created with psql, dropped afterwards). Load and server set up as for SQLite: wrk "
        f"-t{THREADS} -c{CONNECTIONS} in total, {cfg['warmup_s']}s warm-up + {cfg['duration_s']}s measured "
        f"per scenario, the same seed through the API, the same binary ({cfg['binary']}), environment "
        f"and Rocket.toml (default argon2 cost, limiters off, default Postgres pool size). Database "
        f"settings: {', '.join(pg.get('settings') or []) or 'the server defaults'}."),
        para(f"postgres ×2: two server instances on one database, on their own ports, started one after "
        f"the other with identical settings and seeded through the first. Each scenario runs two wrk "
        f"processes at once, one per instance, each with half the load (-t{threads} -c{conns}; login "
        f"flood {FLOOD_CONNECTIONS // 2} connections each) and half of the {USERS} users; their req/s, "
        f"errors and orders are summed, p50/p99 are the worse instance's, peak RSS MB is the larger "
        f"instance's VmHWM."),
        "",
    ]
    w = max(len(x["name"]) for mode in r["modes"] for x in mode["scenarios"] + [mode["login_flood"]])
    ceiling = r["hashing"]["ceiling_per_s"]
    for mode in r["modes"]:
        n = mode["instances"]
        lines.append(f"{mode['label']} ({'one server instance' if n == 1 else f'{n} server instances, one database'}, "
                     f"port{'s' if n > 1 else ''} {', '.join(map(str, mode['ports']))})")
        lines.append("")
        lines.append(f"| {'scenario':<{w}} | {'req/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | {'errors':>6} "
                     f"| {'peak RSS MB':>11} | {'vs SQLite':>9} |")
        lines.append(f"|{'-' * (w + 2)}|{'-' * 9}:|{'-' * 8}:|{'-' * 8}:|{'-' * 7}:|{'-' * 12}:|{'-' * 10}:|")
        for x in mode["scenarios"] + [mode["login_flood"]]:
            ratio = "—" if x["vs_sqlite"] is None else f"{x['vs_sqlite']:.0%}"
            lines.append(f"| {x['name']:<{w}} | {x['rps']:>8.0f} | {x['p50_ms']:>7.2f} | {x['p99_ms']:>7.2f} | "
                         f"{x['errors']:>6} | {x['peak_rss_mb']:>11.1f} | {ratio:>9} |")
        by_key = {x["key"]: x for x in mode["scenarios"]}
        srv = mode["server"]
        logins = by_key["login"]["rps"]
        lines += [
            "",
            para(f"Orders: HTTP requests/s {by_key['orders']['http_rps']:.0f}"
            + (f" (orders/s per instance: {', '.join(f'{p:.0f}' for p in by_key['orders']['orders_rps_per_instance'])})"
               if n > 1 else "")
            + f". Logins/ceiling = " + (f"{logins / ceiling:.1%} ({logins:.1f} / {ceiling:.1f})" if ceiling else "n/a")
            + f". Server{'s' if n > 1 else ''}: idle RSS {' / '.join(f'{x:.1f}' for x in srv['idle_rss_mb'])} MB, "
            f"peak RSS (VmHWM, whole run) {' / '.join(f'{x:.1f}' for x in srv['peak_rss_mb'])} MB."),
            "",
        ]
    lines += [
        para(f"First /api/health on a new Postgres database (migrations included): {r['first_health_ms']:.0f} ms "
        f"(median of {len(r['first_health_samples_ms'])}). " + (
            f"Hashing ceiling {ceiling:.1f} logins/s ({r['hashing']['source']})." if ceiling
            else "Hashing: not measured (--no-hash-bench).")),
        "",
        "Targets (Postgres):",
    ]
    tw = max(55, *(len(t) for t, _, _ in r["targets"]))
    for target, measured, ok in r["targets"]:
        lines.append(f"  {mark(ok)}  {target:<{tw}} {measured}")
    if cfg["duration_s"] < 10:
        lines.append(f"  (short run: {cfg['duration_s']}s per scenario; the issue asks for at least 10 s)")
    return "\n".join(lines)


def evaluate_postgres(r):
    """The Postgres targets: (target, measured, pass); pass is None when it cannot be judged."""
    modes = {mode["instances"]: mode for mode in r["modes"]}
    key = lambda mode, k: next(x for x in mode["scenarios"] if x["key"] == k)  # noqa: E731
    targets = []
    orders = key(modes[2], "orders")
    targets.append(("POST /api/order >= 1000 orders/s, 0 errors (postgres ×2)",
                    f"{orders['rps']:.0f}/s, {orders['errors']} errors",
                    orders["rps"] >= 1000 and orders["errors"] == 0))
    for mode in r["modes"]:
        me = key(mode, "me")
        targets.append((f"GET /api/users/me >= 5000 req/s ({mode['label']})", f"{me['rps']:.0f}", me["rps"] >= 5000))
    for mode in r["modes"]:
        target = f"every row >= 1/3 of its SQLite req/s ({mode['label']})"
        rows = mode["scenarios"] + [mode["login_flood"]]
        if not r["sqlite_in_run"]:
            targets.append((target, "no SQLite run in this invocation (--postgres-only)", None))
            continue
        worst = min(rows, key=lambda x: x["vs_sqlite"])
        targets.append((target, f"lowest {worst['vs_sqlite']:.0%}: {worst['name'].strip()}",
                        worst["vs_sqlite"] >= 1 / 3))
    return targets


# ---------------------------------------------------------------------------------------------
# PostgreSQL


def redact(url):
    """A URL without its password, for output."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{parts.username}:***@{parts.netloc.rsplit('@', 1)[1]}"))


class Postgres:
    """Fresh databases on the Postgres server that `url` (a maintenance database such as
    .../postgres) points at, created and dropped with psql. Each is named
    stockroom_bench_<timestamp>_<pid>_<tag>; drop_all() drops whatever is left."""

    def __init__(self, url, settings=()):
        self.settings = list(settings)
        if urllib.parse.urlsplit(url).scheme not in ("postgres", "postgresql"):
            raise BenchError(f"--postgres wants a postgres:// URL, not {url!r}")
        self.psql = shutil.which("psql")
        if not self.psql:
            raise BenchError("psql not found: install the PostgreSQL client (e.g. apt-get install postgresql-client)")
        self.url = url
        self.stamp = f"{time.strftime('%Y%m%d_%H%M%S')}_{os.getpid()}"
        self.created = []
        self.version = self.sql("SHOW server_version")

    def sql(self, statement):
        out = subprocess.run([self.psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.url,
                              "-c", statement], stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if out.returncode != 0:
            raise BenchError(f"psql on {redact(self.url)}: {statement}: {out.stderr.strip()}")
        return out.stdout.strip()

    def url_of(self, name):
        return urllib.parse.urlunsplit(urllib.parse.urlsplit(self.url)._replace(path="/" + name))

    def create(self, tag):
        """A new empty database; returns its URL (the server URL with the path replaced)."""
        name = f"stockroom_bench_{self.stamp}_{tag}"
        self.sql(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        for setting in self.settings:  # e.g. synchronous_commit=off, for the sessions in it
            key, value = setting.split("=", 1)
            self.sql(f'ALTER DATABASE "{name}" SET {key} = {value}')
        return self.url_of(name)

    def drop(self, url):
        name = urllib.parse.urlsplit(url).path.lstrip("/")
        try:  # Postgres 13+: also ends any session a killed server left behind
            self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except BenchError:
            self.sql(f'DROP DATABASE IF EXISTS "{name}"')
        self.created.remove(name)

    def drop_all(self):
        for name in list(self.created):
            try:
                self.drop(self.url_of(name))
            except BenchError as e:
                log(f"could not drop database {name}: {e}")


def check_postgres(srv):
    """The server really runs on Postgres (an old binary would take the URL for a file name)."""
    api = Api(srv.port)
    try:
        kind = api.call("GET", "/api/health").get("databaseKind")
    finally:
        api.conn.close()
    if kind != "postgres":
        raise BenchError(f"{BINARY} with --db postgres://… reports databaseKind={kind!r}: "
                         f"a build without PostgreSQL support?")


def postgres_startup(pg, work, servers):
    """Spawn → first 200 from /api/health on brand-new Postgres databases (so with the migrations),
    three times. Run first: it also shows early that the binary serves Postgres."""
    first_health = []
    for i in range(3):
        url = pg.create(f"startup{i}")
        srv = Server(BINARY, url, work / f"pg-startup{i}.log", cwd=ROOT)
        servers.append(srv)
        try:
            first_health.append(srv.wait_ready())
            check_postgres(srv)
        finally:
            srv.stop()
            pg.drop(url)
    log(f"postgres {pg.version}: first /api/health on a new database: "
        f"{', '.join(f'{x:.0f}' for x in first_health)} ms")
    return first_health


# ---------------------------------------------------------------------------------------------
# One run: seed, every scenario, across one or more instances of the server


def scenario_specs():
    """(key, row name, path, Lua script, its arguments given one instance's data files)."""
    return [
        ("health", "GET /api/health", "/api/health", "static.lua", lambda d: ()),
        ("products", "GET /api/products?perPage=30", "/api/products?perPage=30", "static.lua", lambda d: ()),
        ("product", "GET /api/products/:id (random)", "/", "product_by_id.lua", lambda d: (d["products"],)),
        ("assets", "GET /api/assets?minPrice=1000&sort=-marketCap", "/api/assets?minPrice=1000&sort=-marketCap&perPage=30",
         "static.lua", lambda d: ()),
        ("me", "GET /api/users/me (200 users' tokens)", "/", "auth_get.lua", lambda d: ("/api/users/me", d["users"])),
        ("cart", "GET /api/cart (200 users' tokens)", "/", "auth_get.lua", lambda d: ("/api/cart", d["users"])),
        ("orders", "POST /api/order (+cart refill), orders/s", "/", "order.lua",
         lambda d: (d["users"], d["products"], d["threads"])),
    ]


def instance_files(work, users, n):
    """The data files each of n instances' wrk reads. With several instances the users are dealt
    out between them, so that no user is in flight on two connections at once (order.lua's rule)
    across wrk processes either; the products file is shared."""
    products = work / "products.tsv"
    if n == 1:
        return [{"users": work / "users.tsv", "products": products, "threads": THREADS}]
    files = []
    for i in range(n):
        path = work / f"users-{i + 1}.tsv"
        path.write_text("".join(f"{u}\t{t}\t{name}\n" for u, t, name in users[i::n]))
        files.append({"users": path, "products": products, "threads": split_load(n)[1]})
    return files


def measure(opts, machine, srvs, work, hashing, wrk_dir=None):
    """Seeds through the first of `srvs`, then runs every scenario with the load split across
    them. Fills `hashing` (once per invocation) between the orders and the login rows, while the
    servers are idle."""
    ports = [s.port for s in srvs]
    seeded = seed(ports[0], work)
    seed_rss = [s.memory_kib("VmHWM") for s in srvs]
    files = instance_files(work, seeded["users"], len(srvs))

    log("scenarios:")
    results = []

    def measured(key, result):  # the servers' peak RSS so far goes with each row
        results.append(dict(key=key, **result, peak_rss_mb=max(s.memory_kib("VmHWM") for s in srvs) / 1024))
        return results[-1]

    for key, name, path, script, args in scenario_specs():
        measured(key, scenario_split(ports, opts, name, path, script, [args(d) for d in files], wrk_dir))
    orders = results[-1]
    for key, name, path in [
        ("ledger", f"GET /api/portfolio, {LEDGER_TRANSACTIONS:,} transactions ({LEDGER_CONNECTIONS} conns)", "/api/portfolio"),
        ("ledger_history", f"GET /api/portfolio/history, a year ({LEDGER_CONNECTIONS} conns)", "/api/portfolio/history"),
    ]:
        measured(key, scenario(ports[0], opts, name, "/", "auth_get.lua", (path, work / "investor.tsv"), wrk_dir,
                               connections=LEDGER_CONNECTIONS))
    orders["http_rps"] = orders["rps"]
    per_instance = [p["counters"]["orders"] / p["seconds"] for p in orders.get("instances", [orders])]
    orders["rps"] = sum(per_instance)
    if len(srvs) > 1:
        orders["orders_rps_per_instance"] = per_instance

    if "hash_ms" not in hashing:
        if opts.no_hash_bench:
            hashing.update(hash_ms=None, samples_ms=[], ceiling_per_s=None)
        else:
            log(f"  hashing: {HASH_SAMPLES} argon2 hashes (cargo bench --bench hash_cost)")
            hash_ms, hash_samples = hash_time_ms()
            hashing.update(hash_ms=hash_ms, samples_ms=[round(x, 2) for x in hash_samples],
                           ceiling_per_s=machine["cores"] * 1000 / hash_ms)

    login_args = [(d["users"], USER_PASSWORD) for d in files]
    measured("login", scenario_split(ports, opts, "POST /api/auth/login", "/api/auth/login", "login.lua",
                                     login_args, wrk_dir))
    reads, flood = login_flood(ports, opts, login_args, wrk_dir)
    measured("products_flood", reads)
    flood["peak_rss_mb"] = results[-1]["peak_rss_mb"]
    peak_rss = [s.memory_kib("VmHWM") for s in srvs]
    return {"results": results, "flood": flood, "seeded": seeded, "seed_rss": seed_rss, "peak_rss": peak_rss}


def per_ceiling(rps, hashing):
    return None if hashing["ceiling_per_s"] is None else rps / hashing["ceiling_per_s"]


def seed_config(seeded):
    return {"categories": CATEGORIES, "products": PRODUCTS, "assets": ASSETS, "users": USERS,
            "catalog_seconds": seeded["catalog_s"], "users_seconds": seeded["users_s"]}


def run_sqlite(opts, machine, work, servers, hashing):
    """The SQLite run: startup on new files, then one server on a fresh file under load."""
    # Startup: time from spawn to the first 200 from /api/health on a brand-new database.
    first_health = []
    for i in range(3):
        srv = Server(BINARY, work / f"startup{i}.db", work / f"startup{i}.log", cwd=ROOT)
        servers.append(srv)
        first_health.append(srv.wait_ready())
        srv.stop()
    log(f"first /api/health on a new database: {', '.join(f'{x:.0f}' for x in first_health)} ms")

    # The server under load: the admin is created (CLI) before it starts.
    db = work / "bench.db"
    create_admin(db)
    srv = Server(BINARY, db, work / "server.log", cwd=ROOT)
    servers.append(srv)
    srv.wait_ready()
    time.sleep(0.5)
    idle_rss = srv.memory_kib("VmRSS")
    log(f"server pid {srv.proc.pid} on 127.0.0.1:{srv.port}, idle RSS {idle_rss / 1024:.1f} MB; seeding")
    data = measure(opts, machine, [srv], work, hashing)
    results, flood = data["results"], data["flood"]

    by_key = {x["key"]: x for x in results}
    report = {
        "machine": machine,
        "config": {"duration_s": opts.duration, "warmup_s": opts.warmup, "connections": CONNECTIONS,
                   "wrk_threads": THREADS, "flood_connections": FLOOD_CONNECTIONS, "server_env": SERVER_ENV,
                   "seed": seed_config(data["seeded"]),
                   **({"binary": str(BINARY)} if opts.binary else {})},
        "scenarios": results,
        "scenarios_by_key": by_key,
        "login_flood": flood,
        "hashing": dict(hashing),
        "server": {"idle_rss_mb": idle_rss / 1024, "peak_rss_mb": data["peak_rss"][0] / 1024,
                   "peak_rss_after_seeding_mb": data["seed_rss"][0] / 1024,
                   "first_health_ms": statistics.median(first_health),
                   "first_health_samples_ms": [round(x, 1) for x in first_health],
                   "binary_mb": BINARY.stat().st_size / 1024 / 1024},
        "ratios": {"products_per_health": by_key["products"]["rps"] / by_key["health"]["rps"],
                   "logins_per_ceiling": per_ceiling(by_key["login"]["rps"], hashing),
                   "flood_logins_per_ceiling": per_ceiling(flood["rps"], hashing)},
    }
    report["targets"] = evaluate(report)
    return report


def run_postgres(opts, machine, work, servers, hashing, pg, first_health, sqlite):
    """The Postgres runs: for each instance count, a fresh database, the admin created there, the
    instances started one after the other (identical command line, environment and working
    directory, so identical settings), measure(), then the instances stopped and the database
    dropped. `sqlite` is the SQLite report of this invocation, or None."""
    sqlite_rps = {}
    if sqlite:
        sqlite_rps = {x["name"]: x["rps"] for x in sqlite["scenarios"] + [sqlite["login_flood"]]}
    modes = []
    for n in PG_INSTANCES:
        label = f"postgres ×{n}"
        mode_work = work / f"postgres-x{n}"
        mode_work.mkdir()
        url = pg.create(f"x{n}")
        log(f"{label}: database {redact(url)}, {n} server instance{'s' if n > 1 else ''}")
        create_admin(url)
        srvs = []
        for i in range(n):
            srv = Server(BINARY, url, mode_work / f"server{i + 1}.log", cwd=ROOT)
            servers.append(srv)
            srvs.append(srv)
            srv.wait_ready()
            check_postgres(srv)
        time.sleep(0.5)
        idle_rss = [s.memory_kib("VmRSS") for s in srvs]
        log(f"server pid{'s' if n > 1 else ''} {', '.join(str(s.proc.pid) for s in srvs)} on 127.0.0.1:"
            f"{', '.join(str(s.port) for s in srvs)}, idle RSS "
            f"{' / '.join(f'{x / 1024:.1f}' for x in idle_rss)} MB; seeding")
        data = measure(opts, machine, srvs, mode_work, hashing, OUT_DIR / "wrk" / f"postgres-x{n}")
        for srv in srvs:
            srv.stop()
        pg.drop(url)
        for x in data["results"] + [data["flood"]]:
            x["vs_sqlite"] = x["rps"] / sqlite_rps[x["name"]] if sqlite_rps.get(x["name"]) else None
        modes.append({
            "label": label, "instances": n, "ports": [s.port for s in srvs],
            "seed": seed_config(data["seeded"]),
            "scenarios": data["results"], "login_flood": data["flood"],
            "server": {"idle_rss_mb": [x / 1024 for x in idle_rss],
                       "peak_rss_mb": [x / 1024 for x in data["peak_rss"]],
                       "peak_rss_after_seeding_mb": [x / 1024 for x in data["seed_rss"]]},
        })
    report = {
        "machine": machine,
        "config": {"duration_s": opts.duration, "warmup_s": opts.warmup, "connections": CONNECTIONS,
                   "wrk_threads": THREADS, "flood_connections": FLOOD_CONNECTIONS, "server_env": SERVER_ENV,
                   "binary": str(BINARY),
                   "per_instance_when_split": {"connections": split_load(2)[0], "wrk_threads": split_load(2)[1],
                                               "flood_connections": FLOOD_CONNECTIONS // 2}},
        "postgres": {"url": redact(pg.url), "server_version": pg.version, "settings": pg.settings},
        "sqlite_in_run": sqlite is not None,
        "first_health_ms": statistics.median(first_health),
        "first_health_samples_ms": [round(x, 1) for x in first_health],
        "hashing": dict(hashing, source="measured during the SQLite run" if sqlite else
                        f"measured during the {modes[0]['label']} run"),
        "modes": modes,
    }
    report["targets"] = evaluate_postgres(report)
    return report


# ---------------------------------------------------------------------------------------------


def main():
    global BINARY
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-build", action="store_true", help="use the existing target/release/stockroom")
    ap.add_argument("--duration", type=int, default=10, help="measured seconds per scenario (default 10)")
    ap.add_argument("--warmup", type=int, default=3, help="warm-up seconds per scenario (default 3)")
    ap.add_argument("--check", action="store_true", help="exit with status 1 if any target fails")
    ap.add_argument("--postgres", metavar="URL",
                    help="also run on PostgreSQL: URL of a server's maintenance database, e.g. "
                         "postgres://postgres@127.0.0.1:5432/postgres (fresh databases are created "
                         "and dropped there with psql)")
    ap.add_argument("--postgres-only", action="store_true", help="with --postgres: skip the SQLite run")
    ap.add_argument("--pg-setting", action="append", default=[], metavar="KEY=VALUE",
                    help="with --postgres: ALTER DATABASE ... SET KEY = VALUE on each fresh database, "
                         "e.g. synchronous_commit=off (SQLite's synchronous=NORMAL durability); repeatable")
    ap.add_argument("--binary", type=Path, help="benchmark this stockroom binary (implies --no-build)")
    ap.add_argument("--no-hash-bench", action="store_true",
                    help="skip cargo bench --bench hash_cost (no hashing ceiling; its target is SKIP)")
    opts = ap.parse_args()
    if opts.postgres_only and not opts.postgres:
        ap.error("--postgres-only needs --postgres URL")
    if opts.binary:
        BINARY = opts.binary.resolve()
        opts.no_build = True
    if not shutil.which("wrk"):
        sys.exit("wrk not found: install it (e.g. apt-get install wrk)")
    pg = None
    if opts.postgres:
        try:
            pg = Postgres(opts.postgres, opts.pg_setting)
        except BenchError as e:
            sys.exit(f"benchmark failed: {e}")

    if not opts.no_build:
        builds = [["build", "--release"]] + ([] if opts.no_hash_bench else [["bench", "--no-run", "--bench", "hash_cost"]])
        log("building: " + ", ".join("cargo " + " ".join(b) for b in builds))
        for build in builds:
            if subprocess.run(["cargo", *build], cwd=ROOT).returncode != 0:
                sys.exit(f"cargo {' '.join(build)} failed")
    if not BINARY.exists():
        sys.exit(f"{BINARY} not found (build it, or drop --no-build)")
    OUT_DIR.mkdir(parents=True, exist_ok=True)

    machine = machine_info()
    work = Path(tempfile.mkdtemp(prefix="stockroom-bench-"))
    servers = []
    hashing = {}  # measured once per invocation, by the first run to reach the login rows
    failed = False
    try:
        pg_first_health = postgres_startup(pg, work, servers) if pg else None
        sqlite = None
        if not opts.postgres_only:
            report = run_sqlite(opts, machine, work, servers, hashing)
            text = render(report)
            print(text, flush=True)
            del report["scenarios_by_key"]
            report["targets"] = [{"target": t, "measured": m, "pass": ok} for t, m, ok in report["targets"]]
            report["table"] = text
            (OUT_DIR / "results.json").write_text(json.dumps(report, indent=2) + "\n")
            log(f"\nwrote {OUT_DIR / 'results.json'} (raw wrk output in {OUT_DIR / 'wrk'})")
            failed |= any(t["pass"] is False for t in report["targets"])
            sqlite = report
        if pg:
            report = run_postgres(opts, machine, work, servers, hashing, pg, pg_first_health, sqlite)
            text = render_postgres(report)
            print(("\n\n" if sqlite else "") + text, flush=True)
            report["targets"] = [{"target": t, "measured": m, "pass": ok} for t, m, ok in report["targets"]]
            report["table"] = text
            (OUT_DIR / "results-postgres.json").write_text(json.dumps(report, indent=2) + "\n")
            log(f"\nwrote {OUT_DIR / 'results-postgres.json'} (raw wrk output in {OUT_DIR / 'wrk' / 'postgres-x*'})")
            failed |= any(t["pass"] is False for t in report["targets"])
        if opts.check and failed:
            sys.exit(1)
    except ServerError as e:
        sys.exit(f"benchmark failed: {e}")
    finally:
        for s in servers:
            s.stop()
        if pg:
            pg.drop_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
