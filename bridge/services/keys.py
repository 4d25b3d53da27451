"""ID token signing keys: generated on first start, rotated on demand, published as a JWKS.

The private key is stored sealed with the keyring. At most one key is active: the
``signing_keys.active`` column is unique and holds True only for it, so when two processes
start at once the database keeps the first key and the other process adopts it.

The JWKS is served from a copy in each process, so that discovery and ``/jwks`` answer while
the database does not (``PublishedKeys``). The copy is read again when a retired key's grace
ends, after ``JWKS_MAX_AGE`` seconds, and when a new key has been announced: ``rotate`` and the
first signature of each process with a key it had not published announce the active key's id
(and when) in the ephemeral store, and a copy without that id is stale.

A process looks at the announcement at most once per ``PROPAGATION`` seconds (issue 16: no
store call per JWKS request), so a new key reaches every process's published copy within that
bound; and no process signs with a key until its announcement is ``PROPAGATION`` old (the first
token after a rotation waits for the rest of it, once per process; a process that announces a
key itself waits unless no copy can lack it: the first key, or one older than any copy). So a
token signed with a new key still never leaves before every process publishes that key. The
bound compares the announcing process's clock with the others': they must agree within a
fraction of it.

Each process also keeps the active key it last read (issue 16: no query and no decryption per ID
token) while the key version in the shared ephemeral store is the one it read it under: a
rotation puts a new version there once it has committed, so every process reads the key again
once it looks (it looks at most once per ``PROPAGATION`` seconds, or per the rotation's grace if
shorter: until then it signs with the retired key, which every process still publishes), and
none trusts its copy longer than ``SIGNER_MAX_AGE`` whatever happens to the version. Without a
shared store (the in-process one serves one process, and ``bridge keys rotate`` runs in
another) the active key's row is read for every token.
"""

from __future__ import annotations

import copy
import logging
import secrets
import threading
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from joserfc.jwk import RSAKey
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from bridge.domain.clock import Clock, as_utc, pause, utc_datetime
from bridge.domain.documents import JsonDocument
from bridge.storage.crypto import Keyring
from bridge.storage.db.engine import Database
from bridge.storage.db.models import SigningKey
from bridge.storage.db.unit import when_committed
from bridge.storage.ephemeral.base import EphemeralStore, EphemeralStoreUnavailable

log = logging.getLogger(__name__)

RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
RSA_KEY_BITS = 2048
#: The ephemeral store key holding the id of the key that signs now (see the module docstring).
ACTIVE_KID = "signing-keys:active"
#: The longest a process serves its copy of the JWKS without reading the database (seconds).
JWKS_MAX_AGE = 60
#: Seconds the JWKS does not ask an ephemeral store that failed to answer.
STORE_RETRY = 10
#: Seconds a process trusts its last look at the announced key: the longest a new key takes to
#: be published by every process, and how long no process signs with a key after it is announced.
PROPAGATION = 1.0
#: The shared store's key of the signing key version, and how long a version lives there.
VERSION_KEY = "signing_keys:version"
VERSION_TTL = 30 * 86400
#: Seconds a process signs with its copy of the active key before reading it again anyway.
SIGNER_MAX_AGE = 60.0
#: The signing key that signs now (Core: read for every ID token without a shared store).
_ACTIVE_KEY = select(
    SigningKey.kid, SigningKey.alg, SigningKey.private_key_ciphertext, SigningKey.created_at
).where(SigningKey.active.is_(True))
#: How many keys there are, expired ones too (the first key is in every process's copy).
_KEY_COUNT = select(func.count()).select_from(SigningKey)


@dataclass(frozen=True)
class _Signer:
    version: str
    kid: str
    key: RSAKey
    read_at: float  # time.monotonic()
    looked_until: float  # the clock's time: the version is not asked again before then


@dataclass(frozen=True)
class PublishedKeys:
    """A process's copy of the JWKS: valid until ``valid_until`` (the clock's time), and only
    while the announced active key is among ``kids``."""

    document: dict[str, Any]
    kids: frozenset[str]
    valid_until: float
    rendered: JsonDocument  # the document's bytes and ETag, built once per copy


def private_key_aad(kid: str) -> bytes:
    """Binds a sealed private key to its row (``bridge.services.reseal`` seals it again the same
    way)."""
    return b"signing_key:" + kid.encode("ascii")


