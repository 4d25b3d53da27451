"""Building the bridge's services for a test: the one place the tests turn settings into
``Services`` (the fixtures in ``tests/conftest.py`` and the few tests that build their own)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import yaml
from click.testing import Result
from flask import Flask
from joserfc.jwk import RSAKey

from bridge.app import bind_services, web_app
from bridge.config.loading import load_settings
from bridge.config.secrets import Secrets
from bridge.domain.clock import Clock
from bridge.services.container import Services, build_services
from bridge.storage.crypto import generate_key_spec
from bridge.storage.db.engine import Database
from bridge.web.browser import cookies_are_secure

# The cheapest argon2id parameters that still meet an OWASP row, as BRIDGE_* settings.
FAST_ARGON2 = {
    "BRIDGE_PASSWORDS__ARGON2_TIME_COST": "2",
    "BRIDGE_PASSWORDS__ARGON2_MEMORY_COST": "19456",
    "BRIDGE_PASSWORDS__ARGON2_PARALLELISM": "1",
}


#: ``bridge_cli(*args, stdin=None)``: the ``bridge`` command's result.
Invoke = Callable[..., Result]


#: ``migrated_sqlite(path)``: a migrated SQLite database at ``path`` (a copy of the template).
MigratedSqlite = Callable[[Path], Database]


def share_database(services: Services, database: Database) -> None:
    """Point ``services.db`` (built from the URL) at the test's ``database``: the same engine
    and session factory, so a PostgreSQL test's outer transaction holds the bridge's writes."""
    built = services.db
    built.engine.dispose()
    built.engine = database.engine
    built._sessions = database._sessions


def make_services(
    issuer: str,
    database: Database,
    data_dir: Path,
    clock: Clock,
    *,
    backend: str = "memory",
    redis_url: str | None = None,
    redis_prefix: str | None = None,
    extra: dict[str, str] | None = None,
    config: dict[str, Any] | None = None,
    secrets: Secrets | None = None,
) -> Services:
    """Services as ``bridge serve`` builds them, on ``database``: ``backend`` is the ephemeral
    store, ``extra`` adds ``BRIDGE_*`` settings, ``config`` is written as the YAML file."""
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
    path = None
    if config is not None:
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        path = data_dir.parent / f"bridge-{len(list(data_dir.parent.glob('bridge-*.yaml')))}.yaml"
        path.write_text(yaml.safe_dump(config))
    settings = load_settings(path, environ)
    secrets = secrets or Secrets(secret_key=os.urandom(32), encryption_keys=generate_key_spec())
    services = build_services(settings, secrets, clock)
    share_database(services, database)
    return services


#: Built once per test session for each kind of issuer (http or https): building a Flask app
#: compiles every URL rule, which would otherwise cost each test a quarter of a second.
_WEB_APPS: dict[bool, Flask] = {}


def serving_app(services: Services) -> Flask:
    """The bridge's web app serving ``services``: the session's shell, bound to them.

    One test at a time uses it (the ``app`` and ``api`` fixtures); a test that needs a second
    bridge at once builds its own with ``create_app`` (a live bridge: ``take_web_app``)."""
    secure = cookies_are_secure(services.settings.issuer)
    app = _WEB_APPS.get(secure)
    if app is None:
        app = _WEB_APPS[secure] = web_app(secure_cookies=secure)
    bind_services(app, services)
    return app


#: Shells that no live bridge serves from now, by kind of issuer (http or https).
_IDLE_WEB_APPS: dict[bool, list[Flask]] = {False: [], True: []}


def take_web_app(services: Services) -> Flask:
    """``create_app(services=services)`` for a live bridge (``tests.e2e.harness.serve``), without
    compiling every URL rule again: a shell that no live bridge serves from now (or a new one),
    bound to ``services``. Live bridges at the same time (two bridges federated) get one each."""
    secure = cookies_are_secure(services.settings.issuer)
    idle = _IDLE_WEB_APPS[secure]
    app = idle.pop() if idle else web_app(secure_cookies=secure)
    try:
        bind_services(app, services)
    except BaseException:
        app.extensions.pop("bridge", None)
        idle.append(app)
        raise
    return app


def give_back_web_app(app: Flask) -> None:
    """``app`` serves nothing any more (no request is inside it, none can reach it): the next
    live bridge may take it."""
    services: Services = app.extensions.pop("bridge").services
    _IDLE_WEB_APPS[cookies_are_secure(services.settings.issuer)].append(app)


class PooledRSAKey(RSAKey):
    """``RSAKey`` whose ``generate_key`` hands out keys made once per test session, in turn:
    every bridge the tests build makes a signing key, and RSA-2048 takes ~70 ms to generate.
    Consecutive keys differ, so a rotation still gets a new key."""

    pool: ClassVar[list[RSAKey]] = []
    turn: ClassVar[int] = 0

    @classmethod
    def generate_key(cls, *args: Any, **kwargs: Any) -> RSAKey:  # type: ignore[override]
        if not cls.pool:
            cls.pool.extend(RSAKey.generate_key(2048, private=True) for _ in range(KEY_POOL))
        cls.turn += 1
        return cls.pool[cls.turn % KEY_POOL]


KEY_POOL = 16
