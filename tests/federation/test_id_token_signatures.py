"""What an upstream ID token must be before any claim is believed: a compact JWS, signed with an
allowed asymmetric algorithm by the one JWKS key its header names.

``test_upstream_login.py`` covers the main refusals (``alg: none``, HS256 with the public key,
an algorithm outside the list, a stranger's key, a tampered payload, an unknown kid); these are
the rest, each through ``FederationClient.finish`` against the provider ``responses`` plays,
and the time claims that a signed payload could carry as ``NaN`` or ``Infinity``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import responses
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from joserfc import jws, jwt
from joserfc.jwk import ECKey, RSAKey

from bridge.federation import FederationClient, IdentityProvider, errors
from tests.federation.conftest import (
    CLIENT_SECRET,
    JWKS_URI,
    REDIRECT_URI,
    FakeProvider,
    b64,
    callback_query,
    provider_config,
)


def begin(federation: FederationClient, provider: IdentityProvider) -> tuple[str, str]:
    """A login begun: its authorization URL (for the callback) and its nonce."""
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    return url, transaction.nonce


def refusal(
    federation: FederationClient,
    provider: IdentityProvider,
    upstream: FakeProvider,
    url: str,
    token: str,
) -> errors.UpstreamError:
    """Finish the login begun at ``url`` with the token endpoint answering ``token``; the
    refusal it ends in."""
    upstream.id_token = token
    with pytest.raises(errors.UpstreamError) as refused:
        federation.finish(provider, callback_query(url))
    return refused.value


def publish(upstream: FakeProvider, *keys: dict[str, Any]) -> None:
    """The provider's JWKS holds exactly these key documents."""
    upstream.mock.replace(responses.GET, JWKS_URI, json={"keys": list(keys)})


def rs256(header: dict[str, Any], payload: bytes, key: RSAKey) -> str:
    """An RS256 compact JWS signed by hand: the header goes out exactly as written, even where
    joserfc's own signer would refuse it."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(payload)}"
    signature = key.get_op_key("sign").sign(
        signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    return f"{signing_input}.{b64(signature)}"


# --- the algorithm -------------------------------------------------------------------------


def test_hs256_signed_with_the_client_secret_is_refused(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    """The secret is shared with the provider, so an HMAC over it proves nothing the provider
    alone could say; the algorithm is refused before any key is chosen."""
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.id_token = upstream.hmac_token(
        upstream.claims(transaction.nonce), CLIENT_SECRET.encode()
    )

    with pytest.raises(errors.DisallowedAlgorithm, match="HMAC") as refused:
        federation.finish(provider, callback_query(url))
    assert refused.value.reason == "disallowed_alg"
    assert upstream.calls(JWKS_URI) == 0, "judged before any key is fetched"


def test_a_ps256_token_is_accepted_from_a_provider_configured_for_it(
    federation: FederationClient, upstream: FakeProvider
) -> None:
    provider = provider_config(algorithms=["PS256"])
    upstream.metadata["id_token_signing_alg_values_supported"] = ["PS256"]
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.id_token = jwt.encode(
        {"alg": "PS256", "kid": upstream.key.kid},
        upstream.claims(transaction.nonce),
        upstream.key,
        algorithms=["PS256"],
    )

    assert federation.finish(provider, callback_query(url)).subject == "upstream-248289761001"


# --- the key -------------------------------------------------------------------------------


def test_a_token_naming_one_published_key_but_signed_by_another_is_a_bad_signature(
    federation: FederationClient,
    provider: IdentityProvider,
    upstream: FakeProvider,
    rotated_key: RSAKey,
) -> None:
    upstream.published = [upstream.key, rotated_key]
    url, nonce = begin(federation, provider)
    token = jwt.encode(
        {"alg": "RS256", "kid": upstream.key.kid}, upstream.claims(nonce), rotated_key
    )

    refused = refusal(federation, provider, upstream, url, token)

    assert type(refused) is errors.BadSignature


def test_a_key_carried_in_the_token_header_is_never_used(
    federation: FederationClient,
    provider: IdentityProvider,
    upstream: FakeProvider,
    stranger_key: RSAKey,
) -> None:
    """RFC 7515's ``jwk`` header would let the signer bring its own key: only the JWKS counts."""
    url, nonce = begin(federation, provider)
    header = {"alg": "RS256", "kid": "key-1", "jwk": stranger_key.as_dict(private=False)}
    token = jwt.encode(header, upstream.claims(nonce), stranger_key)

    assert type(refusal(federation, provider, upstream, url, token)) is errors.BadSignature


