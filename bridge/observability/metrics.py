"""The bridge's Prometheus metrics, and the text ``/metrics`` answers.

The metrics are one set per process, as the Prometheus client wants them (a name is
registered once; under gunicorn each worker writes its own files in
``PROMETHEUS_MULTIPROC_DIR`` and a scrape of any worker adds them all up). ``process_metrics()``
makes them on first use; the services and the web layer record into them. What is read from
the database at scrape time (the outbox's depth) is collected per scrape, not stored.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

#: Latency buckets in seconds: a page is a few milliseconds, argon2 a few hundred, an upstream
#: provider up to its timeout.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    logins: Counter
    lockouts: Counter
    throttled: Counter
    requests: Histogram
    steps: Histogram
    mail: Counter
    upstream: Histogram
    upstream_errors: Counter
    store_errors: Counter


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


@cache
def process_metrics() -> Metrics:
    """This process's metrics, made on first use."""
    registry = CollectorRegistry(auto_describe=True)
    return Metrics(
        registry=registry,
        logins=Counter(
            "bridge_logins",
            "Finished login attempts (sign_in_succeeded / sign_in_failed), by outcome, the "
            "second factor used or refused, and the refusal's reason.",
            ["outcome", "factor", "reason"],
            registry=registry,
        ),
        lockouts=Counter(
            "bridge_lockouts",
            "Accounts locked (account_locked), by reason.",
            ["reason"],
            registry=registry,
        ),
        throttled=Counter(
            "bridge_throttled",
            "Requests answered 429 (per-IP login throttling, too many attempts), by endpoint.",
            ["endpoint"],
            registry=registry,
        ),
        requests=Histogram(
            "bridge_http_request_duration_seconds",
            "Time to answer a request, by Flask endpoint, method and status class (2xx..5xx).",
            ["endpoint", "method", "status"],
            buckets=BUCKETS,
            registry=registry,
        ),
        steps=Histogram(
            "bridge_login_step_duration_seconds",
            "Time to judge a submitted login step (password, totp, ...), by step type.",
            ["step"],
            buckets=BUCKETS,
            registry=registry,
        ),
        mail=Counter(
            "bridge_mail_deliveries",
            "Mail delivery attempts by outcome: sent, retry (failed, will be retried), failed "
            "(given up or refused, recorded as mail_failed).",
            ["outcome"],
            registry=registry,
        ),
        upstream=Histogram(
            "bridge_upstream_request_duration_seconds",
            "Requests to upstream identity providers (discovery, JWKS, token), by host.",
            ["host"],
            buckets=BUCKETS,
            registry=registry,
        ),
        upstream_errors=Counter(
            "bridge_upstream_errors",
            "Requests to upstream providers that failed: no answer (timeout, connection) or an "
            "HTTP error status, by host and kind.",
            ["host", "kind"],
            registry=registry,
        ),
        store_errors=Counter(
            "bridge_store_errors",
            "Errors talking to a store (database: SQLAlchemy's DBAPI errors; ephemeral: Redis "
            "unreachable, timed out or read-only), by store.",
            ["store"],
            registry=registry,
        ),
    )


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``."""

    def __enter__(self) -> Timer:
        self._start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *_exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


class ScrapeTimeGauges(Collector):
    """Gauges read when Prometheus scrapes: ``read()`` gives ``(name, help, value)`` triples."""

    def __init__(self, read: Callable[[], Iterable[tuple[str, str, float]]]) -> None:
        self._read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, documentation, value in self._read():
            yield GaugeMetricFamily(name, documentation, value=value)


class _Process(Collector):
    """This process's own registry, as one collector of a scrape's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Any]:
        yield from self._registry.collect()


def exposition(extra: Collector | None = None) -> tuple[bytes, str]:
    """The body and content type of a scrape: every process's metrics under gunicorn
    (``PROMETHEUS_MULTIPROC_DIR``), else this process's, and ``extra`` read now."""
    registry = CollectorRegistry()
    if multiprocess_dir() is not None:
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Process(process_metrics().registry))
    if extra is not None:
        registry.register(extra)
    return generate_latest(registry), CONTENT_TYPE_LATEST


def mark_process_dead(pid: int) -> None:
    """For gunicorn's ``child_exit`` hook: a dead worker's live gauges are dropped."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
