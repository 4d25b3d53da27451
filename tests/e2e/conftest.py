"""A live bridge for end-to-end tests: SQLite with the in-process store, PostgreSQL with Redis."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bridge.clock import FrozenClock
from bridge.crypto import generate_key_spec
from bridge.db.engine import Database
from bridge.secrets import Secrets
from bridge.services import Services, build_services
from bridge.settings import load_settings
from tests.conftest import FAST_ARGON2
from tests.e2e.harness import Browser, LiveBridge, RelyingParty, serve


def make_services(
    issuer: str,
    database: Database,
    data_dir: Path,
    clock: FrozenClock,
    *,
    backend: str,
    redis_url: str | None = None,
    redis_prefix: str | None = None,
    extra: dict[str, str] | None = None,
) -> Services:
    environ = {
        "BRIDGE_ISSUER": issuer,
        "BRIDGE_DATA_DIR": str(data_dir),
        "BRIDGE_DATABASE_URL": database.url.render_as_string(hide_password=False),
        "BRIDGE_EPHEMERAL__BACKEND": backend,
        **FAST_ARGON2,
        **(extra or {}),
    }
    if backend == "redis":
        assert redis_url and redis_prefix
        environ["BRIDGE_EPHEMERAL__REDIS_URL"] = redis_url
        environ["BRIDGE_EPHEMERAL__KEY_PREFIX"] = redis_prefix
    settings = load_settings(None, environ)
    secrets = Secrets(secret_key=os.urandom(32), encryption_keys=generate_key_spec())
    return build_services(settings, secrets, clock)


@pytest.fixture
def live(
    database: Database, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[LiveBridge]:
    """The bridge on a real port: SQLite + in-process store, or PostgreSQL + a real Redis."""
    backend = "memory" if database.dialect == "sqlite" else "redis"
    redis_url = request.getfixturevalue("redis_url") if backend == "redis" else None
    redis_prefix = request.getfixturevalue("redis_prefix") if backend == "redis" else None
    clock = FrozenClock(time.time())
    marker = request.node.get_closest_marker("bridge_env")
    extra = marker.args[0] if marker else None

    def factory(issuer: str) -> tuple[Services, FrozenClock]:
        services = make_services(
            issuer,
            database,
            tmp_path / "data",
            clock,
            backend=backend,
            redis_url=redis_url,
            redis_prefix=redis_prefix,
            extra=extra,
        )
        return services, clock

    with serve(factory) as bridge:
        yield bridge


@pytest.fixture
def rp(live: LiveBridge) -> RelyingParty:
    client_id, secret = live.add_client()
    return RelyingParty(live.url, client_id, secret, now=live.clock)


@pytest.fixture
def browser() -> Iterator[Browser]:
    made = Browser()
    yield made
    made.http.close()


@pytest.fixture
def browsers() -> Iterator[Callable[..., Browser]]:
    """Make new browsers (``browsers()``), each closed at the end of the test."""
    made: list[Browser] = []

    def make(**options: Any) -> Browser:
        made.append(Browser(**options))
        return made[-1]

    yield make
    for browser in made:
        browser.http.close()
