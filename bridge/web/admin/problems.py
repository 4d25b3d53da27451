"""The admin API's own problems: a missing or weak bearer token (RFC 6750 with RFC 9457 bodies).

Refusals of the services are ``bridge.domain.errors`` and answered by
``bridge.web.errors.problem_response``.
"""

from __future__ import annotations

from flask import Response

from bridge.web.errors import problem


def unauthorised(detail: str, *, error: str = "invalid_token") -> Response:
    return problem(
        401,
        "unauthorised",
        "A valid bearer token with the 'admin' scope is required",
        detail,
        headers={"WWW-Authenticate": f'Bearer realm="admin", error="{error}", scope="admin"'},
    )


def insufficient_scope() -> Response:
    return problem(
        403,
        "insufficient-scope",
        "The token lacks the 'admin' scope",
        "Ask for the 'admin' scope; the client must be allowed it "
        "(bridge org allow-admin-scope CLIENT_ID).",
        headers={
            "WWW-Authenticate": 'Bearer realm="admin", error="insufficient_scope", scope="admin"'
        },
    )
