"""The console's refusals and audit log in German (issue 13): the services' messages with values
(``Phrase``) are translated with their values filled in, fields named by their label and the
organisation by its name; events by a label, with their stored name kept beside it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bridge.domain.events import AuditEventName as Event
from bridge.services.orgs import Actor
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page

OPERATOR = Actor.operator()


@pytest.fixture
def acme(live: LiveBridge) -> LiveBridge:
    """Acme Werke (slug acme, domain example.com): ada its admin, bob a member, and eve, a
    member whose address is at a domain acme has not verified."""
    s = live.services
    s.orgs.create(OPERATOR, "acme", "Acme Werke")
    s.orgs.add_domain(OPERATOR, "acme", "example.com")
    for name, role in (("ada", "admin"), ("bob", "member")):
        live.add_user(name)
        s.members.add(OPERATOR, "acme", name, role)
    s.users.create("eve", email="eve@elsewhere.example", password=PASSWORD)
    s.members.add(OPERATOR, "acme", "eve", "member")
    return live


@pytest.fixture
def german() -> Iterator[Browser]:
    browser = Browser()
    browser.http.headers["Accept-Language"] = "de"
    yield browser
    browser.http.close()


def console(live: LiveBridge, browser: Browser, username: str = "ada") -> Page:
    browser.open(f"{live.url}/admin/orgs/acme")
    page = browser.submit(username=username, password=PASSWORD)
    assert isinstance(page, Page), page
    return page


def test_an_audit_event_is_labelled_in_german_and_keeps_its_name(
    acme: LiveBridge, german: Browser
) -> None:
    bob = acme.services.users.find("bob")
    assert bob is not None
    acme.services.audit.record(Event.SIGN_IN_FAILED, user_id=bob.id, reason="invalid_code")
    console(acme, german)
    page = german.open(f"{acme.url}/admin/orgs/acme/audit?event=sign_in_failed")
    assert isinstance(page, Page) and page.status == 200
    [cell] = page.soup.select("#audit td.event")
    label, name = cell.select_one(".event-label"), cell.select_one("code")
    assert label is not None and label.get_text() == "Anmeldung fehlgeschlagen"
    assert name is not None and name.get_text() == "sign_in_failed"
    selected = page.soup.select_one("#event option[selected]")
    assert selected is not None and selected.get_text() == "Anmeldung fehlgeschlagen"


@pytest.mark.parametrize(
    ("language", "factor", "reason"),
    [
        ("de", "Authentifizierungs-App", "Falscher Code"),
        ("en", "Authenticator app", "Wrong code"),
    ],
)
def test_an_audit_event_s_factor_and_reason_are_in_the_page_s_language(
    acme: LiveBridge, language: str, factor: str, reason: str
) -> None:
    bob = acme.services.users.find("bob")
    assert bob is not None
    acme.services.audit.record(
        Event.SIGN_IN_FAILED, user_id=bob.id, mfa_factor_type="totp", reason="invalid_code"
    )
    browser = Browser()
    browser.http.headers["Accept-Language"] = language
    console(acme, browser)
    page = browser.open(f"{acme.url}/admin/orgs/acme/audit?event=sign_in_failed")
    assert isinstance(page, Page) and page.status == 200
    [factor_cell], [reason_cell] = (
        page.soup.select("#audit td.factor"),
        page.soup.select("#audit td.reason"),
    )
    for cell, label, value, column in (
        (factor_cell, factor, "totp", "factor"),
        (reason_cell, reason, "invalid_code", "reason"),
    ):
        shown, code = cell.select_one(".label"), cell.select_one("code")
        assert shown is not None and shown.get_text() == label
        assert code is not None and code.get_text() == value
        assert cell[f"data-{column}"] == value
    browser.http.close()


def test_a_bad_date_filter_is_explained_in_german_with_the_field_s_label(
    acme: LiveBridge, german: Browser
) -> None:
    console(acme, german)
    page = german.open(f"{acme.url}/admin/orgs/acme/audit?since=letzten+Dienstag")
    assert isinstance(page, Page) and page.status == 422
    [error] = page.errors
    assert error == (
        "Die Anfrage ist ungültig.„Von“ muss ein Datum oder ein Datum mit Uhrzeit nach ISO 8601 "
        "sein, etwa 2026-01-31 oder 2026-01-31T08:00:00Z."
    )


def test_since_after_until_names_both_filters_by_their_labels(
    acme: LiveBridge, german: Browser
) -> None:
    console(acme, german)
    page = german.open(f"{acme.url}/admin/orgs/acme/audit?since=2026-02-01&until=2026-01-01")
    assert isinstance(page, Page) and page.status == 422
    assert page.errors[0].endswith("„Von“ muss vor „Bis“ liegen.")


def test_the_refused_page_names_the_organisation_in_german(
    acme: LiveBridge, german: Browser
) -> None:
    page = console(acme, german, "bob")
    assert page.status == 403
    assert page.errors == ["Sie sind kein Admin von 'Acme Werke'."]


def test_a_refused_member_action_is_explained_in_german(acme: LiveBridge, german: Browser) -> None:
    page = console(acme, german)
    response = german.post_raw(
        f"{acme.url}/admin/orgs/acme/members/eve/reset-mfa",
        {"csrf_token": page.form_fields()["csrf_token"]},
    )
    refused = Page(response.url, response.status_code, response.text)
    assert refused.status == 403
    assert (
        "'eve' hat eine E-Mail-Adresse bei elsewhere.example, die 'Acme Werke' nicht bestätigt "
        "hat: Nach der Richtlinie der Organisation" in refused.errors[0]
    )


def test_acting_on_oneself_is_refused_in_german(acme: LiveBridge, german: Browser) -> None:
    page = console(acme, german)
    response = german.post_raw(
        f"{acme.url}/admin/orgs/acme/members/ada/require-mfa",
        {"csrf_token": page.form_fields()["csrf_token"]},
    )
    refused = Page(response.url, response.status_code, response.text)
    assert refused.errors[0].endswith(
        "Verwalten Sie Ihre eigene Zwei-Faktor-Authentifizierung auf Ihrer Kontoseite; für Ihr "
        "Konto kann ein anderer Admin handeln."
    )
