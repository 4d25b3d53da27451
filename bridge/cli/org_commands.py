"""``bridge org ...`` and ``bridge member ...``: the operator's face of the organisation services.

The command line acts as the operator: it may create organisations, verify domains and assign
clients, and it passes every other rule exactly as the admin API and console do (the same
``bridge.services.orgs`` services decide). ``--as USERNAME`` acts as that admin instead, with that
admin's rights only.
"""

from __future__ import annotations

from typing import Any

import click

from bridge.cli.context import acting, as_option, current_services, echo_json
from bridge.cli.unit import UnitOfWorkGroup
from bridge.services.orgs import Actor
from bridge.services.orgs.members import ACTIONS
from bridge.services.orgs.service import policy_of
from bridge.services.service_accounts import CONVERSIONS


@click.group(cls=UnitOfWorkGroup)
def org() -> None:
    """Organisations and their security policy."""


@org.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Display name.")
@click.option(
    "--kind",
    type=click.Choice(["standalone", "partner", "customer"]),
    default="standalone",
    show_default=True,
    help="A partner manages customers; a customer names its partner with --parent.",
)
@click.option(
    "--mode",
    type=click.Choice(["production", "trial"]),
    default="production",
    show_default=True,
    help="A partner in production enforces 2FA; a trial partner does not yet.",
)
@click.option("--parent", metavar="SLUG", help="The partner that manages this customer.")
def org_create(slug: str, name: str, kind: str, mode: str, parent: str | None) -> None:
    """Create an organisation (partners in production enforce 2FA from the start)."""
    services = current_services()
    created = services.orgs.create(
        Actor.operator(), slug, name, kind=kind, mode=mode, parent=parent
    )
    click.echo(f"created organisation {created.slug} ({created.kind}, {created.mode})")


@org.command("list")
@as_option
def org_list(as_user: str | None) -> None:
    """List organisations: slug, kind, mode, 2FA enforced, SSO."""
    services = current_services()
    for record in services.orgs.administered(acting(as_user)):
        policy = policy_of(record)
        enforced = "2fa-enforced" if policy["mfa_enforced"] else "2fa-optional"
        sso = f"sso:{policy['sso_idp_alias']}" if policy["sso_enabled"] else "-"
        click.echo(f"{record.slug}\t{record.kind}\t{record.mode}\t{enforced}\t{sso}")


@org.command("language")
@click.argument("slug")
@click.argument("language")
@as_option
def org_language(slug: str, language: str, as_user: str | None) -> None:
    """Set the default language of an organisation's members (en, de; "none": the configured
    ``ui.language``). A member's own choice and their browser's language come first."""
    services = current_services()
    actor = acting(as_user)
    record = services.orgs.get(actor, slug)  # refuses anyone but its admins and the operator
    chosen = services.languages.set_organisation_default(
        record.id, None if language == "none" else language, actor_id=actor.user_id
    )
    click.echo(f"default language of {record.slug}: {chosen or 'the configured default'}")


@org.command("show")
@click.argument("slug")
@as_option
def org_show(slug: str, as_user: str | None) -> None:
    """Print an organisation's policy, domains and 2FA progress as JSON."""
    services = current_services()
    actor = acting(as_user)
    record = services.orgs.get(actor, slug)
    echo_json(
        {
            "slug": record.slug,
            "name": record.name,
            "kind": record.kind,
            "mode": record.mode,
            "policy": policy_of(record),
            "domains": services.orgs.domains(actor, slug),
            "mfa_progress": services.members.progress(actor, slug).as_json(),
        }
    )


