"""A live bridge whose forward-auth trusts the local nginx and may send browsers back to it,
and that nginx in front of a protected application."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bridge.domain.clock import FrozenClock
from bridge.services.container import Services
from bridge.storage.db.engine import Database
from tests.bridges import make_services
from tests.e2e.harness import LiveBridge, serve
from tests.forward_auth.nginx import Proxy, running_app, running_nginx
from tests.ports import unused_port


@dataclass
class Proxied:
    bridge: LiveBridge
    proxy: Proxy


def forward_auth_config(proxy_port: int) -> dict[str, object]:
    return {
        "forward_auth": {
            "return_hosts": [f"127.0.0.1:{proxy_port}"],
            "trusted_proxies": ["127.0.0.1/32"],
        }
    }


@pytest.fixture
def proxy_port() -> int:
    return unused_port()


@pytest.fixture
def bridge(database: Database, tmp_path: Path, proxy_port: int) -> Iterator[LiveBridge]:
    """A live bridge on a real socket (SQLite and the in-process store)."""
    clock = FrozenClock(time.time())

    def factory(issuer: str) -> tuple[Services, FrozenClock]:
        config = forward_auth_config(proxy_port)
        return make_services(issuer, database, tmp_path / "data", clock, config=config), clock

    with serve(factory, real_http=True) as live:
        yield live


@pytest.fixture
def proxied(bridge: LiveBridge, tmp_path: Path, proxy_port: int) -> Iterator[Proxied]:
    with (
        running_app(unused_port()) as app,
        running_nginx(tmp_path / "nginx", proxy_port, bridge.url, app) as proxy,
    ):
        yield Proxied(bridge, proxy)
