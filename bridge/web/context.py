"""Where the views find the services: ``app.extensions["bridge"]``, never a module global."""

from __future__ import annotations

from dataclasses import dataclass

from authlib.integrations.flask_oauth2 import ResourceProtector
from flask import current_app

from bridge.domain.documents import JsonDocument
from bridge.oidc.server import BridgeAuthorizationServer
from bridge.services.container import Services


@dataclass
class Bridge:
    services: Services
    oauth: BridgeAuthorizationServer
    protector: ResourceProtector
    #: The discovery document's bytes, built at its first request (``bridge.oidc.documents``).
    discovery: JsonDocument | None = None


def bridge() -> Bridge:
    state: Bridge = current_app.extensions["bridge"]
    return state


def services() -> Services:
    return bridge().services
