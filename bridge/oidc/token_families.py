"""Token families: grants and their refresh tokens, which are durable.

A redeemed code opens a grant; each refresh spends its token and records the next one; a
replayed code or a spent refresh token presented again ends the whole family.

Ending a user's grants (``revoke_user_grants``, when they sign out everywhere) also voids the
codes issued to them until then: a per-user mark in the ephemeral store, checked when a code is
redeemed and again once its grant is recorded, so a code in flight cannot start a new family.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bridge.domain.clock import Clock
from bridge.oidc import token_statements as statements
from bridge.oidc.codes import CodeData
from bridge.oidc.token_errors import orphaned
from bridge.oidc.token_keys import token_hash, user_memo, voided_by, voided_key
from bridge.oidc.token_records import RefreshTokenInfo, refresh_token_info
from bridge.storage.db.engine import Database, affected_rows
from bridge.storage.db.models import Grant, RefreshToken, User
from bridge.storage.db.rows import detached
from bridge.storage.db.unit import keep, when_abandoned
from bridge.storage.ephemeral.base import EphemeralStore, JsonObject

#: Whether the user ``user_id`` may no longer have tokens from a grant whose login proved
#: ``amr`` (``bridge.services.issuance``).
Refused = Callable[[str, Sequence[str]], bool]


class TokenFamilies:
    """The stores and lifetimes every part of the token service shares, and the families."""

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
            raise orphaned(error) from error
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
        mark = self._store.put_many_and_get(also_put, voided_key(code.user_id))
        voided = voided_by(code, mark)
        if voided is not None:
            self.revoke_grant(code.grant_id, voided)

    def _record_grant(self, code: CodeData, refresh_token: str | None) -> None:
        try:
            self._write_grant(code, refresh_token)
        except IntegrityError as error:
            raise orphaned(error) from error

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
        self._store.put(voided_key(user_id), mark, self.code_ttl + 60)
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
