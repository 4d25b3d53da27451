"""The run state of one login: versioned JSON, never pickled.

The ephemeral store keeps ``state.to_json()`` under an opaque id the browser holds. A state is
only good for the flow (id and ``digest``) it was started with: a changed flow file changes
the paths, so an old state is refused rather than reinterpreted.
"""

from __future__ import annotations

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
