"""A bridge whose every request is metered: the server side of ``bench.cpu_per_operation``.

Runs in a process of its own so that the process's CPU is the server's alone. Settings and
secrets come from the environment (``BRIDGE_*``), as for ``bridge serve``. Each request names
the operation it belongs to in an ``X-Bench-Op`` header; ``Meter`` adds up, per operation, the
requests, the process CPU they took (``time.process_time`` around the WSGI call: every thread of
the process, so argon2's lanes too), the SQL statements sent (SQLAlchemy's
``before_cursor_execute``, savepoint commands counted apart), the transactions begun and the
pool check-outs (with ``pool_pre_ping`` each is one more round trip). Three paths under
``/__bench/`` answer the driver and never reach the bridge: ``stats`` (the figures as JSON),
``reset`` and ``verify?n=N`` (the CPU of one argon2id verify with the server's parameters).
With ``BENCH_PROFILE=<file>`` in its environment the requests run under cProfile, whose
statistics ``/__bench/profile`` writes to that file (``python -m pstats <file>`` reads them;
``BENCH_PROFILE_OP=<operation>``: that operation's requests only);
with ``BENCH_SQL=1`` every statement is printed to standard error with its operation, with
``BENCH_STORE=1`` every ephemeral store call (method and key).

    python -m bench.metered PORT                    # werkzeug, one thread
    gunicorn -w 2 'bench.metered:gunicorn_app()'    # the throughput run: figures per worker
"""

from __future__ import annotations

import cProfile
import json
import logging
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import event
from werkzeug.serving import make_server

from bridge.app import create_app
from bridge.config.loading import load_settings
from bridge.services.passwords import PasswordHasher

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
FIELDS = (
    "requests",
    "cpu",
    "statements",
    "savepoints",
    "transactions",
    "checkouts",
    "store",
    "verifies",
    "verify_cpu",
)
#: The ephemeral store's methods that are one call (one round trip on Redis) each.
STORE_CALLS = (
    "put",
    "put_many",
    "add",
    "get",
    "take",
    "delete",
    "incr",
    "decr",
    "incr_and_get",
    "take_and_get",
    "write_batch",
    "put_many_and_get",
    "ttl",
)


class Meter:
    """WSGI middleware: the figures of every request, added up per ``X-Bench-Op``."""

    def __init__(self, app: Any, engine: Any, hasher: PasswordHasher) -> None:
        self.app = app
        self.hasher = hasher
        self.figures: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
        self.op = "other"
        self.profile_path = os.environ.get("BENCH_PROFILE")
        self.profile = cProfile.Profile(time.process_time) if self.profile_path else None
        self.profile_op = os.environ.get("BENCH_PROFILE_OP")
        self.show_sql = os.environ.get("BENCH_SQL") == "1"
        self.show_store = os.environ.get("BENCH_STORE") == "1"
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "begin", lambda *_a: self._add("transactions"))
        event.listen(engine.pool, "checkout", lambda *_a: self._add("checkouts"))
        self._count_store_calls()
        self._time_verifies()

    def _time_verifies(self) -> None:
        """Every argon2id verify the requests run counts as ``verifies``, its process CPU as
        ``verify_cpu``: a login's CPU beyond its verify, from the verify it really ran."""
        original = PasswordHasher.verify

        def timed(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
            started = time.process_time()
            try:
                return original(hasher, password_hash, password)
            finally:
                self._add("verify_cpu", time.process_time() - started)
                self._add("verifies")

        PasswordHasher.verify = timed  # type: ignore[method-assign]

    def _count_store_calls(self) -> None:
        """Every call of the ephemeral store (Redis or in-process) counts as ``store``."""
        from bridge.storage.ephemeral.memory import MemoryStore
        from bridge.storage.ephemeral.redis_store import RedisStore

        def counting(original: Any) -> Any:
            def counted(*args: Any, **kw: Any) -> Any:
                self._add("store")
                if self.show_store:
                    key = args[1] if len(args) > 1 else kw
                    print(f"[{self.op}] {original.__name__} {key}", file=sys.stderr)
                return original(*args, **kw)

            return counted

        for cls in (MemoryStore, RedisStore):
            for name in STORE_CALLS:
                setattr(cls, name, counting(getattr(cls, name)))

    def _add(self, field: str, amount: float = 1) -> None:
        self.figures[self.op][field] += amount

    def _statement(self, _conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if sql.startswith("--"):
            return  # a savepoint SQLite's transaction control does not send (storage/db/sqlite)
        self._add("savepoints" if "SAVEPOINT" in sql.upper() else "statements")
        if self.show_sql:
            print(f"[{self.op}] {' '.join(sql.split())[:160]}", file=sys.stderr)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/__bench/"):
            return self._answer(path, environ, start_response)
        self.op = environ.get("HTTP_X_BENCH_OP", "other")
        started = time.process_time()
        profile = self.profile if self.profile_op in (None, self.op) else None
        if profile is not None:
            profile.enable()
        try:
            body = self.app(environ, start_response)
            try:
                chunks = list(body)
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
        finally:
            if profile is not None:
                profile.disable()
            self._add("cpu", time.process_time() - started)
            self._add("requests")
            self.op = "other"
        return chunks

    def _answer(self, path: str, environ: Environ, start_response: StartResponse) -> list[bytes]:
        answer: Any
        if path == "/__bench/stats":
            answer = {"pid": os.getpid(), "figures": self.figures}
        elif path == "/__bench/reset":
            self.figures.clear()
            answer = {"pid": os.getpid()}
        elif path == "/__bench/profile" and self.profile is not None:
            self.profile.dump_stats(str(self.profile_path))
            answer = {"written": self.profile_path}
        elif path == "/__bench/verify":
            rounds = int(parse_qs(environ.get("QUERY_STRING", "")).get("n", ["10"])[0])
            answer = {"cpu": verify_cpu(self.hasher, rounds), "parameters": self.hasher.parameters}
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"no such bench path"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(answer).encode()]


def verify_cpu(hasher: PasswordHasher, rounds: int) -> float:
    """The process CPU of one argon2id verify of a right password (median of ``rounds``)."""
    password = "correct horse battery staple"
    password_hash = hasher.hash(password)
    spent = []
    for _ in range(rounds):
        started = time.process_time()
        assert hasher.verify(password_hash, password)
        spent.append(time.process_time() - started)
    return sorted(spent)[len(spent) // 2]


def metered_app() -> Meter:
    """The bridge of this environment's settings, metered."""
    config = os.environ.get("BRIDGE_CONFIG")
    settings = load_settings(Path(config) if config else None, os.environ)
    app = create_app(settings)
    services = app.extensions["bridge"].services
    hasher = PasswordHasher(
        time_cost=settings.passwords.argon2_time_cost,
        memory_cost=settings.passwords.argon2_memory_cost,
        parallelism=settings.passwords.argon2_parallelism,
        threads=settings.passwords.argon2_threads,
    )
    return Meter(app, services.db.engine, hasher)


def gunicorn_app() -> Meter:
    return metered_app()


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", int(sys.argv[1]), metered_app(), threaded=False)
    print("serving", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
