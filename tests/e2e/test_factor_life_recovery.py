"""Recovery codes over HTTP (R11, issue 5): issued at activation and shown once with a
download, usable once at login through "try another way", marked in the audit log and the ID
token's amr, and counted as codes by the lockout."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.e2e.factor_life import codes_for, enrolled_user, to_code_page, try_another_way
from tests.e2e.harness import (
    PASSWORD,
    Browser,
    LiveBridge,
    Page,
    RelyingParty,
    callback_params,
    enrolment_secret,
    totp_code,
)

# The bridge's own argon2id parameters for recovery codes here (elsewhere they are cheaper).
pytestmark = pytest.mark.recovery_argon2

USE_RECOVERY = "Use a recovery code"


def test_activation_shows_ten_codes_once_and_asks_to_confirm_they_were_saved(
    live: LiveBridge, rp: RelyingParty, browsers: Callable[..., Browser]
) -> None:
    user_id = live.add_user("ada")
    browser = browsers(confirm_recovery_codes=False)
    request = rp.authorization_request()
    browser.open(request.url)
    page = browser.submit(username="ada", password=PASSWORD)
    assert isinstance(page, Page)
    page = browser.submit(code=totp_code(enrolment_secret(page), live.clock))
    assert isinstance(page, Page) and page.title == "Save your recovery codes"
    codes = [li.get_text(strip=True) for li in page.soup.select("#recovery-codes li")]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(code) == 11 and code[5] == "-" for code in codes)
    assert live.services.recovery.remaining(user_id) == 10

    download = browser.http.get(live.url + str(page.soup.find(id="download-codes")["href"]))
    assert download.headers["Content-Type"].startswith("text/plain")
    assert "attachment" in download.headers["Content-Disposition"]
    assert all(code in download.text for code in codes)

    # Not confirmed: asked again, the login does not go on.
    page = browser.submit()
    assert isinstance(page, Page) and page.title == "Save your recovery codes"
    assert "Confirm that you saved" in " ".join(page.errors)

    landed = browser.submit(saved="yes")
    assert isinstance(landed, str)
    tokens = rp.exchange(callback_params(landed)["code"], request.verifier).json()
    claims = rp.id_token_claims(tokens["id_token"], request.nonce)
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    # The codes were dropped from the login: the page cannot be shown again.
    again = browser.http.get(page.url, allow_redirects=False)
    assert again.status_code != 200 or "recovery-codes" not in again.text


def test_a_recovery_code_signs_in_once_and_is_marked_in_amr_and_audit(
    live: LiveBridge, rp: RelyingParty, browser: Browser, browsers: Callable[..., Browser]
) -> None:
    user_id, _ = enrolled_user(live, "ada")
    codes = codes_for(live, user_id)
    request = rp.authorization_request()
    browser.open(request.url)
    browser.submit(username="ada", password=PASSWORD)
    page = try_another_way(browser, USE_RECOVERY)
    assert page.title == "Use a recovery code"
    landed = browser.submit(code=codes[0].upper())
    assert isinstance(landed, str), browser.page and browser.page.html[:800]
    tokens = rp.exchange(callback_params(landed)["code"], request.verifier).json()
    claims = rp.id_token_claims(tokens["id_token"], request.nonce)
    assert claims["amr"] == ["pwd", "otp", "mfa", "recovery_code"]
    [event] = live.audit("sign_in_succeeded", user_id)
    assert event.mfa_factor_type == "recovery_code"
    assert live.services.recovery.remaining(user_id) == 9

    browser = browsers()
    to_code_page(rp, browser, "ada")
    try_another_way(browser, USE_RECOVERY)
    page = browser.submit(code=codes[0])
    assert isinstance(page, Page) and "not valid or was already used" in " ".join(page.errors)


def test_recovery_codes_are_not_offered_to_a_user_without_any(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    enrolled_user(live, "ada")
    page = to_code_page(rp, browser, "ada")
    assert page.soup.find("button", string=USE_RECOVERY) is None


def test_wrong_recovery_codes_count_as_wrong_codes(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    user_id, _ = enrolled_user(live, "ada")
    codes_for(live, user_id)
    to_code_page(rp, browser, "ada")
    try_another_way(browser, USE_RECOVERY)
    for bad in ("not-a-code", "aaaaa-aaaaa"):
        page = browser.submit(code=bad)
        assert isinstance(page, Page) and page.status == 200
    page = browser.submit(code="zzzzz-zzzzz")
    assert isinstance(page, Page) and page.status == 403
    assert live.services.lockout.is_locked(user_id)
