"""Browser sessions: who is signed in at the bridge in this browser, and how they proved it."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import asdict, dataclass

from bridge.clock import Clock
from bridge.ephemeral.base import EphemeralStore


def _key(token: str) -> str:
    return "session:" + hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class BrowserSession:
    user_id: str
    amr: tuple[str, ...]
    auth_time: int
    acr: str | None
    created_at: int
    expires_at: int


class BrowserSessions:
    def __init__(self, store: EphemeralStore, clock: Clock, *, lifetime: int) -> None:
        self._store = store
        self._clock = clock
        self.lifetime = lifetime

    def create(self, user_id: str, amr: tuple[str, ...], auth_time: int, acr: str | None) -> str:
        """Start a session and return the opaque token the browser keeps in its cookie."""
        token = secrets.token_urlsafe(32)
        now = int(self._clock())
        session = BrowserSession(user_id, tuple(amr), auth_time, acr, now, now + self.lifetime)
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
        return session

    def end(self, token: str | None) -> None:
        if token:
            self._store.delete(_key(token))
