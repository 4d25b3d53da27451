"""Authorization codes and OpenID nonces: short-lived, in the ephemeral store, used once.

A code's data (``bridge.oidc.codes``) is versioned JSON read strictly: data this code
cannot read is logged and the code is refused like an unknown one (``invalid_grant``).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bridge.oidc.codes import CodeData
from bridge.oidc.token_families import TokenFamilies
from bridge.oidc.token_keys import token_hash, voided_by, voided_key
from bridge.storage.db.unit import forget, keep, remembered
from bridge.storage.ephemeral.base import JsonObject
from bridge.storage.ephemeral.records import RecordError

# Named as before the split, so that logging configured for it still applies.
log = logging.getLogger("bridge.oidc.tokens")

# How long a consumed code is remembered, so that a replay can revoke what it issued.
USED_CODE_MEMORY = 24 * 3600


def _nonce_key(client_id: str, nonce: str) -> str:
    return f"nonce:{client_id}:{token_hash(nonce)}"


class AuthorizationCodes(TokenFamilies):
    """Codes and nonces; a replayed code ends the family it started (``revoke_grant``)."""

    def save_code(self, code: str, data: CodeData) -> None:
        """Store the code, and in the same round trip the grant it will start (a replay of
        the code revokes that grant, ``redeem_code``) and its nonce, if any
        (``nonce_was_used``: a nonce is good for one code)."""
        now = self._clock()
        data = replace(data, issued_at=now, expires_at=now + self.code_ttl)
        key = token_hash(code)
        items = [
            (f"code:{key}", data.to_json(), self.code_ttl),
            # Written with the code, not when it is taken (issue 16: one store call fewer per
            # exchange): a code presented again once it is gone, taken or expired, revokes
            # this grant (none was opened for a code that expired unused).
            (f"code-used:{key}", {"grant_id": data.grant_id}, USED_CODE_MEMORY),
        ]
        if data.nonce:
            nonce = _nonce_key(data.client_id, data.nonce)
            items.append((nonce, {}, USED_CODE_MEMORY))
            forget(("nonce_used", nonce))
        self._store.put_many(items)

    def redeem_code(self, code: str, client_id: str) -> CodeData | None:
        """Take a code exactly once. A second presentation revokes what the first one issued."""
        key = token_hash(code)
        raw = self._store.take(f"code:{key}")
        if raw is None:
            used = self._store.get(f"code-used:{key}")
            if used is not None:
                self.revoke_grant(used["grant_id"], "authorization_code_reused")
            return None
        try:
            data = CodeData.from_json(raw)
        except RecordError as error:
            log.warning("authorization code refused as invalid: %s", error)
            return None
        if data.client_id != client_id or data.expires_at <= self._clock():
            return None
        if self._voided(data) is not None:
            return None
        return data

    def nonce_was_used(self, client_id: str, nonce: str) -> bool:
        """Asked once per request: Authlib validates the authorization request twice (for the
        consent grant, then again as it issues the code) before the nonce is remembered."""
        key = _nonce_key(client_id, nonce)
        return remembered(("nonce_used", key), lambda: self._store.get(key) is not None)

    @staticmethod
    def nonce_key(client_id: str, nonce: str) -> str:
        """The store key that marks ``nonce`` of ``client_id`` used: a request that reads it in
        a store call of its own gives what it read to ``nonce_read`` (issue 16)."""
        return _nonce_key(client_id, nonce)

    @staticmethod
    def nonce_read(key: str, stored: JsonObject | None) -> None:
        """``key`` (``nonce_key``) read by another store call of this request: the request's
        ``nonce_was_used`` answers from it instead of a call of its own."""
        keep(("nonce_used", key), stored is not None)

    def _voided(self, code: CodeData) -> str | None:
        """Why the code was voided by ``revoke_user_grants`` after it was issued, or None."""
        return voided_by(code, self._store.get(voided_key(code.user_id)))
