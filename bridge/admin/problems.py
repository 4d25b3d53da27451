"""RFC 9457 problem details for the admin API."""

from __future__ import annotations

from typing import Any

from flask import Response, json

from bridge.orgs.errors import OrgProblem

PROBLEM_TYPE = "urn:bridge:problem:"
MEDIA_TYPE = "application/problem+json"


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = {"type": PROBLEM_TYPE + slug, "title": title, "status": status, "detail": detail}
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_org_problem(error: OrgProblem) -> Response:
    return problem(error.status, error.slug, error.title, error.detail, **error.extra)


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
