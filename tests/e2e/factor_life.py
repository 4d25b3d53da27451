"""Helpers for the second factor's life over HTTP (issue 5): users with an authenticator, the
login pages, and organisations with a policy, all through the services the product uses."""

from __future__ import annotations

from typing import Any

import pyotp

from bridge.services.orgs import Actor
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page, RelyingParty

OPERATOR = Actor.operator()


def enrolled_user(live: LiveBridge, username: str) -> tuple[str, str]:
    """A user with an active authenticator; returns (user id, TOTP secret). The clock moves
    on one time-step so that the enrolment's code is not replayed."""
    user_id = live.add_user(username)
    offer = live.services.totp.start_enrolment(user_id, username)
    code = pyotp.TOTP(offer.secret).at(live.clock())
    assert live.services.totp.confirm_enrolment(user_id, offer.credential_id, code)
    live.clock.advance(30)
    return user_id, offer.secret


def code_of(live: LiveBridge, secret: str) -> str:
    return pyotp.TOTP(secret).at(live.clock())


def wrong_code(live: LiveBridge, secret: str) -> str:
    right = {pyotp.TOTP(secret).at(live.clock() + 30 * step) for step in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in right)


def org_with(live: LiveBridge, slug: str, members: list[str], **policy: Any) -> str:
    """An organisation with these members and policy fields (``bridge.services.orgs`` rules
    apply)."""
    org = live.services.orgs.create(
        OPERATOR, slug, slug.title(), kind="standalone", mode="production"
    )
    for username in members:
        live.services.members.add(OPERATOR, slug, username, "member")
    if policy:
        live.services.orgs.update_policy(OPERATOR, slug, policy)
    return org.id


def to_code_page(rp: RelyingParty, browser: Browser, username: str) -> Page:
    """Start a login at the relying party and pass the password: the code page."""
    browser.open(rp.authorization_request().url)
    page = browser.submit(username=username, password=PASSWORD)
    assert isinstance(page, Page), page
    return page


def try_another_way(browser: Browser, label: str) -> Page:
    """Press the "try another way" button named ``label`` on the current page."""
    assert browser.page is not None
    button = browser.page.soup.find("button", attrs={"name": "try_another_way"}, string=label)
    assert button is not None, f"no way {label!r} on {browser.page.html[:800]}"
    page = browser.submit(try_another_way=str(button["value"]))
    assert isinstance(page, Page), page
    return page


def codes_for(live: LiveBridge, user_id: str) -> list[str]:
    """A fresh set of recovery codes for the user."""
    return live.services.recovery.generate(user_id)


def drop_cookie(browser: Browser, name: str) -> None:
    for cookie in list(browser.http.cookies):
        if cookie.name == name:
            browser.http.cookies.clear(cookie.domain, cookie.path, cookie.name)


def drop_session(live: LiveBridge, browser: Browser) -> None:
    """Forget the bridge session (as when it expires), keeping every other cookie."""
    drop_cookie(browser, live.services.settings.session.cookie_name)
