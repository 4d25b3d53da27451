"""Each process serves its copy of the JWKS, and a key another process rotated to is published
before any token it signs leaves (the announcement in the shared ephemeral store)."""

from __future__ import annotations

from bridge.domain.clock import FrozenClock
from bridge.services.keys import JWKS_MAX_AGE, PROPAGATION, SigningKeys
from bridge.storage.crypto import Keyring
from bridge.storage.db.engine import Database
from bridge.storage.ephemeral import MemoryStore


def _kids(keys: SigningKeys) -> list[str]:
    return [key["kid"] for key in keys.jwks()["keys"]]


def _process(
    database: Database, keyring: Keyring, clock: FrozenClock, store: MemoryStore
) -> SigningKeys:
    return SigningKeys(database, keyring, clock, store=store)


def test_a_key_rotated_to_elsewhere_is_published_here_at_once(
    database: Database, keyring: Keyring, clock: FrozenClock
) -> None:
    store = MemoryStore(clock)
    here, elsewhere = (_process(database, keyring, clock, store) for _ in range(2))
    first = here.ensure_active()
    assert _kids(here) == [first]
    clock.advance(1)  # newest first
    new = elsewhere.rotate()
    assert _kids(here) == [new, first]


def test_a_key_signed_with_elsewhere_is_published_here_at_once(
    database: Database, keyring: Keyring, clock: FrozenClock
) -> None:
    """A rotation whose announcement was lost (another store, as for ``bridge keys rotate``
    beside a single process with the in-process store): the first signature announces it."""
    here = _process(database, keyring, clock, MemoryStore(clock))
    first = here.ensure_active()
    clock.advance(1)  # newest first
    new = _process(database, keyring, clock, MemoryStore(clock)).rotate()
    assert _kids(here) == [first]  # the copy: nothing announced the new key here
    assert here.signer()[0] == new
    assert _kids(here) == [new, first]


def test_the_copy_is_read_again_after_its_maximum_age(
    database: Database, keyring: Keyring, clock: FrozenClock
) -> None:
    here = _process(database, keyring, clock, MemoryStore(clock))
    first = here.ensure_active()
    clock.advance(1)  # newest first
    new = _process(database, keyring, clock, MemoryStore(clock)).rotate()
    clock.advance(JWKS_MAX_AGE)
    assert _kids(here) == [new, first]


def test_a_copy_found_current_is_not_asked_about_again_within_the_bound(
    database: Database, keyring: Keyring, clock: FrozenClock
) -> None:
    """Issue 16: the JWKS does not ask the store on every request; a key announced elsewhere
    is published here within ``PROPAGATION`` seconds."""
    store = MemoryStore(clock)
    here, elsewhere = (_process(database, keyring, clock, store) for _ in range(2))
    first = here.ensure_active()
    clock.advance(1)  # newest first
    assert _kids(here) == [first]  # looked at the announcement: none names another key
    new = elsewhere.rotate()
    assert _kids(here) == [first]
    clock.advance(PROPAGATION)
    assert _kids(here) == [new, first]


def test_no_process_signs_with_a_new_key_before_every_process_publishes_it(
    database: Database, keyring: Keyring, clock: FrozenClock
) -> None:
    store = MemoryStore(clock)
    serving = SigningKeys(database, keyring, clock, store=store, shared_store=store)
    publishing = _process(database, keyring, clock, store)
    rotating = _process(database, keyring, clock, store)
    first = serving.ensure_active()
    clock.advance(1)  # newest first
    assert _kids(publishing) == [first]  # its look holds for PROPAGATION seconds
    rotated_at = clock()
    new = rotating.rotate()
    assert serving.signer()[0] == new
    assert clock() >= rotated_at + PROPAGATION  # the first signature waited for the bound
    assert _kids(publishing) == [new, first]
    signed_at = clock()
    assert serving.signer()[0] == new
    assert clock() == signed_at  # once per key and process


def test_the_first_key_signs_without_waiting(
    database: Database, keyring: Keyring, clock: FrozenClock
) -> None:
    """Every process reads the first key before it serves: no copy lacks it."""
    store = MemoryStore(clock)
    serving = SigningKeys(database, keyring, clock, store=store, shared_store=store)
    another = SigningKeys(database, keyring, clock, store=store, shared_store=store)
    first = serving.ensure_active()
    started = clock()
    assert serving.signer()[0] == first
    assert another.signer()[0] == first
    assert serving.signer()[0] == first
    assert clock() == started
