#!/usr/bin/env python3
"""Stockroom benchmark suite: one command, one table.

    python3 benches/run.py [--no-build] [--duration 10] [--warmup 3] [--check]

Builds the release binary, starts it on 127.0.0.1 with a fresh temporary database, seeds it through
the real API, drives each scenario with wrk (32 connections, warm-up, then a measured run), measures
the argon2 hashing ceiling, startup time and memory, prints one table with the issue's targets
marked PASS/FAIL, and writes the same as JSON to target/bench/results.json. See benches/README.md.
Needs python3 (standard library only) and wrk. Traffic goes only to 127.0.0.1.
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
import sys
import tempfile
import textwrap
import time
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
STOCK = 1_000_000  # per product: far more than the order scenario can buy
ADMIN_PASSWORD = "bench-admin-Quartz-42"
USER_PASSWORD = "bench-user-Lantern-77"
HASH_SAMPLES = 30  # argon2 hashes timed for the hashing ceiling


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
    api.conn.close()

    (work / "users.tsv").write_text("".join(f"{u}\t{t}\t{n}\n" for u, t, n in users))
    (work / "products.tsv").write_text("".join(f"{p}\n" for p in products))
    log(f"seeded {CATEGORIES} categories, {PRODUCTS} products, {ASSETS} assets in {t_catalog:.1f}s; "
        f"{USERS} users with cart lines and holdings in {t_users:.1f}s")
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


def scenario(port, opts, name, path, script, args=()):
    """A warm-up run (discarded), then the measured run."""
    log(f"  {name}: {opts.warmup}s warm-up + {opts.duration}s")
    if opts.warmup > 0:
        run_wrk(name, wrk_command(port, path, script, args, opts.warmup))
    output = run_wrk(name, wrk_command(port, path, script, args, opts.duration))
    (OUT_DIR / "wrk").mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "wrk" / (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".txt")).write_text(output)
    return dict(name=name, **parse_wrk(name, output))


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


def login_flood(port, opts, login_args):
    """GET /api/products at 32 connections while 256 connections hammer POST /api/auth/login."""
    flood_seconds = opts.warmup + opts.duration + 3
    flood = subprocess.Popen(
        wrk_command(port, "/api/auth/login", "login.lua", login_args,
                    flood_seconds, connections=FLOOD_CONNECTIONS, threads=1, timeout=60),
        env=wrk_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(max(opts.warmup, 2))  # let the flood saturate hashing first
        log(f"  GET /api/products during login flood: {opts.duration}s under {FLOOD_CONNECTIONS} login connections")
        output = run_wrk("products during flood",
                         wrk_command(port, "/api/products?perPage=30", "static.lua", (), opts.duration))
        flood_out, flood_err = flood.communicate(timeout=flood_seconds + 60)
    finally:
        if flood.poll() is None:
            flood.kill()
            flood.wait()
    (OUT_DIR / "wrk").mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "wrk" / "products-during-login-flood.txt").write_text(output)
    (OUT_DIR / "wrk" / "login-flood.txt").write_text(flood_out)
    reads = dict(name=f"GET /api/products during login flood ({FLOOD_CONNECTIONS} conns)",
                 **parse_wrk("products during flood", output))
    logins = dict(name=f"  the login flood itself ({FLOOD_CONNECTIONS} conns)", **parse_wrk("login flood", flood_out))
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


def evaluate(r):
    """The issue's targets: (target, measured, pass)."""
    s = {x["key"]: x for x in r["scenarios"]}
    mem, ratios = r["server"], r["ratios"]
    flood = s["products_flood"]
    return [
        ("logins/s >= 90% of hashing ceiling", f"{ratios['logins_per_ceiling']:.0%}",
         ratios["logins_per_ceiling"] >= 0.9),
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
        f"measured per scenario, on the same machine. Server: release build, fresh database, default "
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
    lines += [
        "",
        para("peak RSS MB = the server's VmHWM after that row (the peak so far in the run)."),
        para(f"Orders row: req/s = orders placed per second (201 responses to POST /api/order); each buyer "
        f"sends a pipelined pair POST /api/cart + POST /api/order on its connection, latency is the "
        f"pair's, errors count every failed response of either request. HTTP requests/s: "
        f"{r['scenarios_by_key']['orders']['http_rps']:.0f}."),
        "",
        para(f"Hashing: one argon2id hash at the configured cost = {h['hash_ms']:.1f} ms (median of {HASH_SAMPLES}, "
        f"cargo bench --bench hash_cost) -> ceiling = {m['cores']} cores / {h['hash_ms']:.1f} ms "
        f"= {h['ceiling_per_s']:.1f} logins/s"),
        para(f"Ratios: products/health = {ratios['products_per_health']:.1%}; logins/ceiling = "
        f"{ratios['logins_per_ceiling']:.1%} ({r['scenarios_by_key']['login']['rps']:.1f} / "
        f"{h['ceiling_per_s']:.1f}); logins during flood/ceiling = {ratios['flood_logins_per_ceiling']:.1%}"),
        para(f"Server: idle RSS {s['idle_rss_mb']:.1f} MB, peak RSS (VmHWM, whole run) {s['peak_rss_mb']:.1f} MB "
        f"({s['peak_rss_after_seeding_mb']:.1f} MB after seeding), "
        f"first /api/health on a new database {s['first_health_ms']:.0f} ms (median of "
        f"{len(s['first_health_samples_ms'])}), release binary {s['binary_mb']:.1f} MB"),
        "",
        "Targets (issue #6):",
    ]
    for target, measured, ok in r["targets"]:
        lines.append(f"  {'PASS' if ok else 'FAIL'}  {target:<55} {measured}")
    if r["config"]["duration_s"] < 10:
        lines.append(f"  (short run: {r['config']['duration_s']}s per scenario; the issue asks for at least 10 s)")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-build", action="store_true", help="use the existing target/release/stockroom")
    ap.add_argument("--duration", type=int, default=10, help="measured seconds per scenario (default 10)")
    ap.add_argument("--warmup", type=int, default=3, help="warm-up seconds per scenario (default 3)")
    ap.add_argument("--check", action="store_true", help="exit with status 1 if any target fails")
    opts = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: install it (e.g. apt-get install wrk)")

    if not opts.no_build:
        log("building: cargo build --release, cargo bench --no-run --bench hash_cost")
        for build in (["build", "--release"], ["bench", "--no-run", "--bench", "hash_cost"]):
            if subprocess.run(["cargo", *build], cwd=ROOT).returncode != 0:
                sys.exit(f"cargo {' '.join(build)} failed")
    if not BINARY.exists():
        sys.exit(f"{BINARY} not found (build it, or drop --no-build)")
    OUT_DIR.mkdir(parents=True, exist_ok=True)

    machine = machine_info()
    work = Path(tempfile.mkdtemp(prefix="stockroom-bench-"))
    servers = []
    try:
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
        port = srv.port
        log(f"server pid {srv.proc.pid} on 127.0.0.1:{port}, idle RSS {idle_rss / 1024:.1f} MB; seeding")
        seeded = seed(port, work)
        seed_rss = srv.memory_kib("VmHWM")
        users_file, products_file = work / "users.tsv", work / "products.tsv"

        log("scenarios:")
        specs = [
            ("health", "GET /api/health", "/api/health", "static.lua", ()),
            ("products", "GET /api/products?perPage=30", "/api/products?perPage=30", "static.lua", ()),
            ("product", "GET /api/products/:id (random)", "/", "product_by_id.lua", (products_file,)),
            ("assets", "GET /api/assets?minPrice=1000&sort=-marketCap", "/api/assets?minPrice=1000&sort=-marketCap&perPage=30",
             "static.lua", ()),
            ("me", "GET /api/users/me (200 users' tokens)", "/", "auth_get.lua", ("/api/users/me", users_file)),
            ("cart", "GET /api/cart (200 users' tokens)", "/", "auth_get.lua", ("/api/cart", users_file)),
            ("orders", "POST /api/order (+cart refill), orders/s", "/", "order.lua", (users_file, products_file, THREADS)),
        ]
        results = []

        def measured(key, result):  # the server's peak RSS so far goes with each row
            results.append(dict(key=key, **result, peak_rss_mb=srv.memory_kib("VmHWM") / 1024))
            return results[-1]

        for key, name, path, script, args in specs:
            measured(key, scenario(port, opts, name, path, script, args))
        orders = results[-1]
        orders["http_rps"] = orders["rps"]
        orders["rps"] = orders["counters"]["orders"] / orders["seconds"]

        log(f"  hashing: {HASH_SAMPLES} argon2 hashes (cargo bench --bench hash_cost)")
        hash_ms, hash_samples = hash_time_ms()
        ceiling = machine["cores"] * 1000 / hash_ms

        login_args = (users_file, USER_PASSWORD)
        measured("login", scenario(port, opts, "POST /api/auth/login", "/api/auth/login", "login.lua", login_args))
        reads, flood = login_flood(port, opts, login_args)
        measured("products_flood", reads)
        flood["peak_rss_mb"] = results[-1]["peak_rss_mb"]
        peak_rss = srv.memory_kib("VmHWM")

        by_key = {x["key"]: x for x in results}
        report = {
            "machine": machine,
            "config": {"duration_s": opts.duration, "warmup_s": opts.warmup, "connections": CONNECTIONS,
                       "wrk_threads": THREADS, "flood_connections": FLOOD_CONNECTIONS, "server_env": SERVER_ENV,
                       "seed": {"categories": CATEGORIES, "products": PRODUCTS, "assets": ASSETS, "users": USERS,
                                "catalog_seconds": seeded["catalog_s"], "users_seconds": seeded["users_s"]}},
            "scenarios": results,
            "scenarios_by_key": by_key,
            "login_flood": flood,
            "hashing": {"hash_ms": hash_ms, "samples_ms": [round(x, 2) for x in hash_samples],
                        "ceiling_per_s": ceiling},
            "server": {"idle_rss_mb": idle_rss / 1024, "peak_rss_mb": peak_rss / 1024,
                       "peak_rss_after_seeding_mb": seed_rss / 1024,
                       "first_health_ms": statistics.median(first_health),
                       "first_health_samples_ms": [round(x, 1) for x in first_health],
                       "binary_mb": BINARY.stat().st_size / 1024 / 1024},
            "ratios": {"products_per_health": by_key["products"]["rps"] / by_key["health"]["rps"],
                       "logins_per_ceiling": by_key["login"]["rps"] / ceiling,
                       "flood_logins_per_ceiling": flood["rps"] / ceiling},
        }
        report["targets"] = evaluate(report)
        text = render(report)
        print(text)
        del report["scenarios_by_key"]
        report["targets"] = [{"target": t, "measured": m, "pass": ok} for t, m, ok in report["targets"]]
        report["table"] = text
        (OUT_DIR / "results.json").write_text(json.dumps(report, indent=2) + "\n")
        log(f"\nwrote {OUT_DIR / 'results.json'} (raw wrk output in {OUT_DIR / 'wrk'})")
        if opts.check and not all(t["pass"] for t in report["targets"]):
            sys.exit(1)
    except ServerError as e:
        sys.exit(f"benchmark failed: {e}")
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
