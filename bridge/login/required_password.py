"""A temporary password is replaced before the application is reached (issue 14).

An admin or the operator set it (``bridge.services.account.admin_passwords``). The login runs
its flow as always, second factor included (the flows and their proof are untouched); once the
flow has completed, ``LoginService`` asks ``due`` and, instead of finishing, sends the browser
to the "choose a new password" page. That page works only for such a login, in the browser it
belongs to; the new password obeys the policy and may not be the temporary one. Then the login
goes on and finishes: nothing the temporary password proved reaches an application, a session
or a token before it is replaced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import flows
from bridge.domain.errors import InvalidInput
from bridge.domain.events import AuditEventName
from bridge.domain.wording import N_
from bridge.login.errors import LoginStopped
from bridge.login.pending import PendingLogin
from bridge.login.screens import Visit
from bridge.services.account.passwords import notify_password_changed

if TYPE_CHECKING:
    from bridge.services.container import Services
    from bridge.services.subjects import Subject

FEDERATED = flows.outcomes.FEDERATED
NOT_DUE = N_("This sign-in does not need a new password.")


class SameAsTemporary(InvalidInput):
    """The new password is the temporary one."""

    code = "same-as-temporary"
    title = N_("The password is not accepted")


def due(s: Services, result: flows.FlowResult, read: Subject | None = None) -> bool:
    """Whether a completed login must replace the user's temporary password first. Not for a
    login through an identity provider: it never used the bridge's password. ``read``: the
    user as this request read them already (``BridgeDirectory.subject_read``), so the row is
    not read twice; None: read it."""
    if FEDERATED in result.amr:
        return False
    if read is not None and read.user.id == result.user_id:
        return bool(read.user.password_must_change)
    user = s.users.get(result.user_id)
    return user is not None and bool(user.password_must_change)


class RequiredPassword:
    """The "choose a new password" page's side of the login."""

    def __init__(self, services: Services) -> None:
        self._s = services

    def waiting(self, flow_id: str, visit: Visit) -> PendingLogin:
        """This browser's login that waits for a new password; ``LoginStopped`` otherwise."""
        pending = self._s.pending.load(flow_id, visit.browser_id)
        if not pending.continuation.password_change_due or pending.flow.user_id is None:
            raise LoginStopped(NOT_DUE, title=N_("Nothing to change"))
        return pending

    def choose(self, flow_id: str, visit: Visit, password: str) -> None:
        """Replace the temporary password; the login then finishes (``LoginService``)."""
        pending = self.waiting(flow_id, visit)
        user_id = pending.flow.user_id
        assert user_id is not None
        s = self._s
        user = s.users.get(user_id)
        if user is not None and user.password_must_change:
            s.users.check_new_password(user_id, password)
            if s.users.is_password(user_id, password):
                raise SameAsTemporary(
                    N_("Choose a password of your own, not the temporary one you were given.")
                )
            s.users.replace_password(user_id, password)
            s.password_resets.void_all(user_id)
            s.audit.record(
                AuditEventName.PASSWORD_CHANGED,
                user_id=user_id,
                actor_id=user_id,
                client_id=pending.flow.request.client_id,
                ip=visit.ip,
                user_agent=visit.user_agent,
                details={"temporary_replaced": True},
            )
            notify_password_changed(s, user_id, "temporary")
        pending.continuation = pending.continuation.with_(password_change_due=False)
        s.pending.save(flow_id, pending)
