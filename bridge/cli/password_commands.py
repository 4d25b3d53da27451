"""``bridge user set-password`` and ``bridge user send-reset-link``: the operator's help with a
user's password (issue 14). The password is read from a prompt or standard input, never from
the command line, where other users of the machine and the shell history would see it."""

from __future__ import annotations

import sys

import click

from bridge.cli.context import Context, pass_context
from bridge.cli.unit import UnitOfWorkCommand
from bridge.services.orgs import Actor


def read_password(stdin: bool) -> str:
    """The password typed twice at a hidden prompt, or the first line of standard input."""
    if stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return str(password)


@click.command("set-password", cls=UnitOfWorkCommand)
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--temporary",
    is_flag=True,
    help="A temporary password: the user chooses a new one at the next sign-in (after their "
    "second factor); every session, grant and app password ends, and the user is e-mailed.",
)
@pass_context
def set_password(ctx: Context, username: str, password_stdin: bool, temporary: bool) -> None:
    """Set a user's password (the password policy applies). Every session, grant and app
    password of the user ends, the change is audited and the user is e-mailed."""
    from bridge.services.account.admin_passwords import set_password as set_for

    services = ctx.services()
    password = read_password(password_stdin)
    user = set_for(services, Actor.operator(), None, username, password, temporary=temporary)
    if temporary:
        click.echo(f"temporary password set for {user.username}: they choose a new one at the")
        click.echo("next sign-in; their sessions, grants and app passwords ended")
    else:
        click.echo(f"password set for {user.username}: their sessions, grants and app")
        click.echo("passwords ended, and they were e-mailed")


@click.command("send-reset-link", cls=UnitOfWorkCommand)
@click.argument("username")
@pass_context
def send_reset_link(ctx: Context, username: str) -> None:
    """Mail a user the "forgot password" link, in their language (the same link and limits)."""
    from bridge.services.account.admin_passwords import send_reset_link as send

    services = ctx.services()
    user = send(services, Actor.operator(), None, username)
    minutes = services.password_resets.ttl // 60
    click.echo(f"reset link mailed to {user.username} <{user.email}>; it works for {minutes} min")
