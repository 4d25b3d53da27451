"""Renaming, a new e-mail address and the data export (issue 14) at the service level: what
goes on, what stops, what is never shown, and who may."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bridge.services.account.identity import rename, set_email
from bridge.services.account.subject_access import subject_access
from bridge.services.app_password_values import Origin
from bridge.services.orgs.errors import OperatorOnly
from bridge.storage.db.models import PasswordReset, RecoveryCode, User
from tests.e2e.harness import Browser, LiveBridge, RelyingParty, first_tokens
from tests.world import World


def test_a_renamed_user_keeps_sessions_and_tokens(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    _, tokens = first_tokens(live, rp, browser, "ada")
    assert rename(live.services, "ada", "ada.lovelace")
    refreshed = rp.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    claims = rp.userinfo(refreshed.json()["access_token"]).json()
    assert claims["preferred_username"] == "ada.lovelace"
    [event] = live.audit("user_renamed")
    assert event.details == {"from": "ada", "to": "ada.lovelace"}


def test_a_new_address_is_unverified_and_voids_the_open_reset_links(world: World) -> None:
    user_id = world.user("ada")
    with world.services.db.session() as session:
        row = session.get(User, user_id)
        assert row is not None
        row.email_verified = True
    world.services.password_resets.request("ada")
    assert set_email(world.services, "ada", "ada@lovelace.example")
    assert not set_email(world.services, "ada", "ada@lovelace.example")  # nothing to change
    row = world.row("ada")
    assert row.email == "ada@lovelace.example" and not row.email_verified
    with world.services.db.session() as session:
        [link] = session.scalars(select(PasswordReset).where(PasswordReset.user_id == user_id))
        assert link.voided_at is not None


def test_an_address_a_passwordless_account_shares_is_allowed(world: World) -> None:
    """The unique rule of migration 0015 holds among accounts with a password only."""
    world.user("ada")
    world.services.users.create("upstream.ada", email="other@example.com", password=None)
    assert set_email(world.services, "upstream.ada", "ADA@example.com")


def test_the_export_names_every_factor_and_never_shows_a_secret(world: World) -> None:
    world.org("acme")
    user_id = world.user("ada")
    world.join("acme", "ada", "admin")
    secret = world.enrol("ada")
    codes = world.services.recovery.generate(user_id)
    browser_token = world.services.trusted_devices.trust(user_id, "Firefox", 30)
    app = world.services.app_passwords.create_own(user_id, "Calendar", None, Origin(user_id))
    document = subject_access(world.services, "ada")
    text = json.dumps(document)
    with world.services.db.session() as session:
        stored = session.get(User, user_id)
        assert stored is not None and stored.password_hash
        hashes = list(session.scalars(select(RecoveryCode.code_hash)))
    for hidden in (secret, browser_token, app.secret, stored.password_hash, *codes, *hashes):
        assert hidden not in text
    assert document["second_factor"]["totp"] is True
    assert document["second_factor"]["recovery_codes_left"] == len(codes)
    assert [b["description"] for b in document["trusted_browsers"]] == ["Firefox"]
    [listed] = document["app_passwords"]
    assert listed["comment"] == "Calendar" and listed["last_used_at"] is None
    assert document["memberships"][0]["role"] == "admin"
    assert "device_trusted" in {e["event"] for e in document["audit_events"]}
    assert world.services.audit.events(event="user_data_exported", user_id=user_id)


@pytest.mark.parametrize(
    "change",
    [
        lambda s, a: rename(s, "bob", "robert", actor=a),
        lambda s, a: set_email(s, "bob", "robert@example.com", actor=a),
        lambda s, a: subject_access(s, "bob", actor=a),
    ],
    ids=["rename", "set-email", "export"],
)
def test_only_the_operator_renames_readdresses_or_exports(world: World, change: object) -> None:
    world.user("ada")
    world.user("bob")
    with pytest.raises(OperatorOnly):
        change(world.services, world.actor("ada"))  # type: ignore[operator]
    assert world.row("bob").email == "bob@example.com"
