"""What happens once a login's flow completed: small hooks run in order, not view code.

``earned`` says what the login proved (its ``amr`` and the audit log's factor type);
``after_login`` runs ``POST_LOGIN_HOOKS`` over a ``Finishing`` record (start or keep the
bridge session, audit ``sign_in_succeeded``) and returns ``SignedIn``, which the web layer
turns into the answer to the application or the page the login was for. Linking an upstream
identity (``bridge.federation.login``), the recovery codes shown once and the trusted-browser
cookie happen before and beside these, in the login service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import flows
from bridge.domain.events import AuditEventName
from bridge.login.continuation import Then
from bridge.storage.ephemeral.base import Put

if TYPE_CHECKING:
    from bridge.login.pending import PendingLogin
    from bridge.services.container import Services

FEDERATED_AMR = "fed"
#: The ``amr`` value added to a login that used a recovery code (RFC 8176 has none; its "otp"
#: and "mfa" stay, since the code is a single-use secret proven as the second factor).
RECOVERY_CODE_AMR = "recovery_code"


@dataclass(frozen=True)
class Visit:
    """What the web layer tells the login service about the request it serves."""

    browser_id: str | None
    ip: str | None = None
    user_agent: str | None = None
    session_token: str | None = None  # the bridge session cookie
    trust_token: str | None = None  # the trusted-browser cookie


@dataclass(frozen=True)
class SignedIn:
    """A finished login: the user, how they proved it, and where the browser goes now."""

    then: Then
    user_id: str
    amr: tuple[str, ...]
    auth_time: int
    acr: str | None
    session_token: str | None  # a new bridge session's cookie value; None: the old one goes on
    trust: flows.DeviceTrust | None = None  # a browser trusted in this request


@dataclass
class Finishing:
    """A completed login on its way through the hooks."""

    pending: PendingLogin
    result: flows.FlowResult
    factor_type: str
    visit: Visit
    # Where a new session's record goes to be written with the submission's other values
    # (``Lockout.settle``: one store call); None: written at once.
    later: list[Put] | None = None
    session_token: str | None = None  # set by ``start_session`` when a new session starts


PostLoginHook = Callable[["Services", Finishing], None]


def earned(result: flows.FlowResult) -> tuple[tuple[str, ...], str]:
    """The login's ``amr`` and the audit log's ``mfa_factor_type`` for it."""
    amr = result.amr
    factor_type = "totp" if "otp" in amr else "none"
    if FEDERATED_AMR in amr:
        factor_type = "federated"
    if result.used_recovery_code:
        return (*amr, RECOVERY_CODE_AMR), "recovery_code"
    if result.used_trusted_device and "otp" not in amr:
        # The code was proven when the browser was trusted, not now: the amr says only what
        # this login proved (``pwd``); the audit log says why no code was asked.
        factor_type = "trusted_device"
    return amr, factor_type


def start_session(s: Services, finishing: Finishing) -> None:
    """The session this login was satisfied by goes on; otherwise a fresh one (no fixation).

    Never reused for a login that came back from a provider: it may carry the same upstream
    auth_time as the current session (two tabs, a step-up), but it is a sign-in of its own,
    with its own upstream ID token for the logout."""
    result, token = finishing.result, finishing.visit.session_token
    upstream = finishing.pending.continuation.upstream
    current = s.sessions.get(token)
    if (
        current is not None
        and current.user_id == result.user_id
        and current.auth_time == result.auth_time
        and upstream is None
    ):
        return
    s.sessions.end(token)
    finishing.session_token = s.sessions.create(
        result.user_id,
        result.amr,
        result.auth_time,
        result.acr,
        upstream=upstream,
        later=finishing.later,
    )


def audit_sign_in(s: Services, finishing: Finishing) -> None:
    """``sign_in_succeeded`` for every new session (a reused one was audited when it began)."""
    if finishing.session_token is None:
        return
    result, visit = finishing.result, finishing.visit
    s.audit.record(
        AuditEventName.SIGN_IN_SUCCEEDED,
        user_id=result.user_id,
        client_id=finishing.pending.flow.request.client_id,
        ip=visit.ip,
        user_agent=visit.user_agent,
        mfa_factor_type=finishing.factor_type,
        details={"amr": list(result.amr)},
    )


POST_LOGIN_HOOKS: tuple[PostLoginHook, ...] = (start_session, audit_sign_in)


def after_login(s: Services, finishing: Finishing) -> SignedIn:
    for hook in POST_LOGIN_HOOKS:
        hook(s, finishing)
    result = finishing.result
    return SignedIn(
        then=finishing.pending.continuation.then,
        user_id=result.user_id,
        amr=result.amr,
        auth_time=result.auth_time,
        acr=result.acr,
        session_token=finishing.session_token,
    )
