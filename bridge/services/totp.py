"""TOTP second factor (RFC 6238): enrolment, confirmation and replay-proof verification.

Secrets are sealed with the keyring, bound to their row. The last accepted time-step is
written with one conditional UPDATE, so a code is accepted once even under parallel requests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

import pyotp
from sqlalchemy import ColumnElement, bindparam, delete, exists, or_, select, update
from sqlalchemy.orm import Session

from bridge.domain.clock import Clock, utc_datetime
from bridge.services.service_accounts import refuse_service_account
from bridge.storage.crypto import DecryptionError, Keyring
from bridge.storage.db.engine import Database, affected_rows
from bridge.storage.db.models import TotpCredential, User
from bridge.storage.db.rows import columns_of, detached
from flows.context import EnrolmentOffer

log = logging.getLogger(__name__)

DIGESTS: dict[str, Callable[..., Any]] = {
    "SHA1": hashlib.sha1,
    "SHA256": hashlib.sha256,
    "SHA512": hashlib.sha512,
}
SECRET_BASE32_CHARS = 32  # 160 bits, the RFC 4226 recommendation
#: What an imported authenticator may use: what Keycloak and Authelia offer, and apps show.
IMPORTED_DIGITS = (6, 8)
IMPORTED_PERIODS = range(15, 121)  # 30 and 60 s from Keycloak; Authelia allows any
MIN_IMPORTED_SECRET_BYTES = 10  # 80 bits, the shortest secret authenticator apps were given
_ASCII_DIGITS = re.compile("[0-9]+")


def secret_aad(credential_id: str) -> bytes:
    """Binds a sealed secret to its row (``bridge.services.reseal`` seals it again the same way)."""
    return b"totp:" + credential_id.encode("ascii")


class TotpService:
    def __init__(
        self,
        db: Database,
        keyring: Keyring,
        clock: Clock,
        *,
        issuer_label: str,
        algorithm: str = "SHA1",
        digits: int = 6,
        period: int = 30,
        drift_steps: int = 1,
    ) -> None:
        if algorithm not in DIGESTS:
            raise ValueError(f"TOTP algorithm {algorithm!r} is not one of {sorted(DIGESTS)}")
        if not 6 <= digits <= 8:
            raise ValueError(f"TOTP digits must be 6 to 8, got {digits}")
        if period < 1 or drift_steps < 0:
            raise ValueError("TOTP period must be positive and drift_steps not negative")
        self._db = db
        self._keyring = keyring
        self._clock = clock
        self._issuer_label = issuer_label
        self._algorithm = algorithm
        self._digits = digits
        self._period = period
        self._drift_steps = drift_steps

    # --- enrolment --------------------------------------------------------------------------

    def start_enrolment(self, user_id: str, account_name: str) -> EnrolmentOffer:
        """A new secret, inactive until confirmed; earlier unconfirmed offers are dropped.
        ``ServiceAccountWithoutMfa`` for a service account: it never has a second factor."""
        refuse_service_account(self._db, user_id)
        credential_id = uuid.uuid4().hex
        secret = pyotp.random_base32(length=SECRET_BASE32_CHARS)
        with self._db.session() as session:
            session.execute(
                delete(TotpCredential).where(
                    TotpCredential.user_id == user_id, TotpCredential.confirmed_at.is_(None)
                )
            )
            session.add(
                TotpCredential(
                    id=credential_id,
                    user_id=user_id,
                    secret_ciphertext=self._keyring.seal(
                        secret.encode(), secret_aad(credential_id)
                    ),
                    algorithm=self._algorithm,
                    digits=self._digits,
                    period=self._period,
                    created_at=utc_datetime(self._clock),
                )
            )
        uri = self._totp(secret, self._algorithm, self._digits, self._period).provisioning_uri(
            name=account_name, issuer_name=self._issuer_label
        )
        return EnrolmentOffer(credential_id=credential_id, secret=secret, otpauth_uri=uri)

    def offer(self, user_id: str, credential_id: str, account_name: str) -> EnrolmentOffer | None:
        """An unconfirmed offer of the user's again, its key opened from the sealed column (a
        login keeps only the credential id while its page is open); None when it is gone."""
        with self._db.session() as session:
            credential = session.scalar(
                select(TotpCredential).where(
                    TotpCredential.id == credential_id,
                    TotpCredential.user_id == user_id,
                    TotpCredential.confirmed_at.is_(None),
                )
            )
            if credential is None:
                return None
            try:
                sealed = credential.secret_ciphertext
                secret = self._keyring.open(sealed, secret_aad(credential_id)).decode()
            except DecryptionError as error:
                log.warning("enrolment offer %s cannot be opened: %s", credential_id, error)
                return None  # the login starts a new offer
            totp = self._totp(secret, credential.algorithm, credential.digits, credential.period)
        uri = totp.provisioning_uri(name=account_name, issuer_name=self._issuer_label)
        return EnrolmentOffer(credential_id=credential_id, secret=secret, otpauth_uri=uri)

    def confirm_enrolment(self, user_id: str, credential_id: str, code: str) -> bool:
        """Activate the offer with a valid code; the user's other credentials are deleted."""
        with self._db.session() as session:
            credential = session.scalar(
                select(TotpCredential).where(
                    TotpCredential.id == credential_id,
                    TotpCredential.user_id == user_id,
                    TotpCredential.confirmed_at.is_(None),
                )
            )
            if credential is None:
                return False
            step = self._matching_step(credential, code)
            if step is None:
                return False
            claimed = session.execute(
                update(TotpCredential)
                .where(
                    TotpCredential.id == credential_id,
                    TotpCredential.confirmed_at.is_(None),
                    _step_is_new(step),
                )
                .values(confirmed_at=utc_datetime(self._clock), last_used_step=step)
                .execution_options(synchronize_session=False)
            )
            if affected_rows(claimed) != 1:
                return False
            session.execute(
                delete(TotpCredential)
                .where(TotpCredential.user_id == user_id, TotpCredential.id != credential_id)
                .execution_options(synchronize_session=False)
            )
            # A new authenticator is what a reset asked for (seed 003).
            session.execute(
                update(User)
                .where(User.id == user_id, User.mfa_reenrol.is_(True))
                .values(mfa_reenrol=False)
                .execution_options(synchronize_session=False)
            )
            return True

    def import_confirmed(
        self,
        session: Session,
        user_id: str,
        secret: bytes,
        *,
        algorithm: str,
        digits: int,
        period: int,
        last_used_step: int | None = None,
    ) -> str:
        """Store an authenticator another provider set up, active at once (its owner proved
        it there), sealed like a native one; in the caller's ``session`` (an import's user).
        The user's other credentials are replaced. Check it first with ``check_imported``."""
        check_imported(secret, algorithm=algorithm, digits=digits, period=period)
        credential_id = uuid.uuid4().hex
        text = base64.b32encode(secret).decode("ascii").rstrip("=")
        now = utc_datetime(self._clock)
        session.execute(delete(TotpCredential).where(TotpCredential.user_id == user_id))
        session.add(
            TotpCredential(
                id=credential_id,
                user_id=user_id,
                secret_ciphertext=self._keyring.seal(text.encode(), secret_aad(credential_id)),
                algorithm=algorithm,
                digits=digits,
                period=period,
                created_at=now,
                confirmed_at=now,
                last_used_step=last_used_step,
            )
        )
        return credential_id

    def secret_of(self, credential: TotpCredential) -> bytes:
        """The raw secret of a stored credential (for an export with ``--include-secrets``)."""
        text = self._keyring.open(credential.secret_ciphertext, secret_aad(credential.id))
        return base64.b32decode(text + b"=" * (-len(text) % 8), casefold=True)

    # --- use --------------------------------------------------------------------------------

    def verify(self, user_id: str, code: str) -> bool:
        """True once per time-step: a replayed or older code is refused."""
        return self.verify_with(self._confirmed(user_id), code)

    def verify_with(self, credential: TotpCredential | None, code: str) -> bool:
        """``verify`` with the user's newest confirmed credential as the request read it
        already (a login's subject, ``bridge.services.subjects``; None: they have none). The
        replay guard is the conditional UPDATE, whatever was read."""
        if credential is None:
            return False
        step = self._matching_step(credential, code)
        if step is None:
            return False
        claimed = self._db.execute(
            update(TotpCredential)
            .where(TotpCredential.id == credential.id, _step_is_new(step))
            .values(last_used_step=step)
        )
        return claimed.rowcount == 1

    def has_totp(self, user_id: str) -> bool:
        with self._db.session() as session:
            return bool(
                session.scalar(
                    select(
                        exists().where(
                            TotpCredential.user_id == user_id,
                            TotpCredential.confirmed_at.is_not(None),
                        )
                    )
                )
            )

    def disable(self, user_id: str) -> None:
        """Delete every credential of the user, confirmed or not."""
        with self._db.session() as session:
            session.execute(delete(TotpCredential).where(TotpCredential.user_id == user_id))

    # --- internals --------------------------------------------------------------------------

    def _confirmed(self, user_id: str) -> TotpCredential | None:
        """The user's newest confirmed credential (read as Core: every code judged reads it)."""
        rows = self._db.fetch(_CONFIRMED, {"user_id": user_id})
        return detached(TotpCredential, rows[0]) if rows else None

    def _matching_step(self, credential: TotpCredential, code: str) -> int | None:
        """The time-step in the drift window whose code is ``code`` and is newer than the last."""
        candidate = code.replace(" ", "")
        # ASCII digits only: str.isdigit() and \d would let "٠١٢٣٤٥" or fullwidth digits through.
        if len(candidate) != credential.digits or not _ASCII_DIGITS.fullmatch(candidate):
            return None
        secret = self._keyring.open(
            credential.secret_ciphertext, secret_aad(credential.id)
        ).decode()
        totp = self._totp(secret, credential.algorithm, credential.digits, credential.period)
        now_step = int(self._clock()) // credential.period
        matched: int | None = None
        for step in range(now_step - self._drift_steps, now_step + self._drift_steps + 1):
            if credential.last_used_step is not None and step <= credential.last_used_step:
                continue
            expected = totp.generate_otp(step)
            if hmac.compare_digest(expected.encode(), candidate.encode()) and matched is None:
                matched = step
        return matched

    @staticmethod
    def _totp(secret: str, algorithm: str, digits: int, period: int) -> pyotp.TOTP:
        return pyotp.TOTP(secret, digits=digits, digest=DIGESTS[algorithm], interval=period)


