"""What a user may do to their own second factor, and what each change sets off (R10).

The account pages are one face of these rules; keeping them here means the checks (2FA cannot
be turned off while something requires it) and the consequences (sessions end, browsers are
forgotten, the user is told) are written once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update

from bridge.domain.errors import AccountLocked, Conflict
from bridge.domain.events import AuditEventName
from bridge.domain.wording import N_, Joined, Phrase
from bridge.services.account.notices import notify_factor_change
from bridge.services.account.sign_out import sign_out_everywhere
from bridge.services.container import Services
from bridge.services.orgs.second_factors import wipe_second_factors
from bridge.services.service_accounts import refuse_service_account
from bridge.storage.db.models import User
from flows.context import Directory, Verdict


class MfaStillRequiredError(Conflict):
    """Two-factor authentication cannot be turned off: something requires it."""

    code = "mfa-still-required"
    title = N_("Two-factor authentication stays on")


@dataclass(frozen=True)
class Origin:
    """Where a change was asked from, for the audit log."""

    ip: str | None
    user_agent: str | None


def why_required(reasons: tuple[str, ...]) -> Joined:
    """The policy's reasons (``org_enforces:acme``, ...) in words a user understands."""
    said: list[str] = []
    for reason in reasons:
        kind, _, slug = reason.partition(":")
        if kind == "org_enforces":
            said.append(Phrase("your organisation %(org)s requires it", org=slug))
        elif kind == "production_partner":
            said.append(
                Phrase("your organisation %(org)s (a partner in production) requires it", org=slug)
            )
        elif kind == "required_by_admin":
            said.append(N_("an administrator required it for your account"))
        elif kind == "reenrol_after_reset":
            said.append(N_("you reset your authenticator and must set up a new one first"))
        else:
            said.append(N_("it is required for every account here"))
    return Joined(said)


class FactorChanges:
    def __init__(self, services: Services) -> None:
        self._s = services

    def current_code_is_right(self, user: User, code: str, directory: Directory) -> bool:
        """A factor change is confirmed with the current code; wrong codes count toward the
        lockout like a login's. The wrong code that locks the account ends every session of
        it and raises ``AccountLocked``."""
        verdict = directory.verify_totp(user.id, code)
        if verdict is Verdict.LOCKED:
            self._s.sessions.end_all(user.id)
            raise AccountLocked()
        return verdict is Verdict.OK

    def check_can_enable(self, user: User) -> None:
        """``ServiceAccountWithoutMfa`` for a service account: it never has a second factor."""
        refuse_service_account(self._s.db, user.id)

    def reset(self, user: User, origin: Origin, *, reason: str) -> None:
        """Seed 003 / 001: the authenticator, recovery codes and trusted browsers go, every
        session and every application's grant ends, and the next login sets up a new
        authenticator (even for a user whom nothing else requires to use 2FA: a reset is not a
        way to turn it off)."""
        with self._s.db.session() as db:
            wipe_second_factors(db, [user.id])
            db.execute(update(User).where(User.id == user.id).values(mfa_reenrol=True))
        revoked = sign_out_everywhere(self._s, user.id, f"mfa_reset_{reason}")
        self._audit(
            AuditEventName.MFA_RESET,
            user,
            origin,
            reason=reason,
            details={"grants_revoked": revoked},
        )
        notify_factor_change(self._s, user.id, "reset")

    def disable(self, user: User, origin: Origin) -> None:
        """Turn 2FA off; refused (``MfaStillRequiredError``) while anything requires it."""
        requirement = self._s.mfa_policy.requirement(user.id)
        if requirement.required:
            raise MfaStillRequiredError(
                Phrase(
                    "You cannot turn it off: %(reasons)s.",
                    reasons=why_required(requirement.reasons),
                )
            )
        self._wipe(user)
        self._audit(AuditEventName.MFA_DISABLED, user, origin, reason="self_service")
        notify_factor_change(self._s, user.id, "disabled")

    def _wipe(self, user: User) -> None:
        with self._s.db.session() as db:
            wipe_second_factors(db, [user.id])

    def _audit(
        self,
        event: AuditEventName,
        user: User,
        origin: Origin,
        *,
        reason: str,
        details: dict[str, int] | None = None,
    ) -> None:
        self._s.audit.record(
            event,
            user_id=user.id,
            actor_id=user.id,
            ip=origin.ip,
            user_agent=origin.user_agent,
            mfa_factor_type="totp",
            reason=reason,
            details=details,
        )
