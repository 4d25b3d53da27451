"""``bridge api-client ...``: an organisation's API clients (client credentials; issue 12).

Every command goes through ``ApiClients``, the service behind the admin API and the console, so
the command line accepts and refuses exactly what they do; ``--as USERNAME`` acts as that admin.
A secret is printed once, when it is made (``create``, ``rotate``); public keys for
``private_key_jwt`` come from a JWK Set file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from bridge.cli.context import acting, as_option, current_services, echo_json
from bridge.cli.unit import UnitOfWorkGroup


@click.group("api-client", cls=UnitOfWorkGroup)
def api_client() -> None:
    """An organisation's API clients (the client_credentials grant)."""


def _jwks(path: Path | None) -> Any:
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise click.ClickException(f"cannot read the JWK Set in {path}: {error}") from error


@api_client.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="What the client is, for the admins.")
@click.option(
    "--scope", "scopes", multiple=True, required=True, help="A scope to grant (repeat for more)."
)
@click.option(
    "--jwks-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A JWK Set of public keys: the client authenticates with private_key_jwt, no secret.",
)
@as_option
def create(
    slug: str, name: str, scopes: tuple[str, ...], jwks_file: Path | None, as_user: str | None
) -> None:
    """Create an API client; its secret is printed now, and never again."""
    new = current_services().api_clients.create(
        acting(as_user), slug, name, list(scopes), _jwks(jwks_file)
    )
    echo_json({**new.view.as_json(), "secret": new.secret})


@api_client.command("list")
@click.argument("slug")
@as_option
def list_clients(slug: str, as_user: str | None) -> None:
    """Client id, authentication, scopes and name of each API client."""
    for view in current_services().api_clients.list(acting(as_user), slug):
        click.echo(f"{view.client_id}\t{view.auth_method}\t{' '.join(view.scopes)}\t{view.name}")


@api_client.command("rotate")
@click.argument("slug")
@click.argument("client_id")
@as_option
def rotate(slug: str, client_id: str, as_user: str | None) -> None:
    """A new secret for the client; the old one stops working at once."""
    rotated = current_services().api_clients.rotate_secret(acting(as_user), slug, client_id)
    echo_json({**rotated.view.as_json(), "secret": rotated.secret})


@api_client.command("remove")
@click.argument("slug")
@click.argument("client_id")
@as_option
def remove(slug: str, client_id: str, as_user: str | None) -> None:
    """Remove the client: no more tokens, and its tokens introspect as inactive."""
    view = current_services().api_clients.remove(acting(as_user), slug, client_id)
    click.echo(f"removed API client {view.client_id} ({view.name})")
