"""The command line's face of ``bridge.domain.errors`` (and of configuration errors): one
message format and one exit code for every ``bridge`` sub-command.

``BridgeGroup`` is the root command's class: a refusal raised anywhere below it becomes
``Error: <message>`` on stderr and exit status 1, so commands call the services directly.
"""

from __future__ import annotations

from typing import Any

import click

from bridge.cli.unit import UnitOfWorkGroup
from bridge.config.errors import SettingsError
from bridge.domain.errors import BridgeError
from bridge.services.account.errors import InvalidEmail, LastAdmin
from bridge.services.clients import ClientHasNoSecret, InvalidClient, UnknownClient
from bridge.services.email_addresses import EmailsShared, EmailTaken
from bridge.services.password_policy import WeakPassword
from bridge.services.users import InvalidUsername, UnknownUser, UserExists
from bridge.storage.ephemeral.base import EphemeralStoreUnavailable
from flows import FlowConfigError

#: Every refusal exits with click's error status (1; usage errors are click's 2).
EXIT_CODE = click.ClickException.exit_code
#: Refusals whose detail reads on its own (the user and client commands' sentences); every
#: other one is printed after its title, like the admin API's problem.
DETAIL_ONLY: tuple[type[BridgeError], ...] = (
    ClientHasNoSecret,
    EmailsShared,
    EmailTaken,
    InvalidClient,
    InvalidEmail,
    InvalidUsername,
    LastAdmin,
    UnknownClient,
    UnknownUser,
    UserExists,
    WeakPassword,
)
#: Errors of the configuration files: what is wrong, with the file, key path and line.
CONFIGURATION: dict[type[Exception], str] = {
    SettingsError: "configuration error",
    FlowConfigError: "flow error",
}


def cli_message(error: Exception) -> str:
    if isinstance(error, BridgeError):
        if isinstance(error, DETAIL_ONLY):
            return error.message
        return f"{error.title}: {error.message}"
    for kind, label in CONFIGURATION.items():
        if isinstance(error, kind):
            return f"{label}:\n{error}"
    raise TypeError(f"no command-line message for {type(error).__name__}")  # pragma: no cover


def cli_exception(error: Exception) -> click.ClickException:
    return click.ClickException(cli_message(error))


class BridgeGroup(UnitOfWorkGroup):
    """The root group: maps refusals of every sub-command in one place; each command is a
    unit of work (``bridge.cli.unit``)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (BridgeError, SettingsError, FlowConfigError) as error:
            raise cli_exception(error) from error
        except EphemeralStoreUnavailable as error:
            # e.g. a client change that every serving process must hear of (issue 16); the
            # unit of work is rolled back, as for any error
            raise click.ClickException(f"the ephemeral store is unavailable: {error}") from error
