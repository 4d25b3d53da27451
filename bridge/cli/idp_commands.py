"""``bridge idp ...``: the operator's face of the identity providers.

``add`` and ``remove`` go through ``ProviderAdmin``, the service behind the admin API, so the
command line accepts and refuses exactly what the API does. Providers in the configuration
file are listed here but changed only in the file. A client secret is never an argument (it
would stay in the shell's history and the process list): it comes from a file or stdin.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from bridge.cli.context import acting, as_option, current_services
from bridge.cli.unit import UnitOfWorkGroup


@click.group("idp", cls=UnitOfWorkGroup)
def idp() -> None:
    """Upstream identity providers (single sign-on)."""


@idp.command("list")
def idp_list() -> None:
    """Every provider: alias, source (config or database), organisation, issuer, domains."""
    for view in current_services().provider_admin.all():
        p = view.provider
        domains = ",".join(sorted(p.domains)) or "-"
        click.echo(f"{p.alias}\t{p.source}\t{p.organisation or '(global)'}\t{p.issuer}\t{domains}")


def _secret(secret_file: Path | None, stdin: bool, public: bool) -> str | None:
    if sum((secret_file is not None, stdin, public)) != 1:
        raise click.UsageError(
            "give the client secret with --client-secret-file FILE or --client-secret-stdin, "
            "or --public for a public client (PKCE only)"
        )
    if public:
        return None
    if secret_file is not None:
        try:
            value = secret_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise click.ClickException(f"cannot read {secret_file}: {error}") from error
    else:
        value = sys.stdin.readline().strip()
    if not value:
        raise click.ClickException("the client secret is empty")
    return value


@idp.command("add")
@click.option("--org", "slug", required=True, metavar="SLUG", help="The organisation it serves.")
@click.option("--alias", required=True, help="URL slug: /federation/<alias>/callback.")
@click.option("--issuer", required=True, help="The provider's issuer URL, exactly.")
@click.option("--client-id", required=True, help="The bridge's client id at the provider.")
@click.option(
    "--client-secret-file", type=click.Path(dir_okay=False, path_type=Path), help="Secret file."
)
@click.option("--client-secret-stdin", is_flag=True, help="Read the client secret from stdin.")
@click.option("--public", is_flag=True, help="A public client: no secret, PKCE only.")
@click.option("--domain", "domains", multiple=True, help="A verified e-mail domain; repeat.")
@click.option("--display-name", help="The name on the sign-in button (default: the alias).")
@click.option(
    "--link-by-verified-email",
    is_flag=True,
    default=False,
    help="Offer to link a first login to the local account with the same verified e-mail "
    "(after that account's password and 2FA).",
)
@as_option
def idp_add(
    slug: str,
    alias: str,
    issuer: str,
    client_id: str,
    client_secret_file: Path | None,
    client_secret_stdin: bool,
    public: bool,
    domains: tuple[str, ...],
    display_name: str | None,
    link_by_verified_email: bool,
    as_user: str | None,
) -> None:
    """Add a provider for an organisation (the same rules as the admin API)."""
    body: dict[str, Any] = {
        "alias": alias,
        "issuer": issuer,
        "client_id": client_id,
        "client_secret": _secret(client_secret_file, client_secret_stdin, public),
        "domains": list(domains),
        "link_by_verified_email": link_by_verified_email,
    }
    if display_name is not None:
        body["display_name"] = display_name
    services = current_services()
    actor = acting(as_user)
    view = services.provider_admin.add(actor, slug, body)
    secret = "with a client secret" if view.provider.client_secret else "public client"
    click.echo(f"added provider {view.provider.alias} for {slug} ({secret})")
    click.echo(
        f"  register at the provider: {view.provider.redirect_uri(services.settings.issuer)}"
    )


@idp.command("remove")
@click.argument("alias")
def idp_remove(alias: str) -> None:
    """Remove a provider added through the API or CLI, its domains and its account links."""
    services = current_services()
    removed = services.provider_admin.remove_by_alias(acting(None), alias)
    click.echo(
        f"removed provider {removed.alias}: {removed.links_removed} account link(s), "
        f"domains: {', '.join(removed.domains) or '-'}"
    )
