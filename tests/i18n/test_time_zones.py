"""Times in the person's time zone (issue 13): the ``tz`` cookie that ``static/timezone.js`` sets
from the browser, validated against the server's zones (anything else is UTC, never an error),
shown with the zone's name in the page's language. Flask's test client."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from flask import render_template_string
from flask.testing import FlaskClient

from bridge.app import create_app
from bridge.domain.events import AuditEventName as Event
from bridge.services.app_password_values import Origin
from bridge.services.container import Services
from bridge.services.orgs.audit import AuditSearch
from bridge.services.orgs.validation import parse
from bridge.web.zone import TZ_COOKIE, zone_named
from tests.world import OPERATOR, World

# The test clock's 1_700_000_000: 2023-11-14 22:13:20 UTC, 23:13 in Berlin, the 15th in Tokyo.
BERLIN_EN = "2023-11-14 23:13 Europe/Berlin"
BERLIN_DE = "14.11.2023, 23:13 (Europe/Berlin)"
UTC_EN = "2023-11-14 22:13 UTC"

GARBAGE = [
    "Mars/Olympus_Mons",
    "../../../etc/passwd",
    "Europe/../../etc/passwd",
    "x" * 3000,
    "Europe/Berlin;",
    "\u00e4",
    "",
    "UTC\\",
    "Etc/GMT+99",
]


def page(client: FlaskClient, path: str, language: str = "en") -> BeautifulSoup:
    response = client.get(path, headers={"Accept-Language": language})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def signed_in(services: Services, world: World, username: str) -> FlaskClient:
    client = create_app(services=services).test_client()
    session = services.sessions.create(
        world.row(username).id, ("pwd", "otp"), int(world.clock()), None
    )
    client.set_cookie(services.settings.session.cookie_name, session)
    return client


@pytest.fixture
def acme(world: World) -> World:
    """acme: ada its admin (enrolled, with a trusted browser and an app password), bob a member
    who lost his phone, an API client."""
    for name in ("ada", "bob"):
        world.user(name)
    world.org("acme")
    world.join("acme", "ada", "admin")
    world.join("acme", "bob")
    world.enrol("ada")
    world.enrol("bob")
    world.clock.advance(-60)  # back to 22:13 after the two enrolments' codes
    s = world.services
    ada = world.row("ada").id
    s.trusted_devices.trust(ada, "Firefox on Linux", 30)
    s.orgs.update_policy(OPERATOR, "acme", {"app_passwords_allowed": True})
    s.app_passwords.create_own(ada, "Calendar sync", None, Origin(ada, "10.0.0.1"))
    org = s.orgs.authority(world.actor("ada"), "acme").org
    s.reset_requests.request(world.row("bob").id, org.id, message="Phone fell in the lake")
    s.api_clients.create(OPERATOR, "acme", "Inventory sync", ["inventory"])
    return world


def test_a_known_zone_is_that_zone_anything_else_utc() -> None:
    assert zone_named("Europe/Berlin")[0] == "Europe/Berlin"
    assert zone_named("America/Argentina/Buenos_Aires")[0] == "America/Argentina/Buenos_Aires"
    assert zone_named(None) == ("UTC", UTC)
    for name in GARBAGE:
        assert zone_named(name) == ("UTC", UTC), name


def test_the_static_script_sets_the_tz_cookie_and_every_page_loads_it(
    services: Services,
) -> None:
    client = create_app(services=services).test_client()
    script = client.get("/static/timezone.js")
    assert script.status_code == 200
    text = script.get_data(as_text=True)
    assert "Intl.DateTimeFormat().resolvedOptions().timeZone" in text
    assert '"tz="' in text
    script.close()
    response = client.get("/authorize")  # an error page: base.html all the same
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    sources = [str(tag.get("src")) for tag in soup.find_all("script")]
    assert any(src.startswith("/static/timezone") for src in sources), sources
    # served from the bridge itself, so the policy's default-src 'self' lets it run
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "script-src" not in response.headers["Content-Security-Policy"]


def test_the_reset_request_list_shows_the_browsers_zone(services: Services, acme: World) -> None:
    client = signed_in(services, acme, "ada")
    client.set_cookie(TZ_COOKIE, "Europe/Berlin")
    asked = page(client, "/admin/orgs/acme").select_one("#reset-requests time")
    assert asked is not None and asked.get_text() == BERLIN_EN
    asked = page(client, "/admin/orgs/acme", "de").select_one("#reset-requests time")
    assert asked is not None and asked.get_text() == BERLIN_DE


def test_without_the_cookie_times_stay_utc(services: Services, acme: World) -> None:
    client = signed_in(services, acme, "ada")
    asked = page(client, "/admin/orgs/acme").select_one("#reset-requests time")
    assert asked is not None and asked.get_text() == UTC_EN
    asked = page(client, "/admin/orgs/acme", "de").select_one("#reset-requests time")
    assert asked is not None and asked.get_text() == "14.11.2023, 22:13 (UTC)"


@pytest.mark.parametrize("garbage", GARBAGE)
def test_a_garbage_zone_is_utc_not_an_error(services: Services, acme: World, garbage: str) -> None:
    client = signed_in(services, acme, "ada")
    client.set_cookie(TZ_COOKIE, garbage)
    for path in ("/admin/orgs/acme", "/admin/orgs/acme/audit", "/account"):
        found = page(client, path, "de").find(string=lambda s: "(UTC)" in str(s))
        assert found is not None, path


def test_the_audit_page_shows_its_times_in_the_browsers_zone(
    services: Services, acme: World
) -> None:
    client = signed_in(services, acme, "ada")
    client.set_cookie(TZ_COOKIE, "Asia/Tokyo")
    soup = page(client, "/admin/orgs/acme/audit", "de")
    header = soup.select_one("#audit thead th")
    assert header is not None and header.get_text() == "Zeitpunkt"
    cells = [row.select_one("td") for row in soup.select("#audit tbody tr")]
    assert cells and all(cell is not None for cell in cells)
    assert {cell.get_text() for cell in cells if cell} == {"15.11.2023, 07:13:20 (Asia/Tokyo)"}
    soup = page(client, "/admin/orgs/acme/audit")
    first = soup.select_one("#audit tbody td")
    assert first is not None and first.get_text() == "2023-11-15 07:13:20 Asia/Tokyo"


def test_the_api_clients_page_shows_when_each_was_created(services: Services, acme: World) -> None:
    client = signed_in(services, acme, "ada")
    client.set_cookie(TZ_COOKIE, "Europe/Berlin")
    row = page(client, "/admin/orgs/acme/api-clients", "de").select_one("#api-clients tbody tr")
    assert row is not None
    assert BERLIN_DE in [td.get_text(strip=True) for td in row.select("td")]


def test_the_account_page_shows_trusted_browsers_and_app_passwords_in_the_zone(
    services: Services, acme: World
) -> None:
    client = signed_in(services, acme, "ada")
    client.set_cookie(TZ_COOKIE, "Europe/Berlin")
    soup = page(client, "/account", "de")
    browsers = soup.select_one("#trusted-browsers tbody tr")
    assert browsers is not None
    cells = [td.get_text(strip=True) for td in browsers.select("td")]
    assert cells[1:4] == [BERLIN_DE, BERLIN_DE, "14.12.2023, 23:13 (Europe/Berlin)"]
    created = soup.find("td", attrs={"data-label": "Erstellt"})
    assert created is not None and created.get_text(strip=True) == BERLIN_DE
    soup = page(client, "/account")
    created = soup.find("td", attrs={"data-label": "Created"})
    assert created is not None and created.get_text(strip=True) == BERLIN_EN


def test_each_time_is_a_time_element_with_its_moment_zone_and_layout(
    services: Services, acme: World
) -> None:
    """What ``static/timezone.js`` needs to write the time again in the browser's zone."""
    client = signed_in(services, acme, "ada")
    soup = page(client, "/account", "de")
    times = soup.select("#trusted-browsers time")
    assert [t.get_text() for t in times][:2] == ["14.11.2023, 22:13 (UTC)"] * 2
    first = times[0]
    assert first["datetime"] == "2023-11-14T22:13:20Z"
    assert first["data-zone"] == "UTC"
    assert first["data-format"] == "dd.MM.yyyy, HH:mm ({zone})"
    client.set_cookie(TZ_COOKIE, "Europe/Berlin")
    first = page(client, "/admin/orgs/acme/audit").select("#audit tbody time")[0]
    assert first["data-zone"] == "Europe/Berlin"
    assert first["data-format"] == "yyyy-MM-dd HH:mm:ss {zone}"
    assert first.get_text() == "2023-11-14 23:13:20 Europe/Berlin"


