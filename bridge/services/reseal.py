"""Re-encrypt secrets at rest with the keyring's primary key, so that older keys can be removed.

After an operator puts a new key first in ``BRIDGE_ENCRYPTION_KEYS`` (keeping the old ones after
it), new values are sealed with it but existing ones still need the old keys. ``reseal`` walks
every sealed column in ``SEALED_COLUMNS``, in batches ordered by the row's key, and re-seals each
value whose key id is not the primary one. A row is written with one conditional UPDATE of that
column alone (``WHERE key = ? AND column = <the ciphertext read>``): a concurrent change of
another column (a TOTP code's replay step) is kept, and a value changed meanwhile (a new
enrolment, a key rotation) is left alone and counted. Running it again finds nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import InstrumentedAttribute

from bridge.federation.registry import secret_aad as provider_secret_aad
from bridge.services.keys import private_key_aad
from bridge.services.totp import secret_aad
from bridge.storage.crypto import VERSION, DecryptionError, Keyring
from bridge.storage.db.engine import Database, affected_rows
from bridge.storage.db.models import IdentityProviderRecord, SigningKey, TotpCredential

DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True)
class SealedColumn:
    """A column that holds values sealed with the keyring.

    ``aad`` builds the associated data the value was sealed with from the row's ``key`` (its
    primary key): the same function the owning module uses to seal and open it.
    """

    name: str
    key: InstrumentedAttribute[Any]
    column: InstrumentedAttribute[Any]
    aad: Callable[[Any], bytes]


#: Every sealed column. A new one (a table whose rows hold a secret) is one entry here.
SEALED_COLUMNS: tuple[SealedColumn, ...] = (
    SealedColumn("totp_secrets", TotpCredential.id, TotpCredential.secret_ciphertext, secret_aad),
    SealedColumn(
        "signing_keys", SigningKey.kid, SigningKey.private_key_ciphertext, private_key_aad
    ),
    SealedColumn(
        "identity_provider_secrets",
        IdentityProviderRecord.id,
        IdentityProviderRecord.client_secret,
        provider_secret_aad,
    ),
)


@dataclass(frozen=True)
class ResealCount:
    """What one column's pass did (or, in a dry run, would do)."""

    name: str
    resealed: int = 0  # written with the primary key (dry run: would be)
    changed_meanwhile: int = 0  # the value changed between reading and writing; left alone
    unreadable: int = 0  # no key of this keyring opens it: do not remove any key yet


def _stale(sealed: SealedColumn, keyring: Keyring) -> ColumnElement[bool]:
    """Rows whose value is not sealed by the primary key (NULL means no secret)."""
    primary = f"{VERSION}.{keyring.primary_kid}."
    return sealed.column.is_not(None) & ~sealed.column.startswith(primary, autoescape=True)


def stale_rows(
    db: Database, sealed: SealedColumn, keyring: Keyring, *, after: Any, limit: int
) -> list[tuple[Any, str]]:
    """The next ``limit`` (key, ciphertext) pairs past ``after`` that need re-sealing."""
    query = select(sealed.key, sealed.column).where(_stale(sealed, keyring))
    if after is not None:
        query = query.where(sealed.key > after)
    with db.session() as session:
        rows = session.execute(query.order_by(sealed.key).limit(limit)).all()
    return [(key, value) for key, value in rows]


def reseal_batch(
    db: Database,
    sealed: SealedColumn,
    keyring: Keyring,
    rows: Iterable[tuple[Any, str]],
    *,
    dry_run: bool = False,
) -> ResealCount:
    """Re-seal ``rows`` (as read) in one transaction; each only if it still holds that value."""
    resealed = changed = unreadable = 0
    with db.session() as session:
        for key, old in rows:
            aad = sealed.aad(key)
            try:
                plaintext = keyring.open(old, aad)
            except DecryptionError:
                unreadable += 1
                continue
            if dry_run:
                resealed += 1
                continue
            written = session.execute(
                update(sealed.key.class_)
                .where(sealed.key == key, sealed.column == old)
                .values({sealed.column.key: keyring.seal(plaintext, aad)})
                .execution_options(synchronize_session=False)
            )
            if affected_rows(written) == 1:
                resealed += 1
            else:
                changed += 1
    return ResealCount(sealed.name, resealed, changed, unreadable)


def reseal_column(
    db: Database,
    sealed: SealedColumn,
    keyring: Keyring,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
) -> ResealCount:
    """One column, batch after batch in key order, until no stale row is left past the last."""
    total = ResealCount(sealed.name)
    after: Any = None
    while True:
        rows = stale_rows(db, sealed, keyring, after=after, limit=batch_size)
        if not rows:
            return total
        done = reseal_batch(db, sealed, keyring, rows, dry_run=dry_run)
        total = ResealCount(
            sealed.name,
            total.resealed + done.resealed,
            total.changed_meanwhile + done.changed_meanwhile,
            total.unreadable + done.unreadable,
        )
        after = rows[-1][0]


def reseal(
    db: Database,
    keyring: Keyring,
    *,
    columns: Iterable[SealedColumn] = SEALED_COLUMNS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
) -> list[ResealCount]:
    """Every sealed column, one after the other."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return [
        reseal_column(db, sealed, keyring, batch_size=batch_size, dry_run=dry_run)
        for sealed in columns
    ]