@org.command("policy")
@click.argument("slug")
@click.option("--enforce-mfa/--no-enforce-mfa", default=None, help="Enforce 2FA for members.")
@click.option(
    "--on-disable",
    type=click.Choice(["keep", "wipe"]),
    help="When enforcement is turned off: keep members' 2FA, or wipe every secret and "
    "trusted browser.",
)
@click.option(
    "--trusted-browsers/--no-trusted-browsers",
    default=None,
    help="Offer members to skip 2FA on a trusted browser.",
)
@click.option("--trusted-browser-days", type=int, help="7 to 90.")
@click.option(
    "--lockout-password-failures", type=int, help="Wrong passwords that lock the account."
)
@click.option(
    "--lockout-code-failures", type=int, help="Wrong codes that lock (or restart) the login."
)
@click.option(
    "--lockout-action",
    type=click.Choice(["lock", "restart"]),
    help="After too many wrong codes: lock the account until an admin unlocks it, or make the "
    "user start the login again.",
)
@click.option("--sso/--no-sso", default=None, help="Single sign-on through --sso-idp.")
@click.option("--sso-idp", help="The identity provider's alias.")
@click.option("--sso-domain", "sso_domains", multiple=True, help="Repeat for each domain.")
@click.option(
    "--admin-reset-requires-verified-domain/--no-admin-reset-requires-verified-domain",
    default=None,
    help="Admins may reset 2FA only for members of a verified domain (default on).",
)
@click.option(
    "--app-passwords/--no-app-passwords", default=None, help="Allow members' app passwords."
)
@click.option(
    "--password-reset/--no-password-reset",
    default=None,
    help="Allow members to reset a forgotten password by e-mail (default on; never with SSO).",
)
@click.option("--code", help="With --as: your current TOTP code (needed to wipe members' 2FA).")
@click.option("--yes", is_flag=True, help="Confirm wiping every member's 2FA.")
@as_option
def org_policy(slug: str, code: str | None, yes: bool, as_user: str | None, **options: Any) -> None:
    """Change an organisation's security policy; every rule of the admin API applies."""
    names = {
        "enforce_mfa": "mfa_enforced",
        "on_disable": "on_disable",
        "trusted_browsers": "trusted_browsers_enabled",
        "trusted_browser_days": "trusted_browser_days",
        "lockout_password_failures": "lockout_password_failures",
        "lockout_code_failures": "lockout_code_failures",
        "lockout_action": "lockout_action",
        "sso": "sso_enabled",
        "sso_idp": "sso_idp_alias",
        "sso_domains": "sso_domains",
        "admin_reset_requires_verified_domain": "admin_reset_requires_verified_domain",
        "app_passwords": "app_passwords_allowed",
        "password_reset": "password_reset_allowed",
    }
    changes = {
        names[key]: (list(value) if key == "sso_domains" else value)
        for key, value in options.items()
        if value is not None and value != ()
    }
    if not changes:
        raise click.UsageError("name at least one policy option (see --help)")
    services = current_services()
    actor = acting(as_user)
    wipes = services.orgs.policy_wipes(actor, slug, changes)
    if wipes and actor.is_operator and not yes:
        raise click.ClickException(
            f"turning 2FA off for {slug} wipes every member's 2FA; add --yes to confirm"
        )
    result = services.orgs.update_policy(actor, slug, changes, admin_code=code)
    for name, (old, new) in result.changes.items():
        click.echo(f"{name}: {old} -> {new}")
    if result.wiped_users:
        click.echo(f"deleted the 2FA of {result.wiped_users} member(s)")
    if not result.changes:
        click.echo("nothing changed")


@org.command("mode")
@click.argument("slug")
@click.argument("mode", type=click.Choice(["trial", "production"]))
def org_mode(slug: str, mode: str) -> None:
    """Switch trial/production; a partner switched to production enforces 2FA."""
    services = current_services()
    services.orgs.set_mode(Actor.operator(), slug, mode)
    click.echo(f"{slug} is in {mode} mode")


@org.command("verify-domain")
@click.argument("slug")
@click.argument("domain")
def org_verify_domain(slug: str, domain: str) -> None:
    """Record an e-mail domain as verified by the organisation."""
    services = current_services()
    services.orgs.add_domain(Actor.operator(), slug, domain)
    click.echo(f"{domain.strip().lower()} is verified for {slug}")


