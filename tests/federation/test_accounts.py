"""Which local user an upstream identity is: links keyed by (provider, subject), never by e-mail
alone; linking to a local account only after the login proves it; membership from the provider."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import select, update

from bridge.domain.clock import FrozenClock
from bridge.federation import (
    FederatedAccounts,
    IdentityProviders,
    Linked,
    NeedsLocalProof,
    Refused,
    UpstreamIdentity,
    federated_amr,
    record_upstream_failure,
)
from bridge.federation.errors import WrongIssuer
from bridge.services.container import Services
from bridge.services.orgs import Actor
from bridge.storage.db.models import Membership, Organisation, User
from tests.e2e.harness import PASSWORD
from tests.federation.conftest import provider_config


@pytest.fixture(autouse=True)
def organisation(services: Services) -> None:
    services.orgs.create(Actor.operator(), "acme", "Acme")


@pytest.fixture
def accounts(services: Services, clock: FrozenClock) -> FederatedAccounts:
    providers = IdentityProviders(
        [
            provider_config(link_by_verified_email=True),
            provider_config(alias="social", organisation=None, domains=[]),
        ]
    )
    return FederatedAccounts(services.db, clock, services.audit, providers)


def identity(provider: str = "acme", subject: str = "sub-1", **fields: Any) -> UpstreamIdentity:
    values: dict[str, Any] = {
        "email": "jane@acme.example",
        "email_verified": True,
        "name": "Jane Doe",
        "amr": ("pwd", "hwk"),
        "acr": None,
        "auth_time": None,
        **fields,
    }
    return UpstreamIdentity(provider=provider, subject=subject, raw_claims={}, **values)


def local_user(services: Services, username: str, email: str, *, verified: bool = True) -> str:
    user_id = services.users.create(username, email=email, password=PASSWORD).id
    with services.db.session() as session:
        session.execute(update(User).where(User.id == user_id).values(email_verified=verified))
    return user_id


def members_of_acme(services: Services) -> list[str]:
    return [m.username for m in services.members.members(Actor.operator(), "acme")]


def test_a_first_login_creates_a_passwordless_user_linked_to_the_subject(
    accounts: FederatedAccounts, services: Services
) -> None:
    decision = accounts.resolve(identity())

    assert isinstance(decision, Linked) and decision.created
    user = services.users.get(decision.user_id)
    assert user is not None
    assert (user.username, user.email, user.email_verified, user.name) == (
        "jane@acme.example",
        "jane@acme.example",
        True,
        "Jane Doe",
    )
    assert user.password_hash is None
    assert accounts.linked_user("acme", "sub-1") == decision.user_id
    created = services.audit.events(event="federated_user_created", user_id=user.id)
    assert [e.details["provider"] for e in created] == ["acme"]


def test_the_next_login_finds_the_same_user(
    accounts: FederatedAccounts, clock: FrozenClock
) -> None:
    first = accounts.resolve(identity())
    clock.advance(3600)
    again = accounts.resolve(identity(email="jane.doe@acme.example"))

    assert again == Linked(first.user_id)
    (link,) = accounts.links_of(first.user_id)
    assert link.last_login_at.timestamp() == clock()


def test_a_first_login_makes_the_user_a_member_of_the_providers_organisation(
    accounts: FederatedAccounts, services: Services
) -> None:
    decision = accounts.resolve(identity())
    assert members_of_acme(services) == ["jane@acme.example"]
    (event,) = services.audit.events(event="member_added", user_id=decision.user_id)
    assert event.details["via"] == "federation"


def test_a_global_provider_makes_no_membership(
    accounts: FederatedAccounts, services: Services
) -> None:
    decision = accounts.resolve(identity(provider="social"))
    assert isinstance(decision, Linked)
    with services.db.session() as session:
        assert session.scalars(select(Membership)).all() == []


def test_links_are_keyed_by_provider_and_subject_never_by_email(
    accounts: FederatedAccounts,
) -> None:
    jane = accounts.resolve(identity(subject="sub-1"))
    someone = accounts.resolve(identity(subject="sub-2"))  # the same e-mail, another subject
    elsewhere = accounts.resolve(identity(provider="social", subject="sub-1"))

    assert len({jane.user_id, someone.user_id, elsewhere.user_id}) == 3


def test_a_verified_email_of_a_local_account_needs_the_local_proof_first(
    accounts: FederatedAccounts, services: Services
) -> None:
    local = local_user(services, "jane", "Jane@Acme.example")

    decision = accounts.resolve(identity())

    assert decision == NeedsLocalProof(local)
    assert accounts.linked_user("acme", "sub-1") is None, "nothing is linked before the proof"


def test_after_the_local_proof_the_link_is_made_and_used(
    accounts: FederatedAccounts, services: Services
) -> None:
    local = local_user(services, "jane", "jane@acme.example")

    assert accounts.link(identity(), local) == Linked(local)
    assert accounts.resolve(identity()) == Linked(local)
    assert members_of_acme(services) == ["jane"]
    linked = services.audit.events(event="federated_identity_linked", user_id=local)
    assert [e.details["by"] for e in linked] == ["verified_email"]


def test_an_email_the_provider_did_not_verify_never_links(
    accounts: FederatedAccounts, services: Services
) -> None:
    local = local_user(services, "jane", "jane@acme.example")
    decision = accounts.resolve(identity(email_verified=False))
    assert isinstance(decision, Linked) and decision.user_id != local


def test_an_email_the_local_account_did_not_verify_never_links(
    accounts: FederatedAccounts, services: Services
) -> None:
    local = local_user(services, "jane", "jane@acme.example", verified=False)
    decision = accounts.resolve(identity())
    assert isinstance(decision, Linked) and decision.user_id != local


def test_a_provider_that_does_not_link_by_email_creates_a_new_account(
    accounts: FederatedAccounts, services: Services
) -> None:
    local = local_user(services, "jane", "jane@acme.example")
    decision = accounts.resolve(identity(provider="social"))
    assert isinstance(decision, Linked) and decision.created and decision.user_id != local


def test_a_new_user_whose_email_is_taken_as_a_username_gets_a_provider_username(
    accounts: FederatedAccounts, services: Services
) -> None:
    local_user(services, "jane@acme.example", "jane@elsewhere.example", verified=False)
    decision = accounts.resolve(identity(provider="social"))
    user = services.users.get(decision.user_id)
    assert user is not None and user.username.startswith("social.")


def test_a_disabled_account_is_refused(accounts: FederatedAccounts, services: Services) -> None:
    decision = accounts.resolve(identity())
    with services.db.session() as session:
        session.execute(update(User).where(User.id == decision.user_id).values(disabled=True))
    assert accounts.resolve(identity()) == Refused(decision.user_id, "account_disabled")


def test_the_downstream_amr_says_fed_and_adds_upstream_values_only_when_trusted() -> None:
    upstream = identity(amr=("pwd", "otp", "mfa"))
    assert federated_amr(provider_config(), upstream) == ["fed"]
    assert federated_amr(provider_config(trusted_amr=True), upstream) == [
        "fed",
        "pwd",
        "otp",
        "mfa",
    ]


def test_two_parallel_first_logins_of_one_subject_end_with_one_account(
    accounts: FederatedAccounts, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other login links the subject between our lookup and our insert: the unique
    (provider, subject) refuses our insert and we use its link."""
    winner = accounts.resolve(identity(provider="social"))
    touch, looked = accounts._touch, []

    def lookup_before_the_other_login_commits(found: UpstreamIdentity) -> Any:
        looked.append(found)
        return None if len(looked) == 1 else touch(found)

    monkeypatch.setattr(accounts, "_touch", lookup_before_the_other_login_commits)

    assert accounts.resolve(identity(provider="social")) == Linked(winner.user_id)
    with services.db.session() as session:
        assert len(session.scalars(select(User)).all()) == 1


