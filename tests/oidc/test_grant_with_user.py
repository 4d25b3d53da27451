"""A code exchange reads its user and opens the grant in one statement on PostgreSQL
(``TokenService.open_grant_with_user``, issue 16) only when the row shows that the user may
have tokens; ``bridge.services.issuance`` stays the judge, and a grant it refuses is discarded."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update

from bridge.oidc.codes import CodeData
from bridge.oidc.tokens import user_memo
from bridge.services.container import Services
from bridge.storage.db.models import RefreshToken, User
from bridge.storage.db.unit import recall, unit_of_work

pytestmark = pytest.mark.postgres(
    "the grant is opened with the read of its user (PostgreSQL), in a unit of work of its own",
    committed=True,
)


def _code(services: Services, username: str, amr: tuple[str, ...] = ("pwd", "otp")) -> CodeData:
    user = services.users.create(username, email=f"{username}@example.com", password="x" * 16)
    client, _ = services.clients.add("app", ["http://127.0.0.1:9/callback"])
    return CodeData(
        client_id=client.id,
        redirect_uri="http://127.0.0.1:9/callback",
        scope="openid",
        user_id=user.id,
        auth_time=0,
        amr=amr,
        acr=None,
        nonce=None,
        code_challenge=None,
        code_challenge_method=None,
    )


def _set(services: Services, user_id: str, **values: Any) -> None:
    with services.db.session() as session:
        session.execute(update(User).where(User.id == user_id).values(**values))


def _open(services: Services, code: CodeData) -> tuple[bool, Any]:
    with unit_of_work():
        opened = services.tokens.open_grant_with_user(code, refresh_token="r" * 48)
        return opened, recall(user_memo(code.user_id))


def _refresh_tokens(services: Services, grant_id: str) -> int:
    with services.db.session() as session:
        count = session.scalar(select(func.count()).where(RefreshToken.grant_id == grant_id))
    return int(count or 0)


def test_the_grant_of_a_user_who_may_have_tokens_is_opened_with_its_refresh_token(
    services: Services,
) -> None:
    code = _code(services, "ada")
    opened, row = _open(services, code)
    postgres = services.db.dialect == "postgresql"
    assert opened is postgres  # elsewhere ``open_grant`` opens it
    assert (services.tokens.grant(code.grant_id) is not None) is postgres
    assert _refresh_tokens(services, code.grant_id) == (1 if postgres else 0)
    if postgres:
        assert row.id == code.user_id and row.username == "ada"  # kept for ``known_user``


@pytest.mark.parametrize(
    ("values", "amr"),
    [
        ({"disabled": True}, ("pwd", "otp")),
        ({"service_account": True}, ("pwd",)),
        ({"password_must_change": True}, ("pwd", "otp")),
    ],
)
def test_no_grant_is_opened_for_a_user_who_may_not_have_tokens(
    services: Services, values: dict[str, Any], amr: tuple[str, ...]
) -> None:
    code = _code(services, "bob", amr)
    _set(services, code.user_id, **values)
    opened, _ = _open(services, code)
    assert not opened and services.tokens.grant(code.grant_id) is None


def test_no_grant_is_opened_while_a_lock_is_set(services: Services) -> None:
    """A lock may have run out (then ``issuance`` lets the user have tokens, and
    ``open_grant`` opens the grant): the statement leaves that to the judge."""
    code = _code(services, "cleo")
    assert services.lockout.lock(code.user_id, reason="admin")
    opened, _ = _open(services, code)
    assert not opened and services.tokens.grant(code.grant_id) is None


def test_a_temporary_password_does_not_stop_a_grant_whose_login_did_not_prove_it(
    services: Services,
) -> None:
    code = _code(services, "dan", amr=("fed",))
    _set(services, code.user_id, password_must_change=True)
    opened, _ = _open(services, code)
    assert opened is (services.db.dialect == "postgresql")


def test_a_discarded_grant_leaves_no_grant_and_no_refresh_token(services: Services) -> None:
    code = _code(services, "eve")
    with unit_of_work():
        services.tokens.open_grant_with_user(code, refresh_token="r" * 48)
        services.tokens.discard_grant(code.grant_id)
    assert services.tokens.grant(code.grant_id) is None
    assert _refresh_tokens(services, code.grant_id) == 0
