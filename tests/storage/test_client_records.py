"""Each serving process keeps the client rows it reads (issue 16) while the clients version in
the shared store holds: a change made by another process, through any service that changes
clients, is seen at the next read."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from bridge.domain.clock import FrozenClock
from bridge.services.audit import AuditLog
from bridge.services.client_lifecycle import ClientLifecycle
from bridge.services.client_records import VERSION_KEY, ClientRecord
from bridge.services.clients import ClientService
from bridge.services.container import Services
from bridge.services.orgs import Actor
from bridge.storage.db.engine import Database
from bridge.storage.db.models import Client
from bridge.storage.db.unit import unit_of_work
from bridge.storage.ephemeral import RedisStore
from bridge.storage.ephemeral.base import EphemeralStoreUnavailable
from tests.bridges import make_services
from tests.ports import unused_port

pytestmark = pytest.mark.postgres("the copies hold on both dialects")

OPERATOR = Actor.operator()
CALLBACK = "https://app.example.org/cb"


@pytest.fixture
def processes(
    database: Database, tmp_path: Path, clock: FrozenClock, redis_url: str, redis_prefix: str
) -> Iterator[tuple[Services, Services]]:
    """Two bridge processes' services on one database and one Redis: the first serves, the
    second changes clients (an admin request or a ``bridge client`` command elsewhere)."""
    built = [
        make_services(
            "http://127.0.0.1:8000",
            database,
            tmp_path / f"data-{n}",
            clock,
            backend="redis",
            redis_url=redis_url,
            redis_prefix=redis_prefix,
        )
        for n in (1, 2)
    ]
    yield built[0], built[1]
    for services in built:
        services.close()


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the client rows read from the database, in order."""
    import bridge.services.client_records as records

    read: list[str] = []
    original = records.read_client

    def counted(db: Database, client_id: str) -> ClientRecord | None:
        read.append(client_id)
        return original(db, client_id)

    monkeypatch.setattr(records, "read_client", counted)
    return read


def _unreachable_store() -> RedisStore:
    return RedisStore(f"redis://127.0.0.1:{unused_port()}/0", "x:", socket_timeout=0.2, retries=0)


def _get(services: Services, client_id: str) -> ClientRecord:
    record = services.clients.get(client_id)
    assert record is not None
    return record


def test_a_process_reads_a_client_once_and_keeps_it(
    processes: tuple[Services, Services], reads: list[str]
) -> None:
    serving, _ = processes
    client, _secret = serving.clients.add("App", [CALLBACK])
    assert _get(serving, client.id) == _get(serving, client.id)
    assert reads == [client.id]


def test_an_unknown_client_is_not_kept(
    processes: tuple[Services, Services], reads: list[str]
) -> None:
    serving, _ = processes
    assert serving.clients.get("no-such-client") is None
    assert serving.clients.get("no-such-client") is None
    assert reads == ["no-such-client", "no-such-client"]


def _assign_to_an_organisation(services: Services, client_id: str) -> None:
    services.orgs.create(OPERATOR, "acme", "Acme")
    services.orgs.assign_client(OPERATOR, "acme", client_id)


