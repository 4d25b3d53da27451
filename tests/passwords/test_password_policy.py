"""The password policy (issue 14; NIST SP 800-63B 3.1.1.2): lengths, no composition rules,
the blocklist, NFKC, and the plain-language reasons."""

from __future__ import annotations

import unicodedata

import pytest

from bridge.services.password_policy import PasswordPolicy, WeakPassword, common_passwords

POLICY = PasswordPolicy()


def test_a_single_factor_account_needs_15_characters() -> None:
    with pytest.raises(WeakPassword, match="at least 15 characters"):
        POLICY.check("fourteen chars", second_factor=False)
    assert POLICY.check("fifteen chars!!", second_factor=False)


def test_8_characters_are_enough_with_a_second_factor() -> None:
    assert POLICY.check("tulip-42", second_factor=True)
    with pytest.raises(WeakPassword, match="at least 8 characters"):
        POLICY.check("tulip42", second_factor=True)


def test_no_composition_rules_all_lowercase_letters_are_fine() -> None:
    assert POLICY.check("purple elephants dance", second_factor=False)


def test_a_common_password_is_refused_with_a_plain_reason() -> None:
    with pytest.raises(WeakPassword, match="most common"):
        POLICY.check("password123", second_factor=True)
    with pytest.raises(WeakPassword, match="most common"):
        POLICY.check("QWERTYUIOP", second_factor=True)


def test_the_username_is_refused_as_the_password() -> None:
    with pytest.raises(WeakPassword, match="username"):
        POLICY.check("ada.lovelace.1815", second_factor=False, username="Ada.Lovelace.1815")


def test_the_maximum_is_at_least_64_and_the_minimum_never_below_8() -> None:
    assert POLICY.check("x" * 64 + "yz", second_factor=True)
    with pytest.raises(ValueError, match="below 8"):
        PasswordPolicy(min_second_factor=7)
    with pytest.raises(ValueError, match="at least 64"):
        PasswordPolicy(max_length=63)


def test_passwords_are_nfkc_normalised() -> None:
    composed = "ﬁfteen ﬁne ﬁshes"  # the "ﬁ" ligature
    assert POLICY.check(composed, second_factor=False) == unicodedata.normalize("NFKC", composed)


def test_the_blocklist_ships_thousands_of_passwords_with_its_source_named() -> None:
    assert len(common_passwords()) > 10_000
    from bridge.services.password_policy import BLOCKLIST

    assert "Source:" in BLOCKLIST.read_text(encoding="utf-8")[:600]


def test_a_hash_made_before_normalisation_still_verifies_and_is_rehashed(
    services: object,
) -> None:
    from sqlalchemy import update

    from bridge.services.container import Services
    from bridge.storage.db.models import User

    assert isinstance(services, Services)
    users = services.users
    user = users.create("ada", email=None, password="a long plain passphrase")
    raw = "ﬁne ﬁsh in the long river"
    hasher = users._hasher
    with services.db.session() as session:  # as an older bridge hashed it: not normalised
        session.execute(
            update(User).where(User.id == user.id).values(password_hash=hasher.hash(raw))
        )
    assert users.check_password("ada", raw).user_id == user.id
    renewed = users.get(user.id)
    assert renewed is not None and renewed.password_hash == hasher.hash(
        unicodedata.normalize("NFKC", raw)
    )
    assert users.check_password("ada", raw).user_id == user.id
