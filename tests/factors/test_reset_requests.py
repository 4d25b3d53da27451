"""Reset requests: a user who lost the device asks; any admin approves; the factor is reset."""

from __future__ import annotations

import pyotp
import pytest

from bridge.domain.clock import FrozenClock, utc_datetime
from bridge.mail import Mailer
from bridge.services.audit import AuditLog
from bridge.services.orgs import Actor
from bridge.services.orgs.errors import NotAnAdmin
from bridge.services.recovery import RecoveryCodes
from bridge.services.reset_requests import ResetRequestError, ResetRequests
from bridge.services.totp import TotpService
from bridge.services.trusted_devices import TrustedDevices
from bridge.services.users import UserService
from bridge.storage.crypto import Keyring
from bridge.storage.db.engine import Database
from bridge.storage.db.models import Membership, Organisation, User
from tests.factors.conftest import Sent


@pytest.fixture
def requests_(
    database: Database, clock: FrozenClock, audit: AuditLog, mailer: Mailer
) -> ResetRequests:
    return ResetRequests(database, clock, audit, mailer=mailer)


def add_org(database: Database, clock: FrozenClock, org_id: str, name: str) -> None:
    with database.session() as session:
        session.add(
            Organisation(
                id=org_id,
                slug=org_id,
                name=name,
                kind="standalone",
                mode="production",
                created_at=utc_datetime(clock),
            )
        )


def join(database: Database, clock: FrozenClock, org_id: str, user: User, role: str) -> None:
    with database.session() as session:
        session.add(
            Membership(org_id=org_id, user_id=user.id, role=role, created_at=utc_datetime(clock))
        )


@pytest.fixture
def carol(users: UserService) -> User:
    return users.create("carol", email="carol@example.org", password=None)


@pytest.fixture
def acme(database: Database, clock: FrozenClock, alice: User, bob: User, carol: User) -> str:
    """Acme: alice is a member; bob and carol are admins."""
    add_org(database, clock, "acme", "Acme")
    join(database, clock, "acme", alice, "member")
    join(database, clock, "acme", bob, "admin")
    join(database, clock, "acme", carol, "admin")
    return "acme"


def test_a_request_is_pending_for_the_org(
    requests_: ResetRequests, alice: User, acme: str, audit: AuditLog
) -> None:
    request = requests_.request(alice.id, acme, message="phone fell in the lake", ip="192.0.2.3")
    assert request.status == "pending"
    assert [r.id for r in requests_.pending(acme)] == [request.id]
    (event,) = audit.events(user_id=alice.id, event="mfa_reset_requested")
    assert event.org_id == acme
    assert event.ip == "192.0.2.3"


def test_every_admin_is_emailed(
    requests_: ResetRequests, mailer: Mailer, sent: Sent, alice: User, acme: str
) -> None:
    requests_.request(alice.id, acme, message="<b>lost</b>", approve_url="https://idp/admin/r/1")
    assert mailer.outbox.wait_idle(10)
    assert sorted(m.to for m in sent.messages) == ["bob@example.org", "carol@example.org"]
    message = sent.messages[0]
    assert message.kind == "reset_requested"
    assert "alice" in message.subject
    assert "https://idp/admin/r/1" in message.text
    assert "&lt;b&gt;lost&lt;/b&gt;" in message.html


def test_asking_twice_keeps_one_request(requests_: ResetRequests, alice: User, acme: str) -> None:
    first = requests_.request(alice.id, acme)
    second = requests_.request(alice.id, acme)
    assert first.id == second.id
    assert len(requests_.pending(acme)) == 1


def test_only_members_can_ask(requests_: ResetRequests, users: UserService, acme: str) -> None:
    stranger = users.create("dave", email=None, password=None)
    with pytest.raises(ResetRequestError, match="member"):
        requests_.request(stranger.id, acme)


