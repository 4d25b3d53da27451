"""Which organisations see an audit event, reading a log as a stream, and pruning old events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.domain.clock import FrozenClock
from bridge.domain.events import AuditEventName as Event
from bridge.services.audit import AuditFilter
from bridge.services.container import Services
from bridge.services.subjects import load_subject
from bridge.storage.db.unit import unit_of_work
from tests.world import OPERATOR, World

pytestmark = pytest.mark.postgres("the audit log's organisations hold on both dialects")


@pytest.fixture
def two_orgs(world: World) -> dict[str, str]:
    """acme and globex; alice belongs to both, bob to acme only; a client of each org and
    one of none."""
    ids = {"acme": world.org("acme"), "globex": world.org("globex")}
    for name in ("alice", "bob"):
        ids[name] = world.user(name)
    world.join("acme", "alice")
    world.join("globex", "alice")
    world.join("acme", "bob")
    s = world.services
    for name in ("acme", "globex", "none"):
        record, _ = s.clients.add(f"{name} app", ["https://app.example/cb"])
        ids[f"{name}_client"] = record.id
        if name != "none":
            s.orgs.assign_client(OPERATOR, name, record.id)
    return ids


def seen_by(services: Services, org_id: str, event: Event) -> list[str | None]:
    return [e.user_id for e in services.audit.events(org_id=org_id, event=event.value)]


def test_a_sign_in_through_an_organisations_client_is_seen_by_that_organisation_only(
    services: Services, two_orgs: dict[str, str]
) -> None:
    services.audit.record(
        Event.SIGN_IN_SUCCEEDED, user_id=two_orgs["alice"], client_id=two_orgs["acme_client"]
    )
    assert seen_by(services, two_orgs["acme"], Event.SIGN_IN_SUCCEEDED) == [two_orgs["alice"]]
    assert seen_by(services, two_orgs["globex"], Event.SIGN_IN_SUCCEEDED) == []


def test_a_failed_sign_in_of_an_outsider_is_seen_by_the_clients_organisation(
    services: Services, two_orgs: dict[str, str]
) -> None:
    services.audit.record(
        Event.SIGN_IN_FAILED, user_id=two_orgs["bob"], client_id=two_orgs["globex_client"]
    )
    assert seen_by(services, two_orgs["globex"], Event.SIGN_IN_FAILED) == [two_orgs["bob"]]
    assert seen_by(services, two_orgs["acme"], Event.SIGN_IN_FAILED) == []


def test_a_sign_in_through_a_client_of_no_organisation_is_seen_by_the_users_organisations(
    services: Services, two_orgs: dict[str, str]
) -> None:
    services.audit.record(
        Event.SIGN_IN_SUCCEEDED, user_id=two_orgs["bob"], client_id=two_orgs["none_client"]
    )
    assert seen_by(services, two_orgs["acme"], Event.SIGN_IN_SUCCEEDED) == [two_orgs["bob"]]
    assert seen_by(services, two_orgs["globex"], Event.SIGN_IN_SUCCEEDED) == []


def test_an_event_about_a_users_factor_is_seen_by_each_of_the_users_organisations(
    services: Services, two_orgs: dict[str, str]
) -> None:
    services.audit.record(
        Event.MFA_SETUP_SUCCEEDED, user_id=two_orgs["alice"], client_id=two_orgs["acme_client"]
    )
    services.audit.record(Event.ACCOUNT_LOCKED, user_id=two_orgs["bob"])
    for org in ("acme", "globex"):
        assert seen_by(services, two_orgs[org], Event.MFA_SETUP_SUCCEEDED) == [two_orgs["alice"]]
    assert seen_by(services, two_orgs["acme"], Event.ACCOUNT_LOCKED) == [two_orgs["bob"]]
    assert seen_by(services, two_orgs["globex"], Event.ACCOUNT_LOCKED) == []


def test_an_admin_action_is_seen_by_the_organisation_it_concerned_only(
    services: Services, two_orgs: dict[str, str]
) -> None:
    services.members.require_mfa(OPERATOR, "acme", "alice")
    assert seen_by(services, two_orgs["acme"], Event.MFA_REQUIRED_BY_ADMIN) == [two_orgs["alice"]]
    assert seen_by(services, two_orgs["globex"], Event.MFA_REQUIRED_BY_ADMIN) == []


def test_an_event_of_a_user_in_no_organisation_is_seen_by_none(
    services: Services, world: World
) -> None:
    world.org("acme")
    carol = world.user("carol")
    event = services.audit.record(Event.SIGN_IN_SUCCEEDED, user_id=carol)
    assert services.audit.orgs_of(event.id) == []


def test_a_stream_reads_every_match_oldest_first_in_batches(
    services: Services, two_orgs: dict[str, str], clock: FrozenClock
) -> None:
    start = datetime.fromtimestamp(clock(), UTC)
    for _ in range(7):
        services.audit.record(Event.ACCOUNT_LOCKED, user_id=two_orgs["bob"])
        clock.advance(60)
    services.audit.record(Event.ACCOUNT_UNLOCKED, user_id=two_orgs["bob"])
    where = AuditFilter(event="account_locked", since=start + timedelta(minutes=1))
    streamed = list(services.audit.stream(two_orgs["acme"], where, batch=2))
    assert len(streamed) == 6
    assert [e.occurred_at for e in streamed] == sorted(e.occurred_at for e in streamed)
    until = AuditFilter(event="account_locked", until=start + timedelta(minutes=2))
    assert len(list(services.audit.stream(two_orgs["acme"], until, batch=2))) == 2
    assert list(services.audit.stream(two_orgs["globex"], where, batch=2)) == []


def test_pruning_deletes_older_events_and_a_dry_run_only_counts_them(
    services: Services, two_orgs: dict[str, str], clock: FrozenClock
) -> None:
    services.audit.record(Event.ACCOUNT_LOCKED, user_id=two_orgs["alice"])
    clock.advance(3600)
    cutoff = datetime.fromtimestamp(clock(), UTC)
    services.audit.record(Event.ACCOUNT_UNLOCKED, user_id=two_orgs["alice"])
    older = len(services.audit.events(until=cutoff))
    assert services.audit.prune(cutoff, dry_run=True) == older
    assert len(services.audit.events(until=cutoff)) == older
    assert services.audit.prune(cutoff) == older
    assert services.audit.events(until=cutoff) == []
    assert seen_by(services, two_orgs["acme"], Event.ACCOUNT_LOCKED) == []
    assert seen_by(services, two_orgs["globex"], Event.ACCOUNT_UNLOCKED) == [two_orgs["alice"]]


@pytest.mark.postgres("a unit of work reads on a connection of its own", committed=True)
def test_a_sign_in_after_the_login_read_the_user_is_seen_by_their_organisations(
    services: Services, two_orgs: dict[str, str]
) -> None:
    with unit_of_work():
        subject = load_subject(services.db, two_orgs["alice"])  # the login's read of its user
        assert subject is not None
        services.audit.record(
            Event.SIGN_IN_SUCCEEDED, user_id=two_orgs["alice"], client_id=two_orgs["none_client"]
        )
    for org in ("acme", "globex"):
        assert seen_by(services, two_orgs[org], Event.SIGN_IN_SUCCEEDED) == [two_orgs["alice"]]


@pytest.mark.postgres("a unit of work reads on a connection of its own", committed=True)
def test_a_membership_added_after_the_login_read_the_user_counts_for_the_event(
    services: Services, two_orgs: dict[str, str]
) -> None:
    with unit_of_work():
        assert load_subject(services.db, two_orgs["bob"]) is not None
        services.members.add(OPERATOR, "globex", "bob")
        services.audit.record(Event.ACCOUNT_LOCKED, user_id=two_orgs["bob"])
    for org in ("acme", "globex"):
        assert seen_by(services, two_orgs[org], Event.ACCOUNT_LOCKED) == [two_orgs["bob"]]
