"""``bridge client ...`` after ``add`` (issue 14): disable, enable, delete, set-redirect-uris and
rotate-secret, each with its refusals, and a disabled client refused by a running bridge."""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bridge.cli import main
from bridge.storage.crypto import generate_key_spec
from tests.bridges import FAST_ARGON2, Invoke
from tests.e2e.harness import Browser, LiveBridge, Page, RelyingParty, first_tokens

CALLBACK = "https://crm.example.com/cb"


@pytest.fixture
def run(bridge_cli: Invoke) -> Invoke:
    return bridge_cli


def _add(run: Invoke, *extra: str) -> dict[str, str]:
    added = run("client", "add", "--name", "CRM", "--redirect-uri", CALLBACK, "--json", *extra)
    assert added.exit_code == 0, added.output
    created: dict[str, str] = json.loads(added.output)
    return created


def _refused(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert f"Error: {message}" in result.output
    assert "Traceback" not in result.output


def _listed(run: Invoke, client_id: str) -> list[str]:
    [line] = [line for line in run("client", "list").output.splitlines() if client_id in line]
    return line.split("\t")


def test_disable_and_enable_say_what_they_did_and_list_shows_it(run: Invoke) -> None:
    client_id = _add(run)["client_id"]
    assert run("client", "disable", client_id).output.strip() == f"disabled client {client_id}"
    assert run("client", "disable", client_id).output.strip() == f"{client_id} was disabled already"
    assert _listed(run, client_id)[2] == "confidential (disabled)"
    assert run("client", "enable", client_id).output.strip() == f"enabled client {client_id}"
    assert run("client", "enable", client_id).output.strip() == f"{client_id} was not disabled"
    assert _listed(run, client_id)[2] == "confidential"


@pytest.mark.parametrize(
    "command",
    [
        ("disable",),
        ("enable",),
        ("delete", "--yes"),
        ("rotate-secret",),
        ("set-redirect-uris", "--redirect-uri", CALLBACK),
        ("set-post-logout-redirect-uris", "--none"),
    ],
)
def test_every_command_refuses_an_unknown_client(run: Invoke, command: tuple[str, ...]) -> None:
    name, *options = command
    _refused(run("client", name, "nope", *options), "no client 'nope'")


def test_the_commands_leave_an_organisation_s_api_clients_to_bridge_api_client(
    run: Invoke,
) -> None:
    assert run("org", "create", "acme", "--name", "Acme").exit_code == 0
    created = run("api-client", "create", "acme", "--name", "Billing", "--scope", "invoices:read")
    client_id = json.loads(created.output)["client_id"]
    refused = run("client", "disable", client_id)
    _refused(refused, f"{client_id!r} is an API client of an organisation, not a relying party")
    assert "'bridge api-client'" in refused.output


def test_delete_asks_first_and_does_nothing_when_told_no(run: Invoke) -> None:
    client_id = _add(run)["client_id"]
    kept = run("client", "delete", client_id, stdin="n\n")
    assert kept.exit_code == 1
    assert f"Delete client {client_id} (CRM) and every grant and token issued to it?" in (
        kept.output
    )
    assert "Aborted!" in kept.output
    assert client_id in run("client", "list").output
    deleted = run("client", "delete", client_id, stdin="y\n")
    assert deleted.exit_code == 0, deleted.output
    assert f"deleted client {client_id} (CRM), 0 grants" in deleted.output
    assert client_id not in run("client", "list").output


def test_delete_yes_asks_nothing(run: Invoke) -> None:
    client_id = _add(run)["client_id"]
    deleted = run("client", "delete", client_id, "--yes")
    assert deleted.exit_code == 0
    assert deleted.output.strip() == f"deleted client {client_id} (CRM), 0 grants"


def test_set_redirect_uris_replaces_the_list(run: Invoke) -> None:
    client_id = _add(run)["client_id"]
    new = ("https://crm.example.com/a", "http://127.0.0.1:8080/b")
    done = run(
        "client", "set-redirect-uris", client_id, "--redirect-uri", new[0], "--redirect-uri", new[1]
    )
    assert done.exit_code == 0, done.output
    assert done.output.strip() == f"redirect URIs of {client_id}: {new[0]} {new[1]}"
    assert _listed(run, client_id)[3] == " ".join(new)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("http://crm.example.com/cb", "must use https; http is allowed only for 127.0.0.1"),
        ("https://crm.example.com/cb#top", "must not contain a fragment"),
        ("/cb", "must be an absolute http(s) URL with a host"),
    ],
)
def test_set_redirect_uris_refuses_what_add_refuses_and_keeps_the_old_ones(
    run: Invoke, uri: str, message: str
) -> None:
    client_id = _add(run)["client_id"]
    _refused(
        run("client", "set-redirect-uris", client_id, "--redirect-uri", uri),
        f"redirect URI {uri!r} {message}",
    )
    assert _listed(run, client_id)[3] == CALLBACK
    # add refuses it with the same words
    _refused(run("client", "add", "--name", "X", "--redirect-uri", uri), f"redirect URI {uri!r}")


