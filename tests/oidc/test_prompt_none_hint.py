"""``prompt=none`` answers only for the user the ``id_token_hint`` names (OIDC Core 3.1.2.1)."""

from __future__ import annotations

from tests.e2e.harness import Browser, LiveBridge, RelyingParty, callback_params, first_tokens


def silent(rp: RelyingParty, browser: Browser, **extra: str) -> dict[str, str]:
    """A ``prompt=none`` request from ``browser``: the callback's parameters."""
    request = rp.authorization_request(prompt="none", **extra)
    landed = browser.open(request.url)
    assert isinstance(landed, str), browser.page
    params = callback_params(landed)
    assert params["state"] == request.state
    return params


def test_prompt_none_with_a_hint_for_another_user_is_login_required(
    live: LiveBridge, rp: RelyingParty
) -> None:
    alice = Browser()
    first_tokens(live, rp, alice, "alice")
    _, bobs = first_tokens(live, rp, Browser(), "bob")

    params = silent(rp, alice, id_token_hint=bobs["id_token"])
    assert params["error"] == "login_required"
    assert "code" not in params
    assert params["iss"] == live.url


def test_prompt_none_with_a_hint_for_the_sessions_user_gets_a_code(
    live: LiveBridge, rp: RelyingParty
) -> None:
    alice = Browser()
    _, tokens = first_tokens(live, rp, alice, "alice")
    live.clock.advance(2 * 3600)  # the hint has expired: it still names alice
    assert "code" in silent(rp, alice, id_token_hint=tokens["id_token"])


def test_prompt_none_with_a_hint_the_bridge_did_not_sign_is_login_required(
    live: LiveBridge, rp: RelyingParty
) -> None:
    alice = Browser()
    _, tokens = first_tokens(live, rp, alice, "alice")
    header, payload, _signature = tokens["id_token"].split(".")
    for hint in (f"{header}.{payload}.AAAA", "not-a-token"):
        assert silent(rp, alice, id_token_hint=hint)["error"] == "login_required"


def test_a_hint_without_prompt_none_changes_nothing(live: LiveBridge, rp: RelyingParty) -> None:
    alice = Browser()
    first_tokens(live, rp, alice, "alice")
    _, bobs = first_tokens(live, rp, Browser(), "bob")
    landed = alice.open(rp.authorization_request(id_token_hint=bobs["id_token"]).url)
    assert isinstance(landed, str) and "code" in callback_params(landed)
