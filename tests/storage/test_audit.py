"""The audit log: append events, read them back newest first."""

from __future__ import annotations

import pytest

from bridge.domain.clock import FrozenClock, as_utc
from bridge.domain.events import AuditEventName as Event
from bridge.services.audit import AuditLog

pytestmark = pytest.mark.postgres("the storage contract holds on both dialects")


def test_a_recorded_event_reads_back_with_every_field(audit: AuditLog, clock: FrozenClock) -> None:
    audit.record(
        Event.SIGN_IN_FAILED,
        user_id="u1",
        actor_id="a1",
        client_id="c1",
        ip="203.0.113.7",
        user_agent="Firefox",
        mfa_factor_type="totp",
        reason="wrong_code",
        details={"attempt": 2},
    )
    (event,) = audit.events()
    assert (event.event, event.user_id, event.actor_id, event.client_id) == (
        "sign_in_failed",
        "u1",
        "a1",
        "c1",
    )
    assert (event.ip, event.user_agent, event.mfa_factor_type, event.reason) == (
        "203.0.113.7",
        "Firefox",
        "totp",
        "wrong_code",
    )
    assert event.details == {"attempt": 2}
    assert as_utc(event.occurred_at).timestamp() == clock()


def test_events_are_listed_newest_first(audit: AuditLog, clock: FrozenClock) -> None:
    audit.record(Event.SIGN_IN_FAILED)
    clock.advance(1)
    audit.record(Event.ACCOUNT_LOCKED)
    audit.record(Event.ACCOUNT_UNLOCKED)  # same instant: insertion order decides
    assert [e.event for e in audit.events()] == [
        "account_unlocked",
        "account_locked",
        "sign_in_failed",
    ]


def test_events_can_be_filtered_by_user_and_event(audit: AuditLog) -> None:
    audit.record(Event.SIGN_IN_SUCCEEDED, user_id="u1")
    audit.record(Event.SIGN_IN_FAILED, user_id="u1")
    audit.record(Event.SIGN_IN_SUCCEEDED, user_id="u2")
    assert len(audit.events(user_id="u1")) == 2
    assert [e.user_id for e in audit.events(event="sign_in_succeeded", user_id="u2")] == ["u2"]


def test_events_are_limited(audit: AuditLog) -> None:
    names = list(Event)[:5]
    for name in names:
        audit.record(name)
    assert [e.event for e in audit.events(limit=2)] == [names[4].value, names[3].value]


def test_overlong_request_strings_are_clipped(audit: AuditLog) -> None:
    audit.record(Event.SIGN_IN_FAILED, ip="x" * 200, reason="r" * 300)
    (event,) = audit.events()
    assert event.ip == "x" * 64
    assert event.reason == "r" * 100


def test_details_default_to_an_empty_object(audit: AuditLog) -> None:
    audit.record(Event.MFA_SETUP_SUCCEEDED)
    assert audit.events()[0].details == {}


def test_an_event_is_stored_under_its_plain_name(audit: AuditLog) -> None:
    audit.record(Event.MFA_RESET_BY_ADMIN)
    (event,) = audit.events(event="mfa_reset_by_admin")
    assert type(event.event) is str
    assert event.event == "mfa_reset_by_admin"


def test_a_name_that_is_not_an_audit_event_is_refused(audit: AuditLog) -> None:
    with pytest.raises(ValueError, match="not_an_event"):
        audit.record("not_an_event")  # type: ignore[arg-type]
    assert audit.events() == []
