"""The server's CPU per operation, its queries and transactions per login, and its memory.

Starts a metered bridge (``bench.metered``) in a process of its own on a loopback port,
PostgreSQL + Redis by default (``--sqlite``: SQLite + the in-process store), and drives it over
real HTTP from this process: ``--logins`` complete logins of users who have TOTP (authorize,
password, TOTP code, code exchange, each a fresh browser), then a refresh and a userinfo call per
login, and as many discovery and JWKS requests. Every request says which operation it belongs
to, and the server adds up per operation its process CPU (``time.process_time``), the SQL
statements, the transactions and the pool check-outs. The whole is repeated ``--rounds`` times;
each figure is the median of the rounds (the machine is shared: CPU, not wall time, and
repeated). One argon2id verify's CPU is measured in the same server process, so a login's
cost beyond it is the login's CPU minus that; the verify each login really ran is also timed in
its request, and the login beyond it printed (less noisy: no second verify to subtract). Also
printed: the process CPU per login read from ``/proc/<pid>/stat`` (includes the HTTP server),
and the server's RSS at the end.

    .venv/bin/python -m bench.cpu_per_operation --logins 50 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyotp
import requests

from bench.login_flow import scratch_postgres_database
from bridge.config.loading import load_settings
from bridge.config.secrets import Secrets
from bridge.services.container import build_services
from bridge.storage.crypto import generate_key_spec
from bridge.storage.db.engine import Database
from tests.e2e.harness import PASSWORD, Browser, Page, RelyingParty, callback_params

LOGIN = ("authorize", "password", "totp", "code exchange")
OTHERS = ("refresh", "userinfo", "discovery", "jwks")
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def environment(args: argparse.Namespace, workdir: Path, issuer: str) -> dict[str, str]:
    environ = {
        "BRIDGE_ISSUER": issuer,
        "BRIDGE_DATA_DIR": str(workdir),
        "BRIDGE_SECRET_KEY": os.urandom(32).hex(),
        "BRIDGE_ENCRYPTION_KEYS": generate_key_spec(),
    }
    if args.fast_hash:
        environ |= {
            "BRIDGE_PASSWORDS__ARGON2_TIME_COST": "2",
            "BRIDGE_PASSWORDS__ARGON2_MEMORY_COST": "19456",
            "BRIDGE_PASSWORDS__ARGON2_PARALLELISM": "1",
        }
    if args.sqlite:
        environ["BRIDGE_EPHEMERAL__BACKEND"] = "memory"
    else:
        environ |= {
            "BRIDGE_DATABASE_URL": scratch_postgres_database(),
            "BRIDGE_EPHEMERAL__BACKEND": "redis",
            "BRIDGE_EPHEMERAL__REDIS_URL": "redis://127.0.0.1:6379/14",
            "BRIDGE_EPHEMERAL__KEY_PREFIX": f"bench:{os.getpid()}:",
        }
    return environ


class Driver:
    """The relying party and the browsers, tagging each request with its operation."""

    def __init__(self, issuer: str, client_id: str, secret: str | None) -> None:
        self.issuer = issuer
        self.rp = RelyingParty(issuer, client_id, secret)
        self.tokens: list[dict[str, Any]] = []

    def login(self, username: str, totp_secret: str) -> None:
        browser = Browser()
        request = self.rp.authorization_request()
        browser.http.headers["X-Bench-Op"] = "authorize"
        page = browser.open(request.url)
        assert isinstance(page, Page), page
        browser.http.headers["X-Bench-Op"] = "password"
        page = browser.submit(username=username, password=PASSWORD)
        assert isinstance(page, Page), page
        browser.http.headers["X-Bench-Op"] = "totp"
        landed = browser.submit(code=pyotp.TOTP(totp_secret).now())
        assert isinstance(landed, str), browser.page.html[:300] if browser.page else landed
        self.rp.http.headers["X-Bench-Op"] = "code exchange"
        response = self.rp.exchange(callback_params(landed)["code"], request.verifier)
        assert response.status_code == 200, response.text
        self.tokens.append(response.json())

    def others(self) -> None:
        http = self.rp.http
        for tokens in self.tokens:
            http.headers["X-Bench-Op"] = "refresh"
            response = self.rp.refresh(tokens["refresh_token"])
            assert response.status_code == 200, response.text
            http.headers["X-Bench-Op"] = "userinfo"
            assert self.rp.userinfo(response.json()["access_token"]).status_code == 200
            http.headers["X-Bench-Op"] = "discovery"
            assert http.get(f"{self.issuer}/.well-known/openid-configuration").ok
            http.headers["X-Bench-Op"] = "jwks"
            assert http.get(f"{self.issuer}/jwks").ok
        self.tokens.clear()
        http.headers.pop("X-Bench-Op", None)


def start_server(environ: dict[str, str], port: int) -> subprocess.Popen[str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.metered", str(port)],
        env={**os.environ, **environ},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    if server.stdout.readline().strip() != "serving":
        server.kill()
        raise SystemExit("the metered bridge did not start")
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=40, help="logins per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sqlite", action="store_true", help="SQLite + in-process store")
    parser.add_argument("--fast-hash", action="store_true", help="argon2id m=19 MiB, t=2, p=1")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bridge-cpu-"))
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    environ = environment(args, workdir, issuer)
    settings = load_settings(None, environ)
    Database(settings.database_url_resolved).upgrade()
    secrets = Secrets(
        secret_key=environ["BRIDGE_SECRET_KEY"].encode(),
        encryption_keys=environ["BRIDGE_ENCRYPTION_KEYS"],
    )
    setup = build_services(settings, secrets)
    server = start_server(environ, port)
    try:
        record, secret = setup.clients.add("bench", ["http://127.0.0.1:9/callback"])
        users = []
        for i in range(args.logins * args.rounds + 3):
            username = f"bench-{i}"
            user_id = setup.users.create(
                username, email=f"{username}@example.com", password=PASSWORD
            ).id
            offer = setup.totp.start_enrolment(user_id, username)
            code = pyotp.TOTP(offer.secret).at(time.time() - 30)
            assert setup.totp.confirm_enrolment(user_id, offer.credential_id, code)
            users.append((username, offer.secret))
        setup.close()
        driver = Driver(issuer, record.id, secret)
        for username, totp_secret in users[:3]:  # warm-up: templates, the key, connections
            driver.login(username, totp_secret)
        driver.others()
        report(args, driver, server.pid, users[3:])
    finally:
        server.terminate()
        server.wait(timeout=10)


def report(args: argparse.Namespace, driver: Driver, pid: int, users: list[Any]) -> None:
    bench = f"{driver.issuer}/__bench"
    rounds: dict[str, list[dict[str, float]]] = defaultdict(list)
    whole: list[float] = []
    for r in range(args.rounds):
        requests.get(f"{bench}/reset", timeout=10)
        before = process_cpu(pid)
        for username, totp_secret in users[r * args.logins : (r + 1) * args.logins]:
            driver.login(username, totp_secret)
        whole.append((process_cpu(pid) - before) / args.logins)
        driver.others()
        figures = requests.get(f"{bench}/stats", timeout=10).json()["figures"]
        for op in (*LOGIN, *OTHERS):
            rounds[op].append(figures[op])
    if os.environ.get("BENCH_PROFILE"):
        requests.get(f"{bench}/profile", timeout=60)
    verify = requests.get(f"{bench}/verify?n=9", timeout=120).json()

    def per_login(field: str) -> float:
        return statistics.median(
            sum(rounds[op][r][field] for op in LOGIN) / args.logins for r in range(args.rounds)
        )

    stores = "SQLite + in-process store" if args.sqlite else "PostgreSQL + Redis"
    t, m, p = verify["parameters"]
    print(f"{args.rounds} rounds x {args.logins} logins, {stores}, argon2id t={t} m={m} p={p}")
    print("server CPU per operation (median of rounds), and what one operation sends the database")
    print(f"  {'operation':<14} {'HTTP':>5} {'CPU ms':>8} {'stmts':>6} {'savepts':>7} "
          f"{'tx':>5} {'checkouts':>9} {'store':>6}")  # fmt: skip
    for op in (*LOGIN, *OTHERS):
        per_op = statistics.median(f["requests"] / args.logins for f in rounds[op])
        cpu = statistics.median(f["cpu"] / args.logins for f in rounds[op]) * 1000
        counts = [
            statistics.median(f[k] / args.logins for f in rounds[op])
            for k in ("statements", "savepoints", "transactions", "checkouts", "store")
        ]
        print(f"  {op:<14} {per_op:5.1f} {cpu:8.2f} {counts[0]:6.1f} {counts[1]:7.1f} "
              f"{counts[2]:5.1f} {counts[3]:9.1f} {counts[4]:6.1f}")  # fmt: skip
    login_cpu = per_login("cpu") * 1000
    print(f"one login ({', '.join(LOGIN)}):")
    print(f"  CPU {login_cpu:.2f} ms; one argon2id verify {verify['cpu'] * 1000:.2f} ms; "
          f"beyond the verify {login_cpu - verify['cpu'] * 1000:.2f} ms")  # fmt: skip
    beyond_ran = statistics.median(
        sum(rounds[op][r]["cpu"] - rounds[op][r]["verify_cpu"] for op in LOGIN) / args.logins
        for r in range(args.rounds)
    )
    print(f"  beyond the {per_login('verifies'):.1f} verify it ran (timed in its request, "
          f"{per_login('verify_cpu') * 1000:.2f} ms): {beyond_ran * 1000:.2f} ms")  # fmt: skip
    print(f"  {per_login('statements'):.1f} statements, {per_login('savepoints'):.1f} savepoint "
          f"commands, {per_login('transactions'):.1f} transactions, "
          f"{per_login('checkouts'):.1f} pool check-outs, "
          f"{per_login('store'):.1f} ephemeral store calls")  # fmt: skip
    print(f"  process CPU per login from /proc (with the HTTP server): "
          f"{statistics.median(whole) * 1000:.1f} ms (rounds: "
          f"{', '.join(f'{w * 1000:.1f}' for w in whole)})")  # fmt: skip
    print(f"server RSS after {args.rounds * args.logins + 3} logins: {rss_mib(pid):.0f} MiB")


if __name__ == "__main__":
    main()
