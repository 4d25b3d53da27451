"""How many database transactions and statements one whole browser login costs.

Runs a live bridge (SQLite + in-process store, fast argon2) and drives one first login over
real HTTP: authorization request, password, TOTP enrolment, recovery codes, code exchange
(``--postgres``: a scratch PostgreSQL database instead of SQLite). Counts
the HTTP requests, the top-level transactions (SQLAlchemy ``begin`` events), and the statements
sent (savepoint commands apart).

    .venv/bin/python -m bench.login_transactions [--postgres]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from flask import request_started
from sqlalchemy import event

from bench.login_flow import scratch_postgres_database
from bridge.config.loading import load_settings
from bridge.config.secrets import Secrets
from bridge.domain.clock import FrozenClock
from bridge.services.container import Services, build_services
from bridge.storage.crypto import generate_key_spec
from bridge.storage.db.engine import Database
from tests.conftest import FAST_ARGON2
from tests.e2e.harness import (
    Browser,
    Page,
    RelyingParty,
    callback_params,
    enrolment_secret,
    serve,
    totp_code,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="a scratch PostgreSQL database")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bridge-tx-"))
    url = scratch_postgres_database() if args.postgres else f"sqlite:///{data / 'bridge.db'}"
    Database(url).upgrade()
    counts: Counter[str] = Counter()

    def count(name: str) -> Any:
        def counter(*_args: Any, **_kw: Any) -> None:
            counts[name] += 1

        return counter

    def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if sql.startswith("--"):
            counts["skipped"] += 1  # a savepoint before SQLite's first write: not sent
        elif "SAVEPOINT" in sql.upper():
            counts["savepoint"] += 1
        else:
            counts["sql"] += 1

    def factory(issuer: str) -> tuple[Services, FrozenClock]:
        environ = {
            "BRIDGE_ISSUER": issuer,
            "BRIDGE_DATA_DIR": str(data),
            "BRIDGE_DATABASE_URL": url,
            "BRIDGE_EPHEMERAL__BACKEND": "memory",
            **FAST_ARGON2,
        }
        secrets = Secrets(secret_key=os.urandom(32), encryption_keys=generate_key_spec())
        clock = FrozenClock(time.time())
        return build_services(load_settings(None, environ), secrets, clock), clock

    with serve(factory) as live:
        record, secret = live.services.clients.add("Bench", ["http://127.0.0.1:9/callback"])
        rp = RelyingParty(live.url, record.id, secret, now=live.clock)
        live.services.users.create("bench", email="bench@example.com", password="x" * 12)
        engine = live.services.db.engine
        event.listen(engine, "begin", count("transactions"))
        event.listen(engine, "before_cursor_execute", statement)
        request_started.connect(count("requests"), weak=False)
        counts.clear()
        request = rp.authorization_request()
        browser = Browser()
        browser.open(request.url)
        page = browser.submit(username="bench", password="x" * 12)
        assert isinstance(page, Page), page
        landed = browser.submit(code=totp_code(enrolment_secret(page), live.clock))
        assert isinstance(landed, str), browser.page
        response = rp.exchange(callback_params(landed)["code"], request.verifier)
        assert response.status_code == 200, response.text
    print(
        f"{counts['requests']} requests, {counts['transactions']} transactions, "
        f"{counts['sql']} statements, {counts['savepoint']} savepoint commands "
        f"({counts['skipped']} more skipped before the first write)"
    )


if __name__ == "__main__":
    main()
