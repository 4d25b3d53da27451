"""Input refused at the edge, before any view or store sees it: NUL bytes (which PostgreSQL
cannot store and no field of the bridge may hold) and JSON nested deeper than any document the
bridge reads (which Python's parser would answer with a ``RecursionError``, a 500).

- A NUL byte in the query string or a form field is a 400 in the caller's format (a page, or
  OAuth JSON at the token-side endpoints). ``/authorize`` and ``/token`` are left to their own
  documented refusals (an error page naming the client or redirect URI, an error redirect,
  ``invalid_client``), which already hold for any character.
- A JSON body (the admin API's) nested deeper than ``MAX_JSON_DEPTH`` is a 400; one with a NUL
  byte in a string is the admin API's 422 ``invalid-input`` naming the field, as its own
  validation answers a control character. Bodies are at most 64 KiB (413) as before.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort

from bridge.domain.errors import InvalidInput
from bridge.domain.json_limits import MAX_JSON_DEPTH, json_too_deep
from bridge.domain.wording import N_, Phrase
from bridge.web.requests import current_request

#: Paths whose own refusals of a NUL byte are documented and tested (tests/oidc).
OWN_REFUSALS = ("/authorize", "/token")
NUL = "\x00"


def _path_to_nul(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (or key) holding a NUL byte, or None."""
    if isinstance(value, str):
        return path or "body" if NUL in value else None
    if isinstance(value, dict):
        for key, member in value.items():
            where = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                return where
            found = _path_to_nul(member, where)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, member in enumerate(value):
            found = _path_to_nul(member, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def check_request() -> None:
    """The ``before_request`` check (see the module docstring)."""
    request = current_request()
    if request.path.startswith(OWN_REFUSALS):
        return
    query = request.environ.get("QUERY_STRING", "")
    # A decoded argument holds a NUL only if the raw query has one, or its escape "%00":
    # the arguments are not parsed for this check when neither is there.
    if (NUL in query or "%00" in query) and any(
        NUL in key or NUL in value for key, value in request.args.items(multi=True)
    ):
        abort(400, description=N_("The request contains a NUL byte."))
    if request.is_json:
        body = request.get_data(cache=True)
        if json_too_deep(body):
            abort(
                400,
                description=Phrase(
                    "The JSON body is nested deeper than %(most)s levels.", most=MAX_JSON_DEPTH
                ),
            )
        field = _path_to_nul(request.get_json(silent=True))
        if field is not None:
            raise InvalidInput(
                Phrase("%(field)s must not contain control characters.", field=field), field=field
            )
    elif request.method == "POST" and any(
        NUL in key or NUL in value for key, value in request.form.items(multi=True)
    ):
        abort(400, description=N_("The form contains a NUL byte."))


def install(app: Flask) -> None:
    app.before_request(check_request)
