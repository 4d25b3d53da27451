"""The ``bridge`` command: serve, migrate, and manage users, clients and keys."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bridge.cli import password_commands
from bridge.cli.api_client_commands import api_client
from bridge.cli.audit_commands import audit
from bridge.cli.client_commands import client
from bridge.cli.context import Context, pass_context
from bridge.cli.errors import BridgeGroup
from bridge.cli.flow_commands import flows_group
from bridge.cli.idp_commands import idp
from bridge.cli.import_commands import export_command, import_group
from bridge.cli.mail_commands import mail
from bridge.cli.org_commands import member, org
from bridge.cli.user_data_commands import USER_DATA_COMMANDS
from bridge.services.users import UnknownUser, normalise_username
from bridge.storage.db.models import User

DEFAULT_ISSUER = "http://127.0.0.1:8000"


@click.group(cls=BridgeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="the-bridge", prog_name="bridge", help="Show the version.")
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="BRIDGE_CONFIG",
    help="YAML configuration file (default: embedded defaults; env BRIDGE_CONFIG).",
)
@click.pass_context
def main(ctx: click.Context, config: Path | None) -> None:
    """The bridge: an OpenID Connect provider with YAML login flows and TOTP."""
    ctx.obj = Context(config)
    ctx.call_on_close(ctx.obj.close)


@main.command(cls=click.Command)  # each request is a unit of work of its own
@click.option("--host", help="Interface to listen on (default from config: 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default from config: 8000).")
@pass_context
def serve(ctx: Context, host: str | None, port: int | None) -> None:
    """Run the bridge in one process (creates and migrates the database on first start)."""
    from waitress import serve as waitress_serve

    from bridge.app import create_app
    from bridge.config.flows import FlowReloader
    from bridge.observability.logs import configure_logging

    services = ctx.services(migrate=False)
    settings = services.settings
    server = settings.server.model_copy(
        update={k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    )
    if settings.issuer == DEFAULT_ISSUER and (server.host, server.port) != ("127.0.0.1", 8000):
        # No issuer configured: name the address actually served.
        shown_host = "127.0.0.1" if server.host in ("0.0.0.0", "::") else server.host  # noqa: S104
        issuer = f"http://{shown_host}:{server.port}"
        services.settings = settings.model_copy(update={"issuer": issuer, "server": server})
    services.db.upgrade()
    # SettingsError (a provider alias both configured and added through the API): the message.
    app = create_app(services=services)
    configure_logging(services.settings.logs)
    services.start_background()  # the mail outbox's sender (mail.sender)
    # SIGHUP reloads the flow files; invalid new ones are refused and the running ones stay.
    FlowReloader(services).install_sighup()
    click.echo(f"The bridge is serving {services.settings.issuer}")
    click.echo(f"  account page: {services.settings.issuer}/account")
    click.echo(f"  discovery:    {services.settings.issuer}/.well-known/openid-configuration")
    click.echo(f"  listening on {server.host}:{server.port} (Ctrl+C to stop)")
    waitress_serve(app, host=server.host, port=server.port, threads=server.threads, ident="bridge")


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_context
def db_upgrade(ctx: Context) -> None:
    """Create or migrate the database schema to the newest version."""
    ctx.services(migrate=False).db.upgrade()
    click.echo("database is up to date")


@main.group()
def user() -> None:
    """People who sign in."""


def _read_password(stdin: bool) -> str:
    if stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return str(password)


@user.command("add")
@click.argument("username")
@click.option("--email", required=True, help="The user's e-mail address.")
@click.option("--name", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_context
def user_add(
    ctx: Context, username: str, email: str, name: str | None, password_stdin: bool
) -> None:
    """Create a user."""
    services = ctx.services()
    password = _read_password(password_stdin)
    created = services.users.create(username, email=email, password=password, name=name)
    click.echo(f"created user {created.username} ({created.id})")


@user.command("list")
@pass_context
def user_list(ctx: Context) -> None:
    """List users with their 2FA status."""
    services = ctx.services()
    for record in services.users.list():
        mfa = "totp" if services.totp.has_totp(record.id) else "-"
        click.echo(f"{record.username}\t{record.email or '-'}\t{mfa}\t{record.id}")


@user.command("set-language")
@click.argument("username")
@click.argument("language")
@pass_context
def user_set_language(ctx: Context, username: str, language: str) -> None:
    """Set the language of a user's pages and mails (en, de; "none": as their browser says)."""
    services = ctx.services()
    found = services.users.find(username)
    if found is None:
        raise UnknownUser(f"no user named {normalise_username(username)!r}")
    chosen = services.languages.choose(found.id, None if language == "none" else language)
    click.echo(f"language of {found.username}: {chosen or 'as the browser says'}")


@user.command("disable")
@click.argument("username")
@pass_context
def user_disable(ctx: Context, username: str) -> None:
    """Disable a user: no sign-in, no token, no app password; every session ends now."""
    from bridge.services.account.lifecycle import disable

    done = disable(ctx.services(), username)
    name = normalise_username(username)
    click.echo(f"disabled {name}" if done else f"{name} was disabled already")


