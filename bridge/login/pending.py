"""Logins in progress: flow state, bound to one browser, with what to do when the flow ends.

The browser holds only the opaque flow id (in the URL) and its own browser cookie; the state
itself is versioned JSON in the ephemeral store, read strictly: a record of an unknown version
or shape is refused with ``PendingLoginError`` (and logged), never a ``TypeError``. Version 1
records (an untyped continuation dict) still load.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bridge.domain.errors import LoginExpired
from bridge.domain.language import LanguageHints
from bridge.domain.wording import N_
from bridge.login.continuation import AnswerAuthorization, Continuation
from bridge.services.languages import read_already
from bridge.storage.ephemeral.base import EphemeralStore
from bridge.storage.ephemeral.records import RecordError
from flows import FlowState, FlowStateError

if TYPE_CHECKING:
    from bridge.services.subjects import Subject

PENDING_VERSION = 2
PENDING_TTL = 30 * 60
EXPIRED = N_("This login has expired or does not exist. Please start again.")
OTHER_BROWSER = N_("This login was started in another browser. Please start again here.")
OLDER_VERSION = N_("This login was started by an older version of the bridge.")

log = logging.getLogger(__name__)


class PendingLoginError(LoginExpired):
    """The flow id is unknown, expired, unreadable, or belongs to another browser."""


def _browser_digest(browser_id: str) -> str:
    return hashlib.sha256(browser_id.encode()).hexdigest()


@dataclass
class PendingLogin:
    flow: FlowState
    continuation: Continuation
    browser: str
    errors: dict[str, list[str]] = field(default_factory=dict)  # shown once, per path
    # The right password of a locked account: whom to ask for the unlock (shown once, with it).
    locked_contacts: list[str] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "v": PENDING_VERSION,
            "flow": self.flow.to_json(),
            "continuation": self.continuation.to_json(),
            "browser": self.browser,
            "errors": self.errors,
            "locked_contacts": self.locked_contacts,
        }

    @classmethod
    def from_json(cls, raw: Any) -> PendingLogin:
        """Read a stored login; ``RecordError``/``FlowStateError`` when malformed."""
        if not isinstance(raw, dict) or raw.get("v") not in (1, PENDING_VERSION):
            raise RecordError(f"pending login version {_version(raw)!r} is not supported")
        browser, errors = raw.get("browser"), raw.get("errors", {})
        contacts = raw.get("locked_contacts")
        if not isinstance(browser, str) or not _errors_shape(errors):
            raise RecordError("pending login: browser or errors malformed")
        if contacts is not None and not _strings(contacts):
            raise RecordError("pending login: locked_contacts malformed")
        read = Continuation.from_v1 if raw["v"] == 1 else Continuation.from_json
        return cls(
            flow=FlowState.from_json(raw.get("flow")),
            continuation=read(raw.get("continuation")),
            browser=browser,
            errors={path: list(messages) for path, messages in errors.items()},
            locked_contacts=None if contacts is None else list(contacts),
        )


def _version(raw: Any) -> Any:
    return raw.get("v") if isinstance(raw, dict) else None


def _strings(values: Any) -> bool:
    return isinstance(values, list) and all(isinstance(v, str) for v in values)


def _errors_shape(errors: Any) -> bool:
    return isinstance(errors, dict) and all(
        isinstance(path, str) and _strings(messages) for path, messages in errors.items()
    )


class PendingLogins:
    def __init__(self, store: EphemeralStore) -> None:
        self._store = store

    def create(self, flow: FlowState, browser_id: str, continuation: Continuation) -> str:
        flow_id = secrets.token_urlsafe(24)
        pending = PendingLogin(flow, continuation, _browser_digest(browser_id))
        self._store.put(f"flow:{flow_id}", pending.to_json(), PENDING_TTL)
        return flow_id

    def load(self, flow_id: str, browser_id: str | None) -> PendingLogin:
        raw = self._store.get(f"flow:{flow_id}")
        if raw is None:
            raise PendingLoginError(EXPIRED)
        try:
            pending = PendingLogin.from_json(raw)
        except (RecordError, FlowStateError) as problem:
            log.warning("refused a stored login that cannot be read: %s", problem)
            raise PendingLoginError(OLDER_VERSION) from None
        if browser_id is None or not hmac.compare_digest(
            pending.browser, _browser_digest(browser_id)
        ):
            raise PendingLoginError(OTHER_BROWSER)
        return pending

    def save(self, flow_id: str, pending: PendingLogin) -> None:
        self._store.put(f"flow:{flow_id}", pending.to_json(), PENDING_TTL)

    def finish(self, flow_id: str) -> bool:
        """Remove the login; True for the one caller that removed it (a flow ends once)."""
        return self._store.take(f"flow:{flow_id}") is not None


def hints_of(pending: PendingLogin, subject: Subject | None = None) -> LanguageHints:
    """What a login's pages know for their language: the application's ``ui_locales`` (from
    its authorization request), the person once known, the login's organisation; and, when
    the request has read the person (``subject``), their saved language and organisations'
    defaults, so that the page does not read them again."""
    then = pending.continuation.then
    ui_locales = then.params.get("ui_locales") if isinstance(then, AnswerAuthorization) else None
    user_id = pending.flow.user_id
    org_id = pending.flow.request.org_id
    saved = organisation = None
    if subject is not None and user_id is not None and subject.user.id == user_id:
        saved, organisation = read_already(subject.user, subject.organisations, org_id)
    return LanguageHints(
        ui_locales=ui_locales,
        user_id=user_id,
        org_id=org_id,
        saved=saved,
        organisation=organisation,
    )
