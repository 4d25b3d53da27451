"""The ``claims`` parameter (OIDC Core 5.5): claims asked for one by one, where asked."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import update

from bridge.storage.db.models import Client
from tests.e2e.harness import Browser, LiveBridge, RelyingParty, callback_params, first_tokens


def signed_in(live: LiveBridge, rp: RelyingParty, username: str) -> Browser:
    browser = Browser()
    first_tokens(live, rp, browser, username)
    return browser


def tokens_for(
    rp: RelyingParty, browser: Browser, claims: dict[str, Any], scope: str = "openid"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new authorization with ``claims`` from a signed-in browser: (tokens, ID token claims)."""
    request = rp.authorization_request(scope=scope, claims=json.dumps(claims))
    landed = browser.open(request.url)
    assert isinstance(landed, str), browser.page
    response = rp.exchange(callback_params(landed)["code"], request.verifier)
    assert response.status_code == 200, response.text
    tokens = response.json()
    return tokens, rp.id_token_claims(tokens["id_token"], request.nonce)


def test_claims_asked_for_userinfo_are_returned_by_userinfo_only(
    live: LiveBridge, rp: RelyingParty
) -> None:
    browser = signed_in(live, rp, "uiclaims")
    tokens, id_claims = tokens_for(rp, browser, {"userinfo": {"email": None, "name": None}})
    info = rp.userinfo(tokens["access_token"]).json()
    assert info["email"] == "uiclaims@example.com"
    assert "preferred_username" not in info and "email_verified" not in info
    assert "email" not in id_claims


def test_claims_asked_for_the_id_token_are_in_the_id_token_only(
    live: LiveBridge, rp: RelyingParty
) -> None:
    browser = signed_in(live, rp, "idclaims")
    request = {"id_token": {"preferred_username": None, "email": {"essential": True}}}
    tokens, id_claims = tokens_for(rp, browser, request)
    assert id_claims["preferred_username"] == "idclaims"
    assert id_claims["email"] == "idclaims@example.com"
    assert set(rp.userinfo(tokens["access_token"]).json()) == {"sub"}


def test_userinfo_claims_are_still_returned_after_a_refresh(
    live: LiveBridge, rp: RelyingParty
) -> None:
    browser = signed_in(live, rp, "refreshed")
    tokens, _ = tokens_for(rp, browser, {"userinfo": {"email": None}}, "openid offline_access")
    refreshed = rp.refresh(tokens["refresh_token"]).json()
    assert rp.userinfo(refreshed["access_token"]).json()["email"] == "refreshed@example.com"


def test_a_claim_whose_scope_the_client_may_not_have_is_not_released(
    live: LiveBridge, rp: RelyingParty
) -> None:
    browser = signed_in(live, rp, "narrow")
    with live.services.db.session() as s:
        s.execute(update(Client).where(Client.id == rp.client_id).values(scope="openid profile"))
    claims = {"userinfo": {"email": None, "name": None}, "id_token": {"email": None}}
    tokens, id_claims = tokens_for(rp, browser, claims)
    assert "email" not in id_claims
    assert "email" not in rp.userinfo(tokens["access_token"]).json()


def test_unknown_claims_are_ignored_and_scope_claims_are_unchanged(
    live: LiveBridge, rp: RelyingParty
) -> None:
    browser = signed_in(live, rp, "plain")
    claims = {"userinfo": {"phone_number": None}, "id_token": {"urn:x:custom": None}}
    tokens, id_claims = tokens_for(rp, browser, claims, "openid profile")
    assert id_claims["preferred_username"] == "plain" and "email" not in id_claims
    info = rp.userinfo(tokens["access_token"]).json()
    assert info["preferred_username"] == "plain" and "phone_number" not in info


def test_a_claims_member_that_is_not_an_object_is_invalid_request(
    live: LiveBridge, rp: RelyingParty
) -> None:
    browser = signed_in(live, rp, "badclaims")
    request = rp.authorization_request(claims=json.dumps({"userinfo": ["email"]}))
    landed = browser.open(request.url)
    assert isinstance(landed, str)
    params = callback_params(landed)
    assert params["error"] == "invalid_request"
    assert "userinfo" in params["error_description"]
