"""A store that fails in the middle of a request: the request is answered 503 and did not
happen. Nothing it changed in the database is kept (the unit of work is abandoned, not
committed) and what it changed in Redis is given back where Redis lets it, so the client's or
the user's retry after recovery is judged as a first try, never as a replay."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bridge.storage.db.models import Grant
from tests.e2e.factor_life import code_of, enrolled_user, to_code_page, try_another_way
from tests.e2e.harness import (
    Browser,
    LiveBridge,
    Page,
    RelyingParty,
    callback_params,
    first_tokens,
)
from tests.outages.conftest import CrashRedisOn
from tests.outages.servers import ThrowawayRedis

pytestmark = pytest.mark.postgres(
    "the rows the request changed are PostgreSQL's to roll back", committed=True
)

USE_RECOVERY = "Use a recovery code"


def assert_unavailable(page: Page | str) -> None:
    assert isinstance(page, Page) and page.status == 503, page


def test_a_refresh_that_met_a_redis_crash_is_answered_on_retry_not_taken_for_reuse(
    fragile: LiveBridge,
    fragile_rp: RelyingParty,
    crash_redis_on: CrashRedisOn,
    throwaway_redis: ThrowawayRedis,
) -> None:
    _request, tokens = first_tokens(fragile, fragile_rp, Browser(), "ada")
    crash_redis_on("put", "at:")  # the new access token: after the refresh token was spent
    failed = fragile_rp.refresh(tokens["refresh_token"])
    assert failed.status_code == 503
    assert failed.json()["error"] == "temporarily_unavailable"
    assert failed.headers["Retry-After"] == "5"

    throwaway_redis.start()
    retried = fragile_rp.refresh(tokens["refresh_token"])
    assert retried.status_code == 200, retried.text
    assert fragile_rp.userinfo(retried.json()["access_token"]).status_code == 200
    # Rotation still holds: the token that was answered is spent now.
    assert fragile_rp.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_a_totp_code_whose_login_met_a_redis_crash_is_accepted_again(
    fragile: LiveBridge,
    fragile_rp: RelyingParty,
    crash_redis_on: CrashRedisOn,
    throwaway_redis: ThrowawayRedis,
) -> None:
    _user_id, secret = enrolled_user(fragile, "ada")
    browser = Browser()
    code_page = to_code_page(fragile_rp, browser, "ada")
    code = code_of(fragile, secret)
    # Right after the step was stored: the pending login is taken next, with the nonce mark
    # read in the same call (the failure counter's deletion waits for the end of the
    # submission, with its throttle slot; issue 16).
    crash_redis_on("take_and_get", "flow:")
    assert_unavailable(browser.submit(code=code))

    throwaway_redis.start()
    browser.page = code_page
    landed = browser.submit(code=code)
    assert isinstance(landed, str), browser.page and browser.page.errors


def test_a_recovery_code_whose_login_met_a_redis_crash_is_not_used_up(
    fragile: LiveBridge,
    fragile_rp: RelyingParty,
    crash_redis_on: CrashRedisOn,
    throwaway_redis: ThrowawayRedis,
) -> None:
    user_id, _secret = enrolled_user(fragile, "ada")
    codes = fragile.services.recovery.generate(user_id)
    browser = Browser()
    to_code_page(fragile_rp, browser, "ada")
    recovery_page = try_another_way(browser, USE_RECOVERY)
    crash_redis_on("take_and_get", "flow:")  # right after the code was marked used
    assert_unavailable(browser.submit(code=codes[0]))

    throwaway_redis.start()
    assert fragile.services.recovery.remaining(user_id) == 10
    browser.page = recovery_page
    landed = browser.submit(code=codes[0])
    assert isinstance(landed, str), browser.page and browser.page.errors
    assert fragile.services.recovery.remaining(user_id) == 9


def test_database_outages_while_codes_are_judged_do_not_count_towards_the_lockout(
    fragile: LiveBridge, fragile_rp: RelyingParty, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id, secret = enrolled_user(fragile, "ada")
    browser = Browser()
    code_page = to_code_page(fragile_rp, browser, "ada")
    totp = fragile.services.totp
    real_verify = totp.verify_with  # every code is judged here (``verify`` calls it too)

    def database_gone(*_args: Any) -> bool:
        raise OperationalError("UPDATE totp_credentials", {}, Exception("server closed"))

    monkeypatch.setattr(totp, "verify_with", database_gone)
    for _ in range(3):  # the code threshold: each took a lockout slot before it failed
        browser.page = code_page
        assert_unavailable(browser.submit(code=code_of(fragile, secret)))
    monkeypatch.setattr(totp, "verify_with", real_verify)

    browser.page = code_page
    landed = browser.submit(code=code_of(fragile, secret))
    assert isinstance(landed, str), browser.page and browser.page.errors
    assert not fragile.services.lockout.is_locked(user_id)


def test_a_code_exchange_that_met_a_redis_crash_spends_the_code_and_ends_only_its_grant(
    fragile: LiveBridge,
    fragile_rp: RelyingParty,
    crash_redis_on: CrashRedisOn,
    throwaway_redis: ThrowawayRedis,
) -> None:
    browser = Browser()
    _request, earlier = first_tokens(fragile, fragile_rp, browser, "ada")
    fragile.clock.advance(1)  # the second grant is the later one (ordered by created_at below)
    request = fragile_rp.authorization_request()
    code = callback_params(str(browser.open(request.url)))["code"]  # the session signs in
    # The access token's put (with the read of the codes-voided mark): after the code was
    # taken and its grant committed.
    crash_redis_on("put_many_and_get", "at:")
    assert fragile_rp.exchange(code, request.verifier).status_code == 503

    throwaway_redis.start()
    retried = fragile_rp.exchange(code, request.verifier)
    assert retried.status_code == 400 and retried.json()["error"] == "invalid_grant"
    with fragile.services.db.session() as session:
        grants = session.scalars(select(Grant).order_by(Grant.created_at)).all()
        assert [grant.revoked_reason for grant in grants] == [None, "token_request_failed"]
    # The family the user had is untouched, and a new login (silent, by the session) works.
    assert fragile_rp.refresh(earlier["refresh_token"]).status_code == 200
    request = fragile_rp.authorization_request()
    code = callback_params(str(browser.open(request.url)))["code"]
    assert fragile_rp.exchange(code, request.verifier).status_code == 200
