"""Schemathesis generates requests from the OpenAPI document: none may end in a server error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from bridge.app import create_app
from bridge.domain.clock import FrozenClock
from bridge.services.orgs import Actor
from bridge.storage.db.engine import Database
from tests.admin_api import Api
from tests.bridges import make_services

OPERATOR = Actor.operator()


@pytest.fixture(scope="module")
def app_and_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, str]]:
    tmp: Path = tmp_path_factory.mktemp("schemathesis")
    database = Database(f"sqlite:///{tmp / 'bridge.sqlite3'}")
    database.upgrade()
    services = make_services(
        "http://127.0.0.1:8000", database, tmp / "data", FrozenClock(), backend="memory"
    )
    services.orgs.create(OPERATOR, "acme", "Acme")
    for name, role in (("ada", "admin"), ("bob", "member")):
        services.users.create(name, email=f"{name}@example.com", password="a long passphrase")
        services.members.add(OPERATOR, "acme", name, role)
    record, _ = services.clients.add("Admin", ["http://127.0.0.1:9/callback"])
    services.orgs.allow_admin_scope(OPERATOR, record.id)
    app = create_app(services=services)
    token = Api(app.test_client(), services, record.id).token("ada")
    yield app, token
    services.close()
    database.dispose()


@pytest.mark.parametrize("half", [0, 1])
def test_no_request_the_document_allows_ends_in_a_server_error(
    app_and_token: tuple[object, str], half: int
) -> None:
    """Every operation of the document, in two halves (every other one) that two test workers
    run side by side; each half must reach the rules (200, 403 and 422 all seen)."""
    app, token = app_and_token
    schema = schemathesis.openapi.from_wsgi("/admin/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 34

    statuses: set[int] = set()
    for operation in operations[half::2]:
        # Half the time aim at the organisation and members that exist, so that the generated
        # bodies reach the rules and the database, not only the "not an admin" refusal.
        @given(
            case=operation.as_strategy(),
            org=st.sampled_from([None, "acme"]),
            user=st.sampled_from([None, "bob", "ada"]),
        )
        @settings(
            max_examples=40,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case: schemathesis.Case, org: str | None, user: str | None) -> None:
            parameters = case.path_parameters or {}
            if org and "org" in parameters:
                parameters["org"] = org
            if user and "user" in parameters:
                parameters["user"] = user
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            statuses.add(response.status_code)
            case.validate_response(response, checks=[not_a_server_error])

        no_server_error()
    assert {200, 403, 422} <= statuses, statuses
