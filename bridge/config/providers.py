"""The upstream OpenID Connect providers a login may be sent to (``identity_providers``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import field_validator
from pydantic import model_validator as _model_validator

from bridge.config.fields import Bool, Int, Section, Text, between, check_issuer
from bridge.domain.validators import DOMAIN, PROVIDER_ALIAS
from bridge.domain.wording import Phrase

__all__ = ["UPSTREAM_ALGORITHMS", "ClaimMapping", "IdentityProviderSettings"]

#: ID token algorithms an upstream provider may use: asymmetric only. ``none`` and HMAC (``HS*``)
#: are refused: an HMAC "signature" made with the provider's public key would otherwise verify.
UPSTREAM_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
)  # fmt: skip
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ClaimMapping(Section):
    """Which upstream ID token claims hold the subject, the e-mail and the name."""

    subject: Text = "sub"
    email: Text = "email"
    email_verified: Text = "email_verified"
    name: Text = "name"


class IdentityProviderSettings(Section):
    """An upstream OpenID Connect provider (issue 6). The client secret comes from the
    environment variable named by ``client_secret_env`` or the file ``client_secret_file``;
    neither set: a public client (PKCE only)."""

    alias: Text
    issuer: Text
    client_id: Text
    client_secret_env: Text | None = None
    client_secret_file: Path | None = None
    display_name: Text | None = None
    scopes: tuple[Text, ...] = ("openid", "email", "profile")
    organisation: Text | None = None  # its slug; None: a global "log in with ..." provider
    domains: tuple[Text, ...] = ()  # e-mail domains sent here by home-realm discovery
    claims: ClaimMapping = ClaimMapping()
    link_by_verified_email: Bool = False
    trusted_amr: Bool = False  # pass the upstream's own amr values through, beside "fed"
    algorithms: tuple[Text, ...] = ("RS256", "ES256")
    timeout: Annotated[Int, between(1, 60)] = 10
    metadata_ttl: Annotated[Int, between(60, 86_400)] = 3600  # discovery and JWKS cache
    max_clock_skew: Annotated[Int, between(0, 600)] = 120

    @field_validator("alias")
    @classmethod
    def _alias(cls, value: str) -> str:
        if not PROVIDER_ALIAS.fullmatch(value):
            raise ValueError(
                Phrase("must be 1-63 characters of a-z, 0-9, '_' and '-' (a URL slug)")
            )
        return value

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        check_issuer(value)  # kept as written: upstream iss values are compared exactly
        return value

    @field_validator("client_secret_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.fullmatch(value):
            raise ValueError("must be the name of an environment variable")
        return value

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "openid" not in value:
            raise ValueError(Phrase("must include openid"))
        if any(not re.fullmatch(r"[\x21\x23-\x5b\x5d-\x7e]+", scope) for scope in value):
            raise ValueError(Phrase("each scope must be one word of printable ASCII"))
        return value

    @field_validator("domains")
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        normal = tuple(domain.strip().lower() for domain in value)
        for domain in normal:
            if not DOMAIN.fullmatch(domain):
                raise ValueError(Phrase("%(domain)r is not a domain name", domain=domain))
        if len(set(normal)) != len(normal):
            raise ValueError(Phrase("must not repeat a domain"))
        return normal

    @field_validator("algorithms")
    @classmethod
    def _algorithms(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError(Phrase("must name at least one algorithm"))
        for alg in value:
            if alg.lower() == "none" or alg.upper().startswith("HS"):
                raise ValueError(
                    Phrase(
                        "%(alg)r is refused: ID tokens must be signed with a public-key "
                        "algorithm (never 'none', never HMAC)",
                        alg=alg,
                    )
                )
            if alg not in UPSTREAM_ALGORITHMS:
                raise ValueError(
                    Phrase(
                        "%(alg)r is not one of %(choices)s",
                        alg=alg,
                        choices=", ".join(UPSTREAM_ALGORITHMS),
                    )
                )
        return value

    @_model_validator(mode="before")
    @classmethod
    def _no_secret_in_file(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "client_secret" in data:
            raise ValueError(
                "client_secret: secrets are not read from the configuration file; name an "
                "environment variable with client_secret_env (BRIDGE_IDP_<ALIAS>_CLIENT_SECRET) "
                "or a file with client_secret_file"
            )
        return data

    @_model_validator(mode="after")
    def _one_secret_source(self) -> IdentityProviderSettings:
        if self.client_secret_env is not None and self.client_secret_file is not None:
            raise ValueError("set client_secret_env or client_secret_file, not both")
        return self
