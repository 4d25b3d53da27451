"""Each process's copy of the client rows it reads, kept while the clients version holds.

A login reads its client at ``/authorize``, when the TOTP step issues the code and at ``/token``,
and every refresh reads it again (issue 16). A process keeps each row it reads as an immutable
``ClientRecord`` under the *clients version* in the shared ephemeral store (Redis): a random
token that every change of a client row replaces, so every process drops its copies at its next
request. A request looks at the version at most once, and reads a client's row at most once
(both kept in its unit of work); a copy is never older than ``MAX_AGE`` whatever happens to the
version.

Whoever changes client rows does it inside ``ClientRecords.changing()``: it puts a new version
before the change (so a change the store cannot be told of fails: nothing is written) and again
once the change has committed (a request that read the old row between the two kept it under
the first version). So a change is seen by every process before the command, the admin page or
the API call that made it answers. A version is read before the row: a change committed after
that read replaces the version the row is kept under.

Without a shared store (the in-process store serves one process, and ``bridge client ...``
runs in another) nothing is kept from one request to the next: each request reads its row.
When the store does not answer, the row is read and not kept.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from bridge.storage.db.engine import Database
from bridge.storage.db.models import Client
from bridge.storage.db.unit import current_unit, remembered, when_committed
from bridge.storage.ephemeral.base import EphemeralStore, EphemeralStoreUnavailable

#: The shared store's key of the clients version, and how long a version lives there (a lost
#: or expired version is replaced by a new one: every copy is dropped).
VERSION_KEY = "clients:version"
VERSION_TTL = 30 * 86400
#: Seconds a process keeps its copies under one version before reading the rows again anyway.
MAX_AGE = 60.0
#: How many clients a process keeps (all of them, short of a flood of registrations).
MAX_KEPT = 10_000

_VERSION_MEMO = ("clients", "version")


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """A client's row as it was read: never attached to a session, never changed."""

    id: str
    name: str
    secret_hash: str | None
    public: bool
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    scope: str
    created_at: datetime
    org_id: str | None
    kind: str
    jwks_json: str | None  # an API client's public keys, as JSON text (``jwks``)
    disabled: bool

    @property
    def jwks(self) -> dict[str, Any] | None:
        """The API client's public keys (RFC 7517), a fresh copy each time; None without."""
        return None if self.jwks_json is None else dict(json.loads(self.jwks_json))

    @classmethod
    def of(cls, row: Any) -> ClientRecord:
        """The record of a row with the columns of ``Client`` (a Core row or the object)."""
        return cls(
            id=row.id,
            name=row.name,
            secret_hash=row.secret_hash,
            public=bool(row.public),
            redirect_uris=tuple(row.redirect_uris or ()),
            post_logout_redirect_uris=tuple(row.post_logout_redirect_uris or ()),
            scope=row.scope,
            created_at=row.created_at,
            org_id=row.org_id,
            kind=row.kind,
            jwks_json=None if row.jwks is None else json.dumps(row.jwks),
            disabled=bool(row.disabled),
        )


_CLIENT = select(
    Client.id,
    Client.name,
    Client.secret_hash,
    Client.public,
    Client.redirect_uris,
    Client.post_logout_redirect_uris,
    Client.scope,
    Client.created_at,
    Client.org_id,
    Client.kind,
    Client.jwks,
    Client.disabled,
).where(Client.id == bindparam("client_id"))


def read_client(db: Database, client_id: str) -> ClientRecord | None:
    """The client's row from the database (as Core: no ORM object), or None."""
    rows = db.fetch(_CLIENT, {"client_id": client_id})
    return ClientRecord.of(rows[0]) if rows else None


@dataclass(frozen=True)
class _Copies:
    """The records a process read under one version."""

    version: str
    since: float  # time.monotonic()
    records: dict[str, ClientRecord]


class ClientRecords:
    def __init__(self, db: Database, shared_store: EphemeralStore | None = None) -> None:
        self._db = db
        self._shared = shared_store  # every serving process's: where changes are versioned
        self._copies: _Copies | None = None

    def get(self, client_id: str) -> ClientRecord | None:
        """The client, or None: read once per request, kept while the version holds."""
        return remembered(("client", client_id), lambda: self._find(client_id))

    @contextmanager
    def changing(self) -> Iterator[None]:
        """Around a block that changes client rows: every process drops its copies (see the
        module docstring). Raises ``EphemeralStoreUnavailable`` before the block when the
        shared store does not answer."""
        self._copies = None
        self._new_version()
        yield
        self._copies = None
        _forget_clients()  # this request reads the changed rows again
        when_committed(self._changed)

    def _changed(self) -> None:
        self._copies = None
        self._new_version()

    def _find(self, client_id: str) -> ClientRecord | None:
        version = remembered(_VERSION_MEMO, self._version)
        if version is None:
            return read_client(self._db, client_id)
        copies = self._copies
        now = time.monotonic()
        if copies is None or copies.version != version or now - copies.since > MAX_AGE:
            copies = self._copies = _Copies(version, now, {})
        record = copies.records.get(client_id)
        if record is None:
            record = read_client(self._db, client_id)  # after the version: see the docstring
            if record is not None:
                if len(copies.records) >= MAX_KEPT:
                    copies.records.clear()
                copies.records[client_id] = record
        return record

    def _version(self) -> str | None:
        """The clients version in the shared store (a new one is put there when there is none);
        None without a shared store or when it does not answer."""
        store = self._shared
        if store is None:
            return None
        try:
            found = store.get(VERSION_KEY)
            if found is None:
                fresh = secrets.token_hex(8)
                if store.add(VERSION_KEY, {"version": fresh}, VERSION_TTL):
                    return fresh
                found = store.get(VERSION_KEY)
        except EphemeralStoreUnavailable:
            return None
        version = None if found is None else found.get("version")
        return version if isinstance(version, str) else None

    def _new_version(self) -> None:
        if self._shared is not None:
            self._shared.put(VERSION_KEY, {"version": secrets.token_hex(8)}, VERSION_TTL)


def _forget_clients() -> None:
    """Drop the clients version and every client row the current unit of work keeps."""
    unit = current_unit()
    if unit is not None:
        for key in [key for key in unit.memo if _is_client_key(key)]:
            del unit.memo[key]


def _is_client_key(key: object) -> bool:
    return isinstance(key, tuple) and len(key) == 2 and key[0] in ("client", "clients")
