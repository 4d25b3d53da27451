"""``id_token_hint`` at the authorization endpoint (OIDC Core §3.1.2.1).

With ``prompt=none`` the bridge may answer only for the user the hint names: when the
browser's session belongs to someone else (or the hint is not an ID token this bridge
signed, so it names nobody the bridge can vouch for), the answer is ``login_required``,
never a code for the session's user.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from bridge.services.container import Services

log = logging.getLogger(__name__)

LOGIN_REQUIRED = "login_required"


class HintedUserNotSignedIn(ValueError):  # noqa: N818 - reads as "raise HintedUserNotSignedIn"
    """``prompt=none`` with an ``id_token_hint`` for another user than the session's."""

    error = LOGIN_REQUIRED


def hinted_subject(services: Services, id_token_hint: str) -> str | None:
    """The ``sub`` of an ID token this bridge signed (expired or not), or None.

    An expired hint still names its user (OIDC Core §3.1.2.1 lets the OP accept it); the
    signature and the issuer must be the bridge's own.
    """
    try:
        keys = KeySet.import_key_set(services.keys.jwks())  # type: ignore[arg-type]
        token = jwt.decode(id_token_hint, keys, algorithms=[services.settings.keys.signing_alg])
    except (JoseError, ValueError, TypeError) as error:
        log.info("id_token_hint not accepted: %s", error)
        return None
    claims = token.claims
    subject = claims.get("sub")
    if claims.get("iss") != services.settings.issuer or not isinstance(subject, str):
        return None
    return subject


def check_hint(services: Services, params: Mapping[str, str], session_user: str | None) -> None:
    """Raise ``HintedUserNotSignedIn`` for ``prompt=none`` whose ``id_token_hint`` names
    another user than the browser's session (no session: the flow says ``login_required``)."""
    hint = params.get("id_token_hint")
    if not hint or session_user is None or "none" not in params.get("prompt", "").split():
        return
    if hinted_subject(services, hint) != session_user:
        raise HintedUserNotSignedIn(
            "The user the id_token_hint names is not signed in; sign in interactively."
        )
