"""The admin API sets a member's language and the organisation's default (issue 13)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.admin_api import Api, assert_problem
from tests.world import World


@pytest.fixture
def acme(world: World) -> World:
    for name in ("ada", "bob", "eve"):
        world.user(name)
    world.org("acme")
    world.join("acme", "ada", "admin")
    world.join("acme", "bob")
    return world


def test_an_admin_sets_and_clears_a_members_language(api: Api, acme: World) -> None:
    answer = api.call("PUT", "/orgs/acme/members/bob/language", "ada", {"language": "de"})
    assert answer.status_code == 200 and answer.get_json() == {"language": "de"}
    assert acme.row("bob").language == "de"
    cleared = api.call("PUT", "/orgs/acme/members/bob/language", "ada", {"language": None})
    assert cleared.get_json() == {"language": None}
    assert acme.row("bob").language is None


def test_an_admin_sets_the_organisations_default_language(api: Api, acme: World) -> None:
    answer = api.call("PUT", "/orgs/acme/language", "ada", {"language": "de"})
    assert answer.status_code == 200 and answer.get_json() == {"language": "de"}
    assert acme.services.languages.of_organisation("acme", None) == "de"
    events = acme.services.audit.events(event="org_policy_changed")
    assert events[0].details == {"default_language": "de"}


@pytest.mark.parametrize(
    "body",
    [{"language": "fr"}, {"language": 7}, {"lang": "de"}, [], "de", {"language": "de", "x": 1}],
)
def test_a_language_body_that_is_not_one_of_ours_is_422(api: Api, acme: World, body: Any) -> None:
    answer = api.call("PUT", "/orgs/acme/members/bob/language", "ada", body)
    assert_problem(answer, 422, "invalid-input")
    assert acme.row("bob").language is None


def test_only_an_admin_sets_languages(api: Api, acme: World) -> None:
    refused = api.call("PUT", "/orgs/acme/language", "bob", {"language": "de"})
    assert refused.status_code in (403, 404)
    outsider = api.call("PUT", "/orgs/acme/members/eve/language", "ada", {"language": "de"})
    assert outsider.status_code == 404
    assert acme.row("eve").language is None
