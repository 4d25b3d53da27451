"""Secrets at rest: sealed with the primary key, opened by any key of the ring, bound to a row."""

from __future__ import annotations

import pytest

from bridge.storage.crypto import (
    DecryptionError,
    Keyring,
    KeyringError,
    generate_key_spec,
    parse_keyring,
)

OLD_KEY = bytes(32)
NEW_KEY = bytes(range(32))


def test_a_sealed_value_opens_with_the_same_associated_data() -> None:
    ring = Keyring([("k1", NEW_KEY)])
    assert ring.open(ring.seal(b"JBSWY3DP", b"totp:c1"), b"totp:c1") == b"JBSWY3DP"


def test_a_sealed_value_names_its_version_and_key() -> None:
    token = Keyring([("k1", NEW_KEY)]).seal(b"x", b"")
    assert token.startswith("v1.k1.")


def test_sealing_twice_gives_different_ciphertexts() -> None:
    ring = Keyring([("k1", NEW_KEY)])
    assert ring.seal(b"x", b"a") != ring.seal(b"x", b"a")


def test_the_first_key_of_the_ring_seals() -> None:
    ring = Keyring([("new", NEW_KEY), ("old", OLD_KEY)])
    assert ring.primary_kid == "new"
    assert ring.seal(b"x", b"").startswith("v1.new.")


def test_a_value_sealed_before_a_rotation_still_opens() -> None:
    token = Keyring([("old", OLD_KEY)]).seal(b"secret", b"row")
    rotated = Keyring([("new", NEW_KEY), ("old", OLD_KEY)])
    assert rotated.open(token, b"row") == b"secret"
    assert rotated.needs_reseal(token)


def test_a_value_sealed_for_another_row_does_not_open() -> None:
    ring = Keyring([("k1", NEW_KEY)])
    with pytest.raises(DecryptionError, match="another record"):
        ring.open(ring.seal(b"secret", b"totp:c1"), b"totp:c2")


def test_a_tampered_value_does_not_open() -> None:
    ring = Keyring([("k1", NEW_KEY)])
    token = ring.seal(b"secret", b"row")
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(DecryptionError):
        ring.open(flipped, b"row")


def test_a_value_sealed_with_an_unknown_key_names_the_key() -> None:
    token = Keyring([("gone", OLD_KEY)]).seal(b"secret", b"row")
    with pytest.raises(DecryptionError, match="'gone'"):
        Keyring([("k1", NEW_KEY)]).open(token, b"row")


@pytest.mark.parametrize("token", ["", "v2.k1.AAAA", "v1.k1", "v1.k1.!!!", "v1.k1.AAAA"])
def test_a_malformed_value_does_not_open(token: str) -> None:
    with pytest.raises(DecryptionError):
        Keyring([("k1", NEW_KEY)]).open(token, b"")


def test_parse_keyring_reads_kid_and_base64url_pairs_primary_first() -> None:
    ring = parse_keyring(f"{generate_key_spec('a')}, {generate_key_spec('b')}")
    assert ring.kids == ("a", "b")
    assert ring.primary_kid == "a"


def test_generate_key_spec_gives_a_usable_keyring() -> None:
    ring = parse_keyring(generate_key_spec())
    assert ring.open(ring.seal(b"x", b"y"), b"y") == b"x"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "entry 1 is empty"),
        ("k1", "<kid>:<base64url key>"),
        ("k1:not base64!", "not valid base64url"),
        ("k1:AAAA", "AES-256 needs 32"),
        ("bad.kid:" + "A" * 43, "must be 1-32 characters"),
        # Its id is fixed: the keys are random, and every xdist worker must collect one name.
        pytest.param(
            f"{generate_key_spec('k1')},{generate_key_spec('k1')}",
            "appears twice",
            id="k1:<random key>,k1:<random key>-appears twice",
        ),
    ],
)
def test_parse_keyring_explains_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(KeyringError, match=message):
        parse_keyring(spec)


def test_a_keyring_needs_a_key() -> None:
    with pytest.raises(KeyringError, match="at least one key"):
        Keyring([])
