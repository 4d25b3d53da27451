"""App passwords as a service (seed 004; issue 12): created with a comment and shown once,
stored as a keyed hash, listed, revoked one by one, all at once and automatically, forbidden by
an organisation's policy, audited and mailed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bridge.domain.errors import AppPasswordsForbidden, InvalidInput, NotAServiceAccount, NotFound
from bridge.services.account.sign_out import sign_out_everywhere
from bridge.services.app_password_values import ALPHABET, NewAppPassword, Origin
from bridge.services.orgs import Actor
from bridge.storage.db.models import AppPassword
from tests.world import OPERATOR, World

GROUPED = re.compile(r"[0-9a-z]{5}(-[0-9a-z]{5}){5}")


def _own(
    world: World, username: str = "ada", comment: str = "Calendar sync"
) -> tuple[str, NewAppPassword]:
    user_id = world.user(username)
    new = world.services.app_passwords.create_own(
        user_id, comment, None, Origin(user_id, "10.0.0.1")
    )
    return user_id, new


def test_a_new_app_password_is_150_random_bits_in_groups_of_five(world: World) -> None:
    _, new = _own(world)
    assert GROUPED.fullmatch(new.secret)
    raw = new.secret.replace("-", "")
    assert len(raw) * 5 >= 128 and set(raw) <= set(ALPHABET)
    assert new.view.comment == "Calendar sync" and new.view.scopes == ("proxy",)


def test_only_a_keyed_hash_is_stored(world: World) -> None:
    _, new = _own(world)
    with world.services.db.session() as session:
        row = session.scalars(select(AppPassword)).one()
    raw = new.secret.replace("-", "")
    assert raw not in row.secret_hash and new.secret not in row.secret_hash
    assert len(row.secret_hash) == 64


def test_the_secret_matches_with_or_without_dashes_spaces_and_case(world: World) -> None:
    user_id, new = _own(world)
    passwords = world.services.app_passwords
    for typed in (new.secret, new.secret.replace("-", ""), new.secret.upper().replace("-", " ")):
        assert passwords.match(user_id, typed, "proxy") == new.view


def test_a_wrong_malformed_or_other_users_secret_does_not_match(world: World) -> None:
    user_id, new = _own(world)
    bob_id, bobs = _own(world, "bob")
    passwords = world.services.app_passwords
    assert passwords.match(user_id, bobs.secret, "proxy") is None
    assert passwords.match(bob_id, new.secret, "proxy") is None
    assert passwords.match(user_id, "not-a-password", "proxy") is None
    assert passwords.match(user_id, "\x00" * 5000, "proxy") is None
    assert passwords.match(user_id, new.secret, "userinfo") is None


def test_the_list_shows_comment_scopes_created_and_last_used(world: World) -> None:
    user_id, _new = _own(world)
    passwords = world.services.app_passwords
    [listed] = passwords.list_own(user_id)
    assert listed.last_used_at is None and listed.last_used_ip is None
    assert passwords.record_use(listed, ip="192.0.2.7", user_agent="curl")
    [listed] = passwords.list_own(user_id)
    assert listed.last_used_ip == "192.0.2.7" and listed.last_used_at is not None
    assert listed.as_json()["comment"] == "Calendar sync"


def test_use_is_recorded_at_most_once_a_minute(world: World) -> None:
    _user_id, new = _own(world)
    passwords = world.services.app_passwords
    assert passwords.record_use(new.view, ip="192.0.2.7", user_agent=None)
    world.clock.advance(30)
    assert not passwords.record_use(new.view, ip="192.0.2.8", user_agent=None)
    world.clock.advance(31)
    assert passwords.record_use(new.view, ip="192.0.2.8", user_agent=None)
    assert len(world.services.audit.events(event="app_password_used")) == 2


def test_creating_and_revoking_are_audited_and_mailed(world: World) -> None:
    user_id, new = _own(world)
    world.services.app_passwords.revoke_own(user_id, new.view.id, Origin(user_id, "10.0.0.1"))
    [created] = world.services.audit.events(event="app_password_created")
    [revoked] = world.services.audit.events(event="app_password_revoked")
    assert created.details["comment"] == "Calendar sync" and created.ip == "10.0.0.1"
    assert revoked.details["app_password_id"] == new.view.id
    assert world.services.app_passwords.list_own(user_id) == []


def test_revoking_another_users_password_is_not_found(world: World) -> None:
    _, new = _own(world)
    bob_id = world.user("bob")
    with pytest.raises(NotFound):
        world.services.app_passwords.revoke_own(bob_id, new.view.id, Origin(bob_id))


def test_revoke_all(world: World) -> None:
    user_id, _ = _own(world)
    world.services.app_passwords.create_own(user_id, "Backup", None, Origin(user_id))
    assert world.services.app_passwords.revoke_all(user_id, "revoked_by_user") == 2
    assert world.services.app_passwords.list_own(user_id) == []


def test_signing_out_everywhere_revokes_them(world: World) -> None:
    user_id, new = _own(world)
    sign_out_everywhere(world.services, user_id, "signed_out_everywhere")
    assert world.services.app_passwords.match(user_id, new.secret, "proxy") is None
    [event] = world.services.audit.events(event="app_password_revoked")
    assert event.reason == "signed_out_everywhere"


def test_an_admins_2fa_reset_revokes_them(world: World) -> None:
    user_id, _new = _own(world)
    world.org("acme")
    world.join("acme", "ada")
    world.services.members.reset_mfa(OPERATOR, "acme", "ada")
    assert world.services.app_passwords.list_own(user_id) == []
    assert world.services.audit.events(event="app_password_revoked")


def test_a_comment_is_required_and_bounded(world: World) -> None:
    user_id = world.user("ada")
    for comment in ("", "   ", "x" * 101, None, 5):
        with pytest.raises(InvalidInput):
            world.services.app_passwords.create_own(user_id, comment, None, Origin(user_id))
    with pytest.raises(InvalidInput):
        world.services.app_passwords.create_own(user_id, "ok", ["admin"], Origin(user_id))


def test_an_organisation_can_forbid_them(world: World) -> None:
    user_id, _new = _own(world)
    world.org("acme")
    world.join("acme", "ada")
    world.services.orgs.update_policy(OPERATOR, "acme", {"app_passwords_allowed": False})
    with pytest.raises(AppPasswordsForbidden):
        world.services.app_passwords.create_own(user_id, "Another", None, Origin(user_id))
    with pytest.raises(AppPasswordsForbidden):
        world.services.app_passwords.usable_by(user_id)


def test_an_admin_creates_them_for_a_service_account_only(world: World) -> None:
    world.org("acme")
    for name, role in (("boss", "admin"), ("robot", "member"), ("bob", "member")):
        world.user(name)
        world.join("acme", name, role)
    world.services.members.to_service_account(OPERATOR, "acme", "robot")
    boss = Actor(world.row("boss").id)
    new = world.services.app_passwords.create_for(boss, "acme", "robot", "CI", ["proxy"])
    assert [p.id for p in world.services.app_passwords.list_for(boss, "acme", "robot")] == [
        new.view.id
    ]
    with pytest.raises(NotAServiceAccount):
        world.services.app_passwords.create_for(boss, "acme", "bob", "CI", None)
    [event] = world.services.audit.events(event="app_password_created")
    assert event.actor_id == world.row("boss").id and event.org_id is not None
    world.services.app_passwords.revoke_for(boss, "acme", "robot", new.view.id)
    assert world.services.app_passwords.list_for(boss, "acme", "robot") == []
