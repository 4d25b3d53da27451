"""Trusted browsers: a hashed random token, good only for its user until it expires."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from bridge.domain.clock import FrozenClock, utc_datetime
from bridge.services.audit import AuditLog
from bridge.services.trusted_devices import (
    DEFAULT_DAYS,
    TrustedDevices,
    describe_user_agent,
    trust_days,
)
from bridge.storage.db.engine import Database
from bridge.storage.db.models import Membership, Organisation, TrustedDevice, User

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
EDGE = CHROME_MAC.replace("Macintosh; Intel Mac OS X 10_15_7", "Windows NT 10.0; Win64; x64") + (
    " Edg/131.0.0.0"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
DAY = 86_400


@pytest.fixture
def devices(database: Database, clock: FrozenClock, audit: AuditLog) -> TrustedDevices:
    return TrustedDevices(database, clock, audit)


def test_a_trusted_browser_skips_the_code(devices: TrustedDevices, alice: User) -> None:
    token = devices.trust(alice.id, "Firefox on Linux", 30)
    assert devices.is_trusted(alice.id, token)


def test_only_the_hash_is_stored(devices: TrustedDevices, alice: User, database: Database) -> None:
    token = devices.trust(alice.id, "Firefox on Linux", 30)
    with database.session() as session:
        (row,) = session.scalars(select(TrustedDevice))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_hash


def test_another_users_cookie_is_not_trusted(
    devices: TrustedDevices, alice: User, bob: User
) -> None:
    token = devices.trust(alice.id, "Firefox on Linux", 30)
    assert not devices.is_trusted(bob.id, token)


def test_a_tampered_missing_or_unknown_token_is_not_trusted(
    devices: TrustedDevices, alice: User
) -> None:
    token = devices.trust(alice.id, "Firefox on Linux", 30)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for value in (flipped, None, "", "x" * 43, token + "x", "' OR 1=1 --", "ä" * 43):
        assert not devices.is_trusted(alice.id, value)


def test_trust_ends_after_the_days_given(
    devices: TrustedDevices, alice: User, clock: FrozenClock
) -> None:
    token = devices.trust(alice.id, "Firefox on Linux", 7)
    clock.advance(7 * DAY - 1)
    assert devices.is_trusted(alice.id, token)
    clock.advance(1)
    assert not devices.is_trusted(alice.id, token)
    assert devices.list(alice.id) == []


@pytest.mark.parametrize("days", [0, -1, 91, 365])
def test_days_outside_the_allowed_range_are_refused(
    devices: TrustedDevices, alice: User, days: int
) -> None:
    with pytest.raises(ValueError, match="between 1 and 90"):
        devices.trust(alice.id, "x", days)


def test_use_is_noted(devices: TrustedDevices, alice: User, clock: FrozenClock) -> None:
    token = devices.trust(alice.id, "Firefox on Linux", 30)
    clock.advance(DAY)
    devices.is_trusted(alice.id, token)
    (device,) = devices.list(alice.id)
    assert device.last_used_at.timestamp() == clock()
    assert device.created_at.timestamp() == clock() - DAY


def test_the_list_shows_each_browser(devices: TrustedDevices, alice: User, bob: User) -> None:
    devices.trust(alice.id, "Firefox on Linux", 30)
    devices.trust(alice.id, "Chrome on macOS", 30)
    devices.trust(bob.id, "Edge on Windows", 30)
    assert sorted(d.description for d in devices.list(alice.id)) == [
        "Chrome on macOS",
        "Firefox on Linux",
    ]


def test_revoking_one_browser(devices: TrustedDevices, alice: User, bob: User) -> None:
    kept = devices.trust(alice.id, "Firefox on Linux", 30)
    gone = devices.trust(alice.id, "Chrome on macOS", 30)
    target = next(d for d in devices.list(alice.id) if d.description == "Chrome on macOS")
    assert not devices.revoke(bob.id, target.id)  # not bob's
    assert devices.revoke(alice.id, target.id)
    assert not devices.is_trusted(alice.id, gone)
    assert devices.is_trusted(alice.id, kept)
    assert not devices.revoke(alice.id, target.id)


def test_revoking_all_browsers(
    devices: TrustedDevices, alice: User, bob: User, audit: AuditLog
) -> None:
    tokens = [devices.trust(alice.id, "Firefox on Linux", 30) for _ in range(3)]
    bobs = devices.trust(bob.id, "Edge on Windows", 30)
    assert devices.revoke_all(alice.id, actor_id=bob.id, reason="mfa_reset") == 3
    assert not any(devices.is_trusted(alice.id, token) for token in tokens)
    assert devices.is_trusted(bob.id, bobs)
    event = audit.events(user_id=alice.id, event="device_revoked")[0]
    assert event.actor_id == bob.id
    assert event.details == {"count": 3, "all": True}


def test_trusting_is_audited(devices: TrustedDevices, alice: User, audit: AuditLog) -> None:
    devices.trust(alice.id, "Firefox on Linux", 14, ip="192.0.2.7")
    (event,) = audit.events(user_id=alice.id)
    assert event.event == "device_trusted"
    assert event.ip == "192.0.2.7"
    assert event.details["days"] == 14


@pytest.mark.parametrize(
    ("user_agent", "description"),
    [
        (FIREFOX, "Firefox on Linux"),
        (CHROME_MAC, "Chrome on macOS"),
        (EDGE, "Edge on Windows"),
        (SAFARI_IPHONE, "Safari on iOS"),
        ("curl/8.5.0", "curl/8.5.0"),
        (None, "Unknown browser"),
        ("x" * 5000, "x" * 200),
    ],
)
def test_browser_descriptions(user_agent: str | None, description: str) -> None:
    assert describe_user_agent(user_agent) == description


def test_a_long_description_is_trimmed(devices: TrustedDevices, alice: User) -> None:
    devices.trust(alice.id, "  many   spaces " + "y" * 500, 30)
    (device,) = devices.list(alice.id)
    assert device.description.startswith("many spaces y")
    assert len(device.description) == 200


def test_the_cookie_is_httponly_lax_and_lives_as_long_as_the_trust() -> None:
    from bridge.services.trusted_devices import cookie_options

    assert cookie_options(30, secure=True) == {
        "max_age": 30 * DAY,
        "httponly": True,
        "secure": True,
        "samesite": "Lax",
        "path": "/",
    }


def _org(slug: str, *, enabled: bool = True, days: int = 30) -> Organisation:
    return Organisation(
        id=slug,
        slug=slug,
        name=slug.title(),
        kind="standalone",
        mode="production",
        trusted_browsers_enabled=enabled,
        trusted_browser_days=days,
    )


def test_a_user_of_no_organisation_may_trust_a_browser_for_the_default_days() -> None:
    assert trust_days([]) == DEFAULT_DAYS == 30


def test_the_shortest_limit_of_the_users_organisations_wins() -> None:
    assert trust_days([_org("acme", days=60), _org("globex", days=7)]) == 7


def test_one_organisation_without_trusted_browsers_turns_them_off() -> None:
    assert trust_days([_org("acme", days=60), _org("globex", enabled=False)]) is None


def test_days_for_reads_the_users_organisations(
    devices: TrustedDevices, database: Database, clock: FrozenClock, alice: User, bob: User
) -> None:
    now = utc_datetime(clock)
    with database.session() as session:
        org = _org("acme", days=14)
        org.created_at = now
        session.add(org)
        session.flush()
        session.add(Membership(org_id="acme", user_id=alice.id, role="member", created_at=now))
    assert devices.days_for(alice.id) == 14
    assert devices.days_for(bob.id) == DEFAULT_DAYS
