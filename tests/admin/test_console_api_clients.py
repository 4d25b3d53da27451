"""The console's API clients page (issue 12): an admin creates, rotates and removes them."""

from __future__ import annotations

from bs4 import BeautifulSoup

from bridge.services.orgs import Actor
from tests.admin.test_console import acme, signed_in  # noqa: F401 (fixture)
from tests.e2e.harness import Browser, LiveBridge, Page

OPERATOR = Actor.operator()
PAGE = "/admin/orgs/acme/api-clients"


def _post(live: LiveBridge, browser: Browser, path: str, **fields: str) -> BeautifulSoup:
    page = browser.page
    assert page is not None
    response = browser.post_raw(
        f"{live.url}{path}", {"csrf_token": page.form_fields()["csrf_token"], **fields}
    )
    if response.is_redirect:
        assert response.status_code == 303
        opened = browser.open(live.url + response.headers["Location"])
        assert isinstance(opened, Page)
        return opened.soup
    browser.page = Page(response.url, response.status_code, response.text)
    return browser.page.soup


def test_an_admin_creates_a_client_and_sees_the_secret_once(acme: LiveBridge) -> None:  # noqa: F811
    browser = signed_in(acme, "ada", PAGE)
    soup = _post(acme, browser, PAGE, name="Billing sync", scopes="invoices:read invoices:write")
    client_id = soup.select_one("#made-client-id").get_text(strip=True)  # type: ignore[union-attr]
    secret = soup.select_one("#made-secret").get_text(strip=True)  # type: ignore[union-attr]
    record = acme.services.clients.get(client_id)
    assert record is not None and acme.services.clients.check_secret(record, secret)
    assert record.scope == "invoices:read invoices:write"
    again = browser.open(f"{acme.url}{PAGE}")
    assert isinstance(again, Page)
    assert secret not in again.html
    assert again.soup.select_one(f'tr[data-client-id="{client_id}"]') is not None
    event = acme.audit("api_client_created")[0]
    assert event.details["via"] == "console" and event.client_id == client_id


def test_rotating_and_removing_in_the_console(acme: LiveBridge) -> None:  # noqa: F811
    made = acme.services.api_clients.create(OPERATOR, "acme", "Sync", ["a"])
    client_id = made.view.client_id
    browser = signed_in(acme, "ada", PAGE)
    soup = _post(acme, browser, f"{PAGE}/{client_id}/secret")
    secret = soup.select_one("#made-secret").get_text(strip=True)  # type: ignore[union-attr]
    assert secret != made.secret
    soup = _post(acme, browser, f"{PAGE}/{client_id}/remove")
    assert "was removed" in soup.select_one("#notice").get_text()  # type: ignore[union-attr]
    assert acme.services.clients.get(client_id) is None


def test_a_refused_create_says_why_and_keeps_the_form(acme: LiveBridge) -> None:  # noqa: F811
    browser = signed_in(acme, "ada", PAGE)
    soup = _post(acme, browser, PAGE, name="Sync", scopes="openid")
    assert browser.page is not None and browser.page.status == 422
    assert "cannot be granted" in soup.select_one("#form-errors").get_text()  # type: ignore[union-attr]
    assert soup.select_one("#scopes")["value"] == "openid"  # type: ignore[index]
    assert acme.services.api_clients.list(OPERATOR, "acme") == []


def test_a_member_who_is_no_admin_is_refused(acme: LiveBridge) -> None:  # noqa: F811
    page = signed_in(acme, "bob", PAGE).page
    assert page is not None and page.status == 403


def test_another_organisations_client_is_not_found(acme: LiveBridge) -> None:  # noqa: F811
    acme.services.orgs.create(OPERATOR, "globex", "Globex")
    theirs = acme.services.api_clients.create(OPERATOR, "globex", "Theirs", ["a"])
    browser = signed_in(acme, "ada", PAGE)
    _post(acme, browser, f"{PAGE}/{theirs.view.client_id}/remove")
    assert browser.page is not None and browser.page.status == 404
    assert acme.services.clients.get(theirs.view.client_id) is not None
