"""The HTTP faces of ``bridge.domain.errors``: one status table, an RFC 9457 problem for the
admin API, an error page for everything a browser sees.

Views raise; the handlers installed here (and the admin API's and console's blueprint
handlers, which call the same functions) answer. No view returns a ``(body, status)`` pair.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, jsonify, request
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from bridge.domain.errors import (
    BridgeError,
    Conflict,
    InvalidInput,
    InvalidRequest,
    NotAllowed,
    NotFound,
    TooManyAttempts,
    Unavailable,
    UpstreamFailure,
    UpstreamUnavailable,
)
from bridge.domain.wording import N_
from bridge.storage.db.unit import abandon_current_unit
from bridge.storage.ephemeral.base import EphemeralStoreUnavailable
from bridge.web.pages import error_page

log = logging.getLogger(__name__)

#: The HTTP status of each kind of refusal; a class not listed answers with its nearest base's.
STATUS: dict[type[BridgeError], int] = {
    BridgeError: 500,
    InvalidRequest: 400,
    NotAllowed: 403,
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    TooManyAttempts: 429,
    Unavailable: 503,
    UpstreamFailure: 400,  # the provider's answer cannot be used: the user starts again
    UpstreamUnavailable: 502,
}

PROBLEM_TYPE = "urn:bridge:problem:"
PROBLEM_MEDIA_TYPE = "application/problem+json"
API_PATH = "/admin/api/"
#: Paths whose errors are OAuth-style JSON, not pages.
JSON_PATHS = ("/token", "/userinfo", "/revoke", "/introspect", "/jwks", "/.well-known/")
CSRF = "csrf"
STORAGE_DOWN = N_("The bridge cannot reach its storage right now. Please try again shortly.")
#: The titles of HTTP errors a browser may meet, in the catalogue (werkzeug's are English only).
HTTP_TITLES = {
    400: N_("Bad Request"),
    404: N_("Not Found"),
    405: N_("Method Not Allowed"),
    413: N_("Request Entity Too Large"),
}
#: Seconds a client is asked to wait when a store is unreachable.
RETRY_AFTER_OUTAGE = 5


def status_of(error: BridgeError) -> int:
    """The status of the first class in the error's MRO that ``STATUS`` lists."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500  # pragma: no cover - BridgeError itself is listed


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """An RFC 9457 problem document (``type`` is ``urn:bridge:problem:<code>``)."""
    body = {"type": PROBLEM_TYPE + code, "title": title, "status": status, "detail": detail}
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MEDIA_TYPE)
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def problem_response(error: BridgeError) -> Response:
    """The admin API's face of a refusal."""
    return problem(status_of(error), error.code, error.title, error.message, **error.extra)


def http_problem(error: HTTPException) -> Response:
    """Any HTTP error under the admin API's prefix, as a problem document."""
    status = error.code or 500
    code = {404: "not-found", 405: "method-not-allowed", 413: "too-large"}.get(status, "http-error")
    response = problem(status, code, error.name, error.description or error.name)
    if status == 405 and error.get_headers():
        for name, value in error.get_headers():
            if name.lower() == "allow":
                response.headers["Allow"] = value
    return response


def error_page_response(
    error: BridgeError, template: str = "error.html", *, message: str | None = None
) -> Response:
    """The browser's face of a refusal: a page saying what happened and what to do
    (``message``: the refusal's message as this face words it, in English)."""
    response = error_page(
        error.title,
        error.message if message is None else message,
        status_of(error),
        template=template,
        code=error.code,
        contacts=error.extra.get("contacts") or [],
    )
    if isinstance(error, TooManyAttempts):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _wants_json() -> bool:
    return request.path.startswith(JSON_PATHS)


def _unavailable(error: Exception) -> Response:
    # Fail closed: nobody gets in while a store that holds the rules is unreachable. Each caller
    # gets the outage in its own format: a problem document, OAuth JSON or a page. The request
    # did not happen: what it changed in either store is undone (``UnitOfWork.abandon``), so
    # the client's retry is judged as a first try (a refresh token is not spent, a TOTP step
    # or recovery code not used, a lockout slot not taken).
    log.error("store unavailable: %s", error)
    abandon_current_unit()
    if request.path.startswith(API_PATH):
        response = problem(
            503,
            "unavailable",
            "Temporarily unavailable",
            STORAGE_DOWN,
        )
    elif _wants_json():
        response = jsonify(
            {"error": "temporarily_unavailable", "error_description": "Try again shortly."}
        )
        response.status_code = 503
        response.headers["Cache-Control"] = "no-store"
    else:
        response = error_page(N_("Sign-in is temporarily unavailable"), STORAGE_DOWN, 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_OUTAGE)
    return response


def _http_error(error: HTTPException) -> Any:
    if request.path.startswith(API_PATH):
        return http_problem(error)
    if error.description is None and error.get_headers():
        # Authlib's resource protector: a complete OAuth error (WWW-Authenticate and all).
        return error.get_response()
    status = error.code or 500
    if error.description == CSRF:
        title = N_("This form has expired")
        message = N_(
            "The form was sent without a valid security token (it may be old, or it was "
            "sent from another site). Go back, reload the page and try again."
        )
    else:
        title = HTTP_TITLES.get(status, error.name)
        message = error.description or ""
    if _wants_json():
        response = jsonify({"error": "invalid_request", "error_description": message})
        response.status_code = status
        return response
    return error_page(title, message, status)


def install(app: Flask) -> None:
    """The application's error handlers; a blueprint with another face registers its own."""
    app.register_error_handler(EphemeralStoreUnavailable, _unavailable)
    app.register_error_handler(OperationalError, _unavailable)
    app.register_error_handler(PoolTimeout, _unavailable)  # no free pooled connection in time
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(BridgeError, error_page_response)
