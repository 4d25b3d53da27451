"""Authorization codes, access tokens and refresh-token families.

Codes and access tokens are short-lived and live in the ephemeral store; grants (token families)
and refresh tokens are durable. Tokens are stored only as SHA-256 hashes: a leaked store does not
leak usable tokens.

Ending a user's grants (``revoke_user_grants``, when they sign out everywhere) also voids the
codes issued to them until then: a per-user mark in the ephemeral store, checked when a code is
redeemed and again once its grant is recorded, so a code in flight cannot start a new family.

A code's data (``bridge.oidc.codes``) is versioned JSON read strictly: data this code
cannot read is logged and the code is refused like an unknown one (``invalid_grant``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bridge.domain.clock import Clock
from bridge.oidc import token_statements as statements
from bridge.oidc.codes import CodeData as CodeData  # re-exported
from bridge.oidc.token_records import AccessTokenInfo as AccessTokenInfo  # re-exported
from bridge.oidc.token_records import RefreshTokenInfo as RefreshTokenInfo  # re-exported
from bridge.oidc.token_records import refresh_token_info
from bridge.storage.db.engine import Database, affected_rows
from bridge.storage.db.models import Grant, RefreshToken, User
from bridge.storage.db.rows import detached
from bridge.storage.db.unit import (
    abandon_current_unit,
    forget,
    keep,
    remembered,
    when_abandoned,
)
from bridge.storage.ephemeral.base import EphemeralStore, JsonObject
from bridge.storage.ephemeral.records import RecordError

log = logging.getLogger(__name__)

# How long a consumed code is remembered, so that a replay can revoke what it issued.
USED_CODE_MEMORY = 24 * 3600


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _nonce_key(client_id: str, nonce: str) -> str:
    return f"nonce:{client_id}:{token_hash(nonce)}"


def _voided_key(user_id: str) -> str:
    return f"codes-voided:{user_id}"


def user_memo(user_id: str) -> tuple[str, str]:
    """The key a token request's user row is remembered under (``remembered``)."""
    return ("oidc_user", user_id)


def _voided_by(code: CodeData, mark: JsonObject | None) -> str | None:
    """Why ``mark`` (the user's "codes voided" mark, ``revoke_user_grants``) voids the code,
    or None when there is none or it came before the code was issued."""
    if mark is None or code.issued_at > float(mark["at"]):
        return None
    return str(mark["reason"])


#: Whether the user ``user_id`` may no longer have tokens from a grant whose login proved
#: ``amr`` (``bridge.services.issuance``).
Refused = Callable[[str, Sequence[str]], bool]


