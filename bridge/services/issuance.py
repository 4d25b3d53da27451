"""Whether tokens may be issued now (issue 12, item 5).

Every token-issuing path asks again at issuance, not only when the login ended: a code, a refresh
token or a client's credentials can outlive the state they were earned in. A user must still
exist, be enabled, not be locked, not be a service account (whose account signs in nowhere,
``bridge.services.service_accounts``), and not hold a temporary password when the grant's login
proved the password (issue 14: it must be replaced first); a client must still exist and be
allowed the grant it uses (``bridge.oidc.adapters.OAuthClient``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from bridge.services.lockout import Lockout
from bridge.storage.db.models import User

log = logging.getLogger(__name__)


def refusal_for_user(
    find_user: Callable[[str], User | None],
    lockout: Lockout,
    user_id: str,
    amr: Sequence[str] = (),
) -> str | None:
    """Why no token may be issued to ``user_id`` now, or None when one may; ``find_user``
    reads the user's row (``UserService.get``, or the token request's remembered row); ``amr``
    is what the grant's login proved, when known."""
    user = find_user(user_id)
    if user is None:
        reason = "unknown_user"
    elif user.disabled:
        reason = "disabled"
    elif user.service_account:
        reason = "service_account"
    elif user.locked_at is not None and lockout.is_locked(user.id):
        # The row just read says whether a lock is set; only a set one is asked about (a
        # timed lock that has run out is lifted there, and tokens may be issued again).
        reason = "locked"
    elif user.password_must_change and "pwd" in amr:
        # A temporary password (issue 14): a login with it finishes only once it is replaced,
        # and setting it ended every grant; nothing its password proved gets a token.
        reason = "password_must_change"
    else:
        return None
    log.info("no token for user %s: %s", user_id, reason)
    return reason