@org.command("add-client")
@click.argument("slug")
@click.argument("client_id")
def org_add_client(slug: str, client_id: str) -> None:
    """Logins through this client belong to the organisation."""
    services = current_services()
    services.orgs.assign_client(Actor.operator(), slug, client_id)
    click.echo(f"client {client_id} belongs to {slug}")


@org.command("allow-admin-scope")
@click.argument("client_id")
def org_allow_admin_scope(client_id: str) -> None:
    """Let a client ask for the 'admin' scope (tokens for the admin API)."""
    services = current_services()
    services.orgs.allow_admin_scope(Actor.operator(), client_id)
    click.echo(f"client {client_id} may request the admin scope")


@click.group(cls=UnitOfWorkGroup)
def member() -> None:
    """Members of organisations and an admin's actions on them."""


@member.command("list")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print the members as JSON.")
@as_option
def member_list(slug: str, as_json: bool, as_user: str | None) -> None:
    """Members with their role and 2FA status, and the progress figure."""
    services = current_services()
    actor = acting(as_user)
    members = services.members.members(actor, slug)
    if as_json:
        echo_json([m.as_json() for m in members])
        return
    for m in members:
        click.echo(f"{m.username}\t{m.role}\t{m.status}")
    progress = services.members.progress(actor, slug)
    click.echo(f"2FA configured: {progress.configured}/{progress.needing}")


@member.command("add")
@click.argument("slug")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(["member", "admin"]),
    default="member",
    show_default=True,
    help="An admin manages the organisation's members and policy.",
)
@as_option
def member_add(slug: str, username: str, role: str, as_user: str | None) -> None:
    """Add an existing user to an organisation."""
    services = current_services()
    added = services.members.add(acting(as_user), slug, username, role)
    click.echo(f"{added.username} is a {added.role} of {slug}")


@member.command("remove")
@click.argument("slug")
@click.argument("username")
@as_option
def member_remove(slug: str, username: str, as_user: str | None) -> None:
    """Remove a user from an organisation."""
    services = current_services()
    services.members.remove(acting(as_user), slug, username)
    click.echo(f"{username} left {slug}")


@member.command("role")
@click.argument("slug")
@click.argument("username")
@click.argument("role", type=click.Choice(["member", "admin"]))
@as_option
def member_role(slug: str, username: str, role: str, as_user: str | None) -> None:
    """Make a member an admin, or an admin a member."""
    services = current_services()
    services.members.set_role(acting(as_user), slug, username, role)
    click.echo(f"{username} is a {role} of {slug}")


def _action_command(action: str, help_text: str) -> None:
    def run(slug: str, username: str, as_user: str | None, **options: Any) -> None:
        services = current_services()
        actor = acting(as_user)
        services.members.act(actor, slug, username, action, **options)
        status = services.members.get(actor, slug, username).status
        click.echo(f"{action}: done; {username} is now {status}")
        if action in CONVERSIONS:
            click.echo(f"{username}: {CONVERSIONS[action]}")

    command: Any = as_option(run)
    if action == "require-mfa":
        command = click.option(
            "--lift", "required", flag_value=False, default=True, help="Stop requiring 2FA."
        )(command)
    command = click.argument("username")(command)
    command = click.argument("slug")(command)
    member.command(action, help=help_text)(command)


HELP = {
    "unlock": "Unlock a member locked out by failed sign-ins.",
    "reset-mfa": "Delete a member's 2FA; they enrol again at the next login if it is required.",
    "require-mfa": "Require 2FA for this one member (--lift to stop).",
    "to-service-account": "Make a member a service account: no 2FA (for integrations); its "
    "authenticator, recovery codes and trusted browsers are deleted, app passwords kept.",
    "from-service-account": "Make a service account a person again: 2FA rules apply from the "
    "next login (a new authenticator if required); app passwords kept.",
}
for _action in ACTIONS:
    _action_command(_action, HELP[_action])