def test_a_time_inside_a_sentence_stays_a_time_element(services: Services) -> None:
    app = create_app(services=services)
    moment = datetime(2023, 11, 14, 22, 13, tzinfo=UTC)
    with app.test_request_context(headers={"Accept-Language": "de"}):
        html = render_template_string(
            '{{ _("%(when)s from %(address)s", when=moment | when, address="<b>") }}',
            moment=moment,
        )
    soup = BeautifulSoup(html, "html.parser")
    time = soup.find("time")
    assert time is not None and time.get_text() == "14.11.2023, 22:13 (UTC)"
    assert "&lt;b&gt;" in html  # the other values are still escaped


# Local midnight of 2023-11-15 in Berlin is 23:00 UTC on the 14th.
BEFORE_MIDNIGHT = datetime(2023, 11, 14, 22, 59, 59, tzinfo=UTC)  # 23:59:59 in Berlin
AT_MIDNIGHT = datetime(2023, 11, 14, 23, 0, tzinfo=UTC)  # 00:00 on the 15th in Berlin


@pytest.fixture
def around_midnight(acme: World) -> World:
    """bob's account locked a second before Berlin's midnight, unlocked at midnight."""
    bob = acme.row("bob").id
    for moment, event in (
        (BEFORE_MIDNIGHT, Event.ACCOUNT_LOCKED),
        (AT_MIDNIGHT, Event.ACCOUNT_UNLOCKED),
    ):
        acme.clock.set(moment.timestamp())
        acme.services.audit.record(event, user_id=bob)
    return acme


