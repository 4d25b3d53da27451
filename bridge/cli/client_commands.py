"""``bridge client ...``: relying parties (applications that send their users to the bridge).

``list`` uses ``ClientService``; the registration and every later change (disable, enable,
delete, new redirect URIs after sign-in or sign-out, a new secret) go through
``ClientLifecycle``, which checks and audits them (issue 14). A secret is printed once, when
it is made (``add``, ``rotate-secret``).
"""

from __future__ import annotations

import json

import click

from bridge.cli.context import current_services
from bridge.cli.unit import UnitOfWorkGroup

CLIENT_ID = click.argument("client_id", metavar="CLIENT_ID")
LOGOUT_URI_HELP = (
    "Where the application may send the user after signing out (RP-initiated logout); "
    "the same rules as --redirect-uri (repeat for more)."
)
REDIRECT_URI_HELP = (
    "A URI the bridge may send the user back to, compared exactly: https, or http on "
    "127.0.0.1, [::1] or localhost (repeat for more)."
)


@click.group("client", cls=UnitOfWorkGroup)
def client() -> None:
    """Relying parties (applications) that send users to the bridge."""


def _echo_secret(client_id: str, secret: str | None, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"client_id": client_id, "client_secret": secret}))
        return
    click.echo(f"client_id:     {client_id}")
    if secret:
        click.echo(f"client_secret: {secret}")
        click.echo("Store the secret now: it is not shown again.")


@client.command("add")
@click.option("--name", required=True, help="A name people recognise.")
@click.option(
    "--redirect-uri", "redirect_uris", multiple=True, required=True, help=REDIRECT_URI_HELP
)
@click.option("--post-logout-redirect-uri", "logout_uris", multiple=True, help=LOGOUT_URI_HELP)
@click.option("--public", is_flag=True, help="A client that cannot keep a secret (SPA, app).")
@click.option("--json", "as_json", is_flag=True, help="Print the id and secret as JSON.")
def client_add(
    name: str,
    redirect_uris: tuple[str, ...],
    logout_uris: tuple[str, ...],
    public: bool,
    as_json: bool,
) -> None:
    """Register a client (audited); its secret is shown once."""
    record, secret = current_services().client_lifecycle.add(
        name, list(redirect_uris), public=public, post_logout_redirect_uris=list(logout_uris)
    )
    _echo_secret(record.id, secret, as_json)


@client.command("list")
def client_list() -> None:
    """List registered clients: id, name, kind (disabled ones say so) and redirect URIs."""
    for record in current_services().clients.list():
        kind = "public" if record.public else "confidential"
        if record.disabled:
            kind += " (disabled)"
        click.echo(f"{record.id}\t{record.name}\t{kind}\t{' '.join(record.redirect_uris)}")


@client.command("disable")
@CLIENT_ID
def client_disable(client_id: str) -> None:
    """Refuse the client: no sign-in, no token (refresh included), its tokens stop working."""
    done = current_services().client_lifecycle.disable(client_id)
    click.echo(f"disabled client {client_id}" if done else f"{client_id} was disabled already")


@client.command("enable")
@CLIENT_ID
def client_enable(client_id: str) -> None:
    """Accept a disabled client again; its tokens that have not expired work again."""
    done = current_services().client_lifecycle.enable(client_id)
    click.echo(f"enabled client {client_id}" if done else f"{client_id} was not disabled")


@client.command("delete")
@CLIENT_ID
@click.option("--yes", is_flag=True, help="Delete without asking for confirmation.")
def client_delete(client_id: str, yes: bool) -> None:
    """Delete the client with its grants and tokens; applications using it stop working."""
    lifecycle = current_services().client_lifecycle
    found = lifecycle.find(client_id)
    if not yes:
        click.confirm(
            f"Delete client {found.id} ({found.name}) and every grant and token issued to it?",
            abort=True,
        )
    deleted = lifecycle.delete(client_id)
    click.echo(f"deleted client {deleted.client_id} ({deleted.name}), {deleted.grants} grants")


@client.command("set-redirect-uris")
@CLIENT_ID
@click.option(
    "--redirect-uri", "redirect_uris", multiple=True, required=True, help=REDIRECT_URI_HELP
)
def client_set_redirect_uris(client_id: str, redirect_uris: tuple[str, ...]) -> None:
    """Replace the client's redirect URIs with these (checked as 'client add' checks them)."""
    record = current_services().client_lifecycle.set_redirect_uris(client_id, redirect_uris)
    click.echo(f"redirect URIs of {record.id}: {' '.join(record.redirect_uris)}")


@client.command("set-post-logout-redirect-uris")
@CLIENT_ID
@click.option("--post-logout-redirect-uri", "logout_uris", multiple=True, help=LOGOUT_URI_HELP)
@click.option(
    "--none", "clear", is_flag=True, help="Allow no address after sign-out (the bridge's own page)."
)
def client_set_post_logout_redirect_uris(
    client_id: str, logout_uris: tuple[str, ...], clear: bool
) -> None:
    """Replace where the client may send users after signing out (checked as redirect URIs)."""
    if clear == bool(logout_uris):
        raise click.UsageError("give --post-logout-redirect-uri (repeat for more) or --none")
    record = current_services().client_lifecycle.set_post_logout_redirect_uris(
        client_id, logout_uris
    )
    shown = " ".join(record.post_logout_redirect_uris) or "none"
    click.echo(f"post-logout redirect URIs of {record.id}: {shown}")


@client.command("rotate-secret")
@CLIENT_ID
@click.option("--json", "as_json", is_flag=True, help="Print the id and secret as JSON.")
def client_rotate_secret(client_id: str, as_json: bool) -> None:
    """A new secret for a confidential client, shown once; the old one stops working at once."""
    secret = current_services().client_lifecycle.rotate_secret(client_id)
    _echo_secret(client_id, secret, as_json)
