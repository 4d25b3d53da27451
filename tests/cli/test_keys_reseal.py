"""`bridge keys reseal`: after a new primary encryption key, every sealed secret is re-encrypted
with it, so that the old key can be removed and TOTP logins and ID token signing go on."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pyotp
import pytest
from click.testing import CliRunner, Result
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from bridge.cli import main
from bridge.config.loading import load_settings
from bridge.config.secrets import Secrets
from bridge.domain.clock import FrozenClock
from bridge.services.container import Services, build_services
from bridge.services.reseal import SEALED_COLUMNS, reseal, reseal_batch, stale_rows
from bridge.storage.crypto import DecryptionError, parse_keyring
from bridge.storage.db.engine import Database
from bridge.storage.db.models import SigningKey, TotpCredential
from tests.bridges import FAST_ARGON2

SECRET_KEY = os.urandom(32)


def key(kid: str) -> str:
    return f"{kid}:" + base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()


K1, K2, K0 = key("k1"), key("k2"), key("k0")
OLD = K1
ROTATED = f"{K2},{K1}"  # the new key first; the old one still opens
NEW_ONLY = K2


@pytest.fixture
def environ(database: Database, tmp_path: Path) -> dict[str, str]:
    return {
        "BRIDGE_DATABASE_URL": database.url.render_as_string(hide_password=False),
        "BRIDGE_DATA_DIR": str(tmp_path / "data"),
        "BRIDGE_SECRET_KEY": base64.urlsafe_b64encode(SECRET_KEY).decode(),
        **FAST_ARGON2,
    }


Build = Callable[[str], Services]


@pytest.fixture
def bridge_with(environ: dict[str, str], clock: FrozenClock) -> Iterator[Build]:
    """The bridge's services with a given keyring, as a process started with it would have."""
    built: list[Services] = []

    def build(keyring: str) -> Services:
        settings = load_settings(None, environ)
        built.append(build_services(settings, Secrets(SECRET_KEY, encryption_keys=keyring), clock))
        return built[-1]

    yield build
    for services in built:
        services.close()


Invoke = Callable[..., Result]


@pytest.fixture
def bridge_cli_with(environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """``bridge ...`` against the test's database, with the given encryption keyring."""
    monkeypatch.delenv("BRIDGE_CONFIG", raising=False)

    def invoke(keyring: str, *args: str) -> Result:
        env = {**environ, "BRIDGE_ENCRYPTION_KEYS": keyring}
        return CliRunner().invoke(main, list(args), env=env)

    return invoke


def enrolled(services: Services, clock: FrozenClock, username: str) -> tuple[str, str]:
    """A user with a confirmed authenticator; returns (user id, TOTP secret)."""
    user = services.users.create(username, email=f"{username}@example.com", password=None)
    offer = services.totp.start_enrolment(user.id, username)
    code = pyotp.TOTP(offer.secret).at(clock())
    assert services.totp.confirm_enrolment(user.id, offer.credential_id, code)
    clock.advance(30)
    return user.id, offer.secret


def ciphertexts(database: Database) -> list[str]:
    with database.session() as session:
        totp = list(session.scalars(select(TotpCredential.secret_ciphertext)))
        keys = list(session.scalars(select(SigningKey.private_key_ciphertext)))
    return sorted(totp + keys)


def kids(database: Database) -> set[str]:
    return {value.split(".")[1] for value in ciphertexts(database)}


def test_after_resealing_the_old_key_can_go_and_totp_and_signing_still_work(
    database: Database, clock: FrozenClock, bridge_with: Build, bridge_cli_with: Invoke
) -> None:
    before = bridge_with(OLD)
    user_id, secret = enrolled(before, clock, "ada")
    kid = before.keys.ensure_active()
    used = pyotp.TOTP(secret).at(clock())
    assert before.totp.verify(user_id, used)

    result = bridge_cli_with(ROTATED, "keys", "reseal")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "primary encryption key: k2",
        "totp_secrets: 1 resealed",
        "signing_keys: 1 resealed",
        "identity_provider_secrets: 0 resealed",
    ]
    assert kids(database) == {"k2"}
    after = bridge_with(NEW_ONLY)  # the old key removed from the keyring
    assert not after.totp.verify(user_id, used), "the replay step survived the reseal"
    clock.advance(30)
    assert after.totp.verify(user_id, pyotp.TOTP(secret).at(clock()))
    signing_kid, signing_key = after.keys.signer()
    assert signing_kid == kid
    token = jwt.encode({"alg": "RS256", "kid": kid}, {"sub": user_id}, signing_key)
    published = KeySet.import_key_set(after.keys.jwks())  # type: ignore[arg-type]
    assert jwt.decode(token, published).claims["sub"] == user_id


def test_without_resealing_the_old_key_cannot_be_removed(
    clock: FrozenClock, bridge_with: Build
) -> None:
    user_id, secret = enrolled(bridge_with(OLD), clock, "ada")
    with pytest.raises(DecryptionError, match="not in the keyring"):
        bridge_with(NEW_ONLY).totp.verify(user_id, pyotp.TOTP(secret).at(clock()))


