"""Two bridge processes share PostgreSQL and Redis: a login may hop between them at every step."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from bridge.cli import main
from bridge.storage.crypto import generate_key_spec
from tests.bridges import FAST_ARGON2
from tests.e2e.harness import (
    CALLBACK,
    PASSWORD,
    Browser,
    Page,
    RelyingParty,
    callback_params,
    enrolment_secret,
)
from tests.ports import unused_port

BRIDGE = str(Path(sys.executable).with_name("bridge"))


@pytest.fixture
def shared_database(postgres_admin_url: URL) -> Iterator[str]:
    name = f"bridge_multi_{secrets.token_hex(4)}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def environment(
    shared_database: str, redis_url: str, redis_prefix: str, tmp_path: Path
) -> dict[str, str]:
    return {
        **os.environ,
        "BRIDGE_DATABASE_URL": shared_database,
        "BRIDGE_EPHEMERAL__BACKEND": "redis",
        "BRIDGE_EPHEMERAL__REDIS_URL": redis_url,
        "BRIDGE_EPHEMERAL__KEY_PREFIX": redis_prefix,
        "BRIDGE_SECRET_KEY": secrets.token_urlsafe(48),
        "BRIDGE_ENCRYPTION_KEYS": generate_key_spec(),
        "BRIDGE_DATA_DIR": str(tmp_path / "data"),
        **FAST_ARGON2,
    }


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"bridge exited: {process.stdout.read() if process.stdout else ''!r}"
            )
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"bridge at {url} did not start")


@pytest.fixture
def two_bridges(environment: dict[str, str]) -> Iterator[tuple[str, str]]:
    """Two processes behind one issuer (as behind a load balancer): their base URLs."""
    ports = [unused_port(), unused_port()]
    issuer = f"http://127.0.0.1:{ports[0]}"
    run_cli(environment, "db", "upgrade")
    processes = [
        subprocess.Popen(
            [BRIDGE, "serve", "--port", str(port)],
            env={**environment, "BRIDGE_ISSUER": issuer},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, process in zip(urls, processes, strict=True):
            wait_until_up(url, process)
        yield urls[0], urls[1]
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
            if process.stdout:
                process.stdout.close()


def run_cli(environment: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """``bridge ...`` with the bridges' settings, run in this process: the bridges under test
    are the two ``serve`` processes (starting a process costs a second of imports)."""
    done = CliRunner().invoke(main, list(args), input=stdin, env=environment)
    assert done.exit_code == 0, done.output
    return done.stdout


def test_a_login_that_hops_between_processes_at_every_step_completes(
    environment: dict[str, str], two_bridges: tuple[str, str]
) -> None:
    first, second = two_bridges
    run_cli(
        environment,
        "user",
        "add",
        "hopper",
        "--email",
        "h@example.com",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    client = run_cli(
        environment, "client", "add", "--name", "App", "--redirect-uri", CALLBACK, "--json"
    )
    created = json.loads(client)
    rp = RelyingParty(first, created["client_id"], created["client_secret"])
    browser = Browser()
    request = rp.authorization_request()

    page = browser.open(request.url)  # process 1 starts the login
    assert isinstance(page, Page)
    hop = page.url.replace(first, second)
    page = browser.open(hop)  # process 2 continues it
    assert isinstance(page, Page) and page.title == "Sign in"
    page = browser.submit(username="hopper", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Set up two-factor authentication"
    secret = enrolment_secret(page)
    page = browser.open(page.url.replace(second, first))  # back on process 1: same secret
    assert isinstance(page, Page) and enrolment_secret(page) == secret
    landed = browser.submit(code=pyotp.TOTP(secret).now())
    assert isinstance(landed, str)

    rp_on_second = RelyingParty(first, created["client_id"], created["client_secret"])
    rp_on_second.metadata["token_endpoint"] = f"{second}/token"
    tokens = rp_on_second.exchange(callback_params(landed)["code"], request.verifier).json()
    claims = rp.id_token_claims(tokens["id_token"], request.nonce)
    assert claims["amr"] == ["pwd", "otp", "mfa"]
