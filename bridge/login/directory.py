"""The bridge's implementation of the flow engine's ``Directory`` port.

Recovery codes, trusted browsers (issue 5) and upstream identity providers (issue 6) have no
service yet. Their methods answer the way that proves nothing: no recovery code is valid, no
browser is trusted, no provider matches. A flow that offers them still works; it just never
takes those ways until the services exist.
"""

from __future__ import annotations

from bridge.orgs.policy import MfaPolicy
from bridge.totp import TotpService
from bridge.users import UserService
from flows.context import EnrolmentOffer, PasswordCheck, UserFacts


class BridgeDirectory:
    def __init__(
        self,
        users: UserService,
        totp: TotpService,
        *,
        mfa_required: bool,
        policy: MfaPolicy | None = None,
    ) -> None:
        self._users = users
        self._totp = totp
        self._mfa_required = mfa_required
        # Organisations decide who needs 2FA (bridge.orgs.policy); ``mfa_required`` (the
        # setting ``mfa.required``) is the answer for users in no organisation.
        # Without a policy (tests of the flows alone), ``mfa_required`` applies to everyone.
        self._policy = policy

    def check_password(self, username: str, password: str) -> PasswordCheck:
        check = self._users.check_password(username, password)
        if check.user_id is not None:
            user = self._users.get(check.user_id)
            if user is not None and user.locked_at is not None:
                # Only someone who knows the password learns that the account is locked (R8).
                return PasswordCheck(user_id=None, reason="locked", known_user_id=user.id)
        return check

    def user_facts(self, user_id: str) -> UserFacts | None:
        user = self._users.get(user_id)
        if user is None:
            return None
        return UserFacts(
            id=user.id,
            username=user.username,
            has_totp=self._totp.has_totp(user.id),
            mfa_required=(
                self._policy.mfa_required(user.id) if self._policy else self._mfa_required
            ),
            is_service_account=bool(user.service_account),
            roles=self._policy.roles(user.id) if self._policy else frozenset(),
        )

    def verify_totp(self, user_id: str, code: str) -> bool:
        return self._totp.verify(user_id, code)

    def start_totp_enrolment(self, user_id: str) -> EnrolmentOffer:
        user = self._users.get(user_id)
        account = user.username if user else user_id
        return self._totp.start_enrolment(user_id, account)

    def confirm_totp_enrolment(self, user_id: str, credential_id: str, code: str) -> bool:
        return self._totp.confirm_enrolment(user_id, credential_id, code)

    def has_recovery_codes(self, user_id: str) -> bool:
        """No recovery codes exist until their service lands (issue 5)."""
        return False

    def verify_recovery_code(self, user_id: str, code: str) -> bool:
        """Never accepts a code until the recovery-code service lands (issue 5)."""
        return False

    def device_is_trusted(self, user_id: str, device: str | None) -> bool:
        """No browser is trusted until the trusted-device service lands (issue 5)."""
        return False

    def trusted_device_days(self, user_id: str) -> int | None:
        """Trusting a browser is not offered until the trusted-device service lands (issue 5)."""
        return None

    def trust_device(self, user_id: str, device: str | None) -> bool:
        """Trusts nothing until the trusted-device service lands (issue 5)."""
        return False

    def upstream_login_url(self, provider: str | None, login_hint: str | None) -> str | None:
        """No upstream identity provider is configured until issue 6: ``idp_redirect`` does
        not apply."""
        return None