def test_a_dry_run_counts_and_writes_nothing(
    database: Database, clock: FrozenClock, bridge_with: Build, bridge_cli_with: Invoke
) -> None:
    services = bridge_with(OLD)
    enrolled(services, clock, "ada")
    enrolled(services, clock, "bob")
    services.keys.ensure_active()
    stored = ciphertexts(database)

    result = bridge_cli_with(ROTATED, "keys", "reseal", "--dry-run")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "primary encryption key: k2",
        "totp_secrets: 2 would be resealed",
        "signing_keys: 1 would be resealed",
        "identity_provider_secrets: 0 would be resealed",
        "dry run: nothing was written",
    ]
    assert ciphertexts(database) == stored


def test_a_second_run_finds_nothing_left_to_do(
    database: Database, clock: FrozenClock, bridge_with: Build, bridge_cli_with: Invoke
) -> None:
    services = bridge_with(OLD)
    enrolled(services, clock, "ada")
    services.keys.ensure_active()
    assert bridge_cli_with(ROTATED, "keys", "reseal").exit_code == 0
    resealed = ciphertexts(database)

    again = bridge_cli_with(ROTATED, "keys", "reseal")

    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[1:] == [
        "totp_secrets: 0 resealed",
        "signing_keys: 0 resealed",
        "identity_provider_secrets: 0 resealed",
    ]
    assert ciphertexts(database) == resealed


def test_every_batch_is_resealed(
    database: Database, clock: FrozenClock, bridge_with: Build, bridge_cli_with: Invoke
) -> None:
    services = bridge_with(OLD)
    for name in ("ada", "bob", "cy", "dee", "eve"):
        enrolled(services, clock, name)
    services.keys.ensure_active()
    services.keys.rotate()  # the retired key is resealed too

    result = bridge_cli_with(ROTATED, "keys", "reseal", "--batch-size", "2")

    assert result.output.splitlines()[1:] == [
        "totp_secrets: 5 resealed",
        "signing_keys: 2 resealed",
        "identity_provider_secrets: 0 resealed",
    ]
    assert kids(database) == {"k2"}


def test_a_value_no_key_opens_is_reported_and_fails_the_command(
    database: Database, clock: FrozenClock, bridge_with: Build, bridge_cli_with: Invoke
) -> None:
    enrolled(bridge_with(K0), clock, "ada")  # sealed with a key the operator already dropped
    enrolled(bridge_with(OLD), clock, "bob")

    result = bridge_cli_with(ROTATED, "keys", "reseal")

    assert result.exit_code == 1
    assert "totp_secrets: 1 resealed, 1 cannot be opened with this keyring" in result.output
    assert "keep every old key" in result.output
    assert kids(database) == {"k0", "k2"}


def test_a_replay_step_written_between_reading_and_resealing_is_kept(
    database: Database, clock: FrozenClock, bridge_with: Build
) -> None:
    user_id, secret = enrolled(bridge_with(OLD), clock, "ada")
    rotated = bridge_with(ROTATED)
    keyring = parse_keyring(ROTATED)
    totp = SEALED_COLUMNS[0]
    read = stale_rows(database, totp, keyring, after=None, limit=10)
    used = pyotp.TOTP(secret).at(clock())
    assert rotated.totp.verify(user_id, used)  # a login between the read and the write

    count = reseal_batch(database, totp, keyring, read)

    assert count.resealed == 1
    assert kids(database) == {"k2"}
    assert not rotated.totp.verify(user_id, used), "the replay step was lost"


def test_a_value_changed_between_reading_and_resealing_is_left_alone(
    database: Database, clock: FrozenClock, bridge_with: Build
) -> None:
    user_id, secret = enrolled(bridge_with(OLD), clock, "ada")
    keyring = parse_keyring(ROTATED)
    totp = SEALED_COLUMNS[0]
    read = stale_rows(database, totp, keyring, after=None, limit=10)
    reseal(database, keyring)  # another operator's run wins the race
    theirs = ciphertexts(database)

    count = reseal_batch(database, totp, keyring, read)

    assert (count.resealed, count.changed_meanwhile) == (0, 1)
    assert ciphertexts(database) == theirs
    clock.advance(30)
    assert bridge_with(NEW_ONLY).totp.verify(user_id, pyotp.TOTP(secret).at(clock()))


def test_a_key_id_with_an_underscore_is_not_a_wildcard(
    database: Database, clock: FrozenClock, bridge_with: Build
) -> None:
    """'k_2' in SQL LIKE would match 'kx2': the stale value must still be found."""
    old = key("kx2")
    enrolled(bridge_with(old), clock, "ada")

    [totp, _, _] = reseal(database, parse_keyring(f"{key('k_2')},{old}"))

    assert totp.resealed == 1
    assert kids(database) == {"k_2"}
