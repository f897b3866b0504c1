#!/usr/bin/env python3
"""A/B throughput of one GET route: several binaries (and log levels), alternated round by round
so that machine drift hits every variant alike. Used for changes whose cost is a few percent
(the request log, metrics) and for before/after comparisons of one route.

    python3 benches/ab.py --binary OLD --binary NEW [--path /api/products?perPage=30]
                          [--log default --log warn] [--rounds 5] [--duration 8]

Each variant runs on its own fresh database filled by `--demo` (35 products, 38 assets), with its
log written to a file as a real deployment would. Standard library and wrk only; 127.0.0.1 only.
"""

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Server  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def wrk(port, path, seconds):
    out = subprocess.run(["wrk", "-t2", "-c32", f"-d{seconds}s", f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        sys.exit(f"{bad.group(1)} non-2xx answers on {path}")
    return rps


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", action="append", required=True)
    ap.add_argument("--path", default="/api/products?perPage=30")
    ap.add_argument("--log", action="append", choices=["default", "warn"], help="log levels to compare")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=2)
    opts = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: install it (e.g. apt-get install wrk)")
    levels = opts.log or ["default"]
    variants = [(b, lvl) for b in opts.binary for lvl in levels]
    results = {v: [] for v in variants}
    work = Path(tempfile.mkdtemp(prefix="stockroom-ab-"))
    for r in range(opts.rounds):
        for i, (binary, level) in enumerate(variants):
            env = {"RUST_LOG": "warn"} if level == "warn" else {}
            tag = f"r{r}v{i}"
            srv = Server(binary, work / f"{tag}.db", work / f"{tag}.log", cwd=ROOT, env=env, args=["--demo"])
            try:
                srv.wait_ready()
                wrk(srv.port, opts.path, opts.warmup)
                rps = wrk(srv.port, opts.path, opts.duration)
            finally:
                srv.stop()
            results[(binary, level)].append(rps)
            print(f"round {r + 1}: {binary} log={level}: {rps:,.0f} req/s", file=sys.stderr, flush=True)
    print(f"\n{opts.path}, wrk -t2 -c32, {opts.duration}s per run, {opts.rounds} alternated rounds\n")
    print("| binary | log | median req/s | runs |")
    print("|---|---|---:|---|")
    for (binary, level), runs in results.items():
        print(f"| {binary} | {level} | {statistics.median(runs):,.0f} | {', '.join(f'{x:,.0f}' for x in runs)} |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
