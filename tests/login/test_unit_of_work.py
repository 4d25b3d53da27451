"""One database transaction per request: a whole browser login, counted through Flask's test client,
and an audit event that commits or rolls back with the change it records."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pyotp
import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from werkzeug.exceptions import Forbidden
from werkzeug.test import TestResponse

from bridge.app import create_app
from bridge.domain.clock import FrozenClock
from bridge.services.container import Services
from bridge.services.orgs import Actor
from bridge.storage.db.engine import Database
from bridge.storage.db.models import Organisation
from tests.bridges import make_services
from tests.e2e.harness import CALLBACK, PASSWORD, pkce_pair

pytestmark = pytest.mark.postgres(
    "one transaction per request, counted on each dialect", committed=True
)


@pytest.fixture
def services(database: Database, tmp_path: Path) -> Iterator[Services]:
    made = make_services(
        "http://localhost", database, tmp_path / "data", FrozenClock(time.time()), backend="memory"
    )
    yield made
    made.close()


@pytest.fixture
def app(services: Services) -> Flask:
    return create_app(services=services)


class Transactions:
    """Counts the database's top-level transactions (savepoints are not transactions)."""

    def __init__(self, database: Database) -> None:
        self.counts: Counter[str] = Counter()
        for name in ("begin", "commit", "rollback"):
            event.listen(database.engine, name, self._counter(name))

    def _counter(self, name: str) -> Any:
        def count(*_args: Any) -> None:
            self.counts[name] += 1

        return count

    def take(self) -> Counter[str]:
        taken, self.counts = self.counts, Counter()
        return taken


def _form(response: TestResponse) -> tuple[str, dict[str, str]]:
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    form = soup.find("form")
    assert form is not None, response.get_data(as_text=True)[:500]
    fields = {
        str(i["name"]): str(i.get("value", ""))
        for i in form.find_all("input")
        if i.get("name") and i.get("type") != "checkbox"
    }
    return str(form["action"]), fields


def test_a_whole_browser_login_takes_one_transaction_per_request(
    app: Flask, services: Services
) -> None:
    services.users.create("alice", email="alice@example.com", password=PASSWORD)
    record, secret = services.clients.add("App", [CALLBACK])
    client_id = record.id
    assert secret is not None
    transactions = Transactions(services.db)
    browser: FlaskClient = app.test_client()
    per_request: list[tuple[str, Counter[str]]] = []

    def send(method: str, url: str, **kw: Any) -> TestResponse:
        response = browser.open(url, method=method, **kw)
        per_request.append((f"{method} {urlsplit(url).path}", transactions.take()))
        return response

    verifier, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "state": "s",
        "nonce": "n",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    response = send("GET", "/authorize", query_string=query)
    secret_key = None
    answers = iter(["password", "code", "saved"])
    while not response.headers.get("Location", "").startswith(CALLBACK):
        if response.status_code in (302, 303):
            response = send("GET", urljoin("/", response.headers["Location"]))
            continue
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        action, fields = _form(response)
        step = next(answers)
        if step == "password":
            fields.update(username="alice", password=PASSWORD)
        elif step == "code":
            page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
            shown = page.find(id="secret")
            assert shown is not None, "the enrolment page shows the key"
            secret_key = "".join(shown.get_text().split())
            fields["code"] = pyotp.TOTP(secret_key).at(services.clock())
        else:
            fields["saved"] = "yes"
        response = send("POST", urljoin("/", action), data=fields)
    code = parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
    token = send(
        "POST",
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
        auth=(client_id, secret),
    )
    assert token.status_code == 200, token.get_data(as_text=True)

    assert len(per_request) >= 5
    for label, counts in per_request[:-1]:
        assert counts["begin"] <= 1, (label, counts)
        assert counts["begin"] == counts["commit"], (label, counts)
        assert counts["rollback"] == 0, (label, counts)
    # The token request commits the grant before it reads the sign-out mark (TokenService).
    label, counts = per_request[-1]
    assert counts == Counter(begin=2, commit=2), (label, counts)
    assert services.audit.events(event="sign_in_succeeded")
    assert services.audit.events(event="mfa_setup_succeeded")


def _org_slugs(services: Services) -> list[str]:
    with services.db.session() as session:
        return list(session.scalars(select(Organisation.slug)))


def _create_org_then(app: Flask, services: Services, error: Exception) -> None:
    """A route that creates an organisation (a change and its ``org_created`` event), then
    stops with ``error``."""

    def view() -> str:
        services.orgs.create(Actor.operator(), "acme", "Acme")
        assert services.audit.events(event="org_created"), "written, not yet committed"
        raise error

    app.add_url_rule("/test-only/create-org", view_func=view, methods=["POST"])


def test_a_failed_request_rolls_back_the_change_and_its_audit_event_together(
    app: Flask, services: Services
) -> None:
    _create_org_then(app, services, RuntimeError("after both were written"))

    response = app.test_client().post("/test-only/create-org")

    assert response.status_code == 500
    assert _org_slugs(services) == []
    assert services.audit.events(event="org_created") == []


def test_a_request_answered_by_an_error_handler_keeps_what_it_recorded(
    app: Flask, services: Services
) -> None:
    _create_org_then(app, services, Forbidden("refused after the change"))

    response = app.test_client().post("/test-only/create-org")

    assert response.status_code == 403
    assert _org_slugs(services) == ["acme"]
    assert len(services.audit.events(event="org_created")) == 1


def test_the_password_page_of_a_login_that_names_no_organisation_takes_no_transaction(
    app: Flask, services: Services
) -> None:
    """Its language has nothing to ask the database (no person, no organisation yet)."""
    record, _ = services.clients.add("App", [CALLBACK])
    assert services.clients.display_name(record.id) == "App"  # the process keeps it
    browser: FlaskClient = app.test_client()
    _, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": record.id,
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "state": "s",
        "nonce": "n",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    started = browser.get("/authorize", query_string=query)
    assert started.status_code in (302, 303), started.get_data(as_text=True)[:500]
    transactions = Transactions(services.db)
    page = browser.get(urljoin("/", started.headers["Location"]))
    assert page.status_code == 200
    assert 'name="password"' in page.get_data(as_text=True)
    assert transactions.take()["begin"] == 0
