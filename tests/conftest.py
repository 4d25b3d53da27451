"""The fixtures every test package shares: a controllable clock, the databases, Redis, the
bridge's services, a Flask app and client on them, and a live bridge with a relying party and
scripted browsers.

Where each test runs:

- SQLite (a copy of a template migrated once per session) and the in-process store, unless the
  test is marked ``postgres(reason)``: then it runs once more on PostgreSQL. Such a test is
  rolled back after it (every session of the code under test is a SAVEPOINT in one outer
  transaction) unless other threads need committed rows (a live bridge on a socket,
  ``postgres(..., committed=True)`` races): then every table is emptied after it.
- ``live``: on PostgreSQL the bridge uses Redis and listens on a real socket; on SQLite it uses
  the in-process store and ``requests`` reaches it in-process, unless the test is marked
  ``real_http(reason)`` or ``browser`` (Chromium).

PostgreSQL and Redis are required: when they cannot be reached the tests fail with a message
saying what to start, they are never skipped.
"""

from __future__ import annotations

import copy
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from bridge.cli import main
from bridge.domain.clock import FrozenClock
from bridge.services.container import Services
from bridge.services.orgs import Actor
from bridge.services.passwords import PasswordHasher
from bridge.storage.crypto import Keyring
from bridge.storage.db.engine import Database, normalise_url
from bridge.storage.db.models import Base
from flows import FlowSet
from tests.admin_api import Api
from tests.bridges import (
    FAST_ARGON2,
    Invoke,
    MigratedSqlite,
    PooledRSAKey,
    make_services,
    serving_app,
)
from tests.e2e.harness import Browser, LiveBridge, RelyingParty, serve
from tests.world import World

pytest_plugins = ["tests.chromium"]

