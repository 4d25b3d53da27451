"""Deleting an account (GDPR Art. 17, issue 14) as the services do it: nothing of the person
is left in any table but their audit trail, which keeps a stable, keyed pseudonym."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bridge.services.account.erasure import delete_account
from bridge.services.account.errors import LastAdmin
from bridge.services.account.lifecycle import disable
from bridge.services.account.pseudonyms import PERSONAL_KEYS, pseudonym
from bridge.services.app_password_values import Origin
from bridge.services.orgs import Actor
from bridge.storage.db.models import AppPassword, AuditEvent, Base, FederatedIdentity
from tests.admin_api import Api
from tests.world import OPERATOR, World

NAME = "zoe-erasable"
EMAIL = "Zoe.Private@erasure.example"


def _everything(world: World, api: Api) -> str:
    """Zoe with every kind of row the bridge keeps about a person; returns her id."""
    s = world.services
    zoe = s.users.create(NAME, email=EMAIL, password="a long passphrase of zoe's").id
    world.org("acme")
    world.user("ada")
    world.join("acme", "ada", "admin")
    world.join("acme", NAME)
    world.enrol(NAME)
    s.recovery.generate(zoe)
    s.trusted_devices.trust(zoe, "Firefox on Zoe's laptop", 30, ip="192.0.2.7")
    s.app_passwords.create_own(zoe, "Zoe's calendar sync", None, Origin(zoe))
    api.token(NAME)  # a grant and an access token
    org = s.orgs.get(OPERATOR, "acme")
    s.reset_requests.request(zoe, org.id, message="I am Zoe, my phone fell in the lake")
    s.password_resets.request(NAME)  # a link, and its mail in the outbox
    s.lockout.lock(zoe, reason="password_failures")
    with s.db.session() as session:
        now = datetime.now(UTC)
        session.add(
            FederatedIdentity(
                id="f" * 32, provider="upstream", subject="zoe-upstream-subject",
                user_id=zoe, created_at=now, last_login_at=now,
            )
        )  # fmt: skip
    return zoe


def _dump(world: World) -> str:
    """Every row of every table, as text."""
    lines = []
    with world.services.db.session() as session:
        for table in Base.metadata.sorted_tables:
            lines.extend(repr(tuple(row)) for row in session.execute(table.select()))
    return "\n".join(lines)


@pytest.mark.postgres("the audit details are searched as text: JSON cast on each dialect")
def test_deleting_leaves_nothing_of_the_person_in_any_table(world: World, api: Api) -> None:
    zoe = _everything(world, api)
    before = _dump(world)
    assert zoe in before and EMAIL in before and "my phone fell" in before
    erased = delete_account(world.services, NAME)
    after = _dump(world)
    for personal in (zoe, NAME, EMAIL, EMAIL.lower(), "Zoe's", "my phone fell", "zoe-upstream"):
        assert personal not in after, personal
    assert erased.pseudonym in after
    # (app passwords are revoked, so deleted, by the sign-out everywhere that comes first)
    kinds = (
        "authenticators", "recovery_codes", "trusted_browsers", "grants", "memberships",
        "reset_requests", "password_reset_links", "federation_links", "locks", "mails", "account",
    )  # fmt: skip
    for kind in kinds:
        assert erased.deleted[kind] >= 1, kind
    assert world.services.users.find(NAME) is None


@pytest.mark.postgres("the audit details are rewritten: JSON on each dialect")
def test_the_audit_trail_keeps_every_event_under_one_keyed_pseudonym(
    world: World, api: Api
) -> None:
    zoe = _everything(world, api)
    about = [e.id for e in world.services.audit.events(user_id=zoe, limit=1000)]
    erased = delete_account(world.services, NAME)
    expected = pseudonym(world.services.secrets.secret_key, zoe)
    assert erased.pseudonym == expected and expected.startswith("deleted-")
    assert len(expected) == 32 and expected != pseudonym(b"another key" * 3, zoe)
    events = world.services.audit.events(user_id=expected, limit=1000)
    assert {e.id for e in events} >= set(about)
    assert "user_deleted" in {e.event for e in events}
    for event in events:
        assert not PERSONAL_KEYS & set(event.details), (event.event, event.details)


def test_events_the_person_did_to_others_name_them_by_the_pseudonym(world: World) -> None:
    world.org("acme")
    for name in ("ada", "bob", "carol"):
        world.user(name)
    world.join("acme", "ada", "admin")
    world.join("acme", "carol", "admin")
    world.join("acme", "bob")
    ada = world.row("ada")
    world.services.members.unlock(Actor(user_id=ada.id), "acme", "bob")
    erased = delete_account(world.services, "ada")
    [unlock] = world.services.audit.events(event="user_unlocked", limit=5)
    assert unlock.actor_id == erased.pseudonym and unlock.user_id == world.row("bob").id


def test_the_only_admin_of_an_organisation_is_not_deleted(world: World) -> None:
    world.org("acme")
    world.user("ada")
    world.user("bob")
    world.join("acme", "ada", "admin")
    world.join("acme", "bob", "admin")
    disable(world.services, "bob")  # a disabled admin runs nothing
    with pytest.raises(LastAdmin) as refused:
        delete_account(world.services, "ada")
    assert "'ada' is the only admin of 'acme'" in refused.value.message
    assert "bridge member role SLUG USERNAME admin" in refused.value.message
    assert world.services.users.find("ada") is not None


def test_rows_the_person_made_for_others_keep_only_the_pseudonym(world: World) -> None:
    world.org("acme")
    for name in ("ada", "carol", "robot"):
        world.user(name)
    world.join("acme", "ada", "admin")
    world.join("acme", "carol", "admin")
    world.join("acme", "robot")
    world.services.members.to_service_account(OPERATOR, "acme", "robot")
    ada = world.row("ada")
    made = world.services.app_passwords.create_for(
        Actor(user_id=ada.id), "acme", "robot", "CI", None
    )
    erased = delete_account(world.services, "ada")
    with world.services.db.session() as session:
        assert session.scalar(select(AppPassword.created_by)) == erased.pseudonym
        assert session.scalar(select(AppPassword.id)) == made.view.id  # the robot's stays
        assert ada.id not in repr(list(session.execute(select(AuditEvent.actor_id))))
