"""The headers every response gets from the web shell (``bridge.web.browser``), unless its view
set them: the security headers in a fixed order, and ``Cache-Control: no-store`` on pages."""

from __future__ import annotations

import asyncio

import pytest
from flask import Flask, Response

from bridge.app import web_app
from bridge.config.sections import UiSettings
from bridge.web.branding import policy_for

DEFAULTS = [
    ("Content-Security-Policy", policy_for(UiSettings())),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
]


def shell() -> Flask:
    app = web_app(secure_cookies=False)

    @app.get("/plain-page")
    def plain_page() -> Response:
        return Response("<p>hello</p>", mimetype="text/html")

    @app.get("/own-headers")
    def own_headers() -> Response:
        response = Response("<p>framed</p>", mimetype="text/html")
        response.headers["x-frame-options"] = "SAMEORIGIN"
        response.headers["Cache-Control"] = "private, max-age=60"
        response.headers["Content-Security-Policy"] = "default-src 'none'"
        return response

    @app.get("/data")
    def data() -> Response:
        return Response("{}", mimetype="application/json")

    return app


def added(response: Response) -> list[tuple[str, str]]:
    names = {name for name, _value in DEFAULTS} | {"Cache-Control"}
    return [(name, value) for name, value in response.headers if name in names]


def test_a_page_gets_the_security_headers_in_order_and_no_store() -> None:
    response = shell().test_client().get("/plain-page")
    assert added(response) == [*DEFAULTS, ("Cache-Control", "no-store")]


def test_a_header_the_view_set_is_kept_whatever_its_case() -> None:
    response = shell().test_client().get("/own-headers")
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert response.headers.getlist("Cache-Control") == ["private, max-age=60"]
    assert response.headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_document_that_is_not_a_page_may_be_cached() -> None:
    response = shell().test_client().get("/data")
    assert added(response) == DEFAULTS


def test_a_plain_function_is_called_as_it_is_and_a_coroutine_goes_to_flask() -> None:
    app = shell()

    def plain() -> None:
        return None

    async def waits() -> None:
        await asyncio.sleep(0)

    assert app.ensure_sync(plain) is plain
    # Flask's own answer to an ``async def`` view (without its 'async' extra installed here).
    with pytest.raises(RuntimeError, match="async"):
        app.ensure_sync(waits)
    assert Flask.ensure_sync(app, plain) is plain
