"""An organisation's audit log in the admin API: its members' sign-ins and account events
(seed 002), only its own, filtered, and exported for a SIEM."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from bridge.app import create_app
from bridge.domain.events import AuditEventName as Event
from tests.admin_api import Api, assert_problem
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page, RelyingParty, totp_code
from tests.world import OPERATOR, World


def live_api(live: LiveBridge) -> Api:
    s = live.services
    record, _ = s.clients.add("Admin", ["http://127.0.0.1:9/callback"])
    s.orgs.allow_admin_scope(OPERATOR, record.id)
    return Api(create_app(services=s).test_client(), s, record.id)


def events(api: Api, org: str, admin: str, query: str = "") -> list[dict[str, object]]:
    response = api.get(f"/orgs/{org}/audit?limit=500{query}", admin)
    assert response.status_code == 200, response.get_data(as_text=True)
    listed: list[dict[str, object]] = response.get_json()["events"]
    return listed


def test_a_sign_in_through_acmes_app_is_in_acmes_log_and_not_in_globexs(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    s = live.services
    for slug, admin in (("acme", "ada"), ("globex", "gus")):
        s.orgs.create(OPERATOR, slug, slug.title())
        live.add_user(admin)
        s.members.add(OPERATOR, slug, admin, "admin")
    s.orgs.update_policy(OPERATOR, "acme", {"mfa_enforced": True})
    live.add_user("alice")
    s.members.add(OPERATOR, "acme", "alice")
    s.members.add(OPERATOR, "globex", "alice")
    s.orgs.assign_client(OPERATOR, "acme", rp.client_id)
    browser.open(rp.authorization_request().url)
    page = browser.submit(username="alice", password=PASSWORD)
    assert isinstance(page, Page)
    secret = page.soup.find(id="secret").get_text().replace(" ", "")  # type: ignore[union-attr]
    assert isinstance(browser.submit(code=totp_code(secret, live.clock)), str)
    api = live_api(live)

    acme = events(api, "acme", "ada")
    [signed_in] = [e for e in acme if e["event"] == "sign_in_succeeded"]
    assert signed_in["user_id"] == s.users.find("alice").id  # type: ignore[union-attr]
    assert signed_in["client_id"] == rp.client_id
    assert signed_in["mfa_factor_type"] == "totp"
    assert [e["event"] for e in acme].count("mfa_setup_succeeded") == 1
    # alice belongs to globex too: her new second factor concerns it, her sign-in at acme not.
    globex = [e["event"] for e in events(api, "globex", "gus", "&user=alice")]
    assert "sign_in_succeeded" not in globex
    assert globex.count("mfa_setup_succeeded") == 1


def test_a_failed_code_through_acmes_app_is_in_acmes_log_with_the_factor_and_reason(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    s = live.services
    s.orgs.create(OPERATOR, "acme", "Acme")
    live.add_user("ada")
    s.members.add(OPERATOR, "acme", "ada", "admin")
    live.add_user("alice")
    s.members.add(OPERATOR, "acme", "alice")
    World(s, live.clock).enrol("alice")
    s.orgs.assign_client(OPERATOR, "acme", rp.client_id)
    browser.open(rp.authorization_request().url)
    browser.submit(username="alice", password=PASSWORD)
    browser.submit(code="000000")
    [failed] = events(live_api(live), "acme", "ada", "&event=sign_in_failed")
    assert (failed["mfa_factor_type"], failed["reason"]) == ("totp", "invalid_code")


@pytest.fixture
def acme(world: World) -> World:
    """acme (ada its admin, bob a member, an app of its own) and globex (gus, carol)."""
    world.org("acme")
    world.org("globex")
    for name, slug, role in (
        ("ada", "acme", "admin"),
        ("bob", "acme", "member"),
        ("gus", "globex", "admin"),
        ("carol", "globex", "member"),
    ):
        world.user(name)
        world.join(slug, name, role)
    return world


def record_sign_ins(world: World) -> str:
    """bob signs in and fails once through acme's app, a minute apart; carol through globex's
    app. Returns acme's app's id."""
    s = world.services
    apps = {}
    for slug in ("acme", "globex"):
        record, _ = s.clients.add(f"{slug} app", ["https://app.example/cb"])
        s.orgs.assign_client(OPERATOR, slug, record.id)
        apps[slug] = record.id
    bob, carol = world.row("bob").id, world.row("carol").id
    s.audit.record(Event.SIGN_IN_SUCCEEDED, user_id=bob, client_id=apps["acme"])
    world.clock.advance(60)
    s.audit.record(
        Event.SIGN_IN_FAILED,
        user_id=bob,
        client_id=apps["acme"],
        mfa_factor_type="totp",
        reason="wrong_code",
        user_agent='=HYPERLINK("https://evil.example")',
    )
    s.audit.record(Event.SIGN_IN_SUCCEEDED, user_id=carol, client_id=apps["globex"])
    return apps["acme"]


def test_the_listing_filters_by_event_user_and_time(api: Api, acme: World) -> None:
    record_sign_ins(acme)
    bob = acme.row("bob").id
    assert {e["user_id"] for e in events(api, "acme", "ada", "&event=sign_in_succeeded")} == {bob}
    assert [e["event"] for e in events(api, "acme", "ada", "&user=bob")] == [
        "sign_in_failed",
        "sign_in_succeeded",
        "member_added",
    ]
    assert events(api, "acme", "ada", "&user=carol") == []
    assert events(api, "acme", "ada", "&user=nobody") == []
    # half a minute after bob's sign-in, half a minute before the failure
    middle = datetime.fromtimestamp(acme.clock() - 30, UTC).isoformat().replace("+00:00", "Z")
    assert [e["event"] for e in events(api, "acme", "ada", f"&since={middle}")] == [
        "sign_in_failed"
    ]
    before = [e["event"] for e in events(api, "acme", "ada", f"&user=bob&until={middle}")]
    assert "sign_in_failed" not in before and "sign_in_succeeded" in before


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("event=not_an_event", "event"),
        ("since=yesterday", "since"),
        ("until=2026-13-01", "until"),
        ("since=2026-02-01&until=2026-01-01", "since"),
        ("since=0001-01-01T00:00:00%2B05:00", "since"),
    ],
)
def test_a_bad_filter_is_a_422_problem_naming_it(
    api: Api, acme: World, query: str, field: str
) -> None:
    for path in ("audit", "audit/export"):
        problem = assert_problem(api.get(f"/orgs/acme/{path}?{query}", "ada"), 422, "invalid-input")
        assert problem["field"] == field


def test_the_export_is_json_lines_oldest_first_streamed(api: Api, acme: World) -> None:
    record_sign_ins(acme)
    response = api.get("/orgs/acme/audit/export?format=jsonl&user=bob", "ada")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "application/jsonl"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [line["event"] for line in lines] == [
        "member_added",
        "sign_in_succeeded",
        "sign_in_failed",
    ]
    assert lines[2]["mfa_factor_type"] == "totp"


def test_the_csv_export_quotes_cells_a_spreadsheet_would_run_as_formulas(
    api: Api, acme: World
) -> None:
    record_sign_ins(acme)
    response = api.get("/orgs/acme/audit/export?format=csv&event=sign_in_failed", "ada")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    [row] = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert row["user_agent"] == '\'=HYPERLINK("https://evil.example")'
    assert (row["event"], row["reason"], row["mfa_factor_type"]) == (
        "sign_in_failed",
        "wrong_code",
        "totp",
    )


def test_another_organisations_admin_can_neither_list_nor_export(api: Api, acme: World) -> None:
    record_sign_ins(acme)
    assert_problem(api.get("/orgs/acme/audit", "gus"), 403, "not-an-admin")
    assert_problem(api.get("/orgs/acme/audit/export", "gus"), 403, "not-an-admin")
    assert_problem(api.get("/orgs/acme/audit/export", "bob"), 403, "not-an-admin")
    assert all(e["user_id"] != acme.row("bob").id for e in events(api, "globex", "gus"))
