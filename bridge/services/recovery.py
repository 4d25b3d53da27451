"""Recovery codes (R11): ten one-time codes that stand in for a lost authenticator.

A code is 10 characters of Crockford's base32 alphabet (no ``i``, ``l``, ``o``, ``u``), so 50 bits
of entropy, shown as two groups of five (``k7dqm-3zp4x``). On input, case, spaces and hyphens do
not matter and the look-alikes ``o``/``i``/``l`` read as ``0``/``1``/``1``.

At rest a code is argon2id (OWASP's m=19 MiB, t=2 row) of an HMAC-SHA256 of ``user_id:code``
under a server-side key derived from ``BRIDGE_SECRET_KEY``, with a 128-bit random salt per set of
codes: OWASP ASVS 5.0 6.5.2 asks for a salted password hash for look-up secrets below 112 bits,
and the key (NIST SP 800-63B's secret salt) makes a stolen database alone worthless. One salt per
set, not per code, keeps checking a guess at one argon2 computation (about 25 ms) instead of ten.
Using a code is one conditional ``UPDATE ... WHERE used_at IS NULL``: of two parallel uses exactly
one wins.

Audit: ``generate`` records ``recovery_codes_regenerated`` and ``use`` records
``recovery_code_used`` (with ``mfa_factor_type=recovery_code``) here. A wrong code records nothing
here: the caller counts it with ``bridge.services.lockout`` and records the failed sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Collection

from argon2.low_level import Type, hash_secret_raw
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bridge.domain.clock import Clock, utc_datetime
from bridge.domain.events import AuditEventName
from bridge.services.audit import AuditLog
from bridge.storage.db.engine import Database, affected_rows
from bridge.storage.db.models import RecoveryCode, User

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32, lower case
CODE_LENGTH = 10  # 50 bits: margin over NIST's 20-bit floor and the 40
CODE_COUNT = 10
GROUP = 5
SALT_BYTES = 16
#: argon2id parameters (an OWASP row): codes have 50 random bits, so a modest cost suffices.
ARGON2_TIME_COST, ARGON2_MEMORY_COST, ARGON2_PARALLELISM = 2, 19_456, 1
FACTOR_TYPE = "recovery_code"
_LOOK_ALIKES = str.maketrans({"o": "0", "i": "1", "l": "1"})


def recovery_key(secret_key: bytes) -> bytes:
    """The HMAC key for recovery codes, derived from the bridge's secret key."""
    return hmac.new(secret_key, b"bridge/recovery-codes/v1", hashlib.sha256).digest()


def format_code(raw: str) -> str:
    return "-".join(raw[i : i + GROUP] for i in range(0, len(raw), GROUP))


def normalise_code(text: str) -> str | None:
    """The canonical form of what a user typed, or None when it cannot be a code."""
    compact = "".join(text.split()).replace("-", "").lower().translate(_LOOK_ALIKES)
    if len(compact) != CODE_LENGTH or any(char not in ALPHABET for char in compact):
        return None
    return compact


class RecoveryCodes:
    def __init__(self, db: Database, clock: Clock, audit: AuditLog, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the recovery code key needs at least 32 bytes")
        self._db = db
        self._clock = clock
        self._audit = audit
        self._key = key

    def _hash(self, user_id: str, code: str, salt: str) -> str:
        peppered = hmac.new(self._key, f"{user_id}:{code}".encode(), hashlib.sha256).digest()
        return hash_secret_raw(
            peppered,
            bytes.fromhex(salt),
            time_cost=ARGON2_TIME_COST,
            memory_cost=ARGON2_MEMORY_COST,
            parallelism=ARGON2_PARALLELISM,
            hash_len=32,
            type=Type.ID,
        ).hex()

    def generate(
        self,
        user_id: str,
        *,
        actor_id: str | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> list[str]:
        """A new set of codes, formatted for display; every older code of the user dies.

        One transaction, with the user's row locked (PostgreSQL) so two parallel regenerations
        cannot leave both sets behind. Show the codes once; they cannot be read back.
        """
        raw = [
            "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)) for _ in range(CODE_COUNT)
        ]
        salt = secrets.token_hex(SALT_BYTES)
        hashes = [self._hash(user_id, code, salt) for code in raw]  # outside the transaction
        now = utc_datetime(self._clock)
        with self._db.session() as session:
            if session.scalar(select(User.id).where(User.id == user_id).with_for_update()) is None:
                raise LookupError(f"no user {user_id!r}")
            session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
            session.add_all(
                RecoveryCode(
                    id=uuid.uuid4().hex,
                    user_id=user_id,
                    salt=salt,
                    code_hash=code_hash,
                    created_at=now,
                )
                for code_hash in hashes
            )
        self._audit.record(
            AuditEventName.RECOVERY_CODES_REGENERATED,
            user_id=user_id,
            actor_id=actor_id or user_id,
            ip=ip,
            user_agent=user_agent,
            details={"count": len(raw)},
        )
        return [format_code(code) for code in raw]

    def use(
        self,
        user_id: str,
        code: str,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> bool:
        """Spend ``code``: True for exactly one caller, the first to present an unused code."""
        canonical = normalise_code(code)
        if canonical is None:
            return False
        with self._db.session() as session:
            salt = session.scalar(
                select(RecoveryCode.salt).where(RecoveryCode.user_id == user_id).limit(1)
            )
        if salt is None:
            return False
        code_hash = self._hash(user_id, canonical, salt)
        with self._db.session() as session:
            result = session.execute(
                update(RecoveryCode)
                .where(
                    RecoveryCode.user_id == user_id,
                    RecoveryCode.code_hash == code_hash,
                    RecoveryCode.used_at.is_(None),
                )
                .values(used_at=utc_datetime(self._clock))
                .execution_options(synchronize_session=False)
            )
            if affected_rows(result) != 1:
                return False
        self._audit.record(
            AuditEventName.RECOVERY_CODE_USED,
            user_id=user_id,
            ip=ip,
            user_agent=user_agent,
            mfa_factor_type=FACTOR_TYPE,
            details={"remaining": self.remaining(user_id)},
        )
        return True

    def remaining(self, user_id: str) -> int:
        """How many unused codes the user has (the account page warns at two or fewer)."""
        with self._db.session() as session:
            count = session.scalar(
                select(func.count())
                .select_from(RecoveryCode)
                .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
            )
        return int(count or 0)

    def has_codes(self, user_id: str) -> bool:
        return self.remaining(user_id) > 0

    def delete_all(self, user_id: str) -> int:
        """Remove every code of the user (2FA reset or disabled); how many there were."""
        with self._db.session() as session:
            return delete_recovery_codes(session, [user_id])


def delete_recovery_codes(session: Session, user_ids: Collection[str]) -> int:
    """Delete the recovery codes of these users inside the caller's transaction (for
    ``bridge.services.orgs.second_factors.delete_second_factors``)."""
    if not user_ids:
        return 0
    result = session.execute(
        delete(RecoveryCode)
        .where(RecoveryCode.user_id.in_(list(user_ids)))
        .execution_options(synchronize_session=False)
    )
    return affected_rows(result)
