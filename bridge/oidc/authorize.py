"""The authorization endpoint's two halves: accept a request, and answer it after the login.

Between them runs the login flow. The request's parameters are kept with the flow state and
validated again when the answer is made, so a client or redirect URI removed in between is
never redirected to.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from flask import redirect
from werkzeug.wrappers import Response as WerkzeugResponse

from bridge.oidc.adapters import AuthenticatedUser
from bridge.oidc.server import BridgeAuthorizationServer
from flows.context import LoginRequest

MAX_AGE_LIMIT = 10 * 365 * 24 * 3600


class StoredAuthorizationRequest(OAuth2Request):  # type: ignore[misc]
    """An authorization request rebuilt from the parameters saved with the flow."""

    def __init__(self, issuer: str, params: dict[str, str]) -> None:
        super().__init__("GET", f"{issuer}/authorize?{urlencode(params)}")
        self.payload = BasicOAuth2Payload(params)

    @property
    def args(self) -> dict[str, str]:
        return dict(self.payload.data)

    @property
    def form(self) -> dict[str, str]:
        return {}


def login_request_from(params: dict[str, str], client_id: str) -> LoginRequest:
    """What the flow needs to know of an OIDC authorization request."""
    prompts = set(params.get("prompt", "").split())
    max_age: int | None = None
    raw_max_age = params.get("max_age")
    if raw_max_age is not None:
        if not raw_max_age.isascii() or not raw_max_age.isdigit():
            raise ValueError("'max_age' must be a non-negative whole number of seconds.")
        max_age = min(int(raw_max_age), MAX_AGE_LIMIT)
    return LoginRequest(
        client_id=client_id,
        interactive="none" not in prompts,
        force_login="login" in prompts,
        max_age=max_age,
        acr_values=tuple(params.get("acr_values", "").split()),
        login_hint=params.get("login_hint") or None,
    )


def answer(
    server: BridgeAuthorizationServer,
    issuer: str,
    params: dict[str, str],
    user: AuthenticatedUser,
) -> Any:
    """Issue the authorization code for a finished login (or the error the request earns)."""
    request = StoredAuthorizationRequest(issuer, params)
    grant = server.get_consent_grant(request, end_user=user)
    return server.create_authorization_response(request, grant_user=user, grant=grant)


def error_redirect(
    issuer: str, params: dict[str, str], error: str, description: str
) -> WerkzeugResponse:
    """Send an OIDC error back to a redirect URI that was validated when the request came in."""
    query: dict[str, str] = {"error": error, "error_description": description}
    if params.get("state"):
        query["state"] = params["state"]
    query["iss"] = issuer
    return redirect(add_params_to_uri(params["redirect_uri"], query), code=302)
