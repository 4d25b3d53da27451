"""The notices of account changes made for a person (issue 14), through a real SMTP server:
the old address is told that the e-mail address changed, with the new one masked."""

from __future__ import annotations

import pytest

from bridge.services.account.identity import masked_email, set_email
from tests.e2e.harness import LiveBridge
from tests.factors.smtp_server import Inbox
from tests.passwords.conftest import MAIL_ENV, delivered, text_of

pytestmark = pytest.mark.bridge_env(MAIL_ENV)


def test_the_old_address_is_told_of_a_new_one_in_english(live: LiveBridge, inbox: Inbox) -> None:
    user_id = live.add_user("ada")
    assert set_email(live.services, "ada", "countess@lovelace.example")
    [(to, subject)] = delivered(live, inbox)
    assert to == ["ada@example.com"]
    assert subject == "The e-mail address of your account was changed"
    text = text_of(inbox)
    assert "address to c***@lovelace.example" in " ".join(text.split())
    assert "countess" not in text
    [event] = live.audit("user_email_changed", user_id)
    assert event.details == {"from": "ada@example.com", "to": "countess@lovelace.example"}


def test_the_notice_speaks_the_person_s_language(live: LiveBridge, inbox: Inbox) -> None:
    user_id = live.add_user("ada")
    live.services.languages.choose(user_id, "de")
    set_email(live.services, "ada", "countess@lovelace.example")
    [(to, subject)] = delivered(live, inbox)
    assert to == ["ada@example.com"]
    assert subject == "Die E-Mail-Adresse Ihres Kontos wurde geändert"
    assert "Adresse auf c***@lovelace.example" in " ".join(text_of(inbox).split())


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("ada@example.com", "a***@example.com"),
        ("x@example.com", "x***@example.com"),
        ("Ada.Lovelace@Sub.Example.org", "A***@Sub.Example.org"),
    ],
)
def test_the_new_address_keeps_only_its_first_letter_and_its_domain(
    address: str, masked: str
) -> None:
    assert masked_email(address) == masked
