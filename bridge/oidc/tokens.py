"""The token service: authorization codes, access tokens and refresh-token families.

Each kind lives in its own module (``token_codes``, ``token_access``, ``token_families``);
this one joins them and keeps the names callers import from here.
"""

from __future__ import annotations

from bridge.oidc.codes import CodeData as CodeData  # re-exported
from bridge.oidc.token_access import AccessTokens
from bridge.oidc.token_codes import USED_CODE_MEMORY as USED_CODE_MEMORY  # re-exported
from bridge.oidc.token_codes import AuthorizationCodes
from bridge.oidc.token_errors import OrphanedGrantError as OrphanedGrantError  # re-exported
from bridge.oidc.token_families import Refused as Refused  # re-exported
from bridge.oidc.token_keys import token_hash as token_hash  # re-exported
from bridge.oidc.token_keys import user_memo as user_memo  # re-exported
from bridge.oidc.token_records import AccessTokenInfo as AccessTokenInfo  # re-exported
from bridge.oidc.token_records import RefreshTokenInfo as RefreshTokenInfo  # re-exported


class TokenService(AuthorizationCodes, AccessTokens):
    """Codes, access tokens and the families (grants, refresh tokens) they belong to."""
