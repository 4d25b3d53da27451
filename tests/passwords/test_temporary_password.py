"""A temporary password set by an admin or the operator (issue 14, item 4), over HTTP with a
real SMTP server: the sign-in with it still asks for the second factor, then for a password of
the person's own before the application; it ends every session and grant, is audited and
mailed; and an admin's reset link is the forgot-password link, in the person's language."""

from __future__ import annotations

import pytest
import requests

from bridge.services.account.admin_passwords import send_reset_link, set_temporary_password
from bridge.services.orgs import Actor
from tests.admin_api import API, Api
from tests.e2e.factor_life import code_of, enrolled_user, org_with
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
from tests.factors.smtp_server import Inbox
from tests.passwords.conftest import (
    MAIL_ENV,
    NEW_PASSWORD,
    delivered,
    reset_link,
    set_password,
    text_of,
)

pytestmark = pytest.mark.bridge_env(MAIL_ENV)
OPERATOR = Actor.operator()
TEMPORARY = "a temporary passphrase 4711"
CHOOSE = "Choose your own password"
CODE_PAGE = "Two-factor authentication"


def _works(live: LiveBridge, username: str, password: str) -> bool:
    return live.services.users.check_password(username, password).user_id is not None


def _sign_in(rp: RelyingParty, browser: Browser, username: str, password: str) -> Page | str:
    browser.open(rp.authorization_request().url)
    return browser.submit(username=username, password=password)


