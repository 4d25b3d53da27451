"""Relying parties: generated ids and secrets, shown once, and strict redirect URIs."""

from __future__ import annotations

import hashlib
import re

import pytest

from bridge.services.clients import ClientService, InvalidClient

pytestmark = pytest.mark.postgres("the storage contract holds on both dialects")

URL_SAFE = re.compile(r"[A-Za-z0-9_-]+")


def test_a_confidential_client_gets_an_id_and_a_256_bit_secret(clients: ClientService) -> None:
    client, secret = clients.add("Wiki", ["https://wiki.example.org/callback"])
    assert secret is not None
    assert len(client.id) >= 22
    assert URL_SAFE.fullmatch(client.id)
    assert len(secret) == 43
    assert URL_SAFE.fullmatch(secret)


def test_only_the_hash_of_the_secret_is_stored(clients: ClientService) -> None:
    client, secret = clients.add("Wiki", ["https://wiki.example.org/callback"])
    assert secret is not None
    stored = clients.get(client.id)
    assert stored is not None
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()


def test_a_public_client_has_no_secret(clients: ClientService) -> None:
    client, secret = clients.add("CLI", ["http://127.0.0.1:8765/cb"], public=True)
    assert secret is None
    assert client.public
    assert client.secret_hash is None


def test_a_stored_client_keeps_its_uris_and_default_scope(clients: ClientService) -> None:
    client, _ = clients.add(
        "Wiki",
        ["https://wiki.example.org/cb", "https://wiki.example.org/cb2"],
        post_logout_redirect_uris=["https://wiki.example.org/"],
    )
    stored = clients.get(client.id)
    assert stored is not None
    # The stored record is immutable: its URIs are tuples.
    assert stored.redirect_uris == ("https://wiki.example.org/cb", "https://wiki.example.org/cb2")
    assert stored.post_logout_redirect_uris == ("https://wiki.example.org/",)
    assert stored.scope == "openid profile email offline_access"
    assert client.scope == stored.scope


def test_an_unknown_client_id_finds_nothing(clients: ClientService) -> None:
    assert clients.get("nope") is None


def test_the_right_secret_passes(clients: ClientService) -> None:
    client, secret = clients.add("Wiki", ["https://wiki.example.org/cb"])
    assert secret is not None
    assert clients.check_secret(client, secret)


def test_a_wrong_secret_fails(clients: ClientService) -> None:
    client, secret = clients.add("Wiki", ["https://wiki.example.org/cb"])
    assert secret is not None
    assert not clients.check_secret(client, secret[:-1] + ("A" if secret[-1] != "A" else "B"))


def test_a_public_client_never_passes_a_secret_check(clients: ClientService) -> None:
    client, _ = clients.add("CLI", ["http://localhost/cb"], public=True)
    assert not clients.check_secret(client, "")


def test_list_returns_every_client(clients: ClientService) -> None:
    a, _ = clients.add("A", ["https://a.example.org/cb"])
    b, _ = clients.add("B", ["https://b.example.org/cb"])
    assert {c.id for c in clients.list()} == {a.id, b.id}


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example.org/cb?x=1",
        "http://127.0.0.1:8080/cb",
        "http://[::1]:8080/cb",
        "http://localhost/cb",
    ],
)
def test_https_and_loopback_http_redirect_uris_are_accepted(
    clients: ClientService, uri: str
) -> None:
    client, _ = clients.add("App", [uri])
    assert client.redirect_uris == [uri]


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("/callback", "absolute"),
        ("https:///callback", "absolute"),
        ("https://app.example.org/cb#frag", "fragment"),
        ("http://app.example.org/cb", "must use https"),
        ("http://127.0.0.2/cb", "must use https"),
        ("javascript:alert(1)", "absolute"),
        ("com.example.app:/cb", "absolute"),
        ("https://app.example.org:99999/cb", "not a valid URL"),
        ("https://app.example.org/c b", "whitespace"),
    ],
)
def test_a_bad_redirect_uri_is_refused_with_the_reason(
    clients: ClientService, uri: str, message: str
) -> None:
    with pytest.raises(InvalidClient, match=message):
        clients.add("App", [uri])


def test_a_bad_post_logout_redirect_uri_is_refused(clients: ClientService) -> None:
    with pytest.raises(InvalidClient, match="must use https"):
        clients.add("App", ["https://a.example.org/cb"], post_logout_redirect_uris=["http://x/"])


def test_a_client_needs_a_name(clients: ClientService) -> None:
    with pytest.raises(InvalidClient, match="name"):
        clients.add("  ", ["https://a.example.org/cb"])


def test_a_login_page_names_a_client_by_its_name_and_an_unknown_one_not_at_all(
    clients: ClientService,
) -> None:
    client, _secret = clients.add("Wiki", ["https://wiki.example.org/callback"])
    assert clients.display_name(client.id) == "Wiki"
    assert clients.display_name(client.id) == "Wiki"  # kept by the process: no query
    assert clients.display_name("no-such-client") is None
