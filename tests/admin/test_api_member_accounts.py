"""An admin acting on a member's account through the admin API (issue 14): disable, enable
and delete, where the organisation answers for the account; the audit log still reads after
a deletion, in the API and in the console."""

from __future__ import annotations

import pytest

from bridge.domain.events import AuditEventName as Event
from tests.admin.test_console import signed_in
from tests.admin.test_console_audit import rows
from tests.admin_api import Api, assert_problem
from tests.e2e.harness import LiveBridge, Page
from tests.world import OPERATOR, World


def test_an_admin_disables_and_enables_a_member(api: Api, acme: World) -> None:
    disabled = api.post("/orgs/acme/members/bob/account/disable", "ada")
    assert disabled.status_code == 200 and disabled.get_json()["disabled"] is True
    assert acme.row("bob").disabled
    [event] = acme.services.audit.events(event="user_disabled")
    assert event.reason == "admin" and event.actor_id == acme.row("ada").id
    assert event.org_id == acme.services.orgs.get(OPERATOR, "acme").id
    assert event.details["org"] == "acme" and event.details["via"] == "api"
    enabled = api.post("/orgs/acme/members/bob/account/enable", "ada")
    assert enabled.status_code == 200 and enabled.get_json()["disabled"] is False
    assert acme.services.users.check_password("bob", "x").reason == "wrong_password"


def test_a_disabled_admins_token_no_longer_opens_the_api(api: Api, acme: World) -> None:
    acme.services.members.set_role(OPERATOR, "acme", "carol", "admin")
    assert api.post("/orgs/acme/members/carol/account/disable", "ada").status_code == 200
    refused = api.get("/orgs/acme", "carol")
    assert refused.status_code == 401


def test_an_admin_does_not_disable_or_delete_their_own_account(api: Api, acme: World) -> None:
    assert_problem(api.post("/orgs/acme/members/ada/account/disable", "ada"), 403, "self-action")
    assert_problem(api.call("DELETE", "/orgs/acme/members/ada/account", "ada"), 403, "self-action")


def test_a_stranger_and_an_unknown_user_get_the_same_answer(api: Api, acme: World) -> None:
    acme.user("dave")  # in no organisation
    for name in ("dave", "nobody"):
        problem = assert_problem(
            api.post(f"/orgs/acme/members/{name}/account/disable", "ada"), 404, "not-found"
        )
        assert problem["detail"] == f"{name!r} is not a member of 'acme'."
    assert_problem(api.post("/orgs/acme/members/bob/account/lock", "ada"), 404, "not-found")
    assert_problem(api.post("/orgs/acme/members/bob/account/disable", "bob"), 403, "not-an-admin")


def test_a_member_of_other_organisations_needs_a_verified_domain(api: Api, acme: World) -> None:
    acme.org("beta")
    acme.join("beta", "bob")
    refused = api.post("/orgs/acme/members/bob/account/disable", "ada")
    assert_problem(refused, 403, "domain-not-verified")
    assert not acme.row("bob").disabled
    acme.services.orgs.add_domain(OPERATOR, "acme", "example.com")
    assert api.post("/orgs/acme/members/bob/account/disable", "ada").status_code == 200


def test_an_admin_deletes_a_managed_account(api: Api, acme: World) -> None:
    refused = api.call("DELETE", "/orgs/acme/members/bob/account", "ada")
    problem = assert_problem(refused, 403, "domain-not-verified")
    assert "the operator can delete any" in problem["detail"]
    acme.services.orgs.add_domain(OPERATOR, "acme", "example.com")
    bob = acme.row("bob").id
    deleted = api.call("DELETE", "/orgs/acme/members/bob/account", "ada")
    assert deleted.status_code == 200, deleted.get_data(as_text=True)
    pseudonym = deleted.get_json()["pseudonym"]
    assert pseudonym.startswith("deleted-")
    assert acme.services.users.find("bob") is None
    [event] = acme.services.audit.events(event="user_deleted")
    assert event.user_id == pseudonym and event.actor_id == acme.row("ada").id
    assert bob not in repr([e.user_id for e in acme.services.audit.events(limit=500)])
    audit = api.get("/orgs/acme/audit", "ada")
    assert audit.status_code == 200
    assert pseudonym in {e["user_id"] for e in audit.get_json()["events"]}
    theirs = api.get(f"/orgs/acme/audit?user={pseudonym}", "ada").get_json()["events"]
    assert {e["event"] for e in theirs} == {"member_added", "user_deleted"}
    assert {e["user_id"] for e in theirs} == {pseudonym}


def test_an_account_other_organisations_share_is_the_operators_to_delete(
    api: Api, acme: World
) -> None:
    acme.services.orgs.add_domain(OPERATOR, "acme", "example.com")
    acme.org("beta")
    acme.join("beta", "bob")
    problem = assert_problem(
        api.call("DELETE", "/orgs/acme/members/bob/account", "ada"), 403, "operator-only"
    )
    assert "also belongs to other organisations" in problem["detail"]
    assert acme.services.users.find("bob") is not None


def test_a_partner_admin_cannot_delete_a_customers_last_admin(api: Api, world: World) -> None:
    world.org("partner", kind="partner", mode="trial")
    world.org("cust", kind="customer", parent="partner")
    world.user("pat")
    world.user("cody")
    world.join("partner", "pat", "admin")
    world.join("cust", "cody", "admin")
    world.services.orgs.add_domain(OPERATOR, "cust", "example.com")
    problem = assert_problem(
        api.call("DELETE", "/orgs/cust/members/cody/account", "pat"), 409, "last-admin"
    )
    assert "'cody' is the only admin of 'cust'" in problem["detail"]


@pytest.fixture
def acme_live(live: LiveBridge) -> LiveBridge:
    s = live.services
    s.orgs.create(OPERATOR, "acme", "Acme")
    for name, role in (("ada", "admin"), ("bob", "member")):
        live.add_user(name)
        s.members.add(OPERATOR, "acme", name, role)
    return live


def test_the_console_audit_page_reads_after_a_deletion(acme_live: LiveBridge) -> None:
    from bridge.services.account.erasure import delete_account

    bob = acme_live.services.users.find("bob")
    assert bob is not None
    acme_live.services.audit.record(Event.SIGN_IN_FAILED, user_id=bob.id, reason="invalid_code")
    erased = delete_account(acme_live.services, "bob")
    browser = signed_in(acme_live, "ada")
    page = browser.open(f"{acme_live.url}/admin/orgs/acme/audit")
    assert isinstance(page, Page) and page.status == 200
    shown = rows(page)
    cells = page.soup.select("#audit td.event")  # the event's label, its stored name beside it
    assert any(
        cell["data-event"] == "user_deleted"
        and row[1] == "Account deleteduser_deleted"
        and row[3] == erased.pseudonym
        for cell, row in zip(cells, shown, strict=True)
    )
    assert "bob@example.com" not in page.html and bob.id not in page.html
