"""TOTP: enrolment becomes active only with a valid code; every time-step is accepted once."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest
from sqlalchemy import select

from bridge.domain.clock import FrozenClock
from bridge.services.totp import TotpService
from bridge.services.users import UserService
from bridge.storage.db.engine import Database
from bridge.storage.db.models import TotpCredential, User
from bridge.storage.db.unit import unit_of_work

pytestmark = pytest.mark.postgres("the storage contract holds on both dialects")

PERIOD = 30
# The same code in other scripts' digits: Unicode calls them digits, a TOTP code does not.
ARABIC_INDIC = str.maketrans({str(d): chr(0x0660 + d) for d in range(10)})
FULLWIDTH = str.maketrans({str(d): chr(0xFF10 + d) for d in range(10)})


def code_at(secret: str, clock: FrozenClock, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock() + steps * PERIOD)


@pytest.fixture
def secret(totp: TotpService, alice: User, clock: FrozenClock) -> str:
    """Alice's confirmed secret; the clock has moved on to a fresh time-step."""
    offer = totp.start_enrolment(alice.id, "alice")
    assert totp.confirm_enrolment(alice.id, offer.credential_id, code_at(offer.secret, clock))
    clock.advance(PERIOD)
    return offer.secret


def _credentials(database: Database, user_id: str) -> list[TotpCredential]:
    with database.session() as session:
        return list(
            session.scalars(select(TotpCredential).where(TotpCredential.user_id == user_id))
        )


# --- enrolment ----------------------------------------------------------------------------


def test_an_offer_carries_a_160_bit_base32_secret(totp: TotpService, alice: User) -> None:
    offer = totp.start_enrolment(alice.id, "alice")
    assert len(offer.secret) == 32
    assert len(base64.b32decode(offer.secret)) == 20


def test_an_offer_carries_an_otpauth_uri_with_issuer_and_label(
    totp: TotpService, alice: User
) -> None:
    uri = urlsplit(totp.start_enrolment(alice.id, "alice@example.org").otpauth_uri)
    query = parse_qs(uri.query)
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == "/The Bridge:alice@example.org"
    assert query["issuer"] == ["The Bridge"]
    assert len(query["secret"][0]) == 32


def test_the_secret_is_stored_encrypted(totp: TotpService, alice: User, database: Database) -> None:
    offer = totp.start_enrolment(alice.id, "alice")
    (row,) = _credentials(database, alice.id)
    assert row.secret_ciphertext.startswith("v1.k1.")
    assert offer.secret not in row.secret_ciphertext


def test_an_unconfirmed_offer_is_not_an_active_second_factor(
    totp: TotpService, alice: User, clock: FrozenClock
) -> None:
    offer = totp.start_enrolment(alice.id, "alice")
    assert not totp.has_totp(alice.id)
    assert not totp.verify(alice.id, code_at(offer.secret, clock))


def test_a_valid_code_confirms_the_enrolment(
    totp: TotpService, alice: User, clock: FrozenClock
) -> None:
    offer = totp.start_enrolment(alice.id, "alice")
    assert totp.confirm_enrolment(alice.id, offer.credential_id, code_at(offer.secret, clock))
    assert totp.has_totp(alice.id)


def test_a_wrong_code_does_not_confirm_the_enrolment(
    totp: TotpService, alice: User, clock: FrozenClock
) -> None:
    offer = totp.start_enrolment(alice.id, "alice")
    wrong = f"{(int(code_at(offer.secret, clock)) + 1) % 1_000_000:06d}"
    assert not totp.confirm_enrolment(alice.id, offer.credential_id, wrong)
    assert not totp.has_totp(alice.id)


def test_an_unknown_credential_does_not_confirm(
    totp: TotpService, alice: User, clock: FrozenClock
) -> None:
    assert not totp.confirm_enrolment(alice.id, "0" * 32, "123456")


def test_another_users_credential_does_not_confirm(
    totp: TotpService, alice: User, users: UserService, clock: FrozenClock
) -> None:
    bob = users.create("bob", email=None, password="long enough")
    offer = totp.start_enrolment(alice.id, "alice")
    assert not totp.confirm_enrolment(bob.id, offer.credential_id, code_at(offer.secret, clock))
    assert not totp.has_totp(bob.id)
    assert not totp.has_totp(alice.id)


def test_confirming_a_new_secret_deletes_the_old_one(
    totp: TotpService, alice: User, secret: str, clock: FrozenClock, database: Database
) -> None:
    offer = totp.start_enrolment(alice.id, "alice")
    assert totp.confirm_enrolment(alice.id, offer.credential_id, code_at(offer.secret, clock))
    assert [c.id for c in _credentials(database, alice.id)] == [offer.credential_id]
    clock.advance(PERIOD)
    assert not totp.verify(alice.id, code_at(secret, clock))
    assert totp.verify(alice.id, code_at(offer.secret, clock))


def test_starting_an_enrolment_again_drops_the_earlier_unconfirmed_offer(
    totp: TotpService, alice: User, database: Database
) -> None:
    totp.start_enrolment(alice.id, "alice")
    second = totp.start_enrolment(alice.id, "alice")
    assert [c.id for c in _credentials(database, alice.id)] == [second.credential_id]


