"""``bridge mail``: the outbox's state, and a process that only delivers it."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click

from bridge.cli.context import Context, pass_context
from bridge.cli.unit import UnitOfWorkGroup


@click.group(cls=UnitOfWorkGroup)
def mail() -> None:
    """Outgoing e-mail: the outbox (a table every process may deliver from)."""


@mail.command("status")
@click.option(
    "--failures",
    type=click.IntRange(0, 1000),
    default=10,
    show_default=True,
    help="How many of the latest failures to show.",
)
@pass_context
def mail_status(ctx: Context, failures: int) -> None:
    """Messages waiting, given up and sent (kept 7 days), and the latest failures."""
    status = ctx.services().mailer.outbox.status(failures=failures)
    oldest = status.oldest_pending.isoformat(timespec="seconds") if status.oldest_pending else "-"
    click.echo(f"pending: {status.pending} (oldest queued {oldest})")
    click.echo(f"failed:  {status.failed}")
    click.echo(f"sent:    {status.sent}")
    for when, kind, to, error in status.recent_failures:
        click.echo(f"failed {when.isoformat(timespec='seconds')} {kind} to {to}: {error}")


@mail.command("worker", cls=click.Command)  # each delivery is a transaction of its own
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@pass_context
def mail_worker(ctx: Context, once: bool) -> None:
    """Deliver the outbox until stopped (SIGTERM, Ctrl+C): run one or more of these with
    ``mail.sender: worker``, or beside the serving processes' own senders."""
    outbox = ctx.services().mailer.outbox
    if once:
        attempted = 0
        while delivered := outbox.deliver_due():
            attempted += delivered
        click.echo(f"{attempted} message(s) attempted, {outbox.pending()} pending")
        return
    stop = threading.Event()

    def _stop(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    outbox.start()
    click.echo("delivering the mail outbox (SIGTERM or Ctrl+C to stop)")
    stop.wait()
    outbox.close(timeout=60)
    click.echo("stopped; what is left waits in the outbox")
