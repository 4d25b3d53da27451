"""The bridge's implementation of the flow engine's ``Directory`` port."""

from __future__ import annotations

from bridge.totp import TotpService
from bridge.users import UserService
from flows.context import EnrolmentOffer, PasswordCheck, UserFacts


class BridgeDirectory:
    def __init__(self, users: UserService, totp: TotpService, *, mfa_required: bool) -> None:
        self._users = users
        self._totp = totp
        self._mfa_required = mfa_required

    def check_password(self, username: str, password: str) -> PasswordCheck:
        return self._users.check_password(username, password)

    def user_facts(self, user_id: str) -> UserFacts | None:
        user = self._users.get(user_id)
        if user is None:
            return None
        return UserFacts(
            id=user.id,
            username=user.username,
            has_totp=self._totp.has_totp(user.id),
            mfa_required=self._mfa_required,
        )

    def verify_totp(self, user_id: str, code: str) -> bool:
        return self._totp.verify(user_id, code)

    def start_totp_enrolment(self, user_id: str) -> EnrolmentOffer:
        user = self._users.get(user_id)
        account = user.username if user else user_id
        return self._totp.start_enrolment(user_id, account)

    def confirm_totp_enrolment(self, user_id: str, credential_id: str, code: str) -> bool:
        return self._totp.confirm_enrolment(user_id, credential_id, code)
