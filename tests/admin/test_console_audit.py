"""The console's audit page: the organisation's events, filtered by a form, and exported."""

from __future__ import annotations

import csv
import io

import pytest

from bridge.domain.events import AuditEventName as Event
from bridge.services.orgs import Actor
from bridge.web.admin.event_labels import EVENT_LABELS
from tests.admin.test_console import signed_in
from tests.e2e.harness import LiveBridge, Page
from tests.world import OPERATOR


@pytest.fixture
def acme(live: LiveBridge) -> LiveBridge:
    """acme (ada its admin, bob a member, an app of its own, where bob failed a code once)."""
    s = live.services
    s.orgs.create(OPERATOR, "acme", "Acme")
    for name, role in (("ada", "admin"), ("bob", "member")):
        live.add_user(name)
        s.members.add(OPERATOR, "acme", name, role)
    app, _ = s.clients.add("Acme app", ["https://app.example/cb"])
    s.orgs.assign_client(OPERATOR, "acme", app.id)
    bob = s.users.find("bob")
    assert bob is not None
    s.audit.record(
        Event.SIGN_IN_FAILED,
        user_id=bob.id,
        client_id=app.id,
        mfa_factor_type="totp",
        reason="invalid_code",
        user_agent="@SUM(1+1)",
    )
    return live


def rows(page: Page) -> list[list[str]]:
    body = page.soup.select_one("#audit tbody")
    assert body is not None
    return [[td.get_text(strip=True) for td in tr.select("td")] for tr in body.select("tr")]


def test_the_filter_form_shows_only_the_members_failed_sign_ins(acme: LiveBridge) -> None:
    browser = signed_in(acme, "ada")
    page = browser.open(f"{acme.url}/admin/orgs/acme/audit?event=sign_in_failed&user=bob")
    assert isinstance(page, Page) and page.status == 200
    [row] = rows(page)
    assert row[2:4] == ["", "bob"]
    assert events(page) == [("Sign-in failed", "sign_in_failed")]
    assert stored(page, "factor") == [("Authenticator app", "totp")]
    assert stored(page, "reason") == [("Wrong code", "invalid_code")]
    selected = page.soup.select_one("#event option[selected]")
    assert selected is not None
    assert (selected.get_text(), selected["value"]) == ("Sign-in failed", "sign_in_failed")


def test_every_event_shows_its_label_and_keeps_its_name_for_searching_logs(
    acme: LiveBridge,
) -> None:
    browser = signed_in(acme, "ada")
    page = browser.open(f"{acme.url}/admin/orgs/acme/audit")
    assert isinstance(page, Page)
    shown = events(page)
    assert ("Sign-in failed", "sign_in_failed") in shown
    assert ("Member added", "member_added") in shown
    assert ("Organisation created", "org_created") in shown
    cells = page.soup.select("#audit td.event")
    assert [cell["data-event"] for cell in cells] == [name for _, name in shown]


def test_every_audit_event_has_a_label_of_its_own() -> None:
    assert [event for event in Event if event not in EVENT_LABELS] == []
    assert len(set(EVENT_LABELS.values())) == len(EVENT_LABELS)


def events(page: Page) -> list[tuple[str, str]]:
    """Each row's event: its label and the stored name shown beside it."""
    return [
        (cell.select_one(".event-label").get_text(), cell.select_one("code").get_text())  # type: ignore[union-attr]
        for cell in page.soup.select("#audit td.event")
    ]


def stored(page: Page, column: str) -> list[tuple[str, str]]:
    """Each row's factor or reason (``column``): its label and the stored value beside it, or
    the value alone when it has no label; its ``data-`` attribute is the stored value too."""
    shown = []
    for cell in page.soup.select(f"#audit td.{column}"):
        label, value = cell.select_one(".label"), cell.select_one("code")
        stored = str(cell.get(f"data-{column}", ""))
        if label is None:
            shown.append((cell.get_text(strip=True), stored))
        else:
            assert value is not None and value.get_text() == stored
            shown.append((label.get_text(), stored))
    return shown


def test_a_value_the_bridge_has_no_label_for_is_shown_as_it_is(acme: LiveBridge) -> None:
    """A newer bridge sharing the database may record a factor or reason this one has not
    heard of (as a mail server's answer is free text)."""
    bob = acme.services.users.find("bob")
    assert bob is not None
    acme.services.audit.record(
        Event.SIGN_IN_FAILED, user_id=bob.id, mfa_factor_type="passkey", reason="passkey_unknown"
    )
    browser = signed_in(acme, "ada")
    page = browser.open(f"{acme.url}/admin/orgs/acme/audit?event=sign_in_failed")
    assert isinstance(page, Page) and page.status == 200
    assert stored(page, "factor") == [("passkey", "passkey"), ("Authenticator app", "totp")]
    assert stored(page, "reason") == [
        ("passkey_unknown", "passkey_unknown"),
        ("Wrong code", "invalid_code"),
    ]
    [newest, _] = page.soup.select("#audit td.reason")
    assert newest.select("code") == []


def test_the_admins_own_console_sign_in_is_in_the_log(acme: LiveBridge) -> None:
    browser = signed_in(acme, "ada")
    page = browser.open(f"{acme.url}/admin/orgs/acme/audit?event=sign_in_succeeded")
    assert isinstance(page, Page)
    assert [row[3] for row in rows(page)] == ["ada"]


def test_a_bad_filter_is_shown_on_the_page(acme: LiveBridge) -> None:
    browser = signed_in(acme, "ada")
    page = browser.open(f"{acme.url}/admin/orgs/acme/audit?since=last+tuesday")
    assert isinstance(page, Page) and page.status == 422
    errors = page.soup.select_one("#form-errors")
    assert errors is not None and "'From' must be an ISO 8601 date" in errors.get_text()
    assert rows(page) == []


def test_the_export_link_downloads_the_filtered_log_as_csv(acme: LiveBridge) -> None:
    browser = signed_in(acme, "ada")
    page = browser.open(f"{acme.url}/admin/orgs/acme/audit?event=sign_in_failed")
    assert isinstance(page, Page)
    link = next(a for a in page.soup.select("#audit-export a") if a.get_text() == "CSV")
    response = browser.http.get(acme.url + str(link["href"]))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert (row["event"], row["user_agent"]) == ("sign_in_failed", "'@SUM(1+1)")


def test_a_partner_admin_s_change_names_the_partner_by_its_name(live: LiveBridge) -> None:
    s = live.services
    s.orgs.create(OPERATOR, "parts", "Parts & Co", kind="partner", mode="trial")
    s.orgs.create(OPERATOR, "cust", "Customer AG", kind="customer", parent="parts")
    pat = live.add_user("pat")
    s.members.add(OPERATOR, "parts", "pat", "admin")
    s.orgs.update_policy(Actor(user_id=pat, via="console"), "cust", {"mfa_enforced": True})
    browser = signed_in(live, "pat", "/admin/orgs/cust")
    page = browser.open(f"{live.url}/admin/orgs/cust/audit?event=org_mfa_enforced")
    assert isinstance(page, Page)
    [row] = rows(page)
    assert row[2] == "patas admin via Parts & Co"
