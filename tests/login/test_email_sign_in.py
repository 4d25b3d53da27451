"""Signing in with the e-mail address as well as the username (issue 14): the address is
compared case-insensitively and belongs to one account; an address that several accounts
share from before (migration 0015 reports them) signs in none of them."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bridge.services.email_addresses import EmailTaken
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


def test_the_e_mail_address_signs_in_whatever_its_case(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    user_id = live.services.users.create(
        "ada", email="Ada.Lovelace@Example.com", password=PASSWORD
    ).id
    request = rp.authorization_request()
    browser.open(request.url)
    page = browser.submit(username="ada.lovelace@EXAMPLE.com", password=PASSWORD)
    assert isinstance(page, Page) and page.errors == [], page
    landed = browser.submit(code=totp_code(enrolment_secret(page), live.clock))
    assert isinstance(landed, str), browser.page
    response = rp.exchange(callback_params(landed)["code"], request.verifier)
    assert response.status_code == 200, response.text
    claims = rp.id_token_claims(response.json()["id_token"], request.nonce)
    assert claims["sub"] != "" and live.audit("sign_in_succeeded", user_id)


def test_a_wrong_password_by_e_mail_is_the_same_refusal_and_counts(
    live: LiveBridge, browser: Browser
) -> None:
    user_id = live.add_user("ada")
    browser.open(live.url + "/account")
    page = browser.submit(username="ADA@example.com", password="not the password at all")
    assert isinstance(page, Page) and page.errors == ["Incorrect username or password."]
    assert live.services.store.get(f"lockout:password:{user_id}") == 1


def test_an_address_of_another_account_is_refused_at_creation(live: LiveBridge) -> None:
    live.add_user("ada")
    with pytest.raises(EmailTaken, match="another account has the e-mail address"):
        live.services.users.create("eve", email="ADA@Example.com", password=PASSWORD)


def test_a_shared_address_signs_in_none_of_its_accounts_and_is_reported(
    live: LiveBridge,
) -> None:
    with live.services.db.session() as session:  # as migration 0015 leaves shared addresses
        session.execute(text("DROP INDEX uq_users_email_key"))
    ada = live.add_user("ada")
    with live.services.db.session() as session:
        session.execute(text("UPDATE users SET email = 'Shared@example.com'"))
    bob = live.services.users.create("bob", email=None, password=PASSWORD).id
    with live.services.db.session() as session:
        session.execute(
            text("UPDATE users SET email = 'shared@EXAMPLE.com' WHERE id = :id"), {"id": bob}
        )
    users = live.services.users
    assert users.check_password("shared@example.com", PASSWORD).reason == "unknown_user"
    assert users.check_password("ada", PASSWORD).user_id == ada
    assert users.check_password("bob", PASSWORD).user_id == bob
    [shared] = live.services.emails.shared()
    assert (shared.address, shared.usernames) == ("shared@example.com", ("ada", "bob"))
    assert not live.services.emails.unique()


def test_an_account_without_a_password_may_share_an_address_until_it_is_given_one(
    live: LiveBridge,
) -> None:
    """An account made for an upstream identity has no password and may carry a local
    account's address (it never signs in with it); giving it a password is refused while the
    address is another password account's, since the address would then sign in both."""
    users = live.services.users
    ada = users.create("ada", email="ada@example.com", password=PASSWORD)
    users.create("ada-upstream", email="ADA@example.com", password=None)
    with pytest.raises(EmailTaken, match=r"ADA@example\.com"):
        users.set_password("ada-upstream", PASSWORD)
    assert users.check_password("ada@example.com", PASSWORD).user_id == ada.id
