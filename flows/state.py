"""The run state of one login: versioned JSON, never pickled.

The ephemeral store keeps ``state.to_json()`` under an opaque id the browser holds. A state is
only good for the flow (id and ``digest``) it was started with: a changed flow file changes
the paths, so an old state is refused rather than reinterpreted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from flows.context import LoginRequest
from flows.errors import FlowStateError
from flows.results import Mark

STATE_VERSION = 1


class Status(StrEnum):
    """What became of an execution (only recorded for steps)."""

    DONE = "done"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"


@dataclass
class FlowState:
    flow_id: str
    flow_digest: str
    request: LoginRequest
    created_at: int
    version: int = STATE_VERSION
    user_id: str | None = None
    amr: list[str] = field(default_factory=list)  # everything accepted, session's included
    proven: list[str] = field(default_factory=list)  # factors proven in this login
    session_auth_time: int | None = None  # set when an existing session was reused
    # A federated login: when the user authenticated at the upstream provider (its ID token's
    # auth_time, else the callback's time). Optional in the JSON: a state written before it
    # existed reads as None: the login then authenticated when its flow completes.
    federated_auth_time: int | None = None
    acr: str | None = None
    status: dict[str, Status] = field(default_factory=dict)  # by step path
    fail_reasons: dict[str, str] = field(default_factory=dict)  # by step path
    decisions: dict[str, bool] = field(default_factory=dict)  # conditional path -> when held
    chosen: dict[str, str] = field(default_factory=dict)  # level path -> alternative the user chose
    scratch: dict[str, dict[str, str]] = field(default_factory=dict)  # by step path
    username: str | None = None  # the last username typed
    # How levels were passed beyond factors (a recovery code, a trusted browser). Optional in
    # the JSON: a state written before it existed reads as none.
    marks: list[Mark] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        request = self.request
        return {
            "version": self.version,
            "flow_id": self.flow_id,
            "flow_digest": self.flow_digest,
            "created_at": self.created_at,
            "request": {
                "client_id": request.client_id,
                "org_id": request.org_id,
                "interactive": request.interactive,
                "force_login": request.force_login,
                "max_age": request.max_age,
                "acr_values": list(request.acr_values),
                "login_hint": request.login_hint,
                "required_factors": request.required_factors,
                "idp": request.idp,
                "idp_hint": request.idp_hint,
            },
            "user_id": self.user_id,
            "amr": list(self.amr),
            "proven": list(self.proven),
            "session_auth_time": self.session_auth_time,
            "federated_auth_time": self.federated_auth_time,
            "acr": self.acr,
            "status": {path: status.value for path, status in self.status.items()},
            "fail_reasons": dict(self.fail_reasons),
            "decisions": dict(self.decisions),
            "chosen": dict(self.chosen),
            "scratch": {path: dict(data) for path, data in self.scratch.items()},
            "username": self.username,
            "marks": [mark.value for mark in self.marks],
        }

    @classmethod
    def from_json(cls, data: Any) -> FlowState:
        """Rebuild a state; ``FlowStateError`` if it is of another version or malformed."""
        state = _well_formed(data)
        return cls._checked(data) if state is None else state

    @classmethod
    def _checked(cls, data: Any) -> FlowState:
        """``from_json`` field by field, naming the first field that is wrong."""
        doc = _Doc(data, "state")
        version = doc.get("version", int)
        if version != STATE_VERSION:
            raise FlowStateError(
                f"flow state version {version} is not supported (expected {STATE_VERSION})"
            )
        req = _Doc(doc.get("request", dict), "request")
        request = LoginRequest(
            client_id=req.opt("client_id", str),
            org_id=req.opt("org_id", str),
            interactive=req.get("interactive", bool),
            force_login=req.get("force_login", bool),
            max_age=req.opt("max_age", int),
            acr_values=tuple(req.strings("acr_values")),
            login_hint=req.opt("login_hint", str),
            required_factors=req.opt("required_factors", int) or 0,
            idp=req.opt("idp", str),
            idp_hint=req.opt("idp_hint", str),
        )
        statuses = doc.str_map("status", str)
        try:
            status = {path: Status(value) for path, value in statuses.items()}
        except ValueError as exc:
            raise FlowStateError(f"malformed flow state: status: {exc}") from None
        try:
            marks = [Mark(value) for value in doc.strings("marks")] if "marks" in data else []
        except ValueError as exc:
            raise FlowStateError(f"malformed flow state: marks: {exc}") from None
        scratch: dict[str, dict[str, str]] = {}
        for path, value in doc.str_map("scratch", dict).items():
            scratch[path] = _Doc(value, f"scratch.{path}").as_str_map(str)
        return cls(
            version=version,
            flow_id=doc.get("flow_id", str),
            flow_digest=doc.get("flow_digest", str),
            request=request,
            created_at=doc.get("created_at", int),
            user_id=doc.opt("user_id", str),
            amr=doc.strings("amr"),
            proven=doc.strings("proven"),
            session_auth_time=doc.opt("session_auth_time", int),
            federated_auth_time=doc.opt("federated_auth_time", int),
            acr=doc.opt("acr", str),
            status=status,
            fail_reasons=doc.str_map("fail_reasons", str),
            decisions=doc.str_map("decisions", bool),
            chosen=doc.str_map("chosen", str),
            scratch=scratch,
            username=doc.opt("username", str),
            marks=marks,
        )


_STATUSES = {status.value: status for status in Status}
_MARKS = {mark.value: mark for mark in Mark}


# isinstance(x, str) and the like, as functions that ``map`` calls without a Python frame.
_IS_STR: Callable[[Any], bool] = str.__instancecheck__
_IS_BOOL: Callable[[Any], bool] = bool.__instancecheck__
_IS_DICT: Callable[[Any], bool] = dict.__instancecheck__


def _opt(value: Any, kind: type[Any]) -> bool:
    return value is None or type(value) is kind


def _strings(value: Any) -> bool:
    return type(value) is list and all(map(_IS_STR, value))


def _map(value: Any, is_kind: Callable[[Any], bool]) -> bool:
    return type(value) is dict and all(map(_IS_STR, value)) and all(map(is_kind, value.values()))


def _well_formed(data: Any) -> FlowState | None:
    """The state ``data`` holds when every field has the JSON type ``to_json`` writes (as a
    state read from the store does), read in one pass, once per request; None otherwise, and
    then ``FlowState._checked`` reads it again to accept it or name what is wrong. Whatever
    this accepts, ``_checked`` accepts too, as the same state (a property test compares them)."""
    if type(data) is not dict:
        return None
    get: Callable[[str], Any] = data.get
    req, version, created_at = get("request"), get("version"), get("created_at")
    if type(version) is not int or version != STATE_VERSION or type(req) is not dict:
        return None
    status, scratch = get("status"), get("scratch")
    marks = get("marks") if "marks" in data else []
    amr, proven = get("amr"), get("proven")
    fail_reasons, decisions, chosen = get("fail_reasons"), get("decisions"), get("chosen")
    user_id, username, acr = get("user_id"), get("username"), get("acr")
    session_auth_time, federated_auth_time = get("session_auth_time"), get("federated_auth_time")
    flow_id, flow_digest = get("flow_id"), get("flow_digest")
    rget: Callable[[str], Any] = req.get
    client_id, org_id, login_hint = rget("client_id"), rget("org_id"), rget("login_hint")
    idp, idp_hint, max_age = rget("idp"), rget("idp_hint"), rget("max_age")
    interactive, force_login = rget("interactive"), rget("force_login")
    acr_values, required_factors = rget("acr_values"), rget("required_factors")
    if not (
        type(flow_id) is str
        and type(flow_digest) is str
        and type(created_at) is int
        and _opt(user_id, str)
        and _opt(username, str)
        and _opt(acr, str)
        and _opt(session_auth_time, int)
        and _opt(federated_auth_time, int)
        and _strings(amr)
        and _strings(proven)
        and _strings(marks)
        and _map(status, _IS_STR)
        and _map(fail_reasons, _IS_STR)
        and _map(decisions, _IS_BOOL)
        and _map(chosen, _IS_STR)
        and _map(scratch, _IS_DICT)
        and all(_map(entry, _IS_STR) for entry in scratch.values())
        and _opt(client_id, str)
        and _opt(org_id, str)
        and _opt(login_hint, str)
        and _opt(idp, str)
        and _opt(idp_hint, str)
        and _opt(max_age, int)
        and _opt(required_factors, int)
        and type(interactive) is bool
        and type(force_login) is bool
        and _strings(acr_values)
        and all(map(_STATUSES.__contains__, status.values()))
        and all(map(_MARKS.__contains__, marks))
    ):
        return None
    request = LoginRequest(
        client_id=client_id,
        org_id=org_id,
        interactive=interactive,
        force_login=force_login,
        max_age=max_age,
        acr_values=tuple(acr_values),
        login_hint=login_hint,
        required_factors=required_factors or 0,
        idp=idp,
        idp_hint=idp_hint,
    )
    return FlowState(
        version=version,
        flow_id=flow_id,
        flow_digest=flow_digest,
        request=request,
        created_at=created_at,
        user_id=user_id,
        amr=list(amr),
        proven=list(proven),
        session_auth_time=session_auth_time,
        federated_auth_time=federated_auth_time,
        acr=acr,
        status={path: _STATUSES[value] for path, value in status.items()},
        fail_reasons=dict(fail_reasons),
        decisions=dict(decisions),
        chosen=dict(chosen),
        scratch={path: dict(entry) for path, entry in scratch.items()},
        username=username,
        marks=[_MARKS[value] for value in marks],
    )


class _Doc:
    """Typed reads from a JSON object, raising ``FlowStateError`` on anything unexpected."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise FlowStateError(f"malformed flow state: {where} is not an object")
        self.data: dict[str, Any] = data
        self.where = where

    def _bad(self, key: str, expected: str) -> FlowStateError:
        return FlowStateError(f"malformed flow state: {self.where}.{key} must be {expected}")

    def get(self, key: str, kind: type[Any]) -> Any:
        value = self.data.get(key)
        # bool is an int in Python; never accept one for the other.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self._bad(key, kind.__name__)
        return value

    def opt(self, key: str, kind: type[Any]) -> Any:
        return None if self.data.get(key) is None else self.get(key, kind)

    def strings(self, key: str) -> list[str]:
        value = self.data.get(key)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self._bad(key, "a list of strings")
        return list(value)

    def str_map(self, key: str, kind: type[Any]) -> dict[str, Any]:
        return _Doc(self.get(key, dict), f"{self.where}.{key}").as_str_map(kind)

    def as_str_map(self, kind: type[Any]) -> dict[str, Any]:
        for key, value in self.data.items():
            if not isinstance(key, str) or not isinstance(value, kind):
                raise self._bad(str(key), kind.__name__)
        return dict(self.data)
