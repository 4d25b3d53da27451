"""How long a whole OIDC login takes, and where the time goes.

Runs a live bridge on a loopback port (SQLite + in-process store by default, or PostgreSQL +
Redis with --production-stores) and drives N complete logins over real HTTP: authorization
request, password, TOTP code, code exchange, ID token verification. Prints the median and p95
of each phase. Argon2 uses the production default parameters unless --fast-hash is given.

    .venv/bin/python -m bench.login_flow --logins 50
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pyotp
from sqlalchemy import create_engine, text

from bridge.config.loading import load_settings
from bridge.config.secrets import Secrets
from bridge.domain.clock import SystemClock
from bridge.services.container import build_services
from bridge.storage.crypto import generate_key_spec
from bridge.storage.db.engine import Database, normalise_url
from tests.e2e.harness import PASSWORD, Browser, Page, RelyingParty, callback_params, serve

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def scratch_postgres_database() -> str:
    """A fresh database for this run, dropped when the process exits."""
    name = f"bridge_bench_{os.urandom(4).hex()}"
    admin = create_engine(normalise_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    atexit.register(drop)
    return normalise_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=30)
    parser.add_argument(
        "--fast-hash", action="store_true", help="OWASP-minimum argon2 (m=19 MiB, t=2)"
    )
    parser.add_argument("--production-stores", action="store_true", help="PostgreSQL + Redis")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    workdir = Path(tempfile.mkdtemp(prefix="bridge-bench-"))
    environ = {"BRIDGE_DATA_DIR": str(workdir)}
    if args.fast_hash:
        environ |= {
            "BRIDGE_PASSWORDS__ARGON2_TIME_COST": "2",
            "BRIDGE_PASSWORDS__ARGON2_MEMORY_COST": "19456",
            "BRIDGE_PASSWORDS__ARGON2_PARALLELISM": "1",
        }
    if args.production_stores:
        environ |= {
            "BRIDGE_DATABASE_URL": scratch_postgres_database(),
            "BRIDGE_EPHEMERAL__BACKEND": "redis",
            "BRIDGE_EPHEMERAL__REDIS_URL": "redis://127.0.0.1:6379/14",
            "BRIDGE_EPHEMERAL__KEY_PREFIX": f"bench:{os.getpid()}:",
        }
    clock = SystemClock()

    def factory(issuer: str):  # type: ignore[no-untyped-def]
        settings = load_settings(None, {**environ, "BRIDGE_ISSUER": issuer})
        Database(settings.database_url_resolved).upgrade()
        secrets = Secrets(secret_key=os.urandom(32), encryption_keys=generate_key_spec())
        return build_services(settings, secrets, clock), clock

    phases: dict[str, list[float]] = defaultdict(list)
    with serve(factory) as live:
        record, secret = live.services.clients.add("bench", ["http://127.0.0.1:9/callback"])
        rp = RelyingParty(live.url, record.id, secret)
        run = os.urandom(3).hex()
        totp_secrets = {}
        for i in range(args.logins):
            username = f"bench-{run}-{i}"
            user_id = live.add_user(username)
            offer = live.services.totp.start_enrolment(user_id, username)
            code = pyotp.TOTP(offer.secret).at(time.time() - 30)
            assert live.services.totp.confirm_enrolment(user_id, offer.credential_id, code)
            totp_secrets[username] = offer.secret

        started = time.perf_counter()
        for username, totp_secret in totp_secrets.items():
            browser = Browser()
            request = rp.authorization_request()
            t0 = time.perf_counter()
            page = browser.open(request.url)
            t1 = time.perf_counter()
            page = browser.submit(username=username, password=PASSWORD)
            t2 = time.perf_counter()
            assert isinstance(page, Page)
            landed = browser.submit(code=pyotp.TOTP(totp_secret).now())
            t3 = time.perf_counter()
            assert isinstance(landed, str), page.html[:300]
            tokens = rp.exchange(callback_params(landed)["code"], request.verifier).json()
            t4 = time.perf_counter()
            rp.id_token_claims(tokens["id_token"], request.nonce)
            phases["authorize → password page"].append(t1 - t0)
            phases["password (argon2id)"].append(t2 - t1)
            phases["TOTP code → redirect with code"].append(t3 - t2)
            phases["token exchange"].append(t4 - t3)
            phases["whole login"].append(t4 - t0)
        elapsed = time.perf_counter() - started

    stores = "PostgreSQL + Redis" if args.production_stores else "SQLite + in-process store"
    hashing = "OWASP minimum" if args.fast_hash else "production default (t=3, m=64 MiB, p=4)"
    print(f"{args.logins} logins, {stores}, argon2id {hashing}, one client at a time")
    for name, values in phases.items():
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        median = statistics.median(values) * 1000
        print(f"  {name:<32} median {median:7.1f} ms   p95 {p95 * 1000:7.1f} ms")
    print(f"  throughput: {args.logins / elapsed:.1f} logins/s")


if __name__ == "__main__":
    main()
