"""A live bridge that mails through a real SMTP server (aiosmtpd), and the reset journey's
steps: ask for a link, read it from the mail, open it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.e2e.harness import Browser, LiveBridge, Page, RelyingParty
from tests.factors.smtp_server import Inbox, smtp_server
from tests.ports import unused_port

PORT = unused_port()
MAIL_ENV = {
    "BRIDGE_MAIL__HOST": "127.0.0.1",
    "BRIDGE_MAIL__PORT": str(PORT),
    "BRIDGE_MAIL__SECURITY": "none",
}
NEW_PASSWORD = "a brand new passphrase of mine"
LINK = re.compile(r"(https?://\S+/password/reset/[A-Za-z0-9_-]+)")


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    received = Inbox()
    with smtp_server(received, PORT):
        yield received


def delivered(live: LiveBridge, inbox: Inbox) -> list[tuple[list[str], str]]:
    assert live.services.mailer.outbox.wait_idle(10)
    return [(m.recipients, str(m.message["Subject"])) for m in inbox.messages]


def text_of(inbox: Inbox, index: int = -1) -> str:
    part = inbox.messages[index].message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def reset_link(live: LiveBridge, inbox: Inbox, index: int = -1) -> str:
    assert live.services.mailer.outbox.wait_idle(10)
    found = LINK.search(text_of(inbox, index))
    assert found is not None, text_of(inbox, index)
    return found.group(1)


def to_forgot_page(rp: RelyingParty | None, browser: Browser, live: LiveBridge) -> Page:
    """The sign-in page of a login (at ``rp``, else the account page), then "forgot"."""
    start = rp.authorization_request().url if rp is not None else live.url + "/account"
    page = browser.open(start)
    assert isinstance(page, Page), page
    link = page.soup.find(id="forgot-password")
    assert link is not None, page.html[:500]
    page = browser.open(live.url + str(link["href"]))
    assert isinstance(page, Page) and page.title == "Forgot your password?", page
    return page


def ask_for_link(rp: RelyingParty | None, browser: Browser, live: LiveBridge, who: str) -> Page:
    to_forgot_page(rp, browser, live)
    page = browser.submit(identifier=who)
    assert isinstance(page, Page), page
    return page


def set_password(browser: Browser, link: str, password: str = NEW_PASSWORD) -> Page | str:
    page = browser.open(link)
    assert isinstance(page, Page) and page.title == "Choose a new password", page
    return browser.submit(password=password, confirm=password)
