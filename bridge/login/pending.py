"""Logins in progress: flow state, bound to one browser, with what to do when the flow ends.

The browser holds only the opaque flow id (in the URL) and its own browser cookie; the state
itself is versioned JSON in the ephemeral store, read strictly: a record of an unknown version
or shape is refused with ``PendingLoginError`` (and logged), never a ``TypeError``. Version 1
records (an untyped continuation dict) still load.

Every write keeps a login ``PENDING_TTL`` seconds from then (plus ``RENEW_WITHIN``); a page
shown writes it back to renew that. A page shown within ``RENEW_WITHIN`` seconds of the last
write, with nothing changed (the page after a submission, the first page after
``/authorize``), is not written again (issue 16): the extra ``RENEW_WITHIN`` of every write
keeps such a login at least ``PENDING_TTL`` from that page, as a write would have.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bridge.domain.clock import Clock
from bridge.domain.errors import LoginExpired
from bridge.domain.language import LanguageHints
from bridge.domain.wording import N_
from bridge.login.continuation import AnswerAuthorization, Continuation
from bridge.services.languages import read_already
from bridge.storage.ephemeral.base import EphemeralStore, JsonObject, Put
from bridge.storage.ephemeral.records import RecordError
from flows import FlowState, FlowStateError

if TYPE_CHECKING:
    from bridge.services.subjects import Subject

PENDING_VERSION = 2
PENDING_TTL = 30 * 60
#: A page shown this soon after the login's last write, with nothing changed, writes nothing.
RENEW_WITHIN = 60
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
    written_at: int | None = None  # when it was last written (``PendingLogins``' clock)
    # What it was when loaded (canonical JSON), to tell whether a page changed it.
    loaded: str | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "v": PENDING_VERSION,
            "flow": self.flow.to_json(),
            "continuation": self.continuation.to_json(),
            "browser": self.browser,
            "errors": self.errors,
            "locked_contacts": self.locked_contacts,
            "written_at": self.written_at,
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
        written_at = raw.get("written_at")
        if written_at is not None and (type(written_at) is not int):
            raise RecordError("pending login: written_at malformed")
        read = Continuation.from_v1 if raw["v"] == 1 else Continuation.from_json
        return cls(
            flow=FlowState.from_json(raw.get("flow")),
            continuation=read(raw.get("continuation")),
            browser=browser,
            errors={path: list(messages) for path, messages in errors.items()},
            locked_contacts=None if contacts is None else list(contacts),
            written_at=written_at,
        )


def _version(raw: Any) -> Any:
    return raw.get("v") if isinstance(raw, dict) else None


def _strings(values: Any) -> bool:
    return isinstance(values, list) and all(isinstance(v, str) for v in values)


def _errors_shape(errors: Any) -> bool:
    return isinstance(errors, dict) and all(
        isinstance(path, str) and _strings(messages) for path, messages in errors.items()
    )


def _canonical(pending: PendingLogin) -> str:
    return json.dumps(pending.to_json(), sort_keys=True, separators=(",", ":"))


class PendingLogins:
    def __init__(self, store: EphemeralStore, clock: Clock | None = None) -> None:
        self._store = store
        self._clock = clock  # None: every page writes its login back (no ``written_at``)

    def create(self, flow: FlowState, browser_id: str, continuation: Continuation) -> str:
        flow_id = secrets.token_urlsafe(24)
        self._put(flow_id, PendingLogin(flow, continuation, _browser_digest(browser_id)))
        return flow_id

    @staticmethod
    def key(flow_id: str) -> str:
        """The store key of the login ``flow_id``."""
        return f"flow:{flow_id}"

    def _put(self, flow_id: str, pending: PendingLogin, later: list[Put] | None = None) -> None:
        if self._clock is not None:
            pending.written_at = int(self._clock())
        put = (self.key(flow_id), pending.to_json(), PENDING_TTL + RENEW_WITHIN)
        if later is None:
            self._store.put(*put)
        else:
            later.append(put)

    def load(self, flow_id: str, browser_id: str | None) -> PendingLogin:
        return self.read(self._store.get(self.key(flow_id)), browser_id)

    def read(self, raw: JsonObject | None, browser_id: str | None) -> PendingLogin:
        """The login stored as ``raw`` (what the store holds under ``key``), for this browser;
        ``PendingLoginError`` otherwise."""
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
        if self._clock is not None:
            pending.loaded = _canonical(pending)
        return pending

    def save(self, flow_id: str, pending: PendingLogin, *, later: list[Put] | None = None) -> None:
        """Write the login; into ``later`` instead when given, for the caller to write with
        other values in one store call (a judged submission: ``Lockout.settle``)."""
        self._put(flow_id, pending, later)

    def shown(self, flow_id: str, pending: PendingLogin) -> None:
        """A page of the login was shown: write it back (renewing its expiry), unless it is
        unchanged since it was loaded and was written less than ``RENEW_WITHIN`` ago; its
        expiry then stays at least ``PENDING_TTL`` from now (see the module's description)."""
        if (
            self._clock is not None
            and pending.written_at is not None
            and pending.loaded is not None
            and 0 <= int(self._clock()) - pending.written_at < RENEW_WITHIN
            and _canonical(pending) == pending.loaded
        ):
            return
        self._put(flow_id, pending)

    def finish(self, flow_id: str) -> bool:
        """Remove the login; True for the one caller that removed it (a flow ends once)."""
        return self._store.take(self.key(flow_id)) is not None

    def finish_reading(self, flow_id: str, key: str) -> tuple[bool, JsonObject | None]:
        """``finish``, and read ``key`` of the store in the same round trip (issue 16: the
        nonce of the authorization the login answers)."""
        taken, value = self._store.take_and_get(self.key(flow_id), key)
        return taken is not None, value


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
