"""Flask's session opens as Flask opens it, also when its signer is not built (issue 16)."""

from __future__ import annotations

from typing import cast

from flask import Flask, Request, request, session
from flask.sessions import SecureCookieSessionInterface


def test_without_the_cookie_the_session_is_empty(app: Flask) -> None:
    with app.test_request_context("/"):
        assert app.session_interface.open_session(app, _request()) == {}
        assert not session


def test_a_signed_cookie_opens_as_flask_opens_it(app: Flask) -> None:
    signer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert signer is not None
    cookie = signer.dumps({"seen": 1})
    with app.test_request_context("/", headers={"Cookie": f"session={cookie}"}):
        assert dict(app.session_interface.open_session(app, _request()) or {}) == {"seen": 1}
    with app.test_request_context("/", headers={"Cookie": "session=forged"}):
        assert dict(app.session_interface.open_session(app, _request()) or {}) == {}


def _request() -> Request:
    return cast(Request, request)
