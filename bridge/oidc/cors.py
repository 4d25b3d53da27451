"""Cross-origin requests to the endpoints a single-page application calls (Fetch standard CORS).

- Discovery and the JWKS are public documents: any origin may read them (``*``).
- Token, userinfo, revocation and introspection answer an ``Origin`` that is the web origin of a
  redirect URI some client registered (``ClientService.allows_origin``); any other origin gets
  no CORS headers, so the browser withholds the answer. Credentials are never allowed: these
  endpoints authenticate with the request, not with cookies.
- Nothing else: the authorization endpoint, the login and account pages, logout and the admin
  API never send CORS headers (a browser reaches them by navigation, not by ``fetch``).

A preflight (``OPTIONS``, answered by Flask with 200) gets the methods and request headers
the endpoint takes.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, request

from bridge.web.context import bridge


@dataclass(frozen=True)
class CorsRule:
    methods: str
    headers: str
    public: bool = False


#: The endpoints (by Flask endpoint name) that may be called across origins, and how.
RULES = {
    "oidc.discovery": CorsRule("GET", "", public=True),
    "oidc.jwks": CorsRule("GET", "", public=True),
    "oidc.token": CorsRule("POST", "Authorization, Content-Type"),
    "oidc.userinfo": CorsRule("GET, POST", "Authorization, Content-Type"),
    "oidc.revoke": CorsRule("POST", "Authorization, Content-Type"),
    "oidc.introspect": CorsRule("POST", "Authorization, Content-Type"),
}
#: How long a browser may cache a preflight's answer (seconds).
PREFLIGHT_MAX_AGE = "600"


def add_cors_headers(response: Response) -> Response:
    """The OIDC blueprint's ``after_request``: CORS headers where ``RULES`` allow them."""
    rule = RULES.get(request.endpoint or "")
    if rule is None:
        return response
    if not rule.public:
        response.vary.add("Origin")
    origin = request.headers.get("Origin")
    if not origin:
        return response
    if rule.public:
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif bridge().services.clients.allows_origin(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
    else:
        return response
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = rule.methods
        if rule.headers:
            response.headers["Access-Control-Allow-Headers"] = rule.headers
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    else:
        # Userinfo's error names its scheme there; let a page read it.
        response.headers["Access-Control-Expose-Headers"] = "WWW-Authenticate"
    return response
