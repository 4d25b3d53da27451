"""Who needs a second factor: one policy decides for the login flow, the API and the console."""

from __future__ import annotations

from sqlalchemy import select

from bridge.storage.db.models import Organisation
from tests.world import OPERATOR, World


def required(world: World, username: str) -> bool:
    return world.services.mfa_policy.mfa_required(world.row(username).id)


def test_a_user_in_no_organisation_follows_the_global_setting(world: World) -> None:
    world.user("alice")
    assert world.services.settings.mfa.required is True
    assert required(world, "alice")


def test_a_member_of_an_organisation_that_enforces_nothing_needs_no_2fa(world: World) -> None:
    world.user("alice")
    world.org("acme")
    world.join("acme", "alice")
    assert not required(world, "alice")


def test_an_organisation_enforcing_2fa_requires_it_of_its_members(world: World) -> None:
    world.user("alice")
    world.org("acme")
    world.join("acme", "alice")
    world.services.orgs.update_policy(OPERATOR, "acme", {"mfa_enforced": True})
    assert required(world, "alice")


def test_one_enforcing_organisation_is_enough_for_a_user_of_several(world: World) -> None:
    world.user("alice")
    world.org("acme")
    world.org("globex")
    world.join("acme", "alice")
    world.join("globex", "alice")
    world.services.orgs.update_policy(OPERATOR, "globex", {"mfa_enforced": True})
    requirement = world.services.mfa_policy.requirement(world.row("alice").id)
    assert requirement.required
    assert requirement.reasons == ("org_enforces:globex",)


def test_a_partner_in_production_always_requires_2fa(world: World) -> None:
    world.user("alice")
    world.org("parts", kind="partner", mode="production")
    world.join("parts", "alice")
    assert world.services.mfa_policy.requirement(world.row("alice").id).reasons == (
        "production_partner:parts",
    )


def test_a_trial_partner_does_not_require_2fa_until_it_goes_to_production(world: World) -> None:
    world.user("alice")
    world.org("parts", kind="partner", mode="trial")
    world.join("parts", "alice")
    assert not required(world, "alice")
    world.services.orgs.set_mode(OPERATOR, "parts", "production")
    assert required(world, "alice")
    assert world.services.orgs.policy(OPERATOR, "parts")["mfa_enforced"] is True


def test_an_admin_can_require_2fa_for_one_user(world: World) -> None:
    world.user("alice")
    world.org("acme")
    world.join("acme", "alice")
    world.services.members.require_mfa(OPERATOR, "acme", "alice")
    assert world.services.mfa_policy.requirement(world.row("alice").id).reasons == (
        "required_by_admin",
    )


def test_a_service_account_never_needs_2fa(world: World) -> None:
    world.user("robot")
    world.org("parts", kind="partner", mode="production")
    world.join("parts", "robot")
    world.services.members.to_service_account(OPERATOR, "parts", "robot")
    assert not required(world, "robot")


def test_the_login_flow_learns_the_requirement_and_the_roles(world: World) -> None:
    world.user("alice")
    world.org("acme")
    world.join("acme", "alice", "admin")
    world.services.orgs.update_policy(OPERATOR, "acme", {"mfa_enforced": True})
    facts = world.services.directory.user_facts(world.row("alice").id)
    assert facts is not None
    assert facts.mfa_required
    assert not facts.is_service_account
    assert facts.roles == frozenset({"admin", "admin@acme"})


def test_the_login_flow_sees_a_service_account(world: World) -> None:
    world.user("robot")
    world.org("acme")
    world.join("acme", "robot")
    world.services.members.to_service_account(OPERATOR, "acme", "robot")
    facts = world.services.directory.user_facts(world.row("robot").id)
    assert facts is not None
    assert facts.is_service_account
    assert not facts.mfa_required


def test_a_locked_account_cannot_sign_in_even_with_the_right_password(world: World) -> None:
    from datetime import UTC, datetime

    from bridge.storage.db.models import User

    alice = world.user("alice")
    with world.services.db.session() as session:
        row = session.get(User, alice)
        assert row is not None
        row.locked_at = datetime(2026, 1, 1, tzinfo=UTC)
    check = world.services.directory.check_password("alice", "correct horse battery staple")
    assert check.user_id is None
    assert check.reason == "locked"


def test_production_partner_reads_the_same_on_a_row_and_in_a_query(world: World) -> None:
    for slug, kind, mode in [
        ("live", "partner", "production"),
        ("trying", "partner", "trial"),
        ("solo", "standalone", "production"),
    ]:
        world.org(slug, kind=kind, mode=mode)
    with world.services.db.session() as session:
        queried = session.scalars(
            select(Organisation.slug).where(Organisation.production_partner)
        ).all()
        rows = session.scalars(select(Organisation).order_by(Organisation.slug)).all()
        on_rows = [org.slug for org in rows if org.production_partner]
    assert queried == on_rows == ["live"]
