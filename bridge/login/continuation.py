"""What a login carries beside its flow state: where it goes when it ends, and what it picked up.

Frozen values with named fields (never a bag of string keys), written to JSON by ``to_json`` and
read strictly by ``from_json``: a field of the wrong type or an unknown kind is a
``RecordError`` (``bridge.storage.ephemeral.records``), which the pending-login store turns into a
clear refusal.

- ``then``: answer an OIDC authorization request (``AnswerAuthorization``), or go back to a
  page of the bridge (``ReturnTo``: the account page, the admin console).
- ``upstream``: the provider and upstream ID token of a federated login (for the logout
  there), the same ``UpstreamSession`` the bridge session keeps.
- ``link``: an upstream identity waiting for its local account's proof before it is linked.
- ``sealed_recovery_codes``: the recovery codes issued at enrolment, sealed with the keyring
  (never plaintext in the ephemeral store) until the user confirms they saved them.
- ``password_change_due``: the flow completed for a user whose password is a temporary one
  (issue 14): the login waits on the "choose a new password" page. Written only when set, and
  read as false when absent, so logins stored before it existed (or by an older process) load.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from bridge.federation.client import UpstreamIdentity
from bridge.login.sessions import UpstreamSession
from bridge.storage.ephemeral.records import Fields, RecordError

ACCOUNT_PAGE = "/account"


def is_local_path(value: object) -> bool:
    """A path on this server. Browsers drop tabs and newlines in URLs: "/<tab>/x" means "//x"."""
    return (
        isinstance(value, str)
        and value.isprintable()
        and value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
    )


@dataclass(frozen=True)
class AnswerAuthorization:
    """Answer the OIDC authorization request with these parameters (validated again then)."""

    params: Mapping[str, str]


@dataclass(frozen=True)
class ReturnTo:
    """Go back to ``path``, a page of the bridge itself."""

    path: str = ACCOUNT_PAGE


Then = AnswerAuthorization | ReturnTo


@dataclass(frozen=True)
class PendingLink:
    """An upstream identity to link to ``user_id`` once that account proved itself here."""

    provider: str
    user_id: str
    identity: UpstreamIdentity


@dataclass(frozen=True)
class Continuation:
    """What a pending login carries beside its flow state (see the module's docstring)."""

    then: Then
    upstream: UpstreamSession | None = None
    link: PendingLink | None = None
    sealed_recovery_codes: str | None = None
    password_change_due: bool = False

    def with_(self, **changes: Any) -> Continuation:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        then = self.then
        return {
            "then": (
                {"kind": "authorize", "params": dict(then.params)}
                if isinstance(then, AnswerAuthorization)
                else {"kind": "redirect", "next": then.path}
            ),
            "upstream": None if self.upstream is None else self.upstream.to_json(),
            "link": None if self.link is None else _link_json(self.link),
            "sealed_recovery_codes": self.sealed_recovery_codes,
            **({"password_change_due": True} if self.password_change_due else {}),
        }

    @classmethod
    def from_json(cls, data: Any) -> Continuation:
        doc = Fields(data, "continuation", known=KNOWN | {"password_change_due"})
        upstream, link = doc.optional("upstream"), doc.optional("link")
        due = data.get("password_change_due", False)
        if not isinstance(due, bool):
            raise RecordError("continuation.password_change_due must be true or false")
        return cls(
            then=_then(doc.optional("then")),
            upstream=None if upstream is None else UpstreamSession.from_json(upstream),
            link=None if link is None else _link(link),
            sealed_recovery_codes=doc.optional_text("sealed_recovery_codes"),
            password_change_due=due,
        )

    @classmethod
    def from_v1(cls, data: Any) -> Continuation:
        """A version 1 continuation: ``{"kind": ..., "params"|"next", "upstream", "link"}``.
        Its plaintext recovery codes are not carried over (the account page makes new ones)."""
        doc = _fields(data, "continuation")
        upstream, link = doc.get("upstream"), doc.get("link")
        return cls(
            then=_then(doc),
            upstream=None if upstream is None else UpstreamSession.from_json(upstream),
            link=None if link is None else _link(link),
        )


KNOWN = frozenset({"then", "upstream", "link", "sealed_recovery_codes"})


def _then(data: Any) -> Then:
    doc = _fields(data, "then")
    kind = doc.get("kind")
    if kind == "authorize":
        params = _fields(doc.get("params"), "then.params")
        if not all(isinstance(value, str) for value in params.values()):
            raise RecordError("then.params must map strings to strings")
        return AnswerAuthorization(params)
    if kind in ("redirect", "account"):
        path = doc.get("next", ACCOUNT_PAGE)
        if not isinstance(path, str):
            raise RecordError("then.next must be a string")
        return ReturnTo(path)
    raise RecordError(f"then.kind {kind!r} is not known")


def _link_json(link: PendingLink) -> dict[str, Any]:
    identity = asdict(link.identity)
    identity["raw_claims"] = dict(link.identity.raw_claims)
    identity["amr"] = list(link.identity.amr)
    return {"provider": link.provider, "user_id": link.user_id, "identity": identity}


def _link(data: Any) -> PendingLink:
    doc = _fields(data, "link")
    raw = _fields(doc.get("identity"), "link.identity")
    amr = raw.get("amr")
    if not isinstance(amr, list) or not all(isinstance(item, str) for item in amr):
        raise RecordError("link.identity.amr must be a list of strings")
    auth_time = raw.get("auth_time")
    if auth_time is not None and (not isinstance(auth_time, int) or isinstance(auth_time, bool)):
        raise RecordError("link.identity.auth_time must be a whole number")
    if not isinstance(raw.get("email_verified"), bool):
        raise RecordError("link.identity.email_verified must be true or false")
    identity = UpstreamIdentity(
        provider=_str(raw, "provider"),
        subject=_str(raw, "subject"),
        email=_optional_str(raw, "email"),
        email_verified=raw["email_verified"],
        name=_optional_str(raw, "name"),
        amr=tuple(amr),
        acr=_optional_str(raw, "acr"),
        auth_time=auth_time,
        raw_claims=_fields(raw.get("raw_claims"), "link.identity.raw_claims"),
        id_token=_str(raw, "id_token"),
    )
    return PendingLink(
        provider=_str(doc, "provider"), user_id=_str(doc, "user_id"), identity=identity
    )


def _fields(data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict) or not all(isinstance(key, str) for key in data):
        raise RecordError(f"{where} must be an object")
    return data


def _str(doc: dict[str, Any], key: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str):
        raise RecordError(f"{key} must be a string")
    return value


def _optional_str(doc: dict[str, Any], key: str) -> str | None:
    return None if doc.get(key) is None else _str(doc, key)
