"""A fresh authentication through the provider: what ``begin`` forwards of ``prompt=login`` and
``max_age``, and the ``auth_time`` that ``finish`` then requires (OpenID Connect Core 1.0,
sections 2, 3.1.2.1 and 3.1.3.7). The provider is played by ``responses`` with real RSA keys.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bridge.domain.clock import FrozenClock
from bridge.federation import FederationClient, IdentityProvider, UpstreamTransaction, errors
from bridge.storage.ephemeral import MemoryStore
from tests.federation.conftest import REDIRECT_URI, FakeProvider, callback_query

SKEW = 120  # the provider's max_clock_skew (the default)
STALE = "Your organisation's sign-in did not confirm a fresh sign-in. Please try again."


def authorization_params(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def login(
    federation: FederationClient,
    provider: IdentityProvider,
    upstream: FakeProvider,
    *,
    force_login: bool = False,
    max_age: int | None = None,
    **claims: Any,
) -> dict[str, str]:
    """Begin a login asking for this freshness; the provider will answer with ``claims``."""
    url, transaction = federation.begin(
        provider, redirect_uri=REDIRECT_URI, force_login=force_login, max_age=max_age
    )
    upstream.issue(transaction, **claims)
    return callback_query(url)


# --- what is sent ----------------------------------------------------------------------------


def test_prompt_login_and_max_age_go_to_the_provider_with_the_login_hint(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(
        provider,
        redirect_uri=REDIRECT_URI,
        login_hint="jane@acme.example",
        force_login=True,
        max_age=60,
    )

    params = authorization_params(url)
    assert params["prompt"] == "login"
    assert params["max_age"] == "60"
    assert params["login_hint"] == "jane@acme.example"
    assert (transaction.force_login, transaction.max_age) == (True, 60)


def test_max_age_zero_is_sent_as_zero(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, _ = federation.begin(provider, redirect_uri=REDIRECT_URI, max_age=0)

    params = authorization_params(url)
    assert params["max_age"] == "0" and "prompt" not in params


def test_a_login_that_asks_nothing_sends_neither(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, _ = federation.begin(provider, redirect_uri=REDIRECT_URI)

    params = authorization_params(url)
    assert "prompt" not in params and "max_age" not in params


# --- max_age ---------------------------------------------------------------------------------


def test_max_age_asked_and_a_token_without_auth_time_is_refused(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    query = login(federation, provider, upstream, max_age=60, auth_time=None)

    with pytest.raises(errors.StaleAuthentication) as refused:
        federation.finish(provider, query)
    assert refused.value.reason == "stale_authentication"
    assert refused.value.message == STALE
    assert "without auth_time" in refused.value.detail


def test_max_age_asked_and_an_authentication_too_old_is_refused(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    now = int(upstream.clock())
    query = login(federation, provider, upstream, max_age=60, auth_time=now - 60 - SKEW - 1)

    with pytest.raises(errors.StaleAuthentication) as refused:
        federation.finish(provider, query)
    assert refused.value.details["age"] == 60 + SKEW + 1


def test_max_age_asked_and_an_authentication_within_it_is_accepted(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    now = int(upstream.clock())
    query = login(federation, provider, upstream, max_age=60, auth_time=now - 45)

    assert federation.finish(provider, query).auth_time == now - 45


def test_max_age_is_judged_with_the_providers_clock_skew(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    now = int(upstream.clock())
    query = login(federation, provider, upstream, max_age=60, auth_time=now - 60 - SKEW)

    assert federation.finish(provider, query).auth_time == now - 60 - SKEW


def test_max_age_is_judged_when_the_provider_answers_not_when_the_login_began(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI, max_age=60)
    authenticated = int(upstream.clock()) - 30
    upstream.clock.advance(SKEW + 60)  # the user took a while at the provider's page
    upstream.issue(transaction, auth_time=authenticated)

    with pytest.raises(errors.StaleAuthentication):
        federation.finish(provider, callback_query(url))


# --- prompt=login ----------------------------------------------------------------------------


def test_prompt_login_and_an_authentication_from_before_the_login_began_is_refused(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    began = int(upstream.clock())
    query = login(federation, provider, upstream, force_login=True, auth_time=began - SKEW - 1)

    with pytest.raises(errors.StaleAuthentication) as refused:
        federation.finish(provider, query)
    assert refused.value.message == STALE
    assert "before this login began" in refused.value.detail


def test_prompt_login_and_a_token_without_auth_time_is_refused(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    query = login(federation, provider, upstream, force_login=True, auth_time=None)

    with pytest.raises(errors.StaleAuthentication):
        federation.finish(provider, query)


def test_prompt_login_and_an_authentication_during_the_login_is_accepted(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI, force_login=True)
    upstream.clock.advance(40)  # the user types the password at the provider
    authenticated = int(upstream.clock()) - 10
    upstream.issue(transaction, auth_time=authenticated)

    assert federation.finish(provider, callback_query(url)).auth_time == authenticated


# --- auth_time itself, asked for or not ------------------------------------------------------


def test_an_auth_time_in_the_future_beyond_the_skew_is_refused(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    query = login(federation, provider, upstream, auth_time=int(upstream.clock()) + SKEW + 1)

    with pytest.raises(errors.BadAuthTime) as refused:
        federation.finish(provider, query)
    assert refused.value.reason == "bad_auth_time"


def test_an_auth_time_that_is_not_a_number_is_refused(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    query = login(federation, provider, upstream, auth_time="yesterday")

    with pytest.raises(errors.BadAuthTime):
        federation.finish(provider, query)


def test_a_fractional_auth_time_is_read_in_whole_seconds(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    now = int(upstream.clock())
    query = login(federation, provider, upstream, max_age=60, auth_time=now - 20.75)

    assert federation.finish(provider, query).auth_time == now - 21


def test_without_prompt_or_max_age_an_old_authentication_is_accepted_as_it_is(
    federation: FederationClient, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    hours_ago = int(upstream.clock()) - 5 * 3600
    query = login(federation, provider, upstream, auth_time=hours_ago)

    assert federation.finish(provider, query).auth_time == hours_ago


# --- a login begun by a bridge from before this change -----------------------------------------


def test_a_stored_login_of_the_first_version_still_finishes(
    clock: FrozenClock, provider: IdentityProvider, upstream: FakeProvider
) -> None:
    store = MemoryStore(clock)
    federation = FederationClient(store, clock)
    url, transaction = federation.begin(provider, redirect_uri=REDIRECT_URI)
    key = f"federation:state:{transaction.state}"
    stored = store.get(key)
    assert stored is not None and stored["v"] == 2
    old = {k: v for k, v in stored.items() if k not in ("force_login", "max_age")}
    store.put(key, {**old, "v": 1}, 600)
    upstream.issue(transaction, auth_time=None)

    identity = federation.finish(provider, callback_query(url))

    assert identity.subject == "upstream-248289761001" and identity.auth_time is None
    loaded = UpstreamTransaction.from_json(old)
    assert (loaded.force_login, loaded.max_age) == (False, None)
