"""Logins in progress: flow state, bound to one browser, with what to do when the flow ends.

The browser holds only the opaque flow id (in the URL) and its own browser cookie; the
state itself is versioned JSON in the ephemeral store.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from bridge.ephemeral.base import EphemeralStore
from flows import FlowState

PENDING_VERSION = 1
PENDING_TTL = 30 * 60


class PendingLoginError(Exception):
    """The flow id is unknown, expired, or belongs to another browser."""


def _browser_digest(browser_id: str) -> str:
    return hashlib.sha256(browser_id.encode()).hexdigest()


@dataclass
class PendingLogin:
    flow: FlowState
    continuation: dict[str, Any]  # {"kind": "authorize", "params": {...}} or {"kind": "account"}
    browser: str
    errors: dict[str, list[str]] = field(default_factory=dict)  # shown once, per path

    def to_json(self) -> dict[str, Any]:
        return {
            "v": PENDING_VERSION,
            "flow": self.flow.to_json(),
            "continuation": self.continuation,
            "browser": self.browser,
            "errors": self.errors,
        }


class PendingLogins:
    def __init__(self, store: EphemeralStore) -> None:
        self._store = store

    def create(self, flow: FlowState, browser_id: str, continuation: dict[str, Any]) -> str:
        flow_id = secrets.token_urlsafe(24)
        pending = PendingLogin(flow, continuation, _browser_digest(browser_id))
        self._store.put(f"flow:{flow_id}", pending.to_json(), PENDING_TTL)
        return flow_id

    def load(self, flow_id: str, browser_id: str | None) -> PendingLogin:
        raw = self._store.get(f"flow:{flow_id}")
        if raw is None or raw.get("v") != PENDING_VERSION:
            raise PendingLoginError("This login has expired or does not exist. Please start again.")
        if browser_id is None or not hmac.compare_digest(
            raw["browser"], _browser_digest(browser_id)
        ):
            raise PendingLoginError(
                "This login was started in another browser. Please start again here."
            )
        return PendingLogin(
            flow=FlowState.from_json(raw["flow"]),
            continuation=raw["continuation"],
            browser=raw["browser"],
            errors=raw.get("errors", {}),
        )

    def save(self, flow_id: str, pending: PendingLogin) -> None:
        self._store.put(f"flow:{flow_id}", pending.to_json(), PENDING_TTL)

    def finish(self, flow_id: str) -> bool:
        """Remove the login; True for the one caller that removed it (a flow ends once)."""
        return self._store.take(f"flow:{flow_id}") is not None
