"""Browser sessions: who is signed in at the bridge in this browser, and how they proved it.

Per user, the store keeps when the user last signed out everywhere (``end_all``): every
session of the user that started at or before that moment is over. This per-user index is one
key written with a plain ``put`` (the last writer wins, and both writers want "now"), so no
read-modify-write of a list of sessions can lose a session started in parallel. It lives as
long as a session may, after which every session it ended has expired anyway.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import asdict, dataclass

from bridge.clock import Clock
from bridge.ephemeral.base import EphemeralStore


def _key(token: str) -> str:
    return "session:" + hashlib.sha256(token.encode()).hexdigest()


def _ended_key(user_id: str) -> str:
    return f"sessions-ended:{user_id}"


@dataclass(frozen=True)
class BrowserSession:
    user_id: str
    amr: tuple[str, ...]
    auth_time: int
    acr: str | None
    created_at: int
    expires_at: int
    started: float = 0.0  # the clock's exact time at creation, compared with ``end_all``
    # A federated login's provider and upstream ID token ({"provider", "id_token"}): the
    # logout at the bridge also ends the session at that provider (bridge.federation.views).
    upstream: dict[str, str] | None = None


class BrowserSessions:
    def __init__(self, store: EphemeralStore, clock: Clock, *, lifetime: int) -> None:
        self._store = store
        self._clock = clock
        self.lifetime = lifetime

    def create(
        self,
        user_id: str,
        amr: tuple[str, ...],
        auth_time: int,
        acr: str | None,
        *,
        upstream: dict[str, str] | None = None,
    ) -> str:
        """Start a session and return the opaque token the browser keeps in its cookie."""
        token = secrets.token_urlsafe(32)
        now = int(self._clock())
        session = BrowserSession(
            user_id,
            tuple(amr),
            auth_time,
            acr,
            now,
            now + self.lifetime,
            float(self._clock()),
            upstream,
        )
        self._store.put(_key(token), asdict(session), self.lifetime)
        return token

    def get(self, token: str | None) -> BrowserSession | None:
        if not token:
            return None
        raw = self._store.get(_key(token))
        if raw is None:
            return None
        session = BrowserSession(**{**raw, "amr": tuple(raw["amr"])})
        if session.expires_at <= self._clock():
            return None
        ended = self._store.get(_ended_key(session.user_id))
        if ended is not None and session.started <= float(ended["at"]):
            return None
        return session

    def end_all(self, user_id: str) -> None:
        """End every session of the user, in every browser (sign out everywhere)."""
        self._store.put(_ended_key(user_id), {"at": float(self._clock())}, self.lifetime + 1)

    def end(self, token: str | None) -> None:
        if token:
            self._store.delete(_key(token))
