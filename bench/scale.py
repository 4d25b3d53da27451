"""Whether a login costs more when the database holds more people (issue 16: within 1.1x).

For each ``--population`` (default 10,000 and 1,000,000 users) a scratch PostgreSQL database is
migrated and filled, and a metered bridge (``bench.metered``) serves it on Redis; the servers run
side by side and the rounds alternate between them (the order swaps each round), so the machine's
load falls on every population alike. A database holds, besides the people who log in (made the
normal way: ``users.create``, a TOTP enrolment, a membership), filler people written straight
into their tables by one ``INSERT ... SELECT generate_series(...)`` each: a user row with every
column the model needs, a confirmed TOTP credential, ``--codes`` recovery codes (none by
default), and a membership in one of the filler organisations (one per ``--per-org`` people).
``ANALYZE`` follows the fill, so PostgreSQL plans as it would in production. Printed per
population: the login's server CPU (authorize, password, TOTP, code exchange; median of the
rounds), one argon2id verify measured in that server, the login beyond the verify it ran
(timed in its request: ``bench.metered``), statements per login, and the ratio of each
population's figure to the first one's beside the target.

    .venv/bin/python -m bench.scale --population 10000,1000000 --logins 30 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import Popen

import pyotp
import requests
from sqlalchemy import create_engine, text

from bench.cpu_per_operation import LOGIN, Driver, environment, free_port, start_server
from bridge.config.loading import load_settings
from bridge.config.secrets import Secrets
from bridge.services.container import build_services
from bridge.services.orgs.access import Actor
from bridge.storage.db.engine import Database, normalise_url
from tests.e2e.harness import CALLBACK, PASSWORD

TARGET = 1.1
#: A filler's password: a real argon2id hash's shape; nobody signs in with it.
FILLER_HASH = "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hmaWxsZXI$" + "A" * 43

FILL_ORGANISATIONS = """
INSERT INTO organisations (id, slug, name, kind, mode, created_at, mfa_enforced, on_disable,
    trusted_browsers_enabled, trusted_browser_days, lockout_password_failures,
    lockout_code_failures, lockout_action, sso_enabled, sso_domains,
    admin_reset_requires_verified_domain, app_passwords_allowed, password_reset_allowed)
SELECT md5('org-' || n), 'filler-' || n, 'Filler ' || n, 'standalone', 'production', now(),
    n % 4 = 0, 'keep', true, 30, 5, 3, 'lock', false, '[]', true, true, true
FROM generate_series(0, :orgs - 1) AS n
"""
FILL_USERS = """
INSERT INTO users (id, username, email, email_verified, name, password_hash, disabled,
    created_at, updated_at, mfa_required, mfa_reenrol, service_account, password_must_change)
SELECT md5('user-' || n), 'filler-' || n, 'filler-' || n || '@example.com', true,
    'Filler ' || n, :hash, false, now(), now(), false, false, false, false
FROM generate_series(0, :users - 1) AS n
"""
FILL_TOTP = """
INSERT INTO totp_credentials (id, user_id, secret_ciphertext, algorithm, digits, period,
    created_at, confirmed_at)
SELECT md5('totp-' || n), md5('user-' || n), 'filler', 'SHA1', 6, 30, now(), now()
FROM generate_series(0, :users - 1) AS n
"""
FILL_RECOVERY_CODES = """
INSERT INTO recovery_codes (id, user_id, salt, code_hash, created_at)
SELECT md5('code-' || n || '-' || k), md5('user-' || n), md5('salt-' || n),
    md5('hash-' || k) || md5('more-' || k), now()
FROM generate_series(0, :users - 1) AS n, generate_series(1, :codes) AS k
"""
FILL_MEMBERSHIPS = """
INSERT INTO memberships (org_id, user_id, role, created_at)
SELECT md5('org-' || (n % :orgs)), md5('user-' || n),
    CASE WHEN n < :orgs THEN 'admin' ELSE 'member' END, now()
