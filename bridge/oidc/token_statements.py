"""The statements of the token endpoint and of ``/userinfo``, built once (issue 16: building one
costs more CPU than running it); an INSERT's values are its parameters.

On PostgreSQL a code exchange records its grant and the grant's first refresh token in one
statement (``OPEN_GRANT_WITH_TOKEN``), and a refresh spends its token and records the successor
in one (``ROTATE_REFRESH_TOKEN``): a data-modifying ``WITH``, one round trip and one statement's
CPU instead of two. SQLite has no data-modifying ``WITH``: there they are two statements each.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BindParameter,
    Boolean,
    and_,
    bindparam,
    delete,
    func,
    insert,
    not_,
    select,
    update,
)

from bridge.storage.db.models import Client, Grant, RefreshToken, User
from bridge.storage.db.rows import columns_of

#: A refresh token with its grant and its user, in one query (issue 16: one statement, no ORM
#: objects; the user's row answers whether they may still have tokens).
TOKEN_AND_GRANT = (
    select(
        RefreshToken.issued_at,
        RefreshToken.expires_at,
        RefreshToken.used_at,
        RefreshToken.revoked_at.label("token_revoked_at"),
        Grant.id,
        Grant.client_id,
        Grant.user_id,
        Grant.scope,
        Grant.amr,
        Grant.acr,
        Grant.auth_time,
        Grant.revoked_at,
        Client.disabled.label("client_disabled"),
        *columns_of(User, "u_"),
    )
    .join(Grant, Grant.id == RefreshToken.grant_id)
    .join(Client, Client.id == Grant.client_id)
    .outerjoin(User, User.id == Grant.user_id)
    .where(RefreshToken.token_hash == bindparam("token_hash"))
)

OPEN_GRANT = insert(Grant)
INSERT_REFRESH_TOKEN = insert(RefreshToken)
_REFRESH_TOKEN_COLUMNS = ["token_hash", "grant_id", "issued_at", "expires_at"]


def _typed(name: str, column: str) -> BindParameter[Any]:
    """A parameter typed as a ``refresh_tokens`` column (a ``SELECT`` list does not infer it).
    Named apart from every column: SQLAlchemy would also take a parameter named as a column
    for the ``SET`` list of the ``UPDATE`` inside ``WITH``."""
    return bindparam(name, type_=RefreshToken.__table__.c[column].type)


#: ``OPEN_GRANT`` and ``INSERT_REFRESH_TOKEN`` in one statement (PostgreSQL).
_opened = (
    insert(Grant)
    .values(
        id=bindparam("id"),
        client_id=bindparam("client_id"),
        user_id=bindparam("user_id"),
        scope=bindparam("scope"),
        amr=bindparam("amr"),
        acr=bindparam("acr"),
        auth_time=bindparam("auth_time"),
        created_at=bindparam("created_at"),
    )
    .returning(Grant.id)
    .cte("opened")
)
OPEN_GRANT_WITH_TOKEN = insert(RefreshToken).from_select(
    _REFRESH_TOKEN_COLUMNS,
    select(
        _typed("new_token_hash", "token_hash"),
        _opened.c.id,
        _typed("new_issued_at", "issued_at"),
        _typed("new_expires_at", "expires_at"),
    ),
)


def _grant_param(column: str) -> BindParameter[Any]:
    """A parameter typed as a ``grants`` column, named ``g_<column>`` (see ``_typed``)."""
    return bindparam(f"g_{column}", type_=Grant.__table__.c[column].type)


#: The code's user (``subject_id``), and their grant opened when the row shows that they may
#: have tokens: enabled, no service account, no lock set, no temporary password when the
#: login proved the password (``proved_password``). ``bridge.services.issuance`` judges the row
#: the statement returns (the one judge: a row it refuses whose grant was opened has it
#: discarded, one it accepts whose grant was not, a lock that ran out, has it opened then).
_found = select(*columns_of(User)).where(User.id == bindparam("subject_id")).cte("found")
_GRANT_COLUMNS = ["id", "client_id", "user_id", "scope", "amr", "acr", "auth_time", "created_at"]
_opened_for_user = (
    insert(Grant)
    .from_select(
        _GRANT_COLUMNS,
        select(*(_grant_param(c) if c != "user_id" else _found.c.id for c in _GRANT_COLUMNS)).where(
            not_(_found.c.disabled),
            not_(_found.c.service_account),
            _found.c.locked_at.is_(None),
            not_(
                and_(
                    _found.c.password_must_change,
                    bindparam("proved_password", type_=Boolean),
                )
            ),
        ),
    )
    .returning(Grant.id)
    .cte("opened")
)
_first_token = (
    insert(RefreshToken)
    .from_select(
        _REFRESH_TOKEN_COLUMNS,
        select(
            _typed("new_token_hash", "token_hash"),
            _opened_for_user.c.id,
            _typed("new_issued_at", "issued_at"),
            _typed("new_expires_at", "expires_at"),
        ),
    )
    .returning(RefreshToken.grant_id)
    .cte("first_token")
)
#: The user's row (``columns_of(User)``) and ``opened``: 1 when the grant was opened.
OPEN_GRANT_FOR_USER = select(
    _found, select(func.count()).select_from(_opened_for_user).scalar_subquery().label("opened")
)
#: ``OPEN_GRANT_FOR_USER``, and the grant's first refresh token recorded with it.
OPEN_GRANT_FOR_USER_WITH_TOKEN = select(
    _found, select(func.count()).select_from(_first_token).scalar_subquery().label("opened")
)

DISCARD_REFRESH_TOKENS = delete(RefreshToken).where(RefreshToken.grant_id == bindparam("grant_id"))
DISCARD_GRANT = delete(Grant).where(Grant.id == bindparam("grant_id"))

#: A refresh token spent once: only while it is unused, unrevoked and unexpired.
SPEND_REFRESH_TOKEN = (
    update(RefreshToken)
    .where(
        RefreshToken.token_hash == bindparam("digest"),
        RefreshToken.used_at.is_(None),
        RefreshToken.revoked_at.is_(None),
        RefreshToken.expires_at > bindparam("now"),
    )
    .values(used_at=bindparam("now"))
)
#: ``SPEND_REFRESH_TOKEN`` and, when it spent the token, the successor recorded in its grant, in
#: one statement (PostgreSQL): its row count is 1 when the token was spent, 0 when not (kept:
#: SQLAlchemy keeps an INSERT's only when asked).
_spent = SPEND_REFRESH_TOKEN.returning(RefreshToken.grant_id).cte("spent")
ROTATE_REFRESH_TOKEN = (
    insert(RefreshToken)
    .from_select(
        _REFRESH_TOKEN_COLUMNS,
        select(
            _typed("new_token_hash", "token_hash"),
            _spent.c.grant_id,
            _typed("new_issued_at", "issued_at"),
            _typed("new_expires_at", "expires_at"),
        ),
    )
    .execution_options(preserve_rowcount=True)
)

GRANT = select(*columns_of(Grant)).where(Grant.id == bindparam("grant_id"))

#: A grant with whether its client is disabled now (its tokens are dead until it is enabled),
#: and its user (whom ``/userinfo`` describes next: one statement, issue 16).
GRANT_AND_CLIENT = (
    select(*columns_of(Grant), Client.disabled.label("client_disabled"), *columns_of(User, "u_"))
    .join(Client, Client.id == Grant.client_id)
    .outerjoin(User, User.id == Grant.user_id)
    .where(Grant.id == bindparam("grant_id"))
)
