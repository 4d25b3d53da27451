"""Click classes that run each ``bridge`` command as one database unit of work.

A command's changes and their audit events are committed together when it ends, or when it
stops with a refusal (a ``BridgeError``, its own message as ``click.ClickException``) or an exit
code: that is an answer, as an error page is on the web. Any other exception rolls the whole
command back. ``serve`` and ``keys reseal`` opt out (``cls=click.Command``): one serves
requests that have their own units, the other commits batch by batch on purpose.
"""

from __future__ import annotations

from typing import Any

import click

from bridge.domain.errors import BridgeError
from bridge.storage.db.unit import unit_of_work


class UnitOfWorkCommand(click.Command):
    def invoke(self, ctx: click.Context) -> Any:
        with unit_of_work(commit_on=(click.ClickException, click.exceptions.Exit, BridgeError)):
            return super().invoke(ctx)


class UnitOfWorkGroup(click.Group):
    """A group whose commands (and subgroups' commands) are ``UnitOfWorkCommand``."""

    command_class = UnitOfWorkCommand
    group_class = type
