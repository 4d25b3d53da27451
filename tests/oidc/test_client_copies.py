"""A bridge process keeps the clients it has read (issue 16), yet a change made anywhere else
(another bridge process on the same database and Redis, its admin API, the ``bridge client``
command) is followed by the next request, however warm the process's copy is. On PostgreSQL the
bridges share Redis; on SQLite each has the in-process store, which keeps nothing."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner, Result

from bridge.cli import main
from bridge.services.container import Services
from bridge.services.orgs import Actor
from bridge.storage.crypto import generate_key_spec
from bridge.storage.db.engine import Database
from tests.admin_api import Api
from tests.bridges import FAST_ARGON2, make_services, serving_app
from tests.e2e.harness import Browser, LiveBridge, Page, RelyingParty, first_login, first_tokens

pytestmark = pytest.mark.postgres("two bridge processes share PostgreSQL and Redis")

OPERATOR = Actor.operator()


@pytest.fixture
def shared_redis(database: Database, request: pytest.FixtureRequest) -> tuple[str, str] | None:
    """The Redis URL and key prefix the ``live`` bridge uses (None on SQLite: in-process)."""
    if database.dialect != "postgresql":
        return None
    return request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")


@pytest.fixture
def other(
    live: LiveBridge, database: Database, tmp_path: Path, shared_redis: tuple[str, str] | None
) -> Iterator[Services]:
    """A second bridge process's services, on ``live``'s database and Redis."""
    redis_url, redis_prefix = shared_redis or (None, None)
    services = make_services(
        "http://127.0.0.1:8001",
        database,
        tmp_path / "other-data",
        live.clock,
        backend="memory" if shared_redis is None else "redis",
        redis_url=redis_url,
        redis_prefix=redis_prefix,
    )
    yield services
    services.close()


def _refused_as_invalid_client(response: requests.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"


def test_a_client_disabled_by_another_process_is_refused_by_a_warm_one(
    live: LiveBridge, rp: RelyingParty, browsers: Callable[..., Browser], other: Services
) -> None:
    _, tokens = first_tokens(live, rp, browsers(), "ada")  # authorize, code, token: kept
    refreshed = rp.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    other.client_lifecycle.disable(rp.client_id)
    _refused_as_invalid_client(rp.refresh(refreshed.json()["refresh_token"]))
    page = browsers().open(rp.authorization_request().url)
    assert isinstance(page, Page) and page.title == "This application is disabled"
    other.client_lifecycle.enable(rp.client_id)
    assert rp.refresh(refreshed.json()["refresh_token"]).status_code == 200


def test_a_secret_rotated_by_another_process_replaces_the_old_one_at_once(
    live: LiveBridge, rp: RelyingParty, browsers: Callable[..., Browser], other: Services
) -> None:
    first_tokens(live, rp, browsers(), "ada")  # the old secret worked: the client is kept
    request, params = first_login(live, rp, browsers(), "bob")
    new = other.client_lifecycle.rotate_secret(rp.client_id)
    _refused_as_invalid_client(rp.exchange(params["code"], request.verifier))
    rp.client_secret = new
    response = rp.exchange(params["code"], request.verifier)
    assert response.status_code == 200, response.text


def test_an_api_client_secret_rotated_through_another_process_s_admin_api_is_followed(
    live: LiveBridge, other: Services
) -> None:
    other.users.create("ada", email="ada@example.com", password="correct horse battery")
    other.orgs.create(OPERATOR, "acme", "Acme")
    other.members.add(OPERATOR, "acme", "ada", "admin")
    console, _ = other.clients.add("Admin console", ["http://127.0.0.1:9/callback"])
    other.orgs.allow_admin_scope(OPERATOR, console.id)
    api = Api(serving_app(other).test_client(), other, console.id)
    made = api.post("/orgs/acme/api-clients", "ada", {"name": "Sync", "scopes": ["a"]})
    assert made.status_code == 201, made.get_data(as_text=True)
    client_id, secret = made.get_json()["client_id"], made.get_json()["secret"]

    def token(secret: str) -> requests.Response:
        return requests.post(
            f"{live.url}/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, secret),
            timeout=10,
        )

    assert token(secret).status_code == 200  # kept by the live bridge from now
    rotated = api.post(f"/orgs/acme/api-clients/{client_id}/secret", "ada")
    assert rotated.status_code == 200, rotated.get_data(as_text=True)
    _refused_as_invalid_client(token(secret))
    assert token(rotated.get_json()["secret"]).status_code == 200
    removed = api.call("DELETE", f"/orgs/acme/api-clients/{client_id}", "ada")
    assert removed.status_code == 204
    _refused_as_invalid_client(token(rotated.get_json()["secret"]))


@pytest.mark.real_http("the bridge serves on a socket while the command changes its database")
def test_redirect_uris_set_by_the_command_are_followed_at_once(
    live: LiveBridge,
    rp: RelyingParty,
    browsers: Callable[..., Browser],
    shared_redis: tuple[str, str] | None,
) -> None:
    env = {
        "BRIDGE_DATABASE_URL": live.services.db.url.render_as_string(hide_password=False),
        "BRIDGE_SECRET_KEY": secrets.token_urlsafe(48),
        "BRIDGE_ENCRYPTION_KEYS": generate_key_spec(),
        **FAST_ARGON2,
    }
    if shared_redis is not None:
        env["BRIDGE_EPHEMERAL__BACKEND"] = "redis"
        env["BRIDGE_EPHEMERAL__REDIS_URL"], env["BRIDGE_EPHEMERAL__KEY_PREFIX"] = shared_redis

    def bridge(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    page = browsers().open(rp.authorization_request().url)  # the client is kept from now
    assert isinstance(page, Page) and page.status == 200
    new_uri = "http://127.0.0.1:9/new-callback"
    changed = bridge("client", "set-redirect-uris", rp.client_id, "--redirect-uri", new_uri)
    assert changed.exit_code == 0, changed.output
    page = browsers().open(rp.authorization_request().url)  # the old URI
    assert isinstance(page, Page) and page.status == 400
    rp.redirect_uri = new_uri
    page = browsers().open(rp.authorization_request().url)
    assert isinstance(page, Page) and page.status == 200
