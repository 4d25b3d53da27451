"""A page for a stranger (nobody signed in, no organisation named) is in the language the
browser asks for, else ``ui.language``, without opening a database session to ask about an
organisation's default (issue 16): there is nobody to ask about."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from sqlalchemy import event

from bridge.services.container import Services


@pytest.fixture
def checkouts(services: Services) -> Iterator[list[object]]:
    taken: list[object] = []

    def record(*args: object) -> None:
        taken.append(args)

    pool = services.db.engine.pool
    event.listen(pool, "checkout", record)
    yield taken
    event.remove(pool, "checkout", record)


def page_language(client: FlaskClient, accept_language: str | None) -> str:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = client.get("/nowhere", headers=headers)
    assert response.status_code == 404
    html = BeautifulSoup(response.get_data(as_text=True), "html.parser").find("html")
    assert html is not None
    return str(html["lang"])


@pytest.mark.parametrize(("accept_language", "expected"), [("de-DE", "de"), (None, "en")])
def test_a_strangers_page_is_in_the_browsers_language_without_a_database_session(
    client: FlaskClient, checkouts: list[object], accept_language: str | None, expected: str
) -> None:
    assert page_language(client, accept_language) == expected
    assert checkouts == []