# Property tests run the same examples every run (a seed derived from each test), with no
# example database and no deadline: a run's result depends on the code alone, never on an
# earlier run, the other worker, or how busy the machine is. Each test sets how many examples.
settings.register_profile("bridge", derandomize=True, database=None, deadline=None)
settings.load_profile("bridge")

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(scope="session", autouse=True)
def remembered_password_hashes() -> Iterator[None]:
    """argon2id is slow on purpose, and the tests hash and check the same few passwords
    thousands of times: within the session, the hash of a password under given parameters and
    the answer of a check are computed once (both are functions of their inputs; a remembered
    hash has one salt for every user with that password, which no test depends on)."""
    hash_, verify = PasswordHasher.hash, PasswordHasher.verify
    hashes: dict[tuple[str, tuple[int, int, int]], str] = {}
    checks: dict[tuple[str, str], bool] = {}

    def remembered_hash(self: PasswordHasher, password: str) -> str:
        key = (password, self.parameters)
        if key not in hashes:
            hashes[key] = hash_(self, password)
        return hashes[key]

    def remembered_verify(self: PasswordHasher, password_hash: str, password: str) -> bool:
        if (password_hash, password) not in checks:
            checks[(password_hash, password)] = verify(self, password_hash, password)
        return checks[(password_hash, password)]

    PasswordHasher.hash = remembered_hash  # type: ignore[method-assign]
    PasswordHasher.verify = remembered_verify  # type: ignore[method-assign]
    yield
    PasswordHasher.hash, PasswordHasher.verify = hash_, verify  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def cheap_recovery_code_hashes(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every enrolment of a second factor makes ten recovery codes, ten argon2id hashes at
    m=19 MiB, t=2 (~35 ms each here): a quarter of the suite's CPU, in tests where the codes are
    a side effect. There the codes are hashed with argon2id at its cheapest (m=8 KiB, t=1): the
    same function of user, code, salt and key, at a thousandth of the cost. Tests marked
    ``recovery_argon2`` (the tests of recovery codes) hash with the bridge's own parameters,
    which ``tests/factors/test_recovery.py`` pins."""
    if request.node.get_closest_marker("recovery_argon2"):
        return
    import bridge.services.recovery

    monkeypatch.setattr(bridge.services.recovery, "ARGON2_TIME_COST", 1)
    monkeypatch.setattr(bridge.services.recovery, "ARGON2_MEMORY_COST", 8)


@pytest.fixture(scope="session", autouse=True)
def remembered_flows() -> Iterator[None]:
    """Every bridge the tests build loads its flow folder and proves every flow safe; within the
    session a folder whose files are byte for byte the same is loaded and proven once (its
    flows are immutable; each load is a new ``FlowSet`` of them). A changed or new file is
    loaded again, and a failure is never remembered."""
    import bridge.config.flows

    load = bridge.config.flows.load_flows
    loaded: dict[tuple[str, tuple[tuple[str, bytes], ...]], FlowSet] = {}

    def remembered(directory: Path, **options: Any) -> FlowSet:
        if options != {"prove": True} or not directory.is_dir():
            return load(directory, **options)
        files = tuple(sorted((p.name, p.read_bytes()) for p in directory.glob("*.yaml")))
        key = (str(directory), files)
        if key not in loaded:
            loaded[key] = load(directory, **options)
        return copy.copy(loaded[key])  # a load is a new set, as a reload must be

    bridge.config.flows.load_flows = remembered  # type: ignore[assignment]
    yield
    bridge.config.flows.load_flows = load


@pytest.fixture(scope="session", autouse=True)
def remembered_migration_scripts() -> Iterator[None]:
    """Alembic reads and compiles every migration script whenever it is asked for them: every
    bridge the tests build checks that its schema is the newest, every ``db upgrade`` migrates.
    Within the session, a script folder whose files are unchanged (names, sizes, modification
    times) is read once; a configuration with any other option is read as usual."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    original = ScriptDirectory.__dict__["from_config"]
    from_config = ScriptDirectory.from_config
    remembered: dict[tuple[str, tuple[tuple[str, int, int], ...]], ScriptDirectory] = {}

    def remembered_from_config(config: Config) -> ScriptDirectory:
        options = config.get_section(config.config_ini_section) or {}
        if set(options) != {"script_location", "sqlalchemy.url"}:
            return from_config(config)
        location = Path(options["script_location"])
        stats = ((path, path.stat()) for path in location.rglob("*.py"))
        files = tuple(sorted((str(path), st.st_mtime_ns, st.st_size) for path, st in stats))
        key = (str(location), files)
        if key not in remembered:
            remembered[key] = from_config(config)
        return remembered[key]

    ScriptDirectory.from_config = staticmethod(remembered_from_config)  # type: ignore[method-assign,assignment]
    yield
    ScriptDirectory.from_config = original  # type: ignore[method-assign]


@pytest.fixture(scope="session", autouse=True)
def pooled_signing_keys() -> Iterator[None]:
    """Every bridge built in this process takes its signing keys from ``PooledRSAKey``'s pool."""
    import bridge.services.keys

    original = bridge.services.keys.RSAKey
    bridge.services.keys.RSAKey = PooledRSAKey  # type: ignore[misc]
    yield
    bridge.services.keys.RSAKey = original  # type: ignore[misc]


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
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    engine = create_engine(normalise_url(postgres_url))
    yield engine
    engine.dispose()


def _empty_all(engine: Engine) -> None:
    """Delete every row, children before parents, in one transaction. (A TRUNCATE of every
    table costs PostgreSQL ~0.1 s of new files and fsyncs; DELETE on the few rows a test leaves
    costs a few milliseconds. Nothing depends on identities restarting: a rolled-back test
    never restarted them either.)"""
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@contextmanager
def _committed_postgres(postgres_url: str, engine: Engine) -> Iterator[Database]:
    """The session's PostgreSQL database, emptied after the test (``_empty_all``): for tests
    whose other threads or processes (a live server, a race) must see committed rows. Every
    PostgreSQL test leaves the database empty, so none needs to empty it first."""
    database = Database(postgres_url)
    try:
        yield database
    finally:
        database.dispose()
        _empty_all(engine)


@contextmanager
def _rolled_back_postgres(postgres_url: str, engine: Engine) -> Iterator[Database]:
    """The session's PostgreSQL database inside one outer transaction that is rolled back after
    the test: every ``Database.session()`` of the code under test is a SAVEPOINT in it."""
    connection = engine.connect()
    outer = connection.begin()
    database = Database(postgres_url)
    bind_to_connection(database, connection)
    try:
        yield database
    finally:
        outer.rollback()
        connection.close()


def bind_to_connection(database: Database, connection: Connection) -> None:
    """Make ``database`` open its sessions as savepoints on ``connection`` (SQLAlchemy's
    "join an external transaction" recipe)."""
    database.engine.dispose()
    database._sessions = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


# --- SQLite ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session; each test gets a copy (``sqlite_database``)."""
    path = tmp_path_factory.mktemp("template") / "bridge.sqlite3"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    # The last connection to close checkpoints the WAL: the template is then one file.
    database.dispose()
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite URL with no database behind it yet (tests of the migrations themselves)."""
    return f"sqlite:///{tmp_path / 'db' / 'bridge.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    """A database with no schema yet, for migration tests: a new SQLite file, or a new
    PostgreSQL database of its own (dropped afterwards)."""
    if request.param == "sqlite":
        yield sqlite_url
        return
    admin_url: URL = request.getfixturevalue("postgres_admin_url")
    name = f"bridge_migration_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def migrated_sqlite(sqlite_template: Path) -> Iterator[MigratedSqlite]:
    """``migrated_sqlite(path)``: a copy of the migrated template at ``path``, opened."""
    opened: list[Database] = []

    def make(path: Path) -> Database:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sqlite_template, path)
        opened.append(Database(f"sqlite:///{path}"))
        return opened[-1]

    yield make
    for database in opened:
        database.dispose()


# --- Either ------------------------------------------------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``postgres`` run on SQLite and on PostgreSQL; every other test on SQLite."""
    if "database" in metafunc.fixturenames and metafunc.definition.get_closest_marker("postgres"):
        metafunc.parametrize("database", ["sqlite", "postgresql"], indirect=True)


#: Fixtures that serve requests through the app (each request a unit of work of its own).
APP_FIXTURES = frozenset({"live", "app", "client", "api"})


def needs_committed_rows(request: pytest.FixtureRequest) -> bool:
    """A live server answers in its own thread; a ``postgres(..., committed=True)`` test races
    threads; a request through the app runs as a unit of work on a connection of its own
    (``bridge.storage.db.unit``): each needs rows other connections can see."""
    marker = request.node.get_closest_marker("postgres")
    committed = bool(marker and marker.kwargs.get("committed"))
    return committed or not APP_FIXTURES.isdisjoint(request.fixturenames)


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: a copy of the SQLite template, or (tests marked ``postgres``,
    second run) the session's PostgreSQL database, rolled back around the test or emptied
    after it."""
    dialect = getattr(request, "param", "sqlite")
    if dialect == "sqlite":
        make: MigratedSqlite = request.getfixturevalue("migrated_sqlite")
        yield make(tmp_path / "db" / "bridge.sqlite3")
        return
    url: str = request.getfixturevalue("postgres_url")
    engine: Engine = request.getfixturevalue("postgres_engine")
    isolated = _committed_postgres if needs_committed_rows(request) else _rolled_back_postgres
    with isolated(url, engine) as database:
        yield database


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


@pytest.fixture
def bridge_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path) -> Invoke:
    """Run ``bridge ...`` on a fresh embedded data directory, as an operator would (its
    database starts as a copy of the migrated template: ``db upgrade`` finds it up to date)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    shutil.copyfile(sqlite_template, tmp_path / "data" / "bridge.db")
    for variable in ("BRIDGE_CONFIG", "BRIDGE_DATA_DIR", "BRIDGE_DATABASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    env = {"BRIDGE_DATA_DIR": str(tmp_path / "data"), **FAST_ARGON2}

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=stdin, env=env, catch_exceptions=False)

    invoke("db", "upgrade")
    return invoke


# --- The bridge's services, in-process and live ----------------------------------------------


@pytest.fixture
def bridge_config() -> dict[str, Any] | None:
    """The configuration file of the ``services`` fixture (None: no file); a test module
    overrides this fixture to configure identity providers, flows, ..."""
    return None


@pytest.fixture
def services(
    database: Database, tmp_path: Path, clock: FrozenClock, bridge_config: dict[str, Any] | None
) -> Iterator[Services]:
    """The bridge's services on ``database``, the in-process store and the test clock, issuer
    ``http://127.0.0.1:8000``."""
    built = make_services(
        "http://127.0.0.1:8000", database, tmp_path / "data", clock, config=bridge_config
    )
    yield built
    built.close()


@pytest.fixture
def app(services: Services) -> Flask:
    return serving_app(services)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def world(services: Services, clock: FrozenClock) -> World:
    return World(services, clock)


@pytest.fixture
def api(services: Services) -> Api:
    """The admin API through the Flask test client, with a client allowed the admin scope."""
    record, _secret = services.clients.add("Admin console", ["http://127.0.0.1:9/callback"])
    services.orgs.allow_admin_scope(Actor.operator(), record.id)
    return Api(serving_app(services).test_client(), services, record.id)


@pytest.fixture
def live(
    database: Database, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[LiveBridge]:
    """A whole bridge with its own clock: SQLite + the in-process store, reached in-process, or
    (PostgreSQL) PostgreSQL + Redis on a real socket; ``real_http``/``browser`` tests get a
    socket on SQLite too."""
    postgres = database.dialect == "postgresql"
    backend = "redis" if postgres else "memory"
    redis_url = request.getfixturevalue("redis_url") if postgres else None
    redis_prefix = request.getfixturevalue("redis_prefix") if postgres else None
    real_http = postgres or any(
        request.node.get_closest_marker(name) for name in ("real_http", "browser")
    )
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

    with serve(factory, real_http=real_http) as bridge:
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