def test_approval_resets_the_factor(
    requests_: ResetRequests,
    database: Database,
    clock: FrozenClock,
    keyring: Keyring,
    recovery: RecoveryCodes,
    audit: AuditLog,
    alice: User,
    bob: User,
    acme: str,
    mailer: Mailer,
    sent: Sent,
) -> None:
    totp = TotpService(database, keyring, clock, issuer_label="The Bridge")
    offer = totp.start_enrolment(alice.id, "alice")
    code = pyotp.TOTP(offer.secret).at(clock())
    assert totp.confirm_enrolment(alice.id, offer.credential_id, code)
    recovery.generate(alice.id)
    devices = TrustedDevices(database, clock, audit)
    token = devices.trust(alice.id, "Firefox on Linux", 30)
    request = requests_.request(alice.id, acme)
    mailer.outbox.wait_idle(10)
    sent.messages.clear()

    approved = requests_.approve(Actor(bob.id, ip="192.0.2.8"), acme, request.id)

    assert approved.status == "approved" and approved.decided_by == bob.id
    assert not totp.has_totp(alice.id)
    assert recovery.remaining(alice.id) == 0
    assert not devices.is_trusted(alice.id, token)
    assert requests_.pending(acme) == []
    (event,) = audit.events(user_id=alice.id, event="mfa_reset_approved")
    assert (event.actor_id, event.org_id, event.ip) == (bob.id, acme, "192.0.2.8")
    assert event.details["removed"] == {"totp": 1, "recovery_codes": 10, "trusted_devices": 1}
    assert audit.events(user_id=alice.id, event="mfa_reset")
    assert mailer.outbox.wait_idle(10)
    (message,) = sent.messages
    assert (message.kind, message.to) == ("reset_approved", "alice@example.org")


def test_a_request_is_decided_once(
    requests_: ResetRequests, alice: User, bob: User, carol: User, acme: str
) -> None:
    request = requests_.request(alice.id, acme)
    requests_.approve(Actor(bob.id), acme, request.id)
    with pytest.raises(ResetRequestError, match="already decided"):
        requests_.approve(Actor(carol.id), acme, request.id)


def test_no_one_approves_their_own_request(requests_: ResetRequests, bob: User, acme: str) -> None:
    request = requests_.request(bob.id, acme)
    with pytest.raises(ResetRequestError, match="Another admin"):
        requests_.approve(Actor(bob.id), acme, request.id)


def test_a_request_of_another_org_is_refused(
    requests_: ResetRequests,
    database: Database,
    clock: FrozenClock,
    alice: User,
    bob: User,
    acme: str,
) -> None:
    add_org(database, clock, "other", "Other")
    join(database, clock, "other", bob, "admin")
    request = requests_.request(alice.id, acme)
    with pytest.raises(ResetRequestError, match="No such"):
        requests_.approve(Actor(bob.id), "other", request.id)
    with pytest.raises(ResetRequestError, match="No such"):
        requests_.approve(Actor(bob.id), acme, "nope")


def test_only_an_admin_of_the_organisation_may_approve(
    requests_: ResetRequests,
    database: Database,
    clock: FrozenClock,
    users: UserService,
    alice: User,
    acme: str,
) -> None:
    request = requests_.request(alice.id, acme)
    add_org(database, clock, "other", "Other")
    dave = users.create("dave", email="dave@example.org", password=None)
    join(database, clock, "acme", dave, "member")
    join(database, clock, "other", dave, "admin")

    with pytest.raises(NotAnAdmin):
        requests_.approve(Actor(dave.id), acme, request.id)
    assert [r.id for r in requests_.pending(acme)] == [request.id]


def test_only_an_admin_of_the_organisation_sees_its_open_requests(
    requests_: ResetRequests, alice: User, bob: User, acme: str
) -> None:
    request = requests_.request(alice.id, acme)

    assert [r.id for r in requests_.awaiting(Actor(bob.id), acme)] == [request.id]
    with pytest.raises(NotAnAdmin):
        requests_.awaiting(Actor(alice.id), acme)


def test_the_user_may_withdraw(requests_: ResetRequests, alice: User, bob: User, acme: str) -> None:
    request = requests_.request(alice.id, acme)
    assert not requests_.cancel(request.id, bob.id)
    assert requests_.cancel(request.id, alice.id)
    assert requests_.pending(acme) == []
    with pytest.raises(ResetRequestError):
        requests_.approve(Actor(bob.id), acme, request.id)
