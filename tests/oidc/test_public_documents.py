"""Discovery and the JWKS: prebuilt documents with ``Cache-Control``, a strong ``ETag`` and 304
Not Modified for a client that holds them, read without the database (issue 16)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient
from sqlalchemy import event

from bridge.domain.clock import FrozenClock
from bridge.domain.documents import JsonDocument
from bridge.oidc.documents import discovery_metadata
from bridge.services.container import Services

DISCOVERY = "/.well-known/openid-configuration"
PATHS = [DISCOVERY, "/jwks"]


@pytest.fixture
def statements(services: Services) -> Iterator[list[str]]:
    """The SQL statements sent while the test runs."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    event.listen(services.db.engine, "before_cursor_execute", record)
    yield sent
    event.remove(services.db.engine, "before_cursor_execute", record)


def test_discovery_names_the_endpoints_and_the_signing_algorithm(
    client: FlaskClient, services: Services
) -> None:
    document = client.get(DISCOVERY).get_json()
    issuer = services.settings.issuer
    assert document["issuer"] == issuer
    assert document["jwks_uri"] == f"{issuer}/jwks"
    assert document["token_endpoint"] == f"{issuer}/token"
    assert document["id_token_signing_alg_values_supported"] == [services.settings.keys.signing_alg]
    assert document["code_challenge_methods_supported"] == ["S256"]


def test_the_jwks_is_the_published_key_set(client: FlaskClient, services: Services) -> None:
    assert client.get("/jwks").get_json() == services.keys.jwks()


@pytest.mark.parametrize("path", PATHS)
def test_a_document_is_public_for_a_while_and_tagged(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    etag = response.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')  # strong: no W/
    again = client.get(path)
    assert again.headers["ETag"] == etag
    assert again.data == response.data


@pytest.mark.parametrize("path", PATHS)
def test_a_client_holding_the_document_gets_304(client: FlaskClient, path: str) -> None:
    etag = client.get(path).headers["ETag"]
    response = client.get(path, headers={"If-None-Match": etag, "Origin": "https://any.example"})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    other = client.get(path, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200
    assert other.get_json() is not None


@pytest.mark.parametrize("path", PATHS)
def test_a_document_is_served_without_the_database(
    client: FlaskClient, path: str, statements: list[str]
) -> None:
    client.get(path)  # the first request may read the keys
    statements.clear()
    for _ in range(3):
        assert client.get(path).status_code == 200
    assert statements == []


def test_a_rotation_changes_the_jwks_and_its_tag(
    client: FlaskClient, services: Services, clock: FrozenClock
) -> None:
    before = client.get("/jwks")
    clock.advance(1)
    new = services.keys.rotate()
    after = client.get("/jwks", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.get_json()["keys"][0]["kid"] == new


def test_the_prebuilt_bytes_are_what_jsonify_answered(app: Flask, services: Services) -> None:
    """The documents are the same bytes as when each request serialized them."""
    with app.app_context():
        for document in (discovery_metadata(services), services.keys.jwks()):
            assert JsonDocument.of(document).body == jsonify(document).data
