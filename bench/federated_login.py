"""How long a federated login takes at the bridge, and where the time goes.

Two live bridges on loopback ports: the upstream one is an organisation's SSO provider (its
users sign in there with a password only, so the figures are not dominated by the upstream's
own second factor), the downstream one has it as identity provider ``upstream`` for the
domain ``sso.example``. N complete logins over real HTTP: the relying party's authorization
request, the e-mail typed on the downstream sign-in page (home-realm discovery, then
``/federation/upstream/start`` and the upstream's authorization endpoint), the upstream
password, the downstream callback (code exchange with the upstream, ID token verification
against the cached JWKS, the account link, the federated flow), and the relying party's token
exchange. Every HTTP request is timed by the hop it belongs to; prints median and p95.

    .venv/bin/python -m bench.federated_login --logins 30
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import yaml

from bridge.config.loading import load_settings
from bridge.config.secrets import Secrets
from bridge.domain.clock import SystemClock
from bridge.services.container import build_services
from bridge.storage.crypto import generate_key_spec
from bridge.storage.db.engine import Database
from tests.e2e.harness import PASSWORD, Browser, Page, RelyingParty, callback_params, serve

ALIAS = "upstream"
SECRET_ENV = "BRIDGE_IDP_UPSTREAM_CLIENT_SECRET"
FAST_ARGON2 = {
    "BRIDGE_PASSWORDS__ARGON2_TIME_COST": "2",
    "BRIDGE_PASSWORDS__ARGON2_MEMORY_COST": "19456",
    "BRIDGE_PASSWORDS__ARGON2_PARALLELISM": "1",
}

#: Which hop a request belongs to, by its path (the first pattern that matches).
HOPS = (
    (
        re.compile(r"/federation/[^/]+/callback$"),
        "callback (code exchange upstream + ID token check + flow)",
    ),
    (re.compile(r"/federation/[^/]+/start$"), "federation start (discovery cached)"),
    (re.compile(r"/token$"), "token endpoint"),
    (re.compile(r"/authorize$"), "authorize endpoint"),
    (re.compile(r"/login/[^/]+$"), "login pages"),
)


def hop_of(url: str) -> str:
    path = urlsplit(url).path
    for pattern, name in HOPS:
        if pattern.search(path):
            return name
    return path


class TimedBrowser(Browser):
    """The test harness's browser, with each response's time recorded by hop and side."""

    def __init__(self, timings: dict[str, list[float]], upstream_url: str) -> None:
        super().__init__()
        self.timings = timings

        def record(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            side = "upstream" if response.url.startswith(upstream_url) else "downstream"
            name = f"{side} {hop_of(response.url)}"
            self.timings[name].append(response.elapsed.total_seconds())

        self.http.hooks["response"].append(record)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=30)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    workdir = Path(tempfile.mkdtemp(prefix="bridge-bench-fed-"))
    clock = SystemClock()

    def upstream_factory(issuer: str):  # type: ignore[no-untyped-def]
        environ = {
            "BRIDGE_ISSUER": issuer,
            "BRIDGE_DATA_DIR": str(workdir / "upstream"),
            "BRIDGE_MFA__REQUIRED": "false",
            **FAST_ARGON2,
        }
        settings = load_settings(None, environ)
        Database(settings.database_url_resolved).upgrade()
        secrets = Secrets(secret_key=os.urandom(32), encryption_keys=generate_key_spec())
        return build_services(settings, secrets, clock), clock

    phases: dict[str, list[float]] = defaultdict(list)
    hops: dict[str, list[float]] = defaultdict(list)
    with serve(upstream_factory) as upstream:

        def downstream_factory(issuer: str):  # type: ignore[no-untyped-def]
            client, secret = upstream.services.clients.add(
                "downstream", [f"{issuer}/federation/{ALIAS}/callback"]
            )
            assert secret is not None
            os.environ[SECRET_ENV] = secret
            config = workdir / "downstream.yaml"
            provider = {
                "alias": ALIAS,
                "issuer": upstream.url,
                "client_id": client.id,
                "client_secret_env": SECRET_ENV,
                "domains": ["sso.example"],
            }
            config.write_text(yaml.safe_dump({"identity_providers": [provider]}))
            environ = {"BRIDGE_ISSUER": issuer, "BRIDGE_DATA_DIR": str(workdir / "downstream")}
            settings = load_settings(config, {**environ, **FAST_ARGON2})
            Database(settings.database_url_resolved).upgrade()
            secrets = Secrets(secret_key=os.urandom(32), encryption_keys=generate_key_spec())
            return build_services(settings, secrets, clock), clock

        with serve(downstream_factory) as downstream:
            record, secret = downstream.services.clients.add("bench", ["http://127.0.0.1:9/cb"])
            rp = RelyingParty(
                downstream.url, record.id, secret, redirect_uri="http://127.0.0.1:9/cb"
            )
            run = os.urandom(3).hex()
            people = [f"bench-{run}-{i}" for i in range(args.logins)]
            for name in people:
                upstream.services.users.create(name, email=f"{name}@sso.example", password=PASSWORD)

            started = time.perf_counter()
            for i, name in enumerate(people):
                browser = TimedBrowser(hops if i else defaultdict(list), upstream.url)
                request = rp.authorization_request()
                t0 = time.perf_counter()
                page = browser.open(request.url)
                t1 = time.perf_counter()
                assert isinstance(page, Page), page
                assert page.title == "Sign in", page.html[:500]
                page = browser.submit(username=f"{name}@sso.example", password="")
                t2 = time.perf_counter()
                assert isinstance(page, Page), page
                assert page.url.startswith(upstream.url), page.url
                landed = browser.submit(username=name, password=PASSWORD)
                t3 = time.perf_counter()
                assert isinstance(landed, str), browser.page.html[:500] if browser.page else None
                tokens = rp.exchange(callback_params(landed)["code"], request.verifier).json()
                t4 = time.perf_counter()
                claims = rp.id_token_claims(tokens["id_token"], request.nonce)
                assert "fed" in claims["amr"], claims
                if i == 0:
                    phases["first login (cold caches)"].append(t4 - t0)
                    continue
                phases["authorize → sign-in page"].append(t1 - t0)
                phases["e-mail → upstream sign-in page"].append(t2 - t1)
                phases["upstream password → code at RP"].append(t3 - t2)
                phases["RP token exchange"].append(t4 - t3)
                phases["whole federated login"].append(t4 - t0)
            elapsed = time.perf_counter() - started

    print(f"{args.logins} federated logins, two bridges on SQLite + in-process stores, ")
    print("argon2id at the OWASP minimum on both sides, one browser at a time")
    for title, table in (("phases", phases), ("requests by hop (warm)", hops)):
        print(f"{title}:")
        for name, values in table.items():
            ordered = sorted(values)
            p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
            median = statistics.median(values) * 1000
            print(f"  {name:<58} median {median:7.1f} ms   p95 {p95 * 1000:7.1f} ms")
    print(f"  throughput: {args.logins / elapsed:.1f} logins/s")


if __name__ == "__main__":
    main()
