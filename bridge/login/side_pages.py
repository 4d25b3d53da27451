"""The pages beside a login's steps: recovery codes shown once, and "lost your device?".

Recovery codes (R11) are issued when 2FA is activated during a login and wait, sealed, in the
pending login until the user confirms they saved them; then they are dropped and the login
goes on. "Lost your device?" (R13, seed 002): a user who has just proven their password asks
the admins of their organisations to reset their second factor; any admin of any of them may
approve it, and the login ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from sqlalchemy import select

from bridge.domain.errors import LoginExpired
from bridge.domain.language import LanguageHints
from bridge.domain.wording import N_
from bridge.login.errors import LoginStopped, NoAdminsToAsk
from bridge.login.pending import PendingLogin, hints_of
from bridge.login.screens import Visit
from bridge.login.vault import RecoveryCodeVault
from bridge.storage.db.models import Membership, Organisation

if TYPE_CHECKING:
    from bridge.services.container import Services

MAX_MESSAGE = 500
NOT_SAVED = N_("Confirm that you saved your recovery codes before you continue.")


class LoginSidePages:
    def __init__(self, services: Services) -> None:
        self._s = services
        self._vault = RecoveryCodeVault(services.keyring)

    def hints(self, flow_id: str, visit: Visit) -> LanguageHints:
        """What this login's side pages know for their language (nothing, once it is gone)."""
        try:
            pending = self._s.pending.load(flow_id, visit.browser_id)
        except LoginExpired:
            return LanguageHints()
        return hints_of(pending)

    # --- recovery codes, shown once --------------------------------------------------------

    def recovery_codes(self, flow_id: str, visit: Visit) -> tuple[list[str], list[str]] | None:
        """The codes waiting to be shown and the errors to show with them; None when none wait."""
        pending = self._s.pending.load(flow_id, visit.browser_id)
        if pending.continuation.sealed_recovery_codes is None:
            return None
        codes = self._codes(pending)
        if codes is None:
            # Sealed with a key no longer in the keyring: the account page makes new ones.
            pending.continuation = pending.continuation.with_(sealed_recovery_codes=None)
            self._s.pending.save(flow_id, pending)
            return None
        errors = pending.errors.pop("recovery_codes", [])
        if errors:
            self._s.pending.save(flow_id, pending)
        return codes, errors

    def codes_saved(self, flow_id: str, visit: Visit, *, saved: bool) -> bool:
        """The user says they saved the codes: drop them (True). Not confirmed: False."""
        pending = self._s.pending.load(flow_id, visit.browser_id)
        if pending.continuation.sealed_recovery_codes is None:
            return True
        if not saved:
            pending.errors["recovery_codes"] = [NOT_SAVED]
            self._s.pending.save(flow_id, pending)
            return False
        pending.continuation = pending.continuation.with_(sealed_recovery_codes=None)
        self._s.pending.save(flow_id, pending)
        return True

    def _codes(self, pending: PendingLogin) -> list[str] | None:
        sealed = pending.continuation.sealed_recovery_codes
        return None if sealed is None else self._vault.open(sealed, pending.browser)

    # --- lost device -----------------------------------------------------------------------

    def asking_user(self, flow_id: str, visit: Visit) -> str:
        """The user of this login, once their password is proven."""
        pending = self._s.pending.load(flow_id, visit.browser_id)
        user_id = pending.flow.user_id
        if user_id is None or "pwd" not in pending.flow.proven:
            raise LoginStopped(
                N_("Enter your username and password first."), title=N_("Sign in first")
            )
        return user_id

    def organisations(self, user_id: str) -> list[tuple[str, str]]:
        """(id, slug) of each organisation the user belongs to."""
        with self._s.db.session() as session:
            rows = session.execute(
                select(Organisation.id, Organisation.slug)
                .join(Membership, Membership.org_id == Organisation.id)
                .where(Membership.user_id == user_id)
            )
            return [(row.id, row.slug) for row in rows]

    def request_reset(self, flow_id: str, visit: Visit, message: str) -> None:
        """Ask every organisation of the user for a 2FA reset; the login ends."""
        user_id = self.asking_user(flow_id, visit)
        orgs = self.organisations(user_id)
        if not orgs:
            raise NoAdminsToAsk(
                N_(
                    "Your account belongs to no organisation whose admins could reset it. "
                    "Contact the operator of this service."
                )
            )
        console = self._s.settings.issuer.rstrip("/") + "/admin/orgs/"
        for org_id, slug in orgs:
            self._s.reset_requests.request(
                user_id,
                org_id,
                message=message[:MAX_MESSAGE],
                ip=visit.ip,
                user_agent=visit.user_agent,
                # The organisation's console page lists the request with its Approve button.
                approve_url=console + quote(slug),
            )
        self._s.pending.finish(flow_id)
