"""What every ``bridge`` sub-command shares: the services (built on first use, so ``--help``
needs neither settings nor a database) and who acts (``--as``)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from bridge.services.container import Services, build_services
from bridge.services.orgs import Actor


class Context:
    """Loads settings and services on first use, so ``--help`` needs neither."""

    def __init__(self, config: Path | None) -> None:
        self.config = config
        self._services: Services | None = None

    def services(self, *, migrate: bool = True) -> Services:
        """The services; the embedded database is created and migrated on first use, any
        other must already be migrated (``bridge db upgrade``). Configuration errors are
        raised for ``bridge.cli.errors`` to print."""
        if self._services is None:
            from bridge.config.loading import load_settings
            from bridge.config.secrets import load_secrets

            settings = load_settings(self.config, os.environ)
            secrets = load_secrets(settings, os.environ)
            self._services = build_services(settings, secrets)
            if migrate:
                db = self._services.db
                if self._services.settings.database_is_embedded:
                    db.upgrade()
                elif problem := db.schema_problem():
                    raise click.ClickException(problem)
        return self._services

    def close(self) -> None:
        """Stop what the services started and return their connections (the command ended)."""
        if self._services is not None:
            self._services.close()
            self._services = None


pass_context = click.make_pass_decorator(Context)


def current_services() -> Services:
    """The services of the running ``bridge`` command (built on first use)."""
    context: Context = click.get_current_context().find_root().obj
    return context.services()


def acting(as_user: str | None) -> Actor:
    """The operator, or with ``--as USERNAME`` that admin (with that admin's rights only)."""
    if as_user is None:
        return Actor.operator()
    user = current_services().users.find(as_user)
    if user is None:
        raise click.ClickException(f"--as: there is no user {as_user!r}")
    return Actor(user_id=user.id, via="cli")


as_option = click.option(
    "--as", "as_user", metavar="USERNAME", help="Act as this admin (default: the operator)."
)


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True))
