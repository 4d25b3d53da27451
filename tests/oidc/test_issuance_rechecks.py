"""Issue 12, item 5: every token-issuing path asks again, at issuance, whether the user may have
tokens: a code or a refresh token outlives the state it was earned in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bridge.storage.db.models import Client, User
from tests.e2e.harness import Browser, LiveBridge, RelyingParty, first_login, first_tokens

pytestmark = pytest.mark.postgres(
    "a code exchange reads its user and opens the grant in one statement on PostgreSQL"
)


def _set(live: LiveBridge, username: str, **values: Any) -> None:
    user = live.services.users.find(username)
    assert user is not None
    with live.services.db.session() as session:
        session.execute(update(User).where(User.id == user.id).values(**values))


def _lock(live: LiveBridge, username: str) -> None:
    user = live.services.users.find(username)
    assert user is not None
    assert live.services.lockout.lock(user.id, reason="admin")


def test_a_code_of_a_user_locked_after_it_was_issued_is_invalid_grant(
    live: LiveBridge, rp: RelyingParty
) -> None:
    request, params = first_login(live, rp, Browser(), "lockedlater")
    _lock(live, "lockedlater")
    response = rp.exchange(params["code"], request.verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_code_of_a_user_whose_timed_lock_ran_out_gets_working_tokens(
    live: LiveBridge, rp: RelyingParty
) -> None:
    request, params = first_login(live, rp, Browser(), "lockranout")
    user = live.services.users.find("lockranout")
    assert user is not None
    until = datetime.fromtimestamp(live.clock(), UTC) + timedelta(seconds=20)
    assert live.services.lockout.lock(user.id, reason="passwords", until=until)
    live.clock.advance(21)  # the code lives 60 s
    response = rp.exchange(params["code"], request.verifier)
    assert response.status_code == 200, response.text
    assert rp.userinfo(response.json()["access_token"]).status_code == 200
    assert rp.refresh(response.json()["refresh_token"]).status_code == 200


def test_a_code_of_a_user_made_a_service_account_after_it_was_issued_is_invalid_grant(
    live: LiveBridge, rp: RelyingParty
) -> None:
    request, params = first_login(live, rp, Browser(), "convertedlater")
    _set(live, "convertedlater", service_account=True)
    response = rp.exchange(params["code"], request.verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_code_of_a_user_disabled_after_it_was_issued_is_invalid_grant(
    live: LiveBridge, rp: RelyingParty
) -> None:
    request, params = first_login(live, rp, Browser(), "disabledlater")
    _set(live, "disabledlater", disabled=True)
    response = rp.exchange(params["code"], request.verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_refresh_for_a_locked_user_is_refused_and_does_not_rotate(
    live: LiveBridge, rp: RelyingParty
) -> None:
    _, tokens = first_tokens(live, rp, Browser(), "refreshlocked")
    _lock(live, "refreshlocked")
    refused = rp.refresh(tokens["refresh_token"])
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    user = live.services.users.find("refreshlocked")
    assert user is not None
    live.services.lockout.unlock(user.id, actor_id=None)
    # Not spent by the refusal: once unlocked, the same refresh token still works, once.
    again = rp.refresh(tokens["refresh_token"])
    assert again.status_code == 200, again.text
    assert again.json()["refresh_token"] != tokens["refresh_token"]


def test_a_refresh_after_a_timed_lock_ran_out_rotates(live: LiveBridge, rp: RelyingParty) -> None:
    _, tokens = first_tokens(live, rp, Browser(), "timedlock")
    user = live.services.users.find("timedlock")
    assert user is not None
    until = datetime.fromtimestamp(live.clock(), UTC) + timedelta(minutes=15)
    assert live.services.lockout.lock(user.id, reason="passwords", until=until)
    refused = rp.refresh(tokens["refresh_token"])
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    live.clock.advance(16 * 60)
    again = rp.refresh(tokens["refresh_token"])
    assert again.status_code == 200, again.text
    assert live.services.lockout.status(user.id) is None


def test_a_refresh_for_a_disabled_user_is_refused(live: LiveBridge, rp: RelyingParty) -> None:
    _, tokens = first_tokens(live, rp, Browser(), "refreshdisabled")
    _set(live, "refreshdisabled", disabled=True)
    refused = rp.refresh(tokens["refresh_token"])
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"


def test_a_refresh_for_a_user_still_allowed_rotates(live: LiveBridge, rp: RelyingParty) -> None:
    _, tokens = first_tokens(live, rp, Browser(), "refreshfine")
    response = rp.refresh(tokens["refresh_token"])
    assert response.status_code == 200, response.text
    assert rp.refresh(tokens["refresh_token"]).status_code == 400  # spent


def test_a_removed_client_is_invalid_client_at_the_token_endpoint(
    live: LiveBridge, rp: RelyingParty
) -> None:
    request, params = first_login(live, rp, Browser(), "clientgone")
    with live.services.db.session() as session:
        session.delete(session.get_one(Client, rp.client_id))
    response = rp.exchange(params["code"], request.verifier)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
