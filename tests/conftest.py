"""Shared fixtures: a controllable clock, real databases, a real Redis.

PostgreSQL and Redis are required: when they cannot be reached the tests fail with a message
saying what to start, they are never skipped.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from bridge.cli import main
from bridge.clock import FrozenClock
from bridge.crypto import Keyring
from bridge.db.engine import Database, normalise_url
from bridge.db.models import Base
from bridge.passwords import PasswordHasher

pytest_plugins = ["tests.chromium"]

# The cheapest argon2id parameters that still meet an OWASP row, as BRIDGE_* settings.
FAST_ARGON2 = {
    "BRIDGE_PASSWORDS__ARGON2_TIME_COST": "2",
    "BRIDGE_PASSWORDS__ARGON2_MEMORY_COST": "19456",
    "BRIDGE_PASSWORDS__ARGON2_PARALLELISM": "1",
}

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(1_700_000_000.0)


@pytest.fixture
def keyring() -> Keyring:
    return Keyring([("k1", bytes(range(32)))])


@pytest.fixture(scope="session")
def password_hasher() -> PasswordHasher:
    """The cheapest argon2id parameters that still meet an OWASP row, for speed."""
    return PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


# --- PostgreSQL --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_admin_url() -> URL:
    """A URL with the right to create databases (env ``BRIDGE_TEST_POSTGRES_URL``)."""
    url = normalise_url(os.environ.get("BRIDGE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        pytest.fail(
            f"PostgreSQL is required for these tests and is not reachable at "
            f"{url.render_as_string(hide_password=True)} (set BRIDGE_TEST_POSTGRES_URL): {error}",
            pytrace=False,
        )
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def postgres_url(postgres_admin_url: URL) -> Iterator[str]:
    """A fresh, migrated database for this test session, dropped at the end."""
    name = f"bridge_test_{secrets.token_hex(6)}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    created = False
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        created = True
        url = postgres_admin_url.set(database=name).render_as_string(hide_password=False)
        database = Database(url)
        try:
            database.upgrade()
        finally:
            database.dispose()
        yield url
    finally:
        if created:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_database(postgres_url: str) -> Iterator[Database]:
    database = Database(postgres_url)
    yield database
    database.dispose()


def _truncate_all(database: Database) -> None:
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


# --- SQLite ------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'db' / 'bridge.sqlite3'}"


# --- Either ------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    """A migrated, empty database: a SQLite file, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        database = Database(request.getfixturevalue("sqlite_url"))
        database.upgrade()
        yield database
        database.dispose()
        return
    shared: Database = request.getfixturevalue("postgres_database")
    _truncate_all(shared)
    yield shared
    _truncate_all(shared)


# --- Redis -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis database the tests may write to (env ``BRIDGE_TEST_REDIS_URL``)."""
    url = os.environ.get("BRIDGE_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as error:
        pytest.fail(
            f"Redis is required for these tests and is not reachable at {url} "
            f"(set BRIDGE_TEST_REDIS_URL): {error}",
            pytrace=False,
        )
    finally:
        client.close()
    return url


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"bridge-test:{secrets.token_hex(6)}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


# --- The bridge command ----------------------------------------------------------------------

Invoke = Callable[..., Result]


@pytest.fixture
def bridge_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Run ``bridge ...`` on a fresh embedded data directory, as an operator would."""
    monkeypatch.chdir(tmp_path)
    for variable in ("BRIDGE_CONFIG", "BRIDGE_DATA_DIR", "BRIDGE_DATABASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    env = {"BRIDGE_DATA_DIR": str(tmp_path / "data"), **FAST_ARGON2}

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=stdin, env=env, catch_exceptions=False)

    invoke("db", "upgrade")
    return invoke