def filtered(client: FlaskClient, query: str, language: str = "en") -> list[str]:
    """The events of the audit page that the filter lets through, newest first."""
    soup = page(client, f"/admin/orgs/acme/audit?user=bob&{query}", language)
    return [str(row.select("td")[1]["data-event"]) for row in soup.select("#audit tbody tr")]


def test_the_audit_filter_reads_its_dates_in_the_admins_zone(
    services: Services, around_midnight: World
) -> None:
    """A Berlin admin's "from the 15th" starts at Berlin's midnight, and "until the 15th"
    ends there: the event a second before is the 14th's, the one at midnight the 15th's."""
    client = signed_in(services, around_midnight, "ada")
    client.set_cookie(TZ_COOKIE, "Europe/Berlin")
    assert filtered(client, "since=2023-11-15") == ["account_unlocked"]
    assert filtered(client, "since=2023-11-15T00:00") == ["account_unlocked"]
    assert filtered(client, "since=2023-11-14T23:59:59") == [
        "account_unlocked",
        "account_locked",
    ]
    before = filtered(client, "until=2023-11-15")
    assert "account_locked" in before and "account_unlocked" not in before
    # An explicit offset is that offset, whatever the admin's zone.
    assert filtered(client, "since=2023-11-14T23:00:00Z") == ["account_unlocked"]


@pytest.mark.postgres("each store compares the filter's instant with the events' times")
def test_the_audit_search_reads_a_time_without_offset_in_the_zone_it_is_given(
    around_midnight: World,
) -> None:
    def events(since: str, zone: ZoneInfo | None) -> list[str]:
        context = None if zone is None else {"zone": zone}
        search = parse(AuditSearch, {"user": "bob", "since": since}, context=context)
        return [
            e.event for e in around_midnight.services.org_audit.events(OPERATOR, "acme", search)
        ]

    assert events("2023-11-15", ZoneInfo("Europe/Berlin")) == ["account_unlocked"]
    assert events("2023-11-14T23:59:59", ZoneInfo("Europe/Berlin")) == [
        "account_unlocked",
        "account_locked",
    ]
    assert events("2023-11-15", None) == []  # the admin API and the CLI: UTC
    assert events("2023-11-14T23:00", None) == ["account_unlocked"]


def test_without_the_browsers_zone_the_audit_filter_reads_utc(
    services: Services, around_midnight: World
) -> None:
    client = signed_in(services, around_midnight, "ada")
    assert filtered(client, "since=2023-11-15") == []
    assert filtered(client, "since=2023-11-14T23:00") == ["account_unlocked"]
    client.set_cookie(TZ_COOKIE, "Mars/Olympus_Mons")
    assert filtered(client, "since=2023-11-14T23:00") == ["account_unlocked"]


def test_the_audit_page_says_which_zone_its_filter_reads(services: Services, acme: World) -> None:
    client = signed_in(services, acme, "ada")
    client.set_cookie(TZ_COOKIE, "Europe/Berlin")
    soup = page(client, "/admin/orgs/acme/audit", "de")
    labels = [label.get_text() for label in soup.select("#audit-filters label")]
    assert "Von (Europe/Berlin, z. B. 2026-01-31 oder 2026-01-31T08:00)" in labels
    assert "Bis (Europe/Berlin, ausschließlich)" in labels
    hint = soup.select_one("#filter-zone")
    assert hint is not None and "Europe/Berlin" in hint.get_text()
    soup = page(client, "/admin/orgs/acme/audit")
    labels = [label.get_text() for label in soup.select("#audit-filters label")]
    assert "From (Europe/Berlin, e.g. 2026-01-31 or 2026-01-31T08:00)" in labels
    assert "Until (Europe/Berlin, not included)" in labels
    client.delete_cookie(TZ_COOKIE)
    labels = [label.get_text() for label in page(client, "/admin/orgs/acme/audit").select("label")]
    assert "From (UTC, e.g. 2026-01-31 or 2026-01-31T08:00)" in labels


def test_the_consoles_export_reads_the_filter_in_the_admins_zone(
    services: Services, around_midnight: World
) -> None:
    client = signed_in(services, around_midnight, "ada")
    client.set_cookie(TZ_COOKIE, "Europe/Berlin")
    response = client.get("/admin/orgs/acme/audit/export?format=csv&user=bob&since=2023-11-15")
    assert response.status_code == 200
    events = [row["event"] for row in csv.DictReader(io.StringIO(response.get_data(as_text=True)))]
    assert events == ["account_unlocked"]


def test_a_local_time_with_no_utc_time_is_refused_not_an_error(
    services: Services, acme: World
) -> None:
    client = signed_in(services, acme, "ada")
    client.set_cookie(TZ_COOKIE, "Asia/Tokyo")  # year 1 at 00:00 in Tokyo was before year 1 UTC
    response = client.get(
        "/admin/orgs/acme/audit?since=0001-01-01", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 422
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    errors = soup.select_one("#form-errors")
    assert errors is not None and "'From' must be an ISO 8601 date" in errors.get_text()
