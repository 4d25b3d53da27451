"""A relying party's life (issue 14): disabled, it is refused at the authorization endpoint (a
page, never a redirect), at the token endpoint (``invalid_client``, refresh included), and its
tokens stop working; enabled again, all of it works again. Deleted, its grants and tokens go
with it; a new secret or new redirect URIs take effect at once. Over HTTP, as an application
meets them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from bridge.services.orgs import Actor
from bridge.storage.db.models import Grant
from tests.e2e.factor_life import org_with
from tests.e2e.harness import (
    PASSWORD,
    Browser,
    LiveBridge,
    Page,
    RelyingParty,
    enrolment_secret,
    first_login,
    first_tokens,
    totp_code,
)

DISABLED_TITLE = "This application is disabled"


def _introspect(rp: RelyingParty, token: str) -> requests.Response:
    assert rp.client_secret is not None
    return rp.http.post(
        rp.metadata["introspection_endpoint"],
        data={"token": token},
        auth=(rp.client_id, rp.client_secret),
    )


def _refused_as_invalid_client(response: requests.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"


def _sign_in_page(browser: Browser, rp: RelyingParty) -> Page | str:
    return browser.open(rp.authorization_request().url)


def test_a_disabled_client_gets_a_page_at_the_authorization_endpoint_and_no_redirect(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    assert live.services.client_lifecycle.disable(rp.client_id)
    page = _sign_in_page(browser, rp)
    assert isinstance(page, Page), f"redirected to {page}"
    assert page.status == 403
    assert page.title == DISABLED_TITLE
    assert "Nothing was sent back to it." in page.soup.get_text()
    assert browser.landed is None
    assert live.services.client_lifecycle.enable(rp.client_id)
    page = _sign_in_page(browser, rp)
    assert isinstance(page, Page) and page.status == 200
    assert page.soup.find("input", attrs={"name": "password"}) is not None


def test_a_login_that_ends_after_its_client_was_disabled_is_not_sent_back(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    live.add_user("ada")
    _sign_in_page(browser, rp)
    live.services.client_lifecycle.disable(rp.client_id)
    page = browser.submit(username="ada", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Set up two-factor authentication"
    page = browser.submit(code=totp_code(enrolment_secret(page), live.clock))
    assert isinstance(page, Page), f"redirected to {page}"
    assert page.title == DISABLED_TITLE
    assert browser.landed is None


def test_a_disabled_client_cannot_redeem_a_code_until_it_is_enabled(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    request, params = first_login(live, rp, browser, "ada")
    live.services.client_lifecycle.disable(rp.client_id)
    _refused_as_invalid_client(rp.exchange(params["code"], request.verifier))
    live.services.client_lifecycle.enable(rp.client_id)
    # The refusal did not spend the code: within its minute it works once the client is back.
    response = rp.exchange(params["code"], request.verifier)
    assert response.status_code == 200, response.text


def test_a_disabled_client_s_tokens_stop_working_and_work_again_once_enabled(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    _, tokens = first_tokens(live, rp, browser, "ada")
    live.services.client_lifecycle.disable(rp.client_id)
    _refused_as_invalid_client(rp.refresh(tokens["refresh_token"]))
    assert rp.userinfo(tokens["access_token"]).status_code == 401
    _refused_as_invalid_client(_introspect(rp, tokens["access_token"]))

    live.services.client_lifecycle.enable(rp.client_id)
    assert rp.userinfo(tokens["access_token"]).json()["sub"]
    assert _introspect(rp, tokens["access_token"]).json()["active"] is True
    refreshed = rp.refresh(tokens["refresh_token"])  # not spent by the refusal
    assert refreshed.status_code == 200, refreshed.text


def test_a_token_of_a_disabled_client_introspects_as_inactive_for_its_own_lookups(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    _, tokens = first_tokens(live, rp, browser, "ada")
    live.services.client_lifecycle.disable(rp.client_id)
    assert live.services.tokens.access_token(tokens["access_token"]) is None
    refresh = live.services.tokens.refresh_token(tokens["refresh_token"])
    assert refresh is not None and refresh.revoked


def test_disabling_and_enabling_are_audited_once(live: LiveBridge, rp: RelyingParty) -> None:
    lifecycle = live.services.client_lifecycle
    assert lifecycle.disable(rp.client_id)
    assert not lifecycle.disable(rp.client_id)  # disabled already: nothing to record
    assert lifecycle.enable(rp.client_id)
    assert not lifecycle.enable(rp.client_id)
    for event in ("client_disabled", "client_enabled"):
        [recorded] = live.audit(event)
        assert recorded.client_id == rp.client_id
        assert recorded.actor_id is None and recorded.reason == "operator"
        assert recorded.details == {"name": "Test app"}


def test_a_deleted_client_takes_its_grants_and_tokens_with_it(
    live: LiveBridge, rp: RelyingParty, browsers: Callable[..., Browser]
) -> None:
    browser = browsers()
    _, tokens = first_tokens(live, rp, browser, "ada")
    deleted = live.services.client_lifecycle.delete(rp.client_id)
    assert (deleted.name, deleted.grants) == ("Test app", 1)
    assert rp.userinfo(tokens["access_token"]).status_code == 401
    _refused_as_invalid_client(rp.refresh(tokens["refresh_token"]))
    assert live.services.tokens.refresh_token(tokens["refresh_token"]) is None
    with live.services.db.session() as session:
        assert session.query(Grant).filter_by(client_id=rp.client_id).count() == 0
    [event] = live.audit("client_deleted")
    assert event.client_id == rp.client_id
    assert event.details == {"name": "Test app", "grants_deleted": 1}
    another = browsers()
    page = _sign_in_page(another, rp)
    assert isinstance(page, Page) and page.status == 400 and another.landed is None


def test_a_rotated_secret_replaces_the_old_one_at_once(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    request, params = first_login(live, rp, browser, "ada")
    old = rp.client_secret
    new = live.services.client_lifecycle.rotate_secret(rp.client_id)
    assert new != old and len(new) >= 43
    _refused_as_invalid_client(rp.exchange(params["code"], request.verifier))
    rp.client_secret = new
    response = rp.exchange(params["code"], request.verifier)
    assert response.status_code == 200, response.text
    [event] = live.audit("client_secret_rotated")
    assert new not in str(event.details) and event.client_id == rp.client_id


def _log_out(rp: RelyingParty, browser: Browser, id_token: str, uri: str) -> Page | str:
    logout = requests.Request(
        "GET",
        rp.metadata["end_session_endpoint"],
        params={"id_token_hint": id_token, "post_logout_redirect_uri": uri, "state": "s1"},
    ).prepare()
    return browser.open(str(logout.url))


def test_new_post_logout_redirect_uris_replace_the_old_ones(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    new_uri = "http://127.0.0.1:9/new-signed-out"
    live.services.client_lifecycle.set_post_logout_redirect_uris(rp.client_id, [new_uri])
    request, params = first_login(live, rp, browser, "ada")
    id_token = rp.exchange(params["code"], request.verifier).json()["id_token"]
    # The old URI is not followed: the person is signed out on the bridge's own page.
    refused = _log_out(rp, browser, id_token, "http://127.0.0.1:9/signed-out")
    assert isinstance(refused, Page) and "/signed-out" not in refused.url, refused
    assert _log_out(rp, browser, id_token, new_uri) == f"{new_uri}?state=s1"
    [event] = live.audit("client_post_logout_redirect_uris_changed")
    assert event.details["before"] == ["http://127.0.0.1:9/signed-out"]
    assert event.details["after"] == [new_uri]


def test_new_redirect_uris_replace_the_old_ones(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    new_uri = "http://127.0.0.1:9/new-callback"
    live.services.client_lifecycle.set_redirect_uris(rp.client_id, [new_uri])
    page = _sign_in_page(browser, rp)  # the old URI
    assert isinstance(page, Page) and page.status == 400 and browser.landed is None
    rp.redirect_uri = new_uri
    request, params = first_login(live, rp, browser, "ada")
    assert rp.exchange(params["code"], request.verifier).status_code == 200
    [event] = live.audit("client_redirect_uris_changed")
    details: dict[str, Any] = event.details
    assert details["before"] == ["http://127.0.0.1:9/callback"]
    assert details["after"] == [new_uri]


@pytest.mark.postgres("the refusals on PostgreSQL and Redis, over a real socket")
def test_a_disabled_client_is_refused_on_postgres_and_redis(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    _, tokens = first_tokens(live, rp, browser, "ada")
    live.services.client_lifecycle.disable(rp.client_id)
    _refused_as_invalid_client(rp.refresh(tokens["refresh_token"]))
    assert rp.userinfo(tokens["access_token"]).status_code == 401
    live.services.client_lifecycle.enable(rp.client_id)
    assert rp.refresh(tokens["refresh_token"]).status_code == 200


def test_the_disabled_page_speaks_the_person_s_language(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    live.services.client_lifecycle.disable(rp.client_id)
    browser.http.headers["Accept-Language"] = "de"
    page = _sign_in_page(browser, rp)
    assert isinstance(page, Page) and page.title == "Diese Anwendung ist deaktiviert"
    assert "An die Anwendung wurde nichts zurückgesendet." in page.soup.get_text()


def test_the_organisation_of_the_client_sees_its_changes_in_its_log(
    live: LiveBridge, rp: RelyingParty
) -> None:
    org_id = org_with(live, "acme", [])
    live.services.orgs.assign_client(Actor.operator(), "acme", rp.client_id)
    live.services.client_lifecycle.rotate_secret(rp.client_id)
    [event] = live.audit("client_secret_rotated")
    assert event.org_id == org_id
    assert live.services.audit.orgs_of(event.id) == [org_id]
