"""Userinfo, revocation and introspection: how a token may be presented, and hinted."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.harness import Browser, LiveBridge, RelyingParty, first_tokens


def tokens_of(live: LiveBridge, rp: RelyingParty, username: str) -> dict[str, Any]:
    return first_tokens(live, rp, Browser(), username)[1]


def test_userinfo_accepts_the_access_token_in_a_form_encoded_post_body(
    live: LiveBridge, rp: RelyingParty
) -> None:
    tokens = tokens_of(live, rp, "formy")
    response = rp.http.post(
        rp.metadata["userinfo_endpoint"], data={"access_token": tokens["access_token"]}
    )
    assert response.status_code == 200
    assert response.json()["preferred_username"] == "formy"


def test_userinfo_takes_no_access_token_from_a_query_string_or_a_json_body(
    live: LiveBridge, rp: RelyingParty
) -> None:
    tokens = tokens_of(live, rp, "querys")
    endpoint = rp.metadata["userinfo_endpoint"]
    query = rp.http.get(endpoint, params={"access_token": tokens["access_token"]})
    assert query.status_code == 401
    as_json = rp.http.post(endpoint, json={"access_token": tokens["access_token"]})
    assert as_json.status_code == 401


def test_userinfo_uses_the_authorization_header_when_both_are_sent(
    live: LiveBridge, rp: RelyingParty
) -> None:
    tokens = tokens_of(live, rp, "both")
    response = rp.http.post(
        rp.metadata["userinfo_endpoint"],
        data={"access_token": tokens["access_token"]},
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert response.status_code == 401
    assert "invalid_token" in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("hint", ["id_token", "urn:x:unknown", "ACCESS_TOKEN"])
def test_revocation_ignores_a_token_type_hint_it_does_not_know(
    live: LiveBridge, rp: RelyingParty, hint: str
) -> None:
    tokens = tokens_of(live, rp, "revhint")
    response = rp.http.post(
        rp.metadata["revocation_endpoint"],
        data={"token": tokens["refresh_token"], "token_type_hint": hint},
        auth=(rp.client_id, rp.client_secret or ""),
    )
    assert response.status_code == 200
    assert rp.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"


@pytest.mark.parametrize("hint", ["id_token", "urn:x:unknown"])
def test_introspection_ignores_a_token_type_hint_it_does_not_know(
    live: LiveBridge, rp: RelyingParty, hint: str
) -> None:
    tokens = tokens_of(live, rp, "inthint")
    auth = (rp.client_id, rp.client_secret or "")
    for token in (tokens["access_token"], tokens["refresh_token"]):
        response = rp.http.post(
            rp.metadata["introspection_endpoint"],
            data={"token": token, "token_type_hint": hint},
            auth=auth,
        )
        assert response.status_code == 200
        assert response.json()["active"] is True


@pytest.mark.parametrize("endpoint", ["revocation_endpoint", "introspection_endpoint"])
def test_a_wrong_client_secret_is_still_401_whatever_the_hint(
    live: LiveBridge, rp: RelyingParty, endpoint: str
) -> None:
    response = rp.http.post(
        rp.metadata[endpoint],
        data={"token": "t", "token_type_hint": "id_token"},
        auth=(rp.client_id, "wrong"),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
