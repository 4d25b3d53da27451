"""Two bridges over real HTTP: the upstream one (``live``) is the SSO provider of a downstream one.

The downstream bridge has its own SQLite database, the in-process store and its own session
cookie, shares the test clock, and has the upstream bridge configured as the identity provider
``upstream`` (with a client registered there); ``provider`` overrides the provider's
configuration.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
import yaml

from bridge.config.loading import load_settings
from bridge.config.secrets import Secrets
from bridge.domain.clock import FrozenClock
from bridge.services.container import Services, build_services
from bridge.storage.crypto import generate_key_spec
from bridge.storage.db.engine import Database
from tests.bridges import FAST_ARGON2
from tests.e2e.harness import (
    PASSWORD,
    Browser,
    LiveBridge,
    Page,
    enrolment_secret,
    serve,
    totp_code,
)

ALIAS = "upstream"
SECRET_ENV = "BRIDGE_IDP_UPSTREAM_CLIENT_SECRET"


@contextmanager
def downstream_bridge(
    live: LiveBridge,
    database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    environ: dict[str, str] | None = None,
    **provider: Any,
) -> Iterator[LiveBridge]:
    """A second bridge with ``live`` as its provider ``upstream``, for ``sso.example`` unless
    ``provider`` says otherwise; ``environ`` adds ``BRIDGE_*`` settings; ``database`` is the
    downstream bridge's own (the ``downstream_database`` fixture)."""

    def factory(issuer: str) -> tuple[Services, FrozenClock]:
        client, secret = live.services.clients.add(
            "The downstream bridge",
            [f"{issuer}/federation/{ALIAS}/callback"],
            post_logout_redirect_uris=[f"{issuer}/federation/{ALIAS}/logged-out"],
        )
        assert secret is not None
        monkeypatch.setenv(SECRET_ENV, secret)
        config = tmp_path / "downstream.yaml"
        settings = {
            "alias": ALIAS,
            "display_name": "Upstream",
            "issuer": live.url,
            "client_id": client.id,
            "client_secret_env": SECRET_ENV,
            "domains": ["sso.example"],
            "link_by_verified_email": True,
            **provider,
        }
        config.write_text(yaml.safe_dump({"identity_providers": [settings]}))
        settings_env = {
            "BRIDGE_ISSUER": issuer,
            "BRIDGE_DATA_DIR": str(tmp_path / "downstream-data"),
            "BRIDGE_DATABASE_URL": database.url.render_as_string(hide_password=False),
            "BRIDGE_EPHEMERAL__BACKEND": "memory",
            # Both bridges are on 127.0.0.1, and cookies do not tell ports apart: in real life
            # they are two hosts, each with its own session cookie.
            "BRIDGE_SESSION__COOKIE_NAME": "downstream_session",
            **FAST_ARGON2,
            **(environ or {}),
        }
        secrets = Secrets(secret_key=os.urandom(32), encryption_keys=generate_key_spec())
        services = build_services(load_settings(config, settings_env), secrets, live.clock)
        return services, live.clock

    with serve(factory) as bridge:
        yield bridge


def sign_in_upstream(
    live: LiveBridge, browser: Browser, page: Page | str, username: str = "jane"
) -> Page | str:
    """A first login at the upstream bridge: password, then TOTP enrolment there."""
    assert isinstance(page, Page) and page.url.startswith(live.url), page
    assert page.title == "Sign in"
    page = browser.submit(username=username, password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Set up two-factor authentication"
    return browser.submit(code=totp_code(enrolment_secret(page), live.clock))


def upstream_authorization_url(browser: Browser, url: str, upstream: str) -> str:
    """Follow ``url``'s redirects in ``browser`` up to the upstream bridge; that URL (the
    upstream login has not started there yet)."""
    response = browser.http.get(url, allow_redirects=False)
    while response.is_redirect:
        location = urljoin(response.url, response.headers["Location"])
        if location.startswith(upstream):
            return location
        response = browser.http.get(location, allow_redirects=False)
    raise AssertionError(f"{url} did not lead to {upstream}: {response.status_code} {response.url}")


class _BoundedSession(requests.Session):
    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.sent = 0

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.sent += 1
        if self.sent > self.limit:
            raise AssertionError(f"more than {self.limit} requests: a redirect loop?")
        return super().send(request, **kwargs)


def without_loops(browser: Browser, limit: int = 60) -> Browser:
    """Make ``browser`` fail, instead of hang, when the bridges send it round in circles."""
    bounded = _BoundedSession(limit)
    bounded.cookies = browser.http.cookies
    browser.http.close()
    browser.http = bounded
    return browser