class TokenService:
    def __init__(
        self,
        db: Database,
        store: EphemeralStore,
        clock: Clock,
        *,
        code_ttl: int,
        access_token_ttl: int,
        refresh_token_ttl: int,
    ) -> None:
        self._db = db
        self._store = store
        self._clock = clock
        self.code_ttl = code_ttl
        self.access_token_ttl = access_token_ttl
        self.refresh_token_ttl = refresh_token_ttl

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    # -- authorization codes ------------------------------------------------------------------

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

    # -- grants and tokens --------------------------------------------------------------------

    def open_grant_with_user(self, code: CodeData, *, refresh_token: str | None) -> bool:
        """On PostgreSQL, read the code's user and open its grant (with its first refresh token
        when given) in one statement, when their row shows they may have tokens (issue 16:
        one statement instead of three); the row is kept for ``known_user``. Whether the grant
        was opened: elsewhere, nothing is done and it is False (``open_grant`` opens it)."""
        if self._db.dialect != "postgresql":
            return False
        params = {f"g_{key}": value for key, value in self._grant_row(code).items()}
        params |= {"subject_id": code.user_id, "proved_password": "pwd" in code.amr}
        if refresh_token is None:
            statement = statements.OPEN_GRANT_FOR_USER
        else:
            statement = statements.OPEN_GRANT_FOR_USER_WITH_TOKEN
            params |= self._refresh_row(refresh_token)
        try:
            rows = self._db.execute(statement, params).rows
        except IntegrityError as error:
            raise _orphaned(error) from error
        keep(user_memo(code.user_id), detached(User, rows[0]) if rows else None)
        return bool(rows and rows[0].opened)

    def discard_grant(self, grant_id: str) -> None:
        """Remove a grant that ``open_grant_with_user`` opened for a user who may not have
        tokens after all, with its refresh tokens: nothing was issued from it."""
        self._db.execute(statements.DISCARD_REFRESH_TOKENS, {"grant_id": grant_id})
        self._db.execute(statements.DISCARD_GRANT, {"grant_id": grant_id})

    def _grant_row(self, code: CodeData) -> dict[str, Any]:
        return {
            "id": code.grant_id,
            "client_id": code.client_id,
            "user_id": code.user_id,
            "scope": code.scope,
            "amr": list(code.amr),
            "acr": code.acr,
            "auth_time": code.auth_time,
            "created_at": self._now(),
        }

    def open_grant(
        self,
        code: CodeData,
        *,
        refresh_token: str | None = None,
        also_put: Sequence[tuple[str, JsonObject, int]] = (),
        recorded: bool = False,
    ) -> None:
        """Record the token family that a redeemed code starts, with its first refresh token
        when given (in the same transaction, on PostgreSQL in the same statement: issue 16),
        unless ``open_grant_with_user`` ``recorded`` both; then put ``also_put`` (its access
        token, ``access_token_item``, and its userinfo claims) in the store round trip that
        reads the "codes voided" mark."""
        if not recorded:
            self._record_grant(code, refresh_token)
        # A sign-out everywhere that ran while this code was being redeemed ends it too. Its
        # UPDATE can only end a grant it sees, so the grant is committed before the mark is
        # read, and a replayed code can revoke it from now on (the one exception to the
        # request's single transaction; see docs/storage.md).
        self._db.commit_now()
        # Committed already: if a store outage ends this request (503), the code is spent and
        # the family it started is ended, so it holds no tokens (see docs/storage.md).
        when_abandoned(lambda: self.revoke_grant(code.grant_id, "token_request_failed"))
        # The mark is read after the tokens are put: a token of a family ended here is dead
        # (``access_token_with_grant`` reads the grant), and its key was never revealed.
        mark = self._store.put_many_and_get(also_put, _voided_key(code.user_id))
        voided = _voided_by(code, mark)
        if voided is not None:
            self.revoke_grant(code.grant_id, voided)

    def _record_grant(self, code: CodeData, refresh_token: str | None) -> None:
        try:
            self._write_grant(code, refresh_token)
        except IntegrityError as error:
            raise _orphaned(error) from error

    def _write_grant(self, code: CodeData, refresh_token: str | None) -> None:
        grant = self._grant_row(code)
        if refresh_token is None:
            self._db.execute(statements.OPEN_GRANT, grant)
        elif self._db.dialect == "postgresql":
            row = grant | self._refresh_row(refresh_token)
            self._db.execute(statements.OPEN_GRANT_WITH_TOKEN, row)
        else:
            self._db.execute(statements.OPEN_GRANT, grant)
            self._record_refresh_token(code.grant_id, refresh_token)

    def _voided(self, code: CodeData) -> str | None:
        """Why the code was voided by ``revoke_user_grants`` after it was issued, or None."""
        return _voided_by(code, self._store.get(_voided_key(code.user_id)))

    def store_tokens(
        self,
        grant_id: str,
        *,
        client_id: str,
        user_id: str,
        scope: str,
        access_token: str,
        refresh_token: str | None,
    ) -> None:
        item = self.access_token_item(
            grant_id, client_id=client_id, user_id=user_id, scope=scope, access_token=access_token
        )
        self._store.put(*item)
        if refresh_token is not None:
            self._record_refresh_token(grant_id, refresh_token)

    def access_token_item(
        self, grant_id: str, *, client_id: str, user_id: str, scope: str, access_token: str
    ) -> tuple[str, JsonObject, int]:
        """The store's key, value and lifetime of a new access token (``store_tokens``)."""
        now = int(self._clock())
        digest = token_hash(access_token)
        value = {  # AccessTokenInfo's fields
            "token_hash": digest,
            "grant_id": grant_id,
            "client_id": client_id,
            "user_id": user_id,
            "scope": scope,
            "issued_at": now,
            "expires_at": now + self.access_token_ttl,
        }
        return f"at:{digest}", value, self.access_token_ttl

    def _refresh_row(self, refresh_token: str) -> dict[str, Any]:
        """The parameters of a new refresh token's row, but its grant, as the statements of
        ``bridge.oidc.token_statements`` that record one with another change name them."""
        issued = self._now()
        return {
            "new_token_hash": token_hash(refresh_token),
            "new_issued_at": issued,
            "new_expires_at": issued + timedelta(seconds=self.refresh_token_ttl),
        }

    def _record_refresh_token(self, grant_id: str, refresh_token: str) -> None:
        issued = self._now()
        self._db.execute(
            statements.INSERT_REFRESH_TOKEN,
            {
                "token_hash": token_hash(refresh_token),
                "grant_id": grant_id,
                "issued_at": issued,
                "expires_at": issued + timedelta(seconds=self.refresh_token_ttl),
            },
        )

    def access_token(self, token: str) -> AccessTokenInfo | None:
        """A live access token whose family has not been revoked, or None."""
        found = self.access_token_with_grant(token)
        return None if found is None else found[0]

    def access_token_with_grant(self, token: str) -> tuple[AccessTokenInfo, Grant] | None:
        """``access_token`` with its grant (how the user proved themselves): one read of the
        grant's row, with its client's ``disabled``, answers both whether the token is live
        and what the grant holds."""
        raw = self._store.get(f"at:{token_hash(token)}")
        if raw is None:
            return None
        info = AccessTokenInfo(**raw)
        if info.expires_at <= self._clock():
            return None
        rows = self._db.fetch(statements.GRANT_AND_CLIENT, {"grant_id": info.grant_id})
        if not rows or rows[0].revoked_at is not None or rows[0].client_disabled:
            # Revoked, deleted (with its client or user), or its client is disabled now.
            return None
        found = rows[0]
        keep(user_memo(found.user_id), None if found.u_id is None else detached(User, found, "u_"))
        return info, detached(Grant, found)

    def revoke_access_token(self, info: AccessTokenInfo) -> None:
        self._store.delete(f"at:{info.token_hash}")

    def refresh_token(self, token: str) -> RefreshTokenInfo | None:
        """Look a refresh token up without using it (for introspection and revocation)."""
        rows = self._db.fetch(statements.TOKEN_AND_GRANT, {"token_hash": token_hash(token)})
        if not rows:
            return None
        found = rows[0]
        revoked = bool(
            found.token_revoked_at
            or found.used_at
            or found.revoked_at
            or found.expires_at <= self._now()
            or found.client_disabled
        )
        return refresh_token_info(found, revoked=revoked)

    def use_refresh_token(
        self,
        token: str,
        client_id: str,
        *,
        refused: Refused | None = None,
        successor: Callable[[str], str | None] | None = None,
    ) -> RefreshTokenInfo | None:
        """Spend a refresh token once (rotation). Presenting a spent one revokes its family.

        ``refused(user_id, amr)``: the token's user may no longer have tokens; then the token is
        refused and not spent, so it does not rotate. ``successor(scope)``: the refresh token
        that replaces this one in its grant (of that scope), recorded with the spend, or None
        when the request will get none.
        """
        digest = token_hash(token)
        now = self._now()
        rows = self._db.fetch(statements.TOKEN_AND_GRANT, {"token_hash": digest})
        if not rows:
            return None
        found = rows[0]
        keep(user_memo(found.user_id), None if found.u_id is None else detached(User, found, "u_"))
        if refused is not None and refused(found.user_id, tuple(found.amr)):
            return None
        if found.client_id != client_id or found.revoked_at is not None:
            return None
        next_token = None if successor is None else successor(found.scope)
        if self._spend(digest, now, found.id, next_token):
            return refresh_token_info(found, revoked=False)
        if found.used_at is not None or self._was_spent(digest):
            self.revoke_grant(found.id, "refresh_token_reused")
        return None

    def _spend(self, digest: str, now: datetime, grant_id: str, successor: str | None) -> bool:
        """Spend the token whose hash is ``digest`` if it is live, and record ``successor`` in
        its grant then (on PostgreSQL in the same statement); whether it was spent."""
        spend = {"digest": digest, "now": now}
        if successor is not None and self._db.dialect == "postgresql":
            rotated = statements.ROTATE_REFRESH_TOKEN
            return self._db.execute(rotated, spend | self._refresh_row(successor)).rowcount == 1
        if self._db.execute(statements.SPEND_REFRESH_TOKEN, spend).rowcount != 1:
            return False
        if successor is not None:
            self._record_refresh_token(grant_id, successor)
        return True

    def _was_spent(self, digest: str) -> bool:
        with self._db.session() as s:
            used_at = s.scalar(
                select(RefreshToken.used_at).where(RefreshToken.token_hash == digest)
            )
            return used_at is not None

    def grant(self, grant_id: str) -> Grant | None:
        rows = self._db.fetch(statements.GRANT, {"grant_id": grant_id})
        return detached(Grant, rows[0]) if rows else None

    def revoke_grant(self, grant_id: str, reason: str) -> None:
        """End a whole token family: its refresh tokens and every access token issued from it."""
        now = self._now()
        with self._db.session() as s:
            s.execute(
                update(Grant)
                .where(Grant.id == grant_id, Grant.revoked_at.is_(None))
                .values(revoked_at=now, revoked_reason=reason)
            )
            s.execute(
                update(RefreshToken)
                .where(RefreshToken.grant_id == grant_id, RefreshToken.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    def revoke_user_grants(self, user_id: str, reason: str) -> int:
        """End every token family of the user in one transaction, and void the codes issued
        to them so far; returns how many families were still live."""
        # The mark goes first: a code redeemed from here on either sees it, or recorded its
        # grant before the UPDATE below, which then ends it.
        mark = {"at": self._clock(), "reason": reason}
        self._store.put(_voided_key(user_id), mark, self.code_ttl + 60)
        now = self._now()
        live = select(Grant.id).where(Grant.user_id == user_id, Grant.revoked_at.is_(None))
        with self._db.session() as s:
            s.execute(
                update(RefreshToken)
                .where(RefreshToken.grant_id.in_(live), RefreshToken.revoked_at.is_(None))
                .values(revoked_at=now)
                .execution_options(synchronize_session=False)
            )
            ended = s.execute(
                update(Grant)
                .where(Grant.user_id == user_id, Grant.revoked_at.is_(None))
                .values(revoked_at=now, revoked_reason=reason)
                .execution_options(synchronize_session=False)
            )
            return affected_rows(ended)

    def revoke_refresh_token(self, token: str) -> None:
        """RFC 7009: revoking a refresh token also ends the access tokens of its grant."""
        info = self.refresh_token(token)
        if info is not None:
            self.revoke_grant(info.grant_id, "revoked_by_client")


class OrphanedGrantError(Exception):
    """The code's client (``client_gone``) or user was removed while the code was exchanged:
    the grant cannot be recorded, and the request's changes were rolled back."""

    def __init__(self, *, client_gone: bool) -> None:
        super().__init__("client removed" if client_gone else "user removed")
        self.client_gone = client_gone


def _orphaned(error: IntegrityError) -> OrphanedGrantError:
    """A grant refused by a foreign key: its client or user row went away after the request
    read it (a removal racing the exchange, or a client row deleted by hand while a process
    kept its copy, see ``bridge.services.client_records``). The transaction is unusable: the
    unit is rolled back, and the request is answered as if the row had been missing."""
    abandon_current_unit()
    return OrphanedGrantError(client_gone="client" in str(error.orig))