def test_a_refused_upstream_answer_is_recorded_as_a_failed_sign_in(services: Services) -> None:
    error = WrongIssuer("ID token issuer 'https://evil.example'", provider="acme")

    record_upstream_failure(services.audit, error, client_id="crm", ip="192.0.2.1")

    (event,) = services.audit.events(event="sign_in_failed")
    assert (event.reason, event.mfa_factor_type, event.client_id, event.ip) == (
        "wrong_issuer",
        "federated",
        "crm",
        "192.0.2.1",
    )
    assert event.details == {
        "error": "WrongIssuer",
        "detail": "ID token issuer 'https://evil.example'",
        "provider": "acme",
    }


# --- whose word on an e-mail counts ---------------------------------------------------------


@pytest.fixture
def admin_added(services: Services, clock: FrozenClock) -> FederatedAccounts:
    """Acme's own provider, added by acme's admin through the admin API (not the operator)."""
    services.orgs.add_domain(Actor.operator(), "acme", "acme.example")
    with services.db.session() as session:
        acme_id = session.scalar(select(Organisation.id).where(Organisation.slug == "acme"))
    stored = dataclasses.replace(
        provider_config(link_by_verified_email=True), source="database", org_id=acme_id
    )
    return FederatedAccounts(services.db, clock, services.audit, IdentityProviders([stored]))


def test_an_admin_added_provider_vouches_for_addresses_in_its_organisations_domains(
    admin_added: FederatedAccounts, services: Services
) -> None:
    decision = admin_added.resolve(identity(email="jane@acme.example"))

    assert isinstance(decision, Linked)
    user = services.users.get(decision.user_id)
    assert user is not None
    assert (user.username, user.email_verified) == ("jane@acme.example", True)


def test_an_admin_added_provider_cannot_vouch_for_another_companys_address(
    admin_added: FederatedAccounts, services: Services
) -> None:
    decision = admin_added.resolve(identity(email="ceo@globex.example"))

    assert isinstance(decision, Linked) and decision.created
    user = services.users.get(decision.user_id)
    assert user is not None
    # Kept as the address the provider sent, but not verified, and not the username.
    assert (user.email, user.email_verified) == ("ceo@globex.example", False)
    assert user.username.startswith("acme.")


def test_an_admin_added_provider_cannot_lead_to_another_companys_account(
    admin_added: FederatedAccounts, services: Services
) -> None:
    local_user(services, "ceo", "ceo@globex.example")

    decision = admin_added.resolve(identity(email="ceo@globex.example"))

    assert isinstance(decision, Linked) and decision.created  # a new account, no local proof
    assert services.users.find("ceo") is not None
    assert decision.user_id != services.users.find("ceo").id  # type: ignore[union-attr]


def test_an_operator_configured_provider_is_believed_for_any_domain(
    accounts: FederatedAccounts, services: Services
) -> None:
    decision = accounts.resolve(identity(email="jane@elsewhere.example"))

    assert isinstance(decision, Linked)
    user = services.users.get(decision.user_id)
    assert user is not None and user.email_verified
