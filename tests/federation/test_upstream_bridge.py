"""Over real HTTP: a second bridge is the upstream provider. Jane signs in there with her
password and a TOTP code, and the federation client verifies what that bridge sends back."""

from __future__ import annotations

import pytest

from bridge.config.providers import IdentityProviderSettings
from bridge.domain.clock import FrozenClock
from bridge.federation import FederationClient, IdentityProvider
from bridge.federation.errors import InvalidState, ProviderUnavailable
from bridge.storage.ephemeral import MemoryStore
from tests.e2e.harness import (
    PASSWORD,
    Browser,
    LiveBridge,
    Page,
    callback_params,
    enrolment_secret,
    totp_code,
)

#: Where the downstream bridge would serve the callback; the browser stops there.
CALLBACK = "http://127.0.0.1:9/federation/upstream/callback"
SIGNED_OUT = "http://127.0.0.1:9/signed-out"


def upstream_provider(live: LiveBridge) -> IdentityProvider:
    """The upstream bridge as a configured provider, with a client registered there."""
    client, secret = live.services.clients.add(
        "The downstream bridge", [CALLBACK], post_logout_redirect_uris=[SIGNED_OUT]
    )
    assert secret is not None
    config = IdentityProviderSettings(
        alias="upstream",
        issuer=live.url,
        client_id=client.id,
        client_secret_env="BRIDGE_IDP_UPSTREAM_CLIENT_SECRET",
    )
    return IdentityProvider.from_settings(config, {"BRIDGE_IDP_UPSTREAM_CLIENT_SECRET": secret})


def sign_in_upstream(live: LiveBridge, browser: Browser, url: str) -> dict[str, str]:
    """Password, then TOTP enrolment at the upstream bridge; the callback's parameters."""
    page = browser.open(url)
    assert isinstance(page, Page) and page.title == "Sign in"
    page = browser.submit(username="jane", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Set up two-factor authentication"
    landed = browser.submit(code=totp_code(enrolment_secret(page), live.clock))
    assert isinstance(landed, str) and landed.startswith(CALLBACK + "?"), browser.page
    return callback_params(landed)


def test_an_upstream_bridge_login_with_password_and_totp_gives_a_verified_identity(
    live: LiveBridge,
) -> None:
    jane = live.add_user("jane")
    provider = upstream_provider(live)
    federation = FederationClient(MemoryStore(live.clock), live.clock)

    url, _ = federation.begin(provider, redirect_uri=CALLBACK, binding="browser-1")
    query = sign_in_upstream(live, Browser(), url)
    assert query["iss"] == live.url, "the upstream bridge sends RFC 9207 iss"

    identity = federation.finish(provider, query, binding="browser-1")

    assert identity.provider == "upstream"
    assert identity.subject == jane
    assert identity.email == "jane@example.com"
    assert identity.email_verified is False
    assert {"pwd", "otp"} <= set(identity.amr)
    assert identity.auth_time is not None and abs(identity.auth_time - live.clock()) < 5
    assert identity.raw_claims["aud"] == provider.client_id

    with pytest.raises(InvalidState):
        federation.finish(provider, query, binding="browser-1")


def test_an_upstream_that_does_not_answer_is_provider_unavailable(clock: FrozenClock) -> None:
    """Nothing listens on port 9: a real refused connection, not a simulated one."""
    config = IdentityProviderSettings(alias="gone", issuer="http://127.0.0.1:9", client_id="x")
    provider = IdentityProvider.from_settings(config, {})
    federation = FederationClient(MemoryStore(clock), clock)

    with pytest.raises(ProviderUnavailable) as refused:
        federation.begin(provider, redirect_uri=CALLBACK)
    assert refused.value.reason in {"provider_unavailable", "provider_timeout"}


def test_logging_out_upstream_ends_the_upstream_session(live: LiveBridge) -> None:
    live.add_user("jane")
    provider = upstream_provider(live)
    federation = FederationClient(MemoryStore(live.clock), live.clock)
    browser = Browser()
    url, _ = federation.begin(provider, redirect_uri=CALLBACK)
    identity = federation.finish(provider, sign_in_upstream(live, browser, url))
    url, _ = federation.begin(provider, redirect_uri=CALLBACK)
    assert isinstance(browser.open(url), str), "the upstream session signs Jane in at once"

    logout = federation.logout_url(
        provider, identity, post_logout_redirect_uri=SIGNED_OUT, state="s1"
    )
    assert logout is not None and logout.startswith(f"{live.url}/logout?")
    assert browser.open(logout) == f"{SIGNED_OUT}?state=s1"

    url, _ = federation.begin(provider, redirect_uri=CALLBACK)
    page = browser.open(url)
    assert isinstance(page, Page) and page.title == "Sign in"