def test_set_redirect_uris_needs_at_least_one(run: Invoke) -> None:
    client_id = _add(run)["client_id"]
    result = run("client", "set-redirect-uris", client_id)
    assert result.exit_code == 2 and "Missing option '--redirect-uri'" in result.output


def _events(event: str) -> list[tuple[str, dict[str, object]]]:
    database = sqlite3.connect(Path("data") / "bridge.db")
    try:
        rows = database.execute(
            "SELECT client_id, details FROM audit_events WHERE event = ? ORDER BY id", (event,)
        )
        return [(client_id, json.loads(details)) for client_id, details in rows]
    finally:
        database.close()


def _logout_uris(run: Invoke, client_id: str) -> list[str]:
    exported = json.loads(run("export").output)
    [client] = [c for c in exported["clients"] if c["client_id"] == client_id]
    uris: list[str] = client["post_logout_redirect_uris"]
    return uris


def test_add_is_audited_with_what_was_registered(run: Invoke) -> None:
    client_id = _add(run, "--post-logout-redirect-uri", "https://crm.example.com/bye")["client_id"]
    assert _events("client_created") == [
        (
            client_id,
            {
                "name": "CRM",
                "public": False,
                "redirect_uris": [CALLBACK],
                "post_logout_redirect_uris": ["https://crm.example.com/bye"],
            },
        )
    ]


def test_a_refused_add_is_not_audited(run: Invoke) -> None:
    _refused(run("client", "add", "--name", "X", "--redirect-uri", "/cb"), "redirect URI '/cb'")
    assert _events("client_created") == []


def test_set_post_logout_redirect_uris_replaces_and_clears_the_list(run: Invoke) -> None:
    client_id = _add(run, "--post-logout-redirect-uri", "https://crm.example.com/bye")["client_id"]
    new = ("https://crm.example.com/signed-out", "http://localhost:8080/bye")
    done = run(
        "client",
        "set-post-logout-redirect-uris",
        client_id,
        "--post-logout-redirect-uri",
        new[0],
        "--post-logout-redirect-uri",
        new[1],
    )
    assert done.exit_code == 0, done.output
    assert done.output.strip() == f"post-logout redirect URIs of {client_id}: {new[0]} {new[1]}"
    assert _logout_uris(run, client_id) == list(new)
    cleared = run("client", "set-post-logout-redirect-uris", client_id, "--none")
    assert cleared.output.strip() == f"post-logout redirect URIs of {client_id}: none"
    assert _logout_uris(run, client_id) == []
    assert _listed(run, client_id)[3] == CALLBACK  # the redirect URIs stay
    assert [
        details["after"] for _, details in _events("client_post_logout_redirect_uris_changed")
    ] == [list(new), []]


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("http://crm.example.com/bye", "must use https; http is allowed only for 127.0.0.1"),
        ("https://crm.example.com/bye#top", "must not contain a fragment"),
    ],
)
def test_set_post_logout_redirect_uris_refuses_what_add_refuses(
    run: Invoke, uri: str, message: str
) -> None:
    client_id = _add(run, "--post-logout-redirect-uri", "https://crm.example.com/bye")["client_id"]
    _refused(
        run(
            "client", "set-post-logout-redirect-uris", client_id, "--post-logout-redirect-uri", uri
        ),
        f"redirect URI {uri!r} {message}",
    )
    assert _logout_uris(run, client_id) == ["https://crm.example.com/bye"]
    assert _events("client_post_logout_redirect_uris_changed") == []


