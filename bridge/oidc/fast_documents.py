"""Discovery and the JWKS answered before Flask (issue 16): a WSGI middleware in front of the
app that serves the prebuilt documents to a plain ``GET`` or ``HEAD``.

Flask's request context and the app's ten request hooks cost several times what answering
these two documents does, and neither document depends on the request: discovery is built from
the settings (the configured issuer, never the ``Host`` or ``X-Forwarded-*`` headers) and the
JWKS from the published keys. So this path writes, for the requests it takes, exactly the
response Flask's path writes (``tests/oidc/test_fast_documents.py`` compares them header by
header and byte by byte): the body or 304 for a matching ``If-None-Match``, ``Cache-Control``,
the ``ETag`` and ``Date``, CORS for an ``Origin`` (``bridge.oidc.cors``: public documents),
the security headers (``bridge.web.browser``) and the ``X-Request-ID``, and it counts the
request in the metrics and the access log under the view's endpoint name.

Everything else goes to Flask unchanged: other methods (``OPTIONS`` preflights, the 405 of a
``POST``), a query string (the edge's NUL check), a body, range or other conditional headers,
Flask's session cookie, and any request whose document cannot be read now (the JWKS's copy
is stale and the database does not answer: Flask's path answers with the 503 page).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.http import http_date, is_resource_modified, parse_cookie

from bridge.domain.documents import JsonDocument
from bridge.observability.logs import request_id_from
from bridge.observability.web import record_request
from bridge.oidc.cors import RULES
from bridge.oidc.documents import DOCUMENT_MAX_AGE, discovery_document
from bridge.web.branding import policy_for
from bridge.web.browser import SECURITY_HEADERS

if TYPE_CHECKING:
    from flask import Flask

    from bridge.web.context import Bridge

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: The paths this path serves, with the Flask endpoint each is counted under.
ENDPOINTS = {"/.well-known/openid-configuration": "oidc.discovery", "/jwks": "oidc.jwks"}
#: Request headers whose handling is left to Flask (werkzeug's ``make_conditional``).
LEFT_TO_FLASK = (
    "HTTP_RANGE",
    "HTTP_IF_RANGE",
    "HTTP_IF_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_TRANSFER_ENCODING",
)
CACHE_CONTROL = f"public, max-age={DOCUMENT_MAX_AGE}"
#: The endpoints whose CORS rule is the public one this path writes; any other goes to Flask.
PUBLIC = frozenset(name for name in ENDPOINTS.values() if name in RULES and RULES[name].public)


class FastDocuments:
    """``app.wsgi_app = FastDocuments(app, app.wsgi_app)``: the documents first, then Flask.

    The services are looked up in ``app.extensions["bridge"]`` on every request, as the views
    do, so an app bound to other services serves their documents.
    """

    def __init__(self, app: Flask, flask_wsgi: WsgiApp) -> None:
        self.app = app
        self.flask_wsgi = flask_wsgi

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        endpoint = ENDPOINTS.get(environ.get("PATH_INFO", ""), "")
        if endpoint not in PUBLIC or not self._plain(environ):
            return self.flask_wsgi(environ, start_response)
        started = time.perf_counter()
        state: Bridge | None = self.app.extensions.get("bridge")
        if state is None:
            return self.flask_wsgi(environ, start_response)
        try:
            document = (
                discovery_document(state)
                if endpoint == "oidc.discovery"
                else state.services.keys.jwks_document()
            )
        except Exception:
            return self.flask_wsgi(environ, start_response)  # its error page, its headers
        return self._answer(environ, start_response, state, endpoint, document, started)

    def _plain(self, environ: dict[str, Any]) -> bool:
        """A ``GET`` or ``HEAD`` without anything that Flask's path would act on."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return False
        if environ.get("QUERY_STRING") or environ.get("CONTENT_TYPE"):
            return False
        if environ.get("CONTENT_LENGTH") not in (None, "", "0"):
            return False
        if any(name in environ for name in LEFT_TO_FLASK):
            return False
        cookies = environ.get("HTTP_COOKIE")
        name = self.app.config["SESSION_COOKIE_NAME"]  # Flask's session: Flask opens it
        return not cookies or name not in cookies or name not in parse_cookie(cookies)

    def _answer(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        state: Bridge,
        endpoint: str,
        document: JsonDocument,
        started: float,
    ) -> Iterable[bytes]:
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        etag = f'"{document.etag}"'
        modified = is_resource_modified(environ, etag)
        # In the order Flask's path writes them: the view's, then the after-request hooks'.
        headers = (
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(document.body))),
            ]
            if modified
            else []
        )
        headers += [("Cache-Control", CACHE_CONTROL), ("ETag", etag), ("Date", http_date())]
        if environ.get("HTTP_ORIGIN"):  # the public rule (``PUBLIC``)
            headers += [
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Expose-Headers", "WWW-Authenticate"),
            ]
        headers.append(("Content-Security-Policy", policy_for(state.services.settings.ui)))
        headers += SECURITY_HEADERS
        headers.append(("X-Request-ID", request_id))
        status = 200 if modified else 304
        start_response("200 OK" if modified else "304 NOT MODIFIED", headers)
        record_request(
            endpoint,
            environ["REQUEST_METHOD"],
            status,
            time.perf_counter() - started,
            request_id=request_id,
        )
        if not modified or environ["REQUEST_METHOD"] == "HEAD":
            return []
        return [document.body]
