"""The upstream login: what ``begin`` sends, and every answer ``finish`` refuses.

The provider is played by ``responses`` with real RSA keys; each refused answer is a typed
``UpstreamError`` with a message for the user and a reason for the audit log.
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from bridge.domain.clock import FrozenClock
from bridge.federation import FederationClient, IdentityProvider, errors
from bridge.storage.ephemeral import RedisStore
from tests.federation.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    ISSUER,
    JWKS_URI,
    REDIRECT_URI,
    TOKEN_ENDPOINT,
    FakeProvider,
    callback_query,
    provider_config,
)


def start(federation: FederationClient, provider: IdentityProvider) -> tuple[str, dict[str, str]]:
    url, _ = federation.begin(provider, redirect_uri=REDIRECT_URI)
    return url, callback_query(url)


def test_begin_sends_the_user_with_pkce_s256_state_nonce_and_the_providers_own_redirect_uri(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(
        provider, redirect_uri=REDIRECT_URI, login_hint="jane@acme.example"
    )

    assert url.startswith(f"{ISSUER}/authorize?")
    params = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == REDIRECT_URI
    assert params["scope"] == "openid email profile"
    assert params["state"] == transaction.state
    assert params["nonce"] == transaction.nonce
    assert params["login_hint"] == "jane@acme.example"
    assert params["code_challenge_method"] == "S256"
    digest = hashlib.sha256(transaction.code_verifier.encode()).digest()
    assert params["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert "code_verifier" not in url


def test_finish_exchanges_the_code_and_returns_the_verified_identity(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction)

    identity = federation.finish(provider, callback_query(url))

    assert identity.provider == "acme"
    assert identity.subject == "upstream-248289761001"
    assert identity.email == "jane@acme.example"
    assert identity.email_verified is True
    assert identity.name == "Jane Doe"
    assert identity.amr == ("pwd", "hwk")
    assert identity.auth_time == int(upstream.clock()) - 5
    (sent,) = upstream.token_requests
    assert sent["grant_type"] == ["authorization_code"]
    assert sent["code"] == ["the-code"]
    assert sent["code_verifier"] == [transaction.code_verifier]
    assert sent["redirect_uri"] == [REDIRECT_URI]
    token_call = next(c for c in upstream.mock.calls if c.request.url == TOKEN_ENDPOINT)
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert token_call.request.headers["Authorization"] == f"Basic {basic}"


def test_claims_are_read_through_the_providers_claim_mapping(
    federation: FederationClient, upstream: FakeProvider
) -> None:
    provider = provider_config(claims={"subject": "oid", "email": "upn", "name": "display"})
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction, oid="0f6c-oid", upn="jd@acme.example", display="J. Doe")

    identity = federation.finish(provider, callback_query(url))

    assert (identity.subject, identity.email, identity.name) == (
        "0f6c-oid",
        "jd@acme.example",
        "J. Doe",
    )


def test_an_email_the_provider_did_not_verify_is_marked_unverified(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction, email_verified=None)
    assert federation.finish(provider, callback_query(url)).email_verified is False


# --- the ID token ----------------------------------------------------------------------------


def test_a_token_signed_with_another_key_is_refused_as_a_bad_signature(
    federation: FederationClient,
    provider: IdentityProvider,
    upstream: FakeProvider,
    stranger_key: RSAKey,
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.id_token = upstream.sign(upstream.claims(transaction.nonce), key=stranger_key)

    with pytest.raises(errors.BadSignature) as refused:
        federation.finish(provider, callback_query(url))
    assert refused.value.reason == "bad_signature"
    assert "provider" in refused.value.message


def test_a_token_with_a_tampered_payload_is_refused_as_a_bad_signature(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    header, _, signature = upstream.issue(transaction).split(".")
    other = upstream.sign(upstream.claims(transaction.nonce, sub="someone-else"))
    upstream.id_token = f"{header}.{other.split('.')[1]}.{signature}"

    with pytest.raises(errors.BadSignature):
        federation.finish(provider, callback_query(url))


def test_a_token_from_another_issuer_is_refused(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction, iss="https://evil.example")

    with pytest.raises(errors.WrongIssuer) as refused:
        federation.finish(provider, callback_query(url))
    assert refused.value.reason == "wrong_issuer"


def test_an_unsigned_token_alg_none_is_refused(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.id_token = upstream.unsigned_token(upstream.claims(transaction.nonce))

    with pytest.raises(errors.DisallowedAlgorithm, match="alg none"):
        federation.finish(provider, callback_query(url))


def test_hs256_signed_with_the_providers_public_key_is_refused(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    """The classic key-confusion attack: the public key (which anyone can fetch) used as an
    HMAC secret. The algorithm is judged before any key is used, so it never verifies."""
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    public_pem = upstream.key.as_pem(private=False)
    upstream.id_token = upstream.hmac_token(upstream.claims(transaction.nonce), public_pem)

    with pytest.raises(errors.DisallowedAlgorithm, match="HMAC") as refused:
        federation.finish(provider, callback_query(url))
    assert refused.value.reason == "disallowed_alg"


def test_an_algorithm_outside_the_configured_list_is_refused(
    federation: FederationClient, upstream: FakeProvider
) -> None:
    provider = provider_config(algorithms=["ES256"])
    upstream.metadata["id_token_signing_alg_values_supported"] = ["RS256", "ES256"]
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction)  # RS256

    with pytest.raises(errors.DisallowedAlgorithm, match="RS256 is not allowed"):
        federation.finish(provider, callback_query(url))


def test_an_expired_token_is_refused_beyond_the_allowed_skew(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    now = int(upstream.clock())
    upstream.issue(transaction, iat=now - 600, exp=now - 121)

    with pytest.raises(errors.TokenExpired) as refused:
        federation.finish(provider, callback_query(url))
    assert refused.value.reason == "token_expired"


def test_a_token_expired_within_the_skew_is_accepted(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    now = int(upstream.clock())
    upstream.issue(transaction, iat=now - 600, exp=now - 100)
    assert federation.finish(provider, callback_query(url)).subject


def test_a_token_issued_in_the_future_beyond_the_skew_is_refused(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction, iat=int(upstream.clock()) + 121)

    with pytest.raises(errors.BadIssuedAt):
        federation.finish(provider, callback_query(url))


def test_a_token_for_another_client_is_refused(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction, aud="another-client")

    with pytest.raises(errors.WrongAudience):
        federation.finish(provider, callback_query(url))


def test_several_audiences_need_azp_to_be_our_client(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction, aud=[CLIENT_ID, "another-client"])
    with pytest.raises(errors.WrongAudience, match="azp"):
        federation.finish(provider, callback_query(url))

    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction, aud=[CLIENT_ID, "another-client"], azp=CLIENT_ID)
    assert federation.finish(provider, callback_query(url)).subject


def test_a_token_without_this_logins_nonce_is_refused(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction, nonce="another-login")

    with pytest.raises(errors.NonceMismatch):
        federation.finish(provider, callback_query(url))


def test_a_replayed_id_token_is_refused_by_its_nonce(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    """A token endpoint (or a man in the middle) answering a new login with an old ID token."""
    first_url, first = federation.begin(provider, redirect_uri=REDIRECT_URI)
    old_token = upstream.issue(first)
    federation.finish(provider, callback_query(first_url))

    second_url, _ = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.id_token = old_token
    with pytest.raises(errors.NonceMismatch) as refused:
        federation.finish(provider, callback_query(second_url))
    assert refused.value.reason == "replayed_nonce"


def test_a_replayed_callback_is_refused_by_its_state(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction)
    query = callback_query(url)
    federation.finish(provider, query)

    with pytest.raises(errors.InvalidState) as refused:
        federation.finish(provider, query)
    assert refused.value.reason == "invalid_state"
    assert len(upstream.token_requests) == 1, "a replayed state never reaches the token endpoint"


def test_a_state_older_than_ten_minutes_is_refused(
    federation: FederationClient,
    provider: IdentityProvider,
    upstream: FakeProvider,
    clock: FrozenClock,
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction)
    clock.advance(601)
    with pytest.raises(errors.InvalidState):
        federation.finish(provider, callback_query(url))


def test_a_failed_callback_still_spends_its_state(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction, iss="https://evil.example")
    with pytest.raises(errors.WrongIssuer):
        federation.finish(provider, callback_query(url))
    upstream.issue(transaction)
    with pytest.raises(errors.InvalidState):
        federation.finish(provider, callback_query(url))


def test_a_state_started_for_another_provider_is_refused(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction)
    other = provider_config(alias="partner", domains=[])

    with pytest.raises(errors.InvalidState, match="provider 'acme'"):
        federation.finish(other, callback_query(url))


def test_a_callback_carried_to_another_browser_is_refused(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI, binding="login-1")
    upstream.issue(transaction)
    with pytest.raises(errors.InvalidState, match="another browser"):
        federation.finish(provider, callback_query(url), binding="login-2")


def test_the_browser_that_started_the_login_finishes_it(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI, binding="login-1")
    upstream.issue(transaction)
    assert federation.finish(provider, callback_query(url), binding="login-1").subject


# --- keys ------------------------------------------------------------------------------------


def test_an_unknown_kid_fetches_the_jwks_again_and_the_rotated_key_is_used(
    federation: FederationClient,
    provider: IdentityProvider,
    upstream: FakeProvider,
    rotated_key: RSAKey,
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction)
    federation.finish(provider, callback_query(url))  # caches the JWKS with key-1 only
    assert upstream.calls(JWKS_URI) == 1

    upstream.published = [upstream.key, rotated_key]  # the provider rotates
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.id_token = upstream.sign(upstream.claims(transaction.nonce), key=rotated_key)

    assert federation.finish(provider, callback_query(url)).subject
    assert upstream.calls(JWKS_URI) == 2


def test_a_kid_still_unknown_after_fetching_the_jwks_again_is_refused(
    federation: FederationClient,
    provider: IdentityProvider,
    upstream: FakeProvider,
    rotated_key: RSAKey,
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.id_token = upstream.sign(upstream.claims(transaction.nonce), key=rotated_key)

    with pytest.raises(errors.UnknownKey) as refused:
        federation.finish(provider, callback_query(url))
    assert refused.value.reason == "unknown_kid"
    assert upstream.calls(JWKS_URI) == 2, "fetched once, and once again: never more"


def test_the_jwks_is_cached_between_logins(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    for _ in range(3):
        url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
        upstream.issue(transaction)
        federation.finish(provider, callback_query(url))
    assert upstream.calls(JWKS_URI) == 1
    assert upstream.calls(f"{ISSUER}/.well-known/openid-configuration") == 1


# --- the callback ----------------------------------------------------------------------------


def test_mix_up_an_iss_parameter_of_another_provider_is_refused(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction)

    with pytest.raises(errors.IssuerMismatch, match="mix-up") as refused:
        federation.finish(provider, callback_query(url, iss="https://evil.example"))
    assert refused.value.reason == "issuer_mismatch"
    assert upstream.token_requests == [], "the code is never sent to the token endpoint"


def test_a_missing_iss_is_refused_when_the_provider_promises_it(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction)
    query = callback_query(url)
    del query["iss"]

    with pytest.raises(errors.IssuerMismatch, match="promises"):
        federation.finish(provider, query)


def test_a_missing_iss_is_accepted_from_a_provider_that_does_not_send_it(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    del upstream.metadata["authorization_response_iss_parameter_supported"]
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction)
    query = callback_query(url)
    del query["iss"]
    assert federation.finish(provider, query).subject


def test_an_error_from_the_provider_is_upstream_refused_with_its_own_message(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, _ = federation.begin(provider, redirect_uri=REDIRECT_URI)
    query = callback_query(url, error="access_denied")
    del query["code"]

    with pytest.raises(errors.UpstreamRefused) as refused:
        federation.finish(provider, query)
    assert refused.value.error == "access_denied"
    assert refused.value.message == "The sign-in was cancelled at the provider."


# --- the provider misbehaves -----------------------------------------------------------------


def test_a_timeout_at_the_token_endpoint_is_a_provider_timeout(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, _ = start(federation, provider)
    upstream.mock.replace(responses.POST, TOKEN_ENDPOINT, body=requests.ConnectTimeout())

    with pytest.raises(errors.ProviderTimeout) as refused:
        federation.finish(provider, callback_query(url))
    assert refused.value.reason == "provider_timeout"
    assert "not answering" in refused.value.message


def test_a_timeout_at_discovery_is_a_provider_timeout(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    upstream.mock.replace(
        responses.GET, f"{ISSUER}/.well-known/openid-configuration", body=requests.ReadTimeout()
    )
    with pytest.raises(errors.ProviderTimeout):
        federation.begin(provider, redirect_uri=REDIRECT_URI)


def test_a_refused_connection_is_provider_unavailable(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, _ = start(federation, provider)
    upstream.mock.replace(responses.POST, TOKEN_ENDPOINT, body=requests.ConnectionError())
    with pytest.raises(errors.ProviderUnavailable) as refused:
        federation.finish(provider, callback_query(url))
    assert refused.value.reason == "provider_unavailable"


def test_a_5xx_from_the_token_endpoint_is_provider_unavailable(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, _ = start(federation, provider)
    upstream.mock.replace(responses.POST, TOKEN_ENDPOINT, status=503, body="<h1>down</h1>")

    with pytest.raises(errors.ProviderUnavailable, match="HTTP 503"):
        federation.finish(provider, callback_query(url))


def test_an_invalid_grant_from_the_token_endpoint_is_a_failed_exchange(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, _ = start(federation, provider)
    upstream.mock.replace(
        responses.POST, TOKEN_ENDPOINT, status=400, json={"error": "invalid_grant"}
    )
    with pytest.raises(errors.TokenExchangeFailed, match="invalid_grant"):
        federation.finish(provider, callback_query(url))


def test_a_token_response_without_an_id_token_is_refused(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, _ = start(federation, provider)
    with pytest.raises(errors.TokenExchangeFailed, match="no id_token"):
        federation.finish(provider, callback_query(url))


def test_a_discovery_document_for_another_issuer_is_refused(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    upstream.metadata["issuer"] = "https://evil.example"
    with pytest.raises(errors.ProviderMisconfigured, match="issuer"):
        federation.begin(provider, redirect_uri=REDIRECT_URI)


def test_an_es256_token_from_a_provider_with_an_ec_key_is_accepted(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    ec_key = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
    upstream.published = [upstream.key, ec_key]
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.id_token = upstream.sign(upstream.claims(transaction.nonce), key=ec_key, alg="ES256")

    assert federation.finish(provider, callback_query(url)).subject == "upstream-248289761001"


def test_a_token_without_a_kid_uses_the_only_key_of_its_type(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.id_token = jwt.encode(
        {"alg": "RS256"}, upstream.claims(transaction.nonce), upstream.key
    )
    assert federation.finish(provider, callback_query(url)).subject


def test_a_provider_without_an_end_session_endpoint_has_no_logout_url(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction)
    identity = federation.finish(provider, callback_query(url))
    assert federation.logout_url(provider, identity) is None


def test_a_provider_without_a_client_secret_is_used_as_a_public_client_with_pkce(
    federation: FederationClient, upstream: FakeProvider
) -> None:
    provider = provider_config(client_secret_env=None)
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction)

    assert federation.finish(provider, callback_query(url)).subject
    (sent,) = upstream.token_requests
    assert sent["client_id"] == [CLIENT_ID]
    assert sent["code_verifier"] == [transaction.code_verifier]
    token_call = next(c for c in upstream.mock.calls if c.request.url == TOKEN_ENDPOINT)
    assert "Authorization" not in token_call.request.headers


# --- many processes --------------------------------------------------------------------------


def test_a_login_begun_by_one_process_finishes_on_another_through_redis(
    provider: IdentityProvider,
    upstream: FakeProvider,
    clock: FrozenClock,
    redis_url: str,
    redis_prefix: str,
) -> None:
    one, other = RedisStore(redis_url, redis_prefix), RedisStore(redis_url, redis_prefix)
    first, second = FederationClient(one, clock), FederationClient(other, clock)
    try:
        url, transaction = first.begin(provider, redirect_uri=REDIRECT_URI)
        upstream.issue(transaction)

        assert second.finish(provider, callback_query(url)).subject == "upstream-248289761001"
        with pytest.raises(errors.InvalidState):
            first.finish(provider, callback_query(url))
    finally:
        one.close()
        other.close()


def test_discovery_without_a_token_endpoint_is_a_misconfigured_provider(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    del upstream.metadata["token_endpoint"]
    with pytest.raises(errors.ProviderMisconfigured, match="missing token_endpoint"):
        federation.begin(provider, redirect_uri=REDIRECT_URI)


def test_a_jwks_endpoint_answering_5xx_is_provider_unavailable(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction)
    upstream.mock.replace(responses.GET, JWKS_URI, status=502, body="bad gateway")
    with pytest.raises(errors.ProviderUnavailable, match="jwks: HTTP 502"):
        federation.finish(provider, callback_query(url))


def _token_request(upstream: FakeProvider) -> tuple[str | None, dict[str, list[str]]]:
    """The Authorization header and the form of the (one) token request the provider saw."""
    (call,) = [c for c in upstream.mock.calls if c.request.url == TOKEN_ENDPOINT]
    body = call.request.body
    text = body.decode() if isinstance(body, bytes) else str(body)
    return call.request.headers.get("Authorization"), parse_qs(text)


@pytest.mark.parametrize(
    ("advertised", "method"),
    [
        (None, "client_secret_basic"),  # Discovery's default when nothing is listed
        (["client_secret_basic", "client_secret_post"], "client_secret_basic"),
        (["client_secret_post", "private_key_jwt"], "client_secret_post"),
    ],
)
def test_the_client_authenticates_the_way_the_provider_supports(
    federation: FederationClient,
    provider: IdentityProvider,
    upstream: FakeProvider,
    advertised: list[str] | None,
    method: str,
) -> None:
    if advertised is not None:
        upstream.metadata["token_endpoint_auth_methods_supported"] = advertised
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    upstream.issue(transaction)

    federation.finish(provider, callback_query(url))

    authorization, form = _token_request(upstream)
    if method == "client_secret_basic":
        assert authorization is not None and authorization.startswith("Basic ")
        assert "client_secret" not in form
    else:
        assert authorization is None
        assert form["client_id"] == [CLIENT_ID] and form["client_secret"] == [CLIENT_SECRET]
