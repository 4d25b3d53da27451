"""Verifying an upstream ID token (OpenID Connect Core 1.0, section 3.1.3.7) with joserfc.

The order matters: the algorithm is judged from the header against an explicit allow-list before
any key is touched, so ``alg: none`` and an HMAC "signature" made with the provider's public key
never reach a verifier; the signature is checked before any claim is believed. When the login
asked for a fresh authentication (``prompt=login``, ``max_age``), ``check_fresh_authentication``
judges the token's ``auth_time`` (section 3.1.3.7, item 13).

The claims are judged here, not by Authlib's ``IDToken``: its ``validate`` walks the payload in
the provider's key order (a token with two faults would be audited with whichever comes first);
it requires ``sub``, which the bridge reads through the provider's claim mapping, and refuses on
``nbf`` and a non-list ``amr``, which the bridge does not judge.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeGuard

from joserfc import jwk, jws
from joserfc.errors import JoseError, MissingAlgorithmError

from bridge.federation.errors import (
    BadAuthTime,
    BadIssuedAt,
    BadSignature,
    DisallowedAlgorithm,
    InvalidIdToken,
    MissingClaim,
    NonceMismatch,
    StaleAuthentication,
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


class _Registry(jws.JWSRegistry):
    """joserfc's rules for one upstream token. Header parameters beyond the registered ones are
    let through (providers add their own); a ``crit`` one is refused (RFC 7515, 4.1.11). The
    size bounds leave room for an ``x5c`` chain in the header and many group claims."""

    max_header_length = 16_384
    max_payload_length = 1_048_576
    max_signature_length = 4_096

    def __init__(self, alg: str | None = None) -> None:
        super().__init__(algorithms=[alg] if alg else None, strict_check_header=False)


def _extract(token: str, provider: IdentityProvider) -> tuple[jws.CompactSignature, JsonObject]:
    """The token's parts and its header, nothing verified yet."""
    try:
        signed = jws.extract_compact(token.encode(), registry=_Registry())
    except MissingAlgorithmError as exc:
        raise InvalidIdToken("ID token header without 'alg'", provider=provider.alias) from exc
    except (JoseError, ValueError) as exc:
        raise InvalidIdToken(f"malformed ID token: {exc}", provider=provider.alias) from exc
    header = signed.headers()
    if not isinstance(header, dict) or not isinstance(header.get("alg"), str):
        raise InvalidIdToken("ID token header without 'alg'", provider=provider.alias)
    return signed, header


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
    signed, header = _extract(token, provider)
    alg = str(header["alg"])
    check_algorithm(alg, allowed, provider)
    registry = _Registry(alg)  # exactly the allowed algorithm of the header, nothing else
    try:
        registry.check_header(header)
    except JoseError as exc:
        raise InvalidIdToken(f"malformed ID token header: {exc}", provider=provider.alias) from exc
    kid = header.get("kid")
    key_data = select_key(keys, kid if isinstance(kid, str) else None, alg, provider)
    try:
        key = jwk.import_key(key_data)
        verified = jws.validate_compact(signed, key, registry=registry)
    except (JoseError, ValueError) as exc:
        reason = str(exc) or type(exc).__name__
        raise BadSignature(f"ID token signature: {reason}", provider=provider.alias) from exc
    if not verified:
        raise BadSignature(
            "ID token signature: it does not verify with the provider's key",
            provider=provider.alias,
        )
    try:
        claims = json.loads(signed.payload)
    except ValueError:
        claims = None
    if not isinstance(claims, dict):
        raise InvalidIdToken("ID token payload is not a JSON object", provider=provider.alias)
    return claims


def _is_number(value: object) -> TypeGuard[int | float]:
    """A JSON number: Python's parser also reads ``NaN`` and ``Infinity``, which are not."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool)


def _int_claim(claims: JsonObject, name: str, provider: IdentityProvider) -> int:
    value = claims.get(name)
    if not _is_number(value):
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
    authenticated = authentication_time(claims, provider)
    if authenticated is not None and authenticated > now + skew:
        raise BadAuthTime(
            f"ID token auth_time {int(authenticated - now)} s in the future", provider=alias
        )


def authentication_time(claims: Mapping[str, Any], provider: IdentityProvider) -> int | None:
    """The ``auth_time`` claim in whole seconds; None when absent, ``BadAuthTime`` when it is
    not a JSON number."""
    value = claims.get("auth_time")
    if value is None:
        return None
    if not _is_number(value):
        raise BadAuthTime("ID token auth_time is not a number", provider=provider.alias)
    return int(value)


def check_fresh_authentication(
    claims: JsonObject,
    *,
    provider: IdentityProvider,
    now: float,
    max_age: int | None,
    not_before: float | None,
) -> None:
    """The authentication the login asked for happened (Core 1.0, sections 2 and 3.1.3.7).

    ``max_age`` was sent: ``auth_time`` is required and at most ``max_age`` seconds old.
    ``prompt=login`` was sent: ``auth_time`` is required and not earlier than ``not_before``
    (when the upstream login began). Both with ``max_clock_skew`` of leeway.
    """
    if max_age is None and not_before is None:
        return
    alias, skew = provider.alias, provider.max_clock_skew
    authenticated = authentication_time(claims, provider)
    asked = " and ".join(
        ([f"max_age={max_age}"] if max_age is not None else [])
        + (["prompt=login"] if not_before is not None else [])
    )
    if authenticated is None:
        raise StaleAuthentication(f"ID token without auth_time, asked {asked}", provider=alias)
    age = int(now - authenticated)
    if max_age is not None and age > max_age + skew:
        raise StaleAuthentication(
            f"the user authenticated {age} s ago, asked {asked}", provider=alias, age=age
        )
    if not_before is not None and authenticated < not_before - skew:
        raise StaleAuthentication(
            f"the user authenticated {int(not_before - authenticated)} s before this login "
            f"began, asked {asked}",
            provider=alias,
            age=age,
        )
