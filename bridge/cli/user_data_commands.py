"""``bridge user delete|rename|set-email|export`` (issue 14): the operator's commands for a
person's data, on the services of ``bridge.services.account`` (the admin API uses the same)."""

from __future__ import annotations

import click

from bridge.cli.context import Context, echo_json, pass_context
from bridge.cli.unit import UnitOfWorkCommand
from bridge.services.users import normalise_username


@click.command(
    "delete", cls=UnitOfWorkCommand, short_help="Delete a user, erase their data (GDPR Art. 17)."
)
@click.argument("username")
@click.option("--yes", is_flag=True, help="Delete without asking for confirmation (for scripts).")
@pass_context
def user_delete(ctx: Context, username: str, yes: bool) -> None:
    """Delete a user and erase their personal data (GDPR Art. 17).

    Removes the password, second factor, recovery codes, trusted browsers, app passwords,
    sessions, grants, reset links, federation links, memberships and the mails to or about them,
    then the account. The audit log keeps their events under a pseudonym (deleted-...).
    Refused for the only admin of an organisation. It cannot be undone.
    """
    from bridge.services.account.erasure import delete_account
    from bridge.services.account.lifecycle import account

    services = ctx.services()
    user = account(services, username)  # an unknown user is refused before the question
    if not yes:
        shown = f"{user.username} ({user.email})" if user.email else user.username
        click.confirm(
            f"Delete {shown} and erase their personal data? This cannot be undone",
            abort=True,
            err=True,
        )
    erased = delete_account(services, username)
    click.echo(f"deleted {erased.username}; the audit log calls them {erased.pseudonym}")
    removed = ", ".join(f"{name} {count}" for name, count in erased.deleted.items() if count)
    click.echo(f"  rows deleted: {removed}")
    click.echo(f"  audit events pseudonymised: {erased.audit_events}")


@click.command("rename", cls=UnitOfWorkCommand, short_help="Change a user's username.")
@click.argument("old")
@click.argument("new")
@pass_context
def user_rename(ctx: Context, old: str, new: str) -> None:
    """Give the user OLD the username NEW (a-z, 0-9, '.', '_', '@', '-'; case-folded).

    The account keeps its id, so its sessions, grants, 2FA and app passwords go on; the next
    tokens carry the new preferred_username.
    """
    from bridge.services.account.identity import rename

    done = rename(ctx.services(), old, new)
    old_name, new_name = normalise_username(old), normalise_username(new)
    click.echo(f"renamed {old_name} to {new_name}" if done else f"{old_name} has that name already")


@click.command("set-email", cls=UnitOfWorkCommand, short_help="Change a user's e-mail address.")
@click.argument("username")
@click.argument("address")
@pass_context
def user_set_email(ctx: Context, username: str, address: str) -> None:
    """Set a user's e-mail address (unique per bridge, case-insensitively; unverified).

    The address signs in as well as the username; "forgot password" links sent to the old
    address stop working, and the old address is mailed a notice (the new one masked).
    """
    from bridge.services.account.identity import set_email

    services = ctx.services()
    done = set_email(services, username, address)
    user = services.users.find(username)
    assert user is not None
    name = user.username
    click.echo(f"e-mail of {name}: {user.email}" if done else f"{name} has that address already")


@click.command(
    "export", cls=UnitOfWorkCommand, short_help="What the bridge holds about a user (GDPR Art. 15)."
)
@click.argument("username")
@pass_context
def user_export(ctx: Context, username: str) -> None:
    """Print, as JSON, everything the bridge holds about a user (GDPR Art. 15).

    Profile, memberships and roles, 2FA state (never the secret), recovery codes left,
    trusted browsers, app passwords (never their values), grants, federation links, reset
    requests and links, mails, and the audit events that name them. Audited.
    """
    from bridge.services.account.subject_access import subject_access

    echo_json(subject_access(ctx.services(), username))


#: The commands this module adds to ``bridge user``.
USER_DATA_COMMANDS = (user_delete, user_rename, user_set_email, user_export)
