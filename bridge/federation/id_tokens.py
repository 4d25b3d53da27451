"""Verifying an upstream ID token (OpenID Connect Core 1.0, section 3.1.3.7) with python-jose.

The order matters: the algorithm is judged from the header against an explicit allow-list before
any key is touched, so ``alg: none`` and an HMAC "signature" made with the provider's public key
never reach a verifier; the signature is checked before any claim is believed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from jose import jwk, jws
from jose.exceptions import JOSEError

from bridge.federation.errors import (
    BadIssuedAt,
    BadSignature,
    DisallowedAlgorithm,
    InvalidIdToken,
    MissingClaim,
    NonceMismatch,
    TokenExpired,
    UnknownKey,
    WrongAudience,
    WrongIssuer,
)
from bridge.federation.providers import IdentityProvider

JsonObject = dict[str, Any]
#: refresh -> the provider's keys; True fetches the JWKS again.
KeySource = Callable[[bool], list[JsonObject]]

_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC"}


def _header(token: str, provider: IdentityProvider) -> JsonObject:
    try:
        header = jws.get_unverified_header(token)
    except JOSEError as exc:
        raise InvalidIdToken(f"malformed ID token: {exc}", provider=provider.alias) from exc
    if not isinstance(header, dict) or not isinstance(header.get("alg"), str):
        raise InvalidIdToken("ID token header without 'alg'", provider=provider.alias)
    return header


def check_algorithm(alg: str, allowed: tuple[str, ...], provider: IdentityProvider) -> None:
    if alg.lower() == "none":
        raise DisallowedAlgorithm("unsigned ID token (alg none)", provider=provider.alias, alg=alg)
    if alg.upper().startswith("HS"):
        raise DisallowedAlgorithm(
            f"HMAC-signed ID token ({alg}): never accepted from a provider with public keys",
            provider=provider.alias,
            alg=alg,
        )
    if alg not in allowed:
        raise DisallowedAlgorithm(
            f"ID token algorithm {alg} is not allowed ({', '.join(allowed)})",
            provider=provider.alias,
            alg=alg,
        )


def _matching(keys: list[JsonObject], kid: str | None, alg: str) -> list[JsonObject]:
    kty = _KEY_TYPES.get(alg[:2])
    found = []
    for key in keys:
        if key.get("kty") != kty or key.get("use", "sig") != "sig":
            continue
        if key.get("alg", alg) != alg:
            continue
        if kid is not None and key.get("kid") != kid:
            continue
        found.append(key)
    return found


def select_key(
    keys: KeySource, kid: str | None, alg: str, provider: IdentityProvider
) -> JsonObject:
    """The one key for ``kid``; an unknown kid fetches the JWKS again, once (key rotation)."""
    for refresh in (False, True):
        found = _matching(keys(refresh), kid, alg)
        if len(found) == 1:
            return found[0]
    raise UnknownKey(
        f"no single {alg} key with kid {kid!r}, even after fetching the JWKS again",
        provider=provider.alias,
        kid=kid,
    )


def verify_signature(
    token: str, keys: KeySource, allowed: tuple[str, ...], provider: IdentityProvider
) -> JsonObject:
    """Check the header's algorithm and the signature; return the (unchecked) claims."""
    header = _header(token, provider)
    alg = str(header["alg"])
    check_algorithm(alg, allowed, provider)
    kid = header.get("kid")
    key_data = select_key(keys, kid if isinstance(kid, str) else None, alg, provider)
    try:
        key = jwk.construct(key_data, algorithm=alg)
        payload = jws.verify(token, key, [alg])
    except JOSEError as exc:
        raise BadSignature(f"ID token signature: {exc}", provider=provider.alias) from exc
    try:
        claims = json.loads(payload)
    except ValueError:
        claims = None
    if not isinstance(claims, dict):
        raise InvalidIdToken("ID token payload is not a JSON object", provider=provider.alias)
    return claims


def _int_claim(claims: JsonObject, name: str, provider: IdentityProvider) -> int:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        error = BadIssuedAt if name == "iat" else MissingClaim
        raise error(f"ID token without a numeric '{name}'", provider=provider.alias)
    return int(value)


def check_claims(claims: JsonObject, *, provider: IdentityProvider, nonce: str, now: float) -> None:
    """``iss``, ``aud``/``azp``, ``exp``, ``iat`` (bounded skew) and ``nonce``."""
    alias, skew = provider.alias, provider.max_clock_skew
    if claims.get("iss") != provider.issuer:
        raise WrongIssuer(
            f"ID token issuer {claims.get('iss')!r} is not {provider.issuer!r}", provider=alias
        )
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or provider.client_id not in audiences:
        raise WrongAudience(f"ID token audience {audience!r}", provider=alias)
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != provider.client_id:
        raise WrongAudience(f"ID token azp {azp!r} is not our client id", provider=alias)
    expires = _int_claim(claims, "exp", provider)
    if now > expires + skew:
        raise TokenExpired(f"ID token expired {int(now - expires)} s ago", provider=alias)
    issued = _int_claim(claims, "iat", provider)
    if issued > now + skew:
        raise BadIssuedAt(f"ID token issued {int(issued - now)} s in the future", provider=alias)
    if claims.get("nonce") != nonce:
        raise NonceMismatch("ID token nonce is not this login's", provider=alias)
