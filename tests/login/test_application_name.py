"""The login pages name the application the person signs in to (its name is kept by the
process, issue 16: the pages of one login read it once)."""

from __future__ import annotations

from urllib.parse import urljoin

from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from bridge.services.container import Services
from tests.e2e.harness import CALLBACK, pkce_pair


def _password_page(client: FlaskClient, client_id: str) -> BeautifulSoup:
    _verifier, challenge = pkce_pair()
    response = client.get(
        "/authorize",
        query_string={
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": CALLBACK,
            "scope": "openid",
            "state": "s",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]
    page = client.get(urljoin("/", response.headers["Location"]))
    assert page.status_code == 200
    return BeautifulSoup(page.get_data(as_text=True), "html.parser")


def test_the_password_page_names_the_application(client: FlaskClient, services: Services) -> None:
    record, _secret = services.clients.add("Team Wiki", [CALLBACK])
    for _ in range(2):  # a second login in the same process says the same
        shown = _password_page(client, record.id).find(id="signing-in-to")
        assert shown is not None
        assert "Team Wiki" in shown.get_text()
