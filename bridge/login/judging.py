"""What happens around a judged answer, beside the flow: the per-IP throttle and the one store
call that settles what the answer writes, home-realm discovery before it, and after it the
audit of a failure or the recovery codes of an enrolment."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

import flows
from bridge.domain.events import AuditEventName
from bridge.login.continuation import Continuation
from bridge.login.errors import Throttled
from bridge.login.pending import PendingLogin
from bridge.login.screens import GoTo, Links, Visit
from bridge.login.vault import RecoveryCodeVault
from bridge.services.account.notices import notify_factor_change
from bridge.services.lockout import Submission

if TYPE_CHECKING:
    from bridge.services.container import Services

#: The audit log's ``mfa_factor_type`` of a failed factor (RFC 8176 value -> name).
FACTOR_TYPES = {"otp": "totp", "pwd": "password"}


@contextmanager
def judging(
    services: Services, flow_id: str, visit: Visit
) -> Iterator[tuple[Submission, PendingLogin]]:
    """A submission judged under the per-IP throttle, with this browser's pending login:
    it takes a slot of its address's window first (``Throttled`` when none is left; the
    login is read in the same store call) and gives it back unless it failed."""
    pending = services.pending
    retry_after, raw = services.lockout.admit_reading(visit.ip, pending.key(flow_id))
    if retry_after is not None:
        raise Throttled(retry_after)
    submission = Submission(visit.ip)
    try:
        yield submission, pending.read(raw, visit.browser_id)
    finally:
        # What the submission writes, the forgiven counters deleted and the slot given
        # back (unless it failed), in one store call.
        services.lockout.settle(submission)


def home_realm_redirect(
    services: Services,
    links: Links,
    flow_id: str,
    pending: PendingLogin,
    answer: Mapping[str, str],
) -> GoTo | None:
    """Home-realm discovery on the password page: an e-mail typed as the username whose
    domain belongs to an SSO provider sends the browser to that provider; no password is
    judged. Not while a login proves a local account for linking (that account signs in
    here). The flow's ``idp_redirect`` step did the same earlier for ``login_hint``."""
    username = answer.get("username", "").strip()
    if "@" not in username or pending.continuation.link is not None:
        return None
    provider = services.home_realm.provider_for(username)
    if provider is None:
        return None
    return GoTo(links.upstream_start(provider.alias, flow_id, username))


def after_enrolment(
    services: Services,
    vault: RecoveryCodeVault,
    pending: PendingLogin,
    user_id: str,
    visit: Visit,
) -> Continuation:
    """2FA was activated in this login: audited, mailed, and recovery codes issued (R11),
    kept sealed until the user confirms they saved them."""
    s = services
    s.audit.record(
        AuditEventName.MFA_SETUP_SUCCEEDED,
        user_id=user_id,
        client_id=pending.flow.request.client_id,
        ip=visit.ip,
        user_agent=visit.user_agent,
        mfa_factor_type="totp",
    )
    notify_factor_change(s, user_id, "enabled")
    codes = s.recovery.generate(user_id, ip=visit.ip, user_agent=visit.user_agent)
    return pending.continuation.with_(sealed_recovery_codes=vault.seal(codes, pending.browser))


def audit_failure(
    services: Services, pending: PendingLogin, failure: flows.Failure | None, visit: Visit
) -> None:
    if failure is None:
        return
    services.audit.record(
        AuditEventName.SIGN_IN_FAILED,
        user_id=failure.user_id,
        client_id=pending.flow.request.client_id,
        ip=visit.ip,
        user_agent=visit.user_agent,
        mfa_factor_type=FACTOR_TYPES.get(failure.factor or "", failure.factor),
        reason=failure.reason,
    )
