"""How tokens and the marks about them are named in the stores.

Tokens are kept only as SHA-256 hashes: a leaked store does not leak usable tokens.
"""

from __future__ import annotations

import hashlib

from bridge.oidc.codes import CodeData
from bridge.storage.ephemeral.base import JsonObject


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def voided_key(user_id: str) -> str:
    """The user's "codes voided" mark (``revoke_user_grants``)."""
    return f"codes-voided:{user_id}"


def user_memo(user_id: str) -> tuple[str, str]:
    """The key a token request's user row is remembered under (``remembered``)."""
    return ("oidc_user", user_id)


def voided_by(code: CodeData, mark: JsonObject | None) -> str | None:
    """Why ``mark`` (the user's "codes voided" mark, ``revoke_user_grants``) voids the code,
    or None when there is none or it came before the code was issued."""
    if mark is None or code.issued_at > float(mark["at"]):
        return None
    return str(mark["reason"])