#: A change another process makes, and what the serving process must then see.
CHANGES: dict[str, tuple[Callable[[Services, str], object], Callable[[Any], bool]]] = {
    "disable": (
        lambda s, c: s.client_lifecycle.disable(c),
        lambda record: record.disabled,
    ),
    "delete": (
        lambda s, c: s.client_lifecycle.delete(c),
        lambda record: record is None,
    ),
    "rotate the secret": (
        lambda s, c: s.client_lifecycle.rotate_secret(c),
        lambda record: record.secret_hash is not None,
    ),
    "replace the redirect URIs": (
        lambda s, c: s.client_lifecycle.set_redirect_uris(c, ["https://new.example.org/cb"]),
        lambda record: record.redirect_uris == ("https://new.example.org/cb",),
    ),
    "replace the post-logout URIs": (
        lambda s, c: s.client_lifecycle.set_post_logout_redirect_uris(
            c, ["https://new.example.org/out"]
        ),
        lambda record: record.post_logout_redirect_uris == ("https://new.example.org/out",),
    ),
    "allow the admin scope": (
        lambda s, c: s.orgs.allow_admin_scope(OPERATOR, c),
        lambda record: "admin" in record.scope.split(),
    ),
    "assign to an organisation": (
        _assign_to_an_organisation,
        lambda record: record.org_id is not None,
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_made_by_another_process_is_seen_at_the_next_read(
    processes: tuple[Services, Services], change: str
) -> None:
    serving, changing = processes
    client, _ = serving.clients.add("App", [CALLBACK])
    kept = _get(serving, client.id)
    make, seen = CHANGES[change]
    make(changing, client.id)
    now = serving.clients.get(client.id)
    assert now != kept
    assert seen(now)


def test_a_secret_rotated_by_another_process_stops_working_at_once(
    processes: tuple[Services, Services],
) -> None:
    serving, changing = processes
    client, secret = serving.clients.add("App", [CALLBACK])
    assert secret is not None
    assert serving.clients.check_secret(_get(serving, client.id), secret)
    new = changing.client_lifecycle.rotate_secret(client.id)
    assert not serving.clients.check_secret(_get(serving, client.id), secret)
    assert serving.clients.check_secret(_get(serving, client.id), new)


def test_an_enabled_client_works_again_at_once(processes: tuple[Services, Services]) -> None:
    serving, changing = processes
    client, _ = serving.clients.add("App", [CALLBACK])
    changing.client_lifecycle.disable(client.id)
    assert _get(serving, client.id).disabled
    changing.client_lifecycle.enable(client.id)
    assert not _get(serving, client.id).disabled


def test_an_api_client_s_new_secret_and_removal_are_seen_at_once(
    processes: tuple[Services, Services],
) -> None:
    serving, changing = processes
    changing.orgs.create(OPERATOR, "acme", "Acme")
    made = changing.api_clients.create(OPERATOR, "acme", "Sync", ["invoices:read"])
    client_id = made.view.client_id
    assert made.secret is not None
    assert serving.clients.check_secret(_get(serving, client_id), made.secret)
    rotated = changing.api_clients.rotate_secret(OPERATOR, "acme", client_id)
    assert rotated.secret is not None
    assert not serving.clients.check_secret(_get(serving, client_id), made.secret)
    assert serving.clients.check_secret(_get(serving, client_id), rotated.secret)
    changing.api_clients.remove(OPERATOR, "acme", client_id)
    assert serving.clients.get(client_id) is None


@pytest.mark.postgres("the unit's own connection must see the change", committed=True)
def test_a_change_inside_a_unit_of_work_is_seen_once_it_commits(
    processes: tuple[Services, Services],
) -> None:
    serving, changing = processes
    client, _ = serving.clients.add("App", [CALLBACK])
    assert not _get(serving, client.id).disabled

    def failed_command() -> None:
        with unit_of_work():
            changing.client_lifecycle.disable(client.id)
            raise RuntimeError("the command failed: its change is rolled back")

    with pytest.raises(RuntimeError):
        failed_command()
    assert not _get(serving, client.id).disabled
    with unit_of_work():
        changing.client_lifecycle.disable(client.id)
    assert _get(serving, client.id).disabled


@pytest.mark.postgres("a unit of work reads on its own connection", committed=True)
def test_a_request_reads_its_client_and_the_version_once(
    processes: tuple[Services, Services], reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    serving, _ = processes
    client, _ = serving.clients.add("App", [CALLBACK])
    store: Any = serving.store
    asked: list[str] = []
    original = store.get

    def get(key: str) -> Any:
        asked.append(key)
        return original(key)

    monkeypatch.setattr(store, "get", get)
    for _request in range(2):
        with unit_of_work():
            for _ in range(3):
                assert _get(serving, client.id).id == client.id
    assert reads == [client.id]  # the second request found it kept
    assert asked.count(VERSION_KEY) == 2  # once per request


@pytest.mark.postgres("a unit of work reads on its own connection", committed=True)
def test_a_change_within_a_request_is_read_again_by_that_request(
    processes: tuple[Services, Services],
) -> None:
    serving, _ = processes
    client, _ = serving.clients.add("App", [CALLBACK])
    with unit_of_work():
        assert not _get(serving, client.id).disabled
        serving.client_lifecycle.disable(client.id)
        assert _get(serving, client.id).disabled


def test_a_lost_version_makes_every_process_read_the_rows_again(
    processes: tuple[Services, Services], database: Database
) -> None:
    serving, _ = processes
    client, _ = serving.clients.add("App", [CALLBACK])
    assert not _get(serving, client.id).disabled
    with database.session() as session:  # a change no service announced
        session.execute(update(Client).where(Client.id == client.id).values(disabled=True))
    serving.store.delete(VERSION_KEY)  # the store lost the version (evicted, flushed)
    assert _get(serving, client.id).disabled


@pytest.mark.postgres("a unit of work reads on its own connection", committed=True)
def test_without_a_shared_store_each_request_reads_its_client(
    database: Database, clock: FrozenClock, reads: list[str]
) -> None:
    clients = ClientService(database, clock)  # the in-process store: nothing is kept
    client, _ = clients.add("App", [CALLBACK])
    for _request in range(2):
        with unit_of_work():
            assert _get_from(clients, client.id) == _get_from(clients, client.id)
    assert reads == [client.id, client.id]


def test_when_the_store_does_not_answer_the_row_is_read_and_not_kept(
    database: Database, clock: FrozenClock, reads: list[str]
) -> None:
    clients = ClientService(database, clock, shared_store=_unreachable_store())
    client, _ = clients.add("App", [CALLBACK])
    assert _get_from(clients, client.id).id == client.id
    assert _get_from(clients, client.id).id == client.id
    assert reads == [client.id, client.id]


def test_a_change_the_store_cannot_be_told_of_is_not_made(
    database: Database, clock: FrozenClock
) -> None:
    clients = ClientService(database, clock, shared_store=_unreachable_store())
    lifecycle = ClientLifecycle(database, AuditLog(database, clock), clients)
    client, _ = clients.add("App", [CALLBACK])
    with pytest.raises(EphemeralStoreUnavailable):
        lifecycle.disable(client.id)
    assert not _get_from(ClientService(database, clock), client.id).disabled


def test_a_kept_record_cannot_be_changed(processes: tuple[Services, Services]) -> None:
    serving, _ = processes
    client, _ = serving.clients.add("App", [CALLBACK])
    record = _get(serving, client.id)
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.disabled = True  # type: ignore[misc]
    assert record.redirect_uris == (CALLBACK,)


def test_an_api_client_s_keys_are_a_fresh_copy_each_time(
    database: Database, clock: FrozenClock
) -> None:
    clients = ClientService(database, clock)
    client, _ = clients.add("App", [CALLBACK])
    jwks = {
        "keys": [
            {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
        ]
    }
    with database.session() as session:
        session.execute(update(Client).where(Client.id == client.id).values(jwks=jwks))
    record = _get_from(clients, client.id)
    keys = record.jwks
    assert keys == jwks
    assert keys is not None
    keys["keys"].clear()
    assert record.jwks == jwks


def _get_from(clients: ClientService, client_id: str) -> ClientRecord:
    record = clients.get(client_id)
    assert record is not None
    return record
