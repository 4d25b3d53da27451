"""Discovery and the JWKS answered before Flask (``bridge.oidc.fast_documents``, issue 16): for
every request, the same status, the same headers in the same order and the same bytes as
Flask's path answers, which each test asks too by taking the fast path out of the app."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError
from werkzeug.test import TestResponse

from bridge.domain.clock import FrozenClock
from bridge.observability.metrics import process_metrics
from bridge.oidc.fast_documents import FastDocuments
from bridge.services.container import Services
from bridge.storage.db.engine import Database
from tests.bridges import make_services, serving_app

PATHS = ["/.well-known/openid-configuration", "/jwks"]
ORIGIN = {"Origin": "https://spa.example"}
REQUEST_ID = {"X-Request-ID": "req-42.a:b"}
#: Requests whose answers are compared: (method, headers, extra arguments of the test client).
REQUESTS: list[tuple[str, dict[str, str], dict[str, str]]] = [
    ("GET", {}, {}),
    ("GET", REQUEST_ID, {}),
    ("GET", {"X-Request-ID": "not safe to echo!"}, {}),
    ("GET", ORIGIN, {}),
    ("GET", {**ORIGIN, "If-None-Match": "{etag}"}, {}),
    ("GET", {"If-None-Match": "W/{etag}"}, {}),
    ("GET", {"If-None-Match": '"other", {etag}'}, {}),
    ("GET", {"If-None-Match": '"other"'}, {}),
    ("GET", {"If-None-Match": "*"}, {}),
    ("GET", {"If-Match": '"other"'}, {}),
    ("GET", {"Range": "bytes=0-9"}, {}),
    ("GET", {"Cookie": "bridge_browser=abcdefghijklmnopqrstuvwxyz"}, {}),
    ("GET", {"Cookie": "session=forged"}, {}),
    ("GET", {"Cookie": "bridge_session=abc; other=session"}, {}),
    ("GET", {}, {"query_string": "a=%00"}),
    ("GET", {}, {"query_string": "x=1"}),
    ("GET", {"Content-Type": "application/json"}, {"data": "[[[[[[[[[[[[[[[[[[[["}),
    ("HEAD", {}, {}),
    ("HEAD", {**ORIGIN, **REQUEST_ID}, {}),
    ("HEAD", {"If-None-Match": "{etag}"}, {}),
    ("OPTIONS", {**ORIGIN, "Access-Control-Request-Method": "GET"}, {}),
    ("OPTIONS", {}, {}),
    ("POST", ORIGIN, {"data": "x=1"}),
    ("PUT", {}, {}),
    ("DELETE", {}, {}),
]


def _flask_path(app: Flask) -> FastDocuments:
    fast = app.wsgi_app
    assert isinstance(fast, FastDocuments)
    return fast


def _compare(app: Flask, path: str, method: str, headers: dict[str, str], **extra: str) -> None:
    """Ask the fast path and Flask's path the same thing; their answers must be the same."""
    fast = _flask_path(app)
    client = app.test_client()
    etag = client.get(path).headers["ETag"]
    headers = {name: value.replace("{etag}", etag) for name, value in headers.items()}
    fast_answer = client.open(path, method=method, headers=headers, **extra)  # type: ignore[arg-type]
    app.wsgi_app = fast.flask_wsgi  # type: ignore[method-assign]
    try:
        flask_answer = client.open(path, method=method, headers=headers, **extra)  # type: ignore[arg-type]
    finally:
        app.wsgi_app = fast  # type: ignore[method-assign]
    assert _seen(fast_answer) == _seen(flask_answer), (method, headers, extra)


def _seen(response: TestResponse) -> tuple[str, list[tuple[str, str]], bytes]:
    """What a client receives, with the two values that differ by nature masked: the date
    (checked to be one) and a request id the bridge made up (checked to be one)."""
    headers = []
    for name, value in response.headers.items():
        if name == "Date":
            assert parsedate_to_datetime(value) is not None
            value = "<date>"
        if name == "X-Request-ID" and value != REQUEST_ID["X-Request-ID"]:
            assert re.fullmatch(r"[0-9a-f]{32}", value)
            value = "<new id>"
        headers.append((name, value))
    return response.status, headers, response.get_data()


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("method", "headers", "extra"), REQUESTS)
def test_the_fast_path_answers_as_flask_does(
    app: Flask, path: str, method: str, headers: dict[str, str], extra: dict[str, str]
) -> None:
    _compare(app, path, method, headers, **extra)


