"""Services with configured providers, and what the provider tables hold, for the tests of
providers added through the admin API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from bridge.config.loading import load_settings
from bridge.config.secrets import Secrets
from bridge.domain.clock import FrozenClock
from bridge.services.container import Services, build_services
from bridge.services.orgs import Actor
from bridge.storage.crypto import generate_key_spec
from bridge.storage.db.engine import Database
from bridge.storage.db.models import (
    FederatedIdentity,
    IdentityProviderDomain,
    IdentityProviderRecord,
)
from tests.bridges import FAST_ARGON2

OPERATOR = Actor.operator()
SECRET = "s3cr3t-upstream-client-secret-value"

#: Two configured providers: one serving acme (with a domain), one global.
CONFIGURED: list[dict[str, Any]] = [
    {
        "alias": "acme-config",
        "issuer": "https://config.acme.example",
        "client_id": "bridge",
        "organisation": "acme",
        "domains": ["config.acme.example"],
    },
    {"alias": "google", "issuer": "https://accounts.google.com", "client_id": "g-123"},
]


def new_secrets() -> Secrets:
    return Secrets(secret_key=b"k" * 32, encryption_keys=generate_key_spec())


def build(
    database: Database,
    tmp_path: Path,
    clock: FrozenClock,
    *,
    providers: list[dict[str, Any]] | None = None,
    secrets: Secrets | None = None,
    issuer: str = "http://127.0.0.1:8000",
    extra: dict[str, str] | None = None,
) -> Services:
    """Services as ``bridge serve`` builds them, with ``providers`` in the configuration file."""
    config = tmp_path / f"bridge-{len(list(tmp_path.glob('bridge-*.yaml')))}.yaml"
    config.write_text(
        yaml.safe_dump({"identity_providers": CONFIGURED if providers is None else providers})
    )
    environ = {
        "BRIDGE_ISSUER": issuer,
        "BRIDGE_DATA_DIR": str(tmp_path / "data"),
        "BRIDGE_DATABASE_URL": database.url.render_as_string(hide_password=False),
        "BRIDGE_EPHEMERAL__BACKEND": "memory",
        **FAST_ARGON2,
        **(extra or {}),
    }
    settings = load_settings(config, environ)
    return build_services(settings, secrets or new_secrets(), clock)


def provider_body(alias: str = "acme-okta", **fields: Any) -> dict[str, Any]:
    """A valid POST body: a confidential client of an https issuer."""
    return {
        "alias": alias,
        "issuer": f"https://{alias}.idp.example",
        "client_id": "the-bridge",
        "client_secret": SECRET,
        **fields,
    }


def snapshot(services: Services) -> dict[str, Any]:
    """Everything the provider tables and the links hold, to show a refusal changed nothing."""
    with services.db.session() as session:
        providers = [
            {
                column.name: getattr(row, column.key)
                for column in IdentityProviderRecord.__table__.columns
            }
            for row in session.scalars(
                select(IdentityProviderRecord).order_by(IdentityProviderRecord.alias)
            )
        ]
        domains = sorted(
            (d.domain, d.provider_id) for d in session.scalars(select(IdentityProviderDomain))
        )
        links = sorted(
            (f.provider, f.subject, f.user_id) for f in session.scalars(select(FederatedIdentity))
        )
    return {"providers": providers, "domains": domains, "links": links}