def test_a_2fa_user_gives_the_code_then_must_choose_a_password_before_the_application(
    live: LiveBridge, rp: RelyingParty, browser: Browser, inbox: Inbox
) -> None:
    _, secret = enrolled_user(live, "ada")
    set_temporary_password(live.services, OPERATOR, None, "ada", TEMPORARY)
    live.clock.advance(60)  # the person signs in later (codes of the same second are void)
    request = rp.authorization_request()
    browser.open(request.url)
    page = browser.submit(username="ada", password=TEMPORARY)
    assert isinstance(page, Page) and page.title == CODE_PAGE, page
    page = browser.submit(code=code_of(live, secret))
    assert isinstance(page, Page) and page.title == CHOOSE, page
    assert browser.landed is None
    landed = browser.submit(password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert isinstance(landed, str)
    tokens = rp.exchange(callback_params(landed)["code"], request.verifier)
    assert tokens.status_code == 200, tokens.text
    assert rp.id_token_claims(tokens.json()["id_token"], request.nonce)["amr"] == [
        "pwd",
        "otp",
        "mfa",
    ]
    assert _works(live, "ada", NEW_PASSWORD)
    assert not _works(live, "ada", TEMPORARY)
    subjects = [subject for _, subject in delivered(live, inbox)]
    assert subjects == [
        "A temporary password was set for your account",
        "Your password was changed",
    ]


def test_the_new_password_page_is_refused_before_the_code_is_given(
    live: LiveBridge, rp: RelyingParty, browser: Browser, inbox: Inbox
) -> None:
    enrolled_user(live, "ada")
    set_temporary_password(live.services, OPERATOR, None, "ada", TEMPORARY)
    page = _sign_in(rp, browser, "ada", TEMPORARY)
    assert isinstance(page, Page) and page.title == CODE_PAGE
    flow_url = page.url
    page = browser.open(flow_url.rstrip("/") + "/new-password")
    assert isinstance(page, Page) and page.status == 403
    assert page.title != CHOOSE


def test_a_user_without_2fa_sets_it_up_then_chooses_a_password(
    live: LiveBridge, rp: RelyingParty, browser: Browser, inbox: Inbox
) -> None:
    """The tests' bridge requires 2FA of everyone: the enrolment comes first, then the page."""
    live.add_user("bob")
    set_temporary_password(live.services, OPERATOR, None, "bob", TEMPORARY)
    page = _sign_in(rp, browser, "bob", TEMPORARY)
    assert isinstance(page, Page) and page.title == "Set up two-factor authentication", page
    # The recovery codes are shown (and confirmed by the browser), then the password page.
    page = browser.submit(code=totp_code(enrolment_secret(page), live.clock))
    assert isinstance(page, Page) and page.title == CHOOSE, page
    assert browser.recovery_codes
    landed = browser.submit(password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert isinstance(landed, str) and "code" in callback_params(landed)


def test_the_temporary_password_cannot_be_kept_and_the_policy_applies(
    live: LiveBridge, rp: RelyingParty, browser: Browser, inbox: Inbox
) -> None:
    _, secret = enrolled_user(live, "ada")
    set_temporary_password(live.services, OPERATOR, None, "ada", TEMPORARY)
    _sign_in(rp, browser, "ada", TEMPORARY)
    browser.submit(code=code_of(live, secret))
    page = browser.submit(password=TEMPORARY, confirm=TEMPORARY)
    assert isinstance(page, Page) and page.status == 400
    assert page.errors == ["Choose a password of your own, not the temporary one you were given."]
    page = browser.submit(password="password123", confirm="password123")
    assert isinstance(page, Page) and page.status == 400
    assert "most common" in page.errors[0]
    page = browser.submit(password=NEW_PASSWORD, confirm=NEW_PASSWORD + "!")
    assert isinstance(page, Page) and page.errors == ["The two passwords are not the same."]
    assert browser.landed is None and _works(live, "ada", TEMPORARY)


def test_setting_it_ends_every_session_and_grant_and_is_audited(
    live: LiveBridge, inbox: Inbox
) -> None:
    user_id, _ = enrolled_user(live, "ada")
    session = live.services.sessions.create(user_id, ("pwd", "otp"), int(live.clock()), None)
    set_temporary_password(live.services, OPERATOR, None, "ada", TEMPORARY)
    assert live.services.sessions.get(session) is None
    [event] = live.audit("password_set_by_admin", user_id)
    assert event.actor_id is None
    assert event.details["operator"] is True and event.details["temporary"] is True
    assert live.services.users.get(user_id).password_must_change  # type: ignore[union-attr]


def test_a_permanent_password_from_the_operator_ends_everything_and_is_mailed_in_german(
    live: LiveBridge, inbox: Inbox
) -> None:
    from bridge.services.account.admin_passwords import set_password as set_for_them

    user_id, _ = enrolled_user(live, "ada")
    live.services.languages.choose(user_id, "de")
    session = live.services.sessions.create(user_id, ("pwd", "otp"), int(live.clock()), None)
    set_for_them(live.services, OPERATOR, None, "ada", NEW_PASSWORD, temporary=False)
    assert live.services.sessions.get(session) is None
    assert _works(live, "ada", NEW_PASSWORD) and not _works(live, "ada", PASSWORD)
    assert not live.services.users.get(user_id).password_must_change  # type: ignore[union-attr]
    [event] = live.audit("password_set_by_admin", user_id)
    assert event.details["operator"] is True and event.details["temporary"] is False
    [(to, subject)] = delivered(live, inbox)
    assert to == ["ada@example.com"]
    assert subject == "Für Ihr Konto wurde ein neues Kennwort festgelegt"
    text = text_of(inbox)
    assert "ein neues Kennwort für Ihr Konto festgelegt" in text
    assert "vorläufig" not in text


def test_no_token_is_issued_for_a_login_that_proved_only_the_temporary_password(
    live: LiveBridge, inbox: Inbox
) -> None:
    from bridge.services.issuance import refusal_for_user

    user_id, _ = enrolled_user(live, "ada")
    set_temporary_password(live.services, OPERATOR, None, "ada", TEMPORARY)
    users, lockout = live.services.users.get, live.services.lockout
    assert refusal_for_user(users, lockout, user_id, ["pwd", "otp"]) == "password_must_change"
    assert refusal_for_user(users, lockout, user_id, ["fed"]) is None


def test_an_admin_s_reset_link_is_the_forgot_password_link_in_the_member_s_language(
    live: LiveBridge, browser: Browser, inbox: Inbox
) -> None:
    """Sent through the admin API on a real socket; mailed by the real SMTP server."""
    for name in ("ada", "bob"):
        live.add_user(name)
    org_with(live, "acme", ["bob"])
    live.services.members.add(OPERATOR, "acme", "ada", "admin")
    bob = live.services.users.find("bob")
    assert bob is not None
    live.services.languages.choose(bob.id, "de")
    client, _ = live.add_client()
    live.services.orgs.allow_admin_scope(OPERATOR, client)
    token = Api(None, live.services, client).token("ada")  # type: ignore[arg-type]
    answer = requests.post(
        f"{live.url}{API}/orgs/acme/members/bob/password-reset-link",
        headers={"Authorization": f"Bearer {token}", "X-Forwarded-Host": "evil.example"},
        timeout=10,
    )
    assert answer.status_code == 202, answer.text
    assert answer.json() == {
        "username": "bob",
        "email": "bob@example.com",
        "expires_in_minutes": 15,
    }
    [(to, subject)] = delivered(live, inbox)
    assert to == ["bob@example.com"] and subject == "Neues Kennwort festlegen"
    link = reset_link(live, inbox)
    assert link.startswith(live.url + "/password/reset/")
    page = set_password(browser, link)
    assert isinstance(page, str) or page.title != "This link no longer works"
    assert _works(live, "bob", NEW_PASSWORD) and not _works(live, "bob", PASSWORD)
    [event] = live.audit("password_reset_link_sent_by_admin", bob.id)
    assert event.actor_id == live.services.users.find("ada").id  # type: ignore[union-attr]


def test_the_operator_s_reset_link_obeys_the_hourly_limit(live: LiveBridge, inbox: Inbox) -> None:
    from bridge.services.orgs.errors import ResetLinkRefused

    live.add_user("ada")
    for _ in range(3):
        send_reset_link(live.services, OPERATOR, None, "ada")
    with pytest.raises(ResetLinkRefused, match="3 links in the last hour"):
        send_reset_link(live.services, OPERATOR, None, "ada")
    assert len(delivered(live, inbox)) == 3


def test_the_page_speaks_the_person_s_language(
    live: LiveBridge, rp: RelyingParty, browser: Browser, inbox: Inbox
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    live.services.languages.choose(user_id, "de")
    set_temporary_password(live.services, OPERATOR, None, "ada", TEMPORARY)
    _sign_in(rp, browser, "ada", TEMPORARY)
    page = browser.submit(code=code_of(live, secret))
    assert isinstance(page, Page) and page.title == "Eigenes Kennwort wählen", page
    page = browser.submit(password=TEMPORARY, confirm=TEMPORARY)
    assert isinstance(page, Page) and page.errors == [
        "Wählen Sie ein eigenes Kennwort, nicht das vorläufige, das Sie erhalten haben."
    ]
    [(_, subject)] = delivered(live, inbox)
    assert subject == "Für Ihr Konto wurde ein vorläufiges Kennwort festgelegt"