class SigningKeys:
    def __init__(
        self,
        db: Database,
        keyring: Keyring,
        clock: Clock,
        *,
        alg: str = "RS256",
        rotation_grace: int = 86400,
        store: EphemeralStore | None = None,
        shared_store: EphemeralStore | None = None,
    ) -> None:
        if alg not in RSA_ALGORITHMS:
            raise ValueError(f"signing algorithm {alg!r} is not one of {sorted(RSA_ALGORITHMS)}")
        if rotation_grace < 0:
            raise ValueError("rotation_grace must not be negative")
        self._db = db
        self._keyring = keyring
        self._clock = clock
        self._alg = alg
        self._grace = timedelta(seconds=rotation_grace)
        self._private_keys: dict[str, RSAKey] = {}
        self._cache_lock = threading.Lock()
        self._store = store
        self._published: PublishedKeys | None = None
        self._announced: tuple[str, float] | None = None  # the kid last announced, and when
        self._looked: tuple[PublishedKeys, float] | None = None  # a copy found current, until
        self._store_down_until = 0.0  # time.monotonic(): the store is not asked before then
        self._shared = shared_store  # every serving process's: where rotations are versioned
        self._signer: _Signer | None = None
        # A retired key stays published for the grace: a process may sign with it that long.
        self._version_memo = min(PROPAGATION, float(rotation_grace))

    def ensure_active(self) -> str:
        """The active key's id, generating the first key when there is none."""
        kid = self._active_kid() or self._first_key()
        self.jwks()  # the published copy, read while the database answers
        return kid

    def _first_key(self) -> str:
        row = self._new_row()
        try:
            with self._db.session() as session:
                session.add(row)
        except IntegrityError:  # another process stored the first key a moment earlier
            kid = self._active_kid()
            if kid is None:
                raise
            return kid
        return row.kid

    def rotate(self) -> str:
        """Make a new key active; the previous one stops signing and is published for the grace."""
        row = self._new_row()
        now = utc_datetime(self._clock)
        try:
            with self._db.session() as session:
                session.execute(
                    update(SigningKey)
                    .where(SigningKey.active.is_(True))
                    .values(active=None, retired_at=now, expires_at=now + self._grace)
                    .execution_options(synchronize_session=False)
                )
                session.add(row)
        except IntegrityError:  # a concurrent rotation won: its key is the new one
            kid = self._active_kid()
            if kid is None:
                raise
            return kid
        finally:
            self._signer = None
        when_committed(self._announce_rotation)
        self._announce(row.kid)
        return row.kid

    def _announce_rotation(self) -> None:
        self._signer = None
        if self._shared is not None:
            self._shared.put(VERSION_KEY, {"version": secrets.token_hex(8)}, VERSION_TTL)

    def _version(self) -> str | None:
        """The key version in the shared store (one is put there when none is); None without
        a shared store."""
        store = self._shared
        if store is None:
            return None
        found = store.get(VERSION_KEY)
        if found is None:
            store.add(VERSION_KEY, {"version": secrets.token_hex(8)}, VERSION_TTL)
            found = store.get(VERSION_KEY)
        version = None if found is None else found.get("version")
        return version if isinstance(version, str) else None

    def signer(self) -> tuple[str, RSAKey]:
        """The active key's id and private key: this process's copy while the key version it
        was read under holds (see the module docstring), else read from the database.

        Importing an RSA private key validates it, which costs tens of milliseconds: each key
        is imported once per process.
        """
        cached = self._signer
        now = self._clock()
        fresh = cached is not None and time.monotonic() - cached.read_at < SIGNER_MAX_AGE
        if cached is not None and fresh and now < cached.looked_until:
            return cached.kid, cached.key
        version = self._version()  # before the row: a rotation after this is seen next time
        looked_until = now + self._version_memo
        if version is not None and cached is not None and fresh and cached.version == version:
            self._signer = replace(cached, looked_until=looked_until)
            return cached.kid, cached.key
        read_at = time.monotonic()
        kid, key = self._read_signer()
        if version is not None:
            self._signer = _Signer(version, kid, key, read_at, looked_until)
        return kid, key

    def _read_signer(self) -> tuple[str, RSAKey]:
        rows = self._db.fetch(_ACTIVE_KEY)
        if not rows:
            raise LookupError("no active signing key: call ensure_active() at start-up")
        row = rows[0]
        self._await_publication(row.kid, as_utc(row.created_at).timestamp())
        with self._cache_lock:
            key = self._private_keys.get(row.kid)
        if key is None:
            pem = self._keyring.open(row.private_key_ciphertext, private_key_aad(row.kid))
            key = RSAKey.import_key(pem, parameters={"kid": row.kid, "alg": row.alg, "use": "sig"})
            with self._cache_lock:
                self._private_keys[row.kid] = key
        return row.kid, key

    def _await_publication(self, kid: str, created_at: float) -> None:
        """Return once every process publishes ``kid``: its announcement is ``PROPAGATION``
        old (see the module docstring); announce it first when nobody has."""
        if self._store is None:
            return
        announced = self._announced
        if announced is None or announced[0] != kid:  # a key this process signs with first
            try:
                mark = self._store.get(ACTIVE_KID)
            except EphemeralStoreUnavailable:
                mark = None  # the announcement below fails too, and is said again next time
            at = None if mark is None or mark.get("kid") != kid else mark.get("at")
            if isinstance(at, int | float):
                self._announced = announced = (kid, float(at))
                self._drop_copy_without(kid)
            else:  # the rotation's announcement was lost (another store, a flushed one)
                unpublished = self._shared is not None and self._may_be_unpublished(created_at)
                announced = self._announce(kid, fresh=unpublished)
        if announced is None or self._shared is None:
            # The store does not answer (no token can be issued anyway), or it is this
            # process's own: no other process serves a copy.
            return
        remaining = announced[1] + PROPAGATION - self._clock()
        if remaining > 0:
            pause(self._clock, min(remaining, PROPAGATION))

    def _may_be_unpublished(self, created_at: float) -> bool:
        """Whether some process's copy may lack the active key created at ``created_at``: no
        copy outlives ``JWKS_MAX_AGE``, and the first key is in every copy (each process reads
        it before it serves)."""
        if self._clock() > created_at + 2 * JWKS_MAX_AGE:
            return False
        return bool(self._db.fetch(_KEY_COUNT)[0][0] > 1)

    def active(self) -> tuple[str, dict[str, Any]]:
        """The active key's id and its private JWK (with ``kid``, ``alg`` and ``use``)."""
        kid, key = self.signer()
        return kid, dict(key.as_dict(private=True))

    def jwks(self) -> dict[str, Any]:
        """Every key that has not expired, newest first, as a JWK Set (the process's copy while
        it is valid, see the module docstring)."""
        return copy.deepcopy(self._current().document)

    def jwks_document(self) -> JsonDocument:
        """``jwks()`` as the bytes ``/jwks`` answers and their ETag, serialized once per copy."""
        return self._current().rendered

    def _current(self) -> PublishedKeys:
        now = self._clock()
        with self._cache_lock:
            published = self._published
        if (
            published is None
            or now >= published.valid_until
            or not self._has_active(published, now)
        ):
            published = self._read_published(now)
            with self._cache_lock:
                self._published = published
        return published

    def _read_published(self, now: float) -> PublishedKeys:
        when = utc_datetime(self._clock)
        with self._db.session() as session:
            rows = session.scalars(
                select(SigningKey)
                .where(or_(SigningKey.expires_at.is_(None), SigningKey.expires_at > when))
                .order_by(SigningKey.created_at.desc(), SigningKey.kid)
            ).all()
        ends = [row.expires_at.timestamp() for row in rows if row.expires_at is not None]
        document = {"keys": [dict(row.public_jwk) for row in rows]}
        return PublishedKeys(
            document=document,
            kids=frozenset(row.kid for row in rows),
            valid_until=min([now + JWKS_MAX_AGE, *ends]),
            rendered=JsonDocument.of(document),
        )

    def _has_active(self, published: PublishedKeys, now: float) -> bool:
        """False when the store names an active key the copy lacks; True when it cannot say.
        A copy found current is not asked about again for ``PROPAGATION`` seconds."""
        if self._store is None or time.monotonic() < self._store_down_until:
            return True
        looked = self._looked
        if looked is not None and looked[0] is published and now < looked[1]:
            return True
        try:
            mark = self._store.get(ACTIVE_KID)
        except EphemeralStoreUnavailable:
            # Served as it is, and the store is not asked again for a while: no token can be
            # issued while it is down (a new key's announcement would fail first).
            self._store_down_until = time.monotonic() + STORE_RETRY
            return True
        current = mark is None or mark.get("kid") in published.kids
        if current:
            self._looked = (published, now + PROPAGATION)
        return current

    def _announce(self, kid: str, *, fresh: bool = True) -> tuple[str, float] | None:
        """Tell every process that ``kid`` signs now: their published copies without it are
        stale. This process's copy is dropped at once if it lacks it. Returns the kid and when
        it was announced (0 when no copy can lack it: not ``fresh``, nobody waits), or None
        when the store did not answer."""
        self._drop_copy_without(kid)
        at = self._clock() if fresh else 0.0
        if self._store is not None:
            try:
                self._store.put(ACTIVE_KID, {"kid": kid, "at": at}, 30 * 86400)
            except EphemeralStoreUnavailable as error:  # said again at the next signature
                log.warning("could not announce signing key %s: %s", kid, error)
                return None
        self._announced = (kid, at)
        return self._announced

    def _drop_copy_without(self, kid: str) -> None:
        with self._cache_lock:
            if self._published is not None and kid not in self._published.kids:
                self._published = None

    def _active_kid(self) -> str | None:
        with self._db.session() as session:
            return session.scalar(select(SigningKey.kid).where(SigningKey.active.is_(True)))

    def _new_row(self) -> SigningKey:
        key = RSAKey.generate_key(RSA_KEY_BITS, private=True)
        kid = key.thumbprint()  # RFC 7638: stable, and unique per key
        return SigningKey(
            kid=kid,
            alg=self._alg,
            private_key_ciphertext=self._keyring.seal(
                key.as_pem(private=True), private_key_aad(kid)
            ),
            public_jwk=dict(key.as_dict(private=False, kid=kid, alg=self._alg, use="sig")),
            active=True,
            created_at=utc_datetime(self._clock),
        )
