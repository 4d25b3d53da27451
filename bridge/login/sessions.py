"""Browser sessions: who is signed in at the bridge in this browser, and how they proved it.

Per user, the store keeps when the user last signed out everywhere (``end_all``): every
session of the user that started at or before that moment is over. This per-user index is one
key written with a plain ``put`` (the last writer wins, and both writers want "now"), so no
read-modify-write of a list of sessions can lose a session started in parallel. It lives as
long as a session may, after which every session it ended has expired anyway.

A session is versioned JSON read strictly (``bridge.storage.ephemeral.records``): one this code
cannot
read is logged and counts as no session, so the user signs in again instead of meeting a 500.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from bridge.domain.clock import Clock
from bridge.storage.ephemeral.base import EphemeralStore, Put
from bridge.storage.ephemeral.records import Fields, RecordError, check_version, stored_fields

log = logging.getLogger(__name__)

#: The version of the stored session; today's shape without a ``version`` reads as 1.
SESSION_VERSION = 1


def _key(token: str) -> str:
    return "session:" + hashlib.sha256(token.encode()).hexdigest()


def _ended_key(user_id: str) -> str:
    return f"sessions-ended:{user_id}"


@dataclass(frozen=True)
class UpstreamSession:
    """The provider a federated login went through and the ID token it returned: the logout at
    the bridge also ends the session at that provider (``bridge.federation.views``)."""

    provider_alias: str
    id_token: str

    def to_json(self) -> dict[str, str]:
        return {"provider": self.provider_alias, "id_token": self.id_token}

    @classmethod
    def from_json(cls, data: Any) -> UpstreamSession:
        fields = Fields(data, "browser session upstream", known=frozenset({"provider", "id_token"}))
        return cls(provider_alias=fields.text("provider"), id_token=fields.text("id_token"))


@dataclass(frozen=True)
class BrowserSession:
    user_id: str
    amr: tuple[str, ...]
    auth_time: int
    acr: str | None
    created_at: int
    expires_at: int
    started: float = 0.0  # the clock's exact time at creation, compared with ``end_all``
    upstream: UpstreamSession | None = None  # set by a federated login

    def to_json(self) -> dict[str, Any]:
        return {
            "version": SESSION_VERSION,
            "user_id": self.user_id,
            "amr": list(self.amr),
            "auth_time": self.auth_time,
            "acr": self.acr,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "started": self.started,
            "upstream": None if self.upstream is None else self.upstream.to_json(),
        }

    @classmethod
    def from_json(cls, data: Any) -> BrowserSession:
        """Rebuild a stored session; ``RecordError`` if it is of another version or malformed."""
        check_version(data, "browser session", SESSION_VERSION)
        fields = Fields(data, "browser session", known=stored_fields(cls))
        upstream = fields.optional("upstream")
        return cls(
            user_id=fields.text("user_id"),
            amr=fields.texts("amr"),
            auth_time=fields.integer("auth_time"),
            acr=fields.optional_text("acr"),
            created_at=fields.integer("created_at"),
            expires_at=fields.integer("expires_at"),
            started=fields.number("started"),
            upstream=None if upstream is None else UpstreamSession.from_json(upstream),
        )


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
        upstream: UpstreamSession | None = None,
        later: list[Put] | None = None,
    ) -> str:
        """Start a session and return the opaque token the browser keeps in its cookie; its
        record goes into ``later`` when given, for the caller to write with other values."""
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
        put = (_key(token), session.to_json(), self.lifetime)
        if later is None:
            self._store.put(*put)
        else:
            later.append(put)
        return token

    def get(self, token: str | None) -> BrowserSession | None:
        if not token:
            return None
        raw = self._store.get(_key(token))
        if raw is None:
            return None
        try:
            session = BrowserSession.from_json(raw)
        except RecordError as error:
            log.warning("browser session refused, treated as signed out: %s", error)
            return None
        if session.expires_at <= self._clock():
            return None
        ended = self._store.get(_ended_key(session.user_id))
        if (
            ended is not None
            and session.started <= float(ended["at"])
            and ended.get("keep") != _key(token)
        ):
            return None
        return session

    def end_all(self, user_id: str, *, keep: str | None = None) -> None:
        """End every session of the user, in every browser (sign out everywhere); ``keep``:
        the token of the one session that goes on (this browser's, after a password change)."""
        mark = {"at": float(self._clock()), "keep": None if keep is None else _key(keep)}
        self._store.put(_ended_key(user_id), mark, self.lifetime + 1)

    def end(self, token: str | None) -> None:
        if token:
            self._store.delete(_key(token))