@pytest.mark.parametrize(
    "options", [(), ("--none", "--post-logout-redirect-uri", "https://crm.example.com/bye")]
)
def test_set_post_logout_redirect_uris_needs_uris_or_none(
    run: Invoke, options: tuple[str, ...]
) -> None:
    client_id = _add(run)["client_id"]
    result = run("client", "set-post-logout-redirect-uris", client_id, *options)
    assert result.exit_code == 2
    assert "give --post-logout-redirect-uri (repeat for more) or --none" in result.output


def test_rotate_secret_prints_a_new_secret_once(run: Invoke) -> None:
    created = _add(run)
    rotated = run("client", "rotate-secret", created["client_id"])
    assert rotated.exit_code == 0, rotated.output
    lines = rotated.output.splitlines()
    assert lines[0] == f"client_id:     {created['client_id']}"
    secret = lines[1].removeprefix("client_secret: ")
    assert len(secret) >= 43 and secret != created["client_secret"]
    assert lines[2] == "Store the secret now: it is not shown again."
    as_json = json.loads(run("client", "rotate-secret", created["client_id"], "--json").output)
    assert as_json["client_id"] == created["client_id"]
    assert as_json["client_secret"] not in (secret, created["client_secret"])
    assert secret not in run("client", "list").output


def test_rotate_secret_refuses_a_public_client(run: Invoke) -> None:
    client_id = _add(run, "--public")["client_id"]
    _refused(
        run("client", "rotate-secret", client_id),
        f"client {client_id!r} is public: it has no secret to rotate",
    )


@pytest.mark.real_http("the bridge serves on a socket while the command changes its database")
def test_a_client_disabled_by_the_command_is_refused_by_the_running_bridge(
    live: LiveBridge, rp: RelyingParty, browsers: Callable[..., Browser]
) -> None:
    env = {
        "BRIDGE_DATABASE_URL": live.services.db.url.render_as_string(hide_password=False),
        "BRIDGE_SECRET_KEY": secrets.token_urlsafe(48),
        "BRIDGE_ENCRYPTION_KEYS": generate_key_spec(),
        **FAST_ARGON2,
    }

    def bridge(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    _, tokens = first_tokens(live, rp, browsers(), "ada")
    assert bridge("client", "disable", rp.client_id).exit_code == 0
    refused = rp.refresh(tokens["refresh_token"])
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    page = browsers().open(rp.authorization_request().url)
    assert isinstance(page, Page) and page.title == "This application is disabled"
    assert bridge("client", "enable", rp.client_id).exit_code == 0
    assert rp.refresh(tokens["refresh_token"]).status_code == 200


def test_a_client_change_without_its_shared_store_is_refused_and_changes_nothing(
    run: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every process keeps the clients it read until the shared store announces a change
    (issue 16): a change the store cannot announce is not made, and says why."""
    client_id = _add(run)["client_id"]
    monkeypatch.setenv("BRIDGE_EPHEMERAL__BACKEND", "redis")
    monkeypatch.setenv("BRIDGE_EPHEMERAL__REDIS_URL", "redis://127.0.0.1:9/0")  # nobody there
    _refused(run("client", "disable", client_id), "the ephemeral store is unavailable")
    monkeypatch.delenv("BRIDGE_EPHEMERAL__BACKEND")
    monkeypatch.delenv("BRIDGE_EPHEMERAL__REDIS_URL")
    assert _listed(run, client_id)[2] == "confidential"
