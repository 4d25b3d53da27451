"""A nonce is good for one authorization code: an authorization request that repeats the nonce
of a code already issued to its client is refused, when it comes in and when a login that
started before that code finishes (issue 16 looks the nonce up once per request and remembers
it in the same store call that stores the code)."""

from __future__ import annotations

from tests.e2e.factor_life import code_of, enrolled_user
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page, RelyingParty, callback_params

NONCE = "the-same-nonce-twice"


def _to_code_page(rp: RelyingParty, browser: Browser) -> Page:
    page = browser.open(rp.authorization_request(nonce=NONCE).url)
    assert isinstance(page, Page), page
    page = browser.submit(username="ada", password=PASSWORD)
    assert isinstance(page, Page), page
    return page


def test_a_nonce_whose_code_was_issued_is_refused_when_it_comes_again(
    live: LiveBridge, rp: RelyingParty
) -> None:
    _user_id, secret = enrolled_user(live, "ada")
    browser = Browser()
    _to_code_page(rp, browser)
    landed = browser.submit(code=code_of(live, secret))
    assert isinstance(landed, str) and "code" in callback_params(landed)

    again = Browser().open(rp.authorization_request(nonce=NONCE).url)
    assert isinstance(again, str), again
    assert callback_params(again)["error"] == "invalid_request"


def test_of_two_logins_with_one_nonce_only_the_first_to_finish_gets_a_code(
    live: LiveBridge, rp: RelyingParty
) -> None:
    _user_id, secret = enrolled_user(live, "ada")
    first, second = Browser(), Browser()
    _to_code_page(rp, first)
    _to_code_page(rp, second)
    landed = first.submit(code=code_of(live, secret))
    assert isinstance(landed, str) and "code" in callback_params(landed)

    live.clock.advance(30)  # the next time-step: the code itself is not a replay
    refused = second.submit(code=code_of(live, secret))
    assert isinstance(refused, str), refused
    assert callback_params(refused)["error"] == "invalid_request"
