"""Imported authenticators keep their own algorithm, digits and period, sealed at rest."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bridge.domain.clock import FrozenClock
from bridge.services.totp import TotpService, check_imported, secret_aad
from bridge.storage.crypto import Keyring
from bridge.storage.db.engine import Database
from bridge.storage.db.models import TotpCredential, User
from tests.imports.codes import oathtool_code

pytestmark = pytest.mark.postgres("the credential row and its replay guard on both dialects")

SECRET = b"12345678901234567890"  # RFC 6238's SHA-1 test key


@pytest.fixture
def totp(database: Database, keyring: Keyring, clock: FrozenClock) -> TotpService:
    return TotpService(database, keyring, clock, issuer_label="The Bridge")


@pytest.fixture
def user_id(database: Database) -> str:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    user = User(id=uuid.uuid4().hex, username="ivan", created_at=now, updated_at=now)
    with database.session() as session:
        session.add(user)
    return user.id


@pytest.mark.parametrize(
    ("algorithm", "digits", "period"),
    [("SHA1", 6, 30), ("SHA256", 8, 30), ("SHA512", 6, 60), ("SHA512", 8, 60), ("SHA1", 6, 45)],
)
def test_an_imported_authenticator_accepts_the_code_its_app_shows(
    database: Database,
    totp: TotpService,
    clock: FrozenClock,
    user_id: str,
    algorithm: str,
    digits: int,
    period: int,
) -> None:
    with database.session() as session:
        totp.import_confirmed(
            session, user_id, SECRET, algorithm=algorithm, digits=digits, period=period
        )
    assert totp.has_totp(user_id)
    code = oathtool_code(SECRET, clock(), algorithm=algorithm, digits=digits, period=period)
    assert len(code) == digits
    assert totp.verify(user_id, code)
    assert not totp.verify(user_id, code)  # a replay


def test_an_imported_secret_is_sealed_to_its_row(
    database: Database, totp: TotpService, keyring: Keyring, user_id: str
) -> None:
    with database.session() as session:
        credential_id = totp.import_confirmed(
            session, user_id, SECRET, algorithm="SHA1", digits=6, period=30
        )
    with database.session() as session:
        row = session.scalar(select(TotpCredential).where(TotpCredential.id == credential_id))
    assert row is not None
    assert SECRET not in row.secret_ciphertext.encode()
    assert row.secret_ciphertext.startswith("v1.k1.")
    assert keyring.open(row.secret_ciphertext, secret_aad(credential_id))
    assert totp.secret_of(row) == SECRET


@pytest.mark.parametrize(
    ("secret", "algorithm", "digits", "period", "reason"),
    [
        (SECRET, "MD5", 6, 30, "algorithm 'MD5'"),
        (SECRET, "SHA1", 7, 30, "digits 7"),
        (SECRET, "SHA1", 6, 10, "period 10"),
        (b"short", "SHA1", 6, 30, "fewer than 80"),
    ],
)
def test_an_authenticator_the_bridge_cannot_verify_is_refused(
    secret: bytes, algorithm: str, digits: int, period: int, reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        check_imported(secret, algorithm=algorithm, digits=digits, period=period)