def check_imported(secret: bytes, *, algorithm: str, digits: int, period: int) -> None:
    """Refuse an authenticator the bridge cannot verify as its app computes it (``ValueError``
    with the reason)."""
    if algorithm not in DIGESTS:
        raise ValueError(f"TOTP algorithm {algorithm!r} is not one of {', '.join(DIGESTS)}")
    if digits not in IMPORTED_DIGITS:
        raise ValueError(f"TOTP digits {digits} is not 6 or 8")
    if period not in IMPORTED_PERIODS:
        raise ValueError(f"TOTP period {period} s is outside 15..120 s")
    if len(secret) < MIN_IMPORTED_SECRET_BYTES:
        raise ValueError(f"the TOTP secret has {len(secret) * 8} bits, fewer than 80")


#: Which confirmed credential a code is judged with: the newest (here and in a login's subject).
NEWEST_FIRST = (TotpCredential.confirmed_at.desc(), TotpCredential.id.desc())

_CONFIRMED = (
    select(*columns_of(TotpCredential))
    .where(
        TotpCredential.user_id == bindparam("user_id"),
        TotpCredential.confirmed_at.is_not(None),
    )
    .order_by(*NEWEST_FIRST)
    .limit(1)
)


def _step_is_new(step: int) -> ColumnElement[bool]:
    return or_(TotpCredential.last_used_step.is_(None), TotpCredential.last_used_step < step)
