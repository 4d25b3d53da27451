"""Local accounts: names are case-insensitive, passwords are checked in constant time."""

from __future__ import annotations

import pytest

from bridge.domain.clock import FrozenClock
from bridge.services.passwords import PasswordHasher
from bridge.services.users import (
    InvalidUsername,
    UnknownUser,
    UserExists,
    UserService,
    WeakPassword,
)
from bridge.storage.db.engine import Database
from bridge.storage.db.models import User

pytestmark = pytest.mark.postgres("the storage contract holds on both dialects")


def test_a_created_user_can_be_found_by_id_and_name(users: UserService, alice: User) -> None:
    by_id = users.get(alice.id)
    assert by_id is not None
    assert by_id.username == "alice"
    found = users.find("alice")
    assert found is not None
    assert found.id == alice.id
    assert found.email == "alice@example.org"


def test_user_ids_are_uuid4_hex(alice: User) -> None:
    assert len(alice.id) == 32
    assert alice.id[12] == "4"


def test_usernames_are_stripped_and_case_folded(users: UserService) -> None:
    user = users.create("  Bob.Smith@Example.org ", email=None, password="long enough")
    assert user.username == "bob.smith@example.org"
    assert users.find("BOB.SMITH@example.ORG") is not None


def test_a_taken_username_is_refused_whatever_its_case(users: UserService, alice: User) -> None:
    with pytest.raises(UserExists):
        users.create("ALICE", email=None, password="long enough")


@pytest.mark.parametrize("username", ["", "   ", "a b", "ålice", "a/b", "x" * 151])
def test_a_username_outside_the_allowed_characters_is_refused(
    users: UserService, username: str
) -> None:
    with pytest.raises(InvalidUsername, match="1-150 characters"):
        users.create(username, email=None, password="long enough")


def test_a_password_shorter_than_8_characters_is_refused(users: UserService) -> None:
    with pytest.raises(WeakPassword, match="at least 8"):
        users.create("bob", email=None, password="short")


def test_a_password_longer_than_1024_characters_is_refused(users: UserService) -> None:
    with pytest.raises(WeakPassword, match="at most 1024"):
        users.create("bob", email=None, password="x" * 1025)


def test_list_returns_users_by_name(users: UserService) -> None:
    users.create("carol", email=None, password="long enough")
    users.create("bob", email=None, password="long enough")
    assert [u.username for u in users.list()] == ["bob", "carol"]


def test_the_right_password_passes(users: UserService, alice: User) -> None:
    check = users.check_password("Alice", "correct horse")
    assert check.user_id == alice.id
    assert check.reason is None


def test_a_wrong_password_fails_naming_the_account(users: UserService, alice: User) -> None:
    check = users.check_password("alice", "wrong horse")
    assert check.user_id is None
    assert check.reason == "wrong_password"
    assert check.known_user_id == alice.id


def test_an_unknown_user_fails_after_a_dummy_verification(
    database: Database, clock: FrozenClock
) -> None:
    calls: list[str] = []

    class CountingHasher(PasswordHasher):
        def verify_dummy(self, password: str) -> bool:
            calls.append(password)
            return super().verify_dummy(password)

    users = UserService(database, CountingHasher(time_cost=2, memory_cost=19456), clock)
    check = users.check_password("nobody", "whatever pw")
    assert check.user_id is None
    assert check.reason == "unknown_user"
    assert calls == ["whatever pw"]


def test_a_disabled_user_fails_with_the_right_password(
    users: UserService, alice: User, database: Database
) -> None:
    with database.session() as session:
        session.get_one(User, alice.id).disabled = True
    check = users.check_password("alice", "correct horse")
    assert (check.user_id, check.reason) == (None, "disabled")


def test_a_user_without_a_password_cannot_sign_in_with_one(users: UserService) -> None:
    users.create("fed", email=None, password=None)
    assert users.check_password("fed", "anything at all").reason == "no_password"


def test_set_password_replaces_the_password(users: UserService, alice: User) -> None:
    users.set_password("alice", "new password")
    assert users.check_password("alice", "new password").user_id == alice.id
    assert users.check_password("alice", "correct horse").user_id is None


def test_set_password_checks_the_strength(users: UserService, alice: User) -> None:
    with pytest.raises(WeakPassword):
        users.set_password("alice", "short")


def test_set_password_of_an_unknown_user_fails(users: UserService) -> None:
    with pytest.raises(UnknownUser):
        users.set_password("nobody", "new password")


def test_a_successful_check_rehashes_when_the_parameters_changed(
    database: Database, alice: User, clock: FrozenClock
) -> None:
    stronger = PasswordHasher(time_cost=3, memory_cost=19456, parallelism=1)
    users = UserService(database, stronger, clock)
    assert users.check_password("alice", "correct horse").user_id == alice.id
    rehashed = users.get(alice.id)
    assert rehashed is not None
    assert rehashed.password_hash is not None
    assert "t=3" in rehashed.password_hash
    assert not stronger.needs_rehash(rehashed.password_hash)
