"""The authorization endpoint's two halves: accept a request, and answer it after the login.

Between them runs the login flow. The request's parameters are kept with the flow state and
validated again when the answer is made, so a client or redirect URI removed in between is
never redirected to.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from flask import redirect
from werkzeug.wrappers import Response as WerkzeugResponse

from bridge.config.sections import AcrLevel
from bridge.oidc.acr import UnmetAcr, requested_acr, requirement, settle
from bridge.oidc.adapters import AuthenticatedUser
from bridge.oidc.claims import claims_request
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


def login_request_from(
    params: dict[str, str], client_id: str, levels: Sequence[AcrLevel] = ()
) -> LoginRequest:
    """What the flow needs to know of an OIDC authorization request.

    Raises ``ValueError`` for a malformed parameter, and ``UnmetAcr`` (a ``ValueError`` with
    ``error = "unmet_authentication_requirements"``) when only unknown levels are requested.
    """
    prompts = set(params.get("prompt", "").split())
    max_age: int | None = None
    raw_max_age = params.get("max_age")
    if raw_max_age is not None:
        if not raw_max_age.isascii() or not raw_max_age.isdigit():
            raise ValueError("'max_age' must be a non-negative whole number of seconds.")
        max_age = min(int(raw_max_age), MAX_AGE_LIMIT)
    claims_request(params.get("claims"))  # a malformed one is refused now, not at the token
    acr_values = requested_acr(params)
    factors, level_max_age = requirement(levels, acr_values)
    if level_max_age is not None:
        max_age = level_max_age if max_age is None else min(max_age, level_max_age)
    return LoginRequest(
        client_id=client_id,
        interactive="none" not in prompts,
        force_login="login" in prompts,
        max_age=max_age,
        acr_values=acr_values,
        login_hint=params.get("login_hint") or None,
        required_factors=factors,
        # The provider the application would like the user sent to (Keycloak-style brokers
        # send kc_idp_hint): a wish for the flow's idp_redirect step; an unknown one is ignored.
        idp_hint=params.get("kc_idp_hint") or params.get("idp_hint") or None,
    )


def answer(
    server: BridgeAuthorizationServer,
    issuer: str,
    params: dict[str, str],
    user: AuthenticatedUser,
) -> Any:
    """Issue the authorization code for a finished login (or the error the request earns).

    The code's ``acr`` is the level this login earned (``bridge.oidc.acr``); a request for a
    level it did not reach gets ``unmet_authentication_requirements`` instead of a code.
    """
    services = server.services
    try:
        acr = settle(
            services.settings.flows.acr_levels,
            requested_acr(params),
            user.amr,
            user.auth_time,
            int(services.clock()),
        )
    except UnmetAcr as problem:
        return error_redirect(issuer, params, problem.error, str(problem))
    user = dataclasses.replace(user, acr=acr)
    request = StoredAuthorizationRequest(issuer, params)
    try:
        grant = server.get_consent_grant(request, end_user=user)
    except OAuth2Error as error:
        # Valid when it came in, refused now: another login of its client got a code for the
        # same nonce meanwhile. Its redirect URI was validated: the error goes back there.
        return error_redirect(issuer, params, error.error, error.description or error.error)
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
