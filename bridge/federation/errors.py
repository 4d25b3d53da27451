"""What can go wrong in an upstream login, each with a message for the user and an audit reason.

Each is a ``bridge.domain.errors.UpstreamFailure`` (``UpstreamUnavailable`` when the provider does
not answer). The login view shows ``message`` on an error page and records ``sign_in_failed``
with ``reason`` (and ``details``); ``detail`` says what went wrong for the audit log. None of
them ever carries a token or a secret.
"""

# ruff: noqa: N818 - the names read as what happened (BadSignature, TokenExpired), like users.py

from __future__ import annotations

from typing import Any

from bridge.domain.errors import UpstreamFailure, UpstreamUnavailable
from bridge.domain.wording import N_


class UpstreamError(UpstreamFailure):
    """An upstream login that cannot complete."""

    code = "upstream-error"
    reason = "upstream_error"
    message = N_("Signing in through your organisation's provider did not work. Please try again.")

    def __init__(self, detail: str, *, provider: str | None = None, **details: Any) -> None:
        super().__init__(detail)
        self.provider = provider
        self.details = {"detail": detail, **({"provider": provider} if provider else {}), **details}


class ProviderUnavailable(UpstreamError, UpstreamUnavailable):
    """The provider did not answer in time, refused the connection, or answered 5xx."""

    code = "provider-unavailable"
    reason = "provider_unavailable"
    message = N_(
        "The sign-in provider is not answering right now. Please try again in a few minutes."
    )


class ProviderTimeout(ProviderUnavailable):
    reason = "provider_timeout"


class ProviderMisconfigured(UpstreamError):
    """The provider's metadata or our configuration cannot be used (an operator must act)."""

    reason = "provider_misconfigured"
    message = N_("Signing in through this provider is not possible at the moment.")


class UpstreamRefused(UpstreamError):
    """The provider sent the user back with an ``error`` (RFC 6749 section 4.1.2.1)."""

    reason = "upstream_refused"
    message = N_("The sign-in provider did not sign you in.")

    def __init__(self, error: str, *, provider: str | None = None, **details: Any) -> None:
        super().__init__(f"the provider answered {error!r}", provider=provider, **details)
        self.error = error
        if error == "access_denied":
            self.message = N_("The sign-in was cancelled at the provider.")


class InvalidState(UpstreamError):
    """The callback's ``state`` is unknown, expired, already used or for another provider."""

    reason = "invalid_state"
    message = N_("This sign-in link has expired or was already used. Please start again.")


class IssuerMismatch(UpstreamError):
    """RFC 9207: the callback's ``iss`` is not the provider's, or is missing when promised."""

    reason = "issuer_mismatch"


class TokenExchangeFailed(UpstreamError):
    """The token endpoint refused the code (a 4xx or an ``error`` answer)."""

    reason = "token_exchange_failed"


class StaleAuthentication(UpstreamError):
    """A fresh authentication was asked upstream (``prompt=login``, ``max_age``) and the ID
    token's ``auth_time`` does not show one: missing, too old, or from before this login."""

    reason = "stale_authentication"
    message = N_("Your organisation's sign-in did not confirm a fresh sign-in. Please try again.")


class InvalidIdToken(UpstreamError):
    """The ID token failed verification; subclasses say how."""

    reason = "invalid_id_token"


class BadSignature(InvalidIdToken):
    reason = "bad_signature"


class DisallowedAlgorithm(InvalidIdToken):
    """``alg`` outside the allow-list: ``none``, HMAC (``HS*``) or one not configured."""

    reason = "disallowed_alg"


class UnknownKey(InvalidIdToken):
    """No key with the token's ``kid``, even after fetching the JWKS again."""

    reason = "unknown_kid"


class WrongIssuer(InvalidIdToken):
    reason = "wrong_issuer"


class WrongAudience(InvalidIdToken):
    """``aud`` does not hold our client id, or several audiences without ``azp`` = client id."""

    reason = "wrong_audience"


class TokenExpired(InvalidIdToken):
    reason = "token_expired"


class BadIssuedAt(InvalidIdToken):
    """``iat`` missing or further in the future than the allowed clock skew."""

    reason = "bad_iat"


class BadAuthTime(InvalidIdToken):
    """``auth_time`` that is not a number, or further in the future than the allowed skew."""

    reason = "bad_auth_time"


class NonceMismatch(InvalidIdToken):
    """``nonce`` is not this login's, or this login's nonce was already used: a replay."""

    reason = "replayed_nonce"


class MissingClaim(InvalidIdToken):
    reason = "missing_claim"
