"""The OpenAPI document is generated from the API's models and its table of operations: every
route of the admin API is in it under the name of its view, and nothing else is."""

from __future__ import annotations

import re

from flask import Flask

from bridge.federation.provider_input import FIELDS, REQUIRED
from bridge.services.orgs.members import ACTIONS
from bridge.services.orgs.policy_input import POLICY_FIELDS
from bridge.web.admin import schemas
from bridge.web.admin.openapi import OPERATIONS, openapi_document
from tests.admin_api import API, Api

METHODS = {"get", "put", "post", "patch", "delete"}


def _routes(app: Flask) -> set[tuple[str, str, str]]:
    """(method, path as the document writes it, view name) of every admin API route."""
    routes = set()
    for rule in app.url_map.iter_rules():
        blueprint, _, view = rule.endpoint.partition(".")
        if blueprint != "admin_api" or view == "openapi":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(API))
        routes |= {(method.lower(), path, view) for method in rule.methods or ()}
    return {route for route in routes if route[0] in METHODS}


def _operations(document: dict[str, object]) -> set[tuple[str, str, str]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return {
        (method, path, operation["operationId"])
        for path, item in paths.items()
        for method, operation in item.items()
        if method in METHODS
    }


def test_every_route_of_the_admin_api_is_in_the_document_under_its_views_name(api: Api) -> None:
    document = api.client.get(f"{API}/openapi.json").get_json()
    app = api.client.application
    assert _operations(document) == _routes(app)


def test_every_operation_has_a_summary_and_an_operation_id_of_its_own() -> None:
    document = openapi_document("https://bridge.example")
    operations = [
        operation
        for item in document["paths"].values()
        for method, operation in item.items()
        if method in METHODS
    ]
    assert len(operations) == len(OPERATIONS)
    ids = [operation["operationId"] for operation in operations]
    assert all(ids) and len(set(ids)) == len(ids)
    assert all(operation["summary"] for operation in operations)


def test_every_reference_in_the_document_names_a_component() -> None:
    document = openapi_document("https://bridge.example")
    text = str(document)
    components = document["components"]
    for kind, name in re.findall(r"#/components/(\w+)/(\w+)", text):
        assert name in components[kind], f"{kind}/{name}"


def test_the_provider_body_in_the_document_is_the_one_the_service_reads() -> None:
    assert tuple(schemas.IdentityProviderChange.model_fields) == FIELDS
    required = [
        name
        for name, field in schemas.IdentityProviderCreate.model_fields.items()
        if field.is_required()
    ]
    assert tuple(required) == REQUIRED


def test_the_policy_body_in_the_document_holds_the_policy_fields_and_the_admin_code() -> None:
    assert tuple(schemas.PolicyChange.model_fields) == (*POLICY_FIELDS, "admin_code")


def test_the_action_parameter_lists_the_actions_the_members_service_knows() -> None:
    document = openapi_document("https://bridge.example")
    operation = document["paths"]["/orgs/{org}/members/{user}/actions/{action}"]["post"]
    [action] = [p for p in operation["parameters"] if p["name"] == "action"]
    assert tuple(action["schema"]["enum"]) == ACTIONS


def test_the_member_answer_in_the_document_says_whether_a_temporary_password_waits() -> None:
    member = openapi_document("https://bridge.example")["components"]["schemas"]["Member"]
    assert member["properties"]["password_must_change"]["type"] == "boolean"
    assert "password_must_change" in member["required"]
    assert "next sign-in" in member["properties"]["password_must_change"]["description"]
