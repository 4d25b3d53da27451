"""The request and the request's ``g`` as objects, for code that reads them many times.

Each attribute read through Flask's ``request`` or ``g`` proxy looks the object up again in its
context variable; a login runs through the request hooks and views about 560 such lookups
(issue 16). A function that reads the request more than once binds it once with these.
"""

from __future__ import annotations

from flask import Request, g, request
from flask.ctx import _AppCtxGlobals


def current_request() -> Request:
    """This request (outside a request: Flask's ``RuntimeError``, as the proxy raises)."""
    found: Request = request._get_current_object()  # type: ignore[attr-defined]
    return found


def request_globals() -> _AppCtxGlobals:
    """This request's ``g`` (the app context's)."""
    found: _AppCtxGlobals = g._get_current_object()
    return found
