"""The public documents (discovery, the JWKS) as prebuilt bytes: ``Cache-Control`` for a short
while, a strong ``ETag``, and 304 Not Modified for a matching ``If-None-Match``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Response, request

from bridge.domain.documents import JsonDocument
from bridge.domain.language import LANGUAGES
from bridge.oidc.client_credentials import ASSERTION_ALGORITHMS
from bridge.services.container import Services

if TYPE_CHECKING:
    from bridge.web.context import Bridge

SCOPES = ["openid", "profile", "email", "offline_access", "admin"]
#: How long a client or a cache may reuse discovery or the JWKS without asking (seconds).
DOCUMENT_MAX_AGE = 300


def discovery_metadata(s: Services) -> dict[str, Any]:
    """The OpenID Provider Metadata (OpenID Connect Discovery 1.0, section 3)."""
    issuer = s.settings.issuer
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks",
        "end_session_endpoint": f"{issuer}/logout",
        "revocation_endpoint": f"{issuer}/revoke",
        "introspection_endpoint": f"{issuer}/introspect",
        "scopes_supported": SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [s.settings.keys.signing_alg],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ],
        # private_key_jwt: what an API client may sign its assertion with (RFC 7523).
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ],
        "revocation_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ],
        "introspection_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "amr",
            "acr",
            "preferred_username",
            "name",
            "email",
            "email_verified",
        ],
        "prompt_values_supported": ["none", "login"],
        # The languages of the pages; an application asks for one with ``ui_locales``.
        "ui_locales_supported": list(LANGUAGES),
        "authorization_response_iss_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "claims_parameter_supported": True,
        "acr_values_supported": [level.name for level in s.settings.flows.acr_levels],
    }


def discovery_document(state: Bridge) -> JsonDocument:
    """The discovery document's bytes, built once per app: it depends on the settings only
    (the configured issuer, never the request's Host or ``X-Forwarded-*`` headers)."""
    document = state.discovery
    if document is None:
        document = state.discovery = JsonDocument.of(discovery_metadata(state.services))
    return document


def public_document(document: JsonDocument) -> Response:
    """The document's bytes, or 304 when the client already holds them (``If-None-Match``)."""
    response = Response(document.body, mimetype="application/json")
    response.headers["Cache-Control"] = f"public, max-age={DOCUMENT_MAX_AGE}"
    response.set_etag(document.etag)
    response.make_conditional(request)  # 304 without a body when the tag matches
    return response