@user.command("enable")
@click.argument("username")
@pass_context
def user_enable(ctx: Context, username: str) -> None:
    """Enable a disabled user again (their app passwords stay revoked)."""
    from bridge.services.account.lifecycle import enable

    done = enable(ctx.services(), username)
    name = normalise_username(username)
    click.echo(f"enabled {name}" if done else f"{name} was not disabled")


@user.command("unlock")
@click.argument("username")
@pass_context
def user_unlock(ctx: Context, username: str) -> None:
    """Lift the lock that failed sign-ins put on a user, in any organisation or none."""
    from bridge.services.account.lifecycle import unlock

    done = unlock(ctx.services(), username)
    name = normalise_username(username)
    click.echo(f"unlocked {name}" if done else f"{name} was not locked")


@user.command("show")
@click.argument("username")
@pass_context
def user_show(ctx: Context, username: str) -> None:
    """Show a user's account: e-mail, state, second factor, app passwords."""
    from bridge.services.account.lifecycle import facts

    shown = facts(ctx.services(), username)
    record = shown.user
    for label, value in (
        ("username", record.username),
        ("id", record.id),
        ("e-mail", record.email or "-"),
        ("name", record.name or "-"),
        ("disabled", "yes" if record.disabled else "no"),
        ("password", _password_state(record)),
        ("locked", "yes" if shown.locked else "no"),
        ("2fa", "totp" if shown.totp else "-"),
        ("app passwords", str(shown.app_passwords)),
        ("service account", "yes" if record.service_account else "no"),
        ("language", record.language or "-"),
        ("created", record.created_at.isoformat()),
    ):
        click.echo(f"{label + ':':<17}{value}")


def _password_state(record: User) -> str:
    if record.password_hash is None:
        return "none (signs in through an identity provider)"
    if record.password_must_change:
        return "temporary (must be changed at the next sign-in)"
    return "set"


@user.command("email-conflicts")
@pass_context
def user_email_conflicts(ctx: Context) -> None:
    """List e-mail addresses that several accounts share (none of them signs in by it).

    Once none is left, make addresses unique (what migration 0015 could not do). Exit status 1
    while some are shared.
    """
    emails = ctx.services().emails
    shared = emails.shared()
    for item in shared:
        click.echo(f"{item.address}\t{' '.join(item.usernames)}")
    if shared:
        raise click.ClickException(
            f"{len(shared)} e-mail addresses are shared by several accounts: give each account "
            "its own (or none), then run this command again"
        )
    created = emails.make_unique()
    click.echo("no e-mail address is shared by several accounts")
    if created:
        click.echo("e-mail addresses are unique from now on")


@main.group()
def keys() -> None:
    """ID token signing keys, and the encryption keyring that seals secrets at rest."""


@keys.command("rotate")
@pass_context
def keys_rotate(ctx: Context) -> None:
    """Start signing with a new key; the old one stays published for the grace period."""
    services = ctx.services()
    services.keys.ensure_active()
    kid = services.keys.rotate()
    click.echo(f"new signing key {kid}")


@keys.command("reseal", cls=click.Command)  # a transaction per batch, by design
@click.option("--dry-run", is_flag=True, help="Count what would be re-encrypted; write nothing.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 10_000),
    default=500,
    show_default=True,
    help="Rows read and written per transaction.",
)
@pass_context
def keys_reseal(ctx: Context, dry_run: bool, batch_size: int) -> None:
    """Re-encrypt every secret sealed with an older encryption key with the primary one.

    Run it once every process uses the new keyring (new key first in BRIDGE_ENCRYPTION_KEYS,
    old keys after it). When a run reports nothing left, the old keys can be removed.
    """
    from bridge.services.reseal import reseal

    services = ctx.services()
    keyring = services.keyring
    counts = reseal(services.db, keyring, batch_size=batch_size, dry_run=dry_run)
    verb = "would be resealed" if dry_run else "resealed"
    click.echo(f"primary encryption key: {keyring.primary_kid}")
    for count in counts:
        line = f"{count.name}: {count.resealed} {verb}"
        if count.changed_meanwhile:
            line += f", {count.changed_meanwhile} changed meanwhile (run again)"
        if count.unreadable:
            line += f", {count.unreadable} cannot be opened with this keyring"
        click.echo(line)
    if dry_run:
        click.echo("dry run: nothing was written")
    unreadable = sum(count.unreadable for count in counts)
    if unreadable:
        raise click.ClickException(
            f"{unreadable} sealed values were sealed with a key that is not in the keyring, or "
            "were tampered with; keep every old key until they are dealt with"
        )


main.add_command(client)
main.add_command(flows_group)
main.add_command(org)
main.add_command(member)
main.add_command(idp)
main.add_command(mail)
main.add_command(audit)
main.add_command(import_group)
main.add_command(export_command)
main.add_command(api_client)
for _command in USER_DATA_COMMANDS:
    user.add_command(_command)
user.add_command(password_commands.set_password)
user.add_command(password_commands.send_reset_link)
