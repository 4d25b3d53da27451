"""``bridge import keycloak|authelia|generic|bridge``: bring users in, thin over
``bridge.services.imports``. Each prints one line per user (what changed, never a secret), one
per record it could not import (file, position, reason), and a summary; a run with such
records ends with exit status 1 after committing the others."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from bridge.cli.context import current_services
from bridge.cli.unit import UnitOfWorkGroup
from bridge.services.imports import ImportReport, Source
from bridge.services.imports.runner import ON_CONFLICT, OnConflict

FILE = click.Path(dir_okay=False, path_type=Path)


def _run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--on-conflict",
        type=click.Choice(ON_CONFLICT),
        default="skip",
        show_default=True,
        help="A user that exists already: leave it, update it, or report it as not imported.",
    )(command)
    return click.option(
        "--dry-run", is_flag=True, help="Print what would change, per user; write nothing."
    )(command)


def run_import(source: Source, on_conflict: OnConflict, dry_run: bool) -> None:
    report = current_services().importer.run(source, on_conflict=on_conflict, dry_run=dry_run)
    print_report(report)


def print_report(report: ImportReport) -> None:
    prefix = "would " if report.dry_run else ""
    for outcome in report.outcomes:
        click.echo(f"{prefix}{outcome}  [{outcome.position}]")
    for note in report.notes:
        click.echo(f"note: {note}")
    for problem in report.problems:
        click.echo(f"not imported: {problem}", err=True)
    click.echo(f"{report.source}: {report.summary}" + (" (dry run: nothing was written)"
                                                      if report.dry_run else ""))  # fmt: skip
    if report.problems:
        raise click.ClickException(
            f"{len(report.problems)} records were not imported (listed above); the others were"
            + (" checked" if report.dry_run else " imported")
        )


@click.group("import", cls=UnitOfWorkGroup)
def import_group() -> None:
    """Bring users, with their passwords and authenticators, from another identity provider."""


@import_group.command("keycloak")
@click.argument("realm_export", type=FILE)
@click.option("--mapping", type=FILE, help="Groups and roles to organisations (YAML or JSON).")
@_run_options
def import_keycloak(
    realm_export: Path, mapping: Path | None, on_conflict: OnConflict, dry_run: bool
) -> None:
    """Import a Keycloak realm export (users inline, or in <realm>-users-N.json beside it)."""
    from bridge.services.imports.keycloak import read_keycloak

    run_import(read_keycloak(realm_export, mapping), on_conflict, dry_run)


@import_group.command("authelia")
@click.argument("users_database", type=FILE)
@click.option("--totp", type=FILE, help="`authelia storage user totp export` (URIs or CSV).")
@click.option("--mapping", type=FILE, help="Groups to organisations (YAML or JSON).")
@_run_options
def import_authelia(
    users_database: Path,
    totp: Path | None,
    mapping: Path | None,
    on_conflict: OnConflict,
    dry_run: bool,
) -> None:
    """Import Authelia's users_database.yml, with their TOTP from an export."""
    from bridge.services.imports.authelia import read_authelia

    run_import(read_authelia(users_database, totp, mapping), on_conflict, dry_run)


@import_group.command("generic")
@click.argument("file", type=FILE)
@_run_options
def import_generic(file: Path, on_conflict: OnConflict, dry_run: bool) -> None:
    """Import users from CSV or JSON Lines (username, email, otpauth URI, password hash)."""
    from bridge.services.imports.generic import read_generic

    run_import(read_generic(file), on_conflict, dry_run)


def _passphrase(stdin: bool, *, confirm: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm))


@import_group.command("bridge")
@click.argument("file", type=FILE)
@click.option("--passphrase-stdin", is_flag=True, help="Read the secrets' passphrase from stdin.")
@_run_options
def import_bridge(
    file: Path, passphrase_stdin: bool, on_conflict: OnConflict, dry_run: bool
) -> None:
    """Import a `bridge export` (asks for its passphrase when it holds secrets)."""
    from bridge.services.imports.bridge_file import read_bridge_file, sealed

    passphrase = _passphrase(passphrase_stdin, confirm=False) if sealed(file) else None
    run_import(read_bridge_file(file, passphrase), on_conflict, dry_run)


@click.command("export")
@click.option("--output", "-o", type=FILE, help="Write to FILE (mode 0600), not standard output.")
@click.option(
    "--include-secrets",
    is_flag=True,
    help="Add password hashes and TOTP secrets, encrypted with a passphrase.",
)
@click.option("--passphrase-stdin", is_flag=True, help="Read the passphrase from stdin.")
def export_command(output: Path | None, include_secrets: bool, passphrase_stdin: bool) -> None:
    """Write everything the bridge holds as JSON (format bridge-export, version 1)."""
    services = current_services()
    passphrase = _passphrase(passphrase_stdin, confirm=True) if include_secrets else None
    text = json.dumps(services.exporter.export(passphrase=passphrase), indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    click.echo(f"exported to {output}", err=True)
