"""What an authorization code stands for, stored as versioned JSON until it is redeemed.

A code's data is read strictly (``bridge.storage.ephemeral.records``): data this code cannot read
is a ``RecordError``, which ``TokenService.redeem_code`` logs and refuses like an unknown code.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from bridge.storage.ephemeral.records import Fields, check_version, stored_fields

#: The version of a stored code's data; today's shape without a ``version`` reads as 1.
CODE_VERSION = 1


def new_id() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class CodeData:
    """Everything an authorization code stands for, until the token endpoint redeems it."""

    client_id: str
    redirect_uri: str
    scope: str
    user_id: str
    auth_time: int
    amr: tuple[str, ...]
    acr: str | None
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float = 0.0
    grant_id: str = field(default_factory=new_id)
    issued_at: float = 0.0  # the clock's exact time, compared with ``revoke_user_grants``
    # What the ``claims`` parameter asked for, one by one (bridge.oidc.claims).
    userinfo_claims: tuple[str, ...] = ()
    id_token_claims: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "version": CODE_VERSION,
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "user_id": self.user_id,
            "auth_time": self.auth_time,
            "amr": list(self.amr),
            "acr": self.acr,
            "nonce": self.nonce,
            "code_challenge": self.code_challenge,
            "code_challenge_method": self.code_challenge_method,
            "expires_at": self.expires_at,
            "grant_id": self.grant_id,
            "issued_at": self.issued_at,
            "userinfo_claims": list(self.userinfo_claims),
            "id_token_claims": list(self.id_token_claims),
        }

    @classmethod
    def from_json(cls, data: Any) -> CodeData:
        """Rebuild a stored code; ``RecordError`` if it is of another version or malformed."""
        check_version(data, "authorization code", CODE_VERSION)
        fields = Fields(data, "authorization code", known=stored_fields(cls))
        return cls(
            client_id=fields.text("client_id"),
            redirect_uri=fields.text("redirect_uri"),
            scope=fields.text("scope"),
            user_id=fields.text("user_id"),
            auth_time=fields.integer("auth_time"),
            amr=fields.texts("amr"),
            acr=fields.optional_text("acr"),
            nonce=fields.optional_text("nonce"),
            code_challenge=fields.optional_text("code_challenge"),
            code_challenge_method=fields.optional_text("code_challenge_method"),
            expires_at=fields.number("expires_at"),
            grant_id=fields.text("grant_id"),
            issued_at=fields.number("issued_at"),
            # A code issued before claims requests were kept asked for none.
            userinfo_claims=fields.texts("userinfo_claims") if "userinfo_claims" in data else (),
            id_token_claims=fields.texts("id_token_claims") if "id_token_claims" in data else (),
        )