@pytest.fixture
def prefixed(database: Database, tmp_path: Path, clock: FrozenClock) -> Iterator[Flask]:
    """A bridge whose issuer has a path (behind a proxy that forwards ``/tenant-a``), on https,
    with a logo on another origin (in the ``Content-Security-Policy``)."""
    services = make_services(
        "https://idp.example/tenant-a",
        database,
        tmp_path / "data",
        clock,
        config={"ui": {"logo_url": "https://cdn.example/logo.png"}},
    )
    yield serving_app(services)
    services.close()


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("method", "headers", "extra"), REQUESTS[:8])
def test_an_issuer_with_a_path_answers_as_flask_does(
    prefixed: Flask, path: str, method: str, headers: dict[str, str], extra: dict[str, str]
) -> None:
    forwarded = {"X-Forwarded-Host": "other.example", "X-Forwarded-Proto": "http"}
    _compare(prefixed, path, method, {**headers, **forwarded}, **extra)
    _compare(prefixed, path, method, headers, base_url="https://idp.example/tenant-a", **extra)


def test_discovery_names_the_configured_issuer_whatever_the_request_says(prefixed: Flask) -> None:
    response = prefixed.test_client().get(
        "/.well-known/openid-configuration",
        base_url="http://proxy.internal/tenant-a",
        headers={"X-Forwarded-Host": "evil.example", "Host": "evil.example"},
    )
    assert response.get_json()["jwks_uri"] == "https://idp.example/tenant-a/jwks"


@pytest.mark.parametrize(
    ("path", "endpoint"), [(PATHS[0], "oidc.discovery"), (PATHS[1], "oidc.jwks")]
)
def test_a_fast_answer_is_counted_and_logged_as_flask_counts_it(
    client: FlaskClient, path: str, endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    requests = process_metrics().requests

    def counted(method: str, status: str) -> float:
        for metric in requests.collect():
            for sample in metric.samples:
                if sample.name.endswith("_count") and sample.labels == {
                    "endpoint": endpoint,
                    "method": method,
                    "status": status,
                }:
                    return sample.value
        return 0.0

    etag = client.get(path).headers["ETag"]
    before = counted("GET", "2xx"), counted("GET", "3xx"), counted("HEAD", "2xx")
    # Only the three requests below: the first GET is logged too when an earlier test of this
    # worker left the access logger at INFO.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="bridge.access"):
        client.get(path, headers=REQUEST_ID)
        client.get(path, headers={"If-None-Match": etag})
        client.head(path)
    after = counted("GET", "2xx"), counted("GET", "3xx"), counted("HEAD", "2xx")
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 1]
    lines = [record.getMessage().rsplit(" ", 2)[0] for record in caplog.records]
    assert lines == [f"GET {endpoint} 200", f"GET {endpoint} 304", f"HEAD {endpoint} 200"]
    assert getattr(caplog.records[0], "request_id", None) == REQUEST_ID["X-Request-ID"]


def test_a_jwks_that_cannot_be_read_gets_flasks_answer(
    app: Flask, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database does not answer and the published copy is stale: the 503 page, with
    every header Flask's path sends."""

    def unreadable() -> None:
        raise OperationalError("SELECT", {}, Exception("stands for a database that is down"))

    monkeypatch.setattr(services.keys, "jwks_document", unreadable)
    fast = _flask_path(app)
    client = app.test_client()
    answer = client.get("/jwks", headers=REQUEST_ID)
    app.wsgi_app = fast.flask_wsgi  # type: ignore[method-assign]
    try:
        flask_answer = client.get("/jwks", headers=REQUEST_ID)
    finally:
        app.wsgi_app = fast  # type: ignore[method-assign]
    assert answer.status_code == 503
    assert _seen(answer) == _seen(flask_answer)


@pytest.mark.parametrize("path", PATHS)
def test_plain_gets_and_heads_never_reach_flask(app: Flask, path: str) -> None:
    fast = _flask_path(app)
    etag = app.test_client().get(path).headers["ETag"]

    def flask_path(*_args: object) -> list[bytes]:
        raise AssertionError("Flask's path was taken")

    app.wsgi_app = FastDocuments(app, flask_path)  # type: ignore[method-assign]
    try:
        client = app.test_client()
        assert client.get(path, headers={**ORIGIN, **REQUEST_ID}).status_code == 200
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
        assert client.head(path).status_code == 200
        signed_in = {"Cookie": "bridge_session=abc; bridge_browser=def"}
        assert client.get(path, headers=signed_in).status_code == 200
    finally:
        app.wsgi_app = fast  # type: ignore[method-assign]