def test_the_confirmation_code_cannot_be_used_to_sign_in(
    totp: TotpService, alice: User, clock: FrozenClock
) -> None:
    offer = totp.start_enrolment(alice.id, "alice")
    code = code_at(offer.secret, clock)
    assert totp.confirm_enrolment(alice.id, offer.credential_id, code)
    assert not totp.verify(alice.id, code)


# --- verification -------------------------------------------------------------------------


def test_the_current_code_is_accepted(
    totp: TotpService, alice: User, secret: str, clock: FrozenClock
) -> None:
    assert totp.verify(alice.id, code_at(secret, clock))


def test_a_code_is_accepted_only_once(
    totp: TotpService, alice: User, secret: str, clock: FrozenClock
) -> None:
    code = code_at(secret, clock)
    assert totp.verify(alice.id, code)
    assert not totp.verify(alice.id, code)


def test_the_previous_and_next_steps_are_accepted_for_clock_drift(
    totp: TotpService, alice: User, secret: str, clock: FrozenClock
) -> None:
    clock.advance(PERIOD)  # the step before now is newer than the confirmation's step
    assert totp.verify(alice.id, code_at(secret, clock, steps=-1))
    assert totp.verify(alice.id, code_at(secret, clock, steps=+1))


def test_codes_two_steps_away_are_refused(
    totp: TotpService, alice: User, secret: str, clock: FrozenClock
) -> None:
    clock.advance(3 * PERIOD)
    assert not totp.verify(alice.id, code_at(secret, clock, steps=-2))
    assert not totp.verify(alice.id, code_at(secret, clock, steps=+2))


def test_an_older_step_is_refused_after_a_newer_one(
    totp: TotpService, alice: User, secret: str, clock: FrozenClock
) -> None:
    clock.advance(PERIOD)
    assert totp.verify(alice.id, code_at(secret, clock))
    assert not totp.verify(alice.id, code_at(secret, clock, steps=-1))


def test_spaces_in_a_code_are_ignored(
    totp: TotpService, alice: User, secret: str, clock: FrozenClock
) -> None:
    code = code_at(secret, clock)
    assert totp.verify(alice.id, f" {code[:3]} {code[3:]} ")


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda c: c[:5], id="five-digits"),
        pytest.param(lambda c: c + "0", id="seven-digits"),
        pytest.param(lambda c: c[:5] + "a", id="a-letter"),
        pytest.param(lambda c: c.translate(ARABIC_INDIC), id="arabic-indic-digits"),
        pytest.param(lambda c: c.translate(FULLWIDTH), id="fullwidth-digits"),
        pytest.param(lambda c: f"+{c[1:]}", id="sign"),
        pytest.param(lambda c: "", id="empty"),
    ],
)
def test_a_code_that_is_not_exactly_six_ascii_digits_is_refused(
    totp: TotpService, alice: User, secret: str, clock: FrozenClock, spoil: Callable[[str], str]
) -> None:
    assert not totp.verify(alice.id, spoil(code_at(secret, clock)))
    assert totp.verify(alice.id, code_at(secret, clock))  # the real code is still unused


def test_a_user_without_totp_is_refused(totp: TotpService, alice: User) -> None:
    assert not totp.verify(alice.id, "123456")


def test_disable_removes_the_second_factor(
    totp: TotpService, alice: User, secret: str, clock: FrozenClock, database: Database
) -> None:
    totp.disable(alice.id)
    assert not totp.has_totp(alice.id)
    assert not totp.verify(alice.id, code_at(secret, clock))
    assert _credentials(database, alice.id) == []


# --- concurrency ----------------------------------------------------------------------------


def _race(action: Callable[[], bool], threads: int = 20) -> list[bool]:
    barrier = threading.Barrier(threads)

    def run() -> bool:
        barrier.wait()
        return action()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return [f.result() for f in [pool.submit(run) for _ in range(threads)]]


@pytest.mark.postgres("a race between connections: PostgreSQL's locking decides it", committed=True)
def test_of_parallel_requests_with_one_code_exactly_one_wins(
    totp: TotpService, alice: User, secret: str, clock: FrozenClock
) -> None:
    code = code_at(secret, clock)
    assert _race(lambda: totp.verify(alice.id, code)).count(True) == 1


@pytest.mark.postgres(
    "a race between connections, each one unit of work: PostgreSQL's locking decides it",
    committed=True,
)
def test_of_parallel_requests_each_one_transaction_with_one_code_exactly_one_wins(
    totp: TotpService, users: UserService, alice: User, secret: str, clock: FrozenClock
) -> None:
    code = code_at(secret, clock)

    def request() -> bool:
        # As a login request: reads before the guard, more work after it, one commit at the end.
        with unit_of_work():
            assert users.find("alice") is not None
            won = totp.verify(alice.id, code)
            assert totp.has_totp(alice.id)
            return won

    assert _race(request).count(True) == 1


@pytest.mark.postgres("a race between connections: PostgreSQL's locking decides it", committed=True)
def test_of_parallel_confirmations_with_one_code_exactly_one_wins(
    totp: TotpService, alice: User, clock: FrozenClock
) -> None:
    offer = totp.start_enrolment(alice.id, "alice")
    code = code_at(offer.secret, clock)
    results = _race(lambda: totp.confirm_enrolment(alice.id, offer.credential_id, code))
    assert results.count(True) == 1
