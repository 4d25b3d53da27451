"""A refresh spends its token and records the successor in the same grant (issue 16: on
PostgreSQL in one statement), on SQLite and on PostgreSQL; a request whose scope is refused
spends its token and gets no successor, as Authlib orders the checks."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bridge.storage.db.models import RefreshToken
from tests.e2e.harness import Browser, LiveBridge, RelyingParty, first_tokens

pytestmark = pytest.mark.postgres("the successor is recorded with the spend in one statement")


def test_the_new_refresh_token_belongs_to_the_same_live_grant(
    live: LiveBridge, rp: RelyingParty
) -> None:
    _, tokens = first_tokens(live, rp, Browser(), "rotating")
    old = live.services.tokens.refresh_token(tokens["refresh_token"])
    response = rp.refresh(tokens["refresh_token"])
    assert response.status_code == 200, response.text
    new = live.services.tokens.refresh_token(response.json()["refresh_token"])
    assert old is not None and new is not None
    assert new.grant_id == old.grant_id and not new.revoked
    spent = live.services.tokens.refresh_token(tokens["refresh_token"])
    assert spent is not None and spent.revoked  # used: it no longer introspects as active


def test_a_refresh_for_a_narrower_scope_rotates_with_that_scope(
    live: LiveBridge, rp: RelyingParty
) -> None:
    _, tokens = first_tokens(live, rp, Browser(), "narrower")
    response = rp.token_request(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "scope": "openid"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "openid"
    again = rp.refresh(response.json()["refresh_token"])
    assert again.status_code == 200, again.text


def test_a_refresh_for_a_scope_not_granted_is_invalid_scope_and_spends_the_token(
    live: LiveBridge, rp: RelyingParty
) -> None:
    _, tokens = first_tokens(live, rp, Browser(), "wider")
    refused = rp.token_request(
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "scope": "openid offline_access admin",
        }
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
    info = live.services.tokens.refresh_token(tokens["refresh_token"])
    assert info is not None
    with live.services.db.session() as session:
        held = session.scalar(select(func.count()).where(RefreshToken.grant_id == info.grant_id))
    assert held == 1  # spent, and no successor recorded
    reused = rp.refresh(tokens["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
