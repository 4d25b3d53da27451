"""The key of an enrolment under way never waits in clear in the ephemeral store."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from bridge.login.pending import PENDING_TTL
from tests.e2e.harness import (
    PASSWORD,
    Browser,
    LiveBridge,
    Page,
    RelyingParty,
    enrolment_secret,
    totp_code,
)


def at_enrolment(live: LiveBridge, rp: RelyingParty, username: str) -> tuple[Browser, Page]:
    live.add_user(username)
    browser = Browser()
    browser.open(rp.authorization_request().url)
    page = browser.submit(username=username, password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Set up two-factor authentication"
    return browser, page


def stored_login(live: LiveBridge, page: Page) -> tuple[str, dict[str, Any]]:
    key = "flow:" + urlsplit(page.url).path.rstrip("/").rsplit("/", 1)[-1]
    raw = live.services.store.get(key)
    assert raw is not None, key
    return key, raw


@pytest.mark.postgres("the ephemeral store is Redis in production")
def test_the_enrolment_key_is_not_kept_in_the_ephemeral_store(
    live: LiveBridge, rp: RelyingParty
) -> None:
    browser, page = at_enrolment(live, rp, "sealy")
    secret = enrolment_secret(page)
    _, raw = stored_login(live, page)
    stored = json.dumps(raw)
    assert secret not in stored and "otpauth://" not in stored

    again = browser.open(page.url)
    assert isinstance(again, Page) and enrolment_secret(again) == secret, "a reload keeps the key"
    landed = browser.submit(code=totp_code(secret, live.clock))
    assert isinstance(landed, str) and "code=" in landed


def test_a_login_stored_with_the_key_in_clear_still_finishes_and_drops_it(
    live: LiveBridge, rp: RelyingParty
) -> None:
    browser, page = at_enrolment(live, rp, "legacy")
    secret = enrolment_secret(page)
    key, raw = stored_login(live, page)
    # As a login written before the key was sealed kept it: in the step's scratch data.
    (scratch,) = [data for data in raw["flow"]["scratch"].values() if "credential_id" in data]
    scratch.update(secret=secret, otpauth_uri=f"otpauth://totp/bridge:legacy?secret={secret}")
    live.services.store.put(key, raw, PENDING_TTL)

    again = browser.open(page.url)
    assert isinstance(again, Page) and enrolment_secret(again) == secret
    assert secret not in json.dumps(stored_login(live, page)[1])
    landed = browser.submit(code=totp_code(secret, live.clock))
    assert isinstance(landed, str) and "code=" in landed


def test_an_offer_replaced_in_another_login_is_started_afresh(
    live: LiveBridge, rp: RelyingParty
) -> None:
    first, page = at_enrolment(live, rp, "twotabs")
    old = enrolment_secret(page)
    second = Browser()
    second.open(rp.authorization_request().url)
    other = second.submit(username="twotabs", password=PASSWORD)
    assert isinstance(other, Page) and enrolment_secret(other) != old

    again = first.open(page.url)
    assert isinstance(again, Page) and again.title == "Set up two-factor authentication"
    fresh = enrolment_secret(again)
    assert fresh != old
    landed = first.submit(code=totp_code(fresh, live.clock))
    assert isinstance(landed, str) and "code=" in landed