def test_an_es256_token_is_not_checked_with_an_ec_key_of_another_curve(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    signer = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
    publish(upstream, ECKey.generate_key("P-384", parameters={"kid": "ec-1"}).as_dict())
    url, nonce = begin(federation, provider)
    token = jwt.encode({"alg": "ES256", "kid": "ec-1"}, upstream.claims(nonce), signer)

    assert type(refusal(federation, provider, upstream, url, token)) is errors.BadSignature


@pytest.mark.parametrize(
    "published",
    [
        pytest.param({"alg": "RS384"}, id="a-key-for-another-algorithm"),
        pytest.param({"use": "enc"}, id="an-encryption-key"),
    ],
)
def test_a_key_published_for_something_else_is_not_used(
    federation: FederationClient,
    provider: IdentityProvider,
    upstream: FakeProvider,
    published: dict[str, str],
) -> None:
    publish(upstream, {**upstream.key.as_dict(private=False), **published})
    url, nonce = begin(federation, provider)

    refused = refusal(federation, provider, upstream, url, upstream.sign(upstream.claims(nonce)))

    assert type(refused) is errors.UnknownKey


def test_a_key_whose_operations_exclude_verify_is_refused(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    publish(upstream, {**upstream.key.as_dict(private=False), "key_ops": ["sign"]})
    url, nonce = begin(federation, provider)

    refused = refusal(federation, provider, upstream, url, upstream.sign(upstream.claims(nonce)))

    assert type(refused) is errors.BadSignature


def test_a_published_key_that_cannot_be_read_is_a_bad_signature_not_a_crash(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    publish(upstream, {"kty": "RSA", "kid": "key-1", "e": "AQAB"})  # no modulus
    url, nonce = begin(federation, provider)

    refused = refusal(federation, provider, upstream, url, upstream.sign(upstream.claims(nonce)))

    assert type(refused) is errors.BadSignature
    assert refused.reason == "bad_signature"


# --- the shape -----------------------------------------------------------------------------


def _segment(value: Any) -> str:
    return b64(json.dumps(value).encode())


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("not-a-token", id="one-part"),
        pytest.param("a.b", id="two-parts"),
        pytest.param(f"{b64(b'nope')}.{_segment({})}.c2ln", id="header-not-json"),
        pytest.param(f"{_segment({'alg': 'RS256'})}.!!!.c2ln", id="payload-not-base64url"),
        pytest.param(f"{_segment({'kid': 'key-1'})}.{_segment({})}.c2ln", id="header-without-alg"),
        pytest.param(f"{_segment(['alg'])}.{_segment({})}.c2ln", id="header-not-an-object"),
    ],
)
def test_a_token_that_is_not_a_compact_jws_is_refused_as_malformed(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider, token: str
) -> None:
    url, _ = begin(federation, provider)

    refused = refusal(federation, provider, upstream, url, token)

    assert type(refused) is errors.InvalidIdToken
    assert refused.reason == "invalid_id_token"
    assert upstream.calls(JWKS_URI) == 0


def test_a_signed_payload_that_is_not_a_json_object_is_refused(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, _ = begin(federation, provider)
    token = jws.serialize_compact({"alg": "RS256", "kid": "key-1"}, b"[1, 2]", upstream.key)

    refused = refusal(federation, provider, upstream, url, token)

    assert type(refused) is errors.InvalidIdToken
    assert "not a JSON object" in refused.detail


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"crit": ["urn:example:policy"], "urn:example:policy": 1}, id="unknown-crit"),
        pytest.param({"kid": 1}, id="kid-not-a-string"),
    ],
)
def test_a_correctly_signed_token_with_a_malformed_header_is_refused(
    federation: FederationClient,
    provider: IdentityProvider,
    upstream: FakeProvider,
    extra: dict[str, Any],
) -> None:
    """RFC 7515: a ``crit`` parameter the bridge does not understand must be refused; registered
    parameters have the types it gives them."""
    url, nonce = begin(federation, provider)
    header = {"alg": "RS256", "kid": "key-1", **extra}
    token = rs256(header, json.dumps(upstream.claims(nonce)).encode(), upstream.key)

    refused = refusal(federation, provider, upstream, url, token)

    assert type(refused) is errors.InvalidIdToken
    assert "header" in refused.detail


def test_the_hand_signed_control_token_is_accepted(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    """``rs256`` itself makes good tokens: the refusals above are the headers', not its."""
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    claims = json.dumps(upstream.claims(transaction.nonce)).encode()
    upstream.id_token = rs256(
        {"alg": "RS256", "kid": "key-1", "x-vendor": "a"}, claims, upstream.key
    )

    assert federation.finish(provider, callback_query(url)).subject == "upstream-248289761001"


# --- numbers that are not ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claim", "error"),
    [
        pytest.param({"exp": float("nan")}, errors.MissingClaim, id="exp-nan"),
        pytest.param({"exp": float("inf")}, errors.MissingClaim, id="exp-infinity"),
        pytest.param({"iat": float("-inf")}, errors.BadIssuedAt, id="iat-minus-infinity"),
        pytest.param({"auth_time": float("nan")}, errors.BadAuthTime, id="auth_time-nan"),
    ],
)
def test_a_time_claim_of_nan_or_infinity_is_refused_not_a_crash(
    federation: FederationClient,
    provider: IdentityProvider,
    upstream: FakeProvider,
    claim: dict[str, float],
    error: type[errors.UpstreamError],
) -> None:
    """JSON has no such numbers, but Python's parser reads them; ``int()`` of one raises."""
    url, nonce = begin(federation, provider)
    token = upstream.sign(upstream.claims(nonce, **claim))
    assert "NaN" in token_payload(token) or "Infinity" in token_payload(token)

    assert type(refusal(federation, provider, upstream, url, token)) is error


def token_payload(token: str) -> str:
    segment = token.split(".")[1]
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)).decode()
