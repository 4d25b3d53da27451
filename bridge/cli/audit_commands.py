"""``bridge org audit``, ``bridge org audit-export`` and ``bridge audit prune``: an
organisation's audit log at the command line, through the same ``OrgAudit`` service as the
admin API and console (the same filters, rules and export formats)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from bridge.cli.context import acting, as_option, current_services
from bridge.cli.org_commands import org
from bridge.cli.unit import UnitOfWorkGroup
from bridge.services.audit_export import FORMATS, ExportFormat, event_record
from bridge.services.orgs import Actor
from bridge.services.orgs.audit import AuditSearch
from bridge.services.orgs.validation import parse

F = TypeVar("F", bound=Callable[..., Any])


def filter_options(command: F) -> F:
    """The filters of ``AuditSearch`` as options."""
    options = (
        click.option("--event", help="Only this event (e.g. sign_in_failed)."),
        click.option("--user", metavar="USERNAME", help="Only events about this user."),
        click.option("--since", metavar="TIME", help="At or after (ISO 8601; UTC if no zone)."),
        click.option("--until", metavar="TIME", help="Before (ISO 8601; UTC if no zone)."),
    )
    for option in reversed(options):
        command = option(command)
    return command


def _search(filters: dict[str, str | None]) -> AuditSearch:
    return parse(AuditSearch, {name: value for name, value in filters.items() if value})


@org.command("audit")
@click.argument("slug")
@click.option(
    "--limit",
    type=click.IntRange(1, 500),
    default=50,
    show_default=True,
    help="How many events to show, newest first.",
)
@filter_options
@as_option
def org_audit(slug: str, limit: int, as_user: str | None, **filters: str | None) -> None:
    """The organisation's audit events, newest first (one JSON object per line)."""
    services = current_services()
    search = _search(filters)
    for event in services.org_audit.events(acting(as_user), slug, search, limit=limit):
        click.echo(json.dumps(event_record(event), sort_keys=True))


@org.command("audit-export")
@click.argument("slug")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="jsonl",
    show_default=True,
    help="JSON Lines, or CSV.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file (default: standard output).",
)
@filter_options
@as_option
def org_audit_export(
    slug: str, fmt: ExportFormat, output: Path | None, as_user: str | None, **filters: str | None
) -> None:
    """Every matching event, oldest first, as JSON Lines or CSV, for a SIEM. CSV cells that
    start with = + - @ are prefixed with a quote, so no spreadsheet runs them as formulas."""
    services = current_services()
    export = services.org_audit.export(acting(as_user), slug, _search(filters), fmt)
    with click.open_file(str(output) if output else "-", "w", encoding="utf-8") as sink:
        for line in export.lines:
            sink.write(line)


@click.group(cls=UnitOfWorkGroup)
def audit() -> None:
    """The audit log of every organisation (the operator's)."""


@audit.command("prune")
@click.option("--dry-run", is_flag=True, help="Only count the events that would be deleted.")
def audit_prune(dry_run: bool) -> None:
    """Delete audit events older than audit.retention_days."""
    pruned = current_services().org_audit.prune(Actor.operator(), dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    click.echo(f"{verb} {pruned.count} audit event(s) before {pruned.before.isoformat()}")