FROM generate_series(0, :users - 1) AS n
"""


@dataclass
class Bench:
    """One population: its server, the people who log in, its figures per round."""

    population: int
    driver: Driver
    server: Popen[str]
    users: list[tuple[str, str]]
    fill_seconds: float
    analyze_seconds: float
    rounds: list[dict[str, float]] = field(default_factory=list)
    verify: float = 0.0

    def run_round(self, r: int, logins: int) -> None:
        bench = f"{self.driver.issuer}/__bench"
        requests.get(f"{bench}/reset", timeout=10)
        for username, totp_secret in self.users[r * logins : (r + 1) * logins]:
            self.driver.login(username, totp_secret)
        figures = requests.get(f"{bench}/stats", timeout=10).json()["figures"]
        self.driver.tokens.clear()
        figure = {k: sum(figures[op][k] for op in LOGIN) / logins for k in ("cpu", "statements")}
        # beyond the verify each login ran, timed in its request (bench.metered)
        figure["beyond"] = figure["cpu"] - sum(figures[op]["verify_cpu"] for op in LOGIN) / logins
        self.rounds.append(figure)

    def median(self, key: str) -> float:
        return statistics.median(r[key] for r in self.rounds)


def fill(url: str, fillers: int, per_org: int, codes: int) -> float:
    """Write ``fillers`` people, their TOTP credentials, ``codes`` recovery codes each and
    their memberships; seconds taken."""
    orgs = max(1, fillers // per_org)
    started = time.monotonic()
    engine = create_engine(normalise_url(url))
    try:
        with engine.begin() as connection:
            connection.execute(text(FILL_ORGANISATIONS), {"orgs": orgs})
            connection.execute(text(FILL_USERS), {"users": fillers, "hash": FILLER_HASH})
            connection.execute(text(FILL_TOTP), {"users": fillers})
            if codes:
                connection.execute(text(FILL_RECOVERY_CODES), {"users": fillers, "codes": codes})
            connection.execute(text(FILL_MEMBERSHIPS), {"users": fillers, "orgs": orgs})
    finally:
        engine.dispose()
    return time.monotonic() - started


def analyze(url: str) -> float:
    """``ANALYZE`` every table, as autovacuum would after a fill; seconds taken."""
    started = time.monotonic()
    engine = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    return time.monotonic() - started


def prepare(args: argparse.Namespace, population: int) -> Bench:
    """A scratch database with ``population`` people, and its metered server started."""
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    environ = environment(args, Path(tempfile.mkdtemp(prefix="bridge-scale-")), issuer)
    settings = load_settings(None, environ)
    url = settings.database_url_resolved
    Database(url).upgrade()
    count = args.logins * args.rounds + 3
    fill_seconds = fill(url, population - count, args.per_org, args.codes)
    services = build_services(
        settings,
        Secrets(
            secret_key=environ["BRIDGE_SECRET_KEY"].encode(),
            encryption_keys=environ["BRIDGE_ENCRYPTION_KEYS"],
        ),
    )
    try:
        record, secret = services.clients.add("bench", [CALLBACK])
        services.orgs.create(Actor.operator(), "bench-home", "Bench home")
        users = []
        for i in range(count):
            username = f"bench-{i}"
            user_id = services.users.create(
                username, email=f"{username}@example.com", password=PASSWORD
            ).id
            services.members.add(Actor.operator(), "bench-home", username)
            offer = services.totp.start_enrolment(user_id, username)
            code = pyotp.TOTP(offer.secret).at(time.time() - 30)
            assert services.totp.confirm_enrolment(user_id, offer.credential_id, code)
            users.append((username, offer.secret))
    finally:
        services.close()
    analyze_seconds = analyze(url)
    server = start_server(environ, port)
    driver = Driver(issuer, record.id, secret)
    for username, totp_secret in users[:3]:  # warm-up: templates, the key, connections
        driver.login(username, totp_secret)
    driver.tokens.clear()
    return Bench(population, driver, server, users[3:], fill_seconds, analyze_seconds)


def interleaved(benches: list[Bench], rounds: int, logins: int) -> None:
    for r in range(rounds):
        for bench in benches if r % 2 == 0 else benches[::-1]:
            bench.run_round(r, logins)
    for bench in benches:
        url = f"{bench.driver.issuer}/__bench/verify?n=9"
        bench.verify = requests.get(url, timeout=120).json()["cpu"]


def report(benches: list[Bench], args: argparse.Namespace, load: tuple[float, ...]) -> None:
    base = benches[0]

    def beyond(bench: Bench) -> float:
        return bench.median("beyond")

    print(f"{args.rounds} rounds x {args.logins} logins per population, interleaved, "
          f"PostgreSQL + Redis; load average {load[0]:.2f} before, "
          f"{os.getloadavg()[0]:.2f} after")  # fmt: skip
    print(f"  {'users':>10} {'fill s':>7} {'analyze s':>9} {'login ms':>9} {'verify ms':>9} "
          f"{'beyond ms':>9} {'stmts':>6} rounds (beyond, ms)")  # fmt: skip
    for bench in benches:
        per_round = ", ".join(f"{r['beyond'] * 1000:.1f}" for r in bench.rounds)
        print(f"  {bench.population:>10,} {bench.fill_seconds:7.1f} "
              f"{bench.analyze_seconds:9.1f} {bench.median('cpu') * 1000:9.2f} "
              f"{bench.verify * 1000:9.2f} {beyond(bench) * 1000:9.2f} "
              f"{bench.median('statements'):6.1f} {per_round}")  # fmt: skip
    for bench in benches[1:]:
        ratio = beyond(bench) / beyond(base)
        whole = bench.median("cpu") / base.median("cpu")
        verdict = "met" if ratio <= TARGET else "NOT met"
        print(f"login beyond the verify at {bench.population:,} users / at "
              f"{base.population:,}: {ratio:.2f}x (target <= {TARGET}x: {verdict}); "
              f"whole login {whole:.2f}x")  # fmt: skip


def populations(value: str) -> list[int]:
    return [int(part.replace("_", "")) for part in value.split(",") if part]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=populations, default=[10_000, 1_000_000])
    parser.add_argument("--logins", type=int, default=30, help="logins per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-org", type=int, default=50, help="filler people per organisation")
    parser.add_argument(
        "--codes", type=int, default=0, help="recovery codes per filler person (0-10)"
    )
    parser.add_argument("--fast-hash", action="store_true", help="argon2id m=19 MiB, t=2, p=1")
    args = parser.parse_args()
    args.sqlite = False
    if min(args.population) < args.logins * args.rounds + 3:
        parser.error("every population must hold the --logins x --rounds people who log in")
    load = os.getloadavg()
    benches: list[Bench] = []
    stops: list[Callable[[], object]] = []
    try:
        for population in args.population:
            benches.append(prepare(args, population))
            stops.append(benches[-1].server.terminate)
        interleaved(benches, args.rounds, args.logins)
        report(benches, args, load)
    finally:
        for stop in stops:
            stop()
        for bench in benches:
            bench.server.wait(timeout=10)


if __name__ == "__main__":
    main()
