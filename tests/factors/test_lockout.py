"""Lockout: counted before judged, locked durably, lifted by an admin or by time; IP throttling."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bridge.domain.clock import FrozenClock
from bridge.mail import Mailer
from bridge.services.audit import AuditLog
from bridge.services.lockout import Attempt, Kind, Lockout, LockoutPolicy, Outcome, Submission
from bridge.services.users import UserService
from bridge.storage.db.engine import Database
from bridge.storage.db.models import User
from bridge.storage.ephemeral import EphemeralStore, MemoryStore, RedisStore
from tests.factors.conftest import Sent

DEFAULT = LockoutPolicy()


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest, clock: FrozenClock) -> Iterator[EphemeralStore]:
    if request.param == "memory":
        yield MemoryStore(clock)
        return
    redis_store = RedisStore(
        request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
    )
    yield redis_store
    redis_store.close()


@pytest.fixture
def lockout(
    database: Database, store: EphemeralStore, clock: FrozenClock, audit: AuditLog, mailer: Mailer
) -> Lockout:
    return Lockout(database, store, clock, audit, mailer=mailer, ip_limit=5, ip_window=60)


def wrong(lockout: Lockout, user: User, kind: Kind, policy: LockoutPolicy = DEFAULT) -> Outcome:
    attempt = lockout.attempt(user.id, kind, policy)
    assert attempt.allowed
    return lockout.failed(attempt, policy)


def test_third_wrong_code_locks_the_account(lockout: Lockout, alice: User) -> None:
    assert wrong(lockout, alice, "code") is Outcome.RETRY
    assert wrong(lockout, alice, "code") is Outcome.RETRY
    assert wrong(lockout, alice, "code") is Outcome.LOCKED
    lock = lockout.status(alice.id)
    assert lock is not None and lock.reason == "codes" and lock.expires_at is None


def test_fifth_wrong_password_locks_the_account(lockout: Lockout, alice: User) -> None:
    outcomes = [wrong(lockout, alice, "password") for _ in range(5)]
    assert outcomes == [Outcome.RETRY] * 4 + [Outcome.LOCKED]
    assert lockout.is_locked(alice.id)


def test_the_lock_is_durable(lockout: Lockout, alice: User, users: UserService) -> None:
    for _ in range(3):
        wrong(lockout, alice, "code")
    user = users.get(alice.id)
    assert user is not None and user.locked_at is not None
    lockout.reset(alice.id)  # the counters may vanish (a Redis restart): still locked
    assert lockout.is_locked(alice.id)


def test_a_right_code_forgives_earlier_wrong_ones(lockout: Lockout, alice: User) -> None:
    wrong(lockout, alice, "code")
    wrong(lockout, alice, "code")
    lockout.succeeded(lockout.attempt(alice.id, "code", DEFAULT))
    assert wrong(lockout, alice, "code") is Outcome.RETRY
    assert wrong(lockout, alice, "code") is Outcome.RETRY


def test_failures_count_across_sessions_and_kinds_separately(
    lockout: Lockout, alice: User, bob: User
) -> None:
    for _ in range(4):
        wrong(lockout, alice, "password")
    wrong(lockout, alice, "code")
    wrong(lockout, bob, "code")
    wrong(lockout, bob, "code")
    assert not lockout.is_locked(alice.id)
    assert not lockout.is_locked(bob.id)


def test_a_locked_account_has_no_code_evaluated(lockout: Lockout, alice: User) -> None:
    for _ in range(3):
        wrong(lockout, alice, "code")
    attempt = lockout.attempt(alice.id, "code", DEFAULT)
    assert attempt == Attempt(alice.id, "code", 0, allowed=False, locked=True)


def test_a_locked_accounts_password_may_be_checked_for_the_message(
    lockout: Lockout, alice: User
) -> None:
    for _ in range(3):
        wrong(lockout, alice, "code")
    attempt = lockout.attempt(alice.id, "password", DEFAULT)
    assert attempt.allowed and attempt.locked
    assert lockout.failed(attempt, DEFAULT) is Outcome.LOCKED


@pytest.mark.postgres("a race between connections: PostgreSQL's locking decides it", committed=True)
def test_twenty_parallel_wrong_codes_evaluate_exactly_three(
    lockout: Lockout, alice: User, audit: AuditLog
) -> None:
    barrier = threading.Barrier(20)
    evaluated: list[int] = []
    outcomes: list[Outcome | None] = []
    guard = threading.Lock()

    def guess() -> None:
        barrier.wait()
        attempt = lockout.attempt(alice.id, "code", DEFAULT)
        if not attempt.allowed:
            with guard:
                outcomes.append(None)
            return
        with guard:
            evaluated.append(attempt.number)
        outcome = lockout.failed(attempt, DEFAULT)  # every guess is wrong
        with guard:
            outcomes.append(outcome)

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(evaluated) == [1, 2, 3]
    assert outcomes.count(None) == 17
    assert lockout.is_locked(alice.id)
    assert len(audit.events(user_id=alice.id, event="account_locked")) == 1


def test_the_restart_policy_ends_the_login_without_locking(lockout: Lockout, alice: User) -> None:
    policy = LockoutPolicy(action="restart")
    assert [wrong(lockout, alice, "code", policy) for _ in range(3)] == [
        Outcome.RETRY,
        Outcome.RETRY,
        Outcome.RESTART,
    ]
    assert not lockout.is_locked(alice.id)
    assert wrong(lockout, alice, "code", policy) is Outcome.RETRY  # a new login, a new count


def test_a_timed_lock_lifts_itself(
    lockout: Lockout, alice: User, clock: FrozenClock, audit: AuditLog
) -> None:
    policy = LockoutPolicy(action="timed", lock_minutes=15)
    for _ in range(3):
        wrong(lockout, alice, "code", policy)
    lock = lockout.status(alice.id)
    assert lock is not None and lock.expires_at is not None
    assert lock.expires_at.timestamp() == clock() + 15 * 60
    clock.advance(15 * 60 - 1)
    assert lockout.is_locked(alice.id)
    clock.advance(1)
    assert not lockout.is_locked(alice.id)
    assert wrong(lockout, alice, "code", policy) is Outcome.RETRY
    (event,) = audit.events(user_id=alice.id, event="account_unlocked")
    assert event.reason == "lock_expired"


def test_an_admin_unlocks(lockout: Lockout, alice: User, bob: User, audit: AuditLog) -> None:
    for _ in range(5):
        wrong(lockout, alice, "password")
    assert lockout.unlock(alice.id, actor_id=bob.id, ip="192.0.2.9")
    assert not lockout.is_locked(alice.id)
    assert not lockout.unlock(alice.id, actor_id=bob.id)
    assert wrong(lockout, alice, "password") is Outcome.RETRY  # counters start again
    (event,) = audit.events(user_id=alice.id, event="account_unlocked")
    assert event.actor_id == bob.id
    assert event.ip == "192.0.2.9"


def test_a_lock_set_elsewhere_is_honoured(
    lockout: Lockout, alice: User, database: Database, clock: FrozenClock
) -> None:
    from bridge.domain.clock import utc_datetime

    with database.session() as session:
        user = session.get(User, alice.id)
        assert user is not None
        user.locked_at = utc_datetime(clock)
    lock = lockout.status(alice.id)
    assert lock is not None and lock.reason == "admin"
    assert not lockout.attempt(alice.id, "code", DEFAULT).allowed


def test_the_user_is_emailed_when_the_account_locks(
    lockout: Lockout, alice: User, mailer: Mailer, sent: Sent
) -> None:
    for _ in range(3):
        wrong(lockout, alice, "code")
    assert mailer.outbox.wait_idle(10)
    (message,) = sent.messages
    assert message.kind == "account_locked"
    assert message.to == "alice@example.org"
    assert "wrong codes" in message.text


def test_locking_is_audited_with_the_reason(lockout: Lockout, alice: User, audit: AuditLog) -> None:
    for _ in range(5):
        attempt = lockout.attempt(alice.id, "password", DEFAULT)
        lockout.failed(attempt, DEFAULT, ip="198.51.100.4")
    (event,) = audit.events(user_id=alice.id, event="account_locked")
    assert event.reason == "passwords"
    assert event.ip == "198.51.100.4"


def test_an_ip_over_the_limit_is_told_when_to_retry(lockout: Lockout) -> None:
    assert [lockout.admit("192.0.2.1") for _ in range(5)] == [None] * 5
    retry_after = lockout.admit("192.0.2.1")
    assert retry_after is not None and 1 <= retry_after <= 60
    assert lockout.admit("192.0.2.2") is None


def test_a_submission_that_did_not_fail_gives_its_slot_back(lockout: Lockout) -> None:
    for _ in range(20):
        assert lockout.admit("192.0.2.1") is None
        lockout.give_back("192.0.2.1")
    assert [lockout.admit("192.0.2.1") for _ in range(5)] == [None] * 5
    assert lockout.admit("192.0.2.1") is not None


def test_a_settled_submission_forgives_its_right_guesses_and_gives_its_slot_back(
    lockout: Lockout, alice: User
) -> None:
    wrong(lockout, alice, "code")
    wrong(lockout, alice, "code")
    for _ in range(20):
        assert lockout.admit("192.0.2.1") is None
        submission = Submission("192.0.2.1")
        lockout.succeeded(lockout.attempt(alice.id, "code", DEFAULT), submission)
        lockout.settle(submission)
    assert [lockout.admit("192.0.2.1") for _ in range(5)] == [None] * 5
    assert wrong(lockout, alice, "code") is Outcome.RETRY
    assert wrong(lockout, alice, "code") is Outcome.RETRY


def test_a_failed_submission_keeps_its_slot_and_still_forgives(
    lockout: Lockout, alice: User
) -> None:
    wrong(lockout, alice, "password")
    for _ in range(5):
        assert lockout.admit("192.0.2.1") is None
        submission = Submission("192.0.2.1", failed=True)
        lockout.succeeded(lockout.attempt(alice.id, "password", DEFAULT), submission)
        lockout.settle(submission)
    assert lockout.admit("192.0.2.1") is not None
    outcomes = [wrong(lockout, alice, "password") for _ in range(5)]
    assert outcomes == [Outcome.RETRY] * 4 + [Outcome.LOCKED]


def test_a_guess_after_a_right_one_in_the_same_submission_counts_from_one(
    lockout: Lockout, alice: User
) -> None:
    wrong(lockout, alice, "code")
    wrong(lockout, alice, "code")
    submission = Submission("192.0.2.1")
    lockout.succeeded(lockout.attempt(alice.id, "code", DEFAULT), submission)
    again = lockout.attempt(alice.id, "code", DEFAULT, submission=submission)
    assert again.number == 1
    assert lockout.failed(again, DEFAULT) is Outcome.RETRY
    lockout.settle(submission)
    assert wrong(lockout, alice, "code") is Outcome.RETRY  # the wrong one still counts: 2


def test_a_parallel_burst_from_one_address_has_exactly_the_limit_judged(lockout: Lockout) -> None:
    admitted: list[bool] = []
    start = threading.Barrier(30)

    def submit() -> None:
        start.wait()
        admitted.append(lockout.admit("192.0.2.9") is None)

    threads = [threading.Thread(target=submit) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert admitted.count(True) == lockout.ip_limit == 5
    assert admitted.count(False) == 25


@pytest.mark.parametrize(
    "bad",
    [
        {"code_failures": 0},
        {"password_failures": 101},
        {"action": "explode"},
        {"lock_minutes": 0},
        {"window": 10},
    ],
)
def test_a_policy_outside_the_limits_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must be"):
        LockoutPolicy(**bad)  # type: ignore[arg-type]


def test_a_user_of_several_organisations_gets_the_strictest_policy() -> None:
    from bridge.storage.db.models import Organisation

    def org(password: int, code: int, action: str) -> Organisation:
        return Organisation(
            lockout_password_failures=password, lockout_code_failures=code, lockout_action=action
        )

    assert LockoutPolicy.strictest([]) == LockoutPolicy()
    assert LockoutPolicy.strictest([org(5, 3, "restart")]) == LockoutPolicy(action="restart")
    assert LockoutPolicy.strictest([org(5, 3, "restart"), org(8, 2, "lock")]) == LockoutPolicy(
        password_failures=5, code_failures=2, action="lock"
    )


def test_a_guess_refused_unjudged_changes_nothing(lockout: Lockout, alice: User) -> None:
    policy = LockoutPolicy(action="restart", code_failures=1)
    first = lockout.attempt(alice.id, "code", policy)
    second = lockout.attempt(alice.id, "code", policy)  # in parallel with the first
    assert first.allowed and not second.allowed
    assert lockout.failed(second, policy) is Outcome.RESTART
    assert not lockout.attempt(alice.id, "code", policy).allowed  # the count was kept
    assert lockout.failed(first, policy) is Outcome.RESTART
    assert lockout.attempt(alice.id, "code", policy).allowed  # a new login, a new count
