"""A login page takes its language from what its request read of the person already (issue 16):
the same language as when it asks the database for the person's saved choice and their
organisations' defaults, without asking."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event

from bridge.domain.language import Known
from bridge.services.container import Services
from bridge.services.languages import read_already
from bridge.services.orgs import Actor
from bridge.services.subjects import load_subject
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page, RelyingParty

Reading = Callable[[str], Browser]
OPERATOR = Actor.operator()
#: The statements that read a language hint (``bridge.services.languages``).
LANGUAGE_READS = ("SELECT users.language FROM", "SELECT organisations.default_language FROM")


@pytest.fixture
def language_reads(live: LiveBridge) -> Iterator[list[str]]:
    sent: list[str] = []

    def record(*args: Any) -> None:
        statement = " ".join(args[2].split())
        if statement.startswith(LANGUAGE_READS):
            sent.append(statement)

    event.listen(live.services.db.engine, "before_cursor_execute", record)
    yield sent
    event.remove(live.services.db.engine, "before_cursor_execute", record)


def _org(services: Services, slug: str, name: str, default: str | None) -> str:
    org = services.orgs.create(OPERATOR, slug, name, kind="standalone")
    if default is not None:
        services.languages.set_organisation_default(org.id, default)
    return org.id


@pytest.mark.parametrize(
    ("saved", "defaults", "login_org"),
    [
        (None, {}, None),
        ("de", {}, None),
        (None, {"acme": "de"}, None),
        (None, {"acme": "de", "beta": None}, None),
        (None, {"acme": "de", "beta": "de"}, None),
        (None, {"acme": "de", "beta": "en"}, None),  # the first by name: asked
        (None, {"acme": None, "beta": "de"}, "acme"),
        (None, {"acme": "en", "beta": "de"}, "beta"),
        (None, {"acme": "de"}, "outside"),  # not one of theirs: asked
        ("en", {"acme": "de"}, "acme"),
    ],
)
def test_what_a_request_read_answers_as_the_queries_do(
    services: Services, saved: str | None, defaults: dict[str, str | None], login_org: str | None
) -> None:
    user_id = services.users.create("alice", email="alice@example.com", password=PASSWORD).id
    services.languages.choose(user_id, saved)
    for slug, default in defaults.items():
        _org(services, slug, slug.title(), default)
        services.members.add(OPERATOR, slug, "alice", "member")
    _org(services, "outside", "Outside", "en")
    subject = load_subject(services.db, user_id)
    assert subject is not None
    known_saved, known_org = read_already(subject.user, subject.organisations, login_org)
    assert known_saved == Known(services.languages.saved(user_id))
    asked = services.languages.of_organisation(login_org, user_id)
    if known_org is not None:
        assert known_org == Known(asked)
    else:
        assert len({d for d in defaults.values() if d}) > 1 or login_org == "outside"


def test_the_code_page_speaks_the_organisations_language_without_asking_again(
    live: LiveBridge, rp: RelyingParty, reading: Reading, language_reads: list[str]
) -> None:
    live.add_user("alice")
    _org(live.services, "acme", "Acme", "de")
    live.services.orgs.update_policy(OPERATOR, "acme", {"mfa_enforced": True})
    live.services.members.add(OPERATOR, "acme", "alice", "member")
    browser = reading("fr")  # no language of the bridge: the organisation's decides
    page = browser.open(rp.authorization_request().url)
    assert isinstance(page, Page)
    language_reads.clear()
    page = browser.submit(username="alice", password=PASSWORD)
    assert isinstance(page, Page)
    assert page.soup.find("html")["lang"] == "de"  # type: ignore[index]
    assert page.title == "Zwei-Faktor-Authentifizierung einrichten"
    assert language_reads == []


def test_the_persons_saved_choice_is_taken_from_what_the_login_read(
    live: LiveBridge, rp: RelyingParty, reading: Reading, language_reads: list[str]
) -> None:
    user_id = live.add_user("alice")
    live.services.languages.choose(user_id, "de")
    browser = reading("en")
    assert isinstance(browser.open(rp.authorization_request().url), Page)
    language_reads.clear()
    page = browser.submit(username="alice", password=PASSWORD)
    assert isinstance(page, Page)
    assert page.title == "Zwei-Faktor-Authentifizierung einrichten"
    assert language_reads == []
