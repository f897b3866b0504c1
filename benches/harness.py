"""What benches/run.py and benches/soak.py share: the Stockroom server under test.

Standard library only. Both scripts run as `python3 benches/<script>.py`, so this directory is on
sys.path and `from harness import ...` finds this file.
"""

import http.client
import os
import re
import subprocess
import time
from pathlib import Path

# The limiters would throttle a load generator that is one client hammering /api/auth/*; argon2
# keeps its default cost, which is what the login scenarios measure.
SERVER_ENV = {"STOCKROOM_AUTH_RATE_LIMIT": "0", "STOCKROOM_LOGIN_MAX_FAILURES": "0"}


class ServerError(Exception):
    pass


def server_env():
    """The caller's environment without any Stockroom/Rocket overrides, plus the limiter switches."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STOCKROOM_", "ROCKET_"))}
    env.update(SERVER_ENV)
    return env


class Server:
    """`binary` on 127.0.0.1:<free port> with database `db`; its stderr (one line per request) goes
    to `log_path`. `cwd` decides which Rocket.toml, if any, it reads."""

    def __init__(self, binary, db, log_path, cwd, env=None, args=()):
        self.log_path = log_path
        self.log_file = open(log_path, "wb")
        self.spawned = time.perf_counter()
        self.proc = subprocess.Popen(
            [str(binary), "--db", str(db), "--address", "127.0.0.1", "--port", "0", *args],
            cwd=cwd, env={**server_env(), **(env or {})}, stdin=subprocess.DEVNULL,
            stdout=self.log_file, stderr=subprocess.STDOUT)
        self.port = None

    def wait_ready(self, timeout=30.0):
        """Waits for the first 200 from /api/health; returns milliseconds since the spawn."""
        deadline = self.spawned + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            if self.port is None:
                m = re.search(rb"(?:listening on|has launched from) http://127\.0\.0\.1:(\d+)", self.log_path.read_bytes())
                if m:
                    self.port = int(m.group(1))
            if self.port is not None:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                try:
                    conn.request("GET", "/api/health")
                    if conn.getresponse().status == 200:
                        return (time.perf_counter() - self.spawned) * 1000
                except OSError:
                    pass
                finally:
                    conn.close()
            time.sleep(0.001)
        raise ServerError(f"server not healthy within {timeout}s:\n{self.log_tail()}")

    def memory_kib(self, field="VmRSS"):
        """VmRSS (now) or VmHWM (peak) of the server process in KiB; None once it is gone."""
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        except OSError:
            pass
        return None

    def log_tail(self, lines=20):
        text = self.log_path.read_bytes().decode(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self):
        """SIGTERM (graceful), SIGKILL if it does not go within 10 s. Returns whether it exited 0."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()
        return self.proc.returncode == 0
