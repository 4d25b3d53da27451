"""Flask's cookie session, opened without building its signer when the request sends no session
cookie (issue 16): the bridge keeps its state elsewhere and never writes Flask's session, so
every request paid for an itsdangerous serializer it did not use. A request that does send the
cookie is opened exactly as Flask does."""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class LazySecureCookieSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()  # what Flask answers without the cookie
        return super().open_session(app, request)


def install(app: Flask) -> None:
    app.session_interface = LazySecureCookieSessionInterface()
