"""Which claims about a user an ID token and userinfo release (OIDC Core §5.4, §5.5).

A scope releases its claims to both (``profile``: ``preferred_username``, ``name``,
``updated_at``; ``email``: ``email``, ``email_verified``). The ``claims`` request parameter
asks for claims one by one, for the ID token or for userinfo: each is released there when
the client may have the scope its data belongs to (its registered scopes, the bridge's
consent), even if the request's ``scope`` did not name it. Claims the bridge does not know
are ignored (§5.5: a request for them is not an error); ``acr`` is read by
``bridge.oidc.acr``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from authlib.oidc.core import UserInfo

from bridge.domain.json_limits import MAX_JSON_DEPTH, json_too_deep
from bridge.oidc.tokens import user_memo
from bridge.services.container import Services
from bridge.storage.db.models import User
from bridge.storage.db.unit import remembered
from bridge.storage.ephemeral.base import JsonObject

#: The claims of each scope, in the order they appear in a token.
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": ("preferred_username", "name", "updated_at"),
    "email": ("email", "email_verified"),
}
#: The scope whose data each claim is.
CLAIM_SCOPE = {claim: scope for scope, claims in SCOPE_CLAIMS.items() for claim in claims}
MEMBERS = ("userinfo", "id_token")
#: The longest ``claims`` value read (a request naming every claim takes a few hundred).
MAX_CLAIMS_LENGTH = 8192


@dataclass(frozen=True)
class ClaimsRequest:
    """The claim names a ``claims`` parameter asks for, by where they are to be returned."""

    userinfo: tuple[str, ...] = ()
    id_token: tuple[str, ...] = ()

    def allowed(self, may_have: Callable[[str], str]) -> ClaimsRequest:
        """Only the claims the bridge knows whose scope ``may_have`` (a client's
        ``get_allowed_scope``) grants."""

        def keep(names: tuple[str, ...]) -> tuple[str, ...]:
            known = [name for name in names if name in CLAIM_SCOPE]
            granted = set(may_have(" ".join({CLAIM_SCOPE[name] for name in known})).split())
            return tuple(name for name in known if CLAIM_SCOPE[name] in granted)

        return ClaimsRequest(keep(self.userinfo), keep(self.id_token))


def claims_request(raw: str | None) -> ClaimsRequest:
    """The ``claims`` parameter read; ``ValueError`` when it is not the JSON object OIDC
    defines (each member an object of claim names)."""
    if not raw:
        return ClaimsRequest()
    if len(raw) > MAX_CLAIMS_LENGTH or json_too_deep(raw):
        raise ValueError(
            f"'claims' must be at most {MAX_CLAIMS_LENGTH} characters, "
            f"nested at most {MAX_JSON_DEPTH} levels."
        )
    try:
        document = json.loads(raw)
    except ValueError:
        raise ValueError("'claims' must be a JSON object.") from None
    if not isinstance(document, dict):
        raise ValueError("'claims' must be a JSON object.")
    named: dict[str, tuple[str, ...]] = {}
    for member in MEMBERS:
        value = document.get(member) or {}
        if not isinstance(value, dict):
            raise ValueError(f"'claims': {member} must be a JSON object.")
        named[member] = tuple(value)
    return ClaimsRequest(userinfo=named["userinfo"], id_token=named["id_token"])


def known_user(services: Services, user_id: str) -> User | None:
    """The user's row, read once per request (a token request authenticates the user, then
    claims about them): the columns of ``TOKEN_USER``."""
    return remembered(user_memo(user_id), lambda: services.users.get_for_tokens(user_id))


def user_claims(
    services: Services, user_id: str, scope: str, requested: Iterable[str] = ()
) -> UserInfo:
    """The claims a scope, and the claims requested one by one, release about a user."""
    names = {claim for s in scope.split() for claim in SCOPE_CLAIMS.get(s, ())}
    names.update(requested)
    record = known_user(services, user_id)
    info = UserInfo(sub=user_id)
    if record is None:
        return info
    values = {
        "preferred_username": record.username,
        "name": record.name or None,
        "updated_at": int(record.updated_at.timestamp()),
        "email": record.email or None,
        "email_verified": bool(record.email_verified) if record.email else None,
    }
    for claims in SCOPE_CLAIMS.values():
        for claim in claims:
            if claim in names and values[claim] is not None:
                info[claim] = values[claim]
    return info


def userinfo_claims_item(
    services: Services, grant_id: str, names: tuple[str, ...]
) -> tuple[str, JsonObject, int] | None:
    """What keeps the claims a grant's authorization requested for userinfo while its tokens
    may live, as the store's key, value and lifetime; None when it requested none.

    In the ephemeral store, beside the access tokens: losing it releases the scope's claims
    only, never more."""
    if not names:
        return None
    ttl = services.settings.tokens.refresh_token_ttl
    return _claims_key(grant_id), {"userinfo": list(names)}, ttl


def userinfo(services: Services, user_id: str, scope: str, grant_id: str) -> UserInfo:
    """What ``/userinfo`` answers for an access token: its scope's claims and the claims its
    authorization requested for userinfo."""
    raw = services.store.get(_claims_key(grant_id))
    names = raw.get("userinfo") if raw is not None else None
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        names = []
    return user_claims(services, user_id, scope, names)


def _claims_key(grant_id: str) -> str:
    return f"grant-claims:{grant_id}"
